import { redirect } from "@remix-run/node";
import { Feed } from "feed";
import { api } from "../../convex/_generated/api";
import type { ReaderPost } from "../../convex/validators";
import { anonymousReaderClient, type ReaderClient } from "./client.server";
import { cachedBody, notFound } from "./http.server";
import { FEED_TYPES, readerPaths, type FeedFormat, type FeedScope } from "./paths";
import { renderDocCached } from "./render.server";
import { resolveSite, type ResolvedSite } from "./site.server";

// RSS 2.0, Atom 1.0 and JSON Feed 1.1 for a site, a tag or a category, built with `feed`.
// Feeds are public documents that anyone may cache or forward, so they are ALWAYS built with an
// anonymous client, whoever asks: a subscriber's feed reader gets the same feed as everyone.
// Free posts carry their full (sanitized) content; locked posts carry the excerpt and a link.
// Every URL is absolute, on the site's canonical base.

export const FEED_ITEMS = 20;

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Makes root-relative href/src in sanitized HTML absolute (feed readers have no page URL to resolve against). */
export function absolutizeHtml(html: string, origin: string): string {
  return html.replace(/\s(href|src)="\/(?!\/)/g, ` $1="${origin}/`);
}

interface FeedInput {
  resolved: ResolvedSite;
  format: FeedFormat;
  scope?: FeedScope & { name: string; description: string | null };
  posts: ReaderPost[];
  /** Rendered HTML of each free post's body, by post id. */
  bodies: Map<string, string>;
}

/** Builds the feed document (pure: no I/O). */
export function buildFeed({ resolved, format, scope, posts, bodies }: FeedInput): string {
  const { site, canonicalBase } = resolved;
  const abs = readerPaths(canonicalBase);
  const origin = new URL(canonicalBase).origin;
  const title = scope ? `${site.name}: ${scope.kind === "tag" ? "#" : ""}${scope.name}` : site.name;
  const link = scope ? (scope.kind === "tag" ? abs.tag(scope.slug) : abs.category(scope.slug)) : abs.home;
  const feedScope = scope ? { kind: scope.kind, slug: scope.slug } : undefined;
  const newest = posts.reduce((m, p) => Math.max(m, p.updatedAt, p.publishedAt), 0);
  const feed = new Feed({
    id: link,
    link,
    title,
    description: scope?.description ?? site.description ?? undefined,
    language: "en",
    // The newest post's time, so an unchanged feed is byte-identical (ETag) between requests.
    updated: new Date(newest || 0),
    generator: "Pressroom",
    image: site.logoUrl ?? undefined,
    favicon: `${origin}/favicon.ico`,
    copyright: `© ${site.name}`,
    feedLinks: { rss: abs.feed("rss", feedScope), atom: abs.feed("atom", feedScope), json: abs.feed("json", feedScope) },
  });
  for (const p of posts) {
    const url = abs.post(p.slug);
    const body = bodies.get(p._id);
    const content = body !== undefined
      ? absolutizeHtml(body, origin)
      : `<p>${escapeHtml(p.excerpt)}</p><p><a href="${escapeHtml(url)}">${p.locked ? `Subscribe to ${escapeHtml(site.name)} to read this post` : "Read the full post"}</a></p>`;
    feed.addItem({
      id: url,
      guid: url,
      link: url,
      title: p.title,
      description: p.excerpt,
      content,
      date: new Date(Math.max(p.updatedAt, p.publishedAt)),
      published: new Date(p.publishedAt),
      author: [{ name: p.authorName, ...(p.authorSlug ? { link: abs.author(p.authorSlug) } : {}) }],
      category: p.tags.map((t) => ({ name: t.name, domain: abs.tag(t.slug) })),
      ...(p.coverImageUrl ? { image: p.coverImageUrl } : {}),
    });
  }
  return format === "rss" ? feed.rss2() : format === "atom" ? feed.atom1() : feed.json1();
}

/** Loads the free posts' bodies (single-post reads: lists never carry bodies). */
async function freeBodies(client: ReaderClient, siteSlug: string, posts: ReaderPost[]): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  await Promise.all(
    posts
      .filter((p) => !p.locked)
      .map(async (p) => {
        const found = await client.query(api.reader.postBySlug, { siteSlug, slug: p.slug });
        if (found?.kind === "post" && !found.post.locked && found.post.doc) bodies.set(p._id, renderDocCached(found.post.doc));
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
