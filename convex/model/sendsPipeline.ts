import { Workpool, type RunResult } from "@convex-dev/workpool";
import { components, internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { renderPostEmailTemplate, type PostEmailTemplate } from "../email/postEmail";
import { signMemberToken } from "../lib/memberTokens";
import { fillPostEmail } from "../email/postEmail";
import type { BatchMessage } from "./email";
import { isSuppressed } from "./suppressions";
import { applyMoves, inSegment, liveDeliveryFor, origins, setDeliveryStatus, type CounterMoves } from "./sends";

// The background steps of a send (ADR 013), each a durable job:
//   render (action, scheduled by startSend) → storeRenders → planPage (mutation, one page of 100
//   subscribers, continues itself) → per page one provider batch on the emailWorkpool:
//   claimBatch (mutation) → provider call with a deterministic Idempotency-Key → recordBatch;
//   batchComplete (the workpool's onComplete) counts the batch done or, after the last retry, failed.
// At most once per (post, member): a batch's deliveries are claimed in a mutation before the call;
// a retry of a claimed-but-unrecorded batch sends the same messages with the same key, which the
// provider answers from its idempotency cache without sending again.

export const PAGE_SIZE = 100;

export const emailPool = new Workpool(components.emailWorkpool, {
  maxParallelism: 4,
  logLevel: "WARN",
  retryActionsByDefault: true,
  defaultRetryBehavior: { maxAttempts: 5, initialBackoffMs: 1000, base: 2 },
});

/** What the render step needs: the send, its frozen source and the site, or null when it should stop. */
export async function renderInput(ctx: QueryCtx, sendId: Id<"emailSends">) {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.status !== "queued") return null;
  const site = await ctx.db.get("sites", send.siteId);
  const source = await contentRow(ctx, send, "source");
  if (!site || !source?.post) return null;
  return { send, site, source: { title: source.subject, doc: source.body, post: source.post } };
}

async function contentRow(ctx: QueryCtx, send: Doc<"emailSends">, kind: Doc<"emailSendContents">["kind"]) {
  return await ctx.db
    .query("emailSendContents")
    .withIndex("by_siteId_and_sendId_and_kind", (q) => q.eq("siteId", send.siteId).eq("sendId", send._id).eq("kind", kind))
    .first();
}

export type Renders = { full: PostEmailTemplate; teaser: PostEmailTemplate | null };

/** The send's renders, made once (full; teaser only for a featured post). Pure: runs in the action. */
export function renderSend(input: NonNullable<Awaited<ReturnType<typeof renderInput>>>): Renders {
  const { site, source } = input;
  const { app } = origins();
  const siteUrl = `${app}/${site.slug}`;
  const accent = site.branding?.accentColor;
  const emailSite = { name: site.name, url: siteUrl, ...(accent ? { accentColor: accent } : {}) };
  const post = { title: source.title, publishedAt: source.post.publishedAt, featured: source.post.featured, excerpt: source.post.excerpt, ...(source.post.authorName ? { authorName: source.post.authorName } : {}) };
  const links = { post: `${siteUrl}/${source.post.slug}` };
  const full = renderPostEmailTemplate({ site: emailSite, links, access: "full", post: { ...post, doc: source.doc } });
  // THE PAYWALL: the teaser render never gets the body (postEmail.ts refuses one at run time too).
  const teaser = source.post.featured
    ? renderPostEmailTemplate({ site: emailSite, access: "teaser", post, links: { ...links, upgrade: `${siteUrl}/subscribe?from=${encodeURIComponent(source.post.slug)}` } })
    : null;
  return { full, teaser };
}

/** Stores the renders (once) and starts planning. A cancelled or vanished send stops here. */
export async function storeRenders(ctx: MutationCtx, sendId: Id<"emailSends">, renders: Renders): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.status !== "queued") return;
  for (const [kind, r] of [["full", renders.full], ["teaser", renders.teaser]] as const) {
    if (!r) continue;
    await ctx.db.insert("emailSendContents", { siteId: send.siteId, sendId, kind, subject: r.subject, body: r.html, text: r.text, placeholders: r.placeholders });
  }
  await ctx.db.patch("emailSends", sendId, { status: "sending", startedAt: Date.now() });
  await ctx.scheduler.runAfter(0, internal.sends.planPage, { sendId });
}

