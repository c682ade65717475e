// Query streams in an isolate worker (local-backend/test/isolate-query-streams.test.ts): first(),
// take(n), unique() and a loop left early, over one index range.
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const add = mutationGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }) => ctx.db.insert("items", { n }),
});

export const firstFrom = queryGeneric({
  args: { min: v.number() },
  handler: async (ctx, { min }) => (await ctx.db.query("items").withIndex("by_n", (q) => q.gte("n", min)).first())?.n ?? null,
});

export const takeFrom = queryGeneric({
  args: { min: v.number(), k: v.number() },
  handler: async (ctx, { min, k }) => (await ctx.db.query("items").withIndex("by_n", (q) => q.gte("n", min)).take(k)).map((d) => d.n),
});

export const uniqueAt = queryGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }) => (await ctx.db.query("items").withIndex("by_n", (q) => q.eq("n", n)).unique())?.n ?? null,
});

/** Reads until the first item of at least `stop`, then leaves the loop (its cleanup comes early). */
export const scanUntil = queryGeneric({
  args: { stop: v.number() },
  handler: async (ctx, { stop }) => {
    const seen: number[] = [];
    for await (const d of ctx.db.query("items").withIndex("by_n")) {
      seen.push(d.n);
      if (d.n >= stop) break;
    }
    // A second query after the first one's cleanup: its answers are its own.
    const again = await ctx.db.query("items").withIndex("by_n").first();
    return { seen, again: again?.n ?? null };
  },
});

/** A query on an index that does not exist, caught; then one that does: each gets its own answer. */
export const badThenGood = queryGeneric({
  args: {},
  handler: async (ctx) => {
    let error = "";
    try {
      await ctx.db
        .query("items")
        .withIndex("no_such_index" as "by_n")
        .first();
    } catch (e) {
      error = (e as Error).message;
    }
    const good = await ctx.db.query("items").withIndex("by_n").first();
    return { error, good: good?.n ?? null };
  },
});
