import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { routeHost } from "../../app/reader/front.server";
import { resolveSite, type HostConfig } from "../../app/reader/site.server";
import { startDnsFake, type DnsFake } from "../support/dns-fake";
import { createWorld, type World } from "../support/factories";
import { clientAs, factoryBackend, failure, runOn, startAppBackend, stopAppBackend } from "../support/live-backend";

// Custom domains need proof of control (issue #12, 11e): the app's real convex/ folder on a local
// backend whose DNS resolver (DNS_RESOLVER_URL) is a fake on 127.0.0.1, and the app's own host
// routing (routeHost, resolveSite) asking that backend which site a host is.

let backend: LocalBackend;
let dns: DnsFake;
let w: World;

const run = <R>(fn: (ctx: any) => Promise<R>) => runOn(backend, fn);
const t = factoryBackend(() => backend);
const as = (userId: Id<"users">) => clientAs(backend, userId);
const anon = () => new ConvexHttpClient(backend.url);
const lookup = (by: { slug: string } | { domain: string }) => anon().query(api.sites.getPublic, by);
const config: HostConfig = { rootDomain: "pressroom.test", form: "subdomain" };


/** What a reader gets at http://{domain}/: the site's slug, or "unknown" (the 404 page). */
async function servedAt(domain: string): Promise<string> {
  const route = await routeHost(new URL(`http://${domain}/`), domain, config, lookup);
  return route.kind === "site" ? route.site.slug : route.kind;
}

/** The canonical base of a site's pages as its platform path form renders them. */
async function canonicalOf(slug: string): Promise<string | undefined> {
  const resolved = await resolveSite(new Request(`http://pressroom.test/${slug}/`), { site: slug }, lookup, config);
  return resolved?.canonicalBase;
}

async function settings(userId: Id<"users">, siteId: Id<"sites">) {
  return await as(userId).query(api.sites.getSettings, { siteId });
}

/** Polls until `check` holds (scheduled work runs after the mutation that scheduled it). */
async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

let n = 0;
const freshDomain = () => `news${++n}.example.test`;

beforeAll(async () => {
  backend = await startAppBackend("pressroom-domains-");
  dns = await startDnsFake();
  backend.env.set("DNS_RESOLVER_URL", dns.url);
  w = await createWorld(t, "harbor");
});

afterAll(async () => {
  await dns?.close();
  await stopAppBackend(backend);
});

