import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const append = mutationGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert("entries", { text });
  },
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("entries").collect()).map((e) => e.text),
});

/** The variables this instance was given (and one it was not). */
export const env = queryGeneric({
  args: {},
  handler: async () => ({ PREFIX: process.env.PREFIX ?? null, MODE: process.env.MODE ?? null }),
});
