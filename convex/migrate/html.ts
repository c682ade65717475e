"use node";
// Over 400 lines: one pass per kind of content the editor cannot hold (embeds, cards, tables, images), kept beside the conversion they feed.
// Imported HTML (Ghost, WordPress, Substack, Medium) → the editor's TipTap document (issue #17).
//
// 1. WordPress only: shortcodes, bare embed URLs and wpautop (wordpressContent.ts).
// 2. A DOM pass: what the editor cannot hold (iframes, video, audio, embed/object, forms, scripts,
//    bookmark and embed cards, tables) becomes a paragraph with a safe link or a note plus an
//    `Unsupported` entry; images get one usable src (lazy-load attributes, site-relative paths,
//    files inside the upload); links are resolved.
// 3. The editor's own import path, as htmlToDoc (app/editor/markdown.ts) runs it: sanitizeImportedHtml
//    → ProseMirror's DOMParser over the editor's schema (docSchema(), built from editorExtensions())
//    → normalizeDoc. So an imported document is what a paste of the same HTML gives (tested), and
//    passes the same checks as a saved one.
// The DOM is linkedom, not generateJSON's happy-dom: generateJSON builds a Window and a schema per
// call and happy-dom's parser and element access are slow; a 1,500-word post took ~30 ms of CPU
// that way, ~10 ms here (the bench imports 1,000 posts). linkedom never loads or runs anything.
//
// Images inside the upload: the schema only takes http(s) and storage srcs, so they go through as a
// per-call storage-path placeholder and come out as "zip:<path>" (LOCAL_IMAGE_PREFIX); the job swaps
// in the stored file's /api/storage/<id> before the document is saved.

import { randomBytes } from "node:crypto";
import type { JSONContent } from "@tiptap/core";
import { DOMParser as SchemaParser } from "@tiptap/pm/model";
import { Parser } from "htmlparser2";
import { parseHTML } from "linkedom";
import { docSchema, normalizeDoc, stringifyDoc } from "../../app/editor/doc";
import { sanitizeImportedHtml } from "../../app/editor/markdown";
import { safeImageSrc, safeLinkHref, STORAGE_PATH_PREFIX } from "../../app/editor/urls";
import { MAX_DOC_CHARS } from "../shared/constants";
import { FIELDS } from "../shared/fields";
import { parseDoc } from "../model/content";
import { LOCAL_IMAGE_PREFIX, type ImportedPost, type ImportSource, type PreparedPost, type Unsupported } from "./types";
import { embedParagraph, httpUrl, wordpressToHtml } from "./wordpressContent";

export interface HtmlImportOptions {
  source: ImportSource;
  /** The old site's address (Ghost/WordPress site url): relative srcs and hrefs resolve against it. */
  siteUrl?: string;
  /** Paths of the image files inside the upload (zip entry paths). */
  imagePaths: ReadonlySet<string>;
}

export interface ImportedDoc {
  doc: JSONContent;
  /** "zip:<path>" srcs used in the doc (each once, in order). */
  localImages: string[];
  unsupported: Unsupported[];
}

/** A post that cannot be imported (reported as a bad item with its position; the rest go on). */
export class ImportItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportItemError";
  }
}

/** Ghost exports write the site's own address as this placeholder. */
const GHOST_URL = "__GHOST_URL__";
const MAX_DETAIL = 200;
/** Deeper element nesting than this is no real post (page builders reach ~50) and costs DOM parsers quadratic time. */
export const MAX_HTML_NESTING = 256;

/** Refuses HTML nested deeper than MAX_HTML_NESTING, with one linear tokenizer pass, before any DOM is built. */
function checkNesting(html: string): void {
  let depth = 0;
  const parser = new Parser(
    {
      onopentag() {
        if (++depth > MAX_HTML_NESTING) throw new ImportItemError(`This post's HTML is nested more than ${MAX_HTML_NESTING} levels deep, which no editor produces.`);
      },
      onclosetag() {
        depth--;
      },
    },
    { decodeEntities: false },
  );
  parser.end(html);
}

// One document for every call (linkedom: a DOM that never loads a resource or runs a script); each
// call parses into its own detached element.
let sharedDocument: Document | null = null;
function parseFragment(html: string): Element {
  sharedDocument ??= (parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as { document: Document }).document;
  const root = sharedDocument.createElement("div");
  root.innerHTML = html;
  return root;
}

/**
 * The element's inner HTML. linkedom writes attribute values of HTML documents with only quotes
 * escaped, so a title "a &amp;b" would come back as "a &b": ampersands in attribute values are
 * escaped first (the sanitizer decodes them once).
 */
