import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { requireRole } from "../lib/access";
import { audit } from "../lib/audit";
import { appError } from "../lib/errors";
import { applyPublicationChange, publicationState } from "./publication";
import type { Actor } from "./posts";
import { checkSlug, dropRedirectsTo, isSlugFree, recordRedirect, redirectFor, retargetRedirects, slugify } from "./slugs";

// Tags and categories: creation, renames (old slugs redirect), tag merges and deletions.
//
// Every change to which tags or category a post carries goes through applyPublicationChange, the
// same path the post mutations use, so tags.usageCount, categories.postCount and the postTags
// mirror stay exact.
//
// Merging or deleting a tag (or deleting a category) touches every post that carries it, which can
// be more than one Convex transaction may read or write (32k documents scanned, 16k written, 4096
// index ranges or point reads). So the work is done in batches of TAXONOMY_BATCH posts: the public
// mutation does the first batch; if it was full, it schedules an internal mutation that does the
// next batch and schedules itself again until a batch comes back short, and only then does the
// final step (redirects, deleting the tag or category). Each batch removes the posts it handled from
// the index range it reads (the post no longer carries the tag or category), so a batch needs no
// cursor and posts that gain the tag while the job runs are picked up too. Each batch is its own
// transaction, so counters are exact after every step, not only at the end.

/**
 * Posts handled per transaction. Per post a tag batch does about 4 point/range reads (the post, the
 * two tags' counters, the post's postTags rows) and up to 4 writes, and scans at most ~25 documents
 * (a post has at most 20 tags): 200 posts stay far below the 4096-reads and 32k-scanned limits.
 */
export const TAXONOMY_BATCH = 200;

/** Most categories a site may have (the studio lists them all at once, by sortOrder). */
export const MAX_CATEGORIES = 200;

const MAX_NAME = 100;
const MAX_DESCRIPTION = 500;

type Kind = "tag" | "category";

function cleanName(name: string): string {
  const n = name.trim().replace(/\s+/g, " ");
  if (!n || n.length > MAX_NAME) {
    throw appError("INVALID_ARGUMENT", { field: "name", message: `1 to ${MAX_NAME} characters.` });
  }
  return n;
}

function cleanDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  const d = description.trim();
  if (d.length > MAX_DESCRIPTION) {
    throw appError("INVALID_ARGUMENT", { field: "description", message: `At most ${MAX_DESCRIPTION} characters.` });
  }
  return d || undefined;
}

/**
 * The slug for a tag or category: the explicit one if given (errors on field "slug"), else derived
 * from the name (errors on field "name", since that is what the user typed). A derived slug is not
 * made unique with a suffix: "rust-2" next to "rust" would be a confusing second tag, so a taken
 * slug is an error the user resolves (another name, or an explicit slug).
 * @throws ConvexError INVALID_SLUG or SLUG_TAKEN
 */
async function chooseSlug(
  ctx: QueryCtx,
  kind: Kind,
  siteId: Id<"sites">,
  name: string,
  explicit: string | undefined,
  exceptId?: string,
): Promise<string> {
  let slug: string;
  let field: "slug" | "name";
  if (explicit !== undefined) {
    slug = explicit.trim();
    field = "slug";
    checkSlug(slug, kind);
  } else {
    // slugify falls back to "untitled" for names without any ASCII letter or digit ("日本"); a
    // tag page at /tag/untitled would be wrong, so such names need an explicit slug.
    const ascii = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    if (!/[a-z0-9]/i.test(ascii)) {
      throw appError("INVALID_SLUG", { field: "slug", message: "Choose an address (slug) for this name." });
    }
    slug = slugify(name);
    field = "name";
  }
  if (!(await isSlugFree(ctx, kind, siteId, slug, exceptId))) throw appError("SLUG_TAKEN", { field });
  return slug;
}

/** A live slug wins over an old one: drop a redirect still recorded from a slug now taken again. */
async function claimSlug(ctx: MutationCtx, kind: Kind, siteId: Id<"sites">, slug: string) {
  const stale = await redirectFor(ctx, kind, siteId, slug);
  if (stale) await ctx.db.delete(stale._id);
}

// ---- Tags ----------------------------------------------------------------------------------------

/**
 * Creates a tag. Authors and above (contributors pick from existing tags).
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT (name, description), INVALID_SLUG, SLUG_TAKEN
 */
