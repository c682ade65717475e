import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError } from "../lib/errors";
import { MAX_VIEW_BATCH, VIEW_SHARDS } from "../shared/constants";

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
  if (row) await ctx.db.patch("postViewShards", row._id, { count: row.count + views });
  else await ctx.db.insert("postViewShards", { siteId: post.siteId, postId: post._id, shard, count: views });
}

// View tokens: the app server issues a random token for each view it counts (app/reader/views.server.ts)
// and sends it with the view; reader:recordViews is internal, so only the app (with its admin key)
// can send one. A token is counted once: it is recorded here, and a resent batch (a reconnect, a
// restart that replays a mutation, a retry) finds it and counts nothing. Tokens are kept for a
// day, far longer than any resend, and pruned as new views arrive.

/** How long a view token is remembered. */
export const VIEW_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

const VIEW_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/** @throws ConvexError INVALID_ARGUMENT (field "views") for a token that is not 16 to 64 URL-safe characters. */
export function requireViewToken(token: string): void {
  if (!VIEW_TOKEN.test(token)) {
    throw appError("INVALID_ARGUMENT", { field: "views", message: "A view token is 16 to 64 letters, digits, - or _." });
  }
}

/** Records a view token; @returns false when it was counted before (the view is a replay). */
export async function claimViewToken(ctx: MutationCtx, siteId: Id<"sites">, token: string): Promise<boolean> {
  const seen = await ctx.db
    .query("viewTokens")
    .withIndex("by_siteId_and_token", (q) => q.eq("siteId", siteId).eq("token", token))
    .first();
  if (seen) return false;
  await ctx.db.insert("viewTokens", { siteId, token, createdAt: Date.now() });
  return true;
}

/** Deletes some of the site's expired tokens: twice a batch per call, so the table stays bounded. */
export async function pruneViewTokens(ctx: MutationCtx, siteId: Id<"sites">): Promise<void> {
  const expired = await ctx.db
    .query("viewTokens")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", siteId).lt("createdAt", Date.now() - VIEW_TOKEN_TTL_MS))
    .take(2 * MAX_VIEW_BATCH);
  for (const row of expired) await ctx.db.delete("viewTokens", row._id);
}
