import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

// @convex-dev/auth end to end on the local backend: its tables, its `auth:store` calls by name, its
// /.well-known routes (OIDC discovery for our own JWT verification) and the password flow.
const signIn = makeFunctionReference<"action">("auth:signIn");
const signOut = makeFunctionReference<"action">("auth:signOut");
const whoami = makeFunctionReference<"query">("me:whoami");

let backend: LocalBackend;
let dataDir: string;
let privateKey: CryptoKey;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-auth-"));
  backend = await LocalBackend.start({ dataDir, convexDir: "local-backend/test/fixture-auth/convex", port: 0 });
  const keys = await generateKeyPair("RS256", { extractable: true });
  privateKey = keys.privateKey as CryptoKey;
  const jwk = await exportJWK(keys.publicKey);
  backend.env.set("JWT_PRIVATE_KEY", (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "));
  backend.env.set("JWKS", JSON.stringify({ keys: [{ use: "sig", ...jwk }] }));
  backend.env.set("SITE_URL", "http://127.0.0.1:3000");
});

afterAll(async () => {
  await backend.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function signUp(email: string, password: string) {
  const anon = new ConvexHttpClient(backend.url);
  const result: any = await anon.action(signIn, { provider: "password", params: { email, password, flow: "signUp" } });
  expect(result.tokens?.token).toEqual(expect.any(String));
  return result.tokens as { token: string; refreshToken: string };
}

describe("@convex-dev/auth password flow", () => {
  test("sign up, read the identity, refresh, sign out", async () => {
    const tokens = await signUp("ada@example.com", "correct horse battery");
    const client = new ConvexHttpClient(backend.url);
    client.setAuth(tokens.token);
    const me: any = await client.query(whoami, {});
    expect(me.email).toBe("ada@example.com");
    expect(me.identity.issuer).toBe(backend.siteUrl);
    expect(me.identity.tokenIdentifier).toBe(`${backend.siteUrl}|${me.identity.subject}`);
    expect(me.identity.subject.startsWith(`${me.userId}|`)).toBe(true);

    // Sign in again with the password.
    const anon = new ConvexHttpClient(backend.url);
    const again: any = await anon.action(signIn, {
      provider: "password",
      params: { email: "ada@example.com", password: "correct horse battery", flow: "signIn" },
    });
    expect(again.tokens.token).toEqual(expect.any(String));

    // A wrong password is refused.
    await expect(
      anon.action(signIn, { provider: "password", params: { email: "ada@example.com", password: "wrong password", flow: "signIn" } }),
    ).rejects.toThrow(/InvalidSecret|Invalid/);

    // Refresh: a new refresh token (rotation) and a JWT for the same user.
    const refreshed: any = await anon.action(signIn, { refreshToken: tokens.refreshToken });
    expect(refreshed.tokens.refreshToken).not.toBe(tokens.refreshToken);
    client.setAuth(refreshed.tokens.token);
    expect(((await client.query(whoami, {})) as any).userId).toBe(me.userId);

    // Sign out ends the session: its refresh token no longer works.
    await client.action(signOut, {});
    const after: any = await anon.action(signIn, { refreshToken: refreshed.tokens.refreshToken });
    expect(after.tokens).toBeNull();
  });

  test("forged token: signed by another key, the request is refused, not run anonymously", async () => {
    const tokens = await signUp("bob@example.com", "another long password");
    const other = await generateKeyPair("RS256");
    const claims = JSON.parse(Buffer.from(tokens.token.split(".")[1], "base64url").toString());
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(other.privateKey);
    const client = new ConvexHttpClient(backend.url);
    client.setAuth(forged);
    await expect(client.query(whoami, {})).rejects.toThrow(/verify|signature/i);
  });

  test("expired token: refused with an expiry error", async () => {
    const tokens = await signUp("cy@example.com", "yet another password");
    const claims = JSON.parse(Buffer.from(tokens.token.split(".")[1], "base64url").toString());
    const expired = await new SignJWT({ ...claims, iat: 1000, exp: 2000 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(privateKey);
    const client = new ConvexHttpClient(backend.url);
    client.setAuth(expired);
    await expect(client.query(whoami, {})).rejects.toThrow(/expired/i);
  });

  test("the socket client authenticates; a bad token gets AuthError and the client reports unauthenticated", async () => {
    const tokens = await signUp("dee@example.com", "sockets are fun");
    const good = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    const states: boolean[] = [];
    good.setAuth(async () => tokens.token, (isAuthenticated) => states.push(isAuthenticated));
    const me: any = await good.query(whoami, {});
    expect(me.email).toBe("dee@example.com");
    for (let i = 0; i < 100 && !states.includes(true); i++) await new Promise((r) => setTimeout(r, 20));
    expect(states).toContain(true);
    await good.close();

    const bad = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    const badStates: boolean[] = [];
    bad.setAuth(async () => "not-a-jwt", (isAuthenticated) => badStates.push(isAuthenticated));
    for (let i = 0; i < 150 && !badStates.includes(false); i++) await new Promise((r) => setTimeout(r, 20));
    expect(badStates).toContain(false);
    await bad.close();
  });

  test("HTTP actions: auth routes, exact and prefix routes, bearer identity, 404", async () => {
    const discovery = await fetch(`${backend.siteUrl}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect((await discovery.json()).issuer).toBe(backend.siteUrl);
    const echo = await fetch(`${backend.siteUrl}/echo/a/b`, { method: "POST", body: "hi" });
    expect(echo.status).toBe(201);
    expect(echo.headers.get("x-echo")).toBe("yes");
    expect(await echo.text()).toBe("/echo/a/b:hi");
    const tokens = await signUp("eve@example.com", "http actions too");
    const who = await fetch(`${backend.siteUrl}/whoami`, { headers: { Authorization: `Bearer ${tokens.token}` } });
    expect((await who.json()).subject).toMatch(/\|/);
    const anonymous = await fetch(`${backend.siteUrl}/whoami`, { headers: { Authorization: "Bearer garbage" } });
    expect(await anonymous.json()).toEqual({ subject: null });
    const missing = await fetch(`${backend.siteUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("No HttpAction routed for /nope");
  });
});
