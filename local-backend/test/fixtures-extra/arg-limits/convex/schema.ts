import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Fixture for local-backend/test/arg-limits.test.ts: every run of `calls:record` leaves a row, so a
// test can tell whether an oversized call ran at all.
export default defineSchema({
  runs: defineTable({ size: v.number() }),
});
