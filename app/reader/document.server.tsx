import { PassThrough } from "node:stream";
import { createReadableStreamFromReadable, type EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { CACHE_PUBLIC } from "./http.server";

// Remix's document rendering (the default Node entry.server) plus a cache of rendered HTML for
// anonymous reader pages. To use it, app/entry.server.tsx is one line:
//
//   export { handleDocumentRequest as default } from "./reader/document.server";
//
// Why it is safe: a page is cached only when its loaders declared it public (Cache-Control
// `public, max-age=0, must-revalidate`, set by http.server.ts only for anonymous viewers) with an
// ETag and no Set-Cookie, and the key is (URL, ETag). The ETag hashes the data the page renders
// (and the build), and that data comes from the Convex subscription cache, so a cached document is
// exactly as fresh as its data: a publish changes the data, hence the ETag, hence the key. Signed-in
// viewers (private, no-store), errors, redirects and pages without an ETag always render.
//
// Why it matters: with query results cached, React rendering and Node stream plumbing are most of
// a reader page's cost; skipping them roughly triples throughput (local-backend/bench/reader-pages.ts).

const ABORT_DELAY = 5_000;
/** Most bytes of HTML kept (least recently used pages are dropped first). */
const MAX_BYTES = Number(process.env.READER_HTML_CACHE_BYTES ?? 64 * 2 ** 20);

/** The cache key of a response, or null when it must not be cached. */
export function documentCacheKey(request: Request, status: number, headers: Headers): string | null {
  if (request.method !== "GET" || status !== 200) return null;
  const etag = headers.get("ETag");
  if (!etag || headers.get("Cache-Control") !== CACHE_PUBLIC || headers.has("Set-Cookie")) return null;
  return `${request.url}\n${etag}`;
}

/** A byte-bounded LRU of rendered documents. */
export class DocumentCache {
  private readonly docs = new Map<string, string>();
  private bytes = 0;
  constructor(private readonly maxBytes = MAX_BYTES) {}

  get(key: string): string | undefined {
    const html = this.docs.get(key);
    if (html !== undefined) {
      this.docs.delete(key);
      this.docs.set(key, html);
    }
    return html;
  }

  set(key: string, html: string): void {
    const size = html.length * 2;
    if (size > this.maxBytes / 8) return;
    const old = this.docs.get(key);
    if (old !== undefined) this.bytes -= old.length * 2;
    this.docs.delete(key);
    this.docs.set(key, html);
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const [k, v] = this.docs.entries().next().value!;
      this.docs.delete(k);
      this.bytes -= v.length * 2;
    }
  }

  get size(): number {
    return this.docs.size;
  }
}

const cache = new DocumentCache();

export function handleDocumentRequest(request: Request, status: number, headers: Headers, remixContext: EntryContext): Promise<Response> {
  const key = process.env.READER_CACHE === "off" ? null : documentCacheKey(request, status, headers);
  if (key) {
    const hit = cache.get(key);
    if (hit !== undefined) {
      headers.set("Content-Type", "text/html");
      return Promise.resolve(new Response(hit, { status, headers }));
    }
  }
  // Bots, SPA mode and documents being cached wait for the whole page; browsers get the shell
  // as soon as it is ready (Remix's default).
  const allReady = key !== null || isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />, {
      [allReady ? "onAllReady" : "onShellReady"]() {
        shellRendered = true;
        const body = new PassThrough();
        if (key) {
          const chunks: Buffer[] = [];
          body.on("data", (c: Buffer) => chunks.push(c));
          body.on("end", () => {
            if (status === 200) cache.set(key, Buffer.concat(chunks).toString("utf8"));
          });
        }
        headers.set("Content-Type", "text/html");
        resolve(new Response(createReadableStreamFromReadable(body), { headers, status }));
        pipe(body);
      },
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        status = 500;
        // Errors inside the shell reject and are logged by Remix; later ones only here.
        if (shellRendered) console.error(error);
      },
    });
    setTimeout(abort, ABORT_DELAY).unref();
  });
}
