// Over 400 lines: every sign-in flow (password, codes, OAuth linking, limits, sessions, deletion) against one backend.
import { makeFunctionReference } from "convex/server";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import { codeFor, latestEmail, signUpOverHttp, startAuthBackend, tokenClient, type Tokens } from "../support/auth";
import { failure, runOn, stopAppBackend } from "../support/live-backend";

// Accounts and sign-in end to end: the app's real convex/ folder on a local backend, driven over
// HTTP with ConvexHttpClient like the Remix server drives it. Codes are read from the email outbox.

const signIn = makeFunctionReference<"action">("auth:signIn");
const signOut = makeFunctionReference<"action">("auth:signOut");
const isAuthenticated = makeFunctionReference<"query">("auth:isAuthenticated");
const me = makeFunctionReference<"query">("account:me");
const recordSession = makeFunctionReference<"mutation">("account:recordSession");
const listSessions = makeFunctionReference<"query">("account:listSessions");
const signOutOtherSessions = makeFunctionReference<"mutation">("account:signOutOtherSessions");
const changePassword = makeFunctionReference<"action">("account:changePassword");
const deleteAccount = makeFunctionReference<"action">("account:deleteAccount");
const setUserActive = makeFunctionReference<"mutation">("account:setUserActive");

let backend: LocalBackend;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("pressroom-auth-", "http://127.0.0.1:3000", { AUTH_LOG_LEVEL: "WARN" }));
});

afterAll(async () => {
  await stopAppBackend(backend);
});

const anon = () => tokenClient(backend);
const as = (token: string) => tokenClient(backend, token);

async function passwordSignIn(email: string, password: string): Promise<Tokens> {
  const result: any = await anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password } });
  expect(result.tokens?.token).toEqual(expect.any(String));
  return result.tokens;
}

const refresh = async (refreshToken: string): Promise<Tokens | null> =>
  ((await anon().action(signIn, { refreshToken })) as any).tokens;

