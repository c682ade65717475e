import { pruneNull } from "convex-helpers";
import { inWaves } from "../lib/inWaves";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { renderPostEmailTemplate, type PostEmailTemplate } from "../email/postEmail";
import { signMemberToken } from "../lib/memberTokens";
import { fillPostEmail } from "../email/postEmail";
import type { BatchMessage } from "./email";
import { isSuppressed } from "./suppressions";
import { applyMoves, inSegment, liveDeliveryFor, origins, setDeliveryStatus, type CounterMoves } from "./sends";

// The background steps of a send (ADR 013), each a durable job of the scheduler:
//   render (action, scheduled by startSend) → storeRenders → planPage (mutation, one page of 100
//   subscribers, continues itself) → one provider batch per page, handed out by dispatch (at most
//   SEND_PARALLELISM at once): sendBatch (action) = claimBatch (mutation) → provider call with a
//   deterministic Idempotency-Key → recordBatch, which frees the slot for the next batch.
// The watchdog (watch, every WATCHDOG_MS while the send has work) runs a batch again when its attempt
// died (its job failed, or it has not reported for STALE_MS: a backend restart or a lost action) and
// fails the send when a planning page failed. Not @convex-dev/workpool: its recovery of a dead job
// waits 5 minutes and the dead job holds a slot meanwhile (ADR 013).
// At most once per (post, member): a batch's deliveries are claimed in a mutation before the call;
// a re-run of a claimed-but-unrecorded batch sends the same messages with the same key, which the
// provider answers from its idempotency cache without sending again.

export const PAGE_SIZE = 100;
/** Provider batches of one send in flight at once. */
export const SEND_PARALLELISM = 4;
/** Attempts of one batch (provider errors, timeouts and dead actions) before its rows fail. */
export const MAX_ATTEMPTS = 5;
/** The watchdog's period while a send has work. */
export const WATCHDOG_MS = 10_000;
/** An attempt silent this long is presumed dead (the provider call itself times out after 10 s: model/email.ts). */
export const STALE_MS = 30_000;
const backoffMs = (attempt: number) => 1000 * 2 ** (attempt - 1);

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
  const planJob = await ctx.scheduler.runAfter(0, internal.sends.planPage, { sendId });
  await ctx.db.patch("emailSends", sendId, { status: "sending", startedAt: Date.now(), planJob });
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.sends.watch, { sendId });
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
  // The page's reads run 25 members at a time (inWaves: a few round trips a wave, not four a member), then its inserts.
  const planned = new Set<Id<"audienceMembers">>();
  const recipients = pruneNull(
    await inWaves(page.page, async (sub) => {
      const member = await ctx.db.get("audienceMembers", sub.memberId);
      if (!member || member.siteId !== send.siteId || member.emailState !== "subscribed") return null;
      if (!inSegment(send.segment, member.access)) return null;
      const [live, suppressed] = await Promise.all([liveDeliveryFor(ctx, send.siteId, send.postId, member._id), isSuppressed(ctx, member.email)]);
      return live ? null : { member, suppressed };
    }),
  ).filter(({ member }) => {
    if (planned.has(member._id)) return false;
    planned.add(member._id);
    return true;
  });
  const now = Date.now();
  let queued = 0;
  let skipped = 0;
  await inWaves(recipients, async ({ member, suppressed }) => {
    if (suppressed) skipped++;
    else queued++;
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
  });
  const batches = send.batches + (queued > 0 ? 1 : 0);
  const fresh = (await ctx.db.get("emailSends", sendId))!;
  const planJob = page.isDone ? undefined : await ctx.scheduler.runAfter(0, internal.sends.planPage, { sendId });
  await ctx.db.patch("emailSends", sendId, {
    total: fresh.total + queued + skipped,
    counts: { ...fresh.counts, queued: fresh.counts.queued + queued, skipped: fresh.counts.skipped + skipped },
    batches,
    planCursor: page.continueCursor,
    planDone: page.isDone,
    planJob,
  });
  // This page's batch goes out at once when a slot is free: sending does not wait for planning to end.
  await dispatch(ctx, sendId);
}

/** sent (or cancelled) with finishedAt once planning is over and every batch finished (batchesDone counts releases). */
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
 * interrupted earlier attempt), in a fixed order, so a retry sends the same body. Null, with the
 * batch's slot freed, when nothing is left to send (all recorded: a late duplicate attempt).
 */
