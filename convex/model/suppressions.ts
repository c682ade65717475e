import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { FIELDS, normalizeField } from "../shared/fields";
import { setDeliveryStatus } from "./sends";

// Resend webhook events → the email suppression list (emailSuppressions), once per delivery id.
//
// Invariants (suppressions:applyEvent runs applyResendEvent in one transaction):
// - Idempotent by svix-id: a resendEvents row is written with the effects, so a replayed (or
//   concurrently delivered) event finds it and changes nothing.
// - Address-wide: every site sends from the platform's Resend domain, so a hard bounce (the mailbox
//   does not exist) and a spam complaint (counted against the shared domain) stop email to the
//   address from every site. Per-site "stop emailing me" is a member's unsubscribe, not this list.
// - Only hard bounces suppress: Resend sends email.bounced for permanent rejections; an event that
//   says its bounce is anything but "Permanent" is recorded and ignored.
// - Trusted input only: the caller (http/resendWebhook.ts) verified the Svix signature first.
// - Post sends (ADR 013): the `delivery` tag names the emailDeliveries row; its status only moves
//   forward (sent → delivered → complained, or bounced) and the send's counters move with it. A
//   bounce or complaint also marks the address's audience member bounced/complained on every site.

export type ResendOutcome = "suppressed" | "ignored" | "duplicate";

/** What applyResendEvent needs of a verified Resend event (the webhook handler parses it). */
export interface ResendEvent {
  /** The svix-id header. */
  eventId: string;
  type: string;
  /** Recipient addresses (`data.to`), as Resend lists them. */
  to: string[];
  /** Resend's email id (`data.email_id`). */
  emailId?: string;
  /** `data.bounce.type` for email.bounced ("Permanent" or "Transient"), when Resend says. */
  bounceType?: string;
  /** When the event happened, ms (`created_at`, else the time it was received). */
  at: number;
  /** The `delivery` tag of a post send's message (an emailDeliveries id, unchecked). */
  deliveryId?: string;
}

/** An address as the suppression list stores it (the one email field rule: trimmed, lowercase). */
export function suppressionKey(email: string): string {
  return normalizeField(FIELDS.email, email);
}

/** Pulls the fields we use out of a verified webhook body. @returns null if it is not a Resend email event. */
export function parseResendEvent(eventId: string, body: unknown, receivedAt: number): ResendEvent | null {
  if (!body || typeof body !== "object") return null;
  const { type, created_at, data } = body as { type?: unknown; created_at?: unknown; data?: unknown };
  if (typeof type !== "string" || !data || typeof data !== "object") return null;
  const d = data as { to?: unknown; email_id?: unknown; bounce?: unknown; tags?: unknown };
  const rawTo = Array.isArray(d.to) ? d.to : typeof d.to === "string" ? [d.to] : [];
  // Resend may list "Name <a@b>"; keep the address part.
  const to = rawTo.filter((x): x is string => typeof x === "string").map((x) => x.match(/<([^>]+)>\s*$/)?.[1] ?? x);
  const bounce = d.bounce && typeof d.bounce === "object" ? (d.bounce as { type?: unknown }) : undefined;
  const at = typeof created_at === "string" ? Date.parse(created_at) : NaN;
  const deliveryId = tagValue(d.tags, "delivery");
  return {
    eventId,
    type,
    to,
    ...(typeof d.email_id === "string" ? { emailId: d.email_id } : {}),
    ...(typeof bounce?.type === "string" ? { bounceType: bounce.type } : {}),
    at: Number.isFinite(at) ? at : receivedAt,
    ...(deliveryId ? { deliveryId } : {}),
  };
}

