import GitHub from "@auth/core/providers/github";
import Google, { type GoogleProfile } from "@auth/core/providers/google";
import { ConvexCredentials } from "@convex-dev/auth/providers/ConvexCredentials";
import { Email } from "@convex-dev/auth/providers/Email";
import { Password } from "@convex-dev/auth/providers/Password";
import {
  convexAuth,
  createAccount,
  retrieveAccount,
  signInViaProvider,
  type AuthProviderConfig,
  type GenericActionCtxWithAuthConfig,
} from "@convex-dev/auth/server";
import type { Value } from "convex/values";
import { internal } from "./_generated/api";
import type { DataModel, Id } from "./_generated/dataModel";
import type { ActionCtx, MutationCtx, QueryCtx } from "./_generated/server";
import { env } from "./env";
import { appError } from "./lib/errors";
import {
  beforeSessionCreation,
  checkName,
  checkNewPassword,
  checkTokenSubject,
  CODE_TTL_MINUTES,
  createOrUpdateUser,
  invalidCode,
  invalidCredentials,
  isConvexError,
  MAX_FAILED_SIGN_INS_PER_HOUR,
  normalizeCode,
  normalizeEmail,
  randomDigits,
  rateLimited,
  type CreateOrUpdateUserArgs,
} from "./model/account";
import {
  accountExistsEmail,
  passwordResetCodeEmail,
  sendEmail,
  signInCodeEmail,
  verificationCodeEmail,
  type RenderedEmail,
} from "./model/email";
import type { EmailKind } from "./validators";

// Sign-in for Pressroom, on @convex-dev/auth (`auth:signIn`, `auth:signOut`, `auth:store`,
// `auth:isAuthenticated`). Providers:
//   password    email + password. Flows (params.flow): "signUp" {email, password, name} and "signIn"
//               {email, password} answer {tokens: null} and email an 8-digit code until the address is
//               verified (sign-up for an address with an account never signs in: it answers
//               {tokens: null} too, counts as a failed sign-in and emails the owner a notice); "email-verification" {email, code} then signs in. "reset" {email} emails a
//               code (also, silently, for unknown addresses); "reset-verification" {email, code,
//               newPassword} sets the password, signs in and ends the account's other sessions.
//   email-code  password-less sign-in: {email} emails a code to an existing account with a verified
//               address ({tokens: null}; nothing is sent for other addresses), {email, code} signs in.
//   github, google  OAuth, only when AUTH_GITHUB_ID/SECRET and AUTH_GOOGLE_ID/SECRET are set (read when
//               the modules load). AUTH_GITHUB_ENTERPRISE_URL points GitHub at a GitHub Enterprise
//               server, AUTH_GOOGLE_ISSUER points Google at another OpenID issuer (tests use both).
//   OAuth: {provider} answers {redirect, verifier}; the provider comes back to SITE_URL?code=…, and
//               {params: {code}, verifier} gives tokens ({tokens: null} for a wrong verifier or code).
//               Refusals (deactivated user, bad ID token) come back to SITE_URL without a code.
//   {refreshToken} refreshes: {tokens} or {tokens: null} when the session has ended.
// Expected failures are ConvexErrors {code, message, field?}: INVALID_ARGUMENT (field email, name,
// password, newPassword), INVALID_CREDENTIALS, INVALID_CODE, RATE_LIMITED {retryAfterMs,
// retryAfterMinutes} after 10 failed passwords per account or 10 wrong codes per address in an hour
// (then one more every 6 minutes), and USER_INACTIVE (sign-in, code requests and refreshes of
// deactivated users). Accounts, users and sessions: model/account.ts.

type Ctx = GenericActionCtxWithAuthConfig<DataModel>;
type Params = Partial<Record<string, Value | undefined>>;
type SignInResult = { userId: Id<"users">; sessionId?: Id<"authSessions"> } | null;
type Authorize = (params: Params, ctx: Ctx) => Promise<SignInResult>;

