import { api } from "../../convex/_generated/api";
import type { ReaderPost } from "../../convex/validators";
import { anonymousReaderClient, type ReaderClient } from "./client.server";
import { badRequest, cachedBody, notFound } from "./http.server";
import { readerPaths } from "./paths";
import { resolveSite, type ResolvedSite } from "./site.server";

// /{site}/sitemap.xml: one <urlset> (home, posts, and the tag, category and author pages those
// posts link to) while the site has at most URLS_PER_SITEMAP posts; past that a <sitemapindex> of
// /{site}/sitemap-posts.xml?cursor=… files of URLS_PER_SITEMAP posts each. Posts come from the
// public reader list (published posts only, anonymous client), so drafts and paid bodies cannot
// appear; a sitemap only ever lists URLs.

export const URLS_PER_SITEMAP = 1000;
/** Reader lists return at most 50 posts per call. */
const WALK_PAGE = 50;

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
const day = (ms: number) => new Date(ms).toISOString();

interface Chunk {
  posts: ReaderPost[];
  /** Cursor after the chunk, or null when the list ended inside it. */
  next: string | null;
}

/** Reads up to `max` posts from `cursor` on. */
async function readChunk(client: ReaderClient, siteSlug: string, cursor: string | null, max: number): Promise<Chunk> {
  const posts: ReaderPost[] = [];
  let at = cursor;
  while (posts.length < max) {
    const page = await client.query(api.reader.latest, {
      siteSlug,
      paginationOpts: { numItems: Math.min(WALK_PAGE, max - posts.length), cursor: at },
    });
    posts.push(...page.page);
    if (page.isDone) return { posts, next: null };
    at = page.continueCursor;
  }
  return { posts, next: at };
}

/** A <urlset> for posts (with the home page on the first file) and the pages they link to. */
export function urlset(resolved: ResolvedSite, posts: ReaderPost[], withHome: boolean): string {
  const abs = readerPaths(resolved.canonicalBase);
  const entries: Array<[string, number | null]> = [];
  if (withHome) entries.push([abs.home, posts[0] ? Math.max(posts[0].publishedAt, posts[0].updatedAt) : null]);
  const extra = new Map<string, number>();
  const touch = (url: string, t: number) => extra.set(url, Math.max(extra.get(url) ?? 0, t));
  for (const p of posts) {
    const t = Math.max(p.updatedAt, p.publishedAt);
    entries.push([abs.post(p.slug), t]);
    for (const tag of p.tags) touch(abs.tag(tag.slug), p.publishedAt);
    if (p.category) touch(abs.category(p.category.slug), p.publishedAt);
    if (p.authorSlug) touch(abs.author(p.authorSlug), p.publishedAt);
  }
  entries.push(...extra);
  const body = entries
    .map(([loc, t]) => `<url><loc>${xml(loc)}</loc>${t ? `<lastmod>${day(t)}</lastmod>` : ""}</url>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${body}\n</urlset>\n`;
}

export function sitemapIndex(resolved: ResolvedSite, files: Array<{ cursor: string | null; lastmod: number | null }>): string {
  const abs = readerPaths(resolved.canonicalBase);
  const body = files
    .map((f) => `<sitemap><loc>${xml(abs.sitemapPosts(f.cursor))}</loc>${f.lastmod ? `<lastmod>${day(f.lastmod)}</lastmod>` : ""}</sitemap>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${body}\n</sitemapindex>\n`;
}

const CONTENT_TYPE = "application/xml; charset=utf-8";

async function siteFor(request: Request, params: { site?: string }) {
  // Uncached: a sitemap walks every page of the list once, which is no reason to subscribe to them.
  const client = anonymousReaderClient({ cache: false });
  const resolved = await resolveSite(request, params, (by) => client.query(api.sites.getPublic, by));
  if (!resolved) throw notFound("Publication not found");
  return { client, resolved };
}

/** /{site}/sitemap.xml */
export async function sitemapResponse(request: Request, params: { site?: string }): Promise<Response> {
  const { client, resolved } = await siteFor(request, params);
  const slug = resolved.site.slug;
  const first = await readChunk(client, slug, null, URLS_PER_SITEMAP);
  if (!first.next) return cachedBody(request, urlset(resolved, first.posts, true), CONTENT_TYPE);
  const newest = (posts: ReaderPost[]) => posts.reduce((m, p) => Math.max(m, p.updatedAt, p.publishedAt), 0) || null;
  const files: Array<{ cursor: string | null; lastmod: number | null }> = [{ cursor: null, lastmod: newest(first.posts) }];
  let next: string | null = first.next;
  while (next) {
    const chunk = await readChunk(client, slug, next, URLS_PER_SITEMAP);
    if (chunk.posts.length) files.push({ cursor: next, lastmod: newest(chunk.posts) });
    next = chunk.next;
  }
  return cachedBody(request, sitemapIndex(resolved, files), CONTENT_TYPE);
}

/** /{site}/sitemap-posts.xml?cursor=… (one file of a sitemap index). */
export async function sitemapPostsResponse(request: Request, params: { site?: string }): Promise<Response> {
  const { client, resolved } = await siteFor(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor");
  let chunk: Chunk;
  try {
    chunk = await readChunk(client, resolved.site.slug, cursor, URLS_PER_SITEMAP);
  } catch (e) {
    if (cursor) throw badRequest("Unknown sitemap page.");
    throw e;
  }
  return cachedBody(request, urlset(resolved, chunk.posts, cursor === null), CONTENT_TYPE);
}
