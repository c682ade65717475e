// The sign-in flows behind the auth pages: password sign-up/sign-in, email codes, password
// reset. Every flow calls Convex anonymously (never with the browser's current cookies) and, on
// success, replaces both auth cookies, so a session planted before sign-in never survives it.
import { data, redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { appendPendingEmail, type Tokens } from "./cookies.server";
import {
  AUTH_COPY,
  authFormErrors,
  classifyAuthError,
  normalizeEmail,
  withUniformTiming,
  type FormErrors,
} from "./errors.server";
import { checkField, FIELDS } from "../../convex/shared/fields";
import { looksLikeEmail } from "./form-data.server";
import { type SignInArgs } from "./functions.server";
import { clientInfo, convexAs, startSession } from "./session.server";

export type FlowOutcome =
  | { type: "signedIn"; headers: Headers }
  | { type: "codeSent"; headers: Headers; email: string }
  | { type: "error"; errors: FormErrors; status: number };

/** Providers whose codes /verify accepts. */
export const CODE_PROVIDERS = ["password", "email-code"] as const;
export type CodeProvider = (typeof CODE_PROVIDERS)[number];

function invalid(fields: Record<string, string>): FlowOutcome {
  return { type: "error", errors: { fields }, status: 400 };
}

function failed(errors: FormErrors, status = 400): FlowOutcome {
  return { type: "error", errors, status };
}

async function callSignIn(args: SignInArgs) {
  return convexAs(null).action(api.auth.signIn, args);
}

async function signedIn(request: Request, tokens: Tokens): Promise<FlowOutcome> {
  const headers = await startSession(request, tokens);
  appendPendingEmail(headers, request, null);
  return { type: "signedIn", headers };
}

function codeSent(request: Request, email: string): FlowOutcome {
  return { type: "codeSent", headers: appendPendingEmail(new Headers(), request, email), email };
}

/** The client IP Convex's per-IP sign-in limit counts (convex/lib/rateLimits.ts). */
function clientIp(request: Request): string {
  return clientInfo(request).ipAddress ?? "direct";
}

/**
 * Password sign-in. Unknown emails, wrong passwords and rate limits answer alike for every
 * address, in the same minimum time (no user enumeration). An unverified account gets a new
 * code instead (`codeSent`). The limits (failures per address, known or not, and per client IP)
 * are kept in Convex (convex/auth.ts), so they hold across every server process.
 */
export async function passwordSignIn(request: Request, input: { email: string; password: string }): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  if (!email || !input.password) {
    return invalid({
      ...(email ? {} : { email: "Enter your email address." }),
      ...(input.password ? {} : { password: "Enter your password." }),
    });
  }
  return withUniformTiming(async () => {
    try {
      const result = await callSignIn({
        provider: "password",
        params: { email, password: input.password, flow: "signIn", clientIp: clientIp(request) },
      });
      if (result.tokens) return signedIn(request, result.tokens);
      // Right password, unverified address: Convex emailed a new code ({tokens: null}).
      return codeSent(request, email);
    } catch (error) {
      const failure = classifyAuthError(error);
      if (failure.kind === "rateLimited") return failed(authFormErrors(failure), 429);
      if (failure.kind === "credentials" || failure.kind === "unknown") {
        // A redacted (production) error here is almost always a credentials failure.
        if (failure.kind === "unknown") console.error("Password sign-in failed:", failure.message);
        return failed({ form: AUTH_COPY.wrongCredentials });
      }
      return failed(authFormErrors(failure));
    }
  });
}

/**
 * Password sign-up: emails an 8-digit code (`codeSent`), or, for an address that already has an
 * account, a notice to its owner (convex/auth.ts). Never signs in, and answers alike for every
 * address, in the same minimum time (no user enumeration). It shares sign-in's limits (kept in
 * Convex): refused while the address or client IP is locked out, and each attempt counts as a
 * failed sign-in for the address, so guessing through this form gains nothing over the sign-in form.
 */
export async function passwordSignUp(
  request: Request,
  input: { name: string; email: string; password: string },
): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  const fields: Record<string, string> = {};
  if (!looksLikeEmail(email)) fields.email = "Enter a valid email address.";
  const password = checkField(FIELDS.password, input.password);
  if (!password.ok) fields.password = password.message;
  const name = checkField(FIELDS.displayName, input.name);
  if (!name.ok) fields.name = name.message;
  if (Object.keys(fields).length) return invalid(fields);
  return withUniformTiming(async () => {
    try {
      // Tokens are never taken from a sign-up: the address is proven by the emailed code first.
      await callSignIn({
        provider: "password",
        params: { email, password: input.password, name: input.name, flow: "signUp", clientIp: clientIp(request) },
      });
      return codeSent(request, email);
    } catch (error) {
      const failure = classifyAuthError(error);
      if (failure.kind === "rateLimited") return failed(authFormErrors(failure), 429);
      return failed(authFormErrors(failure));
    }
  });
}

