import type { PaginationOptions, PaginationResult } from "convex/server";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { displayName } from "../lib/auth";
import { appError } from "../lib/errors";
import { MAX_VIEW_BATCH } from "../shared/constants";
import type { ReaderPost } from "../validators";
import type { Entitlement } from "./entitlements";
import { hasUnsafeExcerpt, toReaderPost } from "./postProjection";
import { redirectFor } from "./slugs";
import { claimViewToken, pruneViewTokens, recordView, requireViewToken } from "./views";

// What the public site reads: published posts only, always through toReaderPost (the one place
// that decides what a reader sees), lists without bodies. Reader functions address a site by its
// slug; an unknown site reads as empty (lists) or null (single items), never as an error, so
// probing slugs learns nothing beyond what the public directory shows anyway.

/** Largest page a reader list returns, whatever the client asks (each item costs a projection). */
export const MAX_READER_PAGE = 50;

/** Most words a search uses (Convex's search takes at most 16 terms). */
const MAX_SEARCH_TERMS = 16;

/** @returns the site with this slug, or null. */
export async function siteBySlug(ctx: QueryCtx, slug: string): Promise<Doc<"sites"> | null> {
  return await ctx.db
    .query("sites")
    .withIndex("by_slug", (q) => q.eq("slug", slug))
    .unique();
}

/** An empty, finished page: what lists answer for a site, tag, category or author that does not exist. */
export function emptyPage<T>(): PaginationResult<T> {
  return { page: [], isDone: true, continueCursor: "" };
}

/** The client's pagination options with the page size capped at MAX_READER_PAGE. */
export function readerPageOpts(opts: PaginationOptions): PaginationOptions {
  return { ...opts, numItems: Math.max(1, Math.min(opts.numItems, MAX_READER_PAGE)) };
}

/** Whether a post is live on the site (what every reader path checks, whatever index found it). */
export function isLive(post: Doc<"posts"> | null, siteId: Id<"sites">): post is Doc<"posts"> {
  return post !== null && post.siteId === siteId && post.status === "published" && post.publishedAt !== undefined;
}

/**
 * Projects posts as cards: bodies are never loaded, posts that are not live are dropped (a
 * defence: the indexes already select published posts).
 */
export async function toReaderCards(
  ctx: QueryCtx,
  site: Doc<"sites">,
  entitlement: Entitlement,
  posts: Array<Doc<"posts"> | null>,
): Promise<ReaderPost[]> {
  const live = posts.filter((p): p is Doc<"posts"> => isLive(p, site._id));
  return await Promise.all(live.map((p) => toReaderPost(ctx, p, entitlement, false)));
}

/** Projects a page of posts for a list (`toReaderCards`), keeping the cursor. */
export async function toReaderPage(
  ctx: QueryCtx,
  site: Doc<"sites">,
  entitlement: Entitlement,
  result: PaginationResult<Doc<"posts"> | null>,
): Promise<PaginationResult<ReaderPost>> {
  return { ...result, page: await toReaderCards(ctx, site, entitlement, result.page) };
}

/**
 * A newest-first reader list: an index whose last declared field is `publishedAt`, and the
 * equality prefix before it. Convex orders an index by its fields, then `_creationTime`, so the
 * list's order is (publishedAt, _creationTime), descending.
 */
interface NewestFirst<T extends "posts" | "postTags"> {
  table: T;
  index: string;
  // Typed loosely: Convex's range builder types are per index, and these helpers serve several.
  prefix: (q: any) => any;
}

/** A newest-first range as a query, newest first. */
function newestFirst<T extends "posts" | "postTags">(ctx: QueryCtx, range: NewestFirst<T>) {
  return (ctx.db.query(range.table) as any).withIndex(range.index, range.prefix).order("desc");
}

const publishedPosts = (site: Doc<"sites">): NewestFirst<"posts"> => ({
  table: "posts",
  index: "by_siteId_and_status_and_publishedAt",
  prefix: (q) => q.eq("siteId", site._id).eq("status", "published"),
});

/**
 * The entry next to (`publishedAt`, `_creationTime`) in a newest-first range: the next older one,
 * or the next newer. At most two `.first()` reads: the entries sharing the publishedAt, then the
 * strictly older (or newer) range; never a scan. Two entries sharing both values would skip each
 * other, never repeat or loop.
 */
