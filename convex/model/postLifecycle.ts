import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { actingMembership, canPublishPost, requirePostPublishable } from "../lib/access";
import { appError } from "../lib/errors";
import { notify } from "../lib/notify";
import { readingTimeMinutes } from "./content";
import { type Actor, addRevision, auditPost, draftListFields, getBody, liveCardFields, requireDraft } from "./posts";
import { bodyKeyFields, pageHtmlFields } from "./postProjection";
import { applyPublicationChange, publicationState } from "./publication";
import { toUserError } from "../shared/errors";
import { can } from "../shared/roles";
import { startSend } from "./sends";

// A post's lifecycle: publish (or update), unpublish, archive, restore, schedule and unschedule,
// and the scheduled job that publishes with the scheduler's right as it is when it runs. Drafts,
// slugs, taxonomy and deletion are in posts.ts.

/**
 * Makes the draft the live version: publishes a draft, or updates a published post. Idempotent: a
 * published post without unpublished changes is left as it is.
 */
export async function publish(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostPublishable(actor.member, post);
  await publishAs(ctx, actor.viewer, post);
}

/** Publishes on behalf of `by` (an authorized actor, or the author when a schedule fires). */
export async function publishAs(ctx: MutationCtx, by: Doc<"users">, post: Doc<"posts">): Promise<void> {
  if (post.status === "published" && !post.hasUnpublishedChanges) return;
  const draft = await requireDraft(ctx, post);
  if (!draft.title.trim()) throw appError("INVALID_STATE", { field: "title", message: "Give the post a title before publishing." });
  const now = Date.now();
  const live = await getBody(ctx, post, "published");
  const liveFields = {
    version: draft.version,
    title: draft.title,
    excerpt: draft.excerpt,
    seoTitle: draft.seoTitle,
    seoDescription: draft.seoDescription,
    doc: draft.doc,
    ...pageHtmlFields(draft.doc),
    text: draft.text,
    searchText: liveCardFields(post.featured, draft).searchText,
    wordCount: draft.wordCount,
    updatedAt: now,
    updatedBy: by._id,
  };
  if (live) await ctx.db.patch("postBodies", live._id, liveFields);
  else await ctx.db.insert("postBodies", { siteId: post.siteId, postId: post._id, kind: "published", ...liveFields });
  if (post.scheduledJobId) await ctx.scheduler.cancel(post.scheduledJobId);
  const before = publicationState(post);
  const patch = {
    title: draft.title,
    ...liveCardFields(post.featured, draft).card,
    seoTitle: draft.seoTitle,
    seoDescription: draft.seoDescription,
    readingTimeMinutes: readingTimeMinutes(draft.wordCount),
    status: "published" as const,
    publishedAt: post.publishedAt ?? now,
    scheduledAt: undefined,
    scheduledJobId: undefined,
    scheduledEmail: undefined,
    hasUnpublishedChanges: false,
    ...(await bodyKeyFields(draft.doc)),
    reviewState: undefined,
    reviewComment: undefined,
    updatedAt: now,
  };
  await ctx.db.patch("posts", post._id, patch);
  await applyPublicationChange(ctx, post.siteId, post._id, before, { ...before, published: true, publishedAt: patch.publishedAt });
  await addRevision(ctx, post, { ...draft, ...liveFields } as Doc<"postBodies">, "publish", by);
  await auditPost(ctx, post, by._id, post.status === "published" ? "post.update" : "post.publish", { status: post.status, title: post.title }, { status: "published", title: draft.title });
}

async function takeOffline(ctx: MutationCtx, post: Doc<"posts">, status: "draft" | "archived") {
  const draft = await requireDraft(ctx, post);
  const live = await getBody(ctx, post, "published");
  if (live) await ctx.db.delete("postBodies", live._id);
  if (post.scheduledJobId) await ctx.scheduler.cancel(post.scheduledJobId);
  const before = publicationState(post);
  await ctx.db.patch("posts", post._id, {
    ...draftListFields(draft),
    status,
    scheduledAt: undefined,
    scheduledJobId: undefined,
    scheduledEmail: undefined,
    hasUnpublishedChanges: false,
    updatedAt: Date.now(),
  });
  await applyPublicationChange(ctx, post.siteId, post._id, before, { ...before, published: false });
}

