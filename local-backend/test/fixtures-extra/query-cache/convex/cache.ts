import { mutationGeneric as mutation, queryGeneric as query } from "convex/server";
import { v } from "convex/values";

// Queries for local-backend/test/query-cache.test.ts. Each one counts its executions in a
// process-wide counter the test reads, so the test sees whether a call ran or came from the cache.
function ran(name: string) {
  const g = globalThis as { __queryCacheRuns?: Record<string, number> };
  g.__queryCacheRuns ??= {};
  g.__queryCacheRuns[name] = (g.__queryCacheRuns[name] ?? 0) + 1;
}

export const byTopic = query({
  args: { topic: v.string() },
  handler: async (ctx, { topic }) => {
    ran("byTopic");
    const rows = await ctx.db
      .query("notes")
      .withIndex("by_topic", (q) => q.eq("topic", topic))
      .collect();
    return rows.map((r) => r.body);
  },
});

/** byTopic's rows with an int64 count and a log line: its HTTP answer differs by format and carries logLines. */
export const counted = query({
  args: { topic: v.string() },
  handler: async (ctx, { topic }) => {
    ran("counted");
    const rows = await ctx.db
      .query("notes")
      .withIndex("by_topic", (q) => q.eq("topic", topic))
      .collect();
    console.log(`counted ${rows.length}`);
    return { count: BigInt(rows.length), bodies: rows.map((r) => r.body) };
  },
});

export const mine = query({
  args: {},
  handler: async (ctx) => {
    ran("mine");
    const identity = await ctx.auth.getUserIdentity();
    if (!identity) return null;
    const rows = await ctx.db.query("notes").collect();
    return { subject: identity.subject, bodies: rows.filter((r) => r.owner === identity.subject).map((r) => r.body) };
  },
});

/** Date.now() twice, with real time passing in between: both reads see the run's frozen time. */
export const now = query({
  args: {},
  handler: async (ctx) => {
    ran("now");
    const first = Date.now();
    const until = performance.timeOrigin + performance.now() + 15;
    while (performance.timeOrigin + performance.now() < until) {
      // spin: real time passes, the frozen time does not
    }
    await ctx.db.query("other").first();
    return { first, second: Date.now(), date: new Date().getTime() };
  },
});

export const random = query({
  args: {},
  handler: async (ctx) => {
    ran("random");
    await ctx.db.query("other").first();
    return Math.random();
  },
});

export const fails = query({
  args: {},
  handler: async (ctx) => {
    ran("fails");
    await ctx.db.query("other").first();
    throw new Error("always fails");
  },
});

export const scratch = query({
  args: {},
  handler: async (ctx) => {
    ran("scratch");
    return (await ctx.db.query("scratch" as any).collect()).length;
  },
});

export const envVar = query({
  args: {},
  handler: async (ctx) => {
    ran("envVar");
    await ctx.db.query("other").first();
    return process.env.QUERY_CACHE_FIXTURE ?? null;
  },
});

export const addNote = mutation({
  args: { owner: v.string(), topic: v.string(), body: v.string() },
  handler: async (ctx, args) => ctx.db.insert("notes", args),
});

export const addOther = mutation({
  args: { x: v.number() },
  handler: async (ctx, args) => ctx.db.insert("other", args),
});

export const addScratch = mutation({
  args: {},
  handler: async (ctx) => ctx.db.insert("scratch" as any, { at: 1 }),
});
