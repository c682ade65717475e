import type { ActionFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { FIELDS } from "../../convex/shared/fields";
import { readField } from "../utils/fields.server";
import { attempt, field, idParam, reply, requireStudioAction } from "./studio.server";
import type { TaxonomyKind } from "./taxonomy";

// The studio's tag and category screens' form posts (app/studio/taxonomy.tsx renders both):
// create, rename and delete for either kind, merge for tags, move (reorder) for categories.
// Names and descriptions are checked with the same rules Convex applies (shared/fields.ts).

export type TaxonomyIntent = "create" | "rename" | "delete" | "merge" | "move";

/** Longest slug read from a form: longer ones reach Convex, whose checkSlug answers the field error. */
const SLUG_READ = 200;

const LABEL = { tag: "Tag", category: "Category" } as const;

export async function taxonomyAction(kind: TaxonomyKind, { request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as TaxonomyIntent;
  const idField = kind === "tag" ? "tagId" : "categoryId";
  // Categories show and edit a description; tags' studio form has none.
  const withDescription = kind === "category";
  const fields = withDescription ? ["name", "slug", "description"] : ["name", "slug"];

  /** The name and description as Convex will store them, or the form's field errors (400). */
  const readTerm = () => {
    const name = readField(form, "name", FIELDS.taxonomyName);
    const description = readField(form, "description", FIELDS.taxonomyDescription);
    const errors: Record<string, string> = {};
    if (!name.value) errors.name = "Enter a name.";
    else if (name.error) errors.name = name.error;
    if (withDescription && description.error) errors.description = description.error;
    const slug = field(form, "slug", SLUG_READ) || undefined;
    return { name: name.value, slug, description: description.value, errors };
  };

  switch (intent) {
    case "create": {
      const { name, slug, description, errors } = readTerm();
      if (Object.keys(errors).length) return reply({ intent, errors: { fields: errors } }, headers, 400);
      return attempt(intent, headers, async () => {
        if (kind === "tag") await convex.mutation(api.tags.create, { siteId, name, slug });
        else await convex.mutation(api.categories.create, { siteId, name, slug, description: description || undefined });
        return `${LABEL[kind]} “${name}” created.`;
      }, { fields });
    }
    case "rename": {
      const id = idParam<"tags" | "categories">({ id: field(form, idField) }, "id");
      const { name, slug, description, errors } = readTerm();
      if (Object.keys(errors).length) return reply({ intent, errors: { fields: errors } }, headers, 400);
      return attempt(intent, headers, async () => {
        if (kind === "tag") await convex.mutation(api.tags.rename, { siteId, tagId: id as Id<"tags">, name, slug });
        // An emptied description clears it ("" reaches Convex, which stores none).
        else await convex.mutation(api.categories.rename, { siteId, categoryId: id as Id<"categories">, name, slug, description });
        return "Saved. The old address redirects to the new one.";
      }, { fields });
    }
    case "merge": {
      if (kind !== "tag") break;
      const sourceId = idParam<"tags">({ id: field(form, "tagId") }, "id");
      const target = field(form, "targetId");
      if (!target) return reply({ intent, errors: { fields: { targetId: "Choose the tag to merge into." } } }, headers, 400);
      const targetId = idParam<"tags">({ id: target }, "id");
      return attempt(intent, headers, async () => {
        const r = await convex.mutation(api.tags.merge, { siteId, sourceId, targetId });
        return r.done ? "Merged." : "Merging: the remaining posts move over in the background.";
      }, { fieldMap: { targetId: "targetId" }, fields: ["targetId"] });
    }
    case "move": {
      if (kind !== "category") break;
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
      const id = idParam<"tags" | "categories">({ id: field(form, idField) }, "id");
      return attempt(intent, headers, async () => {
        if (kind === "tag") {
          const r = await convex.mutation(api.tags.remove, { siteId, tagId: id as Id<"tags"> });
          return r.done ? "Tag deleted." : "Deleting: the remaining posts lose the tag in the background.";
        }
        const r = await convex.mutation(api.categories.remove, { siteId, categoryId: id as Id<"categories"> });
        return r.done ? "Category deleted." : "Deleting: the remaining posts leave the category in the background.";
      });
    }
  }
  return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
}
