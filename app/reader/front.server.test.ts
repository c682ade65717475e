import { gunzipSync } from "node:zlib";
import { describe, expect, test, vi } from "vitest";
import { PLATFORM_PATHS, RESERVED_POST_SLUGS, RESERVED_SITE_SLUGS } from "../../convex/shared/constants";
import { cachedResponse, ResponseCache, routeHost, unknownHost, VIEW_HEADER } from "./front.server";
import { CACHE_PRIVATE, CACHE_PUBLIC } from "./http.server";
import { recordDependency, recordUntracked } from "./request-deps.server";
import { hostConfig, type PublicSite } from "./site.server";

const site = (slug: string, customDomain: string | null = null): PublicSite =>
  ({ _id: "s1", name: slug, slug, description: null, customDomain, accentColor: null, logoUrl: null }) as unknown as PublicSite;
const sites = [site("night-desk"), site("garden", "garden.example.org")];
const lookup = async (by: { slug: string } | { domain: string }) =>
  "slug" in by ? (sites.find((s) => s.slug === by.slug) ?? null) : (sites.find((s) => s.customDomain === by.domain) ?? null);
const config = hostConfig({ ROOT_DOMAIN: "pressroom.example", SITE_URL_FORM: "subdomain" });
const route = (url: string, host: string) => routeHost(new URL(url), host, config, lookup);

describe("routeHost: a publication's own host", () => {
  test("platform hosts pass through untouched", async () => {
    for (const host of ["pressroom.example", "www.pressroom.example", "127.0.0.1:3000", "localhost"]) {
      expect(await route("http://x/night-desk/a-post", host)).toEqual({ kind: "platform" });
    }
    // Without ROOT_DOMAIN every host is the platform (development).
    expect(await routeHost(new URL("http://garden.example.org/a"), "garden.example.org", hostConfig({}), lookup)).toEqual({ kind: "platform" });
  });

  test("a subdomain or custom domain serves its site's pages at /{site}/… for the routes", async () => {
    expect(await route("http://x/a-post", "night-desk.pressroom.example")).toMatchObject({ kind: "site", path: "/night-desk/a-post" });
    expect(await route("http://x/", "night-desk.pressroom.example")).toMatchObject({ kind: "site", path: "/night-desk/" });
    expect(await route("http://x/tag/budgets/rss.xml", "garden.example.org")).toMatchObject({ kind: "site", path: "/garden/tag/budgets/rss.xml" });
    // robots.txt answers for the host itself.
    expect(await route("http://x/robots.txt", "garden.example.org")).toMatchObject({ kind: "site", path: "/robots.txt" });
  });

  test("platform-form links on a site's own host redirect to the host form", async () => {
    expect(await route("http://x/garden/a-post?x=1", "garden.example.org")).toEqual({ kind: "redirect", location: "/a-post?x=1", status: 301 });
    expect(await route("http://x/garden", "garden.example.org")).toEqual({ kind: "redirect", location: "/", status: 301 });
    // Another site's slug is just a post path on this host.
    expect(await route("http://x/night-desk/a-post", "garden.example.org")).toMatchObject({ kind: "site", path: "/garden/night-desk/a-post" });
  });

  test("an unknown host's 404 is revalidated on every visit, so a domain verified a moment later serves at once", () => {
    const res = unknownHost();
    expect(res.status).toBe(404);
    // Not "max-age=60": Chromium kept that 404 for a minute after the domain was verified.
    expect(res.headers.get("cache-control")).toBe(CACHE_PUBLIC);
    expect(CACHE_PUBLIC).toMatch(/max-age=0, must-revalidate/);
  });

  test("unknown subdomains, reserved ones and unknown domains are not served", async () => {
    expect(await route("http://x/", "nobody.pressroom.example")).toEqual({ kind: "unknown" });
    expect(await route("http://x/", "studio.pressroom.example")).toEqual({ kind: "unknown" });
    expect(await route("http://x/", "evil.example.net")).toEqual({ kind: "unknown" });
  });

  test("platform pages on a site's host go to the platform host, coming back to the site's page", async () => {
    expect(await route("http://x/login?redirectTo=%2Fa-post", "garden.example.org")).toEqual({
      kind: "redirect",
      location: "https://pressroom.example/login?redirectTo=%2Fgarden%2Fa-post",
    });
    // Links the server rendered already carry the /{site} form.
    expect(await route("http://x/login?redirectTo=%2Fgarden%2Fa-post", "garden.example.org")).toEqual({
      kind: "redirect",
      location: "https://pressroom.example/login?redirectTo=%2Fgarden%2Fa-post",
    });
    // An absolute or protocol-relative redirectTo is left for the login page to refuse.
    expect(await route("http://x/signup?redirectTo=%2F%2Fevil.example", "garden.example.org")).toEqual({
      kind: "redirect",
      location: "https://pressroom.example/signup?redirectTo=%2F%2Fevil.example",
    });
    expect(await route("http://x/studio", "night-desk.pressroom.example")).toEqual({ kind: "redirect", location: "https://pressroom.example/studio" });
  });

  test("every platform path is reserved as a site slug and as a post slug", () => {
    for (const p of PLATFORM_PATHS) {
      expect(RESERVED_SITE_SLUGS as readonly string[]).toContain(p);
      expect(RESERVED_POST_SLUGS as readonly string[]).toContain(p);
    }
  });
});

