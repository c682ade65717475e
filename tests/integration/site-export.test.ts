// The whole-site exports through the studio's routes (issue #17), against a local backend running
// convex/: the Ghost JSON and the Markdown zip of a publication with a post of every kind, who may
// download them (owners only), and streaming (a few hundred large posts come out of the route in
// many chunks; the heap bound is measured without a backend in the process: app/studio/export.server.test.ts).
import { unzipSync, strFromU8 } from "fflate";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as studioHome from "../../app/routes/studio._index";
import * as ghostRoute from "../../app/routes/studio.$siteId.export.ghost[.]json";
import * as markdownRoute from "../../app/routes/studio.$siteId.export.markdown[.]zip";
import { startAuthBackend } from "../support/auth";
import {
  failure,
  keepProcessEnv,
  runOn,
  stopAppBackend,
} from "../support/live-backend";
import {
  action,
  appUser,
  get,
  loader,
  ORIGIN,
  post,
  runRoute,
  type AppUser,
} from "../support/remix-app";
import { PNG, seedEveryKind, type SeededSite } from "../support/site-seed";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;
let stranger: AppUser;
let siteId: Id<"sites">;
let seeded: SeededSite;

let n = 0;
async function createSite(user: AppUser, name: string): Promise<Id<"sites">> {
  const slug = `exp-${Date.now().toString(36)}-${n++}`;
  const created = await action(
    studioHome,
    post("/studio", { name, slug, description: "" }, user.jar)
  );
  expect(created.status).toBe(302);
  return created.location!.split("/")[2] as Id<"sites">;
}

