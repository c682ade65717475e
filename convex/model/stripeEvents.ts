import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { notify } from "../lib/notify";
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from "../shared/constants";
import { trackPeriodEnd } from "./entitlements";
import { activeOwners } from "./members";

// Stripe webhook events → subscriptions, payments and billingCustomers rows.
//
// Invariants (billing:applyEvent runs applyStripeEvent in one transaction):
// - Idempotent by event id: a stripeEvents row is written with the effects, so a replayed (or
//   concurrently delivered) event finds it and changes nothing.
// - Convergent under out-of-order delivery: a subscription row remembers the `created` time of the
//   newest event applied to its state (lastEventAt); older events are recorded as "stale" and change
//   no state. Events of the same second are ordered by lifecycle rank (incomplete < trialing <
//   active < past_due < unpaid < canceled), and canceled is terminal, as it is in Stripe.
// - Payments are one row per invoice (or per charge, for a refund of a charge we never saw an
//   invoice for). Status only moves forward: failed → succeeded → refunded.
// - The tenant comes from metadata our checkout put on the session and subscription ({siteId,
//   userId, planId}), or from `hints` (the webhook handler reads them from the Stripe customer).
//   Events we cannot place are recorded as "ignored".

/** The metadata keys Pressroom puts on Stripe objects; every other key is dropped. */
export const OUR_METADATA_KEYS = ["siteId", "userId", "planId"] as const;
export type OurMetadata = Partial<Record<(typeof OUR_METADATA_KEYS)[number], string>>;

export type ApplyOutcome = "applied" | "stale" | "ignored" | "duplicate";

interface EventBase {
  eventId: string;
  type: string;
  /** Event creation time in ms. */
  created: number;
}

export interface SubscriptionSnapshot {
  id: string;
  customerId?: string;
  status: SubscriptionStatus;
  currentPeriodStart?: number;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd: boolean;
  canceledAt?: number;
  trialEnd?: number;
  priceId?: string;
  metadata: OurMetadata;
}

export interface InvoiceFacts {
  id: string;
  customerId?: string;
  subscriptionId?: string;
  amountPaid: number;
  amountDue: number;
  currency: string;
  billingReason?: string;
  periodStart?: number;
  periodEnd?: number;
  chargeId?: string;
  paidAt?: number;
  description?: string;
  priceId?: string;
  metadata: OurMetadata;
}

export interface ChargeFacts {
  id: string;
  customerId?: string;
  amount: number;
  amountRefunded: number;
  refunded: boolean;
  currency: string;
  invoiceId?: string;
  metadata: OurMetadata;
}

/** A Stripe event reduced to the facts Pressroom acts on. */
export type BillingEvent = EventBase &
  (
    | {
        kind: "checkout";
        session: { id: string; mode?: string; customerId?: string; subscriptionId?: string; clientReferenceId?: string; metadata: OurMetadata };
      }
    | { kind: "subscription"; deleted: boolean; subscription: SubscriptionSnapshot }
    | { kind: "invoice"; paid: boolean; invoice: InvoiceFacts }
    | { kind: "refund"; charge: ChargeFacts }
    | { kind: "other" }
  );

