import type { PaginationOptions } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { vPostStatus, vSiteRole } from "../validators";
import { postCoverUrl } from "./postProjection";
import { getBody } from "./posts";

// The whole-site export's reads (issue #17): posts with their stored bodies, tags, categories and
// authors, in bounded pages so the studio's export routes (Ghost JSON, Markdown zip) can stream a
// site of any size without a query ever nearing Convex's read limits. The writers are pure
// (convex/migrate/ghostExport.ts, markdownExport.ts); authorization is the caller's (site.export).

/** Posts per page: each carries one or two bodies (≤ MAX_DOC_CHARS each), so pages stay small. */
export const EXPORT_POSTS_PAGE = 25;
/** Tags per page. */
export const EXPORT_TAGS_PAGE = 500;
/** Categories and staff members read at once (sites have a few of each; a bound, not a target). */
export const EXPORT_MAX_CATEGORIES = 1000;
export const EXPORT_MAX_MEMBERS = 1000;

const vBody = v.object({ title: v.string(), excerpt: v.union(v.string(), v.null()), doc: v.string() });

export const vExportPost = v.object({
  _id: v.id("posts"),
  title: v.string(),
  slug: v.string(),
  status: vPostStatus,
  featured: v.boolean(),
  /** The author's own excerpt (of the live version, else the draft); automatic excerpts are not exported. */
  excerpt: v.union(v.string(), v.null()),
  authorId: v.id("users"),
  authorName: v.string(),
  categoryId: v.union(v.id("categories"), v.null()),
  tagIds: v.array(v.id("tags")),
  /** The cover as an http(s) URL: the stored file's URL, else an imported coverImageUrl. */
  coverUrl: v.union(v.string(), v.null()),
  /** Whether coverUrl is a file in this deployment's storage (the Markdown zip carries its bytes). */
  coverStored: v.boolean(),
  coverAlt: v.union(v.string(), v.null()),
  coverCaption: v.union(v.string(), v.null()),
  seoTitle: v.union(v.string(), v.null()),
  seoDescription: v.union(v.string(), v.null()),
  publishedAt: v.union(v.number(), v.null()),
  scheduledAt: v.union(v.number(), v.null()),
  createdAt: v.number(),
  updatedAt: v.number(),
  /** The live version (published posts, and archived ones that were live). */
  published: v.union(vBody, v.null()),
  /** The draft, when it is not the same as the live version (drafts, unpublished edits). */
  draft: v.union(vBody, v.null()),
  /** Old addresses from an import (legacyPaths keys). */
  legacyPaths: v.array(v.string()),
});
export type ExportPost = Infer<typeof vExportPost>;

export const vExportTerm = v.object({
  _id: v.string(),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
});
export type ExportTerm = Infer<typeof vExportTerm>;

export const vExportAuthor = v.object({
  userId: v.id("users"),
  name: v.string(),
  slug: v.string(),
  role: vSiteRole,
  /** A real account's address; null for placeholders (imported authors nobody has claimed). */
  email: v.union(v.string(), v.null()),
  placeholder: v.boolean(),
});
export type ExportAuthor = Infer<typeof vExportAuthor>;

export const vExportSite = v.object({
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  categories: v.array(vExportTerm),
  authors: v.array(vExportAuthor),
});
export type ExportSite = Infer<typeof vExportSite>;

const bounded = (opts: PaginationOptions, max: number): PaginationOptions => ({ ...opts, numItems: Math.max(1, Math.min(opts.numItems, max)) });

async function exportPost(ctx: QueryCtx, post: Doc<"posts">): Promise<ExportPost> {
  const [live, draft, cover, legacy] = await Promise.all([
    getBody(ctx, post, "published"),
    // A live post without unpublished edits has a draft equal to its live version: not read twice.
    post.status === "published" && !post.hasUnpublishedChanges ? null : getBody(ctx, post, "draft"),
    postCoverUrl(ctx, post),
    ctx.db
      .query("legacyPaths")
      .withIndex("by_siteId_and_postId", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
      .take(50),
  ]);
  const body = (b: Doc<"postBodies"> | null) => (b ? { title: b.title, excerpt: b.excerpt ?? null, doc: b.doc } : null);
  return {
    _id: post._id,
    title: post.title,
    slug: post.slug,
    status: post.status,
    featured: post.featured,
    excerpt: (live ?? draft)?.excerpt ?? null,
    authorId: post.authorId,
    authorName: post.authorName,
    categoryId: post.categoryId ?? null,
    tagIds: post.tagIds,
    coverUrl: cover,
    // postCoverUrl prefers the stored file, so a URL here with a file id is that file's.
    coverStored: cover !== null && post.coverImageId !== undefined,
    coverAlt: post.coverImageAlt ?? null,
    coverCaption: post.coverImageCaption ?? null,
    seoTitle: post.seoTitle ?? null,
    seoDescription: post.seoDescription ?? null,
    publishedAt: post.publishedAt ?? null,
    scheduledAt: post.scheduledAt ?? null,
    createdAt: post.createdAt,
    updatedAt: post.updatedAt,
    published: body(live),
    draft: body(draft),
    legacyPaths: legacy.map((l) => l.path),
  };
}

/** One page of the site's posts (every status), by slug, with their bodies. */
export async function postsPage(ctx: QueryCtx, siteId: Id<"sites">, opts: PaginationOptions) {
  const result = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId))
    .paginate(bounded(opts, EXPORT_POSTS_PAGE));
  const page: ExportPost[] = [];
  for (const post of result.page) page.push(await exportPost(ctx, post));
  return { ...result, page };
}

/** One page of the site's tags, by slug. */
export async function tagsPage(ctx: QueryCtx, siteId: Id<"sites">, opts: PaginationOptions) {
  const result = await ctx.db
    .query("tags")
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId))
    .paginate(bounded(opts, EXPORT_TAGS_PAGE));
  return { ...result, page: result.page.map((t): ExportTerm => ({ _id: t._id, name: t.name, slug: t.slug, description: t.description ?? null })) };
}

/** The site's name, categories and staff (authors): small lists, read at once. */
export async function siteSummary(ctx: QueryCtx, site: Doc<"sites">): Promise<ExportSite> {
  const [categories, members] = await Promise.all([
    ctx.db
      .query("categories")
      .withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", site._id))
      .take(EXPORT_MAX_CATEGORIES),
    ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", site._id))
      .take(EXPORT_MAX_MEMBERS),
  ]);
  const authors: ExportAuthor[] = [];
  for (const m of members) {
    const user = await ctx.db.get("users", m.userId);
    if (!user) continue;
    const placeholder = user.placeholder === true || m.placeholder !== undefined;
    authors.push({
      userId: m.userId,
      name: user.name ?? m.authorSlug,
      slug: m.authorSlug,
      role: m.role,
      email: placeholder ? null : (user.email ?? null),
      placeholder,
    });
  }
  return {
    name: site.name,
    slug: site.slug,
    description: site.description ?? null,
    categories: categories.map((c) => ({ _id: c._id, name: c.name, slug: c.slug, description: c.description ?? null })),
    authors,
  };
}
