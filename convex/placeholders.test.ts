import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { CLAIM_BATCH } from "./model/placeholders";
import schema from "./schema";

// Issue #17: placeholder authors made by an import, claimed by invitation (model/placeholders.ts).

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

/** A placeholder author as the import makes one: a users row without email and a placeholder membership. */
async function placeholder(t: T, siteId: Id<"sites">, name: string, authorSlug: string) {
  return await t.run(async (ctx) => {
    const now = Date.now();
    const userId = await ctx.db.insert("users", { name, placeholder: true, createdAt: now, updatedAt: now });
    const memberId = await ctx.db.insert("siteMembers", {
      siteId,
      userId,
      role: "author",
      authorSlug,
      placeholder: { email: "ada@old-blog.example" },
      createdAt: now,
    });
    return { userId, memberId };
  });
}

/** A post written through the domain code (tags, counters, revisions), then attributed to `authorId` as an import would. */
async function postBy(t: T, w: World, authorId: Id<"users">, title: string, tagIds: Id<"tags">[], publish = true) {
  const c = as(t, w.users.owner);
  const postId = await c.mutation(api.posts.create, { siteId: w.siteId, title, doc: doc(`${title} body.`) });
  await c.mutation(api.posts.setTags, { siteId: w.siteId, postId, tagIds });
  if (publish) await c.mutation(api.posts.publish, { siteId: w.siteId, postId });
  await t.run(async (ctx) => {
    await ctx.db.patch("posts", postId, { authorId, authorName: "Ada (imported)" });
    for await (const r of ctx.db.query("postRevisions").withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", w.siteId).eq("postId", postId))) {
      await ctx.db.patch("postRevisions", r._id, { authorId, authorName: "Ada (imported)" });
    }
  });
  return postId;
}

async function postsOf(t: T, siteId: Id<"sites">, authorId: Id<"users">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("posts")
      .withIndex("by_siteId_and_authorId", (q) => q.eq("siteId", siteId).eq("authorId", authorId))
      .collect(),
  );
}

