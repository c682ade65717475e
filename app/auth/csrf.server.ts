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
