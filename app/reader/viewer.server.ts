import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import type { ResolvedSite } from "./site.server";
import type { ReaderViewer } from "./types";

// Who is reading, for the reader header (issue #16): their name and their membership on this site.
// Anonymous requests never ask Convex anything here, so their pages stay in the shared cache.

type ViewerPage = FunctionReturnType<typeof api.reader.viewerPage>;

/**
 * What this request's page asks Convex as the viewer (reader:viewerPage): the viewer's standing on
 * the site and the body keys of `slugs` (a post page's own slug, else none). The layout and the
 * page name the same slugs (the route's params) and so ask the same question, which the request's
 * client asks Convex once (client.server.ts clientFor).
 */
export function viewerPage(client: ReaderClient, siteSlug: string, slugs: string[]): Promise<ViewerPage> {
  return client.query(api.reader.viewerPage, { siteSlug, slugs });
}

/**
 * The signed-in reader as the header shows them, or null when the request carries no session.
 * `postSlug`: the post the page shows (its route's param), asked in the same call. A failure is
 * logged and read as "signed in, not a member" rather than breaking the page (the header then
 * offers Subscribe, which is harmless).
 */
export async function readerViewer(client: ReaderClient, resolved: ResolvedSite, postSlug?: string): Promise<ReaderViewer | null> {
  if (!client.signedIn) return null;
  try {
    const { standing } = await viewerPage(client, resolved.site.slug, postSlug ? [postSlug] : []);
    // A session Convex no longer accepts reads as signed out (client.server.ts falls back to anonymous).
    if (!standing) return null;
    return { name: standing.name, membership: standing.access };
  } catch (error) {
    console.error(`reader:viewerPage failed for site "${resolved.site.slug}":`, error);
    return null;
  }
}
