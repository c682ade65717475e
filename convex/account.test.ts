import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, type T } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// account.ts's Convex side with seeded auth rows: me, sessions (listing, recording, signing out the
// others) and the per-persona outcomes of every account function. Password checks and the whole
// sign-in flows: tests/integration/auth-flows.test.ts.

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

const DAY = 86_400_000;

/** An auth session (and `tokens` refresh tokens) as @convex-dev/auth would store it. */
async function seedSession(t: T, userId: Id<"users">, opts: { expiresIn?: number; tokens?: number } = {}) {
  return await t.run(async (ctx) => {
    const sessionId = await ctx.db.insert("authSessions", { userId, expirationTime: Date.now() + (opts.expiresIn ?? 30 * DAY) });
    for (let i = 0; i < (opts.tokens ?? 1); i++) {
      await ctx.db.insert("authRefreshTokens", { sessionId, expirationTime: Date.now() + 30 * DAY });
    }
    return sessionId;
  });
}

/** A client whose identity is that session, as a JWT from @convex-dev/auth would give. */
const inSession = (t: T, userId: Id<"users">, sessionId: Id<"authSessions">) =>
  t.withIdentity({ subject: `${userId}|${sessionId}`, issuer: "https://convex.test" });

describe.each(backends)("account on %s", (_name, convexTest) => {
  test("me: the viewer's account, with whether it has a password", async () => {
    const t = convexTest(schema, modules);
    const ada = await createUser(t, "Ada", { emailVerificationTime: 1 });
    const bob = await createUser(t, "Bob", { image: "https://img.example/b.png", emailVerified: false });
    await t.run(async (ctx) => {
      await ctx.db.insert("authAccounts", { userId: ada, provider: "password", providerAccountId: "ada@example.com", secret: "x" });
      await ctx.db.insert("authAccounts", { userId: bob, provider: "github", providerAccountId: "77" });
    });
    expect(await as(t, ada).query(api.account.me, {})).toEqual({
      _id: ada,
      name: "Ada",
      email: "ada@example.com",
      image: null,
      emailVerified: true,
      role: "user",
      hasPassword: true,
    });
    expect(await as(t, bob).query(api.account.me, {})).toMatchObject({ image: "https://img.example/b.png", emailVerified: false, hasPassword: false });
    expect(await code(t.query(api.account.me, {}))).toBe("UNAUTHENTICATED");
  });

  test("sessions: recorded metadata, listing (current first, expired left out) and signing out the others", async () => {
    const t = convexTest(schema, modules);
    const ada = await createUser(t, "Ada");
    const eve = await createUser(t, "Eve");
    const here = await seedSession(t, ada);
    const phone = await seedSession(t, ada, { tokens: 3 });
    const expired = await seedSession(t, ada, { expiresIn: -1000 });
    const eves = await seedSession(t, eve);

    const me = inSession(t, ada, here);
    await me.mutation(api.account.recordSession, { ipAddress: " 203.0.113.7 ", userAgent: "Firefox" });
    await inSession(t, ada, phone).mutation(api.account.recordSession, { ipAddress: "198.51.100.2", userAgent: "Safari" });
    // Recording again within a minute changes nothing but new values.
    await me.mutation(api.account.recordSession, { userAgent: "Firefox" });
    await me.mutation(api.account.recordSession, { userAgent: "Firefox 2" });

    const list = await me.query(api.account.listSessions, {});
    expect(list.map((s) => s._id)).toEqual([here, phone]);
    expect(list[0]).toMatchObject({ current: true, ipAddress: "203.0.113.7", userAgent: "Firefox 2", lastSeenAt: expect.any(Number) });
    expect(list[1]).toMatchObject({ current: false, ipAddress: "198.51.100.2", userAgent: "Safari" });
    expect(list.some((s) => s._id === expired)).toBe(false);
    // Another user's session is neither listed nor recordable.
    expect(await code(inSession(t, ada, eves).mutation(api.account.recordSession, { userAgent: "x" }))).toBe("UNAUTHENTICATED");

    expect(await me.mutation(api.account.signOutOtherSessions, {})).toEqual({ signedOut: 2 });
    const left = await t.run(async (ctx) => ({
      sessions: (await ctx.db.query("authSessions").collect()).map((s) => s._id).sort(),
      tokens: (await ctx.db.query("authRefreshTokens").collect()).map((r) => r.sessionId).sort(),
      meta: (await ctx.db.query("sessionMeta").collect()).map((m) => m.sessionId),
    }));
    expect(left.sessions).toEqual([here, eves].sort());
    expect(left.tokens).toEqual([here, eves].sort());
    expect(left.meta).toEqual([here]);
    // The ended session's identity can no longer record itself.
    expect(await code(inSession(t, ada, phone).mutation(api.account.recordSession, {}))).toBe("UNAUTHENTICATED");
    expect(await me.query(api.account.listSessions, {})).toHaveLength(1);
  });

  test("a new session's first record sweeps metadata of sessions that are gone", async () => {
    const t = convexTest(schema, modules);
    const ada = await createUser(t, "Ada");
    const old = await seedSession(t, ada);
    await inSession(t, ada, old).mutation(api.account.recordSession, { userAgent: "Old" });
    await t.run(async (ctx) => ctx.db.delete("authSessions", old)); // signed out by @convex-dev/auth
    const fresh = await seedSession(t, ada);
    await inSession(t, ada, fresh).mutation(api.account.recordSession, { userAgent: "New" });
    const meta = await t.run(async (ctx) => (await ctx.db.query("sessionMeta").collect()).map((m) => m.userAgent));
    expect(meta).toEqual(["New"]);
  });

  test("credentials: what the account actions re-check", async () => {
    const t = convexTest(schema, modules);
    const ada = await createUser(t, "Ada");
    const session = await seedSession(t, ada);
    await t.run(async (ctx) => ctx.db.insert("authAccounts", { userId: ada, provider: "password", providerAccountId: "ada@example.com", secret: "x" }));
    expect(await inSession(t, ada, session).query(internal.account.credentials, {})).toEqual({
      userId: ada,
      passwordAccountId: "ada@example.com",
      sessionId: session,
      sessionCreatedAt: expect.any(Number),
    });
    expect(await as(t, ada).query(internal.account.credentials, {})).toMatchObject({ sessionId: null, sessionCreatedAt: null });
    await t.run(async (ctx) => ctx.db.patch("users", ada, { isActive: false }));
    expect(await code(inSession(t, ada, session).query(internal.account.credentials, {}))).toBe("USER_INACTIVE");
  });

  test("deleteAccount without a password needs a fresh sign-in", async () => {
    const t = convexTest(schema, modules);
    const otto = await createUser(t, "Otto");
    // The factories' identities carry no real session: treated as not freshly signed in.
    expect(await code(as(t, otto).action(api.account.deleteAccount, {}))).toBe("REAUTH_REQUIRED");
    const session = await seedSession(t, otto);
    expect(await inSession(t, otto, session).action(api.account.deleteAccount, {})).toEqual({ sites: [] });
    expect((await t.run(async (ctx) => ctx.db.get("users", otto)))?.deletingAt).toEqual(expect.any(Number));
  });

  test("deactivation: a platform admin deactivates a user, which ends their sessions at once, audited; reactivation lets them back", async () => {
    const t = convexTest(schema, modules);
    const admin = await createUser(t, "Root", { role: "admin" });
    const ada = await createUser(t, "Ada");
    const laptop = await seedSession(t, ada, { tokens: 2 });
    const phone = await seedSession(t, ada);
    await inSession(t, ada, laptop).mutation(api.account.recordSession, { userAgent: "Firefox" });

    expect(await as(t, admin).mutation(api.account.setUserActive, { userId: ada, active: false })).toEqual({ isActive: false, sessionsEnded: 2 });
    const after = await t.run(async (ctx) => ({
      user: await ctx.db.get("users", ada),
      sessions: (await ctx.db.query("authSessions").withIndex("userId", (q) => q.eq("userId", ada)).collect()).length,
      tokens: (await ctx.db.query("authRefreshTokens").collect()).filter((r) => r.sessionId === laptop || r.sessionId === phone).length,
      meta: (await ctx.db.query("sessionMeta").withIndex("by_userId", (q) => q.eq("userId", ada)).collect()).length,
      log: (await ctx.db.query("auditLogs").collect()).filter((l) => l.action === "user.deactivate"),
    }));
    expect(after.user!.isActive).toBe(false);
    expect({ sessions: after.sessions, tokens: after.tokens, meta: after.meta }).toEqual({ sessions: 0, tokens: 0, meta: 0 });
    // Platform-level audit: no siteId, the admin as actor, the user as entity.
    expect(after.log).toHaveLength(1);
    expect(after.log[0]).toMatchObject({ actorId: admin, entityType: "user", entityId: ada });
    expect(after.log[0].siteId).toBeUndefined();
    expect(JSON.parse(after.log[0].diff)).toMatchObject({ isActive: [true, false], sessionsEnded: [null, 2] });
    // A JWT already issued stops at the next request.
    expect(await code(inSession(t, ada, laptop).query(api.account.me, {}))).toBe("USER_INACTIVE");
    expect(await code(as(t, ada).mutation(api.users.updateProfile, { bio: "still here?" }))).toBe("USER_INACTIVE");

    // Idempotent, and back again.
    expect(await as(t, admin).mutation(api.account.setUserActive, { userId: ada, active: false })).toEqual({ isActive: false, sessionsEnded: 0 });
    expect(await as(t, admin).mutation(api.account.setUserActive, { userId: ada, active: true })).toEqual({ isActive: true, sessionsEnded: 0 });
    expect(await as(t, ada).query(api.account.me, {})).toMatchObject({ _id: ada });
    const actions = await t.run(async (ctx) => (await ctx.db.query("auditLogs").collect()).map((l) => l.action).filter((a) => a.startsWith("user.")));
    expect(actions.filter((a) => a === "user.deactivate" || a === "user.reactivate")).toEqual(["user.deactivate", "user.reactivate"]);
  });

  test("deactivation: only platform admins may, never of themselves or of unknown users", async () => {
    const t = convexTest(schema, modules);
    const admin = await createUser(t, "Root", { role: "admin" });
    const ada = await createUser(t, "Ada");
    const bob = await createUser(t, "Bob");
    expect(await code(t.mutation(api.account.setUserActive, { userId: ada, active: false }))).toBe("UNAUTHENTICATED");
    expect(await code(as(t, bob).mutation(api.account.setUserActive, { userId: ada, active: false }))).toBe("FORBIDDEN");
    expect(await code(as(t, bob).mutation(api.account.setUserActive, { userId: bob, active: true }))).toBe("FORBIDDEN");
    expect(await code(as(t, admin).mutation(api.account.setUserActive, { userId: admin, active: false }))).toBe("INVALID_ARGUMENT");
    const gone = await createUser(t, "Gone");
    await t.run(async (ctx) => ctx.db.delete("users", gone));
    expect(await code(as(t, admin).mutation(api.account.setUserActive, { userId: gone, active: false }))).toBe("NOT_FOUND");
    expect((await t.run(async (ctx) => ctx.db.get("users", ada)))!.isActive).not.toBe(false);
  });

  // The rows the persona matrix (personas.test.ts) needs for these functions, checked here: the
  // factories' identities (subject "userId|test-session") have no password account and no session.
  test("persona outcomes: anonymous, and a signed-in user without password or real session", async () => {
    const t = convexTest(schema, modules);
    const userId = await createUser(t, "Pat");
    const outcomes = async (client: any) => ({
      "auth:isAuthenticated": await code(client.query(api.auth.isAuthenticated, {})),
      "auth:signIn": await code(client.action(api.auth.signIn, { provider: "email-code", params: { email: "nobody@example.com" } })),
      "auth:signOut": await code(client.action(api.auth.signOut, {})),
      "account:me": await code(client.query(api.account.me, {})),
      "account:listSessions": await code(client.query(api.account.listSessions, {})),
      "account:recordSession": await code(client.mutation(api.account.recordSession, { userAgent: "x" })),
      "account:signOutOtherSessions": await code(client.mutation(api.account.signOutOtherSessions, {})),
      "account:changePassword": await code(client.action(api.account.changePassword, { currentPassword: "a long one", newPassword: "another one" })),
      "account:deleteAccount": await code(client.action(api.account.deleteAccount, {})),
    });
    expect(await outcomes(t)).toEqual({
      "auth:isAuthenticated": "ok",
      "auth:signIn": "ok",
      "auth:signOut": "ok",
      "account:me": "UNAUTHENTICATED",
      "account:listSessions": "UNAUTHENTICATED",
      "account:recordSession": "UNAUTHENTICATED",
      "account:signOutOtherSessions": "UNAUTHENTICATED",
      "account:changePassword": "UNAUTHENTICATED",
      "account:deleteAccount": "UNAUTHENTICATED",
    });
    expect(await outcomes(as(t, userId))).toEqual({
      "auth:isAuthenticated": "ok",
      "auth:signIn": "ok",
      "auth:signOut": "ok",
      "account:me": "ok",
      "account:listSessions": "ok",
      "account:recordSession": "UNAUTHENTICATED",
      "account:signOutOtherSessions": "ok",
      "account:changePassword": "INVALID_STATE",
      "account:deleteAccount": "REAUTH_REQUIRED",
    });
  });
});
