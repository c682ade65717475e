import { getAuthUserId } from "@convex-dev/auth/server";
import { literals } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ActionCtx } from "./_generated/server";
import { displayName } from "./lib/auth";
import { appError } from "./lib/errors";
import { action, internalAction, internalMutation, internalQuery, siteQuery, userQuery } from "./lib/functions";
import * as Billing from "./model/billing";
import * as Reader from "./model/reader";
import { syncPaidAccess } from "./model/audience";
import { expirePeriod } from "./model/entitlements";
import { applyStripeEvent } from "./model/stripeEvents";
import { ensureBillingCustomer, getBillingCustomer } from "./model/stripeSubscriptions";
import { vPaymentStatus, vSubscriptionStatus } from "./validators";

// Paid subscriptions through Stripe: checkout and the billing portal for readers, the subscription
// state readers see, the site's revenue for owners and admins, and the webhook events that drive
// all of it (applyEvent, called by http/stripeWebhook.ts). Access itself is decided by
// model/entitlements.ts from the subscriptions rows these functions keep.

const vLockReason = literals("past_due", "unpaid", "canceled", "ended", "incomplete", "paused");

/** A reader's standing on one site: what they pay for and whether it unlocks featured posts now. */
const vMySubscription = v.object({
  planId: v.union(v.id("subscriptionPlans"), v.null()),
  planName: v.union(v.string(), v.null()),
  status: vSubscriptionStatus,
  currentPeriodStart: v.number(),
  currentPeriodEnd: v.number(),
  cancelAtPeriodEnd: v.boolean(),
  canceledAt: v.union(v.number(), v.null()),
  trialEnd: v.union(v.number(), v.null()),
  /** Whether featured posts are unlocked right now. */
  grantsAccess: v.boolean(),
  /** Why not, when they are not: shown to the reader. */
  reason: v.union(vLockReason, v.null()),
  /** Whether the reader has a Stripe customer here (the billing portal link works). */
  canManage: v.boolean(),
});

const vPaymentRow = v.object({
  _id: v.id("payments"),
  userId: v.id("users"),
  userName: v.string(),
  amountCents: v.number(),
  amountRefundedCents: v.number(),
  currency: v.string(),
  status: vPaymentStatus,
  description: v.union(v.string(), v.null()),
  createdAt: v.number(),
});

/** The viewer of an action, from the verified identity. @throws ConvexError UNAUTHENTICATED */
async function requireActionViewer(ctx: ActionCtx): Promise<Id<"users">> {
  const userId = await getAuthUserId(ctx);
  if (userId === null) throw appError("UNAUTHENTICATED");
  return userId;
}

/**
 * Starts a Stripe Checkout for a plan of the site; the reader pays on Stripe's page and comes back to
 * `returnTo` (a path on the app) with `?checkout=success&session_id=…` or `?checkout=canceled`.
 * Signed-in users.
 * @throws ConvexError UNAUTHENTICATED; NOT_FOUND (site, or plan not active on it); INVALID_STATE
 * { reason: "already_subscribed" | "billing_not_configured" }; INVALID_ARGUMENT (returnTo)
 */
