import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import { convexUrl } from "../utils/convex.server";

// /studio/:siteId/export/markdown.zip: every post as Markdown with YAML front matter, plus the
// uploaded images (owners: site.export), streamed page by page (app/studio/export.server.ts).

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  // Loaded on the first export, not at start (export.server.ts says why).
  const { exportFileName, markdownZipStream } = await import("../studio/export.server");
  // Read before answering, so a refused role or site is a 403/404, not a broken download.
  const site = await loadOrThrow(convex.query(api.siteExport.site, { siteId }));
  const body = await markdownZipStream({ convex, siteId, site, storageOrigin: convexUrl() });
  const out = privateHeaders(headers);
  out.set("Content-Type", "application/zip");
  out.set("Content-Disposition", `attachment; filename="${exportFileName(site.slug, "markdown", "zip")}"`);
  out.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { status: 200, headers: out });
}
