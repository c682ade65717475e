// Over 400 lines: every public reader query is here, since a function's file is part of its API name
// (api.reader.*); what they read and decide is plain domain code in model/reader.ts and postProjection.ts.
import { paginationOptsValidator, paginationResultValidator, type PaginationResult } from "convex/server";
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { appError } from "./lib/errors";
import { internalMutation, readerQuery } from "./lib/functions";
import { viewerStanding } from "./model/audience";
import { entitlementFor, type Entitlement } from "./model/entitlements";
import { pageHtmlOf, readableBody, readableBodyKey, toReaderPost } from "./model/postProjection";
import { storedPostCount } from "./model/publication";
import * as LegacyPaths from "./model/legacyPaths";
import * as Reader from "./model/reader";
import { bodyContentKey } from "./shared/bodyKey";
import { vReaderPost, vViewerStanding, type ReaderPost } from "./validators";

// The public site's reads: anyone may call them, signed in or not. They address a site by slug,
// return published posts only, and project every post through toReaderPost (lists never carry
// bodies; a single post carries its body only when the viewer is entitled to it).

const vReaderPage = paginationResultValidator(vReaderPost);
const listArgs = { siteSlug: v.string(), paginationOpts: paginationOptsValidator };

const vRedirect = v.object({ kind: v.literal("redirect"), slug: v.string() });

const vTagHeader = v.object({
  _id: v.id("tags"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  /** Published posts carrying the tag. */
  postCount: v.number(),
});

const vCategoryHeader = v.object({
  _id: v.id("categories"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  /** Published posts in the category. */
  postCount: v.number(),
});

const vAuthorHeader = v.object({
  authorId: v.id("users"),
  slug: v.string(),
  name: v.string(),
  image: v.union(v.string(), v.null()),
  bio: v.union(v.string(), v.null()),
  website: v.union(v.string(), v.null()),
});

type ReaderCtx = QueryCtx & { viewer: Doc<"users"> | null };

/** Resolves the site, runs `read` and projects the page; unknown sites (or `read` → null) give an empty page. */
async function readerList(
  ctx: ReaderCtx,
  siteSlug: string,
  read: (site: Doc<"sites">) => Promise<PaginationResult<Doc<"posts"> | null> | null>,
): Promise<PaginationResult<ReaderPost>> {
  const site = await Reader.siteBySlug(ctx, siteSlug);
  if (!site) return Reader.emptyPage();
  const result = await read(site);
  if (!result) return Reader.emptyPage();
  return await readerPage(ctx, site, result);
}

/** A page of posts projected for this viewer (the one projection, toReaderPost, through toReaderPage). */
async function readerPage(ctx: ReaderCtx, site: Doc<"sites">, result: PaginationResult<Doc<"posts"> | null>): Promise<PaginationResult<ReaderPost>> {
  return await Reader.toReaderPage(ctx, site, await entitlementFor(ctx, site._id, ctx.viewer), result);
}

/** Published posts, newest first. */
export const latest = readerQuery({
  args: listArgs,
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, paginationOpts }) =>
    readerList(ctx, siteSlug, (site) => Reader.latest(ctx, site, paginationOpts)),
});

/** Published featured (subscriber-only) posts, newest first; cards only, so locked ones show as locked. */
export const featured = readerQuery({
  args: listArgs,
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, paginationOpts }) =>
    readerList(ctx, siteSlug, (site) => Reader.featured(ctx, site, paginationOpts)),
});

/** Featured posts the home page shows above the latest, on its first page. */
export const FEATURED_ON_HOME = 3;

/**
 * Issue #18: the home page's posts in one call (it was two): on its first page (no cursor) the
 * FEATURED_ON_HOME newest featured posts, and a page of the latest, as `latest` gives it (with its
 * exact end). An unknown site has neither.
 */
export const home = readerQuery({
  args: listArgs,
  returns: v.object({ featured: v.array(vReaderPost), latest: vReaderPage }),
  handler: async (ctx, { siteSlug, paginationOpts }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return { featured: [], latest: Reader.emptyPage<ReaderPost>() };
    const entitlement = await entitlementFor(ctx, site._id, ctx.viewer);
    const featured = paginationOpts.cursor === null ? await Reader.newestFeatured(ctx, site, FEATURED_ON_HOME) : [];
    return {
      featured: await Reader.toReaderCards(ctx, site, entitlement, featured),
      latest: await Reader.toReaderPage(ctx, site, entitlement, await Reader.latest(ctx, site, paginationOpts)),
    };
  },
});

