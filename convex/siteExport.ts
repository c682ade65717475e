import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { siteQuery } from "./lib/functions";
import * as Export from "./model/siteExport";

// The whole-site export's reads for the studio's download routes (Ghost JSON, Markdown zip; issue
// #17). Owners only (site.export): an export carries every post, draft and author address. Posts
// and tags come in bounded pages with Convex cursors (unforgeable), so a route streams any size.

/** The site's name, categories and authors (staff members, placeholders included). */
export const site = siteQuery({
  permission: "site.export",
  args: {},
  returns: Export.vExportSite,
  handler: async (ctx) => await Export.siteSummary(ctx, ctx.site),
});

/** A page of posts (every status) with their stored bodies; at most EXPORT_POSTS_PAGE a page. */
export const posts = siteQuery({
  permission: "site.export",
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(Export.vExportPost),
  handler: async (ctx, { paginationOpts }) => await Export.postsPage(ctx, ctx.site._id, paginationOpts),
});

/** A page of tags; at most EXPORT_TAGS_PAGE a page. */
export const tags = siteQuery({
  permission: "site.export",
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(Export.vExportTerm),
  handler: async (ctx, { paginationOpts }) => await Export.tagsPage(ctx, ctx.site._id, paginationOpts),
});
