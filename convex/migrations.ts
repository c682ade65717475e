import type { FunctionReference } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc, TableNames } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { internalMutation } from "./lib/functions";
import { PAGE_HTML_VERSION } from "../app/editor/render";
import { trackPeriodEnd } from "./model/entitlements";
import { bodyKeyFields, pageHtmlFields } from "./model/postProjection";
import * as Posts from "./model/posts";
import { storedPostCount } from "./model/publication";

// Data migrations, internal only. `migrations:runAll` starts every one; run it once after deploying
// a version that adds one (`npx convex run migrations:runAll`; `npm start` runs it on every start).
// Each continues itself in the background, a page at a time, and is safe to run again.

const BATCH = 100;

const vPageArgs = { cursor: v.optional(v.union(v.string(), v.null())) };
const vPageResult = v.object({ scanned: v.number(), changed: v.number(), next: v.union(v.string(), v.null()) });
/** Spelled out (not inferred): the handlers name `internal.migrations`, whose types come from theirs. */
type PageResult = { scanned: number; changed: number; next: string | null };

/**
 * One page of a migration over a table: `change` each row (true when it wrote), then the next page
 * scheduled as `self` with the cursor. Returns what the page did, for tests and `npx convex run`.
 */
async function migratePage<T extends TableNames>(
  ctx: MutationCtx,
  table: T,
  cursor: string | null | undefined,
  numItems: number,
  self: FunctionReference<"mutation", "internal", { cursor?: string | null }>,
  change: (row: Doc<T>) => Promise<boolean>,
): Promise<PageResult> {
  const page = await ctx.db.query(table).paginate({ numItems, cursor: cursor ?? null });
  let changed = 0;
  for (const row of page.page) if (await change(row)) changed++;
  if (!page.isDone) await ctx.scheduler.runAfter(0, self, { cursor: page.continueCursor });
  return { scanned: page.page.length, changed, next: page.isDone ? null : page.continueCursor };
}

/**
 * Recomputes every published post's card excerpt and public search text (Posts.refreshLiveCard).
 * Rows written before paid teasers hold the first 220 characters of a featured post's body; until
 * this runs, the reader projection hides their excerpt and search skips them (hasUnsafeExcerpt).
 */
export const refreshExcerpts = internalMutation({
  args: vPageArgs,
  returns: vPageResult,
  handler: (ctx, { cursor }): Promise<PageResult> => migratePage(ctx, "posts", cursor, BATCH, internal.migrations.refreshExcerpts, (post) => Posts.refreshLiveCard(ctx, post)),
});

/**
 * Subscriptions written before a period's end was a scheduled write have no periodEnded: marks each
 * lapsed one ended and schedules billing:expireSubscription for the others (entitlements.ts). Until
 * this runs, such a row is treated as not ended.
 */
export const trackPeriodEnds = internalMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())) },
  returns: v.null(),
  handler: async (ctx, { cursor }) => {
    const page = await ctx.db.query("subscriptions").paginate({ cursor: cursor ?? null, numItems: BATCH });
    for (const sub of page.page) if (sub.periodEnded === undefined) await trackPeriodEnd(ctx, sub._id, sub);
    if (!page.isDone) await ctx.scheduler.runAfter(0, internal.migrations.trackPeriodEnds, { cursor: page.continueCursor });
    return null;
  },
});

/**
 * Tags counted their published posts in usageCount; the counter is postCount now, as on categories.
 * Moves each tag still holding usageCount (writers move the tags they touch; readers take
 * `postCount ?? usageCount` meanwhile, model/publication.ts storedPostCount).
 */
export const renameTagCounters = internalMutation({
  args: vPageArgs,
  returns: vPageResult,
  handler: (ctx, { cursor }): Promise<PageResult> =>
    migratePage(ctx, "tags", cursor, BATCH, internal.migrations.renameTagCounters, async (tag) => {
      if (tag.usageCount === undefined) return false;
      await ctx.db.patch("tags", tag._id, { postCount: storedPostCount(tag), usageCount: undefined });
      return true;
    }),
});

/** Bodies rendered per page by storePageHtml: a long body takes a few milliseconds to render. */
const HTML_BATCH = 25;

/**
 * Stores the reader page's HTML with every published body that has none of this renderer's version
 * (postProjection.ts pageHtmlFields, issue #18): bodies published before it was stored, and every
 * body again after PAGE_HTML_VERSION is bumped. Until this runs, such a body renders when read.
 * It keys the post by the same version (bodyKeyFields); until then its key is computed when read.
 */
export const storePageHtml = internalMutation({
  args: vPageArgs,
  returns: vPageResult,
  handler: (ctx, { cursor }): Promise<PageResult> =>
    migratePage(ctx, "postBodies", cursor, HTML_BATCH, internal.migrations.storePageHtml, async (body) => {
      if (body.kind !== "published") return false;
      let changed = false;
      const post = await ctx.db.get("posts", body.postId);
      if (post !== null && post.bodyKeyVersion !== PAGE_HTML_VERSION) {
        await ctx.db.patch("posts", post._id, await bodyKeyFields(body.doc));
        changed = true;
      }
      if (body.htmlVersion === PAGE_HTML_VERSION) return changed;
      const fields = pageHtmlFields(body.doc);
      if (fields.html === undefined && body.html === undefined) return changed; // too long to store, and none stored
      await ctx.db.patch("postBodies", body._id, fields);
      return true;
    }),
});

/** Starts every migration above in the background; each finds nothing to do once it has run. */
export const runAll = internalMutation({
  args: {},
  returns: v.array(v.string()),
  handler: async (ctx) => {
    await ctx.scheduler.runAfter(0, internal.migrations.refreshExcerpts, {});
    await ctx.scheduler.runAfter(0, internal.migrations.trackPeriodEnds, {});
    await ctx.scheduler.runAfter(0, internal.migrations.renameTagCounters, {});
    await ctx.scheduler.runAfter(0, internal.migrations.storePageHtml, {});
    return ["refreshExcerpts", "trackPeriodEnds", "renameTagCounters", "storePageHtml"];
  },
});
