import { docToSafeHtml, PAGE_HTML_VERSION } from "../../app/editor/render";
import type { Doc } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import type { ReaderPost } from "../validators";
import { canReadBody, type Entitlement } from "./entitlements";
import { readOnce } from "../lib/readOnce";
import { getBody } from "./posts";
import { bodyContentKey } from "../shared/bodyKey";

/**
 * Whether a live post's stored excerpt may be paid text: a featured post whose automatic excerpt
 * was not computed as a paid teaser (rows written before teasers existed, which hold the first 220
 * characters of the body, possibly all of it). Such a post shows no excerpt and is left out of
 * search until `migrations:refreshExcerpts` recomputes it.
 */
export function hasUnsafeExcerpt(post: Doc<"posts">): boolean {
  return post.featured && post.excerptKind !== "author" && post.excerptKind !== "teaser";
}

/**
 * The cover URL of a post, wherever a cover is shown or shared (reader pages, cards, feeds, meta,
 * the editor): its stored file's URL, else an imported cover kept as a URL (issue #17,
 * `coverImageUrl`) when it is http(s): anything else (a `javascript:` URL from a hostile export)
 * is no cover at all.
 */
export async function postCoverUrl(ctx: QueryCtx, post: Doc<"posts">): Promise<string | null> {
  if (post.coverImageId) return await ctx.storage.getUrl(post.coverImageId);
  const url = post.coverImageUrl?.trim();
  return url && /^https?:\/\/[^\s/\\]/i.test(url) ? url : null;
}

/**
 * The longest page HTML kept with a published body. A document may be 512 K characters of JSON
 * (MAX_DOC_CHARS) and a Convex document 1 MiB in all, so the HTML of a very long body is not
 * stored; that body renders when read, as every body did before (about a 20,000-word post).
 */
export const MAX_STORED_HTML_CHARS = 128 * 1024;

/**
 * Issue #18: what publishing stores with a published body so that no reader request renders it:
 * the page's HTML of the document (app/editor/render.ts, the one renderer) and the renderer's
 * version. The two fields are written together, by publishAs only, from the same `doc`.
 */
export function pageHtmlFields(docJson: string): { html?: string; htmlVersion?: number } {
  const html = docToSafeHtml(docJson, "page");
  return html.length <= MAX_STORED_HTML_CHARS ? { html, htmlVersion: PAGE_HTML_VERSION } : { html: undefined, htmlVersion: undefined };
}

/** A published body's page HTML: what publishing stored, when this renderer's version made it, else rendered now. */
export function pageHtmlOf(body: Pick<Doc<"postBodies">, "doc" | "html" | "htmlVersion">): string {
  return body.html !== undefined && body.htmlVersion === PAGE_HTML_VERSION ? body.html : docToSafeHtml(body.doc, "page");
}

/**
 * A live post's published body row when the entitlement unlocks it, else null without reading it:
 * toReaderPost's body, reader:bodyKeys' (the keys of several bodies at once) and reader:postBody's.
 */
export async function readableBody(ctx: QueryCtx, post: Doc<"posts">, entitlement: Entitlement): Promise<Doc<"postBodies"> | null> {
  if (!canReadBody(post, entitlement)) return null;
  return await getBody(ctx, post, "published");
}

/**
 * The content key (shared/bodyKey.ts) of a live post's published body when the entitlement unlocks
 * it, else null, deciding as readableBody does. publishAs stores the key on the post with the
 * renderer version it was computed under; a key of another version, or none (a post published
 * before keys were stored), is computed from the body, as every key was. So postPage and bodyKeys
 * name a body without reading it (issue #18: the body was a post page's largest read, and its hash
 * a thread hop).
 */
export async function readableBodyKey(ctx: QueryCtx, post: Doc<"posts">, entitlement: Entitlement): Promise<string | null> {
  if (!canReadBody(post, entitlement)) return null;
  if (post.bodyKey !== undefined && post.bodyKeyVersion === PAGE_HTML_VERSION) return post.bodyKey;
  const body = await getBody(ctx, post, "published");
  return body === null ? null : await bodyContentKey(body.doc);
}

/** What publishAs stores on a post with its live body `docJson` (readableBodyKey). */
export async function bodyKeyFields(docJson: string): Promise<{ bodyKey: string; bodyKeyVersion: number }> {
  return { bodyKey: await bodyContentKey(docJson), bodyKeyVersion: PAGE_HTML_VERSION };
}

/**
 * The one place that decides what a reader may see of a post (ADR 006). Every reader channel
 * (pages, feeds, search, sitemap, Open Graph) goes through it:
 * - only published posts have a reader projection (callers filter, this asserts);
 * - the body (`doc`) is loaded only when `withBody` is set AND the entitlement unlocks the post, so
 *   a locked body is never even read into the function;
 * - everything else is the public card: title, excerpt, author, dates, tags, category.
 */
export async function toReaderPost(
  ctx: QueryCtx,
  post: Doc<"posts">,
  entitlement: Entitlement,
  withBody: boolean,
): Promise<ReaderPost> {
  if (post.status !== "published" || post.publishedAt === undefined) {
    throw new Error(`toReaderPost called with an unpublished post ${post._id}`);
  }
  const unlocked = canReadBody(post, entitlement);
  const doc = withBody ? ((await readableBody(ctx, post, entitlement))?.doc ?? null) : null;
  const categoryId = post.categoryId;
  const [category, tags, member, cover] = await Promise.all([
    categoryId ? readOnce(ctx, categoryId, () => ctx.db.get("categories", categoryId)) : null,
    Promise.all(post.tagIds.map((id) => readOnce(ctx, id, () => ctx.db.get("tags", id)))),
    readOnce(ctx, `author:${post.siteId}:${post.authorId}`, () =>
      ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", post.siteId).eq("userId", post.authorId))
        .unique(),
    ),
    postCoverUrl(ctx, post),
  ]);
  return {
    _id: post._id,
    siteId: post.siteId,
    slug: post.slug,
    title: post.title,
    excerpt: hasUnsafeExcerpt(post) ? "" : (post.excerpt ?? ""),
    excerptKind: post.excerptKind ?? null,
    authorId: post.authorId,
    authorName: post.authorName,
    authorImage: post.authorImage ?? null,
    authorSlug: member?.authorSlug ?? null,
    publishedAt: post.publishedAt,
    updatedAt: post.updatedAt,
    readingTimeMinutes: post.readingTimeMinutes ?? 1,
    featured: post.featured,
    locked: !unlocked,
    doc,
    seoTitle: post.seoTitle ?? null,
    seoDescription: post.seoDescription ?? null,
    coverImageUrl: cover ?? null,
    // Alt and caption only travel with an image that resolved.
    coverImageAlt: cover ? (post.coverImageAlt ?? null) : null,
    coverImageCaption: cover ? (post.coverImageCaption ?? null) : null,
    category: category ? { _id: category._id, name: category.name, slug: category.slug } : null,
    tags: tags.filter((t): t is Doc<"tags"> => t !== null).map((t) => ({ _id: t._id, name: t.name, slug: t.slug })),
  };
}
