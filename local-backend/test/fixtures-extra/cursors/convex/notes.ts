// Paginated queries for local-backend/test/cursors.test.ts. Each returns the owners and numbers
// of the page's notes, so a test can see whether anything outside the query's range came back.
import { mutationGeneric, paginationOptsValidator, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const seed = mutationGeneric({
  args: { owner: v.string(), count: v.number() },
  handler: async (ctx, { owner, count }) => {
    for (let n = 0; n < count; n++) await ctx.db.insert("notes", { owner, n });
    return null;
  },
});

const pageArgs = {
  owner: v.string(),
  order: v.optional(v.union(v.literal("asc"), v.literal("desc"))),
  paginationOpts: paginationOptsValidator,
};

type Page = { page: Array<{ owner: string; n: number }>; isDone: boolean; continueCursor: string; splitCursor?: string | null };
const project = (r: Page) => ({
  rows: r.page.map((d) => `${d.owner}:${d.n}`),
  isDone: r.isDone,
  continueCursor: r.continueCursor,
  splitCursor: r.splitCursor ?? null,
});

/** One owner's notes (the whole `owner` prefix of the index). */
export const mine = queryGeneric({
  args: pageArgs,
  handler: async (ctx, { owner, order, paginationOpts }) =>
    project(
      await ctx.db
        .query("notes")
        .withIndex("by_owner_n", (q) => q.eq("owner", owner))
        .order(order ?? "asc")
        .paginate(paginationOpts),
    ),
});

/** The same query as `mine`, from another function: its cursors are foreign to `mine`. */
export const mineAgain = queryGeneric({
  args: pageArgs,
  handler: async (ctx, { owner, order, paginationOpts }) =>
    project(
      await ctx.db
        .query("notes")
        .withIndex("by_owner_n", (q) => q.eq("owner", owner))
        .order(order ?? "asc")
        .paginate(paginationOpts),
    ),
});

/** One owner's notes with min <= n < max. */
export const window = queryGeneric({
  args: { ...pageArgs, min: v.number(), max: v.number() },
  handler: async (ctx, { owner, order, min, max, paginationOpts }) =>
    project(
      await ctx.db
        .query("notes")
        // Untyped fixture (no codegen): the range builder is the runtime one.
        .withIndex("by_owner_n", (q: any) => q.eq("owner", owner).gte("n", min).lt("n", max))
        .order(order ?? "asc")
        .paginate(paginationOpts),
    ),
});
