import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import {
  beforeSessionCreation,
  checkName,
  checkTokenSubject,
  checkNewPassword,
  createOrUpdateUser,
  normalizeCode,
  normalizeEmail,
  randomDigits,
} from "./model/account";
import { MAX_FAILED_SIGN_INS_PER_HOUR, recordFailure, resetLimit, waitFor, type Keys } from "./lib/rateLimits";
import { passwordResetCodeEmail, siteInvitationEmail, verificationCodeEmail } from "./model/email";
import schema from "./schema";

// The rules behind sign-in (convex/auth.ts's callbacks, input checks, the rate-limit arithmetic) and
// the email outbox. The flows themselves (JWTs, codes, OAuth) run end to end in
// tests/integration/auth-flows.test.ts and oauth.test.ts.

const password = { id: "password", type: "credentials" };
const google = { id: "google", type: "oidc" };
const emailProvider = { id: "email-code-otp", type: "email" };

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

describe("input rules", () => {
  test("emails are trimmed and lowercased; invalid ones name the field", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    for (const bad of ["", "ada", "ada@", "@example.com", "a b@example.com", 42, undefined, `${"a".repeat(250)}@example.com`]) {
      expect(() => normalizeEmail(bad)).toThrow(expect.objectContaining({ data: expect.objectContaining({ code: "INVALID_ARGUMENT", field: "email" }) }));
    }
  });

  test("passwords need 8 to 256 characters; names 1 to 100", () => {
    expect(checkNewPassword("12345678", "password")).toBe("12345678");
    expect(() => checkNewPassword("1234567", "newPassword")).toThrow(
      expect.objectContaining({ data: expect.objectContaining({ field: "newPassword", message: "Use at least 8 characters." }) }),
    );
    expect(() => checkNewPassword("x".repeat(257), "password")).toThrow();
    expect(checkName("  Ada   Lovelace ")).toBe("Ada Lovelace");
    expect(() => checkName(" ")).toThrow(expect.objectContaining({ data: expect.objectContaining({ field: "name" }) }));
    expect(() => checkName("x".repeat(101))).toThrow();
  });

  test("codes: 8 uniform digits; typed codes lose spaces and dashes", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = randomDigits(8);
      expect(c).toMatch(/^\d{8}$/);
      seen.add(c);
    }
    expect(seen.size).toBeGreaterThan(195);
    const firstDigits = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const d = randomDigits(1);
      firstDigits.set(d, (firstDigits.get(d) ?? 0) + 1);
    }
    expect(firstDigits.size).toBe(10);
    for (const n of firstDigits.values()) expect(n).toBeGreaterThan(350); // 500 expected
    expect(normalizeCode(" 1234-5678 ")).toBe("12345678");
    expect(normalizeCode(12345678)).toBe("12345678");
  });


  test("templates put the code in subject, text and HTML, and escape HTML", () => {
    const v = verificationCodeEmail("12345678", 15);
    expect(v.subject).toContain("12345678");
    expect(v.text).toContain("12345678");
    expect(v.text).toContain("15 minutes");
    expect(v.html).toContain("12345678");
    expect(passwordResetCodeEmail("87654321", 15).text).toMatch(/reset/);
    const invite = siteInvitationEmail({ siteName: "<The Daily>", inviterName: "Ada", role: "editor", link: "https://x.example/a?b=1&c=2" });
    expect(invite.text).toContain("as an editor");
    expect(invite.html).toContain("&lt;The Daily&gt;");
    expect(invite.html).toContain("https://x.example/a?b=1&amp;c=2");
    expect(invite.html).not.toContain("<The Daily>");
  });
});

