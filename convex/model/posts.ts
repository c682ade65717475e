// Over 400 lines: every write to a post (draft, address, taxonomy, cover, featured, delete,
// revisions) in one module, because they share its audit entry and live-card bookkeeping.
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { requirePostEditable, requirePermission, requirePostPublishable } from "../lib/access";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { appError, cleanField } from "../lib/errors";
import { FIELDS, type TextRule } from "../shared/fields";
import { toSlug } from "../shared/slugs";
import { docToText, EMPTY_DOC, excerptSourceOf, parseDoc, publicExcerpt, wordCount } from "./content";
import { applyPublicationChange, publicationState } from "./publication";
import { dropRedirectsTo, recordRedirect, requireSlugFree, uniqueSlug } from "./slugs";

// Posts: drafts (create, save, revisions), the live card, slugs, taxonomy, featured and cover,
// deletion. The lifecycle (publish, unpublish, archive, schedule, …) is postLifecycle.ts.

/** Who is acting, as the site builders resolve it. */
export interface Actor {
  viewer: Doc<"users">;
  site: Doc<"sites">;
  member: Doc<"siteMembers">;
}

function cleanTitle(title: string): string {
  return cleanField(FIELDS.postTitle, title, "title");
}

function cleanOptional(value: string | undefined, field: string, rule: TextRule): string | undefined {
  if (value === undefined) return undefined;
  return cleanField(rule, value, field) || undefined;
}

/** The audit entry every post change writes: who changed which post, and the changed fields. */
export async function auditPost(
  ctx: MutationCtx,
  post: { siteId: Id<"sites">; _id: Id<"posts"> },
  actorId: Id<"users"> | undefined,
  action: string,
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
) {
  await audit(ctx, { siteId: post.siteId, actorId, action, entityType: "post", entityId: post._id, before, after });
}

/** @returns a post's body row of the given kind, or null. */
export async function getBody(ctx: QueryCtx, post: Doc<"posts">, kind: "draft" | "published") {
  return await ctx.db
    .query("postBodies")
    .withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", post.siteId).eq("postId", post._id).eq("kind", kind))
    .unique();
}

export async function requireDraft(ctx: QueryCtx, post: Doc<"posts">) {
  const draft = await getBody(ctx, post, "draft");
  if (!draft) throw new Error(`Post ${post._id} has no draft body`); // an invariant, not a user error
  return draft;
}

async function nextRevisionNumber(ctx: QueryCtx, post: Doc<"posts">): Promise<number> {
  const last = await ctx.db
    .query("postRevisions")
    .withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
    .order("desc")
    .first();
  return (last?.number ?? 0) + 1;
}

export async function addRevision(
  ctx: MutationCtx,
  post: Doc<"posts">,
  body: Doc<"postBodies">,
  reason: "publish" | "save" | "restore",
  by: Doc<"users">,
) {
  await ctx.db.insert("postRevisions", {
    siteId: post.siteId,
    postId: post._id,
    number: await nextRevisionNumber(ctx, post),
    reason,
    title: body.title,
    excerpt: body.excerpt,
    doc: body.doc,
    authorId: by._id,
    authorName: displayName(by),
    createdAt: Date.now(),
  });
}

/**
 * The post row's list fields (the studio's list and search results show them) while the post is
 * not live: they follow the working draft, as the editor does. Every change that leaves a post not
 * live (a save, unpublish, archive, restore, unschedule, a refused scheduled publish) writes them
 * from here; publishAs (postLifecycle.ts) writes the live version's.
 */
export function draftListFields(draft: Pick<Doc<"postBodies">, "title" | "excerpt">) {
  return { title: draft.title, excerpt: draft.excerpt };
}

function bodyFields(title: string, doc: string) {
  const text = docToText(parseDoc(doc));
  return { text, searchText: `${title}\n${text}`, wordCount: wordCount(text) };
}

