import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./lib/functions";
import * as Posts from "./model/posts";

// One-off data migrations, internal only. Run on a deployment with
// `npx convex run migrations:refreshExcerpts` (or the local backend's equivalent); each continues
// itself in the background until done and is safe to run again.

const BATCH = 100;

/**
 * Recomputes every published post's card excerpt and public search text (Posts.refreshLiveCard).
 * Rows written before paid teasers hold the first 220 characters of a featured post's body; until
 * this runs, the reader projection hides their excerpt and search skips them (hasUnsafeExcerpt).
 */
export const refreshExcerpts = internalMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())) },
  returns: v.object({ scanned: v.number(), changed: v.number(), next: v.union(v.string(), v.null()) }),
  handler: async (ctx, { cursor }) => {
    const page = await ctx.db.query("posts").paginate({ numItems: BATCH, cursor: cursor ?? null });
    let changed = 0;
    for (const post of page.page) if (await Posts.refreshLiveCard(ctx, post)) changed++;
    if (!page.isDone) await ctx.scheduler.runAfter(0, internal.migrations.refreshExcerpts, { cursor: page.continueCursor });
    return { scanned: page.page.length, changed, next: page.isDone ? null : page.continueCursor };
  },
});
