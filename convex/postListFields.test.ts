import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// The post row carries list fields (title, excerpt) that the studio's list and search results show.
// While a post is live they are the live version's; whenever it is not live they must be the
// working draft's, which is what the editor shows. Each test takes a post through one transition
// with an unpublished draft pending and checks the list against the editor.

describe.each(backends)("list fields follow the draft on %s", (_name, convexTest) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A published post "A" whose draft now says "B" (saved, not published). */
  async function publishedWithDraft(t: T) {
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "A", doc: doc("alpha words") });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const { draft } = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    await author.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId,
      expectedVersion: draft.version,
      title: "B",
      excerpt: "bravo lede",
      doc: doc("bravo words"),
    });
    return { w, author, postId };
  }

  /** What the studio list and its search show for the post, and what the editor shows. */
  async function shown(t: T, siteId: Id<"sites">, userId: Id<"users">, postId: Id<"posts">, search: string) {
    const editor = as(t, userId);
    const all = { numItems: 50, cursor: null };
    const listed = (await editor.query(api.posts.list, { siteId, paginationOpts: all })).page.find((p) => p._id === postId);
    const found = (await editor.query(api.posts.list, { siteId, search, paginationOpts: all })).page.find((p) => p._id === postId);
    const edit = await editor.query(api.posts.getForEdit, { siteId, postId });
    return {
      list: [listed?.title, listed?.excerpt],
      search: [found?.title, found?.excerpt],
      editor: [edit.draft.title, edit.draft.excerpt ?? undefined],
    };
  }

  test("stale title after unpublish: the list and search show the draft's title, as the editor does", async () => {
    const t = convexTest(schema, modules);
    const { w, author, postId } = await publishedWithDraft(t);
    // Live: the list shows the live version.
    expect((await shown(t, w.siteId, w.users.author, postId, "bravo")).list[0]).toBe("A");
    await author.mutation(api.posts.unpublish, { siteId: w.siteId, postId });
    expect(await shown(t, w.siteId, w.users.author, postId, "bravo")).toEqual({
      list: ["B", "bravo lede"],
      search: ["B", "bravo lede"],
      editor: ["B", "bravo lede"],
    });
  });

  test("stale title after archive, and after restoring the archived post", async () => {
    const t = convexTest(schema, modules);
    const { w, author, postId } = await publishedWithDraft(t);
    await author.mutation(api.posts.archive, { siteId: w.siteId, postId });
    const expected = { list: ["B", "bravo lede"], search: ["B", "bravo lede"], editor: ["B", "bravo lede"] };
    expect(await shown(t, w.siteId, w.users.author, postId, "bravo")).toEqual(expected);
    await author.mutation(api.posts.restore, { siteId: w.siteId, postId });
    expect(await shown(t, w.siteId, w.users.author, postId, "bravo")).toEqual(expected);
  });

  test("stale title after a revision restore into a live post's draft, then unpublish", async () => {
    const t = convexTest(schema, modules);
    const { w, author, postId } = await publishedWithDraft(t);
    await author.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: 2, title: "C", explicit: true });
    const revisions = await author.query(api.posts.listRevisions, { siteId: w.siteId, postId });
    const first = revisions.find((r) => r.reason === "publish")!;
    await author.mutation(api.posts.restoreRevision, { siteId: w.siteId, postId, revisionId: first._id });
    await author.mutation(api.posts.unpublish, { siteId: w.siteId, postId });
    const s = await shown(t, w.siteId, w.users.author, postId, "alpha");
    expect(s.editor[0]).toBe("A");
    expect(s.list).toEqual(s.editor);
    expect(s.search).toEqual(s.editor);
  });

  test("stale title after conflict resolution on a live post, then unpublish", async () => {
    const t = convexTest(schema, modules);
    const { w, author, postId } = await publishedWithDraft(t);
    const editor = as(t, w.users.editor);
    // The editor saved from an old version: CONFLICT, then they keep theirs on the current version.
    const conflict = await editor
      .mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: 1, title: "D" })
      .catch((e) => e);
    expect(conflict.data.code).toBe("CONFLICT");
    await editor.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: conflict.data.currentVersion, title: "D" });
    await author.mutation(api.posts.unpublish, { siteId: w.siteId, postId });
    const s = await shown(t, w.siteId, w.users.author, postId, "bravo");
    expect(s.editor).toEqual(["D", "bravo lede"]);
    expect(s.list).toEqual(s.editor);
    expect(s.search).toEqual(s.editor);
  });

  test("stale title after a schedule is cancelled: a scheduled draft's edits show, and stay after unschedule", async () => {
    const t = convexTest(schema, modules);
    const { w, author, postId } = await publishedWithDraft(t);
    await author.mutation(api.posts.unpublish, { siteId: w.siteId, postId });
    await author.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 3_600_000 });
    await author.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: 2, title: "E" });
    await author.mutation(api.posts.unschedule, { siteId: w.siteId, postId });
    const s = await shown(t, w.siteId, w.users.author, postId, "bravo");
    expect(s.editor).toEqual(["E", "bravo lede"]);
    expect(s.list).toEqual(s.editor);
    expect(s.search).toEqual(s.editor);
  });
});
