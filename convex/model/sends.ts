import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { env } from "../env";
import { SEND_COUNT_SHARDS } from "../shared/constants";
import { appError } from "../lib/errors";
import type { DeliveryStatus, SendSegment } from "../validators";
import { getBody } from "./posts";
import { excerptSourceOf, publicExcerpt } from "./content";
import { requireNewsletter } from "./newsletters";
import { fillPostEmail, renderPostEmailTemplate } from "../email/postEmail";

// Post sends (issue #15, ADR 013): starting one, its studio view, cancelling, and the exact
// counters. The background steps (render, plan, provider batches, webhooks) are in sendsPipeline.ts.
//
// Invariants:
// - At most one live delivery per (post, member): a delivery that is queued, sent, delivered,
//   bounced or complained blocks another for the same post (liveDeliveryFor); cancelled, failed
//   and skipped ones were never accepted by the provider and do not.
// - sendCounts(send)[status] = the number of the send's deliveries in that status, always: only
//   setDeliveryStatus (+ applyMoves) and planning's inserts change either, in the same transaction.
//   The counts are the send row's plus its shards' (emailSendCountShards): planning adds to the row,
//   which it writes anyway; every move after that goes to a random shard, so the provider's
//   webhooks and the batches do not all rewrite the one row the pipeline's dispatch state lives on
//   (under optimistic concurrency each such write made the others run again).
// - Content is frozen when the send starts: the "source" row copies the post's body as it is then.

export type SendCounts = Doc<"emailSends">["counts"];
export const ZERO_COUNTS: SendCounts = { queued: 0, sent: 0, delivered: 0, bounced: 0, complained: 0, failed: 0, skipped: 0, cancelled: 0 };

const SEGMENTS: readonly SendSegment[] = ["all", "free", "paid"];

/** The segment argument as a SendSegment. @throws INVALID_ARGUMENT (field segment). */
export function parseSegment(raw: string): SendSegment {
  if (!(SEGMENTS as readonly string[]).includes(raw)) {
    throw appError("INVALID_ARGUMENT", { field: "segment", message: 'Choose who gets the email: "all", "free" or "paid".' });
  }
  return raw as SendSegment;
}

/** Whether a member with `access` is in the segment (paid = paid + comped). */
export function inSegment(segment: SendSegment, access: Doc<"audienceMembers">["access"]): boolean {
  if (segment === "all") return true;
  return segment === "free" ? access === "free" : access !== "free";
}

/** The app's origin and the Convex HTTP origin, for links in post emails. */
export function origins(): { app: string; convexSite: string } {
  const app = (env.SITE_URL ?? "http://localhost:3000").replace(/\/$/, "");
  return { app, convexSite: (env.CONVEX_SITE_URL ?? app).replace(/\/$/, "") };
}

/** A send's newsletter, usable now. @throws NOT_FOUND (other site / missing), INVALID_STATE (archived). */
export async function requireSendableNewsletter(ctx: QueryCtx, siteId: Id<"sites">, newsletterId: Id<"newsletters">) {
  const newsletter = await requireNewsletter(ctx, siteId, newsletterId);
  if (newsletter.archived) throw appError("INVALID_STATE", { field: "newsletterId", message: "That newsletter is archived. Pick another one." });
  return newsletter;
}

export type SendSource = Doc<"emailSends">["source"];

/**
 * Starts a send of `post` (the caller checked the rights): freezes the content, writes the send row
 * and schedules the render step, which starts planning. emailOnly sends the draft; the others the
 * live version. @throws NOT_FOUND / INVALID_STATE / INVALID_ARGUMENT (catalogue codes).
 */
export async function startSend(
  ctx: MutationCtx,
  args: { site: Doc<"sites">; by: Id<"users">; post: Doc<"posts">; newsletterId: Id<"newsletters">; segment: string; source: SendSource },
): Promise<Id<"emailSends">> {
  const { site, post, source } = args;
  const segment = parseSegment(args.segment);
  const newsletter = await requireSendableNewsletter(ctx, site._id, args.newsletterId);
  if (source !== "emailOnly" && post.status !== "published") {
    throw appError("INVALID_STATE", { message: "Only a published post can be emailed this way; use \"email only\" for a draft." });
  }
  const body = await getBody(ctx, post, source === "emailOnly" ? "draft" : "published");
  if (!body) throw appError("INVALID_STATE", { message: "This post has nothing to send yet." });
  if (!body.title.trim()) throw appError("INVALID_STATE", { field: "title", message: "Give the post a title before emailing it." });
  const now = Date.now();
  const sendId = await ctx.db.insert("emailSends", {
    siteId: site._id,
    postId: post._id,
    newsletterId: newsletter._id,
    segment,
    status: "queued",
    source,
    createdBy: args.by,
    fromName: newsletter.senderName,
    ...(newsletter.replyTo ? { replyTo: newsletter.replyTo } : {}),
    postTitle: body.title,
    newsletterName: newsletter.name,
    total: 0,
    counts: ZERO_COUNTS,
    planDone: false,
    batches: 0,
    batchesDone: 0,
    createdAt: now,
  });
  await ctx.db.insert("emailSendContents", {
    siteId: site._id,
    sendId,
    kind: "source",
    subject: body.title,
    body: body.doc,
    post: {
      slug: post.slug,
      excerpt: publicExcerpt(post.featured, body.excerpt, excerptSourceOf(body.doc)),
      featured: post.featured,
      publishedAt: post.publishedAt ?? now,
      authorName: post.authorName,
    },
  });
  await ctx.db.patch("posts", post._id, { emailedAt: now });
  await ctx.scheduler.runAfter(0, internal.sends.render, { sendId });
  return sendId;
}

