import { v } from "convex/values";
import { query } from "./_generated/server";

const vDirectoryEntry = v.object({ name: v.string(), slug: v.string(), description: v.union(v.string(), v.null()) });

/** The public directory of publications shown on the platform home page, by name. */
export const listDirectory = query({
  args: {},
  returns: v.array(vDirectoryEntry),
  handler: async (ctx) => {
    const sites = await ctx.db.query("sites").take(100);
    return sites
      .map((s) => ({ name: s.name, slug: s.slug, description: s.description ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  },
});
