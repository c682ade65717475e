import { actionGeneric, internalMutationGeneric, mutationGeneric, queryGeneric, type FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { api, components } from "./_generated/api";

export const increment = mutationGeneric({
  args: { name: v.string(), by: v.number() },
  returns: v.number(),
  handler: async (ctx, { name, by }) => {
    const doc = await ctx.db.query("counters").withIndex("by_name", (q) => q.eq("name", name)).unique();
    const value = (doc?.value ?? 0) + by;
    if (doc) await ctx.db.patch(doc._id, { value });
    else await ctx.db.insert("counters", { name, value });
    await ctx.runMutation(components.ledger.lib.append, { text: `${name}+${by}` });
    return value;
  },
});

export const get = queryGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }) =>
    (await ctx.db.query("counters").withIndex("by_name", (q) => q.eq("name", name)).unique())?.value ?? 0,
});

/** The component's documents, with their ids (so tests can try them from the app). */
export const all = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.query("counters").collect(),
});

/** What the component sees of tables the app also has, and of an app document by ID. */
export const peek = queryGeneric({
  args: { appId: v.string() },
  handler: async (ctx, { appId }) => ({
    notes: await ctx.db.query("notes" as any).collect(),
    doc: await ctx.db.get(appId as any),
  }),
});

export const getInAction = actionGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }): Promise<number> => await ctx.runQuery(api.lib.get, { name }),
});

export const secret = internalMutationGeneric({ args: {}, handler: async () => "secret" });

export const scheduleIncrement = mutationGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await ctx.scheduler.runAfter(0, api.lib.increment, { name, by: 100 }),
});

export const ledger = queryGeneric({
  args: {},
  handler: async (ctx): Promise<string[]> => await ctx.runQuery(components.ledger.lib.list, {}),
});

export const storeText = actionGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const id = await ctx.storage.store(new Blob([text]));
    return { id, text: await (await ctx.storage.get(id))!.text() };
  },
});

/** What a component knows of the caller and the deployment: no identity, only system variables. */
export const context = queryGeneric({
  args: {},
  handler: async (ctx) => ({ identity: await ctx.auth.getUserIdentity(), env: Object.keys(process.env).sort() }),
});

/** Calls back into whoever handed over the handle (the app's internal mutation, in the tests). */
export const callBack = mutationGeneric({
  args: { handle: v.string() },
  handler: async (ctx, { handle }): Promise<string> =>
    await ctx.runMutation(handle as FunctionHandle<"mutation">, { from: "counter" }),
});

/** The variables this instance and its ledger were given. */
export const envs = queryGeneric({
  args: {},
  handler: async (ctx): Promise<any> => ({
    counter: { MODE: process.env.MODE ?? null, K3_MODE: process.env.K3_MODE ?? null },
    ledger: await ctx.runQuery(components.ledger.lib.env, {}),
  }),
});

/** This component's scheduled jobs. */
export const jobs = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.system.query("_scheduled_functions").collect(),
});
