import { createContext, useContext, type ReactElement } from "react";
import { formatDate, initials, isoDate, readingTime } from "./format";
import { readerPaths } from "./paths";
import type { PostCard, SiteData } from "./types";

// Post cards and the lists they make, in each theme's shapes: a "row" (the classic list: text, an
// optional thumbnail), a "tile" (grids: cover on top) and a "hero" (the magazine's lead story).
// Plain <a> links: reader pages run no JavaScript, and the studio preview renders these without a
// router. A card without a cover shows a decorative panel (aria-hidden) in tile/hero shapes, never
// an empty or broken image box.

export type CardShape = "row" | "tile" | "hero";

export function PremiumBadge() {
  return <span className="badge badge--premium">Subscribers</span>;
}

/** A post's cover: alt text when the author wrote one, else decorative (alt=""). */
export function CoverImage({
  post,
  className,
  sizes,
  eager = false,
}: {
  post: Pick<PostCard, "coverImageUrl" | "coverImageAlt">;
  className: string;
  sizes?: string;
  /** The page's main image (post header, hero): loaded at once, it is the largest paint. */
  eager?: boolean;
}) {
  if (!post.coverImageUrl) return null;
  return <img className={className} src={post.coverImageUrl} alt={post.coverImageAlt ?? ""} loading={eager ? "eager" : "lazy"} decoding="async" sizes={sizes} />;
}

/** The category above a title (a link to its page). */
export function Kicker({ site, post }: { site: SiteData; post: PostCard }) {
  if (!post.category && !post.featured) return null;
  return (
    <p className="kicker">
      {post.category ? (
        <a href={readerPaths(site.base).category(post.category.slug)} className="kicker__category">
          {post.category.name}
        </a>
      ) : null}
      {post.featured ? <PremiumBadge /> : null}
    </p>
  );
}

