import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { TAXONOMY_BATCH } from "./model/taxonomy";
import schema from "./schema";

/** Creates a post in a category and publishes it unless `keep` says otherwise. */
async function post(
  t: T,
  w: World,
  input: { title: string; categoryId?: Id<"categories">; keep?: "draft" | "archived" },
): Promise<Id<"posts">> {
  const c = as(t, w.users.editor);
  const postId = await c.mutation(api.posts.create, {
    siteId: w.siteId,
    title: input.title,
    doc: doc(`${input.title} body.`),
    categoryId: input.categoryId,
  });
  if (input.keep !== "draft") await c.mutation(api.posts.publish, { siteId: w.siteId, postId });
  if (input.keep === "archived") await c.mutation(api.posts.archive, { siteId: w.siteId, postId });
  return postId;
}

/** Recomputes categories.postCount (and tags.usageCount) from the posts and checks the stored values. */
async function expectCountsExact(t: T, siteId: Id<"sites">) {
  const s = await t.run(async (ctx) => ({
    posts: await ctx.db.query("posts").withIndex("by_siteId_and_updatedAt", (q) => q.eq("siteId", siteId)).collect(),
    tags: await ctx.db.query("tags").withIndex("by_siteId_and_name", (q) => q.eq("siteId", siteId)).collect(),
    categories: await ctx.db.query("categories").withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId)).collect(),
  }));
  const published = s.posts.filter((p) => p.status === "published");
  expect(s.categories.map((c) => [c.slug, c.postCount])).toEqual(
    s.categories.map((c) => [c.slug, published.filter((p) => p.categoryId === c._id).length]),
  );
  expect(s.tags.map((tag) => [tag.slug, tag.usageCount])).toEqual(
    s.tags.map((tag) => [tag.slug, published.filter((p) => p.tagIds.includes(tag._id)).length]),
  );
  const ids = new Set(s.categories.map((c) => c._id));
  for (const p of s.posts) if (p.categoryId) expect(ids.has(p.categoryId)).toBe(true);
  return s;
}

async function errorOf(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).not.toBeNull();
  return e.data;
}

const firstPage = { numItems: 50, cursor: null };