// --- parsing -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const obj = (x: unknown): Json | undefined => (x && typeof x === "object" && !Array.isArray(x) ? (x as Json) : undefined);
const str = (x: unknown): string | undefined => (typeof x === "string" && x.length > 0 ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
/** Stripe timestamps are seconds; ours are ms. */
const ms = (x: unknown): number | undefined => {
  const n = num(x);
  return n === undefined ? undefined : n * 1000;
};
/** An expandable field: the id string, or the expanded object's id. */
const idOf = (x: unknown): string | undefined => str(x) ?? str(obj(x)?.id);
const firstOf = (list: unknown): Json | undefined => {
  const data = obj(list)?.data;
  return Array.isArray(data) ? obj(data[0]) : undefined;
};

function ours(...sources: unknown[]): OurMetadata {
  const out: OurMetadata = {};
  for (const source of sources) {
    const m = obj(source);
    if (!m) continue;
    for (const k of OUR_METADATA_KEYS) if (out[k] === undefined && str(m[k])) out[k] = m[k] as string;
  }
  return out;
}

const isStatus = (s: unknown): s is SubscriptionStatus => (SUBSCRIPTION_STATUSES as readonly unknown[]).includes(s);

/** Reads a Stripe event (full or trimmed by trimStripeEvent). @throws Error if it is not an event. */
export function parseStripeEvent(raw: unknown): BillingEvent {
  const e = obj(raw);
  const eventId = str(e?.id);
  const type = str(e?.type);
  const created = ms(e?.created);
  if (!e || !eventId || !type || created === undefined) throw new Error("Not a Stripe event: id, type and created are required");
  const base: EventBase = { eventId, type, created };
  const o = obj(obj(e.data)?.object) ?? {};
  const id = str(o.id);
  if (!id) return { ...base, kind: "other" };

  if (type === "checkout.session.completed") {
    return {
      ...base,
      kind: "checkout",
      session: {
        id,
        mode: str(o.mode),
        customerId: idOf(o.customer),
        subscriptionId: idOf(o.subscription),
        clientReferenceId: str(o.client_reference_id),
        metadata: ours(o.metadata),
      },
    };
  }
  if (type === "customer.subscription.created" || type === "customer.subscription.updated" || type === "customer.subscription.deleted") {
    const deleted = type === "customer.subscription.deleted";
    const status = deleted ? "canceled" : o.status;
    if (!isStatus(status)) return { ...base, kind: "other" };
    // Since API 2025-03-31 periods live on subscription items; older versions had them on the subscription.
    const item = firstOf(o.items);
    return {
      ...base,
      kind: "subscription",
      deleted,
      subscription: {
        id,
        customerId: idOf(o.customer),
        status,
        currentPeriodStart: ms(item?.current_period_start) ?? ms(o.current_period_start),
        currentPeriodEnd: ms(item?.current_period_end) ?? ms(o.current_period_end),
        cancelAtPeriodEnd: o.cancel_at_period_end === true,
        canceledAt: ms(o.canceled_at),
        trialEnd: ms(o.trial_end),
        priceId: idOf(item?.price),
        metadata: ours(o.metadata),
      },
    };
  }
  if (type === "invoice.paid" || type === "invoice.payment_failed") {
    const subDetails = obj(obj(o.parent)?.subscription_details);
    const line = firstOf(o.lines);
    const period = obj(line?.period);
    const payment = obj(firstOf(o.payments)?.payment);
    const pricing = obj(obj(line?.pricing)?.price_details);
    return {
      ...base,
      kind: "invoice",
      paid: type === "invoice.paid",
      invoice: {
        id,
        customerId: idOf(o.customer),
        subscriptionId: idOf(subDetails?.subscription) ?? idOf(o.subscription),
        amountPaid: num(o.amount_paid) ?? 0,
        amountDue: num(o.amount_due) ?? 0,
        currency: str(o.currency) ?? "usd",
        billingReason: str(o.billing_reason),
        // invoice.period_* of a subscription invoice is the *previous* period; the line has the paid one.
        periodStart: ms(period?.start),
        periodEnd: ms(period?.end),
        chargeId: idOf(o.charge) ?? idOf(payment?.charge),
        paidAt: ms(obj(o.status_transitions)?.paid_at),
        description: str(o.description) ?? str(line?.description),
        priceId: idOf(pricing?.price) ?? idOf(line?.price),
        metadata: ours(subDetails?.metadata, obj(o.subscription_details)?.metadata, o.metadata),
      },
    };
  }
  if (type === "charge.refunded") {
    return {
      ...base,
      kind: "refund",
      charge: {
        id,
        customerId: idOf(o.customer),
        amount: num(o.amount) ?? 0,
        amountRefunded: num(o.amount_refunded) ?? 0,
        refunded: o.refunded === true,
        currency: str(o.currency) ?? "usd",
        invoiceId: idOf(o.invoice),
        metadata: ours(o.metadata),
      },
    };
  }
  return { ...base, kind: "other" };
}

const MAX_TRIM_DEPTH = 8;

/**
 * A copy of a verified Stripe event that is a valid Convex value and small: keys Convex rejects
 * (leading "$", non-ASCII) are dropped, metadata keeps only our keys, arrays keep their first 5
 * items. parseStripeEvent reads the copy exactly as it reads the original.
 */
export function trimStripeEvent(raw: unknown): Record<string, unknown> {
  const copy = (value: unknown, depth: number, metadata: boolean): unknown => {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") return Number.isFinite(value) ? value : null;
    if (depth > MAX_TRIM_DEPTH) return null;
    if (Array.isArray(value)) return value.slice(0, 5).map((v) => copy(v, depth + 1, false));
    const o = obj(value);
    if (!o) return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined || !/^[\x20-\x7e]{1,64}$/.test(k) || k.startsWith("$")) continue;
      if (metadata && !(OUR_METADATA_KEYS as readonly string[]).includes(k)) continue;
      out[k] = copy(v, depth + 1, k === "metadata");
    }
    return out;
  };
  return copy(raw, 0, false) as Record<string, unknown>;
}

