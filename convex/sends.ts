import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import { internal } from "./_generated/api";
import { actingMembership, canOpenPost, requireInSite, requirePostPublishable } from "./lib/access";
import { can } from "./shared/roles";
import { appError } from "./lib/errors";
import { consume } from "./lib/rateLimits";
import { rateLimited } from "./model/account";
import { internalAction, internalMutation, internalQuery, siteMutation, siteQuery } from "./lib/functions";
import { PermanentEmailError, sendEmail, sendEmailBatch } from "./model/email";
import * as Sends from "./model/sends";
import * as Pipeline from "./model/sendsPipeline";
import { vSendCounts, vSendSegment, vSendStatus } from "./validators";

// Post sends (issue #15, ADR 013): email a post to a newsletter's members. Thin wrappers over
// model/sends.ts (start, view, cancel) and model/sendsPipeline.ts (the background steps). Every
// public function needs `audience.manage` (editor and up); sending also needs the publish right on
// the post. `segment` is a string checked by the model so a bad one is INVALID_ARGUMENT.

const vSendView = v.object({
  _id: v.id("emailSends"),
  postId: v.id("posts"),
  postTitle: v.string(),
  newsletterId: v.id("newsletters"),
  newsletterName: v.string(),
  segment: vSendSegment,
  status: vSendStatus,
  total: v.number(),
  counts: vSendCounts,
  createdAt: v.number(),
  startedAt: v.union(v.number(), v.null()),
  finishedAt: v.union(v.number(), v.null()),
});

const sendArgs = { postId: v.id("posts"), newsletterId: v.id("newsletters"), segment: v.string() };

/** Emails the post's current draft without putting it on the site ("send email only"). */
export const emailOnly = siteMutation({
  permission: "audience.manage",
  args: sendArgs,
  returns: v.id("emailSends"),
  handler: async (ctx, { postId, newsletterId, segment }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    requirePostPublishable(ctx.member, post);
    return await Sends.startSend(ctx, { site: ctx.site, by: ctx.viewer._id, post, newsletterId, segment, source: "emailOnly" });
  },
});

/** Emails an already published post; members who already got this post are skipped. */
export const sendPublished = siteMutation({
  permission: "audience.manage",
  args: sendArgs,
  returns: v.id("emailSends"),
  handler: async (ctx, { postId, newsletterId, segment }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    requirePostPublishable(ctx.member, post);
    return await Sends.startSend(ctx, { site: ctx.site, by: ctx.viewer._id, post, newsletterId, segment, source: "published" });
  },
});

/** Stops a send: recipients not yet handed to the provider are not emailed. Idempotent. */
export const cancel = siteMutation({
  permission: "audience.manage",
  args: { sendId: v.id("emailSends") },
  returns: v.null(),
  handler: async (ctx, { sendId }) => {
    const send = await Sends.sendInSite(ctx, ctx.site._id, sendId);
    if (!send) throw appError("NOT_FOUND");
    await Sends.cancelSend(ctx, send);
    return null;
  },
});

/** One send's progress and counts; null for a missing (or another site's) send. */
export const get = siteQuery({
  permission: "audience.manage",
  args: { sendId: v.id("emailSends") },
  returns: v.union(vSendView, v.null()),
  handler: async (ctx, { sendId }) => {
    const send = await Sends.sendInSite(ctx, ctx.site._id, sendId);
    return send ? await Sends.sendView(ctx, send) : null;
  },
});

