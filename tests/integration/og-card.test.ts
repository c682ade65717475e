// The generated Open Graph card route (/{site}/og/{postSlug}?v=) against a local backend running
// convex/ with the demo content: a real PNG for the current version with immutable caching, 302s
// for any other version and for old slugs, 404s for anything that is not a live post, no re-render
// on repeated requests, and no paid text on a featured post's card. The post page's og:image points
// at exactly the URL the route serves.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import { setReaderClientFactory } from "../../app/reader/client.server";
import { OG_CARD_HEIGHT, OG_CARD_WIDTH, type OgCardInput } from "../../app/reader/og-card";
import { CACHE_IMMUTABLE, CardCache, ogCardResponse, ogCardTree, renderOgCard, type CardNode } from "../../app/reader/og-card.server";
import * as layoutRoute from "../../app/routes/$site";
import * as postRoute from "../../app/routes/$site.$postSlug";
import * as ogRoute from "../../app/routes/$site.og.$postSlug";
import { startAppBackend, stopAppBackend } from "../support/live-backend";

const ORIGIN = "http://127.0.0.1:3000";
const SITE = "the-ledger";
const FREE = "city-budgets-explained"; // renamed from how-a-city-budget-really-works in the demo
const FEATURED = "what-rising-rates-mean-for-renters";

let backend: LocalBackend;

beforeAll(async () => {
  backend = await startAppBackend("og-card-");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
  delete process.env.ROOT_DOMAIN;
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);
  // One post of each non-live status (a scheduled post is not live until it publishes).
  const out = await backend.runner.transactInline(async (ctx: any) => {
    const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", SITE)).unique();
    const bySlug = (slug: string) => ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", site._id).eq("slug", slug)).first();
    const statuses: Array<[string, string]> = [
      ["five-myths-about-rent-control", "draft"],
      ["who-actually-buys-municipal-bonds", "scheduled"],
      ["transit-fares-will-not-save-transit", "archived"],
    ];
    for (const [slug, status] of statuses) await ctx.db.patch("posts", (await bySlug(slug))._id, { status });
    return null;
  });
  if (!out.ok) throw new Error(out.message);
});

afterAll(async () => {
  setReaderClientFactory(null);
  await stopAppBackend(backend);
});

const get = (path: string, method = "GET") => new Request(`${ORIGIN}${path}`, { method, headers: { "User-Agent": "vitest" } });

