// Ghost's stored editor formats → HTML, for the posts of a Ghost export whose `html` is null (issue
// #17). Ghost 4 (and early 5) store mobiledoc, later 5 stores lexical; both hold the same "cards".
// The HTML written here has the shapes Ghost's own renderer writes (kg-* figures and divs), so
// html.ts (P3) reads a rendered post and a post rendered here the same way, sanitizes it and reports
// what the editor cannot hold. Text is always escaped; the fields Ghost itself stores as HTML
// (captions, callout text, toggle content, html cards) pass through as HTML for P3's sanitizer.
// A card we do not know becomes a visible note, never nothing. Malformed input throws (the caller
// turns that into a bad-item problem).

import { Marked } from "marked";
import { escapeHtml } from "../shared/html";

export { escapeHtml };

/** The note for a card that is not imported; html.ts reports paragraphs of this shape. */
export function unknownCardNote(name: string): string {
  return `<p>[Ghost card "${escapeHtml(name)}" not imported]</p>`;
}

// Deep enough for any real document (lists nest a few levels); stops a hostile one from
// overflowing the stack.
const MAX_DEPTH = 64;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

const markdown = new Marked({ gfm: true, async: false });

function parseJson(input: string | object, what: string): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    throw new Error(`the ${what} is not valid JSON`);
  }
}

// --- cards (the payloads are the same in mobiledoc and lexical, bar a few renamed fields) --------

function figure(kind: string, inner: string, caption: string): string {
  return `<figure class="kg-card kg-${kind}-card">${inner}${caption ? `<figcaption>${caption}</figcaption>` : ""}</figure>`;
}

function imageTag(src: string, alt: string, title = ""): string {
  return `<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ""}>`;
}

