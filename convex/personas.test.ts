// Over 400 lines: the whole persona matrix is one table by design (a function without a row fails).
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// The persona matrix: every public function, called by every kind of viewer, with the outcome the
// role matrix (docs/roles.md) promises. A public function without a row here fails the last test.

const PERSONAS = ["anonymous", "outsider", "reader", "subscriber", "contributor", "author", "editor", "admin", "owner"] as const;
type Persona = (typeof PERSONAS)[number];
type Outcome = "ok" | "UNAUTHENTICATED" | "NOT_FOUND" | "FORBIDDEN" | "INVALID_STATE" | "REAUTH_REQUIRED" | Seen;
/** What a read returned, for rows that say (observe): the paid post unlocked or locked, or not there. */
type Seen = "unlocked" | "locked" | "missing";

interface Row {
  /** Fresh targets for one call (a new post, tag...), made by trusted setup code. */
  prepare?: (t: T, w: World) => Promise<Record<string, unknown>>;
  call: (client: any, w: World, targets: Record<string, any>) => Promise<unknown>;
  /** For reads that succeed for everyone: what this persona saw, so an empty answer cannot pass. */
  observe?: (result: any, targets: Record<string, any>) => Outcome;
  expect: Partial<Record<Persona, Outcome>> & { default: Outcome };
}

const members = ["contributor", "author", "editor", "admin", "owner"] as const;
const only = (allowed: readonly Persona[], otherwise: Outcome, signedOut: Outcome = "UNAUTHENTICATED") => {
  const e: Row["expect"] = { default: otherwise, anonymous: signedOut };
  for (const p of allowed) e[p] = "ok";
  return e;
};
/** Site functions: non-members (including readers and subscribers) get NOT_FOUND. */
const siteOnly = (allowed: readonly Persona[], membersOtherwise: Outcome = "FORBIDDEN") => {
  const e: Row["expect"] = { default: "NOT_FOUND", anonymous: "UNAUTHENTICATED" };
  for (const m of members) e[m] = membersOtherwise;
  for (const p of allowed) e[p] = "ok";
  return e;
};
const everyone: Row["expect"] = { default: "ok" };
const signedIn: Row["expect"] = { default: "ok", anonymous: "UNAUTHENTICATED" };

async function draftBy(t: T, w: World, role: "author" | "editor" | "contributor" = "author", title = "Draft") {
  return await as(t, w.users[role]).mutation(api.posts.create, { siteId: w.siteId, title, doc: doc("Words.") });
}
async function publishedBy(t: T, w: World, role: "author" | "editor" = "author") {
  const postId = await draftBy(t, w, role, "Live");
  await as(t, w.users[role]).mutation(api.posts.publish, { siteId: w.siteId, postId });
  return postId;
}
const page = { numItems: 5, cursor: null };
/** A finished dry run of this site, waiting for confirm (other open imports end first: one runs per site). */
async function readyImport(t: any, w: any) {
  return await t.run(async (ctx: any) => {
    for (const r of await ctx.db.query("contentImports").collect()) if (r.status !== "done") await ctx.db.patch("contentImports", r._id, { status: "done" });
    return await ctx.db.insert("contentImports", {
      siteId: w.siteId, createdBy: w.users.owner, fileName: "ghost.json", size: 1, status: "ready",
      total: 0, processed: 0, created: 0, skipped: 0, failed: 0, cursor: 0, report: [], reportOverflow: 0, createdAt: Date.now(),
    });
  });
}
async function newTag(t: T, w: World) {
  return await t.run(async (ctx) => {
    const n = Math.random().toString(36).slice(2, 8);
    return ctx.db.insert("tags", { siteId: w.siteId, name: `T ${n}`, slug: `t-${n}`, usageCount: 0, createdAt: 0, updatedAt: 0 });
  });
}
async function newCategory(t: T, w: World) {
  return await t.run(async (ctx) => {
    const n = Math.random().toString(36).slice(2, 8);
    return ctx.db.insert("categories", { siteId: w.siteId, name: `C ${n}`, slug: `c-${n}`, sortOrder: 0, postCount: 0, createdAt: 0, updatedAt: 0 });
  });
}
const authorsPost = async (t: T, w: World) => ({ postId: await draftBy(t, w) });

/**
 * Real reader content for the public reader rows: a free and a featured (paid) post, both published
 * by the editor (author slug "editor") with a fresh tag and category. Each row asks for these slugs,
 * so "ok" means the persona was shown them, not that a missing slug answered null.
 */
async function readerContent(t: T, w: World) {
  const siteId = w.siteId;
  const editor = as(t, w.users.editor);
  const n = Math.random().toString(36).slice(2, 8);
  const { tagId, categoryId } = await t.run(async (ctx) => ({
    tagId: await ctx.db.insert("tags", { siteId, name: `Topic ${n}`, slug: `topic-${n}`, usageCount: 0, createdAt: 0, updatedAt: 0 }),
    categoryId: await ctx.db.insert("categories", { siteId, name: `Section ${n}`, slug: `section-${n}`, sortOrder: 0, postCount: 0, createdAt: 0, updatedAt: 0 }),
  }));
  const publish = async (title: string, featured: boolean) => {
    const postId = await editor.mutation(api.posts.create, { siteId, title, doc: doc(`Words about ${n}.`) });
    await editor.mutation(api.posts.setTags, { siteId, postId, tagIds: [tagId] });
    await editor.mutation(api.posts.setCategory, { siteId, postId, categoryId });
    if (featured) await editor.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
    await editor.mutation(api.posts.publish, { siteId, postId });
    return postId;
  };
  const freeId = await publish(`Free ${n}`, false);
  const paidId = await publish(`Paid ${n}`, true);
  const slugs = await t.run(async (ctx) => ({ free: (await ctx.db.get("posts", freeId))!.slug, paid: (await ctx.db.get("posts", paidId))!.slug }));
  return { n, freeId, paidId, freeSlug: slugs.free, paidSlug: slugs.paid, tagSlug: `topic-${n}`, categorySlug: `section-${n}` };
}
/** Members and active subscribers read featured bodies (docs/roles.md); everyone else sees them locked. */
const paidReaders: Row["expect"] = {
  default: "locked",
  subscriber: "unlocked",
  contributor: "unlocked",
  author: "unlocked",
  editor: "unlocked",
  admin: "unlocked",
  owner: "unlocked",
};
/** A list read: both posts must be listed; the paid one's lock says what the persona may read. */
const listed = (r: any, x: Record<string, any>): Outcome => {
  const paid = r.page.find((p: any) => p._id === x.paidId);
  if (!paid || !r.page.some((p: any) => p._id === x.freeId)) return "missing";
  return paid.locked ? "locked" : "unlocked";
};
/** A post read: the paid post, with its body exactly when it is unlocked. */
const read = (post: any, x: Record<string, any>): Outcome => {
  if (post?._id !== x.paidId || post.tags.map((t: any) => t.slug).join() !== x.tagSlug) return "missing";
  if (post.locked !== (post.doc === null)) return "missing";
  return post.locked ? "locked" : "unlocked";
};
const contributorsDraft = async (t: T, w: World) => ({ postId: await draftBy(t, w, "contributor") });

