import { invalidateSessions, modifyAccountCredentials, retrieveAccount } from "@convex-dev/auth/server";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { internal } from "./_generated/api";
import type { ActionCtx } from "./_generated/server";
import { audit } from "./lib/audit";
import { requireViewer } from "./lib/auth";
import { appError } from "./lib/errors";
import { action, internalMutation, internalQuery, userMutation, userQuery } from "./lib/functions";
import { recordFailure, resetLimit, waitFor, type Keys } from "./lib/rateLimits";
import * as Account from "./model/account";
import * as PersonalData from "./model/personalData";
import { vPlatformRole } from "./validators";

// The signed-in user's account: who am I, sessions (with IP and user agent), password change and
// account deletion. Sign-in itself is convex/auth.ts.

/** The viewer's account. `hasPassword` is false for accounts that sign in only by OAuth or code. */
export const me = userQuery({
  args: {},
  returns: v.object({
    _id: v.id("users"),
    name: v.union(v.string(), v.null()),
    email: v.union(v.string(), v.null()),
    image: v.union(v.string(), v.null()),
    emailVerified: v.boolean(),
    role: vPlatformRole,
    hasPassword: v.boolean(),
  }),
  handler: async (ctx) => {
    const u = ctx.viewer;
    const passwordAccount = await ctx.db
      .query("authAccounts")
      .withIndex("userIdAndProvider", (q) => q.eq("userId", u._id).eq("provider", "password"))
      .first();
    return {
      _id: u._id,
      name: u.name ?? null,
      email: u.email ?? null,
      image: u.image ?? null,
      emailVerified: u.emailVerified ?? u.emailVerificationTime !== undefined,
      role: u.role ?? "user",
      hasPassword: passwordAccount !== null,
    };
  },
});

/**
 * Records the current session's IP address and user agent (the Remix server calls it after sign-in
 * and may call it on later requests; lastSeenAt moves at most once a minute).
 * @throws UNAUTHENTICATED when the token's session has ended.
 */
export const recordSession = userMutation({
  args: { ipAddress: v.optional(v.string()), userAgent: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    await Account.recordSession(ctx, ctx.viewer, args);
    return null;
  },
});

/** The viewer's unexpired sessions, the current one first (`current: true`), then most recently seen. */
export const listSessions = userQuery({
  args: {},
  returns: v.array(
    v.object({
      _id: v.id("authSessions"),
      createdAt: v.number(),
      expirationTime: v.number(),
      lastSeenAt: v.union(v.number(), v.null()),
      ipAddress: v.union(v.string(), v.null()),
      userAgent: v.union(v.string(), v.null()),
      current: v.boolean(),
    }),
  ),
  handler: async (ctx) => await Account.listSessions(ctx, ctx.viewer),
});

/**
 * Ends every session of the viewer except the current one, with their refresh tokens. JWTs already
 * issued to them keep working until they expire (at most 1 hour).
 */
export const signOutOtherSessions = userMutation({
  args: {},
  returns: v.object({ signedOut: v.number() }),
  handler: async (ctx) => ({ signedOut: await Account.signOutOtherSessions(ctx, ctx.viewer) }),
});

/**
 * Platform admins only: deactivates (`active: false`) or reactivates a user. Deactivation ends all
 * of the user's sessions at once; audited at platform level.
 * @throws FORBIDDEN (not a platform admin), INVALID_ARGUMENT (own account), NOT_FOUND.
 */
export const setUserActive = userMutation({
  args: { userId: v.id("users"), active: v.boolean() },
  returns: v.object({ isActive: v.boolean(), sessionsEnded: v.number() }),
  handler: async (ctx, { userId, active }) => await Account.setUserActive(ctx, ctx.viewer, userId, active),
});

/**
 * Checks the viewer's current password with @convex-dev/auth; failed attempts count towards the
 * address's sign-in limit (lib/rateLimits.ts), a right one clears it, as a sign-in does.
 * @throws INVALID_ARGUMENT (field currentPassword/password) or RATE_LIMITED.
 */
async function verifyPassword(ctx: ActionCtx, accountId: string, secret: string, field: string): Promise<void> {
  const keys: Keys = [["failedSignIn", accountId]];
  const locked = await waitFor(ctx, keys);
  if (locked > 0) throw Account.rateLimited(locked);
  try {
    await retrieveAccount(ctx, { provider: "password", account: { id: accountId, secret } });
  } catch (e) {
    if (Account.isConvexError(e)) throw e;
    const message = e instanceof Error ? e.message : String(e);
    if (message === "InvalidSecret" || message === "TooManyFailedAttempts") {
      const wait = await recordFailure(ctx, keys);
      // TooManyFailedAttempts: the library's own per-account limit (a backstop) refused first.
      if (wait > 0 || message === "TooManyFailedAttempts") throw Account.rateLimited(wait || 60_000);
      throw appError("INVALID_ARGUMENT", { field, message: "That password isn't right." });
    }
    throw e;
  }
  await resetLimit(ctx, "failedSignIn", accountId);
}

/**
 * Changes the viewer's password after checking the current one, and ends their other sessions.
 * @throws INVALID_ARGUMENT (field currentPassword: wrong password; newPassword: fewer than 8
 * characters or unchanged), RATE_LIMITED, INVALID_STATE (the account has no password).
 */
