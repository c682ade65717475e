import type { JSONContent } from "@tiptap/core";
import { normalizeDoc as normalizeToSchema } from "../editor/doc";
import { docToSafeHtml } from "../editor/render";
import { BoundedMemo } from "../utils/bounded-memo";

// Post bodies are TipTap JSON (ADR 005). Readers get HTML rendered on the server by the one
// renderer, app/editor/render.ts, for a "page" (the studio preview calls this module too, so it
// shows exactly what readers get), and sanitized against its allowlist, whatever was stored: the
// editor, an importer or a direct API write may all have put hostile attributes, links or text in
// the document, and sanitizing the output (not trusting the input) is what keeps a stored document
// from running script on readers. This module adds the per-process memo.

/**
 * Whether a URL from a document may be used: absolute with an allowed protocol, or a path on the
 * same site ("/x", "#x"). Anything else (entity tricks, whitespace, other schemes, "//host") is not.
 */
export function safeUrl(url: string | undefined, protocols: string[]): boolean {
  // Quotes, whitespace, angle brackets and backslashes have no business in a stored URL.
  if (!url || /[\s"'<>`\\]/.test(url)) return false;
  if (/^[/#]/.test(url)) return !url.startsWith("//");
  try {
    return protocols.includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** A stored document normalized to the schema (doc.ts), as the one root node this module renders. */
export function normalizeDoc(node: unknown): JSONContent[] {
  return [normalizeToSchema(node)];
}

/**
 * Renders a stored TipTap document (JSON text) to HTML that is safe to put in a page or feed.
 * Never throws: text that is not a document renders nothing; the result always went through the
 * sanitizer.
 */
export function renderDocToSafeHtml(docJson: string): string {
  return docToSafeHtml(docJson, "page");
}

/** The memo's bound, by the rendered HTML it holds (characters), not entries (issue #18). */
export const RENDER_MEMO_MAX_BYTES = 16 * 2 ** 20;
const memo = new BoundedMemo(RENDER_MEMO_MAX_BYTES);

/** What the memo holds now, in characters of keys and HTML. */
export function renderMemoBytes(): number {
  return memo.chars;
}

/** The HTML of the body with this content key, if this process holds it. */
export function renderedBody(key: string): string | undefined {
  return memo.get(key);
}

/**
 * Keeps a body's page HTML under its content key (reader:postBody gives both; the key is the
 * content's digest, so an edit is a new key) within the memo's bound, so a popular post crosses
 * from Convex once per process, not once per request. Returns the HTML.
 */
export function rememberBody(key: string, html: string): string {
  return memo.get(key) ?? memo.set(key, html);
}
