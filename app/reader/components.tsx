import { Link, isRouteErrorResponse } from "@remix-run/react";
import type { ReactNode } from "react";
import { formatDate, initials, isoDate, plural, readingTime } from "./format";
import type { ListPage, PostCard, SiteData } from "./types";
import { readerPaths, withCursor } from "./paths";

// The reader theme's building blocks. Landmarks come from the $site layout (banner, nav, main,
// contentinfo); each page has one h1, and list items use h2 so headings stay in order.

export function SiteHeader({ site }: { site: SiteData }) {
  const p = readerPaths(site.base);
  return (
    <header className="site-header">
      <div className="wrap site-header__inner">
        <Link to={p.home} className="site-brand" prefetch="none">
          {site.logoUrl ? <img src={site.logoUrl} alt="" className="site-brand__logo" width={40} height={40} /> : null}
          <span className="site-brand__name">{site.name}</span>
        </Link>
        <nav aria-label={`${site.name} sections`} className="site-nav">
          <ul>
            <li>
              <Link to={p.home} prefetch="none">Home</Link>
            </li>
            <li>
              <Link to={p.search()} prefetch="none">Search</Link>
            </li>
            <li>
              <Link to={p.subscribe} className="button button--small" prefetch="none">
                Subscribe
              </Link>
            </li>
          </ul>
        </nav>
      </div>
    </header>
  );
}

export function SiteFooter({ site }: { site: SiteData }) {
  const p = readerPaths(site.base);
  return (
    <footer className="site-footer">
      <div className="wrap">
        {site.description ? <p className="site-footer__about">{site.description}</p> : null}
        <ul className="site-footer__links" aria-label="Feeds">
          <li>
            <a href={p.feed("rss")}>RSS</a>
          </li>
          <li>
            <a href={p.feed("atom")}>Atom</a>
          </li>
          <li>
            <a href={p.feed("json")}>JSON Feed</a>
          </li>
          <li>
            <a href={p.sitemap}>Sitemap</a>
          </li>
        </ul>
        <p className="site-footer__platform">
          Published with <a href="/">Pressroom</a>
        </p>
      </div>
    </footer>
  );
}

export function Avatar({ name, image, size = 40 }: { name: string; image: string | null; size?: number }) {
  // Decorative: the name is always written next to it.
  return image ? (
    <img className="avatar" src={image} alt="" width={size} height={size} />
  ) : (
    <span className="avatar avatar--initials" aria-hidden="true" style={{ width: size, height: size }}>
      {initials(name)}
    </span>
  );
}

export function PremiumBadge() {
  return <span className="badge badge--premium">Subscribers</span>;
}

