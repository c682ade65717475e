import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { getMembership } from "../lib/access";

// Who may read what, from data only. Queries never read the clock to decide access: Convex caches a
// query and re-runs it only when data it read changes, not as time passes, so a period end checked
// against Date.now() in a query would keep access open until some unrelated write. Instead the end
// of a subscription's period is a write: trackPeriodEnd schedules billing:expireSubscription at
// currentPeriodEnd (replacing the job when the period moves), and that mutation sets periodEnded.

/** What a reader is entitled to on one site. */
export interface Entitlement {
  /** Members of the site (any role) read everything. */
  member: boolean;
  /** An active (or trialing) subscription whose current period has not ended, or a comped audience member. */
  subscriber: boolean;
}

export const ANONYMOUS: Entitlement = { member: false, subscriber: false };

/** Whether a subscription grants access: a paying status and a period not yet marked ended. */
export function subscriptionGrantsAccess(sub: Pick<Doc<"subscriptions">, "status" | "periodEnded">): boolean {
  return (sub.status === "active" || sub.status === "trialing") && sub.periodEnded !== true;
}

/** The viewer's entitlement on a site (none for anonymous viewers). */
export async function entitlementFor(
  ctx: QueryCtx,
  siteId: Id<"sites">,
  viewer: Doc<"users"> | null,
): Promise<Entitlement> {
  if (!viewer) return ANONYMOUS;
  const member = (await getMembership(ctx, siteId, viewer._id)) !== null;
  if (member) return { member: true, subscriber: false };
  const subs = await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", viewer._id))
    .collect();
  if (subs.some(subscriptionGrantsAccess)) return { member: false, subscriber: true };
  // Staff may comp an audience member (ADR 012): paid access without a subscription.
  const audience = await ctx.db
    .query("audienceMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", viewer._id))
    .first();
  return { member: false, subscriber: audience?.access === "comped" };
}

/** Whether the entitlement unlocks a post's body. */
export function canReadBody(post: Pick<Doc<"posts">, "featured">, e: Entitlement): boolean {
  return !post.featured || e.member || e.subscriber;
}

/**
 * After a subscription row was written (in the same mutation): marks its period ended if it already
 * is, else makes sure one billing:expireSubscription job waits for currentPeriodEnd. `before` is the
 * row as it was (null for a new row); its job is kept while the period end is unchanged, otherwise
 * canceled and replaced.
 */
export async function trackPeriodEnd(ctx: MutationCtx, subscriptionId: Id<"subscriptions">, before: Doc<"subscriptions"> | null): Promise<void> {
  const sub = await ctx.db.get("subscriptions", subscriptionId);
  if (!sub) return;
  const ended = sub.currentPeriodEnd <= Date.now();
  let expiryJobId = sub.expiryJobId;
  const keep = !ended && expiryJobId !== undefined && before?.expiryJobId === expiryJobId && before.currentPeriodEnd === sub.currentPeriodEnd;
  if (!keep) {
    if (expiryJobId) await ctx.scheduler.cancel(expiryJobId);
    expiryJobId = ended ? undefined : await ctx.scheduler.runAt(sub.currentPeriodEnd, internal.billing.expireSubscription, { subscriptionId });
  }
  if (sub.periodEnded !== ended || sub.expiryJobId !== expiryJobId) await ctx.db.patch("subscriptions", subscriptionId, { periodEnded: ended, expiryJobId });
}

/**
 * The write at a period's end (billing:expireSubscription): re-reads the row and marks the period
 * ended if it still is past. A renewal that moved currentPeriodEnd scheduled its own job, so this one
 * then does nothing. Idempotent. @returns whether it ended the period now.
 */
export async function expirePeriod(ctx: MutationCtx, subscriptionId: Id<"subscriptions">): Promise<boolean> {
  const sub = await ctx.db.get("subscriptions", subscriptionId);
  if (!sub || sub.periodEnded === true || sub.currentPeriodEnd > Date.now()) return false;
  await ctx.db.patch("subscriptions", subscriptionId, { periodEnded: true, expiryJobId: undefined, updatedAt: Date.now() });
  if (subscriptionGrantsAccess(sub)) {
    await audit(ctx, {
      siteId: sub.siteId,
      action: "billing.subscription.period_ended",
      entityType: "subscription",
      entityId: sub._id,
      before: { status: sub.status, currentPeriodEnd: sub.currentPeriodEnd, periodEnded: false },
      after: { status: sub.status, currentPeriodEnd: sub.currentPeriodEnd, periodEnded: true },
    });
  }
  return true;
}
