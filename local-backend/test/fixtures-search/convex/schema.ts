import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Fixture for local-backend/test/search.test.ts: a posts-like table with a text search index
// filtered by site and status (status is optional, so `.eq("status", undefined)` is meaningful).
export default defineSchema({
  posts: defineTable({
    siteId: v.string(),
    status: v.optional(v.string()),
    title: v.string(),
    body: v.optional(v.string()),
    views: v.optional(v.number()),
  })
    .index("by_siteId", ["siteId"])
    .searchIndex("search_body", { searchField: "body", filterFields: ["siteId", "status"] }),
});
