import { createHash } from "node:crypto";
import { Node, type AnyExtension } from "@tiptap/core";
import { renderToHTMLString } from "@tiptap/static-renderer/pm/html-string";
import StarterKit from "@tiptap/starter-kit";
import sanitizeHtml from "sanitize-html";

// Post bodies are TipTap JSON (ADR 005). Readers get HTML rendered here on the server and then
// sanitized against an allowlist, whatever was stored: the editor, an importer or a direct API
// write may all have put hostile attributes, links or text in the document, and sanitizing the
// output (not trusting the input) is what keeps a stored document from running script on readers.

/** TipTap has no Image node in the installed packages, so a minimal one renders `<img>`. */
const Image = Node.create({
  name: "image",
  group: "block",
  atom: true,
  addAttributes() {
    return { src: { default: null }, alt: { default: null }, title: { default: null } };
  },
  renderHTML({ HTMLAttributes }) {
    return ["img", HTMLAttributes];
  },
});

// StarterKit 3 includes Link and Underline. `openOnClick` etc. only matter in the editor.
const EXTENSIONS: AnyExtension[] = [StarterKit, Image];

const NODE_TYPES = new Set([
  "doc",
  "paragraph",
  "text",
  "heading",
  "blockquote",
  "bulletList",
  "orderedList",
  "listItem",
  "codeBlock",
  "horizontalRule",
  "hardBreak",
  "image",
]);
const MARK_TYPES = new Set(["bold", "italic", "strike", "underline", "code", "link"]);

/** What the sanitizer lets through: prose, lists, code, links and images; no styles, no handlers. */
export const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    "p", "br", "strong", "em", "s", "u", "code", "pre", "blockquote",
    "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "img", "hr",
  ],
  allowedAttributes: {
    a: ["href", "title", "rel"],
    img: ["src", "alt", "title", "loading", "decoding"],
    ol: ["start"],
    code: ["class"],
  },
  allowedClasses: { code: [/^language-[a-z0-9+#-]{1,32}$/] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["http", "https"] },
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // The page's title is the only h1: body headings start at h2, keeping heading levels in order.
  transformTags: {
    h1: "h2",
    a: (tagName, { href, ...attribs }) => ({
      tagName,
      attribs: { ...(safeUrl(href, ["http:", "https:", "mailto:"]) ? { href } : {}), ...attribs, rel: "noopener noreferrer nofollow ugc" },
    }),
    // Every image gets an alt (empty marks it decorative) so screen readers never read file names.
    img: (tagName, { src, ...attribs }) => ({
      tagName,
      attribs: { ...(safeUrl(src, ["http:", "https:"]) ? { src } : {}), ...attribs, alt: attribs.alt ?? "", loading: "lazy", decoding: "async" },
    }),
  },
  // A link whose href was refused keeps its text; an image without an allowed src goes entirely.
  exclusiveFilter: (frame) => {
    if (frame.tag === "img" && !frame.attribs.src) return true;
    if (frame.tag === "a" && !frame.attribs.href) return "excludeTag";
    return false;
  },
};

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

interface JsonNode {
  type?: unknown;
  text?: unknown;
  attrs?: unknown;
  marks?: unknown;
  content?: unknown;
}

/**
 * Keeps only node and mark types the renderer knows, so a document written by a newer editor, an
 * importer or an attacker still renders: unknown nodes are replaced by their children, unknown
 * marks and non-object attrs are dropped, text must be a string.
 */
export function normalizeDoc(node: unknown): JsonNode[] {
  if (!node || typeof node !== "object" || Array.isArray(node)) return [];
  const n = node as JsonNode;
  const children = Array.isArray(n.content) ? n.content.flatMap(normalizeDoc) : [];
  if (typeof n.type !== "string" || !NODE_TYPES.has(n.type)) return children;
  if (n.type === "text") {
    if (typeof n.text !== "string" || n.text.length === 0) return [];
    const marks = Array.isArray(n.marks)
      ? n.marks.filter(
          (m): m is { type: string; attrs?: Record<string, unknown> } =>
            !!m && typeof m === "object" && typeof (m as { type?: unknown }).type === "string" && MARK_TYPES.has((m as { type: string }).type),
        )
      : [];
    return [{ type: "text", text: n.text, ...(marks.length ? { marks } : {}) }];
  }
  const out: JsonNode = { type: n.type };
  if (n.attrs && typeof n.attrs === "object" && !Array.isArray(n.attrs)) out.attrs = n.attrs;
  if (children.length) out.content = children;
  return [out];
}

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Plain paragraphs of every text node: the fallback when a document does not fit the schema. */
function plainText(node: unknown, out: string[] = []): string[] {
  if (!node || typeof node !== "object") return out;
  const n = node as JsonNode;
  if (typeof n.text === "string") out.push(n.text);
  if (Array.isArray(n.content)) for (const c of n.content) plainText(c, out);
  return out;
}

/**
 * Renders a stored TipTap document (JSON text) to HTML that is safe to put in a page or feed.
 * Never throws: invalid JSON renders nothing, a document that does not fit the schema renders as
 * plain paragraphs; the result always went through the sanitizer.
 */
export function renderDocToSafeHtml(docJson: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(docJson);
  } catch {
    return "";
  }
  const [root] = normalizeDoc(parsed);
  let html: string;
  try {
    const doc = root?.type === "doc" ? root : { type: "doc", content: root ? [root] : [] };
    html = renderToHTMLString({ content: doc as Parameters<typeof renderToHTMLString>[0]["content"], extensions: EXTENSIONS });
  } catch {
    html = plainText(parsed)
      .map((t) => `<p>${escapeText(t)}</p>`)
      .join("");
  }
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

const memo = new Map<string, string>();
const MEMO_MAX = 2000;

/**
 * renderDocToSafeHtml with a bounded memo keyed by the document's hash: a popular post renders
 * once per process, not once per request. The key is the content itself, so an edit re-renders.
 */
export function renderDocCached(docJson: string): string {
  const key = createHash("sha1").update(docJson).digest("base64");
  const hit = memo.get(key);
  if (hit !== undefined) {
    memo.delete(key);
    memo.set(key, hit);
    return hit;
  }
  const html = renderDocToSafeHtml(docJson);
  memo.set(key, html);
  if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
  return html;
}