/** Author, date, reading time (and "Updated" on the post page when edited a day or more later). */
export function Byline({ site, post, updatedAt }: { site: SiteData; post: PostCard; updatedAt?: number }) {
  const p = readerPaths(site.base);
  const edited = updatedAt !== undefined && updatedAt - post.publishedAt > 24 * 3600_000;
  return (
    <p className="byline">
      {post.authorSlug ? (
        <a href={p.author(post.authorSlug)} className="byline__author">
          {post.authorName}
        </a>
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
    </p>
  );
}

export function TagList({ site, tags, label = "Tags" }: { site: SiteData; tags: PostCard["tags"]; label?: string }) {
  if (!tags.length) return null;
  const p = readerPaths(site.base);
  return (
    <ul className="tag-list" aria-label={label}>
      {tags.map((t) => (
        <li key={t.slug}>
          <a href={p.tag(t.slug)}>#{t.name}</a>
        </li>
      ))}
    </ul>
  );
}

interface CardProps {
  site: SiteData;
  post: PostCard;
  headingLevel?: 2 | 3;
  shape?: CardShape;
}

/**
 * On the server, a card's inner HTML rendered once per distinct input and reused (issue #18: what
 * is the same for every reader is rendered once; cards are 70% of a home page's elements). The
 * document renderer provides it (card-memo.server.tsx); without it (the studio preview in the
 * browser, tests) cards render as usual. A card depends only on its props, and the key is all of
 * them, so a hit is byte for byte what React would render now.
 */
export const CardMemo = createContext<((key: string, render: () => ReactElement) => string) | null>(null);

export function PostCardView({ site, post, headingLevel = 2, shape = "row" }: CardProps) {
  const memo = useContext(CardMemo);
  const className = `card card--${shape}${post.featured ? " card--featured" : ""}${post.coverImageUrl ? " card--has-cover" : ""}`;
  if (memo) {
    // Cards read of the site only its base (links) and name (the no-cover panel).
    const key = `${shape}|${headingLevel}|${site.base}|${site.name}|${JSON.stringify(post)}`;
    const html = memo(key, () => <CardInside site={site} post={post} headingLevel={headingLevel} shape={shape} />);
    return <article className={className} dangerouslySetInnerHTML={{ __html: html }} />;
  }
  return (
    <article className={className}>
      <CardInside site={site} post={post} headingLevel={headingLevel} shape={shape} />
    </article>
  );
}

function CardInside({ site, post, headingLevel, shape }: Required<CardProps>) {
  const href = readerPaths(site.base).post(post.slug);
  const H = headingLevel === 2 ? "h2" : "h3";
  const media =
    shape === "row" ? (
      post.coverImageUrl ? (
        <div className="card__media card__media--thumb">
          <CoverImage post={post} className="card__image" />
        </div>
      ) : null
    ) : post.coverImageUrl ? (
      <div className="card__media">
        <CoverImage post={post} className="card__image" eager={shape === "hero"} sizes={shape === "hero" ? "(min-width: 60rem) 60vw, 100vw" : "(min-width: 60rem) 33vw, 100vw"} />
      </div>
    ) : (
      // No cover: a quiet panel in the accent with the category's (or site's) name, purely decorative.
      <div className="card__media card__media--fallback" aria-hidden="true">
        <span>{post.category?.name ?? site.name}</span>
      </div>
    );
  return (
    <>
      {media}
      <div className="card__body">
        <Kicker site={site} post={post} />
        <H className="card__title">
          <a href={href}>{post.title}</a>
        </H>
        {post.excerpt ? <p className="card__excerpt">{post.excerpt}</p> : null}
        <Byline site={site} post={post} />
        {shape === "row" ? <TagList site={site} tags={post.tags} label={`Tags of ${post.title}`} /> : null}
      </div>
    </>
  );
}

/** Which card shape lists use in a theme: rows for the list layout, tiles for grid and magazine. */
export function listShape(site: SiteData): CardShape {
  return site.theme.homeLayout === "list" ? "row" : "tile";
}

export function PostList({
  site,
  posts,
  empty = "No posts yet.",
  headingLevel = 2,
  shape = listShape(site),
}: {
  site: SiteData;
  posts: PostCard[];
  empty?: string;
  headingLevel?: 2 | 3;
  shape?: CardShape;
}) {
  if (!posts.length) return <p className="empty">{empty}</p>;
  return (
    <ol className={shape === "row" ? "post-list" : "post-grid"}>
      {posts.map((post) => (
        <li key={post.slug}>
          <PostCardView site={site} post={post} headingLevel={headingLevel} shape={shape === "hero" ? "tile" : shape} />
        </li>
      ))}
    </ol>
  );
}

/**
 * The home page's "Latest posts" in the site's layout. Magazine: on the first page the newest post
 * is the hero (large, with its cover), the rest a grid; later pages are grids.
 */
export function HomePosts({ site, posts, first, headingLevel = 3 }: { site: SiteData; posts: PostCard[]; first: boolean; headingLevel?: 2 | 3 }) {
  const layout = site.theme.homeLayout;
  if (layout === "magazine" && first && posts.length) {
    const [hero, ...rest] = posts;
    return (
      <>
        <div className="reader-hero">
          <PostCardView site={site} post={hero} headingLevel={headingLevel} shape="hero" />
        </div>
        {rest.length ? <PostList site={site} posts={rest} headingLevel={headingLevel} shape="tile" /> : null}
      </>
    );
  }
  return <PostList site={site} posts={posts} empty="Nothing published yet." headingLevel={headingLevel} shape={layout === "list" ? "row" : "tile"} />;
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

/** The dek (subtitle) under a post's title: only an excerpt the author wrote; an automatic one repeats the first paragraph. */
export function postDek(post: { excerpt: string; excerptKind: "author" | "auto" | "teaser" | null }): string | null {
  return post.excerptKind === "author" && post.excerpt.trim() ? post.excerpt : null;
}

/** A post page's header (kicker, title, dek, byline) and its cover as a <figure> with the caption. */
export function PostHead({
  site,
  post,
  dek,
  caption,
  updatedAt,
}: {
  site: SiteData;
  post: PostCard;
  dek: string | null;
  caption: string | null;
  updatedAt?: number;
}) {
  return (
    <>
      <header className="post__header">
        <Kicker site={site} post={post} />
        <h1 id="post-title">{post.title}</h1>
        {dek ? <p className="lede post__dek">{dek}</p> : null}
        <div className="post__byline">
          <Avatar name={post.authorName} image={post.authorImage} size={44} />
          <Byline site={site} post={post} updatedAt={updatedAt} />
        </div>
      </header>
      {post.coverImageUrl ? (
        <figure className="post__cover">
          <CoverImage post={post} className="post__cover-image" eager />
          {caption ? <figcaption>{caption}</figcaption> : null}
        </figure>
      ) : null}
    </>
  );
}