export async function createTag(
  ctx: MutationCtx,
  actor: Actor,
  input: { name: string; slug?: string; description?: string },
): Promise<Id<"tags">> {
  requireRole(actor.member, "author");
  const siteId = actor.site._id;
  const name = cleanName(input.name);
  const description = cleanDescription(input.description);
  const slug = await chooseSlug(ctx, "tag", siteId, name, input.slug);
  const now = Date.now();
  const tagId = await ctx.db.insert("tags", { siteId, name, slug, description, usageCount: 0, createdAt: now, updatedAt: now });
  await claimSlug(ctx, "tag", siteId, slug);
  await audit(ctx, {
    siteId,
    actorId: actor.viewer._id,
    action: "tag.create",
    entityType: "tag",
    entityId: tagId,
    after: { name, slug, description },
  });
  return tagId;
}

/**
 * Renames a tag (and optionally changes its description). The slug follows a changed name unless
 * `slug` is given; the old slug keeps working as a redirect to the tag.
 * @throws ConvexError FORBIDDEN (below editor), INVALID_ARGUMENT, INVALID_SLUG, SLUG_TAKEN
 */
export async function renameTag(
  ctx: MutationCtx,
  actor: Actor,
  tag: Doc<"tags">,
  input: { name: string; slug?: string; description?: string },
): Promise<void> {
  requireRole(actor.member, "editor");
  await rename(ctx, actor, "tag", tag, input);
}

/**
 * Merges `source` into `target`: every post carrying `source` carries `target` instead (once), the
 * counters stay exact, `source`'s slug and the redirects that pointed at it lead to `target`, and
 * `source` is deleted. Large tags finish in scheduled batches (see the top of this file).
 * @returns how many posts this transaction updated and whether the merge is complete.
 * @throws ConvexError FORBIDDEN (below editor), INVALID_ARGUMENT (merging a tag into itself)
 */
export async function mergeTags(
  ctx: MutationCtx,
  actor: Actor,
  source: Doc<"tags">,
  target: Doc<"tags">,
): Promise<{ postsUpdated: number; done: boolean }> {
  requireRole(actor.member, "editor");
  if (source._id === target._id) {
    throw appError("INVALID_ARGUMENT", { field: "targetId", message: "Choose a different tag to merge into." });
  }
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "tag.merge",
    entityType: "tag",
    entityId: source._id,
    before: { name: source.name, slug: source.slug, usageCount: source.usageCount },
    after: { mergedInto: target._id, name: target.name, slug: target.slug },
  });
  return await mergeStep(ctx, source, target);
}

/**
 * One batch of a merge, then either the final step or the next batch scheduled. Also the body of
 * the scheduled continuation, which re-reads both tags: if the source is gone the merge already
 * finished (or the tag was deleted meanwhile); if the target is gone it was deleted meanwhile, and
 * the merge stops, leaving the source with the posts not yet moved.
 */
export async function mergeStep(
  ctx: MutationCtx,
  source: Doc<"tags">,
  target: Doc<"tags">,
): Promise<{ postsUpdated: number; done: boolean }> {
  const siteId = source.siteId;
  const { handled, full } = await retagBatch(ctx, source, (tagIds) =>
    dedupe(tagIds.map((id) => (id === source._id ? target._id : id))),
  );
  if (full) {
    await ctx.scheduler.runAfter(0, internal.tags.continueMerge, { sourceId: source._id, targetId: target._id });
    return { postsUpdated: handled, done: false };
  }
  // Redirects that led to the source now lead to the target; then the source's own slug does.
  // recordRedirect also drops a redirect from the target's live slug, should one exist.
  await retargetRedirects(ctx, siteId, source._id, target._id);
  await recordRedirect(ctx, "tag", siteId, source.slug, target.slug, target._id);
  await ctx.db.delete(source._id);
  return { postsUpdated: handled, done: true };
}

/**
 * Deletes a tag: posts stop carrying it (counters stay exact) and the redirects to it are dropped,
 * so its old addresses answer "not found". Large tags finish in scheduled batches.
 * @throws ConvexError FORBIDDEN (below editor)
 */
export async function removeTag(
  ctx: MutationCtx,
  actor: Actor,
  tag: Doc<"tags">,
): Promise<{ postsUpdated: number; done: boolean }> {
  requireRole(actor.member, "editor");
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "tag.delete",
    entityType: "tag",
    entityId: tag._id,
    before: { name: tag.name, slug: tag.slug, usageCount: tag.usageCount },
    after: null,
  });
  return await removeTagStep(ctx, tag);
}

