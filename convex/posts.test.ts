// Over 400 lines: one suite per module, on both backends; the cases are independent.
import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, doc } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import schema from "./schema";

/** The ConvexError data a call fails with (fails the test if it succeeds). */
async function errorOf(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e, "expected the call to fail").not.toBeNull();
  return e.data;
}

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

  test("cross-author draft read: an author cannot open another author's draft (or unpublished edits) in the editor; editors and above can", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const other = await createUser(t, "Second author");
    await addMember(t, w.siteId, other, "author");
    const draftId = await as(t, other).mutation(api.posts.create, { siteId: w.siteId, title: "Secret pitch", doc: doc("unreleased") });
    const liveId = await as(t, other).mutation(api.posts.create, { siteId: w.siteId, title: "Live", doc: doc("out") });
    await as(t, other).mutation(api.posts.publish, { siteId: w.siteId, postId: liveId });
    await as(t, other).mutation(api.posts.saveDraft, { siteId: w.siteId, postId: liveId, expectedVersion: 1, title: "Embargoed rewrite" });
    const author = as(t, w.users.author);
    const missing = await errorOf(author.query(api.posts.getForEdit, { siteId: w.siteId, postId: draftId }));
    expect(missing).toEqual({ code: "NOT_FOUND" });
    expect(await errorOf(author.query(api.posts.getForEdit, { siteId: w.siteId, postId: liveId }))).toEqual(missing);
    expect(await errorOf(author.query(api.posts.isSlugAvailable, { siteId: w.siteId, postId: draftId, slug: "x" }))).toEqual(missing);
    // The author still opens their own posts; editors and above open anyone's.
    const own = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Mine" });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId: own })).draft.title).toBe("Mine");
    // Nor does the studio list show it to them, or find words of their drafts.
    const listed = async (search?: string) =>
      (await author.query(api.posts.list, { siteId: w.siteId, search, paginationOpts: { numItems: 50, cursor: null } })).page.map((p) => p._id);
    expect(await listed()).toEqual([own]);
    expect(await listed("unreleased")).toEqual([]);
    for (const role of ["editor", "admin", "owner"] as const) {
      const seen = await as(t, w.users[role]).query(api.posts.getForEdit, { siteId: w.siteId, postId: liveId });
      expect(seen.draft.title).toBe("Embargoed rewrite");
    }
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
      for (const p of await ctx.db.query("subscriptionPlans").collect()) await ctx.db.patch("subscriptionPlans", p._id, { isActive: false });
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

describe.each(backends)("studio post list: filters, search and pages (%s)", (_name, convexTest) => {
  const everything = { numItems: 50, cursor: null };

  /** A site with posts by two authors, tags, a category and every status. */
  async function library(t: ReturnType<typeof convexTest>) {
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const author = as(t, w.users.author);
    const red = await editor.mutation(api.tags.create, { siteId, name: "Red" });
    const blue = await editor.mutation(api.tags.create, { siteId, name: "Blue" });
    const news = await editor.mutation(api.categories.create, { siteId, name: "News" });
    const make = async (by: typeof editor, title: string, text: string, set: { tags?: typeof red[]; category?: typeof news; publish?: boolean; archive?: boolean } = {}) => {
      const postId = await by.mutation(api.posts.create, { siteId, title, doc: doc(text) });
      if (set.tags) await by.mutation(api.posts.setTags, { siteId, postId, tagIds: set.tags });
      if (set.category) await by.mutation(api.posts.setCategory, { siteId, postId, categoryId: set.category });
      if (set.publish) await by.mutation(api.posts.publish, { siteId, postId });
      if (set.archive) await by.mutation(api.posts.archive, { siteId, postId });
      return postId;
    };
    const p = {
      authorRedNewsLive: await make(author, "Harbour lights", "The ferries run late tonight.", { tags: [red], category: news, publish: true }),
      authorBlueDraft: await make(author, "Quiet streets", "Nobody walks here after nine.", { tags: [blue] }),
      editorRedBlueLive: await make(editor, "Bridges", "Steel and stubbornness.", { tags: [red, blue], publish: true }),
      editorNewsDraft: await make(editor, "Council notes", "Budget lines and ferries.", { category: news }),
      editorRedArchived: await make(editor, "Old market", "Stalls long gone.", { tags: [red], archive: true }),
    };
    return { w, siteId, editor, author, red, blue, news, p };
  }

  test("status, author, tag and category combine; newest change first; every query stays in the site", async () => {
    const t = convexTest(schema, modules);
    const { w, siteId, editor, red, blue, news, p } = await library(t);
    const ids = async (args: Record<string, unknown>) =>
      (await editor.query(api.posts.list, { siteId, paginationOpts: everything, ...args })).page.map((x) => x._id);

    expect(await ids({})).toEqual([p.editorRedArchived, p.editorNewsDraft, p.editorRedBlueLive, p.authorBlueDraft, p.authorRedNewsLive]);
    expect(await ids({ authorId: w.users.author })).toEqual([p.authorBlueDraft, p.authorRedNewsLive]);
    expect(await ids({ authorId: w.users.author, status: "draft" })).toEqual([p.authorBlueDraft]);
    expect(await ids({ categoryId: news })).toEqual([p.editorNewsDraft, p.authorRedNewsLive]);
    expect(await ids({ categoryId: news, status: "published" })).toEqual([p.authorRedNewsLive]);
    expect(await ids({ categoryId: news, authorId: w.users.editor })).toEqual([p.editorNewsDraft]);
    // A tag: published posts first (newest publication first), then the others.
    expect(await ids({ tagId: red })).toEqual([p.editorRedBlueLive, p.authorRedNewsLive, p.editorRedArchived]);
    expect(await ids({ tagId: red, status: "published" })).toEqual([p.editorRedBlueLive, p.authorRedNewsLive]);
    expect(await ids({ tagId: red, status: "archived" })).toEqual([p.editorRedArchived]);
    expect(await ids({ tagId: red, categoryId: news })).toEqual([p.authorRedNewsLive]);
    expect(await ids({ tagId: blue, authorId: w.users.author })).toEqual([p.authorBlueDraft]);
    expect(await ids({ tagId: blue, status: "scheduled" })).toEqual([]);
    // Someone who wrote nothing here: nothing.
    expect(await ids({ authorId: w.users.reader })).toEqual([]);
  });

  test("search finds drafts by their current draft title and text, and combines with filters", async () => {
    const t = convexTest(schema, modules);
    const { siteId, editor, author, red, p } = await library(t);
    const ids = async (search: string, args: Record<string, unknown> = {}) =>
      (await editor.query(api.posts.list, { siteId, search, paginationOpts: everything, ...args })).page.map((x) => x._id).sort();

    expect(await ids("ferries")).toEqual([p.authorRedNewsLive, p.editorNewsDraft].sort());
    expect(await ids("ferries", { status: "draft" })).toEqual([p.editorNewsDraft]);
    expect(await ids("ferries", { tagId: red })).toEqual([p.authorRedNewsLive]);
    expect(await ids("nobody")).toEqual([p.authorBlueDraft]); // a draft, by its text
    expect(await ids("stalls")).toEqual([p.editorRedArchived]); // archived posts too
    expect(await ids("quiet street")).toContain(p.authorBlueDraft); // the last word is a prefix

    // The working draft is what is searched: a draft's new title at once, a published post's
    // unpublished changes too (the studio edits the draft).
    const { draft } = await author.query(api.posts.getForEdit, { siteId, postId: p.authorBlueDraft });
    await author.mutation(api.posts.saveDraft, { siteId, postId: p.authorBlueDraft, expectedVersion: draft.version, title: "Lanterns" });
    expect(await ids("lanterns")).toEqual([p.authorBlueDraft]);
    const live = await author.query(api.posts.getForEdit, { siteId, postId: p.authorRedNewsLive });
    await author.mutation(api.posts.saveDraft, { siteId, postId: p.authorRedNewsLive, expectedVersion: live.draft.version, doc: doc("Lighthouses.") });
    expect(await ids("lighthouses")).toEqual([p.authorRedNewsLive]);

    // No words: no search, the plain list.
    const all = await ids("");
    expect(all).toHaveLength(5);
    expect(await ids("  ?!… ")).toEqual(all);
    expect(await ids("zzzunknownword")).toEqual([]);
  });

  test("contributors see only their own posts, whatever the filters, and search only their own drafts", async () => {
    const t = convexTest(schema, modules);
    const { w, siteId, red, news } = await library(t);
    const contributor = as(t, w.users.contributor);
    const mine = await contributor.mutation(api.posts.create, { siteId, title: "My pitch", doc: doc("Ferries at dawn.") });
    const mineRed = await contributor.mutation(api.posts.create, { siteId, title: "My second", doc: doc("Lamps.") });
    await contributor.mutation(api.posts.setTags, { siteId, postId: mineRed, tagIds: [red] });
    const ids = async (args: Record<string, unknown>) =>
      (await contributor.query(api.posts.list, { siteId, paginationOpts: everything, ...args })).page.map((x) => x._id);

    expect(await ids({})).toEqual([mineRed, mine]);
    expect(await ids({ tagId: red })).toEqual([mineRed]);
    expect(await ids({ categoryId: news })).toEqual([]);
    expect(await ids({ status: "published" })).toEqual([]);
    expect(await ids({ authorId: w.users.contributor })).toEqual([mineRed, mine]);
    expect(await ids({ authorId: w.users.editor })).toEqual([]);
    expect(await ids({ search: "ferries" })).toEqual([mine]);
    expect(await ids({ search: "lam" })).toEqual([mineRed]);
    expect(await ids({ search: "council" })).toEqual([]); // only in the editor's draft
  });

  test("search oracle: a contributor's pages look the same whether other members' drafts have the word or not", async () => {
    // Page sizes and "done" flags must not tell a contributor that some other member's draft
    // contains a word: the fixture puts a word in many of the editor's drafts, and compares with
    // a word nobody wrote.
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    for (let i = 0; i < 4; i++) await as(t, w.users.editor).mutation(api.posts.create, { siteId, title: `Layoffs ${i}`, doc: doc("Layoffs planned.") });
    const contributor = as(t, w.users.contributor);
    await contributor.mutation(api.posts.create, { siteId, title: "Mine", doc: doc("Nothing to see.") });
    const shape = async (search: string) => {
      const r = await contributor.query(api.posts.list, { siteId, search, paginationOpts: { numItems: 1, cursor: null } });
      const next = r.isDone ? null : await contributor.query(api.posts.list, { siteId, search, paginationOpts: { numItems: 1, cursor: r.continueCursor } });
      return { page: r.page.length, isDone: r.isDone, next: next && { page: next.page.length, isDone: next.isDone } };
    };
    expect(await shape("layoffs")).toEqual(await shape("qqqnothing"));
  });

  test("rare combinations read a bounded number of rows per page: short pages, and the cursor finds the rest", async () => {
    const t = convexTest(schema, modules);
    const { w, siteId, editor, author } = await library(t);
    const wanted: string[] = [];
    for (let i = 0; i < 6; i++) {
      const postId = await author.mutation(api.posts.create, { siteId, title: `Filler ${i}`, doc: doc("x") });
      if (i % 3 === 0) {
        await author.mutation(api.posts.archive, { siteId, postId });
        wanted.push(postId);
      }
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const r: { page: Array<{ _id: string }>; isDone: boolean; continueCursor: string } = await editor.query(api.posts.list, {
        siteId,
        authorId: w.users.author,
        status: "archived",
        paginationOpts: { numItems: 10, cursor, maximumRowsRead: 2 },
      });
      expect(r.page.length).toBeLessThanOrEqual(2);
      seen.push(...r.page.map((x) => x._id));
      pages++;
      if (r.isDone) break;
      cursor = r.continueCursor;
      expect(pages).toBeLessThan(20);
    }
    expect(seen.sort()).toEqual(wanted.sort());
    expect(pages).toBeGreaterThan(1);
  });
});

describe.each(backends)("attacks on the studio post list (%s)", (_name, convexTest) => {
  test("cross-tenant read: tag, category, author and search filters never reach another site's posts", async () => {
    // The outsider owns the other site and passes this site's tag, category and author ids (and a
    // word only this site's draft has) with their own site id; this site's members pass the other
    // site's ids. Each list must stay inside the site it names.
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const outsider = as(t, w.users.outsider);
    const tag = await editor.mutation(api.tags.create, { siteId: w.siteId, name: "Secret tag" });
    const cat = await editor.mutation(api.categories.create, { siteId: w.siteId, name: "Secret category" });
    const secret = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Embargoed", doc: doc("Quarterly zanzibarite numbers.") });
    await editor.mutation(api.posts.setTags, { siteId: w.siteId, postId: secret, tagIds: [tag] });
    await editor.mutation(api.posts.setCategory, { siteId: w.siteId, postId: secret, categoryId: cat });
    const theirTag = await outsider.mutation(api.tags.create, { siteId: w.otherSiteId, name: "Theirs" });
    const theirCat = await outsider.mutation(api.categories.create, { siteId: w.otherSiteId, name: "Theirs" });
    const theirs = await outsider.mutation(api.posts.create, { siteId: w.otherSiteId, title: "Their post", doc: doc("zanzibarite too.") });
    await outsider.mutation(api.posts.setTags, { siteId: w.otherSiteId, postId: theirs, tagIds: [theirTag] });
    await outsider.mutation(api.posts.setCategory, { siteId: w.otherSiteId, postId: theirs, categoryId: theirCat });
    const page = { numItems: 50, cursor: null };

    for (const args of [{ tagId: tag }, { categoryId: cat }, { authorId: w.users.editor }, { search: "zanzibarite" }, { search: "embargoed", tagId: tag }]) {
      const viaOwnSite = await outsider.query(api.posts.list, { siteId: w.otherSiteId, paginationOpts: page, ...args });
      expect(viaOwnSite.page.map((p) => p._id)).not.toContain(secret);
      expect(viaOwnSite.page.every((p) => p.siteId === w.otherSiteId)).toBe(true);
      const viaTheirSite = await outsider.query(api.posts.list, { siteId: w.siteId, paginationOpts: page, ...args }).catch((e) => e);
      expect(viaTheirSite.data).toEqual({ code: "NOT_FOUND" });
    }
    for (const args of [{ tagId: theirTag }, { categoryId: theirCat }, { authorId: w.users.outsider }]) {
      expect((await editor.query(api.posts.list, { siteId: w.siteId, paginationOpts: page, ...args })).page).toEqual([]);
    }
    const search = await editor.query(api.posts.list, { siteId: w.siteId, search: "zanzibarite", paginationOpts: page });
    expect(search.page.map((p) => p._id)).toEqual([secret]);
  });
});

describe.each(backends)("slug availability (%s)", (_name, convexTest) => {
  test("agrees with changeSlug: free, taken (with a suggestion), reserved, invalid, and a post's own slug", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const author = as(t, w.users.author);
    await author.mutation(api.posts.create, { siteId, title: "Harbour lights" });
    const postId = await author.mutation(api.posts.create, { siteId, title: "Mine" });
    const check = (slug: string) => author.query(api.posts.isSlugAvailable, { siteId, postId, slug });

    expect(await check("mine")).toEqual({ available: true, reason: null, suggestion: null, redirectsToAnotherPost: false });
    expect(await check("fresh-address")).toEqual({ available: true, reason: null, suggestion: null, redirectsToAnotherPost: false });
    expect(await check("harbour-lights")).toEqual({ available: false, reason: "SLUG_TAKEN", suggestion: "harbour-lights-2", redirectsToAnotherPost: false });
    expect(await check("search")).toEqual({ available: false, reason: "RESERVED_SLUG", suggestion: "search-post", redirectsToAnotherPost: false });
    expect(await check("Harbour Lights")).toMatchObject({ available: false, reason: "INVALID_SLUG", suggestion: "harbour-lights-2" });
    expect(await check("--")).toEqual({ available: false, reason: "INVALID_SLUG", suggestion: null, redirectsToAnotherPost: false });
    // Without a post (a new one): its own slug counts as taken like any other.
    expect(await author.query(api.posts.isSlugAvailable, { siteId, slug: "mine" })).toMatchObject({ available: false, reason: "SLUG_TAKEN", suggestion: "mine-2" });

    // The authoritative check gives the same answers (the post was never published: no redirects).
    for (const slug of ["fresh-address", "harbour-lights", "search", "Harbour Lights", "--", "mine-2"]) {
      const said = await check(slug);
      const did = await author.mutation(api.posts.changeSlug, { siteId, postId, slug }).then(
        () => null,
        (e) => e.data.code,
      );
      expect([slug, did]).toEqual([slug, said.reason]);
      if (did === null) await author.mutation(api.posts.changeSlug, { siteId, postId, slug: "mine" });
    }
  });

  test("an old address of another live post is available but flagged; the post's own old address is not flagged", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const author = as(t, w.users.author);
    const live = await author.mutation(api.posts.create, { siteId, title: "First name", doc: doc("x") });
    await author.mutation(api.posts.publish, { siteId, postId: live });
    await author.mutation(api.posts.changeSlug, { siteId, postId: live, slug: "second-name" });
    const other = await author.mutation(api.posts.create, { siteId, title: "Other" });

    expect(await author.query(api.posts.isSlugAvailable, { siteId, postId: other, slug: "first-name" })).toEqual({
      available: true,
      reason: null,
      suggestion: null,
      redirectsToAnotherPost: true,
    });
    expect(await author.query(api.posts.isSlugAvailable, { siteId, postId: live, slug: "first-name" })).toMatchObject({
      available: true,
      redirectsToAnotherPost: false,
    });
    // changeSlug lets the other post take it (the old links keep redirecting while it is a draft).
    await author.mutation(api.posts.changeSlug, { siteId, postId: other, slug: "first-name" });
    // Once the old address's post is offline, nothing is taken over any more.
    await author.mutation(api.posts.unpublish, { siteId, postId: live });
    const third = await author.mutation(api.posts.create, { siteId, title: "Third" });
    expect(await author.query(api.posts.isSlugAvailable, { siteId, postId: third, slug: "second-name" })).toMatchObject({
      available: false,
      reason: "SLUG_TAKEN",
    });
  });

  test("cross-tenant read: another site's post id is NOT_FOUND, and slugs of another site do not count", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const outsider = as(t, w.users.outsider);
    const ours = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Ours" });
    const viaOwnSite = await outsider.query(api.posts.isSlugAvailable, { siteId: w.otherSiteId, postId: ours, slug: "x" }).catch((e) => e);
    expect(viaOwnSite.data).toEqual({ code: "NOT_FOUND" });
    const viaTheirSite = await outsider.query(api.posts.isSlugAvailable, { siteId: w.siteId, slug: "x" }).catch((e) => e);
    expect(viaTheirSite.data).toEqual({ code: "NOT_FOUND" });
    expect(await outsider.query(api.posts.isSlugAvailable, { siteId: w.otherSiteId, slug: "ours" })).toMatchObject({ available: true });
    // A contributor cannot ask about someone else's post (it looks missing, as in the editor).
    const denied = await as(t, w.users.contributor).query(api.posts.isSlugAvailable, { siteId: w.siteId, postId: ours, slug: "x" }).catch((e) => e);
    expect(denied.data).toEqual({ code: "NOT_FOUND" });
  });

  test("viewCounts: editors see every post's views; authors and contributors only their own; cross-tenant read: another site's post is left out", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const mine = await as(t, w.users.contributor).mutation(api.posts.create, { siteId: w.siteId, title: "Mine" });
    const authors = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Theirs" });
    await as(t, w.users.author).mutation(api.posts.publish, { siteId: w.siteId, postId: authors });
    const foreign = await as(t, w.users.outsider).mutation(api.posts.create, { siteId: w.otherSiteId, title: "Foreign" });
    const views = ["view-token-0000000000001", "view-token-0000000000002", "view-token-0000000000003"].map((token) => ({ postId: authors, token }));
    await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views });
    const ids = [mine, authors, foreign];
    expect(await as(t, w.users.editor).query(api.posts.viewCounts, { siteId: w.siteId, postIds: ids })).toEqual([
      { postId: mine, views: 0 },
      { postId: authors, views: 3 },
    ]);
    expect(await as(t, w.users.contributor).query(api.posts.viewCounts, { siteId: w.siteId, postIds: ids })).toEqual([{ postId: mine, views: 0 }]);
    // Authors, like contributors, see the posts they may open (canOpenPost): their own.
    expect(await as(t, w.users.author).query(api.posts.viewCounts, { siteId: w.siteId, postIds: ids })).toEqual([{ postId: authors, views: 3 }]);
    // Another site's member asking through their own site gets nothing of this one.
    const outsiderSite = await as(t, w.users.outsider).query(api.posts.viewCounts, { siteId: w.otherSiteId, postIds: [authors] });
    expect(outsiderSite).toEqual([]);
    const tooMany = await as(t, w.users.editor).query(api.posts.viewCounts, { siteId: w.siteId, postIds: Array(101).fill(mine) }).catch((e) => e);
    expect(tooMany.data).toMatchObject({ code: "INVALID_ARGUMENT", field: "postIds" });
  });
});

