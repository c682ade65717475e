import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";

/** Debian's Chromium, as every browser test launches it (Playwright cannot download browsers). */
export function chromiumLaunchOptions(extraArgs = []) {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  };
}

export const backendPort = process.env.E2E_BACKEND_PORT ?? "3310";
export const backendUrl = `http://127.0.0.1:${backendPort}`;
/** The Resend fake every email of the e2e stack goes to (start-stack.mjs; /dev/mailbox reads it). */
export const resendPort = process.env.E2E_RESEND_PORT ?? "3112";
export const resendFakeUrl = `http://127.0.0.1:${resendPort}`;

/** The data dir of the e2e local backend (fresh for every run, see start-stack.mjs). */
export function e2eDataDir(port = backendPort) {
  return path.join(tmpdir(), `pressroom-e2e-${port}`);
}

/** The e2e backend's admin key, read through the local-backend CLI. */
export function adminKey() {
  const r = spawnSync(path.resolve("node_modules/.bin/tsx"), ["local-backend/src/cli.ts", "admin-key", "--data-dir", e2eDataDir()], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`could not read the admin key: ${r.stderr}`);
  return r.stdout.trim();
}

/** The newest message the Resend fake accepted for `email` whose subject matches, or undefined. */
export async function latestFakeMessage(email, subject) {
  const res = await fetch(`${resendFakeUrl}/_fake/messages?to=${encodeURIComponent(email)}`);
  if (!res.ok) throw new Error(`the Resend fake answered ${res.status}`);
  const { data } = await res.json();
  return data.filter((m) => subject.test(m.subject)).at(-1);
}

/**
 * Signs a new user up through the real password flow (code read from the message the Resend fake
 * received) and returns a ConvexHttpClient acting as them.
 */
export async function signedUpClient(email, name, password = "correct horse battery staple") {
  const { ConvexHttpClient } = await import("convex/browser");
  const { makeFunctionReference } = await import("convex/server");
  const signIn = makeFunctionReference("auth:signIn");
  const anon = new ConvexHttpClient(backendUrl);
  await anon.action(signIn, { provider: "password", params: { flow: "signUp", email, password, name } });
  const mail = await latestFakeMessage(email, /verification code/);
  if (!mail) throw new Error(`no verification email to ${email} in the Resend fake`);
  const code = /\b(\d{8})\b/.exec(mail.text)[1];
  const result = await anon.action(signIn, { provider: "password", params: { flow: "email-verification", email, code } });
  const client = new ConvexHttpClient(backendUrl);
  client.setAuth(result.tokens.token);
  return client;
}
