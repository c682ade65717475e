import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { internalMutation, siteMutation, siteQuery } from "./lib/functions";
import { canEditPost, canOpenPost, canPublishPost, requireInSite, requirePermission } from "./lib/access";
import { can } from "./shared/roles";
import { appError } from "./lib/errors";
import * as Lifecycle from "./model/postLifecycle";
import * as Posts from "./model/posts";
import * as Sends from "./model/sends";
import * as StudioPosts from "./model/studioPosts";
import { postCoverUrl } from "./model/postProjection";
import { searchTerms } from "./model/reader";
import { vPostDraft, vPostStatus, vStudioPost } from "./validators";

// Studio-facing post functions: thin wrappers over model/posts.ts. Every one runs as a member of
// args.siteId (siteQuery/siteMutation) and states its rule in the model function it calls.

const postArg = { postId: v.id("posts") };

/** Creates a draft authored by the viewer. */
export const create = siteMutation({
  args: { title: v.optional(v.string()), doc: v.optional(v.string()), categoryId: v.optional(v.id("categories")) },
  returns: v.id("posts"),
  handler: async (ctx, args) => Posts.createDraft(ctx, ctx, args),
});

/** A post and its working draft, for the editor. Below editor, another member's post is NOT_FOUND. */
export const getForEdit = siteQuery({
  args: postArg,
  returns: v.object({
    post: vStudioPost,
    draft: vPostDraft,
    canPublish: v.boolean(),
    canFeature: v.boolean(),
    coverImageUrl: v.union(v.string(), v.null()),
  }),
  handler: async (ctx, { postId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    // Below editor, members open their own posts only; others' look missing, not forbidden.
    if (!canOpenPost(ctx.member, post)) throw appError("NOT_FOUND");
    const draft = await Posts.getBody(ctx, post, "draft");
    if (!draft) throw appError("NOT_FOUND");
    return {
      post,
      draft: {
        postId: post._id,
        version: draft.version,
        title: draft.title,
        excerpt: draft.excerpt ?? null,
        seoTitle: draft.seoTitle ?? null,
        seoDescription: draft.seoDescription ?? null,
        doc: draft.doc,
        updatedAt: draft.updatedAt,
      },
      canPublish: canPublishPost(ctx.member, post),
      canFeature: can(ctx.member.role, "post.feature") && (await Posts.siteHasActivePlan(ctx, post.siteId)),
      coverImageUrl: await postCoverUrl(ctx, post),
    };
  },
});

/**
 * Saves the working draft. `expectedVersion` is the version the client last saw; a stale one gets
 * CONFLICT (with the current version and draft) and nothing is overwritten.
 */
export const saveDraft = siteMutation({
  args: {
    ...postArg,
    expectedVersion: v.number(),
    title: v.optional(v.string()),
    excerpt: v.optional(v.string()),
    seoTitle: v.optional(v.string()),
    seoDescription: v.optional(v.string()),
    doc: v.optional(v.string()),
    /** An explicit save (not an autosave): also keeps a revision. */
    explicit: v.optional(v.boolean()),
  },
  returns: v.object({ version: v.number(), updatedAt: v.number() }),
  handler: async (ctx, { postId, expectedVersion, explicit, ...changes }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    return Posts.saveDraft(ctx, ctx, post, expectedVersion, changes, explicit ?? false);
  },
});

function postAction(fn: (ctx: any, actor: Posts.Actor, post: any) => Promise<void>) {
  return siteMutation({
    args: postArg,
    returns: v.null(),
    handler: async (ctx, { postId }) => {
      const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
      await fn(ctx, ctx, post);
      return null;
    },
  });
}

/** Issue #15: the email a publish sends (model/sends.ts; `segment` "all" | "free" | "paid"). */
const emailChoice = v.optional(v.object({ newsletterId: v.id("newsletters"), segment: v.string() }));

/**
 * Publishes the draft, or updates a published post with its draft. Idempotent. With `email`, also
 * starts a send of the post to the newsletter's segment in the same transaction (needs
 * `audience.manage` too); a bad email choice publishes nothing.
 */
export const publish = siteMutation({
  args: { ...postArg, email: emailChoice },
  returns: v.null(),
  handler: async (ctx, { postId, email }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (email) requirePermission(ctx.member, "audience.manage");
    await Lifecycle.publish(ctx, ctx, post);
    if (email) {
      const live = await requireInSite(ctx, "posts", postId, ctx.site._id);
      await Sends.startSend(ctx, { site: ctx.site, by: ctx.viewer._id, post: live, newsletterId: email.newsletterId, segment: email.segment, source: "publish" });
    }
    return null;
  },
});
/** Takes a post off the site, back to draft. Idempotent. */
export const unpublish = postAction(Lifecycle.unpublish);
/** Archives a post. Idempotent. */
export const archive = postAction(Lifecycle.archive);
/** Restores an archived post as a draft. Idempotent. */
export const restore = postAction(Lifecycle.restore);
/** Cancels a scheduled publication. Idempotent. */
export const unschedule = postAction(Lifecycle.unschedule);
/** Deletes a post and everything that belongs to it. */
export const remove = postAction((ctx, actor, post) => Posts.deletePost(ctx, actor, post));

/** Schedules a draft; with `email`, the send starts when the scheduled publish runs (rights re-checked then). */
export const schedule = siteMutation({
  args: { ...postArg, scheduledAt: v.number(), email: emailChoice },
  returns: v.null(),
  handler: async (ctx, { postId, scheduledAt, email }) => {
    let scheduledEmail;
    if (email) {
      requirePermission(ctx.member, "audience.manage");
      await Sends.requireSendableNewsletter(ctx, ctx.site._id, email.newsletterId);
      scheduledEmail = { newsletterId: email.newsletterId, segment: Sends.parseSegment(email.segment) };
    }
    await Lifecycle.schedule(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), scheduledAt, scheduledEmail);
    return null;
  },
});

