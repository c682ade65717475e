import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { requirePermission } from "../lib/access";
import { audit } from "../lib/audit";
import { appError, cleanField } from "../lib/errors";
import { FIELDS } from "../shared/fields";
import type { Permission } from "../shared/roles";
import { applyPublicationChange, publicationState, storedPostCount } from "./publication";
import type { Actor } from "./posts";
import { checkSlug, dropRedirectsTo, isSlugFree, recordRedirect, redirectFor, retargetRedirects, slugify } from "./slugs";

// Tags and categories ("terms" of a taxonomy kind): creation, renames (old slugs redirect),
// deletions, and what only one kind has (tag merges, category order). One function per operation,
// parameterized by kind; TAXONOMY below holds everything that differs between the kinds.
//
// Every change to which tags or category a post carries goes through applyPublicationChange, the
// same path the post mutations use, so both kinds' postCount and the postTags mirror stay exact.
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

export type TaxonomyKind = "tag" | "category";
export type TaxonomyTable<K extends TaxonomyKind> = K extends "tag" ? "tags" : "categories";
export type Term<K extends TaxonomyKind> = Doc<TaxonomyTable<K>>;
type AnyTerm = Doc<"tags"> | Doc<"categories">;

/**
 * What differs between the kinds' access: authors create tags (contributors pick from existing
 * ones); categories are the editors' (shared/roles.ts PERMISSIONS).
 */
export const TAXONOMY = {
  tag: { table: "tags", create: "tag.create", manage: "taxonomy.manage" },
  category: { table: "categories", create: "taxonomy.manage", manage: "taxonomy.manage" },
} as const satisfies Record<TaxonomyKind, { table: "tags" | "categories"; create: Permission; manage: Permission }>;

type TermInput = { name: string; slug?: string; description?: string };

const cleanName = (name: string) => cleanField(FIELDS.taxonomyName, name, "name");
const cleanDescription = (description: string | undefined) =>
  description === undefined ? undefined : cleanField(FIELDS.taxonomyDescription, description, "description") || undefined;

/**
 * The slug for a tag or category: the explicit one if given (errors on field "slug"), else derived
 * from the name (errors on field "name", since that is what the user typed). A derived slug is not
 * made unique with a suffix: "rust-2" next to "rust" would be a confusing second tag, so a taken
 * slug is an error the user resolves (another name, or an explicit slug).
 * @throws ConvexError INVALID_SLUG or SLUG_TAKEN
 */
async function chooseSlug(
  ctx: QueryCtx,
  kind: TaxonomyKind,
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
async function claimSlug(ctx: MutationCtx, kind: TaxonomyKind, siteId: Id<"sites">, slug: string) {
  const stale = await redirectFor(ctx, kind, siteId, slug);
  if (stale) await ctx.db.delete("slugRedirects", stale._id);
}

/** A term as the studio lists it (categories add their sortOrder). */
export function termRow<D extends AnyTerm>(term: D) {
  return {
    _id: term._id as D["_id"],
    name: term.name,
    slug: term.slug,
    description: term.description ?? null,
    postCount: storedPostCount(term),
    createdAt: term.createdAt,
    updatedAt: term.updatedAt,
  };
}

// ---- Both kinds ----------------------------------------------------------------------------------

/**
 * Creates a tag (authors and above) or a category (editors and above, at the end of the order).
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT (name, description), INVALID_SLUG, SLUG_TAKEN,
 *   INVALID_STATE (a site's MAX_CATEGORIES)
 */
export async function createTerm<K extends TaxonomyKind>(
  ctx: MutationCtx,
  actor: Actor,
  kind: K,
  input: TermInput,
): Promise<Id<TaxonomyTable<K>>> {
  requirePermission(actor.member, TAXONOMY[kind].create);
  const siteId = actor.site._id;
  const name = cleanName(input.name);
  const description = cleanDescription(input.description);
  const slug = await chooseSlug(ctx, kind, siteId, name, input.slug);
  const now = Date.now();
  const fields = { siteId, name, slug, description, postCount: 0, createdAt: now, updatedAt: now };
  let id: Id<"tags"> | Id<"categories">;
  let sortOrder: number | undefined;
  if (kind === "tag") {
    id = await ctx.db.insert("tags", fields);
  } else {
    const existing = await listCategories(ctx, siteId);
    if (existing.length >= MAX_CATEGORIES) {
      throw appError("INVALID_STATE", { message: `A site can have at most ${MAX_CATEGORIES} categories.` });
    }
    sortOrder = existing.length ? existing[existing.length - 1].sortOrder + 1 : 0;
    id = await ctx.db.insert("categories", { ...fields, sortOrder });
  }
  await claimSlug(ctx, kind, siteId, slug);
  await audit(ctx, {
    siteId,
    actorId: actor.viewer._id,
    action: `${kind}.create`,
    entityType: kind,
    entityId: id,
    after: sortOrder === undefined ? { name, slug, description } : { name, slug, description, sortOrder },
  });
  return id as Id<TaxonomyTable<K>>;
}

/**
 * Renames a tag or category (and optionally changes its description). The slug follows a changed
 * name unless `slug` is given; the old slug keeps working as a redirect. Editors and above.
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT, INVALID_SLUG, SLUG_TAKEN
 */
export async function renameTerm<K extends TaxonomyKind>(
  ctx: MutationCtx,
  actor: Actor,
  kind: K,
  item: Term<K> & AnyTerm,
  input: TermInput,
): Promise<void> {
  requirePermission(actor.member, TAXONOMY[kind].manage);
  const name = cleanName(input.name);
  const description = input.description === undefined ? item.description : cleanDescription(input.description);
  // The slug follows the name only when the name changes, so renaming "Rust" to "Rust" does not
  // undo a slug an editor chose by hand.
  const slug =
    input.slug !== undefined || name !== item.name
      ? await chooseSlug(ctx, kind, item.siteId, name, input.slug, item._id)
      : item.slug;
  const table: "tags" | "categories" = TAXONOMY[kind].table;
  await ctx.db.patch(table, item._id as Id<"tags"> | Id<"categories">, { name, slug, description, updatedAt: Date.now() });
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

/**
 * Deletes a tag or category: posts (any status) stop carrying it, postCount stays exact, and the
 * redirects to it are dropped, so its old addresses answer "not found". Large ones finish in
 * scheduled batches. Editors and above.
 * @throws ConvexError FORBIDDEN
 */
export async function removeTerm<K extends TaxonomyKind>(
  ctx: MutationCtx,
  actor: Actor,
  kind: K,
  item: Term<K> & AnyTerm,
): Promise<{ postsUpdated: number; done: boolean }> {
  requirePermission(actor.member, TAXONOMY[kind].manage);
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: `${kind}.delete`,
    entityType: kind,
    entityId: item._id,
    before: { name: item.name, slug: item.slug, postCount: storedPostCount(item) },
    after: null,
  });
  return await removeStep(ctx, kind, item);
}