/** One batch of a tag deletion, then the final step or the next batch scheduled. */
export async function removeTagStep(ctx: MutationCtx, tag: Doc<"tags">): Promise<{ postsUpdated: number; done: boolean }> {
  const { handled, full } = await retagBatch(ctx, tag, (tagIds) => tagIds.filter((id) => id !== tag._id));
  if (full) {
    await ctx.scheduler.runAfter(0, internal.tags.continueRemove, { tagId: tag._id });
    return { postsUpdated: handled, done: false };
  }
  await dropRedirectsTo(ctx, tag.siteId, tag._id);
  await ctx.db.delete(tag._id);
  return { postsUpdated: handled, done: true };
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Rewrites the tags of up to TAXONOMY_BATCH posts that carry `tag` (published or not), found
 * through the postTags mirror. Each post's change goes through applyPublicationChange, which also
 * deletes the post's postTags row for `tag`, so the next batch starts where this one ended.
 * Posts' updatedAt is left alone: a tag merge is not an edit of the post (and would reshuffle the
 * studio's "recently changed" list).
 */
async function retagBatch(
  ctx: MutationCtx,
  tag: Doc<"tags">,
  nextTagIds: (tagIds: Id<"tags">[]) => Id<"tags">[],
): Promise<{ handled: number; full: boolean }> {
  const siteId = tag.siteId;
  const rows = await ctx.db
    .query("postTags")
    .withIndex("by_siteId_and_tagId_and_published_and_publishedAt", (q) => q.eq("siteId", siteId).eq("tagId", tag._id))
    .take(TAXONOMY_BATCH);
  const seen = new Set<Id<"posts">>();
  let handled = 0;
  for (const row of rows) {
    // Duplicate rows for one post are all removed by the first applyPublicationChange.
    if (seen.has(row.postId)) continue;
    seen.add(row.postId);
    const post = await ctx.db.get(row.postId);
    if (!post || post.siteId !== siteId) {
      // An orphaned mirror row (its post is gone): nothing to count, just clean it up.
      await ctx.db.delete(row._id);
      continue;
    }
    const before = publicationState(post);
    const tagIds = nextTagIds(post.tagIds);
    await ctx.db.patch(post._id, { tagIds });
    await applyPublicationChange(ctx, siteId, post._id, before, { ...before, tagIds });
    handled++;
  }
  return { handled, full: rows.length === TAXONOMY_BATCH };
}

// ---- Categories ------------------------------------------------------------------------------------

/**
 * Creates a category at the end of the site's order. Editors and above.
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT, INVALID_SLUG, SLUG_TAKEN, INVALID_STATE (too many)
 */
export async function createCategory(
  ctx: MutationCtx,
  actor: Actor,
  input: { name: string; slug?: string; description?: string },
): Promise<Id<"categories">> {
  requireRole(actor.member, "editor");
  const siteId = actor.site._id;
  const name = cleanName(input.name);
  const description = cleanDescription(input.description);
  const slug = await chooseSlug(ctx, "category", siteId, name, input.slug);
  const existing = await listCategories(ctx, siteId);
  if (existing.length >= MAX_CATEGORIES) {
    throw appError("INVALID_STATE", { message: `A site can have at most ${MAX_CATEGORIES} categories.` });
  }
  const sortOrder = existing.length ? existing[existing.length - 1].sortOrder + 1 : 0;
  const now = Date.now();
  const categoryId = await ctx.db.insert("categories", {
    siteId,
    name,
    slug,
    description,
    sortOrder,
    postCount: 0,
    createdAt: now,
    updatedAt: now,
  });
  await claimSlug(ctx, "category", siteId, slug);
  await audit(ctx, {
    siteId,
    actorId: actor.viewer._id,
    action: "category.create",
    entityType: "category",
    entityId: categoryId,
    after: { name, slug, description, sortOrder },
  });
  return categoryId;
}

/**
 * Renames a category; the slug follows a changed name unless `slug` is given, and the old slug
 * redirects. Editors and above.
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT, INVALID_SLUG, SLUG_TAKEN
 */
export async function renameCategory(
  ctx: MutationCtx,
  actor: Actor,
  category: Doc<"categories">,
  input: { name: string; slug?: string; description?: string },
): Promise<void> {
  requireRole(actor.member, "editor");
  await rename(ctx, actor, "category", category, input);
}

async function rename(
  ctx: MutationCtx,
  actor: Actor,
  kind: Kind,
  item: Doc<"tags"> | Doc<"categories">,
  input: { name: string; slug?: string; description?: string },
): Promise<void> {
  const name = cleanName(input.name);
  const description = input.description === undefined ? item.description : cleanDescription(input.description);
  // The slug follows the name only when the name changes, so renaming "Rust" to "Rust" does not
  // undo a slug an editor chose by hand.
  const slug =
    input.slug !== undefined || name !== item.name
      ? await chooseSlug(ctx, kind, item.siteId, name, input.slug, item._id)
      : item.slug;
  await ctx.db.patch(item._id, { name, slug, description, updatedAt: Date.now() });
  if (slug !== item.slug) await recordRedirect(ctx, kind, item.siteId, item.slug, slug, item._id);
  await audit(ctx, {
    siteId: item.siteId,
    actorId: actor.viewer._id,
    action: `${kind}.rename`,
    entityType: kind,
    entityId: item._id,
    before: { name: item.name, slug: item.slug, description: item.description },
    after: { name, slug, description },
  });
}

/** The site's categories by sortOrder (at most MAX_CATEGORIES). */
export async function listCategories(ctx: QueryCtx, siteId: Id<"sites">): Promise<Doc<"categories">[]> {
  return await ctx.db
    .query("categories")
    .withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId))
    .take(MAX_CATEGORIES);
}

