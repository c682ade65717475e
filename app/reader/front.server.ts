import { gzipSync } from "node:zlib";
import { serverEnv } from "../env.server";
import { api } from "../../convex/_generated/api";
import { PLATFORM_PATHS } from "../../convex/shared/constants";
import { anonymousReaderClient } from "./client.server";
import { CACHE_PUBLIC, matchesEtag } from "./http.server";
import { dependenciesCurrent, trackDependencies, type RequestDeps } from "./request-deps.server";
import { classifyHost, hostConfig, hostnameOf, hostRewritePath, isPossibleSiteSlug, type HostConfig, type PublicSite } from "./site.server";
import type { Id } from "../../convex/_generated/dataModel";
import { countView } from "./views.server";
import { withWholeBody } from "../utils/whole-body.server";

// What happens to a request before Remix sees it (the production server, app/server/index.ts,
// calls `front` for every request that is not a static file; app/entry.server.tsx exports it so it
// shares this bundle's subscription cache):
//
// 1. Host routing. On a site's own host ({slug}.{ROOT_DOMAIN} or its custom domain) reader paths
//    are rewritten to the /{slug}/… form the routes expect, platform paths (/login, /studio, …)
//    redirect to the platform host, and an unknown host is a 404.
// 2. The response cache. A public reader response (anonymous, `public` with an ETag, no cookie,
//    every read through the subscription cache) is stored with the versions of the query results
//    it was built from, and served as is — 304 when the ETag matches — while all of them are
//    still current. A publish changes a query result, so the next request renders anew: freshness
//    comes from Convex subscriptions, never from a TTL. Requests with cookies other than the view
//    cookie always go to Remix; a reader's first look at a stored post page counts its view here.

/** Internal header: "{siteSlug} {postId}" of the post a page counts views of (set by the post page, never sent). */
export const VIEW_HEADER = "x-pressroom-view";
const MAX_BYTES = Number(serverEnv.READER_RESPONSE_CACHE_BYTES ?? 64 * 2 ** 20);

type Next = (request: Request) => Promise<Response>;

interface Stored {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer> | null;
  etag: string;
  deps: RequestDeps["deps"];
  viewOf: string | null;
  bytes: number;
}

/** A byte-bounded LRU of responses with their dependencies. */
export class ResponseCache {
  private readonly entries = new Map<string, Stored>();
  private bytes = 0;
  stats = { hits: 0, misses: 0, stale: 0, stored: 0 };
  constructor(private readonly maxBytes = MAX_BYTES) {}