export const changePassword = action({
  args: { currentPassword: v.string(), newPassword: v.string() },
  returns: v.null(),
  handler: async (ctx, { currentPassword, newPassword }) => {
    const me = await ctx.runQuery(internal.account.credentials, {});
    if (me.passwordAccountId === null) {
      throw appError("INVALID_STATE", { message: "This account signs in without a password." });
    }
    Account.checkNewPassword(newPassword, "newPassword");
    if (newPassword === currentPassword) {
      throw appError("INVALID_ARGUMENT", { field: "newPassword", message: "Choose a password different from the current one." });
    }
    await verifyPassword(ctx, me.passwordAccountId, currentPassword, "currentPassword");
    await modifyAccountCredentials(ctx, { provider: "password", account: { id: me.passwordAccountId, secret: newPassword } });
    await invalidateSessions(ctx, { userId: me.userId, except: me.sessionId ? [me.sessionId] : [] });
    await ctx.runMutation(internal.account.passwordChanged, { userId: me.userId });
    return null;
  },
});

const vDeleteChoice = v.object({ siteId: v.id("sites"), action: v.union(v.literal("reassign"), v.literal("delete")) });
const vDeleteResult = v.object({
  sites: v.array(
    v.object({
      siteId: v.id("sites"),
      outcome: v.union(v.literal("deleteSite"), v.literal("reassignPosts"), v.literal("deletePosts")),
    }),
  ),
});
type DeleteResult = Infer<typeof vDeleteResult>;

/**
 * Deletes the viewer's account through internal users.deleteUser (its policy, LAST_OWNER included, and its
 * `sites` choices apply). Accounts with a password must give it; accounts without one (OAuth or
 * email-code only) must have signed in within the last 10 minutes, else REAUTH_REQUIRED: sign in
 * again, then retry.
 * @throws INVALID_ARGUMENT (field password), RATE_LIMITED, REAUTH_REQUIRED, LAST_OWNER, …
 * @returns what happens to each site (users.deleteUser's answer).
 */
export const deleteAccount = action({
  args: { password: v.optional(v.string()), sites: v.optional(v.array(vDeleteChoice)) },
  returns: vDeleteResult,
  handler: async (ctx, { password, sites }): Promise<DeleteResult> => {
    const me = await ctx.runQuery(internal.account.credentials, {});
    if (me.passwordAccountId !== null) {
      if (!password) throw appError("INVALID_ARGUMENT", { field: "password", message: "Enter your password to delete your account." });
      await verifyPassword(ctx, me.passwordAccountId, password, "password");
    } else if (me.sessionCreatedAt === null || Date.now() - me.sessionCreatedAt > Account.REAUTH_WINDOW_MS) {
      throw Account.authError("REAUTH_REQUIRED", "For your security, sign in again, then delete your account.");
    }
    const result: DeleteResult = await ctx.runMutation(internal.users.deleteUser, { userId: me.userId, ...(sites ? { sites } : {}) });
    await ctx.runMutation(internal.account.forgetSessions, { userId: me.userId });
    return result;
  },
});

/**
 * Issue #17 personal data: the viewer's profile, accounts (provider and address only), sessions,
 * memberships, subscriptions, payments and invitations, plus the `ranges` of the long lists that
 * `personalDataPage` pages through. No user argument: only the viewer's own data.
 */
export const personalData = userQuery({
  args: {},
  returns: PersonalData.vPersonalSummary,
  handler: async (ctx) => await PersonalData.summary(ctx, ctx.viewer),
});

/**
 * One page of one of personalData's ranges (posts with their documents, notifications, emails,
 * audit entries, email deliveries).
 * @throws FORBIDDEN when the range names a member row that is not the viewer's.
 */
export const personalDataPage = userQuery({
  args: { range: PersonalData.vDataRange, paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(PersonalData.vDataItem),
  handler: async (ctx, { range, paginationOpts }) => await PersonalData.page(ctx, ctx.viewer, range, paginationOpts),
});

// ---------------------------------------------------------------------------------------------
// Internal: for this module's actions and convex/auth.ts

/** The viewer's id, password account (its email) and current session. Throws like userQuery. */
export const credentials = internalQuery({
  args: {},
  returns: v.object({
    userId: v.id("users"),
    passwordAccountId: v.union(v.string(), v.null()),
    sessionId: v.union(v.id("authSessions"), v.null()),
    sessionCreatedAt: v.union(v.number(), v.null()),
  }),
  handler: async (ctx) => await Account.credentialState(ctx, await requireViewer(ctx)),
});

/** Whether email-code sign-in may send a code to this (normalized) address: one user has it verified. */
export const canSignInByEmail = internalQuery({
  args: { email: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { email }) => {
    const users = await ctx.db
      .query("users")
      .withIndex("email", (q) => q.eq("email", email))
      // eslint-disable-next-line @convex-dev/no-filter-in-query -- inside one address's index range (a few rows)
      .filter((q) => q.neq(q.field("emailVerificationTime"), undefined))
      .take(2);
    return users.length === 1;
  },
});

/** After a password change: forget the ended sessions' metadata, and audit it. */
export const passwordChanged = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    await Account.sweepSessionMeta(ctx, userId);
    await audit(ctx, { actorId: userId, action: "user.password", entityType: "user", entityId: userId, after: { changed: true } });
    return null;
  },
});

/** Removes the user's sessionMeta rows (account deletion; users.deleteUser's cascade does not know them). */
export const forgetSessions = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    await Account.forgetSessionMeta(ctx, userId);
    return null;
  },
});