describe("password accounts", () => {
  test("sign-up asks for the emailed code, then signs in with a complete user row", async () => {
    const email = "ada@example.com";
    const started: any = await anon().action(signIn, {
      provider: "password",
      params: { flow: "signUp", email: " Ada@Example.com ", password: "correct horse", name: "  Ada   Lovelace " },
    });
    expect(started).toEqual({ tokens: null });
    const mail = await latestEmail(backend, email, "verify-email");
    expect(mail).toMatchObject({ to: email, provider: "outbox", sentAt: null, subject: expect.stringMatching(/verification code/) });
    expect(mail.html).toContain("<html>");

    // A wrong code is refused with a code the UI can show.
    expect(
      await failure(anon().action(signIn, { provider: "password", params: { flow: "email-verification", email, code: "00000000" } })),
    ).toMatchObject({ code: "INVALID_CODE" });

    const code = await codeFor(backend, email, "verify-email");
    const spaced = `${code.slice(0, 4)} ${code.slice(4)}`; // pasted with a space
    const done: any = await anon().action(signIn, { provider: "password", params: { flow: "email-verification", email: "ADA@example.com", code: spaced } });
    const client = as(done.tokens.token);
    expect(await client.query(isAuthenticated, {})).toBe(true);
    const profile: any = await client.query(me, {});
    expect(profile).toMatchObject({ name: "Ada Lovelace", email, image: null, emailVerified: true, role: "user", hasPassword: true });

    const rows = await runOn(backend, async (ctx) => {
      const user = await ctx.db.get(profile._id);
      const profileRow = await ctx.db.query("userProfiles").withIndex("by_userId", (q: any) => q.eq("userId", profile._id)).unique();
      return { user, profileRow };
    });
    expect(rows.user).toMatchObject({
      role: "user",
      isActive: true,
      emailVerified: true,
      emailVerificationTime: expect.any(Number),
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
      lastLoginAt: expect.any(Number),
    });
    expect(rows.profileRow).toMatchObject({ userId: profile._id });
  });

  test("sign-up checks email, password and name; a taken address gets the same answer as a new one", async () => {
    const params = { flow: "signUp", email: "bea@example.com", password: "long enough", name: "Bea" };
    const call = (p: Record<string, unknown>) => anon().action(signIn, { provider: "password", params: { ...params, ...p } });
    expect(await failure(call({ email: "not-an-email" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "email" });
    expect(await failure(call({ password: "short" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "password", message: expect.stringMatching(/8/) });
    expect(await failure(call({ name: "   " }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
    await signUpOverHttp(backend, "bea@example.com", "long enough", "Bea");
    // No "already exists" (that told anyone which addresses have accounts): the owner is emailed instead.
    expect(await call({ password: "a different one" })).toEqual({ tokens: null });
    expect(await latestEmail(backend, "bea@example.com", "account-exists")).not.toBeNull();
  });

  test("an unverified account gets a new code instead of tokens", async () => {
    const email = "una@example.com";
    await anon().action(signIn, { provider: "password", params: { flow: "signUp", email, password: "long enough", name: "Una" } });
    const first = await codeFor(backend, email, "verify-email");
    const again: any = await anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "long enough" } });
    expect(again).toEqual({ tokens: null });
    const second = await codeFor(backend, email, "verify-email");
    expect(second).not.toBe(first);
    const done: any = await anon().action(signIn, { provider: "password", params: { flow: "email-verification", email, code: second } });
    expect(done.tokens.token).toEqual(expect.any(String));
  });

  test("sign in, wrong password, refresh, sign out", async () => {
    await signUpOverHttp(backend, "cy@example.com", "cy's password");
    const tokens = await passwordSignIn("CY@example.com", "cy's password");
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email: "cy@example.com", password: "nope nope" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
      message: expect.any(String),
    });
    // Unknown addresses get the same answer.
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email: "nobody@example.com", password: "whatever!" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
    });

    const refreshed = await refresh(tokens.refreshToken);
    expect(refreshed?.refreshToken).toEqual(expect.any(String));
    expect(refreshed!.refreshToken).not.toBe(tokens.refreshToken);
    const client = as(refreshed!.token);
    const user: any = await client.query(me, {});
    expect(user.email).toBe("cy@example.com");

    await client.action(signOut, {});
    expect(await refresh(refreshed!.refreshToken)).toBeNull();
  });

  test("forgotten password: reset by emailed code; the old password and old sessions stop working", async () => {
    const email = "dee@example.com";
    const before = await signUpOverHttp(backend, email, "old password");

    // Unknown address: the same answer, and no email.
    expect(await anon().action(signIn, { provider: "password", params: { flow: "reset", email: "ghost@example.com" } })).toEqual({ tokens: null });
    expect(await latestEmail(backend, "ghost@example.com", "password-reset")).toBeNull();

    expect(await anon().action(signIn, { provider: "password", params: { flow: "reset", email } })).toEqual({ tokens: null });
    const mail = await latestEmail(backend, email, "password-reset");
    expect(mail.subject).toMatch(/reset/i);
    const code = await codeFor(backend, email, "password-reset");

    const verify = (p: Record<string, unknown>) =>
      anon().action(signIn, { provider: "password", params: { flow: "reset-verification", email, code, newPassword: "new password", ...p } });
    expect(await failure(verify({ newPassword: "short" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "newPassword" });
    expect(await failure(verify({ code: "12345678" }))).toMatchObject({ code: "INVALID_CODE" });
    const done: any = await verify({});
    expect(done.tokens.token).toEqual(expect.any(String));

    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "old password" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    await passwordSignIn(email, "new password");
    // The reset ended the sessions that existed before it.
    expect(await refresh(before.refreshToken)).toBeNull();
    // A code works once.
    expect(await failure(verify({ newPassword: "third password" }))).toMatchObject({ code: "INVALID_CODE" });
  });
});

describe("sign-up for an address that has an account", () => {
  const startSignUp = (email: string, password: string, name = "Someone") =>
    anon().action(signIn, { provider: "password", params: { flow: "signUp", email, password, name } });

  test("password guessing through sign-up: an existing account is never signed in, with the right password or a wrong one", async () => {
    const email = "mia@example.com";
    await signUpOverHttp(backend, email, "mia's password", "Mia");
    // A wrong guess used to answer "already exists", the right one used to sign in: now neither.
    expect(await startSignUp(email, "a wrong guess")).toEqual({ tokens: null });
    expect(await startSignUp(email, "mia's password")).toEqual({ tokens: null });
    expect(await startSignUp("MIA@example.com", "mia's password")).toEqual({ tokens: null });
    // The owner is told, with a way to sign in or reset; no code that would sign anyone in.
    const notice = await latestEmail(backend, email, "account-exists");
    expect(notice.subject).toMatch(/already have a Pressroom account/);
    expect(notice.text).toContain("http://127.0.0.1:3000/login");
    expect(notice.text).toContain("http://127.0.0.1:3000/forgot-password");
    expect(notice.text).not.toMatch(/\b\d{8}\b/);
    // Nothing changed: the password is still the owner's (the guess did not replace it).
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "a wrong guess" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    await passwordSignIn(email, "mia's password");
  });

  test("password guessing through sign-up: it counts against the sign-in limit, and a locked-out account stays locked", async () => {
    const email = "ned@example.com";
    await signUpOverHttp(backend, email, "ned's password", "Ned");
    for (let i = 0; i < 10; i++) expect(await startSignUp(email, `guess number ${i}`)).toEqual({ tokens: null });
    // Ten sign-up attempts used up the account's attempts like ten wrong passwords.
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "ned's password" } }))).toMatchObject({
      code: "RATE_LIMITED",
    });
    // While sign-in says RATE_LIMITED, sign-up with the right password gets no tokens either: since
    // the limit moved into Convex (convex/lib/rateLimits.ts), sign-up is refused with RATE_LIMITED
    // too, for every locked address, known or not (it answered {tokens: null} before).
    expect(await failure(startSignUp(email, "ned's password"))).toMatchObject({ code: "RATE_LIMITED" });
    // And no more notices go out while locked (no mail bombing through sign-up).
    const notices = await runOn(backend, async (ctx) =>
      (await ctx.db.query("emails").collect()).filter((m: any) => m.to === email && m.kind === "account-exists").length,
    );
    expect(notices).toBe(10);
  });

  test("account enumeration through sign-up: a registered and a new address get the same answer", async () => {
    const known = "ola@example.com";
    await signUpOverHttp(backend, known, "ola's password", "Ola");
    for (const password of ["ola's password", "another password"]) {
      const fresh = `new-${password.length}-${Date.now()}@example.com`;
      const a = await startSignUp(known, password).then((r) => ({ ok: r }), (e) => ({ error: e?.data ?? String(e) }));
      const b = await startSignUp(fresh, password).then((r) => ({ ok: r }), (e) => ({ error: e?.data ?? String(e) }));
      expect(a).toEqual(b);
      expect(a).toEqual({ ok: { tokens: null } });
      // Each address got one email: a code for the new one, a notice for the registered one.
      expect(await latestEmail(backend, fresh, "verify-email")).not.toBeNull();
    }
  });
});