// --- applying ------------------------------------------------------------------------------------

/** Lifecycle order of statuses, used to order events of the same second. */
const RANK: Record<SubscriptionStatus, number> = {
  incomplete: 0,
  incomplete_expired: 1,
  trialing: 1,
  active: 2,
  paused: 3,
  past_due: 3,
  unpaid: 4,
  canceled: 5,
};

interface Target {
  site: Doc<"sites">;
  userId: Id<"users">;
  planId?: Id<"subscriptionPlans">;
}

/**
 * The site, user and plan an event belongs to: from our metadata, then the hints, then (for the
 * user) the site's billingCustomers row for the Stripe customer.
 * @returns null when the site or user is unknown (or the user no longer exists).
 */
async function resolveTarget(ctx: QueryCtx, meta: OurMetadata, customerId: string | undefined, hints: OurMetadata): Promise<Target | null> {
  const siteId = ctx.db.normalizeId("sites", meta.siteId ?? hints.siteId ?? "");
  const site = siteId ? await ctx.db.get(siteId) : null;
  if (!site) return null;
  let userId = ctx.db.normalizeId("users", meta.userId ?? hints.userId ?? "");
  if (!userId && customerId) {
    const bc = await ctx.db
      .query("billingCustomers")
      .withIndex("by_siteId_and_stripeCustomerId", (q) => q.eq("siteId", site._id).eq("stripeCustomerId", customerId))
      .first();
    userId = bc?.userId ?? null;
  }
  if (!userId || !(await ctx.db.get(userId))) return null;
  const planId = ctx.db.normalizeId("subscriptionPlans", meta.planId ?? hints.planId ?? "");
  const plan = planId ? await ctx.db.get(planId) : null;
  return { site, userId, planId: plan && plan.siteId === site._id ? plan._id : undefined };
}

/** @returns the site's billing customer row for a user, or null. */
export async function getBillingCustomer(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">) {
  return await ctx.db
    .query("billingCustomers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .first();
}

/** Records the Stripe customer of (site, user); the first one recorded stays. @returns the stored customer id. */
export async function ensureBillingCustomer(ctx: MutationCtx, siteId: Id<"sites">, userId: Id<"users">, stripeCustomerId: string): Promise<string> {
  const existing = await getBillingCustomer(ctx, siteId, userId);
  if (existing) return existing.stripeCustomerId;
  await ctx.db.insert("billingCustomers", { siteId, userId, stripeCustomerId, createdAt: Date.now() });
  return stripeCustomerId;
}

async function subscriptionByStripeId(ctx: QueryCtx, siteId: Id<"sites">, stripeSubscriptionId: string) {
  return await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_stripeSubscriptionId", (q) => q.eq("siteId", siteId).eq("stripeSubscriptionId", stripeSubscriptionId))
    .first();
}

/** The plan whose current Stripe price is `priceId` (a site has a handful of plans). */
async function planByPrice(ctx: QueryCtx, siteId: Id<"sites">, priceId: string | undefined) {
  if (!priceId) return undefined;
  const plans = await ctx.db
    .query("subscriptionPlans")
    .withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId))
    .take(100);
  return plans.find((p) => p.stripePriceId === priceId)?._id;
}

