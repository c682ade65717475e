import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { requireInSite } from "./lib/access";
import { internalMutation, siteMutation, siteQuery } from "./lib/functions";
import * as Taxonomy from "./model/taxonomy";

// Studio-facing tag functions: thin wrappers over model/taxonomy.ts, which states each rule.
// Any member lists tags; authors and above create them; editors and above rename, merge and delete.

const vTagRow = v.object({
  _id: v.id("tags"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  /** Published posts carrying the tag. */
  postCount: v.number(),
  /** The same count under its old name, for studio pages loaded before the rename (deprecated). */
  usageCount: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
});

const vProgress = v.object({
  /** Posts this call updated. */
  postsUpdated: v.number(),
  /** False when the tag had more posts than one transaction handles: the rest runs in the background. */
  done: v.boolean(),
});

/** The site's tags by name, with usage counts. Any member. */
export const list = siteQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vTagRow),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db
      .query("tags")
      .withIndex("by_siteId_and_name", (q) => q.eq("siteId", ctx.site._id))
      .paginate({ ...paginationOpts, numItems: Math.min(paginationOpts.numItems, 200) });
    return {
      ...result,
      page: result.page.map((t) => {
        const row = Taxonomy.termRow(t);
        return { ...row, usageCount: row.postCount };
      }),
    };
  },
});

/** Creates a tag; the slug comes from the name unless given. Authors and above. */
export const create = siteMutation({
  args: { name: v.string(), slug: v.optional(v.string()), description: v.optional(v.string()) },
  returns: v.id("tags"),
  handler: async (ctx, args) => Taxonomy.createTerm(ctx, ctx, "tag", args),
});

/** Renames a tag; the slug follows the name unless given, the old slug redirects. Editors and above. */
export const rename = siteMutation({
  args: { tagId: v.id("tags"), name: v.string(), slug: v.optional(v.string()), description: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { tagId, ...input }) => {
    await Taxonomy.renameTerm(ctx, ctx, "tag", await requireInSite(ctx, "tags", tagId, ctx.site._id), input);
    return null;
  },
});

/**
 * Merges `sourceId` into `targetId` (posts carrying the source carry the target, the source's slug
 * redirects to the target, the source is deleted). Editors and above. Tags on more posts than one
 * transaction handles finish in the background (`done: false`).
 */
export const merge = siteMutation({
  args: { sourceId: v.id("tags"), targetId: v.id("tags") },
  returns: vProgress,
  handler: async (ctx, { sourceId, targetId }) => {
    const source = await requireInSite(ctx, "tags", sourceId, ctx.site._id);
    const target = await requireInSite(ctx, "tags", targetId, ctx.site._id);
    return await Taxonomy.mergeTags(ctx, ctx, source, target);
  },
});

/** Deletes a tag; posts lose it, redirects to it are dropped. Editors and above. */
export const remove = siteMutation({
  args: { tagId: v.id("tags") },
  returns: vProgress,
  handler: async (ctx, { tagId }) =>
    Taxonomy.removeTerm(ctx, ctx, "tag", await requireInSite(ctx, "tags", tagId, ctx.site._id)),
});

/** The next batch of a merge. Trusted: scheduled by merge (authorized there) and by itself. */
export const continueMerge = internalMutation({
  args: { sourceId: v.id("tags"), targetId: v.id("tags") },
  returns: v.null(),
  handler: async (ctx, { sourceId, targetId }) => {
    const source = await ctx.db.get("tags", sourceId);
    const target = await ctx.db.get("tags", targetId);
    // Source gone: finished or deleted meanwhile. Target gone: deleted meanwhile; stop, and the
    // source keeps the posts not yet moved (its counters are exact either way).
    if (!source || !target || source.siteId !== target.siteId) return null;
    await Taxonomy.mergeStep(ctx, source, target);
    return null;
  },
});

/** The next batch of a tag deletion. Trusted: scheduled by remove and by itself. */
export const continueRemove = internalMutation({
  args: { tagId: v.id("tags") },
  returns: v.null(),
  handler: async (ctx, { tagId }) => {
    const tag = await ctx.db.get("tags", tagId);
    if (tag) await Taxonomy.removeStep(ctx, "tag", tag);
    return null;
  },
});
