// SSR render tests of the reader themes (issue #16): the theme root's attributes, font links for the
// chosen pair only, navigation hrefs, the header per viewer, cards in each layout, the post cover.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test, vi } from "vitest";
import { FONT_PAIR_IDS, FONT_PAIRS, resolveTheme, type ThemeSettings } from "../../convex/shared/theme";
import { PostCardView, PostHead, ReaderShell, postDek } from "./components";
import { fontStylesheets } from "./fonts";
import { HomeView } from "./home-view";
import { accentPair } from "./theme";
import { testCard, testSite } from "./test-fixtures";
import type { PostCard, ReaderViewer, SiteData } from "./types";

// Vitest does not process CSS, so a `?url` import is empty here; these stand in for the URLs Vite
// gives each stylesheet in a build (tests/e2e checks the built files).
vi.mock("@fontsource-variable/inter/index.css?url", () => ({ default: "/assets/inter--index.css" }));
vi.mock("@fontsource-variable/fraunces/index.css?url", () => ({ default: "/assets/fraunces--index.css" }));
vi.mock("@fontsource-variable/source-serif-4/index.css?url", () => ({ default: "/assets/source-serif-4--index.css" }));
vi.mock("@fontsource-variable/source-serif-4/wght-italic.css?url", () => ({ default: "/assets/source-serif-4--wght-italic.css" }));
vi.mock("@fontsource-variable/playfair-display/index.css?url", () => ({ default: "/assets/playfair-display--index.css" }));
vi.mock("@fontsource-variable/lora/index.css?url", () => ({ default: "/assets/lora--index.css" }));
vi.mock("@fontsource-variable/lora/wght-italic.css?url", () => ({ default: "/assets/lora--wght-italic.css" }));
vi.mock("@fontsource-variable/space-grotesk/index.css?url", () => ({ default: "/assets/space-grotesk--index.css" }));
vi.mock("@fontsource-variable/source-sans-3/index.css?url", () => ({ default: "/assets/source-sans-3--index.css" }));
vi.mock("@fontsource-variable/source-sans-3/wght-italic.css?url", () => ({ default: "/assets/source-sans-3--wght-italic.css" }));
vi.mock("@fontsource-variable/inter/wght-italic.css?url", () => ({ default: "/assets/inter--wght-italic.css" }));

const site = testSite;
const card = testCard;

const shell = (s: SiteData, viewer: ReaderViewer | null = null, child: unknown = null) =>
  renderToStaticMarkup(h(ReaderShell, { site: s, viewer, children: child as never }));

describe("theme root", () => {
  test.each([
    [{ theme: "classic" } as ThemeSettings, 'data-theme="classic"', 'data-home-layout="list"', 'data-color-scheme="auto"'],
    [{ theme: "magazine", colorScheme: "dark" } as ThemeSettings, 'data-theme="magazine"', 'data-home-layout="magazine"', 'data-color-scheme="dark"'],
    [{ theme: "classic", homeLayout: "grid", colorScheme: "light" } as ThemeSettings, 'data-theme="classic"', 'data-home-layout="grid"', 'data-color-scheme="light"'],
  ])("%j renders its attributes", (theme, a, b, c) => {
    const html = shell(site(theme));
    expect(html).toContain(a);
    expect(html).toContain(b);
    expect(html).toContain(c);
    expect(html).toContain("--accent-light:#0b5cad");
  });

  test.each(FONT_PAIR_IDS)("font pair %s: links only its own stylesheets and sets the font variables", (pair) => {
    const html = shell(site({ fontPair: pair }));
    const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]);
    expect(links).toEqual(fontStylesheets(pair));
    if (pair === "system") expect(links).toEqual([]);
    else expect(links.length).toBeGreaterThanOrEqual(FONT_PAIRS[pair].packages.length);
    // Each package's own stylesheet, and no other pair's.
    for (const other of FONT_PAIR_IDS) {
      for (const pkg of FONT_PAIRS[other].packages) {
        const slug = pkg.split("/")[1];
        const linked = links.some((l) => l.includes(slug));
        expect(linked).toBe((FONT_PAIRS[pair].packages as readonly string[]).includes(pkg));
      }
    }
    expect(html).toContain(`--font-body:${FONT_PAIRS[pair].body.replace(/'/g, "&#x27;")}`);
  });
});

