import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { anonymousReaderClient } from "./client.server";
import { notFound } from "./http.server";
import { OG_CARD_HEIGHT, OG_CARD_WIDTH, ogCardPath, ogCardVersion, type OgCardInput } from "./og-card";
import { resolveSite } from "./site.server";
import { accentPair } from "./theme";

// The generated Open Graph card (1200×630 PNG) of a post without a cover image: the post's title
// and the site's name on the site's accent, laid out by satori (strings in, SVG out: a title is
// never parsed as markup) and rasterised by resvg. Served at /{site}/og/{postSlug}?v={version}:
// - the post is read with the ANONYMOUS reader client whoever asks, so a card is the same for
//   everyone and only a live (published) post has one; drafts, scheduled and archived posts 404;
// - the card carries the title and site name only (OgCardInput has no excerpt or body), so a
//   featured post's card leaks nothing of its paid part;
// - the current `v` is cacheable forever (immutable); another `v` 302s to the current one;
// - PNGs are kept in a byte-bounded LRU keyed by exactly what the card shows;
// - the site's logo is drawn when it is a PNG or JPEG (else, and without a logo, the name's initial).
// Known limit: only Inter's Latin subset is loaded, so glyphs outside it (CJK, Arabic, emoji…)
// do not render; such titles lose those characters on the card (the page itself is unaffected).

export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
/** The longest title drawn (code points; longer ones end in an ellipsis): four lines at the smallest size. */
const MAX_TITLE_CHARS = 110;
const PAD_X = 84;
const PAD_Y = 72;

const require = createRequire(import.meta.url);

/**
 * satori and resvg load on the first card a process renders, not at start: together ~40 MB of
 * resident memory per app worker (measured: importing satori alone adds ~33 MB of RSS) that a
 * worker serving only pages never needs (issue #18, memory).
 */
let renderers: Promise<{ satori: typeof import("satori").default; Resvg: typeof import("@resvg/resvg-js").Resvg }> | null = null;
const loadRenderers = () =>
  (renderers ??= Promise.all([import("satori"), import("@resvg/resvg-js")]).then(([s, r]) => ({ satori: s.default, Resvg: r.Resvg })));
let fonts: Array<{ name: string; data: Buffer; weight: 400 | 700; style: "normal" }> | null = null;

/** Inter's static WOFF files (satori reads WOFF, not WOFF2), resolved so the server build finds them too. */
function interFonts() {
  fonts ??= ([400, 700] as const).map((weight) => ({
    name: "Inter",
    data: readFileSync(require.resolve(`@fontsource/inter/files/inter-latin-${weight}-normal.woff`)),
    weight,
    style: "normal" as const,
  }));
  return fonts;
}

/** Satori's element shape (what JSX would produce), written out so this file needs no JSX. */
export interface CardNode {
  type: string;
  props: {
    style?: Record<string, string | number>;
    children?: Array<CardNode | string> | CardNode | string;
    src?: string;
    width?: number;
    height?: number;
  };
}

const el = (type: string, style: Record<string, string | number>, children?: CardNode["props"]["children"]): CardNode => ({
  type,
  props: { style, ...(children === undefined ? {} : { children }) },
});

