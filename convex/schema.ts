import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The foundation schema: publications only. The content-domain issue (#4) grows it into the
// full Solo Kit model (users, posts, tags, billing, audit) with siteId on every tenant table.
export default defineSchema({
  sites: defineTable({
    name: v.string(),
    slug: v.string(),
    description: v.optional(v.string()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_slug", ["slug"]),
});