/** Ends a send that cannot go on (render failed, post/newsletter/site gone): queued work is dropped. */
export async function failSend(ctx: MutationCtx, sendId: Id<"emailSends">, error: string): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.status === "sent" || send.status === "failed" || send.status === "cancelled") return;
  await ctx.db.patch("emailSends", sendId, { status: "failed", error: error.slice(0, 500), finishedAt: Date.now() });
}

/** Whether the post, newsletter and site of a send still exist (background work re-checks this). */
async function stillSendable(ctx: QueryCtx, send: Doc<"emailSends">): Promise<string | null> {
  const [post, newsletter, site] = await Promise.all([
    ctx.db.get("posts", send.postId),
    ctx.db.get("newsletters", send.newsletterId),
    ctx.db.get("sites", send.siteId),
  ]);
  if (!site) return "The site was deleted.";
  if (!post || post.siteId !== send.siteId) return "The post was deleted.";
  if (!newsletter || newsletter.siteId !== send.siteId) return "The newsletter was deleted.";
  return null;
}

/**
 * Plans one page of the newsletter's subscribers: a queued delivery per recipient (skipped when the
 * address is suppressed; none when the member already has a live delivery of this post), one
 * provider batch per page, then the next page.
 */
export async function planPage(ctx: MutationCtx, sendId: Id<"emailSends">): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.status !== "sending" || send.planDone) return;
  const gone = await stillSendable(ctx, send);
  if (gone) return await failSend(ctx, sendId, gone);
  const source = await contentRow(ctx, send, "source");
  const featured = source?.post?.featured ?? false;
  const page = await ctx.db
    .query("memberNewsletters")
    .withIndex("by_siteId_and_newsletterId", (q) => q.eq("siteId", send.siteId).eq("newsletterId", send.newsletterId))
    .paginate({ numItems: PAGE_SIZE, cursor: send.planCursor ?? null });
  const now = Date.now();
  let queued = 0;
  let skipped = 0;
  for (const sub of page.page) {
    const member = await ctx.db.get("audienceMembers", sub.memberId);
    if (!member || member.siteId !== send.siteId || member.emailState !== "subscribed") continue;
    if (!inSegment(send.segment, member.access)) continue;
    if (await liveDeliveryFor(ctx, send.siteId, send.postId, member._id)) continue;
    const suppressed = await isSuppressed(ctx, member.email);
    await ctx.db.insert("emailDeliveries", {
      siteId: send.siteId,
      sendId,
      postId: send.postId,
      memberId: member._id,
      email: member.email,
      access: featured && member.access === "free" ? "teaser" : "full",
      status: suppressed ? "skipped" : "queued",
      batch: suppressed ? -1 : send.batches,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    });
    if (suppressed) skipped++;
    else queued++;
  }
  const batches = send.batches + (queued > 0 ? 1 : 0);
  const fresh = (await ctx.db.get("emailSends", sendId))!;
  await ctx.db.patch("emailSends", sendId, {
    total: fresh.total + queued + skipped,
    counts: { ...fresh.counts, queued: fresh.counts.queued + queued, skipped: fresh.counts.skipped + skipped },
    batches,
    planCursor: page.continueCursor,
    planDone: page.isDone,
  });
  if (queued > 0) {
    await emailPool.enqueueAction(ctx, internal.sends.sendBatch, { sendId, batch: send.batches }, {
      onComplete: internal.sends.batchComplete,
      context: { sendId, batch: send.batches },
    });
  }
  // The next page goes through the pool too, after this page's batch: sending starts at once instead of
  // waiting for all pages to be planned (FIFO in the pool).
  if (!page.isDone) await emailPool.enqueueMutation(ctx, internal.sends.planPage, { sendId }, { onComplete: internal.sends.planComplete, context: { sendId } });
  else await finishIfDone(ctx, sendId);
}