  /** A current stored response, or undefined (a stale one is dropped). */
  get(key: string): Stored | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (!dependenciesCurrent(e.deps)) {
      this.stats.stale++;
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  set(key: string, e: Stored): void {
    if (e.bytes > this.maxBytes / 8) return;
    this.delete(key);
    this.entries.set(key, e);
    this.bytes += e.bytes;
    this.stats.stored++;
    while (this.bytes > this.maxBytes) this.delete(this.entries.keys().next().value!);
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }
}

const sharedResponses = new ResponseCache();

/** Cookies that do not change what an anonymous reader is shown. */
const NEUTRAL_COOKIES = new Set(["pr_viewed"]);

function onlyNeutralCookies(request: Request): boolean {
  const cookie = request.headers.get("cookie");
  if (!cookie) return true;
  return cookie.split(";").every((part) => {
    const name = part.split("=")[0].trim();
    return !name || NEUTRAL_COOKIES.has(name);
  });
}

function cacheKey(request: Request): string | null {
  if ((request.method !== "GET" && request.method !== "HEAD") || !onlyNeutralCookies(request)) return null;
  const url = new URL(request.url);
  return `${request.headers.get("host") ?? ""} ${url.pathname}${url.search}`;
}

function acceptsGzip(request: Request): boolean {
  return /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
}

function fromStored(request: Request, e: Stored, setCookie: string | null = null): Response {
  const headers = new Headers(e.headers);
  if (setCookie) {
    // As cacheDecision does for a response that sets a cookie: only the browser may keep it.
    headers.append("Set-Cookie", setCookie);
    headers.set("Cache-Control", "private, max-age=0, must-revalidate");
  }
  if (matchesEtag(request, e.etag)) return new Response(null, { status: 304, headers });
  headers.append("Vary", "Accept-Encoding");
  let body = e.body;
  if (acceptsGzip(request)) {
    e.gzip ??= new Uint8Array(gzipSync(e.body));
    body = e.gzip;
    headers.set("Content-Encoding", "gzip");
  }
  headers.set("Content-Length", String(body.length));
  if (request.method === "HEAD") return new Response(null, { status: e.status, headers });
  return withWholeBody(new Response(body, { status: e.status, headers }), body);
}

/** Whether a response may be stored: public, validated by an ETag, setting no cookie, fully tracked. */
function storable(response: Response, deps: RequestDeps): boolean {
  return (
    response.status === 200 &&
    !deps.untracked &&
    deps.deps.length > 0 &&
    response.headers.get("Cache-Control") === CACHE_PUBLIC &&
    response.headers.has("ETag") &&
    !response.headers.has("Set-Cookie") &&
    !response.headers.has("Content-Encoding")
  );
}

/** Counts a view of a post and returns the view cookie to set (views.server.ts). */
export type ViewCounter = (request: Request, siteSlug: string, postId: string) => string | null;

const countAnonymousView: ViewCounter = (request, siteSlug, postId) =>
  countView(request, siteSlug, postId as Id<"posts">);

/**
 * Serves `request` from the response cache, or through `next` (storing the response if it may be).
 * A stored post page still counts a reader's first look at the post (the mutation and the cookie
 * the post loader would have sent).
 */
export async function cachedResponse(
  request: Request,
  next: Next,
  responses: ResponseCache = sharedResponses,
  count: ViewCounter = countAnonymousView,
): Promise<Response> {
  const key = cacheKey(request);
  if (!key || serverEnv.READER_CACHE === "off") return strip(await next(request));
  const hit = responses.get(key);
  if (hit) {
    responses.stats.hits++;
    const [siteSlug, postId] = hit.viewOf?.split(" ") ?? [];
    const setCookie = siteSlug && postId && request.method === "GET" ? count(request, siteSlug, postId) : null;
    return fromStored(request, hit, setCookie);
  }
  responses.stats.misses++;
  const { deps, result } = trackDependencies(() => next(request));
  const response = await result;
  if (request.method !== "GET" || !storable(response, deps)) return strip(response);
  const body = new Uint8Array(await response.arrayBuffer());
  const viewOf = response.headers.get(VIEW_HEADER);
  const headers = [...strip(response).headers].filter(([k]) => k !== "content-length");
  const stored: Stored = {
    status: response.status,
    headers,
    body,
    gzip: null,
    etag: response.headers.get("ETag")!,
    deps: deps.deps,
    viewOf,
    // The body and, once asked for, its gzip copy (added to the budget when made).
    bytes: Math.ceil(body.length * 1.35) + 512,
  };
  responses.set(key, stored);
  return fromStored(request, stored);
}

function strip(response: Response): Response {
  response.headers.delete(VIEW_HEADER);
  return response;
}

// ------------------------------------------------------------------------------------------------
// Host routing.

export type HostRoute =
  | { kind: "platform" }
  | { kind: "site"; site: PublicSite; path: string }
  | { kind: "redirect"; location: string; status?: 301 }
  | { kind: "unknown" };

type Lookup = (by: { slug: string } | { domain: string }) => Promise<PublicSite | null>;

const defaultLookup: Lookup = (by) => anonymousReaderClient().query(api.sites.getPublic, by);

/** The platform's own origin, where platform paths on a site's host are sent. */
export function platformOrigin(config: HostConfig, env: Record<string, string | undefined> = serverEnv): string | null {
  if (env.PLATFORM_URL) return env.PLATFORM_URL.replace(/\/+$/, "");
  return config.rootDomain ? `https://${config.rootDomain}` : null;
}

/** Where a request goes, from its Host and path. */
export async function routeHost(
  url: URL,
  hostHeader: string | null,
  config: HostConfig = hostConfig(),
  lookup: Lookup = defaultLookup,
): Promise<HostRoute> {
  const host = classifyHost(hostnameOf(hostHeader, url), config);
  if (host.kind === "platform") return { kind: "platform" };
  const site =
    host.kind === "subdomain" ? (isPossibleSiteSlug(host.slug) ? await lookup({ slug: host.slug }) : null) : await lookup({ domain: host.domain });
  if (!site) return { kind: "unknown" };
  const first = url.pathname.split("/")[1] ?? "";
  // robots.txt knows about site hosts itself (it lists the host's sitemap).
  if (first === "robots.txt") return { kind: "site", site, path: url.pathname };
  if ((PLATFORM_PATHS as readonly string[]).includes(first)) {
    const origin = platformOrigin(config);
    if (!origin) return { kind: "unknown" };
    // Come back to the platform form of the page the reader was on (/{slug}/…).
    const params = new URLSearchParams(url.search);
    const back = params.get("redirectTo");
    // (Links rendered on the server already carry the /{slug} form: leave those alone.)
    const prefixed = back === `/${site.slug}` || back?.startsWith(`/${site.slug}/`) || back?.startsWith(`/${site.slug}?`);
    if (back?.startsWith("/") && !back.startsWith("//") && !prefixed) params.set("redirectTo", hostRewritePath(back, site.slug));
    const qs = params.toString();
    return { kind: "redirect", location: `${origin}${url.pathname}${qs ? `?${qs}` : ""}` };
  }
  // Platform-form links (/{slug}/…, as bodies and old shares carry them) lead to the host form.
  if (first === site.slug) {
    const rest = url.pathname.slice(site.slug.length + 1) || "/";
    return { kind: "redirect", location: `${rest}${url.search}`, status: 301 };
  }
  return { kind: "site", site, path: hostRewritePath(url.pathname, site.slug) };
}

/**
 * The answer for a host that is no publication. Revalidated on every visit, never kept: a host
 * becomes a publication the moment its domain is verified (or its site created), and a browser or
 * CDN holding this 404 would keep the owner's new site away after they check it once.
 */
export function unknownHost(): Response {
  return new Response("<!doctype html><title>Not found</title><h1>No publication here</h1><p>This address is not connected to a Pressroom publication.</p>", {
    status: 404,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": CACHE_PUBLIC },
  });
}

/** Everything before Remix: host routing, then the response cache. */
export async function front(request: Request, next: Next): Promise<Response> {
  const url = new URL(request.url);
  const route = await routeHost(url, request.headers.get("host"));
  if (route.kind === "unknown") return unknownHost();
  if (route.kind === "redirect") return new Response(null, { status: route.status ?? 302, headers: { Location: route.location } });
  if (route.kind === "site") {
    const target = new URL(request.url);
    target.pathname = route.path;
    const init: RequestInit & { duplex?: "half" } = { method: request.method, headers: request.headers, signal: request.signal };
    if (request.body) {
      init.body = request.body;
      init.duplex = "half";
    }
    request = new Request(target, init);
  }
  return cachedResponse(request, next);
}

export function responseCacheStats() {
  return { ...sharedResponses.stats, size: sharedResponses.size, bytes: sharedResponses.byteSize };
}
