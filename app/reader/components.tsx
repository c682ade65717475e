import { isRouteErrorResponse } from "@remix-run/react";
import type { CSSProperties, ReactNode } from "react";
import { navLinkHref } from "../../convex/shared/theme";
import { fontStylesheets, fontVars } from "./fonts";
import { initials, plural } from "./format";
import { readerPaths, withCursor } from "./paths";
import type { ListPage, PostCard, ReaderViewer, SiteData } from "./types";

export { Avatar, Byline, CoverImage, HomePosts, Kicker, PostCardView, PostHead, PostList, PremiumBadge, TagList, listShape, postDek } from "./cards";

// The reader theme's building blocks. Landmarks come from ReaderShell (banner, nav, main,
// contentinfo); each page has one h1, and list items use h2/h3 so headings stay in order.
// Links are plain <a>: reader pages run no JavaScript (route handle scripts: false), and the
// studio's theme preview renders these outside the router.

/** The <link>s of the site's font pair (none for "system"): React renders them where they stand, which HTML allows for stylesheets. */
export function FontLinks({ site }: { site: SiteData }) {
  return (
    <>
      {fontStylesheets(site.theme.fontPair).map((href) => (
        <link key={href} rel="stylesheet" href={href} />
      ))}
    </>
  );
}

/** The theme root: data attributes select the theme's CSS; custom properties carry the fonts and accent. */
export function ReaderShell({ site, viewer, children }: { site: SiteData; viewer: ReaderViewer | null; children: ReactNode }) {
  const style = {
    "--accent-light": site.accent.light,
    "--accent-dark": site.accent.dark,
    ...fontVars(site.theme.fontPair),
  } as CSSProperties;
  return (
    <div
      className="reader"
      data-theme={site.theme.theme}
      data-home-layout={site.theme.homeLayout}
      data-color-scheme={site.theme.colorScheme}
      data-font-pair={site.theme.fontPair}
      style={style}
    >
      <FontLinks site={site} />
      <SiteHeader site={site} viewer={viewer} />
      <main id="main" className="wrap main" tabIndex={-1}>
        {children}
      </main>
      <SiteFooter site={site} />
    </div>
  );
}

/** Sign in / account, and Subscribe, Upgrade or the paid badge, by who is reading. */
function ViewerActions({ site, viewer }: { site: SiteData; viewer: ReaderViewer | null }) {
  const p = readerPaths(site.base);
  if (!viewer) {
    return (
      <>
        <li>
          <a href={`/login?redirectTo=${encodeURIComponent(p.home)}`} className="site-nav__account">
            Sign in
          </a>
        </li>
        <li>
          <a href={p.subscribe} className="button button--small">
            Subscribe
          </a>
        </li>
      </>
    );
  }
  const paid = viewer.membership === "paid" || viewer.membership === "comped";
  return (
    <>
      <li>
        <a href="/account" className="site-nav__account" title={`Signed in as ${viewer.name}`}>
          <span aria-hidden="true" className="site-nav__initials">
            {initials(viewer.name)}
          </span>
          <span className="site-nav__account-label">Account</span>
        </a>
      </li>
      <li>
        {paid ? (
          <span className="badge badge--member">Paid member</span>
        ) : (
          <a href={p.subscribe} className="button button--small">
            {viewer.membership === "free" ? "Upgrade" : "Subscribe"}
          </a>
        )}
      </li>
    </>
  );
}

export function SiteHeader({ site, viewer = null }: { site: SiteData; viewer?: ReaderViewer | null }) {
  const p = readerPaths(site.base);
  return (
    <header className="site-header">
      <div className="wrap site-header__inner">
        <a href={p.home} className="site-brand">
          {site.logoUrl ? <img src={site.logoUrl} alt="" className="site-brand__logo" width={40} height={40} /> : null}
          <span className="site-brand__name">{site.name}</span>
        </a>
        <nav aria-label={`${site.name} sections`} className="site-nav">
          <ul className="site-nav__links">
            <li>
              <a href={p.home}>Home</a>
            </li>
            {site.theme.navLinks.map((link, i) => {
              const external = !link.url.startsWith("/");
              return (
                <li key={`${i}-${link.url}`}>
                  <a href={navLinkHref(link, site.base)} rel={external ? "noopener" : undefined}>
                    {link.label}
                  </a>
                </li>
              );
            })}
            <li>
              <a href={p.search()}>Search</a>
            </li>
          </ul>
          <ul className="site-nav__viewer">
            <ViewerActions site={site} viewer={viewer} />
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

/** Pagination by cursor: "Older posts" is a real link (?cursor=…), "Newest posts" returns to page one. */
export function Pager({ path, page, extra }: { path: string; page: ListPage; extra?: Record<string, string> }) {
  if (page.first && !page.nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pagination">
      {!page.first ? (
        <a href={withCursor(path, null, extra)} rel="first">
          ← Newest posts
        </a>
      ) : (
        <span />
      )}
      {page.nextCursor ? (
        <a href={withCursor(path, page.nextCursor, extra)} rel="next">
          Older posts →
        </a>
      ) : null}
    </nav>
  );
}

/** A link to a neighbouring post: its title at its address (reader:postPage's `adjacent`). */
export interface AdjacentLink {
  slug: string;
  title: string;
}

/** A post page's links to the published posts just older ("Previous") and newer ("Next"). */
export function AdjacentPosts({ site, previous, next }: { site: SiteData; previous: AdjacentLink | null; next: AdjacentLink | null }) {
  if (!previous && !next) return null;
  const p = readerPaths(site.base);
  return (
    <nav className="adjacent" aria-label="More posts">
      {previous ? (
        <a href={p.post(previous.slug)} rel="prev" className="adjacent__link adjacent__link--prev">
          <span className="adjacent__label">← Previous:</span> <span className="adjacent__title">{previous.title}</span>
        </a>
      ) : null}
      {next ? (
        <a href={p.post(next.slug)} rel="next" className="adjacent__link adjacent__link--next">
          <span className="adjacent__label">Next:</span> <span className="adjacent__title">{next.title} →</span>
        </a>
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
          <a href={home}>
            {site ? `Back to ${site.name}` : "Back to Pressroom"}
          </a>
        </li>
        {site ? (
          <li>
            <a href={readerPaths(site.base).search()}>
              Search {site.name}
            </a>
          </li>
        ) : null}
      </ul>
    </div>
  );
}

export { plural };