/** At most `max` code points (never half a surrogate pair), with an ellipsis when cut. */
export function clampChars(s: string, max: number): string {
  const chars = Array.from(s.replace(/\s+/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/**
 * The title's size by its length: short titles large, long ones smaller. The space below the
 * header holds 4 lines at 84px, 5 at 68px and 6 at 56px; Inter Bold fits about 20, 26 and 32
 * characters a line there, so even wrapping wide glyphs early the title stays on the card.
 */
function titleSize(title: string): number {
  const n = Array.from(title).length;
  return n <= 36 ? 84 : n <= 70 ? 68 : 56;
}

/**
 * The card's element tree. Every text is a plain string child: satori lays it out as text.
 * `logoSrc`: the site's logo as a data: URL (fetchLogo), or null for the name's initial.
 */
export function ogCardTree(card: OgCardInput, logoSrc: string | null = null): CardNode {
  const title = clampChars(card.title, MAX_TITLE_CHARS) || "Untitled";
  const siteName = clampChars(card.siteName, 60);
  const initial = Array.from(siteName)[0]?.toUpperCase() ?? "P";
  return el(
    "div",
    {
      // satori adds padding to width and height (content-box): the inner size is the card minus it.
      width: OG_CARD_WIDTH - 2 * PAD_X,
      height: OG_CARD_HEIGHT - 2 * PAD_Y,
      display: "flex",
      flexDirection: "column",
      justifyContent: "space-between",
      padding: `${PAD_Y}px ${PAD_X}px`,
      backgroundColor: card.accent,
      backgroundImage: "linear-gradient(135deg, rgba(255,255,255,0.10) 0%, rgba(0,0,0,0.22) 100%)",
      color: "#ffffff",
      fontFamily: "Inter",
    },
    [
      el("div", { display: "flex", alignItems: "center" }, [
        logoSrc
          ? { type: "img", props: { src: logoSrc, width: 64, height: 64, style: { borderRadius: 16, marginRight: 24, objectFit: "cover" } } }
          : el(
          "div",
          {
            display: "flex",
            alignItems: "center",
            justifyContent: "center",
            width: 64,
            height: 64,
            borderRadius: 16,
            backgroundColor: "#ffffff",
            color: card.accent,
            fontSize: 36,
            fontWeight: 700,
            marginRight: 24,
          },
          initial,
        ),
        el("div", { display: "flex", fontSize: 34, fontWeight: 400, opacity: 0.92 }, siteName),
      ]),
      el(
        "div",
        {
          // flex, not lineClamp: satori measures clamped blocks short, which pushed long titles off
          // the card. The title is clamped by length instead (clampChars), and every size leaves
          // room for more lines than its longest title needs.
          display: "flex",
          width: OG_CARD_WIDTH - 2 * PAD_X,
          fontSize: titleSize(title),
          fontWeight: 700,
          lineHeight: 1.12,
          letterSpacing: "-0.02em",
          wordBreak: "break-word",
        },
        title,
      ),
    ],
  );
}

const MAX_LOGO_BYTES = 1 << 20;

/**
 * The site's logo as a data: URL when it is a PNG or JPEG of at most 1 MiB (by its bytes, not its
 * Content-Type), else null. The URL is the site's own storage URL from Convex, never reader input.
 * @throws when it cannot be fetched (the card is then drawn without it, and not kept).
 */
export async function fetchLogo(url: string): Promise<string | null> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`logo: ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_LOGO_BYTES) return null;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!png && !jpeg) return null;
  return `data:image/${png ? "png" : "jpeg"};base64,${Buffer.from(bytes).toString("base64")}`;
}

/** A rendered card; `complete: false` when its logo could not be fetched (served briefly, never kept). */
export interface RenderedCard {
  png: Uint8Array<ArrayBuffer>;
  complete: boolean;
}

/** Renders a card to PNG bytes (satori → SVG → resvg). */
export async function renderOgCard(card: OgCardInput, loadLogo: (url: string) => Promise<string | null> = fetchLogo): Promise<RenderedCard> {
  let logoSrc: string | null = null;
  let complete = true;
  if (card.logoUrl) {
    try {
      logoSrc = await loadLogo(card.logoUrl);
    } catch {
      complete = false;
    }
  }
  // satori's types want a ReactNode; the plain element objects are exactly what JSX would produce.
  const { satori, Resvg } = await loadRenderers();
  const svg = await satori(ogCardTree(card, logoSrc) as unknown as Parameters<typeof satori>[0], {
    width: OG_CARD_WIDTH,
    height: OG_CARD_HEIGHT,
    fonts: interFonts(),
  });
  return { png: new Uint8Array(new Resvg(svg, { fitTo: { mode: "width", value: OG_CARD_WIDTH } }).render().asPng()), complete };
}

/** A byte-bounded LRU of rendered cards (a card is ~30–60 kB; bytes, not entries, bound memory). */
export class CardCache {
  private readonly entries = new Map<string, Uint8Array<ArrayBuffer>>();
  private readonly pending = new Map<string, Promise<RenderedCard>>();
  private total = 0;
  stats = { hits: 0, renders: 0 };
  constructor(
    readonly maxBytes = 16 * 2 ** 20,
    private readonly render: (card: OgCardInput) => Promise<RenderedCard> = (card) => renderOgCard(card),
  ) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The card's PNG: from the cache, from a render already in flight, or rendered now. */
  async get(card: OgCardInput): Promise<RenderedCard> {
    // Keyed by exactly what the card shows (not the short version hash, which could collide).
    const key = JSON.stringify([card.title, card.siteName, card.accent, card.logoUrl ?? null]);
    const hit = this.entries.get(key);
    if (hit) {
      this.stats.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return { png: hit, complete: true };
    }
    let p = this.pending.get(key);
    if (!p) {
      this.stats.renders++;
      p = this.render(card).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
      p.then((r) => r.complete && this.store(key, r.png)).catch(() => {});
    }
    return p;
  }

  private store(key: string, png: Uint8Array<ArrayBuffer>): void {
    if (png.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.total -= old.byteLength;
    this.entries.set(key, png);
    this.total += png.byteLength;
    while (this.total > this.maxBytes) {
      const oldest = this.entries.keys().next().value!;
      this.total -= this.entries.get(oldest)!.byteLength;
      this.entries.delete(oldest);
    }
  }
}

const sharedCards = new CardCache();

/** The share-card cache's counts (the server's memory report). */
export function cardCacheStats() {
  return { ...sharedCards.stats, size: sharedCards.size, bytes: sharedCards.bytes };
}

/**
 * The loader of /{site}/og/{postSlug}: the PNG for the current version, a 302 to it for any other
 * `v` (or an old slug), or a 404 for anything that is not a live post.
 */
export async function ogCardResponse(request: Request, params: { site?: string; postSlug?: string }, cards: CardCache = sharedCards): Promise<Response> {
  const resolved = await resolveSite(request, params);
  if (!resolved) throw notFound("Publication not found");
  const slug = params.postSlug ?? "";
  // Anonymous whoever asks: the card is public and identical for every viewer.
  const found = await anonymousReaderClient().query(api.reader.postBySlug, { siteSlug: resolved.site.slug, slug });
  if (!found) throw notFound("Post not found");
  if (found.kind === "redirect") {
    // An old slug: the card of the post it now redirects to (whose version the next request checks).
    const next = await anonymousReaderClient().query(api.reader.postBySlug, { siteSlug: resolved.site.slug, slug: found.slug });
    if (next?.kind !== "post") throw notFound("Post not found");
    return redirectToCard(resolved.base, next.post.slug, cardOf(next.post, resolved.site), next.post.updatedAt);
  }
  const post = found.post;
  const card = cardOf(post, resolved.site);
  const version = ogCardVersion(card, post.updatedAt);
  if (new URL(request.url).searchParams.get("v") !== version) return redirectToCard(resolved.base, post.slug, card, post.updatedAt);
  const { png, complete } = await cards.get(card);
  return new Response(request.method === "HEAD" ? null : png, {
    status: 200,
    headers: {
      "Content-Type": "image/png",
      "Content-Length": String(png.byteLength),
      // A card drawn without its (unreachable) logo is the right version, but not its final pixels.
      "Cache-Control": complete ? CACHE_IMMUTABLE : "public, max-age=300",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

function cardOf(post: { title: string }, site: { name: string; accentColor: string | null; logoUrl: string | null }): OgCardInput {
  return { title: post.title, siteName: site.name, accent: accentPair(site.accentColor).light, logoUrl: site.logoUrl };
}

function redirectToCard(base: string, slug: string, card: OgCardInput, updatedAt: number): Response {
  // Not cached: the current version changes with the post; the target is what caches keep.
  return redirect(ogCardPath(base, slug, ogCardVersion(card, updatedAt)), { status: 302, headers: { "Cache-Control": "public, max-age=0, must-revalidate" } });
}