/** Takes a published (or scheduled) post back to draft. Idempotent. */
export async function unpublish(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostPublishable(actor.member, post);
  if (post.status === "draft" || post.status === "archived") return;
  await takeOffline(ctx, post, "draft");
  await auditPost(ctx, post, actor.viewer._id, "post.unpublish", { status: post.status }, { status: "draft" });
}

/** Archives a post (off the site, kept in the studio). Idempotent. */
export async function archive(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostPublishable(actor.member, post);
  if (post.status === "archived") return;
  await takeOffline(ctx, post, "archived");
  await auditPost(ctx, post, actor.viewer._id, "post.archive", { status: post.status }, { status: "archived" });
}

/** Brings an archived post back as a draft. Idempotent for posts that are not archived. */
export async function restore(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostPublishable(actor.member, post);
  if (post.status !== "archived") return;
  await ctx.db.patch("posts", post._id, { ...draftListFields(await requireDraft(ctx, post)), status: "draft", updatedAt: Date.now() });
  await auditPost(ctx, post, actor.viewer._id, "post.restore", { status: "archived" }, { status: "draft" });
}

/**
 * Schedules a draft to publish at `at` (ms). The job lives in the scheduler, so it survives
 * restarts; rescheduling replaces the previous job.
 */
export async function schedule(ctx: MutationCtx, actor: Actor, post: Doc<"posts">, at: number, email?: Doc<"posts">["scheduledEmail"]): Promise<void> {
  requirePostPublishable(actor.member, post);
  if (post.status === "published" || post.status === "archived") {
    throw appError("INVALID_STATE", { message: "Only drafts can be scheduled." });
  }
  if (!Number.isFinite(at) || at <= Date.now()) {
    throw appError("INVALID_ARGUMENT", { field: "scheduledAt", message: "Pick a time in the future." });
  }
  const draft = await requireDraft(ctx, post);
  if (!draft.title.trim()) throw appError("INVALID_STATE", { field: "title", message: "Give the post a title before scheduling." });
  if (post.scheduledJobId) await ctx.scheduler.cancel(post.scheduledJobId);
  // The job carries who scheduled it: their right is checked again when it runs.
  const jobId = await ctx.scheduler.runAt(at, internal.posts.publishScheduled, { postId: post._id, scheduledAt: at, scheduledBy: actor.viewer._id });
  await ctx.db.patch("posts", post._id, { status: "scheduled", scheduledAt: at, scheduledJobId: jobId, scheduledEmail: email, updatedAt: Date.now() });
  await auditPost(ctx, post, actor.viewer._id, "post.schedule", { status: post.status, scheduledAt: post.scheduledAt }, { status: "scheduled", scheduledAt: at });
}

/** A scheduled post goes back to draft: schedule cleared, list fields from the draft. */
async function backToDraft(ctx: MutationCtx, post: Doc<"posts">): Promise<void> {
  await ctx.db.patch("posts", post._id, {
    ...draftListFields(await requireDraft(ctx, post)),
    status: "draft",
    scheduledAt: undefined,
    scheduledJobId: undefined,
    scheduledEmail: undefined,
    updatedAt: Date.now(),
  });
}

/** Cancels a schedule; the post goes back to draft. Idempotent. */
export async function unschedule(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostPublishable(actor.member, post);
  if (post.status !== "scheduled") return;
  if (post.scheduledJobId) await ctx.scheduler.cancel(post.scheduledJobId);
  await backToDraft(ctx, post);
  await auditPost(ctx, post, actor.viewer._id, "post.unschedule", { status: "scheduled", scheduledAt: post.scheduledAt }, { status: "draft" });
}

