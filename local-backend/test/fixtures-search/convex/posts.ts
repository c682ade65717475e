import { mutationGeneric as mutation, paginationOptsValidator, queryGeneric as query } from "convex/server";
import { v } from "convex/values";

const filters = {
  text: v.string(),
  siteId: v.optional(v.string()),
  status: v.optional(v.string()),
  /** `.eq("status", undefined)`: documents without a status. */
  statusMissing: v.optional(v.boolean()),
};

function searchPosts(db: any, a: { text: string; siteId?: string; status?: string; statusMissing?: boolean }) {
  return db.query("posts").withSearchIndex("search_body", (q: any) => {
    let b = q.search("body", a.text);
    if (a.siteId !== undefined) b = b.eq("siteId", a.siteId);
    if (a.status !== undefined) b = b.eq("status", a.status);
    if (a.statusMissing) b = b.eq("status", undefined);
    return b;
  });
}

export const insert = mutation({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => await ctx.db.insert("posts", doc),
});

export const insertMany = mutation({
  args: { docs: v.array(v.any()) },
  handler: async (ctx, { docs }) => {
    const ids = [];
    for (const doc of docs) ids.push(await ctx.db.insert("posts", doc));
    return ids;
  },
});

export const patch = mutation({
  args: { id: v.id("posts"), fields: v.any(), unset: v.optional(v.array(v.string())) },
  handler: async (ctx, { id, fields, unset }) => {
    const change: Record<string, unknown> = { ...fields };
    for (const f of unset ?? []) change[f] = undefined;
    await ctx.db.patch(id, change);
  },
});

export const remove = mutation({
  args: { id: v.id("posts") },
  handler: async (ctx, { id }) => await ctx.db.delete(id),
});

/** Titles of the matching posts, in result order. */
export const search = query({
  args: { ...filters, limit: v.optional(v.number()), minViews: v.optional(v.number()) },
  handler: async (ctx, a) => {
    let q = searchPosts(ctx.db, a);
    if (a.minViews !== undefined) q = q.filter((f: any) => f.gte(f.field("views"), a.minViews));
    const docs = a.limit === undefined ? await q.collect() : await q.take(a.limit);
    return docs.map((d: any) => d.title);
  },
});

export const first = query({
  args: filters,
  handler: async (ctx, a) => (await searchPosts(ctx.db, a).first())?.title ?? null,
});

export const page = query({
  args: { ...filters, paginationOpts: paginationOptsValidator },
  handler: async (ctx, a) => {
    const r = await searchPosts(ctx.db, a).paginate(a.paginationOpts);
    return { titles: r.page.map((d: any) => d.title), isDone: r.isDone, continueCursor: r.continueCursor };
  },
});

/** Any search filters, for the validation errors: `filters` is `[["search"|"eq", field, value?]]`. */
export const raw = query({
  args: { index: v.string(), filters: v.array(v.any()) },
  handler: async (ctx, { index, filters: fs }) => {
    const docs = await ctx.db
      .query("posts")
      .withSearchIndex(index as any, (q: any) => {
        let b = q;
        for (const [kind, field, value] of fs) b = kind === "search" ? b.search(field, value) : b.eq(field, value);
        return b;
      })
      .collect();
    return docs.map((d: any) => d.title);
  },
});

/** `withIndex` on the search index (an error in Convex). */
export const withIndexOnSearchIndex = query({
  args: {},
  handler: async (ctx) => await ctx.db.query("posts").withIndex("search_body" as any).collect(),
});

/** Writes, then searches in the same mutation (read-your-own-writes). */
export const writeThenSearch = mutation({
  args: {
    insert: v.optional(v.array(v.any())),
    patch: v.optional(v.array(v.object({ id: v.id("posts"), fields: v.any() }))),
    remove: v.optional(v.array(v.id("posts"))),
    ...filters,
  },
  handler: async (ctx, a) => {
    for (const doc of a.insert ?? []) await ctx.db.insert("posts", doc);
    for (const p of a.patch ?? []) await ctx.db.patch(p.id, p.fields);
    for (const id of a.remove ?? []) await ctx.db.delete(id);
    const docs = await searchPosts(ctx.db, a).collect();
    return docs.map((d: any) => d.title);
  },
});

/** Writes that fail after searching: nothing may stay in the index. */
export const writeSearchThenFail = mutation({
  args: { doc: v.any(), text: v.string() },
  handler: async (ctx, { doc, text }) => {
    await ctx.db.insert("posts", doc);
    const seen = await searchPosts(ctx.db, { text }).collect();
    throw new Error(`rolled back after seeing ${seen.length}`);
  },
});
