// URL policy for links and images: the one place that decides which hrefs and srcs a document may
// carry. Used by the schema (parse and render), the Markdown converter, the sanitizer of the reader
// renderer and the editor's toolbar. Everything here is pure and runs on the server and in browsers.

/** Schemes a link may use. Anything else (javascript:, data:, vbscript:, file:, …) is refused. */
export const LINK_SCHEMES = ["http", "https", "mailto"] as const;
/** Schemes an image may use. Our own storage URLs are http(s) too (`<convex url>/api/storage/<id>`). */
export const IMAGE_SCHEMES = ["http", "https"] as const;
/** Root-relative path of files served by our own storage (the local backend and Convex). */
export const STORAGE_PATH_PREFIX = "/api/storage/";

const MAX_URL_LENGTH = 2048;
// C0 controls, DEL and the C1 range. Browsers silently drop tabs and newlines inside URLs
// ("java\tscript:" is javascript:), so any URL containing one is refused outright.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

// Quotes, whitespace, angle brackets, backticks and backslashes have no business in a stored URL
// (a real one has them percent-encoded); they are what attribute breakouts are made of.
const BREAKOUT = /[\s"'<>`\\]/;

function clean(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const url = raw.trim();
  if (!url || url.length > MAX_URL_LENGTH || CONTROL.test(url) || BREAKOUT.test(url)) return null;
  return url;
}

function absoluteWithScheme(url: string, schemes: readonly string[]): boolean {
  const m = SCHEME.exec(url);
  if (!m || !schemes.includes(m[1].toLowerCase())) return false;
  if (m[1].toLowerCase() === "mailto") return url.length > "mailto:".length;
  try {
    const parsed = new URL(url);
    // "https:evil.com" and "https:/x" parse, but are not what anybody meant.
    return /^[a-z]+:\/\/[^/\\]/i.test(url) && !!parsed.host;
  } catch {
    return false;
  }
}

/** A same-site path: "/x" (not "//host" or "/\host", which browsers treat as another host). */
function isRootRelative(url: string): boolean {
  return url.startsWith("/") && url[1] !== "/" && url[1] !== "\\";
}

/**
 * The href to store or render for a link, or null when it is not allowed: absolute http(s) and
 * mailto URLs, same-site paths ("/about") and fragments ("#notes").
 */
export function safeLinkHref(raw: unknown): string | null {
  const url = clean(raw);
  if (!url) return null;
  if (url.startsWith("#")) return url;
  if (SCHEME.test(url)) return absoluteWithScheme(url, LINK_SCHEMES) ? url : null;
  // No scheme: only explicit same-site paths. "java&#x09;script:", "//evil.example" and bare words
  // ("evil.example/x", which a browser resolves relative to the page) are refused.
  return isRootRelative(url) ? url : null;
}

/** The src to store or render for an image, or null: absolute http(s) URLs and our storage paths. */
export function safeImageSrc(raw: unknown): string | null {
  const url = clean(raw);
  if (!url) return null;
  if (SCHEME.test(url)) return absoluteWithScheme(url, IMAGE_SCHEMES) ? url : null;
  return url.startsWith(STORAGE_PATH_PREFIX) && isRootRelative(url) ? url : null;
}

/** True for links that leave the site (absolute http(s) or mailto): they get rel="noopener noreferrer nofollow". */
export function isExternalHref(href: string): boolean {
  return SCHEME.test(href);
}

/** Rel attribute of external links. */
export const EXTERNAL_LINK_REL = "noopener noreferrer nofollow";

/** Code block languages that may go into a `language-…` class. */
export function safeLanguage(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const lang = raw.trim();
  return /^[a-z0-9][a-z0-9+#._-]{0,31}$/i.test(lang) ? lang : null;
}
