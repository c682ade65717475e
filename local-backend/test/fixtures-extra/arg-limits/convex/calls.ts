// Functions for local-backend/test/arg-limits.test.ts: Convex's value limits on arguments and
// return values (arrays 8,192 elements, objects 1,024 fields, nesting 64, 16 MiB).
import { anyApi, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

/** No argument validator (v.any()): only the backend's value limits stand in the way. */
export const record = mutationGeneric({
  handler: async (ctx, args: Record<string, unknown>) => {
    await ctx.db.insert("runs", { size: JSON.stringify(args).length });
    return null;
  },
});

/** A validated array argument. */
export const sum = queryGeneric({
  args: { items: v.array(v.number()) },
  handler: async (_ctx, { items }) => items.reduce((a, b) => a + b, 0),
});

export const runs = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("runs").collect()).length,
});

/** Returns an array of `n` zeros. */
export const array = queryGeneric({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => new Array(n).fill(0),
});

/** Returns an object with `n` fields. */
export const fields = queryGeneric({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i])),
});

/** Returns arrays nested `n` deep. */
export const nested = queryGeneric({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => {
    let value: unknown = 0;
    for (let i = 0; i < n; i++) value = [value];
    return value;
  },
});

/** Returns `n` MiB of text. */
export const mebibytes = queryGeneric({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => Array.from({ length: n }, () => "x".repeat(2 ** 20)),
});

/** Passes its items to `sum` through ctx.runQuery (a nested call gets the same limits). */
export const nestedSum = mutationGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }): Promise<number> => ctx.runQuery(anyApi.calls.sum, { items: new Array(n).fill(1) }),
});