export async function neighbour<T extends "posts" | "postTags">(
  ctx: QueryCtx,
  range: NewestFirst<T>,
  at: { publishedAt: number; _creationTime: number },
  side: "older" | "newer",
): Promise<Doc<T> | null> {
  const older = side === "older";
  const inRange = (build: (q: any) => any) => (ctx.db.query(range.table) as any).withIndex(range.index, build);
  const sameMoment = (q: any) => {
    const tie = range.prefix(q).eq("publishedAt", at.publishedAt);
    return older ? tie.lt("_creationTime", at._creationTime) : tie.gt("_creationTime", at._creationTime);
  };
  const beyond = (q: any) => (older ? range.prefix(q).lt("publishedAt", at.publishedAt) : range.prefix(q).gt("publishedAt", at.publishedAt));
  const order = older ? "desc" : "asc";
  return (
    ((await inRange(sameMoment).order(order).first()) as Doc<T> | null) ??
    ((await inRange(beyond).order(order).first()) as Doc<T> | null)
  );
}

/**
 * One page of a newest-first list, with an exact `isDone`. Convex's paginate only knows a range
 * ended when a page comes back short, so a full last page says "not done", and a reader would
 * follow "Older posts" to an empty page. One look past the page's last entry (`neighbour`) settles
 * it in the same query: the app needs no second request to find out (issue #18), and the answer
 * changes, reactively, when an older post appears or goes.
 */
async function newestFirstPage<T extends "posts" | "postTags">(
  ctx: QueryCtx,
  range: NewestFirst<T>,
  opts: PaginationOptions,
): Promise<PaginationResult<Doc<T>>> {
  const result = (await newestFirst(ctx, range).paginate(readerPageOpts(opts))) as PaginationResult<Doc<T>>;
  const last = result.page.at(-1) as (Doc<T> & { publishedAt?: number }) | undefined;
  if (result.isDone || last?.publishedAt === undefined) return result;
  const more = await neighbour(ctx, range, { publishedAt: last.publishedAt, _creationTime: last._creationTime }, "older");
  return more ? result : { ...result, isDone: true };
}

/** Published posts of a site, newest first. */
export async function latest(ctx: QueryCtx, site: Doc<"sites">, opts: PaginationOptions) {
  return await newestFirstPage(ctx, publishedPosts(site), opts);
}

const featuredPosts = (site: Doc<"sites">): NewestFirst<"posts"> => ({
  table: "posts",
  index: "by_siteId_and_status_and_featured_and_publishedAt",
  prefix: (q) => q.eq("siteId", site._id).eq("status", "published").eq("featured", true),
});

/** Published featured (subscriber-only) posts, newest first. */
export async function featured(ctx: QueryCtx, site: Doc<"sites">, opts: PaginationOptions) {
  return await newestFirstPage(ctx, featuredPosts(site), opts);
}

/** The `count` newest published featured posts (the home page's): no cursor, no end to find. */
export async function newestFeatured(ctx: QueryCtx, site: Doc<"sites">, count: number): Promise<Doc<"posts">[]> {
  return await newest(ctx, featuredPosts(site), count);
}

/** The `count` newest entries of a newest-first range. */
async function newest<T extends "posts" | "postTags">(ctx: QueryCtx, range: NewestFirst<T>, count: number): Promise<Doc<T>[]> {
  return (await newestFirst(ctx, range).take(count)) as Doc<T>[];
}

/** The postTags mirror's rows of a tag's published posts: one index range, newest first. */
const taggedRows = (site: Doc<"sites">, tag: Pick<Doc<"tags">, "_id">): NewestFirst<"postTags"> => ({
  table: "postTags",
  index: "by_siteId_and_tagId_and_published_and_publishedAt",
  prefix: (q) => q.eq("siteId", site._id).eq("tagId", tag._id).eq("published", true),
});

/** Published posts carrying a tag, newest first. */
export async function byTag(
  ctx: QueryCtx,
  site: Doc<"sites">,
  tag: Pick<Doc<"tags">, "_id">,
  opts: PaginationOptions,
): Promise<PaginationResult<Doc<"posts"> | null>> {
  const rows = await newestFirstPage(ctx, taggedRows(site, tag), opts);
  return { ...rows, page: await Promise.all(rows.page.map((r) => ctx.db.get("posts", r.postId))) };
}

/** The `count` newest published posts carrying a tag (a post page's related posts): no cursor, no end to find. */
export async function newestTagged(ctx: QueryCtx, site: Doc<"sites">, tag: Pick<Doc<"tags">, "_id">, count: number) {
  const rows = await newest(ctx, taggedRows(site, tag), count);
  return await Promise.all(rows.map((r) => ctx.db.get("posts", r.postId)));
}