describe.each(backends)("sign-in callbacks on %s", (_name, convexTest) => {
  test("a new user gets Pressroom's fields and an empty profile", async () => {
    const t = convexTest(schema, modules);
    const userId = await t.run(async (ctx) =>
      createOrUpdateUser(ctx, {
        existingUserId: null,
        type: "credentials",
        provider: password,
        profile: { email: "Ada@Example.com", name: "  Ada  " },
        shouldLinkViaEmail: true,
      }),
    );
    const { user, profile } = await t.run(async (ctx) => ({
      user: await ctx.db.get("users", userId),
      profile: await ctx.db.query("userProfiles").withIndex("by_userId", (q) => q.eq("userId", userId)).unique(),
    }));
    expect(user).toMatchObject({ email: "ada@example.com", name: "Ada", role: "user", isActive: true, emailVerified: false });
    expect(user!.emailVerificationTime).toBeUndefined();
    expect(user!.createdAt).toEqual(expect.any(Number));
    expect(user!.lastLoginAt).toBeUndefined(); // set when a session starts
    expect(profile).toMatchObject({ userId });
  });

  test("linking follows @convex-dev/auth: only to a unique user with the verified address", async () => {
    const t = convexTest(schema, modules);
    const verified = await createUser(t, "Vera", { email: "vera@example.com", emailVerified: true, emailVerificationTime: 1 });
    const unverified = await createUser(t, "Ulla", { email: "ulla@example.com" });
    const link = (email: string, provider: { id: string; type: string }, extra: Record<string, unknown> = {}) =>
      t.run(async (ctx) =>
        createOrUpdateUser(ctx, { existingUserId: null, type: provider.type === "oidc" ? "oauth" : "credentials", provider, profile: { email, name: "New", ...extra } }),
      );
    // OAuth addresses count as verified unless the provider says otherwise.
    expect(await link("vera@example.com", google)).toBe(verified);
    expect(await link("VERA@example.com", google)).toBe(verified);
    expect(await link("vera@example.com", google, { emailVerified: false })).not.toBe(verified);
    // Email providers link; credentials only when asked to.
    expect(await link("vera@example.com", emailProvider)).toBe(verified);
    expect(await link("vera@example.com", password)).not.toBe(verified);
    // Never to an unverified address.
    expect(await link("ulla@example.com", google)).not.toBe(unverified);
    // The linked user keeps their own name.
    expect((await t.run(async (ctx) => ctx.db.get("users", verified)))!.name).toBe("Vera");
  });

  test("verification marks the address verified; a provider fills in only missing name and image", async () => {
    const t = convexTest(schema, modules);
    const userId = await createUser(t, "Wes", { email: "wes@example.com", emailVerified: false });
    await t.run(async (ctx) =>
      createOrUpdateUser(ctx, {
        existingUserId: userId,
        type: "verification",
        provider: password,
        profile: { email: "wes@example.com", emailVerified: true },
      }),
    );
    await t.run(async (ctx) =>
      createOrUpdateUser(ctx, { existingUserId: userId, type: "oauth", provider: google, profile: { name: "Someone Else", image: "https://img.example/w.png" } }),
    );
    const user = await t.run(async (ctx) => ctx.db.get("users", userId));
    expect(user).toMatchObject({ emailVerified: true, emailVerificationTime: expect.any(Number), name: "Wes", image: "https://img.example/w.png" });
  });

  test("deactivated users and users being deleted are refused", async () => {
    const t = convexTest(schema, modules);
    const inactive = await createUser(t, "Ina", { isActive: false, email: "ina@example.com", emailVerificationTime: 1 });
    const leaving = await createUser(t, "Lea", { deletingAt: Date.now() });
    const active = await createUser(t, "Act");
    for (const userId of [inactive, leaving]) {
      expect(await code(t.run(async (ctx) => beforeSessionCreation(ctx, userId)))).toBe("USER_INACTIVE");
      expect(await code(t.run(async (ctx) => checkTokenSubject(ctx, userId)))).toBe("USER_INACTIVE");
      expect(
        await code(t.run(async (ctx) => createOrUpdateUser(ctx, { existingUserId: userId, type: "oauth", provider: google, profile: {} }))),
      ).toBe("USER_INACTIVE");
    }
    // Linking into a deactivated user is refused too.
    expect(
      await code(
        t.run(async (ctx) => createOrUpdateUser(ctx, { existingUserId: null, type: "oauth", provider: google, profile: { email: "ina@example.com" } })),
      ),
    ).toBe("USER_INACTIVE");
    expect(await t.run(async (ctx) => checkTokenSubject(ctx, active))).toEqual({});
    await t.run(async (ctx) => beforeSessionCreation(ctx, active));
    expect((await t.run(async (ctx) => ctx.db.get("users", active)))!.lastLoginAt).toEqual(expect.any(Number));
  });

  test("rate limit (lib/rateLimits.ts, in the rateLimiter component): 10 failures lock out; one attempt comes back every 6 minutes", async () => {
    const t = convexTest(schema, modules);
    const rita: Keys = [["failedSignIn", "rita@example.com"], ["failedSignInByIp", "203.0.113.7"]];
    const fail = (keys: Keys) => t.run(async (ctx) => await recordFailure(ctx, keys));
    const wait = (keys: Keys) => t.run(async (ctx) => await waitFor(ctx, keys));
    expect(MAX_FAILED_SIGN_INS_PER_HOUR).toBe(10);
    for (let i = 1; i < 10; i++) expect(await fail(rita), `failure ${i}`).toBe(0);
    const locked = await fail(rita);
    expect(locked).toBeGreaterThan(359_000);
    expect(locked).toBeLessThanOrEqual(360_000);
    expect(await wait(rita)).toBeGreaterThan(350_000);
    // Counted per address and per IP: another address from another IP may still try; the same IP
    // (10 of its 50) or the same address with a key left out are counted apart.
    expect(await wait([["failedSignIn", "sam@example.com"], ["failedSignInByIp", "198.51.100.9"]])).toBe(0);
    expect(await wait([["failedSignInByIp", "203.0.113.7"]])).toBe(0);
    expect(await wait([["failedSignIn", "rita@example.com"], ["failedSignInByIp", undefined]])).toBeGreaterThan(350_000);
    // Wrong codes have a limit of their own.
    expect(await wait([["failedCode", "rita@example.com"]])).toBe(0);
    // A proven address starts again.
    await t.run(async (ctx) => await resetLimit(ctx, "failedSignIn", "rita@example.com"));
    expect(await wait([["failedSignIn", "rita@example.com"]])).toBe(0);
  });

  test("the per-IP limit: 50 failures from one IP across addresses", async () => {
    const t = convexTest(schema, modules);
    const fromIp = (i: number): Keys => [["failedSignIn", `stuffing-${i}@example.com`], ["failedSignInByIp", "203.0.113.7"]];
    for (let i = 0; i < 49; i++) expect(await t.run(async (ctx) => await recordFailure(ctx, fromIp(i)))).toBe(0);
    expect(await t.run(async (ctx) => await recordFailure(ctx, fromIp(49)))).toBeGreaterThan(60_000);
    expect(await t.run(async (ctx) => await waitFor(ctx, [["failedSignIn", "fresh@example.com"], ["failedSignInByIp", "198.51.100.9"]]))).toBe(0);
  });

  test("email-code sign-in is offered only to a unique user with the verified address", async () => {
    const t = convexTest(schema, modules);
    await createUser(t, "Otto", { email: "otto@example.com", emailVerificationTime: 1 });
    await createUser(t, "Una", { email: "una@example.com" });
    expect(await t.query(internal.account.canSignInByEmail, { email: "otto@example.com" })).toBe(true);
    expect(await t.query(internal.account.canSignInByEmail, { email: "una@example.com" })).toBe(false);
    expect(await t.query(internal.account.canSignInByEmail, { email: "nobody@example.com" })).toBe(false);
  });

  test("auth:isAuthenticated answers for any caller", async () => {
    const t = convexTest(schema, modules);
    const userId = await createUser(t, "Ida");
    expect(await t.query(api.auth.isAuthenticated, {})).toBe(false);
    expect(await as(t, userId).query(api.auth.isAuthenticated, {})).toBe(true);
  });
});

