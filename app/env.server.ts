/**
 * The app server's environment variables, typed: the one module in app/ that reads `process.env`
 * (ESLint's no-restricted-properties forbids it elsewhere; app/server/index.ts only sets NODE_ENV's
 * default). Each getter reads when called, as the code it replaced did: tests set these per test,
 * and a read is cheap. Values are returned as set (`undefined` when unset); parsing and defaults stay
 * with the caller that owns them. Convex functions have their own: convex/env.ts.
 */
export const serverEnv = {
  /** The Convex deployment (the local backend under `npm start`). Required: convexUrl() says so. */
  get CONVEX_URL(): string | undefined {
    return process.env.CONVEX_URL;
  },
  /** Admin (deploy) key for trusted server calls: view counting, the dev mailbox. */
  get CONVEX_ADMIN_KEY(): string | undefined {
    return process.env.CONVEX_ADMIN_KEY;
  },
  get NODE_ENV(): string | undefined {
    return process.env.NODE_ENV;
  },
  /** Pins the reader's ETag salt across instances; random per process otherwise. */
  get BUILD_ID(): string | undefined {
    return process.env.BUILD_ID;
  },
  /** "on" | "off"; unset: on in production only. */
  get READER_CACHE(): string | undefined {
    return process.env.READER_CACHE;
  },
  /** Query-cache live subscriptions (a number; default 5000). */
  get READER_CACHE_MAX(): string | undefined {
    return process.env.READER_CACHE_MAX;
  },
  /** Query-cache bytes: its results' JSON (a number; default 32 MiB). */
  get READER_CACHE_BYTES(): string | undefined {
    return process.env.READER_CACHE_BYTES;
  },
  /** Reader response-cache bytes (a number; default 64 MiB). */
  get READER_RESPONSE_CACHE_BYTES(): string | undefined {
    return process.env.READER_RESPONSE_CACHE_BYTES;
  },
  /** Minimum sign-in/reset response time in ms (a number; default 750). */
  get AUTH_MIN_RESPONSE_MS(): string | undefined {
    return process.env.AUTH_MIN_RESPONSE_MS;
  },
  /** Comma-separated OAuth providers to offer (github, google). */
  get AUTH_OAUTH_PROVIDERS(): string | undefined {
    return process.env.AUTH_OAUTH_PROVIDERS;
  },
  /** A folder: on SIGUSR2 each app server worker writes a V8 heap snapshot there (app/server/index.ts). */
  get HEAP_SNAPSHOT_DIR(): string | undefined {
    return process.env.HEAP_SNAPSHOT_DIR;
  },
  /** "1": serve /dev/mailbox (development only). */
  get PRESSROOM_DEV_MAILBOX(): string | undefined {
    return process.env.PRESSROOM_DEV_MAILBOX;
  },
  /** The local Resend fake (tools/resend-fake) that `npm start` runs; /dev/mailbox reads its messages. */
  get RESEND_FAKE_URL(): string | undefined {
    return process.env.RESEND_FAKE_URL;
  },
  /** Hosts: the root domain of `<slug>.<root>` sites, the site URL form, the platform's origin. */
  get ROOT_DOMAIN(): string | undefined {
    return process.env.ROOT_DOMAIN;
  },
  get SITE_URL_FORM(): string | undefined {
    return process.env.SITE_URL_FORM;
  },
  get PLATFORM_URL(): string | undefined {
    return process.env.PLATFORM_URL;
  },
  /** The HTTP server (app/server/index.ts). */
  get PORT(): string | undefined {
    return process.env.PORT;
  },
  get HOST(): string | undefined {
    return process.env.HOST;
  },
  get BUILD_PATH(): string | undefined {
    return process.env.BUILD_PATH;
  },
  get TRUST_PROXY(): string | undefined {
    return process.env.TRUST_PROXY;
  },
  get LOG_REQUESTS(): string | undefined {
    return process.env.LOG_REQUESTS;
  },
  get WEB_CONCURRENCY(): string | undefined {
    return process.env.WEB_CONCURRENCY;
  },
  /** Each cluster worker's V8 old-space limit in MB (app/server/heap.ts; default 512). */
  get WORKER_HEAP_MB(): string | undefined {
    return process.env.WORKER_HEAP_MB;
  },
  /** Read only to see whether the operator set a heap limit there (app/server/heap.ts). */
  get NODE_OPTIONS(): string | undefined {
    return process.env.NODE_OPTIONS;
  },
};