/** Creates a draft post authored by the viewer. Contributors and above. */
export async function createDraft(
  ctx: MutationCtx,
  actor: Actor,
  input: { title?: string; doc?: string; categoryId?: Id<"categories"> },
): Promise<Id<"posts">> {
  requirePermission(actor.member, "post.create");
  const title = cleanTitle(input.title ?? "");
  const doc = input.doc ?? EMPTY_DOC;
  const fields = bodyFields(title, doc);
  if (input.categoryId) await requireCategory(ctx, actor.site._id, input.categoryId);
  const now = Date.now();
  const postId = await ctx.db.insert("posts", {
    siteId: actor.site._id,
    authorId: actor.viewer._id,
    authorName: displayName(actor.viewer),
    authorImage: actor.viewer.image,
    title,
    slug: await uniqueSlug(ctx, "post", actor.site._id, title || "untitled"),
    // The address follows the title (saveDraft) until the author sets it or the post goes out.
    slugSetByAuthor: false,
    excerpt: undefined,
    status: "draft",
    featured: false,
    categoryId: input.categoryId,
    tagIds: [],
    createdAt: now,
    updatedAt: now,
  });
  await ctx.db.insert("postBodies", {
    siteId: actor.site._id,
    postId,
    kind: "draft",
    version: 1,
    title,
    doc,
    ...fields,
    updatedAt: now,
    updatedBy: actor.viewer._id,
  });
  await auditPost(ctx, { siteId: actor.site._id, _id: postId }, actor.viewer._id, "post.create", undefined, { title, status: "draft" });
  return postId;
}

export interface DraftChanges {
  title?: string;
  excerpt?: string;
  seoTitle?: string;
  seoDescription?: string;
  doc?: string;
}

/**
 * Saves the working draft if the caller saw the current version, and returns the new version.
 * Published posts keep their live version until publish ("Update"). An explicit save also keeps a
 * revision; autosaves do not.
 * @throws ConvexError CONFLICT with `currentVersion` and the current draft when the version is stale;
 *   nothing is written then.
 */
export async function saveDraft(
  ctx: MutationCtx,
  actor: Actor,
  post: Doc<"posts">,
  expectedVersion: number,
  changes: DraftChanges,
  explicit: boolean,
): Promise<{ version: number; updatedAt: number }> {
  requirePostEditable(actor.member, post);
  const draft = await requireDraft(ctx, post);
  if (draft.version !== expectedVersion) {
    throw appError("CONFLICT", {
      currentVersion: draft.version,
      current: {
        title: draft.title,
        excerpt: draft.excerpt ?? null,
        seoTitle: draft.seoTitle ?? null,
        seoDescription: draft.seoDescription ?? null,
        doc: draft.doc,
        updatedAt: draft.updatedAt,
        updatedBy: draft.updatedBy,
      },
    });
  }
  const title = changes.title === undefined ? draft.title : cleanTitle(changes.title);
  const doc = changes.doc ?? draft.doc;
  const now = Date.now();
  const next = {
    title,
    doc,
    excerpt: changes.excerpt === undefined ? draft.excerpt : cleanOptional(changes.excerpt, "excerpt", FIELDS.postExcerpt),
    seoTitle: changes.seoTitle === undefined ? draft.seoTitle : cleanOptional(changes.seoTitle, "seoTitle", FIELDS.seoTitle),
    seoDescription:
      changes.seoDescription === undefined ? draft.seoDescription : cleanOptional(changes.seoDescription, "seoDescription", FIELDS.seoDescription),
    ...bodyFields(title, doc),
    version: draft.version + 1,
    updatedAt: now,
    updatedBy: actor.viewer._id,
  };
  await ctx.db.patch("postBodies", draft._id, next);
  if (post.status === "published") {
    await ctx.db.patch("posts", post._id, { hasUnpublishedChanges: true, updatedAt: now });
  } else {
    // Not live: the post row mirrors the draft so studio lists show the working title, and the
    // address follows a new title while nobody chose it and it never went out.
    const slug = title !== draft.title ? await followedSlug(ctx, post, title) : null;
    await ctx.db.patch("posts", post._id, { ...draftListFields(next), ...(slug ? { slug } : {}), updatedAt: now });
  }
  if (explicit) await addRevision(ctx, post, { ...draft, ...next }, "save", actor.viewer);
  return { version: next.version, updatedAt: now };
}

