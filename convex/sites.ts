import { ConvexError, v } from "convex/values";
import { internalMutation, query } from "./_generated/server";

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

/**
 * Creates a publication. Trusted: callers (seeding, admin tooling) must have authorized it; the
 * public, role-checked creation flow arrives with the content domain (#4).
 */
export const create = internalMutation({
  args: { name: v.string(), slug: v.string(), description: v.optional(v.string()) },
  returns: v.id("sites"),
  handler: async (ctx, { name, slug, description }) => {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(slug)) {
      throw new ConvexError({ code: "INVALID_SLUG", field: "slug" });
    }
    const taken = await ctx.db
      .query("sites")
      .withIndex("by_slug", (q) => q.eq("slug", slug))
      .unique();
    if (taken) throw new ConvexError({ code: "SLUG_TAKEN", field: "slug" });
    const now = Date.now();
    return await ctx.db.insert("sites", { name, slug, description, createdAt: now, updatedAt: now });
  },
});