describe("email-code sign-in", () => {
  test("a verified account signs in with an emailed code; unknown addresses get no email", async () => {
    const email = "eve@example.com";
    const tokens = await signUpOverHttp(backend, email, "eve's password", "Eve");
    const userId = ((await as(tokens.token).query(me, {})) as any)._id;

    expect(await anon().action(signIn, { provider: "email-code", params: { email: "Eve@Example.com" } })).toEqual({ tokens: null });
    const mail = await latestEmail(backend, email, "sign-in-code");
    expect(mail.subject).toMatch(/sign-in code/);
    expect(await failure(anon().action(signIn, { provider: "email-code", params: { email, code: "11111111" } }))).toMatchObject({ code: "INVALID_CODE" });
    const code = await codeFor(backend, email, "sign-in-code");
    const done: any = await anon().action(signIn, { provider: "email-code", params: { email, code } });
    const profile: any = await as(done.tokens.token).query(me, {});
    expect(profile._id).toBe(userId);
    expect(profile.hasPassword).toBe(true);

    expect(await anon().action(signIn, { provider: "email-code", params: { email: "stranger@example.com" } })).toEqual({ tokens: null });
    expect(await latestEmail(backend, "stranger@example.com", "sign-in-code")).toBeNull();
    // No user was created for the stranger.
    const strangers = await runOn(backend, async (ctx) => await ctx.db.query("users").withIndex("email", (q: any) => q.eq("email", "stranger@example.com")).collect());
    expect(strangers).toEqual([]);
  });
});