function serialize(root: Element): string {
  const stack = Array.from(root.children);
  while (stack.length) {
    const el = stack.pop()!;
    for (const attr of Array.from(el.attributes)) if (attr.value.includes("&")) attr.value = attr.value.replace(/&/g, "&amp;");
    stack.push(...Array.from(el.children));
  }
  return root.innerHTML;
}

let schemaParser: SchemaParser | null = null;
/** Sanitized HTML → a normalized document of the editor's schema (the steps of htmlToDoc, on our DOM). */
function importHtmlToDoc(html: string): JSONContent {
  const fragment = parseFragment(sanitizeImportedHtml(html));
  schemaParser ??= SchemaParser.fromSchema(docSchema());
  return normalizeDoc(schemaParser.parse(fragment).toJSON());
}

const short = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s);

// --- addresses ----------------------------------------------------------------------------------

interface Address {
  /** Absolute http(s) URL, when it can be known (relative addresses need siteUrl). */
  url: string | null;
  /** The path on the old site ("/x/y.png"), when the address is site-relative or on the site's own host. */
  path: string | null;
  /** What a link to it keeps: site-relative addresses ("/x", "x", "__GHOST_URL__/x") stay so ("/x"), for the old-address redirects. */
  href: string;
}

/** An address from imported HTML, resolved; null for other schemes (javascript:, data:, …), fragments and garbage. */
function resolveAddress(raw: string, siteUrl: string | undefined): Address | null {
  let s = raw.trim();
  if (!s || s.startsWith("#")) return null;
  if (s.startsWith(GHOST_URL)) s = s.slice(GHOST_URL.length) || "/";
  if (s.startsWith("//")) s = `https:${s}`;
  const site = httpUrl(siteUrl);
  if (/^[a-z][a-z0-9+.-]*:/i.test(s)) {
    const url = httpUrl(s);
    if (!url) return null;
    const u = new URL(url);
    return { url, path: site && u.host === new URL(site).host ? u.pathname : null, href: url };
  }
  let resolved: URL;
  try {
    resolved = new URL(s, site ? (site.endsWith("/") ? site : `${site}/`) : "https://site.invalid/");
  } catch {
    return null;
  }
  // Without the site's address only the path is known (it may still name a file in the upload).
  return { url: site ? resolved.href : null, path: resolved.pathname, href: resolved.pathname + resolved.search + resolved.hash };
}

/** Per imagePaths set: every path suffix ("2020/01/a.png", "a.png") → its entry, or null when two entries share it. */
const suffixIndexes = new WeakMap<ReadonlySet<string>, Map<string, string | null>>();
function suffixIndex(paths: ReadonlySet<string>): Map<string, string | null> {
  let index = suffixIndexes.get(paths);
  if (index) return index;
  index = new Map();
  for (const path of paths) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const key = parts.slice(i).join("/");
      index.set(key, index.has(key) && index.get(key) !== path ? null : path);
    }
  }
  suffixIndexes.set(paths, index);
  return index;
}

