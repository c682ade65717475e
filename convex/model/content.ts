import { MAX_DOC_CHARS } from "../shared/constants";
import { appError } from "../lib/errors";

// TipTap documents as Pressroom stores them (ADR 005): JSON text of a ProseMirror doc. This module
// only reads structure (text, word counts); rendering to HTML happens in the app, sanitized.

export interface DocNode {
  type: string;
  text?: string;
  content?: DocNode[];
  attrs?: Record<string, unknown>;
  marks?: Array<{ type: string; attrs?: Record<string, unknown> }>;
}

export const EMPTY_DOC = JSON.stringify({ type: "doc", content: [{ type: "paragraph" }] });

/**
 * Parses and checks a stored document.
 * @throws ConvexError DOCUMENT_TOO_LARGE or INVALID_ARGUMENT (field "doc")
 */
export function parseDoc(json: string): DocNode {
  if (json.length > MAX_DOC_CHARS) throw appError("DOCUMENT_TOO_LARGE", { field: "doc" });
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw appError("INVALID_ARGUMENT", { field: "doc", message: "The document is not valid JSON." });
  }
  if (!isNode(doc) || doc.type !== "doc") {
    throw appError("INVALID_ARGUMENT", { field: "doc", message: "The document must be a TipTap doc node." });
  }
  return doc;
}

function isNode(x: unknown): x is DocNode {
  if (!x || typeof x !== "object" || Array.isArray(x)) return false;
  const n = x as DocNode;
  if (typeof n.type !== "string") return false;
  if (n.text !== undefined && typeof n.text !== "string") return false;
  if (n.content !== undefined && (!Array.isArray(n.content) || !n.content.every(isNode))) return false;
  return true;
}

const BLOCKS = new Set(["paragraph", "heading", "blockquote", "codeBlock", "listItem", "horizontalRule", "image"]);

/** Plain text of a document: blocks separated by blank lines, hard breaks as newlines. */
export function docToText(doc: DocNode): string {
  const out: string[] = [];
  const walk = (n: DocNode) => {
    if (n.type === "text") out.push(n.text ?? "");
    else if (n.type === "hardBreak") out.push("\n");
    for (const c of n.content ?? []) walk(c);
    if (BLOCKS.has(n.type)) out.push("\n\n");
  };
  walk(doc);
  return out
    .join("")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function wordCount(text: string): number {
  const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu);
  return words ? words.length : 0;
}

/** Reading time at 230 words a minute, at least one minute. */
export function readingTimeMinutes(words: number): number {
  return Math.max(1, Math.round(words / 230));
}

/** How long an automatic excerpt may be, in characters (the ellipsis included for paid teasers). */
export const AUTO_EXCERPT_MAX = 220;

/** An excerpt generated from a free post's body when the author left it empty: about `max` characters, cut at a word. */
export function autoExcerpt(text: string, max = AUTO_EXCERPT_MAX): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const lastSpace = cut.lastIndexOf(" ");
  return `${(lastSpace > max * 0.6 ? cut.slice(0, lastSpace) : cut).replace(/[\s,;:.—-]+$/, "")}…`;
}

/**
 * The automatic teaser of a featured (paid) post, whose whole body is paid: at most a third of its
 * text and at most `max` characters (ellipsis included), cut at a word, taken from the paragraphs
 * before the last one (a one-paragraph post: from that paragraph, still at most a third of it). So
 * it is never the whole body and never carries its ending. "" when no such cut exists (a very short
 * post, or no word boundary within the limit).
 */
export function paidTeaser(text: string, max = AUTO_EXCERPT_MAX): string {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  if (!paragraphs.length) return "";
  const total = paragraphs.join(" ").length;
  const limit = Math.min(max, Math.floor(total / 3)) - 1; // one character for the ellipsis
  if (limit <= 0) return "";
  const source = paragraphs.length > 1 ? paragraphs.slice(0, -1).join(" ") : paragraphs[0];
  let cut = source;
  if (source.length > limit) {
    // The character just past the limit tells whether cutting at the limit ends a word.
    const end = source.slice(0, limit + 1).lastIndexOf(" ");
    if (end <= 0) return "";
    cut = source.slice(0, end);
  }
  cut = cut.replace(/[\s,;:.—-]+$/, "");
  return cut ? `${cut}…` : "";
}

/**
 * The excerpt readers see of a post: the author's own, else the automatic one, which for a featured
 * post is the paid teaser. The one rule for cards, feeds, Open Graph, JSON-LD, search and the
 * editor's "Public teaser" preview.
 */
export function publicExcerpt(featured: boolean, authorExcerpt: string | undefined, text: string): string {
  if (authorExcerpt !== undefined && authorExcerpt.trim()) return authorExcerpt.trim();
  return featured ? paidTeaser(text) : autoExcerpt(text);
}
