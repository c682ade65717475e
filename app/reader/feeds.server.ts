import { redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { ReaderPost } from "../../convex/validators";
import { anonymousReaderClient, type ReaderClient } from "./client.server";
import { cachedBody, notFound } from "./http.server";
import { FEED_TYPES, readerPaths, type FeedFormat, type FeedScope } from "./paths";
import { bodyHtml } from "./post-page.server";
import { resolveSite, type ResolvedSite } from "./site.server";

// RSS 2.0, Atom 1.0 and JSON Feed 1.1 for a site, a tag or a category.
// Feeds are public documents that anyone may cache or forward, so they are ALWAYS built with an
// anonymous client, whoever asks: a subscriber's feed reader gets the same feed as everyone.
// Free posts carry their full (sanitized) content; locked posts carry the excerpt and a link.
// Every URL is absolute, on the site's canonical base.
//
// Authors type what they like into titles, excerpts, names and descriptions, so every value is
// written for the field's declared type: plain text is escaped as XML text (Atom type="text"),
// fields that readers treat as HTML (RSS descriptions, Atom/JSON HTML content) get the text
// HTML-escaped first, and body HTML is the sanitizer's output. The documents are written here, not
// with the `feed` package: it wrapped plain text in CDATA as HTML, escaped only the first `]]>`,
// left `<` in attributes, turned a typed "&amp;" into "&", wrote Atom categories without `term`
// and JSON Feed 1.0. No CDATA is used at all, and characters XML 1.0 forbids are dropped.

export const FEED_ITEMS = 20;

/**
 * Characters XML 1.0 does not allow (C0 controls other than tab, LF and CR; lone surrogates;
 * U+FFFE/U+FFFF). Dropped from every feed string, since no escape can carry them.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string with the characters XML cannot hold removed (JSON feeds use it too, so all formats agree). */
export const feedText = (s: string): string => s.replace(XML_INVALID, "");

/** Plain text → HTML that shows exactly that text. */
export const textToHtml = (s: string): string =>
  feedText(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/**
 * Any string → XML character data or attribute value. Escapes `>` too, so no `]]>` survives, and
 * writes CR (and, in attributes, tab and LF) as references, which parsers would otherwise normalize.
 */
const xmlEscape = (s: string, attribute = false): string => {
  const out = feedText(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/\r/g, "&#13;");
  return attribute ? out.replace(/\t/g, "&#9;").replace(/\n/g, "&#10;") : out;
};

/** An XML element: attributes (undefined ones omitted), then text or children. */
type Xml = { name: string; attrs?: Record<string, string | undefined>; text?: string; children?: Array<Xml | null> };

function writeXml(node: Xml, depth = 0): string {
  const pad = "  ".repeat(depth);
  const attrs = Object.entries(node.attrs ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(v, true)}"`)
    .join("");
  const children = (node.children ?? []).filter((c): c is Xml => c !== null);
  if (children.length) return `${pad}<${node.name}${attrs}>\n${children.map((c) => writeXml(c, depth + 1)).join("\n")}\n${pad}</${node.name}>`;
  if (node.text !== undefined && node.text !== "") return `${pad}<${node.name}${attrs}>${xmlEscape(node.text)}</${node.name}>`;
  return `${pad}<${node.name}${attrs}/>`;
}

const el = (name: string, text: string | undefined, attrs?: Xml["attrs"]): Xml | null =>
  text === undefined ? null : { name, text, ...(attrs ? { attrs } : {}) };

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

/** Makes root-relative href/src in sanitized HTML absolute (feed readers have no page URL to resolve against). */
export function absolutizeHtml(html: string, origin: string): string {
  return html.replace(/\s(href|src)="\/(?!\/)/g, ` $1="${origin}/`);
}

interface FeedInput {
  resolved: ResolvedSite;
  format: FeedFormat;
  scope?: FeedScope & { name: string; description: string | null };
  posts: ReaderPost[];
  /** Rendered (sanitized) HTML of each free post's body, by post id. */
  bodies: Map<string, string>;
}

/** The format-independent feed: every string as authors typed it (cleaned for XML), HTML marked as such. */
interface FeedModel {
  title: string;
  description: string | null;
  link: string;
  self: Record<FeedFormat, string>;
  updated: Date;
  logo: string | null;
  favicon: string;
  rights: string;
  items: Array<{
    url: string;
    title: string;
    /** Plain text. */
    summary: string;
    /** HTML (sanitized body, or the escaped excerpt and a link). */
    contentHtml: string;
    published: Date;
    updated: Date;
    author: { name: string; url: string | null };
    categories: Array<{ name: string; slug: string; url: string }>;
    image: string | null;
  }>;
}

function feedModel({ resolved, scope, posts, bodies }: FeedInput): FeedModel {
  const { site, canonicalBase } = resolved;
  const abs = readerPaths(canonicalBase);
  const origin = new URL(canonicalBase).origin;
  const feedScope = scope ? { kind: scope.kind, slug: scope.slug } : undefined;
  const newest = posts.reduce((m, p) => Math.max(m, p.updatedAt, p.publishedAt), 0);
  return {
    title: scope ? `${site.name}: ${scope.kind === "tag" ? "#" : ""}${scope.name}` : site.name,
    description: (scope ? scope.description : site.description) || null,
    link: scope ? (scope.kind === "tag" ? abs.tag(scope.slug) : abs.category(scope.slug)) : abs.home,
    self: { rss: abs.feed("rss", feedScope), atom: abs.feed("atom", feedScope), json: abs.feed("json", feedScope) },
    // The newest post's time, so an unchanged feed is byte-identical (ETag) between requests.
    updated: new Date(newest || 0),
    logo: site.logoUrl ?? null,
    favicon: `${origin}/favicon.ico`,
    rights: `© ${site.name}`,
    items: posts.map((p) => {
      const url = abs.post(p.slug);
      const body = bodies.get(p._id);
      const cta = p.locked ? `Subscribe to ${site.name} to read this post` : "Read the full post";
      return {
        url,
        title: p.title,
        summary: p.excerpt,
        contentHtml:
          body !== undefined
            ? absolutizeHtml(body, origin)
            : `${p.excerpt ? `<p>${textToHtml(p.excerpt)}</p>` : ""}<p><a href="${textToHtml(url)}">${textToHtml(cta)}</a></p>`,
        published: new Date(p.publishedAt),
        updated: new Date(Math.max(p.updatedAt, p.publishedAt)),
        author: { name: p.authorName, url: p.authorSlug ? abs.author(p.authorSlug) : null },
        categories: [
          ...(p.category ? [{ name: p.category.name, slug: p.category.slug, url: abs.category(p.category.slug) }] : []),
          ...p.tags.map((t) => ({ name: t.name, slug: t.slug, url: abs.tag(t.slug) })),
        ],
        image: p.coverImageUrl,
      };
    }),
  };
}

/** RSS 2.0: `description` is HTML by convention, so plain text is HTML-escaped before it is XML-escaped. */
function rss2(f: FeedModel): string {
  const channel: Xml = {
    name: "channel",
    children: [
      el("title", f.title),
      el("link", f.link),
      // Required by RSS 2.0; the title stands in when there is no description.
      el("description", textToHtml(f.description ?? f.title)),
      el("language", "en"),
      el("lastBuildDate", f.updated.toUTCString()),
      el("docs", "https://www.rssboard.org/rss-specification"),
      el("generator", "Pressroom"),
      el("copyright", f.rights),
      f.logo ? { name: "image", children: [el("url", f.logo), el("title", f.title), el("link", f.link)] } : null,
      el("atom:link", "", { href: f.self.rss, rel: "self", type: FEED_TYPES.rss }),
      ...f.items.map(
        (i): Xml => ({
          name: "item",
          children: [
            el("title", i.title),
            el("link", i.url),
            el("guid", i.url, { isPermaLink: "true" }),
            el("pubDate", i.published.toUTCString()),
            // RSS's <author> must be an e-mail address; a name goes in dc:creator.
            el("dc:creator", i.author.name),
            ...i.categories.map((c) => el("category", c.name, { domain: c.url })),
            el("description", textToHtml(i.summary)),
            el("content:encoded", i.contentHtml),
          ],
        }),
      ),
    ],
  };
  return (
    XML_DECLARATION +
    writeXml({
      name: "rss",
      attrs: {
        version: "2.0",
        "xmlns:atom": "http://www.w3.org/2005/Atom",
        "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        "xmlns:dc": "http://purl.org/dc/elements/1.1/",
      },
      children: [channel],
    })
  );
}

/** Atom 1.0: titles, summaries and names are type="text"; only content is type="html". */
function atom1(f: FeedModel): string {
  return (
    XML_DECLARATION +
    writeXml({
      name: "feed",
      attrs: { xmlns: "http://www.w3.org/2005/Atom", "xml:lang": "en" },
      children: [
        el("id", f.link),
        el("title", f.title, { type: "text" }),
        f.description ? el("subtitle", f.description, { type: "text" }) : null,
        el("updated", f.updated.toISOString()),
        el("link", "", { rel: "alternate", type: "text/html", href: f.link }),
        el("link", "", { rel: "self", type: FEED_TYPES.atom, href: f.self.atom }),
        el("generator", "Pressroom"),
        el("icon", f.favicon),
        f.logo ? el("logo", f.logo) : null,
        el("rights", f.rights, { type: "text" }),
        ...f.items.map(
          (i): Xml => ({
            name: "entry",
            children: [
              el("id", i.url),
              el("title", i.title, { type: "text" }),
              el("link", "", { rel: "alternate", type: "text/html", href: i.url }),
              i.image ? el("link", "", { rel: "enclosure", href: i.image }) : null,
              el("published", i.published.toISOString()),
              el("updated", i.updated.toISOString()),
              { name: "author", children: [el("name", i.author.name), i.author.url ? el("uri", i.author.url) : null] },
              ...i.categories.map((c) => el("category", "", { term: c.slug, label: c.name, scheme: c.url.slice(0, c.url.lastIndexOf("/") + 1) })),
              i.summary ? el("summary", i.summary, { type: "text" }) : null,
              el("content", i.contentHtml, { type: "html" }),
            ],
          }),
        ),
      ],
    })
  );
}

/** JSON Feed 1.1: JSON.stringify escapes everything; title/summary are text, content_html is HTML. */
function json11(f: FeedModel): string {
  const clean = (s: string) => feedText(s);
  const feed = {
    version: "https://jsonfeed.org/version/1.1",
    title: clean(f.title),
    home_page_url: f.link,
    feed_url: f.self.json,
    ...(f.description ? { description: clean(f.description) } : {}),
    ...(f.logo ? { icon: f.logo } : {}),
    favicon: f.favicon,
    language: "en",
    items: f.items.map((i) => ({
      id: i.url,
      url: i.url,
      title: clean(i.title),
      content_html: clean(i.contentHtml),
      ...(i.summary ? { summary: clean(i.summary) } : {}),
      ...(i.image ? { image: i.image } : {}),
      date_published: i.published.toISOString(),
      date_modified: i.updated.toISOString(),
      authors: [{ name: clean(i.author.name), ...(i.author.url ? { url: i.author.url } : {}) }],
      tags: i.categories.map((c) => clean(c.name)),
    })),
  };
  return JSON.stringify(feed, null, 2);
}

/** Builds the feed document (pure: no I/O). */
export function buildFeed(input: FeedInput): string {
  const model = feedModel(input);
  return input.format === "rss" ? rss2(model) : input.format === "atom" ? atom1(model) : json11(model);
}

/**
 * The HTML of the bodies this reader may read (lists never carry bodies): their content keys in one
 * call (reader:bodyKeys, the same projection as a post page), and a body only for a key this
 * process has not rendered (post-page.server.ts bodyHtml).
 */
async function freeBodies(client: ReaderClient, siteSlug: string, posts: ReaderPost[]): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  const free = posts.filter((p) => !p.locked);
  if (free.length === 0) return bodies;
  const keys = await client.query(api.reader.bodyKeys, { siteSlug, slugs: free.map((p) => p.slug) });
  await Promise.all(
    keys.map(async ({ slug, bodyKey }, i) => {
      const html = bodyKey === null ? null : await bodyHtml(client, siteSlug, slug, bodyKey);
      if (html !== null) bodies.set(free[i]!._id, html);
    }),
  );
  return bodies;
}

/**
 * The loader of every feed route.
 * @throws a 404 response for an unknown site, tag or category; a 301 for a renamed tag/category.
 */
export async function feedResponse(
  request: Request,
  params: { site?: string },
  format: FeedFormat,
  scopeRef?: FeedScope,
): Promise<Response> {
  const client = anonymousReaderClient();
  const resolved = await resolveSite(request, params, (by) => client.query(api.sites.getPublic, by));
  if (!resolved) throw notFound("Publication not found");
  const siteSlug = resolved.site.slug;
  const paginationOpts = { numItems: FEED_ITEMS, cursor: null };
  let posts: ReaderPost[];
  let scope: FeedInput["scope"];
  if (!scopeRef) {
    posts = (await client.query(api.reader.latest, { siteSlug, paginationOpts })).page;
  } else if (scopeRef.kind === "tag") {
    const found = await client.query(api.reader.tagBySlug, { siteSlug, slug: scopeRef.slug });
    if (!found) throw notFound("Tag not found");
    if (found.kind === "redirect") throw redirect(readerPaths(resolved.base).feed(format, { kind: "tag", slug: found.slug }), 301);
    scope = { kind: "tag", slug: found.tag.slug, name: found.tag.name, description: found.tag.description };
    posts = (await client.query(api.reader.byTag, { siteSlug, tagSlug: found.tag.slug, paginationOpts })).page;
  } else {
    const found = await client.query(api.reader.categoryBySlug, { siteSlug, slug: scopeRef.slug });
    if (!found) throw notFound("Category not found");
    if (found.kind === "redirect") throw redirect(readerPaths(resolved.base).feed(format, { kind: "category", slug: found.slug }), 301);
    scope = { kind: "category", slug: found.category.slug, name: found.category.name, description: found.category.description };
    posts = (await client.query(api.reader.byCategory, { siteSlug, categorySlug: found.category.slug, paginationOpts })).page;
  }
  const bodies = await freeBodies(client, siteSlug, posts);
  const body = buildFeed({ resolved, format, scope, posts, bodies });
  return cachedBody(request, body, `${FEED_TYPES[format]}; charset=utf-8`);
}
