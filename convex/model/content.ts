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

// Automatic excerpts are cut from prose only: code, images and rules read as noise in a card.
const EXCERPT_SKIP = new Set(["codeBlock", "image", "horizontalRule"]);
const EXCERPT_TEXTBLOCKS = new Set(["paragraph", "heading"]);
// A block already ends a sentence when its last character (before closing quotes/brackets) is one of these.
const ENDS_SENTENCE = /[.!?…:;][\]"'”’»)]*$/u;

/**
 * The text automatic excerpts are cut from: each paragraph and heading (in lists and quotes too) as
 * one block, whitespace collapsed, separated by blank lines; code blocks, images and rules skipped.
 */
export function excerptSource(doc: DocNode): string {
  const blocks: string[] = [];
  const inline = (n: DocNode): string =>
    n.type === "text" ? (n.text ?? "") : n.type === "hardBreak" ? " " : (n.content ?? []).map(inline).join("");
  const walk = (n: DocNode) => {
    if (EXCERPT_SKIP.has(n.type)) return;
    if (EXCERPT_TEXTBLOCKS.has(n.type)) blocks.push(inline(n));
    else for (const c of n.content ?? []) walk(c);
  };
  walk(doc);
  return blocks.map((b) => b.replace(/\s+/g, " ").trim()).filter(Boolean).join("\n\n");
}

/** excerptSource of stored document JSON; "" for text that is not a document (never throws). */
export function excerptSourceOf(docJson: string): string {
  try {
    const doc: unknown = JSON.parse(docJson);
    return isNode(doc) ? excerptSource(doc) : "";
  } catch {
    return "";
  }
}

/**
 * Blocks of excerpt text (separated by blank lines) as sentences: whitespace collapsed, and a block
 * that does not end a sentence (a heading, a list item) gets a period, so joined blocks read
 * "…what the river said. The ice went out…" rather than running together.
 */
export function excerptBlocks(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((b) => b.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .map((b) => (ENDS_SENTENCE.test(b) ? b : `${b}.`));
}

/** `s` cut to at most `n` UTF-16 units without splitting a surrogate pair. */
function sliceWhole(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/**
 * An excerpt generated from a free post's body when the author left it empty: its blocks as
 * sentences (excerptBlocks), at most `max` characters plus "…", cut at a word (mid-word only for a
 * single word longer than 40% of `max`, never inside a surrogate pair).
 */
export function autoExcerpt(text: string, max = AUTO_EXCERPT_MAX): string {
  const flat = excerptBlocks(text).join(" ");
  if (flat.length <= max) return flat;
  // The character just past the limit tells whether cutting at the limit ends a word.
  const lastSpace = flat.slice(0, max + 1).lastIndexOf(" ");
  const cut = lastSpace > max * 0.6 ? flat.slice(0, lastSpace) : sliceWhole(flat, max);
  return `${cut.replace(/[\s,;:.—-]+$/, "")}…`;
}

/**
 * The automatic teaser of a featured (paid) post, whose whole body is paid: at most a third of its
 * text and at most `max` characters (ellipsis included), cut at a word, taken from the paragraphs
 * before the last one (a one-paragraph post: from that paragraph, still at most a third of it). So
 * it is never the whole body and never carries its ending. "" when no such cut exists (a very short
 * post, or no word boundary within the limit). Blocks read as sentences, as in autoExcerpt.
 */
export function paidTeaser(text: string, max = AUTO_EXCERPT_MAX): string {
  const paragraphs = excerptBlocks(text);
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
