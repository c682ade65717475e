import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { internal } from "../_generated/api";
import { env } from "../env";
import { httpAction } from "../lib/functions";
import { parseResendEvent } from "../model/suppressions";
import { plainText } from "./respond";

// POST /resend/webhook (route in convex/http.ts). Resend signs webhooks the Svix way: headers svix-id,
// svix-timestamp and svix-signature ("v1,<base64 HMAC-SHA256 of `id.timestamp.body`>", keyed with the
// base64 part of RESEND_WEBHOOK_SECRET after "whsec_"; several space-separated signatures during a
// secret rotation). The `standardwebhooks` library checks it (the Svix scheme under its own header
// names; constant-time comparison; timestamp within ±5 minutes) in Convex's default runtime: pure JS,
// no Node built-ins. (`svix` itself wraps the same code but needs Node >= 22.) Nothing is read or
// written before the signature checks out: forged, tampered, re-signed, stale or future-dated
// requests get 400. Verified events go to suppressions:applyEvent, idempotent by svix-id, so Resend's
// retries and replays are acknowledged without effect. Failures after verification answer 500 so
// Resend retries.

/** Svix ids are short (msg_…); a cap keeps a hostile id from becoming a large stored row. */
const MAX_ID_LENGTH = 256;
/** Resend's email events are a few KiB; anything far larger is not one. */
const MAX_BODY_BYTES = 256 * 1024;


export const resendWebhook = httpAction(async (ctx, request) => {
  const secret = env.RESEND_WEBHOOK_SECRET;
  if (!secret) return plainText(500, "Resend webhooks are not configured.");
  const id = request.headers.get("svix-id");
  const timestamp = request.headers.get("svix-timestamp");
  const signature = request.headers.get("svix-signature");
  if (!id || !timestamp || !signature) return plainText(400, "Missing svix-id, svix-timestamp or svix-signature header.");
  if (id.length > MAX_ID_LENGTH) return plainText(400, "Invalid svix-id header.");
  const payload = await request.text();
  if (payload.length > MAX_BODY_BYTES) return plainText(413, "Webhook body too large.");

  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch {
    // Not base64 after "whsec_": the deployment's setting is wrong, not the request.
    console.error("RESEND_WEBHOOK_SECRET is not a valid whsec_ secret.");
    return plainText(500, "Resend webhooks are misconfigured.");
  }
  try {
    webhook.verify(payload, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
  } catch (e) {
    if (e instanceof WebhookVerificationError) return plainText(400, "Invalid webhook signature.");
    return plainText(400, "Invalid webhook request.");
  }

  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return plainText(400, "The webhook body is not JSON.");
  }
  const event = parseResendEvent(id, body, Date.now());
  if (!event) return plainText(400, "The webhook body is not a Resend event.");

  try {
    const outcome = await ctx.runMutation(internal.suppressions.applyEvent, event);
    return new Response(JSON.stringify({ received: true, outcome }), { status: 200, headers: { "Content-Type": "application/json" } });
  } catch (e) {
    console.error(`Resend webhook ${id} (${event.type}) failed: ${(e as Error).message}`);
    return plainText(500, "The event could not be applied; retry later.");
  }
});
