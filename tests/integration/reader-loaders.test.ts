// Over 400 lines: every reader loader (pages, feeds, sitemaps, search) over one seeded backend.
// The reader site's Remix loaders, called directly with Request objects against a local backend
// running convex/ (seeded with the demo content through demo:seedDemo and the real mutations).
// Covers every page type, pagination, 404s, 301s, caching headers, view counting, feeds, sitemaps,
// robots.txt, and the subscription cache (app/reader/cache.server.ts) staying fresh.
import { ConvexHttpClient } from "convex/browser";
import { getFunctionName, makeFunctionReference } from "convex/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { QueryCache, SUBSCRIPTIONS_PER_CLIENT } from "../../app/reader/cache.server";
import { clientFor, setReaderClientFactory } from "../../app/reader/client.server";
import { URLS_PER_SITEMAP } from "../../app/reader/sitemap.server";
import * as postRoute from "../../app/routes/$site.$postSlug";
import * as homeRoute from "../../app/routes/$site._index";
import * as atomRoute from "../../app/routes/$site.atom[.]xml";
import * as authorRoute from "../../app/routes/$site.author.$authorSlug";
import * as categoryAtomRoute from "../../app/routes/$site.category.$categorySlug.atom[.]xml";
import * as categoryRoute from "../../app/routes/$site.category.$categorySlug";
import * as jsonFeedRoute from "../../app/routes/$site.feed[.]json";
import * as rssRoute from "../../app/routes/$site.rss[.]xml";
import * as searchRoute from "../../app/routes/$site.search";
import * as sitemapPostsRoute from "../../app/routes/$site.sitemap-posts[.]xml";
import * as sitemapRoute from "../../app/routes/$site.sitemap[.]xml";
import * as subscribeRoute from "../../app/routes/$site.subscribe";
import * as tagJsonRoute from "../../app/routes/$site.tag.$tagSlug.feed[.]json";
import * as tagRssRoute from "../../app/routes/$site.tag.$tagSlug.rss[.]xml";
import * as tagRoute from "../../app/routes/$site.tag.$tagSlug";
import * as layoutRoute from "../../app/routes/$site";
import * as robotsRoute from "../../app/routes/robots[.]txt";
import { clientAs, startAppBackend, stopAppBackend } from "../support/live-backend";

const ORIGIN = "http://127.0.0.1:3000";
const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const seedDemo = makeFunctionReference<"mutation">("demo:seedDemo");

let backend: LocalBackend;
let subscriberId: Id<"users">;

beforeAll(async () => {
  backend = await startAppBackend("reader-loaders-");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
  // The app server counts views with its admin key (reader:recordViews is internal).
  process.env.CONVEX_ADMIN_KEY = backend.adminKey;
  delete process.env.ROOT_DOMAIN;
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);
  // A subscriber of The Ledger (active subscription to its plan), for the entitled-viewer cases.
  const out = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", "the-ledger")).unique();
    const plan = await ctx.db.query("subscriptionPlans").withIndex("by_siteId_and_sortOrder", (q: any) => q.eq("siteId", site._id)).first();
    const userId = await ctx.db.insert("users", { name: "Sam Subscriber", email: "sam@example.com", role: "user", isActive: true, createdAt: now, updatedAt: now });
    await ctx.db.insert("subscriptions", {
      siteId: site._id,
      userId,
      planId: plan._id,
      status: "active",
      currentPeriodStart: now - 86_400_000,
      currentPeriodEnd: now + 30 * 86_400_000,
      cancelAtPeriodEnd: false,
      createdAt: now,
      updatedAt: now,
    });
    return userId;
  });
  if (!out.ok) throw new Error(out.message);
  subscriberId = JSON.parse(out.valueJson);
});

afterAll(async () => {
  setReaderClientFactory(null);
  await stopAppBackend(backend);
});

afterEach(() => setReaderClientFactory(null));

// ---------------------------------------------------------------------------------------------

type Loader = (args: any) => unknown;
type Outcome =
  | { kind: "data"; status: number; headers: Headers; data: any }
  | { kind: "response"; status: number; headers: Headers; body: string; location: string | null };

function request(pathAndQuery: string, headers: Record<string, string> = {}) {
  return new Request(`${ORIGIN}${pathAndQuery}`, { headers: { "User-Agent": "vitest", ...headers } });
}