/** Published posts with a tag (by its live slug), newest first. */
export const byTag = readerQuery({
  args: { ...listArgs, tagSlug: v.string() },
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, tagSlug, paginationOpts }) =>
    readerList(ctx, siteSlug, async (site) => {
      const tag = await Reader.tagBySlug(ctx, site._id, tagSlug);
      return tag ? await Reader.byTag(ctx, site, tag, paginationOpts) : null;
    }),
});

/** Published posts in a category (by its live slug), newest first. */
export const byCategory = readerQuery({
  args: { ...listArgs, categorySlug: v.string() },
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, categorySlug, paginationOpts }) =>
    readerList(ctx, siteSlug, async (site) => {
      const category = await Reader.categoryBySlug(ctx, site._id, categorySlug);
      return category ? await Reader.byCategory(ctx, site, category, paginationOpts) : null;
    }),
});

/** Published posts by the author whose page is /{site}/author/{authorSlug}, newest first. */
export const byAuthor = readerQuery({
  args: { ...listArgs, authorSlug: v.string() },
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, authorSlug, paginationOpts }) =>
    readerList(ctx, siteSlug, async (site) => {
      const member = await Reader.memberByAuthorSlug(ctx, site._id, authorSlug);
      return member ? await Reader.byAuthor(ctx, site, member.userId, paginationOpts) : null;
    }),
});

/**
 * Full-text search of published posts (title and body), best match first; cards without bodies.
 * An empty or punctuation-only query gives an empty page.
 */
export const search = readerQuery({
  args: { ...listArgs, query: v.string() },
  returns: vReaderPage,
  handler: async (ctx, { siteSlug, query, paginationOpts }) => {
    const terms = Reader.searchTerms(query);
    if (!terms) return Reader.emptyPage<ReaderPost>();
    return await readerList(ctx, siteSlug, (site) => Reader.search(ctx, site, terms, paginationOpts));
  },
});

/**
 * A post page: the post (with its body when the viewer is entitled to it, else `locked`), or a
 * redirect to the post's current slug when `slug` is an old one, or null.
 */
export const postBySlug = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(v.object({ kind: v.literal("post"), post: vReaderPost }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const found = await readablePost(ctx, siteSlug, slug);
    return found?.kind === "post" ? { kind: "post" as const, post: found.post } : found;
  },
});

/**
 * The live post at `slug` projected for the viewer (its body only when entitled), with its site,
 * document and the viewer's entitlement; a redirect for an old slug; or null.
 */
async function readablePost(ctx: ReaderCtx, siteSlug: string, slug: string, withBody = true) {
  const site = await Reader.siteBySlug(ctx, siteSlug);
  if (!site) return null;
  const found = await Reader.resolvePost(ctx, site._id, slug);
  if (!found) return null;
  if (found.kind === "redirect") return { kind: "redirect" as const, slug: found.post.slug };
  const entitlement = await entitlementFor(ctx, site._id, ctx.viewer);
  return { kind: "post" as const, site, doc: found.post, entitlement, post: await toReaderPost(ctx, found.post, entitlement, withBody) };
}

/**
 * Issue #17: the current slug of the published post an imported post's old address names
 * (WordPress "/2019/03/04/slug/" or "?p=123", Substack "/p/slug", Ghost "/slug/"), or null (unknown
 * address, or a post that is not live: a draft's old address is a 404). Only a slug: the caller
 * redirects to its own site's path for it, never elsewhere.
 */
export const legacyRedirect = readerQuery({
  args: { siteSlug: v.string(), path: v.string() },
  returns: v.union(v.object({ slug: v.string() }), v.null()),
  handler: async (ctx, { siteSlug, path }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    return await LegacyPaths.legacyRedirect(ctx, site, path);
  },
});

/**
 * The seed's post read: a post with its tags (and body when entitled), or null. The reader
 * projection carries tags already. An old slug resolves to the post it now redirects to; callers
 * that want to send a permanent redirect use postBySlug.
 */
export const getPostWithTags = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(vReaderPost, v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    const found = await Reader.resolvePost(ctx, site._id, slug);
    if (!found) return null;
    return await toReaderPost(ctx, found.post, await entitlementFor(ctx, site._id, ctx.viewer), true);
  },
});

