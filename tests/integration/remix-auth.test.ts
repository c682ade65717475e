// Over 400 lines: the auth routes' loaders and actions end to end, cookies and redirects included, against one backend.
// Accounts and sign-in, Remix side: the route loaders and actions called directly with Request
// objects against a local backend running convex/ (the real @convex-dev/auth), plus a few full
// document renders through Remix's request handler.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as accountRoute from "../../app/routes/account";
import * as tokenRoute from "../../app/routes/api.auth.token";
import * as mailboxRoute from "../../app/routes/dev.mailbox";
import * as forgotRoute from "../../app/routes/forgot-password";
import * as loginRoute from "../../app/routes/login";
import * as logoutRoute from "../../app/routes/logout";
import * as resetRoute from "../../app/routes/reset-password";
import * as signupRoute from "../../app/routes/signup";
import * as verifyRoute from "../../app/routes/verify";
import * as root from "../../app/root";
import { safeRedirectTo } from "../../app/auth/redirect.server";
import { codeFor, latestEmail, startAuthBackend } from "../support/auth";
import { keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { startRemixVite, type RemixViteApp } from "../support/remix-vite";
import { OPEN_REDIRECT_CORPUS } from "../support/open-redirect-corpus";
import {
  absorb,
  action,
  cookie,
  cookieHeader,
  freshEmail,
  get,
  isExpired,
  JWT,
  loader,
  ORIGIN as LOCAL,
  PASSWORD,
  post,
  REFRESH,
  setCookies,
  signInThroughApp,
  signUpThroughApp,
  type Jar,
  type Outcome,
  type Route,
} from "../support/remix-app";

const signIn = makeFunctionReference<"action">("auth:signIn");
const me = makeFunctionReference<"query">("account:me");

const REMOTE = "https://pressroom.example";
const EVIL = "https://evil.example";

let backend: LocalBackend;
let privateKey: CryptoKey;
let restoreEnv: () => void;

beforeAll(async () => {
  ({ backend, privateKey } = await startAuthBackend("remix-auth-", LOCAL));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
});

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

beforeEach(() => {
  // Uniform timing is tested on its own; elsewhere it would only slow the suite down.
  process.env.AUTH_MIN_RESPONSE_MS = "0";
});

// ---------------------------------------------------------------------------------------------

/** A JWT's claims, unverified. */
function claims(token: string): { sub: string; iat: number; exp: number; [k: string]: unknown } {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

describe("sign-up, verification and cookies", () => {
  test("sign-up → code from the outbox → verify → session cookies (httpOnly, SameSite=Lax, no Secure on localhost)", async () => {
    const email = freshEmail("ada");
    const jar: Jar = new Map();
    const signup = await action(
      signupRoute,
      post(`${LOCAL}/signup`, { name: "Ada", email, password: PASSWORD, redirectTo: "/account" }, jar),
    );
    expect(signup.status).toBe(302);
    expect(signup.location).toBe("/verify?provider=password&redirectTo=%2Faccount");
    // No session yet: only the pending address (to prefill /verify).
    expect(cookie(signup.headers, JWT)).toBeUndefined();
    absorb(jar, signup.headers);
    const verifyPage = await loader(verifyRoute, get(`${LOCAL}/verify?provider=password&redirectTo=%2Faccount`, jar));
    expect(verifyPage.data).toMatchObject({ provider: "password", email, redirectTo: "/account" });

    const code = await codeFor(backend, email, "verify-email");
    const wrong = await action(verifyRoute, post(`${LOCAL}/verify`, { provider: "password", email, code: "00000000" }, jar));
    expect(wrong.status).toBe(400);
    expect(wrong.data.errors.fields.code).toMatch(/wrong or has expired/);

    const verified = await action(
      verifyRoute,
      post(`${LOCAL}/verify`, { provider: "password", email, code, redirectTo: "/account" }, jar),
    );
    expect(verified.status).toBe(302);
    expect(verified.location).toBe("/account");
    for (const name of [JWT, REFRESH]) {
      const c = cookie(verified.headers, name)!;
      expect(c, name).toBeDefined();
      expect(c.value.length).toBeGreaterThan(10);
      expect(c.attrs.httponly).toBe(true);
      expect(c.attrs.samesite).toBe("Lax");
      expect(c.attrs.path).toBe("/");
      expect(c.attrs.secure).toBeUndefined();
      expect(c.attrs.domain).toBeUndefined();
    }
    absorb(jar, verified.headers);

    // The root loader now knows the user; the account page lists this session with its user agent.
    const home = await loader(root, get(`${LOCAL}/`, jar));
    expect(home.data.user).toMatchObject({ email, name: "Ada" });
    const account = await loader(accountRoute, get(`${LOCAL}/account`, jar));
    expect(account.status).toBe(200);
    expect(account.data.user.email).toBe(email);
    expect(account.data.sessions).toEqual([expect.objectContaining({ current: true, userAgent: "vitest" })]);
  });

  test("on a non-localhost host the cookies are __Host- prefixed and Secure", async () => {
    const email = freshEmail("remote");
    const jar = await signUpThroughApp(backend, email, { base: REMOTE });
    expect([...jar.keys()].sort()).toEqual([`__Host-${REFRESH}`, `__Host-${JWT}`].sort());
    const { result } = await signInThroughApp(email, PASSWORD, new Map(), REMOTE);
    expect(result.status).toBe(302);
    for (const name of [`__Host-${JWT}`, `__Host-${REFRESH}`]) {
      const c = cookie(result.headers, name)!;
      expect(c.attrs.secure).toBe(true);
      expect(c.attrs.httponly).toBe(true);
      expect(c.attrs.samesite).toBe("Lax");
      expect(c.attrs.path).toBe("/");
      expect(c.attrs.domain).toBeUndefined();
    }
    // Unprefixed cookies mean nothing on that host.
    const plain = new Map([[JWT, jar.get(`__Host-${JWT}`)!], [REFRESH, jar.get(`__Host-${REFRESH}`)!]]);
    expect((await loader(root, get(`${REMOTE}/`, plain))).data.user).toBeNull();
  });

  test("sign-up with a registered email goes to /verify like any sign-up (the owner is emailed); sign-in with an unverified address sends a new code", async () => {
    const email = freshEmail("dup");
    await signUpThroughApp(backend, email);
    const again = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Twin", email, password: "another password" }));
    expect(again.status).toBe(302);
    // With no page to return to, a new account is headed for the studio (issue #16), registered or not.
    expect(again.location).toBe("/verify?provider=password&redirectTo=%2Fstudio");
    expect((await latestEmail(backend, email, "account-exists"))?.subject).toMatch(/already have/);

    const pending = freshEmail("pending");
    await action(signupRoute, post(`${LOCAL}/signup`, { name: "Pending", email: pending, password: PASSWORD }));
    const first = await codeFor(backend, pending, "verify-email");
    const { result } = await signInThroughApp(pending);
    expect(result.status).toBe(302);
    expect(result.location).toMatch(/^\/verify\?provider=password/);
    expect(cookie(result.headers, JWT)).toBeUndefined();
    expect(await codeFor(backend, pending, "verify-email")).not.toBe(first);
  });

  test("password-less sign-in with an emailed code", async () => {
    const email = freshEmail("codes");
    await signUpThroughApp(backend, email);
    const asked = await action(loginRoute, post(`${LOCAL}/login`, { intent: "email-code", email, redirectTo: "/account" }));
    expect(asked.status).toBe(302);
    expect(asked.location).toBe("/verify?provider=email-code&redirectTo=%2Faccount");
    const code = await codeFor(backend, email, "sign-in-code");
    const done = await action(verifyRoute, post(`${LOCAL}/verify`, { provider: "email-code", email, code, redirectTo: "/account" }));
    expect(done.status).toBe(302);
    expect(done.location).toBe("/account");
    expect(cookie(done.headers, JWT)?.value).toBeTruthy();
  });
});

describe("the session over time", () => {
  test("refresh before expiry: a JWT within a minute of expiring is exchanged for new cookies", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("refresh"));
    const original = claims(jar.get(JWT)!);
    const oldRefresh = jar.get(REFRESH)!;

    // Far from expiry: nothing to do.
    const calm = await loader(root, get(`${LOCAL}/`, jar));
    expect(calm.data.user).not.toBeNull();
    expect(calm.headers.getSetCookie()).toEqual([]);

    // A valid JWT (same key, same subject) with 30 s left of a one-hour lifetime.
    const now = Math.floor(Date.now() / 1000);
    const nearExpiry = await new SignJWT({ ...original, iat: now - 3570, exp: now + 30 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(privateKey);
    jar.set(JWT, nearExpiry);
    const refreshed = await loader(root, get(`${LOCAL}/`, jar));
    expect(refreshed.data.user).not.toBeNull();
    const newJwt = cookie(refreshed.headers, JWT)!.value;
    const newRefresh = cookie(refreshed.headers, REFRESH)!.value;
    expect(newJwt).not.toBe(nearExpiry);
    expect(claims(newJwt).sub).toBe(original.sub);
    expect(claims(newJwt).exp).toBeGreaterThan(now + 3000);
    expect(newRefresh).not.toBe(oldRefresh);

    // Parallel loaders of one request refresh once (memoised per Request).
    jar.set(JWT, nearExpiry);
    jar.set(REFRESH, newRefresh);
    const request = get(`${LOCAL}/account`, jar);
    const [a, b] = await Promise.all([loader(root, request), loader(accountRoute, request)]);
    expect(cookie(a.headers, REFRESH)!.value).toBe(cookie(b.headers, REFRESH)!.value);
  });

  test("a refresh token that no longer works clears the cookies", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("stale"));
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims(jar.get(JWT)!), iat: now - 4000, exp: now - 400 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(privateKey);
    jar.set(JWT, expired);
    jar.set(REFRESH, "not-a-refresh-token|nope");
    const home = await loader(root, get(`${LOCAL}/`, jar));
    expect(home.data.user).toBeNull();
    expect(isExpired(cookie(home.headers, JWT))).toBe(true);
    expect(isExpired(cookie(home.headers, REFRESH))).toBe(true);
    // And protected pages send the browser to sign in, back to where it was.
    const account = await loader(accountRoute, get(`${LOCAL}/account?tab=sessions`, jar));
    expect(account.status).toBe(302);
    expect(account.location).toBe("/login?redirectTo=%2Faccount%3Ftab%3Dsessions");
  });

  test("an OAuth return (?code= with the verifier cookie) that Convex refuses clears the cookies and drops the code", async () => {
    const jar: Jar = new Map([["__convexAuthOAuthVerifier", "some-verifier"]]);
    const back = await loader(root, get(`${LOCAL}/night-desk/?code=forged&x=1`, jar, { Accept: "text/html" }));
    expect(back.status).toBe(302);
    expect(back.location).toBe("/night-desk/?x=1");
    expect(isExpired(cookie(back.headers, JWT))).toBe(true);
    expect(isExpired(cookie(back.headers, "__convexAuthOAuthVerifier"))).toBe(true);
    // Without a verifier cookie, ?code= is just a query parameter.
    expect((await loader(root, get(`${LOCAL}/?code=123`))).status).toBe(200);
  });

  test("sign-out clears the cookies and invalidates the refresh token", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("bye"));
    const refreshToken = jar.get(REFRESH)!;
    const out = await action(logoutRoute, post(`${LOCAL}/logout`, {}, jar));
    expect(out.status).toBe(302);
    expect(out.location).toBe("/");
    expect(isExpired(cookie(out.headers, JWT))).toBe(true);
    expect(isExpired(cookie(out.headers, REFRESH))).toBe(true);
    const anon = new ConvexHttpClient(backend.url);
    expect(((await anon.action(signIn, { refreshToken })) as any).tokens).toBeNull();
    // GET never signs out.
    expect((await loader(logoutRoute, get(`${LOCAL}/logout`, jar))).status).toBe(405);
  });

  test("after sign-in the browser goes back where it came from, never off-site", async () => {
    const email = freshEmail("back");
    await signUpThroughApp(backend, email);
    const page = await loader(loginRoute, get(`${LOCAL}/login?redirectTo=${encodeURIComponent("/night-desk/posts?page=2")}`));
    expect(page.data.redirectTo).toBe("/night-desk/posts?page=2");
    const ok = await action(
      loginRoute,
      post(`${LOCAL}/login`, { intent: "password", email, password: PASSWORD, redirectTo: "/night-desk/posts?page=2" }),
    );
    expect(ok.location).toBe("/night-desk/posts?page=2");
    for (const evil of ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)", "/login"]) {
      const r = await action(loginRoute, post(`${LOCAL}/login`, { intent: "password", email, password: PASSWORD, redirectTo: evil }));
      expect(r.location, evil).toBe("/");
    }
    expect(safeRedirectTo("/a/b?c=1#d")).toBe("/a/b?c=1#d");
  });

  test("open redirect: /login?redirectTo=<bypass> sends a signed-in user home, never to another host", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("redirect"));
    for (const evil of OPEN_REDIRECT_CORPUS.filter((v) => v !== "")) {
      const r = await loader(loginRoute, get(`${LOCAL}/login?${new URLSearchParams({ redirectTo: evil })}`, jar));
      expect(r.status, evil).toBe(302);
      expect(r.location, evil).toBe("/");
    }
    // The reported case, as the attacker's link spells it.
    const reported = await loader(loginRoute, get(`${LOCAL}/login?redirectTo=%2F.%2F%2Fevil.example`, jar));
    expect(reported.location).toBe("/");
    const fine = await loader(loginRoute, get(`${LOCAL}/login?redirectTo=${encodeURIComponent("/studio?tab=drafts")}`, jar));
    expect(fine.location).toBe("/studio?tab=drafts");
  });
});

