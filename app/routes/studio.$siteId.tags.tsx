import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { ConfirmButton, EmptyState, FormMessage, Pager, SelectField, TextField } from "../studio/components";
import { useLive } from "../studio/live";
import { can } from "../../convex/shared/roles";
import { useStudioSite } from "../studio/site";
import { attempt, field, idParam, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/tags: the site's tags with usage counts. Authors and above create tags; editors
// and above rename (the old slug redirects), merge and delete them (docs/roles.md).

const PAGE_SIZE = 100;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor") || null;
  const args = { siteId, paginationOpts: { numItems: PAGE_SIZE, cursor } };
  const result = await loadOrThrow(convex.query(api.tags.list, args));
  return data({ args, result }, { headers: privateHeaders(headers) });
}

type Intent = "create" | "rename" | "merge" | "delete";

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as Intent;
  switch (intent) {
    case "create": {
      const name = field(form, "name", 200);
      if (!name) return reply({ intent, errors: { fields: { name: "Enter a name." } } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.tags.create, { siteId, name, slug: field(form, "slug", 200) || undefined });
        return `Tag “${name}” created.`;
      }, { fields: ["name", "slug"] });
    }
    case "rename": {
      const tagId = idParam<"tags">({ id: field(form, "tagId") }, "id");
      const name = field(form, "name", 200);
      if (!name) return reply({ intent, errors: { fields: { name: "Enter a name." } } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.tags.rename, { siteId, tagId, name, slug: field(form, "slug", 200) || undefined });
        return "Saved. The old address redirects to the new one.";
      }, { fields: ["name", "slug"] });
    }
    case "merge": {
      const sourceId = idParam<"tags">({ id: field(form, "tagId") }, "id");
      const target = field(form, "targetId");
      if (!target) return reply({ intent, errors: { fields: { targetId: "Choose the tag to merge into." } } }, headers, 400);
      const targetId = idParam<"tags">({ id: target }, "id");
      return attempt(intent, headers, async () => {
        const r = await convex.mutation(api.tags.merge, { siteId, sourceId, targetId });
        return r.done ? "Merged." : "Merging: the remaining posts move over in the background.";
      }, { fieldMap: { targetId: "targetId" }, fields: ["targetId"] });
    }
    case "delete": {
      const tagId = idParam<"tags">({ id: field(form, "tagId") }, "id");
      return attempt(intent, headers, async () => {
        const r = await convex.mutation(api.tags.remove, { siteId, tagId });
        return r.done ? "Tag deleted." : "Deleting: the remaining posts lose the tag in the background.";
      });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

export default function Tags() {
  const { args, result: initial } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const [searchParams] = useSearchParams();
  const { data: result } = useLive(api.tags.list, { ...args, siteId: args.siteId as Id<"sites"> }, initial);
  const base = `/studio/${site._id}/tags`;
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Tags</h1>
      </header>
      {can(site.role, "tag.create") ? <CreateTag /> : <p className="st-muted">Authors and above create tags.</p>}
      {result.page.length === 0 ? (
        <EmptyState>No tags yet.</EmptyState>
      ) : (
        <table className="st-table" data-testid="tags-table">
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">Published posts</th>
              {can(site.role, "taxonomy.manage") ? <th scope="col">Manage</th> : null}
            </tr>
          </thead>
          <tbody>
            {result.page.map((t) => (
              <tr key={t._id} data-testid="tag-row">
                <td>
                  <strong>{t.name}</strong> <span className="st-muted">/{t.slug}</span>
                </td>
                <td>{t.usageCount}</td>
                {can(site.role, "taxonomy.manage") ? (
                  <td>
                    <ManageTag tag={t} others={result.page.filter((o) => o._id !== t._id)} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base={base} params={searchParams} cursor={args.paginationOpts.cursor} nextCursor={result.isDone ? null : result.continueCursor} />
    </main>
  );
}

function CreateTag() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "create" ? result : undefined;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <Form method="post" className="st-form st-form--inline st-card" ref={formRef}>
      <input type="hidden" name="intent" value="create" />
      <FormMessage errors={mine?.errors} notice={mine?.notice} />
      <TextField label="New tag" name="name" required maxLength={80} error={mine?.errors?.fields?.name} />
      <TextField label="Address (optional)" name="slug" maxLength={96} error={mine?.errors?.fields?.slug} />
      <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
        Create tag
      </button>
    </Form>
  );
}

type TagRow = { _id: string; name: string; slug: string };

function ManageTag({ tag, others }: { tag: TagRow; others: TagRow[] }) {
  const fetcher = useFetcher<typeof action>();
  const [mode, setMode] = useState<"idle" | "rename" | "merge">("idle");
  const result = fetcher.data;
  useEffect(() => {
    if (result?.ok) setMode("idle");
  }, [result]);
  return (
    <div className="st-row-actions">
      <FormMessage errors={result?.errors?.form ? result.errors : undefined} notice={result?.notice} />
      {mode === "rename" ? (
        <fetcher.Form method="post" className="st-form st-form--inline">
          <input type="hidden" name="intent" value="rename" />
          <input type="hidden" name="tagId" value={tag._id} />
          <TextField label="Name" name="name" id={`rename-${tag._id}`} defaultValue={tag.name} required error={result?.errors?.fields?.name} />
          <TextField label="Address" name="slug" id={`slug-${tag._id}`} defaultValue={tag.slug} error={result?.errors?.fields?.slug} />
          <button type="submit" className="st-button st-button--primary">
            Save
          </button>
          <button type="button" className="st-button" onClick={() => setMode("idle")}>
            Cancel
          </button>
        </fetcher.Form>
      ) : mode === "merge" ? (
        <fetcher.Form method="post" className="st-form st-form--inline">
          <input type="hidden" name="intent" value="merge" />
          <input type="hidden" name="tagId" value={tag._id} />
          <SelectField label={`Merge “${tag.name}” into`} name="targetId" id={`merge-${tag._id}`} error={result?.errors?.fields?.targetId} defaultValue="">
            <option value="" disabled>
              Choose a tag
            </option>
            {others.map((o) => (
              <option key={o._id} value={o._id}>
                {o.name}
              </option>
            ))}
          </SelectField>
          <button type="submit" className="st-button st-button--primary">
            Merge
          </button>
          <button type="button" className="st-button" onClick={() => setMode("idle")}>
            Cancel
          </button>
        </fetcher.Form>
      ) : (
        <fetcher.Form method="post" className="st-inline-buttons">
          <input type="hidden" name="tagId" value={tag._id} />
          <button type="button" className="st-button" onClick={() => setMode("rename")}>
            Rename
          </button>
          {others.length ? (
            <button type="button" className="st-button" onClick={() => setMode("merge")}>
              Merge…
            </button>
          ) : null}
          <ConfirmButton label="Delete" confirmLabel="Delete tag" question={`Delete “${tag.name}”? Posts lose it.`} type="submit" name="intent" value="delete" />
        </fetcher.Form>
      )}
    </div>
  );
}
