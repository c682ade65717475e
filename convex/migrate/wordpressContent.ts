// WordPress post content as WordPress itself turns it into HTML, before the common HTML pass
// (html.ts): shortcodes, bare embed URLs on their own line, and wpautop for classic content.
// Shortcodes are text syntax, read with WordPress's own parser (@wordpress/shortcode, the regex of
// get_shortcode_regex()); paragraphs with WordPress's own wpautop port (@wordpress/autop).
// Pure string → string; whatever is not kept is listed in `unsupported` and left as a note or link.

import { autop } from "@wordpress/autop";
import { fromMatch, regexp, type Shortcode } from "@wordpress/shortcode";
import { escapeHtml } from "../shared/html";
import type { Unsupported } from "./types";

/** SyntaxHighlighter's shortcodes (the common way classic WordPress posts hold code): code blocks. */
const CODE = ["code", "sourcecode", "source"];
/** WordPress core's media shortcodes and their common aliases. Other names need closing/attrs to count (see isShortcode). */
const KNOWN = new Set(["caption", "wp_caption", "gallery", "audio", "video", "playlist", "embed", ...CODE]);
/** Any shortcode name (the library builds its regex around this; \2 back-references the name). */
const ANY_NAME = "[A-Za-z][A-Za-z0-9_-]{0,63}";
const MEDIA_ATTRS = ["src", "mp4", "m4v", "webm", "ogv", "wmv", "flv", "mp3", "m4a", "ogg", "wav", "wma", "url"];

export { escapeHtml };

/** An http(s) URL with a host, or null (javascript:, data:, relative, garbage). */
export function httpUrl(raw: string | null | undefined): string | null {
  const s = (raw ?? "").trim();
  if (!/^https?:\/\//i.test(s)) return null;
  try {
    const u = new URL(s);
    return u.host ? u.href : null;
  } catch {
    return null;
  }
}

/** The paragraph that stands for something the editor cannot hold: a link to it, or a note. */
export function embedParagraph(url: string | null, note: string): string {
  return url ? `<p>Embedded content: <a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>` : `<p>${escapeHtml(note)}</p>`;
}

// "[sic]" or "[1]" in prose is not a shortcode: an unknown name counts only when it is closed,
// self-closing, or carries name=value attributes (as plugin shortcodes do).
function isShortcode(sc: Shortcode): boolean {
  if (KNOWN.has(sc.tag)) return true;
  return sc.type !== "single" || Object.keys(sc.attrs.named).length > 0;
}

function shortcodeHtml(sc: Shortcode, unsupported: Unsupported[]): string {
  const named = sc.attrs.named;
  const content = sc.content ?? "";
  switch (sc.tag) {
    case "caption":
    case "wp_caption": {
      // [caption]<a><img></a> Caption text[/caption], or the old caption="…" attribute.
      const caption = named.caption ? `<figcaption>${escapeHtml(named.caption)}</figcaption>` : "";
      return `<figure>${content}${caption}</figure>`;
    }
    case "embed": {
      const url = httpUrl(content) ?? httpUrl(named.src ?? named.url);
      unsupported.push({ kind: "embed", detail: url ?? "[embed] without an address" });
      return embedParagraph(url, "[embed not imported]");
    }
    case "gallery": {
      const ids = (named.ids ?? named.include ?? "").split(",").filter((s) => s.trim());
      const note = ids.length ? `[gallery: ${ids.length} image${ids.length === 1 ? "" : "s"} not imported]` : "[gallery not imported]";
      unsupported.push({ kind: "gallery", detail: ids.length ? `${ids.length} images (attachment ids ${ids.join(",")})` : "[gallery]" });
      return `<p>${escapeHtml(note)}</p>`;
    }
    case "audio":
    case "video":
    case "playlist": {
      const url = MEDIA_ATTRS.map((a) => httpUrl(named[a])).find(Boolean) ?? httpUrl(content) ?? null;
      unsupported.push({ kind: sc.tag, detail: url ?? `[${sc.tag}]` });
      return embedParagraph(url, `[${sc.tag} not imported]`);
    }
    case "code":
    case "sourcecode":
    case "source": {
      const language = (named.language ?? named.lang ?? sc.attrs.numeric[0] ?? "").replace(/[^a-z0-9+#._-]/gi, "");
      return `<pre><code${language ? ` class="language-${escapeHtml(language)}"` : ""}>${content}</code></pre>`;
    }
    default: {
      // A plugin's shortcode: a note, and the text it wrapped stays.
      unsupported.push({ kind: "shortcode", detail: `[${sc.tag}]` });
      return `<p>${escapeHtml(`[shortcode ${sc.tag} not imported]`)}</p>${content}`;
    }
  }
}

/** Shortcodes → HTML, with WordPress's own regex; "[[name]]" is an escaped shortcode, shown as "[name]". */
function shortcodes(text: string, unsupported: Unsupported[], depth: number): string {
  if (depth > 4 || !text.includes("[")) return text;
  return text.replace(regexp(ANY_NAME), (...args: string[]) => {
    const [match, left, , , , , , right] = args;
    if (left === "[" && right === "]") return match.slice(1, -1);
    const sc = fromMatch(args);
    if (!isShortcode(sc)) return match;
    // Wrapped content may hold shortcodes of its own (a caption around an embed, a plugin's box).
    if (sc.content) sc.content = shortcodes(sc.content, unsupported, depth + 1);
    return left + shortcodeHtml(sc, unsupported) + right;
  });
}

/** WordPress's autoembed: a line that is only an http(s) URL (outside tags) is an embed. */
function autoembed(html: string, unsupported: Unsupported[]): string {
  return html.replace(/^(\s*)(https?:\/\/[^\s<>"']+)(\s*)$/gim, (line, _a, raw: string) => {
    const url = httpUrl(raw);
    if (!url) return line;
    unsupported.push({ kind: "embed", detail: url });
    return `\n\n${embedParagraph(url, "")}\n\n`;
  });
}

/**
 * WordPress content (`content:encoded`) → HTML as the site showed it. Block-editor content (it has
 * `<!-- wp:` comments) already has its paragraphs; classic content gets wpautop, as WordPress does.
 */
export function wordpressToHtml(content: string, unsupported: Unsupported[]): string {
  const blocks = content.includes("<!-- wp:");
  let html = shortcodes(content, unsupported, 0);
  html = autoembed(html, unsupported);
  return blocks ? html : autop(html);
}
