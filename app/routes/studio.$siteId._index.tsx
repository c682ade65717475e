import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData, useNavigate, useSearchParams } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { POST_STATUSES, type PostStatus } from "../../convex/shared/constants";
import { EmptyState, Pager, StatusBadge } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { seesOnlyOwnPosts } from "../../convex/shared/roles";
import { useStudioSite } from "../studio/site";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";

// /studio/:siteId: the site's posts, in pages of PAGE_SIZE with cursor links (posts:list),
// filtered by status (tabs), author, tag, category and search words (a GET form, so filters,
// pages and links work without JavaScript and can be bookmarked). Newest change first; best
// match first when searching. Below editor, members see their own posts only (Convex). The list is live:
// a post another member publishes moves here without a reload.

const PAGE_SIZE = 20;
const MAX_SEARCH = 200;

function statusParam(value: string | null): PostStatus | undefined {
  return (POST_STATUSES as readonly string[]).includes(value ?? "") ? (value as PostStatus) : undefined;
}

/** An id from the query string, or undefined when it cannot be one (ignored, like an unknown status). */
function idFromQuery<T extends "users" | "tags" | "categories">(value: string | null): Id<T> | undefined {
  return value && /^[a-z0-9]{16,64}$/.test(value) ? (value as Id<T>) : undefined;
}

/** The list's filters from the URL (what the form and the status tabs put there). */
function filtersFrom(params: URLSearchParams) {
  return {
    status: statusParam(params.get("status")),
    authorId: idFromQuery<"users">(params.get("author")),
    tagId: idFromQuery<"tags">(params.get("tag")),
    categoryId: idFromQuery<"categories">(params.get("category")),
    search: (params.get("q") ?? "").trim().slice(0, MAX_SEARCH) || undefined,
  };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const url = new URL(request.url);
  const cursor = url.searchParams.get("cursor") || null;
  const args = { siteId, ...filtersFrom(url.searchParams), paginationOpts: { numItems: PAGE_SIZE, cursor } };
  const list = async () => {
    try {
      return await loadOrThrow(convex.query(api.posts.list, args));
    } catch (error) {
      // A cursor from an older deployment or a hand-edited URL: start over rather than fail.
      if (!cursor || (error instanceof Response && error.status === 404)) throw error;
      return await loadOrThrow(convex.query(api.posts.list, { ...args, paginationOpts: { numItems: PAGE_SIZE, cursor: null } }));
    }
  };
  const [result, members, tags, categories] = await Promise.all([
    list(),
    loadOrThrow(convex.query(api.members.list, { siteId })),
    loadOrThrow(convex.query(api.tags.list, { siteId, paginationOpts: { numItems: 200, cursor: null } })),
    loadOrThrow(convex.query(api.categories.list, { siteId })),
  ]);
  // Views in a query of their own: a reader's view re-runs it, not the list.
  const views = await loadOrThrow(convex.query(api.posts.viewCounts, { siteId, postIds: result.page.map((p) => p._id) }));
  const options = {
    authors: members.map((m) => ({ value: m.userId as string, label: m.name })),
    tags: tags.page.map((t) => ({ value: t._id as string, label: t.name })),
    categories: categories.map((c) => ({ value: c._id as string, label: c.name })),
  };
  return data({ args, result, options, views }, { headers: privateHeaders(headers) });
}

const FILTERS: Array<{ label: string; status?: PostStatus }> = [
  { label: "All" },
  { label: "Drafts", status: "draft" },
  { label: "Scheduled", status: "scheduled" },
  { label: "Published", status: "published" },
  { label: "Archived", status: "archived" },
];

/** The query string without `drop` and without empty values ("" for none). */
function queryString(params: URLSearchParams | FormData, drop: string[] = []): string {
  const out = new URLSearchParams();
  for (const [key, value] of params.entries()) {
    if (typeof value === "string" && value.trim() && !drop.includes(key)) out.append(key, value.trim());
  }
  const q = out.toString();
  return q ? `?${q}` : "";
}

type Option = { value: string; label: string };