/** Published posts in a category, newest first. */
export async function byCategory(ctx: QueryCtx, site: Doc<"sites">, category: Doc<"categories">, opts: PaginationOptions) {
  return await newestFirstPage(
    ctx,
    {
      table: "posts",
      index: "by_siteId_and_categoryId_and_status_and_publishedAt",
      prefix: (q) => q.eq("siteId", site._id).eq("categoryId", category._id).eq("status", "published"),
    },
    opts,
  );
}

/** Published posts by one author, newest first. */
export async function byAuthor(ctx: QueryCtx, site: Doc<"sites">, authorId: Id<"users">, opts: PaginationOptions) {
  return await newestFirstPage(
    ctx,
    {
      table: "posts",
      index: "by_siteId_and_authorId_and_status_and_publishedAt",
      prefix: (q) => q.eq("siteId", site._id).eq("authorId", authorId).eq("status", "published"),
    },
    opts,
  );
}

/**
 * The published posts of `site` immediately older (`previous`) and newer (`next`) than `post`, in
 * the order `latest` lists them (`neighbour`). Reads only `site`'s posts, whatever `post` is:
 * callers check that `post` is live in `site` first.
 */
export async function adjacent(
  ctx: QueryCtx,
  site: Doc<"sites">,
  post: Doc<"posts">,
): Promise<{ previous: Doc<"posts"> | null; next: Doc<"posts"> | null }> {
  const publishedAt = post.publishedAt;
  if (publishedAt === undefined) return { previous: null, next: null };
  const at = { publishedAt, _creationTime: post._creationTime };
  return {
    previous: await neighbour(ctx, publishedPosts(site), at, "older"),
    next: await neighbour(ctx, publishedPosts(site), at, "newer"),
  };
}

/** @returns the tag with this live slug in the site, or null. */
export async function tagBySlug(ctx: QueryCtx, siteId: Id<"sites">, slug: string) {
  return await ctx.db
    .query("tags")
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
    .first();
}

/** @returns the category with this live slug in the site, or null. */
export async function categoryBySlug(ctx: QueryCtx, siteId: Id<"sites">, slug: string) {
  return await ctx.db
    .query("categories")
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
    .first();
}

/** @returns the member whose author page is /{site}/author/{slug}, or null. */
export async function memberByAuthorSlug(ctx: QueryCtx, siteId: Id<"sites">, slug: string) {
  return await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_authorSlug", (q) => q.eq("siteId", siteId).eq("authorSlug", slug))
    .first();
}

/**
 * Issue #17: the current author slug an old author page address leads to (a placeholder author
 * claimed by someone who already had a page), or null. A live member with that slug wins.
 */
export async function authorRedirect(ctx: QueryCtx, siteId: Id<"sites">, slug: string): Promise<string | null> {
  if (await memberByAuthorSlug(ctx, siteId, slug)) return null;
  const redirect = await redirectFor(ctx, "author", siteId, slug);
  const userId = redirect ? ctx.db.normalizeId("users", redirect.targetId) : null;
  if (!userId) return null;
  const member = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .unique();
  return member && member.authorSlug !== slug ? member.authorSlug : null;
}

/**
 * Resolves a post address: the live published post with that slug, else the post an old slug of
 * it redirects to (by its current slug). Unpublished posts resolve to null: a draft that took over
 * an old slug does not hide the redirect, and a redirect to a post now offline leads nowhere.
 */
export async function resolvePost(
  ctx: QueryCtx,
  siteId: Id<"sites">,
  slug: string,
): Promise<{ kind: "post"; post: Doc<"posts"> } | { kind: "redirect"; post: Doc<"posts"> } | null> {
  const live = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
    .first();
  if (isLive(live, siteId)) return { kind: "post", post: live };
  const redirect = await redirectFor(ctx, "post", siteId, slug);
  const targetId = redirect ? ctx.db.normalizeId("posts", redirect.targetId) : null;
  const target = targetId ? await ctx.db.get("posts", targetId) : null;
  if (!isLive(target, siteId) || target.slug === slug) return null;
  return { kind: "redirect", post: target };
}

/**
 * Resolves a tag or category address: the live one, else the one an old slug (a rename, or a
 * merged tag) redirects to.
 */
export async function resolveTaxonomy<K extends "tag" | "category">(
  ctx: QueryCtx,
  kind: K,
  siteId: Id<"sites">,
  slug: string,
): Promise<
  | { kind: "found"; item: K extends "tag" ? Doc<"tags"> : Doc<"categories"> }
  | { kind: "redirect"; slug: string }
  | null
