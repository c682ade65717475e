import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// Property test: random sequences of post operations (some fired concurrently) must leave every
// denormalized counter exact: tags.usageCount = published posts carrying the tag,
// categories.postCount = published posts in the category, and postTags mirrors each post's tags,
// published flag and date.

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function checkInvariants(t: T, siteId: Id<"sites">) {
  const { posts, tags, categories, postTags } = await t.run(async (ctx) => ({
    posts: await ctx.db.query("posts").collect(),
    tags: await ctx.db.query("tags").collect(),
    categories: await ctx.db.query("categories").collect(),
    postTags: await ctx.db.query("postTags").collect(),
  }));
  const live = posts.filter((p) => p.siteId === siteId && p.status === "published");
  for (const tag of tags) {
    expect(tag.usageCount, `usageCount of ${tag.name}`).toBe(live.filter((p) => p.tagIds.includes(tag._id)).length);
  }
  for (const cat of categories) {
    expect(cat.postCount, `postCount of ${cat.name}`).toBe(live.filter((p) => p.categoryId === cat._id).length);
  }
  const expected = posts
    .flatMap((p) => p.tagIds.map((tagId) => `${p._id}:${tagId}:${p.status === "published"}:${p.publishedAt ?? 0}`))
    .sort();
  const actual = postTags.map((r) => `${r.postId}:${r.tagId}:${r.published}:${r.publishedAt}`).sort();
  expect(actual).toEqual(expected);
}

describe.each(backends)("denormalized counters on %s", (_name, convexTest) => {
  test.each([1, 2, 3])("stay exact under random operation sequences (seed %i)", async (seed) => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t, `prop${seed}`);
    const editor = as(t, w.users.editor);
    const siteId = w.siteId;
    const { tagIds, categoryIds } = await t.run(async (ctx) => {
      const now = Date.now();
      const tagIds = [];
      const categoryIds = [];
      for (let i = 0; i < 5; i++) {
        tagIds.push(await ctx.db.insert("tags", { siteId, name: `Tag ${i}`, slug: `tag-${i}`, usageCount: 0, createdAt: now, updatedAt: now }));
      }
      for (let i = 0; i < 3; i++) {
        categoryIds.push(
          await ctx.db.insert("categories", { siteId, name: `Cat ${i}`, slug: `cat-${i}`, sortOrder: i, postCount: 0, createdAt: now, updatedAt: now }),
        );
      }
      return { tagIds, categoryIds };
    });
    const random = rng(seed);
    const pick = <X,>(xs: X[]) => xs[Math.floor(random() * xs.length)];
    const posts: Id<"posts">[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await editor.mutation(api.posts.create, { siteId, title: `Post ${i}`, doc: doc(`Body ${i}`) });
      posts.push(id);
    }
    const operations = [
      (p: Id<"posts">) => editor.mutation(api.posts.publish, { siteId, postId: p }),
      (p: Id<"posts">) => editor.mutation(api.posts.unpublish, { siteId, postId: p }),
      (p: Id<"posts">) => editor.mutation(api.posts.archive, { siteId, postId: p }),
      (p: Id<"posts">) => editor.mutation(api.posts.restore, { siteId, postId: p }),
      (p: Id<"posts">) =>
        editor.mutation(api.posts.setTags, { siteId, postId: p, tagIds: tagIds.filter(() => random() < 0.4) }),
      (p: Id<"posts">) =>
        editor.mutation(api.posts.setCategory, { siteId, postId: p, categoryId: random() < 0.3 ? null : pick(categoryIds) }),
      async (p: Id<"posts">) => {
        await editor.mutation(api.posts.remove, { siteId, postId: p });
        posts.splice(posts.indexOf(p), 1);
        posts.push(await editor.mutation(api.posts.create, { siteId, title: "Replacement", doc: doc("New") }));
      },
    ];
    for (let round = 0; round < 25; round++) {
      // A few operations at once, on distinct posts, as concurrent clients would send them.
      const targets = [...new Set([pick(posts), pick(posts), pick(posts)])];
      await Promise.all(targets.map((p) => pick(operations)(p).catch((e) => e)));
      if (round % 5 === 4) await checkInvariants(t, siteId);
    }
    await checkInvariants(t, siteId);
    // The operations really exercised the counters: something was published with tags.
    const total = await t.run(async (ctx) => (await ctx.db.query("tags").collect()).reduce((n, tag) => n + tag.usageCount, 0));
    const everPublished = await t.run(async (ctx) => (await ctx.db.query("postRevisions").collect()).filter((r) => r.reason === "publish").length);
    expect(everPublished).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(0);
  });
});
