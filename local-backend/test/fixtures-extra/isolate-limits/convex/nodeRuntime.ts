"use node";
// A "use node" action (512 MiB isolate class) for the pool's idle rule (isolate-pool.test.ts).
import { actionGeneric } from "convex/server";
import { v } from "convex/values";

export const echo = actionGeneric({ args: { n: v.number() }, handler: async (_ctx, { n }) => n + 1 });
