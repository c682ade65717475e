import { authTables } from "@convex-dev/auth/server";
import { defineSchema, defineTable } from "convex/server";
import {
  auditLogFields,
  audienceImportFields,
  contentImportFields,
  contentImportItemFields,
  importedItemFields,
  legacyPathFields,
  audienceJoinCodeFields,
  audienceMemberFields,
  billingCustomerFields,
  categoryFields,
  emailFields,
  memberNewsletterFields,
  newsletterFields,
  notificationFields,
  paymentFields,
  planFields,
  postBodyFields,
  postFields,
  postRevisionFields,
  postTagFields,
  sessionMetaFields,
  siteFields,
  siteInviteFields,
  siteMemberFields,
  slugRedirectFields,
  emailSuppressionFields,
  emailDeliveryFields,
  emailSendContentFields,
  emailSendCountShardFields,
  emailSendFields,
  resendEventFields,
  stripeEventFields,
  subscriptionFields,
  tagFields,
  userFields,
  userProfileFields,
  viewShardFields,
  viewTokenFields,
} from "./validators";

// The Solo Kit model, made multi-tenant (ADR 004): every table a publication owns carries siteId,
// and every index on it starts with siteId. Accounts, sessions and verification tokens are
// @convex-dev/auth's tables (authTables); ADR 004 maps the seed's tables onto them.
export default defineSchema({
  ...authTables,

  users: defineTable(userFields).index("email", ["email"]).index("phone", ["phone"]),
  userProfiles: defineTable(userProfileFields).index("by_userId", ["userId"]),

  sites: defineTable(siteFields)
    .index("by_slug", ["slug"])
    // A domain may be claimed by several sites but verified by one: lookups ask for verifiedAt > 0.
    .index("by_customDomain_and_customDomainVerifiedAt", ["customDomain", "customDomainVerifiedAt"])
    .index("by_ownerId", ["ownerId"]),
  // The bridge between users and tenants: by_userId answers "which sites am I in" (ADR 004).
  siteMembers: defineTable(siteMemberFields)
    .index("by_siteId_and_userId", ["siteId", "userId"])
    .index("by_siteId_and_role", ["siteId", "role"])
    .index("by_siteId_and_authorSlug", ["siteId", "authorSlug"])
    .index("by_userId", ["userId"]),

  posts: defineTable(postFields)
    .index("by_siteId_and_slug", ["siteId", "slug"])
    .index("by_siteId_and_status_and_publishedAt", ["siteId", "status", "publishedAt"])
    .index("by_siteId_and_status_and_featured_and_publishedAt", ["siteId", "status", "featured", "publishedAt"])
    .index("by_siteId_and_categoryId_and_status_and_publishedAt", ["siteId", "categoryId", "status", "publishedAt"])
    .index("by_siteId_and_authorId_and_status_and_publishedAt", ["siteId", "authorId", "status", "publishedAt"])
    .index("by_siteId_and_status_and_updatedAt", ["siteId", "status", "updatedAt"])
    .index("by_siteId_and_updatedAt", ["siteId", "updatedAt"])
    .index("by_siteId_and_reviewState", ["siteId", "reviewState"])
    // Kept for now (userDeletion.ts reads it): dropping an index is a schema change of its own.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes
    .index("by_siteId_and_authorId", ["siteId", "authorId"])
    // The studio's post list filtered by author or category, newest change first (posts.list).
    .index("by_siteId_and_authorId_and_updatedAt", ["siteId", "authorId", "updatedAt"])
    .index("by_siteId_and_categoryId_and_updatedAt", ["siteId", "categoryId", "updatedAt"])
    // A user's posts in every site, members or not any more: renames and account deletion (ADR 004 exception).
    .index("by_authorId", ["authorId"]),
  postBodies: defineTable(postBodyFields)
    .index("by_siteId_and_postId_and_kind", ["siteId", "postId", "kind"])
    .searchIndex("search_text", { searchField: "searchText", filterFields: ["siteId", "kind"] }),
  postRevisions: defineTable(postRevisionFields).index("by_siteId_and_postId_and_number", ["siteId", "postId", "number"]),
  postViewShards: defineTable(viewShardFields).index("by_siteId_and_postId_and_shard", ["siteId", "postId", "shard"]),
  viewTokens: defineTable(viewTokenFields)
    .index("by_siteId_and_token", ["siteId", "token"])
    .index("by_siteId_and_createdAt", ["siteId", "createdAt"]),
  slugRedirects: defineTable(slugRedirectFields)
    .index("by_siteId_and_kind_and_fromSlug", ["siteId", "kind", "fromSlug"])
    .index("by_siteId_and_targetId", ["siteId", "targetId"]),

  categories: defineTable(categoryFields)
    .index("by_siteId_and_slug", ["siteId", "slug"])
    .index("by_siteId_and_sortOrder", ["siteId", "sortOrder"]),
  tags: defineTable(tagFields)
    .index("by_siteId_and_slug", ["siteId", "slug"])
    .index("by_siteId_and_name", ["siteId", "name"])
    .index("by_siteId_and_postCount", ["siteId", "postCount"]),
  postTags: defineTable(postTagFields)
    .index("by_siteId_and_postId", ["siteId", "postId"])
    .index("by_siteId_and_tagId_and_published_and_publishedAt", ["siteId", "tagId", "published", "publishedAt"]),

  subscriptionPlans: defineTable(planFields)
    .index("by_siteId_and_sortOrder", ["siteId", "sortOrder"])
    .index("by_siteId_and_isActive", ["siteId", "isActive"]),
  subscriptions: defineTable(subscriptionFields)
    .index("by_siteId_and_userId", ["siteId", "userId"])
    .index("by_siteId_and_status", ["siteId", "status"])
    .index("by_siteId_and_stripeSubscriptionId", ["siteId", "stripeSubscriptionId"])
    // A reader's own subscriptions across publications (/account); read only for the viewer (ADR 004).
    .index("by_userId", ["userId"]),
  payments: defineTable(paymentFields)
    .index("by_siteId_and_userId", ["siteId", "userId"])
    .index("by_siteId_and_stripeInvoiceId", ["siteId", "stripeInvoiceId"])
    // --- billing issue: refunds find their payment by charge; the studio lists payments newest first ---
    .index("by_siteId_and_stripeChargeId", ["siteId", "stripeChargeId"])
    .index("by_siteId_and_createdAt", ["siteId", "createdAt"]),
    // --- end billing issue ---

  auditLogs: defineTable(auditLogFields)
    // The studio's audit log, newest first by _creationTime across every actor (audit.list).
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes
    .index("by_siteId", ["siteId"])
    // Issue #17 personal data export: entries a user made, and entries about them (their user/member ids).
    .index("by_siteId_and_actorId_and_createdAt", ["siteId", "actorId", "createdAt"])
    .index("by_siteId_and_entityId_and_createdAt", ["siteId", "entityId", "createdAt"]),
  notifications: defineTable(notificationFields)
    .index("by_userId_and_read", ["userId", "read"])
    // --- members/notifications issue: newest-first listing of a user's notifications ---
    .index("by_userId_and_createdAt", ["userId", "createdAt"]),

  // --- members issue: pending site invitations (members.invite / members.accept) ---
  // Tokens are "<siteId>.<random>", so the lookup index can start with siteId like every tenant index.
  siteInvites: defineTable(siteInviteFields)
    .index("by_siteId_and_token", ["siteId", "token"])
    .index("by_siteId_and_email", ["siteId", "email"])
    .index("by_siteId_and_invitedBy", ["siteId", "invitedBy"]),
  // --- end members issue ---

  // --- auth issue: outgoing email and per-session metadata (ADR 004) ---
  // The dev outbox (and a log of what Resend delivered); tests and the dev mailbox read the latest per recipient and kind.
  emails: defineTable(emailFields).index("by_to_and_kind", ["to", "kind"]).index("by_idempotencyKey", ["idempotencyKey"]),
  // IP address and user agent per @convex-dev/auth session, for the "active sessions" list.
  sessionMeta: defineTable(sessionMetaFields).index("by_sessionId", ["sessionId"]).index("by_userId", ["userId"]),
  // --- end auth issue ---

  // --- billing issue: webhook idempotency (platform-level, no siteId) and Stripe customers ---
  stripeEvents: defineTable(stripeEventFields).index("by_eventId", ["eventId"]),
  billingCustomers: defineTable(billingCustomerFields)
    .index("by_siteId_and_userId", ["siteId", "userId"])
    .index("by_siteId_and_stripeCustomerId", ["siteId", "stripeCustomerId"]),
  // --- end billing issue ---

  // --- members & newsletters issue (#15, ADR 012): a publication's audience and its newsletters ---
  audienceMembers: defineTable(audienceMemberFields)
    .index("by_siteId_and_email", ["siteId", "email"])
    .index("by_siteId_and_userId", ["siteId", "userId"])
    .index("by_siteId_and_nameKey", ["siteId", "nameKey"])
    .index("by_siteId_and_access", ["siteId", "access"])
    .index("by_siteId_and_emailState", ["siteId", "emailState"])
    .index("by_siteId_and_createdAt", ["siteId", "createdAt"])
    // A bounce or complaint marks the address on every site (ADR 013; architecture.test.ts exception).
    .index("by_email", ["email"]),
  newsletters: defineTable(newsletterFields).index("by_siteId", ["siteId"]),
  memberNewsletters: defineTable(memberNewsletterFields)
    .index("by_siteId_and_memberId_and_newsletterId", ["siteId", "memberId", "newsletterId"])
    .index("by_siteId_and_newsletterId", ["siteId", "newsletterId"]),
  audienceJoinCodes: defineTable(audienceJoinCodeFields).index("by_siteId_and_email", ["siteId", "email"]),
  // --- end members & newsletters issue ---

  // --- newsletters issue (#15): Resend webhook idempotency and the suppression list (platform-level, no siteId) ---
  resendEvents: defineTable(resendEventFields).index("by_eventId", ["eventId"]),
  emailSuppressions: defineTable(emailSuppressionFields).index("by_email", ["email"]),
  // Post sends (ADR 013): one row per send with exact counters, its frozen content, one delivery per recipient.
  emailSends: defineTable(emailSendFields).index("by_siteId_and_postId", ["siteId", "postId"]),
  emailSendContents: defineTable(emailSendContentFields).index("by_siteId_and_sendId_and_kind", ["siteId", "sendId", "kind"]),
  emailSendCountShards: defineTable(emailSendCountShardFields).index("by_siteId_and_sendId_and_shard", ["siteId", "sendId", "shard"]),
  emailDeliveries: defineTable(emailDeliveryFields)
    .index("by_siteId_and_postId_and_memberId", ["siteId", "postId", "memberId"])
    .index("by_siteId_and_sendId_and_batch", ["siteId", "sendId", "batch"])
    .index("by_siteId_and_sendId_and_status", ["siteId", "sendId", "status"])
    // Issue #17 personal data export: the emails one audience member was sent.
    .index("by_siteId_and_memberId_and_createdAt", ["siteId", "memberId", "createdAt"]),
  // --- end newsletters issue ---

  // --- members CSV import (#15): import jobs with progress and row errors ---
  audienceImports: defineTable(audienceImportFields).index("by_siteId_and_createdAt", ["siteId", "createdAt"]),
  // --- end members CSV import ---

  // --- content import and export (issue #17, ADR 015) ---
  contentImports: defineTable(contentImportFields).index("by_siteId_and_createdAt", ["siteId", "createdAt"]),
  contentImportItems: defineTable(contentImportItemFields).index("by_siteId_and_importId_and_position", ["siteId", "importId", "position"]),
  importedItems: defineTable(importedItemFields).index("by_siteId_and_source_and_kind_and_sourceKey", ["siteId", "source", "kind", "sourceKey"]),
  legacyPaths: defineTable(legacyPathFields)
    .index("by_siteId_and_path", ["siteId", "path"])
    .index("by_siteId_and_postId", ["siteId", "postId"]),
  // --- end content import and export ---
});
