// Functions that break Convex's limits (local-backend/test/isolate-limits.test.ts).
import { actionGeneric, internalQueryGeneric, makeFunctionReference, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

/** A synchronous infinite loop: only terminating the isolate stops it. */
function forever(): never {
  for (;;) {
    // Nothing here yields to the event loop.
  }
}

export const loopQuery = queryGeneric({ args: {}, handler: async () => forever() });

export const loopMutation = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("notes", { text: "written before the loop" });
    forever();
  },
});

/** Keeps every chunk reachable until the heap is past its limit. */
export const hogMemory = queryGeneric({
  args: { mb: v.number() },
  handler: async (_ctx, { mb }) => {
    const kept: number[][] = [];
    for (let i = 0; i < mb; i++) kept.push(new Array<number>(2 ** 17).fill(i + 0.5));
    return kept.length;
  },
});

export const ping = queryGeneric({ args: { n: v.number() }, handler: async (_ctx, { n }) => n + 1 });

export const countNotes = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("notes").collect()).length });

export const addNote = mutationGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => ctx.db.insert("notes", { text }),
});

/**
 * Reads one document at a time, many times: the backend's time answering these syscalls is not
 * user time (Convex pauses its clock during syscalls), the worker's own is.
 */
export const manyReads = queryGeneric({
  args: { rounds: v.number() },
  handler: async (ctx, { rounds }) => {
    let seen = 0;
    for (let i = 0; i < rounds; i++) seen += (await ctx.db.query("notes").take(50)).length;
    return seen;
  },
});

export const loopInChild = internalQueryGeneric({ args: {}, handler: async () => forever() });

export const sleepAction = actionGeneric({
  args: { ms: v.number() },
  handler: async (_ctx, { ms }) => {
    await new Promise((r) => setTimeout(r, ms));
    return "woke";
  },
});

export const loopAction = actionGeneric({ args: {}, handler: async () => forever() });

/** Holds its worker while it waits, then needs a query: many at once must not starve the queries. */
export const queryAfterSleep = actionGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }): Promise<number> => {
    await new Promise((r) => setTimeout(r, 200));
    return await ctx.runQuery(makeFunctionReference<"query", { n: number }, number>("stuck:ping"), { n });
  },
});

/** Schedules `n` sleepActions for the same moment (isolate-pool.test.ts: the scheduler starts them in one turn). */
export const scheduleSleeps = mutationGeneric({
  args: { n: v.number(), ms: v.number() },
  handler: async (ctx, { n, ms }) => {
    for (let i = 0; i < n; i++) await ctx.scheduler.runAfter(0, makeFunctionReference<"action">("stuck:sleepAction"), { ms });
  },
});