// A fake page: reads the given dependencies through the request-deps seam, as the subscription
// cache does, and answers with the headers a reader loader would set.
function page(deps: Array<{ version: number; live: boolean }>, opts: { untracked?: boolean; headers?: Record<string, string>; body?: string } = {}) {
  return vi.fn(async (request: Request) => {
    for (const d of deps) recordDependency(d);
    if (opts.untracked) recordUntracked();
    return new Response(opts.body ?? `page for ${new URL(request.url).pathname} v${deps.map((d) => d.version).join(".")}`, {
      status: 200,
      headers: { "Content-Type": "text/html", "Cache-Control": CACHE_PUBLIC, ETag: `W/"v${deps.map((d) => d.version).join(".")}"`, ...opts.headers },
    });
  });
}
const get = (path: string, headers: Record<string, string> = {}) => new Request(`http://127.0.0.1${path}`, { headers: { host: "127.0.0.1", ...headers } });

describe("response cache", () => {
  test("serves a stored page until a query result it was built from changes (publish shows on the next request)", async () => {
    const cache = new ResponseCache();
    const dep = { version: 1, live: true };
    const next = page([dep]);
    expect(await (await cachedResponse(get("/s/p"), next, cache)).text()).toBe("page for /s/p v1");
    expect(await (await cachedResponse(get("/s/p"), next, cache)).text()).toBe("page for /s/p v1");
    expect(next).toHaveBeenCalledTimes(1);
    dep.version = 2; // the subscription pushed a new result
    expect(await (await cachedResponse(get("/s/p"), next, cache)).text()).toBe("page for /s/p v2");
    expect(next).toHaveBeenCalledTimes(2);
    // An evicted subscription is no longer kept fresh: its pages are rendered again.
    dep.live = false;
    await cachedResponse(get("/s/p"), next, cache);
    expect(next).toHaveBeenCalledTimes(3);
  });

  test("keys on host, path and query", async () => {
    const cache = new ResponseCache();
    const next = page([{ version: 1, live: true }]);
    await cachedResponse(get("/s/p"), next, cache);
    await cachedResponse(get("/s/p?cursor=abc"), next, cache);
    await cachedResponse(get("/s/p", { host: "garden.example.org" }), next, cache);
    expect(next).toHaveBeenCalledTimes(3);
    expect(await (await cachedResponse(get("/s/p?cursor=abc"), next, cache)).text()).toBe("page for /s/p v1");
    expect(next).toHaveBeenCalledTimes(3);
  });

  test("cross-viewer leak: a signed-in reader's request never reads or fills the cache", async () => {
    const cache = new ResponseCache();
    const next = page([{ version: 1, live: true }]);
    await cachedResponse(get("/s/p"), next, cache);
    const signedIn = page([{ version: 1, live: true }], { body: "subscriber's full post", headers: { "Cache-Control": CACHE_PRIVATE } });
    const r = await cachedResponse(get("/s/p", { cookie: "__convexAuthJWT=abc; pr_viewed=x" }), signedIn, cache);
    expect(await r.text()).toBe("subscriber's full post");
    expect(signedIn).toHaveBeenCalledTimes(1);
    // …and a private response is never stored for anyone else.
    const anon = page([{ version: 1, live: true }], { body: "private", headers: { "Cache-Control": CACHE_PRIVATE } });
    const fresh = new ResponseCache();
    await cachedResponse(get("/s/q"), anon, fresh);
    await cachedResponse(get("/s/q"), anon, fresh);
    expect(anon).toHaveBeenCalledTimes(2);
  });

  test("never stores a response that sets a cookie, read anything untracked, or tracked nothing", async () => {
    for (const next of [
      page([{ version: 1, live: true }], { headers: { "Set-Cookie": "pr_viewed=abc; Path=/" } }),
      page([{ version: 1, live: true }], { untracked: true }),
      page([]),
    ]) {
      const cache = new ResponseCache();
      await cachedResponse(get("/s/p"), next, cache);
      await cachedResponse(get("/s/p"), next, cache);
      expect(next).toHaveBeenCalledTimes(2);
      expect(cache.size).toBe(0);
    }
  });

  test("a stored post page still counts a reader's first look (mutation and view cookie), never a bot's or a repeat look", async () => {
    const cache = new ResponseCache();
    const next = page([{ version: 1, live: true }], { headers: { [VIEW_HEADER]: "daily post123" } });
    const views: string[] = [];
    const count = vi.fn((request: Request, siteSlug: string, postId: string) => {
      // The real counter (views.server.ts) decides from the request; mimic its rule here.
      const ua = request.headers.get("user-agent") ?? "";
      if (!ua.includes("Chrome") || (request.headers.get("cookie") ?? "").includes(postId)) return null;
      views.push(`${siteSlug}/${postId}`);
      return `pr_viewed=${postId}; Path=/; HttpOnly; SameSite=Lax`;
    });
    const browser = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" };
    const bot = { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" };
    const first = await cachedResponse(get("/s/p", bot), next, cache, count);
    expect(first.headers.has(VIEW_HEADER)).toBe(false); // internal, never sent
    expect(first.headers.get("cache-control")).toBe(CACHE_PUBLIC);
    const viewed = await cachedResponse(get("/s/p", browser), next, cache, count);
    expect(next).toHaveBeenCalledTimes(1);
    expect(views).toEqual(["daily/post123"]);
    expect(viewed.headers.get("set-cookie")).toBe("pr_viewed=post123; Path=/; HttpOnly; SameSite=Lax");
    // A response that sets a cookie is for that browser only.
    expect(viewed.headers.get("cache-control")).toBe("private, max-age=0, must-revalidate");
    const again = await cachedResponse(get("/s/p", { ...browser, cookie: "pr_viewed=other.post123" }), next, cache, count);
    expect(again.headers.has("set-cookie")).toBe(false);
    expect(again.headers.get("cache-control")).toBe(CACHE_PUBLIC);
    expect(views).toEqual(["daily/post123"]);
    expect(next).toHaveBeenCalledTimes(1);
  });

  test("304 for a matching If-None-Match, gzip for clients that accept it, HEAD without a body", async () => {
    const cache = new ResponseCache();
    const next = page([{ version: 7, live: true }]);
    await cachedResponse(get("/s/p"), next, cache);
    const notModified = await cachedResponse(get("/s/p", { "if-none-match": 'W/"v7"' }), next, cache);
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    const zipped = await cachedResponse(get("/s/p", { "accept-encoding": "gzip, deflate, br" }), next, cache);
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toMatch(/Accept-Encoding/);
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString()).toBe("page for /s/p v7");
    const head = await cachedResponse(new Request("http://127.0.0.1/s/p", { method: "HEAD", headers: { host: "127.0.0.1" } }), next, cache);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(next).toHaveBeenCalledTimes(1);
  });

  test("stays within its byte budget, dropping the least recently used pages", async () => {
    const cache = new ResponseCache(64 * 1024);
    const big = "x".repeat(3000);
    const next = page([{ version: 1, live: true }], { body: big });
    for (let i = 0; i < 40; i++) await cachedResponse(get(`/s/p${i}`), next, cache);
    expect(cache.size).toBeLessThan(40);
    expect(cache.size).toBeGreaterThan(0);
    // The newest is still there, the oldest is gone.
    await cachedResponse(get("/s/p39"), next, cache);
    expect(next).toHaveBeenCalledTimes(40);
    await cachedResponse(get("/s/p0"), next, cache);
    expect(next).toHaveBeenCalledTimes(41);
  });
});