/** The live delivery of a post to a member (one that blocks another), or null. */
export async function liveDeliveryFor(ctx: QueryCtx, siteId: Id<"sites">, postId: Id<"posts">, memberId: Id<"audienceMembers">) {
  const rows = await ctx.db
    .query("emailDeliveries")
    .withIndex("by_siteId_and_postId_and_memberId", (q) => q.eq("siteId", siteId).eq("postId", postId).eq("memberId", memberId))
    .take(20);
  return rows.find((d) => d.status !== "cancelled" && d.status !== "failed" && d.status !== "skipped") ?? null;
}

/**
 * Counter changes collected over many deliveries of one mutation, written with one patch per send
 * (applyMoves): a batch of 100 status changes patches one of its send's shards once, not 100 times.
 */
export type CounterMoves = Map<Id<"emailSends">, { siteId: Id<"sites">; delta: Partial<Record<DeliveryStatus, number>> }>;

/**
 * Moves a delivery to `status` and the send's counters with it (the one place both change). With
 * `moves`, the counter change is collected there and written by applyMoves in the same mutation.
 */
export async function setDeliveryStatus(
  ctx: MutationCtx,
  delivery: Doc<"emailDeliveries">,
  status: DeliveryStatus,
  extra: Partial<Pick<Doc<"emailDeliveries">, "providerId" | "error">> = {},
  moves?: CounterMoves,
): Promise<void> {
  await ctx.db.patch("emailDeliveries", delivery._id, { status, ...extra, updatedAt: Date.now() });
  if (status === delivery.status) return;
  const own: CounterMoves = moves ?? new Map();
  const entry = own.get(delivery.sendId) ?? { siteId: delivery.siteId, delta: {} };
  entry.delta[delivery.status] = (entry.delta[delivery.status] ?? 0) - 1;
  entry.delta[status] = (entry.delta[status] ?? 0) + 1;
  own.set(delivery.sendId, entry);
  if (!moves) await applyMoves(ctx, own);
}

/**
 * Writes collected counter changes: one shard per send, picked at random, never the send's row
 * (it is not even read: a move's delivery exists, so its send does; purgePostSends deletes the
 * deliveries before the shards).
 */
export async function applyMoves(ctx: MutationCtx, moves: CounterMoves): Promise<void> {
  for (const [sendId, { siteId, delta }] of moves) {
    const shard = Math.floor(Math.random() * SEND_COUNT_SHARDS);
    const row = await ctx.db
      .query("emailSendCountShards")
      .withIndex("by_siteId_and_sendId_and_shard", (q) => q.eq("siteId", siteId).eq("sendId", sendId).eq("shard", shard))
      .unique();
    const counts = addCounts(row?.counts ?? ZERO_COUNTS, delta);
    if (row) await ctx.db.patch("emailSendCountShards", row._id, { counts });
    else await ctx.db.insert("emailSendCountShards", { siteId, sendId, shard, counts });
  }
  moves.clear();
}

function addCounts(counts: SendCounts, delta: Partial<SendCounts>): SendCounts {
  const out = { ...counts };
  for (const [status, n] of Object.entries(delta) as Array<[DeliveryStatus, number]>) out[status] += n;
  return out;
}

/** Every counter shard of a send (at most SEND_COUNT_SHARDS exist). */
async function countShardsOf(ctx: QueryCtx, send: Pick<Doc<"emailSends">, "_id" | "siteId">) {
  return await ctx.db
    .query("emailSendCountShards")
    .withIndex("by_siteId_and_sendId_and_shard", (q) => q.eq("siteId", send.siteId).eq("sendId", send._id))
    .take(SEND_COUNT_SHARDS);
}

/** A send's delivery counts: its row's plus its shards'. */
export async function sendCounts(ctx: QueryCtx, send: Doc<"emailSends">): Promise<SendCounts> {
  return (await countShardsOf(ctx, send)).reduce((sum, s) => addCounts(sum, s.counts), send.counts);
}

export type SendView = {
  _id: Id<"emailSends">;
  postId: Id<"posts">;
  postTitle: string;
  newsletterId: Id<"newsletters">;
  newsletterName: string;
  segment: SendSegment;
  status: Doc<"emailSends">["status"];
  total: number;
  counts: SendCounts;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
};

export async function sendView(ctx: QueryCtx, s: Doc<"emailSends">): Promise<SendView> {
  return {
    _id: s._id,
    postId: s.postId,
    postTitle: s.postTitle,
    newsletterId: s.newsletterId,
    newsletterName: s.newsletterName,
    segment: s.segment,
    status: s.status,
    total: s.total,
    counts: await sendCounts(ctx, s),
    createdAt: s.createdAt,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
  };
}