const vAdjacentCard = v.union(vReaderPost, v.null());

/**
 * What a post page shows of its previous and next posts: a link, the title at its address. Not a
 * card: a card's tags, category and author were read and sent for nothing (issue #18).
 */
const vAdjacentLink = v.union(v.object({ slug: v.string(), title: v.string() }), v.null());

/**
 * A post page's previous (older) and next (newer) published posts in the site's publication order,
 * as cards: never a body, whatever the viewer may read (a locked neighbour shows as locked). Null
 * for an unknown site or a post that is not live in that site (a draft, an archived post, another
 * site's post), so an id from one site never reveals anything about another.
 */
export const adjacent = readerQuery({
  args: { siteSlug: v.string(), postId: v.id("posts") },
  returns: v.union(v.object({ previous: vAdjacentCard, next: vAdjacentCard }), v.null()),
  handler: async (ctx, { siteSlug, postId }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    const post = await ctx.db.get("posts", postId);
    if (!Reader.isLive(post, site._id)) return null;
    const { previous, next } = await Reader.adjacent(ctx, site, post);
    const entitlement = await entitlementFor(ctx, site._id, ctx.viewer);
    const card = async (p: Doc<"posts"> | null) => (Reader.isLive(p, site._id) ? await toReaderPost(ctx, p, entitlement, false) : null);
    return { previous: await card(previous), next: await card(next) };
  },
});

/** Related posts a post page shows (sharing its first tag). */
export const RELATED_POSTS = 3;

/**
 * Issue #18: everything a post page shows from the content, in one call (it was four: the post,
 * related posts, previous/next, each a round trip, and each a JWT check for a signed-in reader).
 * The post as postBySlug gives it, except its body: in its place `bodyKey`, the body's content key
 * (convex/shared/bodyKey.ts) when this viewer may read it, else null. The body itself is the same
 * for every entitled reader and comes from postBody, which the app calls only for a version it has
 * not rendered yet; keeping it out of this query keeps this query's arguments, and so its cache
 * entry, the same for everyone. Up to RELATED_POSTS related cards (the newest others with its
 * first tag) and the previous/next cards; every card is projected like a list's: never a body.
 */
export const postPage = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(
    v.object({
      kind: v.literal("post"),
      post: vReaderPost,
      /** The body's content key when this viewer may read it (postBody gives the body), else null. */
      bodyKey: v.union(v.string(), v.null()),
      related: v.array(vReaderPost),
      adjacent: v.object({ previous: vAdjacentLink, next: vAdjacentLink }),
    }),
    vRedirect,
    v.null(),
  ),
  handler: async (ctx, { siteSlug, slug }) => {
    const found = await readablePost(ctx, siteSlug, slug, false);
    if (found?.kind !== "post") return found;
    const { site, entitlement, post } = found;
    // Entitlement decides, per viewer, as the projection does: a locked post gets no key.
    const bodyKey = await readableBodyKey(ctx, found.doc, entitlement);
    // The card's first tag is a live tag of this site (toReaderPost read it by the post's tagIds).
    const firstTag = post.tags[0] ?? null;
    const tagged = firstTag ? await Reader.newestTagged(ctx, site, firstTag, RELATED_POSTS + 1) : [];
    // Live ones first, so a post that went away does not take one of the RELATED_POSTS places.
    const others = tagged.filter((p) => Reader.isLive(p, site._id) && p._id !== post._id).slice(0, RELATED_POSTS);
    const related = await Reader.toReaderCards(ctx, site, entitlement, others);
    const { previous, next } = await Reader.adjacent(ctx, site, found.doc);
    const link = (p: Doc<"posts"> | null) => (Reader.isLive(p, site._id) ? { slug: p.slug, title: p.title } : null);
    return { kind: "post" as const, post, bodyKey, related, adjacent: { previous: link(previous), next: link(next) } };
  },
});

/**
 * Issue #18: a post's body as the reader page shows it (sanitized HTML, stored when it was
 * published: postProjection.ts pageHtmlOf) with its content key, for a viewer the reader projection
 * entitles to it; null otherwise (locked, unknown, or an old slug). The app asks for it once per
 * body version and process, when postPage names a key it has not rendered.
 */
export const postBody = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(v.object({ bodyKey: v.string(), html: v.string() }), v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    const body = await readableBodyBySlug(ctx, site._id, await entitlementFor(ctx, site._id, ctx.viewer), slug);
    return body === null ? null : { bodyKey: await bodyContentKey(body.doc), html: pageHtmlOf(body) };
  },
});

