// The three auth cookies, named and set as @convex-dev/auth's Next.js adapter does
// (src/nextjs/server/cookies.ts): `__convexAuthJWT`, `__convexAuthRefreshToken` and
// `__convexAuthOAuthVerifier`, with the `__Host-` prefix except on localhost; httpOnly,
// SameSite=Lax, Path=/, Secure except on localhost (browsers drop Secure cookies on http://).

export type AuthCookies = {
  token: string | null;
  refreshToken: string | null;
  verifier: string | null;
};

export type Tokens = { token: string; refreshToken: string };

/**
 * Cookie lifetime. `null` (the default, as in the Next.js adapter) makes session cookies: the
 * browser forgets them when it closes, while the refresh token itself lives 30 days in Convex.
 */
export const COOKIE_MAX_AGE_SECONDS: number | null = null;

/** True for loopback hosts, where cookies can be neither Secure nor `__Host-` (plain http). */
export function isLocalHost(request: Request): boolean {
  const { hostname } = new URL(request.url);
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

export function cookieNames(request: Request) {
  const prefix = isLocalHost(request) ? "" : "__Host-";
  return {
    token: `${prefix}__convexAuthJWT`,
    refreshToken: `${prefix}__convexAuthRefreshToken`,
    verifier: `${prefix}__convexAuthOAuthVerifier`,
  };
}

/** All cookies of a request (first value wins, as browsers send the most specific first). */
export function parseCookieHeader(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!name || out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

export function readAuthCookies(request: Request): AuthCookies {
  const names = cookieNames(request);
  const jar = parseCookieHeader(request.headers.get("Cookie"));
  const get = (n: string) => jar.get(n) || null;
  return { token: get(names.token), refreshToken: get(names.refreshToken), verifier: get(names.verifier) };
}

type CookieOptions = { maxAge?: number | null; expire?: boolean };

/** A Set-Cookie value with the auth cookie attributes for this request's host. */
export function serializeAuthCookie(request: Request, name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${options.expire ? "" : encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (!isLocalHost(request)) parts.push("Secure");
  if (options.expire) {
    parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT", "Max-Age=0");
  } else if (options.maxAge != null) {
    parts.push(`Max-Age=${Math.floor(options.maxAge)}`);
  }
  return parts.join("; ");
}

/**
 * Appends Set-Cookie headers for a new session (`tokens`) or for signing out (`null`). The OAuth
 * verifier is single-use, so it is cleared either way.
 */
export function appendAuthCookies(headers: Headers, request: Request, tokens: Tokens | null): Headers {
  const names = cookieNames(request);
  if (tokens === null) {
    headers.append("Set-Cookie", serializeAuthCookie(request, names.token, "", { expire: true }));
    headers.append("Set-Cookie", serializeAuthCookie(request, names.refreshToken, "", { expire: true }));
  } else {
    headers.append("Set-Cookie", serializeAuthCookie(request, names.token, tokens.token, { maxAge: COOKIE_MAX_AGE_SECONDS }));
    headers.append(
      "Set-Cookie",
      serializeAuthCookie(request, names.refreshToken, tokens.refreshToken, { maxAge: COOKIE_MAX_AGE_SECONDS }),
    );
  }
  headers.append("Set-Cookie", serializeAuthCookie(request, names.verifier, "", { expire: true }));
  return headers;
}

/** Stores the OAuth PKCE verifier until the provider redirects back with `?code=`. */
export function appendVerifierCookie(headers: Headers, request: Request, verifier: string): Headers {
  headers.append("Set-Cookie", serializeAuthCookie(request, cookieNames(request).verifier, verifier, { maxAge: 15 * 60 }));
  return headers;
}

// The address a code was just sent to, so /verify and /reset-password can prefill it without
// putting the email in the URL (and so in logs and browser history). Informational only.
const PENDING_EMAIL = "pressroom_pending_email";

export function readPendingEmail(request: Request): string {
  return parseCookieHeader(request.headers.get("Cookie")).get(PENDING_EMAIL) ?? "";
}

export function appendPendingEmail(headers: Headers, request: Request, email: string | null): Headers {
  headers.append(
    "Set-Cookie",
    email === null
      ? serializeAuthCookie(request, PENDING_EMAIL, "", { expire: true })
      : serializeAuthCookie(request, PENDING_EMAIL, email, { maxAge: 30 * 60 }),
  );
  return headers;
}
