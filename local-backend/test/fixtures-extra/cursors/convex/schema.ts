import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Fixture for local-backend/test/cursors.test.ts: notes of several owners in one index, so a
// cursor that escaped its range would read another owner's notes.
export default defineSchema({
  notes: defineTable({ owner: v.string(), n: v.number() }).index("by_owner_n", ["owner", "n"]),
});
