import { v } from "convex/values";
import { requireInSite } from "./lib/access";
import { internalAction, internalMutation, internalQuery, readerQuery, siteMutation, siteQuery } from "./lib/functions";
import * as Billing from "./model/billing";
import * as Reader from "./model/reader";
import { vPlanInterval } from "./validators";

// A site's subscription plans. Owners and admins manage them (docs/roles.md); readers see the active
// ones on the subscribe page and the paywall. With Stripe configured, every change is mirrored to a
// Stripe Product and Price by syncToStripe (model/billing.ts syncPlanToStripe).

/** A plan as the studio shows it to owners and admins. */
const vPlanRow = v.object({
  _id: v.id("subscriptionPlans"),
  name: v.string(),
  description: v.union(v.string(), v.null()),
  priceCents: v.number(),
  currency: v.string(),
  interval: vPlanInterval,
  features: v.array(v.string()),
  isActive: v.boolean(),
  sortOrder: v.number(),
  /** Whether the plan has a Stripe price yet (mirroring runs right after each change). */
  syncedToStripe: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
});

/** A plan as readers see it on the subscribe page. */
const vPublicPlan = v.object({
  _id: v.id("subscriptionPlans"),
  name: v.string(),
  description: v.union(v.string(), v.null()),
  priceCents: v.number(),
  currency: v.string(),
  interval: vPlanInterval,
  features: v.array(v.string()),
});

const planArgs = {
  name: v.string(),
  description: v.optional(v.string()),
  priceCents: v.number(),
  currency: v.string(),
  interval: vPlanInterval,
  features: v.array(v.string()),
};

/** Every plan of the site (active or not), in display order. Owners and admins. */
export const listForSite = siteQuery({
  permission: "billing.manage",
  args: {},
  returns: v.array(vPlanRow),
  handler: async (ctx) => {
    const plans = await Billing.listPlans(ctx, ctx.site._id);
    return plans.map((p) => ({
      _id: p._id,
      name: p.name,
      description: p.description ?? null,
      priceCents: p.priceCents,
      currency: p.currency,
      interval: p.interval,
      features: p.features,
      isActive: p.isActive,
      sortOrder: p.sortOrder,
      syncedToStripe: p.stripePriceId !== undefined,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    }));
  },
});

