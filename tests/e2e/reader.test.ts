import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { makeFunctionReference } from "convex/server";
import { expect, test } from "./fixtures";

// The reader site in a real browser, on the production build: every page type, pagination,
// redirects, 404s, search, feeds and sitemaps, and an accessibility check (axe) of each page type
// in light and dark mode. Content comes from demo:seedDemo (the same demo `npm start` shows).

const SITE = "the-ledger";

test.beforeAll(async ({ admin }) => {
  await admin.mutation(makeFunctionReference<"mutation">("demo:seedDemo") as any, {});
});

async function expectNoSeriousA11yViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    serious.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    `${label}: axe violations`,
  ).toEqual([]);
}

test.describe("pages", () => {
  test("home: featured posts for subscribers first, then the latest, with cursor pagination", async ({ page }) => {
    const response = await page.goto(`/${SITE}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["cache-control"]).toBe("public, max-age=0, must-revalidate");
    expect(response?.headers()["etag"]).toMatch(/^W\//);
    await expect(page).toHaveTitle("The Ledger");
    await expect(page.getByRole("heading", { level: 1, name: "The Ledger" })).toBeVisible();
    const featured = page.getByRole("region", { name: "Featured for subscribers" });
    await expect(featured.getByRole("article")).toHaveCount(3);
    await expect(featured.getByText("Subscribers").first()).toBeVisible();
    const latest = page.getByRole("region", { name: "Latest posts" });
    await expect(latest.getByRole("article")).toHaveCount(10);
    await expect(latest.getByRole("article").first()).toContainText("How a city budget really works");
    await expect(latest.getByRole("article").first()).toContainText("min read");

    const older = page.getByRole("link", { name: "Older posts →" });
    expect(await older.getAttribute("href")).toMatch(/^\/the-ledger\/\?cursor=/);
    await older.click();
    await expect(page).toHaveURL(/\?cursor=/);
    const page2 = page.getByRole("region", { name: "Older posts" });
    await expect(page2.getByRole("article")).toHaveCount(10);
    await expect(page.getByRole("region", { name: "Featured for subscribers" })).toHaveCount(0);
    // Twenty posts in all: no link to an empty third page.
    await expect(page.getByRole("link", { name: "Older posts →" })).toHaveCount(0);
    await page.getByRole("link", { name: "← Newest posts" }).click();
    await expect(page.getByRole("region", { name: "Latest posts" })).toBeVisible();
  });

  test("a free post: title, author with avatar, dates, reading time, category, tags, body, related posts", async ({ page }) => {
    const response = await page.goto(`/${SITE}/city-budgets-explained`);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1, name: "How a city budget really works" })).toBeVisible();
    const article = page.getByRole("article", { name: "How a city budget really works" });
    await expect(article.getByRole("link", { name: "Amara Okafor" }).first()).toBeVisible();
    await expect(article.locator("time").first()).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);
    await expect(article.getByText(/\d+ min read/)).toBeVisible();
    await expect(article.getByRole("link", { name: "Guides" })).toBeVisible();
    await expect(page.getByTestId("post-body").getByRole("heading", { level: 2 }).first()).toBeVisible();
    await expect(page.getByRole("region", { name: "Related posts" }).getByRole("article").first()).toBeVisible();
    // Head: canonical, Open Graph, JSON-LD.
    await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", /\/the-ledger\/city-budgets-explained$/);
    await expect(page.locator('meta[property="og:type"]')).toHaveAttribute("content", "article");
    const ld = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent())!);
    expect(ld).toMatchObject({ "@type": "BlogPosting", headline: "How a city budget really works", isAccessibleForFree: true });

    // Taxonomy pages from the post.
    await article.getByRole("link", { name: "#Data" }).first().click();
    await expect(page.getByRole("heading", { level: 1, name: "#Data" })).toBeVisible();
    await expect(page.getByText(/^\d+ posts?$/)).toBeVisible();
    await page.goBack();
    await article.getByRole("link", { name: "Guides" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Guides" })).toBeVisible();
    await page.goBack();
    await article.getByRole("link", { name: "Amara Okafor" }).first().click();
    await expect(page.getByRole("heading", { level: 1, name: "Amara Okafor" })).toBeVisible();
    await expect(page.getByText("Editor of The Ledger.")).toBeVisible();
  });

  test("a locked featured post shows the excerpt and the paywall, not the body", async ({ page }) => {
    await page.goto(`/${SITE}/what-rising-rates-mean-for-renters`);
    await expect(page.getByRole("heading", { level: 1, name: "What rising rates mean for renters" })).toBeVisible();
    const paywall = page.getByTestId("paywall");
    await expect(paywall).toBeVisible();
    // One primary action (Subscribe: a checkout form) and one secondary (Sign in), issue #16.
    await expect(paywall.locator(".button:not(.button--secondary)")).toHaveCount(1);
    await expect(paywall.getByRole("button", { name: "Subscribe" })).toBeVisible();
    await expect(paywall.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", /^\/login\?redirectTo=/);
    await expect(page.getByTestId("post-body")).toHaveCount(0);
    expect(await page.content()).not.toContain("For subscribers: the full analysis");
    const ld = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent())!);
    expect(ld).toMatchObject({
      isAccessibleForFree: false,
      hasPart: { "@type": "WebPageElement", isAccessibleForFree: false, cssSelector: ".paywalled-content" },
    });
    await expect(page.locator(".paywalled-content")).toHaveCount(1);
    // Signed out, Subscribe asks for an account first and comes back to this post.
    await paywall.getByRole("button", { name: "Subscribe" }).click();
    await expect(page).toHaveURL(`/signup?redirectTo=${encodeURIComponent(`/${SITE}/what-rising-rates-mean-for-renters`)}`);
  });

  test("previous and next: links to the older and newer posts, followed both ways, into a locked post too", async ({ page }) => {
    await page.goto(`/${SITE}/why-your-bus-runs-less-often-than-it-did-in-2019`);
    const nav = () => page.getByRole("navigation", { name: "More posts" });
    const previous = nav().getByRole("link", { name: "← Previous: Zoning, explained with one vacant lot" });
    await expect(previous).toHaveAttribute("rel", "prev");
    await expect(previous).toHaveAttribute("href", `/${SITE}/zoning-explained-with-one-vacant-lot`);
    const next = nav().getByRole("link", { name: "Next: The hidden cost of a thirty-year bond →" });
    await expect(next).toHaveAttribute("rel", "next");

    await previous.click();
    await expect(page).toHaveURL(new RegExp(`/${SITE}/zoning-explained-with-one-vacant-lot$`));
    await expect(page.getByRole("heading", { level: 1, name: "Zoning, explained with one vacant lot" })).toBeVisible();
    await nav().getByRole("link", { name: "Next: Why your bus runs less often than it did in 2019 →" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Why your bus runs less often than it did in 2019" })).toBeVisible();

    // The newer neighbour is a subscribers' post: the link leads to its paywall, never its body.
    await nav().getByRole("link", { name: "Next: The hidden cost of a thirty-year bond →" }).click();
    await expect(page).toHaveURL(new RegExp(`/${SITE}/the-hidden-cost-of-a-thirty-year-bond$`));
    await expect(page.getByTestId("paywall")).toBeVisible();
    expect(await page.content()).not.toContain("For subscribers: the full analysis");
    await expect(nav().getByRole("link", { name: "← Previous: Why your bus runs less often than it did in 2019" })).toBeVisible();

    // The oldest post has no previous link; on a narrow screen the links stack.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`/${SITE}/welcome-to-the-ledger`);
    await expect(nav().getByRole("link", { name: /^← Previous:/ })).toHaveCount(0);
    const onlyNext = nav().getByRole("link", { name: "Next: The budget vote, annotated →" });
    await expect(onlyNext).toBeVisible();
    const box = (await onlyNext.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(360);
  });

  test("search: results with excerpts; empty and punctuation-only queries are handled gracefully", async ({ page }) => {
    await page.goto("/byte-sized/search");
    await expect(page.getByTestId("search-empty")).toBeVisible();
    await page.getByLabel("Search posts").fill("cache");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/\/byte-sized\/search\?q=cache/);
    await expect(page.getByRole("link", { name: "Cache invalidation is a promise problem" })).toBeVisible();
    await page.goto("/byte-sized/search?q=%21%21%21");
    expect(await page.getByTestId("search-empty").textContent()).toContain("Try searching");
    await page.goto("/byte-sized/search?q=zzzzqqqq");
    await expect(page.getByText("No posts match “zzzzqqqq”.")).toBeVisible();
  });

  test("the site's accent color and dark mode", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto("/field-notes/");
    const bg = await page.locator(".reader").evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).toBe("rgb(18, 18, 20)");
    await page.emulateMedia({ colorScheme: "light" });
    const accent = await page.locator(".reader").evaluate((el) => getComputedStyle(el).getPropertyValue("--accent").trim());
    expect(accent).toMatch(/^#[0-9a-f]{6}$/);
  });
});

test.describe("redirects and 404s", () => {
  test("old post, tag and category slugs answer 301 to the current address", async ({ page, request }) => {
    for (const [from, to] of [
      [`/${SITE}/how-a-city-budget-really-works`, `/${SITE}/city-budgets-explained`],
      [`/${SITE}/tag/budgets`, `/${SITE}/tag/public-budgets`],
      [`/${SITE}/category/explainers`, `/${SITE}/category/guides`],
      [`/${SITE}/tag/budgets/rss.xml`, `/${SITE}/tag/public-budgets/rss.xml`],
    ]) {
      const r = await request.get(from, { maxRedirects: 0 });
      expect(r.status(), from).toBe(301);
      expect(r.headers()["location"]).toBe(to);
    }
    await page.goto(`/${SITE}/how-a-city-budget-really-works`);
    await expect(page).toHaveURL(new RegExp(`/${SITE}/city-budgets-explained$`));
  });

  test("unknown post, tag, category and author: a real 404 inside the site's chrome, with links back", async ({ page }) => {
    for (const path of [`/${SITE}/no-such-post`, `/${SITE}/tag/no-such-tag`, `/${SITE}/category/nope`, `/${SITE}/author/nobody`]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
      await expect(page.getByRole("banner").getByRole("link", { name: "The Ledger" })).toBeVisible();
      await expect(page.getByRole("main").getByRole("link", { name: "Back to The Ledger" })).toHaveAttribute("href", `/${SITE}/`);
    }
    await expectNoSeriousA11yViolations(page, "404 page");
  });

  test("unknown publication: 404 with a link to the directory", async ({ page }) => {
    const response = await page.goto("/no-such-publication/some-post");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Publication not found" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Browse publications on Pressroom" })).toHaveAttribute("href", "/");
  });

  test("static platform routes win over /{site}/", async ({ page, request }) => {
    const login = await page.goto("/login");
    expect(login?.status()).toBe(200);
    await expect(page.getByTestId("reader-error")).toHaveCount(0);
    await expect(page.locator(".reader")).toHaveCount(0);
    const robots = await request.get("/robots.txt");
    expect(robots.headers()["content-type"]).toBe("text/plain; charset=utf-8");
    // A reserved word is never a publication, even before its platform route exists.
    const studio = await request.get("/studio");
    expect([200, 302, 303, 404]).toContain(studio.status());
    if (studio.status() === 404) expect(await studio.text()).not.toContain("The Ledger");
  });
});

test.describe("feeds, sitemaps, robots.txt", () => {
  test("content types, absolute URLs, locked posts as excerpt and link", async ({ request, baseURL }) => {
    const cases: Array<[string, string]> = [
      [`/${SITE}/rss.xml`, "application/rss+xml; charset=utf-8"],
      [`/${SITE}/atom.xml`, "application/atom+xml; charset=utf-8"],
      [`/${SITE}/feed.json`, "application/feed+json; charset=utf-8"],
      [`/${SITE}/tag/housing/rss.xml`, "application/rss+xml; charset=utf-8"],
      [`/${SITE}/category/cities/feed.json`, "application/feed+json; charset=utf-8"],
      [`/${SITE}/sitemap.xml`, "application/xml; charset=utf-8"],
      ["/robots.txt", "text/plain; charset=utf-8"],
    ];
    for (const [path, type] of cases) {
      const r = await request.get(path);
      expect(r.status(), path).toBe(200);
      expect(r.headers()["content-type"], path).toBe(type);
      const text = await r.text();
      expect(text, path).toContain(`${baseURL}/${SITE}/`);
      expect(text, path).not.toContain("For subscribers: the full analysis");
    }
    // Conditional GET: an unchanged feed or page is a 304 with no body.
    for (const path of [`/${SITE}/rss.xml`, `/${SITE}/`, `/${SITE}/city-budgets-explained`]) {
      const first = await request.get(path);
      const etag = first.headers()["etag"];
      expect(etag, path).toMatch(/^W\//);
      const again = await request.get(path, { headers: { "If-None-Match": etag } });
      expect(again.status(), path).toBe(304);
      expect(await again.text(), path).toBe("");
    }
  });

  test("pages advertise their feeds", async ({ page }) => {
    await page.goto(`/${SITE}/tag/housing`);
    await expect(page.locator('link[rel="alternate"][type="application/rss+xml"]')).toHaveAttribute("href", /\/the-ledger\/tag\/housing\/rss\.xml$/);
  });
});

test.describe("accessibility", () => {
  const pages = [
    `/${SITE}/`,
    `/${SITE}/city-budgets-explained`,
    `/${SITE}/what-rising-rates-mean-for-renters`,
    `/${SITE}/tag/housing`,
    `/${SITE}/category/cities`,
    `/${SITE}/author/amara-okafor`,
    `/${SITE}/search?q=budget`,
    `/${SITE}/subscribe`,
    "/byte-sized/indexes-are-second-copies-of-your-data",
    "/byte-sized/cache-invalidation-promises",
    "/field-notes/",
  ];
  for (const scheme of ["light", "dark"] as const) {
    test(`no serious or critical axe violations (${scheme} mode)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      for (const path of pages) {
        await page.goto(path);
        await expectNoSeriousA11yViolations(page, `${path} (${scheme})`);
      }
    });
  }

  test("keyboard: the skip link is the page's first stop and moves focus to the main content", async ({ page }) => {
    await page.goto(`/${SITE}/city-budgets-explained`);
    // root.tsx renders the skip link before everything else, the account links included.
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeVisible();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/#main$/);
  });

  test("landmarks and one h1 per page", async ({ page }) => {
    await page.goto(`/${SITE}/city-budgets-explained`);
    await expect(page.getByRole("banner")).toHaveCount(1);
    await expect(page.getByRole("main")).toHaveCount(1);
    await expect(page.getByRole("contentinfo")).toHaveCount(1);
    await expect(page.getByRole("navigation", { name: "The Ledger sections" })).toBeVisible();
    await expect(page.locator("h1")).toHaveCount(1);
  });
});