/** Whether an event of `created` moving the row to `status` is newer than the row's state. */
function isNewer(row: Doc<"subscriptions">, created: number, status: SubscriptionStatus): boolean {
  if (row.status === "canceled" && status !== "canceled") return false; // terminal in Stripe
  if (row.lastEventAt === undefined) return true;
  if (created !== row.lastEventAt) return created > row.lastEventAt;
  return RANK[status] >= RANK[row.status];
}

const PAYING: readonly SubscriptionStatus[] = ["active", "trialing"];
const NOT_YET: readonly SubscriptionStatus[] = ["incomplete", "incomplete_expired"];

const stateOf = (s: Pick<Doc<"subscriptions">, "status" | "currentPeriodStart" | "currentPeriodEnd" | "cancelAtPeriodEnd" | "canceledAt" | "planId">) => ({
  status: s.status,
  currentPeriodStart: s.currentPeriodStart,
  currentPeriodEnd: s.currentPeriodEnd,
  cancelAtPeriodEnd: s.cancelAtPeriodEnd,
  canceledAt: s.canceledAt,
  planId: s.planId,
});

/** Tells the site's owners about a new paying subscriber. */
async function notifyNewSubscriber(ctx: MutationCtx, target: Target, planId: Id<"subscriptionPlans"> | undefined) {
  const user = await ctx.db.get(target.userId);
  const plan = planId ? await ctx.db.get(planId) : null;
  const who = user ? displayName(user) : "Someone";
  for (const owner of await activeOwners(ctx, target.site._id)) {
    await notify(ctx, owner.userId, {
      type: "new_subscriber",
      siteId: target.site._id,
      title: `New subscriber on ${target.site.name}`,
      body: plan ? `${who} subscribed to ${plan.name}.` : `${who} subscribed.`,
    });
  }
}

/**
 * Inserts or updates the subscription row for a Stripe subscription with a newer state.
 * @returns "stale" when the row already holds a newer state.
 */
async function writeSubscription(
  ctx: MutationCtx,
  target: Target,
  stripeSubscriptionId: string,
  created: number,
  next: {
    status: SubscriptionStatus;
    currentPeriodStart?: number;
    currentPeriodEnd?: number;
    cancelAtPeriodEnd?: boolean;
    canceledAt?: number;
    trialEnd?: number;
    stripeCustomerId?: string;
    planId?: Id<"subscriptionPlans">;
  },
): Promise<ApplyOutcome> {
  const now = Date.now();
  const row = await subscriptionByStripeId(ctx, target.site._id, stripeSubscriptionId);
  if (row && !isNewer(row, created, next.status)) return "stale";
  const fields = {
    status: next.status,
    currentPeriodStart: next.currentPeriodStart ?? row?.currentPeriodStart ?? created,
    currentPeriodEnd: next.currentPeriodEnd ?? row?.currentPeriodEnd ?? created,
    cancelAtPeriodEnd: next.cancelAtPeriodEnd ?? row?.cancelAtPeriodEnd ?? false,
    canceledAt: next.canceledAt ?? row?.canceledAt,
    trialEnd: next.trialEnd ?? row?.trialEnd,
    stripeCustomerId: next.stripeCustomerId ?? row?.stripeCustomerId,
    planId: next.planId ?? row?.planId ?? target.planId,
    lastEventAt: Math.max(created, row?.lastEventAt ?? created),
    updatedAt: now,
  };
  let subscriptionId: Id<"subscriptions">;
  if (row) {
    await ctx.db.patch(row._id, fields);
    subscriptionId = row._id;
  } else {
    subscriptionId = await ctx.db.insert("subscriptions", {
      siteId: target.site._id,
      userId: target.userId,
      stripeSubscriptionId,
      createdAt: now,
      ...fields,
    });
  }
  await trackPeriodEnd(ctx, subscriptionId, row);
  const before = row ? stateOf(row) : null;
  const after = stateOf(fields);
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    await audit(ctx, {
      siteId: target.site._id,
      action: row ? "billing.subscription.update" : "billing.subscription.create",
      entityType: "subscription",
      entityId: subscriptionId,
      before,
      after,
    });
  }
  const wasPaying = row !== null && !NOT_YET.includes(row.status);
  if (!wasPaying && PAYING.includes(next.status)) await notifyNewSubscriber(ctx, target, fields.planId);
  return "applied";
}

