// A post as an email (issue #15). Pure: no database, no clock. The sending job renders once per
// (post version, access class) with renderPostEmailTemplate, then fills each recipient's own links
// (unsubscribe, preferences) with fillPostEmail; renderPostEmail does both for one recipient.
//
// THE PAYWALL HOLDS: a "teaser" render (free recipients of a featured post) takes no document at
// all. The types forbid `post.doc` there and the function refuses it at run time, and the teaser
// branch never reads it, so the body cannot reach a free member's inbox through this module.
// The body of a "full" render goes through the one TipTap renderer (app/editor/render.ts, "email"
// target: same allowlist as reader pages, links and images absolute). Runs in Convex's default
// runtime (layout.ts says why).

import { ConvexError } from "convex/values";
import { parseDocText } from "../../app/editor/doc";
import { renderDocHtml } from "../../app/editor/render";
import { buttonHtml, escapeHtml, htmlToText, layoutHtml, oneLine, requireHttpUrl, type EmailSite } from "./layout";

export type { EmailSite } from "./layout";

interface PostEmailPostBase {
  title: string;
  subtitle?: string;
  authorName?: string;
  /** Milliseconds since the epoch. */
  publishedAt: number;
  featured: boolean;
  /** The public teaser (model/content.ts publicExcerpt): all a teaser render shows of the post. */
  excerpt: string;
}

/** A post for paid recipients, or any recipient of a post that is not featured. */
export type FullPost = PostEmailPostBase & { /** TipTap JSON, or its stored text (postBodies.doc). */ doc: unknown };
/** A post for free recipients of a featured post: no body, by type and at run time. */
export type TeaserPost = PostEmailPostBase & { doc?: never };

/** Links shared by every recipient of one render. */
export interface ClassLinks {
  /** The post on the site. */
  post: string;
  /** Where a free member upgrades; required for teaser renders. */
  upgrade?: string;
}

/** One recipient's own links (signed by the caller; see N1's memberTokens). */
export interface RecipientLinks {
  /** The visible footer link: the app's confirmation page (`${SITE_URL}/{site}/email/unsubscribe?token=…`). */
  unsubscribe: string;
  /** The RFC 8058 one-click URL for the List-Unsubscribe header (`${CONVEX_SITE_URL}/unsubscribe?token=…`). */
  oneClick: string;
  preferences: string;
  /** Optional `mailto:` for List-Unsubscribe (RFC 2369); the https link is the one-click one. */
  unsubscribeMailto?: string;
}

export type PostEmailTemplateInput = { site: EmailSite; links: ClassLinks } & (
  | { access: "full"; post: FullPost }
  | { access: "teaser"; post: TeaserPost; links: ClassLinks & { upgrade: string } }
);

export type PostEmailInput = PostEmailTemplateInput & { links: RecipientLinks };

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** One render for many recipients: recipient links are unguessable placeholders until filled. */
export interface PostEmailTemplate {
  subject: string;
  html: string;
  text: string;
  /** Per-render random strings standing for the recipient's links (authors cannot type them in advance). */
  placeholders: { unsubscribe: string; preferences: string };
}

const invalid = (message: string, field?: string) => new ConvexError({ code: "INVALID_ARGUMENT" as const, message, ...(field ? { field } : {}) });

function formatDate(ms: number): string {
  if (!Number.isFinite(ms)) throw invalid("publishedAt must be a time in milliseconds.", "publishedAt");
  return new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(new Date(ms));
}