test("self-hosted: every font stylesheet a pair links points at the package's own files (Vite copies them to /assets)", () => {
  const require = createRequire(import.meta.url);
  for (const pair of FONT_PAIR_IDS) {
    for (const pkg of FONT_PAIRS[pair].packages) {
      const css = readFileSync(require.resolve(`${pkg}/index.css`), "utf8");
      const urls = [...css.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]);
      expect(urls.length).toBeGreaterThan(0);
      for (const u of urls) expect(u).toMatch(/^\.\/files\/[\w.-]+\.woff2$/);
      expect(css).toContain("font-display: swap");
    }
  }
});

describe("header", () => {
  test("navigation links: site paths get the base, external links get rel=noopener", () => {
    const html = shell(site({ navLinks: [{ label: "About", url: "/about" }, { label: "Shop", url: "https://shop.example.com/x" }] }));
    expect(html).toContain('<a href="/the-ledger/about">About</a>');
    expect(html).toContain('<a href="https://shop.example.com/x" rel="noopener">Shop</a>');
    // On the site's own host the base is "".
    expect(shell(site({ navLinks: [{ label: "About", url: "/about" }] }, { base: "" }))).toContain('<a href="/about">About</a>');
  });

  test("XSS: navigation labels and cover captions are escaped", () => {
    const evil = '<img src=x onerror="alert(1)">';
    const html = shell(site({ navLinks: [{ label: evil, url: "/x" }] }));
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    // A javascript: link never reaches the page (resolveTheme drops links navLinkProblem refuses).
    expect(shell(site({ navLinks: [{ label: "x", url: "javascript:alert(1)" }] }))).not.toContain("javascript:");
    const cardHtml = renderToStaticMarkup(h(PostCardView, { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg", coverImageAlt: evil }), shape: "tile" }));
    expect(cardHtml).not.toContain("<img src=x");
    expect(cardHtml).toContain('alt="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"');
  });

  test.each([
    [null, ["Sign in", "Subscribe"], ["Paid member", "Account", "Upgrade"]],
    [{ name: "Ann", membership: null }, ["Account", "Subscribe"], ["Sign in", "Paid member", "Upgrade"]],
    [{ name: "Ann", membership: "free" }, ["Account", "Upgrade"], ["Sign in", "Paid member", ">Subscribe<"]],
    [{ name: "Ann", membership: "paid" }, ["Account", "Paid member"], ["Sign in", ">Subscribe<", "Upgrade"]],
    [{ name: "Ann", membership: "comped" }, ["Account", "Paid member"], ["Sign in", ">Subscribe<", "Upgrade"]],
  ] as Array<[ReaderViewer | null, string[], string[]]>)("viewer %j", (viewer, present, absent) => {
    const header = shell(site(), viewer).split("</header>")[0];
    for (const t of present) expect(header).toContain(t);
    for (const t of absent) expect(header).not.toContain(t);
    if (!viewer) expect(header).toContain('href="/login?redirectTo=%2Fthe-ledger%2F"');
  });
});

describe("cards and home layouts", () => {
  const posts = [card({ slug: "a", coverImageUrl: "https://cdn.test/a.jpg", coverImageAlt: "A bus at dusk" }), card({ slug: "b" }), card({ slug: "c", featured: true })];
  const home = (theme: ThemeSettings) =>
    renderToStaticMarkup(h(HomeView, { site: site(theme), featured: [], latest: { posts, nextCursor: null, first: true }, join: null }));

  test("list: rows with kicker, title, excerpt, byline and the premium badge; a cover only when there is one", () => {
    const html = home({ homeLayout: "list" });
    expect(html.match(/class="card card--row/g)?.length).toBe(3);
    expect(html).toContain('alt="A bus at dusk"');
    expect(html).not.toContain("card__media--fallback");
    expect(html).toContain('href="/the-ledger/category/guides"');
    expect(html).toContain("6 min read");
    expect(html).toContain("badge--premium");
  });

  test("grid: tiles; a card without a cover gets a decorative aria-hidden panel, not an empty image", () => {
    const html = home({ homeLayout: "grid" });
    expect(html.match(/class="card card--tile/g)?.length).toBe(3);
    expect(html.match(/card__media card__media--fallback" aria-hidden="true"/g)?.length).toBe(2);
    expect(html).not.toMatch(/<img[^>]*src=""/);
  });

  test("magazine: the newest post is the hero, the rest a grid; the site cover is a banner", () => {
    const html = renderToStaticMarkup(
      h(HomeView, { site: site({ theme: "magazine" }, { coverUrl: "https://cdn.test/site.jpg" }), featured: [], latest: { posts, nextCursor: null, first: true }, join: null }),
    );
    expect(html.match(/card--hero/g)?.length).toBe(1);
    expect(html.indexOf("card--hero")).toBeLessThan(html.indexOf("card--tile"));
    expect(html).toContain('<div class="home-header__cover"><img src="https://cdn.test/site.jpg" alt=""/>');
    // A cover-less hero still has its decorative panel.
    const bare = renderToStaticMarkup(h(HomeView, { site: site({ theme: "magazine" }), featured: [], latest: { posts: [card()], nextCursor: null, first: true }, join: null }));
    expect(bare).toContain("card--hero");
    expect(bare).toContain('card__media--fallback" aria-hidden="true"');
    expect(bare).not.toContain("home-header__cover");
  });
});

describe("post page header", () => {
  test("cover: a <figure> with the author's alt text and caption; no figure without a cover", () => {
    const html = renderToStaticMarkup(
      h(PostHead, { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg", coverImageAlt: "Council chamber" }), dek: null, caption: "The vote, 2026." }),
    );
    expect(html).toMatch(/<figure class="post__cover"><img class="post__cover-image" src="https:\/\/cdn.test\/c.jpg" alt="Council chamber" loading="eager"[^>]*\/><figcaption>The vote, 2026.<\/figcaption><\/figure>/);
    // No alt text written: decorative (alt=""), and no empty caption.
    const bare = renderToStaticMarkup(h(PostHead, { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg" }), dek: null, caption: null }));
    expect(bare).toContain('alt=""');
    expect(bare).not.toContain("figcaption");
    expect(renderToStaticMarkup(h(PostHead, { site: site(), post: card(), dek: null, caption: null }))).not.toContain("<figure");
  });

  test("XSS: a cover caption is text, not markup", () => {
    const html = renderToStaticMarkup(h(PostHead, { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg" }), dek: null, caption: "<script>alert(1)</script>" }));
    expect(html).not.toContain("<script>");
    expect(html).toContain("<figcaption>&lt;script&gt;alert(1)&lt;/script&gt;</figcaption>");
  });

  test("dek: only an excerpt the author wrote", () => {
    expect(postDek({ excerpt: "Why the numbers matter.", excerptKind: "author" })).toBe("Why the numbers matter.");
    expect(postDek({ excerpt: "The first paragraph, again.", excerptKind: "auto" })).toBeNull();
    expect(postDek({ excerpt: "A paid teaser.", excerptKind: "teaser" })).toBeNull();
    expect(postDek({ excerpt: "Legacy row.", excerptKind: null })).toBeNull();
    expect(postDek({ excerpt: "  ", excerptKind: "author" })).toBeNull();
    const withDek = renderToStaticMarkup(h(PostHead, { site: site(), post: card(), dek: "Why the numbers matter.", caption: null }));
    expect(withDek).toContain('<p class="lede post__dek">Why the numbers matter.</p>');
    expect(renderToStaticMarkup(h(PostHead, { site: site(), post: card(), dek: null, caption: null }))).not.toContain("post__dek");
  });
});