/** Runs a loader like Remix does: `data()` results, plain objects, Responses, thrown Responses. */
async function run(loader: Loader, pathAndQuery: string, params: Record<string, string>, headers?: Record<string, string>): Promise<Outcome> {
  try {
    const r: any = await loader({ request: request(pathAndQuery, headers), params, context: {} });
    if (r instanceof Response) {
      return { kind: "response", status: r.status, headers: r.headers, body: await r.text(), location: r.headers.get("Location") };
    }
    if (r && r.type === "DataWithResponseInit") {
      return { kind: "data", status: r.init?.status ?? 200, headers: new Headers(r.init?.headers), data: r.data };
    }
    return { kind: "data", status: 200, headers: new Headers(), data: r };
  } catch (e) {
    if (e instanceof Response) {
      return { kind: "response", status: e.status, headers: e.headers, body: await e.text(), location: e.headers.get("Location") };
    }
    throw e;
  }
}

async function ok(loader: Loader, pathAndQuery: string, params: Record<string, string>, headers?: Record<string, string>) {
  const r = await run(loader, pathAndQuery, params, headers);
  if (r.kind !== "data") throw new Error(`expected data from ${pathAndQuery}, got ${r.status} ${r.body}`);
  return r;
}

async function body(loader: Loader, pathAndQuery: string, params: Record<string, string>) {
  const r = await run(loader, pathAndQuery, params);
  if (r.kind !== "response" || r.status !== 200) throw new Error(`expected a 200 body from ${pathAndQuery}, got ${r.status}`);
  return r;
}

/** Acts as a user through the backend's admin key (until the auth adapter's signed-in client exists). */
function actingAs(userId: string): ConvexHttpClient {
  return clientAs(backend, userId as Id<"users">);
}

async function query(name: string, args: Record<string, unknown>) {
  const r = await backend.runner.runQuery(name, args as any);
  if (!r.ok) throw new Error(r.message);
  return JSON.parse(r.valueJson);
}

// ---------------------------------------------------------------------------------------------

