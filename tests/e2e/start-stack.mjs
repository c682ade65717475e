// Starts the stack for browser tests: a local backend on a fresh temporary data dir, the Stripe fake
// (tools/stripe-fake) and the Resend fake (tools/resend-fake) wired to it, and the production Remix
// build, all on 127.0.0.1. As under `npm start`, every email goes through the production sender to
// the Resend fake, and /dev/mailbox reads it there.
// Playwright stops it when the run ends.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { adminKey, e2eDataDir, resendFakeUrl, resendPort } from "./stack.mjs";

const appPort = process.env.E2E_APP_PORT ?? "3100";
// A second instance of the app configured for publications on their own hosts (ROOT_DOMAIN):
// tests/e2e/hosts.test.ts points Chromium's resolver for *.pressroom.test at 127.0.0.1.
const hostAppPort = process.env.E2E_HOST_APP_PORT ?? "3101";
const backendPort = process.env.E2E_BACKEND_PORT ?? "3310";
// The Stripe fake: its API, checkout and portal pages, and /_control (tests/e2e/billing.test.ts).
const stripePort = process.env.E2E_STRIPE_PORT ?? "3412";
// The backend's HTTP actions (convex/http.ts, where /stripe/webhook lives) listen on port + 1.
const backendSiteUrl = `http://127.0.0.1:${Number(backendPort) + 1}`;
const webhookSecret = `whsec_e2e_${randomBytes(24).toString("hex")}`;
// Resend's endpoint secrets are whsec_ + base64 (the app's verifier decodes it).
const resendWebhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
// A fresh data dir every run; its path is derived from the port so tests can find the admin key.
const dataDir = e2eDataDir(backendPort);
rmSync(dataDir, { recursive: true, force: true });
const bin = (n) => path.resolve("node_modules/.bin", n);

