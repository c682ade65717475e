import { SaxesParser, type SaxesTagNS } from "saxes";
import sanitizeHtml from "sanitize-html";
import { describe, expect, test } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import { resolveTheme } from "../../convex/shared/theme";
import type { ReaderPost } from "../../convex/validators";
import { buildFeed } from "./feeds.server";
import type { FeedFormat } from "./paths";
import { renderDocToSafeHtml, safeUrl } from "./render.server";
import type { ResolvedSite } from "./site.server";

// Feeds are read by programs we do not control (feed readers, aggregators, e-mail digests), so
// whatever an author types must come out as the same text, never as markup, and every document
// must stay well-formed and valid for its format. Each payload goes through every author-typed
// field at once; the XML is read back with saxes, a strictly conforming XML 1.0 parser (it rejects
// forbidden characters, "]]>" in text and "<" in attributes, which lenient parsers let through).

const PAYLOADS = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  '"><svg onload=alert(1)>',
  "javascript:alert(1)",
  '<a href="javascript:alert(1)">click</a>',
  "]]><script>alert(1)</script>",
  "a]]>b]]><script>alert(2)</script>",
  "<![CDATA[<script>alert(3)</script>]]>",
  "]]>]]>]]>",
  "&",
  "&amp;",
  "&lt;script&gt;alert(1)&lt;/script&gt;",
  "&#60;script&#62;alert(1)&#60;/script&#62;",
  "&nbsp; &e; &#0; &#xD800;",
  "<",
  ">",
  '"',
  "'",
  "' onmouseover='alert(1)",
  '" onmouseover="alert(1)',
  "\u0000",
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(""),
  "tab\tnew\nline\rcarriage\r\nend",
  "\u000B\u000C\u001B[31m",
  "lone high \uD800 surrogate",
  "lone low \uDC00 surrogate",
  "\uDFFF\uD800 reversed pair",
  "\uFFFE\uFFFF",
  '<iframe src="javascript:alert(1)"></iframe>',
  "<math><mtext></mtext><mglyph><style><img src=x onerror=alert(1)>",
  "<!--<script>alert(1)</script>-->",
  '<?xml version="1.0"?><x/>',
  '<!DOCTYPE x [<!ENTITY e "boom">]>&e;',
  "<style>body{display:none}</style>",
  "<body onload=alert(1)>",
  '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
  "data:text/html,<script>alert(1)</script>",
  '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
  "\u2028\u2029 line separators",
  "emoji 😀 and é and 中文",
];