const STATUS_ORDER = { pending: 0, failed: 1, succeeded: 2, refunded: 3 } as const;
type PaymentStatus = keyof typeof STATUS_ORDER;

async function paymentBy(ctx: QueryCtx, siteId: Id<"sites">, invoiceId: string | undefined, chargeId: string | undefined) {
  if (invoiceId) {
    const byInvoice = await ctx.db
      .query("payments")
      .withIndex("by_siteId_and_stripeInvoiceId", (q) => q.eq("siteId", siteId).eq("stripeInvoiceId", invoiceId))
      .first();
    if (byInvoice) return byInvoice;
  }
  if (chargeId) {
    return await ctx.db
      .query("payments")
      .withIndex("by_siteId_and_stripeChargeId", (q) => q.eq("siteId", siteId).eq("stripeChargeId", chargeId))
      .first();
  }
  return null;
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

async function applyInvoice(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "invoice" }>, hints: OurMetadata): Promise<ApplyOutcome> {
  const inv = e.invoice;
  const target = await resolveTarget(ctx, inv.metadata, inv.customerId, hints);
  if (!target) return "ignored";
  const siteId = target.site._id;
  if (inv.customerId) await ensureBillingCustomer(ctx, siteId, target.userId, inv.customerId);
  const planId = target.planId ?? (await planByPrice(ctx, siteId, inv.priceId));

  // The subscription's state: a paid invoice means active through the paid period; a failed renewal
  // means past_due. Both only when newer than what the row holds.
  let outcome: ApplyOutcome = "applied";
  if (inv.subscriptionId) {
    const row = await subscriptionByStripeId(ctx, siteId, inv.subscriptionId);
    if (e.paid) {
      const keepsTrial = row?.status === "trialing" && inv.amountPaid === 0;
      const extends_ = inv.periodEnd !== undefined && (!row || inv.periodEnd > row.currentPeriodEnd);
      outcome = await writeSubscription(ctx, { ...target, planId }, inv.subscriptionId, e.created, {
        status: keepsTrial ? "trialing" : "active",
        currentPeriodStart: extends_ ? inv.periodStart : undefined,
        currentPeriodEnd: extends_ ? inv.periodEnd : undefined,
        stripeCustomerId: inv.customerId,
        planId,
      });
    } else if (row && PAYING.includes(row.status) && inv.billingReason !== "subscription_create") {
      outcome = await writeSubscription(ctx, target, inv.subscriptionId, e.created, { status: "past_due" });
    }
  }

  // The payment row: one per invoice, status only moves forward.
  const existing = await paymentBy(ctx, siteId, inv.id, inv.chargeId);
  const wanted: PaymentStatus = e.paid ? "succeeded" : "failed";
  const status: PaymentStatus = existing && STATUS_ORDER[existing.status] > STATUS_ORDER[wanted] ? existing.status : wanted;
  const sub = inv.subscriptionId ? await subscriptionByStripeId(ctx, siteId, inv.subscriptionId) : null;
  // A paid invoice records what was paid; a failed one what was due, unless the row already moved on.
  const amountCents = e.paid
    ? existing?.status === "refunded"
      ? existing.amountCents
      : inv.amountPaid
    : existing && status !== "failed"
      ? existing.amountCents
      : inv.amountDue;
  const description = inv.description ?? (planId ? (await ctx.db.get(planId))?.name : undefined);
  let paymentId: Id<"payments">;
  if (existing) {
    paymentId = existing._id;
    await ctx.db.patch(existing._id, {
      status,
      amountCents,
      stripeInvoiceId: existing.stripeInvoiceId ?? inv.id,
      stripeChargeId: existing.stripeChargeId ?? inv.chargeId,
      subscriptionId: existing.subscriptionId ?? sub?._id,
      description: existing.description ?? description,
    });
  } else {
    paymentId = await ctx.db.insert("payments", {
      siteId,
      userId: target.userId,
      subscriptionId: sub?._id,
      amountCents,
      currency: inv.currency,
      status,
      description,
      stripeInvoiceId: inv.id,
      stripeChargeId: inv.chargeId,
      createdAt: inv.paidAt ?? e.created,
    });
  }
  if (!existing || existing.status !== status) {
    await audit(ctx, {
      siteId,
      action: `billing.payment.${status}`,
      entityType: "payment",
      entityId: paymentId,
      before: existing ? { status: existing.status } : null,
      after: { status, amountCents, currency: inv.currency, stripeInvoiceId: inv.id },
    });
  }
  if (!e.paid && status === "failed") {
    await notify(ctx, target.userId, {
      type: "payment_failed",
      siteId,
      title: `Your payment to ${target.site.name} failed`,
      body: `We couldn't collect ${money(inv.amountDue, inv.currency)}. Update your payment method to keep reading subscriber-only posts.`,
      link: `/${target.site.slug}/subscribe`,
    });
  }
  return outcome === "stale" ? "applied" : outcome; // the payment was still recorded
}

