import type { MutationCtx } from "../_generated/server";
import { type ApplyOutcome, type OurMetadata, parseStripeEvent } from "./stripeParse";
import { applyInvoice, applyRefund } from "./stripePayments";
import { applyCheckout, applySubscription } from "./stripeSubscriptions";

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
//
// Parsing is stripeParse.ts; subscription state changes stripeSubscriptions.ts; payments
// stripePayments.ts. This module dedups by event id and dispatches.

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