describe("custom domains need proof of control", () => {
  test("domain takeover: an unverified custom domain serves nothing and is not in canonical URLs", async () => {
    const domain = freshDomain();
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
    expect(await anon().query(api.sites.getPublic, { domain })).toBeNull();
    expect(await servedAt(domain)).toBe("unknown");
    expect(await canonicalOf("harbor-other")).toBe("https://harbor-other.pressroom.test");
    expect((await anon().query(api.sites.getPublic, { slug: "harbor-other" }))?.customDomain).toBeNull();
    // The studio says what to do.
    const s = await settings(w.users.outsider, w.otherSiteId);
    expect(s.customDomainStatus).toBe("pending");
    expect(s.customDomainRecord).toEqual({ name: `_pressroom-verify.${domain}`, value: expect.stringMatching(/^pressroom-verify-[0-9a-f]{32}$/) });

    // The record published: verified, serving, canonical.
    dns.txt(`_pressroom-verify.${domain}`, "v=spf1 -all", s.customDomainRecord!.value);
    expect(await as(w.users.outsider).action(api.sites.verifyCustomDomain, { siteId: w.otherSiteId })).toEqual({ domain, status: "verified" });
    expect(await servedAt(domain)).toBe("harbor-other");
    expect(await canonicalOf("harbor-other")).toBe(`https://${domain}`);
    expect((await settings(w.users.outsider, w.otherSiteId)).customDomainStatus).toBe("verified");

    // Removing the domain stops it serving; setting it again needs a new proof (a new token).
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: null });
    expect(await servedAt(domain)).toBe("unknown");
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
    const again = await settings(w.users.outsider, w.otherSiteId);
    expect(again.customDomainStatus).toBe("pending");
    expect(again.customDomainRecord!.value).not.toBe(s.customDomainRecord!.value);
    expect(await servedAt(domain)).toBe("unknown");
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: null });
  });

  test("domain takeover: the first site to claim a domain does not get it; the site whose token is in DNS does", async () => {
    const domain = freshDomain();
    // The attacker claims the victim's domain first (and presses Verify: no record of theirs).
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
    expect(await as(w.users.outsider).action(api.sites.verifyCustomDomain, { siteId: w.otherSiteId })).toEqual({ domain, status: "pending" });
    // The real owner can still claim it (a claim proves nothing, so it blocks nobody) and prove it.
    await as(w.users.owner).mutation(api.sites.updateSettings, { siteId: w.siteId, customDomain: domain });
    const { customDomainRecord } = await settings(w.users.owner, w.siteId);
    dns.txt(`_pressroom-verify.${domain}`, customDomainRecord!.value);
    expect(await as(w.users.owner).action(api.sites.verifyCustomDomain, { siteId: w.siteId })).toEqual({ domain, status: "verified" });
    expect(await servedAt(domain)).toBe("harbor");
    // The attacker's check still fails; the domain stays with the owner.
    expect(await as(w.users.outsider).action(api.sites.verifyCustomDomain, { siteId: w.otherSiteId })).toEqual({ domain, status: "pending" });
    expect(await servedAt(domain)).toBe("harbor");
    expect(await canonicalOf("harbor-other")).toBe("https://harbor-other.pressroom.test");
    // Only owners and admins may run the check; other sites' members cannot see the site at all.
    expect((await failure(as(w.users.editor).action(api.sites.verifyCustomDomain, { siteId: w.siteId }))).code).toBe("FORBIDDEN");
    expect((await failure(as(w.users.outsider).action(api.sites.verifyCustomDomain, { siteId: w.siteId }))).code).toBe("NOT_FOUND");
    expect((await failure(anon().action(api.sites.verifyCustomDomain, { siteId: w.siteId }))).code).toBe("UNAUTHENTICATED");
    for (const [user, site] of [[w.users.owner, w.siteId], [w.users.outsider, w.otherSiteId]] as const) {
      await as(user).mutation(api.sites.updateSettings, { siteId: site, customDomain: null });
    }
  });

  test("domain takeover: a claim of a verified domain re-checks the holder's record, and a domain that changed hands moves", async () => {
    const domain = freshDomain();
    const name = `_pressroom-verify.${domain}`;
    await as(w.users.owner).mutation(api.sites.updateSettings, { siteId: w.siteId, customDomain: domain });
    const holderToken = (await settings(w.users.owner, w.siteId)).customDomainRecord!.value;
    dns.txt(name, holderToken);
    await as(w.users.owner).action(api.sites.verifyCustomDomain, { siteId: w.siteId });
    expect(await servedAt(domain)).toBe("harbor");

    // Another site claims it while the holder's record is still there: re-checked, still the holder's.
    const before = dns.lookups;
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
    await eventually(async () => dns.lookups > before, "the holder's re-check");
    await new Promise((r) => setTimeout(r, 100));
    expect(await servedAt(domain)).toBe("harbor");
    expect((await settings(w.users.owner, w.siteId)).customDomainStatus).toBe("verified");

    // The domain changes hands: the holder's record is gone. The next claim's re-check releases it.
    const claimantToken = (await settings(w.users.outsider, w.otherSiteId)).customDomainRecord!.value;
    dns.txt(name, claimantToken);
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: null });
    await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
    await eventually(async () => (await settings(w.users.owner, w.siteId)).customDomainStatus === "pending", "the holder un-verified");
    expect(await servedAt(domain)).toBe("unknown");
    expect(await canonicalOf("harbor")).toBe("https://harbor.pressroom.test");
    // The new owner proves it.
    const newToken = (await settings(w.users.outsider, w.otherSiteId)).customDomainRecord!.value;
    dns.txt(name, newToken);
    expect(await as(w.users.outsider).action(api.sites.verifyCustomDomain, { siteId: w.otherSiteId })).toEqual({ domain, status: "verified" });
    expect(await servedAt(domain)).toBe("harbor-other");

    // If both tokens are published, the latest successful check wins and the other site is released.
    dns.txt(name, newToken, holderToken);
    expect(await as(w.users.owner).action(api.sites.verifyCustomDomain, { siteId: w.siteId })).toEqual({ domain, status: "verified" });
    expect(await servedAt(domain)).toBe("harbor");
    expect((await settings(w.users.outsider, w.otherSiteId)).customDomainStatus).toBe("pending");
    for (const [user, site] of [[w.users.owner, w.siteId], [w.users.outsider, w.otherSiteId]] as const) {
      await as(user).mutation(api.sites.updateSettings, { siteId: site, customDomain: null });
    }
  });

  test("domain takeover: a resolver failure is a clear error and changes nothing", async () => {
    const domain = freshDomain();
    await as(w.users.owner).mutation(api.sites.updateSettings, { siteId: w.siteId, customDomain: domain });
    dns.txt(`_pressroom-verify.${domain}`, (await settings(w.users.owner, w.siteId)).customDomainRecord!.value);
    await as(w.users.owner).action(api.sites.verifyCustomDomain, { siteId: w.siteId });
    dns.failing(true);
    try {
      expect((await failure(as(w.users.owner).action(api.sites.verifyCustomDomain, { siteId: w.siteId }))).code).toBe("DOMAIN_CHECK_FAILED");
      // A re-check that cannot reach DNS keeps the holder (an outage must not take a domain away).
      const before = dns.lookups;
      await as(w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, customDomain: domain });
      await eventually(async () => dns.lookups > before, "the holder's re-check");
      await new Promise((r) => setTimeout(r, 100));
      expect(await servedAt(domain)).toBe("harbor");
    } finally {
      dns.failing(false);
    }
    for (const [user, site] of [[w.users.owner, w.siteId], [w.users.outsider, w.otherSiteId]] as const) {
      await as(user).mutation(api.sites.updateSettings, { siteId: site, customDomain: null });
    }
  });
});
