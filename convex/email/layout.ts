// The email layout every Pressroom email shares: a 600px table shell with the site's name, logo and
// accent colour, a content cell and a footer. Written as HTML with one <style> block that juice
// inlines into style attributes (and bgcolor/align/width attributes on table cells), because Gmail
// and Outlook drop or ignore <style> rules; the plain-text part is derived from the same HTML by
// html-to-text, so both parts always say the same thing. No "use node" needed: Convex's bundler
// (and the local backend's) takes juice's and cheerio's browser builds for the default runtime
// (juice/client.js: no file or network access); Node (tests) takes their main builds.

import { compile } from "html-to-text";
import juice from "juice";
import { ConvexError } from "convex/values";
import { checkField, FIELDS } from "../shared/fields";
import { escapeHtml } from "../shared/html";
import { isExternalHref, safeLinkHref } from "../../app/editor/urls";

/** Used when a site has no (valid) accent colour: the studio's default ink. */
export const DEFAULT_ACCENT_COLOR = "#1a1a1a";
/** Outer width of the layout in pixels; content is EMAIL_IMAGE_WIDTH (render.ts) inside padding. */
export const EMAIL_WIDTH = 600;

export interface EmailSite {
  name: string;
  /** `#rrggbb`; anything else falls back to DEFAULT_ACCENT_COLOR. */
  accentColor?: string;
  logoUrl?: string;
  /** The publication's public address (absolute http(s)). */
  url: string;
}

export { escapeHtml };