export const changeSlug = siteMutation({
  args: { ...postArg, slug: v.string() },
  returns: v.null(),
  handler: async (ctx, { postId, slug }) => {
    await Posts.changeSlug(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), slug);
    return null;
  },
});

/** Gives a new post the address its title suggests before it first goes out (model/posts.ts settleSlug). */
export const settleSlug = siteMutation({
  args: postArg,
  returns: v.null(),
  handler: async (ctx, { postId }) => {
    await Posts.settleSlug(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id));
    return null;
  },
});

export const setCategory = siteMutation({
  args: { ...postArg, categoryId: v.union(v.id("categories"), v.null()) },
  returns: v.null(),
  handler: async (ctx, { postId, categoryId }) => {
    await Posts.setCategory(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), categoryId);
    return null;
  },
});

export const setTags = siteMutation({
  args: { ...postArg, tagIds: v.array(v.id("tags")) },
  returns: v.null(),
  handler: async (ctx, { postId, tagIds }) => {
    await Posts.setTags(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), tagIds);
    return null;
  },
});

export const setFeatured = siteMutation({
  args: { ...postArg, featured: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { postId, featured }) => {
    await Posts.setFeatured(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), featured);
    return null;
  },
});

/** Sets or clears a post's cover image, with optional alt text and caption (absent = unchanged). */
export const setCoverImage = siteMutation({
  args: { ...postArg, storageId: v.union(v.id("_storage"), v.null()), alt: v.optional(v.string()), caption: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { postId, storageId, alt, caption }) => {
    await Posts.setCoverImage(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), storageId, { alt, caption });
    return null;
  },
});

export const listRevisions = siteQuery({
  args: postArg,
  returns: v.array(
    v.object({
      _id: v.id("postRevisions"),
      number: v.number(),
      reason: v.union(v.literal("publish"), v.literal("save"), v.literal("restore")),
      title: v.string(),
      authorName: v.string(),
      createdAt: v.number(),
    }),
  ),
  handler: async (ctx, { postId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (!canEditPost(ctx.member, post)) throw appError("NOT_FOUND");
    const revisions = await ctx.db
      .query("postRevisions")
      .withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))
      .order("desc")
      .take(200);
    return revisions.map((r) => ({
      _id: r._id,
      number: r.number,
      reason: r.reason,
      title: r.title,
      authorName: r.authorName,
      createdAt: r.createdAt,
    }));
  },
});

