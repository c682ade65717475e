// Fixture schema for local-backend/test/cli-admin.test.ts: every value kind a snapshot export must
// round-trip (float vs int64, bytes, ids referring to another document).
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({
    title: v.string(),
    n: v.number(),
    big: v.int64(),
    raw: v.optional(v.bytes()),
    ref: v.optional(v.id("notes")),
  }),
  tags: defineTable({ name: v.string() }).index("by_name", ["name"]),
});