// --- members & newsletters issue: audience members with signed links ---
const fresh = (p: string) => `${p}.${Math.random().toString(36).slice(2, 10)}@example.com`;
/** MEMBER_TOKEN_SECRET where functions run: this process (convex-test) and the local backend's env. */
async function memberSecret(t: T) {
  const secret = "persona-member-token-secret-0123456789";
  process.env.MEMBER_TOKEN_SECRET = secret;
  const backend = (t as unknown as { backend?: () => Promise<{ env: { set(n: string, v: string): void } }> }).backend;
  if (typeof backend === "function") (await backend()).env.set("MEMBER_TOKEN_SECRET", secret);
}
/** A fresh audience member of the world's site and a signed link token for it. */
async function memberLink(t: T, w: World, purpose: "unsubscribe" | "preferences") {
  await memberSecret(t);
  const email = fresh("member");
  const memberId = await t.run((ctx) =>
    ctx.db.insert("audienceMembers", { siteId: w.siteId, email, access: "free", emailState: "subscribed", source: "manual", createdAt: Date.now(), updatedAt: Date.now() }),
  );
  return { email, memberId, token: await t.query(internal.audience.memberToken, { memberId, purpose }) };
}
/** Every persona a member of the world's site, linked to their account (for the signed-in viewer's own preferences). */
async function personasAsMembers(t: T, w: World) {
  const emails = await t.run(async (ctx) => {
    const out: string[] = [];
    for (const userId of Object.values(w.users)) {
      const email = `${userId}@persona.example`;
      const has = await ctx.db
        .query("audienceMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", w.siteId).eq("userId", userId))
        .first();
      if (!has) await ctx.db.insert("audienceMembers", { siteId: w.siteId, email, userId, access: "free", emailState: "subscribed", source: "signedIn", createdAt: 0, updatedAt: 0 });
      out.push(has?.email ?? email);
    }
    return out;
  });
  return { emails };
}
async function newNewsletter(t: T, w: World) {
  const newsletterId = await t.run((ctx) => ctx.db.insert("newsletters", { siteId: w.siteId, name: "N", senderName: "S", defaultOn: false, createdAt: 0 }));
  return { newsletterId };
}
/** An email-only send of an editor's draft (post sends, #15). */
async function newSend(t: T, w: World) {
  const { newsletterId } = await newNewsletter(t, w);
  const postId = await draftBy(t, w, "editor");
  const sendId = await as(t, w.users.editor).mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
  return { postId, sendId };
}
// --- end members & newsletters issue ---

