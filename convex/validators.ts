// Over 400 lines: every shared argument and return validator of the public API, in one place by design.
import { literals } from "convex-helpers/validators";
import { IMPORT_SOURCES } from "./migrate/types";
import { v, type Infer } from "convex/values";
import {
  NOTIFICATION_TYPES,
  PAYMENT_STATUSES,
  PLAN_INTERVALS,
  PLATFORM_ROLES,
  POST_STATUSES,
  REDIRECT_KINDS,
  REVIEW_STATES,
  SITE_ROLES,
  SUBSCRIPTION_STATUSES,
} from "./shared/constants";
import { COLOR_SCHEMES, FONT_PAIR_IDS, HOME_LAYOUTS, THEME_IDS, type FontPairId } from "./shared/theme";

// Stored shapes (schema.ts composes tables from these) and the shapes functions return.

export const vPostStatus = literals(...POST_STATUSES);
export const vSiteRole = literals(...SITE_ROLES);
export const vPlatformRole = literals(...PLATFORM_ROLES);
export const vReviewState = literals(...REVIEW_STATES);
export const vSubscriptionStatus = literals(...SUBSCRIPTION_STATUSES);
export const vPaymentStatus = literals(...PAYMENT_STATUSES);
export const vPlanInterval = literals(...PLAN_INTERVALS);
export const vNotificationType = literals(...NOTIFICATION_TYPES);
export const vRedirectKind = literals(...REDIRECT_KINDS);

export const vThemeId = literals(...THEME_IDS);
export const vFontPair = literals(...(FONT_PAIR_IDS as [FontPairId, ...FontPairId[]]));
export const vHomeLayout = literals(...HOME_LAYOUTS);
export const vColorScheme = literals(...COLOR_SCHEMES);
export const vNavLink = v.object({ label: v.string(), url: v.string() });

/** Site branding and theme choices (issue #16, ADR 014); every field optional: resolveTheme fills the rest. */
export const vBranding = v.object({
  accentColor: v.optional(v.string()),
  logoStorageId: v.optional(v.id("_storage")),
  theme: v.optional(vThemeId),
  fontPair: v.optional(vFontPair),
  homeLayout: v.optional(vHomeLayout),
  colorScheme: v.optional(vColorScheme),
  navLinks: v.optional(v.array(vNavLink)),
  /** The site's cover image (home hero, default share image). */
  coverStorageId: v.optional(v.id("_storage")),
});

/** What readers render with (shared/theme.ts ResolvedTheme). */
export const vResolvedTheme = v.object({
  theme: vThemeId,
  fontPair: vFontPair,
  homeLayout: vHomeLayout,
  colorScheme: vColorScheme,
  navLinks: v.array(vNavLink),
});

