import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Fixture for local-backend/test/query-cache.test.ts. The table "scratch" is deliberately not in
// the schema: a query that reads it before it exists must still be invalidated by its first insert.
export default defineSchema({
  notes: defineTable({ owner: v.string(), topic: v.string(), body: v.string() }).index("by_topic", ["topic"]),
  other: defineTable({ x: v.number() }),
});
