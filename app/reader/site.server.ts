import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import { slugProblem } from "../../convex/shared/slugs";
import { serverEnv } from "../env.server";
import { publicReaderClient } from "./client.server";

// Which publication a request is for, and what its URLs look like.
//
// - On the platform host (env ROOT_DOMAIN, its www., loopback, or any host when ROOT_DOMAIN is
//   unset) the site is the first path segment: /{site}/{post}. Links keep that form.
// - On `{slug}.{ROOT_DOMAIN}` the site is the subdomain; on any other host it is the site whose
//   verified custom domain that is (sites:getPublic({domain}); a claimed but unproven domain finds
//   nothing, see convex/model/domains.ts). Links drop the /{site} prefix. The Remix
//   routes still see /{site}/…: whatever fronts the app for those hosts rewrites `/x` to
//   `/{slug}/x` (see hostRewritePath), and a request whose {site} segment is another site's is a 404.
// - Canonical URLs follow the site's configured form whatever host served the page: its custom
//   domain once verified (getPublic returns no other), else https://{slug}.{ROOT_DOMAIN} when SITE_URL_FORM=subdomain, else
//   https://{ROOT_DOMAIN}/{slug} (the request's own origin when ROOT_DOMAIN is unset: development).

export type PublicSite = NonNullable<FunctionReturnType<typeof api.sites.getPublic>>;

export interface ResolvedSite {
  site: PublicSite;
  /** Path prefix of reader pages as this request addresses them: "/{slug}", or "" on the site's own host. */
  base: string;
  /** Absolute URL prefix of canonical URLs, without a trailing slash. */
  canonicalBase: string;
}

export interface HostConfig {
  rootDomain: string | null;
  form: "path" | "subdomain";
}

export type HostKind = { kind: "platform" } | { kind: "subdomain"; slug: string } | { kind: "custom"; domain: string };

export function hostConfig(env: Record<string, string | undefined> = serverEnv): HostConfig {
  const rootDomain = env.ROOT_DOMAIN?.trim().toLowerCase().replace(/^\.+|\.+$/g, "") || null;
  return { rootDomain, form: env.SITE_URL_FORM === "subdomain" ? "subdomain" : "path" };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** The host name a request addresses (its Host header, without the port). */
export function hostnameOf(hostHeader: string | null, url: URL): string {
  return (hostHeader ?? url.host).replace(/:\d+$/, "");
}

/** What kind of host a request addresses. */
export function requestHost(request: Request, config: HostConfig = hostConfig()): HostKind {
  return classifyHost(hostnameOf(request.headers.get("host"), new URL(request.url)), config);
}

/** Classifies the request's host name (no port, lowercase). */
export function classifyHost(hostname: string, config: HostConfig): HostKind {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const root = config.rootDomain;
  if (!root || LOOPBACK.has(host) || host === root || host === `www.${root}`) return { kind: "platform" };
  if (host.endsWith(`.${root}`)) {
    const label = host.slice(0, -(root.length + 1));
    return label.includes(".") ? { kind: "custom", domain: host } : { kind: "subdomain", slug: label };
  }
  return { kind: "custom", domain: host };
}

/** The absolute prefix of a site's canonical URLs (no trailing slash). */
export function canonicalBaseFor(site: Pick<PublicSite, "slug" | "customDomain">, config: HostConfig, requestOrigin: string): string {
  if (site.customDomain) return `https://${site.customDomain}`;
  if (config.rootDomain && config.form === "subdomain") return `https://${site.slug}.${config.rootDomain}`;
  if (config.rootDomain) return `https://${config.rootDomain}/${site.slug}`;
  return `${requestOrigin}/${site.slug}`;
}

/** For the server or proxy in front of a site's own host: the path the Remix routes expect. */
export function hostRewritePath(pathname: string, slug: string): string {
  return `/${slug}${pathname.startsWith("/") ? pathname : `/${pathname}`}`;
}

export function isPossibleSiteSlug(slug: string | undefined): slug is string {
  return slug !== undefined && slugProblem(slug, "site") === null;
}

type Lookup = (by: { slug: string } | { domain: string }) => Promise<PublicSite | null>;

/**
 * Resolves the site of a reader request, or null (→ 404) for an unknown site, a reserved or
 * malformed slug, or a path naming another site than the host's.
 */
export async function resolveSite(
  request: Request,
  params: { site?: string },
  lookup?: Lookup,
  config: HostConfig = hostConfig(),
): Promise<ResolvedSite | null> {
  const get: Lookup =
    // The site is the same for every viewer: asked anonymously (publicReaderClient), even for a signed-in reader.
    lookup ?? ((by) => publicReaderClient(request).query(api.sites.getPublic, by));
  const url = new URL(request.url);
  const host = requestHost(request, config);
  if (host.kind === "platform") {
    if (!isPossibleSiteSlug(params.site)) return null;
    const site = await get({ slug: params.site });
    if (!site) return null;
    return { site, base: `/${site.slug}`, canonicalBase: canonicalBaseFor(site, config, url.origin) };
  }
  const site = host.kind === "subdomain" ? (isPossibleSiteSlug(host.slug) ? await get({ slug: host.slug }) : null) : await get({ domain: host.domain });
  if (!site || (params.site !== undefined && params.site !== site.slug)) return null;
  return { site, base: "", canonicalBase: canonicalBaseFor(site, config, url.origin) };
}