export const createCheckout = action({
  args: { siteSlug: v.string(), planId: v.id("subscriptionPlans"), returnTo: v.string() },
  returns: v.object({ url: v.string(), sessionId: v.string() }),
  handler: async (ctx, { siteSlug, planId, returnTo }): Promise<{ url: string; sessionId: string }> => {
    const userId = await requireActionViewer(ctx);
    const c = await ctx.runQuery(internal.billing.checkoutContext, { userId, siteSlug, planId });
    const back = Billing.returnUrl(returnTo);
    const stripe = Billing.requireStripe();
    const priceId = await Billing.syncPlanToStripe(ctx, planId, { updateProduct: false });
    if (!priceId) throw appError("NOT_FOUND", { field: "planId" });
    const metadata = { siteId: c.siteId, userId, planId };
    /** A Stripe customer for (site, user), tagged so webhooks about it can be placed; `replaces` one Stripe lost. */
    const newCustomer = async (replaces?: string) => {
      const customer = await stripe.customers.create(
        { ...(c.email ? { email: c.email } : {}), name: c.name, metadata: { siteId: c.siteId, userId } },
        { idempotencyKey: `pressroom-customer-${c.siteId}-${userId}${replaces ? `-after-${replaces}` : ""}` },
      );
      return await ctx.runMutation(internal.billing.recordCustomer, { siteId: c.siteId, userId, stripeCustomerId: customer.id, replaces });
    };
    const startSession = (customer: string) =>
      stripe.checkout.sessions.create({
        mode: "subscription",
        customer,
        line_items: [{ price: priceId, quantity: 1 }],
        success_url: Billing.withQuery(back, "checkout=success&session_id={CHECKOUT_SESSION_ID}"),
        cancel_url: Billing.withQuery(back, "checkout=canceled"),
        client_reference_id: userId,
        metadata,
        subscription_data: { metadata },
      });
    let session;
    try {
      session = await startSession(c.customerId ?? (await newCustomer()));
    } catch (e) {
      // The stored customer no longer exists at Stripe (deleted there, or a restarted local fake).
      if (!c.customerId || !Billing.isMissingCustomer(e)) throw e;
      session = await startSession(await newCustomer(c.customerId));
    }
    if (!session.url) throw new Error("Stripe returned a checkout session without a URL");
    return { url: session.url, sessionId: session.id };
  },
});

/**
 * A Stripe billing portal session for the viewer's subscriptions on the site (cancel, resume,
 * payment methods, invoices); it returns to `returnTo`. Signed-in users who have checked out there.
 * @throws ConvexError UNAUTHENTICATED; NOT_FOUND (site, or no billing account on it); INVALID_STATE
 * { reason: "billing_not_configured" }; INVALID_ARGUMENT (returnTo)
 */
export const createPortalSession = action({
  args: { siteSlug: v.string(), returnTo: v.string() },
  returns: v.object({ url: v.string() }),
  handler: async (ctx, { siteSlug, returnTo }): Promise<{ url: string }> => {
    const userId = await requireActionViewer(ctx);
    const c = await ctx.runQuery(internal.billing.checkoutContext, { userId, siteSlug });
    if (!c.customerId) throw appError("NOT_FOUND");
    const back = Billing.returnUrl(returnTo);
    const stripe = Billing.requireStripe();
    try {
      const session = await stripe.billingPortal.sessions.create({ customer: c.customerId, return_url: back });
      return { url: session.url };
    } catch (e) {
      if (Billing.isMissingCustomer(e)) throw appError("NOT_FOUND");
      throw e;
    }
  },
});

/**
 * The viewer's subscription on a site and whether it unlocks featured posts now (with the reason
 * when not: past_due, unpaid, canceled, ended…), or null if they never subscribed there. Signed-in users.
 */