describe.each(backends)("post address follows the title on %s", (_name, convexTest) => {
  async function setup(convexTest: (typeof backends)[number][1]) {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const siteId = w.siteId;
    const slugOf = async (postId: any) => (await author.query(api.posts.getForEdit, { siteId, postId })).post.slug;
    const retitle = async (postId: any, title: string) => {
      const { draft } = await author.query(api.posts.getForEdit, { siteId, postId });
      await author.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: draft.version, title });
    };
    return { t, w, author, siteId, slugOf, retitle };
  }

  test("a new post's address follows its title as it is saved, and a clash gets a suffix", async () => {
    const { author, siteId, slugOf, retitle } = await setup(convexTest);
    const postId = await author.mutation(api.posts.create, { siteId });
    expect(await slugOf(postId)).toMatch(/^untitled(-\d+)?$/);
    await retitle(postId, "Rivers");
    expect(await slugOf(postId)).toBe("rivers");
    await retitle(postId, "Rivers in Spring");
    expect(await slugOf(postId)).toBe("rivers-in-spring");
    // Saving the same title again keeps the address (its own slug is no clash).
    await retitle(postId, "Rivers in Spring");
    expect(await slugOf(postId)).toBe("rivers-in-spring");
    // A body-only save leaves it alone.
    const { draft } = await author.query(api.posts.getForEdit, { siteId, postId });
    await author.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: draft.version, doc: doc("Words.") });
    expect(await slugOf(postId)).toBe("rivers-in-spring");

    // Clashes: -2, -3, … (never another post's address).
    const second = await author.mutation(api.posts.create, { siteId });
    await retitle(second, "Rivers in Spring");
    expect(await slugOf(second)).toBe("rivers-in-spring-2");
    const third = await author.mutation(api.posts.create, { siteId, title: "Rivers in Spring" });
    expect(await slugOf(third)).toBe("rivers-in-spring-3");
    // A title without letters or digits, or a reserved address, still gives a usable one.
    await retitle(third, "!!!");
    expect(await slugOf(third)).toMatch(/^untitled(-\d+)?$/);
    await retitle(third, "Search");
    expect(await slugOf(third)).toBe("search-post");
  });

  test("the address stops following once the author sets it", async () => {
    const { author, siteId, slugOf, retitle } = await setup(convexTest);
    const postId = await author.mutation(api.posts.create, { siteId, title: "First Title" });
    expect(await slugOf(postId)).toBe("first-title");
    await author.mutation(api.posts.changeSlug, { siteId, postId, slug: "my-own" });
    await retitle(postId, "Second Title");
    expect(await slugOf(postId)).toBe("my-own");
    await author.mutation(api.posts.settleSlug, { siteId, postId });
    expect(await slugOf(postId)).toBe("my-own");
    // Setting it to the address it already has also counts as choosing it.
    const kept = await author.mutation(api.posts.create, { siteId, title: "Kept" });
    await author.mutation(api.posts.changeSlug, { siteId, postId: kept, slug: "kept" });
    await retitle(kept, "Renamed");
    expect(await slugOf(kept)).toBe("kept");
  });

  test("the address stops following after the first publish; old links keep working", async () => {
    const { t, w, author, siteId, slugOf, retitle } = await setup(convexTest);
    const postId = await author.mutation(api.posts.create, { siteId, title: "Went Out", doc: doc("Hello.") });
    await author.mutation(api.posts.publish, { siteId, postId });
    expect(await slugOf(postId)).toBe("went-out");
    await retitle(postId, "A Better Title");
    expect(await slugOf(postId)).toBe("went-out");
    await author.mutation(api.posts.publish, { siteId, postId }); // the update goes live
    await author.mutation(api.posts.unpublish, { siteId, postId });
    await retitle(postId, "Yet Another Title"); // a draft again, but it went out once
    expect(await slugOf(postId)).toBe("went-out");
    await author.mutation(api.posts.publish, { siteId, postId });
    expect(await slugOf(postId)).toBe("went-out");
    // The first address is still the live post's, with its latest title; no redirect was needed.
    const live = await t.run(async (ctx: any) => ({
      post: await ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", w.siteId).eq("slug", "went-out")).first(),
      redirects: await ctx.db.query("slugRedirects").collect(),
    }));
    expect(live.post).toMatchObject({ _id: postId, status: "published", title: "Yet Another Title" });
    expect(live.redirects).toEqual([]);
  });

  test("settleSlug: rows from before the flag follow only while their address is a placeholder; only editors of the post may call it", async () => {
    const { t, w, author, siteId, slugOf } = await setup(convexTest);
    const legacy = async (slug: string, title: string) => {
      const postId = await author.mutation(api.posts.create, { siteId, title });
      await t.run(async (ctx: any) => {
        await ctx.db.patch("posts", postId, { slug, slugSetByAuthor: undefined });
      });
      return postId;
    };
    const placeholder = await legacy("untitled-7", "Old Draft");
    await author.mutation(api.posts.settleSlug, { siteId, postId: placeholder });
    expect(await slugOf(placeholder)).toBe("old-draft");
    const chosen = await legacy("hand-picked", "Another Old Draft");
    await author.mutation(api.posts.settleSlug, { siteId, postId: chosen });
    expect(await slugOf(chosen)).toBe("hand-picked");
    const forbidden = await as(t, w.users.contributor).mutation(api.posts.settleSlug, { siteId, postId: placeholder }).catch((e) => e);
    expect(forbidden.data?.code).toBe("FORBIDDEN");
  });
});