/** Password-less sign-in: emails a code to the address (new addresses get an account on verify). */
export async function requestEmailCode(request: Request, input: { email: string }): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  if (!looksLikeEmail(email)) return invalid({ email: "Enter a valid email address." });
  return withUniformTiming(async () => {
    try {
      await callSignIn({ provider: "email-code", params: { email } });
      return codeSent(request, email);
    } catch (error) {
      const failure = classifyAuthError(error);
      if (failure.kind === "rateLimited") return failed(authFormErrors(failure), 429);
      return failed(authFormErrors(failure));
    }
  });
}

/** Checks an emailed code (sign-up verification or password-less sign-in) and signs in. */
export async function verifyCode(
  request: Request,
  input: { provider: CodeProvider; email: string; code: string },
): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  const code = input.code.replace(/\s+/g, "");
  if (!email || !code) {
    return invalid({
      ...(email ? {} : { email: "Enter your email address." }),
      ...(code ? {} : { code: "Enter the code from the email." }),
    });
  }
  const params: Record<string, string> =
    input.provider === "password" ? { email, code, flow: "email-verification" } : { email, code };
  try {
    const result = await callSignIn({ provider: input.provider, params });
    // The address is proven: Convex forgets its failed attempts (sign-ups included).
    if (result.tokens) return signedIn(request, result.tokens);
    return failed({ fields: { code: AUTH_COPY.badCode } });
  } catch (error) {
    const failure = classifyAuthError(error);
    // Unknown email and wrong code read the same.
    if (failure.kind === "credentials" || failure.kind === "code" || failure.kind === "unknown") {
      if (failure.kind === "unknown") console.error("Code verification failed:", failure.message);
      return failed({ fields: { code: AUTH_COPY.badCode } });
    }
    return failed(authFormErrors(failure, { codeField: "code" }), failure.kind === "rateLimited" ? 429 : 400);
  }
}

/**
 * Starts a password reset. Known and unknown emails get the same answer in the same minimum
 * time: "if an account exists, we've emailed it a code".
 */
export async function requestPasswordReset(request: Request, input: { email: string }): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  if (!looksLikeEmail(email)) return invalid({ email: "Enter a valid email address." });
  return withUniformTiming(async () => {
    try {
      await callSignIn({ provider: "password", params: { email, flow: "reset" } });
    } catch (error) {
      const failure = classifyAuthError(error);
      if (failure.kind !== "credentials") console.error("Password reset request failed:", error instanceof Error ? error.message : error);
    }
    return codeSent(request, email);
  });
}

/** Finishes a password reset with the emailed code; signs in and ends the account's other sessions. */
export async function resetPassword(
  request: Request,
  input: { email: string; code: string; newPassword: string },
): Promise<FlowOutcome> {
  const email = normalizeEmail(input.email);
  const code = input.code.replace(/\s+/g, "");
  const fields: Record<string, string> = {};
  if (!email) fields.email = "Enter your email address.";
  if (!code) fields.code = "Enter the code from the email.";
  const newPassword = checkField(FIELDS.password, input.newPassword);
  if (!newPassword.ok) fields.newPassword = newPassword.message;
  if (Object.keys(fields).length) return invalid(fields);
  return withUniformTiming(async () => {
    try {
      const result = await callSignIn({
        provider: "password",
        params: { email, code, newPassword: input.newPassword, flow: "reset-verification" },
      });
      if (result.tokens) return signedIn(request, result.tokens);
      return failed({ fields: { code: AUTH_COPY.badCode } });
    } catch (error) {
      const failure = classifyAuthError(error);
      if (failure.kind === "weakPassword") return invalid({ newPassword: AUTH_COPY.weakPassword });
      if (failure.kind === "rateLimited") return failed(authFormErrors(failure), 429);
      if (failure.kind === "app") return failed(authFormErrors(failure));
      if (failure.kind === "unknown") console.error("Password reset failed:", failure.message);
      return failed({ fields: { code: AUTH_COPY.badCode } });
    }
  });
}

/**
 * The response for a flow outcome: signed in → `redirectTo`; code sent → /verify (which knows
 * the provider); errors → 4xx with `{ errors }` for the form.
 */
export function flowResponse(outcome: FlowOutcome, redirectTo: string, provider: CodeProvider) {
  if (outcome.type === "signedIn") return redirect(redirectTo, { headers: outcome.headers });
  if (outcome.type === "codeSent") {
    const q = new URLSearchParams({ provider });
    if (redirectTo !== "/") q.set("redirectTo", redirectTo);
    return redirect(`/verify?${q}`, { headers: outcome.headers });
  }
  return data({ errors: outcome.errors }, { status: outcome.status });
}
