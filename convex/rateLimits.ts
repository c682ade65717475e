import { v } from "convex/values";
import { internalQuery } from "./lib/functions";
import { signInLimit } from "./model/account";

// The sign-in rate limit as @convex-dev/auth keeps it (authRateLimits), read back so a refused
// sign-in can say how long to wait (auth.ts turns it into a RATE_LIMITED error).

/**
 * Whether sign-in attempts for an address are locked out now, and for how long. With `provider`
 * ("password"), the limit of that provider's account for the address; without, the limit on codes
 * sent to the address.
 */
export const signInStatus = internalQuery({
  args: { email: v.string(), provider: v.optional(v.string()) },
  returns: v.object({ limited: v.boolean(), retryAfterMs: v.number() }),
  handler: async (ctx, args) => await signInLimit(ctx, args),
});