// `npm test` (tests/run-all.mjs) builds while Vitest runs and says so with E2E_PREBUILT=1.
if (process.env.E2E_PREBUILT !== "1") {
  const build = spawnSync(process.execPath, ["tools/build.mjs"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// --app-port: the backend's SITE_URL (sign-in redirects) is the app's address.
const backend = spawn(
  bin("tsx"),
  ["local-backend/src/cli.ts", "serve", "--data-dir", dataDir, "--port", backendPort, "--app-port", appPort],
  { stdio: "inherit" },
);
let app = null;
let hostApp = null;
let stripe = null;
let resend = null;

let stopped = false;
function stop() {
  if (stopped) return;
  stopped = true;
  app?.kill("SIGTERM");
  hostApp?.kill("SIGTERM");
  stripe?.kill("SIGTERM");
  resend?.kill("SIGTERM");
  backend.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => (stop(), process.exit(0)));
process.on("exit", stop);

/** Runs the local-backend CLI against the e2e data dir. */
function cli(...args) {
  return spawnSync(bin("tsx"), ["local-backend/src/cli.ts", ...args, "--data-dir", dataDir], { encoding: "utf8" });
}

async function waitForBackend() {
  for (let i = 0; i < 600; i++) {
    if (backend.exitCode !== null) throw new Error("the local backend exited");
    try {
      if ((await fetch(`http://127.0.0.1:${backendPort}/version`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the local backend did not start");
}

/** The backend's function environment (names → values), through the CLI. */
function envVars() {
  const r = cli("env", "list");
  if (r.status !== 0) throw new Error(`could not list the backend env: ${r.stderr}`);
  return Object.fromEntries(r.stdout.split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

// @convex-dev/auth signs its JWTs with JWT_PRIVATE_KEY and publishes JWKS; SITE_URL is the app.
// `serve` sets them on a fresh data dir right after it starts listening; give it a few seconds,
// then fill in whatever is still missing (a CLI without that step), never replacing a key.
async function ensureAuthEnv() {
  let env = envVars();
  for (const deadline = Date.now() + 8000; !(env.JWT_PRIVATE_KEY && env.JWKS) && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    env = envVars();
  }
  if (!env.JWT_PRIVATE_KEY || !env.JWKS) {
    const keys = await generateKeyPair("RS256", { extractable: true });
    const pem = (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " ");
    const jwks = JSON.stringify({ keys: [{ use: "sig", ...(await exportJWK(keys.publicKey)) }] });
    for (const [name, value] of [["JWT_PRIVATE_KEY", pem], ["JWKS", jwks]]) {
      const r = cli("env", "set", name, value);
      if (r.status !== 0) throw new Error(`could not set ${name}: ${r.stderr}`);
    }
  }
  const siteUrl = `http://127.0.0.1:${appPort}`;
  if (env.SITE_URL !== siteUrl) {
    const r = cli("env", "set", "SITE_URL", siteUrl);
    if (r.status !== 0) throw new Error(`could not set SITE_URL: ${r.stderr}`);
  }
}

/**
 * The demo publications with their themes, logos and covers, as `npm start` has them (specs that
 * call demo:seedDemo again change nothing). Images need uploads, which mutations cannot do.
 */
function seedDemo() {
  const r = spawnSync(bin("tsx"), ["tools/demo-covers/seed.ts", `http://127.0.0.1:${backendPort}`], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEMO_ADMIN_KEY: adminKey() },
  });
  if (r.status !== 0) throw new Error("seeding the demo failed");
}

/** Starts the Stripe fake and points the backend at it (STRIPE_SECRET_KEY, _WEBHOOK_SECRET, _API_BASE). */
async function startStripe() {
  stripe = spawn(
    bin("tsx"),
    [
      "tools/stripe-fake/cli.ts",
      "--port",
      stripePort,
      "--webhook-url",
      `${backendSiteUrl}/stripe/webhook`,
      "--webhook-secret",
      webhookSecret,
    ],
    { stdio: "inherit" },
  );
  stripe.on("exit", onUnexpectedExit);
  const url = `http://127.0.0.1:${stripePort}`;
  for (let i = 0; ; i++) {
    if (stripe.exitCode !== null) throw new Error("the Stripe fake exited");
    if (i > 300) throw new Error("the Stripe fake did not start");
    try {
      if ((await fetch(`${url}/_control/state`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [name, value] of [
    ["STRIPE_SECRET_KEY", "sk_test_e2e"],
    ["STRIPE_WEBHOOK_SECRET", webhookSecret],
    ["STRIPE_API_BASE", url],
  ]) {
    const r = cli("env", "set", name, value);
    if (r.status !== 0) throw new Error(`could not set ${name}: ${r.stderr}`);
  }
}

/** Starts the Resend fake and points the backend at it (RESEND_API_KEY, _API_URL, _WEBHOOK_SECRET). */
async function startResend() {
  resend = spawn(
    bin("tsx"),
    ["tools/resend-fake/cli.ts", "--port", resendPort, "--webhook-url", `${backendSiteUrl}/resend/webhook`, "--webhook-secret", resendWebhookSecret],
    { stdio: "inherit" },
  );
  resend.on("exit", onUnexpectedExit);
  for (let i = 0; ; i++) {
    if (resend.exitCode !== null) throw new Error("the Resend fake exited");
    if (i > 300) throw new Error("the Resend fake did not start");
    try {
      if ((await fetch(`${resendFakeUrl}/_fake/events`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [name, value] of [
    ["RESEND_API_KEY", "re_e2e_fake"],
    ["RESEND_WEBHOOK_SECRET", resendWebhookSecret],
    ["RESEND_API_URL", resendFakeUrl],
  ]) {
    const r = cli("env", "set", name, value);
    if (r.status !== 0) throw new Error(`could not set ${name}: ${r.stderr}`);
  }
}

try {
  await waitForBackend();
  await ensureAuthEnv();
  await startStripe();
  await startResend();
  seedDemo();
} catch (e) {
  console.error("e2e stack:", e instanceof Error ? e.message : e);
  stop();
  process.exit(1);
}

// PRESSROOM_DEV_MAILBOX=1 turns on /dev/mailbox, which reads the Resend fake (RESEND_FAKE_URL).
app = spawn(process.execPath, ["build/server/serve.js"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: appPort,
    HOST: "127.0.0.1",
    CONVEX_URL: `http://127.0.0.1:${backendPort}`,
    CONVEX_ADMIN_KEY: adminKey(),
    PRESSROOM_DEV_MAILBOX: "1",
    RESEND_FAKE_URL: resendFakeUrl,
  },
});

hostApp = spawn(process.execPath, ["build/server/serve.js"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: hostAppPort,
    HOST: "127.0.0.1",
    WEB_CONCURRENCY: "1",
    CONVEX_URL: `http://127.0.0.1:${backendPort}`,
    // Views are sent with the server's key (reader:recordViews is internal); no dev mailbox here.
    CONVEX_ADMIN_KEY: adminKey(),
    ROOT_DOMAIN: "pressroom.test",
    SITE_URL_FORM: "subdomain",
    // The platform itself answers on the loopback address (a site host's /login goes there).
    PLATFORM_URL: `http://127.0.0.1:${hostAppPort}`,
  },
});

function onUnexpectedExit(code) {
  if (!stopped) {
    console.error("e2e stack process exited", code);
    stop();
    process.exit(1);
  }
}
backend.on("exit", onUnexpectedExit);
app.on("exit", onUnexpectedExit);
hostApp.on("exit", onUnexpectedExit);
