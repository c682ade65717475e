/**
 * The deployment's environment variables for Convex functions: the one module in convex/ that reads
 * `process.env` (ESLint's no-restricted-properties forbids it elsewhere;
 * auth.config.ts keeps Convex's documented form). Each getter reads when it is
 * called, never at import: a deployment's variables change (`npx convex env set`, `npm run
 * local-backend -- env set`) without a new push, and a module is evaluated once per isolate.
 * Values are returned as set (`undefined` when unset); each caller keeps its own default.
 */
export const env = {
  /** The app's public origin, for links in emails and Stripe's return URLs. */
  get SITE_URL(): string | undefined {
    return process.env.SITE_URL;
  },
  /** The deployment's HTTP actions origin (Convex sets it): RFC 8058 one-click unsubscribe URLs in post emails. */
  get CONVEX_SITE_URL(): string | undefined {
    return process.env.CONVEX_SITE_URL;
  },
  /** Stripe: billing is on when the secret key is set. */
  get STRIPE_SECRET_KEY(): string | undefined {
    return process.env.STRIPE_SECRET_KEY;
  },
  /** Stripe API origin override (the Stripe fake in development and tests). */
  get STRIPE_API_BASE(): string | undefined {
    return process.env.STRIPE_API_BASE;
  },
  get STRIPE_WEBHOOK_SECRET(): string | undefined {
    return process.env.STRIPE_WEBHOOK_SECRET;
  },
  /** Resend: mail is sent when the key is set, otherwise it goes to the outbox table. */
  get RESEND_API_KEY(): string | undefined {
    return process.env.RESEND_API_KEY;
  },
  get RESEND_API_URL(): string | undefined {
    return process.env.RESEND_API_URL;
  },
  /** Resend webhook signing secret (whsec_…): POST /resend/webhook answers 500 until it is set. */
  get RESEND_WEBHOOK_SECRET(): string | undefined {
    return process.env.RESEND_WEBHOOK_SECRET;
  },
  get EMAIL_FROM(): string | undefined {
    return process.env.EMAIL_FROM;
  },
  /**
   * The HMAC key of members' unsubscribe/preferences links and join-code hashes
   * (convex/lib/memberTokens.ts); `npm start` generates one for a fresh local backend.
   */
  get MEMBER_TOKEN_SECRET(): string | undefined {
    return process.env.MEMBER_TOKEN_SECRET;
  },
  /** @convex-dev/auth's signing key; memberTokens.ts derives its key from it when MEMBER_TOKEN_SECRET is unset. */
  get JWT_PRIVATE_KEY(): string | undefined {
    return process.env.JWT_PRIVATE_KEY;
  },
  /** DNS-over-HTTPS resolver for custom-domain verification. */
  get DNS_RESOLVER_URL(): string | undefined {
    return process.env.DNS_RESOLVER_URL;
  },
  /** Failed password sign-ins per client IP an hour (convex/lib/rateLimits.ts); a number. */
  get AUTH_IP_ATTEMPTS_PER_HOUR(): string | undefined {
    return process.env.AUTH_IP_ATTEMPTS_PER_HOUR;
  },
  /** OAuth providers (convex/auth.ts): each is on when its id and secret are set. */
  get AUTH_GITHUB_ID(): string | undefined {
    return process.env.AUTH_GITHUB_ID;
  },
  get AUTH_GITHUB_SECRET(): string | undefined {
    return process.env.AUTH_GITHUB_SECRET;
  },
  get AUTH_GITHUB_ENTERPRISE_URL(): string | undefined {
    return process.env.AUTH_GITHUB_ENTERPRISE_URL;
  },
  get AUTH_GOOGLE_ID(): string | undefined {
    return process.env.AUTH_GOOGLE_ID;
  },
  get AUTH_GOOGLE_SECRET(): string | undefined {
    return process.env.AUTH_GOOGLE_SECRET;
  },
  get AUTH_GOOGLE_ISSUER(): string | undefined {
    return process.env.AUTH_GOOGLE_ISSUER;
  },
};
