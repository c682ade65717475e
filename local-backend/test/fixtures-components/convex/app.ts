import {
  actionGeneric,
  createFunctionHandle,
  internalMutationGeneric,
  mutationGeneric,
  queryGeneric,
  type FunctionHandle,
} from "convex/server";
import { v } from "convex/values";
import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { components, internal } from "./_generated/api";

const rateLimiter = new RateLimiter(components.rateLimiter, {
  send: { kind: "fixed window", rate: 2, period: MINUTE },
});

export const addNote = mutationGeneric({
  args: { text: v.string(), fail: v.optional(v.boolean()) },
  handler: async (ctx, { text, fail }) => {
    await ctx.db.insert("notes", { text });
    await ctx.db.insert("counters", { label: text });
    const value: number = await ctx.runMutation(components.counter.lib.increment, { name: text, by: 1 });
    if (fail) throw new Error("app mutation failed after the component's");
    return value;
  },
});

export const count = queryGeneric({
  args: { name: v.string(), component: v.optional(v.string()) },
  handler: async (ctx, { name, component }) =>
    await ctx.runQuery(components[component ?? "counter"].lib.get, { name }),
});

export const appTables = queryGeneric({
  args: {},
  handler: async (ctx) => ({
    notes: (await ctx.db.query("notes").collect()).map((d) => d.text),
    counters: (await ctx.db.query("counters").collect()).map((d) => d.label),
  }),
});

/** Tries to reach a component's document from the app by its ID. */
export const getById = queryGeneric({
  args: { id: v.string() },
  handler: async (ctx, { id }) => ({
    doc: await ctx.db.get(id as any),
    normalized: ctx.db.normalizeId("counters", id),
  }),
});

export const patchById = mutationGeneric({
  args: { id: v.string() },
  handler: async (ctx, { id }) => {
    await ctx.db.patch(id as any, { label: "hijacked" } as any);
  },
});

export const viaAction = actionGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }): Promise<any> => {
    await ctx.runMutation(components.counter.lib.increment, { name, by: 5 });
    const fromQuery = await ctx.runQuery(components.counter.lib.get, { name });
    const fromAction = await ctx.runAction(components.counter.lib.getInAction, { name });
    return { fromQuery, fromAction };
  },
});

export const callInternal = mutationGeneric({
  args: {},
  handler: async (ctx) => await ctx.runMutation(components.counter.lib.secret, {}),
});

export const viaHandle = mutationGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const handle = (await createFunctionHandle(components.counter.lib.increment)) as FunctionHandle<"mutation">;
    const value = await ctx.runMutation(handle, { name, by: 10 });
    return { handle, value };
  },
});

export const scheduleInComponent = mutationGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await ctx.runMutation(components.counter.lib.scheduleIncrement, { name }),
});

export const ledger = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.runQuery(components.counter.lib.ledger, {}),
});

export const send = mutationGeneric({
  args: { key: v.string() },
  handler: async (ctx, { key }) => await rateLimiter.limit(ctx, "send", { key }),
});

export const bump = internalMutationGeneric({
  args: { from: v.string() },
  handler: async (ctx, { from }) => {
    await ctx.db.insert("notes", { text: `bump from ${from}` });
    return "bumped";
  },
});

/** Hands the component a handle to an internal app mutation, which it calls back. */
export const callMeBack = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    const handle = await createFunctionHandle(internal.app.bump);
    return await ctx.runMutation(components.counter.lib.callBack, { handle });
  },
});

export const identities = queryGeneric({
  args: {},
  handler: async (ctx) => ({
    app: (await ctx.auth.getUserIdentity())?.subject ?? null,
    appSeesEnv: process.env.K3_SECRET ?? null,
    component: await ctx.runQuery(components.counter.lib.context, {}),
  }),
});

/** The same query path in two instances of one component, from an action (through the query cache). */
export const bothInAction = actionGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }): Promise<number[]> => [
    await ctx.runQuery(components.counter.lib.get, { name }),
    await ctx.runQuery(components.counter2.lib.get, { name }),
  ],
});

export const componentEnvs = queryGeneric({
  args: {},
  handler: async (ctx) => ({
    counter: await ctx.runQuery(components.counter.lib.envs, {}),
    counter2: await ctx.runQuery(components.counter2.lib.envs, {}),
  }),
});