function link(url: string, text?: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(text || url)}</a>`;
}

/** One Ghost card → HTML. `name` is the card's type ("image", "markdown", …). */
export function cardToHtml(name: string, payload: Json): string {
  const caption = str(payload.caption);
  switch (name) {
    case "markdown":
    case "card-markdown": // Ghost 1's name for it
      return markdown.parse(str(payload.markdown), { async: false }) as string;
    case "html":
      return str(payload.html);
    case "image": {
      const src = str(payload.src);
      if (!src) return "";
      const img = imageTag(src, str(payload.alt), str(payload.title));
      const href = str(payload.href);
      return figure("image", href ? `<a href="${escapeHtml(href)}">${img}</a>` : img, caption);
    }
    case "hr":
    case "horizontalrule":
      return "<hr>";
    case "code":
    case "codeblock": {
      const lang = str(payload.language).replace(/[^\w+#.-]/g, "");
      const code = `<pre><code${lang ? ` class="language-${lang}"` : ""}>${escapeHtml(str(payload.code))}</code></pre>`;
      return caption ? figure("code", code, caption) : code;
    }
    case "bookmark": {
      const url = str(payload.url);
      if (!url) return "";
      const meta = isObject(payload.metadata) ? payload.metadata : payload;
      const title = str(meta.title);
      const description = str(meta.description);
      const inner = `<p>${link(url, title)}${description ? `<br>${escapeHtml(description)}` : ""}</p>`;
      return figure("bookmark", inner, caption);
    }
    case "embed": {
      const url = str(payload.url);
      const html = str(payload.html);
      // Ghost's rendering is the provider's html (usually an iframe, which P3 turns into a link and
      // reports); without html the address is all there is.
      const inner = html || (url ? `<p>${link(url)}</p>` : "");
      return inner ? figure("embed", inner, caption) : "";
    }
    case "gallery": {
      const images = Array.isArray(payload.images) ? payload.images.filter(isObject) : [];
      const imgs = images
        .filter((i) => str(i.src))
        .map((i) => `<div class="kg-gallery-image">${imageTag(str(i.src), str(i.alt), str(i.title))}</div>`)
        .join("");
      return figure("gallery", `<div class="kg-gallery-container">${imgs}</div>`, caption);
    }
    case "callout": {
      const emoji = str(payload.calloutEmoji);
      return `<div class="kg-card kg-callout-card">${emoji ? `<div class="kg-callout-emoji">${escapeHtml(emoji)}</div>` : ""}<div class="kg-callout-text">${str(payload.calloutText)}</div></div>`;
    }
    case "toggle":
      return `<div class="kg-card kg-toggle-card"><div class="kg-toggle-heading"><h4>${str(payload.heading)}</h4></div><div class="kg-toggle-content">${str(payload.content)}</div></div>`;
    case "button": {
      const url = str(payload.buttonUrl);
      const text = str(payload.buttonText);
      return url ? `<div class="kg-card kg-button-card"><p>${link(url, text)}</p></div>` : "";
    }
    case "video":
    case "audio": {
      const src = str(payload.src);
      const title = str(payload.title) || str(payload.fileName);
      return src ? figure(name, `<${name} src="${escapeHtml(src)}"${title ? ` title="${escapeHtml(title)}"` : ""}></${name}>`, caption) : "";
    }
    case "file": {
      const src = str(payload.src);
      const title = str(payload.fileTitle) || str(payload.fileName) || src;
      const fileCaption = str(payload.fileCaption);
      return src ? `<div class="kg-card kg-file-card"><p>${link(src, title)}${fileCaption ? `<br>${escapeHtml(fileCaption)}` : ""}</p></div>` : "";
    }
    case "header": {
      const parts = [str(payload.header) && `<h2>${str(payload.header)}</h2>`, str(payload.subheader) && `<p>${str(payload.subheader)}</p>`];
      if (str(payload.buttonUrl)) parts.push(`<p>${link(str(payload.buttonUrl), str(payload.buttonText))}</p>`);
      return `<div class="kg-card kg-header-card">${parts.filter(Boolean).join("")}</div>`;
    }
    case "product": {
      const parts = [
        str(payload.productImageSrc) && imageTag(str(payload.productImageSrc), str(payload.productTitle)),
        str(payload.productTitle) && `<h4>${str(payload.productTitle)}</h4>`,
        str(payload.productDescription) && `<div>${str(payload.productDescription)}</div>`,
        str(payload.productUrl) && `<p>${link(str(payload.productUrl), str(payload.productButton))}</p>`,
      ];
      return `<div class="kg-card kg-product-card">${parts.filter(Boolean).join("")}</div>`;
    }
    case "paywall":
      // Ghost's members-only divider: the post's visibility carries the access rule.
      return "<!--members-only-->";
    default:
      return unknownCardNote(name);
  }
}

// --- mobiledoc 0.3 ---------------------------------------------------------------------------------

const MOBILEDOC_SECTION_TAGS = new Set(["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside"]);
const MOBILEDOC_MARKUP_TAGS = new Set(["a", "b", "strong", "em", "i", "s", "u", "code", "sub", "sup"]);

/** A Ghost mobiledoc document (JSON text or object) → HTML. Throws when it is not mobiledoc. */
export function mobiledocToHtml(input: string | object): string {
  const doc = parseJson(input, "mobiledoc");
  if (!isObject(doc) || !Array.isArray(doc.sections)) throw new Error("the mobiledoc has no sections");
  const markups = Array.isArray(doc.markups) ? doc.markups : [];
  const atoms = Array.isArray(doc.atoms) ? doc.atoms : [];
  const cards = Array.isArray(doc.cards) ? doc.cards : [];

  const openTag = (index: unknown): { open: string; close: string } => {
    const markup = markups[Number(index)];
    if (!Array.isArray(markup)) throw new Error(`the mobiledoc names a missing markup ${String(index)}`);
    const tag = str(markup[0]).toLowerCase();
    if (!MOBILEDOC_MARKUP_TAGS.has(tag)) return { open: "", close: "" };
    if (tag === "a") {
      const attrs: unknown[] = Array.isArray(markup[1]) ? markup[1] : [];
      const at = attrs.findIndex((a, i) => i % 2 === 0 && a === "href");
      return { open: `<a href="${escapeHtml(at >= 0 ? str(attrs[at + 1]) : "")}">`, close: "</a>" };
    }
    return { open: `<${tag}>`, close: `</${tag}>` };
  };

  const markers = (list: unknown): string => {
    if (!Array.isArray(list)) throw new Error("a mobiledoc section has no markers");
    const stack: string[] = [];
    let out = "";
    for (const marker of list) {
      if (!Array.isArray(marker) || marker.length < 4) throw new Error("a mobiledoc marker is malformed");
      const [type, opens, closeCount, value] = marker as [unknown, unknown, unknown, unknown];
      for (const index of Array.isArray(opens) ? opens : []) {
        const { open, close } = openTag(index);
        out += open;
        stack.push(close);
      }
      if (type === 1) {
        const atom: unknown = atoms[Number(value)];
        if (!Array.isArray(atom)) throw new Error(`the mobiledoc names a missing atom ${str(value)}`);
        out += atom[0] === "soft-return" ? "<br>" : escapeHtml(str(atom[1]));
      } else {
        out += escapeHtml(str(value));
      }
      for (let n = Math.min(Number(closeCount) || 0, stack.length); n > 0; n--) out += stack.pop();
    }
    while (stack.length) out += stack.pop();
    return out;
  };

  return doc.sections
    .map((section: unknown) => {
      if (!Array.isArray(section)) throw new Error("a mobiledoc section is malformed");
      switch (section[0]) {
        case 1: {
          const tag = str(section[1]).toLowerCase();
          const html = markers(section[2]);
          if (tag === "aside") return `<blockquote class="kg-blockquote-alt">${html}</blockquote>`;
          return MOBILEDOC_SECTION_TAGS.has(tag) ? `<${tag}>${html}</${tag}>` : `<p>${html}</p>`;
        }
        case 2:
          return str(section[1]) ? `<img src="${escapeHtml(str(section[1]))}" alt="">` : "";
        case 3: {
          const tag = str(section[1]).toLowerCase() === "ol" ? "ol" : "ul";
          const items = Array.isArray(section[2]) ? section[2] : [];
          return `<${tag}>${items.map((item: unknown) => `<li>${markers(item)}</li>`).join("")}</${tag}>`;
        }
        case 10: {
          const card: unknown = cards[Number(section[1])];
          if (!Array.isArray(card)) throw new Error(`the mobiledoc names a missing card ${str(section[1])}`);
          return cardToHtml(str(card[0]), isObject(card[1]) ? card[1] : {});
        }
        default:
          throw new Error(`the mobiledoc has an unknown section type ${str(section[0])}`);
      }
    })
    .join("");
}

// --- lexical ---------------------------------------------------------------------------------------

// Lexical's text format bits (lexical/LexicalConstants IS_BOLD …), outermost first.
const TEXT_FORMATS: [number, string][] = [
  [1, "strong"],
  [2, "em"],
  [4, "s"],
  [8, "u"],
  [16, "code"],
  [32, "sub"],
  [64, "sup"],
  [128, "mark"],
];
const CARD_RENAMES: Record<string, string> = { horizontalrule: "hr" };

function lexicalText(node: Json): string {
  let html = escapeHtml(str(node.text));
  const format = typeof node.format === "number" ? node.format : 0;
  for (const [bit, tag] of TEXT_FORMATS.slice().reverse()) if (format & bit) html = `<${tag}>${html}</${tag}>`;
  return html;
}

function lexicalNode(node: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error("the lexical document is nested too deeply");
  if (!isObject(node)) throw new Error("a lexical node is malformed");
  const type = str(node.type);
  const children = () => {
    if (node.children === undefined) return "";
    if (!Array.isArray(node.children)) throw new Error(`a lexical "${type}" node has malformed children`);
    return node.children.map((c) => lexicalNode(c, depth + 1)).join("");
  };
  switch (type) {
    case "text":
    case "extended-text":
      return lexicalText(node);
    case "linebreak":
      return "<br>";
    case "tab":
      return "\t";
    case "paragraph":
      return `<p>${children()}</p>`;
    case "heading":
    case "extended-heading": {
      const tag = /^h[1-6]$/.test(str(node.tag)) ? str(node.tag) : "h2";
      return `<${tag}>${children()}</${tag}>`;
    }
    case "quote":
    case "extended-quote":
      return `<blockquote>${children()}</blockquote>`;
    case "aside":
      return `<blockquote class="kg-blockquote-alt">${children()}</blockquote>`;
    case "list": {
      const tag = node.listType === "number" || node.tag === "ol" ? "ol" : "ul";
      const start = tag === "ol" && typeof node.start === "number" && node.start !== 1 ? ` start="${Math.trunc(node.start)}"` : "";
      return `<${tag}${start}>${children()}</${tag}>`;
    }
    case "listitem":
      return `<li>${children()}</li>`;
    case "link":
    case "autolink":
      return `<a href="${escapeHtml(str(node.url))}">${children()}</a>`;
    default:
      if (typeof node.type !== "string" || !type) throw new Error("a lexical node has no type");
      return cardToHtml(CARD_RENAMES[type] ?? type, node);
  }
}

/** A Ghost lexical document (JSON text or object) → HTML. Throws when it is not lexical. */
export function lexicalToHtml(input: string | object): string {
  const doc = parseJson(input, "lexical");
  if (!isObject(doc) || !isObject(doc.root) || !Array.isArray(doc.root.children)) throw new Error("the lexical document has no root");
  return doc.root.children.map((c) => lexicalNode(c, 1)).join("");
}
