import { actionGeneric, makeFunctionReference, mutationGeneric } from "convex/server";
import { v } from "convex/values";

/** A mutation whose nested query loops: the whole run fails and commits nothing. */
export const loopViaChild = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("notes", { text: "parent write" });
    await ctx.runQuery(makeFunctionReference<"query">("stuck:loopInChild"), {});
  },
});

/** Holds its worker while its own ctx.runAction runs: at the pool's cap this must not deadlock. */
export const actionViaAction = actionGeneric({
  args: { ms: v.number() },
  handler: async (ctx, { ms }): Promise<string> => {
    await new Promise((r) => setTimeout(r, ms));
    return await ctx.runAction(makeFunctionReference<"action", { ms: number }, string>("stuck:sleepAction"), { ms });
  },
});