/** The upload entry a site path names ("/content/images/a.png" → "content/images/a.png" or a unique entry ending so). */
function localPath(path: string, paths: ReadonlySet<string>): string | null {
  if (!paths.size) return null;
  let p = path.split(/[?#]/)[0];
  try {
    p = decodeURIComponent(p);
  } catch {
    return null;
  }
  p = p.replace(/^\/+/, "").replace(/^\.\//, "");
  if (!p || p.split("/").some((s) => s === ".." || s === ".")) return null;
  if (paths.has(p)) return p;
  return suffixIndex(paths).get(p) ?? null;
}

// --- the DOM pass ---------------------------------------------------------------------------------

interface Pass {
  root: Element;
  opts: HtmlImportOptions;
  unsupported: Unsupported[];
  /** placeholder src → zip path */
  local: Map<string, string>;
  nonce: string;
}

function report(pass: Pass, kind: string, detail: string) {
  pass.unsupported.push({ kind, detail: short(detail) });
}

/** Replaces `el` with the paragraph that stands for it (a link or a note). */
function replaceWithParagraph(pass: Pass, el: Element, url: string | null, note: string) {
  const holder = pass.root.ownerDocument.createElement("div");
  holder.innerHTML = embedParagraph(url, note);
  el.replaceWith(...Array.from(holder.childNodes));
}

/** The first URL of a srcset ("a.png 1x, b.png 2x" → "a.png"). */
const firstSrcset = (srcset: string | null) => (srcset ?? "").trim().split(/\s+/)[0]?.replace(/,$/, "") ?? "";

/** The src an image shows: src unless it is missing or an inline placeholder, else the lazy-load candidates. */
function imageCandidates(img: Element): string[] {
  const picture = img.parentElement?.tagName === "PICTURE" ? img.parentElement : null;
  const sources = picture ? Array.from(picture.querySelectorAll("source")).map((s) => firstSrcset(s.getAttribute("srcset"))) : [];
  return [
    img.getAttribute("src") ?? "",
    img.getAttribute("data-src") ?? "",
    firstSrcset(img.getAttribute("srcset")),
    firstSrcset(img.getAttribute("data-srcset")),
    ...sources,
  ].filter((s) => s.trim() && !/^data:/i.test(s.trim()));
}

function fixImage(pass: Pass, img: Element) {
  const raw = img.getAttribute("src") ?? "";
  let src: string | null = null;
  for (const candidate of imageCandidates(img)) {
    const address = resolveAddress(candidate, pass.opts.siteUrl);
    if (!address) continue;
    const zip = address.path !== null ? localPath(address.path, pass.opts.imagePaths) : null;
    if (zip) {
      src = `${STORAGE_PATH_PREFIX}import-${pass.nonce}-${pass.local.size}`;
      pass.local.set(src, zip);
    } else {
      src = safeImageSrc(address.url);
    }
    if (src) break;
  }
  if (!src) {
    const what = /^data:/i.test(raw.trim()) ? "an inline data: image" : raw.trim() ? raw.trim() : "an image without an address";
    report(pass, "image", `${what} (not imported)`);
    const alt = img.getAttribute("alt")?.trim();
    // Its alt text is the only text it had: kept as a note.
    if (alt) replaceWithParagraph(pass, img, null, `[image: ${alt}]`);
    else img.remove();
    return;
  }
  for (const a of ["srcset", "data-src", "data-srcset", "sizes"]) img.removeAttribute(a);
  img.setAttribute("src", src);
}

function fixLink(pass: Pass, a: Element) {
  const raw = a.getAttribute("href");
  if (raw === null) return;
  const address = resolveAddress(raw, pass.opts.siteUrl);
  // Fragments and mailto: are kept as the editor keeps them; every other scheme is refused.
  const href = address ? safeLinkHref(address.href) : /^\s*(#|mailto:)/i.test(raw) ? safeLinkHref(raw.trim()) : null;
  if (href) {
    a.setAttribute("href", href);
  } else {
    a.removeAttribute("href");
    if (raw.trim()) report(pass, "link", `unsafe or unreadable link address removed (text kept): ${raw.trim()}`);
  }
}

const MEDIA_KIND: Record<string, string> = { IFRAME: "iframe", VIDEO: "video", AUDIO: "audio", EMBED: "embed", OBJECT: "embed" };

function mediaUrl(pass: Pass, el: Element): string | null {
  const candidates = [el.getAttribute("src"), el.getAttribute("data-src"), el.getAttribute("data"), ...Array.from(el.querySelectorAll("source")).map((s) => s.getAttribute("src"))];
  for (const c of candidates) {
    const url = c ? resolveAddress(c, pass.opts.siteUrl)?.url : null;
    if (url) return url;
  }
  return null;
}

/** Ghost/Substack cards that link somewhere: the card's target address. */
function cardUrl(pass: Pass, card: Element): string | null {
  const a = card.querySelector("a.kg-bookmark-container, a[href]");
  return a ? (resolveAddress(a.getAttribute("href") ?? "", pass.opts.siteUrl)?.url ?? null) : null;
}

const CARD_CLASSES = ["kg-bookmark-card", "embedded-post", "embedded-post-wrap"];

/** Every element under `root`, and the cards, in one walk (selector queries cost more than the rest of the pass). */
function collect(root: Element) {
  const all: Element[] = [];
  const cards: Element[] = [];
  const galleries: Element[] = [];
  const stack = Array.from(root.children).reverse();
  while (stack.length) {
    const el = stack.pop()!;
    all.push(el);
    if (el.classList.length) {
      if (CARD_CLASSES.some((c) => el.classList.contains(c))) cards.push(el);
      if (el.classList.contains("kg-gallery-card")) galleries.push(el);
    }
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]);
  }
  // In document order, so the report lists things as they come.
  const tags = (...names: string[]) => all.filter((el) => names.includes(el.tagName));
  return { tags, cards, galleries };
}

function domPass(pass: Pass) {
  const body = pass.root;
  // Comments (Gutenberg's <!-- wp:… --> block markers among them) carry no content.
  const walker = body.ownerDocument.createTreeWalker(body, 128 /* NodeFilter.SHOW_COMMENT */);
  const comments: ChildNode[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) comments.push(n as ChildNode);
  for (const c of comments) c.remove();
  const found = collect(body);
  // Earlier steps remove or replace elements: later ones skip what is gone.
  const live = (names: string[]) => found.tags(...names).filter((el) => body.contains(el));

  for (const el of live(["SCRIPT", "script"])) {
    report(pass, "script", el.getAttribute("src") ? `script ${el.getAttribute("src")} removed` : "inline script removed");
    el.remove();
  }
  // Fallbacks for script-driven content, shown only without JavaScript: the content itself is kept elsewhere.
  for (const el of live(["NOSCRIPT", "TEMPLATE", "STYLE", "META", "LINK", "BASE"])) el.remove();
  for (const el of live(["SVG", "MATH", "CANVAS", "svg", "math"])) {
    const name = el.tagName.toLowerCase();
    report(pass, name, `inline ${name} not imported`);
    replaceWithParagraph(pass, el, null, `[${name} not imported]`);
  }

  // Cards first (they hold media and links of their own).
  for (const card of found.cards) {
    if (!body.contains(card) || card.parentElement?.closest(".kg-bookmark-card, .embedded-post, .embedded-post-wrap")) continue;
    const url = cardUrl(pass, card);
    report(pass, card.classList.contains("kg-bookmark-card") ? "bookmark" : "embedded-post", url ?? "a card without an address");
    // Its thumbnail and icons go; its title, description and byline stay as text after the link.
    for (const img of Array.from(card.querySelectorAll("img"))) img.remove();
    const holder = pass.root.ownerDocument.createElement("div");
    holder.innerHTML = embedParagraph(url, "[embedded card not imported]");
    card.before(...Array.from(holder.childNodes));
    for (const a of Array.from(card.querySelectorAll("a"))) a.replaceWith(...Array.from(a.childNodes));
  }
  for (const card of found.galleries) {
    const n = card.querySelectorAll("img").length;
    report(pass, "gallery", `${n} image${n === 1 ? "" : "s"} shown one after another`);
  }

  for (const el of live(["IFRAME", "VIDEO", "AUDIO", "EMBED", "OBJECT"])) {
    if (!body.contains(el)) continue; // inside an <object> already replaced
    const kind = MEDIA_KIND[el.tagName] ?? "embed";
    const url = mediaUrl(pass, el);
    report(pass, kind, url ?? `${kind} without an address`);
    replaceWithParagraph(pass, el, url, `[${kind} not imported]`);
  }
  for (const form of live(["FORM"])) {
    const action = form.getAttribute("action");
    report(pass, "form", action ? `form posting to ${action}` : "form");
    // The form goes; its words (labels, buttons) stay, after a note.
    const holder = pass.root.ownerDocument.createElement("div");
    holder.innerHTML = embedParagraph(null, "[form not imported]");
    form.before(...Array.from(holder.childNodes));
    for (const input of Array.from(form.querySelectorAll("input[type=submit][value], button"))) {
      const label = input.tagName === "BUTTON" ? input.textContent : input.getAttribute("value");
      const p = pass.root.ownerDocument.createElement("p");
      p.textContent = label ?? "";
      input.replaceWith(p);
    }
  }
  for (const table of live(["TABLE"])) {
    if (table.parentElement?.closest("table")) continue;
    report(pass, "table", `table of ${table.querySelectorAll("tr").length} rows kept as paragraphs`);
  }
  for (const cap of live(["FIGCAPTION"])) {
    const p = pass.root.ownerDocument.createElement("p");
    p.append(...Array.from(cap.childNodes));
    cap.replaceWith(p);
  }
  for (const img of live(["IMG"])) fixImage(pass, img);
  for (const a of live(["A"])) fixLink(pass, a);
}

/** Placeholder srcs → "zip:<path>"; the zip paths in document order. */
function swapLocalImages(node: JSONContent, local: Map<string, string>, used: string[]): JSONContent {
  if (node.type === "image" && typeof node.attrs?.src === "string" && local.has(node.attrs.src)) {
    const src = LOCAL_IMAGE_PREFIX + local.get(node.attrs.src)!;
    if (!used.includes(src)) used.push(src);
    return { ...node, attrs: { ...node.attrs, src } };
  }
  return node.content ? { ...node, content: node.content.map((c) => swapLocalImages(c, local, used)) } : node;
}

/**
 * An imported post's HTML → a document of the editor's schema, the images it takes from the upload,
 * and what could not be kept (each also left in the text as a link or a note).
 * @throws ImportItemError for HTML nested deeper than MAX_HTML_NESTING (a hostile or broken post).
 */
export function htmlToImportedDoc(html: string, opts: HtmlImportOptions): ImportedDoc {
  const unsupported: Unsupported[] = [];
  checkNesting(html ?? "");
  const source = opts.source === "wordpress" ? wordpressToHtml(html ?? "", unsupported) : (html ?? "");
  if (source !== html) checkNesting(source);
  const pass: Pass = { root: parseFragment(source), opts, unsupported, local: new Map(), nonce: randomBytes(6).toString("hex") };
  domPass(pass);
  const doc = importHtmlToDoc(serialize(pass.root));
  const localImages: string[] = [];
  return { doc: pass.local.size ? swapLocalImages(doc, pass.local, localImages) : doc, localImages, unsupported };
}

/** `value` cut to the field's length (trimmed as the field trims), with a note when cut. */
function fitField(value: string | undefined, rule: { max: number }, label: string, notes: string[]): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed.length <= rule.max) return trimmed;
  const code = trimmed.charCodeAt(rule.max - 1);
  const cut = trimmed.slice(0, code >= 0xd800 && code <= 0xdbff ? rule.max - 1 : rule.max).trimEnd();
  notes.push(`The ${label} was cut to ${rule.max} characters.`);
  return cut;
}

