import type { MetaDescriptor } from "@remix-run/node";
import { useRouteLoaderData } from "@remix-run/react";
import type { SiteData } from "./types";

// Small helpers for the reader route modules (isomorphic: meta and components run in the browser).

export const SITE_ROUTE_ID = "routes/$site";

/** The $site layout's data from a meta function's matches. */
export function siteFromMatches(matches: ReadonlyArray<{ id: string; data: unknown }>): SiteData | undefined {
  return (matches.find((m) => m.id === SITE_ROUTE_ID)?.data as { site?: SiteData } | undefined)?.site;
}

/** The $site layout's data in a page component or error boundary. */
export function useSite(): SiteData | undefined {
  return useRouteLoaderData<{ site: SiteData }>(SITE_ROUTE_ID)?.site;
}

/** Meta of a page whose loader threw (404, 400): no description, never indexed. */
export function errorMeta(site: SiteData | undefined, title = "Page not found"): MetaDescriptor[] {
  return [{ title: site ? `${title} · ${site.name}` : title }, { name: "robots", content: "noindex" }];
}