/** sent (or cancelled) with finishedAt once planning is over and every batch finished. */
async function finishIfDone(ctx: MutationCtx, sendId: Id<"emailSends">): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.finishedAt !== undefined) return;
  const planningOver = send.planDone || send.status === "cancelled";
  if (!planningOver || send.batchesDone < send.batches) return;
  await ctx.db.patch("emailSends", sendId, { finishedAt: Date.now(), ...(send.status === "sending" ? { status: "sent" as const } : {}) });
}

async function batchRows(ctx: QueryCtx, send: Doc<"emailSends">, batch: number) {
  return await ctx.db
    .query("emailDeliveries")
    .withIndex("by_siteId_and_sendId_and_batch", (q) => q.eq("siteId", send.siteId).eq("sendId", send._id).eq("batch", batch))
    .take(PAGE_SIZE);
}

export type ClaimedBatch = {
  siteId: Id<"sites">;
  siteSlug: string;
  fromName: string;
  replyTo: string | null;
  idempotencyKey: string;
  recipients: Array<{ deliveryId: Id<"emailDeliveries">; memberId: Id<"audienceMembers">; email: string; access: "full" | "teaser" }>;
  renders: { full: PostEmailTemplate; teaser: PostEmailTemplate | null };
};

/**
 * Claims a batch before the provider call. Cancelled (or no longer sendable) sends cancel their
 * unclaimed queued deliveries instead; an address suppressed, or a member unsubscribed, since
 * planning is skipped / cancelled. Returns every claimed row of the batch (claimed now or by an
 * interrupted earlier attempt), in a fixed order, so a retry sends the same body; null when none.
 */
export async function claimBatch(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number): Promise<ClaimedBatch | null> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send) return null;
  const stop = send.status !== "sending" || (await stillSendable(ctx, send)) !== null;
  const rows = await batchRows(ctx, send, batch);
  const now = Date.now();
  const claimed: Doc<"emailDeliveries">[] = [];
  const moves: CounterMoves = new Map();
  for (const row of rows) {
    if (row.claimedAt !== undefined) claimed.push(row);
    else if (row.status === "queued") {
      if (stop) await setDeliveryStatus(ctx, row, "cancelled", {}, moves);
      else if (await isSuppressed(ctx, row.email)) await setDeliveryStatus(ctx, row, "skipped", {}, moves);
      else if ((await ctx.db.get("audienceMembers", row.memberId))?.emailState !== "subscribed") {
        // Unsubscribed (or bounced) between planning and sending: not emailed.
        await setDeliveryStatus(ctx, row, "cancelled", { error: "No longer subscribed when the batch was sent." }, moves);
      } else {
        await ctx.db.patch("emailDeliveries", row._id, { claimedAt: now, attempts: row.attempts + 1 });
        claimed.push(row);
      }
    }
  }
  await applyMoves(ctx, moves);
  if (claimed.length === 0) return null;
  const site = await ctx.db.get("sites", send.siteId);
  const full = await contentRow(ctx, send, "full");
  const teaser = await contentRow(ctx, send, "teaser");
  if (!site || !full) return null;
  const template = (r: Doc<"emailSendContents">): PostEmailTemplate => ({ subject: r.subject, html: r.body, text: r.text ?? "", placeholders: r.placeholders! });
  return {
    siteId: send.siteId,
    siteSlug: site.slug,
    fromName: send.fromName,
    replyTo: send.replyTo ?? null,
    idempotencyKey: `post-send/${sendId}/batch/${batch}`,
    recipients: claimed.map((r) => ({ deliveryId: r._id, memberId: r.memberId, email: r.email, access: r.access })),
    renders: { full: template(full), teaser: teaser ? template(teaser) : null },
  };
}