/** One batch of a deletion, then the final step or the next batch scheduled. */
export async function removeStep<K extends TaxonomyKind>(
  ctx: MutationCtx,
  kind: K,
  item: Term<K> & AnyTerm,
): Promise<{ postsUpdated: number; done: boolean }> {
  let handled: number;
  let full: boolean;
  if (kind === "tag") {
    const tag = item as Doc<"tags">;
    ({ handled, full } = await retagBatch(ctx, tag, (tagIds) => tagIds.filter((id) => id !== tag._id)));
    if (full) await ctx.scheduler.runAfter(0, internal.tags.continueRemove, { tagId: tag._id });
  } else {
    const category = item as Doc<"categories">;
    ({ handled, full } = await uncategorizeBatch(ctx, category));
    if (full) await ctx.scheduler.runAfter(0, internal.categories.continueRemove, { categoryId: category._id });
  }
  if (full) return { postsUpdated: handled, done: false };
  await dropRedirectsTo(ctx, item.siteId, item._id);
  const table: "tags" | "categories" = TAXONOMY[kind].table;
  await ctx.db.delete(table, item._id as Id<"tags"> | Id<"categories">);
  return { postsUpdated: handled, done: true };
}

// ---- Tags only: merges -------------------------------------------------------------------------

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
  requirePermission(actor.member, TAXONOMY.tag.manage);
  if (source._id === target._id) {
    throw appError("INVALID_ARGUMENT", { field: "targetId", message: "Choose a different tag to merge into." });
  }
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "tag.merge",
    entityType: "tag",
    entityId: source._id,
    before: { name: source.name, slug: source.slug, postCount: storedPostCount(source) },
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
  await ctx.db.delete("tags", source._id);
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
    const post = await ctx.db.get("posts", row.postId);
    if (!post || post.siteId !== siteId) {
      // An orphaned mirror row (its post is gone): nothing to count, just clean it up.
      await ctx.db.delete("postTags", row._id);
      continue;
    }
    const before = publicationState(post);
    const tagIds = nextTagIds(post.tagIds);
    await ctx.db.patch("posts", post._id, { tagIds });
    await applyPublicationChange(ctx, siteId, post._id, before, { ...before, tagIds });
    handled++;
  }
  return { handled, full: rows.length === TAXONOMY_BATCH };
}

// ---- Categories only: order ----------------------------------------------------------------------

/** Takes the category off up to TAXONOMY_BATCH of its posts (any status); the next batch reads on. */
async function uncategorizeBatch(ctx: MutationCtx, category: Doc<"categories">): Promise<{ handled: number; full: boolean }> {
  const siteId = category.siteId;
  const posts = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_categoryId_and_status_and_publishedAt", (q) =>
      q.eq("siteId", siteId).eq("categoryId", category._id),
    )
    .take(TAXONOMY_BATCH);
  for (const post of posts) {
    const before = publicationState(post);
    await ctx.db.patch("posts", post._id, { categoryId: undefined });
    await applyPublicationChange(ctx, siteId, post._id, before, { ...before, categoryId: undefined });
  }
  return { handled: posts.length, full: posts.length === TAXONOMY_BATCH };
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
  requirePermission(actor.member, TAXONOMY.category.manage);
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
    if (c.sortOrder !== i) await ctx.db.patch("categories", c._id, { sortOrder: i, updatedAt: now });
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