/** What XML 1.0 can carry of a string (its Char production), computed independently of the code under test. */
function xmlChars(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (ok) out += ch;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A tiny DOM from saxes events (namespaces resolved, entities decoded).

interface XNode {
  uri: string;
  local: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

const RSS_CONTENT = "http://purl.org/rss/1.0/modules/content/";
const DC = "http://purl.org/dc/elements/1.1/";
const ATOM = "http://www.w3.org/2005/Atom";

/** Parses strictly; throws on any well-formedness or namespace error. */
function parseXml(xml: string): XNode {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XNode[] = [];
  let root: XNode | null = null;
  parser.on("error", (e) => {
    throw e;
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    const node: XNode = { uri: tag.uri, local: tag.local, attrs, children: [], text: "" };
    if (stack.length) stack[stack.length - 1].children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on("text", (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on("cdata", (t) => {
    stack[stack.length - 1].text += t;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error("no root element");
  return root;
}

const kids = (n: XNode, local: string, uri = "") => n.children.filter((c) => c.local === local && c.uri === uri);
function one(n: XNode, local: string, uri = ""): XNode {
  const found = kids(n, local, uri);
  expect(found, `exactly one <${local}> in <${n.local}>`).toHaveLength(1);
  return found[0];
}

// ---------------------------------------------------------------------------------------------
// HTML-typed fields: parse the decoded HTML and look at every element and attribute.

const FEED_HTML_TAGS = ["p", "br", "strong", "em", "s", "u", "code", "pre", "blockquote", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "img", "hr"];
const FEED_HTML_ATTRS: Record<string, string[]> = { a: ["href", "title", "rel"], img: ["src", "alt", "title", "loading", "decoding"], ol: ["start"], code: ["class"] };

function htmlElements(html: string): Array<{ tag: string; attribs: Record<string, string> }> {
  const out: Array<{ tag: string; attribs: Record<string, string> }> = [];
  // sanitize-html as a parser (htmlparser2, entities decoded): allow everything, record every tag.
  // Its output is thrown away, so allowing <script>/<style> is what we want (a <script> in a feed
  // must reach onOpenTag and fail the allowlist check); saying so stops its "vulnerable tags" warning.
  sanitizeHtml(html, { allowedTags: false, allowedAttributes: false, allowVulnerableTags: true, onOpenTag: (tag, attribs) => out.push({ tag, attribs }) });
  return out;
}

/** Fails when HTML from a feed holds an element or attribute outside the body allowlist, or an unsafe URL. */
function expectSafeHtml(html: string, where: string) {
  for (const { tag, attribs } of htmlElements(html)) {
    expect(FEED_HTML_TAGS, `<${tag}> in ${where}: ${html}`).toContain(tag);
    for (const [name, value] of Object.entries(attribs)) {
      expect(FEED_HTML_ATTRS[tag] ?? [], `${name} on <${tag}> in ${where}`).toContain(name);
      if (name === "href" || name === "src") expect(safeUrl(value, ["http:", "https:", "mailto:"]), `${name}=${value} in ${where}`).toBe(true);
    }
  }
}

/** An HTML field that should show exactly `text` (an escaped plain-text value): no element at all. */
function expectHtmlText(html: string, text: string, where: string) {
  expect(htmlElements(html), `${where} carries markup: ${html}`).toEqual([]);
  expect(decodeHtml(html), where).toBe(xmlChars(text));
}

/** Decodes the five entities an escaper emits (and numeric ones); enough for escaped text. */
function decodeHtml(html: string): string {
  return html.replace(/&(#x?[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1].toLowerCase() === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e.toLowerCase()]!;
  });
}

// ---------------------------------------------------------------------------------------------
// The feed every payload goes through: a free post with a body and a locked post without one.

const ORIGIN = "https://pressroom.example";

function fixture(payload: string, scope?: "tag" | "category") {
  const field = (name: string) => `${name} ${payload} end`;
  const resolved: ResolvedSite = {
    site: {
      _id: "s1" as Id<"sites">,
      name: field("Site"),
      slug: "xss-site",
      description: field("Description"),
      customDomain: null,
      accentColor: null,
      logoUrl: null,
      theme: resolveTheme(undefined),
      coverUrl: null,
    },
    base: "/xss-site",
    canonicalBase: `${ORIGIN}/xss-site`,
  };
  const tag = { _id: "t1" as Id<"tags">, name: field("Tag"), slug: "t1" };
  const category = { _id: "c1" as Id<"categories">, name: field("Category"), slug: "c1" };
  const post = (id: string, locked: boolean): ReaderPost => ({
    _id: id as Id<"posts">,
    siteId: resolved.site._id,
    slug: `post-${id}`,
    title: field("Title"),
    excerpt: field("Excerpt"),
    excerptKind: "author",
    authorId: "u1" as Id<"users">,
    authorName: field("Author"),
    authorImage: null,
    authorSlug: "author-1",
    publishedAt: Date.UTC(2026, 10, 1),
    updatedAt: Date.UTC(2026, 10, 2),
    readingTimeMinutes: 1,
    featured: locked,
    locked,
    doc: null,
    seoTitle: null,
    seoDescription: null,
    coverImageUrl: null,
    coverImageAlt: null,
    coverImageCaption: null,
    category,
    tags: [tag],
  });
  const doc = JSON.stringify({
    type: "doc",
    content: [
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: field("Heading") }] },
      { type: "paragraph", content: [{ type: "text", text: field("Body") }] },
      { type: "paragraph", content: [{ type: "text", text: field("Link"), marks: [{ type: "link", attrs: { href: payload } }] }] },
      { type: "paragraph", content: [{ type: "text", text: "js link", marks: [{ type: "link", attrs: { href: "javascript:alert(1)" } }] }] },
      { type: "image", attrs: { src: payload, alt: field("Alt") } },
      { type: "codeBlock", attrs: { language: payload }, content: [{ type: "text", text: field("Code") }] },
    ],
  });
  const posts = [post("p-free", false), post("p-locked", true)];
  const bodies = new Map([["p-free", renderDocToSafeHtml(doc)]]);
  const scoped = scope === "tag" ? { kind: "tag" as const, slug: tag.slug, name: tag.name, description: field("TagDescription") }
    : scope === "category" ? { kind: "category" as const, slug: category.slug, name: category.name, description: field("CategoryDescription") }
    : undefined;
  return { resolved, posts, bodies, scope: scoped, field };
}

const build = (format: FeedFormat, payload: string, scope?: "tag" | "category") => {
  const f = fixture(payload, scope);
  return { xml: buildFeed({ resolved: f.resolved, format, scope: f.scope, posts: f.posts, bodies: f.bodies }), ...f };
};

const absolute = (url: string) => expect(() => new URL(url), url).not.toThrow();

const SCOPES = [undefined, "tag", "category"] as const;
const CASES = PAYLOADS.flatMap((p, i) => SCOPES.map((s) => [i, s ?? "site", p, s] as const));

describe("XSS in feeds: every author-typed field, every format, every scope", () => {
  test("the corpus is large enough to mean something", () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(30);
  });

  test.each(CASES)("RSS 2.0 #%i (%s feed): well-formed, text stays text, HTML is sanitized, required elements", (_i, _s, payload, scope) => {
    const { xml, field } = build("rss", payload, scope);
    const rss = parseXml(xml);
    expect(rss.local).toBe("rss");
    expect(rss.attrs.version).toBe("2.0");
    const channel = one(rss, "channel");
    // RSS 2.0 requires title, link and description on the channel.
    expect(one(channel, "title").text).toBe(xmlChars(`${field("Site")}${scope ? `: ${scope === "tag" ? "#" : ""}${field(scope === "tag" ? "Tag" : "Category")}` : ""}`));
    absolute(one(channel, "link").text);
    const channelDescription = scope === "tag" ? field("TagDescription") : scope === "category" ? field("CategoryDescription") : field("Description");
    expectHtmlText(one(channel, "description").text, channelDescription, "channel description");
    const items = kids(channel, "item");
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(one(item, "title").text).toBe(xmlChars(field("Title")));
      absolute(one(item, "link").text);
      expect(one(item, "guid").text).toBe(one(item, "link").text);
      expect(new Date(one(item, "pubDate").text).getTime()).toBe(Date.UTC(2026, 10, 1));
      expect(one(item, "creator", DC).text).toBe(xmlChars(field("Author")));
      expect(kids(item, "author"), "RSS <author> must be an e-mail address, so names go in dc:creator").toHaveLength(0);
      expect(kids(item, "category").map((c) => c.text)).toEqual([xmlChars(field("Category")), xmlChars(field("Tag"))]);
      for (const c of kids(item, "category")) absolute(c.attrs.domain);
      expectHtmlText(one(item, "description").text, field("Excerpt"), "item description");
      expectSafeHtml(one(item, "encoded", RSS_CONTENT).text, "content:encoded");
    }
    // The locked post's content is the escaped excerpt and a link: exactly <p>text</p><p><a>…</a></p>.
    const locked = htmlElements(one(items[1], "encoded", RSS_CONTENT).text);
    expect(locked.map((e) => e.tag)).toEqual(["p", "p", "a"]);
  });

  test.each(CASES)("Atom 1.0 #%i (%s feed): well-formed, text constructs are type=text, content is sanitized, required elements", (_i, _s, payload, scope) => {
    const { xml, field } = build("atom", payload, scope);
    const feed = parseXml(xml);
    expect(feed.local).toBe("feed");
    expect(feed.uri).toBe(ATOM);
    absolute(one(feed, "id", ATOM).text);
    expect(one(feed, "title", ATOM).attrs.type ?? "text").toBe("text");
    expect(one(feed, "title", ATOM).text).toContain(xmlChars(field("Site")));
    expect(Number.isNaN(Date.parse(one(feed, "updated", ATOM).text))).toBe(false);
    const subtitle = one(feed, "subtitle", ATOM);
    expect(subtitle.attrs.type ?? "text").toBe("text");
    expect(subtitle.text).toBe(xmlChars(scope === "tag" ? field("TagDescription") : scope === "category" ? field("CategoryDescription") : field("Description")));
    expect(kids(feed, "link", ATOM).find((l) => l.attrs.rel === "self")?.attrs.href).toMatch(/\/atom\.xml$/);
    const entries = kids(feed, "entry", ATOM);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      // Atom requires id, title and updated; author on each entry because the feed has none.
      absolute(one(entry, "id", ATOM).text);
      const title = one(entry, "title", ATOM);
      expect(title.attrs.type ?? "text").toBe("text");
      expect(title.text).toBe(xmlChars(field("Title")));
      expect(Number.isNaN(Date.parse(one(entry, "updated", ATOM).text))).toBe(false);
      expect(kids(entry, "link", ATOM).some((l) => (l.attrs.rel ?? "alternate") === "alternate" && l.attrs.href)).toBe(true);
      const author = one(entry, "author", ATOM);
      expect(one(author, "name", ATOM).text).toBe(xmlChars(field("Author")));
      const categories = kids(entry, "category", ATOM);
      expect(categories.map((c) => c.attrs.label)).toEqual([xmlChars(field("Category")), xmlChars(field("Tag"))]);
      for (const c of categories) expect(c.attrs.term, "Atom requires category/@term").toBeTruthy();
      const summary = one(entry, "summary", ATOM);
      expect(summary.attrs.type ?? "text").toBe("text");
      expect(summary.text).toBe(xmlChars(field("Excerpt")));
      const content = one(entry, "content", ATOM);
      expect(content.attrs.type).toBe("html");
      expect(content.children, "type=html content is escaped text, never child elements").toEqual([]);
      expectSafeHtml(content.text, "atom content");
    }
  });

  test.each(CASES)("JSON Feed 1.1 #%i (%s feed): parses, text stays text, HTML is sanitized, required members", (_i, _s, payload, scope) => {
    const { xml, field } = build("json", payload, scope);
    const feed = JSON.parse(xml);
    expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
    expect(typeof feed.title).toBe("string");
    expect(feed.title).toContain(xmlChars(field("Site")));
    absolute(feed.home_page_url);
    absolute(feed.feed_url);
    expect(feed.items).toHaveLength(2);
    for (const item of feed.items) {
      expect(typeof item.id).toBe("string");
      absolute(item.url);
      expect(item.title).toBe(xmlChars(field("Title")));
      expect(item.summary).toBe(xmlChars(field("Excerpt")));
      expect(typeof item.content_html).toBe("string");
      expectSafeHtml(item.content_html, "content_html");
      expect(item.authors).toEqual([{ name: xmlChars(field("Author")), url: `${ORIGIN}/xss-site/author/author-1` }]);
      expect(item.tags).toEqual([xmlChars(field("Category")), xmlChars(field("Tag"))]);
      expect(Number.isNaN(Date.parse(item.date_published))).toBe(false);
    }
  });
});
