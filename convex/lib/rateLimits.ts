import { HOUR, RateLimiter, type RateLimitConfig } from "@convex-dev/rate-limiter";
import { components } from "../_generated/api";
import { env } from "../env";

// The sign-in rate limits, defined once and stored in Convex (the @convex-dev/rate-limiter
// component, convex/convex.config.ts), so a limit holds however many app servers and workers call
// in. convex/auth.ts and convex/account.ts apply them; @convex-dev/auth's own per-account limit
// (authRateLimits, same numbers) stays underneath as a backstop and is never read back.

/** Failed passwords per address (known or not) and wrong codes per address an hour; then one per 6 minutes. */
export const MAX_FAILED_SIGN_INS_PER_HOUR = 10;
/** Failed password sign-ins per client IP an hour, across addresses (AUTH_IP_ATTEMPTS_PER_HOUR overrides). */
export const DEFAULT_FAILED_SIGN_INS_PER_IP_PER_HOUR = 50;

function perIpPerHour(): number {
  const n = Number(env.AUTH_IP_ATTEMPTS_PER_HOUR);
  return Number.isFinite(n) && n >= 1 ? n : DEFAULT_FAILED_SIGN_INS_PER_IP_PER_HOUR;
}

// Token buckets: a full bucket allows a burst of `rate` failures, then refills continuously.
// Built per call, so a changed AUTH_IP_ATTEMPTS_PER_HOUR applies without a push.
const LIMITS = {
  /** Failed password sign-ins, sign-ups (a sign-up may be a password guess) and password checks, per address. */
  failedSignIn: (): RateLimitConfig => ({ kind: "token bucket", rate: MAX_FAILED_SIGN_INS_PER_HOUR, period: HOUR }),
  /** Failed password sign-ins per client IP, whatever the address: stops one client trying many accounts. */
  failedSignInByIp: (): RateLimitConfig => ({ kind: "token bucket", rate: perIpPerHour(), period: HOUR }),
  /** Wrong emailed codes (verification, reset, password-less sign-in), per address. */
  failedCode: (): RateLimitConfig => ({ kind: "token bucket", rate: MAX_FAILED_SIGN_INS_PER_HOUR, period: HOUR }),
  /** Join codes emailed to one address, whatever the site: nobody floods an inbox through join forms. */
  audienceJoinByAddress: (): RateLimitConfig => ({ kind: "token bucket", rate: MAX_JOIN_CODES_PER_ADDRESS_PER_HOUR, period: HOUR }),
  /** Join codes one site sends, whatever the address: a form cannot be used to mail the world. */
  audienceJoinBySite: (): RateLimitConfig => ({ kind: "token bucket", rate: MAX_JOIN_CODES_PER_SITE_PER_HOUR, period: HOUR }),
  /** Test sends of a post email, per user: they go only to the sender, but each one is a provider call. */
  testSendByUser: (): RateLimitConfig => ({ kind: "token bucket", rate: MAX_TEST_SENDS_PER_HOUR, period: HOUR }),
};

/** Test sends (convex/sends.ts testSend) per user an hour. */
export const MAX_TEST_SENDS_PER_HOUR = 20;

/** Join codes (convex/audience.ts join) per address an hour, across sites. */
export const MAX_JOIN_CODES_PER_ADDRESS_PER_HOUR = 5;
/** Join codes per site an hour, across addresses. */
export const MAX_JOIN_CODES_PER_SITE_PER_HOUR = 500;

const rateLimiter = new RateLimiter(components.rateLimiter);

type LimitName = keyof typeof LIMITS;
type Ctx = Parameters<typeof rateLimiter.limit>[0];
/** The limits one attempt counts against: a name and its key (an address or a client IP). */
export type Keys = Array<[LimitName, string | undefined]>;

/** Milliseconds until every limit in `keys` allows another attempt; 0 when they all do now. */
export async function waitFor(ctx: Ctx, keys: Keys): Promise<number> {
  let wait = 0;
  for (const [name, key] of keys) {
    if (key === undefined) continue;
    const status = await rateLimiter.check(ctx, name, { key, config: LIMITS[name]() });
    if (!status.ok) wait = Math.max(wait, status.retryAfter);
  }
  return wait;
}

/** Counts one failure against every limit in `keys`; returns the wait that leaves (0: may try again now). */
export async function recordFailure(ctx: Ctx, keys: Keys): Promise<number> {
  for (const [name, key] of keys) {
    if (key !== undefined) await rateLimiter.limit(ctx, name, { key, config: LIMITS[name]() });
  }
  return await waitFor(ctx, keys);
}

/** Forgets the failures counted for `key` (a proven address starts again). */
export async function resetLimit(ctx: Ctx, name: LimitName, key: string): Promise<void> {
  await rateLimiter.reset(ctx, name, { key, config: LIMITS[name]() });
}

/**
 * Counts one attempt against every limit in `keys` when all of them allow it (none is spent
 * otherwise). For actions that cost something each time (emailing a code), not only on failure.
 * @returns 0 when counted, else the milliseconds until every limit allows it.
 */
export async function consume(ctx: Ctx, keys: Keys): Promise<number> {
  const wait = await waitFor(ctx, keys);
  if (wait > 0) return wait;
  for (const [name, key] of keys) {
    if (key !== undefined) await rateLimiter.limit(ctx, name, { key, config: LIMITS[name]() });
  }
  return 0;
}