/** A filter select: "all" first, and the current value kept even when it is not among the options. */
function FilterSelect({ id, name, label, all, options, value }: { id: string; name: string; label: string; all: string; options: Option[]; value?: string }) {
  const known = !value || options.some((o) => o.value === value);
  return (
    <div className="st-field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        defaultValue={value ?? ""}
        // With JavaScript a choice applies at once; without, the Filter button sends the form.
        onChange={(e) => e.currentTarget.form?.requestSubmit()}
      >
        <option value="">{all}</option>
        {known ? null : <option value={value}>(not in this publication)</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export default function PostsList() {
  const { args, result: initial, options, views: initialViews } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const navigate = useNavigate();
  const [searchParams] = useSearchParams();
  const { data: result } = useLive(api.posts.list, { ...args, siteId: args.siteId as Id<"sites"> }, initial);
  const { data: views } = useLive(
    api.posts.viewCounts,
    { siteId: args.siteId as Id<"sites">, postIds: result.page.map((p) => p._id) },
    initialViews,
  );
  const viewsOf = new Map(views.map((v) => [v.postId as string, v.views]));
  const base = `/studio/${site._id}`;
  // The rule Convex filters by (posts:list): below editor, one's own posts only.
  const ownOnly = seesOnlyOwnPosts(site.role);
  const narrowed = Boolean(args.authorId || args.tagId || args.categoryId || args.search);
  // The form's key: a new URL (a tab, "Clear", the back button) resets the fields to it.
  const formKey = queryString(searchParams, ["cursor"]);
  const empty = args.paginationOpts.cursor
    ? "No more posts."
    : args.search
      ? `No posts match “${args.search}”${args.status || args.authorId || args.tagId || args.categoryId ? " with these filters" : ""}.`
      : narrowed
        ? "No posts match these filters."
        : args.status
          ? "No posts with this status."
          : "No posts yet. Start one with “New post”.";
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Posts</h1>
        {ownOnly ? <p className="st-muted">You see your own posts.</p> : null}
      </header>
      <nav aria-label="Filter by status" className="st-tabs">
        {FILTERS.map((f) => {
          const current = (args.status ?? undefined) === f.status;
          const rest = new URLSearchParams(queryString(searchParams, ["cursor", "status"]));
          if (f.status) rest.set("status", f.status);
          const to = `${base}${queryString(rest)}`;
          return (
            <Link key={f.label} to={to} aria-current={current ? "page" : undefined} className={current ? "is-current" : undefined}>
              {f.label}
            </Link>
          );
        })}
      </nav>
      <form
        key={formKey}
        method="get"
        action={base}
        role="search"
        aria-label="Search and filter posts"
        className="st-form st-form--inline"
        data-testid="posts-filters"
        onSubmit={(e) => {
          // Without JavaScript the browser sends every field; here empty ones are left out of the URL.
          e.preventDefault();
          navigate(`${base}${queryString(new FormData(e.currentTarget))}`);
        }}
      >
        {args.status ? <input type="hidden" name="status" value={args.status} /> : null}
        <div className="st-field">
          <label htmlFor="posts-search">Search</label>
          <input id="posts-search" type="search" name="q" defaultValue={args.search ?? ""} maxLength={MAX_SEARCH} placeholder="Title or text" />
        </div>
        {ownOnly ? null : (
          <FilterSelect id="posts-author" name="author" label="Author" all="All authors" options={options.authors} value={args.authorId} />
        )}
        <FilterSelect id="posts-tag" name="tag" label="Tag" all="All tags" options={options.tags} value={args.tagId} />
        <FilterSelect id="posts-category" name="category" label="Category" all="All categories" options={options.categories} value={args.categoryId} />
        <div className="st-field st-inline-buttons">
          <button type="submit" className="st-button">
            Filter
          </button>
          {narrowed ? <Link to={`${base}${args.status ? `?status=${args.status}` : ""}`}>Clear filters</Link> : null}
        </div>
      </form>
      {args.search ? (
        <p className="st-muted" data-testid="list-order">
          Best matches first{ownOnly ? "" : "; searches the working draft of every post"}.
        </p>
      ) : args.tagId && !ownOnly ? (
        <p className="st-muted" data-testid="list-order">
          Published posts first, newest first; then the others.
        </p>
      ) : null}
      {result.page.length === 0 ? (
        <EmptyState>
          {result.isDone ? empty : "No matching posts in this stretch of the list; there are more posts to look through."}
        </EmptyState>
      ) : (
        <table className="st-table st-table--cards" data-testid="posts-table">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Author</th>
              <th scope="col">Last change</th>
              <th scope="col" className="st-num">Views</th>
            </tr>
          </thead>
          <tbody>
            {result.page.map((p) => (
              <tr key={p._id} data-testid="post-row">
                <td data-label="Title">
                  <Link to={`${base}/posts/${p._id}`}>{p.title || "Untitled"}</Link>
                  {p.featured ? <span className="st-badge st-badge--featured">Featured</span> : null}
                  {p.hasUnpublishedChanges ? <span className="st-muted"> · unpublished changes</span> : null}
                </td>
                <td data-label="Status">
                  <StatusBadge
                    status={p.status}
                    extra={p.reviewState === "pending" ? "in review" : p.reviewState === "returned" ? "returned" : undefined}
                  />
                  {p.status === "scheduled" && p.scheduledAt ? (
                    <div className="st-muted">
                      <Time ms={p.scheduledAt} />
                    </div>
                  ) : null}
                </td>
                <td data-label="Author">{p.authorName}</td>
                <td data-label="Last change">
                  <Time ms={p.updatedAt} />
                </td>
                <td className="st-num" data-label="Views" data-testid="post-views">
                  {(viewsOf.get(p._id) ?? 0).toLocaleString("en-US")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base={base} params={searchParams} cursor={args.paginationOpts.cursor} nextCursor={result.isDone ? null : result.continueCursor} />
    </main>
  );
}
