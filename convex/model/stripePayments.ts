import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { notify } from "../lib/notify";
import type { ApplyOutcome, BillingEvent, OurMetadata } from "./stripeParse";
import { ensureBillingCustomer, PAYING, planByPrice, resolveTarget, subscriptionByStripeId, writeSubscription } from "./stripeSubscriptions";

// Payments from Stripe events (invoice.* and charge.refunded): one row per invoice, or per charge
// for a refund of a charge we never saw an invoice for. Status only moves forward.

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

export async function applyInvoice(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "invoice" }>, hints: OurMetadata): Promise<ApplyOutcome> {
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
  const description = inv.description ?? (planId ? (await ctx.db.get("subscriptionPlans", planId))?.name : undefined);
  let paymentId: Id<"payments">;
  if (existing) {
    paymentId = existing._id;
    await ctx.db.patch("payments", existing._id, {
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

export async function applyRefund(ctx: MutationCtx, e: Extract<BillingEvent, { kind: "refund" }>, hints: OurMetadata): Promise<ApplyOutcome> {
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
    await ctx.db.patch("payments", existing._id, {
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