export const mySubscription = userQuery({
  args: { siteSlug: v.string() },
  returns: v.union(vMySubscription, v.null()),
  handler: async (ctx, { siteSlug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    const sub = await Billing.currentSubscription(ctx, site._id, ctx.viewer._id);
    if (!sub) return null;
    const plan = sub.planId ? await ctx.db.get("subscriptionPlans", sub.planId) : null;
    const reason = Billing.lockReason(sub);
    return {
      planId: sub.planId ?? null,
      planName: plan?.name ?? null,
      status: sub.status,
      currentPeriodStart: sub.currentPeriodStart,
      currentPeriodEnd: sub.currentPeriodEnd,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      canceledAt: sub.canceledAt ?? null,
      trialEnd: sub.trialEnd ?? null,
      grantsAccess: reason === null,
      reason,
      canManage: (await getBillingCustomer(ctx, site._id, ctx.viewer._id)) !== null,
    };
  },
});

/** The viewer's subscriptions across publications, newest first, for the account page. */
export const mySubscriptions = userQuery({
  args: {},
  returns: v.array(
    v.object({
      siteSlug: v.string(),
      siteName: v.string(),
      planName: v.union(v.string(), v.null()),
      status: v.string(),
      currentPeriodEnd: v.number(),
      cancelAtPeriodEnd: v.boolean(),
      grantsAccess: v.boolean(),
      canManage: v.boolean(),
    }),
  ),
  handler: async (ctx) => {
    const subs = await ctx.db
      .query("subscriptions")
      .withIndex("by_userId", (q) => q.eq("userId", ctx.viewer._id))
      .order("desc")
      .take(100);
    const out = [];
    for (const sub of subs) {
      const site = await ctx.db.get("sites", sub.siteId);
      if (!site) continue;
      const plan = sub.planId ? await ctx.db.get("subscriptionPlans", sub.planId) : null;
      out.push({
        siteSlug: site.slug,
        siteName: site.name,
        planName: plan?.name ?? null,
        status: sub.status,
        currentPeriodEnd: sub.currentPeriodEnd,
        cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
        grantsAccess: Billing.lockReason(sub) === null,
        canManage: (await getBillingCustomer(ctx, site._id, ctx.viewer._id)) !== null,
      });
    }
    return out;
  },
});

/**
 * Paying subscribers now, monthly recurring revenue per currency (yearly plans count 1/12), and the
 * site's payments newest first (paginated). Owners and admins.
 */
export const siteStats = siteQuery({
  permission: "billing.manage",
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({
    subscriberCount: v.number(),
    mrr: v.array(v.object({ currency: v.string(), amountCents: v.number() })),
    payments: paginationResultValidator(vPaymentRow),
  }),
  handler: async (ctx, { paginationOpts }) => {
    const stats = await Billing.subscriberStats(ctx, ctx.site._id);
    const result = await ctx.db
      .query("payments")
      .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", ctx.site._id))
      .order("desc")
      .paginate(paginationOpts);
    const names = new Map<string, string>();
    const page = [];
    for (const p of result.page) {
      if (!names.has(p.userId)) {
        const u = await ctx.db.get("users", p.userId);
        names.set(p.userId, u && u.deletingAt === undefined ? displayName(u) : "Deleted user");
      }
      page.push({
        _id: p._id,
        userId: p.userId,
        userName: names.get(p.userId)!,
        amountCents: p.amountCents,
        amountRefundedCents: p.amountRefundedCents ?? 0,
        currency: p.currency,
        status: p.status,
        description: p.description ?? null,
        createdAt: p.createdAt,
      });
    }
    return { ...stats, payments: { ...result, page } };
  },
});

// --- internal ------------------------------------------------------------------------------------

/**
 * Applies one Stripe event (idempotent by event id; see model/stripeEvents.ts for the ordering
 * rules). `hints` carry the site and user read from the Stripe customer when the event's own
 * metadata lacks them. Trusted: the caller verified the Stripe signature (http/stripeWebhook.ts).
 */
export const applyEvent = internalMutation({
  args: {
    event: v.any(),
    hints: v.optional(v.object({ siteId: v.optional(v.string()), userId: v.optional(v.string()) })),
  },
  returns: v.object({ outcome: literals("applied", "stale", "ignored", "duplicate") }),
  handler: async (ctx, { event, hints }) => ({ outcome: await applyStripeEvent(ctx, event, hints ?? {}) }),
});

/**
 * The write at a subscription period's end (scheduled by model/entitlements.ts trackPeriodEnd at
 * currentPeriodEnd): marks the period ended unless a renewal moved it. Trusted: the scheduler.
 */
export const expireSubscription = internalMutation({
  args: { subscriptionId: v.id("subscriptions") },
  returns: v.boolean(),
  handler: async (ctx, { subscriptionId }) => {
    const ended = await expirePeriod(ctx, subscriptionId);
    const sub = ended ? await ctx.db.get("subscriptions", subscriptionId) : null;
    // The period's end is when a paid audience member goes back to free (model/audience.ts).
    if (sub) await syncPaidAccess(ctx, sub.siteId, sub.userId);
    return ended;
  },
});

/**
 * What checkout and the portal need: the site, the user's contact details, the existing Stripe
 * customer and (with planId) that the plan is active on the site and the user is not subscribed yet.
 * Trusted: userId comes from the caller's verified identity.
 * @throws ConvexError UNAUTHENTICATED / USER_INACTIVE; NOT_FOUND; INVALID_STATE { reason: "already_subscribed" }
 */
export const checkoutContext = internalQuery({
  args: { userId: v.id("users"), siteSlug: v.string(), planId: v.optional(v.id("subscriptionPlans")) },
  returns: v.object({
    siteId: v.id("sites"),
    email: v.union(v.string(), v.null()),
    name: v.string(),
    customerId: v.union(v.string(), v.null()),
  }),
  handler: async (ctx, { userId, siteSlug, planId }) => {
    const user = await ctx.db.get("users", userId);
    if (!user) throw appError("UNAUTHENTICATED");
    if (user.isActive === false || user.deletingAt !== undefined) throw appError("USER_INACTIVE");
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) throw appError("NOT_FOUND");
    if (planId) {
      const plan = await ctx.db.get("subscriptionPlans", planId);
      if (!plan || plan.siteId !== site._id || !plan.isActive) throw appError("NOT_FOUND", { field: "planId" });
      const current = await Billing.currentSubscription(ctx, site._id, userId);
      if (current && Billing.lockReason(current) === null) {
        throw appError("INVALID_STATE", { reason: "already_subscribed", message: "You already have an active subscription here." });
      }
    }
    const customer = await getBillingCustomer(ctx, site._id, userId);
    return { siteId: site._id, email: user.email ?? null, name: displayName(user), customerId: customer?.stripeCustomerId ?? null };
  },
});

