// Over 400 lines: the plans model (most of it) with the Stripe client it syncs through and the
// reader's view of a subscription; Stripe events are in stripeEvents.ts and its siblings.
import Stripe from "stripe";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { ActionCtx, MutationCtx, QueryCtx } from "../_generated/server";
import { env } from "../env";
import { requirePermission } from "../lib/access";
import { audit } from "../lib/audit";
import { appError, cleanField } from "../lib/errors";
import { PLAN_INTERVALS, type SubscriptionStatus } from "../shared/constants";
import { checkField, FIELDS } from "../shared/fields";
import { subscriptionGrantsAccess } from "./entitlements";
import type { Actor } from "./posts";

// Plans, the Stripe client and the reader-facing view of a subscription. Stripe is optional: without
// STRIPE_SECRET_KEY plans still work and nothing calls Stripe; checkout then answers
// INVALID_STATE { reason: "billing_not_configured" }.
//
// Environment (Convex function env; `npx convex env set` or the local backend's `env` CLI):
// - STRIPE_SECRET_KEY: sk_test_… / sk_live_…, or any sk_ value for the local fake.
// - STRIPE_API_BASE: optional, e.g. http://127.0.0.1:12111 to talk to tools/stripe-fake.
// - STRIPE_WEBHOOK_SECRET: whsec_…, verifies POST /stripe/webhook (http/stripeWebhook.ts).
// - SITE_URL: the app's origin; checkout and portal return to paths under it.

// --- Stripe client ---------------------------------------------------------------------------------

/** Whether Stripe calls are configured (STRIPE_SECRET_KEY is set). */
export function billingConfigured(): boolean {
  return !!env.STRIPE_SECRET_KEY;
}

/**
 * A Stripe client for the default runtime (fetch, no Node APIs), pointed at STRIPE_API_BASE when set.
 * @returns null when STRIPE_SECRET_KEY is not set.
 */
export function stripeClient(): Stripe | null {
  const key = env.STRIPE_SECRET_KEY;
  if (!key) return null;
  const base = env.STRIPE_API_BASE ? new URL(env.STRIPE_API_BASE) : null;
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    telemetry: false,
    timeout: 20_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
          protocol: base.protocol === "http:" ? ("http" as const) : ("https" as const),
        }
      : {}),
  });
}

/** @throws ConvexError INVALID_STATE { reason: "billing_not_configured" } without STRIPE_SECRET_KEY. */
export function requireStripe(): Stripe {
  const stripe = stripeClient();
  if (!stripe) throw notConfigured();
  return stripe;
}

const notConfigured = () =>
  appError("INVALID_STATE", { reason: "billing_not_configured", message: "Payments are not set up for this deployment." });

/** Whether a Stripe error says the customer we named does not exist (deleted at Stripe, or a restarted fake). */
export function isMissingCustomer(e: unknown): boolean {
  const err = e as { code?: string; param?: string } | null;
  return err?.code === "resource_missing" && err.param === "customer";
}

/**
 * An absolute URL on the app (SITE_URL) for a path the caller wants to come back to. Only paths on
 * the app are accepted, so checkout cannot be used as an open redirect.
 * @throws ConvexError INVALID_ARGUMENT (field returnTo); INVALID_STATE billing_not_configured without SITE_URL.
 */
export function returnUrl(returnTo: string): string {
  const site = env.SITE_URL;
  if (!site) throw notConfigured();
  const bad = () => appError("INVALID_ARGUMENT", { field: "returnTo", message: "Use a path on this site, like /daily/subscribe." });
  if (!returnTo.startsWith("/") || returnTo.startsWith("//") || returnTo.includes("\\") || returnTo.length > 1000) throw bad();
  const base = new URL(site);
  const url = new URL(returnTo, base);
  if (url.origin !== base.origin) throw bad();
  return url.toString();
}

/** Appends a raw query string (kept verbatim: Stripe needs the literal {CHECKOUT_SESSION_ID}). */
export function withQuery(url: string, query: string): string {
  const [path, hash] = url.split("#", 2);
  return `${path}${path.includes("?") ? "&" : "?"}${query}${hash !== undefined ? `#${hash}` : ""}`;
}

// --- plans -----------------------------------------------------------------------------------------

export const MIN_PRICE_CENTS = 50;
export const MAX_PRICE_CENTS = 99_999_999;
/** Plans per site; lists and price lookups read them all. */
export const MAX_PLANS = 50;
const MAX_FEATURES = 20;

export interface PlanInput {
  name: string;
  description?: string;
  priceCents: number;
  currency: string;
  interval: (typeof PLAN_INTERVALS)[number];
  features: string[];
  isActive?: boolean;
  sortOrder?: number;
}