/** The site's active plans in display order (empty for an unknown site). Anyone. */
export const listPublic = readerQuery({
  args: { siteSlug: v.string() },
  returns: v.array(vPublicPlan),
  handler: async (ctx, { siteSlug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return [];
    const plans = await Billing.listPlans(ctx, site._id);
    return plans
      .filter((p) => p.isActive)
      .map((p) => ({
        _id: p._id,
        name: p.name,
        description: p.description ?? null,
        priceCents: p.priceCents,
        currency: p.currency,
        interval: p.interval,
        features: p.features,
      }));
  },
});

/**
 * Creates a plan (active unless `isActive: false`; last in order unless `sortOrder`). Owners and admins.
 * @throws ConvexError INVALID_ARGUMENT with `field` (name, description, priceCents ≥ 50 whole cents,
 * currency: three letters, features)
 */
export const create = siteMutation({
  args: { ...planArgs, isActive: v.optional(v.boolean()), sortOrder: v.optional(v.number()) },
  returns: v.id("subscriptionPlans"),
  handler: async (ctx, args) => await Billing.createPlan(ctx, ctx, args),
});

/** Changes a plan's name, description, price, currency, interval or features. Owners and admins. */
export const update = siteMutation({
  permission: "billing.manage",
  args: {
    planId: v.id("subscriptionPlans"),
    name: v.optional(v.string()),
    description: v.optional(v.string()),
    priceCents: v.optional(v.number()),
    currency: v.optional(v.string()),
    interval: v.optional(vPlanInterval),
    features: v.optional(v.array(v.string())),
  },
  returns: v.null(),
  handler: async (ctx, { planId, ...fields }) => {
    const plan = await requireInSite(ctx, "subscriptionPlans", planId, ctx.site._id);
    await Billing.updatePlan(ctx, ctx, plan, fields);
    return null;
  },
});

/** Offers a plan to new subscribers, or withdraws it (existing subscribers keep it). Owners and admins. */
export const setActive = siteMutation({
  permission: "billing.manage",
  args: { planId: v.id("subscriptionPlans"), isActive: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { planId, isActive }) => {
    const plan = await requireInSite(ctx, "subscriptionPlans", planId, ctx.site._id);
    await Billing.setPlanActive(ctx, ctx, plan, isActive);
    return null;
  },
});

/** Sets the display order: the listed plans first, in order. Owners and admins. */
export const reorder = siteMutation({
  args: { planIds: v.array(v.id("subscriptionPlans")) },
  returns: v.null(),
  handler: async (ctx, { planIds }) => {
    await Billing.reorderPlans(ctx, ctx, planIds);
    return null;
  },
});

// --- Stripe mirroring (internal) ---------------------------------------------------------------------

const vSyncPlan = v.object({
  _id: v.id("subscriptionPlans"),
  siteId: v.id("sites"),
  name: v.string(),
  description: v.optional(v.string()),
  priceCents: v.number(),
  currency: v.string(),
  interval: vPlanInterval,
  isActive: v.boolean(),
  stripeProductId: v.optional(v.string()),
  stripePriceId: v.optional(v.string()),
  updatedAt: v.number(),
});

/** The fields syncToStripe mirrors. Trusted: internal callers only. */
export const getForStripeSync = internalQuery({
  args: { planId: v.id("subscriptionPlans") },
  returns: v.union(vSyncPlan, v.null()),
  handler: async (ctx, { planId }) => {
    const p = await ctx.db.get("subscriptionPlans", planId);
    if (!p) return null;
    return {
      _id: p._id,
      siteId: p.siteId,
      name: p.name,
      description: p.description,
      priceCents: p.priceCents,
      currency: p.currency,
      interval: p.interval,
      isActive: p.isActive,
      stripeProductId: p.stripeProductId,
      stripePriceId: p.stripePriceId,
      updatedAt: p.updatedAt,
    };
  },
});

/**
 * Stores the Stripe ids of a plan. The price is stored only if the plan still has the price fields
 * it was created for and nobody stored another price meanwhile (compare-and-set).
 * Trusted: called by syncPlanToStripe. @returns the plan's price id afterwards.
 */
export const recordStripeIds = internalMutation({
  args: {
    planId: v.id("subscriptionPlans"),
    stripeProductId: v.string(),
    stripePriceId: v.optional(v.string()),
    expectedPriceId: v.optional(v.string()),
    expected: v.object({ priceCents: v.number(), currency: v.string(), interval: vPlanInterval }),
  },
  returns: v.object({ stripePriceId: v.union(v.string(), v.null()) }),
  handler: async (ctx, { planId, stripeProductId, stripePriceId, expectedPriceId, expected }) => {
    const plan = await ctx.db.get("subscriptionPlans", planId);
    if (!plan) return { stripePriceId: null };
    const patch: { stripeProductId?: string; stripePriceId?: string } = {};
    if (plan.stripeProductId !== stripeProductId) patch.stripeProductId = stripeProductId;
    const same = plan.priceCents === expected.priceCents && plan.currency === expected.currency && plan.interval === expected.interval;
    if (stripePriceId && same && plan.stripePriceId === expectedPriceId && plan.stripePriceId !== stripePriceId) {
      patch.stripePriceId = stripePriceId;
    }
    if (Object.keys(patch).length) await ctx.db.patch("subscriptionPlans", planId, patch);
    return { stripePriceId: patch.stripePriceId ?? plan.stripePriceId ?? null };
  },
});

/** Mirrors a plan to Stripe (no-op without STRIPE_SECRET_KEY). Scheduled by every plan change. */
export const syncToStripe = internalAction({
  args: { planId: v.id("subscriptionPlans") },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { planId }): Promise<string | null> => await Billing.syncPlanToStripe(ctx, planId),
});
