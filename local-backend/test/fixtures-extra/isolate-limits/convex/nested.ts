import { makeFunctionReference, mutationGeneric } from "convex/server";

/** A mutation whose nested query loops: the whole run fails and commits nothing. */
export const loopViaChild = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("notes", { text: "parent write" });
    await ctx.runQuery(makeFunctionReference<"query">("stuck:loopInChild"), {});
  },
});
