import { redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import { readerPaths } from "./paths";
import type { SiteData } from "./types";

// Old addresses of imported posts (issue #17): WordPress "/2019/03/04/slug/" and "?p=123",
// Substack "/p/slug", Ghost "/slug/" answer with a 301 to the post's page here. Convex
// (reader:legacyRedirect) only ever returns a live post's slug; the Location is built from this
// request's own base, so it stays on the site (open redirect: never another host).

/** The request's path below its /{site} segment, raw (not yet percent-decoded): "/2019/03/04/slug/". */
export function pathBelowSite(request: Request): string {
  const { pathname } = new URL(request.url);
  const i = pathname.indexOf("/", 1);
  return i < 0 ? "/" : pathname.slice(i);
}

/** Whether a Location is a path on this host: one leading slash, no scheme-relative or backslash form. */
export function isSameSitePath(location: string): boolean {
  if (!location.startsWith("/") || location.startsWith("//") || location.includes("\\")) return false;
  // No control characters (a tab or newline inside "/\t/evil.com" is dropped by browsers).
  for (const ch of location) if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) return false;
  return true;
}

/** The 301 for an imported post's old address (`path` as legacyPathKey reads it), or null. */
export async function legacyRedirect(client: ReaderClient, site: SiteData, path: string): Promise<Response | null> {
  const found = await client.query(api.reader.legacyRedirect, { siteSlug: site.slug, path });
  if (!found) return null;
  const location = readerPaths(site.base).post(found.slug);
  return isSameSitePath(location) ? redirect(location, 301) : null;
}
