import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

/** The parts of a post that decide the denormalized counters and the tag index. */
export interface PublicationState {
  published: boolean;
  publishedAt: number;
  tagIds: Id<"tags">[];
  categoryId: Id<"categories"> | undefined;
}

export function publicationState(post: Doc<"posts">): PublicationState {
  return {
    published: post.status === "published",
    publishedAt: post.publishedAt ?? 0,
    tagIds: post.tagIds,
    categoryId: post.categoryId,
  };
}

/**
 * A tag's or category's published-post counter. Tags called it usageCount before the rename to
 * postCount: readers take either until migrations:renameTagCounters has moved every tag.
 */
export function storedPostCount(doc: { postCount?: number; usageCount?: number }): number {
  return doc.postCount ?? doc.usageCount ?? 0;
}

// No clamp at 0: a count that would go negative has drifted, and must show as wrong (tests compare
// every counter with a recount) rather than be hidden.
async function bump(ctx: MutationCtx, table: "tags" | "categories", id: Id<"tags"> | Id<"categories">, delta: number) {
  if (delta === 0) return;
  if (table === "tags") {
    const tag = await ctx.db.get("tags", id as Id<"tags">);
    // Writing the new name drops the old one, so every tag written since the rename has one counter.
    if (tag) await ctx.db.patch("tags", tag._id, { postCount: storedPostCount(tag) + delta, usageCount: undefined });
  } else {
    const cat = await ctx.db.get("categories", id as Id<"categories">);
    if (cat) await ctx.db.patch("categories", cat._id, { postCount: storedPostCount(cat) + delta });
  }
}

/**
 * Applies a change of a post's publication state to everything derived from it, in the same
 * transaction: `tags.postCount` and `categories.postCount` count published posts only, and the
 * postTags rows mirror the post's tags, published flag and date (so a tag page is one index range).
 * Every mutation that changes status, tags, category or publishedAt goes through here, which is what
 * keeps the counters exact (a property test checks it).
 */
export async function applyPublicationChange(
  ctx: MutationCtx,
  siteId: Id<"sites">,
  postId: Id<"posts">,
  before: PublicationState | null,
  after: PublicationState | null,
) {
  const tagDelta = new Map<Id<"tags">, number>();
  if (before?.published) for (const t of before.tagIds) tagDelta.set(t, (tagDelta.get(t) ?? 0) - 1);
  if (after?.published) for (const t of after.tagIds) tagDelta.set(t, (tagDelta.get(t) ?? 0) + 1);
  for (const [tagId, d] of tagDelta) await bump(ctx, "tags", tagId, d);

  const catDelta = new Map<Id<"categories">, number>();
  if (before?.published && before.categoryId) catDelta.set(before.categoryId, -1);
  if (after?.published && after.categoryId) catDelta.set(after.categoryId, (catDelta.get(after.categoryId) ?? 0) + 1);
  for (const [catId, d] of catDelta) await bump(ctx, "categories", catId, d);

  const rows = await ctx.db
    .query("postTags")
    .withIndex("by_siteId_and_postId", (q) => q.eq("siteId", siteId).eq("postId", postId))
    .collect();
  const wanted = new Set(after?.tagIds ?? []);
  for (const row of rows) {
    if (!wanted.has(row.tagId)) {
      await ctx.db.delete("postTags", row._id);
      continue;
    }
    wanted.delete(row.tagId);
    if (row.published !== after!.published || row.publishedAt !== after!.publishedAt) {
      await ctx.db.patch("postTags", row._id, { published: after!.published, publishedAt: after!.publishedAt });
    }
  }
  for (const tagId of wanted) {
    await ctx.db.insert("postTags", { siteId, postId, tagId, published: after!.published, publishedAt: after!.publishedAt });
  }
}
