// Determinism inside functions (local-backend/test/runtime.test.ts): Date and Math.random.
import { actionGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

/** Burns CPU for a while without reading any clock (performance.now is frozen in Convex queries). */
function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(i) % 7;
  return x;
}

function readClock(iterations: number) {
  const first = Date.now();
  const burned = spin(iterations);
  const second = Date.now();
  const constructed = new Date().getTime();
  const called = Date();
  return { first, second, constructed, called, frozenString: new Date(first).toString(), burned: burned > 0 };
}

export const inQuery = queryGeneric({
  args: { iterations: v.number() },
  handler: async (_ctx, { iterations }) => readClock(iterations),
});

export const inMutation = mutationGeneric({
  args: { iterations: v.number() },
  handler: async (_ctx, { iterations }) => readClock(iterations),
});

export const inAction = actionGeneric({
  args: { iterations: v.number() },
  handler: async (_ctx, { iterations }) => readClock(iterations),
});

// Date.now() across an await inside a mutation (a db read) stays frozen too.
export const acrossAwait = mutationGeneric({
  args: { iterations: v.number() },
  handler: async (ctx, { iterations }) => {
    const first = Date.now();
    spin(iterations);
    await ctx.db.query("clockNotes").first();
    spin(iterations);
    return { first, second: Date.now() };
  },
});

const draws = () => Array.from({ length: 8 }, () => Math.random());

export const randomQuery = queryGeneric({ args: {}, handler: async () => draws() });
export const randomMutation = mutationGeneric({ args: {}, handler: async () => draws() });
export const randomAction = actionGeneric({ args: {}, handler: async () => draws() });