export const siteFields = {
  name: v.string(),
  slug: v.string(),
  description: v.optional(v.string()),
  ownerId: v.id("users"),
  customDomain: v.optional(v.string()),
  /** The value the domain's `_pressroom-verify` TXT record must hold; new for every claimed domain. */
  customDomainToken: v.optional(v.string()),
  /** When control of customDomain was proven (unset: pending). Only a verified domain serves. */
  customDomainVerifiedAt: v.optional(v.number()),
  branding: v.optional(vBranding),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const siteMemberFields = {
  siteId: v.id("sites"),
  userId: v.id("users"),
  role: vSiteRole,
  /** Author page address under /{site}/author/{authorSlug}. */
  authorSlug: v.string(),
  invitedBy: v.optional(v.id("users")),
  createdAt: v.number(),
  /**
   * Issue #17: a placeholder author made by an import (an author whose email matched no account).
   * Its user row has `placeholder: true` and cannot sign in; an invitation with `claimMemberId`
   * hands its posts to whoever accepts (model/placeholders.ts).
   */
  placeholder: v.optional(v.object({ email: v.optional(v.string()), importId: v.optional(v.id("contentImports")) })),
};

/** Fields of the live (published) version plus bookkeeping; the draft lives in postBodies. */
export const postFields = {
  siteId: v.id("sites"),
  authorId: v.id("users"),
  /** Denormalized from users.name; kept exact by users.updateUserName. */
  authorName: v.string(),
  authorImage: v.optional(v.string()),
  title: v.string(),
  slug: v.string(),
  excerpt: v.optional(v.string()),
  /**
   * Where a live post's `excerpt` came from: the author, the free automatic excerpt, or the paid
   * teaser (model/content.ts publicExcerpt). Missing on rows written before teasers existed.
   */
  excerptKind: v.optional(v.union(v.literal("author"), v.literal("auto"), v.literal("teaser"))),
  status: vPostStatus,
  featured: v.boolean(),
  categoryId: v.optional(v.id("categories")),
  coverImageId: v.optional(v.id("_storage")),
  /** The cover image's alt text and caption (issue #16; FIELDS.coverAlt / coverCaption). */
  coverImageAlt: v.optional(v.string()),
  coverImageCaption: v.optional(v.string()),
  /** Issue #17: an imported cover kept as its http(s) URL (used when coverImageId is unset). */
  coverImageUrl: v.optional(v.string()),
  seoTitle: v.optional(v.string()),
  seoDescription: v.optional(v.string()),
  readingTimeMinutes: v.optional(v.number()),
  publishedAt: v.optional(v.number()),
  scheduledAt: v.optional(v.number()),
  scheduledJobId: v.optional(v.id("_scheduled_functions")),
  /** The draft differs from the live version (published posts only). */
  hasUnpublishedChanges: v.optional(v.boolean()),
  /**
   * Issue #18: the live body's content key (shared/bodyKey.ts) and the PAGE_HTML_VERSION it was
   * computed under, written by publishAs with the body (and by migrations:storePageHtml), so reader
   * queries name a body without reading and hashing it (postProjection.ts readableBodyKey).
   */
  bodyKey: v.optional(v.string()),
  bodyKeyVersion: v.optional(v.number()),
  reviewState: v.optional(vReviewState),
  reviewComment: v.optional(v.string()),
  /** Tag ids, mirrored from postTags for cheap reads of a post's tags. */
  tagIds: v.array(v.id("tags")),
  /**
   * Issue #16: the author chose the address (posts.changeSlug). While false and the post was never
   * published, saveDraft derives the slug from the title. Missing on rows from before: those follow
   * only while their slug is still a placeholder ("untitled-3").
   */
  slugSetByAuthor: v.optional(v.boolean()),
  createdAt: v.number(),
  updatedAt: v.number(),
  /** Issue #15: when the post was last emailed (a send started), including "email only" sends. */
  emailedAt: v.optional(v.number()),
  /** Issue #15: the email a scheduled publish sends (posts.schedule's `email`), cleared when it runs. */
  scheduledEmail: v.optional(v.object({ newsletterId: v.id("newsletters"), segment: v.union(v.literal("all"), v.literal("free"), v.literal("paid")) })),
};

export const postBodyFields = {
  siteId: v.id("sites"),
  postId: v.id("posts"),
  kind: v.union(v.literal("draft"), v.literal("published")),
  /** Draft version: saveDraft's optimistic concurrency check compares it. */
  version: v.number(),
  title: v.string(),
  excerpt: v.optional(v.string()),
  seoTitle: v.optional(v.string()),
  seoDescription: v.optional(v.string()),
  /** TipTap document, JSON text (ADR 005). */
  doc: v.string(),
  /** Plain text of the document, for excerpts and search. */
  text: v.string(),
  /** Title and text, the field the search index covers (readers search published bodies, the studio searches drafts). */
  searchText: v.string(),
  wordCount: v.number(),
  updatedAt: v.number(),
  updatedBy: v.id("users"),
  /**
   * Published bodies (issue #18): the reader page's HTML of `doc`, rendered once when published
   * (postProjection.ts pageHtmlFields), and the renderer's PAGE_HTML_VERSION that made it. Absent
   * on drafts, on bodies published before it existed, and on very long ones: those render when read.
   */
  html: v.optional(v.string()),
  htmlVersion: v.optional(v.number()),
};

export const vPostDraft = v.object({
  postId: v.id("posts"),
  version: v.number(),
  title: v.string(),
  excerpt: v.union(v.string(), v.null()),
  seoTitle: v.union(v.string(), v.null()),
  seoDescription: v.union(v.string(), v.null()),
  doc: v.string(),
  updatedAt: v.number(),
});
export type PostDraft = Infer<typeof vPostDraft>;

export const vTagSummary = v.object({ _id: v.id("tags"), name: v.string(), slug: v.string() });

export const vCategorySummary = v.object({ _id: v.id("categories"), name: v.string(), slug: v.string() });

/** What a reader may see of a post: the body only when `locked` is false (model/postProjection.ts). */
export const vReaderPost = v.object({
  _id: v.id("posts"),
  siteId: v.id("sites"),
  slug: v.string(),
  title: v.string(),
  excerpt: v.string(),
  /** Where the excerpt came from: the reader shows it as a dek (subtitle) only when the author wrote it. */
  excerptKind: v.union(v.literal("author"), v.literal("auto"), v.literal("teaser"), v.null()),
  authorId: v.id("users"),
  authorName: v.string(),
  authorImage: v.union(v.string(), v.null()),
  authorSlug: v.union(v.string(), v.null()),
  publishedAt: v.number(),
  updatedAt: v.number(),
  readingTimeMinutes: v.number(),
  featured: v.boolean(),
  locked: v.boolean(),
  /** TipTap JSON of the body: null when locked, and in list reads. */
  doc: v.union(v.string(), v.null()),
  seoTitle: v.union(v.string(), v.null()),
  seoDescription: v.union(v.string(), v.null()),
  coverImageUrl: v.union(v.string(), v.null()),
  coverImageAlt: v.union(v.string(), v.null()),
  coverImageCaption: v.union(v.string(), v.null()),
  category: v.union(vCategorySummary, v.null()),
  tags: v.array(vTagSummary),
  // No view count: a reader page that read it would change (and re-render, and leave every cache)
  // on each view. Members see views in the studio (posts.viewCounts).
});
export type ReaderPost = Infer<typeof vReaderPost>;

/** A post as the studio shows it to members who may edit it. */
export const vStudioPost = v.object({
  _id: v.id("posts"),
  _creationTime: v.number(),
  ...postFields,
});

export const categoryFields = {
  siteId: v.id("sites"),
  name: v.string(),
  slug: v.string(),
  description: v.optional(v.string()),
  sortOrder: v.number(),
  /** Published posts in the category; kept exact by the post mutations. */
  postCount: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const tagFields = {
  siteId: v.id("sites"),
  name: v.string(),
  slug: v.string(),
  description: v.optional(v.string()),
  /** Published posts carrying the tag; kept exact by the post and tag mutations (same name as categories'). */
  postCount: v.optional(v.number()),
  /**
   * The old name of postCount. Writers move it to postCount (model/taxonomy.ts storedPostCount reads
   * `postCount ?? usageCount`) and migrations:renameTagCounters moves the rest; kept optional because
   * a deployment that has not run the migration yet still holds it.
   */
  usageCount: v.optional(v.number()),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const postTagFields = {
  siteId: v.id("sites"),
  postId: v.id("posts"),
  tagId: v.id("tags"),
  /** Mirrors of the post, so a tag page is one indexed range. */
  published: v.boolean(),
  publishedAt: v.number(),
};

export const slugRedirectFields = {
  siteId: v.id("sites"),
  kind: vRedirectKind,
  fromSlug: v.string(),
  /** Id of the post, tag or category the old slug now points at. */
  targetId: v.string(),
  createdAt: v.number(),
};

export const postRevisionFields = {
  siteId: v.id("sites"),
  postId: v.id("posts"),
  number: v.number(),
  reason: v.union(v.literal("publish"), v.literal("save"), v.literal("restore")),
  title: v.string(),
  excerpt: v.optional(v.string()),
  doc: v.string(),
  authorId: v.id("users"),
  authorName: v.string(),
  createdAt: v.number(),
};

export const viewShardFields = {
  siteId: v.id("sites"),
  postId: v.id("posts"),
  shard: v.number(),
  count: v.number(),
};

/** A view token the app server issued for one view, kept a while so a resent view counts once. */
export const viewTokenFields = {
  siteId: v.id("sites"),
  token: v.string(),
  createdAt: v.number(),
};

export const userFields = {
  // @convex-dev/auth's fields (authTables.users), kept so its default flows work.
  name: v.optional(v.string()),
  image: v.optional(v.string()),
  email: v.optional(v.string()),
  emailVerificationTime: v.optional(v.number()),
  phone: v.optional(v.string()),
  phoneVerificationTime: v.optional(v.number()),
  isAnonymous: v.optional(v.boolean()),
  // Pressroom's (Solo Kit) fields: optional so auth-created rows and older rows stay valid; the
  // auth issue's createOrUpdateUser fills them. Missing role means "user", missing isActive true.
  role: v.optional(vPlatformRole),
  emailVerified: v.optional(v.boolean()),
  isActive: v.optional(v.boolean()),
  lastLoginAt: v.optional(v.number()),
  createdAt: v.optional(v.number()),
  updatedAt: v.optional(v.number()),
  /** Set while deleteUser's batched cascade runs; the account can no longer act. */
  deletingAt: v.optional(v.number()),
  /** Issue #17: an imported author's stand-in (no email, no credentials: it can never sign in). */
  placeholder: v.optional(v.boolean()),
};

export const userProfileFields = {
  userId: v.id("users"),
  bio: v.optional(v.string()),
  website: v.optional(v.string()),
  location: v.optional(v.string()),
  avatarStorageId: v.optional(v.id("_storage")),
  twitter: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const planFields = {
  siteId: v.id("sites"),
  name: v.string(),
  description: v.optional(v.string()),
  priceCents: v.number(),
  currency: v.string(),
  interval: vPlanInterval,
  features: v.array(v.string()),
  isActive: v.boolean(),
  sortOrder: v.number(),
  stripeProductId: v.optional(v.string()),
  stripePriceId: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const subscriptionFields = {
  siteId: v.id("sites"),
  userId: v.id("users"),
  planId: v.optional(v.id("subscriptionPlans")),
  status: vSubscriptionStatus,
  currentPeriodStart: v.number(),
  currentPeriodEnd: v.number(),
  cancelAtPeriodEnd: v.boolean(),
  canceledAt: v.optional(v.number()),
  trialEnd: v.optional(v.number()),
  stripeCustomerId: v.optional(v.string()),
  stripeSubscriptionId: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
  // --- billing issue: out-of-order webhook convergence (model/stripeEvents.ts) ---
  /** `created` (ms) of the newest Stripe event applied to this row's state; older events are skipped. */
  lastEventAt: v.optional(v.number()),
  // --- end billing issue ---
  // --- trust issue 11a: the period's end arrives as a write, not through the clock in a query ---
  /** Set once currentPeriodEnd has passed (by the write at that time, billing:expireSubscription). */
  periodEnded: v.optional(v.boolean()),
  /** The pending billing:expireSubscription job for currentPeriodEnd, replaced when the period moves. */
  expiryJobId: v.optional(v.id("_scheduled_functions")),
};

export const paymentFields = {
  siteId: v.id("sites"),
  userId: v.id("users"),
  subscriptionId: v.optional(v.id("subscriptions")),
  amountCents: v.number(),
  currency: v.string(),
  status: vPaymentStatus,
  description: v.optional(v.string()),
  stripeInvoiceId: v.optional(v.string()),
  stripeChargeId: v.optional(v.string()),
  createdAt: v.number(),
  // --- billing issue: partial refunds (a full refund sets status "refunded") ---
  amountRefundedCents: v.optional(v.number()),
  // --- end billing issue ---
};

export const auditLogFields = {
  /** Absent for platform-level events (a user renaming themselves across sites). */
  siteId: v.optional(v.id("sites")),
  actorId: v.optional(v.id("users")),
  action: v.string(),
  entityType: v.string(),
  entityId: v.string(),
  /** JSON of the changed fields `{field: [before, after]}`, never secrets or bodies. */
  diff: v.string(),
  createdAt: v.number(),
};

export const notificationFields = {
  userId: v.id("users"),
  siteId: v.optional(v.id("sites")),
  type: vNotificationType,
  title: v.string(),
  body: v.optional(v.string()),
  link: v.optional(v.string()),
  read: v.boolean(),
  createdAt: v.number(),
};

// --- members issue: a pending invitation to join a site (members.invite / members.accept) ---
export const siteInviteFields = {
  siteId: v.id("sites"),
  /** Lowercased, trimmed. Only a user with this email may accept. */
  email: v.string(),
  role: vSiteRole,
  /** "<siteId>.<random hex>", unguessable; handed to the invitee (notification link, later the email outbox). */
  token: v.string(),
  invitedBy: v.id("users"),
  expiresAt: v.number(),
  createdAt: v.number(),
  /** Issue #17: accepting this invitation claims that placeholder author's posts (model/placeholders.ts). */
  claimMemberId: v.optional(v.id("siteMembers")),
};
// --- end members issue ---

// --- auth issue: outgoing email (dev outbox / Resend log) and per-session metadata ---
/** What an email is for; the dev mailbox and tests look emails up by recipient and kind. */
export const EMAIL_KINDS = ["verify-email", "password-reset", "sign-in-code", "site-invite", "account-exists", "audience-join-code", "post", "post-test"] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
export const vEmailKind = literals(...EMAIL_KINDS);

export const emailFields = {
  /** Lowercased recipient address. */
  to: v.string(),
  subject: v.string(),
  /** Plain-text body. For emails delivered by Resend only a placeholder is kept (no codes at rest). */
  text: v.string(),
  html: v.optional(v.string()),
  kind: vEmailKind,
  createdAt: v.number(),
  /** When the provider accepted it; absent for outbox-only (development) emails. */
  sentAt: v.optional(v.number()),
  provider: v.union(v.literal("outbox"), v.literal("resend")),
  /** A batch's Idempotency-Key (post sends, model/email.ts sendEmailBatch): the outbox keeps one batch per key. */
  idempotencyKey: v.optional(v.string()),
};

/** IP address and user agent of an @convex-dev/auth session (the seed's `sessions` table), for "active sessions". */
export const sessionMetaFields = {
  sessionId: v.id("authSessions"),
  userId: v.id("users"),
  ipAddress: v.optional(v.string()),
  userAgent: v.optional(v.string()),
  createdAt: v.number(),
  lastSeenAt: v.number(),
};
// --- end auth issue ---

// --- billing issue: Stripe webhook idempotency and Stripe customers per (site, user) ---
/**
 * One row per Stripe event id that billing:applyEvent has handled (platform-level: an event arrives
 * before we know its site, so no siteId). A replayed event finds its row and changes nothing.
 */
export const stripeEventFields = {
  eventId: v.string(),
  type: v.string(),
  /** The event's `created`, in ms. */
  created: v.number(),
  processedAt: v.number(),
  /** "applied", "stale" (older than the row's state), or "ignored" (not ours / unknown type). */
  outcome: v.string(),
};

/** The Stripe customer that pays for a user's subscriptions on one site (created at first checkout). */
export const billingCustomerFields = {
  siteId: v.id("sites"),
  userId: v.id("users"),
  stripeCustomerId: v.string(),
  createdAt: v.number(),
};
// --- end billing issue ---

// --- members & newsletters issue (#15): audience members, newsletters, join codes (ADR 012) ---
// "Audience members" are a publication's readers who follow it (siteMembers are its staff).
export const AUDIENCE_ACCESS = ["free", "paid", "comped"] as const;
export type AudienceAccess = (typeof AUDIENCE_ACCESS)[number];
export const vAudienceAccess = literals(...AUDIENCE_ACCESS);
export const AUDIENCE_EMAIL_STATES = ["subscribed", "unsubscribed", "bounced", "complained"] as const;
export type AudienceEmailState = (typeof AUDIENCE_EMAIL_STATES)[number];
export const vAudienceEmailState = literals(...AUDIENCE_EMAIL_STATES);

/** A signed-in reader's standing on a site (audience:myStanding, reader:viewerPage); null when signed out. */
export const vViewerStanding = v.union(v.null(), v.object({ name: v.string(), access: v.union(vAudienceAccess, v.null()), emailState: v.union(vAudienceEmailState, v.null()) }));
export const AUDIENCE_SOURCES = ["form", "signedIn", "import", "manual", "checkout"] as const;
export type AudienceSource = (typeof AUDIENCE_SOURCES)[number];
export const vAudienceSource = literals(...AUDIENCE_SOURCES);

export const audienceMemberFields = {
  siteId: v.id("sites"),
  /** Normalized (trimmed, lower-case); unique per site (model/audience.ts keeps it so). */
  email: v.string(),
  userId: v.optional(v.id("users")),
  name: v.optional(v.string()),
  /** The name lower-cased, for prefix search (by_siteId_and_nameKey). */
  nameKey: v.optional(v.string()),
  access: vAudienceAccess,
  emailState: vAudienceEmailState,
  source: vAudienceSource,
  /** When the address was proven (emailed code, or a signed-in user's verified email). */
  confirmedAt: v.optional(v.number()),
  createdAt: v.number(),
  updatedAt: v.number(),
};

export const newsletterFields = {
  siteId: v.id("sites"),
  name: v.string(),
  senderName: v.string(),
  replyTo: v.optional(v.string()),
  /** New members are subscribed to it. */
  defaultOn: v.boolean(),
  archived: v.optional(v.boolean()),
  createdAt: v.number(),
  updatedAt: v.optional(v.number()),
};

/** One member's subscription to one newsletter (absence = off). */
export const memberNewsletterFields = {
  siteId: v.id("sites"),
  memberId: v.id("audienceMembers"),
  newsletterId: v.id("newsletters"),
  createdAt: v.number(),
};

/** A pending join: an HMAC of the emailed code (never the code), its expiry and wrong attempts. */
export const audienceJoinCodeFields = {
  siteId: v.id("sites"),
  email: v.string(),
  name: v.optional(v.string()),
  codeHash: v.string(),
  expiresAt: v.number(),
  attempts: v.number(),
  createdAt: v.number(),
};
// --- end members & newsletters issue ---

// --- newsletters issue (#15): provider webhooks and the suppression list ---
/**
 * One row per Resend (Svix) webhook delivery id that suppressions:applyEvent has handled (platform-level:
 * like stripeEvents, no siteId). A replayed delivery finds its row and changes nothing.
 */
export const resendEventFields = {
  /** The `svix-id` header: the same for every retry of one event. */
  eventId: v.string(),
  type: v.string(),
  processedAt: v.number(),
  /** "suppressed" (the address went on the list) or "ignored" (acknowledged, no effect). */
  outcome: v.string(),
};

/**
 * An address no email goes to any more: address-wide (platform-level, no siteId), because every site
 * sends from the platform's Resend domain: a hard bounce means the mailbox does not exist for anyone,
 * and a spam complaint counts against the shared sending domain.
 */
export const emailSuppressionFields = {
  /** Normalised (FIELDS.email: trimmed, lowercase). */
  email: v.string(),
  /** The latest reason; a complaint after a bounce (or the reverse) updates it. */
  reason: v.union(v.literal("bounce"), v.literal("complaint")),
  firstEventAt: v.number(),
  lastEventAt: v.number(),
  /** The svix-id of the latest event that suppressed the address. */
  providerEventId: v.string(),
  /** Resend's email id of the message that bounced or was complained about. */
  providerEmailId: v.optional(v.string()),
};
// --- end newsletters issue ---

// --- newsletters issue (#15): post sends and their deliveries (ADR 013) ---
/** Who a send goes to: everyone, free members only, or paid + comped members. */
export const vSendSegment = v.union(v.literal("all"), v.literal("free"), v.literal("paid"));
export type SendSegment = "all" | "free" | "paid";
export const vSendStatus = v.union(v.literal("queued"), v.literal("sending"), v.literal("sent"), v.literal("cancelled"), v.literal("failed"));
export const DELIVERY_STATUSES = ["queued", "sent", "delivered", "bounced", "complained", "failed", "skipped", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const vDeliveryStatus = literals(...DELIVERY_STATUSES);
/** One counter per delivery status, kept exact by every mutation that changes a delivery's status. */
export const vSendCounts = v.object({
  queued: v.number(),
  sent: v.number(),
  delivered: v.number(),
  bounced: v.number(),
  complained: v.number(),
  failed: v.number(),
  skipped: v.number(),
  cancelled: v.number(),
});

export const emailSendFields = {
  siteId: v.id("sites"),
  postId: v.id("posts"),
  newsletterId: v.id("newsletters"),
  segment: vSendSegment,
  status: vSendStatus,
  /** publish (with the post), emailOnly (the draft, not on the site), published (an already live post), test. */
  source: v.union(v.literal("publish"), v.literal("emailOnly"), v.literal("published")),
  createdBy: v.id("users"),
  /** Frozen at start: `"<senderName>"` and reply-to of the newsletter, the post's title. */
  fromName: v.string(),
  replyTo: v.optional(v.string()),
  postTitle: v.string(),
  newsletterName: v.string(),
  /** Recipients planned so far (deliveries created, skipped included). */
  total: v.number(),
  counts: vSendCounts,
  /** Planning: the memberNewsletters cursor of the next page, and the number of batches made. */
  planCursor: v.optional(v.string()),
  planDone: v.boolean(),
  batches: v.number(),
  /** Batches whose provider call finished (recorded or given up): the send is sent when all are. */
  batchesDone: v.number(),
  /** Dispatch (sendsPipeline.ts): batches below nextBatch were handed out; inFlight = the running
   *  ones (at most SEND_PARALLELISM), each with its attempt, when it started and its scheduled job. */
  nextBatch: v.optional(v.number()),
  inFlight: v.optional(v.array(v.object({ batch: v.number(), attempt: v.number(), at: v.number(), job: v.id("_scheduled_functions") }))),
  /** The scheduled job of the next planning page (the watchdog fails the send when it failed). */
  planJob: v.optional(v.id("_scheduled_functions")),
  error: v.optional(v.string()),
  createdAt: v.number(),
  startedAt: v.optional(v.number()),
  finishedAt: v.optional(v.number()),
};

/** A send's frozen content: the post as it was at start ("source") and its renders ("full", "teaser"). */
export const emailSendContentFields = {
  siteId: v.id("sites"),
  sendId: v.id("emailSends"),
  kind: v.union(v.literal("source"), v.literal("full"), v.literal("teaser")),
  subject: v.string(),
  /** source: the TipTap JSON; renders: the HTML with recipient placeholders. */
  body: v.string(),
  text: v.optional(v.string()),
  placeholders: v.optional(v.object({ unsubscribe: v.string(), preferences: v.string() })),
  /** source only: what the renderer needs beside the body. */
  post: v.optional(
    v.object({
      slug: v.string(),
      subtitle: v.optional(v.string()),
      excerpt: v.string(),
      featured: v.boolean(),
      publishedAt: v.number(),
      authorName: v.optional(v.string()),
    }),
  ),
};

/**
 * One share of a send's delivery counts (model/sends.ts): counter moves land on a shard picked at
 * random, off the send's row, which the pipeline's dispatch state keeps busy. A send's counts are
 * its row's `counts` (planning's, and every move made before shards existed) plus its shards'. A
 * shard's count for a status may be negative (a move out of it landed here, the move in elsewhere).
 */
export const emailSendCountShardFields = {
  siteId: v.id("sites"),
  sendId: v.id("emailSends"),
  shard: v.number(),
  counts: vSendCounts,
};

/** One email of a send to one member; at most one live delivery per (post, member). */
export const emailDeliveryFields = {
  siteId: v.id("sites"),
  sendId: v.id("emailSends"),
  postId: v.id("posts"),
  memberId: v.id("audienceMembers"),
  email: v.string(),
  access: v.union(v.literal("full"), v.literal("teaser")),
  status: vDeliveryStatus,
  /** The provider batch it goes in (0-based, per send). */
  batch: v.number(),
  /** Set by the claim mutation right before the provider call; a retry re-sends claimed rows with the same key. */
  claimedAt: v.optional(v.number()),
  providerId: v.optional(v.string()),
  attempts: v.number(),
  error: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
};
// --- end newsletters issue (sends) ---

// --- members CSV import (#15): one row per import job (model/audienceImport.ts) ---
export const AUDIENCE_IMPORT_STATUSES = ["queued", "validating", "importing", "done", "failed"] as const;
export const vAudienceImportStatus = literals(...AUDIENCE_IMPORT_STATUSES);
export const vAudienceImportFormat = literals("pressroom", "substack", "ghost", "csv");
export const audienceImportFields = {
  siteId: v.id("sites"),
  createdBy: v.id("users"),
  /** The uploaded file; deleted (and unset) when the import ends. */
  storageId: v.optional(v.id("_storage")),
  fileName: v.string(),
  size: v.number(),
  status: vAudienceImportStatus,
  format: v.optional(vAudienceImportFormat),
  /** Data rows in the file (header excluded), known once validated. */
  total: v.number(),
  /** Rows handled so far (bad rows count as handled when validation ends). */
  processed: v.number(),
  created: v.number(),
  updated: v.number(),
  /** Rows whose member already existed and needed no change. */
  skipped: v.number(),
  /** Bad rows (invalid email, duplicate in the file, ...): not imported. */
  failed: v.number(),
  /** Members paid on the old platform, imported as comped. */
  compedFromPaid: v.number(),
  /** The first MAX_ROW_ERRORS bad rows; row numbers as in the file (header = row 1). */
  rowErrors: v.array(v.object({ row: v.number(), message: v.string() })),
  /** Why the whole file was refused (nothing imported). */
  error: v.optional(v.string()),
  createdAt: v.number(),
  finishedAt: v.optional(v.number()),
};
// --- end members CSV import ---

// --- content import and export (issue #17, ADR 015) ---
export const vImportSource = literals(...IMPORT_SOURCES);
export const CONTENT_IMPORT_STATUSES = ["analyzing", "ready", "importing", "done", "failed", "canceled"] as const;
export const vContentImportStatus = literals(...CONTENT_IMPORT_STATUSES);
export const IMPORT_REPORT_KINDS = ["clash", "unsupported", "bad-item", "skipped", "placeholder-author", "page", "note"] as const;
export const vImportReportEntry = v.object({
  kind: literals(...IMPORT_REPORT_KINDS),
  /** The item's 1-based position in the file, when the entry is about one item. */
  position: v.optional(v.number()),
  /** Title, slug or name of the item. */
  item: v.optional(v.string()),
  message: v.string(),
});
/** What a dry run found (every number is what the import will do, given the site as it is now). */
export const vImportPlan = v.object({
  posts: v.number(),
  published: v.number(),
  drafts: v.number(),
  scheduled: v.number(),
  pages: v.number(),
  paid: v.number(),
  tagsNew: v.number(),
  tagsExisting: v.number(),
  categoriesNew: v.number(),
  categoriesExisting: v.number(),
  authorsMatched: v.number(),
  authorsPlaceholder: v.number(),
  images: v.number(),
  members: v.number(),
  slugClashes: v.number(),
  unsupported: v.number(),
  badItems: v.number(),
  /** Posts this site already imported from the same source ids (re-running creates nothing twice). */
  alreadyImported: v.number(),
});

/** One content import: dry run (analyzing → ready), then the import (importing → done), or failed/canceled. */
export const contentImportFields = {
  siteId: v.id("sites"),
  createdBy: v.id("users"),
  /** The uploaded file; deleted (and unset) when the import ends. */
  storageId: v.optional(v.id("_storage")),
  fileName: v.string(),
  size: v.number(),
  status: vContentImportStatus,
  source: v.optional(vImportSource),
  plan: v.optional(vImportPlan),
  /** Items to import (posts; progress is processed / total). */
  total: v.number(),
  processed: v.number(),
  created: v.number(),
  /** Items already imported before (same source id) or skipped on purpose. */
  skipped: v.number(),
  failed: v.number(),
  /** The next staged position to import: the resume point after a crash or a continuation. */
  cursor: v.number(),
  report: v.array(vImportReportEntry),
  /** Report entries beyond MAX_REPORT_ENTRIES, counted. */
  reportOverflow: v.number(),
  /** Why the whole file was refused (nothing imported), or why the job stopped. */
  error: v.optional(v.string()),
  /** The step running now (a scheduled function), and when it last reported: the watchdog's inputs. */
  stepJob: v.optional(v.id("_scheduled_functions")),
  heartbeatAt: v.optional(v.number()),
  attempts: v.optional(v.number()),
  /** Audience imports started for the members lists found in the upload (Substack's subscribers CSV). */
  memberImportIds: v.optional(v.array(v.id("audienceImports"))),
  createdAt: v.number(),
  startedAt: v.optional(v.number()),
  finishedAt: v.optional(v.number()),
};

/** The dry run's output, one row per item to write (JSON of a PreparedPost, or a term/author/image). */
export const contentImportItemFields = {
  siteId: v.id("sites"),
  importId: v.id("contentImports"),
  /** Order of writing: authors, terms and images first, then posts in file order. */
  position: v.number(),
  kind: literals("author", "tag", "category", "image", "memberList", "post"),
  /** JSON of the item (PreparedPost for a post). */
  data: v.string(),
  /** A staged file (an image or a members CSV from the upload). */
  storageId: v.optional(v.id("_storage")),
  state: literals("pending", "done", "skipped", "failed"),
};

/** What each source id became on this site: re-running the same file creates nothing twice. */
export const importedItemFields = {
  siteId: v.id("sites"),
  source: vImportSource,
  kind: literals("post", "tag", "category", "author", "image"),
  sourceKey: v.string(),
  /** The Pressroom id (post, tag, category, user) or, for an image, its storage id. */
  targetId: v.string(),
  importId: v.id("contentImports"),
  createdAt: v.number(),
};

/** An old address of an imported post (legacyPathKey), answered with a 301 by the reader. */
export const legacyPathFields = {
  siteId: v.id("sites"),
  path: v.string(),
  postId: v.id("posts"),
  createdAt: v.number(),
};
// --- end content import and export ---
