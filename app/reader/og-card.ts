// The generated Open Graph card of a post without a cover image (issue #16): its size, what it
// shows, and its versioned URL. Isomorphic: the post page's meta (seo.ts postImage) builds the URL
// on the server and in the browser; og-card.server.ts renders the PNG behind it.

export const OG_CARD_WIDTH = 1200;
export const OG_CARD_HEIGHT = 630;

/**
 * Everything a card shows. Deliberately no excerpt, no body and no author: a featured (paid) post's
 * card is its title and its publication's name, nothing a reader could not see on a locked page.
 */
export interface OgCardInput {
  title: string;
  siteName: string;
  /** The site's light-mode accent (accentPair(...).light): the card's background. */
  accent: string;
  /** The site's logo (its storage URL); drawn when it is a PNG or JPEG, else the name's initial. */
  logoUrl?: string | null;
}

/** Bumped when the card's layout changes, so every cached card URL changes with it. */
const LAYOUT_VERSION = "1";

/** FNV-1a (32 bit) as base 36: a short, stable fingerprint, the same in Node and the browser. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/**
 * The card's version (`?v=`): the post's live updatedAt plus a fingerprint of what the card shows,
 * since renaming the site or changing its accent changes the card without touching the post.
 */
export function ogCardVersion(card: OgCardInput, updatedAt: number): string {
  return `${Math.trunc(updatedAt).toString(36)}.${fnv1a([LAYOUT_VERSION, card.title, card.siteName, card.accent, card.logoUrl ?? ""].join("\u0000"))}`;
}

/** `{base}/og/{postSlug}?v={version}` (base: a link base or an absolute canonical base). */
export function ogCardPath(base: string, postSlug: string, version: string): string {
  return `${base}/og/${encodeURIComponent(postSlug)}?v=${encodeURIComponent(version)}`;
}