/**
 * Puts the listed categories first, in the given order; the others follow in their current order.
 * Every listed id must be a category of the site. Editors and above.
 * @throws ConvexError FORBIDDEN, NOT_FOUND (an id of another site, or missing), INVALID_ARGUMENT (duplicates)
 */
export async function reorderCategories(ctx: MutationCtx, actor: Actor, categoryIds: Id<"categories">[]): Promise<void> {
  requireRole(actor.member, "editor");
  const siteId = actor.site._id;
  if (new Set(categoryIds).size !== categoryIds.length) {
    throw appError("INVALID_ARGUMENT", { field: "categoryIds", message: "Each category may be listed once." });
  }
  const current = await listCategories(ctx, siteId);
  const byId = new Map(current.map((c) => [c._id as string, c]));
  for (const id of categoryIds) if (!byId.has(id)) throw appError("NOT_FOUND", { field: "categoryIds" });
  const listed = new Set<string>(categoryIds);
  const order = [...categoryIds.map((id) => byId.get(id)!), ...current.filter((c) => !listed.has(c._id))];
  const now = Date.now();
  for (const [i, c] of order.entries()) {
    if (c.sortOrder !== i) await ctx.db.patch(c._id, { sortOrder: i, updatedAt: now });
  }
  await audit(ctx, {
    siteId,
    actorId: actor.viewer._id,
    action: "category.reorder",
    entityType: "site",
    entityId: siteId,
    before: { order: current.map((c) => c._id) },
    after: { order: order.map((c) => c._id) },
  });
}

/**
 * Deletes a category: its posts (any status) lose it, postCount stays exact, redirects to it are
 * dropped. Large categories finish in scheduled batches. Editors and above.
 * @throws ConvexError FORBIDDEN
 */
export async function removeCategory(
  ctx: MutationCtx,
  actor: Actor,
  category: Doc<"categories">,
): Promise<{ postsUpdated: number; done: boolean }> {
  requireRole(actor.member, "editor");
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "category.delete",
    entityType: "category",
    entityId: category._id,
    before: { name: category.name, slug: category.slug, postCount: category.postCount },
    after: null,
  });
  return await removeCategoryStep(ctx, category);
}

/** One batch of a category deletion, then the final step or the next batch scheduled. */
export async function removeCategoryStep(
  ctx: MutationCtx,
  category: Doc<"categories">,
): Promise<{ postsUpdated: number; done: boolean }> {
  const siteId = category.siteId;
  const posts = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_categoryId_and_status_and_publishedAt", (q) =>
      q.eq("siteId", siteId).eq("categoryId", category._id),
    )
    .take(TAXONOMY_BATCH);
  for (const post of posts) {
    const before = publicationState(post);
    await ctx.db.patch(post._id, { categoryId: undefined });
    await applyPublicationChange(ctx, siteId, post._id, before, { ...before, categoryId: undefined });
  }
  if (posts.length === TAXONOMY_BATCH) {
    await ctx.scheduler.runAfter(0, internal.categories.continueRemove, { categoryId: category._id });
    return { postsUpdated: posts.length, done: false };
  }
  await dropRedirectsTo(ctx, siteId, category._id);
  await ctx.db.delete(category._id);
  return { postsUpdated: posts.length, done: true };
}
