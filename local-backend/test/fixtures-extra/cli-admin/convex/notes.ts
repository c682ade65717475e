// Functions for local-backend/test/cli-admin.test.ts (the official CLI's admin commands).
import { actionGeneric, internalMutationGeneric, makeFunctionReference, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

const fields = {
  title: v.string(),
  n: v.number(),
  big: v.int64(),
  raw: v.optional(v.bytes()),
  ref: v.optional(v.id("notes")),
};

export const add = mutationGeneric({
  args: fields,
  handler: async (ctx, args) => {
    console.log("added", args.title);
    return await ctx.db.insert("notes", args);
  },
});

// Schedules `add` (by name, as the generated `internal`/`api` references would): its log lines
// must reach `npx convex logs` like a direct call's.
export const addLater = mutationGeneric({
  args: fields,
  handler: async (ctx, args) => {
    await ctx.scheduler.runAfter(0, makeFunctionReference<"mutation">("notes:add"), args);
  },
});

export const addInternal = internalMutationGeneric({
  args: fields,
  handler: async (ctx, args) => await ctx.db.insert("notes", args),
});

export const retitle = mutationGeneric({
  args: { id: v.id("notes"), title: v.string() },
  handler: async (ctx, { id, title }) => await ctx.db.patch(id, { title }),
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.query("notes").collect(),
});

export const tags = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.query("tags").collect(),
});

export const clear = internalMutationGeneric({
  args: {},
  handler: async (ctx) => {
    for (const d of await ctx.db.query("notes").collect()) await ctx.db.delete(d._id);
    for (const d of await ctx.db.query("tags").collect()) await ctx.db.delete(d._id);
    for (const f of await ctx.db.system.query("_storage").collect()) await ctx.storage.delete(f._id);
  },
});

export const storeText = actionGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => await ctx.storage.store(new Blob([text], { type: "text/plain" })),
});

export const readText = actionGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => (await (await ctx.storage.get(id))?.text()) ?? null,
});

export const files = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.system.query("_storage").collect(),
});

export const processEnv = queryGeneric({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});
