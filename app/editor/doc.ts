// Documents as Pressroom stores them: TipTap JSON (ADR 005), as text in `postBodies.doc`.
//
// `normalizeDoc` is the allowlist at the structural level: whatever JSON it is given (an old
// version, an importer, a hostile client), it returns a document of the shared schema, keeping the
// text of everything it cannot keep. Unknown node types are unwrapped (their children stay, their
// attributes go), unknown marks and attributes are dropped, links and images must pass the URL
// policy (urls.ts), and the structure is repaired (text at block level goes into a paragraph, list
// children become list items, …). Runs on the server and in browsers, without a DOM.

import { getSchema, type JSONContent } from "@tiptap/core";
import type { Schema } from "@tiptap/pm/model";
import { editorExtensions, HEADING_LEVELS, MARK, NODE } from "./extensions";
import { safeImageSrc, safeLanguage, safeLinkHref } from "./urls";

export type { JSONContent };

/** Deeper nesting than this is flattened to its text (a stored doc is not a stack-overflow vector). */
const MAX_DEPTH = 40;
const MARK_ORDER = [MARK.link, MARK.bold, MARK.code, MARK.italic, MARK.strike] as const;

let schemaCache: Schema | null = null;
/** The ProseMirror schema of Pressroom documents. */
export function docSchema(): Schema {
  return (schemaCache ??= getSchema(editorExtensions()));
}

/** The empty document (one empty paragraph), as the editor creates it. */
export function emptyDoc(): JSONContent {
  return { type: NODE.doc, content: [{ type: NODE.paragraph }] };
}

type Raw = Record<string, unknown>;
const isObj = (x: unknown): x is Raw => !!x && typeof x === "object" && !Array.isArray(x);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const attrsOf = (n: Raw): Raw => (isObj(n.attrs) ? n.attrs : {});
const optionalString = (x: unknown): string | null => (typeof x === "string" && x !== "" ? x : null);

function paragraph(content: JSONContent[]): JSONContent {
  return content.length ? { type: NODE.paragraph, content } : { type: NODE.paragraph };
}

