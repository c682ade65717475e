import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { csvLine, NEWSLETTER_SEPARATOR, PRESSROOM_COLUMNS } from "../../convex/model/audienceImportFormat";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";

// /studio/:siteId/audience/export.csv: the publication's members as CSV (Pressroom's own format,
// which the importer reads back), streamed page by page from audienceImport:exportPage
// (audience.manage: editors and up), so the whole list is never in memory. Cells that a
// spreadsheet would run as a formula are escaped (csvLine).

/** Members per Convex read (each reads its newsletter rows). */
export const EXPORT_PAGE_SIZE = 200;

type Page = Awaited<ReturnType<typeof readPage>>;
type Client = Awaited<ReturnType<typeof requireStudio>>["convex"];

function readPage(convex: Client, siteId: Id<"sites">, cursor: string | null) {
  return convex.query(api.audienceImport.exportPage, { siteId, paginationOpts: { numItems: EXPORT_PAGE_SIZE, cursor } });
}

function lines(page: Page["page"]): string {
  return page.map((m) => csvLine([m.email, m.name, m.access, m.emailState, m.source, new Date(m.createdAt).toISOString(), m.newsletters.join(NEWSLETTER_SEPARATOR)])).join("");
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  // The first page is read before answering, so a refused role or site is a 403/404, not a broken download.
  let page: Page | null = await loadOrThrow(readPage(convex, siteId, null));
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvLine([...PRESSROOM_COLUMNS])));
    },
    async pull(controller) {
      if (!page) return controller.close();
      controller.enqueue(encoder.encode(lines(page.page)));
      page = page.isDone ? null : await readPage(convex, siteId, page.continueCursor);
    },
  });
  const out = privateHeaders(headers);
  out.set("Content-Type", "text/csv; charset=utf-8");
  out.set("Content-Disposition", `attachment; filename="members-${new Date().toISOString().slice(0, 10)}.csv"`);
  out.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { status: 200, headers: out });
}