export const getRevision = siteQuery({
  args: { ...postArg, revisionId: v.id("postRevisions") },
  returns: v.object({ number: v.number(), title: v.string(), excerpt: v.union(v.string(), v.null()), doc: v.string() }),
  handler: async (ctx, { postId, revisionId }) => {
    const post = await requireInSite(ctx, "posts", postId, ctx.site._id);
    if (!canEditPost(ctx.member, post)) throw appError("NOT_FOUND");
    const r = await ctx.db.get("postRevisions", revisionId);
    if (!r || r.postId !== post._id || r.siteId !== post.siteId) throw appError("NOT_FOUND");
    return { number: r.number, title: r.title, excerpt: r.excerpt ?? null, doc: r.doc };
  },
});

/** Restores a revision into a new draft version; the live post is untouched. */
export const restoreRevision = siteMutation({
  args: { ...postArg, revisionId: v.id("postRevisions") },
  returns: v.object({ version: v.number() }),
  handler: async (ctx, { postId, revisionId }) =>
    Posts.restoreRevision(ctx, ctx, await requireInSite(ctx, "posts", postId, ctx.site._id), revisionId),
});

/**
 * The studio's post list, filtered by any combination of status, author, tag, category and search
 * words; newest change first (best match first when searching, published first with a tag). Cursor
 * pages of at most 50; a page can be short, or empty and not done, when filters skip many posts.
 * Authors and contributors see their own posts only. A tag or category of another site, or an author who
 * wrote nothing here, gives an empty list. Search words that are empty or only punctuation are
 * ignored (the plain list). Model: StudioPosts.listForStudio.
 */
export const list = siteQuery({
  args: {
    status: v.optional(vPostStatus),
    authorId: v.optional(v.id("users")),
    tagId: v.optional(v.id("tags")),
    categoryId: v.optional(v.id("categories")),
    search: v.optional(v.string()),
    paginationOpts: paginationOptsValidator,
  },
  returns: paginationResultValidator(vStudioPost),
  handler: async (ctx, { search, paginationOpts, ...filters }) =>
    StudioPosts.listForStudio(ctx, ctx, { ...filters, terms: search ? searchTerms(search) : null }, paginationOpts),
});

/**
 * View counts of some of the site's posts (the studio's list asks for the rows it shows, in a
 * query of its own so that views do not re-run the list). Posts of another site, or that the
 * viewer may not open (contributors: others' posts), are left out.
 */
export const viewCounts = siteQuery({
  args: { postIds: v.array(v.id("posts")) },
  returns: v.array(v.object({ postId: v.id("posts"), views: v.number() })),
  handler: async (ctx, { postIds }) => StudioPosts.viewCountsFor(ctx, ctx, postIds),
});

/**
 * Whether a slug is free for a post of the site (for `postId`, or a new one): the editor's live
 * check. changeSlug applies the same rules and has the final word. `postId` must be a post the
 * viewer can open in the editor (below editor: their own), else NOT_FOUND.
 */
export const isSlugAvailable = siteQuery({
  args: { postId: v.optional(v.id("posts")), slug: v.string() },
  returns: v.object({
    available: v.boolean(),
    reason: v.union(v.literal("INVALID_SLUG"), v.literal("RESERVED_SLUG"), v.literal("SLUG_TAKEN"), v.null()),
    suggestion: v.union(v.string(), v.null()),
    redirectsToAnotherPost: v.boolean(),
  }),
  handler: async (ctx, { postId, slug }) => {
    const post = postId ? await requireInSite(ctx, "posts", postId, ctx.site._id) : null;
    if (post && !canOpenPost(ctx.member, post)) throw appError("NOT_FOUND");
    return await StudioPosts.slugAvailability(ctx, ctx.site._id, post, slug);
  },
});

/**
 * The scheduler's job for a scheduled post (queued by posts.schedule). It re-checks, when it runs,
 * that `scheduledBy` may still publish the post (model: Lifecycle.publishScheduled).
 */
export const publishScheduled = internalMutation({
  args: { postId: v.id("posts"), scheduledAt: v.number(), scheduledBy: v.optional(v.id("users")) },
  returns: v.null(),
  handler: async (ctx, { postId, scheduledAt, scheduledBy }) => {
    await Lifecycle.publishScheduled(ctx, postId, scheduledAt, scheduledBy);
    return null;
  },
});