/** All text under a node, hard breaks as newlines (code blocks, and nesting past MAX_DEPTH). */
function plainText(node: unknown): string {
  let out = "";
  const stack: unknown[] = [node];
  let budget = 100_000;
  while (stack.length && budget-- > 0) {
    const n = stack.pop();
    if (!isObj(n)) continue;
    if (n.type === NODE.text && typeof n.text === "string") out += n.text;
    else if (n.type === NODE.hardBreak) out += "\n";
    const children = list(n.content);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

function normalizeMarks(raw: unknown): JSONContent["marks"] {
  const found = new Map<string, NonNullable<JSONContent["marks"]>[number]>();
  for (const m of list(raw)) {
    if (!isObj(m) || typeof m.type !== "string" || found.has(m.type)) continue;
    switch (m.type) {
      case MARK.bold:
      case MARK.italic:
      case MARK.strike:
      case MARK.code:
        found.set(m.type, { type: m.type });
        break;
      case MARK.link: {
        const href = safeLinkHref(attrsOf(m).href);
        if (href) {
          found.set(MARK.link, {
            type: MARK.link,
            attrs: { href, target: null, rel: null, class: null, title: optionalString(attrsOf(m).title) },
          });
        }
        break;
      }
    }
  }
  // Inline code excludes every other mark in the schema (as when the editor parses <a><code>).
  if (found.has(MARK.code)) return [{ type: MARK.code }];
  const marks = MARK_ORDER.filter((t) => found.has(t)).map((t) => found.get(t)!);
  return marks.length ? marks : undefined;
}

function text(value: string, marks: JSONContent["marks"]): JSONContent {
  return marks ? { type: NODE.text, text: value, marks } : { type: NODE.text, text: value };
}

/** Inline content (of a paragraph or heading). Blocks found here are flattened to their inline content. */
function toInline(nodes: unknown, depth: number): JSONContent[] {
  const out: JSONContent[] = [];
  for (const n of list(nodes)) {
    if (!isObj(n) || typeof n.type !== "string") continue;
    if (n.type === NODE.text) {
      if (typeof n.text === "string" && n.text !== "") out.push(text(n.text, normalizeMarks(n.marks)));
    } else if (n.type === NODE.hardBreak) {
      out.push({ type: NODE.hardBreak });
    } else if (n.type === NODE.image) {
      // A block; it has no text to keep.
    } else if (depth >= MAX_DEPTH) {
      const t = plainText(n);
      if (t) out.push(text(t, undefined));
    } else {
      out.push(...toInline(n.content, depth + 1));
    }
  }
  return out;
}

function toListItems(nodes: unknown, depth: number): JSONContent[] {
  const items: JSONContent[] = [];
  for (const n of list(nodes)) {
    if (!isObj(n) || typeof n.type !== "string") continue;
    const isList = n.type === NODE.bulletList || n.type === NODE.orderedList;
    const blocks = toBlocks(n.type === NODE.listItem ? n.content : [n], depth + 1);
    if (!blocks.length) {
      if (n.type === NODE.listItem) items.push({ type: NODE.listItem, content: [paragraph([])] });
      continue;
    }
    // <ul><li>a</li><ul>…</ul></ul> (a list directly in a list) belongs to the item before it.
    const previous = items[items.length - 1];
    if (isList && previous) {
      previous.content!.push(...blocks);
      continue;
    }
    if (blocks[0].type !== NODE.paragraph) blocks.unshift(paragraph([]));
    items.push({ type: NODE.listItem, content: blocks });
  }
  return items;
}

function clampInt(x: unknown, min: number, max: number, fallback: number): number {
  const n = typeof x === "number" ? x : typeof x === "string" ? Number.parseInt(x, 10) : Number.NaN;
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : fallback;
}

/** Block content (of the doc, a blockquote or a list item). Inline runs are wrapped in paragraphs. */
function toBlocks(nodes: unknown, depth: number): JSONContent[] {
  const out: JSONContent[] = [];
  let inline: JSONContent[] = [];
  const flush = () => {
    if (inline.length) out.push(paragraph(inline));
    inline = [];
  };
  const block = (b: JSONContent) => {
    flush();
    out.push(b);
  };

  const visit = (n: unknown, d: number): void => {
    if (!isObj(n) || typeof n.type !== "string") return;
    if (d >= MAX_DEPTH) {
      const t = plainText(n);
      if (t) inline.push(text(t, undefined));
      return;
    }
    const attrs = attrsOf(n);
    switch (n.type) {
      case NODE.text:
      case NODE.hardBreak:
        inline.push(...toInline([n], d));
        return;
      case NODE.paragraph:
        return block(paragraph(toInline(n.content, d + 1)));
      case NODE.heading: {
        const content = toInline(n.content, d + 1);
        const level = clampInt(attrs.level, HEADING_LEVELS[0], HEADING_LEVELS[HEADING_LEVELS.length - 1], 1);
        return block(content.length ? { type: NODE.heading, attrs: { level }, content } : { type: NODE.heading, attrs: { level } });
      }
      case NODE.blockquote: {
        const content = toBlocks(n.content, d + 1);
        return block({ type: NODE.blockquote, content: content.length ? content : [paragraph([])] });
      }
      case NODE.codeBlock: {
        const code = plainText({ content: n.content });
        const node: JSONContent = { type: NODE.codeBlock, attrs: { language: safeLanguage(attrs.language) } };
        if (code) node.content = [{ type: NODE.text, text: code }];
        return block(node);
      }
      case NODE.bulletList:
      case NODE.orderedList: {
        const items = toListItems(n.content, d + 1);
        if (!items.length) return;
        return block(
          n.type === NODE.bulletList
            ? { type: NODE.bulletList, content: items }
            : { type: NODE.orderedList, attrs: { start: clampInt(attrs.start, 0, 999_999_999, 1), type: null }, content: items },
        );
      }
      case NODE.horizontalRule:
        return block({ type: NODE.horizontalRule });
      case NODE.image: {
        const src = safeImageSrc(attrs.src);
        if (!src) return;
        return block({ type: NODE.image, attrs: { src, alt: optionalString(attrs.alt), title: optionalString(attrs.title) } });
      }
      default:
        // doc, listItem out of place, or a node type this schema does not have: keep what is inside.
        for (const c of list(n.content)) visit(c, d + 1);
    }
  };

  for (const n of list(nodes)) visit(n, depth);
  flush();
  return out;
}

/**
 * Any value → a document of the schema, canonical (as ProseMirror's `toJSON` writes it: every
 * attribute present, adjacent text with equal marks merged). Never throws.
 */
export function normalizeDoc(input: unknown): JSONContent {
  const root = isObj(input) ? input : {};
  const blocks = toBlocks(root.type === NODE.doc ? root.content : [root], 0);
  const doc: JSONContent = { type: NODE.doc, content: blocks.length ? blocks : [paragraph([])] };
  try {
    const node = docSchema().nodeFromJSON(doc);
    node.check();
    return node.toJSON() as JSONContent;
  } catch {
    // Not expected (the tree above is built to the schema); the structural result is still safe.
    return doc;
  }
}

/** Parses stored document text; null when it is not JSON of a TipTap doc. */
export function parseDocText(text: string): JSONContent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isObj(value) && value.type === NODE.doc ? normalizeDoc(value) : null;
}

/** The text stored in `postBodies.doc` for a document. */
export function stringifyDoc(doc: JSONContent): string {
  return JSON.stringify(doc);
}