const invalid = (field: string, message: string) => appError("INVALID_ARGUMENT", { field, message });

/**
 * Validates and normalizes the plan fields present in `input` (trims text, lowercases currency).
 * @throws ConvexError INVALID_ARGUMENT with the offending field.
 */
export function cleanPlanFields(input: Partial<PlanInput>): Partial<PlanInput> {
  const out: Partial<PlanInput> = {};
  if (input.name !== undefined) {
    out.name = cleanField(FIELDS.planName, input.name, "name");
  }
  if (input.description !== undefined) {
    out.description = cleanField(FIELDS.planDescription, input.description, "description");
  }
  if (input.priceCents !== undefined) {
    const p = input.priceCents;
    if (!Number.isInteger(p) || p < MIN_PRICE_CENTS || p > MAX_PRICE_CENTS) {
      throw invalid("priceCents", `Use a whole number of cents from ${MIN_PRICE_CENTS} to ${MAX_PRICE_CENTS}.`);
    }
    out.priceCents = p;
  }
  if (input.currency !== undefined) {
    out.currency = cleanField(FIELDS.currency, input.currency, "currency");
  }
  if (input.interval !== undefined) {
    if (!(PLAN_INTERVALS as readonly string[]).includes(input.interval)) throw invalid("interval", "Use month or year.");
    out.interval = input.interval;
  }
  if (input.features !== undefined) {
    const features = input.features.map((f) => f.trim());
    if (features.length > MAX_FEATURES) throw invalid("features", `At most ${MAX_FEATURES} features.`);
    if (features.some((f) => !checkField(FIELDS.planFeature, f).ok)) {
      throw invalid("features", `Each feature needs 1 to ${FIELDS.planFeature.max} characters.`);
    }
    out.features = features;
  }
  if (input.sortOrder !== undefined) {
    if (!Number.isInteger(input.sortOrder) || input.sortOrder < 0) throw invalid("sortOrder", "Use a whole number, 0 or more.");
    out.sortOrder = input.sortOrder;
  }
  if (input.isActive !== undefined) out.isActive = input.isActive;
  return out;
}

/** The site's plans in display order. */
export async function listPlans(ctx: QueryCtx, siteId: Id<"sites">): Promise<Doc<"subscriptionPlans">[]> {
  return await ctx.db
    .query("subscriptionPlans")
    .withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId))
    .take(MAX_PLANS);
}

/** Mirrors the plan to Stripe soon after the transaction commits (only when Stripe is configured). */
async function scheduleStripeSync(ctx: MutationCtx, planId: Id<"subscriptionPlans">) {
  if (billingConfigured()) await ctx.scheduler.runAfter(0, internal.plans.syncToStripe, { planId });
}

const planAudit = (p: Partial<Doc<"subscriptionPlans">>) => ({
  name: p.name,
  description: p.description,
  priceCents: p.priceCents,
  currency: p.currency,
  interval: p.interval,
  features: p.features,
  isActive: p.isActive,
  sortOrder: p.sortOrder,
});

/**
 * Creates a plan. Admins and owners.
 * @throws ConvexError FORBIDDEN; INVALID_ARGUMENT (field); INVALID_STATE when the site has MAX_PLANS plans.
 */
export async function createPlan(ctx: MutationCtx, actor: Actor, input: PlanInput): Promise<Id<"subscriptionPlans">> {
  requirePermission(actor.member, "billing.manage");
  const clean = cleanPlanFields(input) as PlanInput;
  const existing = await listPlans(ctx, actor.site._id);
  if (existing.length >= MAX_PLANS) throw appError("INVALID_STATE", { message: `A site may have at most ${MAX_PLANS} plans.` });
  const now = Date.now();
  const fields = {
    siteId: actor.site._id,
    name: clean.name,
    description: clean.description || undefined,
    priceCents: clean.priceCents,
    currency: clean.currency,
    interval: clean.interval,
    features: clean.features,
    isActive: clean.isActive ?? true,
    sortOrder: clean.sortOrder ?? (existing.length ? existing[existing.length - 1].sortOrder + 1 : 0),
    createdAt: now,
    updatedAt: now,
  };
  const planId = await ctx.db.insert("subscriptionPlans", fields);
  await audit(ctx, { siteId: actor.site._id, actorId: actor.viewer._id, action: "plan.create", entityType: "plan", entityId: planId, before: null, after: planAudit(fields) });
  await scheduleStripeSync(ctx, planId);
  return planId;
}

/**
 * Changes a plan's fields. A new price (amount, currency or interval) becomes a new Stripe Price;
 * subscribers keep the price they signed up at. Admins and owners.
 * @throws ConvexError FORBIDDEN; INVALID_ARGUMENT (field)
 */
