// Transaction and document limits (local-backend/test/runtime.test.ts).
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const insertMany = mutationGeneric({
  args: { table: v.string(), n: v.number() },
  handler: async (ctx, { table, n }) => {
    for (let i = 0; i < n; i++) await ctx.db.insert(table as any, { i });
    return n;
  },
});

export const count = queryGeneric({
  args: { table: v.string(), take: v.optional(v.number()) },
  handler: async (ctx, { table, take }) => {
    const q = ctx.db.query(table as any);
    return (take === undefined ? await q.collect() : await q.take(take)).length;
  },
});

// A filter that matches nothing still scans (and counts) every document.
export const filteredToNothing = queryGeneric({
  args: { table: v.string() },
  handler: async (ctx, { table }) =>
    (await ctx.db.query(table as any).filter((q) => q.eq(q.field("i"), -1)).collect()).length,
});

export const insertBig = mutationGeneric({
  args: { table: v.string(), chars: v.number() },
  handler: async (ctx, { table, chars }) => {
    await ctx.db.insert(table as any, { marker: "small-before" });
    return await ctx.db.insert(table as any, { payload: "x".repeat(chars) });
  },
});
