// Over 400 lines: one converter both ways (Markdown/HTML import and Markdown export) over the same
// schema mapping.
// Markdown and pasted HTML → documents, and documents → Markdown.
//
// Import: Markdown → HTML with `marked` (GFM) → sanitize-html allowlist → TipTap JSON with
// @tiptap/html `generateJSON` and the shared extensions → normalizeDoc. Whatever the schema has no
// place for is dropped and its text kept (the content of <script>, <style> and the like is dropped).
//
// Export: our own serializer (not MarkdownManager), written so that Markdown → JSON gives back the
// same document: text is escaped, emphasis falls back to inline HTML tags (<strong>, <em>, <del>,
// <br>) where Markdown delimiters would not parse back (e.g. **bold** ending in punctuation before a
// letter), code fences grow past backtick runs in the code, adjacent lists alternate their markers.
// The one thing not exported is an empty paragraph (Markdown has none).

import type { JSONContent } from "@tiptap/core";
import { generateJSON } from "@tiptap/html";
import { Marked, type Tokens } from "marked";
import sanitizeHtml from "sanitize-html";
import { DOMParser as SchemaParser } from "@tiptap/pm/model";
import { docSchema, normalizeDoc } from "./doc";
import { editorExtensions, MARK, NODE } from "./extensions";
import { safeImageSrc, safeLanguage, safeLinkHref } from "./urls";