/**
 * The author changes the slug; from then on it no longer follows the title. If the post was ever
 * published, the old slug redirects to the new one.
 */
export async function changeSlug(ctx: MutationCtx, actor: Actor, post: Doc<"posts">, slug: string): Promise<void> {
  requirePostEditable(actor.member, post);
  if (slug === post.slug) {
    if (post.slugSetByAuthor !== true) await ctx.db.patch("posts", post._id, { slugSetByAuthor: true });
    return;
  }
  await requireSlugFree(ctx, "post", post.siteId, slug, post._id);
  await ctx.db.patch("posts", post._id, { slug, slugSetByAuthor: true, updatedAt: Date.now() });
  if (post.publishedAt !== undefined) await recordRedirect(ctx, "post", post.siteId, post.slug, slug, post._id);
  await auditPost(ctx, post, actor.viewer._id, "post.slug", { slug: post.slug }, { slug });
}

/** The slugs createDraft gives an untitled post ("untitled", "untitled-2", …). */
const PLACEHOLDER_SLUG = /^untitled(-\d+)?$/;

/**
 * Whether a post's address still follows its title: never published and not chosen by the author.
 * Rows from before `slugSetByAuthor` follow only while their slug is still a placeholder.
 */
export function slugFollowsTitle(post: Pick<Doc<"posts">, "publishedAt" | "slugSetByAuthor" | "slug">): boolean {
  if (post.publishedAt !== undefined) return false; // links to it may exist
  if (post.slugSetByAuthor !== undefined) return !post.slugSetByAuthor;
  return PLACEHOLDER_SLUG.test(post.slug);
}

/**
 * The address `title` gives a post whose slug follows its title (the title's slug, "-2", "-3", …
 * when taken; "untitled…" for a title without letters or digits), or null when it does not follow
 * or already has that address.
 */
async function followedSlug(ctx: QueryCtx, post: Doc<"posts">, title: string): Promise<string | null> {
  if (!slugFollowsTitle(post)) return null;
  const base = toSlug(title) || "untitled";
  const slug = await uniqueSlug(ctx, "post", post.siteId, base, post._id);
  return slug === post.slug ? null : slug;
}

/**
 * Brings a following address up to date with the draft's title before the post first goes out
 * (publish, schedule, submit for review). saveDraft keeps it current; this covers rows saved
 * before the slug followed the title. An address the writer chose is left alone.
 * @throws ConvexError FORBIDDEN unless the member may edit the post (as changeSlug).
 */
export async function settleSlug(ctx: MutationCtx, actor: Actor, post: Doc<"posts">): Promise<void> {
  requirePostEditable(actor.member, post);
  const slug = await followedSlug(ctx, post, (await getBody(ctx, post, "draft"))?.title ?? "");
  if (slug) await ctx.db.patch("posts", post._id, { slug, updatedAt: Date.now() });
}

async function requireCategory(ctx: QueryCtx, siteId: Id<"sites">, categoryId: Id<"categories">) {
  const cat = await ctx.db.get("categories", categoryId);
  if (!cat || cat.siteId !== siteId) throw appError("NOT_FOUND", { field: "categoryId" });
  return cat;
}

export async function setCategory(
  ctx: MutationCtx,
  actor: Actor,
  post: Doc<"posts">,
  categoryId: Id<"categories"> | null,
): Promise<void> {
  requirePostEditable(actor.member, post);
  if (categoryId) await requireCategory(ctx, post.siteId, categoryId);
  const next = categoryId ?? undefined;
  if (next === post.categoryId) return;
  const before = publicationState(post);
  await ctx.db.patch("posts", post._id, { categoryId: next, updatedAt: Date.now() });
  await applyPublicationChange(ctx, post.siteId, post._id, before, { ...before, categoryId: next });
  await auditPost(ctx, post, actor.viewer._id, "post.category", { categoryId: post.categoryId }, { categoryId: next });
}

