import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import satori from "satori";
import { describe, expect, test } from "vitest";
import { OG_CARD_HEIGHT, OG_CARD_WIDTH, ogCardPath, ogCardVersion, type OgCardInput } from "./og-card";
import { CardCache, clampChars, fetchLogo, ogCardTree, renderOgCard, type CardNode } from "./og-card.server";
import { postImage } from "./seo";

// The generated Open Graph card: a real 1200×630 PNG, text passed to satori as strings (never
// markup), long titles clamped, the PNG cache bounded by bytes, and seo.ts using the card only for
// posts without a cover. The route itself (versions, redirects, 404s, paywall) is tested against a
// live backend in tests/integration/og-card.test.ts.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk (which must come first). */
function pngSize(png: Uint8Array): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(new TextDecoder().decode(png.subarray(12, 16))).toBe("IHDR");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Every string in the element tree, in order. */
function texts(node: CardNode | string): string[] {
  if (typeof node === "string") return [node];
  const c = node.props.children;
  if (c === undefined) return [];
  return (Array.isArray(c) ? c : [c]).flatMap(texts);
}

/** The card as SVG with its glyphs kept as <text> elements (not outlined), to read what is drawn where. */
async function textSvg(card: OgCardInput): Promise<string> {
  return await satori(ogCardTree(card) as never, {
    width: OG_CARD_WIDTH,
    height: OG_CARD_HEIGHT,
    embedFont: false,
    fonts: [{ name: "Inter", data: readFileSync(createRequire(import.meta.url).resolve("@fontsource/inter/files/inter-latin-700-normal.woff")), weight: 700 }],
  });
}

const CARD: OgCardInput = { title: "How a city budget really works", siteName: "The Ledger", accent: "#0f6b4f" };

