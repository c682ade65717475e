import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { requireInSite } from "./lib/access";
import { audit } from "./lib/audit";
import { displayName } from "./lib/auth";
import { appError, cleanField } from "./lib/errors";
import { siteMutation, siteQuery } from "./lib/functions";
import { notify } from "./lib/notify";
import * as Lifecycle from "./model/postLifecycle";
import * as Posts from "./model/posts";
import { FIELDS } from "./shared/fields";
import { can, SITE_ROLES } from "./shared/roles";
import { vStudioPost } from "./validators";

// Editorial review: contributors (who cannot publish) submit their drafts; editors and above see
// the queue and approve (publish now or schedule, as themselves) or return them with a comment.

const postArg = { postId: v.id("posts") };

function postLink(post: Doc<"posts">) {
  return `/studio/${post.siteId}/posts/${post._id}`;
}

/** The site's members who may review (post.review: editors and above), except `exceptUserId`. */
async function reviewers(ctx: MutationCtx, post: Doc<"posts">, exceptUserId: Doc<"users">["_id"]) {
  const out: Doc<"siteMembers">[] = [];
  for (const role of SITE_ROLES.filter((r) => can(r, "post.review"))) {
    const rows = await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_role", (q) => q.eq("siteId", post.siteId).eq("role", role))
      .take(200);
    out.push(...rows.filter((m) => m.userId !== exceptUserId));
  }
  return out;
}

/**
 * The author submits their own draft for review (reviewState "pending"); editors and above are
 * notified. Idempotent while pending.
 * @throws NOT_FOUND (not their post), INVALID_STATE (not a draft, or no title)
 */
export const submitForReview = siteMutation({
  permission: "post.submitForReview",
  args: postArg,
  returns: v.null(),
  handler: async (ctx, { postId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    // Someone else's post looks missing, as in posts.getForEdit for contributors.
    if (post.authorId !== ctx.viewer._id) throw appError("NOT_FOUND");
    if (post.status !== "draft") throw appError("INVALID_STATE", { message: "Only drafts can be submitted for review." });
    if (post.reviewState === "pending") return null;
    const draft = await Posts.getBody(ctx, post, "draft");
    if (!draft?.title.trim()) throw appError("INVALID_STATE", { field: "title", message: "Give the post a title before submitting it." });
    await ctx.db.patch("posts", post._id, { reviewState: "pending", reviewComment: undefined, updatedAt: Date.now() });
    for (const m of await reviewers(ctx, post, ctx.viewer._id)) {
      await notify(ctx, m.userId, {
        type: "review_submitted",
        siteId: post.siteId,
        title: `${displayName(ctx.viewer)} submitted “${draft.title}” for review`,
        link: postLink(post),
      });
    }
    await audit(ctx, {
      siteId: post.siteId,
      actorId: ctx.viewer._id,
      action: "post.submitForReview",
      entityType: "post",
      entityId: post._id,
      before: { reviewState: post.reviewState },
      after: { reviewState: "pending" },
    });
    return null;
  },
});

/** Posts waiting for review, oldest post first (index order within the pending range). Editors and above. */
export const queue = siteQuery({
  permission: "post.review",
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vStudioPost),
  handler: async (ctx, { paginationOpts }) => {
    return await ctx.db
      .query("posts")
      .withIndex("by_siteId_and_reviewState", (q) => q.eq("siteId", ctx.site._id).eq("reviewState", "pending"))
      .paginate(paginationOpts);
  },
});

async function requirePending(ctx: MutationCtx, siteId: Doc<"sites">["_id"], postId: Doc<"posts">["_id"]) {
  const post = await requireInSite(ctx, "posts", postId, siteId);
  if (post.reviewState !== "pending") throw appError("INVALID_STATE", { message: "This post is not waiting for review." });
  return post;
}

/**
 * Approves a pending post: publishes it now, or schedules it for `scheduledAt`, with the editor as
 * the actor. Editors and above.
 */
export const approve = siteMutation({
  permission: "post.review",
  args: { ...postArg, scheduledAt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { postId, scheduledAt }) => {
    const post = await requirePending(ctx, ctx.site._id, postId);
    if (scheduledAt === undefined) {
      await Lifecycle.publish(ctx, ctx, post); // clears reviewState
    } else {
      await Lifecycle.schedule(ctx, ctx, post, scheduledAt);
      await ctx.db.patch("posts", post._id, { reviewState: undefined, reviewComment: undefined });
    }
    await audit(ctx, {
      siteId: post.siteId,
      actorId: ctx.viewer._id,
      action: "post.approve",
      entityType: "post",
      entityId: post._id,
      before: { reviewState: "pending" },
      after: { reviewState: null, scheduledAt: scheduledAt ?? null },
    });
    return null;
  },
});

/** Sends a pending post back to its author with a comment ("review_returned"). Editors and above. */
export const returnWithComment = siteMutation({
  permission: "post.review",
  args: { ...postArg, comment: v.string() },
  returns: v.null(),
  handler: async (ctx, { postId, comment }) => {
    const text = cleanField(FIELDS.reviewComment, comment, "comment");
    const post = await requirePending(ctx, ctx.site._id, postId);
    await ctx.db.patch("posts", post._id, { reviewState: "returned", reviewComment: text, updatedAt: Date.now() });
    if (post.authorId !== ctx.viewer._id) {
      await notify(ctx, post.authorId, {
        type: "review_returned",
        siteId: post.siteId,
        title: `${displayName(ctx.viewer)} returned “${post.title || "Untitled"}” with a comment`,
        link: postLink(post),
      });
    }
    await audit(ctx, {
      siteId: post.siteId,
      actorId: ctx.viewer._id,
      action: "post.returnFromReview",
      entityType: "post",
      entityId: post._id,
      // The comment itself stays on the post; the log records that there is one.
      before: { reviewState: "pending" },
      after: { reviewState: "returned", commentLength: text.length },
    });
    return null;
  },
});
