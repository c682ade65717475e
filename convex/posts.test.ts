import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

describe.each(backends)("posts on %s", (_name, convexTest) => {
  test("an author creates, saves and publishes a post; a stale save gets CONFLICT and writes nothing", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Hello" });
    const { draft } = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    const saved = await author.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId,
      expectedVersion: draft.version,
      doc: doc("First words."),
    });
    expect(saved.version).toBe(draft.version + 1);
    const stale = await author
      .mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: draft.version, doc: doc("Clobber!") })
      .catch((e) => e);
    expect(stale.data.code).toBe("CONFLICT");
    expect(stale.data.currentVersion).toBe(saved.version);
    const after = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(after.draft.doc).toBe(doc("First words."));
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId }); // idempotent
    const published = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(published.post.status).toBe("published");
    expect(published.post.excerpt).toBe("First words.");
  });
});

describe.each(backends)("post lifecycle on %s", (_name, convexTest) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("scheduled publishing: the post goes live through the scheduler and the author is notified", async () => {
    // Fake timers: convex-test fires scheduled jobs from timers; the local backend runs them directly.
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Later", doc: doc("Soon.") });
    const at = Date.now() + 60 * 60 * 1000;
    await author.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: at });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post.status).toBe("scheduled");
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const { post } = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(post.status).toBe("published");
    const notes = await t.run((ctx) => ctx.db.query("notifications").collect());
    expect(notes.map((n) => [n.userId, n.type])).toContainEqual([w.users.author, "scheduled_published"]);
  });

  test("unscheduling cancels the job: the post stays a draft", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Maybe", doc: doc("x") });
    await editor.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 3_600_000 });
    await editor.mutation(api.posts.unschedule, { siteId: w.siteId, postId });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect((await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post.status).toBe("draft");
  });

  test("a contributor writes drafts but cannot publish or schedule them", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const contributor = as(t, w.users.contributor);
    const postId = await contributor.mutation(api.posts.create, { siteId: w.siteId, title: "Pitch", doc: doc("Idea") });
    for (const attempt of [
      contributor.mutation(api.posts.publish, { siteId: w.siteId, postId }),
      contributor.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 60_000 }),
    ]) {
      expect((await attempt.catch((e) => e)).data.code).toBe("FORBIDDEN");
    }
  });

  test("an author cannot edit or publish another author's post; an editor can", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.editor).mutation(api.posts.create, { siteId: w.siteId, title: "Editor's", doc: doc("e") });
    const author = as(t, w.users.author);
    const save = await author
      .mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: 1, title: "Mine now" })
      .catch((e) => e);
    expect(save.data.code).toBe("FORBIDDEN");
    expect((await author.mutation(api.posts.publish, { siteId: w.siteId, postId }).catch((e) => e)).data.code).toBe("FORBIDDEN");
    await as(t, w.users.admin).mutation(api.posts.publish, { siteId: w.siteId, postId });
  });

  test("updating a published post: edits stay in the draft until publish, and restoring a revision never touches the live version", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "V1", doc: doc("one") });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const live = async () => t.run(async (ctx) => (await ctx.db.query("postBodies").collect()).find((b) => b.postId === postId && b.kind === "published")!);
    const v = (await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).draft.version;
    await author.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: v, title: "V2", doc: doc("two"), explicit: true });
    expect((await live()).title).toBe("V1");
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post.hasUnpublishedChanges).toBe(true);
    const revisions = await author.query(api.posts.listRevisions, { siteId: w.siteId, postId });
    expect(revisions.map((r) => r.reason)).toEqual(["save", "publish"]);
    const first = revisions.find((r) => r.reason === "publish")!;
    await author.mutation(api.posts.restoreRevision, { siteId: w.siteId, postId, revisionId: first._id });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).draft.title).toBe("V1");
    expect((await live()).title).toBe("V1");
    expect((await live()).doc).toBe(doc("one"));
    await author.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId,
      expectedVersion: (await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).draft.version,
      title: "V3",
    });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    expect((await live()).title).toBe("V3");
  });

  test("changing a published post's slug records a redirect from the old slug", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Old name", doc: doc("x") });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    await author.mutation(api.posts.changeSlug, { siteId: w.siteId, postId, slug: "new-name" });
    const redirects = await t.run((ctx) => ctx.db.query("slugRedirects").collect());
    expect(redirects.map((r) => [r.kind, r.fromSlug, r.targetId])).toEqual([["post", "old-name", postId]]);
    const reserved = await author.mutation(api.posts.changeSlug, { siteId: w.siteId, postId, slug: "rss.xml" }).catch((e) => e);
    expect(reserved.data.code).toMatch(/INVALID_SLUG|RESERVED_SLUG/);
    const bad = await author.mutation(api.posts.changeSlug, { siteId: w.siteId, postId, slug: "Not OK" }).catch((e) => e);
    expect(bad.data).toEqual({ code: "INVALID_SLUG", field: "slug" });
  });

  test("featuring a post needs an active plan and an editor", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Paid", doc: doc("$") });
    expect(
      (await as(t, w.users.author).mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true }).catch((e) => e)).data.code,
    ).toBe("FORBIDDEN");
    await as(t, w.users.editor).mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    await t.run(async (ctx) => {
      for (const p of await ctx.db.query("subscriptionPlans").collect()) await ctx.db.patch(p._id, { isActive: false });
    });
    const postId2 = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Paid 2", doc: doc("$") });
    const noPlan = await as(t, w.users.editor).mutation(api.posts.setFeatured, { siteId: w.siteId, postId: postId2, featured: true }).catch((e) => e);
    expect(noPlan.data.code).toBe("NO_ACTIVE_PLAN");
  });
});