export async function updatePlan(
  ctx: MutationCtx,
  actor: Actor,
  plan: Doc<"subscriptionPlans">,
  input: Partial<Omit<PlanInput, "isActive" | "sortOrder">>,
): Promise<void> {
  requirePermission(actor.member, "billing.manage");
  const clean = cleanPlanFields(input);
  const patch: Partial<Doc<"subscriptionPlans">> = {};
  for (const k of ["name", "description", "priceCents", "currency", "interval", "features"] as const) {
    if (clean[k] === undefined) continue;
    const value = k === "description" ? clean.description || undefined : clean[k];
    if (JSON.stringify(value) !== JSON.stringify(plan[k])) (patch as Record<string, unknown>)[k] = value;
  }
  if (!Object.keys(patch).length) return;
  await ctx.db.patch("subscriptionPlans", plan._id, { ...patch, updatedAt: Date.now() });
  await audit(ctx, {
    siteId: plan.siteId,
    actorId: actor.viewer._id,
    action: "plan.update",
    entityType: "plan",
    entityId: plan._id,
    before: planAudit(plan),
    after: planAudit({ ...plan, ...patch }),
  });
  await scheduleStripeSync(ctx, plan._id);
}

/** Offers a plan for new subscriptions or withdraws it (subscribers keep theirs). Admins and owners. */
export async function setPlanActive(ctx: MutationCtx, actor: Actor, plan: Doc<"subscriptionPlans">, isActive: boolean): Promise<void> {
  requirePermission(actor.member, "billing.manage");
  if (plan.isActive === isActive) return;
  await ctx.db.patch("subscriptionPlans", plan._id, { isActive, updatedAt: Date.now() });
  await audit(ctx, {
    siteId: plan.siteId,
    actorId: actor.viewer._id,
    action: isActive ? "plan.activate" : "plan.deactivate",
    entityType: "plan",
    entityId: plan._id,
    before: { isActive: plan.isActive },
    after: { isActive },
  });
  await scheduleStripeSync(ctx, plan._id);
}

/**
 * Puts the listed plans first, in that order; unlisted plans follow in their current order.
 * @throws ConvexError FORBIDDEN; NOT_FOUND (a plan of another site); INVALID_ARGUMENT (duplicates)
 */
export async function reorderPlans(ctx: MutationCtx, actor: Actor, planIds: Id<"subscriptionPlans">[]): Promise<void> {
  requirePermission(actor.member, "billing.manage");
  if (new Set(planIds).size !== planIds.length) throw invalid("planIds", "Each plan may be listed once.");
  const current = await listPlans(ctx, actor.site._id);
  const byId = new Map(current.map((p) => [p._id as string, p]));
  for (const id of planIds) if (!byId.has(id)) throw appError("NOT_FOUND", { field: "planIds" });
  const listed = new Set<string>(planIds);
  const order = [...planIds.map((id) => byId.get(id)!), ...current.filter((p) => !listed.has(p._id))];
  const now = Date.now();
  for (const [i, p] of order.entries()) if (p.sortOrder !== i) await ctx.db.patch("subscriptionPlans", p._id, { sortOrder: i, updatedAt: now });
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "plan.reorder",
    entityType: "site",
    entityId: actor.site._id,
    before: { order: current.map((p) => p._id) },
    after: { order: order.map((p) => p._id) },
  });
}

/**
 * Mirrors a plan to a Stripe Product and Price. Prices are never edited: when the amount, currency
 * or interval changed, a new Price is created, the old Price is archived (`active: false`), and only
 * then is the new one stored on the plan (compare-and-set, so a sync that lost a race does not
 * overwrite a newer one). In that order an observer never sees the new price stored while the old
 * one is still on sale; in between, the plan names an archived price, which no caller offers (the
 * next sync, e.g. checkout's, sees it inactive and converges). Idempotency keys make concurrent or
 * retried syncs of the same plan state create one Product and one Price.
 * Checkout passes `updateProduct: false`: it only needs the price to match the plan.
 * @returns the plan's current, active Stripe price id, or null when Stripe is not configured or the plan is gone.
 * @throws ConvexError INVALID_STATE { reason: "plan_changing" } if the plan kept changing under three passes.
 */
