import { createHash, randomBytes } from "node:crypto";
import { data } from "@remix-run/node";
import { serverEnv } from "../env.server";
import type { ReaderClient } from "./client.server";

// HTTP caching for reader responses (style guide §3.8):
// - a signed-in viewer's responses are `private, no-store` (what they see depends on who they are);
// - anonymous responses are `public, max-age=0, must-revalidate` with a weak ETag that hashes the
//   data the page renders, so caches always revalidate (a publish shows up on the next request;
//   nothing is stale for a TTL) and an unchanged page costs a 304 instead of a render.

export const CACHE_PUBLIC = "public, max-age=0, must-revalidate";
export const CACHE_PRIVATE = "private, no-store";

/**
 * Changes whenever the app is rebuilt or restarted: the HTML also depends on the build's assets,
 * so an ETag from an older build must not match. BUILD_ID pins it across instances.
 */
const BUILD_SALT = serverEnv.BUILD_ID ?? randomBytes(8).toString("hex");

/** A weak ETag of a value (weak: compression changes the bytes, not the meaning). */
export function etagFor(value: unknown): string {
  const json = typeof value === "string" ? value : JSON.stringify(value);
  return `W/"${createHash("sha1").update(BUILD_SALT).update(json).digest("base64url").slice(0, 27)}"`;
}

/** Whether the request's If-None-Match covers the ETag. */
export function matchesEtag(request: Request, etag: string): boolean {
  const header = request.headers.get("if-none-match");
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => bare(t) === bare(etag));
}

export interface CacheDecision {
  status: 200 | 304;
  headers: Headers;
}

/**
 * Headers (and 200/304) for a reader response whose content is determined by `fingerprint`.
 * `setCookie`: a response that sets a cookie may only be cached by the browser itself.
 */
export function cacheDecision(
  request: Request,
  client: Pick<ReaderClient, "signedIn" | "responseHeaders">,
  fingerprint: unknown,
  setCookie?: string | null,
): CacheDecision {
  const headers = new Headers(client.responseHeaders);
  if (setCookie) headers.append("Set-Cookie", setCookie);
  const cookieSet = headers.has("Set-Cookie");
  if (client.signedIn) {
    headers.set("Cache-Control", CACHE_PRIVATE);
    return { status: 200, headers };
  }
  const etag = etagFor(fingerprint);
  headers.set("Cache-Control", cookieSet ? "private, max-age=0, must-revalidate" : CACHE_PUBLIC);
  headers.set("ETag", etag);
  // A shared cache must not hand an anonymous page to a signed-in reader or the reverse.
  headers.set("Vary", "Cookie");
  return { status: matchesEtag(request, etag) ? 304 : 200, headers };
}

/** A page loader's result with cache headers; a 304 (no body) when the reader's copy is current. */
export function cachedPage<T>(
  request: Request,
  client: Pick<ReaderClient, "signedIn" | "responseHeaders">,
  payload: T,
  fingerprint: unknown,
  setCookie?: string | null,
  extraHeaders?: Record<string, string>,
) {
  const { status, headers } = cacheDecision(request, client, fingerprint, setCookie);
  for (const [k, v] of Object.entries(extraHeaders ?? {})) headers.set(k, v);
  return data(payload, { status, headers });
}

/** A non-HTML reader response (feeds, sitemaps, robots.txt): always anonymous, so always public. */
export function cachedBody(request: Request, body: string, contentType: string): Response {
  const { status, headers } = cacheDecision(request, { signedIn: false }, body);
  headers.set("Content-Type", contentType);
  headers.delete("Vary");
  return new Response(status === 304 ? null : body, { status, headers });
}

/** A 404 for reader routes: the ErrorBoundary renders it inside the site's chrome. */
export function notFound(message = "Not Found"): Response {
  return new Response(message, { status: 404, statusText: "Not Found", headers: { "Cache-Control": CACHE_PUBLIC } });
}

/** A 400 for a malformed page link (a damaged cursor). */
export function badRequest(message = "Bad Request"): Response {
  return new Response(message, { status: 400, statusText: "Bad Request", headers: { "Cache-Control": CACHE_PUBLIC } });
}

/** The headers export of every reader page: the loader's (or the thrown response's) headers. */
export function readerHeaders({ loaderHeaders, errorHeaders }: { loaderHeaders: Headers; errorHeaders?: Headers }): Headers {
  return errorHeaders ?? loaderHeaders;
}
