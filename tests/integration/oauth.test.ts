import { makeFunctionReference } from "convex/server";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import { signUpOverHttp, startAuthBackend, tokenClient } from "../support/auth";
import { runOn, stopAppBackend } from "../support/live-backend";

// OAuth sign-in offline, through @convex-dev/auth's real @auth/core code path: `auth:signIn` gives
// the backend's /api/auth/signin/<provider> URL; that redirects (with PKCE cookies) to a small
// identity provider running in this test; it redirects back to /api/auth/callback/<provider>, which
// exchanges the code (token endpoint, ID token or userinfo) and redirects to SITE_URL?code=…; the
// code and the verifier then give tokens. Google is an OpenID issuer found by discovery (pointed here
// with AUTH_GOOGLE_ISSUER); GitHub is plain OAuth 2 (pointed here as a GitHub Enterprise server).

const signIn = makeFunctionReference<"action">("auth:signIn");
const me = makeFunctionReference<"query">("account:me");
const deleteAccount = makeFunctionReference<"action">("account:deleteAccount");

const SITE_URL = "http://127.0.0.1:3000";
const GOOGLE = { id: "google-client-id", secret: "google-client-secret" };
const GITHUB = { id: "github-client-id", secret: "github-client-secret" };

interface IdpUser {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string;
  picture?: string;
}

/** A minimal OpenID provider (under /google) and GitHub Enterprise look-alike (under /gh). */
class TestIdentityProvider {
  server!: Server;
  base = "";
  /** Who signs in at the next authorization request. */
  nextUser: IdpUser = { sub: "0", email: "x@example.com", emailVerified: true, name: "X" };
  /** Requests the token endpoints refused (wrong secret, PKCE or redirect URI). */
  refusals: string[] = [];
  /** "METHOD /path" of every request, in order. */
  requests: string[] = [];
  /** Issue the next ID token for another client (a token the backend must refuse). */
  wrongAudience = false;
  private keys!: Awaited<ReturnType<typeof generateKeyPair>>;
  private jwks = "";
  private codes = new Map<string, { user: IdpUser; clientId: string; redirectUri: string; challenge?: string; nonce?: string }>();
  private tokens = new Map<string, IdpUser>();

  get issuer() {
    return `${this.base}/google`;
  }