function paragraphsHtml(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/** The body of a full render, through the one renderer. */
function fullBody(post: FullPost, postUrl: string, imageBaseUrl: string | undefined): string {
  const doc = typeof post.doc === "string" ? parseDocText(post.doc) : post.doc;
  if (doc === null || doc === undefined) throw invalid("A full email needs the post's document.", "doc");
  return renderDocHtml(doc, "email", { baseUrl: postUrl, ...(imageBaseUrl ? { imageBaseUrl } : {}) });
}

/** The body of a teaser render: the public excerpt and the way to the rest. Never sees a document. */
function teaserBody(excerpt: string, links: { post: string; upgrade: string }): string {
  return (
    paragraphsHtml(excerpt) +
    `<p class="note">The rest of this post is for paid subscribers.</p>` +
    buttonHtml(links.upgrade, "Upgrade to read the whole post") +
    `<p class="note">Already a paid subscriber? <a href="${escapeHtml(links.post)}">Read it on the site</a>.</p>`
  );
}

/**
 * Render a post once for every recipient of one access class. `imageBaseUrl` is where image paths
 * (`/api/storage/…`) resolve; default: the post's URL.
 */
export function renderPostEmailTemplate(input: PostEmailTemplateInput, options: { imageBaseUrl?: string } = {}): PostEmailTemplate {
  const { site, post } = input;
  const access: unknown = input.access;
  if (access !== "full" && access !== "teaser") throw invalid('access must be "full" or "teaser".', "access");
  // Run-time half of the paywall (the types are the other half): a teaser render takes no body.
  if (access === "teaser" && Object.prototype.hasOwnProperty.call(post, "doc")) {
    throw new ConvexError({ code: "INVALID_STATE", message: "A teaser email must be rendered without the post's body." });
  }
  const postUrl = requireHttpUrl(input.links.post, "post");
  const imageBaseUrl = options.imageBaseUrl === undefined ? undefined : requireHttpUrl(options.imageBaseUrl, "imageBaseUrl");
  const title = oneLine(String(post.title ?? "")) || "Untitled";

  const byline = [post.authorName ? escapeHtml(oneLine(post.authorName, 100)) : "", escapeHtml(formatDate(post.publishedAt))].filter(Boolean).join(" · ");
  const header =
    `<h1><a href="${escapeHtml(postUrl)}" style="color:#111111;text-decoration:none">${escapeHtml(title)}</a></h1>` +
    (post.subtitle ? `<p class="subtitle">${escapeHtml(oneLine(post.subtitle, 400))}</p>` : "") +
    `<p class="byline">${byline}</p>`;

  const body =
    input.access === "teaser"
      ? teaserBody(String(post.excerpt ?? ""), { post: postUrl, upgrade: requireHttpUrl(input.links.upgrade, "upgrade") })
      : fullBody(input.post, postUrl, imageBaseUrl);

  const placeholders = { unsubscribe: placeholder("unsubscribe"), preferences: placeholder("preferences") };
  const footerHtml =
    `<p>You are receiving this because you subscribed to ${escapeHtml(oneLine(site.name, 120))}.</p>` +
    `<p><a href="${escapeHtml(postUrl)}">View in browser</a> · <a href="${placeholders.preferences}">Email preferences</a> · <a href="${placeholders.unsubscribe}">Unsubscribe</a></p>`;

  const html = layoutHtml({ site, title, preheader: post.subtitle || post.excerpt, contentHtml: header + body, footerHtml });
  return { subject: title, html, text: htmlToText(html), placeholders };
}

// A URL-shaped token (so juice and html-to-text keep it as a link) with 122 random bits.
function placeholder(kind: string): string {
  return `https://recipient.invalid/${kind}/${crypto.randomUUID()}`;
}

/** A recipient's copy of a template: their links in the footer and the RFC 8058 headers. */
export function fillPostEmail(template: PostEmailTemplate, links: RecipientLinks): RenderedEmail {
  const unsubscribe = requireHttpUrl(links.unsubscribe, "unsubscribe");
  const oneClick = requireHttpUrl(links.oneClick, "oneClick");
  const preferences = requireHttpUrl(links.preferences, "preferences");
  let mailto: string | undefined;
  if (links.unsubscribeMailto !== undefined) {
    const m = /^mailto:[^\s<>"',]+$/i.exec(links.unsubscribeMailto);
    if (!m) throw invalid("The unsubscribe mailto must be a mailto: address.", "unsubscribeMailto");
    mailto = m[0];
  }
  const fill = (s: string, escape: (v: string) => string) =>
    s.split(template.placeholders.unsubscribe).join(escape(unsubscribe)).split(template.placeholders.preferences).join(escape(preferences));
  return {
    subject: template.subject,
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (v) => v),
    headers: {
      "List-Unsubscribe": mailto ? `<${oneClick}>, <${mailto}>` : `<${oneClick}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

/** One recipient's email (template + fill). The sending job should render once per class instead. */
export function renderPostEmail(input: PostEmailInput, options: { imageBaseUrl?: string } = {}): RenderedEmail {
  return fillPostEmail(renderPostEmailTemplate(input, options), input.links);
}
