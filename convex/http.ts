import { httpRouter } from "convex/server";
import { auth } from "./auth";
import { resendWebhook } from "./http/resendWebhook";
import { stripeWebhook } from "./http/stripeWebhook";
import { oneClickUnsubscribe } from "./http/unsubscribe";

// The HTTP route table (CONVEX_SITE_URL). Handlers live in their modules; only routes here.
const http = httpRouter();

// /.well-known/openid-configuration and /.well-known/jwks.json (JWT verification), and, when an
// OAuth provider is configured, /api/auth/signin/* and /api/auth/callback/*.
auth.addHttpRoutes(http);

// --- billing issue: Stripe webhooks (signature-verified, idempotent; http/stripeWebhook.ts) ---
http.route({ path: "/stripe/webhook", method: "POST", handler: stripeWebhook });
// --- end billing issue ---

// --- newsletters issue (#15): Resend webhooks (Svix-signed, idempotent by svix-id; http/resendWebhook.ts) ---
http.route({ path: "/resend/webhook", method: "POST", handler: resendWebhook });
// One-click unsubscribe (RFC 8058), the List-Unsubscribe target of post emails (http/unsubscribe.ts).
http.route({ path: "/unsubscribe", method: "POST", handler: oneClickUnsubscribe });
// --- end newsletters issue ---

export default http;
