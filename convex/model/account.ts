// Over 400 lines: the rules @convex-dev/auth's callbacks apply and the session bookkeeping behind
// them, one module because the callbacks share them.
import { getAuthSessionId } from "@convex-dev/auth/server";
import { ConvexError, type Value } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { appError, cleanField } from "../lib/errors";
import type { ErrorCode } from "../shared/errors";
import { FIELDS } from "../shared/fields";

// Accounts and sign-in: the rules @convex-dev/auth's callbacks apply (who may sign in, what a new
// user row holds, when accounts link), and the sessionMeta bookkeeping
// behind the "active sessions" list.

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Codes the sign-in flows add to shared/errors.ts's: INVALID_CREDENTIALS (wrong email or password),
 * INVALID_CODE (wrong, used or expired code), RATE_LIMITED (`retryAfterMs`, `retryAfterMinutes`),
 * REAUTH_REQUIRED (sign in again before a sensitive change). Every error also carries `message`.
 */
export type AuthErrorCode = "INVALID_CREDENTIALS" | "INVALID_CODE" | "RATE_LIMITED" | "REAUTH_REQUIRED";

/** A ConvexError `{code, message, ...extra}`; `message` is user-facing copy. */
export function authError(code: AuthErrorCode | ErrorCode, message: string, extra: Record<string, Value> = {}) {
  return new ConvexError({ code, message, ...extra } as Value);
}

export function isConvexError(e: unknown): e is ConvexError<Value> {
  return e instanceof ConvexError || (typeof e === "object" && e !== null && (e as { name?: unknown }).name === "ConvexError");
}

export const invalidCredentials = () => authError("INVALID_CREDENTIALS", "Wrong email or password.");
export const invalidCode = () => authError("INVALID_CODE", "That code is wrong or has expired. Check the latest email, or ask for a new code.");

