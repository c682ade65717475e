import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { ConfirmButton, EmptyState, FormMessage, TextField } from "../studio/components";
import { useLive } from "../studio/live";
import { can } from "../../convex/shared/roles";
import { useStudioSite } from "../studio/site";
import { attempt, field, idParam, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/categories: the site's categories in display order, with post counts. Editors and
// above create, rename (the old slug redirects), reorder and delete them.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const categories = await loadOrThrow(convex.query(api.categories.list, { siteId }));
  return data({ siteId, categories }, { headers: privateHeaders(headers) });
}

type Intent = "create" | "rename" | "move" | "delete";

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as Intent;
  switch (intent) {
    case "create": {
      const name = field(form, "name", 200);
      if (!name) return reply({ intent, errors: { fields: { name: "Enter a name." } } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.categories.create, {
          siteId,
          name,
          slug: field(form, "slug", 200) || undefined,
          description: field(form, "description", 1000) || undefined,
        });
        return `Category “${name}” created.`;
      }, { fields: ["name", "slug", "description"] });
    }
    case "rename": {
      const categoryId = idParam<"categories">({ id: field(form, "categoryId") }, "id");
      const name = field(form, "name", 200);
      if (!name) return reply({ intent, errors: { fields: { name: "Enter a name." } } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.categories.rename, {
          siteId,
          categoryId,
          name,
          slug: field(form, "slug", 200) || undefined,
          description: field(form, "description", 1000),
        });
        return "Saved. The old address redirects to the new one.";
      }, { fields: ["name", "slug", "description"] });
    }
    case "move": {
      // The whole order as the page showed it, with one category moved up or down.
      const order = form.getAll("order").map(String);
      const categoryId = field(form, "categoryId");
      const direction = field(form, "direction") === "up" ? -1 : 1;
      const i = order.indexOf(categoryId);
      const j = i + direction;
      if (i < 0 || j < 0 || j >= order.length) return reply({ intent, ok: true }, headers);
      [order[i], order[j]] = [order[j], order[i]];
      return attempt(intent, headers, async () => {
        await convex.mutation(api.categories.reorder, { siteId, categoryIds: order.map((id) => idParam<"categories">({ id }, "id")) });
      });
    }
    case "delete": {
      const categoryId = idParam<"categories">({ id: field(form, "categoryId") }, "id");
      return attempt(intent, headers, async () => {
        const r = await convex.mutation(api.categories.remove, { siteId, categoryId });
        return r.done ? "Category deleted." : "Deleting: the remaining posts leave the category in the background.";
      });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

export default function Categories() {
  const { siteId, categories: initial } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const { data: categories } = useLive(api.categories.list, { siteId: siteId as Id<"sites"> }, initial);
  const manage = can(site.role, "taxonomy.manage");
  const order = categories.map((c) => c._id);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Categories</h1>
      </header>
      {manage ? <CreateCategory /> : <p className="st-muted">Editors and above manage categories.</p>}
      {categories.length === 0 ? (
        <EmptyState>No categories yet.</EmptyState>
      ) : (
        <table className="st-table" data-testid="categories-table">
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Published posts</th>
              {manage ? <th scope="col">Manage</th> : null}
            </tr>
          </thead>
          <tbody>
            {categories.map((c, i) => (
              <tr key={c._id} data-testid="category-row">
                <td>
                  <strong>{c.name}</strong> <span className="st-muted">/{c.slug}</span>
                  {c.description ? <div className="st-muted">{c.description}</div> : null}
                </td>
                <td>{c.postCount}</td>
                {manage ? (
                  <td>
                    <ManageCategory category={c} order={order} first={i === 0} last={i === categories.length - 1} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function CreateCategory() {
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
      <TextField label="New category" name="name" required maxLength={80} error={mine?.errors?.fields?.name} />
      <TextField label="Address (optional)" name="slug" maxLength={96} error={mine?.errors?.fields?.slug} />
      <TextField label="Description (optional)" name="description" maxLength={300} error={mine?.errors?.fields?.description} />
      <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
        Create category
      </button>
    </Form>
  );
}

type CategoryRow = { _id: string; name: string; slug: string; description: string | null };

function ManageCategory({ category, order, first, last }: { category: CategoryRow; order: string[]; first: boolean; last: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const [renaming, setRenaming] = useState(false);
  const result = fetcher.data;
  useEffect(() => {
    if (result?.ok) setRenaming(false);
  }, [result]);
  const hiddenOrder = order.map((id) => <input key={id} type="hidden" name="order" value={id} />);
  return (
    <div className="st-row-actions">
      <FormMessage errors={result?.errors?.form ? result.errors : undefined} notice={result?.notice} />
      {renaming ? (
        <fetcher.Form method="post" className="st-form st-form--inline">
          <input type="hidden" name="intent" value="rename" />
          <input type="hidden" name="categoryId" value={category._id} />
          <TextField label="Name" name="name" id={`rename-${category._id}`} defaultValue={category.name} required error={result?.errors?.fields?.name} />
          <TextField label="Address" name="slug" id={`slug-${category._id}`} defaultValue={category.slug} error={result?.errors?.fields?.slug} />
          <TextField label="Description" name="description" id={`desc-${category._id}`} defaultValue={category.description ?? ""} />
          <button type="submit" className="st-button st-button--primary">
            Save
          </button>
          <button type="button" className="st-button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </fetcher.Form>
      ) : (
        <fetcher.Form method="post" className="st-inline-buttons">
          <input type="hidden" name="categoryId" value={category._id} />
          {hiddenOrder}
          <input type="hidden" name="intent" value="move" />
          <button type="submit" name="direction" value="up" className="st-button" disabled={first} aria-label={`Move ${category.name} up`}>
            ↑
          </button>
          <button type="submit" name="direction" value="down" className="st-button" disabled={last} aria-label={`Move ${category.name} down`}>
            ↓
          </button>
          <button type="button" className="st-button" onClick={() => setRenaming(true)}>
            Rename
          </button>
        </fetcher.Form>
      )}
      {!renaming ? (
        <fetcher.Form method="post" className="st-inline-buttons">
          <input type="hidden" name="categoryId" value={category._id} />
          <ConfirmButton label="Delete" confirmLabel="Delete category" question={`Delete “${category.name}”? Its posts stay, without a category.`} type="submit" name="intent" value="delete" />
        </fetcher.Form>
      ) : null}
    </div>
  );
}
