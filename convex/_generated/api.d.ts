/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as account from "../account.js";
import type * as audience from "../audience.js";
import type * as audienceImport from "../audienceImport.js";
import type * as audit from "../audit.js";
import type * as auth from "../auth.js";
import type * as billing from "../billing.js";
import type * as categories from "../categories.js";
import type * as contentImport from "../contentImport.js";
import type * as contentImportRun from "../contentImportRun.js";
import type * as demo from "../demo.js";
import type * as demoDesign from "../demoDesign.js";
import type * as email_layout from "../email/layout.js";
import type * as email_postEmail from "../email/postEmail.js";
import type * as email_transactional from "../email/transactional.js";
import type * as emails from "../emails.js";
import type * as env from "../env.js";
import type * as http from "../http.js";
import type * as http_resendWebhook from "../http/resendWebhook.js";
import type * as http_respond from "../http/respond.js";
import type * as http_stripeWebhook from "../http/stripeWebhook.js";
import type * as http_unsubscribe from "../http/unsubscribe.js";
import type * as lib_access from "../lib/access.js";
import type * as lib_audit from "../lib/audit.js";
import type * as lib_auth from "../lib/auth.js";
import type * as lib_errors from "../lib/errors.js";
import type * as lib_functions from "../lib/functions.js";
import type * as lib_inWaves from "../lib/inWaves.js";
import type * as lib_memberTokens from "../lib/memberTokens.js";
import type * as lib_notify from "../lib/notify.js";
import type * as lib_rateLimits from "../lib/rateLimits.js";
import type * as lib_readOnce from "../lib/readOnce.js";
import type * as members from "../members.js";
import type * as migrate_dom from "../migrate/dom.js";
import type * as migrate_ghost from "../migrate/ghost.js";
import type * as migrate_ghostContent from "../migrate/ghostContent.js";
import type * as migrate_ghostExport from "../migrate/ghostExport.js";
import type * as migrate_html from "../migrate/html.js";
import type * as migrate_markdownExport from "../migrate/markdownExport.js";
import type * as migrate_medium from "../migrate/medium.js";
import type * as migrate_parse from "../migrate/parse.js";
import type * as migrate_substack from "../migrate/substack.js";
import type * as migrate_types from "../migrate/types.js";
import type * as migrate_wordpressContent from "../migrate/wordpressContent.js";
import type * as migrate_wxr from "../migrate/wxr.js";
import type * as migrate_zip from "../migrate/zip.js";
import type * as migrations from "../migrations.js";
import type * as model_account from "../model/account.js";
import type * as model_audience from "../model/audience.js";
import type * as model_audienceImport from "../model/audienceImport.js";
import type * as model_audienceImportFormat from "../model/audienceImportFormat.js";
import type * as model_audienceImportRun from "../model/audienceImportRun.js";
import type * as model_audienceStudio from "../model/audienceStudio.js";
import type * as model_billing from "../model/billing.js";
import type * as model_budget from "../model/budget.js";
import type * as model_content from "../model/content.js";
import type * as model_contentImport from "../model/contentImport.js";
import type * as model_contentImportAnalyze from "../model/contentImportAnalyze.js";
import type * as model_contentImportPlan from "../model/contentImportPlan.js";
import type * as model_contentImportWrite from "../model/contentImportWrite.js";
import type * as model_domains from "../model/domains.js";
import type * as model_email from "../model/email.js";
import type * as model_entitlements from "../model/entitlements.js";
import type * as model_legacyPaths from "../model/legacyPaths.js";
import type * as model_members from "../model/members.js";
import type * as model_newsletters from "../model/newsletters.js";
import type * as model_personalData from "../model/personalData.js";
import type * as model_placeholders from "../model/placeholders.js";
import type * as model_postLifecycle from "../model/postLifecycle.js";
import type * as model_postProjection from "../model/postProjection.js";
import type * as model_posts from "../model/posts.js";
import type * as model_publication from "../model/publication.js";
import type * as model_reader from "../model/reader.js";
import type * as model_sends from "../model/sends.js";
import type * as model_sendsPipeline from "../model/sendsPipeline.js";
import type * as model_siteExport from "../model/siteExport.js";
import type * as model_sites from "../model/sites.js";
import type * as model_slugs from "../model/slugs.js";
import type * as model_stripeEvents from "../model/stripeEvents.js";
import type * as model_stripeParse from "../model/stripeParse.js";
import type * as model_stripePayments from "../model/stripePayments.js";
import type * as model_stripeSubscriptions from "../model/stripeSubscriptions.js";
import type * as model_studioPosts from "../model/studioPosts.js";
import type * as model_suppressions from "../model/suppressions.js";
import type * as model_taxonomy from "../model/taxonomy.js";
import type * as model_theme from "../model/theme.js";
import type * as model_userDeletion from "../model/userDeletion.js";
import type * as model_users from "../model/users.js";
import type * as model_views from "../model/views.js";
import type * as newsletters from "../newsletters.js";
import type * as notifications from "../notifications.js";
import type * as plans from "../plans.js";
import type * as posts from "../posts.js";
import type * as reader from "../reader.js";
import type * as review from "../review.js";
import type * as sends from "../sends.js";
import type * as shared_bodyKey from "../shared/bodyKey.js";
import type * as shared_constants from "../shared/constants.js";
import type * as shared_errors from "../shared/errors.js";
import type * as shared_fields from "../shared/fields.js";
import type * as shared_html from "../shared/html.js";
import type * as shared_roles from "../shared/roles.js";
import type * as shared_slugs from "../shared/slugs.js";
import type * as shared_theme from "../shared/theme.js";
import type * as siteExport from "../siteExport.js";
import type * as sites from "../sites.js";
import type * as suppressions from "../suppressions.js";
import type * as tags from "../tags.js";
import type * as users from "../users.js";
import type * as validators from "../validators.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  account: typeof account;
  audience: typeof audience;
  audienceImport: typeof audienceImport;
  audit: typeof audit;
  auth: typeof auth;
  billing: typeof billing;
  categories: typeof categories;
  contentImport: typeof contentImport;
  contentImportRun: typeof contentImportRun;
  demo: typeof demo;
  demoDesign: typeof demoDesign;
  "email/layout": typeof email_layout;
  "email/postEmail": typeof email_postEmail;
  "email/transactional": typeof email_transactional;
  emails: typeof emails;
  env: typeof env;
  http: typeof http;
  "http/resendWebhook": typeof http_resendWebhook;
  "http/respond": typeof http_respond;
  "http/stripeWebhook": typeof http_stripeWebhook;
  "http/unsubscribe": typeof http_unsubscribe;
  "lib/access": typeof lib_access;
  "lib/audit": typeof lib_audit;
  "lib/auth": typeof lib_auth;
  "lib/errors": typeof lib_errors;
  "lib/functions": typeof lib_functions;
  "lib/inWaves": typeof lib_inWaves;
  "lib/memberTokens": typeof lib_memberTokens;
  "lib/notify": typeof lib_notify;
  "lib/rateLimits": typeof lib_rateLimits;
  "lib/readOnce": typeof lib_readOnce;
  members: typeof members;
  "migrate/dom": typeof migrate_dom;
  "migrate/ghost": typeof migrate_ghost;
  "migrate/ghostContent": typeof migrate_ghostContent;
  "migrate/ghostExport": typeof migrate_ghostExport;
  "migrate/html": typeof migrate_html;
  "migrate/markdownExport": typeof migrate_markdownExport;
  "migrate/medium": typeof migrate_medium;
  "migrate/parse": typeof migrate_parse;
  "migrate/substack": typeof migrate_substack;
  "migrate/types": typeof migrate_types;
  "migrate/wordpressContent": typeof migrate_wordpressContent;
  "migrate/wxr": typeof migrate_wxr;
  "migrate/zip": typeof migrate_zip;
  migrations: typeof migrations;
  "model/account": typeof model_account;
  "model/audience": typeof model_audience;
  "model/audienceImport": typeof model_audienceImport;
  "model/audienceImportFormat": typeof model_audienceImportFormat;
  "model/audienceImportRun": typeof model_audienceImportRun;
  "model/audienceStudio": typeof model_audienceStudio;
  "model/billing": typeof model_billing;
  "model/budget": typeof model_budget;
  "model/content": typeof model_content;
  "model/contentImport": typeof model_contentImport;
  "model/contentImportAnalyze": typeof model_contentImportAnalyze;
  "model/contentImportPlan": typeof model_contentImportPlan;
  "model/contentImportWrite": typeof model_contentImportWrite;
  "model/domains": typeof model_domains;
  "model/email": typeof model_email;
  "model/entitlements": typeof model_entitlements;
  "model/legacyPaths": typeof model_legacyPaths;
  "model/members": typeof model_members;
  "model/newsletters": typeof model_newsletters;
  "model/personalData": typeof model_personalData;
  "model/placeholders": typeof model_placeholders;
  "model/postLifecycle": typeof model_postLifecycle;
  "model/postProjection": typeof model_postProjection;
  "model/posts": typeof model_posts;
  "model/publication": typeof model_publication;
  "model/reader": typeof model_reader;
  "model/sends": typeof model_sends;
  "model/sendsPipeline": typeof model_sendsPipeline;
  "model/siteExport": typeof model_siteExport;
  "model/sites": typeof model_sites;
  "model/slugs": typeof model_slugs;
  "model/stripeEvents": typeof model_stripeEvents;
  "model/stripeParse": typeof model_stripeParse;
  "model/stripePayments": typeof model_stripePayments;
  "model/stripeSubscriptions": typeof model_stripeSubscriptions;
  "model/studioPosts": typeof model_studioPosts;
  "model/suppressions": typeof model_suppressions;
  "model/taxonomy": typeof model_taxonomy;
  "model/theme": typeof model_theme;
  "model/userDeletion": typeof model_userDeletion;
  "model/users": typeof model_users;
  "model/views": typeof model_views;
  newsletters: typeof newsletters;
  notifications: typeof notifications;
  plans: typeof plans;
  posts: typeof posts;
  reader: typeof reader;
  review: typeof review;
  sends: typeof sends;
  "shared/bodyKey": typeof shared_bodyKey;
  "shared/constants": typeof shared_constants;
  "shared/errors": typeof shared_errors;
  "shared/fields": typeof shared_fields;
  "shared/html": typeof shared_html;
  "shared/roles": typeof shared_roles;
  "shared/slugs": typeof shared_slugs;
  "shared/theme": typeof shared_theme;
  siteExport: typeof siteExport;
  sites: typeof sites;
  suppressions: typeof suppressions;
  tags: typeof tags;
  users: typeof users;
  validators: typeof validators;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
};
