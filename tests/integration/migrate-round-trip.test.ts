// The round trip (issue #17): a publication with a post of every kind is exported as Ghost JSON
// through the studio's route, the file is imported into a NEW publication through the import job
// (contentImport.start → dry run → confirm → done, on a real local backend), and the two sites
// must render the same posts: the same body HTML from the one renderer (app/editor/render.ts) for
// each slug, the same status, dates, excerpt, paywall flag, cover and author. Ghost has tags only,
// so the first site's category comes back as the first tag (Ghost's primary tag).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { docToSafeHtml } from "../../app/editor/render";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as studioHome from "../../app/routes/studio._index";
import * as ghostRoute from "../../app/routes/studio.$siteId.export.ghost[.]json";
import { startAuthBackend } from "../support/auth";
import { keepProcessEnv, runOn, stopAppBackend } from "../support/live-backend";
import { action, appUser, get, loader, ORIGIN, post, type AppUser } from "../support/remix-app";
import { seedEveryKind, type SeededSite } from "../support/site-seed";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("round-trip-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  owner = await appUser(backend, "round-trip", "Rita Roundtrip");
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

let n = 0;
async function createSite(name: string): Promise<Id<"sites">> {
  const created = await action(studioHome, post("/studio", { name, slug: `rt-${Date.now().toString(36)}-${n++}`, description: "" }, owner.jar));
  expect(created.status).toBe(302);
  return created.location!.split("/")[2] as Id<"sites">;
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== null) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Imports a file into `siteId` through the job, as the studio does; returns the finished job. */
async function importFile(siteId: Id<"sites">, bytes: Uint8Array, fileName: string) {
  const uploadUrl = await owner.convex.mutation(api.contentImport.generateUploadUrl, { siteId });
  const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: bytes as Uint8Array<ArrayBuffer> });
  const { storageId } = (await res.json()) as { storageId: Id<"_storage"> };
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const importId = await owner.convex.mutation(api.contentImport.start, { siteId, storageId, sha256, fileName });
  const job = () => owner.convex.query(api.contentImport.get, { siteId, importId });
  const dry = await until("the dry run", 120_000, async () => ((await job())?.status !== "analyzing" ? await job() : null));
  expect(dry?.error ?? null).toBeNull();
  expect(dry?.status).toBe("ready");
  await owner.convex.mutation(api.contentImport.confirm, { siteId, importId });
  return await until("the import", 120_000, async () => {
    const j = await job();
    return j && ["done", "failed", "canceled"].includes(j.status) ? j : null;
  });
}

interface PostView {
  slug: string;
  status: string;
  featured: boolean;
  publishedAt: number | null;
  scheduledAt: number | null;
  excerpt: string | null;
  authorName: string;
  cover: string | null;
  tags: string[];
  category: string | null;
  html: string;
}

/** Every post of a site as a reader sees it: the rendered body (live version, else the draft) and its card. */
async function postsOf(siteId: Id<"sites">): Promise<Map<string, PostView>> {
  const rows = await runOn(backend, async (ctx) => {
    const out = [];
    for (const p of await ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", siteId)).collect()) {
      const body = async (kind: string) =>
        await ctx.db.query("postBodies").withIndex("by_siteId_and_postId_and_kind", (q: any) => q.eq("siteId", siteId).eq("postId", p._id).eq("kind", kind)).unique();
      const b = (await body("published")) ?? (await body("draft"));
      const tags = [];
      for (const id of p.tagIds) tags.push((await ctx.db.get("tags", id)).name);
      const category = p.categoryId ? (await ctx.db.get("categories", p.categoryId)).name : null;
      const cover = p.coverImageId ? await ctx.storage.getUrl(p.coverImageId) : (p.coverImageUrl ?? null);
      out.push({ p, doc: b.doc, excerpt: b.excerpt ?? null, tags, category, cover });
    }
    return out;
  });
  return new Map(
    rows.map(({ p, doc, excerpt, tags, category, cover }: any) => [
      p.slug,
      { slug: p.slug, status: p.status, featured: p.featured, publishedAt: p.publishedAt ?? null, scheduledAt: p.scheduledAt ?? null, excerpt, authorName: p.authorName, cover, tags, category, html: docToSafeHtml(doc, "page") },
    ]),
  );
}

describe("migrate round trip", () => {
  test("export Ghost JSON, import it into a new site: the same posts render the same", async () => {
    const a = await createSite("Round Trip Source");
    const seeded: SeededSite = await seedEveryKind(backend, owner, a);
    const exported = await loader(ghostRoute, get(`/studio/${a}/export/ghost.json`, owner.jar), { siteId: a });
    expect(exported.status).toBe(200);
    const file = new TextEncoder().encode(JSON.stringify(exported.data));

    const b = await createSite("Round Trip Copy");
    const job = await importFile(b, file, "round-trip-ghost.json");
    expect(job).toMatchObject({ status: "done", source: "ghost", created: 4, failed: 0 });

    const before = await postsOf(a);
    const after = await postsOf(b);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect([...before.keys()].sort()).toEqual(Object.values(seeded.slugs).sort());
    for (const [slug, was] of before) {
      const now = after.get(slug)!;
      expect(now.html, slug).toBe(was.html);
      expect(now.html.length).toBeGreaterThan(10);
      expect({ ...now, html: "", tags: now.tags, category: null }, slug).toEqual({
        ...was,
        html: "",
        // Ghost has tags only: the category is the primary (first) tag.
        tags: [...(was.category ? [was.category] : []), ...was.tags],
        category: null,
      });
    }
    // The stored image in the body and the stored cover are URLs the new site shows as they were.
    expect(after.get(seeded.slugs.published)!.html).toContain(seeded.imageUrl);
    expect(after.get(seeded.slugs.published)!.cover).toBe(seeded.imageUrl);

    // Importing the same file again creates nothing twice.
    const again = await importFile(b, file, "round-trip-ghost.json");
    expect(again).toMatchObject({ status: "done", created: 0 });
    expect((await postsOf(b)).size).toBe(4);
  }, 300_000);
});
