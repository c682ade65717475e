import type { Doc } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { legacyPathKey } from "../migrate/types";
import { isLive } from "./reader";

// Old addresses of imported posts (issue #17): WordPress "/2019/03/04/slug/" and "?p=123", Substack
// "/p/slug", Ghost "/slug/". The import writes one legacyPaths row per old address; the reader
// answers the old address with a 301 to the post's current slug.

/**
 * The current slug of the published post an old address names, or null. Only a live post answers:
 * a draft's (or archived post's) old address is a 404 like any unknown path, so its slug never
 * leaks. Only a slug is returned, never a URL: the caller builds a same-site path from it, so an
 * old-address lookup cannot redirect off the site.
 */
export async function legacyRedirect(ctx: QueryCtx, site: Doc<"sites">, path: string): Promise<{ slug: string } | null> {
  const key = legacyPathKey(path);
  if (key === null) return null;
  const row = await ctx.db
    .query("legacyPaths")
    .withIndex("by_siteId_and_path", (q) => q.eq("siteId", site._id).eq("path", key))
    .first();
  if (!row) return null;
  const post = await ctx.db.get("posts", row.postId);
  if (!isLive(post, site._id)) return null;
  return { slug: post.slug };
}