describe("deactivated users", () => {
  test("cannot sign in, and an existing JWT stops working at the next request", async () => {
    const email = "fay@example.com";
    const tokens = await signUpOverHttp(backend, email, "fay's password", "Fay");
    const client = as(tokens.token);
    const { _id: userId } = (await client.query(me, {})) as any;

    await runOn(backend, async (ctx) => await ctx.db.patch(userId, { isActive: false }));

    expect(await failure(client.query(me, {}))).toMatchObject({ code: "USER_INACTIVE" });
    expect(await failure(client.mutation(recordSession, { userAgent: "x" }))).toMatchObject({ code: "USER_INACTIVE" });
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "fay's password" } }))).toMatchObject({
      code: "USER_INACTIVE",
    });
    expect(await failure(anon().action(signIn, { provider: "email-code", params: { email } }))).toMatchObject({ code: "USER_INACTIVE" });
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "reset", email } }))).toMatchObject({ code: "USER_INACTIVE" });
    // Its session cannot be refreshed either (the refresh token stays unused).
    expect(await failure(anon().action(signIn, { refreshToken: tokens.refreshToken }))).toMatchObject({ code: "USER_INACTIVE" });

    // Reactivated: signs in again, and the old session refreshes again.
    await runOn(backend, async (ctx) => await ctx.db.patch(userId, { isActive: true }));
    await passwordSignIn(email, "fay's password");
    expect(await refresh(tokens.refreshToken)).not.toBeNull();
  });

  test("deactivation by a platform admin: the user cannot sign in, and their sessions stop at the next request", async () => {
    const adminTokens = await signUpOverHttp(backend, "root@example.com", "root's password", "Root");
    const adminId = ((await as(adminTokens.token).query(me, {})) as any)._id;
    await runOn(backend, async (ctx) => await ctx.db.patch(adminId, { role: "admin" }));
    const email = "gil@example.com";
    const laptop = await signUpOverHttp(backend, email, "gil's password", "Gil");
    const phone = await passwordSignIn(email, "gil's password");
    const userId = ((await as(laptop.token).query(me, {})) as any)._id;

    // Another user cannot do it.
    expect(await failure(as(laptop.token).mutation(setUserActive, { userId: adminId, active: false }))).toMatchObject({ code: "FORBIDDEN" });

    expect(await as(adminTokens.token).mutation(setUserActive, { userId, active: false })).toEqual({ isActive: false, sessionsEnded: 2 });
    expect(await failure(as(laptop.token).query(me, {}))).toMatchObject({ code: "USER_INACTIVE" });
    expect(await failure(as(phone.token).mutation(recordSession, { userAgent: "x" }))).toMatchObject({ code: "USER_INACTIVE" });
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "gil's password" } }))).toMatchObject({
      code: "USER_INACTIVE",
    });
    expect(await failure(anon().action(signIn, { provider: "email-code", params: { email } }))).toMatchObject({ code: "USER_INACTIVE" });
    // The sessions are gone, so their refresh tokens are dead for good (also after reactivation).
    expect(await refresh(laptop.refreshToken)).toBeNull();

    expect(await as(adminTokens.token).mutation(setUserActive, { userId, active: true })).toEqual({ isActive: true, sessionsEnded: 0 });
    expect(await refresh(phone.refreshToken)).toBeNull();
    await passwordSignIn(email, "gil's password");
  });
});