export async function claimBatch(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number): Promise<ClaimedBatch | null> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send) return null;
  const stop = send.status !== "sending" || (await stillSendable(ctx, send)) !== null;
  const rows = await batchRows(ctx, send, batch);
  const now = Date.now();
  const moves: CounterMoves = new Map();
  // The rows' checks run 25 rows at a time (inWaves), not three round trips a row after another;
  // the claimed rows keep their index order, so a retry sends the same body.
  const outcomes = await inWaves(rows, async (row): Promise<Doc<"emailDeliveries"> | null> => {
    if (row.claimedAt !== undefined) return row;
    if (row.status !== "queued") return null;
    if (stop) return await setDeliveryStatus(ctx, row, "cancelled", {}, moves).then(() => null);
    const [suppressed, member] = await Promise.all([isSuppressed(ctx, row.email), ctx.db.get("audienceMembers", row.memberId)]);
    if (suppressed) return await setDeliveryStatus(ctx, row, "skipped", {}, moves).then(() => null);
    if (member?.emailState !== "subscribed") {
      // Unsubscribed (or bounced) between planning and sending: not emailed.
      await setDeliveryStatus(ctx, row, "cancelled", { error: "No longer subscribed when the batch was sent." }, moves);
      return null;
    }
    await ctx.db.patch("emailDeliveries", row._id, { claimedAt: now, attempts: row.attempts + 1 });
    return row;
  });
  const claimed = pruneNull(outcomes);
  await applyMoves(ctx, moves);
  if (!claimed.some((r) => r.status === "queued")) {
    await release(ctx, sendId, batch);
    return null;
  }
  const site = await ctx.db.get("sites", send.siteId);
  const full = await contentRow(ctx, send, "full");
  const teaser = await contentRow(ctx, send, "teaser");
  if (!site || !full) {
    await giveUp(ctx, sendId, batch, "The send's site or content is gone.");
    return null;
  }
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

/** Records the provider's answer: queued → sent (with its id) or failed (a permanent refusal); frees the batch's slot. */
export async function recordBatch(
  ctx: MutationCtx,
  sendId: Id<"emailSends">,
  batch: number,
  results: Array<{ deliveryId: Id<"emailDeliveries">; providerId?: string; error?: string }>,
): Promise<void> {
  const moves: CounterMoves = new Map();
  // Rows in waves rather than two round trips each. A row named twice counts once (its first
  // result), as it would one after the other: two at once would both see it queued.
  const byRow = new Map<Id<"emailDeliveries">, (typeof results)[number]>();
  for (const r of results) if (!byRow.has(r.deliveryId)) byRow.set(r.deliveryId, r);
  await inWaves([...byRow.values()], async (r) => {
    const row = await ctx.db.get("emailDeliveries", r.deliveryId);
    if (!row || row.sendId !== sendId) return;
    const extra = r.error !== undefined ? { error: r.error.slice(0, 300) } : r.providerId ? { providerId: r.providerId } : {};
    // Idempotent: a second recording of the same batch (a duplicate attempt) finds the rows moved.
    if (row.status === "queued") await setDeliveryStatus(ctx, row, r.error !== undefined ? "failed" : "sent", extra, moves);
    else if (r.providerId && !row.providerId) await ctx.db.patch("emailDeliveries", row._id, { providerId: r.providerId });
  });
  await applyMoves(ctx, moves);
  await release(ctx, sendId, batch);
}

type InFlight = NonNullable<Doc<"emailSends">["inFlight"]>[number];

/** Whether a send still has batches to hand out or running. */
function hasWork(send: Doc<"emailSends">): boolean {
  return (send.inFlight?.length ?? 0) > 0 || (send.nextBatch ?? 0) < send.batches;
}

/** Hands planned batches to free slots (a scheduled sendBatch each), then finishes the send if all is done. */
export async function dispatch(ctx: MutationCtx, sendId: Id<"emailSends">): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send || send.status === "queued") return;
  const inFlight = [...(send.inFlight ?? [])];
  let next = send.nextBatch ?? 0;
  const now = Date.now();
  // A cancelled or failed send still runs its batches: claimBatch cancels their rows (counters exact).
  while (inFlight.length < SEND_PARALLELISM && next < send.batches) {
    const job = await ctx.scheduler.runAfter(0, internal.sends.sendBatch, { sendId, batch: next, attempt: 1 });
    inFlight.push({ batch: next, attempt: 1, at: now, job });
    next++;
  }
  if (next !== (send.nextBatch ?? 0)) await ctx.db.patch("emailSends", sendId, { inFlight, nextBatch: next });
  await finishIfDone(ctx, sendId);
}

