import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// Scheduled work runs later on someone's behalf: it must hold only while that someone still has
// the right. Each test schedules a post, takes the right away before the job runs, then lets the
// scheduler run it (fake timers: convex-test fires jobs from timers; the local backend runs them).

describe.each(backends)("authorization at execution time on %s", (_name, convexTest) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function scheduledByAuthor(t: T) {
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Timed", doc: doc("Out later.") });
    await author.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 3_600_000 });
    return { w, postId };
  }

  async function outcome(t: T, siteId: Id<"sites">, postId: Id<"posts">) {
    return await t.run(async (ctx) => {
      const post = (await ctx.db.get("posts", postId))!;
      const live = await ctx.db
        .query("postBodies")
        .withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", siteId).eq("postId", postId).eq("kind", "published"))
        .unique();
      const audit = await ctx.db
        .query("auditLogs")
        .withIndex("by_siteId", (q) => q.eq("siteId", siteId))
        .collect();
      const notes = await ctx.db.query("notifications").collect();
      return {
        status: post.status,
        scheduledAt: post.scheduledAt,
        live: live !== null,
        actions: audit.filter((a) => a.entityId === postId).map((a) => a.action),
        notes: notes.filter((n) => n.siteId === siteId).map((n) => [n.userId, n.type]),
      };
    });
  }

  test("privilege revoked before scheduled publish: an author removed from the site does not publish; refused, audited, owner and author told", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const { w, postId } = await scheduledByAuthor(t);
    await as(t, w.users.owner).mutation(api.members.remove, { siteId: w.siteId, userId: w.users.author });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const o = await outcome(t, w.siteId, postId);
    expect(o).toMatchObject({ status: "draft", live: false });
    expect(o.scheduledAt).toBeUndefined();
    expect(o.actions).toContain("post.scheduleRefused");
    expect(o.actions).not.toContain("post.publish");
    expect(o.notes).toEqual(expect.arrayContaining([[w.users.author, "scheduled_refused"], [w.users.owner, "scheduled_refused"]]));
    expect(o.notes.map(([, type]) => type)).not.toContain("scheduled_published");
    // Readers never see it.
    expect(await t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 10, cursor: null } })).toMatchObject({ page: [] });
  });

  test("privilege revoked before scheduled publish: an author demoted to contributor does not publish", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const { w, postId } = await scheduledByAuthor(t);
    await as(t, w.users.owner).mutation(api.members.changeRole, { siteId: w.siteId, userId: w.users.author, role: "contributor" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const o = await outcome(t, w.siteId, postId);
    expect(o).toMatchObject({ status: "draft", live: false });
    expect(o.actions).toContain("post.scheduleRefused");
    expect(o.notes).toEqual(expect.arrayContaining([[w.users.author, "scheduled_refused"], [w.users.owner, "scheduled_refused"]]));
  });

  test("privilege revoked before scheduled publish: the editor who scheduled someone else's post is demoted; the author alone could not publish it either", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const postId = await as(t, w.users.contributor).mutation(api.posts.create, { siteId: w.siteId, title: "Pitch", doc: doc("x") });
    await as(t, w.users.editor).mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 3_600_000 });
    await as(t, w.users.owner).mutation(api.members.changeRole, { siteId: w.siteId, userId: w.users.editor, role: "author" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const o = await outcome(t, w.siteId, postId);
    expect(o).toMatchObject({ status: "draft", live: false });
    expect(o.actions).toContain("post.scheduleRefused");
    expect(o.notes).toEqual(
      expect.arrayContaining([
        [w.users.contributor, "scheduled_refused"],
        [w.users.editor, "scheduled_refused"],
        [w.users.owner, "scheduled_refused"],
      ]),
    );
  });

  test("a schedule still publishes when the right holds: the scheduling editor's right counts, not the author's", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const writer = await createUser(t, "Guest writer");
    await addMember(t, w.siteId, writer, "contributor");
    const postId = await as(t, writer).mutation(api.posts.create, { siteId: w.siteId, title: "Accepted", doc: doc("y") });
    await as(t, w.users.editor).mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 3_600_000 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const o = await outcome(t, w.siteId, postId);
    expect(o).toMatchObject({ status: "published", live: true });
    expect(o.notes).toContainEqual([writer, "scheduled_published"]);
  });
});
