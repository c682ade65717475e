import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { getMembership } from "../lib/access";

/** What a reader is entitled to on one site. */
export interface Entitlement {
  /** Members of the site (any role) read everything. */
  member: boolean;
  /** An active (or trialing) subscription whose current period has not ended. */
  subscriber: boolean;
}

export const ANONYMOUS: Entitlement = { member: false, subscriber: false };

/** Whether a subscription grants access right now. */
export function subscriptionGrantsAccess(sub: Doc<"subscriptions">, now: number): boolean {
  return (sub.status === "active" || sub.status === "trialing") && sub.currentPeriodEnd > now;
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
  const now = Date.now();
  return { member: false, subscriber: subs.some((s) => subscriptionGrantsAccess(s, now)) };
}

/** Whether the entitlement unlocks a post's body. */
export function canReadBody(post: Pick<Doc<"posts">, "featured">, e: Entitlement): boolean {
  return !post.featured || e.member || e.subscriber;
}
