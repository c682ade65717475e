import type { MetaDescriptor } from "@remix-run/node";
import { FEED_TYPES, readerPaths, type FeedFormat, type FeedScope } from "./paths";
import { ogCardPath, ogCardVersion } from "./og-card";

// Meta tags for reader pages: title, description, canonical link, Open Graph and Twitter cards,
// feed discovery links and JSON-LD. Everything here comes from public card fields (title, excerpt,
// SEO fields, names, dates); no builder takes a post body, so a paid body cannot reach a meta tag.

/** The site fields every reader page has (from the $site layout loader). */
export interface SiteMeta {
  name: string;
  description: string | null;
  logoUrl: string | null;
  canonicalBase: string;
}

export interface PageMeta {
  title: string;
  description?: string | null;
  /** Absolute canonical URL. */
  canonical: string;
  type?: "website" | "article" | "profile";
  image?: string | null;
  noindex?: boolean;
  feeds?: { scope?: FeedScope; title: string };
  extra?: MetaDescriptor[];
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

export function pageMeta(site: SiteMeta, page: PageMeta): MetaDescriptor[] {
  const description = clip(page.description || site.description || site.name);
  const image = page.image ?? site.logoUrl;
  const out: MetaDescriptor[] = [
    { title: page.title },
    { name: "description", content: description },
    { tagName: "link", rel: "canonical", href: page.canonical },
    { property: "og:site_name", content: site.name },
    { property: "og:type", content: page.type ?? "website" },
    { property: "og:title", content: page.title },
    { property: "og:description", content: description },
    { property: "og:url", content: page.canonical },
    { name: "twitter:card", content: page.image ? "summary_large_image" : "summary" },
    { name: "twitter:title", content: page.title },
    { name: "twitter:description", content: description },
  ];
  if (image) out.push({ property: "og:image", content: image }, { name: "twitter:image", content: image });
  if (page.noindex) out.push({ name: "robots", content: "noindex, follow" });
  if (page.feeds) {
    const abs = readerPaths(site.canonicalBase);
    for (const format of ["rss", "atom", "json"] as FeedFormat[]) {
      out.push({ tagName: "link", rel: "alternate", type: FEED_TYPES[format], title: page.feeds.title, href: abs.feed(format, page.feeds.scope) });
    }
  }
  return [...out, ...(page.extra ?? [])];
}

/**
 * A post's share image: its cover, or else its generated card (og-card.ts), versioned so a changed
 * title, site name or accent is a new URL. Absolute, on the site's canonical base.
 */
export function postImage(
  site: Pick<SiteMeta, "name" | "canonicalBase" | "logoUrl"> & { accent: { light: string } },
  post: { slug: string; title: string; updatedAt: number; coverImageUrl: string | null },
): string {
  if (post.coverImageUrl) return post.coverImageUrl;
  const version = ogCardVersion({ title: post.title, siteName: site.name, accent: site.accent.light, logoUrl: site.logoUrl }, post.updatedAt);
  return ogCardPath(site.canonicalBase, post.slug, version);
}

export interface PostForJsonLd {
  title: string;
  excerpt: string;
  seoDescription: string | null;
  publishedAt: number;
  updatedAt: number;
  authorName: string;
  authorSlug: string | null;
  coverImageUrl: string | null;
  featured: boolean;
  tags: Array<{ name: string }>;
  category: { name: string } | null;
}

/** The class of the element holding a featured post's paid part (and, when locked, the paywall). */
export const PAYWALLED_CLASS = "paywalled-content";

/**
 * schema.org BlogPosting. A featured (paid) post says `isAccessibleForFree: false` and marks its
 * paid part with `hasPart` + cssSelector, per Google's paywalled-content guidelines, so showing
 * crawlers the paywall is not mistaken for cloaking. No `articleBody`: the JSON-LD never carries text.
 */
export function blogPostingJsonLd(post: PostForJsonLd, site: SiteMeta, url: string): Record<string, unknown> {
  const abs = readerPaths(site.canonicalBase);
  const ld: Record<string, unknown> = {
    "@context": "https://schema.org",
    "@type": "BlogPosting",
    headline: clip(post.title, 110),
    description: post.seoDescription || post.excerpt,
    datePublished: new Date(post.publishedAt).toISOString(),
    dateModified: new Date(Math.max(post.updatedAt, post.publishedAt)).toISOString(),
    mainEntityOfPage: { "@type": "WebPage", "@id": url },
    url,
    author: {
      "@type": "Person",
      name: post.authorName,
      ...(post.authorSlug ? { url: abs.author(post.authorSlug) } : {}),
    },
    publisher: {
      "@type": "Organization",
      name: site.name,
      url: abs.home,
      ...(site.logoUrl ? { logo: { "@type": "ImageObject", url: site.logoUrl } } : {}),
    },
    isAccessibleForFree: !post.featured,
  };
  if (post.coverImageUrl) ld.image = [post.coverImageUrl];
  if (post.tags.length) ld.keywords = post.tags.map((t) => t.name).join(", ");
  if (post.category) ld.articleSection = post.category.name;
  if (post.featured) {
    ld.hasPart = { "@type": "WebPageElement", isAccessibleForFree: false, cssSelector: `.${PAYWALLED_CLASS}` };
  }
  return ld;
}

/** Open Graph article tags of a post page. */
export function articleMeta(post: PostForJsonLd, site: SiteMeta): MetaDescriptor[] {
  const abs = readerPaths(site.canonicalBase);
  return [
    { property: "article:published_time", content: new Date(post.publishedAt).toISOString() },
    { property: "article:modified_time", content: new Date(Math.max(post.updatedAt, post.publishedAt)).toISOString() },
    ...(post.authorSlug ? [{ property: "article:author", content: abs.author(post.authorSlug) }] : []),
    ...(post.category ? [{ property: "article:section", content: post.category.name }] : []),
    ...post.tags.map((t) => ({ property: "article:tag", content: t.name })),
  ];
}
