import { useRouteLoaderData } from "@remix-run/react";
import type { SiteRole } from "../../convex/shared/roles";

/** The route id of the studio layout (app/routes/studio.$siteId.tsx). */
export const STUDIO_SITE_ROUTE = "routes/studio.$siteId";

export type StudioSite = { _id: string; name: string; slug: string; role: SiteRole };
type LayoutData = { site: StudioSite; viewerId: string };

/** The site and the viewer's role (as the layout loaded them), for pages inside the studio layout. */
export function useStudioSite(): StudioSite & { viewerId: string } {
  const loaded = useRouteLoaderData(STUDIO_SITE_ROUTE) as LayoutData | undefined;
  if (!loaded) throw new Error("useStudioSite outside /studio/:siteId");
  return { ...loaded.site, viewerId: loaded.viewerId };
}
