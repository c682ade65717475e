// The one TipTap renderer: stored documents → HTML for reader pages, feeds and the studio preview
// (app/reader/render.server.ts adds the memo) and for anything else that shows a document. Never
// trusts the stored JSON: it is normalized to the schema (doc.ts), rendered without a DOM
// (@tiptap/static-renderer), then the HTML goes through sanitize-html with an allowlist that
// matches the schema exactly (tags, attributes, URL schemes). Two targets share that allowlist:
// "document" is the schema's HTML as is; "page" is what a reader page or feed shows (body
// headings start at h2 under the post's h1, every link is marked ugc, images load lazily and always
// have an alt); "email" is what a newsletter carries (h2 headings, every link and image absolute
// against the post's address, images with alt and a width, as mail clients need). Server-side
// module (sanitize-html is heavy; keep it out of client bundles).

import type { JSONContent } from "@tiptap/core";
import { renderToHTMLString } from "@tiptap/static-renderer/pm/html-string";
import sanitizeHtml from "sanitize-html";
import { docSchema, normalizeDoc, parseDocText } from "./doc";
import { editorExtensions } from "./extensions";
import { EXTERNAL_LINK_REL, isExternalHref, safeImageSrc, safeLanguage, safeLinkHref } from "./urls";

/** Every tag a rendered document may contain (one per node and mark of the schema). */
export const READER_TAGS = [
  "p", "br", "h1", "h2", "h3", "h4", "blockquote", "pre", "code", "hr",
  "ul", "ol", "li", "a", "img", "strong", "em", "s",
] as const;

const READER_SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...READER_TAGS],
  allowedAttributes: {
    a: ["href", "title", "rel"],
    img: ["src", "alt", "title"],
    ol: ["start"],
    code: ["class"],
  },
  allowedClasses: { code: ["language-*"] },
  allowedStyles: {},
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["http", "https"] },
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  allowVulnerableTags: false,
  disallowedTagsMode: "discard",
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "template", "title", "iframe", "object", "svg", "math"],
  transformTags: {
    a: (_tagName, attribs) => {
      const href = safeLinkHref(attribs.href);
      // A link we may not render is its text (span is not allowed, so only the text remains).
      if (!href) return { tagName: "span", attribs: {} };
      const out: Record<string, string> = { href };
      if (attribs.title) out.title = attribs.title;
      if (isExternalHref(href)) out.rel = EXTERNAL_LINK_REL;
      return { tagName: "a", attribs: out };
    },
    img: (tagName, attribs) => {
      const src = safeImageSrc(attribs.src);
      const out: Record<string, string> = {};
      if (src) out.src = src;
      if (attribs.alt) out.alt = attribs.alt;
      if (attribs.title) out.title = attribs.title;
      return { tagName, attribs: out };
    },
    code: (tagName, attribs) => {
      const language = safeLanguage((attribs.class ?? "").match(/(?:^|\s)language-(\S+)/)?.[1]);
      const out: Record<string, string> = {};
      if (language) out.class = `language-${language}`;
      return { tagName, attribs: out };
    },
    ol: (tagName, attribs) => {
      const start = Number.parseInt(attribs.start ?? "", 10);
      const out: Record<string, string> = {};
      if (Number.isFinite(start) && start !== 1) out.start = String(start);
      return { tagName, attribs: out };
    },
  },
  exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
};

/** Where rendered HTML goes: the document as the schema has it, a reader page/feed, or an email (see top). */
export type RenderTarget = "document" | "page" | "email";

/** What the email target needs: emails have no page address, so relative URLs are resolved here. */
export interface EmailRenderOptions {
  /** Absolute http(s) URL that links ("/about", "#notes") resolve against: the post's address. */
  baseUrl: string;
  /** Absolute http(s) URL that image paths (`/api/storage/…`) resolve against; default baseUrl. */
  imageBaseUrl?: string;
  /** Width attribute of images (Outlook ignores CSS widths); default EMAIL_IMAGE_WIDTH. */
  imageWidth?: number;
}

/** Content width of the email layout, in pixels (600 minus the body's padding). */
export const EMAIL_IMAGE_WIDTH = 552;

/** Links in reader pages are the author's, not the publication's: search engines get `ugc`. */
export const PAGE_LINK_REL = "noopener noreferrer nofollow ugc";

const baseTransforms = READER_SANITIZE.transformTags as Record<string, sanitizeHtml.Transformer>;

/** The same allowlist with the page's finishing touches, in the same single pass. */
const PAGE_SANITIZE: sanitizeHtml.IOptions = {
  ...READER_SANITIZE,
  allowedTags: READER_TAGS.filter((t) => t !== "h1"),
  allowedAttributes: { ...READER_SANITIZE.allowedAttributes, img: ["src", "alt", "title", "loading", "decoding"] },
  transformTags: {
    ...baseTransforms,
    h1: "h2",
    a: (tagName, attribs) => {
      const out = baseTransforms.a(tagName, attribs);
      return out.tagName === "a" ? { tagName: "a", attribs: { ...out.attribs, rel: PAGE_LINK_REL } } : out;
    },
    // Every image gets an alt (empty marks it decorative) so screen readers never read file names.
    img: (tagName, attribs) => {
      const out = baseTransforms.img(tagName, attribs);
      return { tagName: out.tagName, attribs: { ...out.attribs, alt: out.attribs.alt ?? "", loading: "lazy", decoding: "async" } };
    },
  },
};

