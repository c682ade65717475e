import { HomePosts, Pager, PostCardView } from "./components";
import type { ReactNode } from "react";
import { readerPaths } from "./paths";
import type { ListPage, PostCard, SiteData } from "./types";

// A publication's home page body, in its theme's home layout. Shared by the home route and the
// studio's theme preview (which renders it with an unsaved theme), so the preview is the real page.

export function HomeView({
  site,
  featured,
  latest,
  join,
}: {
  site: SiteData;
  featured: PostCard[];
  latest: ListPage;
  /** The join form (the route's JoinForm; the studio preview passes none). */
  join: ReactNode;
}) {
  const p = readerPaths(site.base);
  const layout = site.theme.homeLayout;
  const tiles = layout !== "list";
  const featuredSection = featured.length ? (
    <section aria-labelledby="featured-heading" className="featured">
      <h2 id="featured-heading" className="section-title">
        Featured for subscribers
      </h2>
      <ul className={tiles ? "post-grid featured__list" : "featured__list"}>
        {featured.map((post) => (
          <li key={post.slug}>
            <PostCardView site={site} post={post} headingLevel={3} shape={tiles ? "tile" : "row"} />
          </li>
        ))}
      </ul>
    </section>
  ) : null;
  const latestSection = (
    <section aria-labelledby="latest-heading" className="latest">
      <h2 id="latest-heading" className="section-title">
        {latest.first ? "Latest posts" : "Older posts"}
      </h2>
      <HomePosts site={site} posts={latest.posts} first={latest.first} />
      <Pager path={p.home} page={latest} />
    </section>
  );
  // The magazine leads with its hero (the newest post), then the subscriber picks.
  const magazine = layout === "magazine";
  // The site cover: a full banner in the magazine theme, a slimmer one in classic (reader.css).
  const banner = Boolean(site.coverUrl) && latest.first;
  return (
    <>
      <header className={`home-header${banner ? " home-header--cover" : ""}`}>
        {banner ? (
          <div className="home-header__cover">
            <img src={site.coverUrl!} alt="" />
          </div>
        ) : null}
        <div className="home-header__text">
          <h1 className="home-header__title">{site.name}</h1>
          {site.description ? <p className="lede home-header__lede">{site.description}</p> : null}
        </div>
      </header>
      {latest.first ? join : null}
      {magazine ? latestSection : featuredSection}
      {magazine ? featuredSection : latestSection}
    </>
  );
}