describe.each(backends)("placeholder authors on %s", (_name, convexTest) => {
  test("claim by invitation: every post, its revisions and the author page move to who accepts; the placeholder goes", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const ph = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    const tagId = await owner.mutation(api.tags.create, { siteId: w.siteId, name: "History" });
    const published = [await postBy(t, w, ph.userId, "One", [tagId]), await postBy(t, w, ph.userId, "Two", [tagId])];
    const draft = await postBy(t, w, ph.userId, "Three", [tagId], false);
    const tagCount = async () => (await t.run(async (ctx) => ctx.db.get("tags", tagId)))?.postCount;
    expect(await tagCount()).toBe(2);

    const claimant = await createUser(t, "Ada Lovelace");
    const { token } = await owner.mutation(api.members.invite, { siteId: w.siteId, email: "ada.lovelace@example.com", role: "author", claimMemberId: ph.memberId });
    expect(await as(t, claimant).mutation(api.members.accept, { token })).toBe(w.siteId);
    await t.finishAllScheduledFunctions(() => {});

    const mine = await postsOf(t, w.siteId, claimant);
    expect(mine.map((p) => p._id).sort()).toEqual([...published, draft].sort());
    for (const p of mine) expect(p.authorName).toBe("Ada Lovelace");
    expect(await postsOf(t, w.siteId, ph.userId)).toEqual([]);
    const revisions = await t.run(async (ctx) => {
      const out = [];
      for (const postId of [...published, draft]) {
        out.push(...(await ctx.db.query("postRevisions").withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", w.siteId).eq("postId", postId)).collect()));
      }
      return out;
    });
    expect(revisions.length).toBeGreaterThan(0);
    for (const r of revisions) expect(r.authorId).toBe(claimant);

    // The author page keeps its address and now shows the claimant's published posts.
    const members = await owner.query(api.members.list, { siteId: w.siteId });
    expect(members.find((m) => m.userId === claimant)).toMatchObject({ role: "author", authorSlug: "ada" });
    expect(members.find((m) => m.userId === ph.userId)).toBeUndefined();
    const page = await t.query(api.reader.byAuthor, { siteSlug: "daily", authorSlug: "ada", paginationOpts: { numItems: 10, cursor: null } });
    expect(page.page.map((p) => p._id).sort()).toEqual([...published].sort());
    expect(await t.query(api.reader.authorBySlug, { siteSlug: "daily", slug: "ada" })).toMatchObject({ authorId: claimant, name: "Ada Lovelace" });
    // Counters are exact: the tag still counts its two published posts.
    expect(await tagCount()).toBe(2);
    // The placeholder user and membership are gone; the claim is in the audit log.
    expect(await t.run(async (ctx) => [await ctx.db.get("users", ph.userId), await ctx.db.get("siteMembers", ph.memberId)])).toEqual([null, null]);
    const log = await t.run(async (ctx) => ctx.db.query("auditLogs").collect());
    expect(log.some((e) => e.action === "member.claimPlaceholder" && e.actorId === claimant)).toBe(true);
  });

  test("a claim of many posts runs in bounded steps and ends exact", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const ph = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    const n = CLAIM_BATCH + 7;
    await t.run(async (ctx) => {
      for (let i = 0; i < n; i++) {
        await ctx.db.insert("posts", {
          siteId: w.siteId,
          authorId: ph.userId,
          authorName: "Ada (imported)",
          title: `Post ${i}`,
          slug: `post-${i}`,
          status: "draft",
          featured: false,
          tagIds: [],
          createdAt: Date.now(),
          updatedAt: Date.now(),
        } as never);
      }
    });
    const claimant = await createUser(t, "Ada Lovelace");
    const { token } = await as(t, w.users.owner).mutation(api.members.invite, { siteId: w.siteId, email: "ada.lovelace@example.com", role: "author", claimMemberId: ph.memberId });
    await as(t, claimant).mutation(api.members.accept, { token });
    // The accept itself moved one batch; the rest follows in scheduled steps.
    expect((await postsOf(t, w.siteId, claimant)).length).toBe(CLAIM_BATCH);
    await t.finishAllScheduledFunctions(() => {});
    expect((await postsOf(t, w.siteId, claimant)).length).toBe(n);
    expect(await t.run(async (ctx) => ctx.db.get("users", ph.userId))).toBeNull();
  });

  test("a claimMemberId that is not a placeholder is refused at invite time", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const authorMember = await t.run(async (ctx) =>
      ctx.db.query("siteMembers").withIndex("by_siteId_and_userId", (q) => q.eq("siteId", w.siteId).eq("userId", w.users.author)).unique(),
    );
    const owner = as(t, w.users.owner);
    expect(await code(owner.mutation(api.members.invite, { siteId: w.siteId, email: "x@example.com", role: "author", claimMemberId: authorMember!._id }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await owner.query(api.members.listInvites, { siteId: w.siteId })).toEqual([]);
  });

  test("cross-tenant write: a placeholder of another site cannot be claimed, at invite or at accept", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const theirs = await placeholder(t, w.otherSiteId, "Ada (imported)", "ada");
    const theirPost = await t.run(async (ctx) =>
      ctx.db.insert("posts", { siteId: w.otherSiteId, authorId: theirs.userId, authorName: "Ada", title: "Theirs", slug: "theirs", status: "draft", featured: false, tagIds: [], createdAt: 1, updatedAt: 1 } as never),
    );
    const owner = as(t, w.users.owner);
    expect(await code(owner.mutation(api.members.invite, { siteId: w.siteId, email: "ada.lovelace@example.com", role: "author", claimMemberId: theirs.memberId }))).toBe(
      "INVALID_ARGUMENT",
    );
    // An invitation row pointing at another site's placeholder (forged past the invite check) is refused on accept.
    const mine = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    const { token, inviteId } = await owner.mutation(api.members.invite, { siteId: w.siteId, email: "ada.lovelace@example.com", role: "author", claimMemberId: mine.memberId });
    await t.run(async (ctx) => ctx.db.patch("siteInvites", inviteId, { claimMemberId: theirs.memberId }));
    const claimant = await createUser(t, "Ada Lovelace");
    expect(await code(as(t, claimant).mutation(api.members.accept, { token }))).toBe("INVALID_ARGUMENT");
    expect(await t.run(async (ctx) => (await ctx.db.get("posts", theirPost))?.authorId)).toBe(theirs.userId);
    expect(await t.run(async (ctx) => ctx.db.get("siteMembers", theirs.memberId))).not.toBeNull();
  });

  test("accept re-checks the claim: a member that stopped being a placeholder is not taken over", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const ph = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    const { token } = await as(t, w.users.owner).mutation(api.members.invite, { siteId: w.siteId, email: "ada.lovelace@example.com", role: "author", claimMemberId: ph.memberId });
    await t.run(async (ctx) => ctx.db.patch("siteMembers", ph.memberId, { placeholder: undefined }));
    const claimant = await createUser(t, "Ada Lovelace");
    expect(await code(as(t, claimant).mutation(api.members.accept, { token }))).toBe("INVALID_ARGUMENT");
    expect(await t.run(async (ctx) => ctx.db.get("siteMembers", ph.memberId))).not.toBeNull();
  });

  test("the studio lists placeholders; only inviters see the imported email (cross-tenant read: none of another site's)", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const ph = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    await placeholder(t, w.otherSiteId, "Other (imported)", "other");
    const list = await as(t, w.users.contributor).query(api.members.list, { siteId: w.siteId });
    expect(list.find((m) => m._id === ph.memberId)).toMatchObject({ placeholder: true, name: "Ada (imported)" });
    expect(list.filter((m) => m.placeholder)).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain("old-blog.example");
    expect(await as(t, w.users.admin).query(api.members.claimable, { siteId: w.siteId })).toEqual([
      { memberId: ph.memberId, name: "Ada (imported)", email: "ada@old-blog.example" },
    ]);
    expect(await code(as(t, w.users.editor).query(api.members.claimable, { siteId: w.siteId }))).toBe("FORBIDDEN");
  });

  test("a claimant who is already a member keeps their author page; the placeholder's address redirects to it", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const ph = await placeholder(t, w.siteId, "Ada (imported)", "ada");
    const p = await t.run(async (ctx) =>
      ctx.db.insert("posts", { siteId: w.siteId, authorId: ph.userId, authorName: "Ada", title: "Old", slug: "old", status: "published", publishedAt: 1, featured: false, tagIds: [], createdAt: 1, updatedAt: 1 } as never),
    );
    // They joined between the invitation and its acceptance (invite refuses existing members).
    const { token } = await as(t, w.users.owner).mutation(api.members.invite, { siteId: w.siteId, email: "reader.daily@example.com", role: "author", claimMemberId: ph.memberId });
    await addMember(t, w.siteId, w.users.reader, "contributor", "reader-own");
    await as(t, w.users.reader).mutation(api.members.accept, { token });
    await t.finishAllScheduledFunctions(() => {});
    expect(await t.run(async (ctx) => (await ctx.db.get("posts", p))?.authorId)).toBe(w.users.reader);
    const me = (await as(t, w.users.owner).query(api.members.list, { siteId: w.siteId })).find((m) => m.userId === w.users.reader);
    expect(me).toMatchObject({ authorSlug: "reader-own", role: "contributor" });
    expect(await t.query(api.reader.authorRedirect, { siteSlug: "daily", slug: "ada" })).toEqual({ slug: "reader-own" });
    expect(await t.query(api.reader.authorRedirect, { siteSlug: "daily", slug: "reader-own" })).toBeNull();
    expect(await t.query(api.reader.authorRedirect, { siteSlug: "daily-other", slug: "ada" })).toBeNull();
    // The author page's one query (reader:authorPage) answers the same redirect, and the page there.
    const paginationOpts = { numItems: 5, cursor: null };
    expect(await t.query(api.reader.authorPage, { siteSlug: "daily", slug: "ada", paginationOpts })).toEqual({ kind: "redirect", slug: "reader-own" });
    expect(await t.query(api.reader.authorPage, { siteSlug: "daily", slug: "reader-own", paginationOpts })).toMatchObject({
      kind: "author",
      author: { slug: "reader-own" },
      list: { page: [{ _id: p }], isDone: true },
    });
    expect(await t.query(api.reader.authorPage, { siteSlug: "daily-other", slug: "ada", paginationOpts })).toBeNull();
  });
});

