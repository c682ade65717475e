import type { NamedTableInfo, OrderedQuery, PaginationOptions, PaginationResult } from "convex/server";
import type { DataModel, Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { canOpenPost } from "../lib/access";
import { seesOnlyOwnPosts } from "../shared/roles";
import { appError } from "../lib/errors";
import { MAX_SLUG_LENGTH, type PostStatus } from "../shared/constants";
import { errorCodeOf } from "../shared/errors";
import { type Actor, getBody } from "./posts";
import { redirectFor, requireSlugFree, uniqueSlug } from "./slugs";
import { viewCount } from "./views";

// What the studio reads about posts: the filtered, searched post list, the editor's live slug check
// and view counts. The writes are in model/posts.ts.

// --- The studio's post list: filters, search and pages ------------------------------------------

/** Largest page the studio's post list returns, whatever the client asks. */
export const MAX_STUDIO_PAGE = 50;

/**
 * Most index rows one page of the studio's list may read. Filters Convex applies after an index
 * range count every row they skip, so a rare combination returns a short (even empty) page with a
 * cursor to go on from, instead of scanning the whole site.
 */
export const MAX_STUDIO_ROWS_PER_PAGE = 1000;

/** What the studio's post list can be narrowed to; every filter is optional and they combine. */
export interface StudioPostFilters {
  status?: PostStatus;
  authorId?: Id<"users">;
  tagId?: Id<"tags">;
  categoryId?: Id<"categories">;
  /** Search words (model/reader.ts searchTerms), or null for no text search. */
  terms: string | null;
}

type PostsQuery = OrderedQuery<NamedTableInfo<DataModel, "posts">>;

/** Whether a post passes the filters the index range did not already apply. */
function matchesFilters(post: Doc<"posts">, filters: StudioPostFilters): boolean {
  return (
    (filters.status === undefined || post.status === filters.status) &&
    (filters.authorId === undefined || post.authorId === filters.authorId) &&
    (filters.categoryId === undefined || post.categoryId === filters.categoryId) &&
    (filters.tagId === undefined || post.tagIds.includes(filters.tagId))
  );
}

/** Convex-side filters (before the page is cut) for the fields the chosen index does not cover. */
function filterRest(query: PostsQuery, filters: StudioPostFilters, covered: "status" | "authorId" | "categoryId" | null): PostsQuery {
  const rest: Array<[field: "status" | "authorId" | "categoryId", value: string]> = [];
  if (filters.status !== undefined && covered !== "status") rest.push(["status", filters.status]);
  if (filters.authorId !== undefined && covered !== "authorId") rest.push(["authorId", filters.authorId]);
  if (filters.categoryId !== undefined && covered !== "categoryId") rest.push(["categoryId", filters.categoryId]);
  if (!rest.length) return query;
  // eslint-disable-next-line @convex-dev/no-filter-in-query -- the fields no index covers, before the page is cut
  return query.filter((q) => q.and(...rest.map(([field, value]) => q.eq(q.field(field), value))));
}

/**
 * Whether a body's search text has one of the search words, as Convex's text search matches them:
 * each word exactly (case-insensitive), the last one also as a prefix.
 */
export function textMatches(searchText: string, terms: string): boolean {
  const wanted = terms.toLowerCase().split(" ").filter(Boolean);
  if (!wanted.length) return false;
  const last = wanted[wanted.length - 1];
  const exact = new Set(wanted);
  for (const word of searchText.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (exact.has(word) || word.startsWith(last)) return true;
  }
  return false;
}

/**
 * One page of the studio's post list for `actor`. Authors and contributors get their own posts only, whatever
 * the filters say (another author's posts: an empty page). Order and index:
 * - text search (editors and above): best match first, from the search index over the working
 *   drafts ("draft" bodies, which every post has and saveDraft keeps current, so drafts, scheduled,
 *   published and archived posts are all found by what their editor shows); the other filters
 *   are applied to each page's posts;
 * - a tag: the tag's postTags range (published posts first, newest first, then the others), the
 *   other filters applied to each page's posts;
 * - otherwise newest change first, on the most selective index: category, else author, else
 *   status, else the whole site; the other filters run in Convex before the page is cut.
 * Authors and contributors read only their own range (by author, newest change first); a tag and search words
 * are matched against their own posts and drafts, so nothing about other members' posts can be
 * inferred from page sizes or cursors.
 * Pages may come back shorter than asked (even empty) and not done: follow continueCursor. A
 * page reads at most MAX_STUDIO_PAGE posts (bodies too, when searching) or MAX_STUDIO_ROWS_PER_PAGE
 * index rows. A tag or category of another site matches nothing.
 */
export async function listForStudio(
  ctx: QueryCtx,
  actor: Actor,
  filters: StudioPostFilters,
  opts: PaginationOptions,
): Promise<PaginationResult<Doc<"posts">>> {
  const siteId = actor.site._id;
  // endCursor is dropped on purpose: with one, Convex reads up to it ignoring every limit.
  const pageOpts: PaginationOptions = {
    cursor: opts.cursor,
    numItems: Math.max(1, Math.min(Math.floor(opts.numItems) || 1, MAX_STUDIO_PAGE)),
    maximumRowsRead: Math.max(1, Math.min(opts.maximumRowsRead ?? MAX_STUDIO_ROWS_PER_PAGE, MAX_STUDIO_ROWS_PER_PAGE)),
  };
  const keep = async <T>(result: PaginationResult<T>, toPost: (item: T) => Promise<Doc<"posts"> | null>) => {
    const page: Doc<"posts">[] = [];
    for (const item of result.page) {
      const post = await toPost(item);
      if (post && post.siteId === siteId && matchesFilters(post, filters)) page.push(post);
    }
    return { ...result, page };
  };

  // Below editor, members list their own posts only (canOpenPost: they could not open the others).
  if (seesOnlyOwnPosts(actor.member.role)) {
    if (filters.authorId !== undefined && filters.authorId !== actor.viewer._id) return { page: [], isDone: true, continueCursor: "" };
    const own = { ...filters, authorId: actor.viewer._id };
    const mine = ctx.db
      .query("posts")
      .withIndex("by_siteId_and_authorId_and_updatedAt", (q) => q.eq("siteId", siteId).eq("authorId", actor.viewer._id))
      .order("desc");
    const result = await filterRest(mine, own, "authorId").paginate(pageOpts);
    const page: Doc<"posts">[] = [];
    for (const post of result.page) {
      if (!matchesFilters(post, own)) continue;
      if (filters.terms) {
        const draft = await getBody(ctx, post, "draft");
        if (!draft || !textMatches(draft.searchText, filters.terms)) continue;
      }
      page.push(post);
    }
    return { ...result, page };
  }

  if (filters.terms) {
    const terms = filters.terms;
    const bodies = await ctx.db
      .query("postBodies")
      .withSearchIndex("search_text", (q) => q.search("searchText", terms).eq("siteId", siteId).eq("kind", "draft"))
      .paginate({ cursor: pageOpts.cursor, numItems: pageOpts.numItems });
    return await keep(bodies, (body) => ctx.db.get("posts", body.postId));
  }

  if (filters.tagId !== undefined) {
    const tagId = filters.tagId;
    const rows = await ctx.db
      .query("postTags")
      .withIndex("by_siteId_and_tagId_and_published_and_publishedAt", (q) => {
        const range = q.eq("siteId", siteId).eq("tagId", tagId);
        return filters.status === undefined ? range : range.eq("published", filters.status === "published");
      })
      .order("desc")
      .paginate(pageOpts);
    return await keep(rows, (row) => ctx.db.get("posts", row.postId));
  }

  const posts = ctx.db.query("posts");
  if (filters.categoryId !== undefined) {
    const categoryId = filters.categoryId;
    const range = posts.withIndex("by_siteId_and_categoryId_and_updatedAt", (q) => q.eq("siteId", siteId).eq("categoryId", categoryId));
    return await filterRest(range.order("desc"), filters, "categoryId").paginate(pageOpts);
  }
  if (filters.authorId !== undefined) {
    const authorId = filters.authorId;
    const range = posts.withIndex("by_siteId_and_authorId_and_updatedAt", (q) => q.eq("siteId", siteId).eq("authorId", authorId));
    return await filterRest(range.order("desc"), filters, "authorId").paginate(pageOpts);
  }
  if (filters.status !== undefined) {
    const status = filters.status;
    const range = posts.withIndex("by_siteId_and_status_and_updatedAt", (q) => q.eq("siteId", siteId).eq("status", status));
    return await range.order("desc").paginate(pageOpts);
  }
  return await posts.withIndex("by_siteId_and_updatedAt", (q) => q.eq("siteId", siteId)).order("desc").paginate(pageOpts);
}

// --- Slug availability (the editor's live check) -------------------------------------------------

/** Why a post slug cannot be used (the codes changeSlug throws). */
export type SlugRefusal = "INVALID_SLUG" | "RESERVED_SLUG" | "SLUG_TAKEN";

export interface SlugAvailability {
  available: boolean;
  /** Why not, when not available. */
  reason: SlugRefusal | null;
  /** A free slug made from the one asked for, when it is not available (null if none can be made). */
  suggestion: string | null;
  /**
   * Available, but an old address of another live post (it redirects there now): once this post
   * is published under it, readers following those old links land here instead.
   */
  redirectsToAnotherPost: boolean;
}

function slugRefusal(error: unknown): SlugRefusal | null {
  const code = errorCodeOf(error);
  return code === "INVALID_SLUG" || code === "RESERVED_SLUG" || code === "SLUG_TAKEN" ? code : null;
}

/**
 * Whether `post` (or a new post, when null) could take `slug` in the site: the same rules, in the
 * same code, as changeSlug (model/slugs.ts requireSlugFree), which stays the authoritative check.
 * A post's own current slug is available to it.
 */
export async function slugAvailability(
  ctx: QueryCtx,
  siteId: Id<"sites">,
  post: Doc<"posts"> | null,
  slug: string,
): Promise<SlugAvailability> {
  if (post && slug === post.slug) return { available: true, reason: null, suggestion: null, redirectsToAnotherPost: false };
  try {
    await requireSlugFree(ctx, "post", siteId, slug, post?._id);
  } catch (error) {
    const reason = slugRefusal(error);
    if (!reason) throw error;
    const base = slug.slice(0, 4 * MAX_SLUG_LENGTH);
    const suggestion = /[a-z0-9]/i.test(base) ? await uniqueSlug(ctx, "post", siteId, base) : null;
    return { available: false, reason, suggestion, redirectsToAnotherPost: false };
  }
  const redirect = await redirectFor(ctx, "post", siteId, slug);
  const targetId = redirect && redirect.targetId !== post?._id ? ctx.db.normalizeId("posts", redirect.targetId) : null;
  const target = targetId ? await ctx.db.get("posts", targetId) : null;
  const redirectsToAnotherPost = target !== null && target.siteId === siteId && target.status === "published";
  return { available: true, reason: null, suggestion: null, redirectsToAnotherPost };
}

/** View counts of the posts among `postIds` that the actor may open in the studio (canOpenPost; at most 100). */
export async function viewCountsFor(
  ctx: QueryCtx,
  actor: Actor,
  postIds: Id<"posts">[],
): Promise<Array<{ postId: Id<"posts">; views: number }>> {
  if (postIds.length > 100) throw appError("INVALID_ARGUMENT", { field: "postIds", message: "At most 100 posts at a time." });
  const out: Array<{ postId: Id<"posts">; views: number }> = [];
  for (const postId of new Set(postIds)) {
    const post = await ctx.db.get("posts", postId);
    if (!post || post.siteId !== actor.site._id || !canOpenPost(actor.member, post)) continue;
    out.push({ postId, views: await viewCount(ctx, post) });
  }
  return out;
}
