// Where to send the user after signing in: only paths on this site (open-redirect safe).

const AUTH_PAGES = ["/login", "/signup", "/verify", "/forgot-password", "/reset-password", "/logout"];

const BASE = "http://pressroom.invalid";

/** Percent-decoded until stable (double encoding included); a malformed escape stops decoding there. */
function decodeFully(value: string): string {
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(value);
    } catch {
      return value;
    }
    if (next === value) return value;
    value = next;
  }
  return value;
}

/**
 * The path `value` resolves to on this site (dot segments resolved), or null when it is not a plain
 * same-site path: it must start with one `/`, hold no control characters or backslashes (browsers
 * drop the former and read the latter as `/`), and must not resolve to `//host` (`/.//evil`).
 */
function sameSitePath(value: string): URL | null {
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith("/") || value.startsWith("//") || /[\u0000-\u001f\u007f\\]/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE || url.pathname.startsWith("//")) return null;
  return url;
}

/**
 * A same-site relative path (`/a/b?c#d`, normalised) from an untrusted `redirectTo`, else `fallback`.
 * The value is judged both as sent and fully percent-decoded, since a later hop (a proxy, another
 * redirect) may decode it: either form leaving the site (`//evil`, `/\evil`, `/%2F`, `/.//`, tabs,
 * schemes) is refused, as are the auth pages themselves (no loops back to /login).
 */
export function safeRedirectTo(value: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  const url = sameSitePath(value);
  const decoded = sameSitePath(decodeFully(value));
  if (!url || !decoded) return fallback;
  const out = `${url.pathname}${url.search}${url.hash}`;
  // The normalised result must pass the same checks (it is what the Location header carries).
  const outDecoded = sameSitePath(decodeFully(out));
  if (!sameSitePath(out) || !outDecoded) return fallback;
  const pathname = outDecoded.pathname;
  if (AUTH_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return fallback;
  return out;
}

/** The current page as a `redirectTo` value (path and query of the request). */
export function currentPath(request: Request): string {
  const url = new URL(request.url);
  return `${url.pathname}${url.search}`;
}

/** `/login?redirectTo=…` for the given page. */
export function loginUrl(redirectTo: string): string {
  const safe = safeRedirectTo(redirectTo, "");
  return safe ? `/login?${new URLSearchParams({ redirectTo: safe })}` : "/login";
}
