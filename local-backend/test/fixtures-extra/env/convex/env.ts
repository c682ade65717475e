// Functions for local-backend/test/env-cli.test.ts: what `process.env` looks like inside functions.
import { actionGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const get = queryGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});

export const getInMutation = mutationGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});

export const getInAction = actionGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});

export const greeting = queryGeneric({
  args: {},
  handler: async () => process.env.GREETING ?? null,
});

export const keys = queryGeneric({
  args: {},
  handler: async () => Object.keys(process.env).sort(),
});

export const has = queryGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => name in process.env,
});

// Other ways code reaches the environment: through the `process` object itself.
export const indirect = queryGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => {
    const { env } = process;
    const viaGlobal = (globalThis as any).process?.env?.[name] ?? null;
    return { destructured: env[name] ?? null, viaGlobal };
  },
});

export const insertThing = mutationGeneric({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => await ctx.db.insert("things", doc),
});