describe("security", () => {
  test("session fixation: a refresh token set before sign-in is replaced at sign-in", async () => {
    // The attacker signs in as themselves and plants their cookies in the victim's browser.
    const attacker = await signUpThroughApp(backend, freshEmail("attacker"));
    const victimEmail = freshEmail("victim");
    await signUpThroughApp(backend, victimEmail);
    const planted: Jar = new Map(attacker);
    const { result } = await signInThroughApp(victimEmail, PASSWORD, planted);
    expect(result.status).toBe(302);
    const jwt = cookie(result.headers, JWT)!.value;
    const refresh = cookie(result.headers, REFRESH)!.value;
    expect(jwt).not.toBe(attacker.get(JWT));
    expect(refresh).not.toBe(attacker.get(REFRESH));
    // The new session belongs to the victim, in a new Convex session (not the attacker's).
    const victimClient = new ConvexHttpClient(backend.url);
    victimClient.setAuth(jwt);
    expect(((await victimClient.query(me, {})) as any).email).toBe(victimEmail);
    const [, attackerSession] = claims(attacker.get(JWT)!).sub.split("|");
    expect(claims(jwt).sub.split("|")[1]).not.toBe(attackerSession);
    // A planted garbage refresh token is replaced too.
    const garbage: Jar = new Map([[REFRESH, "planted|token"]]);
    const second = await signInThroughApp(victimEmail, PASSWORD, garbage);
    expect(cookie(second.result.headers, REFRESH)!.value).not.toBe("planted|token");
  });

  test("CSRF on sign-out and account deletion: a cross-origin POST is refused with 403", async () => {
    const email = freshEmail("csrf");
    const jar = await signUpThroughApp(backend, email);
    const attempts: [Route, string, Record<string, string>][] = [
      [logoutRoute, "/logout", {}],
      [accountRoute, "/account", { intent: "delete", password: PASSWORD, confirm: "yes" }],
      [accountRoute, "/account", { intent: "sign-out-others" }],
      [loginRoute, "/login", { intent: "password", email, password: PASSWORD }],
    ];
    for (const [route, p, fields] of attempts) {
      const crossOrigin = await action(route, post(`${LOCAL}${p}`, fields, jar, { Origin: EVIL }));
      expect(crossOrigin.status, `${p} from another origin`).toBe(403);
      const noOrigin = new Request(`${LOCAL}${p}`, { method: "POST", headers: cookieHeader(jar), body: new URLSearchParams(fields) });
      expect((await action(route, noOrigin)).status, `${p} without Origin or Referer`).toBe(403);
      const evilReferer = new Request(`${LOCAL}${p}`, {
        method: "POST",
        headers: { ...cookieHeader(jar), Referer: `${EVIL}/page` },
        body: new URLSearchParams(fields),
      });
      expect((await action(route, evilReferer)).status, `${p} with a foreign Referer`).toBe(403);
    }
    // Nothing happened: the account and the session still work.
    const client = new ConvexHttpClient(backend.url);
    client.setAuth(jar.get(JWT)!);
    expect(((await client.query(me, {})) as any).email).toBe(email);
    // Same-origin (a Referer is enough when a browser sends no Origin) works.
    const sameSite = new Request(`${LOCAL}/logout`, {
      method: "POST",
      headers: { ...cookieHeader(jar), Referer: `${LOCAL}/account` },
      body: new URLSearchParams({}),
    });
    expect((await action(logoutRoute, sameSite)).status).toBe(302);
  });

  test("user enumeration: sign-in and reset answer the same for unknown and known emails", async () => {
    const known = freshEmail("known");
    await signUpThroughApp(backend, known);
    const unknown = freshEmail("nobody");
    process.env.AUTH_MIN_RESPONSE_MS = "400";

    const timed = async (fn: () => Promise<Outcome>) => {
      const start = Date.now();
      const out = await fn();
      return { out, ms: Date.now() - start };
    };
    const shape = (o: Outcome, email: string) => ({
      status: o.status,
      location: o.location,
      data: o.data,
      cookies: setCookies(o.headers).map((c) => ({ ...c, value: c.value.replace(email, "<email>") })),
    });

    // Wrong password for a known address vs. any password for an unknown one.
    const signInAs = (email: string) =>
      timed(() => action(loginRoute, post(`${LOCAL}/login`, { intent: "password", email, password: "wrong password" })));
    const a = await signInAs(known);
    const b = await signInAs(unknown);
    expect(shape(a.out, known)).toEqual(shape(b.out, unknown));
    expect(a.out.data.errors.form).toBe("Wrong email or password.");
    expect(a.ms).toBeGreaterThanOrEqual(395);
    expect(b.ms).toBeGreaterThanOrEqual(395);

    // Password reset: "if an account exists, we've emailed it a code", both ways.
    const resetFor = (email: string) => timed(() => action(forgotRoute, post(`${LOCAL}/forgot-password`, { email })));
    const c = await resetFor(known);
    const d = await resetFor(unknown);
    expect(shape(c.out, known)).toEqual(shape(d.out, unknown));
    expect(c.out.location).toBe("/reset-password?sent=1");
    expect(c.ms).toBeGreaterThanOrEqual(395);
    expect(d.ms).toBeGreaterThanOrEqual(395);
    await codeFor(backend, known, "password-reset"); // the known address did get a code

    // A reset code for an unknown address reads like a wrong code.
    const e = await action(resetRoute, post(`${LOCAL}/reset-password`, { email: unknown, code: "12345678", newPassword: "new password 1" }));
    const f = await action(resetRoute, post(`${LOCAL}/reset-password`, { email: known, code: "12345678", newPassword: "new password 1" }));
    expect(shape(e, unknown)).toEqual(shape(f, known));
    expect(e.data.errors.fields.code).toMatch(/wrong or has expired/);

    // The rate limit: the tenth failure locks out unknown addresses exactly like known ones.
    process.env.AUTH_MIN_RESPONSE_MS = "0";
    const outcomes: Record<string, any[]> = { known: [], unknown: [] };
    for (let i = 1; i < 10; i++) {
      outcomes.known.push(shape((await signInAs(known)).out, known));
      outcomes.unknown.push(shape((await signInAs(unknown)).out, unknown));
    }
    expect(outcomes.known).toEqual(outcomes.unknown);
    const lockedKnown = (await signInAs(known)).out;
    const lockedUnknown = (await signInAs(unknown)).out;
    expect(lockedKnown.status).toBe(429);
    expect(shape(lockedKnown, known)).toEqual(shape(lockedUnknown, unknown));
    expect(lockedKnown.data.errors.form).toMatch(/^Too many attempts\. Try again in \d+ minutes?\.$/);
  });

  test("password guessing through sign-up: POST /signup never signs in to an existing account, and shares sign-in's limit", async () => {
    const email = freshEmail("guess");
    await signUpThroughApp(backend, email);
    // The right password on the sign-up form used to sign the caller in.
    const right = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Guesser", email, password: PASSWORD, redirectTo: "/account" }));
    expect(right.status).toBe(302);
    expect(right.location).toBe("/verify?provider=password&redirectTo=%2Faccount");
    expect(cookie(right.headers, JWT)).toBeUndefined();
    expect(cookie(right.headers, REFRESH)).toBeUndefined();
    // Sign-up attempts count like failed sign-ins: after ten, the address is locked out on both forms.
    for (let i = 0; i < 9; i++) {
      const guess = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Guesser", email, password: `guess number ${i}` }));
      expect(guess.status).toBe(302);
      expect(cookie(guess.headers, JWT)).toBeUndefined();
    }
    const locked = await signInThroughApp(email);
    expect(locked.result.status).toBe(429);
    expect(cookie(locked.result.headers, JWT)).toBeUndefined();
    const lockedSignUp = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Guesser", email, password: PASSWORD }));
    expect(lockedSignUp.status).toBe(429);
    expect(cookie(lockedSignUp.headers, JWT)).toBeUndefined();
    expect(lockedSignUp.data.errors.form).toMatch(/^Too many attempts/);
  });

  test("account enumeration through sign-up: POST /signup answers the same for a registered and a new address", async () => {
    const known = freshEmail("registered");
    await signUpThroughApp(backend, known);
    const shape = (o: Outcome, email: string) => ({
      status: o.status,
      location: o.location,
      data: o.data,
      cookies: setCookies(o.headers).map((c) => ({ ...c, value: c.value.replace(email, "<email>") })),
    });
    for (const password of [PASSWORD, "some other password"]) {
      const unknown = freshEmail("unregistered");
      const a = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Probe", email: known, password, redirectTo: "/" }));
      const b = await action(signupRoute, post(`${LOCAL}/signup`, { name: "Probe", email: unknown, password, redirectTo: "/" }));
      expect(shape(a, known), password).toEqual(shape(b, unknown));
      expect(a.location).toBe("/verify?provider=password");
    }
  });

  test("cross-origin form POST: answered 403 with a readable page, not Remix's 500", async () => {
    const form = (origin: string | null, extra: Record<string, string> = {}) =>
      new Request(`${LOCAL}/login`, {
        method: "POST",
        headers: {
          Host: "localhost:3000",
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "text/html",
          ...(origin === null ? {} : { Origin: origin }),
          ...extra,
        },
        body: new URLSearchParams({ intent: "password", email: "someone@example.com", password: "whatever it is" }),
      });
    for (const [label, request] of [
      ["foreign Origin", form(EVIL)],
      ["Origin: null (sandboxed frame)", form("null")],
      ["malformed Origin", form("not a url")],
      ["Origin of our host, X-Forwarded-Host of another", form(LOCAL, { "X-Forwarded-Host": "evil.example" })],
    ] as const) {
      const res = await serveLikeProduction(request);
      expect(res.status, label).toBe(403);
      expect(res.headers.get("Content-Type"), label).toMatch(/^text\/html/);
      expect(res.body, label).toContain("<h1>");
      expect(res.body, label).toMatch(/another site/);
    }
    // The single-fetch form submission (what the browser sends with JavaScript on) too.
    const data = new Request(`${LOCAL}/login.data`, {
      method: "POST",
      headers: { Host: "localhost:3000", Origin: EVIL, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "password", email: "someone@example.com", password: "whatever it is" }),
    });
    expect((await serveLikeProduction(data)).status).toBe(403);
    // The same form from our own origin still reaches the action (a wrong password is a 400 form error).
    const own = await serveLikeProduction(form(LOCAL));
    expect(own.status).toBe(400);
    expect(own.body).toContain("Wrong email or password.");
  });

  test("credential stuffing: one client IP trying many addresses is limited, other clients are not", async () => {
    process.env.AUTH_MIN_RESPONSE_MS = "0";
    const attacker = { "X-Forwarded-For": "203.0.113.7" };
    const tryAs = (email: string, headers: Record<string, string>) =>
      action(loginRoute, post(`${LOCAL}/login`, { intent: "password", email, password: "not the password" }, undefined, headers));
    let last: any;
    // 50 failures an hour per IP by default, each on a different address (so no per-email limit applies).
    for (let i = 0; i < 50; i++) last = await tryAs(`stuffing-${i}@example.com`, attacker);
    expect(last.status).toBe(429);
    expect((await tryAs("stuffing-fresh@example.com", attacker)).status).toBe(429);
    expect((await tryAs("stuffing-fresh@example.com", { "X-Forwarded-For": "198.51.100.9" })).status).not.toBe(429);
  });

  test("token theft through page JavaScript: the refresh token is never in HTML, loader data or the token route", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("theft"));
    const refreshToken = jar.get(REFRESH)!;
    const jwt = jar.get(JWT)!;
    // Loader data of every page a signed-in user sees.
    for (const [route, url] of [
      [root, "/"],
      [accountRoute, "/account"],
    ] as [Route, string][]) {
      const out = await loader(route, get(`${LOCAL}${url}`, jar));
      expect(JSON.stringify(out.data)).not.toContain(refreshToken);
      expect(JSON.stringify(out.data)).not.toContain(jwt);
    }
    // The token route hands out the JWT only, same-origin only, never cached.
    const token = await loader(tokenRoute, get(`${LOCAL}/api/auth/token`, jar, { "Sec-Fetch-Site": "same-origin" }));
    expect(token.status).toBe(200);
    expect(token.data).toEqual({ token: jwt });
    expect(token.headers.get("Cache-Control")).toContain("no-store");
    const forced = await loader(tokenRoute, get(`${LOCAL}/api/auth/token?refresh=1`, jar, { "Sec-Fetch-Site": "same-origin" }));
    expect(Object.keys(forced.data)).toEqual(["token"]);
    expect(JSON.stringify(forced.data)).not.toContain(refreshToken);
    const rotated = cookie(forced.headers, REFRESH)?.value;
    if (rotated) expect(JSON.stringify(forced.data)).not.toContain(rotated);
    absorb(jar, forced.headers);
    const foreign: Record<string, string>[] = [{ "Sec-Fetch-Site": "cross-site" }, { Origin: EVIL }, { "Sec-Fetch-Site": "same-site" }];
    for (const headers of foreign) {
      const refused = await loader(tokenRoute, get(`${LOCAL}/api/auth/token`, jar, headers));
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.data)).not.toContain(jar.get(JWT)!);
    }
    // Signed out: no token.
    expect((await loader(tokenRoute, get(`${LOCAL}/api/auth/token`))).data).toEqual({ token: null });
    // The cookie itself is out of page JavaScript's reach.
    const { result } = await signInThroughApp((await loader(root, get(`${LOCAL}/`, jar))).data.user.email);
    expect(cookie(result.headers, REFRESH)!.attrs.httponly).toBe(true);
    // And the server-rendered HTML (a full document request through Remix) carries neither token.
    const html = await renderDocument(get(`${LOCAL}/account`, jar, { Accept: "text/html" }));
    expect(html.status).toBe(200);
    expect(html.body).toContain("Your account");
    expect(html.body).toContain("Sign out");
    expect(html.body).not.toContain(jar.get(REFRESH)!);
    expect(html.body).not.toContain(jar.get(JWT)!);
  });
});