describe.each(backends)("attacks on posts (%s)", (_name, convexTest) => {
  test("cross-tenant read: a member of another site gets NOT_FOUND for a post id, exactly like a missing id", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Secret", doc: doc("s") });
    const outsider = as(t, w.users.outsider);
    const viaOwnSite = await outsider.query(api.posts.getForEdit, { siteId: w.otherSiteId, postId }).catch((e) => e);
    const viaTheirSite = await outsider.query(api.posts.getForEdit, { siteId: w.siteId, postId }).catch((e) => e);
    await as(t, w.users.author).mutation(api.posts.remove, { siteId: w.siteId, postId });
    const missing = await as(t, w.users.author).query(api.posts.getForEdit, { siteId: w.siteId, postId }).catch((e) => e);
    expect(viaOwnSite.data).toEqual({ code: "NOT_FOUND" });
    expect(viaTheirSite.data).toEqual({ code: "NOT_FOUND" });
    expect(missing.data).toEqual({ code: "NOT_FOUND" });
  });

  test("cross-tenant write: an owner of another site cannot publish, retag or delete a post by passing their own site id", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Mine", doc: doc("m") });
    const outsider = as(t, w.users.outsider);
    for (const attempt of [
      outsider.mutation(api.posts.publish, { siteId: w.otherSiteId, postId }),
      outsider.mutation(api.posts.setTags, { siteId: w.otherSiteId, postId, tagIds: [] }),
      outsider.mutation(api.posts.remove, { siteId: w.otherSiteId, postId }),
      outsider.mutation(api.posts.remove, { siteId: w.siteId, postId }),
    ]) {
      expect((await attempt.catch((e) => e)).data).toEqual({ code: "NOT_FOUND" });
    }
    expect((await as(t, w.users.author).query(api.posts.getForEdit, { siteId: w.siteId, postId })).post.status).toBe("draft");
  });

  test("draft leak: signed-in readers and subscribers of the site cannot open drafts in the studio API", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Draft", doc: doc("d") });
    for (const user of [w.users.reader, w.users.subscriber]) {
      const e = await as(t, user).query(api.posts.getForEdit, { siteId: w.siteId, postId }).catch((x) => x);
      expect(e.data).toEqual({ code: "NOT_FOUND" });
    }
    const anonymous = await t.query(api.posts.getForEdit, { siteId: w.siteId, postId }).catch((x) => x);
    expect(anonymous.data).toEqual({ code: "UNAUTHENTICATED" });
  });
});

describe.each(backends)("search and paid posts (%s)", (_name, convexTest) => {
  test("paywall leak through search: words only in a featured post's body are not searchable", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Members only", doc: doc("Intro.", "The secret word is zanzibarite.") });
    await editor.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: 1, excerpt: "A teaser." });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const search = (query: string) =>
      t.query(api.reader.search, { siteSlug: "daily", query, paginationOpts: { numItems: 10, cursor: null } });
    expect((await search("zanzibarite")).page).toEqual([]);
    expect((await search("teaser")).page.map((p: { _id: string }) => p._id)).toEqual([postId]);
    // Made free: its body becomes searchable.
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: false });
    expect((await search("zanzibarite")).page.map((p: { _id: string }) => p._id)).toEqual([postId]);
    // Featured again: hidden again, without republishing.
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    expect((await search("zanzibarite")).page).toEqual([]);
  });
});

describe.each(backends)("cover images (%s)", (_name, convexTest) => {
  test("an author sets a cover image from storage; readers get its URL; another site's member cannot", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "With a cover", doc: doc("Body.") });
    const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob(["png bytes"], { type: "image/png" })));
    const denied = await as(t, w.users.outsider)
      .mutation(api.posts.setCoverImage, { siteId: w.otherSiteId, postId, storageId })
      .catch((e) => e);
    expect(denied.data).toEqual({ code: "NOT_FOUND" });
    await author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId });
    const edit = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(edit.coverImageUrl).toEqual(expect.any(String));
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const read = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "with-a-cover" });
    expect(read).toMatchObject({ kind: "post", post: { coverImageUrl: edit.coverImageUrl } });
    await author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId: null });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).coverImageUrl).toBeNull();
  });
});
