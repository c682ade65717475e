import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../convex/_generated/api";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { AccessBadge, AUDIENCE_FILTER_TABS, audienceFilterParam, EmailStateBadge, SOURCE_LABEL } from "../studio/audience";
import { EmptyState, FormMessage, TextField } from "../studio/components";
import { errorCode } from "../studio/errors";
import { Time } from "../studio/format";
import { attempt, field, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";
import { hasFieldErrors, readField, readFields } from "../utils/fields.server";

// /studio/:siteId/audience: the publication's audience members (ADR 012; staff are on /members).
// Filters are tabs, search is a GET form (email or name prefix), and pages are `?cursor=` links, so
// everything works without JavaScript; with it, "Load more" appends the next page in place. Only
// editors and up see this (audience:list needs audience.manage): others get the 403 page. Manual
// add (email, name, comped) posts to this route's action.

const PAGE_SIZE = 50;
/** The longest search audience:list reads (an email address's limit). */
const MAX_SEARCH = FIELDS.email.max;

/** Shown when a `?cursor=` is not one Convex issued (hand-edited, truncated or from another list). */
export const BAD_CURSOR_MESSAGE = "That page link is not valid (it may be out of date). Showing the first page.";

function argsFrom(url: URL) {
  return {
    filter: audienceFilterParam(url.searchParams.get("filter")),
    search: (url.searchParams.get("q") ?? "").trim().slice(0, MAX_SEARCH) || undefined,
    cursor: url.searchParams.get("cursor") || null,
  };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const args = argsFrom(new URL(request.url));
  const read = (cursor: string | null) =>
    loadOrThrow(convex.query(api.audience.list, { siteId, filter: args.filter, search: args.search, paginationOpts: { numItems: PAGE_SIZE, cursor } }));
  let result;
  let cursorError: string | null = null;
  try {
    result = await read(args.cursor);
  } catch (error) {
    // Convex refuses a cursor it did not sign (InvalidCursor): say so and show the first page.
    // A refused site or role (a thrown 403/404 Response) or a failure without a cursor stays what it is.
    if (!args.cursor || error instanceof Response || errorCode(error) !== null) throw error;
    cursorError = BAD_CURSOR_MESSAGE;
    args.cursor = null;
    result = await read(null);
  }
  return data({ siteId, args, result, cursorError }, { headers: privateHeaders(headers) });
}

export const meta: MetaFunction = () => [{ title: "Audience · Studio" }];

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent");
  if (intent !== "add") return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  const { values, fields } = readFields(form, { email: FIELDS.email });
  // The name is optional: checked by its rule only when given.
  const named = field(form, "name") ? readField(form, "name", FIELDS.displayName) : { value: "" };
  if (named.error) fields.name = named.error;
  const name = named.value;
  if (hasFieldErrors(fields)) return reply({ intent, errors: { fields } }, headers, 400);
  const comp = form.get("comp") === "on";
  return attempt(
    intent,
    headers,
    async () => {
      await convex.mutation(api.audience.add, { siteId, email: values.email, name: name || undefined, comp });
      return `${values.email} added${comp ? " with complimentary access" : ""}.`;
    },
    { fields: ["email", "name"] },
  );
}

type Row = ReturnType<typeof useLoaderData<typeof loader>>["result"]["page"][number];

