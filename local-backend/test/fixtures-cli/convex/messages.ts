import { v } from "convex/values";
// The generic builders keep this fixture typecheckable without a committed _generated/ (the CLI
// writes one into the test's copy).
import { internalQueryGeneric as internalQuery, mutationGeneric as mutation, queryGeneric as query } from "convex/server";

export const list = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("messages").collect()).map((m) => `${m.author}: ${m.body}`),
});

export const send = mutation({
  args: { body: v.string(), author: v.string() },
  handler: async (ctx, args) => {
    await ctx.db.insert("messages", args);
  },
});

export const byAuthor = internalQuery({
  args: { author: v.string() },
  handler: async (ctx, { author }) =>
    (await ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", author)).collect()).length,
});

/** Reads the function environment, which must be the deployment's, not the CLI's or the host's. */
export const env = query({ args: {}, handler: async () => process.env.GREETING ?? null });
