// How sign-in failures reach users. Convex functions throw ConvexErrors `{code, message?, field?}`:
// convex/auth.ts turns @convex-dev/auth's plain errors into INVALID_CREDENTIALS, INVALID_CODE,
// RATE_LIMITED {retryAfterMs} and INVALID_ARGUMENT {field, message}; other codes take their copy
// and the text users see from convex/shared/errors.ts toUserError (the one rule for what is safe to
// show). Plain library messages ("InvalidSecret", "InvalidAccountId",
// "TooManyFailedAttempts", "Could not verify code", "Account … already exists") are still
// recognised, and since a production deployment redacts plain messages to "Server Error", each
// form also has a safe default for failures it cannot read.
import { ConvexError } from "convex/values";
import { toUserError, UNEXPECTED_MESSAGE } from "../../convex/shared/errors";
import { serverEnv } from "../env.server";
import type { FormErrors } from "./forms";

export type { FormErrors };

export const AUTH_COPY = {
  wrongCredentials: "Wrong email or password.",
  badCode: "That code is wrong or has expired. Check the latest email, or ask for a new code.",
  emailTaken: "That email is already registered. Sign in instead?",
  weakPassword: "Use at least 8 characters.",
  tooManyAttempts: (minutes: number) =>
    `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  unexpected: UNEXPECTED_MESSAGE,
  codeSent: "If an account exists for that address, we've emailed it a code.",
} as const;

export type AuthFailure =
  | { kind: "credentials" }
  | { kind: "code" }
  | { kind: "emailTaken" }
  | { kind: "weakPassword" }
  | { kind: "rateLimited"; retryAfterMs?: number }
  | { kind: "app"; code: string; field?: string; message: string }
  | { kind: "unknown"; message: string };

// The sign-in codes convex/auth.ts and convex/account.ts throw (convex/model/account.ts).
const AUTH_CODES: Record<string, AuthFailure["kind"]> = {
  INVALID_CREDENTIALS: "credentials",
  INVALID_CODE: "code",
  RATE_LIMITED: "rateLimited",
};

/** Classifies an error thrown by a Convex call in the sign-in flows. */
export function classifyAuthError(error: unknown): AuthFailure {
  if (error instanceof ConvexError) {
    const failure = toUserError(error);
    const kind = failure.code ? AUTH_CODES[failure.code] : undefined;
    if (kind === "rateLimited") {
      const after = failure.data?.retryAfterMs ?? failure.data?.retryAfter;
      return { kind, retryAfterMs: typeof after === "number" ? after : undefined };
    }
    if (kind) return { kind } as AuthFailure;
    return { kind: "app", code: failure.code ?? "", field: failure.field, message: failure.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/TooManyFailedAttempts/.test(message)) return { kind: "rateLimited" };
  if (/InvalidSecret|InvalidAccountId|Invalid credentials/.test(message)) return { kind: "credentials" };
  if (/Could not verify code|Invalid code|Invalid verifier/.test(message)) return { kind: "code" };
  if (/already exists/.test(message)) return { kind: "emailTaken" };
  if (/Invalid password/.test(message)) return { kind: "weakPassword" };
  return { kind: "unknown", message };
}

/** Minutes to show for a rate limit (at least 1). */
export function minutesFrom(ms: number | undefined, fallbackMinutes = 6): number {
  if (ms === undefined || !Number.isFinite(ms)) return fallbackMinutes;
  return Math.max(1, Math.ceil(ms / 60_000));
}

/** Form errors for a failure; `passwordField` names the field a weak-password error belongs to. */
export function authFormErrors(failure: AuthFailure, options: { passwordField?: string; codeField?: string } = {}): FormErrors {
  switch (failure.kind) {
    case "credentials":
      return { form: AUTH_COPY.wrongCredentials };
    case "code":
      return options.codeField ? { fields: { [options.codeField]: AUTH_COPY.badCode } } : { form: AUTH_COPY.badCode };
    case "emailTaken":
      return { fields: { email: AUTH_COPY.emailTaken } };
    case "weakPassword":
      return { fields: { [options.passwordField ?? "password"]: AUTH_COPY.weakPassword } };
    case "rateLimited":
      return { form: AUTH_COPY.tooManyAttempts(minutesFrom(failure.retryAfterMs)) };
    case "app":
      return failure.field ? { fields: { [failure.field]: failure.message } } : { form: failure.message };
    case "unknown":
      console.error("Auth flow error:", failure.message);
      return { form: AUTH_COPY.unexpected };
  }
}

// --- Uniform answers for sign-in and reset -------------------------------------------------

/**
 * Minimum time a sign-in or reset request takes, so an unknown email (answered at once) looks
 * like a known one (a password hash, an email). `AUTH_MIN_RESPONSE_MS` overrides it.
 */
export function minimumAuthResponseMs(): number {
  const env = Number(serverEnv.AUTH_MIN_RESPONSE_MS);
  return Number.isFinite(env) && env >= 0 ? env : 750;
}

/** Runs `work`, then waits until at least `minimumAuthResponseMs()` have passed since `start`. */
export async function withUniformTiming<T>(work: () => Promise<T>, start = Date.now()): Promise<T> {
  try {
    return await work();
  } finally {
    const rest = minimumAuthResponseMs() - (Date.now() - start);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
