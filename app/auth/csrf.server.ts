// Cross-site request checks. Cookies are SameSite=Lax, which already keeps them off cross-site
// POSTs in current browsers; this is the second layer (older browsers, same-site subdomains,
// and the two minutes after a cookie is set where Chrome still sends Lax cookies on top-level
// cross-site POSTs). Plain HTML forms keep working: browsers send Origin on every form POST.

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function hostOf(value: string | null): string | null {
  if (!value || value === "null") return null;
  try {
    return new URL(value).host;
  } catch {
    return null;
  }
}

/**
 * True when the request comes from a page of this site: its Origin (or, without Origin, its
 * Referer) names the request's own host. Requests with neither are refused: every browser sends
 * one on a form POST, and non-browser clients can add one.
 */
export function isSameOriginRequest(request: Request): boolean {
  const own = new URL(request.url).host;
  const origin = request.headers.get("Origin");
  if (origin !== null) return hostOf(origin) === own;
  return hostOf(request.headers.get("Referer")) === own;
}

/**
 * For actions: refuses a state-changing request from another site with 403.
 * @throws Response 403 for cross-origin (or origin-less) non-GET requests.
 */
export function requireSameOrigin(request: Request): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  if (!isSameOriginRequest(request)) {
    throw new Response("Cross-site request refused.", { status: 403, headers: { "Content-Type": "text/plain" } });
  }
}

const REMIX_CHECKED_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The host Remix compares Origin with: X-Forwarded-Host's first value, else Host. */
function remixHost(headers: Headers): string | null {
  const forwarded = headers.get("X-Forwarded-Host")?.split(",")[0]?.trim();
  return forwarded || headers.get("Host") || null;
}

const REFUSED_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Request refused · Pressroom</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:36rem;margin:3rem auto;padding:0 1rem">
<main>
<h1>This form was sent from another site</h1>
<p>For your safety, Pressroom only accepts forms sent from its own pages, and this one came from somewhere else.
Nothing was changed.</p>
<p>If you were using Pressroom, go back, reload the page and try again.</p>
<p><a href="/">Go to Pressroom</a></p>
</main>
</body>
</html>`;

/**
 * For the server, before Remix: a state-changing request whose Origin is another site's (or "null",
 * or unreadable) gets a readable 403 page. Remix 2 refuses these itself, but by throwing, which
 * became an empty 500. The rule is Remix's (Origin against X-Forwarded-Host or Host) plus the
 * request URL's host, so whatever Remix would refuse is answered here first.
 * @returns the 403 response, or null when the request may go on.
 */
export function crossOriginRefusal(request: Request): Response | null {
  if (!REMIX_CHECKED_METHODS.has(request.method.toUpperCase())) return null;
  const origin = request.headers.get("Origin");
  if (origin === null) return null; // no Origin: the route actions' requireSameOrigin decides
  const host = hostOf(origin);
  if (host !== null && host === remixHost(request.headers) && host === new URL(request.url).host) return null;
  return new Response(REFUSED_PAGE, {
    status: 403,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

// The embeddable join form (app/utils/embedForm.ts) posts from other sites to /{slug}/email/join:
// the one route that accepts cross-origin form posts. It is a resource route (Remix's own origin
// check runs for document requests only), uses no session, and only starts a rate-limited join.
const EMBED_JOIN = /^\/[^/]+\/email\/join\/?$/;
// Before host routing, a site's own host addresses it as /email/join.
const EMBED_JOIN_ANY_HOST = /^\/(?:[^/]+\/)?email\/join\/?$/;

/** Whether a POST may be the embed form's, before host routing (app/entry.server.tsx `front`). */
export function mayBeEmbedJoin(request: Request): boolean {
  return request.method.toUpperCase() === "POST" && EMBED_JOIN_ANY_HOST.test(new URL(request.url).pathname);
}

/** Whether a POST, as Remix will route it (after host routing), is the embed form's join route. */
export function isEmbedJoin(request: Request): boolean {
  return request.method.toUpperCase() === "POST" && EMBED_JOIN.test(new URL(request.url).pathname);
}

/**
 * For GET resource routes that hand out credentials (the token route): refuses requests a
 * browser marks as coming from another site (Origin of another host, or Sec-Fetch-Site other
 * than same-origin). Clients that send neither header are not browsers running someone else's page.
 */
export function isCrossSiteRead(request: Request): boolean {
  const origin = request.headers.get("Origin");
  if (origin !== null && hostOf(origin) !== new URL(request.url).host) return true;
  const site = request.headers.get("Sec-Fetch-Site");
  return site !== null && site !== "same-origin";
}
