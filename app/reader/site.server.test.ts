import { describe, expect, test, vi } from "vitest";
import { canonicalBaseFor, classifyHost, hostConfig, hostRewritePath, resolveSite, type PublicSite } from "./site.server";

const site = (slug: string, customDomain: string | null = null): PublicSite =>
  ({ _id: "s1", name: slug, slug, description: null, customDomain, accentColor: null, logoUrl: null }) as unknown as PublicSite;

const sites = [site("night-desk"), site("garden", "garden.example.org")];
function lookup() {
  return vi.fn(async (by: { slug: string } | { domain: string }) =>
    "slug" in by ? (sites.find((s) => s.slug === by.slug) ?? null) : (sites.find((s) => s.customDomain === by.domain) ?? null),
  );
}
const req = (url: string, host?: string) => new Request(url, host ? { headers: { host } } : undefined);

describe("hostConfig / classifyHost", () => {
  test("no ROOT_DOMAIN: every host is the platform (development, tests)", () => {
    const c = hostConfig({});
    expect(c).toEqual({ rootDomain: null, form: "path" });
    expect(classifyHost("anything.example", c)).toEqual({ kind: "platform" });
  });

  test("with ROOT_DOMAIN", () => {
    const c = hostConfig({ ROOT_DOMAIN: "Pressroom.Example", SITE_URL_FORM: "subdomain" });
    expect(c).toEqual({ rootDomain: "pressroom.example", form: "subdomain" });
    expect(classifyHost("pressroom.example", c)).toEqual({ kind: "platform" });
    expect(classifyHost("www.pressroom.example", c)).toEqual({ kind: "platform" });
    expect(classifyHost("127.0.0.1", c)).toEqual({ kind: "platform" });
    expect(classifyHost("localhost", c)).toEqual({ kind: "platform" });
    expect(classifyHost("Night-Desk.pressroom.example", c)).toEqual({ kind: "subdomain", slug: "night-desk" });
    expect(classifyHost("a.b.pressroom.example", c)).toEqual({ kind: "custom", domain: "a.b.pressroom.example" });
    expect(classifyHost("garden.example.org", c)).toEqual({ kind: "custom", domain: "garden.example.org" });
    // A look-alike domain is not a subdomain of the root.
    expect(classifyHost("evilpressroom.example", c)).toEqual({ kind: "custom", domain: "evilpressroom.example" });
  });
});

describe("canonicalBaseFor", () => {
  test("custom domain wins, then the configured form, then the request origin", () => {
    const path = hostConfig({ ROOT_DOMAIN: "pressroom.example" });
    const sub = hostConfig({ ROOT_DOMAIN: "pressroom.example", SITE_URL_FORM: "subdomain" });
    expect(canonicalBaseFor(site("garden", "garden.example.org"), path, "http://x")).toBe("https://garden.example.org");
    expect(canonicalBaseFor(site("night-desk"), sub, "http://x")).toBe("https://night-desk.pressroom.example");
    expect(canonicalBaseFor(site("night-desk"), path, "http://x")).toBe("https://pressroom.example/night-desk");
    expect(canonicalBaseFor(site("night-desk"), hostConfig({}), "http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000/night-desk");
  });
});

describe("resolveSite", () => {
  const dev = hostConfig({});
  const prod = hostConfig({ ROOT_DOMAIN: "pressroom.example" });

  test("platform host: the {site} path segment, links keep the prefix", async () => {
    const l = lookup();
    const r = await resolveSite(req("http://127.0.0.1:3000/night-desk/post"), { site: "night-desk" }, l, dev);
    expect(r).toMatchObject({ base: "/night-desk", canonicalBase: "http://127.0.0.1:3000/night-desk" });
    expect(l).toHaveBeenCalledWith({ slug: "night-desk" });
  });

  test("platform host with ROOT_DOMAIN: canonical on the root domain over https", async () => {
    const r = await resolveSite(req("http://10.0.0.5/night-desk/", "pressroom.example"), { site: "night-desk" }, lookup(), prod);
    expect(r).toMatchObject({ base: "/night-desk", canonicalBase: "https://pressroom.example/night-desk" });
  });

  test("unknown, reserved and malformed slugs are null without a lookup for the latter two", async () => {
    const l = lookup();
    expect(await resolveSite(req("http://h/nope/"), { site: "nope" }, l, dev)).toBeNull();
    expect(l).toHaveBeenCalledTimes(1);
    expect(await resolveSite(req("http://h/login/"), { site: "login" }, l, dev)).toBeNull();
    expect(await resolveSite(req("http://h/Bad_Slug/"), { site: "Bad_Slug" }, l, dev)).toBeNull();
    expect(await resolveSite(req("http://h/"), {}, l, dev)).toBeNull();
    expect(l).toHaveBeenCalledTimes(1);
  });

  test("subdomain host: site from the host, links without prefix", async () => {
    const l = lookup();
    const r = await resolveSite(req("http://night-desk.pressroom.example/night-desk/x", "night-desk.pressroom.example"), { site: "night-desk" }, l, prod);
    expect(r).toMatchObject({ base: "", canonicalBase: "https://pressroom.example/night-desk" });
    expect(l).toHaveBeenCalledWith({ slug: "night-desk" });
  });

  test("custom domain: sites:getPublic({domain}); canonical on the custom domain", async () => {
    const l = lookup();
    const r = await resolveSite(req("http://garden.example.org/garden/", "garden.example.org:443"), { site: "garden" }, l, prod);
    expect(l).toHaveBeenCalledWith({ domain: "garden.example.org" });
    expect(r).toMatchObject({ base: "", canonicalBase: "https://garden.example.org" });
  });

  test("a site's own host never serves another site's pages", async () => {
    expect(await resolveSite(req("http://garden.example.org/night-desk/", "garden.example.org"), { site: "night-desk" }, lookup(), prod)).toBeNull();
    expect(await resolveSite(req("http://unknown.example.com/", "unknown.example.com"), { site: "x" }, lookup(), prod)).toBeNull();
  });

  test("hostRewritePath", () => {
    expect(hostRewritePath("/", "garden")).toBe("/garden/");
    expect(hostRewritePath("/tag/roses", "garden")).toBe("/garden/tag/roses");
  });
});