/** An emailed 8-digit one-time code (valid CODE_TTL_MINUTES), sent through model/email.ts. */
function otpProvider(id: string, kind: EmailKind, render: (code: string, minutes: number) => RenderedEmail) {
  return Email({
    id,
    maxAge: CODE_TTL_MINUTES * 60,
    generateVerificationToken: async () => randomDigits(8),
    // @convex-dev/auth passes the action ctx as a second argument (untyped in Auth.js's signature).
    sendVerificationRequest: async ({ identifier, token }, ctx?: unknown) => {
      await sendEmail(ctx as ActionCtx, { to: identifier, kind, ...render(token, CODE_TTL_MINUTES) });
    },
  });
}

const verifyEmailCode = otpProvider("password-verify", "verify-email", verificationCodeEmail);
const resetPasswordCode = otpProvider("password-reset", "password-reset", passwordResetCodeEmail);
const signInCode = otpProvider("email-code-otp", "sign-in-code", signInCodeEmail);

/** A failed code check: RATE_LIMITED when the address is locked out now, else INVALID_CODE. */
async function codeFailure(ctx: Ctx, email: string): Promise<never> {
  const limit = await ctx.runQuery(internal.rateLimits.signInStatus, { email });
  throw limit.limited ? rateLimited(limit.retryAfterMs) : invalidCode();
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Sign-up for an address that already has a password account. The library would treat it as a
 * sign-in without the sign-in limit (the right password signed in, a wrong one answered "already
 * exists", and that told anyone which addresses have accounts). Instead it never signs in: the
 * attempt is charged to the account's sign-in limit like a wrong password (the library's own
 * check, run with a secret nobody knows), and the owner is emailed a notice with sign-in and reset
 * links instead of a code (none while the account is locked out). The caller sees {tokens: null},
 * as for a new address.
 * @returns false when the address has no password account (a normal sign-up follows).
 */
async function signUpForExistingAccount(ctx: Ctx, email: string): Promise<boolean> {
  try {
    await retrieveAccount(ctx, { provider: "password", account: { id: email, secret: `${crypto.randomUUID()}${crypto.randomUUID()}` } });
  } catch (e) {
    const message = errorMessage(e);
    if (message === "InvalidAccountId") return false;
    if (message === "TooManyFailedAttempts") return true;
    if (message !== "InvalidSecret") throw e;
  }
  await sendEmail(ctx, { to: email, kind: "account-exists", ...accountExistsEmail(env.SITE_URL ?? "") });
  return true;
}

/** @convex-dev/auth's code failures (thrown as plain Errors by the library). */
const CODE_FAILURES = new Set(["Could not verify code", "Invalid code"]);

const password = Password<DataModel>({
  profile: (params) => ({
    email: normalizeEmail(params.email),
    ...(params.flow === "signUp" ? { name: checkName(params.name) } : {}),
  }),
  validatePasswordRequirements: (p) => void checkNewPassword(p, "password"),
  verify: verifyEmailCode,
  reset: resetPasswordCode,
});

// Password's own authorize, wrapped: inputs are checked and normalized (lowercased email, code
// without spaces) before it runs, and the library's plain errors become ConvexErrors with codes.
const passwordOptions = (password as unknown as { options: { authorize: Authorize } }).options;
const passwordAuthorize = passwordOptions.authorize;
passwordOptions.authorize = async (params, ctx) => {
  const flow = typeof params.flow === "string" ? params.flow : undefined;
  const email = normalizeEmail(params.email);
  const normalized: Params = { ...params, email };
  if (flow === "signUp") {
    checkName(params.name);
    checkNewPassword(params.password, "password");
    if (await signUpForExistingAccount(ctx, email)) return null;
  }
  if (flow === "signIn" && (typeof params.password !== "string" || params.password === "")) {
    throw appError("INVALID_ARGUMENT", { field: "password", message: "Enter your password." });
  }
  if (flow === "reset-verification") checkNewPassword(params.newPassword, "newPassword");
  if (params.code !== undefined) normalized.code = normalizeCode(params.code);
  try {
    return await passwordAuthorize(normalized, ctx);
  } catch (e) {
    if (isConvexError(e)) throw e;
    const message = errorMessage(e);
    if (message === "TooManyFailedAttempts") {
      const limit = await ctx.runQuery(internal.rateLimits.signInStatus, { email, provider: "password" });
      throw rateLimited(limit.retryAfterMs || 60_000);
    }
    if (message === "InvalidSecret" || message === "Invalid credentials") {
      // The failure that used up the last attempt already says how long to wait.
      const limit = await ctx.runQuery(internal.rateLimits.signInStatus, { email, provider: "password" });
      throw limit.limited ? rateLimited(limit.retryAfterMs) : invalidCredentials();
    }
    if (message === "InvalidAccountId") {
      if (flow === "reset") return null; // unknown address: answer as if a code went out
      if (flow === "reset-verification" || flow === "email-verification") throw invalidCode();
      throw invalidCredentials();
    }
    if (CODE_FAILURES.has(message)) return await codeFailure(ctx, email);
    // Another sign-up for the address won the race: answer as for any sign-up (no enumeration).
    if (flow === "signUp" && /already exists/.test(message)) return null;
    throw e;
  }
};

/** Password-less sign-in by an emailed code, for existing accounts with a verified address. */
const emailCode = ConvexCredentials<DataModel>({
  id: "email-code",
  authorize: async (params, ctx) => {
    const email = normalizeEmail(params.email);
    const code = params.code === undefined || params.code === null ? "" : normalizeCode(params.code);
    if (code === "") {
      // Same answer whether or not the address has an account: nothing to learn from it.
      if (!(await ctx.runQuery(internal.account.canSignInByEmail, { email }))) return null;
      // The account that receives codes is a top-level provider's (code checks need that), linked
      // to the user with this verified address.
      const { account } = await createAccount(ctx, {
        provider: "email-code",
        account: { id: email },
        profile: { email },
        shouldLinkViaEmail: true,
      });
      await signInViaProvider(ctx, signInCode, { accountId: account._id, params: { email } });
      return null;
    }
    try {
      const result = await signInViaProvider(ctx, signInCode, { params: { email, code } });
      if (result) return result;
    } catch (e) {
      if (isConvexError(e) || !CODE_FAILURES.has(errorMessage(e))) throw e;
    }
    return await codeFailure(ctx, email);
  },
  extraProviders: [signInCode],
});

function oauthProviders(env: Record<string, string | undefined>): AuthProviderConfig[] {
  const out: AuthProviderConfig[] = [];
  if (env.AUTH_GITHUB_ID && env.AUTH_GITHUB_SECRET) {
    out.push(GitHub(env.AUTH_GITHUB_ENTERPRISE_URL ? { enterprise: { baseUrl: env.AUTH_GITHUB_ENTERPRISE_URL } } : {}));
  }
  if (env.AUTH_GOOGLE_ID && env.AUTH_GOOGLE_SECRET) {
    out.push(
      Google({
        ...(env.AUTH_GOOGLE_ISSUER ? { issuer: env.AUTH_GOOGLE_ISSUER } : {}),
        // Google says whether it verified the address; only verified addresses link to existing users.
        profile: (p: GoogleProfile) =>
          ({ id: p.sub, name: p.name, email: p.email, image: p.picture, emailVerified: p.email_verified === true }) as {
            id: string;
          },
      }),
    );
  }
  return out;
}

export const { auth, signIn, signOut, store, isAuthenticated } = convexAuth({
  providers: [password, emailCode, ...oauthProviders(env)],
  signIn: { maxFailedAttempsPerHour: MAX_FAILED_SIGN_INS_PER_HOUR },
  // Not for claims: refuses to sign JWTs (refreshes included) for deactivated users.
  jwt: { customClaims: async (ctx, { userId }) => await checkTokenSubject(ctx as unknown as QueryCtx, userId as Id<"users">) },
  callbacks: {
    createOrUpdateUser: async (ctx, args) =>
      await createOrUpdateUser(ctx as unknown as MutationCtx, args as unknown as CreateOrUpdateUserArgs),
    beforeSessionCreation: async (ctx, { userId }) =>
      await beforeSessionCreation(ctx as unknown as MutationCtx, userId as Id<"users">),
  },
});
