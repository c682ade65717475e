"use node";
// A "use node" action (512 MiB isolate class) for the pool's idle rule (isolate-pool.test.ts).
import { actionGeneric } from "convex/server";
import { v } from "convex/values";

export const echo = actionGeneric({ args: { n: v.number() }, handler: async (_ctx, { n }) => n + 1 });

// Ends its run holding `mb` MiB of heap (a module-level array), as an import's dry run did.
const held: number[][][] = [];
export const hold = actionGeneric({
  args: { mb: v.number() },
  handler: async (_ctx, { mb }) => {
    // 1 MiB of doubles per MiB, on V8's heap (a repeated string would be a lazy rope, a typed array off-heap).
    held.push(Array.from({ length: mb }, (_, i) => new Array<number>(2 ** 17).fill(i + 0.5)));
    return held.length;
  },
});
