import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { appError } from "./lib/errors";
import { internalMutation, userMutation, userQuery } from "./lib/functions";
import { vNotificationType } from "./validators";

// The viewer's in-app notifications. Read state is not content, membership or settings, so these
// mutations write no audit entries.

/** Unread notifications counted at most; the badge shows "999+" beyond. */
export const UNREAD_COUNT_CAP = 999;
/** Notifications marked read per transaction by markAllRead. */
const MARK_BATCH = 500;

const vNotification = v.object({
  _id: v.id("notifications"),
  _creationTime: v.number(),
  userId: v.id("users"),
  siteId: v.optional(v.id("sites")),
  type: vNotificationType,
  title: v.string(),
  body: v.optional(v.string()),
  link: v.optional(v.string()),
  read: v.boolean(),
  createdAt: v.number(),
});

/** The viewer's notifications, newest first. */
export const list = userQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vNotification),
  handler: async (ctx, { paginationOpts }) =>
    await ctx.db
      .query("notifications")
      .withIndex("by_userId_and_createdAt", (q) => q.eq("userId", ctx.viewer._id))
      .order("desc")
      .paginate(paginationOpts),
});

/** How many unread notifications the viewer has, capped at UNREAD_COUNT_CAP + 1 (show "999+"). */
export const unreadCount = userQuery({
  args: {},
  returns: v.number(),
  handler: async (ctx) => {
    const rows = await ctx.db
      .query("notifications")
      .withIndex("by_userId_and_read", (q) => q.eq("userId", ctx.viewer._id).eq("read", false))
      .take(UNREAD_COUNT_CAP + 1);
    return rows.length;
  },
});

/** Marks one of the viewer's notifications read. Someone else's id is NOT_FOUND. Idempotent. */
export const markRead = userMutation({
  args: { id: v.id("notifications") },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    const n = await ctx.db.get("notifications", id);
    if (!n || n.userId !== ctx.viewer._id) throw appError("NOT_FOUND");
    if (!n.read) await ctx.db.patch("notifications", n._id, { read: true });
    return null;
  },
});

/** Marks up to `limit` unread notifications created up to `until` read. @returns whether more are left. */
async function markBatch(ctx: MutationCtx, userId: Id<"users">, until: number, limit: number): Promise<boolean> {
  const rows = await ctx.db
    .query("notifications")
    .withIndex("by_userId_and_read", (q) => q.eq("userId", userId).eq("read", false))
    .take(limit);
  for (const n of rows) {
    if (n.createdAt > until) return false; // newer than the request: leave them unread
    await ctx.db.patch("notifications", n._id, { read: true });
  }
  return rows.length === limit;
}

/**
 * Marks every notification the viewer has now as read: one batch here, the rest in scheduled
 * batches (notifications arriving meanwhile stay unread).
 */
export const markAllRead = userMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    const until = Date.now();
    if (await markBatch(ctx, ctx.viewer._id, until, MARK_BATCH)) {
      await ctx.scheduler.runAfter(0, internal.notifications.continueMarkAllRead, { userId: ctx.viewer._id, until });
    }
    return null;
  },
});

/** The next batch of markAllRead. Trusted: scheduled by markAllRead only. */
export const continueMarkAllRead = internalMutation({
  args: { userId: v.id("users"), until: v.number() },
  returns: v.null(),
  handler: async (ctx, { userId, until }) => {
    if (await markBatch(ctx, userId, until, MARK_BATCH)) {
      await ctx.scheduler.runAfter(0, internal.notifications.continueMarkAllRead, { userId, until });
    }
    return null;
  },
});
