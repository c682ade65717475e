// Reader URLs, from a site's base: "/{slug}" on the platform host, "" on the site's own host, or
// an absolute canonical base (site.server.ts). Isomorphic: components and meta use it too.

const seg = (s: string) => encodeURIComponent(s);

export function readerPaths(base: string) {
  return {
    home: `${base}/`,
    post: (slug: string) => `${base}/${seg(slug)}`,
    tag: (slug: string) => `${base}/tag/${seg(slug)}`,
    category: (slug: string) => `${base}/category/${seg(slug)}`,
    author: (slug: string) => `${base}/author/${seg(slug)}`,
    search: (q?: string) => `${base}/search${q ? `?q=${encodeURIComponent(q)}` : ""}`,
    subscribe: `${base}/subscribe`,
    // Members (issue #15): the join form's target, the code step, and the signed email links' pages.
    emailJoin: `${base}/email/join`,
    emailConfirm: (email?: string) => `${base}/email/confirm${email ? `?email=${encodeURIComponent(email)}` : ""}`,
    emailUnsubscribe: `${base}/email/unsubscribe`,
    emailPreferences: `${base}/email/preferences`,
    sitemap: `${base}/sitemap.xml`,
    sitemapPosts: (cursor?: string | null) => `${base}/sitemap-posts.xml${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`,
    feed: (format: FeedFormat, scope?: FeedScope) => `${base}${scope ? `/${scope.kind}/${seg(scope.slug)}` : ""}/${FEED_FILES[format]}`,
  };
}

export type FeedFormat = "rss" | "atom" | "json";
export type FeedScope = { kind: "tag" | "category"; slug: string };

export const FEED_FILES: Record<FeedFormat, string> = { rss: "rss.xml", atom: "atom.xml", json: "feed.json" };
export const FEED_TYPES: Record<FeedFormat, string> = {
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  json: "application/feed+json",
};

/** A page link with a pagination cursor (the first page has none). */
export function withCursor(path: string, cursor: string | null, extra?: Record<string, string>): string {
  const params = new URLSearchParams(extra);
  if (cursor) params.set("cursor", cursor);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