beforeAll(async () => {
  ({ backend } = await startAuthBackend("site-export-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  owner = await appUser(backend, "export-owner", "Olive Owner");
  stranger = await appUser(backend, "export-stranger", "Sam Stranger");
  siteId = await createSite(owner, "Export Daily");
  seeded = await seedEveryKind(backend, owner, siteId);
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

/** A route's raw Response (the body unread), as the server would send it. */
async function download(
  route: { loader: (args: any) => any },
  path: string,
  user?: AppUser
) {
  try {
    return (await route.loader({
      request: get(path, user?.jar),
      params: { siteId },
      context: {},
    })) as Response;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("site export", () => {
  test("Ghost JSON: every post with status, visibility, html, lexical, cover, tags and authors", async () => {
    const res = await download(
      ghostRoute,
      `/studio/${siteId}/export/ghost.json`,
      owner
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe(
      "application/json; charset=utf-8"
    );
    expect(res.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="exp-[a-z0-9-]+-ghost-\d{4}-\d{2}-\d{2}\.json"$/
    );
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    const { data, meta } = JSON.parse(await res.text()).db[0];
    expect(meta.version).toMatch(/^5\./);
    const bySlug = new Map<string, any>(
      data.posts.map((p: any) => [p.slug, p])
    );
    expect([...bySlug.keys()].sort()).toEqual(
      Object.values(seeded.slugs).sort()
    );
    const live = bySlug.get(seeded.slugs.published);
    expect(live).toMatchObject({
      status: "published",
      visibility: "public",
      custom_excerpt: "A walk along three rivers.",
      feature_image: seeded.imageUrl,
      feature_image_alt: "Heron",
      feature_image_caption: "At dawn",
    });
    expect(live.html).toContain(
      `<img src="${seeded.imageUrl}" alt="A stored heron" />`
    );
    expect(live.html).toContain(
      '<a href="https://maps.example.com/river?x=1&amp;y=2"'
    );
    expect(live.html).toContain('<ol start="3">');
    expect(JSON.parse(live.lexical).root.children[0]).toEqual({
      type: "html",
      version: 1,
      html: live.html,
    });
    expect(bySlug.get(seeded.slugs.draft).status).toBe("draft");
    expect(bySlug.get(seeded.slugs.scheduled).status).toBe("scheduled");
    expect(bySlug.get(seeded.slugs.featured)).toMatchObject({
      status: "published",
      visibility: "paid",
      feature_image: "https://images.example.com/dispatch.jpg",
    });
    const tagName = new Map(data.tags.map((t: any) => [t.id, t.name]));
    const tagsOf = (id: string) =>
      data.posts_tags
        .filter((r: any) => r.post_id === id)
        .sort((a: any, b: any) => a.sort_order - b.sort_order)
        .map((r: any) => tagName.get(r.tag_id));
    expect(tagsOf(live.id)).toEqual(["Field Essays", "Rivers", "Old Maps"]);
    expect(data.users).toEqual([
      expect.objectContaining({ name: "Olive Owner", email: owner.email }),
    ]);
    expect(
      data.posts_authors.every((r: any) => r.author_id === data.users[0].id)
    ).toBe(true);
  });

  test("Markdown zip: one file per post with front matter, the uploaded image once, referenced relatively", async () => {
    const res = await download(
      markdownRoute,
      `/studio/${siteId}/export/markdown.zip`,
      owner
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/zip");
    expect(res.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="exp-[a-z0-9-]+-markdown-\d{4}-\d{2}-\d{2}\.zip"$/
    );
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const image = `images/${seeded.storageId}.png`;
    expect(Object.keys(files).sort()).toEqual(
      [
        "README.md",
        image,
        ...Object.values(seeded.slugs).map((s) => `posts/${s}.md`),
      ].sort()
    );
    expect(files[image]).toEqual(PNG);
    const md = strFromU8(files[`posts/${seeded.slugs.published}.md`]!);
    const [, yamlText, body] = /^---\n([\s\S]*?)---\n\n([\s\S]*)$/.exec(md)!;
    expect(parseYaml(yamlText!)).toMatchObject({
      title: "Rivers of the north",
      status: "published",
      author: "Olive Owner",
      tags: ["Rivers", "Old Maps"],
      category: "Field Essays",
      excerpt: "A walk along three rivers.",
      featured: false,
      cover: `../${image}`,
      cover_alt: "Heron",
    });
    expect(body).toContain(`![A stored heron](../${image})`);
    expect(body).toContain(
      "![A linked bank](https://images.example.com/bank.jpg)"
    );
    expect(body).toContain("```ts\nconst flow");
    expect(body).toContain("> The river is everywhere at once.");
    const paid = parseYaml(
      /^---\n([\s\S]*?)---/.exec(
        strFromU8(files[`posts/${seeded.slugs.featured}.md`]!)
      )![1]!
    );
    expect(paid).toMatchObject({
      featured: true,
      cover: "https://images.example.com/dispatch.jpg",
    });
  });

  test("cross-tenant read: an owner of site A cannot export site B (404), through the routes or Convex", async () => {
    await createSite(stranger, "Stranger Times"); // the stranger owns a site of their own
    for (const [route, path] of [
      [ghostRoute, `/studio/${siteId}/export/ghost.json`],
      [markdownRoute, `/studio/${siteId}/export/markdown.zip`],
    ] as const) {
      const res = await runRoute("loader", route, get(path, stranger.jar), {
        siteId,
      });
      expect(res.status).toBe(404);
      expect(String(res.data)).not.toContain("Rivers");
    }
    expect(
      (await failure(stranger.convex.query(api.siteExport.site, { siteId })))
        .code
    ).toBe("NOT_FOUND");
    expect(
      (
        await failure(
          stranger.convex.query(api.siteExport.posts, {
            siteId,
            paginationOpts: { numItems: 5, cursor: null },
          })
        )
      ).code
    ).toBe("NOT_FOUND");
    expect(
      (
        await failure(
          stranger.convex.query(api.siteExport.tags, {
            siteId,
            paginationOpts: { numItems: 5, cursor: null },
          })
        )
      ).code
    ).toBe("NOT_FOUND");
  });

  test("owners only: an admin of the site gets 403 from both downloads; signed out goes to the login page", async () => {
    const admin = await appUser(backend, "export-admin", "Ada Admin");
    const adminId = await runOn(backend, async (ctx) => {
      const user = await ctx.db
        .query("users")
        .withIndex("email", (q: any) => q.eq("email", admin.email))
        .unique();
      await ctx.db.insert("siteMembers", {
        siteId,
        userId: user._id,
        role: "admin",
        authorSlug: "ada-admin",
        createdAt: Date.now(),
      });
      return user._id as string;
    });
    expect(adminId).toBeTruthy();
    for (const [route, path] of [
      [ghostRoute, `/studio/${siteId}/export/ghost.json`],
      [markdownRoute, `/studio/${siteId}/export/markdown.zip`],
    ] as const) {
      expect(
        (await runRoute("loader", route, get(path, admin.jar), { siteId }))
          .status
      ).toBe(403);
      const out = await runRoute("loader", route, get(path), { siteId });
      expect(out.status).toBe(302);
      expect(out.location).toMatch(/^\/login\?/);
    }
    expect(
      (await failure(admin.convex.query(api.siteExport.site, { siteId }))).code
    ).toBe("FORBIDDEN");
  });

  test("streaming: 300 posts of ~60 kB leave the Ghost JSON route in many chunks, one per page read (heap bound: app/studio/export.server.test.ts)", async () => {
    const big = await createSite(owner, "Big Archive");
    const words = Array.from({ length: 9_000 }, (_, i) => `word${i % 97}`).join(
      " "
    );
    // 50 posts a transaction (a mutation writes at most 16 MiB).
    for (let from = 0; from < 300; from += 50)
      await runOn(backend, async (ctx) => {
        const site = await ctx.db.get("sites", big);
        const user = await ctx.db.get("users", site.ownerId);
        const now = Date.now();
        for (let i = from; i < from + 50; i++) {
          const doc = JSON.stringify({
            type: "doc",
            content: [
              {
                type: "paragraph",
                content: [{ type: "text", text: `${i} ${words}` }],
              },
            ],
          });
          const postId = await ctx.db.insert("posts", {
            siteId: big,
            authorId: user._id,
            authorName: user.name,
            title: `Post ${i}`,
            slug: `post-${String(i).padStart(3, "0")}`,
            status: "published",
            featured: false,
            tagIds: [],
            publishedAt: now - i,
            createdAt: now - i,
            updatedAt: now - i,
          });
          await ctx.db.insert("postBodies", {
            siteId: big,
            postId,
            kind: "published",
            version: 1,
            title: `Post ${i}`,
            doc,
            text: "",
            searchText: "",
            wordCount: 9_000,
            updatedAt: now,
            updatedBy: user._id,
          });
          await ctx.db.insert("postBodies", {
            siteId: big,
            postId,
            kind: "draft",
            version: 1,
            title: `Post ${i}`,
            doc,
            text: "",
            searchText: "",
            wordCount: 9_000,
            updatedAt: now,
            updatedBy: user._id,
          });
        }
        return null;
      });
    const res = (await ghostRoute.loader({ request: get(`/studio/${big}/export/ghost.json`, owner.jar), params: { siteId: big }, context: {} } as never)) as Response;
    const reader = res.body!.getReader();
    let chunks = 0;
    let bytes = 0;
    const decoder = new TextDecoder();
    let tail = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.byteLength;
      tail = (tail + decoder.decode(value, { stream: true })).slice(-200);
    }
    console.log(`[site-export] ghost.json of 300 posts through the route: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${chunks} chunks`);
    expect(tail.endsWith("}}]}")).toBe(true);
    expect(chunks).toBeGreaterThanOrEqual(12); // 300 posts / 25 a page, plus start, tags and end
    expect(bytes).toBeGreaterThan(15 * 2 ** 20);
  }, 240_000);
});
