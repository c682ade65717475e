// Sign-in on a live local backend (live-backend.ts) for integration tests: the app's backend with
// the JWT keys and SITE_URL @convex-dev/auth needs, the emails it sends (read from the outbox with
// an internal query, as the dev mailbox does), clients acting with a session token, and a sign-up
// through the real password flow.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { expect } from "vitest";
import type { LocalBackend, LocalBackendOptions } from "../../local-backend/src/backend";
import { startAppBackend } from "./live-backend";

const signIn = makeFunctionReference<"action">("auth:signIn");

export type Tokens = { token: string; refreshToken: string };
export type EmailKind = "verify-email" | "password-reset" | "sign-in-code" | "account-exists" | "site-invite" | (string & {});

/**
 * `startAppBackend` plus a fresh RS256 key pair (JWT_PRIVATE_KEY, JWKS), SITE_URL and any `env`.
 * Returns the private key too, for tests that sign their own JWTs. Stop with `stopAppBackend`.
 */
export async function startAuthBackend(
  prefix: string,
  siteUrl: string,
  env: Record<string, string> = {},
  options: Partial<LocalBackendOptions> = {},
): Promise<{ backend: LocalBackend; privateKey: CryptoKey }> {
  const backend = await startAppBackend(prefix, options);
  const keys = await generateKeyPair("RS256", { extractable: true });
  backend.env.set("JWT_PRIVATE_KEY", (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "));
  backend.env.set("JWKS", JSON.stringify({ keys: [{ use: "sig", ...(await exportJWK(keys.publicKey)) }] }));
  backend.env.set("SITE_URL", siteUrl);
  for (const [name, value] of Object.entries(env)) backend.env.set(name, value);
  return { backend, privateKey: keys.privateKey as CryptoKey };
}

/** The newest email of a kind to an address (emails:latestFor), or null. */
export async function latestEmail(backend: LocalBackend, email: string, kind: EmailKind): Promise<any> {
  const outcome = await backend.runner.runQuery("emails:latestFor", { email, kind } as any, { allowInternal: true });
  if (!outcome.ok) throw new Error(outcome.message);
  return JSON.parse(outcome.valueJson);
}

/** The 8-digit code of the newest email of a kind to an address (throws when there is none). */
export async function codeFor(backend: LocalBackend, email: string, kind: EmailKind): Promise<string> {
  const mail = await latestEmail(backend, email, kind);
  const code = /\b(\d{8})\b/.exec(mail?.text ?? "")?.[1];
  if (!code) throw new Error(`no ${kind} code for ${email}`);
  return code;
}

/** A client acting with a session token (a JWT from sign-in); anonymous without one. */
export function tokenClient(backend: LocalBackend, token?: string | null): ConvexHttpClient {
  const client = new ConvexHttpClient(backend.url);
  if (token) client.setAuth(token);
  return client;
}

/** Signs up over HTTP through the password flow (sign-up, emailed code, verification): the tokens. */
export async function signUpOverHttp(backend: LocalBackend, email: string, password: string, name = "Ada Lovelace"): Promise<Tokens> {
  const started: any = await tokenClient(backend).action(signIn, { provider: "password", params: { flow: "signUp", email, password, name } });
  expect(started).toEqual({ tokens: null });
  const code = await codeFor(backend, email, "verify-email");
  const done: any = await tokenClient(backend).action(signIn, { provider: "password", params: { flow: "email-verification", email, code } });
  expect(done.tokens?.token).toEqual(expect.any(String));
  return done.tokens;
}