function absoluteBase(raw: string, what: string): URL {
  const url = safeLinkHref(raw) && isExternalHref(raw) ? new URL(raw) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) throw new TypeError(`${what} must be an absolute http(s) URL`);
  return url;
}

/** The same allowlist for emails: built per call, since relative URLs resolve against the post. */
function emailSanitize(options: EmailRenderOptions): sanitizeHtml.IOptions {
  const base = absoluteBase(options.baseUrl, "baseUrl");
  const imageBase = options.imageBaseUrl === undefined ? base : absoluteBase(options.imageBaseUrl, "imageBaseUrl");
  const width = Number.isInteger(options.imageWidth) && options.imageWidth! > 0 ? options.imageWidth! : EMAIL_IMAGE_WIDTH;
  return {
    ...READER_SANITIZE,
    allowedTags: READER_TAGS.filter((t) => t !== "h1"),
    allowedAttributes: { ...READER_SANITIZE.allowedAttributes, a: ["href", "title"], img: ["src", "alt", "title", "width"] },
    transformTags: {
      ...baseTransforms,
      h1: "h2",
      a: (tagName, attribs) => {
        const out = baseTransforms.a(tagName, attribs);
        if (out.tagName !== "a") return out;
        // Only the policy's hrefs get here; resolving one keeps its scheme (http, https, mailto).
        const { rel: _rel, ...rest } = out.attribs;
        return { tagName: "a", attribs: { ...rest, href: new URL(out.attribs.href, base).href } };
      },
      img: (tagName, attribs) => {
        const out = baseTransforms.img(tagName, attribs);
        if (!out.attribs.src) return out;
        return { tagName, attribs: { ...out.attribs, src: new URL(out.attribs.src, imageBase).href, alt: out.attribs.alt ?? "", width: String(width) } };
      },
    },
  };
}

/** HTML that only holds what a document may hold (also the last step of docToSafeHtml). */
export function sanitizeReaderHtml(html: string, target?: "document" | "page"): string;
export function sanitizeReaderHtml(html: string, target: "email", email: EmailRenderOptions): string;
export function sanitizeReaderHtml(html: string, target: RenderTarget = "document", email?: EmailRenderOptions): string {
  if (target === "email") {
    if (!email) throw new TypeError("the email target needs EmailRenderOptions");
    return sanitizeHtml(html, emailSanitize(email));
  }
  return sanitizeHtml(html, target === "page" ? PAGE_SANITIZE : READER_SANITIZE);
}

let readerExtensions: ReturnType<typeof editorExtensions> | null = null;

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Every text node, in order: the fallback if the static renderer ever throws on a document. */
function textsOf(node: JSONContent, out: string[] = []): string[] {
  if (typeof node.text === "string") out.push(node.text);
  for (const c of node.content ?? []) textsOf(c, out);
  return out;
}

/** A document (any value; it is normalized first) → sanitized HTML. Never throws on the document. */
export function renderDocHtml(doc: JSONContent | unknown, target?: "document" | "page"): string;
export function renderDocHtml(doc: JSONContent | unknown, target: "email", email: EmailRenderOptions): string;
export function renderDocHtml(doc: JSONContent | unknown, target: RenderTarget = "document", email?: EmailRenderOptions): string {
  const normalized = normalizeDoc(doc);
  let html: string;
  try {
    // A ProseMirror node on the one schema (doc.ts), not JSON: given JSON, the static renderer
    // builds a schema from the extensions on every call (~3 of the ~4.6 ms a short post took).
    html = renderToHTMLString({ content: docSchema().nodeFromJSON(normalized), extensions: (readerExtensions ??= editorExtensions()) });
  } catch {
    // Not expected (the document fits the schema); a page still shows the words, as plain paragraphs.
    html = textsOf(normalized)
      .map((t) => `<p>${escapeText(t)}</p>`)
      .join("");
  }
  return target === "email" ? sanitizeReaderHtml(html, "email", email!) : sanitizeReaderHtml(html, target);
}

/**
 * The version of what `docToSafeHtml(doc, "page")` makes of a document. Publishing stores that HTML
 * with the body (postBodies.html, issue #18) and this number; bump it whenever the page output
 * changes (the allowlist, a transform, an extension's HTML): stored HTML of another version is not
 * served, the body is rendered again from its document when read.
 */
export const PAGE_HTML_VERSION = 1;

/**
 * Stored document text (`postBodies.doc`) → sanitized HTML. Text that is not a TipTap doc renders
 * as nothing (""), never as markup.
 */
export function docToSafeHtml(docJson: string, target: "document" | "page" = "document"): string {
  const doc = typeof docJson === "string" ? parseDocText(docJson) : null;
  return doc ? renderDocHtml(doc, target) : "";
}
