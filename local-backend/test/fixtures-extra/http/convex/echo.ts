// Echo functions for local-backend/test/http-api.test.ts: every Convex value type must survive
// the trip client -> args -> handler -> return value -> client unchanged, for each function kind.
import { actionGeneric, internalQueryGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { ConvexError, v } from "convex/values";

export const query = queryGeneric({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => value,
});

export const mutation = mutationGeneric({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => value,
});

export const action = actionGeneric({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => value,
});

export const hidden = internalQueryGeneric({
  args: {},
  handler: async () => "internal only",
});

// Reports the JS type of each argument as the handler sees it.
export const types = queryGeneric({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => {
    const describe = (x: unknown): unknown => {
      if (typeof x === "bigint") return "bigint";
      if (x instanceof ArrayBuffer) return `ArrayBuffer(${x.byteLength})`;
      if (typeof x === "number") return Object.is(x, -0) ? "-0" : Number.isNaN(x) ? "NaN" : `number(${x})`;
      if (Array.isArray(x)) return x.map(describe);
      if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, describe(y)]));
      return x === null ? "null" : typeof x;
    };
    return describe(value);
  },
});

export const logs = queryGeneric({
  args: {},
  handler: async () => {
    console.log("hello");
    console.info("info", 1, { a: true });
    console.warn("careful");
    console.error("bad thing");
    return "logged";
  },
});

export const logsThenThrows = mutationGeneric({
  args: {},
  handler: async () => {
    console.log("before failure");
    throw new Error("failed after logging");
  },
});

export const actionThrowsPlain = actionGeneric({
  args: {},
  handler: async () => {
    throw new Error("action plain failure 456");
  },
});

export const queryThrowsConvexError = queryGeneric({
  args: {},
  handler: async () => {
    throw new ConvexError({ code: "NOPE", big: 9007199254740993n, bytes: new Uint8Array([1, 2]).buffer });
  },
});