export default function AudienceList() {
  const { siteId, args, result, cursorError } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const base = `/studio/${siteId}/audience`;
  // Pages appended by "Load more" (reset when the first page changes: new filter, search or add).
  const [more, setMore] = useState<{ rows: Row[]; next: string | null }>({ rows: [], next: null });
  const loadMore = useFetcher<typeof loader>();
  useEffect(() => setMore({ rows: [], next: null }), [result]);
  useEffect(() => {
    const page = loadMore.data;
    if (!page || !("result" in page)) return;
    setMore((m) => ({ rows: [...m.rows, ...page.result.page], next: page.result.isDone ? "" : page.result.continueCursor }));
  }, [loadMore.data]);
  const rows = [...result.page, ...more.rows];
  const nextCursor = more.next === "" ? null : (more.next ?? (result.isDone ? null : result.continueCursor));
  const href = (extra: Record<string, string | null>) => {
    const p = new URLSearchParams(searchParams);
    for (const [k, v] of Object.entries(extra)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    const q = p.toString();
    return q ? `${base}?${q}` : base;
  };
  const narrowed = args.filter !== "all" || Boolean(args.search);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Audience</h1>
        <p className="st-inline-buttons">
          <Link to={`${base}/import`} className="st-button">
            Import
          </Link>
          <a href={`${base}/export.csv`} className="st-button" download>
            Export CSV
          </a>
          <Link to={`/studio/${siteId}/newsletters`}>Newsletters</Link>
        </p>
      </header>
      <p className="st-muted">Readers who follow this publication by email. Your team is under Members.</p>
      <AddMember />
      <nav aria-label="Filter members" className="st-tabs">
        {AUDIENCE_FILTER_TABS.map((f) => {
          const current = args.filter === f.value;
          return (
            <Link
              key={f.value}
              to={href({ filter: f.value === "all" ? null : f.value, cursor: null })}
              aria-current={current ? "page" : undefined}
              className={current ? "is-current" : undefined}
            >
              {f.label}
            </Link>
          );
        })}
      </nav>
      <Form method="get" action={base} role="search" aria-label="Search members" className="st-form st-form--inline" key={args.search ?? ""}>
        {args.filter !== "all" ? <input type="hidden" name="filter" value={args.filter} /> : null}
        <div className="st-field">
          <label htmlFor="audience-search">Search</label>
          <input id="audience-search" type="search" name="q" defaultValue={args.search ?? ""} maxLength={MAX_SEARCH} placeholder="Email or name starts with…" />
        </div>
        <div className="st-field st-inline-buttons">
          <button type="submit" className="st-button">
            Search
          </button>
          {args.search ? <Link to={href({ q: null, cursor: null })}>Clear search</Link> : null}
        </div>
      </Form>
      {cursorError ? (
        <p className="st-error st-message" role="alert" data-testid="cursor-error">
          {cursorError}
        </p>
      ) : null}
      {args.search ? <p className="st-muted">Newest first; at most 50 matches (type more to narrow).</p> : null}
      {rows.length === 0 ? (
        <EmptyState>
          {args.cursor ? "No more members." : narrowed ? "No members match." : "No members yet. They join through the forms on your site, or add them here."}
        </EmptyState>
      ) : (
        <table className="st-table st-table--cards" data-testid="audience-table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Access</th>
              <th scope="col">Email</th>
              <th scope="col">Source</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m._id} data-testid="audience-row">
                <td data-label="Email">
                  <Link to={`${base}/${m._id}`} data-testid="member-email">
                    {m.email}
                  </Link>
                </td>
                <td data-label="Name">{m.name ?? <span className="st-muted">—</span>}</td>
                <td data-label="Access">
                  <AccessBadge access={m.access} />
                </td>
                <td data-label="Email status">
                  <EmailStateBadge state={m.emailState} />
                </td>
                <td data-label="Source">{SOURCE_LABEL[m.source]}</td>
                <td data-label="Joined">
                  <Time ms={m.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="st-pager" aria-label="Pages">
        {args.cursor ? <Link to={href({ cursor: null })}>← First page</Link> : <span />}
        {nextCursor ? (
          <a
            href={href({ cursor: nextCursor })}
            className="st-button"
            data-testid="load-more"
            aria-disabled={loadMore.state !== "idle" || undefined}
            onClick={(e) => {
              // With JavaScript: append the next page here; without, the link opens it.
              e.preventDefault();
              // `index`: a fetcher's URL names the index route's loader, not the studio layout's.
              if (loadMore.state === "idle") loadMore.load(`${href({ cursor: nextCursor })}&index`);
            }}
          >
            {loadMore.state === "idle" ? "Load more" : "Loading…"}
          </a>
        ) : null}
      </nav>
    </main>
  );
}

function AddMember() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "add" ? result : undefined;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <details className="st-card" open={Boolean(mine)}>
      <summary>Add a member</summary>
      <Form method="post" className="st-form st-form--inline" ref={formRef} noValidate data-testid="add-member-form">
        <input type="hidden" name="intent" value="add" />
        <FormMessage errors={mine?.errors} notice={mine?.notice} />
        <TextField label="Email" name="email" type="email" required {...fieldProps(FIELDS.email)} autoComplete="off" error={mine?.errors?.fields?.email} />
        <TextField label="Name (optional)" name="name" {...fieldProps(FIELDS.displayName)} autoComplete="off" error={mine?.errors?.fields?.name} />
        <label className="st-check">
          <input type="checkbox" name="comp" /> Complimentary access to paid posts
        </label>
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Add member
        </button>
      </Form>
    </details>
  );
}
