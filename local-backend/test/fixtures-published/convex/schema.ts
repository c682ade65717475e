import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // workpool: one row per attempt of a job, and one per onComplete call.
  attempts: defineTable({ job: v.string() }).index("by_job", ["job"]),
  completions: defineTable({ job: v.string(), kind: v.string(), value: v.optional(v.any()) }),
  // migrations: `doubled` is filled in by the migration; `batch` is the commit ts of the batch's
  // transaction, so the test can count the batches.
  items: defineTable({ n: v.number(), doubled: v.optional(v.number()), batch: v.optional(v.commitTs()) }),
  // aggregate: kept in step by its trigger.
  scores: defineTable({ player: v.string(), score: v.number() }),
});