/** A send of this site, or null (another site's looks missing). */
export async function sendInSite(ctx: QueryCtx, siteId: Id<"sites">, sendId: Id<"emailSends">) {
  const send = await ctx.db.get("emailSends", sendId);
  return send && send.siteId === siteId ? send : null;
}

/** A post's sends, newest first (at most 50). */
export async function sendsForPost(ctx: QueryCtx, siteId: Id<"sites">, postId: Id<"posts">): Promise<SendView[]> {
  const rows = await ctx.db
    .query("emailSends")
    .withIndex("by_siteId_and_postId", (q) => q.eq("siteId", siteId).eq("postId", postId))
    .order("desc")
    .take(50);
  return await Promise.all(rows.map((s) => sendView(ctx, s)));
}

/**
 * Cancels a send: planning stops, and each batch not yet handed to the provider cancels its queued
 * deliveries when its turn comes (sendsPipeline.ts claimBatch). Idempotent; a finished send is left.
 */
export async function cancelSend(ctx: MutationCtx, send: Doc<"emailSends">): Promise<void> {
  if (send.status !== "queued" && send.status !== "sending") return;
  // Planning stops with the cancel, so the send is over once every planned batch was released.
  const finished = send.batchesDone >= send.batches;
  await ctx.db.patch("emailSends", send._id, { status: "cancelled", ...(finished || send.status === "queued" ? { finishedAt: Date.now() } : {}) });
}

/**
 * The post's draft as an email of one access class, with inert example recipient links (`token=…`
 * is `label`, not a signed token): the studio preview and the test send. A teaser never sees the body.
 */
export async function draftPreview(ctx: QueryCtx, site: Doc<"sites">, post: Doc<"posts">, access: "full" | "teaser", label: string) {
  const draft = await getBody(ctx, post, "draft");
  if (!draft) return null;
  const siteUrl = `${origins().app}/${site.slug}`;
  const base = { title: draft.title, publishedAt: post.publishedAt ?? post.updatedAt, featured: post.featured, authorName: post.authorName };
  const links = { post: `${siteUrl}/${post.slug}` };
  const emailSite = { name: site.name, url: siteUrl };
  const template =
    access === "teaser"
      ? renderPostEmailTemplate({ site: emailSite, access, post: { ...base, excerpt: publicExcerpt(true, draft.excerpt, excerptSourceOf(draft.doc)) }, links: { ...links, upgrade: `${siteUrl}/subscribe?from=${encodeURIComponent(post.slug)}` } })
      : renderPostEmailTemplate({ site: emailSite, access, post: { ...base, excerpt: publicExcerpt(post.featured, draft.excerpt, excerptSourceOf(draft.doc)), doc: draft.doc }, links });
  const filled = fillPostEmail(template, {
    unsubscribe: `${siteUrl}/email/unsubscribe?token=${label}`,
    oneClick: `${siteUrl}/email/unsubscribe?token=${label}`,
    preferences: `${siteUrl}/email/preferences?token=${label}`,
  });
  return { subject: filled.subject, html: filled.html, text: filled.text };
}

/** Rows one purge step deletes: deliveries are small, render contents up to ~200 KB each. */
const PURGE_DELIVERIES = 500;
const PURGE_CONTENTS = 4;

/**
 * The cascade of a post's deletion for its sends (model/posts.ts removePostData schedules it): the
 * deliveries, rendered contents, counter shards and send rows, a bounded step per transaction; continues itself until
 * none is left. A batch still in flight finds its send gone and records nothing (claim/record/watch
 * all stop on a missing send).
 * @returns whether everything is gone.
 */
export async function purgePostSends(ctx: MutationCtx, siteId: Id<"sites">, postId: Id<"posts">): Promise<boolean> {
  const send = await ctx.db
    .query("emailSends")
    .withIndex("by_siteId_and_postId", (q) => q.eq("siteId", siteId).eq("postId", postId))
    .first();
  if (!send) return true;
  const deliveries = await ctx.db
    .query("emailDeliveries")
    .withIndex("by_siteId_and_sendId_and_batch", (q) => q.eq("siteId", siteId).eq("sendId", send._id))
    .take(PURGE_DELIVERIES);
  for (const d of deliveries) await ctx.db.delete("emailDeliveries", d._id);
  if (deliveries.length === PURGE_DELIVERIES) return false;
  const contents = await ctx.db
    .query("emailSendContents")
    .withIndex("by_siteId_and_sendId_and_kind", (q) => q.eq("siteId", siteId).eq("sendId", send._id))
    .take(PURGE_CONTENTS);
  for (const c of contents) await ctx.db.delete("emailSendContents", c._id);
  if (contents.length === PURGE_CONTENTS) return false;
  for (const s of await countShardsOf(ctx, send)) await ctx.db.delete("emailSendCountShards", s._id);
  await ctx.db.delete("emailSends", send._id);
  return false; // another send of the post may remain: the next step looks
}
