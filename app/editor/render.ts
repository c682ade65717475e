// Stored documents → HTML for readers, feeds and previews. Never trusts the stored JSON: it is
// normalized to the schema (doc.ts), rendered without a DOM (@tiptap/static-renderer), then the
// HTML goes through sanitize-html with an allowlist that matches the schema exactly (tags,
// attributes, URL schemes). Server-side module (sanitize-html is heavy; keep it out of client bundles).

import type { JSONContent } from "@tiptap/core";
import { renderToHTMLString } from "@tiptap/static-renderer/pm/html-string";
import sanitizeHtml from "sanitize-html";
import { normalizeDoc, parseDocText } from "./doc";
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

/** HTML that only holds what a document may hold (also the last step of docToSafeHtml). */
export function sanitizeReaderHtml(html: string): string {
  return sanitizeHtml(html, READER_SANITIZE);
}

let readerExtensions: ReturnType<typeof editorExtensions> | null = null;

/** A document (any value; it is normalized first) → sanitized HTML. */
export function renderDocHtml(doc: JSONContent | unknown): string {
  const normalized = normalizeDoc(doc);
  const html = renderToHTMLString({ content: normalized, extensions: (readerExtensions ??= editorExtensions()) });
  return sanitizeReaderHtml(html);
}

/**
 * Stored document text (`postBodies.doc`) → sanitized HTML. Text that is not a TipTap doc renders
 * as nothing (""), never as markup.
 */
export function docToSafeHtml(docJson: string): string {
  const doc = typeof docJson === "string" ? parseDocText(docJson) : null;
  return doc ? renderDocHtml(doc) : "";
}
