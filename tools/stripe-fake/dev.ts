import { randomBytes } from "node:crypto";
import { startStripeFake, type StripeFake } from "./index.js";

// `npm start` / `npm run dev` wiring: run the fake next to the local backend and point the backend's
// function environment at it. Real keys win: with STRIPE_SECRET_KEY set and no STRIPE_API_BASE, the
// deployment talks to Stripe and no fake is started.

interface BackendLike {
  siteUrl: string;
  env: { all(): Record<string, string>; set(name: string, value: string | null): void };
}

/**
 * Starts the fake for a running backend and sets STRIPE_SECRET_KEY (kept if set), STRIPE_API_BASE and
 * STRIPE_WEBHOOK_SECRET (generated once, then kept). Webhooks go to `${backend.siteUrl}/stripe/webhook`.
 * @returns the fake, or null when real Stripe keys are configured.
 */
export async function startDevStripeFake(backend: BackendLike, opts: { port?: number; host?: string } = {}): Promise<StripeFake | null> {
  const env = backend.env.all();
  if (env.STRIPE_SECRET_KEY && !env.STRIPE_API_BASE) return null;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET ?? `whsec_local_${randomBytes(24).toString("hex")}`;
  const fake = await startStripeFake({
    port: opts.port ?? Number(process.env.STRIPE_FAKE_PORT ?? 12111),
    host: opts.host,
    webhookUrl: `${backend.siteUrl}/stripe/webhook`,
    webhookSecret,
  });
  if (!env.STRIPE_SECRET_KEY) backend.env.set("STRIPE_SECRET_KEY", "sk_test_local_fake");
  backend.env.set("STRIPE_WEBHOOK_SECRET", webhookSecret);
  backend.env.set("STRIPE_API_BASE", fake.url);
  return fake;
}