/** Each recipient's copy: their signed links in the footer and List-Unsubscribe headers, a tag naming the delivery. */
export async function batchMessages(claim: ClaimedBatch): Promise<BatchMessage[]> {
  const { app, convexSite } = origins();
  const out: BatchMessage[] = [];
  for (const r of claim.recipients) {
    const unsubscribeToken = encodeURIComponent(await signMemberToken(claim.siteId, r.memberId, "unsubscribe"));
    const preferencesToken = encodeURIComponent(await signMemberToken(claim.siteId, r.memberId, "preferences"));
    // A teaser recipient never gets the full render, even if the teaser one were missing.
    const template = r.access === "teaser" ? claim.renders.teaser : claim.renders.full;
    if (!template) throw new Error(`Send batch ${claim.idempotencyKey}: the teaser render is missing`);
    const email = fillPostEmail(template, {
      unsubscribe: `${app}/${claim.siteSlug}/email/unsubscribe?token=${unsubscribeToken}`,
      oneClick: `${convexSite}/unsubscribe?token=${unsubscribeToken}`,
      preferences: `${app}/${claim.siteSlug}/email/preferences?token=${preferencesToken}`,
    });
    out.push({
      to: r.email,
      subject: email.subject,
      html: email.html,
      text: email.text,
      headers: email.headers,
      fromName: claim.fromName,
      ...(claim.replyTo ? { replyTo: claim.replyTo } : {}),
      tags: [{ name: "delivery", value: r.deliveryId }],
    });
  }
  return out;
}

/** Records the provider's answer: queued → sent (with its id) or failed (a permanent refusal). */
export async function recordBatch(
  ctx: MutationCtx,
  results: Array<{ deliveryId: Id<"emailDeliveries">; providerId?: string; error?: string }>,
): Promise<void> {
  const moves: CounterMoves = new Map();
  for (const r of results) {
    const row = await ctx.db.get("emailDeliveries", r.deliveryId);
    if (!row) continue;
    const extra = r.error !== undefined ? { error: r.error.slice(0, 300) } : r.providerId ? { providerId: r.providerId } : {};
    if (row.status === "queued") await setDeliveryStatus(ctx, row, r.error !== undefined ? "failed" : "sent", extra, moves);
    else if (r.providerId && !row.providerId) await ctx.db.patch("emailDeliveries", row._id, { providerId: r.providerId });
  }
  await applyMoves(ctx, moves);
}

/** The workpool's onComplete: after the last failed attempt the claimed rows fail; the batch counts as done. */
export async function batchComplete(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number, result: RunResult): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send) return;
  if (result.kind !== "success") {
    const error = result.kind === "failed" ? result.error : "canceled";
    const moves: CounterMoves = new Map();
    for (const row of await batchRows(ctx, send, batch)) {
      if (row.status === "queued") await setDeliveryStatus(ctx, row, "failed", { error: error.slice(0, 300) }, moves);
    }
    await applyMoves(ctx, moves);
  }
  const fresh = (await ctx.db.get("emailSends", sendId))!;
  await ctx.db.patch("emailSends", sendId, { batchesDone: fresh.batchesDone + 1 });
  await finishIfDone(ctx, sendId);
}

/** The workpool's onComplete for a planning page: a page that threw ends the send as failed (it would never finish). */
export async function planComplete(ctx: MutationCtx, sendId: Id<"emailSends">, result: RunResult): Promise<void> {
  if (result.kind === "failed") await failSend(ctx, sendId, `Planning failed: ${result.error}`);
}

/** A newly cancelled send whose batches are all done is finished now (sends.cancel calls it). */
export { finishIfDone };

/** Exact counts of a send's deliveries by status (tests compare them with the counters). */
export async function recount(ctx: QueryCtx, send: Doc<"emailSends">) {
  const counts: Record<string, number> = {};
  for await (const d of ctx.db.query("emailDeliveries").withIndex("by_siteId_and_sendId_and_status", (q) => q.eq("siteId", send.siteId).eq("sendId", send._id))) {
    counts[d.status] = (counts[d.status] ?? 0) + 1;
  }
  return counts;
}
