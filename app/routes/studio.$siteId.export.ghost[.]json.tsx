import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import { convexUrl } from "../utils/convex.server";

// /studio/:siteId/export/ghost.json: the whole site as a Ghost 5 JSON export (owners: site.export),
// streamed page by page (app/studio/export.server.ts ghostJsonStream), never held whole.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  // Loaded on the first export, not at start (export.server.ts says why).
  const { exportFileName, ghostJsonStream } = await import("../studio/export.server");
  // Read before answering, so a refused role or site is a 403/404, not a broken download.
  const site = await loadOrThrow(convex.query(api.siteExport.site, { siteId }));
  const body = ghostJsonStream({ convex, siteId, site, storageOrigin: convexUrl() });
  const out = privateHeaders(headers);
  out.set("Content-Type", "application/json; charset=utf-8");
  out.set("Content-Disposition", `attachment; filename="${exportFileName(site.slug, "ghost", "json")}"`);
  out.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { status: 200, headers: out });
}