/** The batch is over (recorded, nothing to send, or given up): its slot goes to the next. Once per batch. */
async function release(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  const inFlight = send?.inFlight ?? [];
  if (!send || !inFlight.some((e) => e.batch === batch)) return; // released already (a duplicate attempt)
  await ctx.db.patch("emailSends", sendId, { inFlight: inFlight.filter((e) => e.batch !== batch), batchesDone: send.batchesDone + 1 });
  await dispatch(ctx, sendId);
}

/** After the last attempt: the batch's rows still queued fail, and its slot is freed. */
async function giveUp(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number, error: string): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send) return;
  const moves: CounterMoves = new Map();
  for (const row of await batchRows(ctx, send, batch)) {
    if (row.status === "queued") await setDeliveryStatus(ctx, row, "failed", { error: error.slice(0, 300) }, moves);
  }
  await applyMoves(ctx, moves);
  await release(ctx, sendId, batch);
}

/** Runs `entry`'s batch again after `delayMs` (same claimed rows, same key), or gives up after MAX_ATTEMPTS. */
async function rerun(ctx: MutationCtx, send: Doc<"emailSends">, entry: InFlight, error: string, delayMs: number): Promise<void> {
  if (entry.attempt >= MAX_ATTEMPTS) return await giveUp(ctx, send._id, entry.batch, error);
  const attempt = entry.attempt + 1;
  const job = await ctx.scheduler.runAfter(delayMs, internal.sends.sendBatch, { sendId: send._id, batch: entry.batch, attempt });
  const fresh = (await ctx.db.get("emailSends", send._id))!;
  const inFlight = (fresh.inFlight ?? []).map((e) => (e.batch === entry.batch ? { batch: e.batch, attempt, at: Date.now() + delayMs, job } : e));
  await ctx.db.patch("emailSends", send._id, { inFlight });
}

/** A transient provider failure (429, 5xx, 409 in flight, timeout): the same batch again with backoff. */
export async function retryBatch(ctx: MutationCtx, sendId: Id<"emailSends">, batch: number, attempt: number, error: string): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  const entry = send?.inFlight?.find((e) => e.batch === batch);
  // A newer attempt owns the batch (the watchdog re-ran it), or it is over: this report is stale.
  if (!send || !entry || entry.attempt !== attempt) return;
  await rerun(ctx, send, entry, error, backoffMs(attempt));
}

/** Whether an attempt is dead: its job failed or was cancelled (a restart fails running actions), or it is silent too long. */
async function deadAttempt(ctx: MutationCtx, entry: InFlight, now: number): Promise<string | null> {
  if (entry.at + STALE_MS < now) return `The attempt did not report within ${STALE_MS / 1000} s.`;
  const job = await ctx.db.system.get("_scheduled_functions", entry.job);
  if (!job || job.state.kind === "canceled") return "The attempt's job is gone.";
  if (job.state.kind === "failed") return `The attempt failed: ${job.state.error}`;
  return null;
}

/**
 * The watchdog (a scheduled mutation, re-scheduling itself every WATCHDOG_MS while the send has work):
 * re-runs batches whose attempt died, fails a send whose planning page failed, hands out free slots
 * and finishes a send whose batches are all done. Durable: a restarted backend runs it from its store.
 */
export async function watch(ctx: MutationCtx, sendId: Id<"emailSends">): Promise<void> {
  const send = await ctx.db.get("emailSends", sendId);
  if (!send) return;
  const now = Date.now();
  if (send.status === "sending" && !send.planDone && send.planJob) {
    const job = await ctx.db.system.get("_scheduled_functions", send.planJob);
    if (job?.state.kind === "failed") await failSend(ctx, sendId, `Planning failed: ${job.state.error ?? "unknown error"}`);
  }
  for (const entry of send.inFlight ?? []) {
    const dead = await deadAttempt(ctx, entry, now);
    if (dead) await rerun(ctx, send, entry, dead, 0);
  }
  await dispatch(ctx, sendId);
  const fresh = (await ctx.db.get("emailSends", sendId))!;
  if (hasWork(fresh) || (fresh.status === "sending" && fresh.finishedAt === undefined)) {
    await ctx.scheduler.runAfter(WATCHDOG_MS, internal.sends.watch, { sendId });
  }
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