describe("rendering", () => {
  test("a card is a real 1200×630 PNG", async () => {
    const { png, complete } = await renderOgCard(CARD);
    expect(complete).toBe(true);
    expect(pngSize(png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
    expect(png.byteLength).toBeGreaterThan(5_000); // drawn, not an empty canvas
  });

  test("the card shows exactly the title and the site name (and the site's initial)", () => {
    expect(texts(ogCardTree(CARD))).toEqual(["T", "The Ledger", "How a city budget really works"]);
  });

  test("XSS: a title with markup renders as text", async () => {
    const title = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"';
    const card = { ...CARD, title, siteName: "<b>Site</b>" };
    // satori gets the raw strings as text children: nothing parses them as elements.
    expect(texts(ogCardTree(card))).toEqual(["<", "<b>Site</b>", title]);
    // With glyphs kept as <text> (not outlined), the SVG holds the title as escaped text only.
    const svg = await textSvg(card);
    expect(svg).not.toMatch(/<script|<img|<b>|onerror=/i);
    // Every character of the title is drawn as text: the <text> contents, decoded, spell it out.
    const drawn = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)]
      .map((m) => m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&"))
      .join("")
      .replace(/\s/g, "");
    expect(drawn).toContain(title.replace(/\s/g, ""));
    expect(drawn).toContain("<b>Site</b>");
    expect(pngSize((await renderOgCard(card)).png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
  });

  test("long titles are clamped with an ellipsis and stay on the card, never cut inside a character", async () => {
    const long = "A very long title about municipal finance, ".repeat(10);
    const [, , title] = texts(ogCardTree({ ...CARD, title: long }));
    expect(Array.from(title).length).toBeLessThanOrEqual(110);
    expect(title.endsWith("…")).toBe(true);
    // Every glyph box lies inside the card, even for the widest letters without a break.
    for (const t of [long, `${"W".repeat(40)} ${"M".repeat(40)} ${"WWWW MMMM ".repeat(6)}`, "Short"]) {
      const boxes = [...(await textSvg({ ...CARD, title: t })).matchAll(/<text x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
      expect(boxes.length).toBeGreaterThan(2);
      for (const [x, y, w] of boxes) {
        expect(x + w, t).toBeLessThanOrEqual(OG_CARD_WIDTH);
        expect(y, t).toBeLessThanOrEqual(OG_CARD_HEIGHT);
      }
    }
    expect(clampChars("ab😀cd", 4)).toBe("ab😀…");
    expect(clampChars("  spaced \n\t out  ", 40)).toBe("spaced out");
    expect(pngSize((await renderOgCard({ ...CARD, title: long })).png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
  });
});

describe("CardCache", () => {
  const fakeRender = (bytes: number) => {
    const calls: string[] = [];
    return { calls, render: async (c: OgCardInput) => (calls.push(c.title), { png: new Uint8Array(bytes), complete: true }) };
  };

  test("repeated requests render once, concurrent ones share the render", async () => {
    const fake = fakeRender(100);
    const cache = new CardCache(10_000, fake.render);
    const [a, b] = await Promise.all([cache.get(CARD), cache.get(CARD)]);
    expect(a).toBe(b);
    await cache.get(CARD);
    expect(fake.calls).toEqual([CARD.title]);
    expect(cache.stats).toEqual({ hits: 1, renders: 1 });
    // Anything the card shows is part of the key.
    await cache.get({ ...CARD, accent: "#000000" });
    expect(fake.calls).toHaveLength(2);
  });

  test("the cache is bounded by bytes, evicting the least recently used card", async () => {
    const fake = fakeRender(400);
    const cache = new CardCache(1_000, fake.render);
    for (const title of ["a", "b"]) await cache.get({ ...CARD, title });
    await cache.get({ ...CARD, title: "a" }); // a is now the most recently used
    await cache.get({ ...CARD, title: "c" });
    expect(cache.bytes).toBe(800);
    expect(cache.size).toBe(2);
    await cache.get({ ...CARD, title: "a" });
    await cache.get({ ...CARD, title: "b" }); // evicted: rendered again
    expect(fake.calls).toEqual(["a", "b", "c", "b"]);
    expect(cache.bytes).toBeLessThanOrEqual(1_000);
  });

  test("a failed render is not cached", async () => {
    let fail = true;
    const cache = new CardCache(1_000, async () => {
      if (fail) throw new Error("boom");
      return { png: new Uint8Array(10), complete: true };
    });
    await expect(cache.get(CARD)).rejects.toThrow("boom");
    fail = false;
    expect((await cache.get(CARD)).png.byteLength).toBe(10);
    expect(cache.stats.renders).toBe(2);
  });
});

describe("the site's logo", () => {
  const LOGO = readFileSync("tools/demo-covers/ledger-logo.png");
  const pngUrl = `data:image/png;base64,${LOGO.toString("base64")}`;

  test("a PNG or JPEG logo is drawn in place of the initial; anything else is ignored", async () => {
    expect(await fetchLogo(pngUrl)).toBe(pngUrl);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]).toString("base64");
    expect(await fetchLogo(`data:image/jpeg;base64,${jpeg}`)).toBe(`data:image/jpeg;base64,${jpeg}`);
    // An SVG (or a file that only claims to be a PNG) is not drawn: its bytes decide.
    expect(await fetchLogo(`data:image/png;base64,${Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>").toString("base64")}`)).toBeNull();
    const tree = ogCardTree({ ...CARD, logoUrl: "https://storage.example/logo" }, pngUrl);
    expect(JSON.stringify(tree)).toContain(pngUrl);
    expect(texts(tree)).toEqual(["The Ledger", "How a city budget really works"]);
    const withLogo = await renderOgCard({ ...CARD, logoUrl: "https://storage.example/logo" }, async () => pngUrl);
    const without = await renderOgCard(CARD);
    expect(withLogo.complete).toBe(true);
    expect(pngSize(withLogo.png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
    expect(Buffer.from(withLogo.png).equals(Buffer.from(without.png))).toBe(false);
  });

  test("an unreachable logo: the card is drawn without it and not kept, so the next request tries again", async () => {
    let calls = 0;
    const cache = new CardCache(10 * 2 ** 20, (c) =>
      renderOgCard(c, async () => {
        calls++;
        throw new Error("offline");
      }),
    );
    const card = { ...CARD, logoUrl: "https://storage.example/logo" };
    const first = await cache.get(card);
    expect(first.complete).toBe(false);
    expect(pngSize(first.png)).toEqual({ width: OG_CARD_WIDTH, height: OG_CARD_HEIGHT });
    expect((await cache.get(card)).complete).toBe(false);
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe("seo.ts postImage", () => {
  const site = { name: "The Ledger", canonicalBase: "https://example.com/the-ledger", logoUrl: null, accent: { light: "#0f6b4f", dark: "#5fd3a8" } };
  const post = { slug: "city-budgets", title: "How a city budget really works", updatedAt: 1_700_000_000_000, coverImageUrl: null };

  test("falls back to the generated card only when the post has no cover", () => {
    expect(postImage(site, { ...post, coverImageUrl: "https://cdn.example/cover.jpg" })).toBe("https://cdn.example/cover.jpg");
    const card = postImage(site, post);
    expect(card).toBe(ogCardPath(site.canonicalBase, post.slug, ogCardVersion({ title: post.title, siteName: site.name, accent: "#0f6b4f", logoUrl: null }, post.updatedAt)));
    expect(card).toMatch(/^https:\/\/example\.com\/the-ledger\/og\/city-budgets\?v=[0-9a-z]+\.[0-9a-z]+$/);
  });

  test("the card URL changes with anything the card shows, and with the post's version", () => {
    const base = postImage(site, post);
    const variants = [
      postImage(site, { ...post, title: "Another title" }),
      postImage({ ...site, name: "The Ledger Weekly" }, post),
      postImage({ ...site, accent: { ...site.accent, light: "#123456" } }, post),
      postImage(site, { ...post, updatedAt: post.updatedAt + 1000 }),
      postImage({ ...site, logoUrl: "https://storage.example/logo" }, post),
    ];
    expect(new Set([base, ...variants]).size).toBe(6);
    expect(postImage(site, { ...post })).toBe(base);
  });
});