async function applyRefund(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "refund" }>, hints: OurMetadata): Promise<ApplyOutcome> {
  const ch = e.charge;
  const target = await resolveTarget(ctx, ch.metadata, ch.customerId, hints);
  if (!target) return "ignored";
  const siteId = target.site._id;
  const existing = await paymentBy(ctx, siteId, ch.invoiceId, ch.id);
  const fully = ch.refunded || (ch.amount > 0 && ch.amountRefunded >= ch.amount);
  if (existing) {
    const refundedBefore = existing.amountRefundedCents ?? 0;
    if (ch.amountRefunded <= refundedBefore && (existing.status === "refunded" || !fully)) return "stale";
    const status: PaymentStatus = fully ? "refunded" : existing.status;
    await ctx.db.patch(existing._id, {
      status,
      amountRefundedCents: Math.max(ch.amountRefunded, refundedBefore),
      stripeChargeId: existing.stripeChargeId ?? ch.id,
    });
    await audit(ctx, {
      siteId,
      action: "billing.payment.refund",
      entityType: "payment",
      entityId: existing._id,
      before: { status: existing.status, amountRefundedCents: refundedBefore },
      after: { status, amountRefundedCents: ch.amountRefunded },
    });
    return "applied";
  }
  // A refund of a charge we have no invoice for (yet): its own row. A later invoice.paid with this
  // charge finds it by charge id and does not move it back to succeeded.
  const paymentId = await ctx.db.insert("payments", {
    siteId,
    userId: target.userId,
    amountCents: ch.amount,
    amountRefundedCents: ch.amountRefunded,
    currency: ch.currency,
    status: fully ? "refunded" : "succeeded",
    stripeChargeId: ch.id,
    stripeInvoiceId: ch.invoiceId,
    createdAt: e.created,
  });
  await audit(ctx, {
    siteId,
    action: "billing.payment.refund",
    entityType: "payment",
    entityId: paymentId,
    before: null,
    after: { status: fully ? "refunded" : "succeeded", amountRefundedCents: ch.amountRefunded },
  });
  return "applied";
}