describe.each(backends)("categories on %s", (_name, convexTest) => {
  test("editors create categories in order; lower roles cannot; any member lists them with post counts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const world = await editor.mutation(api.categories.create, { siteId, name: "World News", description: "Abroad." });
    const sport = await as(t, w.users.admin).mutation(api.categories.create, { siteId, name: "Sport" });
    for (const role of ["author", "contributor"] as const) {
      expect(await errorOf(as(t, w.users[role]).mutation(api.categories.create, { siteId, name: "Nope" }))).toMatchObject({
        code: "FORBIDDEN",
      });
    }
    expect(await errorOf(as(t, w.users.reader).mutation(api.categories.create, { siteId, name: "Nope" }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await errorOf(editor.mutation(api.categories.create, { siteId, name: "world news" }))).toMatchObject({
      code: "SLUG_TAKEN",
      field: "name",
    });
    expect(await errorOf(editor.mutation(api.categories.create, { siteId, name: "W", slug: "-w-" }))).toMatchObject({
      code: "INVALID_SLUG",
      field: "slug",
    });

    await post(t, w, { title: "Abroad 1", categoryId: world });
    await post(t, w, { title: "Abroad 2", categoryId: world });
    await post(t, w, { title: "Abroad draft", categoryId: world, keep: "draft" });
    await post(t, w, { title: "Match", categoryId: sport, keep: "archived" });

    const list = await as(t, w.users.contributor).query(api.categories.list, { siteId });
    expect(list.map((c) => [c.name, c.slug, c.sortOrder, c.postCount, c.description])).toEqual([
      ["World News", "world-news", 0, 2, "Abroad."],
      ["Sport", "sport", 1, 0, null],
    ]);
    await expectCountsExact(t, siteId);
    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((a) => a.action === "category.create").map((a) => a.entityId)).toEqual([world, sport]);
  });

  test("postCount stays exact as posts move between categories and in and out of publication", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const a = await editor.mutation(api.categories.create, { siteId, name: "A" });
    const b = await editor.mutation(api.categories.create, { siteId, name: "B" });
    const p1 = await post(t, w, { title: "One", categoryId: a });
    const p2 = await post(t, w, { title: "Two", categoryId: a, keep: "draft" });
    await expectCountsExact(t, siteId);
    await editor.mutation(api.posts.setCategory, { siteId, postId: p1, categoryId: b });
    await expectCountsExact(t, siteId);
    await editor.mutation(api.posts.publish, { siteId, postId: p2 });
    await editor.mutation(api.posts.unpublish, { siteId, postId: p1 });
    await editor.mutation(api.posts.setCategory, { siteId, postId: p2, categoryId: null });
    const s = await expectCountsExact(t, siteId);
    expect(s.categories.map((c) => c.postCount)).toEqual([0, 0]);
  });

  test("editors rename categories: the slug follows the name, the old slug redirects", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const categoryId = await editor.mutation(api.categories.create, { siteId, name: "Tech" });
    const p = await post(t, w, { title: "Chips", categoryId });

    expect(await errorOf(as(t, w.users.author).mutation(api.categories.rename, { siteId, categoryId, name: "X" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    await editor.mutation(api.categories.rename, { siteId, categoryId, name: "Technology" });
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "tech" })).toEqual({
      kind: "redirect",
      slug: "technology",
    });
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "technology" })).toMatchObject({
      kind: "category",
      category: { _id: categoryId, name: "Technology", postCount: 1 },
    });
    await editor.mutation(api.categories.rename, { siteId, categoryId, name: "Technology", slug: "tech-news" });
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "tech" })).toEqual({ kind: "redirect", slug: "tech-news" });
    const page = await t.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: "tech-news", paginationOpts: firstPage });
    expect(page.page.map((r) => [r._id, r.category?.slug])).toEqual([[p, "tech-news"]]);
    // An old slug lists nothing (the page redirects first).
    const old = await t.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: "tech", paginationOpts: firstPage });
    expect(old).toMatchObject({ page: [], isDone: true });
    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((a) => a.action === "category.rename")).toHaveLength(2);
  });

  test("reorder puts the listed categories first, the rest after in their old order", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const ids: Id<"categories">[] = [];
    for (const name of ["One", "Two", "Three", "Four"]) ids.push(await editor.mutation(api.categories.create, { siteId, name }));
    const [one, two, three, four] = ids;

    await editor.mutation(api.categories.reorder, { siteId, categoryIds: [three, one] });
    const list = await editor.query(api.categories.list, { siteId });
    expect(list.map((c) => [c.name, c.sortOrder])).toEqual([
      ["Three", 0],
      ["One", 1],
      ["Two", 2],
      ["Four", 3],
    ]);
    await editor.mutation(api.categories.reorder, { siteId, categoryIds: [four, three, two, one] });
    expect((await editor.query(api.categories.list, { siteId })).map((c) => c.name)).toEqual(["Four", "Three", "Two", "One"]);

    expect(await errorOf(editor.mutation(api.categories.reorder, { siteId, categoryIds: [one, one] }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await errorOf(as(t, w.users.author).mutation(api.categories.reorder, { siteId, categoryIds: [one] }))).toMatchObject({
      code: "FORBIDDEN",
    });
    const foreign = await as(t, w.users.outsider).mutation(api.categories.create, { siteId: w.otherSiteId, name: "Foreign" });
    expect(await errorOf(editor.mutation(api.categories.reorder, { siteId, categoryIds: [one, foreign] }))).toMatchObject({
      code: "NOT_FOUND",
    });
    // Failed reorders changed nothing.
    expect((await editor.query(api.categories.list, { siteId })).map((c) => c.name)).toEqual(["Four", "Three", "Two", "One"]);
    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((a) => a.action === "category.reorder")).toHaveLength(2);
  });

  test("remove takes the category off its posts, keeps counts exact and drops redirects to it", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const doomed = await editor.mutation(api.categories.create, { siteId, name: "Old" });
    await editor.mutation(api.categories.rename, { siteId, categoryId: doomed, name: "Doomed" });
    const kept = await editor.mutation(api.categories.create, { siteId, name: "Kept" });
    const p1 = await post(t, w, { title: "One", categoryId: doomed });
    const p2 = await post(t, w, { title: "Two", categoryId: doomed, keep: "draft" });
    const p3 = await post(t, w, { title: "Three", categoryId: kept });

    expect(await errorOf(as(t, w.users.author).mutation(api.categories.remove, { siteId, categoryId: doomed }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await editor.mutation(api.categories.remove, { siteId, categoryId: doomed })).toEqual({ postsUpdated: 2, done: true });

    const s = await expectCountsExact(t, siteId);
    expect(s.categories.map((c) => [c.slug, c.postCount])).toEqual([["kept", 1]]);
    const byId = new Map(s.posts.map((p) => [p._id, p.categoryId]));
    expect([byId.get(p1), byId.get(p2), byId.get(p3)]).toEqual([undefined, undefined, kept]);
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "old" })).toBeNull();
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "doomed" })).toBeNull();
    const reader = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "one" });
    expect(reader).toMatchObject({ kind: "post", post: { category: null } });
    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((a) => a.action === "category.delete").map((a) => a.entityId)).toEqual([doomed]);
  });

  test("removing a category with more posts than one transaction handles finishes in scheduled batches", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const big = await editor.mutation(api.categories.create, { siteId, name: "Big" });
    const n = 2 * TAXONOMY_BATCH + 11;
    await t.run(async (ctx) => {
      const now = Date.now();
      let count = 0;
      for (let i = 0; i < n; i++) {
        const published = i % 2 === 0;
        await ctx.db.insert("posts", {
          siteId,
          authorId: w.users.editor,
          authorName: "Editor",
          title: `Post ${i}`,
          slug: `post-${i}`,
          status: published ? "published" : "draft",
          featured: false,
          categoryId: big,
          tagIds: [],
          publishedAt: published ? now - i : undefined,
          createdAt: now,
          updatedAt: now,
        });
        if (published) count++;
      }
      await ctx.db.patch(big, { postCount: count });
    });
    await expectCountsExact(t, siteId);
    expect(await editor.mutation(api.categories.remove, { siteId, categoryId: big })).toEqual({
      postsUpdated: TAXONOMY_BATCH,
      done: false,
    });
    await expectCountsExact(t, siteId);
    await t.finishAllScheduledFunctions(() => {});
    const s = await expectCountsExact(t, siteId);
    expect(s.categories).toEqual([]);
    expect(s.posts.filter((p) => p.categoryId !== undefined)).toEqual([]);
    expect(s.posts).toHaveLength(n);
  });

  test("a category of another site looks exactly like a missing one", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const foreign = await as(t, w.users.outsider).mutation(api.categories.create, { siteId: w.otherSiteId, name: "Foreign" });
    const gone = await editor.mutation(api.categories.create, { siteId, name: "Gone" });
    await editor.mutation(api.categories.remove, { siteId, categoryId: gone });
    for (const call of [
      (categoryId: Id<"categories">) => editor.mutation(api.categories.rename, { siteId, categoryId, name: "X" }),
      (categoryId: Id<"categories">) => editor.mutation(api.categories.remove, { siteId, categoryId }),
      (categoryId: Id<"categories">) => editor.mutation(api.categories.reorder, { siteId, categoryIds: [categoryId] }),
    ]) {
      const foreignError = await errorOf(call(foreign));
      expect(foreignError).toEqual(await errorOf(call(gone)));
      expect(foreignError.code).toBe("NOT_FOUND");
    }
    expect(await errorOf(as(t, w.users.outsider).query(api.categories.list, { siteId }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await as(t, w.users.outsider).query(api.categories.list, { siteId: w.otherSiteId })).map((c) => c.name)).toEqual([
      "Foreign",
    ]);
  });
});
