import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { TAXONOMY_BATCH } from "./model/taxonomy";
import schema from "./schema";

/** Creates and publishes a post as `userId` (status "published" unless `keep` says otherwise). */
async function post(
  t: T,
  w: World,
  input: { title: string; tagIds?: Id<"tags">[]; keep?: "draft" | "archived"; userId?: Id<"users"> },
): Promise<Id<"posts">> {
  const c = as(t, input.userId ?? w.users.editor);
  const postId = await c.mutation(api.posts.create, { siteId: w.siteId, title: input.title, doc: doc(`${input.title} body.`) });
  if (input.tagIds) await c.mutation(api.posts.setTags, { siteId: w.siteId, postId, tagIds: input.tagIds });
  if (input.keep !== "draft") await c.mutation(api.posts.publish, { siteId: w.siteId, postId });
  if (input.keep === "archived") await c.mutation(api.posts.archive, { siteId: w.siteId, postId });
  return postId;
}

/**
 * Recomputes every derived value of the site from the posts themselves and checks the stored ones:
 * tags.usageCount, categories.postCount, and the postTags mirror (one row per post and tag, with
 * the post's published flag and date). Returns the snapshot for further checks.
 */
async function expectDerivedStateExact(t: T, siteId: Id<"sites">) {
  const s = await t.run(async (ctx) => ({
    posts: await ctx.db.query("posts").withIndex("by_siteId_and_updatedAt", (q) => q.eq("siteId", siteId)).collect(),
    tags: await ctx.db.query("tags").withIndex("by_siteId_and_name", (q) => q.eq("siteId", siteId)).collect(),
    categories: await ctx.db.query("categories").withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId)).collect(),
    postTags: await ctx.db.query("postTags").withIndex("by_siteId_and_postId", (q) => q.eq("siteId", siteId)).collect(),
  }));
  const published = s.posts.filter((p) => p.status === "published");
  expect(s.tags.map((tag) => [tag.slug, tag.usageCount])).toEqual(
    s.tags.map((tag) => [tag.slug, published.filter((p) => p.tagIds.includes(tag._id)).length]),
  );
  expect(s.categories.map((c) => [c.slug, c.postCount])).toEqual(
    s.categories.map((c) => [c.slug, published.filter((p) => p.categoryId === c._id).length]),
  );
  const expectedRows = s.posts.flatMap((p) => p.tagIds.map((tagId) => `${p._id}|${tagId}|${p.status === "published"}|${p.publishedAt ?? 0}`));
  const rows = s.postTags.map((r) => `${r.postId}|${r.tagId}|${r.published}|${r.publishedAt}`);
  expect(rows.sort()).toEqual(expectedRows.sort());
  const tagIds = new Set(s.tags.map((tag) => tag._id));
  for (const p of s.posts) {
    expect(new Set(p.tagIds).size).toBe(p.tagIds.length);
    for (const id of p.tagIds) expect(tagIds.has(id)).toBe(true);
  }
  return s;
}

async function tagsOf(t: T, postId: Id<"posts">) {
  return await t.run(async (ctx) => (await ctx.db.get(postId))!.tagIds);
}

async function errorOf(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).not.toBeNull();
  return e.data;
}

