// Issue #17: an imported post's old addresses (legacyPaths rows, written by the import) answer with
// a 301 to the post on this site, through the real reader loaders against a local backend; unknown
// paths stay 404s, a draft's old address is a 404, and nothing ever redirects off the site.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import { routeHost } from "../../app/reader/front.server";
import { setReaderClientFactory } from "../../app/reader/client.server";
import { isSameSitePath } from "../../app/reader/legacy.server";
import type { HostConfig } from "../../app/reader/site.server";
import * as postRoute from "../../app/routes/$site.$postSlug";
import * as homeRoute from "../../app/routes/$site._index";
import * as oldRoute from "../../app/routes/$site.$";
import * as authorRoute from "../../app/routes/$site.author.$authorSlug";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { PostCardView, PostHead } from "../../app/reader/components";
import type { SiteData } from "../../app/reader/types";
import { keepProcessEnv, startAppBackend, stopAppBackend } from "../support/live-backend";

const ORIGIN = "http://127.0.0.1:3000";
const DOMAIN = "news.example.org";
const COVER = "https://cdn.old-blog.example/images/river.jpg";
let backend: LocalBackend;
const restoreEnv = keepProcessEnv("CONVEX_URL", "READER_CACHE", "ROOT_DOMAIN", "SITE_URL_FORM");

beforeAll(async () => {
  backend = await startAppBackend("legacy-redirects-");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
  delete process.env.ROOT_DOMAIN;
  delete process.env.SITE_URL_FORM;
  const out = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const userId = await ctx.db.insert("users", { name: "Wendy Writer", email: "wendy@example.com", role: "user", isActive: true, createdAt: now, updatedAt: now });
    const siteId = await ctx.db.insert("sites", { name: "Old Blog", slug: "old-blog", ownerId: userId, createdAt: now, updatedAt: now, customDomain: DOMAIN, customDomainVerifiedAt: now });
    const otherId = await ctx.db.insert("sites", { name: "Other", slug: "other-blog", ownerId: userId, createdAt: now, updatedAt: now });
    await ctx.db.insert("siteMembers", { siteId, userId, role: "owner", authorSlug: "wendy", createdAt: now });
    const post = async (site: string, slug: string, status: "published" | "draft") => {
      const id = await ctx.db.insert("posts", {
        siteId: site, authorId: userId, authorName: "Wendy Writer", title: slug, slug, status, featured: false, tagIds: [],
        ...(status === "published" ? { publishedAt: now - 1000 } : {}), createdAt: now, updatedAt: now,
      });
      return id;
    };
    const moved = await post(siteId, "spring-rivers-2", "published");
    const draft = await post(siteId, "secret-draft-slug", "draft");
    const elsewhere = await post(otherId, "their-post", "published");
    const paths: Array<[string, string]> = [
      ["/2019/03/04/spring-rivers", moved], // WordPress dated permalink
      ["?p=123", moved], // WordPress ?p=ID
      ["/p/spring-rivers", moved], // Substack
      ["/spring-rivers", moved], // Ghost "/slug/" (the slug clashed on import: spring-rivers-2)
      ["/p/the-draft", draft],
      ["?p=7", draft],
    ];
    for (const [path, postId] of paths) await ctx.db.insert("legacyPaths", { siteId, path, postId, createdAt: now });
    // Imported covers kept as URLs (posts.coverImageUrl): an http(s) one is shown; anything else is no cover.
    for (const [slug, url] of [["with-cover", COVER], ["hostile-cover", "javascript:alert(1)"]]) {
      const id = await post(siteId, slug, "published");
      await ctx.db.patch(id, { coverImageUrl: url, coverImageAlt: "A river in spring" });
      await ctx.db.insert("postBodies", { siteId, postId: id, kind: "published", version: 1, title: slug, doc: JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Body." }] }] }), text: "Body.", searchText: `${slug} Body.`, wordCount: 1, updatedAt: now, updatedBy: userId });
    }
    // A claimed placeholder author's page whose claimant already had one (model/placeholders.ts).
    await ctx.db.insert("slugRedirects", { siteId, kind: "author", fromSlug: "ada-imported", targetId: userId, createdAt: now });
    // Another site's old address must not answer here.
    await ctx.db.insert("legacyPaths", { siteId: otherId, path: "/p/their-post", postId: elsewhere, createdAt: now });
    return null;
  });
  if (!out.ok) throw new Error(out.message);
});