export const matrix: Record<string, Row> = {
  // --- sites -----------------------------------------------------------------------------
  "sites:listDirectory": { call: (c) => c.query(api.sites.listDirectory, {}), expect: everyone },
  "sites:listFeatured": { call: (c) => c.query(api.sites.listFeatured, {}), expect: everyone },
  "sites:getPublic": {
    call: (c) => c.query(api.sites.getPublic, { slug: "daily" }),
    observe: (r) => (r?.slug === "daily" && r.name === "The daily" ? "ok" : "missing"),
    expect: everyone,
  },
  // Owners and admins get as far as "no custom domain set" (INVALID_STATE), so no DNS is asked.
  "sites:verifyCustomDomain": {
    call: (c, w) => c.action(api.sites.verifyCustomDomain, { siteId: w.siteId }),
    expect: { ...siteOnly([]), admin: "INVALID_STATE", owner: "INVALID_STATE" },
  },
  "sites:isSlugAvailable": { call: (c) => c.query(api.sites.isSlugAvailable, { slug: "fresh" }), expect: signedIn },
  "sites:create": {
    call: (c) => c.mutation(api.sites.create, { name: "New", slug: `new-${Math.random().toString(36).slice(2, 8)}` }),
    expect: signedIn,
  },
  "sites:listMine": { call: (c) => c.query(api.sites.listMine, {}), expect: signedIn },
  "sites:getSettings": { call: (c, w) => c.query(api.sites.getSettings, { siteId: w.siteId }), expect: siteOnly(members) },
  "sites:updateSettings": {
    call: (c, w) => c.mutation(api.sites.updateSettings, { siteId: w.siteId, description: "Updated" }),
    expect: siteOnly(["admin", "owner"]),
  },
  "sites:updateTheme": {
    call: (c, w) => c.mutation(api.sites.updateTheme, { siteId: w.siteId, theme: "magazine", navLinks: [{ label: "About", url: "/about" }] }),
    expect: siteOnly(["admin", "owner"]),
  },
  // --- posts: contributors work on their own drafts; the author of the target post is "author" ---
  "posts:create": { call: (c, w) => c.mutation(api.posts.create, { siteId: w.siteId, title: "x" }), expect: siteOnly(members) },
  "posts:list": {
    call: (c, w) => c.query(api.posts.list, { siteId: w.siteId, paginationOpts: { numItems: 5, cursor: null } }),
    expect: siteOnly(members),
  },
  "posts:viewCounts": {
    prepare: authorsPost,
    call: (c, w, x) => c.query(api.posts.viewCounts, { siteId: w.siteId, postIds: [x.postId] }),
    expect: siteOnly(members),
  },
  "posts:isSlugAvailable": {
    prepare: authorsPost,
    call: (c, w, x) => c.query(api.posts.isSlugAvailable, { siteId: w.siteId, postId: x.postId, slug: "some-address" }),
    // Like the editor: contributors cannot open other people's posts, so they look missing.
    expect: { ...siteOnly(["author", "editor", "admin", "owner"]), contributor: "NOT_FOUND" },
  },
  "posts:getForEdit": {
    prepare: authorsPost,
    call: (c, w, x) => c.query(api.posts.getForEdit, { siteId: w.siteId, postId: x.postId }),
    // Contributors cannot open other people's posts: they look missing.
    expect: { ...siteOnly(["author", "editor", "admin", "owner"]), contributor: "NOT_FOUND" },
  },
  "posts:saveDraft": {
    prepare: contributorsDraft,
    call: (c, w, x) => c.mutation(api.posts.saveDraft, { siteId: w.siteId, postId: x.postId, expectedVersion: 1, title: "Edited" }),
    // The contributor's own draft: they and editors+ may edit it; another author may not.
    expect: siteOnly(["contributor", "editor", "admin", "owner"]),
  },
  "posts:publish": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.publish, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:unpublish": {
    prepare: async (t, w) => ({ postId: await publishedBy(t, w) }),
    call: (c, w, x) => c.mutation(api.posts.unpublish, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:archive": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.archive, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:restore": {
    prepare: async (t, w) => {
      const postId = await draftBy(t, w);
      await as(t, w.users.author).mutation(api.posts.archive, { siteId: w.siteId, postId });
      return { postId };
    },
    call: (c, w, x) => c.mutation(api.posts.restore, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:schedule": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.schedule, { siteId: w.siteId, postId: x.postId, scheduledAt: Date.now() + 86_400_000 }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:unschedule": {
    prepare: async (t, w) => {
      const postId = await draftBy(t, w);
      await as(t, w.users.author).mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 86_400_000 });
      return { postId };
    },
    call: (c, w, x) => c.mutation(api.posts.unschedule, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:remove": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.remove, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:changeSlug": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.changeSlug, { siteId: w.siteId, postId: x.postId, slug: `s-${Math.random().toString(36).slice(2, 8)}` }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:settleSlug": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.settleSlug, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:setCategory": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.setCategory, { siteId: w.siteId, postId: x.postId, categoryId: null }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:setTags": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.setTags, { siteId: w.siteId, postId: x.postId, tagIds: [] }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:setFeatured": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: x.postId, featured: true }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sites:getImageUrl": {
    prepare: async (t) => ({ storageId: await t.run(async (ctx: any) => ctx.storage.store(new Blob(["x"], { type: "image/png" }))) }),
    call: (c, w, x) => c.query(api.sites.getImageUrl, { siteId: w.siteId, storageId: x.storageId }),
    expect: siteOnly(members),
  },
  "sites:generateUploadUrl": { call: (c, w) => c.mutation(api.sites.generateUploadUrl, { siteId: w.siteId }), expect: siteOnly(members) },
  "posts:setCoverImage": {
    prepare: authorsPost,
    call: (c, w, x) => c.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId: x.postId, storageId: null }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "posts:listRevisions": {
    prepare: async (t, w) => ({ postId: await publishedBy(t, w) }),
    call: (c, w, x) => c.query(api.posts.listRevisions, { siteId: w.siteId, postId: x.postId }),
    expect: { ...siteOnly(["author", "editor", "admin", "owner"]), contributor: "NOT_FOUND" },
  },
  "posts:getRevision": {
    prepare: async (t, w) => {
      const postId = await publishedBy(t, w);
      const [rev] = await as(t, w.users.author).query(api.posts.listRevisions, { siteId: w.siteId, postId });
      return { postId, revisionId: rev._id };
    },
    call: (c, w, x) => c.query(api.posts.getRevision, { siteId: w.siteId, postId: x.postId, revisionId: x.revisionId }),
    expect: { ...siteOnly(["author", "editor", "admin", "owner"]), contributor: "NOT_FOUND" },
  },
  "posts:restoreRevision": {
    prepare: async (t, w) => {
      const postId = await publishedBy(t, w);
      const [rev] = await as(t, w.users.author).query(api.posts.listRevisions, { siteId: w.siteId, postId });
      return { postId, revisionId: rev._id };
    },
    call: (c, w, x) => c.mutation(api.posts.restoreRevision, { siteId: w.siteId, postId: x.postId, revisionId: x.revisionId }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  // --- tags and categories -----------------------------------------------------------------
  "tags:list": {
    call: (c, w) => c.query(api.tags.list, { siteId: w.siteId, paginationOpts: { numItems: 10, cursor: null } }),
    expect: siteOnly(members),
  },
  "tags:create": {
    call: (c, w) => c.mutation(api.tags.create, { siteId: w.siteId, name: `Tag ${Math.random().toString(36).slice(2, 8)}` }),
    expect: siteOnly(["author", "editor", "admin", "owner"]),
  },
  "tags:rename": {
    prepare: async (t, w) => ({ tagId: await newTag(t, w) }),
    call: (c, w, x) => c.mutation(api.tags.rename, { siteId: w.siteId, tagId: x.tagId, name: `Renamed ${Math.random().toString(36).slice(2, 8)}` }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "tags:merge": {
    prepare: async (t, w) => ({ sourceId: await newTag(t, w), targetId: await newTag(t, w) }),
    call: (c, w, x) => c.mutation(api.tags.merge, { siteId: w.siteId, sourceId: x.sourceId, targetId: x.targetId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "tags:remove": {
    prepare: async (t, w) => ({ tagId: await newTag(t, w) }),
    call: (c, w, x) => c.mutation(api.tags.remove, { siteId: w.siteId, tagId: x.tagId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "categories:list": { call: (c, w) => c.query(api.categories.list, { siteId: w.siteId }), expect: siteOnly(members) },
  "categories:create": {
    call: (c, w) => c.mutation(api.categories.create, { siteId: w.siteId, name: `Cat ${Math.random().toString(36).slice(2, 8)}` }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "categories:rename": {
    prepare: async (t, w) => ({ categoryId: await newCategory(t, w) }),
    call: (c, w, x) =>
      c.mutation(api.categories.rename, { siteId: w.siteId, categoryId: x.categoryId, name: `Renamed ${Math.random().toString(36).slice(2, 8)}` }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "categories:reorder": {
    prepare: async (t, w) => ({ categoryId: await newCategory(t, w) }),
    call: (c, w, x) => c.mutation(api.categories.reorder, { siteId: w.siteId, categoryIds: [x.categoryId] }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "categories:remove": {
    prepare: async (t, w) => ({ categoryId: await newCategory(t, w) }),
    call: (c, w, x) => c.mutation(api.categories.remove, { siteId: w.siteId, categoryId: x.categoryId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  // --- users, members, review, notifications, audit (members/users issue) ----------------------
  "billing:mySubscriptions": { call: (c) => c.query(api.billing.mySubscriptions, {}), expect: signedIn },
  "users:getProfile": { call: (c) => c.query(api.users.getProfile, {}), expect: signedIn },
  "users:generateAvatarUploadUrl": { call: (c) => c.mutation(api.users.generateAvatarUploadUrl, {}), expect: signedIn },
  "users:updateProfile": { call: (c) => c.mutation(api.users.updateProfile, { bio: "Hello" }), expect: signedIn },
  "users:getUserWithDetails": { call: (c, w) => c.query(api.users.getUserWithDetails, { userId: w.users.author }), expect: everyone },
  "users:updateUserName": { call: (c) => c.mutation(api.users.updateUserName, { name: "Renamed" }), expect: signedIn },
  // users:deleteUser is internal (account:deleteAccount re-checks the password first, #12 item 4).
  "members:list": { call: (c, w) => c.query(api.members.list, { siteId: w.siteId }), expect: siteOnly(members) },
  "members:listInvites": { call: (c, w) => c.query(api.members.listInvites, { siteId: w.siteId }), expect: siteOnly(["admin", "owner"]) },
  "members:invite": {
    call: (c, w) =>
      c.mutation(api.members.invite, { siteId: w.siteId, email: `new-${Math.random().toString(36).slice(2, 8)}@example.com`, role: "contributor" }),
    expect: siteOnly(["admin", "owner"]),
  },
  "members:revokeInvite": {
    prepare: async (t, w) => ({
      inviteId: (await as(t, w.users.owner).mutation(api.members.invite, { siteId: w.siteId, email: `x-${Math.random().toString(36).slice(2, 8)}@example.com`, role: "author" })).inviteId,
    }),
    call: (c, w, x) => c.mutation(api.members.revokeInvite, { siteId: w.siteId, inviteId: x.inviteId }),
    expect: siteOnly(["admin", "owner"]),
  },
  "members:accept": {
    // An invitation for the reader's address: only the reader can use it.
    prepare: async (t, w) => {
      const token = `${w.siteId}.${Math.random().toString(36).slice(2)}`;
      await t.run(async (ctx: any) =>
        ctx.db.insert("siteInvites", {
          siteId: w.siteId,
          email: "reader.daily@example.com",
          role: "contributor",
          token,
          invitedBy: w.users.owner,
          expiresAt: Date.now() + 86_400_000,
          createdAt: Date.now(),
        }),
      );
      return { token };
    },
    call: (c, _w, x) => c.mutation(api.members.accept, { token: x.token }),
    expect: { default: "NOT_FOUND", anonymous: "UNAUTHENTICATED", reader: "ok" },
  },
  "members:changeRole": {
    prepare: async (t, w) => {
      await t.run(async (ctx: any) => {
        const m = await ctx.db
          .query("siteMembers")
          .withIndex("by_siteId_and_userId", (q: any) => q.eq("siteId", w.siteId).eq("userId", w.users.contributor))
          .unique();
        await ctx.db.patch("siteMembers", m._id, { role: "contributor" });
      });
      return {};
    },
    call: (c, w) => c.mutation(api.members.changeRole, { siteId: w.siteId, userId: w.users.contributor, role: "author" }),
    expect: siteOnly(["admin", "owner"]),
  },
  "members:remove": {
    prepare: async (t, w) => {
      await t.run(async (ctx: any) => {
        const m = await ctx.db
          .query("siteMembers")
          .withIndex("by_siteId_and_userId", (q: any) => q.eq("siteId", w.siteId).eq("userId", w.users.contributor))
          .unique();
        if (!m) await ctx.db.insert("siteMembers", { siteId: w.siteId, userId: w.users.contributor, role: "contributor", authorSlug: "contributor", createdAt: 0 });
      });
      return {};
    },
    call: (c, w) => c.mutation(api.members.remove, { siteId: w.siteId, userId: w.users.contributor }),
    // The contributor may leave; admins and owners may remove them.
    expect: siteOnly(["contributor", "admin", "owner"]),
  },
  "review:submitForReview": {
    prepare: contributorsDraft,
    call: (c, w, x) => c.mutation(api.review.submitForReview, { siteId: w.siteId, postId: x.postId }),
    // Only the post's author submits it; to other members it looks missing.
    expect: siteOnly(["contributor"], "NOT_FOUND"),
  },
  "review:queue": {
    call: (c, w) => c.query(api.review.queue, { siteId: w.siteId, paginationOpts: page }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "review:approve": {
    prepare: async (t, w) => {
      const { postId } = await contributorsDraft(t, w);
      await as(t, w.users.contributor).mutation(api.review.submitForReview, { siteId: w.siteId, postId });
      return { postId };
    },
    call: (c, w, x) => c.mutation(api.review.approve, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "review:returnWithComment": {
    prepare: async (t, w) => {
      const { postId } = await contributorsDraft(t, w);
      await as(t, w.users.contributor).mutation(api.review.submitForReview, { siteId: w.siteId, postId });
      return { postId };
    },
    call: (c, w, x) => c.mutation(api.review.returnWithComment, { siteId: w.siteId, postId: x.postId, comment: "Tighten it." }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "notifications:list": { call: (c) => c.query(api.notifications.list, { paginationOpts: page }), expect: signedIn },
  "notifications:unreadCount": { call: (c) => c.query(api.notifications.unreadCount, {}), expect: signedIn },
  "notifications:markRead": {
    prepare: async (t, w) => ({
      id: await t.run(async (ctx: any) =>
        ctx.db.insert("notifications", { userId: w.users.author, type: "review_returned", title: "Yours", read: false, createdAt: Date.now() }),
      ),
    }),
    call: (c, _w, x) => c.mutation(api.notifications.markRead, { id: x.id }),
    // Only its owner; anyone else's id looks missing.
    expect: { default: "NOT_FOUND", anonymous: "UNAUTHENTICATED", author: "ok" },
  },
  "notifications:markAllRead": { call: (c) => c.mutation(api.notifications.markAllRead, {}), expect: signedIn },
  "audit:list": {
    call: (c, w) => c.query(api.audit.list, { siteId: w.siteId, paginationOpts: page }),
    expect: siteOnly(["admin", "owner"]),
  },
  // --- auth and account (accounts issue) -----------------------------------------------------
  "auth:isAuthenticated": { call: (c) => c.query(api.auth.isAuthenticated, {}), expect: everyone },
  "auth:signIn": {
    call: (c) => c.action(api.auth.signIn, { provider: "email-code", params: { email: "nobody@example.com" } }),
    expect: everyone,
  },
  "auth:signOut": { call: (c) => c.action(api.auth.signOut, {}), expect: everyone },
  "account:me": { call: (c) => c.query(api.account.me, {}), expect: signedIn },
  "account:listSessions": { call: (c) => c.query(api.account.listSessions, {}), expect: signedIn },
  // The personal data download (#17): the viewer's own data only, no user id argument at all.
  "account:personalData": { call: (c) => c.query(api.account.personalData, {}), expect: signedIn },
  "account:personalDataPage": {
    call: (c) => c.query(api.account.personalDataPage, { range: { part: "posts" }, paginationOpts: page }),
    expect: signedIn,
  },
  // Test identities carry no real @convex-dev/auth session, so recording one is refused for all.
  "account:recordSession": { call: (c) => c.mutation(api.account.recordSession, { userAgent: "x" }), expect: { default: "UNAUTHENTICATED" } },
  "account:signOutOtherSessions": { call: (c) => c.mutation(api.account.signOutOtherSessions, {}), expect: signedIn },
  // The personas have no password account: changing or proving one is refused, never allowed.
  "account:changePassword": {
    call: (c) => c.action(api.account.changePassword, { currentPassword: "a long one", newPassword: "another one" }),
    expect: { default: "INVALID_STATE", anonymous: "UNAUTHENTICATED" },
  },
  "account:deleteAccount": {
    call: (c) => c.action(api.account.deleteAccount, {}),
    expect: { default: "REAUTH_REQUIRED", anonymous: "UNAUTHENTICATED" },
  },
  // Platform admins only (users.role "admin"); a site's admin or owner is not one.
  "account:setUserActive": {
    call: (c, w) => c.mutation(api.account.setUserActive, { userId: w.users.contributor, active: false }),
    expect: { default: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
  },
  // --- reader: public by design ---------------------------------------------------------------
  // Every row reads real content (readerContent) and says what each persona saw.
  "reader:latest": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 2, cursor: null } }),
    observe: listed,
    expect: paidReaders,
  },
  // The home page's one query: the featured post leads, and the latest page lists both posts.
  "reader:home": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.home, { siteSlug: "daily", paginationOpts: { numItems: 2, cursor: null } }),
    observe: (r, x) => (r.featured[0]?._id !== x.paidId || r.featured[0].locked !== r.latest.page.find((p: any) => p._id === x.paidId)?.locked ? "missing" : listed(r.latest, x)),
    expect: paidReaders,
  },
  "reader:featured": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.featured, { siteSlug: "daily", paginationOpts: page }),
    observe: (r, x) => (r.page[0]?._id !== x.paidId || r.page.some((p: any) => p._id === x.freeId) ? "missing" : r.page[0].locked ? "locked" : "unlocked"),
    expect: paidReaders,
  },
  "reader:byTag": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.byTag, { siteSlug: "daily", tagSlug: x.tagSlug, paginationOpts: page }),
    observe: (r, x) => (r.page.length === 2 ? listed(r, x) : "missing"),
    expect: paidReaders,
  },
  "reader:byCategory": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: x.categorySlug, paginationOpts: page }),
    observe: (r, x) => (r.page.length === 2 ? listed(r, x) : "missing"),
    expect: paidReaders,
  },
  "reader:byAuthor": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.byAuthor, { siteSlug: "daily", authorSlug: "editor", paginationOpts: { numItems: 2, cursor: null } }),
    observe: listed,
    expect: paidReaders,
  },
  "reader:search": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.search, { siteSlug: "daily", query: x.n, paginationOpts: page }),
    observe: (r, x) => (r.page.length === 2 ? listed(r, x) : "missing"),
    expect: paidReaders,
  },
  "reader:postBySlug": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.postBySlug, { siteSlug: "daily", slug: x.paidSlug }),
    observe: (r, x) => (r?.kind === "post" ? read(r.post, x) : "missing"),
    expect: paidReaders,
  },
  "reader:postPage": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.postPage, { siteSlug: "daily", slug: x.paidSlug }),
    // The post follows the persona's right; its related cards never carry a body, nor its
    // previous/next links (a title and a slug: a body would be an extra key).
    observe: (r, x) =>
      r?.kind !== "post" ||
      r.post.doc !== null ||
      r.related.some((p: { doc: string | null }) => p.doc !== null) ||
      [r.adjacent.previous, r.adjacent.next].some((p) => p !== null && Object.keys(p).sort().join() !== "slug,title")
        ? "missing"
        : read({ ...r.post, doc: r.bodyKey }, x),
    expect: paidReaders,
  },
  "reader:postBody": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.postBody, { siteSlug: "daily", slug: x.paidSlug }),
    // The body itself, for exactly the personas the projection entitles (issue #18).
    observe: (r) => (r === null ? "locked" : typeof r.html === "string" && r.html.length > 0 && /^[0-9a-f]{64}$/.test(r.bodyKey) ? "unlocked" : "missing"),
    expect: paidReaders,
  },
  "reader:viewerPage": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.viewerPage, { siteSlug: "daily", slugs: [x.freeSlug, x.paidSlug] }),
    // bodyKeys' answer (issue #18) with the viewer's standing: the free body's key for everyone, the
    // paid one's for exactly the personas the projection entitles (reader.test.ts checks the standing).
    observe: (r, x) => {
      const key = (slug: string) => r.bodyKeys.find((k: { slug: string }) => k.slug === slug)?.bodyKey;
      if (!/^[0-9a-f]{64}$/.test(key(x.freeSlug) ?? "")) return "missing";
      if (r.standing !== null && typeof r.standing.name !== "string") return "missing";
      const paid = key(x.paidSlug);
      return paid === null ? "locked" : /^[0-9a-f]{64}$/.test(paid ?? "") ? "unlocked" : "missing";
    },
    expect: paidReaders,
  },
  "reader:bodyKeys": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.bodyKeys, { siteSlug: "daily", slugs: [x.freeSlug, x.paidSlug] }),
    // Keys only (feeds, issue #18): the free body's for everyone, the paid one's for exactly the
    // personas the projection entitles.
    observe: (r, x) => {
      const key = (slug: string) => r.find((k: { slug: string }) => k.slug === slug)?.bodyKey;
      if (!/^[0-9a-f]{64}$/.test(key(x.freeSlug) ?? "")) return "missing";
      const paid = key(x.paidSlug);
      return paid === null ? "locked" : /^[0-9a-f]{64}$/.test(paid ?? "") ? "unlocked" : "missing";
    },
    expect: paidReaders,
  },
  "reader:getPostWithTags": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.getPostWithTags, { siteSlug: "daily", slug: x.paidSlug }),
    observe: read,
    expect: paidReaders,
  },
  "reader:tagBySlug": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.tagBySlug, { siteSlug: "daily", slug: x.tagSlug }),
    observe: (r, x) => (r?.kind === "tag" && r.tag.slug === x.tagSlug && r.tag.postCount === 2 ? "ok" : "missing"),
    expect: everyone,
  },
  "reader:categoryBySlug": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: x.categorySlug }),
    observe: (r, x) => (r?.kind === "category" && r.category.slug === x.categorySlug && r.category.postCount === 2 ? "ok" : "missing"),
    expect: everyone,
  },
  // The tag and category pages' one query: the header, and the posts as the list gives them.
  "reader:tagPage": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.tagPage, { siteSlug: "daily", slug: x.tagSlug, paginationOpts: page }),
    observe: (r, x) => (r?.kind === "tag" && r.tag.postCount === 2 && r.list.page.length === 2 ? listed(r.list, x) : "missing"),
    expect: paidReaders,
  },
  "reader:categoryPage": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.categoryPage, { siteSlug: "daily", slug: x.categorySlug, paginationOpts: page }),
    observe: (r, x) => (r?.kind === "category" && r.category.postCount === 2 && r.list.page.length === 2 ? listed(r.list, x) : "missing"),
    expect: paidReaders,
  },
  // The author page's one query: the header, and the author's posts as byAuthor gives them.
  "reader:authorPage": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.authorPage, { siteSlug: "daily", slug: "editor", paginationOpts: { numItems: 2, cursor: null } }),
    observe: (r, x) => (r?.kind === "author" && r.author.slug === "editor" && r.author.name === "Editor daily" ? listed(r.list, x) : "missing"),
    expect: paidReaders,
  },
  "reader:authorBySlug": {
    prepare: readerContent,
    call: (c) => c.query(api.reader.authorBySlug, { siteSlug: "daily", slug: "editor" }),
    observe: (r) => (r?.slug === "editor" && r.name === "Editor daily" ? "ok" : "missing"),
    expect: everyone,
  },
  "reader:adjacent": {
    prepare: readerContent,
    call: (c, _w, x) => c.query(api.reader.adjacent, { siteSlug: "daily", postId: x.freeId }),
    // A card never carries a body; its lock still follows the persona's right.
    observe: (r, x) => (r?.next?._id !== x.paidId || r.next.doc !== null ? "missing" : r.next.locked ? "locked" : "unlocked"),
    expect: paidReaders,
  },
  // reader:recordViews is internal (only the app server counts views, with its key, #12 item 10);
  // reader:recordView is gone. tests/integration/view-inflation.test.ts calls both as a client.
  // --- billing issue: plans and billing -----------------------------------------------------------
  // No Stripe keys in these tests: checkout and the portal get as far as the configuration check
  // (INVALID_STATE billing_not_configured, counted as "ok" below) once every access check passed.
  "plans:listForSite": { call: (c, w) => c.query(api.plans.listForSite, { siteId: w.siteId }), expect: siteOnly(["admin", "owner"]) },
  "plans:listPublic": {
    call: (c) => c.query(api.plans.listPublic, { siteSlug: "daily" }),
    observe: (r) => (r.length === 1 && r[0].name === "Supporter" ? "ok" : "missing"),
    expect: everyone,
  },
  "plans:create": {
    call: (c, w) =>
      c.mutation(api.plans.create, { siteId: w.siteId, name: "Patron", priceCents: 900, currency: "usd", interval: "month", features: [] }),
    expect: siteOnly(["admin", "owner"]),
  },
  "plans:update": {
    prepare: async (t, w) => ({ planId: await worldPlan(t, w) }),
    call: (c, w, x) => c.mutation(api.plans.update, { siteId: w.siteId, planId: x.planId, name: `Renamed ${Math.random().toString(36).slice(2, 6)}` }),
    expect: siteOnly(["admin", "owner"]),
  },
  "plans:setActive": {
    prepare: async (t, w) => ({ planId: await worldPlan(t, w) }),
    call: (c, w, x) => c.mutation(api.plans.setActive, { siteId: w.siteId, planId: x.planId, isActive: true }),
    expect: siteOnly(["admin", "owner"]),
  },
  "plans:reorder": {
    prepare: async (t, w) => ({ planId: await worldPlan(t, w) }),
    call: (c, w, x) => c.mutation(api.plans.reorder, { siteId: w.siteId, planIds: [x.planId] }),
    expect: siteOnly(["admin", "owner"]),
  },
  "billing:createCheckout": {
    prepare: async (t, w) => ({ planId: await worldPlan(t, w) }),
    call: (c, _w, x) => untilBillingConfig(c.action(api.billing.createCheckout, { siteSlug: "daily", planId: x.planId, returnTo: "/daily" })),
    // Any signed-in reader may subscribe; the subscriber already has an active subscription.
    expect: { default: "ok", anonymous: "UNAUTHENTICATED", subscriber: "INVALID_STATE" as Outcome },
  },
  "billing:createPortalSession": {
    prepare: async (t, w) => {
      await t.run(async (ctx: any) => {
        const existing = await ctx.db
          .query("billingCustomers")
          .withIndex("by_siteId_and_userId", (q: any) => q.eq("siteId", w.siteId).eq("userId", w.users.subscriber))
          .first();
        if (!existing) await ctx.db.insert("billingCustomers", { siteId: w.siteId, userId: w.users.subscriber, stripeCustomerId: "cus_persona", createdAt: 0 });
      });
      return {};
    },
    call: (c) => untilBillingConfig(c.action(api.billing.createPortalSession, { siteSlug: "daily", returnTo: "/daily" })),
    // Only someone who has a billing account on the site (the subscriber); for everyone else it looks missing.
    expect: { default: "NOT_FOUND", anonymous: "UNAUTHENTICATED", subscriber: "ok" },
  },
  "billing:mySubscription": { call: (c) => c.query(api.billing.mySubscription, { siteSlug: "daily" }), expect: signedIn },
  "billing:siteStats": {
    call: (c, w) => c.query(api.billing.siteStats, { siteId: w.siteId, paginationOpts: page }),
    expect: siteOnly(["admin", "owner"]),
  },
  // --- end billing issue ---

  // --- members & newsletters issue (#15): audience.ts, newsletters.ts ---
  // Joining and signed links are public by design (a code or a signed token is the credential).
  "audience:join": {
    prepare: async (t) => {
      await memberSecret(t); // join codes are stored as an HMAC under it
      return { email: fresh("join") };
    },
    call: (c, w, x) => c.action(api.audience.join, { siteId: w.siteId, email: x.email }),
    expect: everyone,
  },
  "audience:confirm": {
    prepare: async (t, w) => {
      await memberSecret(t);
      const email = fresh("confirm");
      await t.action(api.audience.join, { siteId: w.siteId, email });
      const mail = await t.query(internal.emails.latestFor, { email, kind: "audience-join-code" });
      return { email, code: mail!.text.match(/\b(\d{6})\b/)![1] };
    },
    call: (c, w, x) => c.action(api.audience.confirm, { siteId: w.siteId, email: x.email, code: x.code }),
    expect: everyone,
  },
  "audience:joinSignedIn": {
    // Every persona's account email verified: the row checks who may call it, not the email rule.
    prepare: async (t, w) => {
      await t.run(async (ctx) => {
        for (const id of Object.values(w.users)) await ctx.db.patch("users", id, { emailVerificationTime: 1 });
      });
      return {};
    },
    call: (c, w) => c.mutation(api.audience.joinSignedIn, { siteId: w.siteId }),
    expect: signedIn,
  },
  "audience:myMembership": { call: (c, w) => c.query(api.audience.myMembership, { siteId: w.siteId }), expect: everyone },
  "audience:myStanding": { call: (c, w) => c.query(api.audience.myStanding, { siteId: w.siteId }), expect: everyone },
  "audience:unsubscribe": {
    prepare: (t, w) => memberLink(t, w, "unsubscribe"),
    call: (c, _w, x) => c.mutation(api.audience.unsubscribe, { token: x.token }),
    expect: everyone,
  },
  "audience:preferences": {
    prepare: (t, w) => memberLink(t, w, "preferences"),
    call: (c, _w, x) => c.query(api.audience.preferences, { token: x.token }),
    observe: (r, x) => (r?.email === x.email ? "ok" : "missing"),
    expect: everyone,
  },
  "audience:setPreferences": {
    prepare: (t, w) => memberLink(t, w, "preferences"),
    call: (c, _w, x) => c.mutation(api.audience.setPreferences, { token: x.token, newsletters: [] }),
    expect: everyone,
  },
  "audience:myPreferences": {
    prepare: personasAsMembers,
    call: (c, w) => c.query(api.audience.myPreferences, { siteId: w.siteId }),
    observe: (r, x) => (r && x.emails.includes(r.email) ? "ok" : "missing"),
    expect: { default: "ok", anonymous: "missing" },
  },
  "audience:setMyPreferences": {
    prepare: personasAsMembers,
    call: (c, w) => c.mutation(api.audience.setMyPreferences, { siteId: w.siteId, newsletters: [] }),
    expect: signedIn,
  },
  "audience:list": {
    call: (c, w) => c.query(api.audience.list, { siteId: w.siteId, paginationOpts: page }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audience:get": {
    prepare: (t, w) => memberLink(t, w, "preferences"),
    call: (c, w, x) => c.query(api.audience.get, { siteId: w.siteId, memberId: x.memberId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audience:add": {
    prepare: async () => ({ email: fresh("add") }),
    call: (c, w, x) => c.mutation(api.audience.add, { siteId: w.siteId, email: x.email }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audience:setComp": {
    prepare: (t, w) => memberLink(t, w, "preferences"),
    call: (c, w, x) => c.mutation(api.audience.setComp, { siteId: w.siteId, memberId: x.memberId, comped: true }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "newsletters:list": { call: (c, w) => c.query(api.newsletters.list, { siteId: w.siteId }), expect: siteOnly(["editor", "admin", "owner"]) },
  "newsletters:create": {
    call: (c, w) => c.mutation(api.newsletters.create, { siteId: w.siteId, name: "Letters", senderName: "Desk", defaultOn: false }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "newsletters:update": {
    prepare: newNewsletter,
    call: (c, w, x) => c.mutation(api.newsletters.update, { siteId: w.siteId, newsletterId: x.newsletterId, name: "Renamed", senderName: "Desk", defaultOn: true }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "newsletters:archive": {
    prepare: newNewsletter,
    call: (c, w, x) => c.mutation(api.newsletters.archive, { siteId: w.siteId, newsletterId: x.newsletterId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  // --- post sends (#15, ADR 013): audience.manage (editor+), and the publish right on the post ---
  "sends:emailOnly": {
    prepare: async (t, w) => ({ postId: await draftBy(t, w, "editor"), ...(await newNewsletter(t, w)) }),
    call: (c, w, x) => c.mutation(api.sends.emailOnly, { siteId: w.siteId, postId: x.postId, newsletterId: x.newsletterId, segment: "all" }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:sendPublished": {
    prepare: async (t, w) => ({ postId: await publishedBy(t, w, "editor"), ...(await newNewsletter(t, w)) }),
    call: (c, w, x) => c.mutation(api.sends.sendPublished, { siteId: w.siteId, postId: x.postId, newsletterId: x.newsletterId, segment: "all" }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:cancel": {
    prepare: (t, w) => newSend(t, w),
    call: (c, w, x) => c.mutation(api.sends.cancel, { siteId: w.siteId, sendId: x.sendId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:get": {
    prepare: (t, w) => newSend(t, w),
    call: (c, w, x) => c.query(api.sends.get, { siteId: w.siteId, sendId: x.sendId }),
    observe: (r, x) => (r?._id === x.sendId ? "ok" : "missing"),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:forPost": {
    prepare: (t, w) => newSend(t, w),
    call: (c, w, x) => c.query(api.sends.forPost, { siteId: w.siteId, postId: x.postId }),
    observe: (r, x) => (r?.[0]?._id === x.sendId ? "ok" : "missing"),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:preview": {
    prepare: async (t, w) => ({ postId: await draftBy(t, w, "editor") }),
    call: (c, w, x) => c.query(api.sends.preview, { siteId: w.siteId, postId: x.postId, access: "full" }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "sends:testSend": {
    prepare: async (t, w) => ({ postId: await draftBy(t, w, "editor") }),
    call: (c, w, x) => c.mutation(api.sends.testSend, { siteId: w.siteId, postId: x.postId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  // --- end post sends ---
  // --- end members & newsletters issue ---
  // --- members CSV import (#15): audienceImport.ts ---
  "audienceImport:generateUploadUrl": {
    call: (c, w) => c.mutation(api.audienceImport.generateUploadUrl, { siteId: w.siteId }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audienceImport:start": {
    // A fresh file each time; earlier personas' imports are marked done (one import runs per site).
    prepare: async (t, w) => {
      const text = `email\n${fresh("import")}\n`;
      const bytes = new TextEncoder().encode(text);
      const sha256 = Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
      const storageId = await t.run(async (ctx: any) => {
        for (const r of await ctx.db.query("audienceImports").collect()) if (r.status !== "done") await ctx.db.patch("audienceImports", r._id, { status: "done" });
        return await ctx.storage.store(new Blob([bytes], { type: "text/csv" }));
      });
      return { storageId, sha256 };
    },
    call: (c, w, x) => c.mutation(api.audienceImport.start, { siteId: w.siteId, storageId: x.storageId, sha256: x.sha256, fileName: "members.csv" }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audienceImport:get": {
    prepare: async (t, w) => ({
      importId: await t.run(async (ctx: any) =>
        ctx.db.insert("audienceImports", {
          siteId: w.siteId, createdBy: w.users.editor, fileName: "m.csv", size: 1, status: "done",
          total: 0, processed: 0, created: 0, updated: 0, skipped: 0, failed: 0, compedFromPaid: 0, rowErrors: [], createdAt: Date.now(),
        }),
      ),
    }),
    call: (c, w, x) => c.query(api.audienceImport.get, { siteId: w.siteId, importId: x.importId }),
    observe: (r, x) => (r?._id === x.importId ? "ok" : "missing"),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  "audienceImport:recent": { call: (c, w) => c.query(api.audienceImport.recent, { siteId: w.siteId }), expect: siteOnly(["editor", "admin", "owner"]) },
  "audienceImport:exportPage": {
    call: (c, w) => c.query(api.audienceImport.exportPage, { siteId: w.siteId, paginationOpts: page }),
    expect: siteOnly(["editor", "admin", "owner"]),
  },
  // --- site export (#17): siteExport.ts, owners only ---
  "siteExport:site": { call: (c, w) => c.query(api.siteExport.site, { siteId: w.siteId }), expect: siteOnly(["owner"]) },
  "siteExport:posts": { call: (c, w) => c.query(api.siteExport.posts, { siteId: w.siteId, paginationOpts: page }), expect: siteOnly(["owner"]) },
  "siteExport:tags": { call: (c, w) => c.query(api.siteExport.tags, { siteId: w.siteId, paginationOpts: page }), expect: siteOnly(["owner"]) },
  // --- content import (#17): contentImport.ts, owners only ---
  "contentImport:generateUploadUrl": {
    call: (c, w) => c.mutation(api.contentImport.generateUploadUrl, { siteId: w.siteId }),
    expect: siteOnly(["owner"]),
  },
  "contentImport:start": {
    // A stored Ghost export; earlier personas' imports end first (one import runs per site).
    prepare: async (t) => {
      const bytes = new TextEncoder().encode(JSON.stringify({ db: [{ meta: { version: "5.0.0" }, data: { posts: [] } }] }));
      const sha256 = Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
      const storageId = await t.run(async (ctx: any) => {
        for (const r of await ctx.db.query("contentImports").collect()) if (r.status !== "done") await ctx.db.patch("contentImports", r._id, { status: "done" });
        return await ctx.storage.store(new Blob([bytes], { type: "application/json" }));
      });
      return { storageId, sha256 };
    },
    call: (c, w, x) => c.mutation(api.contentImport.start, { siteId: w.siteId, storageId: x.storageId, sha256: x.sha256, fileName: "ghost.json" }),
    expect: siteOnly(["owner"]),
  },
  "contentImport:confirm": {
    prepare: async (t, w) => ({ importId: await readyImport(t, w) }),
    call: (c, w, x) => c.mutation(api.contentImport.confirm, { siteId: w.siteId, importId: x.importId }),
    expect: siteOnly(["owner"]),
  },
  "contentImport:cancel": {
    prepare: async (t, w) => ({ importId: await readyImport(t, w) }),
    call: (c, w, x) => c.mutation(api.contentImport.cancel, { siteId: w.siteId, importId: x.importId }),
    expect: siteOnly(["owner"]),
  },
  "contentImport:get": {
    prepare: async (t, w) => ({ importId: await readyImport(t, w) }),
    call: (c, w, x) => c.query(api.contentImport.get, { siteId: w.siteId, importId: x.importId }),
    observe: (r, x) => (r?._id === x.importId ? "ok" : "missing"),
    expect: siteOnly(["owner"]),
  },
  "contentImport:recent": { call: (c, w) => c.query(api.contentImport.recent, { siteId: w.siteId }), expect: siteOnly(["owner"]) },
  // Placeholder authors' imported emails: inviters only (member.invite).
  "members:claimable": { call: (c, w) => c.query(api.members.claimable, { siteId: w.siteId }), expect: siteOnly(["admin", "owner"]) },
  // Old addresses of imported posts and claimed authors: public lookups (null when unknown).
  "reader:legacyRedirect": { call: (c) => c.query(api.reader.legacyRedirect, { siteSlug: "daily", path: "/p/nothing-here" }), expect: everyone },
  "reader:authorRedirect": { call: (c) => c.query(api.reader.authorRedirect, { siteSlug: "daily", slug: "nobody-here" }), expect: everyone },
  // --- end members CSV import ---
};

// --- billing issue: helpers for the billing rows ---
async function worldPlan(t: T, w: World) {
  return await t.run(async (ctx: any) => {
    const plan = await ctx.db
      .query("subscriptionPlans")
      .withIndex("by_siteId_and_sortOrder", (q: any) => q.eq("siteId", w.siteId))
      .first();
    return plan._id;
  });
}
/** A billing action that passed every access check and stopped only because Stripe is not configured counts as ok. */
async function untilBillingConfig(p: Promise<unknown>) {
  try {
    return await p;
  } catch (e: any) {
    if (e?.data?.reason === "billing_not_configured") return null;
    throw e;
  }
}
// --- end billing issue ---

function client(t: T, w: World, persona: Persona) {
  if (persona === "anonymous") return t;
  return as(t, w.users[persona === "outsider" ? "outsider" : persona] as Id<"users">);
}

async function outcome(p: Promise<unknown>, observe?: (result: any) => string): Promise<string> {
  try {
    const result = await p;
    return observe ? observe(result) : "ok";
  } catch (e: any) {
    return e?.data?.code ?? `threw: ${e?.message}`;
  }
}

describe.each(backends)("persona matrix on %s", (_name, convexTest) => {
  test.each(Object.keys(matrix))("%s", async (fn) => {
    const row = matrix[fn];
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const persona of PERSONAS) {
      const targets = row.prepare ? await row.prepare(t, w) : {};
      got[persona] = await outcome(row.call(client(t, w, persona), w, targets), row.observe && ((r) => row.observe!(r, targets)));
      want[persona] = row.expect[persona] ?? row.expect.default;
    }
    expect(got).toEqual(want);
  });
});

test("every public function has a row in the persona matrix", async () => {
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const publicFns: string[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".ts") || file.split(".").length > 2 || ["schema.ts", "validators.ts"].includes(file)) continue;
    const mod = await import(/* @vite-ignore */ path.join(dir, file));
    for (const [name, fn] of Object.entries(mod as Record<string, any>)) {
      if (fn?.isPublic && (fn.isQuery || fn.isMutation || fn.isAction)) publicFns.push(`${file.replace(/\.ts$/, "")}:${name}`);
    }
  }
  expect(publicFns.filter((f) => !(f in matrix)).sort()).toEqual([]);
});