export function rateLimited(retryAfterMs: number) {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return authError("RATE_LIMITED", `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, {
    retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
    retryAfterMinutes: minutes,
  });
}

// ---------------------------------------------------------------------------------------------
// Input rules

export const MIN_PASSWORD = FIELDS.password.min;
const MAX_NAME = FIELDS.displayName.max;
/** Lifetime of emailed codes. */
export const CODE_TTL_MINUTES = 15;
/** Without a password, deleting the account needs a session at most this old. */
export const REAUTH_WINDOW_MS = 10 * 60_000;

/** Trimmed, lowercased address. @throws INVALID_ARGUMENT (field "email") when it isn't one. */
export function normalizeEmail(raw: unknown): string {
  return cleanField(FIELDS.email, typeof raw === "string" ? raw : "", "email");
}

/** @throws INVALID_ARGUMENT (with `field`) unless 8 to 256 characters. */
export function checkNewPassword(raw: unknown, field: string): string {
  return cleanField(FIELDS.password, typeof raw === "string" ? raw : "", field);
}

/** The display name given at sign-up. @throws INVALID_ARGUMENT (field "name"). */
export function checkName(raw: unknown): string {
  return cleanField(FIELDS.displayName, typeof raw === "string" ? raw : "", "name", `Enter your name (1 to ${MAX_NAME} characters).`);
}

/** A code as typed or pasted: digits only. */
export function normalizeCode(raw: unknown): string {
  return String(raw ?? "").replace(/[\s-]/g, "");
}

/** A uniformly random string of `n` decimal digits. */
export function randomDigits(n: number): string {
  let out = "";
  const buf = new Uint8Array(n * 2);
  while (out.length < n) {
    crypto.getRandomValues(buf);
    for (const b of buf) if (b < 250 && out.length < n) out += String(b % 10); // 250 = 25 × 10: no bias
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Users: @convex-dev/auth's callbacks

export function isInactive(user: Doc<"users">): boolean {
  return user.isActive === false || user.deletingAt !== undefined;
}

const userInactive = () => appError("USER_INACTIVE", { message: "This account has been deactivated." });

export interface CreateOrUpdateUserArgs {
  existingUserId: Id<"users"> | null;
  type: "oauth" | "credentials" | "email" | "phone" | "verification";
  provider: { id: string; type: string; allowDangerousEmailAccountLinking?: boolean };
  profile: Record<string, unknown> & { email?: string; phone?: string; emailVerified?: boolean; phoneVerified?: boolean };
  shouldLinkViaEmail?: boolean;
  shouldLinkViaPhone?: boolean;
}

async function uniqueVerifiedUser(ctx: QueryCtx, field: "email" | "phone", value: string) {
  const users = await ctx.db
    .query("users")
    .withIndex(field, (q) => q.eq(field, value))
    // eslint-disable-next-line @convex-dev/no-filter-in-query -- inside one address's index range (a few rows)
    .filter((q) => q.neq(q.field(field === "email" ? "emailVerificationTime" : "phoneVerificationTime"), undefined))
    .take(2);
  return users.length === 1 ? users[0] : null;
}

function cleanProfileText(raw: unknown, max: number): string | undefined {
  if (typeof raw !== "string") return undefined;
  const s = raw.trim().replace(/\s+/g, " ").slice(0, max);
  return s || undefined;
}

/**
 * callbacks.createOrUpdateUser. Links exactly as @convex-dev/auth's default does (an account without
 * a user joins the unique user with the same *verified* email — or phone — when the provider
 * verified it, it is an email provider, or the caller asked to link), but never overwrites a user's
 * name, image or email with a provider's (renames go through users.updateUserName, which keeps
 * posts in step). New users get Pressroom's fields and an empty profile row. Deactivated users and
 * users being deleted are refused with USER_INACTIVE.
 */
export async function createOrUpdateUser(ctx: MutationCtx, args: CreateOrUpdateUserArgs): Promise<Id<"users">> {
  const { provider, existingUserId } = args;
  const { emailVerified: profileEmailVerified, phoneVerified: profilePhoneVerified, ...profile } = args.profile;
  const isOAuth = provider.type === "oauth" || provider.type === "oidc";
  const emailVerified = profileEmailVerified ?? (isOAuth && provider.allowDangerousEmailAccountLinking !== false);
  const phoneVerified = profilePhoneVerified ?? false;
  const email = typeof profile.email === "string" && profile.email.trim() ? profile.email.trim().toLowerCase() : undefined;
  const phone = typeof profile.phone === "string" && profile.phone.trim() ? profile.phone.trim() : undefined;
  const linkViaEmail = args.shouldLinkViaEmail || emailVerified || provider.type === "email";
  const linkViaPhone = args.shouldLinkViaPhone || phoneVerified || provider.type === "phone";

  let userId = existingUserId;
  if (userId === null) {
    const byEmail = email && linkViaEmail ? await uniqueVerifiedUser(ctx, "email", email) : null;
    const byPhone = phone && linkViaPhone ? await uniqueVerifiedUser(ctx, "phone", phone) : null;
    // Both verified but different people: link to neither (the library's rule).
    if (byEmail && byPhone) userId = byEmail._id === byPhone._id ? byEmail._id : null;
    else userId = byEmail?._id ?? byPhone?._id ?? null;
  }

  const now = Date.now();
  if (userId !== null) {
    const user = await ctx.db.get("users", userId);
    if (!user) {
      throw new Error(`Could not update user ${userId}: the user has been deleted but their account has not.`);
    }
    if (isInactive(user)) throw userInactive();
    const patch: Partial<Doc<"users">> = {};
    if (emailVerified && email && (user.email === undefined || user.email === email)) {
      if (user.email === undefined) patch.email = email;
      if (user.emailVerified !== true) patch.emailVerified = true;
      if (user.emailVerificationTime === undefined) patch.emailVerificationTime = now;
    }
    if (phoneVerified && phone && (user.phone === undefined || user.phone === phone)) {
      if (user.phone === undefined) patch.phone = phone;
      if (user.phoneVerificationTime === undefined) patch.phoneVerificationTime = now;
    }
    const name = cleanProfileText(profile.name, MAX_NAME);
    if (!user.name?.trim() && name) patch.name = name;
    const image = cleanProfileText(profile.image, 2000);
    if (!user.image && image) patch.image = image;
    if (Object.keys(patch).length > 0) await ctx.db.patch("users", user._id, { ...patch, updatedAt: now });
    return user._id;
  }

  const newUserId = await ctx.db.insert("users", {
    name: cleanProfileText(profile.name, MAX_NAME),
    email,
    image: cleanProfileText(profile.image, 2000),
    ...(emailVerified && email ? { emailVerificationTime: now } : {}),
    ...(phone ? { phone } : {}),
    ...(phoneVerified && phone ? { phoneVerificationTime: now } : {}),
    role: "user",
    isActive: true,
    emailVerified: Boolean(emailVerified && email),
    createdAt: now,
    updatedAt: now,
  });
  await ctx.db.insert("userProfiles", { userId: newUserId, createdAt: now, updatedAt: now });
  await audit(ctx, {
    actorId: newUserId,
    action: "user.signup",
    entityType: "user",
    entityId: newUserId,
    before: null,
    after: { provider: provider.id, emailVerified: Boolean(emailVerified && email) },
  });
  return newUserId;
}

/**
 * callbacks.beforeSessionCreation: runs for every sign-in of every provider (password sign-ins do not
 * call createOrUpdateUser). Refuses deactivated users and stamps lastLoginAt.
 */
export async function beforeSessionCreation(ctx: MutationCtx, userId: Id<"users">): Promise<void> {
  const user = await ctx.db.get("users", userId);
  if (!user) throw new Error("The user of this account no longer exists.");
  if (isInactive(user)) throw userInactive();
  await ctx.db.patch("users", user._id, { lastLoginAt: Date.now() });
}

/**
 * Runs whenever @convex-dev/auth signs a JWT (sign-in and every refresh, via jwt.customClaims): a
 * deactivated user's refresh fails with USER_INACTIVE, so their client is signed out at the next
 * refresh. Adds no claims.
 */
export async function checkTokenSubject(ctx: QueryCtx, userId: Id<"users">): Promise<Record<string, never>> {
  const user = await ctx.db.get("users", userId);
  if (user && isInactive(user)) throw userInactive();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Sessions

/** The session of the verified identity, or null (no identity, or not a session id of this deployment). */
export async function currentSessionId(ctx: QueryCtx): Promise<Id<"authSessions"> | null> {
  const raw = await getAuthSessionId(ctx);
  return raw ? ctx.db.normalizeId("authSessions", raw) : null;
}

const MAX_IP = 100;
const MAX_USER_AGENT = 512;
/** recordSession rewrites lastSeenAt at most this often (each write re-runs listSessions subscribers). */
export const SEEN_RESOLUTION_MS = 60_000;
const MAX_SESSIONS = 100;

async function metaFor(ctx: QueryCtx, sessionId: Id<"authSessions">) {
  return await ctx.db
    .query("sessionMeta")
    .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
    .unique();
}

/**
 * Upserts the current session's IP address and user agent. Rows of the user's sessions that are
 * gone (signed out, expired) are swept when a new session is first recorded.
 * @throws UNAUTHENTICATED when the token's session no longer exists (signed out elsewhere).
 */
export async function recordSession(
  ctx: MutationCtx,
  viewer: Doc<"users">,
  input: { ipAddress?: string; userAgent?: string },
): Promise<void> {
  const sessionId = await currentSessionId(ctx);
  const session = sessionId ? await ctx.db.get("authSessions", sessionId) : null;
  if (!session || session.userId !== viewer._id) throw appError("UNAUTHENTICATED", { message: "This session has ended. Please sign in again." });
  const ipAddress = cleanProfileText(input.ipAddress, MAX_IP);
  const userAgent = cleanProfileText(input.userAgent, MAX_USER_AGENT);
  const now = Date.now();
  const existing = await metaFor(ctx, session._id);
  if (existing) {
    const changed = (ipAddress !== undefined && ipAddress !== existing.ipAddress) || (userAgent !== undefined && userAgent !== existing.userAgent);
    if (changed || now - existing.lastSeenAt >= SEEN_RESOLUTION_MS) {
      await ctx.db.patch("sessionMeta", existing._id, {
        ...(ipAddress !== undefined ? { ipAddress } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
        lastSeenAt: now,
      });
    }
    return;
  }
  await ctx.db.insert("sessionMeta", { sessionId: session._id, userId: viewer._id, ipAddress, userAgent, createdAt: now, lastSeenAt: now });
  await sweepSessionMeta(ctx, viewer._id);
}

/** Deletes up to 50 of the user's sessionMeta rows whose session is gone or expired. */
export async function sweepSessionMeta(ctx: MutationCtx, userId: Id<"users">, keep?: Id<"authSessions"> | null) {
  const now = Date.now();
  const rows = await ctx.db
    .query("sessionMeta")
    .withIndex("by_userId", (q) => q.eq("userId", userId))
    .take(50);
  for (const row of rows) {
    if (row.sessionId === keep) continue;
    const session = await ctx.db.get("authSessions", row.sessionId);
    if (!session || session.expirationTime <= now) await ctx.db.delete("sessionMeta", row._id);
  }
}

export interface SessionView {
  _id: Id<"authSessions">;
  createdAt: number;
  expirationTime: number;
  lastSeenAt: number | null;
  ipAddress: string | null;
  userAgent: string | null;
  current: boolean;
}

/** The viewer's unexpired sessions, the current one first, then most recently seen first. */
export async function listSessions(ctx: QueryCtx, viewer: Doc<"users">): Promise<SessionView[]> {
  const now = Date.now();
  const current = await currentSessionId(ctx);
  const sessions = await ctx.db
    .query("authSessions")
    .withIndex("userId", (q) => q.eq("userId", viewer._id))
    .take(MAX_SESSIONS);
  const out: SessionView[] = [];
  for (const s of sessions) {
    if (s.expirationTime <= now) continue;
    const meta = await metaFor(ctx, s._id);
    out.push({
      _id: s._id,
      createdAt: s._creationTime,
      expirationTime: s.expirationTime,
      lastSeenAt: meta?.lastSeenAt ?? null,
      ipAddress: meta?.ipAddress ?? null,
      userAgent: meta?.userAgent ?? null,
      current: s._id === current,
    });
  }
  out.sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeenAt ?? b.createdAt) - (a.lastSeenAt ?? a.createdAt));
  return out;
}

/** Deletes a session the way @convex-dev/auth does (its refresh tokens too), and its sessionMeta. */
async function deleteSession(ctx: MutationCtx, session: Doc<"authSessions">) {
  for (;;) {
    const tokens = await ctx.db
      .query("authRefreshTokens")
      .withIndex("sessionId", (q) => q.eq("sessionId", session._id))
      .take(500);
    for (const t of tokens) await ctx.db.delete("authRefreshTokens", t._id);
    if (tokens.length < 500) break;
  }
  const meta = await metaFor(ctx, session._id);
  if (meta) await ctx.db.delete("sessionMeta", meta._id);
  await ctx.db.delete("authSessions", session._id);
}

/** Ends the user's sessions (all but `keep`) with their refresh tokens. @returns how many ended. */
async function endSessions(ctx: MutationCtx, userId: Id<"users">, keep: Id<"authSessions"> | null): Promise<number> {
  let ended = 0;
  for (;;) {
    const sessions = (
      await ctx.db
        .query("authSessions")
        .withIndex("userId", (q) => q.eq("userId", userId))
        .take(MAX_SESSIONS + 1)
    ).filter((s) => s._id !== keep);
    for (const s of sessions.slice(0, MAX_SESSIONS)) await deleteSession(ctx, s);
    ended += Math.min(sessions.length, MAX_SESSIONS);
    if (sessions.length <= MAX_SESSIONS) return ended;
  }
}

/**
 * Signs the viewer out everywhere but here (all sessions when the caller's session is already gone).
 * Their refresh tokens stop working at once; a JWT already issued to them stays valid until it
 * expires (at most the JWT lifetime, 1 hour), as with any @convex-dev/auth sign-out.
 * @returns how many sessions ended.
 */
export async function signOutOtherSessions(ctx: MutationCtx, viewer: Doc<"users">): Promise<number> {
  const current = await currentSessionId(ctx);
  const ended = await endSessions(ctx, viewer._id, current);
  await sweepSessionMeta(ctx, viewer._id, current);
  if (ended > 0) {
    await audit(ctx, {
      actorId: viewer._id,
      action: "user.signOutOthers",
      entityType: "user",
      entityId: viewer._id,
      after: { sessionsEnded: ended },
    });
  }
  return ended;
}

/**
 * A platform admin (users.role "admin") deactivates or reactivates a user. Deactivating ends all
 * of the user's sessions, refresh tokens included; a JWT already issued stops at its next request,
 * because every function re-reads isActive (lib/auth.ts), and sign-in, codes and refreshes are
 * refused (USER_INACTIVE, see the callbacks above). Audited at platform level: no siteId, the admin
 * as actor. Setting the current state again changes nothing and is not logged.
 * @throws FORBIDDEN (not a platform admin), INVALID_ARGUMENT (their own account), NOT_FOUND (no
 * such user, or one being deleted).
 */
export async function setUserActive(ctx: MutationCtx, actor: Doc<"users">, userId: Id<"users">, active: boolean) {
  if (actor.role !== "admin") throw appError("FORBIDDEN");
  if (userId === actor._id) {
    throw appError("INVALID_ARGUMENT", { field: "userId", message: "You can't deactivate or reactivate your own account." });
  }
  const user = await ctx.db.get("users", userId);
  if (!user || user.deletingAt !== undefined) throw appError("NOT_FOUND");
  const sessionsEnded = active ? 0 : await endSessions(ctx, user._id, null);
  if (!active) await forgetSessionMeta(ctx, user._id);
  const wasActive = user.isActive !== false;
  if (wasActive !== active) {
    await ctx.db.patch("users", user._id, { isActive: active, updatedAt: Date.now() });
    await audit(ctx, {
      actorId: actor._id,
      action: active ? "user.reactivate" : "user.deactivate",
      entityType: "user",
      entityId: user._id,
      before: { isActive: wasActive },
      after: { isActive: active, ...(active ? {} : { sessionsEnded }) },
    });
  }
  return { isActive: active, sessionsEnded };
}

/** Deletes every sessionMeta row of the user (account deletion; at most a few hundred rows). */
export async function forgetSessionMeta(ctx: MutationCtx, userId: Id<"users">) {
  for (;;) {
    const rows = await ctx.db
      .query("sessionMeta")
      .withIndex("by_userId", (q) => q.eq("userId", userId))
      .take(200);
    for (const r of rows) await ctx.db.delete("sessionMeta", r._id);
    if (rows.length < 200) return;
  }
}

/** What an action needs to re-check the viewer's credentials. */
export async function credentialState(ctx: QueryCtx, viewer: Doc<"users">) {
  const passwordAccount = await ctx.db
    .query("authAccounts")
    .withIndex("userIdAndProvider", (q) => q.eq("userId", viewer._id).eq("provider", "password"))
    .first();
  const sessionId = await currentSessionId(ctx);
  const session = sessionId ? await ctx.db.get("authSessions", sessionId) : null;
  return {
    userId: viewer._id,
    passwordAccountId: passwordAccount?.providerAccountId ?? null,
    sessionId: session?._id ?? null,
    sessionCreatedAt: session?._creationTime ?? null,
  };
}