describe("$site layout", () => {
  test("resolves the publication with its accent colors and link base", async () => {
    const r = await ok(layoutRoute.loader, "/the-ledger/", { site: "the-ledger" });
    expect(r.data.site).toMatchObject({
      name: "The Ledger",
      slug: "the-ledger",
      base: "/the-ledger",
      canonicalBase: `${ORIGIN}/the-ledger`,
      accent: { light: "#0f6b4f", dark: expect.stringMatching(/^#[0-9a-f]{6}$/) },
    });
  });

  test.each(["no-such-site", "login", "Not_A_Slug"])("unknown or reserved site %s is a 404", async (site) => {
    const r = await run(layoutRoute.loader, `/${site}/`, { site });
    expect(r).toMatchObject({ kind: "response", status: 404 });
  });
});

describe("home", () => {
  test("featured posts first (cards: no body and no lock state, the same for every viewer), then the latest with a real ?cursor= link", async () => {
    const r = await ok(homeRoute.loader, "/the-ledger/", { site: "the-ledger" });
    expect(r.data.featured).toHaveLength(3);
    for (const f of r.data.featured) {
      expect(f).toMatchObject({ featured: true });
      expect(f).not.toHaveProperty("locked");
      expect(f).not.toHaveProperty("doc");
    }
    expect(r.data.latest.posts).toHaveLength(10);
    expect(r.data.latest.first).toBe(true);
    expect(r.data.latest.posts[0]).toMatchObject({ title: "How a city budget really works", slug: "city-budgets-explained", authorName: "Amara Okafor" });
    expect(r.data.latest.posts[0]).not.toHaveProperty("doc");
    const cursor = r.data.latest.nextCursor;
    expect(cursor).toEqual(expect.any(String));

    const page2 = await ok(homeRoute.loader, `/the-ledger/?cursor=${encodeURIComponent(cursor)}`, { site: "the-ledger" });
    expect(page2.data.featured).toEqual([]);
    expect(page2.data.latest.first).toBe(false);
    expect(page2.data.latest.posts).toHaveLength(10);
    const titles1 = new Set(r.data.latest.posts.map((p: any) => p.slug));
    expect(page2.data.latest.posts.some((p: any) => titles1.has(p.slug))).toBe(false);
    // 20 posts: the second page is the last one.
    expect(page2.data.latest.nextCursor).toBeNull();
  });

  test("a damaged cursor is a 400, not a 500", async () => {
    const r = await run(homeRoute.loader, "/the-ledger/?cursor=garbage", { site: "the-ledger" });
    expect(r).toMatchObject({ kind: "response", status: 400 });
  });

  test("anonymous pages: public, max-age=0, must-revalidate with an ETag; a matching If-None-Match is a 304", async () => {
    const r = await ok(homeRoute.loader, "/the-ledger/", { site: "the-ledger" });
    expect(r.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
    const etag = r.headers.get("ETag")!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await ok(homeRoute.loader, "/the-ledger/", { site: "the-ledger" }, { "If-None-Match": etag });
    expect(again.status).toBe(304);
    const other = await ok(homeRoute.loader, "/field-notes/", { site: "field-notes" }, { "If-None-Match": etag });
    expect(other.status).toBe(200);
  });
});

describe("post page", () => {
  test("a free post: body rendered to sanitized HTML, byline, tags, category, related posts", async () => {
    const r = await ok(postRoute.loader, "/the-ledger/city-budgets-explained", { site: "the-ledger", postSlug: "city-budgets-explained" });
    const { post, related } = r.data;
    expect(post).toMatchObject({
      title: "How a city budget really works",
      authorName: "Amara Okafor",
      authorSlug: "amara-okafor",
      category: { slug: "guides" },
      locked: false,
      featured: false,
    });
    expect(post.tags.map((t: any) => t.slug)).toEqual(["public-budgets", "data"]);
    expect(post.bodyHtml).toContain("<h2>");
    expect(post.bodyHtml).toContain("<blockquote>");
    expect(post).not.toHaveProperty("doc");
    expect(related.length).toBeGreaterThan(0);
    expect(related.every((p: any) => p.slug !== post.slug)).toBe(true);
  });

  test("a locked featured post: excerpt and paywall data only, no body", async () => {
    const r = await ok(postRoute.loader, "/the-ledger/what-rising-rates-mean-for-renters", {
      site: "the-ledger",
      postSlug: "what-rising-rates-mean-for-renters",
    });
    expect(r.data.post).toMatchObject({ featured: true, locked: true, bodyHtml: null });
    expect(r.data.post.excerpt.length).toBeGreaterThan(20);
    expect(r.data.signedIn).toBe(false);
    expect(JSON.stringify(r.data)).not.toContain("For subscribers: the full analysis");
  });

  test("a subscriber gets the featured body, privately (private, no-store, no ETag)", async () => {
    setReaderClientFactory(async () => clientFor(actingAs(subscriberId), true));
    const r = await ok(postRoute.loader, "/the-ledger/what-rising-rates-mean-for-renters", {
      site: "the-ledger",
      postSlug: "what-rising-rates-mean-for-renters",
    });
    expect(r.data.post).toMatchObject({ featured: true, locked: false });
    expect(r.data.post.bodyHtml).toContain("For subscribers: the full analysis");
    expect(r.headers.get("Cache-Control")).toBe("private, no-store");
    expect(r.headers.get("ETag")).toBeNull();
  });

  test("a signed-in post page asks Convex as the viewer only what depends on them, in one call shared by layout and page: the standing and the post's body key; the site and the page are read anonymously (issue #18)", async () => {
    const asked: string[] = [];
    const convex = actingAs(subscriberId);
    const counting = {
      query: (q: Parameters<ConvexHttpClient["query"]>[0], args: any) => {
        asked.push(getFunctionName(q));
        return convex.query(q, args);
      },
    } as unknown as ConvexHttpClient;
    setReaderClientFactory(async () => clientFor(counting, true));
    // One request through both loaders, as Remix runs them.
    const req = request("/the-ledger/what-rising-rates-mean-for-renters");
    const params = { site: "the-ledger", postSlug: "what-rising-rates-mean-for-renters" };
    const [layout, page]: any[] = await Promise.all([layoutRoute.loader({ request: req, params, context: {} } as any), postRoute.loader({ request: req, params, context: {} } as any)]);
    expect(layout).toBeTruthy();
    expect(page).toBeTruthy();
    // The body is asked for only when this process has not rendered its version yet.
    // The site and the page (post card, related, previous/next) are the same for everyone: not asked
    // as the subscriber (publicReaderClient). Whether they may read this featured post is.
    expect(asked.filter((n) => n !== "reader:postBody").sort()).toEqual(["reader:viewerPage"]);
    expect(layout.site).toMatchObject({ slug: "the-ledger" });
    expect(layout.viewer).toBeTruthy();
    expect(page.data.post).toMatchObject({ featured: true, locked: false });
    expect(page.data.post.bodyHtml).toContain("For subscribers: the full analysis");
    expect(asked.filter((n) => n === "reader:postBody").length).toBeLessThanOrEqual(1);
  });

  test("previous and next: links to the older and newer published posts (title and address), a locked neighbour without its body", async () => {
    const slug = "why-your-bus-runs-less-often-than-it-did-in-2019";
    const r = await ok(postRoute.loader, `/the-ledger/${slug}`, { site: "the-ledger", postSlug: slug });
    const { previous, next } = r.data.adjacent;
    expect(previous).toEqual({ slug: "zoning-explained-with-one-vacant-lot", title: "Zoning, explained with one vacant lot" });
    // The locked neighbour: its title and address only (no body, no rendered HTML, no ids).
    expect(next).toEqual({ slug: "the-hidden-cost-of-a-thirty-year-bond", title: expect.any(String) });
    expect(JSON.stringify(r.data)).not.toContain("For subscribers: the full analysis");

    // The ends of the publication order: the newest has no next, the oldest no previous.
    const newest = await ok(postRoute.loader, "/the-ledger/city-budgets-explained", { site: "the-ledger", postSlug: "city-budgets-explained" });
    expect(newest.data.adjacent).toEqual({ previous: expect.objectContaining({ slug: "the-hidden-cost-of-a-thirty-year-bond" }), next: null });
    const oldest = await ok(postRoute.loader, "/the-ledger/welcome-to-the-ledger", { site: "the-ledger", postSlug: "welcome-to-the-ledger" });
    expect(oldest.data.adjacent).toEqual({ previous: null, next: expect.objectContaining({ slug: "the-budget-vote-annotated" }) });
  });

  test("a subscriber's previous/next and related posts are the cards every reader gets: no body, no lock state", async () => {
    const slug = "why-your-bus-runs-less-often-than-it-did-in-2019";
    const anonymous = await ok(postRoute.loader, `/the-ledger/${slug}`, { site: "the-ledger", postSlug: slug });
    setReaderClientFactory(async () => clientFor(actingAs(subscriberId), true));
    const r = await ok(postRoute.loader, `/the-ledger/${slug}`, { site: "the-ledger", postSlug: slug });
    expect(r.data.signedIn).toBe(true);
    expect(r.data.adjacent.next).toMatchObject({ slug: "the-hidden-cost-of-a-thirty-year-bond" });
    expect(r.data.adjacent.next).not.toHaveProperty("locked");
    expect(r.data.adjacent.next).not.toHaveProperty("bodyHtml");
    expect(r.data.adjacent).toEqual(anonymous.data.adjacent);
    expect(r.data.related).toEqual(anonymous.data.related);
    expect(JSON.stringify(r.data)).not.toContain("For subscribers: the full analysis");
  });

  test("an old slug is a 301 to the current one; unknown slugs are 404s", async () => {
    const r = await run(postRoute.loader, "/the-ledger/how-a-city-budget-really-works", {
      site: "the-ledger",
      postSlug: "how-a-city-budget-really-works",
    });
    expect(r).toMatchObject({ kind: "response", status: 301, location: "/the-ledger/city-budgets-explained" });
    expect(await run(postRoute.loader, "/the-ledger/nope", { site: "the-ledger", postSlug: "nope" })).toMatchObject({ status: 404 });
    // A post of another site is not reachable through this one.
    expect(
      await run(postRoute.loader, "/the-ledger/why-i-stopped-tilling", { site: "the-ledger", postSlug: "why-i-stopped-tilling" }),
    ).toMatchObject({ status: 404 });
  });

  test("views: once per reader session (cookie), never for bots, without waiting for the mutation", async () => {
    const slug = "transit-fares-will-not-save-transit";
    const params = { site: "the-ledger", postSlug: slug };
    const { _id: postId, siteId } = (await query("reader:postBySlug", { siteSlug: "the-ledger", slug })).post;
    // The sharded counter itself (members see it through posts:viewCounts).
    const views = async () => {
      const r = await backend.runner.transactInline(async (ctx: any) => {
        const shards = await ctx.db
          .query("postViewShards")
          .withIndex("by_siteId_and_postId_and_shard", (q: any) => q.eq("siteId", siteId).eq("postId", postId))
          .collect();
        return shards.reduce((n: number, s: { count: number }) => n + s.count, 0);
      });
      if (!r.ok) throw new Error(r.message);
      return JSON.parse(r.valueJson) as number;
    };
    expect(await views()).toBe(0);

    const bot = await ok(postRoute.loader, `/the-ledger/${slug}`, params, { "User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" });
    expect(bot.headers.get("Set-Cookie")).toBeNull();

    const first = await ok(postRoute.loader, `/the-ledger/${slug}`, params, { "User-Agent": BROWSER_UA });
    const cookie = first.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/^pr_viewed=[a-z0-9]+; Path=\/; HttpOnly; SameSite=Lax$/);
    // A response that sets a cookie is for the browser's cache only.
    expect(first.headers.get("Cache-Control")).toBe("private, max-age=0, must-revalidate");
    await expect.poll(views, { timeout: 5000 }).toBe(1);

    const jar = cookie.split(";")[0];
    const second = await ok(postRoute.loader, `/the-ledger/${slug}`, params, { "User-Agent": BROWSER_UA, Cookie: jar });
    expect(second.headers.get("Set-Cookie")).toBeNull();
    expect(second.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
    // A prefetch is not a view either.
    await ok(postRoute.loader, `/the-ledger/${slug}`, params, { "User-Agent": BROWSER_UA, "Sec-Purpose": "prefetch" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await views()).toBe(1);
  });
});

describe("tag, category and author pages", () => {
  test("tag: header with description and count, posts, 301 for the renamed slug, 404 for unknown", async () => {
    const r = await ok(tagRoute.loader, "/the-ledger/tag/housing", { site: "the-ledger", tagSlug: "housing" });
    expect(r.data.tag).toMatchObject({ name: "Housing", slug: "housing" });
    expect(r.data.tag.postCount).toBe(r.data.list.posts.length);
    expect(r.data.list.posts.every((p: any) => p.tags.some((t: any) => t.slug === "housing"))).toBe(true);
    expect(await run(tagRoute.loader, "/the-ledger/tag/budgets", { site: "the-ledger", tagSlug: "budgets" })).toMatchObject({
      status: 301,
      location: "/the-ledger/tag/public-budgets",
    });
    expect(await run(tagRoute.loader, "/the-ledger/tag/zzz", { site: "the-ledger", tagSlug: "zzz" })).toMatchObject({ status: 404 });
  });

  test("category: count and posts; renamed slug redirects", async () => {
    const r = await ok(categoryRoute.loader, "/the-ledger/category/cities", { site: "the-ledger", categorySlug: "cities" });
    expect(r.data.category).toMatchObject({ name: "Cities", description: "How cities raise money and spend it." });
    expect(r.data.category.postCount).toBeGreaterThan(5);
    expect(r.data.list.posts).toHaveLength(Math.min(10, r.data.category.postCount));
    expect(await run(categoryRoute.loader, "/the-ledger/category/explainers", { site: "the-ledger", categorySlug: "explainers" })).toMatchObject({
      status: 301,
      location: "/the-ledger/category/guides",
    });
  });

  test("author: profile and posts; unknown author 404", async () => {
    const r = await ok(authorRoute.loader, "/the-ledger/author/amara-okafor", { site: "the-ledger", authorSlug: "amara-okafor" });
    expect(r.data.author).toMatchObject({ name: "Amara Okafor", bio: expect.stringContaining("Editor"), website: "https://example.com/amara" });
    expect(r.data.list.posts.every((p: any) => p.authorSlug === "amara-okafor")).toBe(true);
    expect(await run(authorRoute.loader, "/the-ledger/author/nobody", { site: "the-ledger", authorSlug: "nobody" })).toMatchObject({ status: 404 });
  });
});

describe("search and subscribe", () => {
  test("search finds posts by words in titles and bodies; cards only", async () => {
    const r = await ok(searchRoute.loader, "/byte-sized/search?q=cache", { site: "byte-sized" });
    expect(r.data.results.posts.length).toBeGreaterThan(0);
    expect(r.data.results.posts.map((p: any) => p.title)).toContain("Cache invalidation is a promise problem");
    expect(JSON.stringify(r.data)).not.toContain("bodyHtml");
  });

  test.each(["", "   ", "!!!", "?&*", "%"])("query %j gives no results, gracefully", async (q) => {
    const r = await ok(searchRoute.loader, `/byte-sized/search?q=${encodeURIComponent(q)}`, { site: "byte-sized" });
    expect(r.data.results).toBeNull();
  });

  test("subscribe: exactly the site's active plans (the seeded one); none, and no error, once it is deactivated", async () => {
    /** The Ledger's plans as stored: the assertions below depend on them. */
    const stored = async () => {
      const out = await backend.runner.transactInline(async (ctx: any) => {
        const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", "the-ledger")).unique();
        return await ctx.db.query("subscriptionPlans").withIndex("by_siteId_and_sortOrder", (q: any) => q.eq("siteId", site._id)).collect();
      });
      if (!out.ok) throw new Error(out.message);
      return JSON.parse(out.valueJson) as Array<{ _id: string; name: string; priceCents: number; isActive: boolean }>;
    };
    const setActive = async (id: string, isActive: boolean) => {
      const out = await backend.runner.transactInline(async (ctx: any) => ctx.db.patch(id, { isActive }));
      if (!out.ok) throw new Error(out.message);
    };
    const plans = await stored();
    expect(plans.map((p) => [p.name, p.priceCents, p.isActive])).toEqual([["Ledger Member", 700, true]]);

    const r = await ok(subscribeRoute.loader, "/the-ledger/subscribe", { site: "the-ledger" });
    expect(r.data.signedIn).toBe(false);
    expect(r.data.plansError ?? null).toBeNull();
    expect(r.data.plans).toEqual([expect.objectContaining({ name: "Ledger Member", priceCents: 700, currency: "usd", interval: "month" })]);

    await setActive(plans[0]._id, false);
    try {
      let after: any;
      for (let i = 0; i < 40; i++) {
        after = await ok(subscribeRoute.loader, "/the-ledger/subscribe", { site: "the-ledger" });
        if (after.data.plans.length === 0) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(after.data.plans).toEqual([]);
      expect(after.data.plansError ?? null).toBeNull();
    } finally {
      await setActive(plans[0]._id, true);
    }
  });
});

describe("feeds", () => {
  test.each([
    [rssRoute, "rss.xml", "application/rss+xml; charset=utf-8", "<rss"],
    [atomRoute, "atom.xml", "application/atom+xml; charset=utf-8", "<feed"],
    [jsonFeedRoute, "feed.json", "application/feed+json; charset=utf-8", '"version": "https://jsonfeed.org/version/1'],
  ] as const)("%#: site feed with absolute URLs, full free posts, excerpt + link for locked ones", async (route, file, type, marker) => {
    const r = await body(route.loader, `/the-ledger/${file}`, { site: "the-ledger" });
    expect(r.headers.get("Content-Type")).toBe(type);
    expect(r.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
    expect(r.body).toContain(marker);
    expect(r.body).toContain(`${ORIGIN}/the-ledger/city-budgets-explained`);
    // Free post: full content; locked featured posts: never their subscriber section.
    expect(r.body).toContain("Follow the debt service");
    expect(r.body).not.toContain("For subscribers: the full analysis");
    expect(r.body).toContain("Subscribe to The Ledger to read this post");
    // Relative links in bodies are made absolute.
    expect(r.body).not.toMatch(/href=(\\?"|&quot;)\/(?!\/)/);
  });

  test("tag and category feeds; a renamed tag's feed redirects; unknown tag 404", async () => {
    const tag = await body(tagRssRoute.loader, "/the-ledger/tag/housing/rss.xml", { site: "the-ledger", tagSlug: "housing" });
    expect(tag.body).toContain("<title>The Ledger: #Housing</title>");
    const json = JSON.parse((await body(tagJsonRoute.loader, "/the-ledger/tag/housing/feed.json", { site: "the-ledger", tagSlug: "housing" })).body);
    expect(json.items.length).toBeGreaterThan(0);
    expect(json.feed_url).toBe(`${ORIGIN}/the-ledger/tag/housing/feed.json`);
    const cat = await body(categoryAtomRoute.loader, "/the-ledger/category/cities/atom.xml", { site: "the-ledger", categorySlug: "cities" });
    expect(cat.body).toContain("The Ledger: Cities");
    expect(await run(tagRssRoute.loader, "/the-ledger/tag/budgets/rss.xml", { site: "the-ledger", tagSlug: "budgets" })).toMatchObject({
      status: 301,
      location: "/the-ledger/tag/public-budgets/rss.xml",
    });
    expect(await run(tagRssRoute.loader, "/the-ledger/tag/zzz/rss.xml", { site: "the-ledger", tagSlug: "zzz" })).toMatchObject({ status: 404 });
  });

  test("a subscriber's feed request still gets the public feed (feeds are always anonymous)", async () => {
    setReaderClientFactory(async () => clientFor(actingAs(subscriberId), true));
    const r = await body(rssRoute.loader, "/the-ledger/rss.xml", { site: "the-ledger" });
    expect(r.body).not.toContain("For subscribers: the full analysis");
  });
});

describe("sitemaps and robots.txt", () => {
  test("a small site: one urlset with home, posts, tags, categories and authors", async () => {
    const r = await body(sitemapRoute.loader, "/field-notes/sitemap.xml", { site: "field-notes" });
    expect(r.headers.get("Content-Type")).toBe("application/xml; charset=utf-8");
    expect(r.body).toContain("<urlset");
    const locs = [...r.body.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(locs).toContain(`${ORIGIN}/field-notes/`);
    expect(locs).toContain(`${ORIGIN}/field-notes/why-i-stopped-tilling`);
    expect(locs).toContain(`${ORIGIN}/field-notes/tag/compost`);
    expect(locs).toContain(`${ORIGIN}/field-notes/category/soil`);
    expect(locs.filter((l) => !l.includes("/tag/") && !l.includes("/category/") && !l.includes("/author/")).length).toBe(21);
  });

  test(`a large site (more than ${URLS_PER_SITEMAP} posts): a sitemap index whose files cover every post once`, async () => {
    const total = URLS_PER_SITEMAP + 30;
    const out = await backend.runner.transactInline(async (ctx: any) => {
      const now = Date.now();
      const owner = await ctx.db.insert("users", { name: "Bulk Owner", createdAt: now, updatedAt: now });
      const siteId = await ctx.db.insert("sites", { name: "Bulk", slug: "bulk", ownerId: owner, createdAt: now, updatedAt: now });
      await ctx.db.insert("siteMembers", { siteId, userId: owner, role: "owner", authorSlug: "bulk-owner", createdAt: now });
      for (let i = 0; i < total; i++) {
        await ctx.db.insert("posts", {
          siteId,
          authorId: owner,
          authorName: "Bulk Owner",
          title: `Bulk ${i}`,
          slug: `bulk-${i}`,
          status: "published",
          featured: false,
          tagIds: [],
          publishedAt: 1_700_000_000_000 + i * 1000,
          createdAt: now,
          updatedAt: now,
        });
      }
      return null;
    });
    if (!out.ok) throw new Error(out.message);
    const index = await body(sitemapRoute.loader, "/bulk/sitemap.xml", { site: "bulk" });
    expect(index.body).toContain("<sitemapindex");
    const files = [...index.body.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1].replace(/&amp;/g, "&"));
    expect(files).toHaveLength(2);
    expect(files[0]).toBe(`${ORIGIN}/bulk/sitemap-posts.xml`);
    const seen = new Set<string>();
    for (const f of files) {
      const u = new URL(f);
      const part = await body(sitemapPostsRoute.loader, `${u.pathname}${u.search}`, { site: "bulk" });
      for (const m of part.body.matchAll(/<loc>([^<]+\/bulk-\d+)<\/loc>/g)) {
        expect(seen.has(m[1])).toBe(false);
        seen.add(m[1]);
      }
    }
    expect(seen.size).toBe(total);
  });

  test("robots.txt lists every publication's sitemap and keeps crawlers out of private areas", async () => {
    const r = await body(robotsRoute.loader, "/robots.txt", {});
    expect(r.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(r.body).toContain(`Sitemap: ${ORIGIN}/the-ledger/sitemap.xml`);
    expect(r.body).toContain(`Sitemap: ${ORIGIN}/byte-sized/sitemap.xml`);
    expect(r.body).toContain("Disallow: /studio/");
    expect(r.body).toContain("Disallow: /*/search?");
  });
});

describe("the subscription cache's bound", () => {
  test("it holds at most its bytes of results: a new result evicts (and unsubscribes) the least recently used", async () => {
    const direct = (q: any, args: any) => new ConvexHttpClient(backend.url).query(q, args);
    const page = (siteSlug: string) => ({ siteSlug, paginationOpts: { numItems: 5, cursor: null } });
    // First, what one home page weighs.
    const probe = new QueryCache(backend.url, direct as any, 100);
    let one = 0;
    try {
      await expect.poll(async () => (await probe.query(api.reader.latest, page("field-notes")), probe.getStats().bytes), { timeout: 5000 }).toBeGreaterThan(0);
      one = probe.getStats().bytes;
    } finally {
      await probe.close();
    }
    // Room for that one page only: a second site's page pushes the first out.
    const cache = new QueryCache(backend.url, direct as any, 100, one + 10);
    try {
      await expect.poll(async () => (await cache.query(api.reader.latest, page("field-notes")), cache.getStats().hits), { timeout: 5000 }).toBeGreaterThan(0);
      expect(cache.getStats()).toMatchObject({ size: 1, bytes: one });
      await expect.poll(async () => (await cache.query(api.reader.latest, page("byte-sized")), cache.getStats().hits), { timeout: 5000 }).toBeGreaterThan(1);
      // Only the newest is kept (a result bigger than the bound on its own is still served and kept).
      expect(cache.getStats().size).toBe(1);
      expect(cache.getStats().bytes).not.toBe(one);
      // The first page was evicted: asking for it again is a miss, and it is answered right.
      const misses = cache.getStats().misses;
      expect((await cache.query(api.reader.latest, page("field-notes"))).page.length).toBeGreaterThan(0);
      expect(cache.getStats().misses).toBe(misses + 1);
    } finally {
      await cache.close();
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

describe("the subscription cache's clients (issue #18)", () => {
  test("subscriptions are spread over ceil(max / SUBSCRIPTIONS_PER_CLIENT) clients, each key always on the same one, every answer right", async () => {
    const direct = (q: any, args: any) => new ConvexHttpClient(backend.url).query(q, args);
    // Room for three clients' worth.
    const cache = new QueryCache(backend.url, direct as any, 3 * SUBSCRIPTIONS_PER_CLIENT);
    const page = (n: number) => ({ siteSlug: "field-notes", paginationOpts: { numItems: n, cursor: null } });
    try {
      const want = await Promise.all(Array.from({ length: 30 }, (_, i) => direct(api.reader.latest, page(i + 1))));
      // Until each client's socket is up its first answers come over HTTP; poll until all are held.
      await expect
        .poll(async () => {
          for (let i = 0; i < 30; i++) expect(await cache.query(api.reader.latest, page(i + 1))).toEqual(want[i]);
          return cache.getStats().hits;
        }, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(30);
      const stats = cache.getStats();
      // The 30 keys are fixed strings, so where they land is too: on all three clients.
      expect(stats.clients).toBe(3);
      // A key asked again is the same subscription, not a new one on another client.
      expect(stats.size).toBe(30);
    } finally {
      await cache.close();
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

describe("freshness", () => {
  test("a publish shows up on the next request (no TTL): loaders read live, uncached", async () => {
    const owner = await query("reader:authorBySlug", { siteSlug: "byte-sized", slug: "jonas-weber" });
    const site = await query("sites:getPublic", { slug: "byte-sized" });
    const as = actingAs(owner.authorId);
    const postId = await as.mutation(api.posts.create, { siteId: site._id, title: "Breaking: fresh off the press" });
    const before = await ok(homeRoute.loader, "/byte-sized/", { site: "byte-sized" });
    expect(before.data.latest.posts.map((p: any) => p.title)).not.toContain("Breaking: fresh off the press");
    await as.mutation(api.posts.publish, { siteId: site._id, postId });
    const after = await ok(homeRoute.loader, "/byte-sized/", { site: "byte-sized" }, { "If-None-Match": before.headers.get("ETag")! });
    expect(after.status).toBe(200);
    expect(after.data.latest.posts[0].title).toBe("Breaking: fresh off the press");
  });

  test("the subscription cache answers from memory and is updated by the backend, not by expiry", async () => {
    const direct = (q: any, args: any) => new ConvexHttpClient(backend.url).query(q, args);
    const cache = new QueryCache(backend.url, direct as any, 100);
    try {
      const args = { siteSlug: "field-notes", paginationOpts: { numItems: 5, cursor: null } };
      // Wait for the socket, then the first read subscribes.
      await expect.poll(async () => (await cache.query(api.reader.latest, args), cache.getStats().misses), { timeout: 5000 }).toBeGreaterThan(0);
      await expect.poll(async () => (await cache.query(api.reader.latest, args), cache.getStats().hits), { timeout: 5000 }).toBeGreaterThan(0);
      const first = await cache.query(api.reader.latest, args);
      const owner = await query("reader:authorBySlug", { siteSlug: "field-notes", slug: "hannah-lindqvist" });
      const site = await query("sites:getPublic", { slug: "field-notes" });
      const as = actingAs(owner.authorId);
      const postId = await as.mutation(api.posts.create, { siteId: site._id, title: "First snowdrops" });
      await as.mutation(api.posts.publish, { siteId: site._id, postId });
      await expect.poll(async () => (await cache.query(api.reader.latest, args)).page[0].title, { timeout: 5000 }).toBe("First snowdrops");
      expect(first.page[0].title).not.toBe("First snowdrops");
      // Errors are not cached.
      await expect(cache.query(api.reader.latest, { ...args, paginationOpts: { numItems: 5, cursor: "garbage" } })).rejects.toThrow();
      expect(cache.getStats().size).toBe(1);
    } finally {
      await cache.close();
      // Let the backend finish pushing the last transition to the closed socket.
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