  async start() {
    this.keys = await generateKeyPair("RS256");
    this.jwks = JSON.stringify({ keys: [{ ...(await exportJWK(this.keys.publicKey)), kid: "k1", use: "sig", alg: "RS256" }] });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500).end(String(e));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify(body));
  }

  private async body(req: IncomingMessage): Promise<URLSearchParams> {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    return new URLSearchParams(raw);
  }

  private clientOf(req: IncomingMessage, form: URLSearchParams) {
    const basic = req.headers.authorization?.match(/^Basic (.+)$/)?.[1];
    if (basic) {
      const [id, secret] = Buffer.from(basic, "base64").toString().split(":").map(decodeURIComponent);
      return { id, secret };
    }
    return { id: form.get("client_id") ?? "", secret: form.get("client_secret") ?? "" };
  }

  private authorize(url: URL, res: ServerResponse, clientId: string) {
    const q = url.searchParams;
    const redirectUri = q.get("redirect_uri")!;
    if (q.get("client_id") !== clientId || q.get("response_type") !== "code") return this.json(res, 400, { error: "invalid_request" });
    const code = randomBytes(12).toString("hex");
    this.codes.set(code, {
      user: this.nextUser,
      clientId,
      redirectUri,
      challenge: q.get("code_challenge") ?? undefined,
      nonce: q.get("nonce") ?? undefined,
    });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    if (q.get("state")) back.searchParams.set("state", q.get("state")!);
    res.writeHead(302, { Location: back.toString() }).end();
  }

  /** Checks the code exchange; @returns the grant or null (and records why). */
  private async redeem(req: IncomingMessage, client: { id: string; secret: string }) {
    const form = await this.body(req);
    const who = this.clientOf(req, form);
    const grant = this.codes.get(form.get("code") ?? "");
    this.codes.delete(form.get("code") ?? "");
    const verifier = form.get("code_verifier");
    const challenge = verifier ? createHash("sha256").update(verifier).digest("base64url") : undefined;
    let problem: string | null = null;
    if (who.id !== client.id || who.secret !== client.secret) problem = "client authentication";
    else if (!grant || grant.clientId !== client.id) problem = "unknown code";
    else if (form.get("redirect_uri") !== grant.redirectUri) problem = "redirect_uri";
    else if (grant.challenge && grant.challenge !== challenge) problem = "PKCE";
    if (problem) {
      this.refusals.push(problem);
      return null;
    }
    return grant!;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, this.base);
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/i)?.[1];
    this.requests.push(`${req.method} ${url.pathname}`);
    switch (`${req.method} ${url.pathname}`) {
      // ---- OpenID Connect ("Google")
      case "GET /google/.well-known/openid-configuration":
        return this.json(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          jwks_uri: `${this.issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        });
      case "GET /google/jwks":
        return res.writeHead(200, { "Content-Type": "application/json" }).end(this.jwks);
      case "GET /google/authorize":
        return this.authorize(url, res, GOOGLE.id);
      case "POST /google/token": {
        const grant = await this.redeem(req, GOOGLE);
        if (!grant) return this.json(res, 400, { error: "invalid_grant" });
        const accessToken = randomBytes(16).toString("hex");
        this.tokens.set(accessToken, grant.user);
        const u = grant.user;
        const idToken = await new SignJWT({
          email: u.email,
          email_verified: u.emailVerified,
          name: u.name,
          ...(u.picture ? { picture: u.picture } : {}),
          ...(grant.nonce ? { nonce: grant.nonce } : {}),
        })
          .setProtectedHeader({ alg: "RS256", kid: "k1" })
          .setIssuer(this.issuer)
          .setAudience(this.wrongAudience ? "someone-else" : GOOGLE.id)
          .setSubject(u.sub)
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(this.keys.privateKey);
        return this.json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: "openid profile email", id_token: idToken });
      }
      case "GET /google/userinfo": {
        const u = bearer ? this.tokens.get(bearer) : undefined;
        if (!u) return this.json(res, 401, { error: "invalid_token" });
        return this.json(res, 200, { sub: u.sub, email: u.email, email_verified: u.emailVerified, name: u.name, picture: u.picture });
      }
      // ---- OAuth 2 ("GitHub Enterprise" at /gh)
      case "GET /gh/login/oauth/authorize":
        return this.authorize(url, res, GITHUB.id);
      case "POST /gh/login/oauth/access_token": {
        const grant = await this.redeem(req, GITHUB);
        if (!grant) return this.json(res, 400, { error: "bad_verification_code" });
        const accessToken = randomBytes(16).toString("hex");
        this.tokens.set(accessToken, grant.user);
        return this.json(res, 200, { access_token: accessToken, token_type: "bearer", scope: "read:user,user:email" });
      }
      case "GET /gh/api/v3/user": {
        const u = bearer ? this.tokens.get(bearer) : undefined;
        if (!u) return this.json(res, 401, { message: "Bad credentials" });
        // No public email: the provider asks /user/emails, as for real GitHub accounts.
        return this.json(res, 200, { id: Number(u.sub), login: u.name.toLowerCase().replace(/\W+/g, ""), name: u.name, email: null, avatar_url: u.picture ?? null });
      }
      case "GET /gh/api/v3/user/emails": {
        const u = bearer ? this.tokens.get(bearer) : undefined;
        if (!u) return this.json(res, 401, { message: "Bad credentials" });
        return this.json(res, 200, [{ email: u.email, primary: true, verified: u.emailVerified, visibility: null }]);
      }
      default:
        return this.json(res, 404, { error: "not_found", path: url.pathname });
    }
  }
}

let backend: LocalBackend;
const idp = new TestIdentityProvider();

beforeAll(async () => {
  await idp.start();
  ({ backend } = await startAuthBackend("pressroom-oauth-", SITE_URL, {
    AUTH_LOG_LEVEL: "WARN",
    AUTH_GOOGLE_ID: GOOGLE.id,
    AUTH_GOOGLE_SECRET: GOOGLE.secret,
    AUTH_GOOGLE_ISSUER: idp.issuer,
    AUTH_GITHUB_ID: GITHUB.id,
    AUTH_GITHUB_SECRET: GITHUB.secret,
    AUTH_GITHUB_ENTERPRISE_URL: `${idp.base}/gh`,
  }));
  // convex/auth.ts reads the provider variables when its module loads.
  await backend.reload();
});

afterAll(async () => {
  await idp.close();
  await stopAppBackend(backend);
});

const anon = () => tokenClient(backend);
const as = (token: string) => tokenClient(backend, token);

function cookieHeader(res: Response, jar: Map<string, string>) {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const i = pair.indexOf("=");
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return [...jar].filter(([, v]) => v !== "").map(([k, v]) => `${k}=${v}`).join("; ");
}

/**
 * Walks the browser's part of the flow for `user` at `provider`.
 * @returns the URL the backend finally redirects to (SITE_URL?code=… on success), the verifier, and
 * the redirect the sign-in started with.
 */
async function browserFlow(provider: "google" | "github", user: IdpUser) {
  idp.nextUser = user;
  const started: any = await anon().action(signIn, { provider });
  expect(started).toEqual({ redirect: expect.any(String), verifier: expect.any(String) });
  const start = new URL(started.redirect);
  expect(`${start.origin}${start.pathname}`).toBe(`${backend.siteUrl}/api/auth/signin/${provider}`);

  const jar = new Map<string, string>();
  const toIdp = await fetch(started.redirect, { redirect: "manual" });
  expect(toIdp.status).toBe(302);
  const cookies = cookieHeader(toIdp, jar);
  const authorizeUrl = new URL(toIdp.headers.get("location")!);
  expect(authorizeUrl.origin).toBe(idp.base);
  expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(`${backend.siteUrl}/api/auth/callback/${provider}`);
  expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");

  const toCallback = await fetch(authorizeUrl, { redirect: "manual" });
  expect(toCallback.status).toBe(302);
  const callbackUrl = toCallback.headers.get("location")!;
  expect(callbackUrl.startsWith(`${backend.siteUrl}/api/auth/callback/${provider}?`)).toBe(true);

  const toSite = await fetch(callbackUrl, { redirect: "manual", headers: { Cookie: cookies } });
  expect(toSite.status).toBe(302);
  return { final: new URL(toSite.headers.get("location")!), verifier: started.verifier as string };
}

/** The whole flow, ending with tokens. */
async function oauthSignIn(provider: "google" | "github", user: IdpUser) {
  const { final, verifier } = await browserFlow(provider, user);
  expect(final.origin).toBe(SITE_URL);
  const code = final.searchParams.get("code");
  expect(code).toMatch(/^\d{8}$/);
  const result: any = await anon().action(signIn, { params: { code }, verifier });
  expect(result.tokens?.token).toEqual(expect.any(String));
  return result.tokens as { token: string; refreshToken: string };
}

describe("OAuth through @auth/core", () => {
  test("Google (OpenID, discovery, ID token): a new user, then the same user again", async () => {
    const user = { sub: "g-1001", email: "Grace@Example.com", emailVerified: true, name: "Grace Hopper", picture: "https://img.example/grace.png" };
    idp.requests = [];
    const tokens = await oauthSignIn("google", user);
    expect(idp.requests).toEqual([
      "GET /google/.well-known/openid-configuration", // on /api/auth/signin/google
      "GET /google/authorize", // the browser
      "GET /google/.well-known/openid-configuration", // on /api/auth/callback/google
      "POST /google/token",
    ]);
    const profile: any = await as(tokens.token).query(me, {});
    expect(profile).toMatchObject({
      name: "Grace Hopper",
      email: "grace@example.com",
      image: "https://img.example/grace.png",
      emailVerified: true,
      role: "user",
      hasPassword: false,
    });
    const row: any = await runOn(backend, async (ctx) => await ctx.db.get(profile._id));
    expect(row).toMatchObject({ isActive: true, createdAt: expect.any(Number), lastLoginAt: expect.any(Number) });

    // The provider's later name change does not overwrite the Pressroom name.
    const again = await oauthSignIn("google", { ...user, name: "Rear Admiral Hopper" });
    const second: any = await as(again.token).query(me, {});
    expect(second._id).toBe(profile._id);
    expect(second.name).toBe("Grace Hopper");
    expect(idp.refusals).toEqual([]);
  });

  test("GitHub (OAuth 2, userinfo and emails requests)", async () => {
    idp.requests = [];
    const tokens = await oauthSignIn("github", { sub: "4242", email: "linus@example.com", emailVerified: true, name: "Linus" });
    expect(idp.requests).toEqual(["GET /gh/login/oauth/authorize", "POST /gh/login/oauth/access_token", "GET /gh/api/v3/user", "GET /gh/api/v3/user/emails"]);
    const profile: any = await as(tokens.token).query(me, {});
    expect(profile).toMatchObject({ name: "Linus", email: "linus@example.com", hasPassword: false });
    const accounts = await runOn(backend, async (ctx) =>
      (await ctx.db.query("authAccounts").withIndex("userIdAndProvider", (q: any) => q.eq("userId", profile._id)).collect()).map(
        (a: any) => [a.provider, a.providerAccountId],
      ),
    );
    expect(accounts).toEqual([["github", "4242"]]);
  });

  test("a verified email links to the existing user; an unverified one does not", async () => {
    // A password user with a verified address.
    const email = "mae@example.com";
    const pw = await signUpOverHttp(backend, email, "mae's password", "Mae");
    const mae: any = await as(pw.token).query(me, {});

    const linked = await oauthSignIn("google", { sub: "g-2002", email, emailVerified: true, name: "Mae J." });
    const viaGoogle: any = await as(linked.token).query(me, {});
    expect(viaGoogle._id).toBe(mae._id);
    expect(viaGoogle).toMatchObject({ name: "Mae", hasPassword: true });

    const unlinked = await oauthSignIn("google", { sub: "g-2003", email, emailVerified: false, name: "Impostor" });
    const other: any = await as(unlinked.token).query(me, {});
    expect(other._id).not.toBe(mae._id);
    expect(other.emailVerified).toBe(false);
  });

  test("an ID token for another client is refused: back to the site without a code", async () => {
    idp.wrongAudience = true;
    try {
      const { final } = await browserFlow("google", { sub: "g-9009", email: "eve@example.com", emailVerified: true, name: "Eve" });
      expect(final.searchParams.get("code")).toBeNull();
    } finally {
      idp.wrongAudience = false;
    }
    const users = await runOn(backend, async (ctx) => await ctx.db.query("users").withIndex("email", (q: any) => q.eq("email", "eve@example.com")).collect());
    expect(users).toEqual([]);
  });

  test("a deactivated user is sent back without a code; a wrong verifier gets no tokens", async () => {
    const user = { sub: "g-3003", email: "nell@example.com", emailVerified: true, name: "Nell" };
    const tokens = await oauthSignIn("google", user);
    const { _id: userId } = (await as(tokens.token).query(me, {})) as any;
    await runOn(backend, async (ctx) => await ctx.db.patch(userId, { isActive: false }));
    const { final } = await browserFlow("google", user);
    expect(final.toString().replace(/\/$/, "")).toBe(SITE_URL);
    expect(final.searchParams.get("code")).toBeNull();
    await runOn(backend, async (ctx) => await ctx.db.patch(userId, { isActive: true }));

    const { final: ok } = await browserFlow("google", user);
    const result: any = await anon().action(signIn, { params: { code: ok.searchParams.get("code") }, verifier: "not-the-verifier" });
    expect(result.tokens).toBeNull();
  });

  test("an OAuth-only account deletes itself without a password right after signing in", async () => {
    const tokens = await oauthSignIn("github", { sub: "5151", email: "otto@example.com", emailVerified: true, name: "Otto" });
    const client = as(tokens.token);
    const { _id: userId } = (await client.query(me, {})) as any;
    expect(await client.action(deleteAccount, {})).toEqual({ sites: [] });
    for (let i = 0; i < 100; i++) {
      if ((await runOn(backend, async (ctx) => await ctx.db.get(userId))) === null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await runOn(backend, async (ctx) => await ctx.db.get(userId))).toBeNull();
  });
});