describe("rate limiting", () => {
  test("after 10 failed passwords the account is locked out, with a retry time", async () => {
    const email = "gus@example.com";
    await signUpOverHttp(backend, email, "gus's password", "Gus");
    const wrong = () => anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "wrong password" } });
    for (let i = 1; i <= 9; i++) expect(await failure(wrong())).toMatchObject({ code: "INVALID_CREDENTIALS" });
    const tenth = await failure(wrong());
    // One attempt comes back every 6 minutes: about 6 minutes to wait (less the time the failures took).
    expect(tenth).toMatchObject({ code: "RATE_LIMITED", message: `Too many failed attempts. Try again in ${tenth.retryAfterMinutes} minutes.` });
    expect(tenth.retryAfterMinutes).toBeGreaterThanOrEqual(5);
    expect(tenth.retryAfterMinutes).toBeLessThanOrEqual(6);
    expect(tenth.retryAfterMs).toBeGreaterThan(4 * 60_000);
    expect(tenth.retryAfterMs).toBeLessThanOrEqual(6 * 60_000);
    // Even the right password is refused while locked out.
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "gus's password" } }))).toMatchObject({
      code: "RATE_LIMITED",
      retryAfterMinutes: expect.any(Number),
    });
    // Other accounts are unaffected.
    await signUpOverHttp(backend, "gwen@example.com", "gwen's password", "Gwen");
  });

  test("the limit holds across app servers: two clients' interleaved failures count against one limit, per address and per IP", async () => {
    // Two separate HTTP clients stand for two app workers (each was a process with its own
    // in-memory limiter before the limit moved into Convex, so the real limit grew with the
    // workers). An unknown address: only the app-wide limit protects it.
    const workers = [anon(), anon()];
    const email = "nobody-here@example.com";
    const attempt = (worker: number, address: string, clientIp: string) =>
      failure(workers[worker].action(signIn, { provider: "password", params: { flow: "signIn", email: address, password: "a wrong guess", clientIp } }));
    /** `n` attempts per worker, the two workers running at once (each one request at a time). */
    const interleaved = async (n: number, address: (worker: number, i: number) => string, ip: (worker: number, i: number) => string) =>
      (
        await Promise.all(
          workers.map(async (_, worker) => {
            const out: any[] = [];
            for (let i = 0; i < n; i++) out.push(await attempt(worker, address(worker, i), ip(worker, i)));
            return out;
          }),
        )
      ).flat();
    // Ten failures, five from each worker, interleaved.
    const first = await interleaved(5, () => email, (worker, i) => `198.51.100.${worker * 10 + i}`);
    expect(first).toHaveLength(10);
    for (const f of first) expect(["INVALID_CREDENTIALS", "RATE_LIMITED"]).toContain(f.code);
    expect(first.some((f) => f.code === "RATE_LIMITED")).toBe(true);
    // The eleventh is refused on both workers, with a wait of about 6 minutes.
    for (const worker of [0, 1]) {
      const locked = await attempt(worker, email, "198.51.100.99");
      expect(locked).toMatchObject({ code: "RATE_LIMITED" });
      expect(locked.retryAfterMs).toBeGreaterThan(5 * 60_000);
    }
    // Per client IP, across addresses: 50 failures from one IP, split across the two workers.
    const ip = "203.0.113.50";
    const fromIp = await interleaved(25, (worker, i) => `stuffer-${worker}-${i}@example.com`, () => ip);
    expect(fromIp).toHaveLength(50);
    expect(fromIp.some((f) => f.code === "RATE_LIMITED")).toBe(true);
    for (const worker of [0, 1]) expect(await attempt(worker, "stuffer-new@example.com", ip)).toMatchObject({ code: "RATE_LIMITED" });
    // Another IP, another address: unaffected.
    expect(await attempt(0, "someone-else@example.com", "192.0.2.1")).toMatchObject({ code: "INVALID_CREDENTIALS" });
  }, 120_000);

  test("after 10 wrong codes the address is locked out", async () => {
    const email = "hal@example.com";
    await signUpOverHttp(backend, email, "hal's password", "Hal");
    await anon().action(signIn, { provider: "email-code", params: { email } });
    const code = await codeFor(backend, email, "sign-in-code");
    const wrongCode = code === "99999999" ? "99999998" : "99999999";
    for (let i = 1; i <= 9; i++) {
      expect(await failure(anon().action(signIn, { provider: "email-code", params: { email, code: wrongCode } }))).toMatchObject({ code: "INVALID_CODE" });
    }
    expect(await failure(anon().action(signIn, { provider: "email-code", params: { email, code: wrongCode } }))).toMatchObject({ code: "RATE_LIMITED" });
    expect(await failure(anon().action(signIn, { provider: "email-code", params: { email, code } }))).toMatchObject({
      code: "RATE_LIMITED",
      retryAfterMinutes: expect.any(Number),
    });
  });
});