/** A tag's value: Resend lists tags as `{ name: value }`; the API (and the fake) as `[{ name, value }]`. */
function tagValue(tags: unknown, name: string): string | undefined {
  if (Array.isArray(tags)) {
    const t = tags.find((x: unknown) => !!x && typeof x === "object" && (x as { name?: unknown }).name === name) as { value?: unknown } | undefined;
    return typeof t?.value === "string" ? t.value : undefined;
  }
  if (tags && typeof tags === "object") {
    const value = (tags as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

type DeliveryStatus = Doc<"emailDeliveries">["status"];
const RANK: Partial<Record<DeliveryStatus, number>> = { queued: 0, sent: 1, delivered: 2, bounced: 3, complained: 3 };

/** The status an event gives a delivery, or null when it says nothing about it. */
function deliveryStatusOf(e: ResendEvent): DeliveryStatus | null {
  if (e.type === "email.sent") return "sent";
  if (e.type === "email.delivered") return "delivered";
  if (e.type === "email.complained") return "complained";
  if (e.type === "email.bounced" && (e.bounceType === undefined || e.bounceType === "Permanent")) return "bounced";
  return null;
}

/** Moves the tagged delivery forward (never back: events can arrive out of order). */
async function applyToDelivery(ctx: MutationCtx, e: ResendEvent): Promise<void> {
  const next = deliveryStatusOf(e);
  const id = e.deliveryId === undefined ? null : ctx.db.normalizeId("emailDeliveries", e.deliveryId);
  if (!next || !id) return;
  const delivery = await ctx.db.get("emailDeliveries", id);
  // The event must be about this delivery's address (a tag copied onto another message changes nothing).
  if (!delivery || !e.to.some((to) => suppressionKey(to) === delivery.email)) return;
  const from = RANK[delivery.status];
  if (from === undefined || RANK[next]! <= from) return;
  await setDeliveryStatus(ctx, delivery, next, e.emailId && !delivery.providerId ? { providerId: e.emailId } : {});
}

/** A bounced or complaining address: its audience member on every site is marked so (studio filters). */
async function markMembers(ctx: MutationCtx, email: string, reason: "bounce" | "complaint"): Promise<void> {
  const key = suppressionKey(email);
  if (!key) return;
  const emailState = reason === "bounce" ? "bounced" : "complained";
  const members = await ctx.db
    .query("audienceMembers")
    .withIndex("by_email", (q) => q.eq("email", key))
    .take(500);
  for (const m of members) {
    if (m.emailState !== emailState) await ctx.db.patch("audienceMembers", m._id, { emailState, updatedAt: Date.now() });
  }
}

/** The suppression reason an event carries, or null when it has no effect on the list. */
function reasonOf(e: ResendEvent): "bounce" | "complaint" | null {
  if (e.type === "email.complained") return "complaint";
  if (e.type === "email.bounced" && (e.bounceType === undefined || e.bounceType === "Permanent")) return "bounce";
  return null;
}

/** Puts (or keeps) an address on the list; first/last event times span every event seen. */
async function suppress(ctx: MutationCtx, email: string, reason: "bounce" | "complaint", e: ResendEvent): Promise<boolean> {
  const key = suppressionKey(email);
  if (!key) return false;
  const row = await ctx.db
    .query("emailSuppressions")
    .withIndex("by_email", (q) => q.eq("email", key))
    .unique();
  const emailId = e.emailId !== undefined ? { providerEmailId: e.emailId } : {};
  if (!row) {
    await ctx.db.insert("emailSuppressions", { email: key, reason, firstEventAt: e.at, lastEventAt: e.at, providerEventId: e.eventId, ...emailId });
  } else if (e.at >= row.lastEventAt) {
    await ctx.db.patch("emailSuppressions", row._id, { reason, lastEventAt: e.at, providerEventId: e.eventId, ...emailId });
  } else if (e.at < row.firstEventAt) {
    // An older event delivered late: it only moves the start back.
    await ctx.db.patch("emailSuppressions", row._id, { firstEventAt: e.at });
  }
  return true;
}

/**
 * Applies a Resend event once: a replay (same svix-id) changes nothing and answers "duplicate".
 * Trusted: the caller verified the event's signature (or is a test).
 */
export async function applyResendEvent(ctx: MutationCtx, e: ResendEvent): Promise<ResendOutcome> {
  const seen = await ctx.db
    .query("resendEvents")
    .withIndex("by_eventId", (q) => q.eq("eventId", e.eventId))
    .first();
  if (seen) return "duplicate";
  const reason = reasonOf(e);
  let outcome: ResendOutcome = "ignored";
  if (reason) {
    // A message has few recipients (the sender sends one per member); cap what one event may write.
    for (const address of e.to.slice(0, 50)) {
      if (await suppress(ctx, address, reason, e)) outcome = "suppressed";
      await markMembers(ctx, address, reason);
    }
  }
  await applyToDelivery(ctx, e);
  await ctx.db.insert("resendEvents", { eventId: e.eventId, type: e.type, processedAt: Date.now(), outcome });
  return outcome;
}

/** The suppression row of an address, or null (studio "bounced" filter, tests). */
export async function getSuppression(ctx: QueryCtx, email: string) {
  const key = suppressionKey(email);
  if (!key) return null;
  return await ctx.db
    .query("emailSuppressions")
    .withIndex("by_email", (q) => q.eq("email", key))
    .unique();
}

/** Whether email to the address is suppressed (bounced or complained), for every site. */
export async function isSuppressed(ctx: QueryCtx, email: string): Promise<boolean> {
  return (await getSuppression(ctx, email)) !== null;
}
