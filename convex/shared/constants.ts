// Enumerations shared by convex/, app/ and tests: one `as const` list each, turned into Convex
// validators in validators.ts and into form options in the app.

export const POST_STATUSES = ["draft", "scheduled", "published", "archived"] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

/** Per-site roles, strongest first. */
export const SITE_ROLES = ["owner", "admin", "editor", "author", "contributor"] as const;
export type SiteRole = (typeof SITE_ROLES)[number];

/** Platform roles (users.role): per-site roles live in siteMembers. */
export const PLATFORM_ROLES = ["user", "admin"] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export const REVIEW_STATES = ["pending", "returned"] as const;

export const SUBSCRIPTION_STATUSES = [
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "unpaid",
  "paused",
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const PAYMENT_STATUSES = ["pending", "succeeded", "failed", "refunded"] as const;
export const PLAN_INTERVALS = ["month", "year"] as const;

export const NOTIFICATION_TYPES = [
  "site_invite",
  "review_submitted",
  "review_returned",
  "scheduled_published",
  /** A scheduled publish was refused: whoever scheduled it no longer had the right when it ran. */
  "scheduled_refused",
  "new_subscriber",
  "payment_failed",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

// "author" (issue #17): a claimed placeholder author's page address, when the claimant already had one.
export const REDIRECT_KINDS = ["post", "tag", "category", "author"] as const;

/**
 * The app's top-level platform routes. No site slug may take them; on a site's own host (custom
 * domain, subdomain) they are the platform's pages, so no post slug may take them either.
 */
export const PLATFORM_PATHS = [
  "account",
  "api",
  "assets",
  "auth",
  "dev",
  "favicon.ico",
  "forgot-password",
  "invites",
  "login",
  "logout",
  "reset-password",
  "signup",
  "studio",
  "verify",
] as const;

/**
 * Path segments the reader site uses under /{site}/ (and platform routes, see above), so no post
 * slug may take them, and top-level platform routes, so no site slug may take them.
 */
export const RESERVED_POST_SLUGS = [
  ...PLATFORM_PATHS,
  "tag",
  "category",
  "author",
  "search",
  "subscribe",
  "rss.xml",
  "atom.xml",
  "feed.json",
  "sitemap.xml",
  "robots.txt",
  "page",
  "feed",
] as const;

export const RESERVED_SITE_SLUGS = [
  ...PLATFORM_PATHS,
  "signin",
  "register",
  "admin",
  "build",
  "static",
  "public",
  "robots.txt",
  "sitemap.xml",
  "health",
  "healthcheck",
  "resources",
  "reset",
  "settings",
  "pricing",
  "about",
  "help",
  "terms",
  "privacy",
  "new",
  "www",
] as const;

/** Slugs: lowercase letters, digits and single hyphens, 1–96 characters. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 96;

/** How many view-counter shards each post has (views never contend on one document). */
export const VIEW_SHARDS = 8;
/**
 * How many counter shards a send's delivery counts spread over (model/sends.ts applyMoves): a
 * batch's recording and the provider's webhooks then rarely write the same document.
 */
export const SEND_COUNT_SHARDS = 16;
/** Most views one reader.recordViews call carries (the app server batches first views). */
export const MAX_VIEW_BATCH = 100;

/** Largest TipTap document accepted by saveDraft, in characters of JSON. */
export const MAX_DOC_CHARS = 512 * 1024;
