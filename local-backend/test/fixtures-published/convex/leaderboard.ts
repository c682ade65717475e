// @convex-dev/aggregate: a TableAggregate over `scores` kept in step by its trigger
// (convex-helpers Triggers wrapping ctx.db), as the aggregate README shows.
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { TableAggregate } from "@convex-dev/aggregate";
import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { Triggers } from "convex-helpers/server/triggers";
import { components } from "./_generated/api";

const byScore = new TableAggregate<{ Key: number; DataModel: any; TableName: "scores" }>(components.aggregate, {
  sortKey: (doc) => doc.score,
  sumValue: (doc) => doc.score,
});

const triggers = new Triggers<any>();
triggers.register("scores", byScore.trigger());
const mutation = customMutation(mutationGeneric, customCtx(triggers.wrapDB));

export const add = mutation({
  args: { player: v.string(), score: v.number() },
  handler: async (ctx, args) => await ctx.db.insert("scores", args),
});

export const remove = mutation({
  args: { id: v.id("scores") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
  },
});

export const setScore = mutation({
  args: { id: v.id("scores"), score: v.number() },
  handler: async (ctx, { id, score }) => {
    await ctx.db.patch(id, { score });
  },
});

export const stats = queryGeneric({
  args: { score: v.number() },
  handler: async (ctx, { score }) => ({
    count: await byScore.count(ctx),
    sum: await byScore.sum(ctx),
    rankOf: await byScore.indexOf(ctx, score),
    top: (await byScore.max(ctx))?.key ?? null,
    below10: await byScore.count(ctx, { bounds: { upper: { key: 10, inclusive: false } } }),
  }),
});