describe("sessions", () => {
  test("listing with IP and user agent, and signing out the other sessions", async () => {
    const email = "ivy@example.com";
    const first = await signUpOverHttp(backend, email, "ivy's password", "Ivy");
    const second = await passwordSignIn(email, "ivy's password");
    const laptop = as(first.token);
    const phone = as(second.token);
    await laptop.mutation(recordSession, { ipAddress: "203.0.113.7", userAgent: "Firefox on Linux" });
    await phone.mutation(recordSession, { ipAddress: "198.51.100.2", userAgent: "Safari on iPhone" });

    const list: any[] = await laptop.query(listSessions, {});
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ current: true, ipAddress: "203.0.113.7", userAgent: "Firefox on Linux", lastSeenAt: expect.any(Number) });
    expect(list[1]).toMatchObject({ current: false, ipAddress: "198.51.100.2", userAgent: "Safari on iPhone" });
    expect(list[0].expirationTime).toBeGreaterThan(Date.now());

    expect(await laptop.mutation(signOutOtherSessions, {})).toEqual({ signedOut: 1 });
    expect(await refresh(second.refreshToken)).toBeNull();
    const after: any[] = await laptop.query(listSessions, {});
    expect(after).toEqual([expect.objectContaining({ current: true, ipAddress: "203.0.113.7" })]);
    // The ended session's JWT is still valid until it expires, but its session is gone.
    expect(await failure(phone.mutation(recordSession, { userAgent: "Safari on iPhone" }))).toMatchObject({ code: "UNAUTHENTICATED" });
    // This session goes on.
    expect(await refresh(first.refreshToken)).not.toBeNull();
    const meta = await runOn(backend, async (ctx) => await ctx.db.query("sessionMeta").collect());
    expect(meta.filter((m: any) => m.userAgent === "Safari on iPhone")).toEqual([]);
  });
});

