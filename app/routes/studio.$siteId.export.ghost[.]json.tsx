import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { GhostJsonWriter } from "../../convex/migrate/ghostExport";
import { EXPORT_POSTS_PER_READ, exportFileName } from "../studio/export.server";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import { convexUrl } from "../utils/convex.server";

// /studio/:siteId/export/ghost.json: the whole site as a Ghost 5 JSON export (owners: site.export),
// streamed: each pull reads one page of posts (then of tags) from Convex and writes its part of the
// JSON, so a large site is never held in memory (only the relations' ids are, until the end).

type Client = Awaited<ReturnType<typeof requireStudio>>["convex"];

function postsPage(convex: Client, siteId: Id<"sites">, cursor: string | null) {
  return convex.query(api.siteExport.posts, { siteId, paginationOpts: { numItems: EXPORT_POSTS_PER_READ, cursor } });
}
function tagsPage(convex: Client, siteId: Id<"sites">, cursor: string | null) {
  return convex.query(api.siteExport.tags, { siteId, paginationOpts: { numItems: 500, cursor } });
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  // Read before answering, so a refused role or site is a 403/404, not a broken download.
  const site = await loadOrThrow(convex.query(api.siteExport.site, { siteId }));
  const writer = new GhostJsonWriter(site, convexUrl(), Date.now());
  const encoder = new TextEncoder();
  let posts: Awaited<ReturnType<typeof postsPage>> | null = await postsPage(convex, siteId, null);
  let tags: Awaited<ReturnType<typeof tagsPage>> | null = null;
  let phase: "posts" | "tags" | "end" = "posts";
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(writer.start()));
    },
    async pull(controller) {
      if (phase === "posts" && posts) {
        const parts: string[] = [];
        for (const p of posts.page) parts.push(await writer.post(p));
        controller.enqueue(encoder.encode(parts.join("")));
        if (posts.isDone) {
          posts = null;
          phase = "tags";
          tags = await tagsPage(convex, siteId, null);
        } else posts = await postsPage(convex, siteId, posts.continueCursor);
      } else if (phase === "tags" && tags) {
        controller.enqueue(encoder.encode(tags.page.map((t) => writer.tag(t)).join("")));
        if (tags.isDone) {
          tags = null;
          phase = "end";
        } else tags = await tagsPage(convex, siteId, tags.continueCursor);
      } else {
        controller.enqueue(encoder.encode(writer.end()));
        controller.close();
      }
    },
  });
  const out = privateHeaders(headers);
  out.set("Content-Type", "application/json; charset=utf-8");
  out.set("Content-Disposition", `attachment; filename="${exportFileName(site.slug, "ghost", "json")}"`);
  out.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { status: 200, headers: out });
}
