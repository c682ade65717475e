import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

async function notificationTypes(t: T, userId: Id<"users">) {
  const res = await as(t, userId).query(api.notifications.list, { paginationOpts: { numItems: 50, cursor: null } });
  return res.page.map((n) => n.type);
}

describe.each(backends)("review on %s", (_name, convexTest) => {
  test("a contributor submits, an editor returns it with a comment, then approves the resubmission", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    const contributor = as(t, w.users.contributor);
    const editor = as(t, w.users.editor);
    const postId = await contributor.mutation(api.posts.create, { siteId: s, title: "My first piece", doc: doc("Words.") });
    // Contributors cannot publish themselves, nor see the queue.
    expect(await code(contributor.mutation(api.posts.publish, { siteId: s, postId }))).toBe("FORBIDDEN");
    expect(await code(contributor.query(api.review.queue, { siteId: s, paginationOpts: { numItems: 10, cursor: null } }))).toBe(
      "FORBIDDEN",
    );
    expect(await code(as(t, w.users.author).query(api.review.queue, { siteId: s, paginationOpts: { numItems: 10, cursor: null } }))).toBe(
      "FORBIDDEN",
    );

    await contributor.mutation(api.review.submitForReview, { siteId: s, postId });
    await contributor.mutation(api.review.submitForReview, { siteId: s, postId }); // idempotent while pending
    for (const who of [w.users.editor, w.users.admin, w.users.owner]) {
      expect(await notificationTypes(t, who)).toEqual(["review_submitted"]);
    }
    expect(await notificationTypes(t, w.users.author)).toEqual([]);
    expect(await notificationTypes(t, w.users.contributor)).toEqual([]);

    const q1 = await editor.query(api.review.queue, { siteId: s, paginationOpts: { numItems: 10, cursor: null } });
    expect(q1.page.map((p) => p._id)).toEqual([postId]);
    expect(q1.page[0].reviewState).toBe("pending");

    // Only editors and above decide.
    expect(await code(contributor.mutation(api.review.approve, { siteId: s, postId }))).toBe("FORBIDDEN");
    expect(await code(as(t, w.users.author).mutation(api.review.returnWithComment, { siteId: s, postId, comment: "no" }))).toBe(
      "FORBIDDEN",
    );
    expect(await code(editor.mutation(api.review.returnWithComment, { siteId: s, postId, comment: "   " }))).toBe("INVALID_ARGUMENT");
    await editor.mutation(api.review.returnWithComment, { siteId: s, postId, comment: "Needs a stronger ending." });
    const returned = await contributor.query(api.posts.getForEdit, { siteId: s, postId });
    expect(returned.post.reviewState).toBe("returned");
    expect(returned.post.reviewComment).toBe("Needs a stronger ending.");
    expect(await notificationTypes(t, w.users.contributor)).toEqual(["review_returned"]);
    expect((await editor.query(api.review.queue, { siteId: s, paginationOpts: { numItems: 10, cursor: null } })).page).toEqual([]);
    expect(await code(editor.mutation(api.review.approve, { siteId: s, postId }))).toBe("INVALID_STATE");

    // Resubmitted after an edit, then approved: published by the editor.
    await contributor.mutation(api.posts.saveDraft, { siteId: s, postId, expectedVersion: returned.draft.version, doc: doc("Better words.") });
    await contributor.mutation(api.review.submitForReview, { siteId: s, postId });
    await editor.mutation(api.review.approve, { siteId: s, postId });
    const published = await editor.query(api.posts.getForEdit, { siteId: s, postId });
    expect(published.post.status).toBe("published");
    expect(published.post.reviewState).toBeUndefined();
    expect(published.post.reviewComment).toBeUndefined();
    expect(published.post.authorId).toBe(w.users.contributor);
    const revisions = await editor.query(api.posts.listRevisions, { siteId: s, postId });
    expect(revisions[0]).toMatchObject({ reason: "publish", authorName: "Editor daily" });

    const logs = await t.run(async (ctx) =>
      ctx.db
        .query("auditLogs")
        .withIndex("by_siteId", (q) => q.eq("siteId", s))
        .collect(),
    );
    const actions = logs.map((l) => l.action);
    expect(actions).toEqual(
      expect.arrayContaining(["post.submitForReview", "post.returnFromReview", "post.publish", "post.approve"]),
    );
    expect(JSON.stringify(logs)).not.toContain("stronger ending");
  });

  test("approval can schedule; only the author submits, and only drafts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    const contributor = as(t, w.users.contributor);
    const postId = await contributor.mutation(api.posts.create, { siteId: s, title: "Later", doc: doc("Soon.") });
    expect(await code(as(t, w.users.author).mutation(api.review.submitForReview, { siteId: s, postId }))).toBe("NOT_FOUND");
    expect(await code(as(t, w.users.outsider).mutation(api.review.submitForReview, { siteId: s, postId }))).toBe("NOT_FOUND");
    const untitled = await contributor.mutation(api.posts.create, { siteId: s });
    expect(await code(contributor.mutation(api.review.submitForReview, { siteId: s, postId: untitled }))).toBe("INVALID_STATE");
    await contributor.mutation(api.review.submitForReview, { siteId: s, postId });
    const at = Date.now() + 3_600_000;
    expect(await code(as(t, w.users.editor).mutation(api.review.approve, { siteId: s, postId, scheduledAt: Date.now() - 1 }))).toBe(
      "INVALID_ARGUMENT",
    );
    await as(t, w.users.editor).mutation(api.review.approve, { siteId: s, postId, scheduledAt: at });
    const { post } = await as(t, w.users.editor).query(api.posts.getForEdit, { siteId: s, postId });
    expect(post.status).toBe("scheduled");
    expect(post.scheduledAt).toBe(at);
    expect(post.reviewState).toBeUndefined();
    // Out of draft: resubmitting is refused.
    expect(await code(contributor.mutation(api.review.submitForReview, { siteId: s, postId }))).toBe("INVALID_STATE");
    // Paginated queue over several pending posts.
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const id = await contributor.mutation(api.posts.create, { siteId: s, title: `Queued ${i}` });
      await contributor.mutation(api.review.submitForReview, { siteId: s, postId: id });
      ids.push(id);
    }
    const editor = as(t, w.users.editor);
    const p1 = await editor.query(api.review.queue, { siteId: s, paginationOpts: { numItems: 2, cursor: null } });
    const p2 = await editor.query(api.review.queue, { siteId: s, paginationOpts: { numItems: 2, cursor: p1.continueCursor } });
    expect([...p1.page, ...p2.page].map((p) => p._id)).toEqual(ids);
    expect(p2.isDone).toBe(true);
  });
});
