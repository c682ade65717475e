import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { notify } from "../lib/notify";
import type { SubscriptionStatus } from "../shared/constants";
import { trackPeriodEnd } from "./entitlements";
import { syncPaidAccess } from "./audience";
import { activeOwners } from "./members";
import type { ApplyOutcome, BillingEvent, OurMetadata } from "./stripeParse";

// Subscription state changes from Stripe events (checkout and customer.subscription.*), and who an
// event belongs to. The ordering rules (lastEventAt, lifecycle rank, canceled terminal) are
// described in stripeEvents.ts.

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

export interface Target {
  site: Doc<"sites">;
  userId: Id<"users">;
  planId?: Id<"subscriptionPlans">;
}

/**
 * The site, user and plan an event belongs to: from our metadata, then the hints, then (for the
 * user) the site's billingCustomers row for the Stripe customer.
 * @returns null when the site or user is unknown (or the user no longer exists).
 */
export async function resolveTarget(ctx: QueryCtx, meta: OurMetadata, customerId: string | undefined, hints: OurMetadata): Promise<Target | null> {
  const siteId = ctx.db.normalizeId("sites", meta.siteId ?? hints.siteId ?? "");
  const site = siteId ? await ctx.db.get("sites", siteId) : null;
  if (!site) return null;
  let userId = ctx.db.normalizeId("users", meta.userId ?? hints.userId ?? "");
  if (!userId && customerId) {
    const bc = await ctx.db
      .query("billingCustomers")
      .withIndex("by_siteId_and_stripeCustomerId", (q) => q.eq("siteId", site._id).eq("stripeCustomerId", customerId))
      .first();
    userId = bc?.userId ?? null;
  }
  if (!userId || !(await ctx.db.get("users", userId))) return null;
  const planId = ctx.db.normalizeId("subscriptionPlans", meta.planId ?? hints.planId ?? "");
  const plan = planId ? await ctx.db.get("subscriptionPlans", planId) : null;
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

export async function subscriptionByStripeId(ctx: QueryCtx, siteId: Id<"sites">, stripeSubscriptionId: string) {
  return await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_stripeSubscriptionId", (q) => q.eq("siteId", siteId).eq("stripeSubscriptionId", stripeSubscriptionId))
    .first();
}

/** The plan whose current Stripe price is `priceId` (a site has a handful of plans). */
export async function planByPrice(ctx: QueryCtx, siteId: Id<"sites">, priceId: string | undefined) {
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

export const PAYING: readonly SubscriptionStatus[] = ["active", "trialing"];
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
  const user = await ctx.db.get("users", target.userId);
  const plan = planId ? await ctx.db.get("subscriptionPlans", planId) : null;
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
export async function writeSubscription(
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
    await ctx.db.patch("subscriptions", row._id, fields);
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
  // After trackPeriodEnd, so a lapsed period already counts: the reader's audience member follows.
  await syncPaidAccess(ctx, target.site._id, target.userId);
  return "applied";
}

export async function applyCheckout(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "checkout" }>, hints: OurMetadata): Promise<ApplyOutcome> {
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
    if (Object.keys(patch).length) await ctx.db.patch("subscriptions", row._id, patch);
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

export async function applySubscription(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "subscription" }>, hints: OurMetadata): Promise<ApplyOutcome> {
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
