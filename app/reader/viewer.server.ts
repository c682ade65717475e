import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import type { ResolvedSite } from "./site.server";
import type { ReaderViewer } from "./types";

// Who is reading, for the reader header (issue #16): their name and their membership on this site.
// Anonymous requests never ask Convex anything here, so their pages stay in the shared cache.

/**
 * The signed-in reader as the header shows them, or null when the request carries no session.
 * One query (audience:myStanding); a failure is logged and read as "signed in, not a member"
 * rather than breaking the page (the header then offers Subscribe, which is harmless).
 */
export async function readerViewer(client: ReaderClient, resolved: ResolvedSite): Promise<ReaderViewer | null> {
  if (!client.signedIn) return null;
  try {
    const standing = await client.query(api.audience.myStanding, { siteId: resolved.site._id });
    // A session Convex no longer accepts reads as signed out (client.server.ts falls back to anonymous).
    if (!standing) return null;
    return { name: standing.name, membership: standing.access };
  } catch (error) {
    console.error(`audience:myStanding failed for site "${resolved.site.slug}":`, error);
    return null;
  }
}