export async function setTags(ctx: MutationCtx, actor: Actor, post: Doc<"posts">, tagIds: Id<"tags">[]): Promise<void> {
  requirePostEditable(actor.member, post);
  const unique = [...new Set(tagIds)];
  if (unique.length > 20) throw appError("INVALID_ARGUMENT", { field: "tagIds", message: "At most 20 tags." });
  for (const id of unique) {
    const tag = await ctx.db.get("tags", id);
    if (!tag || tag.siteId !== post.siteId) throw appError("NOT_FOUND", { field: "tagIds" });
  }
  const before = publicationState(post);
  await ctx.db.patch("posts", post._id, { tagIds: unique, updatedAt: Date.now() });
  await applyPublicationChange(ctx, post.siteId, post._id, before, { ...before, tagIds: unique });
  await auditPost(ctx, post, actor.viewer._id, "post.tags", { tagIds: post.tagIds }, { tagIds: unique });
}

/**
 * What readers see of a live version without its body, computed once when it goes live or its
 * featured flag changes: the card excerpt (model/content.ts publicExcerpt, with where it came from)
 * for the post row, and the public search text for the live body.
 */
export function liveCardFields(featured: boolean, live: Pick<Doc<"postBodies">, "title" | "excerpt" | "text" | "doc">) {
  const excerpt = publicExcerpt(featured, live.excerpt, excerptSourceOf(live.doc));
  const excerptKind = live.excerpt?.trim() ? ("author" as const) : featured ? ("teaser" as const) : ("auto" as const);
  return { card: { excerpt, excerptKind }, searchText: publicSearchText(featured, live.title, excerpt, `${live.title}\n${live.text}`) };
}

/**
 * Recomputes a published post's card excerpt and search text from its live body (the migration
 * for rows written before paid teasers: model/postProjection.ts hasUnsafeExcerpt).
 * @returns whether anything changed
 */
export async function refreshLiveCard(ctx: MutationCtx, post: Doc<"posts">): Promise<boolean> {
  if (post.status !== "published") return false;
  const live = await getBody(ctx, post, "published");
  if (!live) return false;
  const { card, searchText } = liveCardFields(post.featured, live);
  if (card.excerpt === post.excerpt && card.excerptKind === post.excerptKind && searchText === live.searchText) return false;
  await ctx.db.patch("posts", post._id, card);
  if (searchText !== live.searchText) await ctx.db.patch("postBodies", live._id, { searchText });
  return true;
}

/**
 * What the reader search index may see of a live post: everything for free posts, only the title
 * and excerpt for featured (paid) ones, so a search cannot reveal words of a paid body.
 */
export function publicSearchText(featured: boolean, title: string, excerpt: string, fullSearchText: string): string {
  return featured ? `${title}\n${excerpt}` : fullSearchText;
}

/** @returns whether the site has at least one active plan (featured posts need one). */
export async function siteHasActivePlan(ctx: QueryCtx, siteId: Id<"sites">): Promise<boolean> {
  const plan = await ctx.db
    .query("subscriptionPlans")
    .withIndex("by_siteId_and_isActive", (q) => q.eq("siteId", siteId).eq("isActive", true))
    .first();
  return plan !== null;
}

/** Marks a post featured (paid readers only) or not. Editors and above; featuring needs an active plan. */
export async function setFeatured(ctx: MutationCtx, actor: Actor, post: Doc<"posts">, featured: boolean): Promise<void> {
  requirePermission(actor.member, "post.feature");
  if (post.featured === featured) return;
  if (featured && !(await siteHasActivePlan(ctx, post.siteId))) throw appError("NO_ACTIVE_PLAN");
  await ctx.db.patch("posts", post._id, { featured, updatedAt: Date.now() });
  // The automatic excerpt depends on the flag (a paid teaser for featured posts).
  await refreshLiveCard(ctx, { ...post, featured });
  await auditPost(ctx, post, actor.viewer._id, "post.featured", { featured: post.featured }, { featured });
}

/**
 * Sets or clears the cover image (a file uploaded to storage), with its alt text and caption
 * (FIELDS.coverAlt / coverCaption; absent = unchanged, clearing the image clears both). Who may edit
 * the post may set it.
 * @throws ConvexError NOT_FOUND `{ field: "coverImage" }`; INVALID_ARGUMENT `{ field: "coverAlt" | "coverCaption" }`
 */