function hasContent(doc: JSONContent): boolean {
  if (doc.type === "image" || (doc.type === "text" && doc.text?.trim())) return true;
  return (doc.content ?? []).some(hasContent);
}

/**
 * An imported post ready to write: its document (JSON text, checked by the same parseDoc as a
 * saved draft), the upload images it uses (body and cover: "zip:<path>"), what was not kept, and
 * its text fields cut to their field rules (with a note each). A cover becomes an http(s) URL or
 * "zip:<path>", or is dropped with an Unsupported entry.
 * @throws ImportItemError when the post has neither title nor content, its HTML is nested too deeply,
 *   or its document is over the size limit.
 */
export function preparePost(post: ImportedPost, opts: HtmlImportOptions): PreparedPost {
  const { html, ...rest } = post;
  const { doc, localImages, unsupported } = htmlToImportedDoc(html, opts);
  const title = post.title.trim();
  if (!title && !hasContent(doc)) throw new ImportItemError("This post has no title and no text.");
  const json = stringifyDoc(doc);
  try {
    parseDoc(json);
  } catch {
    throw new ImportItemError(`This post is too long to save (its document is ${Math.ceil(json.length / 1024)} KiB; the limit is ${Math.floor(MAX_DOC_CHARS / 1024)} KiB).`);
  }
  const notes = [...(post.notes ?? [])];
  const prepared: PreparedPost = {
    ...rest,
    title: fitField(title, FIELDS.postTitle, "title", notes) ?? "",
    excerpt: fitField(post.excerpt, FIELDS.postExcerpt, "excerpt", notes) || undefined,
    seoTitle: fitField(post.seoTitle, FIELDS.seoTitle, "SEO title", notes) || undefined,
    seoDescription: fitField(post.seoDescription, FIELDS.seoDescription, "SEO description", notes) || undefined,
    doc: json,
    localImages,
    unsupported,
  };
  if (post.cover) {
    const cover = resolveCover(post.cover.url, opts);
    if (cover) {
      if (cover.startsWith(LOCAL_IMAGE_PREFIX) && !localImages.includes(cover)) localImages.push(cover);
      prepared.cover = {
        url: cover,
        alt: fitField(post.cover.alt, FIELDS.coverAlt, "cover's alt text", notes) || undefined,
        caption: fitField(post.cover.caption, FIELDS.coverCaption, "cover's caption", notes) || undefined,
      };
    } else {
      delete prepared.cover;
      unsupported.push({ kind: "cover", detail: short(`cover image ${post.cover.url.trim() || "without an address"} (not imported)`) });
    }
  }
  if (notes.length) prepared.notes = notes;
  else delete prepared.notes;
  return prepared;
}

/** A cover's address → an http(s) URL, "zip:<path>" for a file in the upload, or null. */
function resolveCover(raw: string, opts: HtmlImportOptions): string | null {
  const address = resolveAddress(raw, opts.siteUrl);
  if (!address) return null;
  const zip = address.path !== null ? localPath(address.path, opts.imagePaths) : null;
  return zip ? LOCAL_IMAGE_PREFIX + zip : safeImageSrc(address.url);
}
