import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { PLATFORM_PATHS } from "../../convex/shared/constants";
import { anonymousReaderClient } from "../reader/client.server";
import { cachedBody } from "../reader/http.server";
import { readerPaths } from "../reader/paths";
import { canonicalBaseFor, hostConfig, requestHost } from "../reader/site.server";

// /robots.txt. Crawlers may read publications; they are kept out of the studio, account and auth
// pages and of search result pages (endless, thin). Sitemaps: on the platform host, every
// publication's; on a publication's own host, that publication's.

// Not /assets (crawlers need the stylesheet) nor /favicon.ico.
const PLATFORM = PLATFORM_PATHS.filter((p) => p !== "assets" && !p.includes("."));
// Anchored ($, /, ?) so a publication whose slug merely starts with one of these stays crawlable.
const DISALLOW = [...PLATFORM.flatMap((p) => [`/${p}$`, `/${p}/`, `/${p}?`]), "/*/search$", "/*/search?"];

export async function loader({ request }: LoaderFunctionArgs) {
  const client = anonymousReaderClient({ cache: false });
  const config = hostConfig();
  const url = new URL(request.url);
  const host = requestHost(request, config);
  const sitemaps: string[] = [];
  if (host.kind === "platform") {
    const sites = await client.query(api.sites.listDirectory, {});
    for (const s of sites) {
      const site = await client.query(api.sites.getPublic, { slug: s.slug });
      if (site) sitemaps.push(readerPaths(canonicalBaseFor(site, config, url.origin)).sitemap);
    }
  } else {
    const site = await client.query(api.sites.getPublic, host.kind === "subdomain" ? { slug: host.slug } : { domain: host.domain });
    if (site) sitemaps.push(readerPaths(canonicalBaseFor(site, config, url.origin)).sitemap);
  }
  const body = [
    "User-agent: *",
    "Allow: /",
    ...DISALLOW.map((d) => `Disallow: ${d}`),
    "",
    ...[...new Set(sitemaps)].map((s) => `Sitemap: ${s}`),
    "",
  ].join("\n");
  return cachedBody(request, body, "text/plain; charset=utf-8");
}