/**
 * Records the Stripe customer of (site, user): the first recorded wins, except that `replaces` swaps
 * out a customer Stripe no longer has. Trusted: createCheckout. @returns the customer id now stored.
 */
export const recordCustomer = internalMutation({
  args: { siteId: v.id("sites"), userId: v.id("users"), stripeCustomerId: v.string(), replaces: v.optional(v.string()) },
  returns: v.string(),
  handler: async (ctx, { siteId, userId, stripeCustomerId, replaces }) => {
    const existing = await getBillingCustomer(ctx, siteId, userId);
    if (existing && replaces !== undefined && existing.stripeCustomerId === replaces) {
      await ctx.db.patch("billingCustomers", existing._id, { stripeCustomerId });
      return stripeCustomerId;
    }
    return await ensureBillingCustomer(ctx, siteId, userId, stripeCustomerId);
  },
});

/**
 * Cancels a subscription at Stripe now (no-op without Stripe keys, or when Stripe already ended it).
 * For rows Pressroom canceled itself, e.g. when a reader's account or a site is deleted
 * (model/sites.ts cancels the row; this stops the charges). Its customer.subscription.deleted
 * webhook then finds the row already canceled. Trusted: internal callers only.
 */
export const cancelAtStripe = internalAction({
  args: { stripeSubscriptionId: v.string() },
  returns: v.null(),
  handler: async (_ctx, { stripeSubscriptionId }) => {
    const stripe = Billing.stripeClient();
    if (!stripe) return null;
    const sub = await stripe.subscriptions.retrieve(stripeSubscriptionId).catch((e: { code?: string }) => {
      if (e?.code === "resource_missing") return null;
      throw e;
    });
    if (sub && sub.status !== "canceled" && sub.status !== "incomplete_expired") await stripe.subscriptions.cancel(stripeSubscriptionId);
    return null;
  },
});
