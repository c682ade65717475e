import Stripe from "stripe";
import { internal } from "../_generated/api";
import { env } from "../env";
import { httpAction } from "../lib/functions";
import { stripeClient } from "../model/billing";
import { needsCustomerHints, trimStripeEvent, type OurMetadata } from "../model/stripeParse";
import { plainText } from "./respond";

// POST /stripe/webhook (route in convex/http.ts). Nothing is read or written before the signature
// (Stripe-Signature, HMAC of the raw body with STRIPE_WEBHOOK_SECRET, timestamp within Stripe's
// 300 s tolerance in both directions) checks out: a forged, tampered, re-signed-with-another-secret,
// stale or future-dated request gets 400. Verified events go to billing:applyEvent, which is idempotent by event id, so
// Stripe's retries and replays are harmless. Failures after verification answer 500 so Stripe retries.

const subtleCrypto = Stripe.createSubtleCryptoProvider();

/** Stripe's default signature tolerance, in seconds. */
export const WEBHOOK_TOLERANCE_SEC = Stripe.webhooks.DEFAULT_TOLERANCE;

/**
 * The header's signing time (seconds), read as the stripe library reads it (the last `t=` wins).
 * The library only bounds a signature's age, so one dated ahead would stay valid until its future
 * date: a captured (or pre-minted) request could be replayed for that long. @returns NaN if absent.
 */
export function signatureTimestamp(header: string): number {
  let t = NaN;
  for (const item of header.split(",")) {
    const [k, v] = item.split("=");
    if (k === "t") t = parseInt(v, 10);
  }
  return t;
}


export const stripeWebhook = httpAction(async (ctx, request) => {
  const secret = env.STRIPE_WEBHOOK_SECRET;
  if (!secret) return plainText(500, "Stripe webhooks are not configured.");
  const signature = request.headers.get("stripe-signature");
  if (!signature) return plainText(400, "Missing Stripe-Signature header.");
  const payload = await request.text();
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(payload, signature, secret, undefined, subtleCrypto);
  } catch {
    return plainText(400, "Invalid Stripe signature.");
  }
  if (signatureTimestamp(signature) - Math.floor(Date.now() / 1000) > WEBHOOK_TOLERANCE_SEC) return plainText(400, "Invalid Stripe signature.");

  // Events without our metadata (a refunded charge) are placed through their Stripe customer, which
  // checkout created with {siteId, userId} metadata.
  let hints: OurMetadata = {};
  const customerId = needsCustomerHints(event);
  const stripe = customerId ? stripeClient() : null;
  if (customerId && stripe) {
    try {
      const customer = await stripe.customers.retrieve(customerId);
      if (!customer.deleted) {
        const { siteId, userId } = customer.metadata;
        hints = { ...(siteId ? { siteId } : {}), ...(userId ? { userId } : {}) };
      }
    } catch (e) {
      console.error(`Stripe webhook ${event.id}: could not read customer ${customerId}: ${(e as Error).message}`);
      return plainText(500, "Could not read the Stripe customer; retry later.");
    }
  }

  try {
    const { outcome } = await ctx.runMutation(internal.billing.applyEvent, {
      event: trimStripeEvent(event),
      hints: { ...(hints.siteId ? { siteId: hints.siteId } : {}), ...(hints.userId ? { userId: hints.userId } : {}) },
    });
    return new Response(JSON.stringify({ received: true, outcome }), { status: 200, headers: { "Content-Type": "application/json" } });
  } catch (e) {
    console.error(`Stripe webhook ${event.id} (${event.type}) failed: ${(e as Error).message}`);
    return plainText(500, "The event could not be applied; retry later.");
  }
});
