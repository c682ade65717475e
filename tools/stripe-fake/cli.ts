#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startStripeFake } from "./index.js";

// Runs the Stripe fake on its own: `tsx tools/stripe-fake/cli.ts --port 12111
// --webhook-url http://127.0.0.1:3211/stripe/webhook --webhook-secret whsec_local`. Point the backend at
// it with STRIPE_API_BASE=http://127.0.0.1:12111, STRIPE_SECRET_KEY=sk_test_fake and the same
// STRIPE_WEBHOOK_SECRET.

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.STRIPE_FAKE_PORT ?? "12111" },
    host: { type: "string", default: "127.0.0.1" },
    "webhook-url": { type: "string", default: process.env.STRIPE_FAKE_WEBHOOK_URL },
    "webhook-secret": { type: "string", default: process.env.STRIPE_WEBHOOK_SECRET ?? "whsec_local_stripe_fake" },
  },
});

const fake = await startStripeFake({
  port: Number(values.port),
  host: values.host,
  webhookUrl: values["webhook-url"],
  webhookSecret: values["webhook-secret"]!,
});
console.log(`[stripe-fake] API and test pages at ${fake.url} (STRIPE_API_BASE)`);
console.log(`[stripe-fake] webhooks to ${values["webhook-url"] ?? "(none yet: POST /_control/webhook {url})"}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void fake.close().then(() => process.exit(0)));