> {
  type Item = K extends "tag" ? Doc<"tags"> : Doc<"categories">;
  const find = kind === "tag" ? tagBySlug : categoryBySlug;
  const live = await find(ctx, siteId, slug);
  if (live) return { kind: "found", item: live as Item };
  const redirect = await redirectFor(ctx, kind, siteId, slug);
  const table = kind === "tag" ? "tags" : "categories";
  const targetId = redirect ? ctx.db.normalizeId(table, redirect.targetId) : null;
  const target = targetId ? await ctx.db.get(table, targetId) : null;
  if (!target || target.siteId !== siteId || target.slug === slug) return null;
  return { kind: "redirect", slug: target.slug };
}

/**
 * The public header of an author page, or null. A member who has never published anything has no
 * author page: their membership (who is on the staff) is not public until they publish.
 * Never includes contact details (email, phone).
 */
export async function authorHeader(ctx: QueryCtx, site: Doc<"sites">, slug: string) {
  const member = await memberByAuthorSlug(ctx, site._id, slug);
  if (!member) return null;
  const published = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_authorId_and_status_and_publishedAt", (q) =>
      q.eq("siteId", site._id).eq("authorId", member.userId).eq("status", "published"),
    )
    .first();
  if (!published) return null;
  const user = await ctx.db.get("users", member.userId);
  if (!user) return null;
  const profile = await ctx.db
    .query("userProfiles")
    .withIndex("by_userId", (q) => q.eq("userId", user._id))
    .unique();
  return {
    authorId: user._id,
    slug: member.authorSlug,
    name: displayName(user),
    image: user.image ?? null,
    bio: profile?.bio ?? null,
    website: profile?.website ?? null,
  };
}

/**
 * The words of a reader's search as Convex's search tokenizes them (runs of letters and digits),
 * at most MAX_SEARCH_TERMS; null when there are none (empty or punctuation-only queries).
 */
export function searchTerms(query: string): string | null {
  const words = query.slice(0, 1000).match(/[\p{L}\p{N}]+/gu);
  return words ? words.slice(0, MAX_SEARCH_TERMS).join(" ") : null;
}

/**
 * Full-text search over the live versions of a site's posts (drafts and unpublished changes live
 * in "draft" bodies, which the kind filter excludes), best match first. Posts that are not live
 * are dropped as a defence (a published body exists only while the post is published).
 */
export async function search(
  ctx: QueryCtx,
  site: Doc<"sites">,
  terms: string,
  opts: PaginationOptions,
): Promise<PaginationResult<Doc<"posts"> | null>> {
  const bodies = await ctx.db
    .query("postBodies")
    .withSearchIndex("search_text", (q) => q.search("searchText", terms).eq("siteId", site._id).eq("kind", "published"))
    .paginate(readerPageOpts(opts));
  // A post whose stored search text may hold paid words (hasUnsafeExcerpt) is not a result.
  const posts = await Promise.all(bodies.page.map((b) => ctx.db.get("posts", b.postId)));
  return { ...bodies, page: posts.map((p) => (p && hasUnsafeExcerpt(p) ? null : p)) };
}

/**
 * Records a batch of first views for one site, each with the view token the app server issued
 * for it (model/views.ts): a token already counted is skipped, so a resent batch counts once.
 * Posts that are no longer live there (unpublished since, another site's) are skipped, not an
 * error: the batch was collected over a moment in which that may have changed. Returns how many
 * views counted.
 */
export async function recordReaderViews(
  ctx: MutationCtx,
  siteSlug: string,
  views: Array<{ postId: Id<"posts">; token: string }>,
): Promise<number> {
  if (views.length > MAX_VIEW_BATCH) {
    throw appError("INVALID_ARGUMENT", { field: "views", message: `At most ${MAX_VIEW_BATCH} views per call.` });
  }
  for (const { token } of views) requireViewToken(token);
  const site = await siteBySlug(ctx, siteSlug);
  if (!site) throw appError("NOT_FOUND");
  const perPost = new Map<Id<"posts">, number>();
  for (const { postId, token } of views) {
    const post = await ctx.db.get("posts", postId);
    if (!isLive(post, site._id)) continue;
    if (!(await claimViewToken(ctx, site._id, token))) continue;
    perPost.set(postId, (perPost.get(postId) ?? 0) + 1);
  }
  let counted = 0;
  for (const [postId, n] of perPost) {
    await recordView(ctx, (await ctx.db.get("posts", postId))!, n);
    counted += n;
  }
  await pruneViewTokens(ctx, site._id);
  return counted;
}
