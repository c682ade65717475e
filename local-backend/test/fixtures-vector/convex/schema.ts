import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Vector search fixture (local-backend/test/vector.test.ts). `embedding` is 3-dimensional; `kind`
// and `lang` are filter fields; `note` is not. `v.any()` for the vector lets tests store
// vectors of the wrong length or type, which the index must skip.
export default defineSchema({
  docs: defineTable({
    label: v.string(),
    embedding: v.optional(v.any()),
    kind: v.optional(v.union(v.string(), v.null())),
    lang: v.optional(v.string()),
    note: v.optional(v.string()),
  })
    .index("by_label", ["label"])
    .searchIndex("search_label", { searchField: "label" })
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 3, filterFields: ["kind", "lang"] }),
});
