// The demo publications' design (issue #16): distinct themes, and logos, a site cover and post
// covers (alt text and captions) uploaded from tools/demo-covers by the same step `npm start` runs,
// idempotently, without changing the posts' demo dates or overwriting an owner's own choices.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { DEMO_DESIGN, DEMO_IMAGE_NAMES } from "../../convex/demoDesign";
import { slugify } from "../../convex/model/slugs";
import type { LocalBackend } from "../../local-backend/src/backend";
import { adminCall, runnerCall, seedDemoImages } from "../../tools/demo-covers/seed";
import { startAppBackend, stopAppBackend } from "../support/live-backend";

const DIR = "tools/demo-covers";
let backend: LocalBackend;
let anon: ConvexHttpClient;

async function run<T>(handler: (ctx: any) => Promise<T>): Promise<T> {
  const out = await backend.runner.transactInline(handler);
  if (!out.ok) throw new Error(out.message);
  return JSON.parse(out.valueJson) as T;
}

const postDates = () =>
  run(async (ctx) => {
    const out: Record<string, number> = {};
    for (const p of await ctx.db.query("posts").collect()) out[p._id] = p.updatedAt;
    return out;
  });

beforeAll(async () => {
  backend = await startAppBackend("demo-design-");
  anon = new ConvexHttpClient(backend.url);
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);
});

afterAll(() => stopAppBackend(backend));

describe("demo images", () => {
  test("the committed images: at most 12, each a PNG of at most 60 kB, every one the demo uses", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".png"));
    expect(files.length).toBeLessThanOrEqual(12);
    for (const f of files) {
      expect(statSync(`${DIR}/${f}`).size, f).toBeLessThanOrEqual(60_000);
      expect([...readFileSync(`${DIR}/${f}`).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), f).toBe("PNG");
    }
    expect(files.map((f) => f.replace(/\.png$/, "")).sort()).toEqual([...DEMO_IMAGE_NAMES].sort());
  });

  test("seeding gives the publications distinct themes, logos, a site cover and post covers with alt text and captions", async () => {
    const datesBefore = await postDates();
    const first = await seedDemoImages(runnerCall(backend.runner));
    expect(first.uploaded).toBe(DEMO_IMAGE_NAMES.length);
    const slots = Object.values(DEMO_DESIGN).reduce((n, d) => n + (d.logo ? 1 : 0) + (d.cover ? 1 : 0) + d.posts.length, 0);
    expect(first.filled).toBe(slots);

    const magazine = (await anon.query(api.sites.getPublic, { slug: "field-notes" }))!;
    expect(magazine.theme).toMatchObject({ theme: "magazine", homeLayout: "magazine", fontPair: "modern" });
    expect(magazine.theme.navLinks.map((l) => l.label)).toEqual(["Vegetables", "Soil", "Membership"]);
    expect(magazine.coverUrl).toBeTruthy();
    const ledger = (await anon.query(api.sites.getPublic, { slug: "the-ledger" }))!;
    expect(ledger.theme).toMatchObject({ theme: "classic", homeLayout: "list" });
    expect(ledger.coverUrl).toBeTruthy();
    const logo = new Uint8Array(await (await fetch(ledger.logoUrl!)).arrayBuffer());
    expect(Buffer.from(logo).equals(readFileSync(`${DIR}/ledger-logo.png`))).toBe(true);
    const themes = new Set<string>();
    for (const slug of Object.keys(DEMO_DESIGN)) {
      const site = (await anon.query(api.sites.getPublic, { slug }))!;
      themes.add(`${site.theme.theme}/${site.theme.homeLayout}/${site.theme.fontPair}`);
      expect(site.logoUrl, slug).toBeTruthy();
      for (const cover of DEMO_DESIGN[slug].posts) {
        const found = (await anon.query(api.reader.getPostWithTags, { siteSlug: slug, slug: slugify(cover.title) }))!;
        expect(found, cover.title).toBeTruthy();
        expect(found.coverImageUrl, cover.title).toBeTruthy();
        expect(found.coverImageAlt).toBe(cover.alt);
        expect(found.coverImageCaption).toBe(cover.caption);
      }
    }
    expect([...themes].sort()).toEqual(["classic/grid/grotesk", "classic/list/editorial", "magazine/magazine/modern"]);
    // Attaching covers kept the demo's dates.
    expect(await postDates()).toEqual(datesBefore);
  });

  test("a second run uploads only what an empty slot needs, and an owner's own choices are never overwritten", async () => {
    await run(async (ctx) => {
      const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", "byte-sized")).unique();
      await ctx.db.patch("sites", site._id, { branding: { accentColor: "#123456", theme: "magazine" } });
      return null;
    });
    const storedBefore = await run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length);
    // Over HTTP with the admin key, as the e2e stack seeds (tools/demo-covers/seed.ts as a CLI).
    expect(await seedDemoImages(await adminCall(backend.url, backend.adminKey))).toEqual({ uploaded: 1, filled: 1 }); // the cleared logo only
    const byte = (await anon.query(api.sites.getPublic, { slug: "byte-sized" }))!;
    expect(byte.theme.theme).toBe("magazine");
    expect(byte.logoUrl).toBeTruthy();
    expect(await seedDemoImages(runnerCall(backend.runner))).toEqual({ uploaded: 0, filled: 0 });
    expect(await run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(storedBefore + 1);
  });
});