export function TagList({ site, tags, label = "Tags" }: { site: SiteData; tags: PostCard["tags"]; label?: string }) {
  if (!tags.length) return null;
  const p = readerPaths(site.base);
  return (
    <ul className="tag-list" aria-label={label}>
      {tags.map((t) => (
        <li key={t.slug}>
          <Link to={p.tag(t.slug)} prefetch="none">
            #{t.name}
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function Byline({ site, post, updatedAt }: { site: SiteData; post: PostCard; updatedAt?: number }) {
  const p = readerPaths(site.base);
  const edited = updatedAt !== undefined && updatedAt - post.publishedAt > 24 * 3600_000;
  return (
    <p className="byline">
      {post.authorSlug ? (
        <Link to={p.author(post.authorSlug)} prefetch="none" className="byline__author">
          {post.authorName}
        </Link>
      ) : (
        <span className="byline__author">{post.authorName}</span>
      )}
      <span aria-hidden="true"> · </span>
      <time dateTime={isoDate(post.publishedAt)}>{formatDate(post.publishedAt)}</time>
      {edited ? (
        <>
          <span aria-hidden="true"> · </span>
          <span>
            Updated <time dateTime={isoDate(updatedAt!)}>{formatDate(updatedAt!)}</time>
          </span>
        </>
      ) : null}
      <span aria-hidden="true"> · </span>
      <span>{readingTime(post.readingTimeMinutes)}</span>
      {post.category ? (
        <>
          <span aria-hidden="true"> · </span>
          <Link to={p.category(post.category.slug)} prefetch="none">
            {post.category.name}
          </Link>
        </>
      ) : null}
    </p>
  );
}

export function PostCardView({ site, post, headingLevel = 2 }: { site: SiteData; post: PostCard; headingLevel?: 2 | 3 }) {
  const p = readerPaths(site.base);
  const H = headingLevel === 2 ? "h2" : "h3";
  return (
    <article className={`card${post.featured ? " card--featured" : ""}`}>
      {post.featured ? <PremiumBadge /> : null}
      <H className="card__title">
        <Link to={p.post(post.slug)} prefetch="none">
          {post.title}
        </Link>
      </H>
      <Byline site={site} post={post} />
      {post.excerpt ? <p className="card__excerpt">{post.excerpt}</p> : null}
      <TagList site={site} tags={post.tags} label={`Tags of ${post.title}`} />
    </article>
  );
}

export function PostList({
  site,
  posts,
  empty = "No posts yet.",
  headingLevel = 2,
}: {
  site: SiteData;
  posts: PostCard[];
  empty?: string;
  headingLevel?: 2 | 3;
}) {
  if (!posts.length) return <p className="empty">{empty}</p>;
  return (
    <ol className="post-list">
      {posts.map((post) => (
        <li key={post.slug}>
          <PostCardView site={site} post={post} headingLevel={headingLevel} />
        </li>
      ))}
    </ol>
  );
}

/** Pagination by cursor: "Older posts" is a real link (?cursor=…), "Newest posts" returns to page one. */
export function Pager({ path, page, extra }: { path: string; page: ListPage; extra?: Record<string, string> }) {
  if (page.first && !page.nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pagination">
      {!page.first ? (
        <Link to={withCursor(path, null, extra)} prefetch="none" rel="first">
          ← Newest posts
        </Link>
      ) : (
        <span />
      )}
      {page.nextCursor ? (
        <Link to={withCursor(path, page.nextCursor, extra)} prefetch="none" rel="next">
          Older posts →
        </Link>
      ) : null}
    </nav>
  );
}

/** A post page's links to the published posts just older ("Previous") and newer ("Next"). */
export function AdjacentPosts({ site, previous, next }: { site: SiteData; previous: PostCard | null; next: PostCard | null }) {
  if (!previous && !next) return null;
  const p = readerPaths(site.base);
  return (
    <nav className="adjacent" aria-label="More posts">
      {previous ? (
        <Link to={p.post(previous.slug)} prefetch="none" rel="prev" className="adjacent__link adjacent__link--prev">
          <span className="adjacent__label">← Previous:</span> <span className="adjacent__title">{previous.title}</span>
        </Link>
      ) : null}
      {next ? (
        <Link to={p.post(next.slug)} prefetch="none" rel="next" className="adjacent__link adjacent__link--next">
          <span className="adjacent__label">Next:</span> <span className="adjacent__title">{next.title} →</span>
        </Link>
      ) : null}
    </nav>
  );
}

export function PageHeader({ kicker, title, children }: { kicker?: string; title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      {kicker ? <p className="page-header__kicker">{kicker}</p> : null}
      <h1>{title}</h1>
      {children}
    </header>
  );
}

/** The error page inside a site's chrome: 404s, damaged links, anything else. */
export function ReaderError({ site, error }: { site: SiteData | undefined; error: unknown }) {
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const home = site ? readerPaths(site.base).home : "/";
  const title = status === 404 ? "Page not found" : status === 400 ? "That link doesn't work" : "Something went wrong";
  const text =
    status === 404
      ? "There's nothing at this address. It may have been moved, unpublished, or never existed."
      : status === 400
        ? "This page link is out of date or damaged. Start again from the first page."
        : "We couldn't load this page. Please try again in a moment.";
  return (
    <div className="error-page" data-testid="reader-error" data-status={status}>
      <PageHeader kicker={status === 404 ? "404" : String(status)} title={title}>
        <p className="lede">{text}</p>
      </PageHeader>
      <ul className="error-page__links">
        <li>
          <Link to={home} prefetch="none">
            {site ? `Back to ${site.name}` : "Back to Pressroom"}
          </Link>
        </li>
        {site ? (
          <li>
            <Link to={readerPaths(site.base).search()} prefetch="none">
              Search {site.name}
            </Link>
          </li>
        ) : null}
      </ul>
    </div>
  );
}

export { plural };
