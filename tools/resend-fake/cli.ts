#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startResendFake } from "./index.js";

// Runs the Resend fake on its own: `tsx tools/resend-fake/cli.ts --port 12112
// --webhook-url http://127.0.0.1:3211/resend/webhook --webhook-secret whsec_<base64>`. Point the backend
// at it with RESEND_API_URL=http://127.0.0.1:12112, RESEND_API_KEY=re_test_fake and the same
// RESEND_WEBHOOK_SECRET.

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.RESEND_FAKE_PORT ?? "12112" },
    host: { type: "string", default: "127.0.0.1" },
    "webhook-url": { type: "string", default: process.env.RESEND_FAKE_WEBHOOK_URL },
    // A fixed development secret: base64 of "pressroom-local-resend-fake".
    "webhook-secret": { type: "string", default: process.env.RESEND_WEBHOOK_SECRET ?? "whsec_cHJlc3Nyb29tLWxvY2FsLXJlc2VuZC1mYWtl" },
  },
});

const fake = await startResendFake({
  port: Number(values.port),
  host: values.host,
  webhookUrl: values["webhook-url"],
  webhookSecret: values["webhook-secret"]!,
});
console.log(`[resend-fake] API at ${fake.url} (RESEND_API_URL); messages at ${fake.url}/_fake/messages`);
console.log(`[resend-fake] webhooks to ${values["webhook-url"] ?? "(none yet: POST /_fake/webhook {url})"}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void fake.close().then(() => process.exit(0)));