/** A post's sends, newest first. */
export const forPost = siteQuery({
  permission: "audience.manage",
  args: { postId: v.id("posts") },
  returns: v.array(vSendView),
  handler: async (ctx, { postId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (!canOpenPost(ctx.member, post)) throw appError("NOT_FOUND");
    return await Sends.sendsForPost(ctx, ctx.site._id, post._id);
  },
});

/** The post's draft as an email (full or teaser), with inert example recipient links. */
export const preview = siteQuery({
  permission: "audience.manage",
  args: { postId: v.id("posts"), access: v.union(v.literal("full"), v.literal("teaser")) },
  returns: v.object({ subject: v.string(), html: v.string(), text: v.string() }),
  handler: async (ctx, { postId, access }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (!canOpenPost(ctx.member, post)) throw appError("NOT_FOUND");
    const view = await Sends.draftPreview(ctx, ctx.site, post, access, "preview");
    if (!view) throw appError("NOT_FOUND");
    return view;
  },
});

/** Emails the signed-in viewer (only) the full and, for a featured post, the teaser version of the draft. */
export const testSend = siteMutation({
  permission: "audience.manage",
  args: { postId: v.id("posts") },
  returns: v.null(),
  handler: async (ctx, { postId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (!canOpenPost(ctx.member, post)) throw appError("NOT_FOUND");
    if (!ctx.viewer.email) throw appError("INVALID_STATE", { message: "Your account has no email address." });
    const wait = await consume(ctx, [["testSendByUser", ctx.viewer._id]]);
    if (wait > 0) throw rateLimited(wait);
    await ctx.scheduler.runAfter(0, internal.sends.deliverTest, { siteId: ctx.site._id, postId, userId: ctx.viewer._id });
    return null;
  },
});

// --- background steps (internal) -------------------------------------------------------------

export const previewFor = internalQuery({
  args: { siteId: v.id("sites"), postId: v.id("posts"), userId: v.id("users") },
  returns: v.union(v.object({ to: v.string(), featured: v.boolean() }), v.null()),
  handler: async (ctx, { siteId, postId, userId }) => {
    const [user, post] = await Promise.all([ctx.db.get("users", userId), ctx.db.get("posts", postId)]);
    if (!user?.email || !post || post.siteId !== siteId) return null;
    return { to: user.email, featured: post.featured };
  },
});

/** The test send's action: the viewer's own address only, through the one sender. */
export const deliverTest = internalAction({
  args: { siteId: v.id("sites"), postId: v.id("posts"), userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, args) => {
    const target = await ctx.runQuery(internal.sends.previewFor, args);
    if (!target) return null;
    for (const access of target.featured ? (["full", "teaser"] as const) : (["full"] as const)) {
      const view = await ctx.runQuery(internal.sends.previewAs, { ...args, access });
      if (view) await sendEmail(ctx, { to: target.to, kind: "post-test", subject: `[Test${access === "teaser" ? ", free members" : ""}] ${view.subject}`, html: view.html, text: view.text });
    }
    return null;
  },
});

/** preview's render for a user who may still open the post (the test send re-checks when it runs). */
export const previewAs = internalQuery({
  args: { siteId: v.id("sites"), postId: v.id("posts"), userId: v.id("users"), access: v.union(v.literal("full"), v.literal("teaser")) },
  returns: v.union(v.object({ subject: v.string(), html: v.string(), text: v.string() }), v.null()),
  handler: async (ctx, { siteId, postId, userId, access }) => {
    const member = await actingMembership(ctx, siteId, userId);
    const post = await ctx.db.get("posts", postId);
    if (!member || !post || post.siteId !== siteId || !can(member.role, "audience.manage") || !canOpenPost(member, post)) return null;
    const site = await ctx.db.get("sites", siteId);
    return site ? await Sends.draftPreview(ctx, site, post, access, "test") : null;
  },
});

export const renderInput = internalQuery({
  args: { sendId: v.id("emailSends") },
  returns: v.any(),
  handler: async (ctx, { sendId }) => await Pipeline.renderInput(ctx, sendId),
});

/** Renders the send once (full, and teaser for a featured post), then planning starts. */
export const render = internalAction({
  args: { sendId: v.id("emailSends") },
  returns: v.null(),
  handler: async (ctx, { sendId }) => {
    const input = (await ctx.runQuery(internal.sends.renderInput, { sendId })) as Awaited<ReturnType<typeof Pipeline.renderInput>>;
    if (!input) return null;
    let renders: Pipeline.Renders;
    try {
      renders = Pipeline.renderSend(input);
    } catch (e) {
      await ctx.runMutation(internal.sends.fail, { sendId, error: `The post could not be rendered: ${e instanceof Error ? e.message : String(e)}` });
      return null;
    }
    await ctx.runMutation(internal.sends.storeRenders, { sendId, renders });
    return null;
  },
});

export const storeRenders = internalMutation({
  args: { sendId: v.id("emailSends"), renders: v.any() },
  returns: v.null(),
  handler: async (ctx, { sendId, renders }) => {
    await Pipeline.storeRenders(ctx, sendId, renders as Pipeline.Renders);
    return null;
  },
});

export const fail = internalMutation({
  args: { sendId: v.id("emailSends"), error: v.string() },
  returns: v.null(),
  handler: async (ctx, { sendId, error }) => {
    await Pipeline.failSend(ctx, sendId, error);
    return null;
  },
});

/** One page of planning (continues itself until the newsletter's subscribers are all seen). */
export const planPage = internalMutation({
  args: { sendId: v.id("emailSends") },
  returns: v.null(),
  handler: async (ctx, { sendId }) => {
    await Pipeline.planPage(ctx, sendId);
    return null;
  },
});

export const claimBatch = internalMutation({
  args: { sendId: v.id("emailSends"), batch: v.number() },
  returns: v.any(),
  handler: async (ctx, { sendId, batch }) => await Pipeline.claimBatch(ctx, sendId, batch),
});

export const recordBatch = internalMutation({
  args: {
    sendId: v.id("emailSends"),
    batch: v.number(),
    results: v.array(v.object({ deliveryId: v.id("emailDeliveries"), providerId: v.optional(v.string()), error: v.optional(v.string()) })),
  },
  returns: v.null(),
  handler: async (ctx, { sendId, batch, results }) => {
    await Pipeline.recordBatch(ctx, sendId, batch, results);
    return null;
  },
});

export const retryBatch = internalMutation({
  args: { sendId: v.id("emailSends"), batch: v.number(), attempt: v.number(), error: v.string() },
  returns: v.null(),
  handler: async (ctx, { sendId, batch, attempt, error }) => {
    await Pipeline.retryBatch(ctx, sendId, batch, attempt, error);
    return null;
  },
});

/**
 * One attempt at a provider batch (scheduled by the dispatcher, again by retryBatch with backoff or
 * by the watchdog when an attempt died): claim, send with the batch's Idempotency-Key, record.
 * A permanent refusal fails the batch's deliveries; a transient one schedules the next attempt.
 */
export const sendBatch = internalAction({
  args: { sendId: v.id("emailSends"), batch: v.number(), attempt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { sendId, batch, attempt = 1 }) => {
    const claim = (await ctx.runMutation(internal.sends.claimBatch, { sendId, batch })) as Pipeline.ClaimedBatch | null;
    if (!claim) return null;
    const messages = await Pipeline.batchMessages(claim);
    let results: Array<{ deliveryId: Id<"emailDeliveries">; providerId?: string; error?: string }>;
    try {
      const ids = await sendEmailBatch(ctx, messages, claim.idempotencyKey);
      results = claim.recipients.map((r, i) => ({ deliveryId: r.deliveryId, providerId: ids[i] }));
    } catch (e) {
      if (!(e instanceof PermanentEmailError)) {
        // Transient: the same claimed batch again later, with the same key.
        await ctx.runMutation(internal.sends.retryBatch, { sendId, batch, attempt, error: e instanceof Error ? e.message : String(e) });
        return null;
      }
      results = claim.recipients.map((r) => ({ deliveryId: r.deliveryId, error: e.message }));
    }
    await ctx.runMutation(internal.sends.recordBatch, { sendId, batch, results });
    return null;
  },
});

/** The per-send watchdog (model/sendsPipeline.ts watch): resumes a send within WATCHDOG_MS + STALE_MS of a crash. */
export const watch = internalMutation({
  args: { sendId: v.id("emailSends") },
  returns: v.null(),
  handler: async (ctx, { sendId }) => {
    await Pipeline.watch(ctx, sendId);
    return null;
  },
});

/** A send's counters next to a recount of its deliveries (tests; an operator's consistency check). */
export const audit = internalQuery({
  args: { sendId: v.id("emailSends") },
  returns: v.union(v.object({ counts: vSendCounts, recount: v.record(v.string(), v.number()), total: v.number() }), v.null()),
  handler: async (ctx, { sendId }) => {
    const send = await ctx.db.get("emailSends", sendId);
    if (!send) return null;
    return { counts: await Sends.sendCounts(ctx, send), recount: await Pipeline.recount(ctx, send), total: send.total };
  },
});


/** Deletes a deleted post's sends, step by step (scheduled by model/posts.ts removePostData). */
export const purgePost = internalMutation({
  args: { siteId: v.id("sites"), postId: v.id("posts") },
  returns: v.null(),
  handler: async (ctx, { siteId, postId }) => {
    if (!(await Sends.purgePostSends(ctx, siteId, postId))) await ctx.scheduler.runAfter(0, internal.sends.purgePost, { siteId, postId });
    return null;
  },
});