describe("account page", () => {
  test("rename, change password (old one stops working), sign out other sessions, delete with the password", async () => {
    const email = freshEmail("acct");
    const jar = await signUpThroughApp(backend, email);
    const other = (await signInThroughApp(email)).jar; // a second session
    const submit = (fields: Record<string, string>, j = jar) => action(accountRoute, post(`${LOCAL}/account`, fields, j));

    expect((await submit({ intent: "name", name: "Grace Hopper" })).data).toMatchObject({ notice: "Name saved." });
    expect((await loader(root, get(`${LOCAL}/`, jar))).data.user.name).toBe("Grace Hopper");

    const sessions = (await loader(accountRoute, get(`${LOCAL}/account`, jar))).data.sessions;
    expect(sessions).toHaveLength(2);
    expect((await submit({ intent: "sign-out-others" })).data.notice).toMatch(/signed out/);
    // The other browser's refresh token is dead.
    const anon = new ConvexHttpClient(backend.url);
    expect(((await anon.action(signIn, { refreshToken: other.get(REFRESH)! })) as any).tokens).toBeNull();

    const wrong = await submit({ intent: "password", currentPassword: "not it at all", newPassword: "brand new password" });
    expect(wrong.status).toBe(400);
    expect(wrong.data.errors.fields.currentPassword).toBeTruthy();
    const short = await submit({ intent: "password", currentPassword: PASSWORD, newPassword: "short" });
    expect(short.data.errors.fields.newPassword).toMatch(/8 characters/);
    expect((await submit({ intent: "password", currentPassword: PASSWORD, newPassword: "brand new password" })).data.notice).toBe(
      "Password changed.",
    );
    expect((await signInThroughApp(email, PASSWORD)).result.status).toBe(400);
    expect((await signInThroughApp(email, "brand new password")).result.status).toBe(302);

    const unconfirmed = await submit({ intent: "delete", password: "brand new password" });
    expect(unconfirmed.data.errors.fields.confirm).toBeTruthy();
    const badPassword = await submit({ intent: "delete", password: "wrong password!", confirm: "yes" });
    expect(badPassword.status).toBe(400);
    const deleted = await submit({ intent: "delete", password: "brand new password", confirm: "yes" });
    expect(deleted.status).toBe(302);
    expect(isExpired(cookie(deleted.headers, JWT))).toBe(true);
    absorb(jar, deleted.headers);
    expect((await loader(root, get(`${LOCAL}/`, jar))).data.user).toBeNull();
  });

  test("avatar upload: the image goes to file storage and becomes the account's picture", async () => {
    const jar = await signUpThroughApp(backend, freshEmail("avatar"));
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    const form = new FormData();
    form.set("intent", "avatar");
    form.set("avatar", new Blob([png], { type: "image/png" }), "me.png");
    const request = new Request(`${LOCAL}/account`, {
      method: "POST",
      headers: { Origin: LOCAL, "User-Agent": "vitest", ...cookieHeader(jar) },
      body: form,
    });
    const out = await action(accountRoute, request);
    expect(out.data).toMatchObject({ notice: "Avatar updated." });
    const image = (await loader(root, get(`${LOCAL}/`, jar))).data.user.image as string;
    expect(image).toMatch(/\/api\/storage\//);
    const served = await fetch(image);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
  });

  test("password reset: code from the outbox, new password, signed in", async () => {
    const email = freshEmail("reset");
    await signUpThroughApp(backend, email);
    const asked = await action(forgotRoute, post(`${LOCAL}/forgot-password`, { email }));
    const jar = absorb(new Map(), asked.headers);
    const page = await loader(resetRoute, get(`${LOCAL}/reset-password?sent=1`, jar));
    expect(page.data).toMatchObject({ email, notice: expect.stringMatching(/If an account exists/) });
    const code = await codeFor(backend, email, "password-reset");
    const done = await action(resetRoute, post(`${LOCAL}/reset-password`, { email, code, newPassword: "reset password 2" }, jar));
    expect(done.status).toBe(302);
    expect(cookie(done.headers, JWT)?.value).toBeTruthy();
    expect((await signInThroughApp(email, "reset password 2")).result.status).toBe(302);
  });
});

describe("dev mailbox", () => {
  test("lists outbox emails with the dev flag and the admin key; 404 without the flag, even holding the key", async () => {
    const email = freshEmail("mail");
    await action(signupRoute, post(`${LOCAL}/signup`, { name: "Mail", email, password: PASSWORD }));
    const restore = keepProcessEnv("CONVEX_ADMIN_KEY", "NODE_ENV", "PRESSROOM_DEV_MAILBOX");
    try {
      process.env.CONVEX_ADMIN_KEY = backend.adminKey;
      process.env.PRESSROOM_DEV_MAILBOX = "1";
      const box = await loader(mailboxRoute, get(`${LOCAL}/dev/mailbox?to=${encodeURIComponent(email)}`));
      expect(box.data.emails[0]).toMatchObject({ to: email, kind: "verify-email" });
      expect(box.data.emails[0].text).toMatch(/\b\d{8}\b/);

      // A production server holding the admin key (as `npm run serve` next to a local backend may).
      process.env.NODE_ENV = "production";
      delete process.env.PRESSROOM_DEV_MAILBOX;
      expect((await loader(mailboxRoute, get(`${LOCAL}/dev/mailbox`))).status).toBe(404);
    } finally {
      restore();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Full document requests: the app's server build through Vite, as `remix vite:dev` serves it.

let handler: ((request: Request) => Promise<Response>) | null = null;
let front: ((request: Request, next: (r: Request) => Promise<Response>) => Promise<Response>) | null = null;
let vite: RemixViteApp | null = null;

async function renderDocument(request: Request): Promise<{ status: number; body: string; headers: Headers }> {
  if (!handler) {
    vite = await startRemixVite();
    handler = vite.handle;
    front = vite.build.entry.module.front ?? null;
  }
  const response = await handler(request);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** A request as the production server (app/server/index.ts) serves it: the build's `front`, then Remix. */
async function serveLikeProduction(request: Request): Promise<{ status: number; body: string; headers: Headers }> {
  if (!handler) await renderDocument(get(`${LOCAL}/robots.txt`));
  const response = front ? await front(request, handler!) : await handler!(request);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

afterAll(async () => {
  await vite?.close();
});
