import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// `counters` exists in the `counter` component too, with another shape: each has its own.
export default defineSchema({
  notes: defineTable({ text: v.string() }),
  counters: defineTable({ label: v.string() }),
});