describe.each(backends)("email outbox on %s", (_name, convexTest) => {
  test("enqueue, latestFor and devMailbox (newest first, by recipient)", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(internal.emails.enqueue, { to: "A@Example.com", subject: "one", text: "1", kind: "verify-email", provider: "outbox", createdAt: 1 });
    await t.mutation(internal.emails.enqueue, { to: "a@example.com", subject: "two", text: "2", kind: "password-reset", provider: "outbox", createdAt: 2 });
    await t.mutation(internal.emails.enqueue, { to: "b@example.com", subject: "three", text: "3", kind: "verify-email", provider: "outbox", createdAt: 3 });
    await t.mutation(internal.emails.enqueue, { to: "a@example.com", subject: "four", text: "4", kind: "verify-email", provider: "outbox", createdAt: 4 });

    expect(await t.query(internal.emails.latestFor, { email: "A@example.com", kind: "verify-email" })).toMatchObject({ subject: "four", html: null, sentAt: null });
    expect(await t.query(internal.emails.latestFor, { email: "a@example.com", kind: "sign-in-code" })).toBeNull();
    expect((await t.query(internal.emails.devMailbox, {})).map((e) => e.subject)).toEqual(["four", "three", "two", "one"]);
    expect((await t.query(internal.emails.devMailbox, { limit: 2 })).map((e) => e.subject)).toEqual(["four", "three"]);
    expect((await t.query(internal.emails.devMailbox, { to: "a@example.com" })).map((e) => e.subject)).toEqual(["four", "two", "one"]);
  });

  test("site invitations are sent through the outbox when Resend is not configured", async () => {
    const t = convexTest(schema, modules);
    await t.action(internal.emails.sendSiteInvite, {
      to: "New@Example.com",
      siteName: "The Daily",
      inviterName: "Ada",
      role: "author",
      link: "https://pressroom.example/invites/abc",
    });
    const mail = await t.query(internal.emails.latestFor, { email: "new@example.com", kind: "site-invite" });
    expect(mail).toMatchObject({ to: "new@example.com", provider: "outbox", subject: "You're invited to The Daily on Pressroom" });
    expect(mail!.text).toContain("https://pressroom.example/invites/abc");
    expect(mail!.html).toContain("https://pressroom.example/invites/abc");
  });
});