/** One line of text: control characters (CR/LF among them) become spaces, so it is safe in a header. */
export function oneLine(value: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/**
 * An absolute http(s) URL through the one URL policy (app/editor/urls.ts), or a ConvexError
 * INVALID_ARGUMENT naming `what` (javascript:, data:, relative and malformed URLs are refused).
 */
export function requireHttpUrl(raw: unknown, what: string): string {
  const href = typeof raw === "string" ? safeLinkHref(raw) : null;
  const ok = href !== null && isExternalHref(href) && /^https?:\/\//i.test(href);
  if (!ok) throw new ConvexError({ code: "INVALID_ARGUMENT", message: `The ${what} link must be an absolute http(s) URL.`, field: what });
  return new URL(href).href;
}

/** The site's accent colour if it passes the accentColor field rule, else the default. */
export function accentColorOf(site: EmailSite): string {
  if (site.accentColor === undefined) return DEFAULT_ACCENT_COLOR;
  const check = checkField(FIELDS.accentColor, site.accentColor);
  return check.ok && check.value ? check.value.toLowerCase() : DEFAULT_ACCENT_COLOR;
}

// Web-safe fonts only; colours are validated hex, the only value interpolated into the CSS.
function css(accent: string): string {
  return `
body, .body { margin: 0; padding: 0; background-color: #f4f4f5; }
.outer { background-color: #f4f4f5; width: 100%; }
.container { background-color: #ffffff; width: ${EMAIL_WIDTH}px; max-width: 100%; }
.header { padding: 24px 24px 8px 24px; font-family: Georgia, 'Times New Roman', serif; }
.logo { display: block; border: 0; margin: 0 0 8px 0; }
.site-name { color: ${accent}; font-size: 18px; font-weight: bold; text-decoration: none; font-family: Georgia, 'Times New Roman', serif; }
.content { padding: 8px 24px 24px 24px; color: #1f2328; font-family: Georgia, 'Times New Roman', serif; font-size: 17px; line-height: 1.6; }
.content h1 { font-size: 28px; line-height: 1.25; margin: 8px 0 8px 0; color: #111111; }
.content h2 { font-size: 22px; line-height: 1.3; margin: 24px 0 8px 0; color: #111111; }
.content h3 { font-size: 19px; margin: 20px 0 8px 0; color: #111111; }
.content h4 { font-size: 17px; margin: 16px 0 8px 0; color: #111111; }
.content p { margin: 0 0 16px 0; }
.content a { color: ${accent}; text-decoration: underline; }
.content blockquote { margin: 0 0 16px 0; padding: 0 0 0 16px; border-left: 3px solid ${accent}; color: #4b5563; }
.content pre { background-color: #f6f8fa; padding: 12px; font-family: Menlo, Consolas, monospace; font-size: 14px; white-space: pre-wrap; }
.content code { font-family: Menlo, Consolas, monospace; font-size: 15px; }
.content img { display: block; max-width: 100%; height: auto; border: 0; margin: 0 0 16px 0; }
.content hr { border: 0; border-top: 1px solid #e5e7eb; margin: 24px 0; }
.content .subtitle { font-size: 19px; color: #4b5563; margin: 0 0 8px 0; }
.content .byline { font-size: 14px; color: #6b7280; margin: 0 0 24px 0; font-family: Helvetica, Arial, sans-serif; }
.content .note { font-size: 16px; color: #4b5563; }
.content .code { font-family: Menlo, Consolas, monospace; font-size: 28px; letter-spacing: 4px; font-weight: bold; }
.button { margin: 8px 0 24px 0; }
.button-cell { background-color: ${accent}; padding: 12px 20px; }
.button-cell a, .content .button-cell a { color: #ffffff; font-family: Helvetica, Arial, sans-serif; font-size: 16px; font-weight: bold; text-decoration: none; }
.footer { padding: 16px 24px 32px 24px; color: #6b7280; font-family: Helvetica, Arial, sans-serif; font-size: 13px; line-height: 1.5; }
.footer p { margin: 0 0 8px 0; }
.footer a { color: #6b7280; text-decoration: underline; }
.preheader { display: none; max-height: 0; overflow: hidden; font-size: 1px; line-height: 1px; color: #f4f4f5; }
`;
}

/** A bulletproof button: a table cell with a background colour, so Outlook shows it too. */
export function buttonHtml(href: string, label: string): string {
  return `<table role="presentation" class="button" cellpadding="0" cellspacing="0" border="0"><tr><td class="button-cell"><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></td></tr></table>`;
}

export interface ShellParts {
  site: EmailSite;
  /** The document title (escaped here). */
  title: string;
  /** Hidden preview text shown by inboxes next to the subject (escaped here). */
  preheader?: string;
  /** Trusted HTML of the content cell: built by the caller from escaped strings and the renderer. */
  contentHtml: string;
  /** Trusted HTML of the footer cell. */
  footerHtml: string;
}

/** The whole email: shell + content, CSS inlined by juice. */
export function layoutHtml(parts: ShellParts): string {
  const accent = accentColorOf(parts.site);
  const siteUrl = requireHttpUrl(parts.site.url, "site");
  const name = escapeHtml(oneLine(parts.site.name, 120));
  const logo = parts.site.logoUrl
    ? `<a class="header-link" href="${escapeHtml(siteUrl)}"><img class="logo" src="${escapeHtml(requireHttpUrl(parts.site.logoUrl, "logo"))}" width="48" height="48" alt="${name}"></a>`
    : "";
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="x-apple-disable-message-reformatting"><title>${escapeHtml(oneLine(parts.title))}</title><style>${css(accent)}</style></head>
<body class="body" bgcolor="#f4f4f5">${parts.preheader ? `<div class="preheader">${escapeHtml(oneLine(parts.preheader, 200))}</div>` : ""}
<table role="presentation" class="outer" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f4f4f5"><tr><td align="center">
<table role="presentation" class="container" width="${EMAIL_WIDTH}" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff">
<tr><td class="header">${logo}<a class="site-name header-link" href="${escapeHtml(siteUrl)}">${name}</a></td></tr>
<tr><td class="content">${parts.contentHtml}</td></tr>
<tr><td class="footer">${parts.footerHtml}</td></tr>
</table></td></tr></table></body></html>`;
  return juice(html, { removeStyleTags: true, preserveMediaQueries: false, applyAttributesTableElements: true, applyWidthAttributes: true, applyHeightAttributes: false });
}

// Compiled once: html-to-text builds its selector tree per options object, which costs more than a convert.
const toText = compile({
  wordwrap: 78,
  selectors: [
    { selector: "a", options: { linkBrackets: ["(", ")"], hideLinkIfSameAsText: true } },
    { selector: "img", format: "skip" },
    { selector: ".preheader", format: "skip" },
    // The header (logo, site name) is the name alone in text.
    { selector: "a.header-link", format: "anchor", options: { ignoreHref: true } },
    { selector: "h1", options: { uppercase: false } },
    { selector: "h2", options: { uppercase: false } },
    { selector: "h3", options: { uppercase: false } },
    { selector: "h4", options: { uppercase: false } },
  ],
});

/** The plain-text part of an email's HTML: headings, paragraphs and lists as text, links as `text (url)`. */
export function htmlToText(html: string): string {
  return toText(html).trim();
}
