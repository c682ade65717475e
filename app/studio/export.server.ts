// The site export downloads (issue #17): the Markdown zip's streaming writer and the files' names.
// The Ghost JSON route writes its own pieces (convex/migrate/ghostExport.ts GhostJsonWriter).
// The export routes import this module on their first request (`await import`): with it come
// happy-dom, @tiptap/html, marked, yaml and fflate, ~60 MB of resident memory per app worker that a
// worker serving pages never needs (issue #18, memory).
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { GhostJsonWriter } from "../../convex/migrate/ghostExport";
import { imageExtension, postMarkdown, readme, storedImages } from "../../convex/migrate/markdownExport";
// docToMarkdown's read-back parses through one long-lived DOM instead of a Window per post.
import "../editor/markdown.server";
import type { ExportSite, ExportTerm } from "../../convex/model/siteExport";
import type { StudioContext } from "./studio.server";

/** `<site-slug>-<kind>-<YYYY-MM-DD>.<ext>` (site slugs are lowercase letters, digits and hyphens). */
export function exportFileName(siteSlug: string, kind: string, ext: string, now = Date.now()): string {
  return `${siteSlug.replace(/[^a-z0-9-]/g, "") || "site"}-${kind}-${new Date(now).toISOString().slice(0, 10)}.${ext}`;
}

/** Posts per Convex read for the exports (the query caps it too: model/siteExport.ts). */
export const EXPORT_POSTS_PER_READ = 25;
/** An image larger than this stays a URL in the Markdown instead of being copied into the zip. */
export const MAX_EXPORT_IMAGE_BYTES = 25 * 2 ** 20;

/** What the streams need of a Convex client (the studio's, or a test's stand-in). */
type Client = Pick<StudioContext["convex"], "query">;

/** Every tag's name by id (names only: small even for large sites), page by page. */
export async function tagNames(convex: Client, siteId: Id<"sites">): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | null = null;
  for (;;) {
    const page: { page: ExportTerm[]; isDone: boolean; continueCursor: string } = await convex.query(api.siteExport.tags, { siteId, paginationOpts: { numItems: 500, cursor } });
    for (const t of page.page) names.set(t._id, t.name);
    if (page.isDone) return names;
    cursor = page.continueCursor;
  }
}

/**
 * The bytes and extension of an image in our storage, or null (missing, not an image type we
 * export, or too large: the Markdown then keeps its URL). Only called with URLs on the Convex
 * deployment's own origin (storedImages), so the export never fetches an address a post names.
 */
async function fetchStoredImage(url: string, fetchImpl: typeof fetch): Promise<{ bytes: Uint8Array; ext: string } | null> {
  try {
    const res = await fetchImpl(url, { redirect: "error" });
    const ext = imageExtension(res.headers.get("Content-Type"));
    if (!res.ok || !ext || Number(res.headers.get("Content-Length") ?? 0) > MAX_EXPORT_IMAGE_BYTES) {
      await res.body?.cancel();
      return null;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    return bytes.byteLength > MAX_EXPORT_IMAGE_BYTES ? null : { bytes, ext };
  } catch {
    return null;
  }
}

export interface ExportStreamOptions {
  convex: Client;
  siteId: Id<"sites">;
  site: ExportSite;
  storageOrigin: string;
  now?: number;
  fetchImpl?: typeof fetch;
}

/**
 * The Markdown zip as a stream: each pull reads one page of posts, copies the stored images they
 * use (each once, not recompressed) and deflates their Markdown files. The zip's chunks go out as
 * fflate makes them; only the current page (and the next, being read) and image are in memory.
 */
export async function markdownZipStream(o: ExportStreamOptions): Promise<ReadableStream<Uint8Array>> {
  const now = o.now ?? Date.now();
  const fetchImpl = o.fetchImpl ?? fetch;
  const names = await tagNames(o.convex, o.siteId);
  const images = new Map<string, string | null>();
  let zip: Zip;
  const add = (path: string, bytes: Uint8Array, compress: boolean) => {
    const file = compress ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path);
    file.mtime = now;
    zip.add(file);
    file.push(bytes, true);
  };
  const encoder = new TextEncoder();
  const readPage = (at: string | null) => o.convex.query(api.siteExport.posts, { siteId: o.siteId, paginationOpts: { numItems: EXPORT_POSTS_PER_READ, cursor: at } });
  let next: ReturnType<typeof readPage> | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      zip = new Zip((err, chunk, final) => {
        if (err) return controller.error(err);
        controller.enqueue(chunk);
        if (final) controller.close();
      });
      add("README.md", encoder.encode(readme(o.site, now)), true);
    },
    async pull() {
      // The next page is read while this one is converted (the backend's time overlaps ours); at
      // most two pages are held.
      const page = await (next ?? readPage(null));
      next = page.isDone ? null : readPage(page.continueCursor);
      // Awaited on the next pull; a download cancelled before then must not leave it unhandled.
      next?.catch(() => undefined);
      for (const post of page.page) {
        for (const { key, url } of storedImages(post, o.storageOrigin)) {
          if (images.has(key)) continue;
          const image = await fetchStoredImage(url, fetchImpl);
          const path = image ? `images/${key}.${image.ext}` : null;
          images.set(key, path);
          if (image && path) add(path, image.bytes, false);
        }
        const md = postMarkdown(post, { site: o.site, tagNames: names, storageOrigin: o.storageOrigin, imagePath: (key) => images.get(key) ?? null });
        add(md.path, encoder.encode(md.text), true);
      }
      if (page.isDone) zip.end();
      // happy-dom lets go of a parsed document (docToMarkdown's read-back) only on a later
      // macrotask: yield one per page so a page's garbage never piles onto the next.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  });
}

/**
 * The Ghost JSON export as a stream: each pull reads one page of posts (then of tags) and writes
 * its part of the JSON; only the relations' ids are kept until the end (GhostJsonWriter).
 */
export function ghostJsonStream(o: ExportStreamOptions): ReadableStream<Uint8Array> {
  const writer = new GhostJsonWriter(o.site, o.storageOrigin, o.now ?? Date.now());
  const encoder = new TextEncoder();
  let phase: "posts" | "tags" | "end" = "posts";
  let cursor: string | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(writer.start()));
    },
    async pull(controller) {
      if (phase === "posts") {
        const page = await o.convex.query(api.siteExport.posts, { siteId: o.siteId, paginationOpts: { numItems: EXPORT_POSTS_PER_READ, cursor } });
        const parts: string[] = [];
        for (const p of page.page) parts.push(await writer.post(p));
        controller.enqueue(encoder.encode(parts.join("")));
        [phase, cursor] = page.isDone ? ["tags", null] : ["posts", page.continueCursor];
      } else if (phase === "tags") {
        const page = await o.convex.query(api.siteExport.tags, { siteId: o.siteId, paginationOpts: { numItems: 500, cursor } });
        controller.enqueue(encoder.encode(page.page.map((t) => writer.tag(t)).join("")));
        [phase, cursor] = page.isDone ? ["end", null] : ["tags", page.continueCursor];
      } else {
        controller.enqueue(encoder.encode(writer.end()));
        controller.close();
      }
    },
  });
}
