import { v } from "convex/values";
import { requireInSite } from "./lib/access";
import { internalMutation, siteMutation, siteQuery } from "./lib/functions";
import * as Taxonomy from "./model/taxonomy";

// Studio-facing category functions: thin wrappers over model/taxonomy.ts. Any member lists
// categories; editors and above create, rename, reorder and delete them.

const vCategoryRow = v.object({
  _id: v.id("categories"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  sortOrder: v.number(),
  /** Published posts in the category. */
  postCount: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
});

/** The site's categories in their display order, with post counts. Any member. */
export const list = siteQuery({
  args: {},
  returns: v.array(vCategoryRow),
  handler: async (ctx) => {
    const categories = await Taxonomy.listCategories(ctx, ctx.site._id);
    return categories.map((c) => ({ ...Taxonomy.termRow(c), sortOrder: c.sortOrder }));
  },
});

/** Creates a category at the end of the order; the slug comes from the name unless given. Editors and above. */
export const create = siteMutation({
  args: { name: v.string(), slug: v.optional(v.string()), description: v.optional(v.string()) },
  returns: v.id("categories"),
  handler: async (ctx, args) => Taxonomy.createTerm(ctx, ctx, "category", args),
});

/** Renames a category; the slug follows the name unless given, the old slug redirects. Editors and above. */
export const rename = siteMutation({
  args: {
    categoryId: v.id("categories"),
    name: v.string(),
    slug: v.optional(v.string()),
    description: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { categoryId, ...input }) => {
    await Taxonomy.renameTerm(ctx, ctx, "category", await requireInSite(ctx, "categories", categoryId, ctx.site._id), input);
    return null;
  },
});

/** Puts the listed categories first, in this order (the rest keep theirs, after them). Editors and above. */
export const reorder = siteMutation({
  args: { categoryIds: v.array(v.id("categories")) },
  returns: v.null(),
  handler: async (ctx, { categoryIds }) => {
    await Taxonomy.reorderCategories(ctx, ctx, categoryIds);
    return null;
  },
});

/** Deletes a category; its posts lose it, redirects to it are dropped. Editors and above. */
export const remove = siteMutation({
  args: { categoryId: v.id("categories") },
  returns: v.object({ postsUpdated: v.number(), done: v.boolean() }),
  handler: async (ctx, { categoryId }) =>
    Taxonomy.removeTerm(ctx, ctx, "category", await requireInSite(ctx, "categories", categoryId, ctx.site._id)),
});

/** The next batch of a category deletion. Trusted: scheduled by remove and by itself. */
export const continueRemove = internalMutation({
  args: { categoryId: v.id("categories") },
  returns: v.null(),
  handler: async (ctx, { categoryId }) => {
    const category = await ctx.db.get("categories", categoryId);
    if (category) await Taxonomy.removeStep(ctx, "category", category);
    return null;
  },
});
