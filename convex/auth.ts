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
import { MAX_FAILED_SIGN_INS_PER_HOUR, recordFailure, resetLimit, waitFor, type Keys } from "./lib/rateLimits";
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
// retryAfterMinutes} after 10 failed passwords or sign-ups per address (known or not), 50 failed
// passwords per client IP (params.clientIp, which the app server sends) or 10 wrong codes per address
// in an hour (then one more every 6 minutes; lib/rateLimits.ts), and USER_INACTIVE (sign-in, code
// requests and refreshes of deactivated users). Accounts, users and sessions: model/account.ts.

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

/** @throws RATE_LIMITED while any of the limits in `keys` refuses another attempt. */
async function refuseWhileLimited(ctx: Ctx, keys: Keys): Promise<void> {
  const wait = await waitFor(ctx, keys);
  if (wait > 0) throw rateLimited(wait);
}

/** A failure counted against `keys`: RATE_LIMITED when it used up the last attempt, else `otherwise`. */
async function countedFailure(ctx: Ctx, keys: Keys, otherwise: () => Error): Promise<never> {
  const wait = await recordFailure(ctx, keys);
  throw wait > 0 ? rateLimited(wait) : otherwise();
}

/** A wrong code: counted per address; RATE_LIMITED when it was the last attempt, else INVALID_CODE. */
async function codeFailure(ctx: Ctx, email: string): Promise<never> {
  return await countedFailure(ctx, [["failedCode", email]], invalidCode);
}

/** A proven address starts again: its failed sign-ins and wrong codes are forgotten. */
async function provenAddress(ctx: Ctx, email: string): Promise<void> {
  await resetLimit(ctx, "failedSignIn", email);
  await resetLimit(ctx, "failedCode", email);
}

/** The client IP the app server reports (params.clientIp), for the per-IP limit; none: no per-IP limit. */
function clientIpOf(params: Params): string | undefined {
  return typeof params.clientIp === "string" && params.clientIp !== "" ? params.clientIp.slice(0, 100) : undefined;
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
// without spaces) before it runs, the rate limits (lib/rateLimits.ts) apply, and the library's
// plain errors become ConvexErrors with codes.
const passwordOptions = (password as unknown as { options: { authorize: Authorize } }).options;
const passwordAuthorize = passwordOptions.authorize;
passwordOptions.authorize = async (params, ctx) => {
  const flow = typeof params.flow === "string" ? params.flow : undefined;
  const email = normalizeEmail(params.email);
  const { clientIp: _clientIp, ...rest } = params;
  const normalized: Params = { ...rest, email };
  // Failed passwords count per address, known or not (so an unknown one locks out after the same
  // number of tries as a real account, with the same wait), and per client IP.
  const signInKeys: Keys = [["failedSignIn", email], ["failedSignInByIp", clientIpOf(params)]];
  const codeFlow = flow === "email-verification" || flow === "reset-verification";
  if (flow === "signUp") {
    checkName(params.name);
    checkNewPassword(params.password, "password");
    await refuseWhileLimited(ctx, signInKeys);
    // Each sign-up counts as a failed sign-in for the address (it may be a password guess), not
    // for the IP: sign-ups from one shared address (an office, a school) are not failures.
    await recordFailure(ctx, [["failedSignIn", email]]);
    if (await signUpForExistingAccount(ctx, email)) return null;
  }
  if (flow === "signIn") {
    if (typeof params.password !== "string" || params.password === "") {
      throw appError("INVALID_ARGUMENT", { field: "password", message: "Enter your password." });
    }
    await refuseWhileLimited(ctx, signInKeys);
  }
  if (flow === "reset-verification") checkNewPassword(params.newPassword, "newPassword");
  if (codeFlow) await refuseWhileLimited(ctx, [["failedCode", email]]);
  if (params.code !== undefined) normalized.code = normalizeCode(params.code);
  let result: SignInResult;
  try {
    result = await passwordAuthorize(normalized, ctx);
  } catch (e) {
    if (isConvexError(e)) throw e;
    const message = errorMessage(e);
    if (message === "TooManyFailedAttempts") {
      // The library's own per-account limit (a backstop with the same numbers) refused first.
      const wait = await recordFailure(ctx, signInKeys);
      throw rateLimited(wait || 60_000);
    }
    if (message === "InvalidSecret" || message === "Invalid credentials") {
      // The failure that used up the last attempt already says how long to wait.
      return await countedFailure(ctx, signInKeys, invalidCredentials);
    }
    if (message === "InvalidAccountId") {
      if (flow === "reset") return null; // unknown address: answer as if a code went out
      if (codeFlow) throw invalidCode();
      return await countedFailure(ctx, signInKeys, invalidCredentials);
    }
    if (CODE_FAILURES.has(message)) return await codeFailure(ctx, email);
    // Another sign-up for the address won the race: answer as for any sign-up (no enumeration).
    if (flow === "signUp" && /already exists/.test(message)) return null;
    throw e;
  }
  // Signed in (a right password for an unverified address only emails a code: null): the address
  // starts again; a right code also clears the wrong codes.
  if (result !== null && flow === "signIn") await resetLimit(ctx, "failedSignIn", email);
  if (result !== null && codeFlow) await provenAddress(ctx, email);
  return result;
};

/** Password-less sign-in by an emailed code, for existing accounts with a verified address. */
const emailCode = ConvexCredentials<DataModel>({
  id: "email-code",
  authorize: async (params, ctx) => {
    const email = normalizeEmail(params.email);
    const code = params.code === undefined || params.code === null ? "" : normalizeCode(params.code);
    if (code !== "") await refuseWhileLimited(ctx, [["failedCode", email]]);
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
      if (result) {
        await provenAddress(ctx, email);
        return result;
      }
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