async function applyCheckout(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "checkout" }>, hints: OurMetadata): Promise<ApplyOutcome> {
  const s = e.session;
  if (s.mode !== undefined && s.mode !== "subscription") return "ignored";
  const meta = { ...s.metadata, userId: s.metadata.userId ?? s.clientReferenceId };
  const target = await resolveTarget(ctx, meta, s.customerId, hints);
  if (!target) return "ignored";
  if (s.customerId) await ensureBillingCustomer(ctx, target.site._id, target.userId, s.customerId);
  if (!s.subscriptionId) return "applied";
  const row = await subscriptionByStripeId(ctx, target.site._id, s.subscriptionId);
  if (row) {
    // The subscription's own events carry its state; the session only fills in what they lacked.
    const patch: Partial<Doc<"subscriptions">> = {};
    if (!row.planId && target.planId) patch.planId = target.planId;
    if (!row.stripeCustomerId && s.customerId) patch.stripeCustomerId = s.customerId;
    if (Object.keys(patch).length) await ctx.db.patch(row._id, patch);
    return "applied";
  }
  // Before the subscription's own events: a placeholder that grants nothing until they arrive. No
  // lastEventAt, so any subscription event (even one of an earlier second) applies over it.
  const now = Date.now();
  const id = await ctx.db.insert("subscriptions", {
    siteId: target.site._id,
    userId: target.userId,
    planId: target.planId,
    status: "incomplete",
    currentPeriodStart: e.created,
    currentPeriodEnd: e.created,
    cancelAtPeriodEnd: false,
    stripeCustomerId: s.customerId,
    stripeSubscriptionId: s.subscriptionId,
    createdAt: now,
    updatedAt: now,
  });
  await trackPeriodEnd(ctx, id, null);
  await audit(ctx, {
    siteId: target.site._id,
    action: "billing.checkout.completed",
    entityType: "subscription",
    entityId: id,
    before: null,
    after: { status: "incomplete", planId: target.planId },
  });
  return "applied";
}

async function applySubscription(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "subscription" }>, hints: OurMetadata): Promise<ApplyOutcome> {
  const s = e.subscription;
  const target = await resolveTarget(ctx, s.metadata, s.customerId, hints);
  if (!target) return "ignored";
  if (s.customerId) await ensureBillingCustomer(ctx, target.site._id, target.userId, s.customerId);
  const planId = target.planId ?? (await planByPrice(ctx, target.site._id, s.priceId));
  return await writeSubscription(ctx, target, s.id, e.created, {
    status: s.status,
    currentPeriodStart: s.currentPeriodStart,
    currentPeriodEnd: s.currentPeriodEnd,
    cancelAtPeriodEnd: s.status === "canceled" ? false : s.cancelAtPeriodEnd,
    canceledAt: s.canceledAt ?? (s.status === "canceled" ? e.created : undefined),
    trialEnd: s.trialEnd,
    stripeCustomerId: s.customerId,
    planId,
  });
}

/**
 * Applies a Stripe event once: a replay (same event id) changes nothing and answers "duplicate".
 * Trusted: the caller verified the event's signature (or is a test).
 * @throws Error if `raw` is not a Stripe event.
 */
export async function applyStripeEvent(ctx: MutationCtx, raw: unknown, hints: OurMetadata = {}): Promise<ApplyOutcome> {
  const e = parseStripeEvent(raw);
  const seen = await ctx.db
    .query("stripeEvents")
    .withIndex("by_eventId", (q) => q.eq("eventId", e.eventId))
    .first();
  if (seen) return "duplicate";
  let outcome: ApplyOutcome;
  switch (e.kind) {
    case "checkout":
      outcome = await applyCheckout(ctx, e, hints);
      break;
    case "subscription":
      outcome = await applySubscription(ctx, e, hints);
      break;
    case "invoice":
      outcome = await applyInvoice(ctx, e, hints);
      break;
    case "refund":
      outcome = await applyRefund(ctx, e, hints);
      break;
    default:
      outcome = "ignored";
  }
  await ctx.db.insert("stripeEvents", { eventId: e.eventId, type: e.type, created: e.created, processedAt: Date.now(), outcome });
  return outcome;
}

/** Whether applying the event may need the customer's metadata (no site in the event itself). */
export function needsCustomerHints(raw: unknown): string | null {
  try {
    const e = parseStripeEvent(raw);
    const meta =
      e.kind === "checkout" ? e.session.metadata : e.kind === "subscription" ? e.subscription.metadata : e.kind === "invoice" ? e.invoice.metadata : e.kind === "refund" ? e.charge.metadata : null;
    const customer =
      e.kind === "checkout" ? e.session.customerId : e.kind === "subscription" ? e.subscription.customerId : e.kind === "invoice" ? e.invoice.customerId : e.kind === "refund" ? e.charge.customerId : undefined;
    if (!meta || meta.siteId || !customer) return null;
    return customer;
  } catch {
    return null;
  }
}
