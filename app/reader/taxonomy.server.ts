import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { cachedPage, notFound } from "./http.server";
import { atCursor, requireSite, toListPage } from "./pages.server";
import { readerPaths } from "./paths";
import type { TaxonomyHeader, TaxonomyKind } from "./taxonomy-page";

// The reader's tag and category pages' loader, one for both kinds (the page is taxonomy-page.tsx):
// the header (name, description, post count) and a page of posts, newest first. An old slug of a
// renamed (or, for tags, merged) term 301s to the current page.


/** The payload keeps the kind's own key (`tag` or `category`), as the routes always answered. */
export async function taxonomyLoader<K extends TaxonomyKind>(kind: K, { request, params }: LoaderFunctionArgs) {
  const { client, shared, site } = await requireSite(request, params);
  const slugParam = (kind === "tag" ? params.tagSlug : params.categorySlug) ?? "";
  // One query for the header and the page of posts (reader:tagPage / categoryPage).
  const found =
    kind === "tag"
      ? await atCursor(request, shared, api.reader.tagPage, { siteSlug: site.slug, slug: slugParam })
      : await atCursor(request, shared, api.reader.categoryPage, { siteSlug: site.slug, slug: slugParam });
  if (!found) throw notFound(kind === "tag" ? "Tag not found" : "Category not found");
  if (found.kind === "redirect") throw redirect(readerPaths(site.base)[kind](found.slug), 301);
  const { name, slug, description, postCount } = found.kind === "tag" ? found.tag : found.category;
  const header: TaxonomyHeader = { name, slug, description, postCount };
  const list = toListPage(request, found.list);
  const payload = { [kind]: header, list } as { [P in K]: TaxonomyHeader } & { list: typeof list };
  return cachedPage(request, client, payload, { site, payload });
}
