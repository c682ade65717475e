import { internal } from "../_generated/api";
import type { Doc, TableNames } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import type { SubscriptionStatus } from "../shared/constants";
import { syncPaidAccess } from "./audience";
import type { Budget } from "./budget";

// Deleting a whole site (the cascade), in budgeted chunks. Called by account deletion
// (userDeletion.ts) when the deleted user is a site's only member.

/** Tables a deleted site's rows are removed from, with an index that starts with siteId. */
const SITE_TABLES: Array<{ table: TableNames; index: string; heavy: boolean }> = [
  { table: "siteInvites", index: "by_siteId_and_email", heavy: false },
  { table: "posts", index: "by_siteId_and_slug", heavy: false },
  { table: "postBodies", index: "by_siteId_and_postId_and_kind", heavy: true },
  { table: "postRevisions", index: "by_siteId_and_postId_and_number", heavy: true },
  { table: "postViewShards", index: "by_siteId_and_postId_and_shard", heavy: false },
  { table: "viewTokens", index: "by_siteId_and_token", heavy: false },
  { table: "postTags", index: "by_siteId_and_postId", heavy: false },
  { table: "slugRedirects", index: "by_siteId_and_kind_and_fromSlug", heavy: false },
  { table: "tags", index: "by_siteId_and_slug", heavy: false },
  { table: "categories", index: "by_siteId_and_slug", heavy: false },
  { table: "subscriptionPlans", index: "by_siteId_and_sortOrder", heavy: false },
  { table: "auditLogs", index: "by_siteId", heavy: false },
  { table: "billingCustomers", index: "by_siteId_and_userId", heavy: false },
  { table: "memberNewsletters", index: "by_siteId_and_memberId_and_newsletterId", heavy: false },
  { table: "audienceJoinCodes", index: "by_siteId_and_email", heavy: false },
  { table: "audienceMembers", index: "by_siteId_and_email", heavy: false },
  { table: "newsletters", index: "by_siteId", heavy: false },
  { table: "emailSends", index: "by_siteId_and_postId", heavy: false },
  // A send's frozen post and its renders (up to ~200 KB each).
  { table: "emailSendContents", index: "by_siteId_and_sendId_and_kind", heavy: true },
  { table: "emailSendCountShards", index: "by_siteId_and_sendId_and_shard", heavy: false },
  { table: "emailDeliveries", index: "by_siteId_and_postId_and_memberId", heavy: false },
  { table: "audienceImports", index: "by_siteId_and_createdAt", heavy: false },
];

/** Statuses a subscription can still charge or grant access in; deletion cancels these. */
export const LIVE_SUBSCRIPTION_STATUSES: SubscriptionStatus[] = ["incomplete", "trialing", "active", "past_due", "unpaid", "paused"];

export async function cancelSubscription(ctx: MutationCtx, sub: Doc<"subscriptions">) {
  const now = Date.now();
  // Status first: access ends now. Then stop the charges at Stripe (a no-op without keys).
  await ctx.db.patch("subscriptions", sub._id, { status: "canceled", canceledAt: now, cancelAtPeriodEnd: false, updatedAt: now });
  await syncPaidAccess(ctx, sub.siteId, sub.userId);
  if (sub.stripeSubscriptionId) {
    await ctx.scheduler.runAfter(0, internal.billing.cancelAtStripe, { stripeSubscriptionId: sub.stripeSubscriptionId });
  }
}

/**
 * Deletes a site the user is the only member of, with all its content, in budgeted chunks.
 * Subscriptions to it (other readers') are cancelled, not deleted, and payments are kept: they
 * are billing records. @returns true when the site is gone.
 */
export async function wipeSite(ctx: MutationCtx, user: Doc<"users">, site: Doc<"sites">, budget: Budget): Promise<boolean> {
  for (const { table, index, heavy } of SITE_TABLES) {
    for (;;) {
      if (budget.done) return false;
      const rows = await (ctx.db.query(table) as any)
        .withIndex(index, (q: any) => q.eq("siteId", site._id))
        .take(budget.chunk(heavy));
      if (rows.length === 0) break;
      for (const row of rows) {
        if (table === "posts" && row.status === "scheduled" && row.scheduledJobId) await ctx.scheduler.cancel(row.scheduledJobId);
        await ctx.db.delete(table, row._id);
        budget.spend(row);
      }
    }
  }
  for (const status of LIVE_SUBSCRIPTION_STATUSES) {
    for (;;) {
      if (budget.done) return false;
      const subs = await ctx.db
        .query("subscriptions")
        .withIndex("by_siteId_and_status", (q) => q.eq("siteId", site._id).eq("status", status))
        .take(budget.chunk(false));
      if (subs.length === 0) break;
      for (const s of subs) {
        await cancelSubscription(ctx, s);
        budget.spend(s);
      }
    }
  }
  const members = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", site._id))
    .take(100);
  for (const m of members) await ctx.db.delete("siteMembers", m._id);
  await ctx.db.delete("sites", site._id);
  budget.spend();
  await audit(ctx, {
    actorId: user._id,
    action: "site.delete",
    entityType: "site",
    entityId: site._id,
    before: { name: site.name, slug: site.slug, reason: "owner deleted their account" },
    after: null,
  });
  return true;
}