export async function syncPlanToStripe(
  ctx: ActionCtx,
  planId: Id<"subscriptionPlans">,
  opts: { updateProduct?: boolean } = {},
): Promise<string | null> {
  const stripe = stripeClient();
  if (!stripe) return null;
  for (let pass = 0; pass < 3; pass++) {
    const plan = await ctx.runQuery(internal.plans.getForStripeSync, { planId });
    if (!plan) return null;
    const metadata = { siteId: plan.siteId, planId: plan._id };
    let productId = plan.stripeProductId;
    if (!productId) {
      const product = await stripe.products.create(
        { name: plan.name, ...(plan.description ? { description: plan.description } : {}), active: plan.isActive, metadata },
        { idempotencyKey: `pressroom-product-${plan._id}` },
      );
      productId = product.id;
    } else if (opts.updateProduct !== false) {
      await stripe.products.update(productId, { name: plan.name, description: plan.description ?? "", active: plan.isActive });
    }
    const oldPriceId = plan.stripePriceId ?? null;
    const current = oldPriceId ? await stripe.prices.retrieve(oldPriceId) : null;
    const matches =
      current !== null &&
      current.active &&
      current.unit_amount === plan.priceCents &&
      current.currency === plan.currency &&
      current.recurring?.interval === plan.interval;
    let priceId = oldPriceId;
    if (!matches) {
      const price = await stripe.prices.create(
        { product: productId, unit_amount: plan.priceCents, currency: plan.currency, recurring: { interval: plan.interval }, metadata },
        { idempotencyKey: `pressroom-price-${plan._id}-${plan.priceCents}-${plan.currency}-${plan.interval}-${plan.updatedAt}` },
      );
      priceId = price.id;
      // Off sale before the plan names its successor (archiving twice is harmless on retry).
      if (oldPriceId && oldPriceId !== priceId) await stripe.prices.update(oldPriceId, { active: false });
    }
    const stored = await ctx.runMutation(internal.plans.recordStripeIds, {
      planId,
      stripeProductId: productId,
      stripePriceId: priceId ?? undefined,
      expectedPriceId: plan.stripePriceId,
      expected: { priceCents: plan.priceCents, currency: plan.currency, interval: plan.interval },
    });
    if (stored.stripePriceId === priceId) return priceId;
    // The plan changed while we worked: retire the price we made for the old state, then start over.
    if (priceId && !matches) await stripe.prices.update(priceId, { active: false });
  }
  throw appError("INVALID_STATE", { reason: "plan_changing", message: "This plan is being changed. Please try again in a moment." });
}

// --- the reader's view of a subscription ---------------------------------------------------------

/** Why a subscription does not grant access now (null when it does). */
export type LockReason = "past_due" | "unpaid" | "canceled" | "ended" | "incomplete" | "paused";

/** @returns null when the subscription grants access, else the reason it does not (data only, no clock). */
export function lockReason(sub: Doc<"subscriptions">): LockReason | null {
  if (subscriptionGrantsAccess(sub)) return null;
  const byStatus: Record<SubscriptionStatus, LockReason> = {
    active: "ended",
    trialing: "ended",
    past_due: "past_due",
    unpaid: "unpaid",
    canceled: "canceled",
    incomplete_expired: "canceled",
    incomplete: "incomplete",
    paused: "paused",
  };
  return byStatus[sub.status];
}

/**
 * The subscription that best describes a user's standing on a site: one that grants access (the
 * longest-running), else the most recently changed one.
 * @returns the row, or null when the user never subscribed to the site.
 */
export async function currentSubscription(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">) {
  const subs = await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .take(100);
  const granting = subs.filter(subscriptionGrantsAccess).sort((a, b) => b.currentPeriodEnd - a.currentPeriodEnd);
  if (granting.length) return granting[0];
  return subs.sort((a, b) => b.updatedAt - a.updatedAt)[0] ?? null;
}

// --- site statistics -------------------------------------------------------------------------------

/**
 * Paying subscribers (active or trialing, period not ended) and monthly recurring revenue per
 * currency (active subscriptions at their plan's current price; yearly plans count 1/12).
 */
export async function subscriberStats(ctx: QueryCtx, siteId: Id<"sites">) {
  let subscriberCount = 0;
  const mrr = new Map<string, number>();
  const plans = new Map<string, Doc<"subscriptionPlans"> | null>();
  for (const status of ["active", "trialing"] as const) {
    const subs = await ctx.db
      .query("subscriptions")
      .withIndex("by_siteId_and_status", (q) => q.eq("siteId", siteId).eq("status", status))
      .collect();
    for (const s of subs) {
      if (!subscriptionGrantsAccess(s)) continue;
      subscriberCount++;
      if (status !== "active" || !s.planId) continue;
      if (!plans.has(s.planId)) plans.set(s.planId, await ctx.db.get("subscriptionPlans", s.planId));
      const plan = plans.get(s.planId);
      if (!plan) continue;
      const monthly = plan.interval === "year" ? plan.priceCents / 12 : plan.priceCents;
      mrr.set(plan.currency, (mrr.get(plan.currency) ?? 0) + monthly);
    }
  }
  return {
    subscriberCount,
    mrr: [...mrr.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, cents]) => ({ currency, amountCents: Math.round(cents) })),
  };
}