describe("account settings", () => {
  test("change password: checks the current one, ends the other sessions", async () => {
    const email = "jo@example.com";
    const first = await signUpOverHttp(backend, email, "first password", "Jo");
    const other = await passwordSignIn(email, "first password");
    const client = as(first.token);

    expect(await failure(client.action(changePassword, { currentPassword: "wrong password", newPassword: "second password" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "currentPassword",
    });
    expect(await failure(client.action(changePassword, { currentPassword: "first password", newPassword: "short" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "newPassword",
    });
    expect(await failure(anon().action(changePassword, { currentPassword: "first password", newPassword: "second password" }))).toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(await client.action(changePassword, { currentPassword: "first password", newPassword: "second password" })).toBeNull();

    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "first password" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    await passwordSignIn(email, "second password");
    expect(await refresh(other.refreshToken)).toBeNull();
    expect(await refresh(first.refreshToken)).not.toBeNull();
  });

  test("delete account: re-checks the password, then the cascade removes the user", async () => {
    const email = "kit@example.com";
    const tokens = await signUpOverHttp(backend, email, "kit's password", "Kit");
    const client = as(tokens.token);
    await client.mutation(recordSession, { userAgent: "Chrome" });
    const { _id: userId } = (await client.query(me, {})) as any;

    expect(await failure(client.action(deleteAccount, {}))).toMatchObject({ code: "INVALID_ARGUMENT", field: "password" });
    expect(await failure(client.action(deleteAccount, { password: "not it at all" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "password" });
    expect(await client.action(deleteAccount, { password: "kit's password" })).toEqual({ sites: [] });

    // At once: the account can no longer act (USER_INACTIVE while the cascade runs, then the user is gone).
    expect(["USER_INACTIVE", "UNAUTHENTICATED"]).toContain((await failure(client.query(me, {}))).code);
    // Then the scheduled cascade removes the user and everything auth kept for it.
    let left: any = null;
    for (let i = 0; i < 100; i++) {
      left = await runOn(backend, async (ctx) => ({
        user: await ctx.db.get(userId),
        accounts: (await ctx.db.query("authAccounts").withIndex("userIdAndProvider", (q: any) => q.eq("userId", userId)).collect()).length,
        sessions: (await ctx.db.query("authSessions").withIndex("userId", (q: any) => q.eq("userId", userId)).collect()).length,
        meta: (await ctx.db.query("sessionMeta").withIndex("by_userId", (q: any) => q.eq("userId", userId)).collect()).length,
      }));
      if (left.user === null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toEqual({ user: null, accounts: 0, sessions: 0, meta: 0 });
    expect(await failure(anon().action(signIn, { provider: "password", params: { flow: "signIn", email, password: "kit's password" } }))).toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    expect(await refresh(tokens.refreshToken)).toBeNull();
  });

  test("account deletion without the password: a script holding the JWT cannot reach users:deleteUser", async () => {
    const email = "kim@example.com";
    const tokens = await signUpOverHttp(backend, email, "kim's password", "Kim");
    const client = as(tokens.token);
    const { _id: userId } = (await client.query(me, {})) as any;
    // What a script on the page would try: the deletion mutation itself, skipping the password.
    const direct = makeFunctionReference<"mutation">("users:deleteUser");
    await expect(client.mutation(direct, {})).rejects.toThrow(/Could not find public function for 'users:deleteUser'/);
    await expect(client.mutation(direct, { userId })).rejects.toThrow(/Could not find public function/);
    // Nor a rename in tiny steps (batch sizes are no public knob).
    const rename = makeFunctionReference<"mutation">("users:updateUserName");
    await expect(client.mutation(rename, { name: "Kim", batchSize: 1 })).rejects.toThrow(/batchSize/);
    // The account is untouched and still works.
    expect(await runOn(backend, async (ctx) => (await ctx.db.get(userId))?.deletingAt ?? null)).toBeNull();
    expect(((await client.query(me, {})) as any).email).toBe(email);
    expect(await failure(client.action(deleteAccount, { password: "a wrong guess" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "password" });
    expect(await runOn(backend, async (ctx) => (await ctx.db.get(userId))?.deletingAt ?? null)).toBeNull();
  });
});

describe("email delivery", () => {
  test("with RESEND_API_KEY, codes go to Resend's API and only a body-less log line is kept", async () => {
    const received: Array<{ auth: string | undefined; body: any }> = [];
    let status = 200;
    const resend = createServer(async (req, res) => {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      received.push({ auth: req.headers.authorization, body: JSON.parse(raw) });
      res.writeHead(status, { "Content-Type": "application/json" }).end(status === 200 ? '{"id":"re_1"}' : '{"message":"domain not verified"}');
    });
    await new Promise<void>((r) => resend.listen(0, "127.0.0.1", r));
    const email = "lou@example.com";
    try {
      await signUpOverHttp(backend, email, "lou's password", "Lou");
      backend.env.set("RESEND_API_KEY", "re_test_key");
      backend.env.set("RESEND_API_URL", `http://127.0.0.1:${(resend.address() as AddressInfo).port}`);
      backend.env.set("EMAIL_FROM", "Pressroom <hello@pressroom.example>");

      expect(await anon().action(signIn, { provider: "password", params: { flow: "reset", email } })).toEqual({ tokens: null });
      expect(received).toHaveLength(1);
      expect(received[0].auth).toBe("Bearer re_test_key");
      expect(received[0].body).toMatchObject({ from: "Pressroom <hello@pressroom.example>", to: [email], subject: expect.stringMatching(/reset/i) });
      const code = received[0].body.text.match(/\b(\d{8})\b/)[1];
      expect(received[0].body.html).toContain(code);
      const log = await latestEmail(backend, email, "password-reset");
      expect(log).toMatchObject({ provider: "resend", sentAt: expect.any(Number), html: null });
      expect(log.text).not.toContain(code);
      const done: any = await anon().action(signIn, { provider: "password", params: { flow: "reset-verification", email, code, newPassword: "lou's new password" } });
      expect(done.tokens.token).toEqual(expect.any(String));

      // Resend refusing the message fails the request (a plain Error: the UI shows its generic message).
      status = 422;
      await expect(anon().action(signIn, { provider: "password", params: { flow: "reset", email } })).rejects.toThrow(/Email delivery failed: Resend answered 422/);
    } finally {
      backend.env.set("RESEND_API_KEY", null);
      backend.env.set("RESEND_API_URL", null);
      backend.env.set("EMAIL_FROM", null);
      await new Promise<void>((r) => resend.close(() => r()));
    }
  });
});