/**
 * The published body of the live post `slug` names on the site when the entitlement unlocks it,
 * else null (locked, unknown, or an old slug): postBody's read. Only the post and its
 * body are read, not the card around them (tags, category, author, cover) that toReaderPost builds.
 */
async function readableBodyBySlug(ctx: ReaderCtx, siteId: Id<"sites">, entitlement: Entitlement, slug: string): Promise<Doc<"postBodies"> | null> {
  const found = await Reader.resolvePost(ctx, siteId, slug);
  return found?.kind === "post" ? await readableBody(ctx, found.post, entitlement) : null;
}

/** Each asked slug with its body's key when this viewer may read it, else null (bodyKeys, viewerPage). */
const vBodyKeys = v.array(v.object({ slug: v.string(), bodyKey: v.union(v.string(), v.null()) }));

/** The most bodies reader:bodyKeys answers for at once (a feed shows 20 posts). */
export const MAX_BODY_KEYS = 50;

/**
 * Issue #18: postPage's `bodyKey` for several posts in one call, for a feed: the content key of each
 * body this viewer may read, null for a locked, unknown or renamed (old slug) post. A feed asked
 * postBySlug once per free post for its body (20 round trips and 20 whole bodies a request); it
 * asks this once, and postBody only for a key it has not rendered. Keys, never bodies.
 * @throws INVALID_ARGUMENT for more than MAX_BODY_KEYS slugs.
 */
export const bodyKeys = readerQuery({
  args: { siteSlug: v.string(), slugs: v.array(v.string()) },
  returns: vBodyKeys,
  handler: async (ctx, { siteSlug, slugs }) => await bodyKeysOf(ctx, await Reader.siteBySlug(ctx, siteSlug), slugs),
});

/**
 * Issue #18: what a signed-in reader's page asks as them, in one call: their standing on the site
 * (the reader header; audience:myStanding) and the keys of the bodies it shows that they may read
 * (bodyKeys). The layout and the post page asked these apart: two round trips as the viewer a page.
 * Anonymous: standing null, the keys everyone gets. @throws INVALID_ARGUMENT as bodyKeys does.
 */
export const viewerPage = readerQuery({
  args: { siteSlug: v.string(), slugs: v.array(v.string()) },
  returns: v.object({ standing: vViewerStanding, bodyKeys: vBodyKeys }),
  handler: async (ctx, { siteSlug, slugs }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    const keys = await bodyKeysOf(ctx, site, slugs);
    return { standing: site ? await viewerStanding(ctx, site._id, ctx.viewer) : null, bodyKeys: keys };
  },
});

async function bodyKeysOf(ctx: ReaderCtx, site: Doc<"sites"> | null, slugs: string[]) {
  if (slugs.length > MAX_BODY_KEYS) throw appError("INVALID_ARGUMENT", { field: "slugs", message: `Ask for at most ${MAX_BODY_KEYS} posts at once.` });
  if (!site) return slugs.map((slug) => ({ slug, bodyKey: null }));
  const entitlement = await entitlementFor(ctx, site._id, ctx.viewer);
  return await Promise.all(
    slugs.map(async (slug) => {
      const found = await Reader.resolvePost(ctx, site._id, slug);
      return { slug, bodyKey: found?.kind === "post" ? await readableBodyKey(ctx, found.post, entitlement) : null };
    }),
  );
}

/** A tag page's header, a redirect for an old (renamed or merged) tag slug, or null. */
export const tagBySlug = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(v.object({ kind: v.literal("tag"), tag: vTagHeader }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const found = await termBySlug(ctx, "tag", siteSlug, slug);
    return found?.kind === "found" ? { kind: "tag" as const, tag: termHeader(found.item) } : found;
  },
});

/** A category page's header, a redirect for an old category slug, or null. */
export const categoryBySlug = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(v.object({ kind: v.literal("category"), category: vCategoryHeader }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const found = await termBySlug(ctx, "category", siteSlug, slug);
    return found?.kind === "found" ? { kind: "category" as const, category: termHeader(found.item) } : found;
  },
});

/**
 * Issue #18: a tag page in one call (it was two): tagBySlug's answer and, for a live tag, a page of
 * its posts at `paginationOpts`, as byTag gives it (with its exact end).
 */
