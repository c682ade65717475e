import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { internal } from "../_generated/api";
import { env } from "../env";
import { audit } from "../lib/audit";
import { appError } from "../lib/errors";

// Custom domains (issue #12, 11e). Claiming a domain proves nothing, so a claim starts pending and a
// domain serves (and appears in canonical URLs) only once its DNS holds the site's token:
//   _pressroom-verify.<domain>  TXT  "<customDomainToken>"
// Several sites may claim one domain, but at most one has it verified: a successful check releases
// it from any other site, and a claim of a domain another site verified re-checks that site's record.
//
// DNS is read over DNS-over-HTTPS (the JSON API Cloudflare and Google serve), with fetch, so the
// check runs in Convex's default runtime. DNS_RESOLVER_URL (a function env var) replaces the
// resolver; tests point it at a fake on 127.0.0.1 (tests/support/dns-fake.ts).

const DEFAULT_RESOLVER = "https://cloudflare-dns.com/dns-query";
const TXT = 16;
const NXDOMAIN = 3;

export function verifyRecordName(domain: string): string {
  return `_pressroom-verify.${domain}`;
}

/** A fresh, unguessable token for a claim (the TXT record's value). */
export function newDomainToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `pressroom-verify-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The domain a site serves and is canonical on: its custom domain once verified, else null. */
export function verifiedDomainOf(site: Pick<Doc<"sites">, "customDomain" | "customDomainVerifiedAt">): string | null {
  return site.customDomain && site.customDomainVerifiedAt ? site.customDomain : null;
}

export function domainStatus(site: Doc<"sites">): "pending" | "verified" | null {
  if (!site.customDomain) return null;
  return site.customDomainVerifiedAt ? "verified" : "pending";
}

/** The site that has proven control of `domain`, if any. */
export async function verifiedSiteForDomain(ctx: QueryCtx, domain: string): Promise<Doc<"sites"> | null> {
  return await ctx.db
    .query("sites")
    .withIndex("by_customDomain_and_customDomainVerifiedAt", (q) => q.eq("customDomain", domain).gt("customDomainVerifiedAt", 0))
    .first();
}

/**
 * The patch that points a site at `domain` (undefined: none). A new claim gets a new token and starts
 * pending; claiming the domain already set changes nothing. If another site has `domain` verified,
 * its record is re-checked (the domain may have changed hands).
 */
export async function claimDomain(ctx: MutationCtx, site: Doc<"sites">, domain: string | undefined): Promise<Partial<Doc<"sites">>> {
  if (domain === site.customDomain) return {};
  if (domain) {
    const holder = await verifiedSiteForDomain(ctx, domain);
    if (holder && holder._id !== site._id) await ctx.scheduler.runAfter(0, internal.sites.recheckCustomDomain, { siteId: holder._id });
  }
  return { customDomain: domain, customDomainToken: domain ? newDomainToken() : undefined, customDomainVerifiedAt: undefined };
}

/** The TXT strings at `name`; [] when the name or the record does not exist. @throws DOMAIN_CHECK_FAILED */
export async function txtRecords(name: string): Promise<string[]> {
  const url = new URL(env.DNS_RESOLVER_URL || DEFAULT_RESOLVER);
  url.searchParams.set("name", name);
  url.searchParams.set("type", "TXT");
  let body: { Status?: number; Answer?: Array<{ type?: number; data?: string }> };
  try {
    const response = await fetch(url, { headers: { accept: "application/dns-json" } });
    if (!response.ok) throw new Error(`resolver answered ${response.status}`);
    body = await response.json();
  } catch (e) {
    throw appError("DOMAIN_CHECK_FAILED", { message: `DNS lookup of ${name} failed: ${e instanceof Error ? e.message : String(e)}` });
  }
  if (body.Status === NXDOMAIN) return [];
  if (body.Status !== 0) throw appError("DOMAIN_CHECK_FAILED", { message: `DNS lookup of ${name} failed (status ${body.Status}).` });
  return (body.Answer ?? [])
    .filter((a) => a.type === TXT && typeof a.data === "string")
    .map((a) => {
      // A TXT record is one or more quoted character strings, joined.
      const parts = [...a.data!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1"));
      return parts.length ? parts.join("") : a.data!;
    });
}

/**
 * Stores the outcome of a DNS check of the site's claim (ignored if the claim changed meanwhile):
 * found → verified, and released from any other site; not found → pending again.
 */
export async function recordDomainCheck(
  ctx: MutationCtx,
  args: { siteId: Id<"sites">; domain: string; token: string; found: boolean; actorId?: Id<"users"> },
): Promise<"pending" | "verified" | null> {
  const site = await ctx.db.get("sites", args.siteId);
  if (!site) throw appError("NOT_FOUND");
  if (site.customDomain !== args.domain || site.customDomainToken !== args.token) return domainStatus(site);
  const entry = { siteId: site._id, actorId: args.actorId, entityType: "site", entityId: site._id } as const;
  if (args.found) {
    const others = await ctx.db
      .query("sites")
      .withIndex("by_customDomain_and_customDomainVerifiedAt", (q) => q.eq("customDomain", args.domain).gt("customDomainVerifiedAt", 0))
      .take(10);
    for (const other of others) {
      if (other._id === site._id) continue;
      await ctx.db.patch("sites", other._id, { customDomainVerifiedAt: undefined });
      await audit(ctx, { ...entry, siteId: other._id, entityId: other._id, action: "site.domainReleased", after: { domain: args.domain, to: site._id } });
    }
    if (!site.customDomainVerifiedAt) {
      await ctx.db.patch("sites", site._id, { customDomainVerifiedAt: Date.now() });
      await audit(ctx, { ...entry, action: "site.domainVerified", after: { domain: args.domain } });
    }
    return "verified";
  }
  if (site.customDomainVerifiedAt) {
    await ctx.db.patch("sites", site._id, { customDomainVerifiedAt: undefined });
    await audit(ctx, { ...entry, action: "site.domainUnverified", after: { domain: args.domain } });
  }
  return "pending";
}