/** Runs the route's loader; a thrown Response (404) is returned like a returned one. */
async function card(path: string, cards?: CardCache, method = "GET"): Promise<Response> {
  const [, site, , postSlug] = new URL(`${ORIGIN}${path}`).pathname.split("/");
  try {
    return cards ? await ogCardResponse(get(path, method), { site, postSlug }, cards) : await ogRoute.loader({ request: get(path, method), params: { site, postSlug }, context: {} });
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
}

/** The post page's og:image, as its meta function computes it from the loaders' data. */
async function pageImage(slug: string): Promise<{ image: string; twitterCard: string }> {
  const params = { site: SITE, postSlug: slug };
  const layout: any = await layoutRoute.loader({ request: get(`/${SITE}/${slug}`), params, context: {} } as any);
  const page: any = await postRoute.loader({ request: get(`/${SITE}/${slug}`), params, context: {} });
  const site = (layout.data ?? layout).site;
  const meta = postRoute.meta({ data: page.data, matches: [{ id: "routes/$site", data: { site } }] } as any) as any[];
  return {
    image: meta.find((m) => m.property === "og:image")?.content,
    twitterCard: meta.find((m) => m.name === "twitter:card")?.content,
  };
}

function pngSize(png: Uint8Array) {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(new TextDecoder().decode(png.subarray(12, 16))).toBe("IHDR");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function texts(node: CardNode | string): string[] {
  if (typeof node === "string") return [node];
  const c = node.props.children;
  return c === undefined ? [] : (Array.isArray(c) ? c : [c]).flatMap(texts);
}

describe("the card route", () => {
  test("the post page's og:image is the card, and the card is a real 1200×630 PNG cached forever", async () => {
    const { image, twitterCard } = await pageImage(FREE);
    expect(image).toMatch(new RegExp(`^${ORIGIN}/${SITE}/og/${FREE}\\?v=[0-9a-z]+\\.[0-9a-z]+$`));
    expect(twitterCard).toBe("summary_large_image");
    const path = image.slice(ORIGIN.length);
    const r = await card(path);
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toBe("image/png");
    expect(r.headers.get("Cache-Control")).toBe(CACHE_IMMUTABLE);
    expect(r.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const png = new Uint8Array(await r.arrayBuffer());
    expect(Number(r.headers.get("Content-Length"))).toBe(png.byteLength);
    expect(pngSize(png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
    const head = await card(path, undefined, "HEAD");
    expect(head.status).toBe(200);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  test("a stale or missing version, or an old slug, redirects (302) to the current card", async () => {
    const { image } = await pageImage(FREE);
    const current = image.slice(ORIGIN.length);
    for (const path of [`/${SITE}/og/${FREE}`, `/${SITE}/og/${FREE}?v=0.0`, `/${SITE}/og/${FREE}?v=`, `/${SITE}/og/how-a-city-budget-really-works?v=x`]) {
      const r = await card(path);
      expect(r.status, path).toBe(302);
      expect(r.headers.get("Location"), path).toBe(current);
      expect(r.headers.get("Cache-Control"), path).not.toContain("immutable");
    }
  });

  test("a new title is a new version: the old URL redirects, the new one renders", async () => {
    const before = (await pageImage(FEATURED)).image.slice(ORIGIN.length);
    const out = await backend.runner.transactInline(async (ctx: any) => {
      const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", SITE)).unique();
      const post = await ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", site._id).eq("slug", FEATURED)).first();
      await ctx.db.patch("posts", post._id, { title: "What rising rates mean for renters (updated)", updatedAt: post.updatedAt + 1000 });
      return null;
    });
    if (!out.ok) throw new Error(out.message);
    const after = (await pageImage(FEATURED)).image.slice(ORIGIN.length);
    expect(after).not.toBe(before);
    const stale = await card(before);
    expect(stale.status).toBe(302);
    expect(stale.headers.get("Location")).toBe(after);
    expect((await card(after)).status).toBe(200);
  });

  test("unknown, draft, scheduled and archived posts, and unknown sites, have no card (404)", async () => {
    for (const path of [
      `/${SITE}/og/no-such-post?v=1`,
      `/${SITE}/og/five-myths-about-rent-control?v=1`,
      `/${SITE}/og/who-actually-buys-municipal-bonds?v=1`,
      `/${SITE}/og/transit-fares-will-not-save-transit`,
      `/no-such-site/og/${FREE}?v=1`,
      // A post of another site through this site's address is not found either.
      `/${SITE}/og/the-tomatoes-i-started-too-early`,
    ]) {
      const r = await card(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get("Content-Type") ?? "", path).not.toContain("image/png");
    }
  });

  test("repeated requests are served from the byte-bounded cache without re-rendering", async () => {
    const renders: OgCardInput[] = [];
    const cards = new CardCache(4 * 2 ** 20, (c) => (renders.push(c), renderOgCard(c)));
    const path = (await pageImage(FREE)).image.slice(ORIGIN.length);
    const t0 = performance.now();
    const first = new Uint8Array(await (await card(path, cards)).arrayBuffer());
    const cold = performance.now() - t0;
    const t1 = performance.now();
    const again = new Uint8Array(await (await card(path, cards)).arrayBuffer());
    const warm = performance.now() - t1;
    expect(again).toEqual(first);
    expect(renders).toHaveLength(1);
    expect(cards.stats).toEqual({ hits: 1, renders: 1 });
    expect(cards.bytes).toBe(first.byteLength);
    console.log(`[og-card] render through the route: cold ${cold.toFixed(0)} ms, cached ${warm.toFixed(1)} ms, ${first.byteLength} bytes`);
  });

  test("paywall leak: the OG card of a featured post has no body text", async () => {
    const body = await backend.runner.transactInline(async (ctx: any) => {
      const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", SITE)).unique();
      const post = await ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", site._id).eq("slug", FEATURED)).first();
      const published = await ctx.db
        .query("postBodies")
        .withIndex("by_siteId_and_postId_and_kind", (q: any) => q.eq("siteId", site._id).eq("postId", post._id).eq("kind", "published"))
        .unique();
      return { title: post.title, featured: post.featured, excerpt: post.excerpt, text: published.text as string };
    });
    if (!body.ok) throw new Error(body.message);
    const { title, featured, excerpt, text } = JSON.parse(body.valueJson) as { title: string; featured: boolean; excerpt: string; text: string };
    expect(featured).toBe(true);
    expect(text).toContain("For subscribers: the full analysis");

    const renders: OgCardInput[] = [];
    const cards = new CardCache(4 * 2 ** 20, async (c) => (renders.push(c), renderOgCard(c)));
    const path = (await pageImage(FEATURED)).image.slice(ORIGIN.length);
    const r = await card(path, cards);
    expect(r.status).toBe(200);
    expect(renders).toHaveLength(1);
    // What the card was drawn from: the title, the site's name and its accent, nothing else.
    expect(Object.keys(renders[0]).sort()).toEqual(["accent", "logoUrl", "siteName", "title"]);
    const drawn = texts(ogCardTree(renders[0]));
    expect(drawn).toEqual(["T", "The Ledger", title]);
    // Not one sentence of the body (free or paid part) nor the excerpt is on the card.
    const sentences = [excerpt, ...text.split(/(?<=[.!?])\s+/)].map((s) => s.trim()).filter((s) => s.length > 20);
    expect(sentences.length).toBeGreaterThan(5);
    for (const s of sentences) for (const t of drawn) expect(t).not.toContain(s.slice(0, 20));
  });
});