export const tagPage = readerQuery({
  args: { siteSlug: v.string(), slug: v.string(), paginationOpts: paginationOptsValidator },
  returns: v.union(v.object({ kind: v.literal("tag"), tag: vTagHeader, list: vReaderPage }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug, paginationOpts }) => {
    const found = await termBySlug(ctx, "tag", siteSlug, slug);
    if (found?.kind !== "found") return found;
    const list = await readerPage(ctx, found.site, await Reader.byTag(ctx, found.site, found.item, paginationOpts));
    return { kind: "tag" as const, tag: termHeader(found.item), list };
  },
});

/** Issue #18: a category page in one call: categoryBySlug's answer and, for a live category, a page of its posts as byCategory gives it. */
export const categoryPage = readerQuery({
  args: { siteSlug: v.string(), slug: v.string(), paginationOpts: paginationOptsValidator },
  returns: v.union(v.object({ kind: v.literal("category"), category: vCategoryHeader, list: vReaderPage }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug, paginationOpts }) => {
    const found = await termBySlug(ctx, "category", siteSlug, slug);
    if (found?.kind !== "found") return found;
    const list = await readerPage(ctx, found.site, await Reader.byCategory(ctx, found.site, found.item, paginationOpts));
    return { kind: "category" as const, category: termHeader(found.item), list };
  },
});

/** The live tag or category at `slug` of the site (with the site), a redirect for an old slug, or null. */
async function termBySlug<K extends "tag" | "category">(ctx: ReaderCtx, kind: K, siteSlug: string, slug: string) {
  const site = await Reader.siteBySlug(ctx, siteSlug);
  if (!site) return null;
  const found = await Reader.resolveTaxonomy(ctx, kind, site._id, slug);
  return found?.kind === "found" ? { ...found, site } : found;
}

/** A tag's or category's public header. */
function termHeader<T extends Doc<"tags"> | Doc<"categories">>(t: T) {
  return { _id: t._id as T["_id"], name: t.name, slug: t.slug, description: t.description ?? null, postCount: storedPostCount(t) };
}

/** Issue #17: where an old author page address (a claimed placeholder's) now lives, or null. */
export const authorRedirect = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(v.object({ slug: v.string() }), v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    const to = site ? await Reader.authorRedirect(ctx, site._id, slug) : null;
    return to ? { slug: to } : null;
  },
});

/** An author page's header (members who have published something), or null. */
export const authorBySlug = readerQuery({
  args: { siteSlug: v.string(), slug: v.string() },
  returns: v.union(vAuthorHeader, v.null()),
  handler: async (ctx, { siteSlug, slug }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    return site ? await Reader.authorHeader(ctx, site, slug) : null;
  },
});

/**
 * Issue #18: an author page in one call (it was two, three for a moved author): authorBySlug's
 * header and a page of their posts as byAuthor gives it; a redirect where authorRedirect names one;
 * else null.
 */
export const authorPage = readerQuery({
  args: { siteSlug: v.string(), slug: v.string(), paginationOpts: paginationOptsValidator },
  returns: v.union(v.object({ kind: v.literal("author"), author: vAuthorHeader, list: vReaderPage }), vRedirect, v.null()),
  handler: async (ctx, { siteSlug, slug, paginationOpts }) => {
    const site = await Reader.siteBySlug(ctx, siteSlug);
    if (!site) return null;
    const author = await Reader.authorHeader(ctx, site, slug);
    if (!author) {
      const to = await Reader.authorRedirect(ctx, site._id, slug);
      return to ? { kind: "redirect" as const, slug: to } : null;
    }
    return { kind: "author" as const, author, list: await readerPage(ctx, site, await Reader.byAuthor(ctx, site, author.authorId, paginationOpts)) };
  },
});

/**
 * Counts a batch of first views of one site's posts (at most MAX_VIEW_BATCH), each with the view
 * token the app server issued for it; a token counts once, so a resent batch adds nothing. Internal:
 * only the app server, with its admin key, sends views (app/reader/views.server.ts), so no client
 * can inflate counts. Posts not live in the site are skipped.
 */
export const recordViews = internalMutation({
  args: { siteSlug: v.string(), views: v.array(v.object({ postId: v.id("posts"), token: v.string() })) },
  returns: v.object({ counted: v.number() }),
  handler: async (ctx, { siteSlug, views }) => ({ counted: await Reader.recordReaderViews(ctx, siteSlug, views) }),
});