describe.each(backends)("tags on %s", (_name, convexTest) => {
  test("authors create tags with slugs from their names; contributors cannot; bad and taken slugs fail on their field", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const siteId = w.siteId;

    const ml = await author.mutation(api.tags.create, { siteId, name: "  Machine   Learning " });
    expect(await errorOf(as(t, w.users.contributor).mutation(api.tags.create, { siteId, name: "Nope" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await errorOf(author.mutation(api.tags.create, { siteId, name: "machine learning!" }))).toMatchObject({
      code: "SLUG_TAKEN",
      field: "name",
    });
    expect(await errorOf(author.mutation(api.tags.create, { siteId, name: "ML", slug: "machine-learning" }))).toMatchObject({
      code: "SLUG_TAKEN",
      field: "slug",
    });
    expect(await errorOf(author.mutation(api.tags.create, { siteId, name: "ML", slug: "Not A Slug" }))).toMatchObject({
      code: "INVALID_SLUG",
      field: "slug",
    });
    expect(await errorOf(author.mutation(api.tags.create, { siteId, name: "日本" }))).toMatchObject({
      code: "INVALID_SLUG",
      field: "slug",
    });
    expect(await errorOf(author.mutation(api.tags.create, { siteId, name: "   " }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "name",
    });
    await author.mutation(api.tags.create, { siteId, name: "日本", slug: "japan" });
    await author.mutation(api.tags.create, { siteId, name: "Café Culture", description: "Coffee." });

    // Any member lists the tags, by name, page by page.
    const contributor = as(t, w.users.contributor);
    const first = await contributor.query(api.tags.list, { siteId, paginationOpts: { numItems: 2, cursor: null } });
    const second = await contributor.query(api.tags.list, { siteId, paginationOpts: { numItems: 2, cursor: first.continueCursor } });
    const all = [...first.page, ...second.page];
    expect(all.map((tag) => [tag.name, tag.slug, tag.usageCount])).toEqual([
      ["Café Culture", "cafe-culture", 0],
      ["Machine Learning", "machine-learning", 0],
      ["日本", "japan", 0],
    ]);
    expect(all.find((tag) => tag._id === ml)).toBeTruthy();
    expect(all[0].description).toBe("Coffee.");

    const audits = await t.run(async (ctx) =>
      ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect(),
    );
    expect(audits.filter((a) => a.action === "tag.create")).toHaveLength(3);
    expect(audits.find((a) => a.entityId === ml)?.actorId).toBe(w.users.author);
  });

  test("editors rename tags: the slug follows the name unless given, old slugs redirect; authors may not rename", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const tagId = await as(t, w.users.author).mutation(api.tags.create, { siteId, name: "JS" });
    const p = await post(t, w, { title: "Closures", tagIds: [tagId] });

    expect(await errorOf(as(t, w.users.author).mutation(api.tags.rename, { siteId, tagId, name: "JavaScript" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    await editor.mutation(api.tags.rename, { siteId, tagId, name: "JavaScript" });
    const header = await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "javascript" });
    expect(header).toMatchObject({ kind: "tag", tag: { _id: tagId, name: "JavaScript", slug: "javascript", postCount: 1 } });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "js" })).toEqual({ kind: "redirect", slug: "javascript" });

    // An explicit slug wins; every old slug now leads to the newest one.
    await editor.mutation(api.tags.rename, { siteId, tagId, name: "JavaScript", slug: "ecmascript" });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "js" })).toEqual({ kind: "redirect", slug: "ecmascript" });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "javascript" })).toEqual({
      kind: "redirect",
      slug: "ecmascript",
    });
    // Keeping the name keeps a hand-picked slug; a description change alone is fine.
    await editor.mutation(api.tags.rename, { siteId, tagId, name: "JavaScript", description: "The language of the web." });
    const list = await editor.query(api.tags.list, { siteId, paginationOpts: { numItems: 10, cursor: null } });
    expect(list.page).toMatchObject([{ _id: tagId, slug: "ecmascript", description: "The language of the web.", usageCount: 1 }]);

    // Taken slugs fail; the reader's tag page still lists the post under the new slug.
    const other = await editor.mutation(api.tags.create, { siteId, name: "TypeScript" });
    expect(await errorOf(editor.mutation(api.tags.rename, { siteId, tagId: other, name: "Ecmascript" }))).toMatchObject({
      code: "SLUG_TAKEN",
      field: "name",
    });
    const page = await t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "ecmascript", paginationOpts: { numItems: 10, cursor: null } });
    expect(page.page.map((r) => r._id)).toEqual([p]);

    // A new tag may take an old slug: the live tag wins over the redirect.
    const js = await editor.mutation(api.tags.create, { siteId, name: "JS" });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "js" })).toMatchObject({ kind: "tag", tag: { _id: js } });

    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((a) => a.action === "tag.rename")).toHaveLength(3);
    await expectDerivedStateExact(t, siteId);
  });

  test("merge moves every post to the target once, keeps counts exact and redirects the source", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const a = await editor.mutation(api.tags.create, { siteId, name: "Ecma" });
    await editor.mutation(api.tags.rename, { siteId, tagId: a, name: "JS" }); // "ecma" now redirects to A
    const b = await editor.mutation(api.tags.create, { siteId, name: "JavaScript" });
    const c = await editor.mutation(api.tags.create, { siteId, name: "Web" });

    const p1 = await post(t, w, { title: "One", tagIds: [a] });
    const p2 = await post(t, w, { title: "Two", tagIds: [a, c, b] });
    const p3 = await post(t, w, { title: "Three", tagIds: [c, a], keep: "draft" });
    const p4 = await post(t, w, { title: "Four", tagIds: [b, c] });
    const p5 = await post(t, w, { title: "Five", tagIds: [a], keep: "archived" });
    const p6 = await post(t, w, { title: "Six", tagIds: [c] });
    await expectDerivedStateExact(t, siteId);

    expect(await errorOf(editor.mutation(api.tags.merge, { siteId, sourceId: a, targetId: a }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await errorOf(as(t, w.users.author).mutation(api.tags.merge, { siteId, sourceId: a, targetId: b }))).toMatchObject({
      code: "FORBIDDEN",
    });

    expect(await editor.mutation(api.tags.merge, { siteId, sourceId: a, targetId: b })).toEqual({ postsUpdated: 4, done: true });

    expect(await tagsOf(t, p1)).toEqual([b]);
    expect(await tagsOf(t, p2)).toEqual([b, c]); // A became B, and B is not there twice
    expect(await tagsOf(t, p3)).toEqual([c, b]);
    expect(await tagsOf(t, p4)).toEqual([b, c]);
    expect(await tagsOf(t, p5)).toEqual([b]);
    expect(await tagsOf(t, p6)).toEqual([c]);
    const s = await expectDerivedStateExact(t, siteId);
    expect(s.tags.map((tag) => tag._id).sort()).toEqual([b, c].sort());
    // Published posts carrying A or B before the merge: p1, p2, p4.
    expect(s.tags.find((tag) => tag._id === b)!.usageCount).toBe(3);

    // A's slug and the slugs that redirected to A now lead to B.
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "js" })).toEqual({ kind: "redirect", slug: "javascript" });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "ecma" })).toEqual({ kind: "redirect", slug: "javascript" });
    const page = await t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "javascript", paginationOpts: { numItems: 10, cursor: null } });
    expect(page.page.map((r) => r._id).sort()).toEqual([p1, p2, p4].sort());

    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((x) => x.action === "tag.merge").map((x) => x.entityId)).toEqual([a]);
  });

  test("remove takes the tag off every post, keeps counts exact and drops redirects to it", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const a = await editor.mutation(api.tags.create, { siteId, name: "Old name" });
    await editor.mutation(api.tags.rename, { siteId, tagId: a, name: "Doomed" });
    const b = await editor.mutation(api.tags.create, { siteId, name: "Kept" });
    const p1 = await post(t, w, { title: "One", tagIds: [a, b] });
    const p2 = await post(t, w, { title: "Two", tagIds: [a], keep: "draft" });
    const p3 = await post(t, w, { title: "Three", tagIds: [b] });

    expect(await errorOf(as(t, w.users.author).mutation(api.tags.remove, { siteId, tagId: a }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await editor.mutation(api.tags.remove, { siteId, tagId: a })).toEqual({ postsUpdated: 2, done: true });

    expect(await tagsOf(t, p1)).toEqual([b]);
    expect(await tagsOf(t, p2)).toEqual([]);
    expect(await tagsOf(t, p3)).toEqual([b]);
    const s = await expectDerivedStateExact(t, siteId);
    expect(s.tags.map((tag) => [tag.slug, tag.usageCount])).toEqual([["kept", 2]]);
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "doomed" })).toBeNull();
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "old-name" })).toBeNull();
    const redirects = await t.run(async (ctx) =>
      ctx.db.query("slugRedirects").withIndex("by_siteId_and_targetId", (q) => q.eq("siteId", siteId).eq("targetId", a)).collect(),
    );
    expect(redirects).toEqual([]);
    const audits = await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
    expect(audits.filter((x) => x.action === "tag.delete").map((x) => x.entityId)).toEqual([a]);
  });

  test("merging and removing a tag on more posts than one transaction handles finishes in scheduled batches", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const a = await editor.mutation(api.tags.create, { siteId, name: "Big" });
    const b = await editor.mutation(api.tags.create, { siteId, name: "Bigger" });
    const n = 2 * TAXONOMY_BATCH + 37;
    // Inserted directly (one transaction) in the shape the post mutations leave: counters and the
    // postTags mirror consistent with the posts.
    await t.run(async (ctx) => {
      const now = Date.now();
      const counts = new Map<Id<"tags">, number>();
      for (let i = 0; i < n; i++) {
        const published = i % 3 !== 0;
        const tagIds = i % 4 === 0 ? [b, a] : [a];
        const publishedAt = published ? now - i * 1000 : undefined;
        const postId = await ctx.db.insert("posts", {
          siteId,
          authorId: w.users.editor,
          authorName: "Editor",
          title: `Post ${i}`,
          slug: `post-${i}`,
          status: published ? "published" : "draft",
          featured: false,
          tagIds,
          publishedAt,
          createdAt: now,
          updatedAt: now,
        });
        for (const tagId of tagIds) {
          await ctx.db.insert("postTags", { siteId, postId, tagId, published, publishedAt: publishedAt ?? 0 });
          if (published) counts.set(tagId, (counts.get(tagId) ?? 0) + 1);
        }
      }
      for (const [tagId, usageCount] of counts) await ctx.db.patch(tagId, { usageCount });
    });
    await expectDerivedStateExact(t, siteId);

    expect(await editor.mutation(api.tags.merge, { siteId, sourceId: a, targetId: b })).toEqual({
      postsUpdated: TAXONOMY_BATCH,
      done: false,
    });
    // Between batches the counters are already exact (each batch is its own transaction).
    await expectDerivedStateExact(t, siteId);
    await t.finishAllScheduledFunctions(() => {});
    const merged = await expectDerivedStateExact(t, siteId);
    expect(merged.tags.map((tag) => tag._id)).toEqual([b]);
    expect(merged.tags[0].usageCount).toBe(merged.posts.filter((p) => p.status === "published").length);
    expect(merged.posts.every((p) => p.tagIds.length === 1 && p.tagIds[0] === b)).toBe(true);
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "big" })).toEqual({ kind: "redirect", slug: "bigger" });

    expect(await editor.mutation(api.tags.remove, { siteId, tagId: b })).toEqual({ postsUpdated: TAXONOMY_BATCH, done: false });
    await t.finishAllScheduledFunctions(() => {});
    const removed = await expectDerivedStateExact(t, siteId);
    expect(removed.tags).toEqual([]);
    expect(removed.postTags).toEqual([]);
    expect(removed.posts.every((p) => p.tagIds.length === 0)).toBe(true);
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "big" })).toBeNull();
  });

  test("a tag of another site looks exactly like a missing one", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const siteId = w.siteId;
    const editor = as(t, w.users.editor);
    const outsider = as(t, w.users.outsider);
    const foreign = await outsider.mutation(api.tags.create, { siteId: w.otherSiteId, name: "Foreign" });
    const mine = await editor.mutation(api.tags.create, { siteId, name: "Mine" });
    const gone = await editor.mutation(api.tags.create, { siteId, name: "Gone" });
    await editor.mutation(api.tags.remove, { siteId, tagId: gone });

    for (const [what, call] of [
      ["rename", (tagId: Id<"tags">) => editor.mutation(api.tags.rename, { siteId, tagId, name: "X" })],
      ["remove", (tagId: Id<"tags">) => editor.mutation(api.tags.remove, { siteId, tagId })],
      ["merge from", (tagId: Id<"tags">) => editor.mutation(api.tags.merge, { siteId, sourceId: tagId, targetId: mine })],
      ["merge into", (tagId: Id<"tags">) => editor.mutation(api.tags.merge, { siteId, sourceId: mine, targetId: tagId })],
    ] as const) {
      const foreignError = await errorOf(call(foreign));
      const missingError = await errorOf(call(gone));
      expect([what, foreignError]).toEqual([what, missingError]);
      expect(foreignError.code).toBe("NOT_FOUND");
    }
    // A post of this site cannot carry the other site's tag either.
    const p = await post(t, w, { title: "P", keep: "draft" });
    expect(await errorOf(editor.mutation(api.posts.setTags, { siteId, postId: p, tagIds: [foreign] }))).toMatchObject({
      code: "NOT_FOUND",
    });
    // Non-members cannot list or write the site's tags at all.
    expect(await errorOf(outsider.query(api.tags.list, { siteId, paginationOpts: { numItems: 10, cursor: null } }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await errorOf(as(t, w.users.reader).mutation(api.tags.create, { siteId, name: "Spam" }))).toMatchObject({
      code: "NOT_FOUND",
    });
    // Nothing changed on either side.
    const other = await outsider.query(api.tags.list, { siteId: w.otherSiteId, paginationOpts: { numItems: 10, cursor: null } });
    expect(other.page.map((tag) => tag.name)).toEqual(["Foreign"]);
    await expectDerivedStateExact(t, siteId);
  });
});
