// Where to send the user after signing in: only paths on this site (open-redirect safe).

const AUTH_PAGES = ["/login", "/signup", "/verify", "/forgot-password", "/reset-password", "/logout"];

/**
 * A same-site relative path (`/a/b?c#d`) from an untrusted `redirectTo`, else `fallback`.
 * Refuses absolute and protocol-relative URLs (`//evil`, `/\evil`), control characters, and the
 * auth pages themselves (no loops back to /login).
 */
export function safeRedirectTo(value: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  const base = "http://pressroom.invalid";
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  if (AUTH_PAGES.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
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
