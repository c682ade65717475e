import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { VIEW_SHARDS } from "../shared/constants";

// View counts are sharded (ADR 004): a view increments one of VIEW_SHARDS counter documents picked
// at random, so concurrent views rarely touch the same document, and the count is their exact sum.

export async function viewCount(ctx: QueryCtx, post: Doc<"posts">): Promise<number> {
  const shards = await ctx.db
    .query("postViewShards")
    .withIndex("by_siteId_and_postId_and_shard", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
    .take(VIEW_SHARDS);
  return shards.reduce((n, s) => n + s.count, 0);
}

export async function recordView(ctx: MutationCtx, post: Doc<"posts">, views = 1): Promise<void> {
  const shard = Math.floor(Math.random() * VIEW_SHARDS);
  const row = await ctx.db
    .query("postViewShards")
    .withIndex("by_siteId_and_postId_and_shard", (q) =>
      q.eq("siteId", post.siteId).eq("postId", post._id).eq("shard", shard),
    )
    .unique();
  if (row) await ctx.db.patch(row._id, { count: row.count + views });
  else await ctx.db.insert("postViewShards", { siteId: post.siteId, postId: post._id, shard, count: views });
}