/**
 * The scheduled job: publishes if the post is still scheduled for this time (a reschedule or an
 * unschedule since then makes it a no-op), then tells the author. It acts for whoever scheduled it
 * (`scheduledBy`; jobs queued before that was recorded: the author) with their right as it is NOW:
 * if they were removed, demoted or deactivated meanwhile, the post goes back to draft, the refusal
 * is audited, and the author, the scheduler and the site's owner are told.
 */
export async function publishScheduled(
  ctx: MutationCtx,
  postId: Id<"posts">,
  scheduledAt: number,
  scheduledBy: Id<"users"> | undefined,
): Promise<void> {
  const post = await ctx.db.get("posts", postId);
  if (!post || post.status !== "scheduled" || post.scheduledAt !== scheduledAt) return;
  const actorId = scheduledBy ?? post.authorId;
  const member = await actingMembership(ctx, post.siteId, actorId);
  const actor = member && (await ctx.db.get("users", actorId));
  if (!member || !actor || !canPublishPost(member, post)) {
    await refuseScheduled(ctx, post, actorId);
    return;
  }
  await publishAs(ctx, actor, { ...post, scheduledJobId: undefined });
  if (post.scheduledEmail) await sendScheduledEmail(ctx, post, member, actor);
  await notify(ctx, post.authorId, {
    type: "scheduled_published",
    siteId: post.siteId,
    title: `“${post.title || "Untitled"}” is now live`,
    link: `/studio/${post.siteId}/posts/${post._id}`,
  });
}

/**
 * The email chosen with the schedule, sent as `actor` if they may still send (audience.manage) and
 * the newsletter is still usable. Otherwise the post stays published without email and the actor is
 * told why (startSend throws before writing anything, so the publish stands).
 */
async function sendScheduledEmail(ctx: MutationCtx, post: Doc<"posts">, member: Doc<"siteMembers">, actor: Doc<"users">): Promise<void> {
  const choice = post.scheduledEmail!;
  const site = await ctx.db.get("sites", post.siteId);
  const live = await ctx.db.get("posts", post._id);
  let reason = "You no longer have the right to email the audience.";
  if (site && live && can(member.role, "audience.manage")) {
    try {
      await startSend(ctx, { site, by: actor._id, post: live, newsletterId: choice.newsletterId, segment: choice.segment, source: "publish" });
      return;
    } catch (e) {
      // A refusal from the catalogue (newsletter archived, …) is told; anything else is a bug and fails the job.
      const refusal = toUserError(e);
      if (!refusal.code) throw e;
      reason = refusal.message;
    }
  }
  await notify(ctx, actor._id, {
    type: "scheduled_refused",
    siteId: post.siteId,
    title: `“${post.title || "Untitled"}” was published but not emailed`,
    body: reason,
    link: `/studio/${post.siteId}/posts/${post._id}`,
  });
}

/** A scheduled publish whose actor lost the right: back to draft, audited, and the people concerned told. */
async function refuseScheduled(ctx: MutationCtx, post: Doc<"posts">, actorId: Id<"users">): Promise<void> {
  await backToDraft(ctx, post);
  await auditPost(ctx, post, actorId, "post.scheduleRefused", { status: "scheduled", scheduledAt: post.scheduledAt }, { status: "draft", reason: "no right to publish when the schedule ran" });
  const site = await ctx.db.get("sites", post.siteId);
  for (const userId of new Set([post.authorId, actorId, ...(site ? [site.ownerId] : [])])) {
    await notify(ctx, userId, {
      type: "scheduled_refused",
      siteId: post.siteId,
      title: `“${post.title || "Untitled"}” was not published as scheduled`,
      body: "Whoever scheduled it no longer has the right to publish it. It is a draft again.",
      link: `/studio/${post.siteId}/posts/${post._id}`,
    });
  }
}