// ---------------------------------------------------------------------------------------------
// Import

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
/** Attribute value where character references stay references (CommonMark decodes them in URLs). */
function escapeAttr(s: string): string {
  return s.replace(/&(?!#?[a-z0-9]+;)/gi, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const marked = new Marked({ gfm: true, breaks: false, async: false });
marked.use({
  renderer: {
    // Exactly the code, without the newline marked adds, and only a valid language class.
    code({ text, lang, codeBlockStyle }: Tokens.Code) {
      const language = safeLanguage((lang ?? "").split(/\s+/)[0]);
      // marked keeps one newline too many when a fenced block ends with a blank line.
      const code = codeBlockStyle !== "indented" && text.endsWith("\n") ? text.slice(0, -1) : text;
      return `<pre><code${language ? ` class="language-${language}"` : ""}>${escapeHtml(code)}</code></pre>\n`;
    },
    // A paragraph of images only is the images (blocks in our schema), not an empty paragraph.
    paragraph({ tokens }: Tokens.Paragraph) {
      const inner = this.parser.parseInline(tokens);
      const onlyImages = tokens.length > 0 && tokens.every((t) => t.type === "image" || (t.type === "text" && !t.raw.trim()));
      return onlyImages && tokens.some((t) => t.type === "image") ? `${inner}\n` : `<p>${inner}</p>\n`;
    },
    // Hrefs as written (marked would percent-encode them), so they round-trip exactly.
    link({ href, title, tokens }: Tokens.Link) {
      const text = this.parser.parseInline(tokens);
      return `<a href="${escapeAttr(href)}"${title ? ` title="${escapeAttr(title)}"` : ""}>${text}</a>`;
    },
    // Tight list items hold bare inline text: put in a <p>, it parses like any paragraph
    // (ProseMirror drops whitespace-only text outside one). GFM task items: the schema has no
    // checkboxes, so the state stays as text ("[x] done").
    listitem({ tokens }: Tokens.ListItem) {
      let task = "";
      const blocks = tokens.flatMap((t) => {
        if (t.type === "checkbox") {
          task = (t as Tokens.Checkbox).checked ? "[x] " : "[ ] ";
          return [];
        }
        return [t.type === "text" && "tokens" in t ? ({ ...t, type: "paragraph" } as Tokens.Paragraph) : t];
      });
      let html = this.parser.parse(blocks);
      if (task) html = html.startsWith("<p>") ? `<p>${task}${html.slice(3)}` : `<p>${task}</p>${html}`;
      return `<li>${html}</li>\n`;
    },
    checkbox({ checked }: Tokens.Checkbox) {
      return checked ? "[x] " : "[ ] ";
    },
    image({ href, title, text, tokens }: Tokens.Image) {
      const alt = tokens ? this.parser.parseInline(tokens, this.parser.textRenderer) : text;
      return `<img src="${escapeAttr(href)}" alt="${escapeAttr(alt)}"${title ? ` title="${escapeAttr(title)}"` : ""}>`;
    },
  },
});

/** Styles a pasted <span>/<b> may keep so bold/italic/strike from word processors survive. */
const FORMATTING_STYLES = {
  "font-weight": [/^(normal|bold|bolder|[1-9]00)$/],
  "font-style": [/^(normal|italic|oblique)$/],
  "text-decoration": [/^line-through$/],
};

/** The allowlist of imported HTML, before TipTap's parser maps it onto the schema. */
const IMPORT_SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...["p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "hr"],
    ...["ul", "ol", "li", "a", "img", "strong", "b", "em", "i", "s", "del", "strike", "span"],
    // Containers: not in the schema, but they separate blocks (their text stays, in paragraphs).
    ...["div", "section", "article", "header", "footer", "main", "aside", "figure", "figcaption", "nav"],
    ...["table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "dl", "dt", "dd", "address", "details", "summary"],
  ],
  allowedAttributes: {
    a: ["href", "title"],
    img: ["src", "alt", "title"],
    ol: ["start"],
    code: ["class"],
    span: ["style"],
    b: ["style"],
  },
  allowedClasses: { code: ["language-*"] },
  allowedStyles: { span: FORMATTING_STYLES, b: FORMATTING_STYLES },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["http", "https"] },
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "template", "title", "head", "iframe", "object", "svg", "math", "select"],
  transformTags: {
    h5: "h4",
    h6: "h4",
    // Tables, definition lists, details: their text, a paragraph per cell / term / summary (the
    // HTML parser would otherwise move stray text out of table structure, or run cells together).
    table: "div",
    thead: "div",
    tbody: "div",
    tfoot: "div",
    tr: "div",
    td: "p",
    th: "p",
    caption: "p",
    dt: "p",
    dd: "p",
    details: "div",
    summary: "p",
    // Our URL policy on top of sanitize-html's scheme check (control characters, "//host", …).
    a: (tagName, attribs) => {
      const href = safeLinkHref(attribs.href);
      const out: Record<string, string> = {};
      if (href) out.href = href;
      if (attribs.title) out.title = attribs.title;
      return { tagName, attribs: out };
    },
    img: (tagName, attribs) => {
      const src = safeImageSrc(attribs.src);
      const out: Record<string, string> = {};
      if (src) out.src = src;
      if (attribs.alt) out.alt = attribs.alt;
      if (attribs.title) out.title = attribs.title;
      return { tagName, attribs: out };
    },
  },
  exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
};

const BLOCK_PARENTS = new Set(
  ["", "ul", "ol", "li", "blockquote", "div", "section", "article", "header", "footer", "main", "aside", "nav", "figure", "dl"].concat(
    ["table", "thead", "tbody", "tfoot", "tr", "details", "address"],
  ),
);

/**
 * marked's HTML for ProseMirror's `preserveWhitespace: true`: newlines between blocks go, soft line
 * breaks inside text become spaces (ProseMirror would turn them into hard breaks). Code keeps all.
 */
const MARKDOWN_SANITIZE: sanitizeHtml.IOptions = {
  ...IMPORT_SANITIZE,
  textFilter: (text, tag) => {
    if (tag === "pre" || tag === "code") return text;
    if (BLOCK_PARENTS.has(tag ?? "")) {
      // Layout newlines of (raw HTML) blocks, not text.
      text = text.replace(/^[ \t]*[\r\n]\s*|\s*[\r\n][ \t]*$/g, "");
    }
    return text.replace(/\r\n?|\n/g, " ");
  },
};

/** Imported HTML reduced to what the schema can hold (no scripts, handlers, styles beyond formatting, unsafe URLs). */
export function sanitizeImportedHtml(html: string): string {
  return sanitizeHtml(html, IMPORT_SANITIZE);
}

let importExtensions: ReturnType<typeof editorExtensions> | null = null;
const extensions = () => (importExtensions ??= editorExtensions());

/** Markdown (CommonMark + GFM) → a document. Never throws on any input. */
export function markdownToDoc(md: string): JSONContent {
  const html = marked.parse(md ?? "", { async: false }) as string;
  // marked's HTML has whitespace only between blocks, so text whitespace (double spaces, spaces
  // written as &#32; by docToMarkdown) is kept exactly.
  const clean = sanitizeHtml(html, MARKDOWN_SANITIZE);
  const options = { preserveWhitespace: true } as const;
  // Same parse as generateJSON (same DOM implementation, same schema), without its per-call Window
  // and schema: those were ~40% of a Markdown export's CPU (docToMarkdown reads every post back).
  const json = htmlBody ? SchemaParser.fromSchema(docSchema()).parse(htmlBody(clean), options).toJSON() : generateJSON(clean, extensions(), options);
  return normalizeDoc(json);
}

/**
 * The server's HTML → DOM body, registered once by markdown.server.ts with a long-lived happy-dom
 * Window (the DOM @tiptap/html/server builds per call). Unset (browsers, tests that do not load it):
 * generateJSON.
 */
let htmlBody: ((html: string) => Node) | null = null;
export function registerServerHtmlParser(parse: (html: string) => Node): void {
  htmlBody = parse;
}

/** Pasted or imported HTML → a document (sanitized first). Never throws on any input. */
export function htmlToDoc(html: string): JSONContent {
  return normalizeDoc(generateJSON(sanitizeImportedHtml(html ?? ""), extensions()));
}

/**
 * Whether pasted plain text is probably Markdown (so the editor converts it instead of inserting
 * it literally): a heading, list, quote, fence, rule, link/image, emphasis or inline code.
 */
export function looksLikeMarkdown(text: string): boolean {
  if (!text || text.length > 500_000) return false;
  const block = /^(#{1,6}\s+\S|[-*+]\s+\S|\d{1,9}[.)]\s+\S|>\s?\S|```|~~~|(?:-{3,}|\*{3,}|_{3,})\s*$)/m;
  const inline = /(\*\*[^*\n]+\*\*|__[^_\n]+__|`[^`\n]+`|!?\[[^\]\n]+\]\([^)\s]+(?:\s+"[^"]*")?\)|~~[^~\n]+~~)/;
  return block.test(text) || inline.test(text);
}

// ---------------------------------------------------------------------------------------------
// Export

type Mark = NonNullable<JSONContent["marks"]>[number];
type Leaf =
  | { kind: "text"; text: string; lineStart: boolean; lineEnd: boolean }
  | { kind: "code"; text: string }
  | { kind: "br"; last: boolean };
type Elem = { kind: "mark"; mark: Mark; children: Tree[] };
type Tree = Leaf | Elem;

const sameMark = (a: Mark, b: Mark) =>
  a.type === b.type &&
  (a.type !== MARK.link || (a.attrs?.href === b.attrs?.href && (a.attrs?.title ?? null) === (b.attrs?.title ?? null)));
const hasMark = (marks: Mark[], m: Mark) => marks.some((x) => sameMark(x, m));

const firstCodePoint = (s: string): string | undefined => (s ? String.fromCodePoint(s.codePointAt(0)!) : undefined);
const lastCodePoint = (s: string): string | undefined => (s ? Array.from(s.slice(-2)).pop() : undefined);
type Side = "ws" | "punct" | "word";
/** CommonMark's classes for flanking: whitespace (or the edge of the block), punctuation (P or S), other. */
const side = (c: string | undefined): Side =>
  c === undefined || /\s/u.test(c) ? "ws" : /[\p{P}\p{S}]/u.test(c) ? "punct" : "word";

const encodeWs = (s: string) => s.replace(/[ \t]/g, (c) => (c === " " ? "&#32;" : "&#9;"));

interface TextPosition {
  lineStart: boolean;
  lineEnd: boolean;
  heading: boolean;
}

/** Text as Markdown that reads back as exactly this text. */
function escapeText(s: string, at: TextPosition): string {
  let out = s
    .replace(/[\\`*_~[\]<|]/g, "\\$&")
    // "](" in link text trips marked's link parser even when the bracket is escaped.
    .replace(/(^|\\\])\(/g, "$1\\(")
    // A character reference would be decoded: &amp; must stay "&amp;".
    .replace(/&(?=#?[a-z0-9]+;)/gi, "\\&")
    // GFM autolinks: URLs, www. and e-mail addresses in plain text must stay plain text.
    .replace(/\b(https?|ftp)(?=:\/\/)/gi, "$1\\")
    .replace(/\b(www)\./gi, "$1\\.")
    .replace(/@/g, "\\@");
  // ATX headings drop closing #s: every # in a heading is escaped.
  if (at.heading) out = out.replace(/#/g, "\\#");
  if (at.lineStart) {
    // Line-start syntax: headings, quotes, list items, setext underlines, thematic breaks.
    out = out.replace(/^([#>=+-])/, "\\$1").replace(/^(\d{1,9})([.)])/, "$1\\$2");
    // Leading whitespace would be stripped (or start an indented code block).
    out = out.replace(/^[ \t]+/, encodeWs);
  }
  if (at.lineEnd) out = out.replace(/[ \t]+$/, encodeWs);
  // marked expands tabs in list items; a character reference survives everywhere.
  return out.replace(/\t/g, "&#9;");
}

function escapeHtmlAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  // One space each side is stripped when both are there, so pad when the code starts or ends
  // with a backtick, or starts and ends with a space.
  const pad = text.startsWith("`") || text.endsWith("`") || /^ [^]*[^ ][^]* $/.test(text) ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function linkDestination(href: string): string {
  const escaped = href.replace(/&(?=#?[a-z0-9]+;)/gi, "&amp;");
  if (/[\s<>]/.test(escaped)) return `<${escaped.replace(/[<>\\]/g, "\\$&")}>`;
  return escaped.replace(/[()\\]/g, "\\$&");
}
function linkTitle(title: unknown): string {
  return typeof title === "string" && title
    ? ` "${title.replace(/[\\"]/g, "\\$&").replace(/&(?=#?[a-z0-9]+;)/gi, "&amp;")}"`
    : "";
}

/** Inline content → a tree of marks, the longest-running marks outermost (fewest delimiters). */
function inlineTree(nodes: JSONContent[]): Tree[] {
  const items = nodes.filter((n) => (n.type === NODE.text && n.text) || n.type === NODE.hardBreak);
  const marksOf = (n: JSONContent | undefined): Mark[] =>
    !n || n.type !== NODE.text ? [] : (n.marks ?? []).filter((m) => m.type !== MARK.code);
  // A hard break keeps the marks its neighbours share, so **a⏎b** is not cut in two.
  const effective = items.map((n, i) => {
    if (n.type !== NODE.hardBreak) return marksOf(n);
    const before = marksOf(items[i - 1]);
    const after = marksOf(items.slice(i + 1).find((x) => x.type !== NODE.hardBreak));
    return before.filter((m) => hasMark(after, m));
  });
  const runLength = (m: Mark, from: number) => {
    let i = from;
    while (i < items.length && hasMark(effective[i], m)) i++;
    return i - from;
  };

  const root: Tree[] = [];
  const stack: Elem[] = [];
  items.forEach((n, i) => {
    const marks = effective[i];
    let keep = 0;
    while (keep < stack.length && hasMark(marks, stack[keep].mark)) keep++;
    stack.length = keep;
    const toOpen = marks
      .filter((m) => !stack.some((s) => sameMark(s.mark, m)))
      .sort((a, b) => runLength(b, i) - runLength(a, i) || (a.type === MARK.link ? -1 : b.type === MARK.link ? 1 : 0));
    for (const m of toOpen) {
      const elem: Elem = { kind: "mark", mark: m, children: [] };
      (stack.length ? stack[stack.length - 1].children : root).push(elem);
      stack.push(elem);
    }
    const parent = stack.length ? stack[stack.length - 1].children : root;
    if (n.type === NODE.hardBreak) parent.push({ kind: "br", last: false });
    else if (n.marks?.some((m) => m.type === MARK.code)) parent.push({ kind: "code", text: n.text! });
    else parent.push({ kind: "text", text: n.text!, lineStart: false, lineEnd: false });
  });

  // Where lines start and end (block edges, hard breaks): whitespace and syntax there need escaping.
  const leaves: Leaf[] = [];
  const collect = (ts: Tree[]) => ts.forEach((t) => (t.kind === "mark" ? collect(t.children) : leaves.push(t)));
  collect(root);
  leaves.forEach((l, i) => {
    if (l.kind === "text") {
      l.lineStart = i === 0 || leaves[i - 1].kind === "br";
      l.lineEnd = i === leaves.length - 1 || leaves[i + 1].kind === "br";
    } else if (l.kind === "br") {
      l.last = leaves.slice(i + 1).every((x) => x.kind === "br");
    }
  });
  return root;
}

const DELIMITERS: Record<string, string[]> = { [MARK.bold]: ["**"], [MARK.italic]: ["_", "*"], [MARK.strike]: ["~~"] };
const HTML_TAGS: Record<string, string> = { [MARK.bold]: "strong", [MARK.italic]: "em", [MARK.strike]: "del" };
/** Stands for an enclosing element's delimiter or tag: punctuation, but no delimiter character. */
const BOUNDARY = "!";

/**
 * Inline content → Markdown. With `htmlMarks`, every mark but code is written as an HTML tag
 * (<strong>, <em>, <del>, <a>): longer, but free of the delimiter rules; used for the blocks whose
 * Markdown form does not read back (see docToMarkdown).
 */
function renderInline(nodes: JSONContent[], heading: boolean, htmlMarks: boolean): string {
  const tree = inlineTree(nodes);
  const text = (t: Extract<Leaf, { kind: "text" }>) => escapeText(t.text, { lineStart: t.lineStart, lineEnd: t.lineEnd, heading });
  const br = (t: Extract<Leaf, { kind: "br" }>) => (heading || t.last ? "<br>" : "\\\n"); // "\⏎" is a hard break, but not at a block's end
  const firstChar = (t: Tree | undefined): string | undefined => {
    if (!t) return undefined;
    if (t.kind === "text") return firstCodePoint(text(t));
    if (t.kind === "br") return br(t)[0];
    // A code span or a mark opens with punctuation. Same-character collisions between
    // neighbours are checked by the later one, against the character before it.
    return t.kind === "code" ? "`" : BOUNDARY;
  };

  const renderList = (ts: Tree[], inElem: boolean): string => {
    let out = "";
    ts.forEach((t, i) => {
      const prev = out ? lastCodePoint(out) : inElem ? BOUNDARY : undefined;
      const next = i + 1 < ts.length ? firstChar(ts[i + 1]) : inElem ? BOUNDARY : undefined;
      out += renderTree(t, prev, next);
    });
    return out;
  };

  const renderTree = (t: Tree, prev: string | undefined, next: string | undefined): string => {
    switch (t.kind) {
      case "text":
        return text(t);
      case "br":
        return br(t);
      case "code":
        return codeSpan(t.text); // backtick runs have no flanking rules: fine in both modes
    }
    const inner = renderList(t.children, true);
    if (t.mark.type === MARK.link) {
      const href = String(t.mark.attrs?.href ?? "");
      const title = t.mark.attrs?.title;
      if (htmlMarks) {
        return `<a href="${escapeHtmlAttr(href)}"${typeof title === "string" && title ? ` title="${escapeHtmlAttr(title)}"` : ""}>${inner}</a>`;
      }
      return `[${inner}](${linkDestination(href)}${linkTitle(title)})`;
    }
    const tag = HTML_TAGS[t.mark.type];
    if (!tag) return inner;
    if (!htmlMarks && inner && !inner.includes("\n")) {
      const first = firstCodePoint(inner)!;
      const last = lastCodePoint(inner)!;
      const before = side(prev);
      const after = side(next);
      // Astral characters (emoji) are where marked's flanking checks go wrong: tags there.
      const astral = [prev, next, first, last].some((c) => !!c && c.length > 1);
      for (const d of astral ? [] : DELIMITERS[t.mark.type]) {
        const c = d[0];
        if (side(first) === "ws" || side(last) === "ws") break;
        // "**a***b*": runs of the same character next to each other merge.
        if (prev === c || next === c || first === c || last === c) continue;
        // CommonMark's flanking rules for the opening and the closing delimiter run.
        const opens = side(first) !== "punct" || before !== "word";
        const closes = side(last) !== "punct" || after !== "word";
        const intraword = c === "_" && (before === "word" || after === "word");
        if (opens && closes && !intraword) return `${d}${inner}${d}`;
      }
    }
    return `<${tag}>${inner}</${tag}>`;
  };

  const out = renderList(tree, false);
  // A line that is nothing but "<br>" would open an HTML block (swallowing the lines after it).
  return out === "<br>" ? "<br><!---->" : out;
}

function indentLines(text: string, first: string, rest: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? first + line : line ? rest + line : line))
    .join("\n");
}

const isEmptyParagraph = (n: JSONContent) => n.type === NODE.paragraph && !(n.content ?? []).length;
const isList = (n: JSONContent) => n.type === NODE.bulletList || n.type === NODE.orderedList;

/** Blocks whose inline content is written with HTML tags for marks (see docToMarkdown). */
type HtmlBlocks = ReadonlySet<JSONContent>;
interface Context {
  html: HtmlBlocks;
  /** Inside a list item, where marked turns tabs into spaces. */
  inList: boolean;
}

function renderBlocks(blocks: JSONContent[], ctx: Context): string {
  const out: string[] = [];
  let previous: { type?: string; marker?: string } = {};
  for (const b of blocks) {
    if (isEmptyParagraph(b)) continue; // Markdown has no empty paragraph
    const rendered = renderBlock(b, previous, ctx);
    previous = { type: b.type, marker: rendered.marker };
    out.push(rendered.text);
  }
  return out.join("\n\n");
}

function renderListItem(item: JSONContent, marker: string, tight: boolean, ctx: Context): string {
  const [first, ...rest] = item.content ?? [];
  const head = first ? renderInline(first.content ?? [], false, ctx.html.has(first)) : "";
  const body = renderBlocks(rest, { ...ctx, inList: true });
  const pad = " ".repeat(marker.length + 1);
  if (!head) {
    // An empty first paragraph: "-" alone, or an explicit empty <p> before the item's other
    // blocks (marked and ProseMirror would otherwise move those blocks out of the list).
    return body ? indentLines(`<p></p>\n\n${body}`, `${marker} `, pad) : marker;
  }
  return indentLines(body ? `${head}${tight ? "\n" : "\n\n"}${body}` : head, `${marker} `, pad);
}

function renderList(b: JSONContent, markers: string[], previous: { type?: string; marker?: string }, ctx: Context) {
  // Two lists in a row would merge into one: the second uses the other marker.
  const marker = previous.type === b.type && previous.marker === markers[0] ? markers[1] : markers[0];
  const items = b.content ?? [];
  // Tight when every item is a paragraph and nested lists that may interrupt it (CommonMark: an
  // ordered list starting at 1, or any bullet list, whose first item is not empty).
  const interrupts = (l: JSONContent) =>
    isList(l) && (l.type === NODE.bulletList || Number(l.attrs?.start ?? 1) === 1) && !!l.content?.[0]?.content?.[0]?.content?.length;
  // (In a tight item the text is not in a <p>: whitespace-only text before anything else is lost.)
  const startsBlank = (para: JSONContent | undefined) => {
    const first = para?.content?.[0];
    return !first || (first.type === NODE.text && !/\S/.test(first.text ?? ""));
  };
  const tight = items.every((it) => !startsBlank(it.content?.[0]) && (it.content ?? []).slice(1).every(interrupts));
  const start = b.type === NODE.orderedList ? Math.max(0, Math.trunc(Number(b.attrs?.start ?? 1)) || 0) : 0;
  const text = items
    .map((it, i) => renderListItem(it, b.type === NODE.orderedList ? `${start + i}${marker}` : marker, tight, ctx))
    .join(tight ? "\n" : "\n\n");
  return { text, marker };
}

function renderBlock(b: JSONContent, previous: { type?: string; marker?: string }, ctx: Context): { text: string; marker?: string } {
  switch (b.type) {
    case NODE.paragraph:
      return { text: renderInline(b.content ?? [], false, ctx.html.has(b)) };
    case NODE.heading: {
      const level = Math.min(6, Math.max(1, Number(b.attrs?.level) || 1));
      const text = renderInline(b.content ?? [], true, ctx.html.has(b));
      return { text: `${"#".repeat(level)}${text ? ` ${text}` : ""}` };
    }
    case NODE.blockquote: {
      // Every line, blank ones too, carries the marker: a blank line would end the quote.
      const inner = renderBlocks(b.content ?? [], ctx);
      return { text: inner ? inner.split("\n").map((line) => (line ? `> ${line}` : ">")).join("\n") : ">" };
    }
    case NODE.codeBlock: {
      const code = (b.content ?? []).map((c) => c.text ?? "").join("");
      const language = safeLanguage(b.attrs?.language);
      if (ctx.inList && code.includes("\t")) {
        // marked expands tabs in list items; an HTML block keeps them (as &#9;).
        const html = escapeHtml(code).replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
        return { text: `<pre><code${language ? ` class="language-${language}"` : ""}>${html}</code></pre>` };
      }
      const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
      const fence = "`".repeat(Math.max(3, longest + 1));
      return { text: `${fence}${language ?? ""}\n${code}${code ? "\n" : ""}${fence}` };
    }
    case NODE.horizontalRule:
      return { text: "---" };
    case NODE.image: {
      const src = safeImageSrc(b.attrs?.src);
      if (!src) return { text: "" };
      const alt = escapeText(String(b.attrs?.alt ?? ""), { lineStart: false, lineEnd: false, heading: false });
      return { text: `![${alt}](${linkDestination(src)}${linkTitle(b.attrs?.title)})` };
    }
    case NODE.bulletList:
      return renderList(b, ["-", "*"], previous, ctx);
    case NODE.orderedList:
      return renderList(b, [".", ")"], previous, ctx);
    default:
      return { text: renderBlocks(b.content ?? [], ctx) };
  }
}

/** The document as markdownToDoc returns it after a Markdown round trip: without empty paragraphs. */
export function withoutEmptyParagraphs(doc: JSONContent): JSONContent {
  const walk = (n: JSONContent): JSONContent => {
    if (!n.content) return n;
    let content = n.content.map(walk);
    if (n.type === NODE.doc || n.type === NODE.blockquote || n.type === NODE.listItem) {
      content = content.filter((c, i) => !isEmptyParagraph(c) || (n.type === NODE.listItem && i === 0));
      if (!content.length) content = [{ type: NODE.paragraph }];
    }
    return { ...n, content };
  };
  return walk(doc);
}

function sameDoc(a: JSONContent, b: JSONContent): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function textblocksWithMarks(doc: JSONContent): JSONContent[] {
  const out: JSONContent[] = [];
  const walk = (n: JSONContent) => {
    if ((n.type === NODE.paragraph || n.type === NODE.heading) && n.content?.some((c) => c.marks?.length)) out.push(n);
    n.content?.forEach(walk);
  };
  walk(doc);
  return out;
}

/**
 * A document → Markdown (CommonMark, GFM strikethrough, inline HTML where Markdown has no syntax).
 * `markdownToDoc(docToMarkdown(doc))` gives `doc` back (normalized, without empty paragraphs): the
 * result is checked, and blocks whose emphasis would not read back are written with HTML tags.
 */
export function docToMarkdown(doc: JSONContent): string {
  const normalized = normalizeDoc(doc);
  const expected = withoutEmptyParagraphs(normalized);
  const render = (html: HtmlBlocks) => {
    const md = renderBlocks(normalized.content ?? [], { html, inList: false });
    return md ? `${md}\n` : "";
  };
  const md = render(new Set());
  if (sameDoc(markdownToDoc(md), expected)) return md;
  // Find the blocks whose delimiters marked reads differently, and write those with tags.
  const html = new Set<JSONContent>();
  for (const block of textblocksWithMarks(normalized)) {
    const alone = renderInline(block.content ?? [], block.type === NODE.heading, false);
    if (!sameDoc(markdownToDoc(alone), normalizeDoc({ type: NODE.doc, content: [{ type: NODE.paragraph, content: block.content }] }))) {
      html.add(block);
    }
  }
  const retry = render(html);
  if (html.size && sameDoc(markdownToDoc(retry), expected)) return retry;
  return render(new Set(textblocksWithMarks(normalized)));
}