afterAll(async () => {
  setReaderClientFactory(null);
  restoreEnv();
  await stopAppBackend(backend);
});

type Loader = (args: any) => unknown;

/** Runs a loader as Remix does and reports its status and Location (or 200 for data). */
async function run(loader: Loader, url: string, params: Record<string, string>): Promise<{ status: number; location: string | null }> {
  try {
    const r: any = await loader({ request: new Request(url, { headers: { "User-Agent": "vitest" } }), params, context: {} });
    return r instanceof Response ? { status: r.status, location: r.headers.get("Location") } : { status: 200, location: null };
  } catch (e) {
    if (e instanceof Response) return { status: e.status, location: e.headers.get("Location") };
    throw e;
  }
}

/** A path below /old-blog on the platform host, through the splat route. */
const old = (rest: string) => run(oldRoute.loader, `${ORIGIN}/old-blog${rest}`, { site: "old-blog", "*": rest.slice(1) });

describe("old addresses of imported posts", () => {
  test("each old URL shape is a 301 to the post's current address", async () => {
    const to = { status: 301, location: "/old-blog/spring-rivers-2" };
    expect(await old("/2019/03/04/spring-rivers/")).toEqual(to);
    expect(await old("/2019/03/04/spring-rivers")).toEqual(to);
    expect(await old("/p/spring-rivers")).toEqual(to);
    expect(await old("/P/Spring-Rivers/")).toEqual(to); // the key is case-insensitive, as WordPress and Substack are
    expect(await run(homeRoute.loader, `${ORIGIN}/old-blog/?p=123`, { site: "old-blog" })).toEqual(to);
    // Ghost "/slug/": the post route itself, when no post has that slug.
    expect(await run(postRoute.loader, `${ORIGIN}/old-blog/spring-rivers/`, { site: "old-blog", postSlug: "spring-rivers" })).toEqual(to);
  });

  test("unknown paths stay 404s; an unknown ?p= shows the home", async () => {
    expect(await old("/2019/03/04/nothing-here/")).toEqual({ status: 404, location: null });
    expect(await old("/p/nothing")).toEqual({ status: 404, location: null });
    expect(await old("/a/b/c")).toEqual({ status: 404, location: null });
    expect(await run(postRoute.loader, `${ORIGIN}/old-blog/nothing`, { site: "old-blog", postSlug: "nothing" })).toMatchObject({ status: 404 });
    expect(await run(homeRoute.loader, `${ORIGIN}/old-blog/?p=999`, { site: "old-blog" })).toEqual({ status: 200, location: null });
    // An unknown publication is a 404 whatever the path.
    expect(await run(oldRoute.loader, `${ORIGIN}/no-such-blog/p/spring-rivers`, { site: "no-such-blog", "*": "p/spring-rivers" })).toMatchObject({ status: 404 });
  });

  test("paywall leak: a draft's old address is a 404 that never names the draft's slug", async () => {
    for (const r of [await old("/p/the-draft"), await run(homeRoute.loader, `${ORIGIN}/old-blog/?p=7`, { site: "old-blog" })]) {
      expect(r.location ?? "").not.toContain("secret-draft-slug");
      expect(r.status === 404 || r.status === 200).toBe(true);
    }
    expect(await old("/p/the-draft")).toEqual({ status: 404, location: null });
  });

  test("cross-tenant read: another site's old address does not answer on this one", async () => {
    expect(await old("/p/their-post")).toEqual({ status: 404, location: null });
    expect(await run(oldRoute.loader, `${ORIGIN}/other-blog/p/their-post`, { site: "other-blog", "*": "p/their-post" })).toEqual({
      status: 301,
      location: "/other-blog/their-post",
    });
  });

  test("open redirect: an old-address lookup never redirects off the site", async () => {
    const hostile = ["//evil.com", "//evil.com/p/spring-rivers", "/\\evil.com", "/%2F%2Fevil.com", "/%5Cevil.com", "/p/%2F%2Fevil.com", "/https:/evil.com", "/..%2F..%2Fevil.com"];
    for (const rest of hostile) {
      const r = await old(rest);
      expect(r.status, rest).toBe(404);
      expect(r.location, rest).toBeNull();
    }
    // A redirect that does happen is a path on this host.
    const r = await old("/p/spring-rivers");
    expect(isSameSitePath(r.location!)).toBe(true);
    for (const bad of ["//evil.com", "/\\evil.com", "https://evil.com", "/\tevil", "evil.com"]) expect(isSameSitePath(bad), bad).toBe(false);
  });

  test("on the site's verified custom domain the old addresses (where old links point) 301 to host-relative paths", async () => {
    process.env.ROOT_DOMAIN = "pressroom.test";
    try {
      const config: HostConfig = { rootDomain: "pressroom.test", form: "path" };
      for (const [oldUrl, loader, params] of [
        ["/2019/03/04/spring-rivers/", oldRoute.loader, { "*": "2019/03/04/spring-rivers/" }],
        ["/p/spring-rivers", oldRoute.loader, { "*": "p/spring-rivers" }],
        ["/spring-rivers/", postRoute.loader, { postSlug: "spring-rivers" }],
        ["/?p=123", homeRoute.loader, {}],
      ] as const) {
        const url = new URL(`http://${DOMAIN}${oldUrl}`);
        const route = await routeHost(url, DOMAIN, config);
        expect(route.kind, oldUrl).toBe("site");
        if (route.kind !== "site") continue;
        const rewritten = `http://${DOMAIN}${route.path}${url.search}`;
        const r = await run(loader, rewritten, { site: "old-blog", ...params });
        expect(r, oldUrl).toEqual({ status: 301, location: "/spring-rivers-2" });
      }
    } finally {
      delete process.env.ROOT_DOMAIN;
    }
  });

  test("an imported cover URL is the post's cover on its page, its card and its meta; a non-http(s) one is no cover", async () => {
    const r: any = await postRoute.loader({ request: new Request(`${ORIGIN}/old-blog/with-cover`), params: { site: "old-blog", postSlug: "with-cover" }, context: {} });
    const data = r.type === "DataWithResponseInit" ? r.data : r;
    expect(data.post.coverImageUrl).toBe(COVER);
    expect(data.post.coverImageAlt).toBe("A river in spring");
    const site = { name: "Old Blog", slug: "old-blog", base: "/old-blog", canonicalBase: `${ORIGIN}/old-blog`, theme: { homeLayout: "list" } } as unknown as SiteData;
    const head = renderToStaticMarkup(createElement(PostHead, { site, post: data.post, dek: null, caption: null, updatedAt: data.post.updatedAt }));
    expect(head).toContain(`src="${COVER}"`);
    expect(head).toContain(`alt="A river in spring"`);
    const card = renderToStaticMarkup(createElement(PostCardView, { site, post: data.post, shape: "tile" } as any));
    expect(card).toContain(`src="${COVER}"`);
    const meta = postRoute.meta({ data, matches: [{ id: "routes/$site", data: { site } }], location: { search: "" } } as any) as Array<Record<string, string>>;
    expect(meta.some((m) => m.property === "og:image" && m.content === COVER)).toBe(true);

    const hostile: any = await postRoute.loader({ request: new Request(`${ORIGIN}/old-blog/hostile-cover`), params: { site: "old-blog", postSlug: "hostile-cover" }, context: {} });
    const hostileData = hostile.type === "DataWithResponseInit" ? hostile.data : hostile;
    expect(hostileData.post.coverImageUrl).toBeNull();
    expect(renderToStaticMarkup(createElement(PostHead, { site, post: hostileData.post, dek: null, caption: null }))).not.toContain("javascript:");
  });

  test("a claimed placeholder author's old page 301s to the claimant's; unknown authors stay 404", async () => {
    expect(await run(authorRoute.loader, `${ORIGIN}/old-blog/author/ada-imported`, { site: "old-blog", authorSlug: "ada-imported" })).toEqual({
      status: 301,
      location: "/old-blog/author/wendy",
    });
    expect(await run(authorRoute.loader, `${ORIGIN}/old-blog/author/nobody`, { site: "old-blog", authorSlug: "nobody" })).toEqual({ status: 404, location: null });
    expect(await run(authorRoute.loader, `${ORIGIN}/other-blog/author/ada-imported`, { site: "other-blog", authorSlug: "ada-imported" })).toEqual({ status: 404, location: null });
  });
});

