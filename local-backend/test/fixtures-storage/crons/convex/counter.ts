// Functions the cron jobs of local-backend/test/crons.test.ts run.
import { internalActionGeneric, internalMutationGeneric, queryGeneric } from "convex/server";
import { anyApi } from "convex/server";
import { v } from "convex/values";

export const bump = internalMutationGeneric({
  args: { by: v.number() },
  handler: async (ctx, { by }) => {
    const row = await ctx.db.query("counters").first();
    if (row) await ctx.db.patch(row._id, { value: row.value + by });
    else await ctx.db.insert("counters", { value: by });
  },
});

export const get = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("counters").first())?.value ?? 0,
});

/** Records entries and exits so the test can see whether two runs ever overlapped. */
export const mark = internalMutationGeneric({
  args: { event: v.string() },
  handler: async (ctx, { event }) => {
    await ctx.db.insert("events", { event, at: Date.now() });
  },
});

export const events = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("events").collect()).map((e) => e.event),
});

export const slow = internalActionGeneric({
  args: { ms: v.number() },
  handler: async (ctx, { ms }) => {
    await ctx.runMutation(anyApi.counter.mark, { event: "start" });
    await new Promise((r) => setTimeout(r, ms));
    await ctx.runMutation(anyApi.counter.mark, { event: "end" });
  },
});