export async function setCoverImage(
  ctx: MutationCtx,
  actor: Actor,
  post: Doc<"posts">,
  storageId: Id<"_storage"> | null,
  text: { alt?: string; caption?: string } = {},
): Promise<void> {
  requirePostEditable(actor.member, post);
  if (storageId && !(await ctx.db.system.get("_storage", storageId))) throw appError("NOT_FOUND", { field: "coverImage" });
  const next = storageId ?? undefined;
  const alt = next === undefined ? undefined : text.alt === undefined ? post.coverImageAlt : cleanField(FIELDS.coverAlt, text.alt, "coverAlt") || undefined;
  const caption =
    next === undefined ? undefined : text.caption === undefined ? post.coverImageCaption : cleanField(FIELDS.coverCaption, text.caption, "coverCaption") || undefined;
  // An imported cover URL (issue #17) gives way to whatever the author sets, or clears, here.
  const before = { coverImageId: post.coverImageId, coverImageUrl: post.coverImageUrl, coverImageAlt: post.coverImageAlt, coverImageCaption: post.coverImageCaption };
  const after = { coverImageId: next, coverImageUrl: undefined, coverImageAlt: alt, coverImageCaption: caption };
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  await ctx.db.patch("posts", post._id, { ...after, updatedAt: Date.now() });
  await auditPost(ctx, post, actor.viewer._id, "post.cover", before, after);
}

/** Deletes a post and everything that belongs to it, keeping counters exact. */
export async function deletePost(ctx: MutationCtx, actor: Actor | null, post: Doc<"posts">): Promise<void> {
  if (actor) requirePostPublishable(actor.member, post);
  await removePostData(ctx, post);
  await auditPost(ctx, post, actor?.viewer._id, "post.delete", { title: post.title, status: post.status, slug: post.slug }, null);
}

/** The cascade of a post's deletion (also used when a user's posts are deleted). */
export async function removePostData(ctx: MutationCtx, post: Doc<"posts">): Promise<void> {
  await applyPublicationChange(ctx, post.siteId, post._id, publicationState(post), null);
  if (post.scheduledJobId && post.status === "scheduled") await ctx.scheduler.cancel(post.scheduledJobId);
  for (const kind of ["draft", "published"] as const) {
    const body = await getBody(ctx, post, kind);
    if (body) await ctx.db.delete("postBodies", body._id);
  }
  const revisions = await ctx.db
    .query("postRevisions")
    .withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
    .collect();
  for (const r of revisions) await ctx.db.delete("postRevisions", r._id);
  const shards = await ctx.db
    .query("postViewShards")
    .withIndex("by_siteId_and_postId_and_shard", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
    .collect();
  for (const s of shards) await ctx.db.delete("postViewShards", s._id);
  await dropRedirectsTo(ctx, post.siteId, post._id);
  // Its email sends can hold 100,000 deliveries: deleted in steps after this transaction. Every send
  // marks the post emailedAt first (model/sends.ts startSend), so a post never emailed needs no job.
  if (post.emailedAt !== undefined) await ctx.scheduler.runAfter(0, internal.sends.purgePost, { siteId: post.siteId, postId: post._id });
  await ctx.db.delete("posts", post._id);
}

/** Copies a revision into the draft as a new version; the live version is untouched. */
export async function restoreRevision(
  ctx: MutationCtx,
  actor: Actor,
  post: Doc<"posts">,
  revisionId: Id<"postRevisions">,
): Promise<{ version: number }> {
  requirePostEditable(actor.member, post);
  const revision = await ctx.db.get("postRevisions", revisionId);
  if (!revision || revision.postId !== post._id || revision.siteId !== post.siteId) throw appError("NOT_FOUND");
  const draft = await requireDraft(ctx, post);
  const saved = await saveDraft(
    ctx,
    actor,
    post,
    draft.version,
    { title: revision.title, excerpt: revision.excerpt ?? "", doc: revision.doc },
    false,
  );
  const fresh = await requireDraft(ctx, post);
  await addRevision(ctx, post, fresh, "restore", actor.viewer);
  await auditPost(ctx, post, actor.viewer._id, "post.restoreRevision", undefined, { revision: revision.number });
  return { version: saved.version };
}
