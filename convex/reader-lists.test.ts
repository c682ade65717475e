// Reader lists as the app asks them, one request per page (issue #18). They answer an exact isDone (model/reader.ts newestFirstPage): the app asks one request
// per list page and offers "Older posts" only when there are older posts (issue #18). Convex's
// paginate (and the local backend's) says "not done" after a full last page; convex-test's reads
// the whole range and already knows, so only the local backend's run fails without the change.
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import { FEATURED_ON_HOME } from "./reader";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

type Page = { page: Array<{ _id: Id<"posts"> }>; isDone: boolean; continueCursor: string };
type List = (paginationOpts: { numItems: number; cursor: string | null }) => Promise<Page>;

describe.each(backends)("reader lists know where they end, on %s", (_name, convexTest) => {
  test("a full last page is done in every newest-first list, also when posts share a publishedAt", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const tagId = await editor.mutation(api.tags.create, { siteId: w.siteId, name: "Budget" });
    const categoryId = await editor.mutation(api.categories.create, { siteId: w.siteId, name: "City" });
    const ids: Id<"posts">[] = [];
    for (let i = 0; i < 4; i++) {
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: `Council ${i}`, doc: doc(`Minutes ${i}.`), categoryId });
      await editor.mutation(api.posts.setTags, { siteId: w.siteId, postId, tagIds: [tagId] });
      await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
      await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
      ids.push(postId);
    }
    const siteSlug = "daily";
    const lists: Record<string, List> = {
      latest: (paginationOpts) => t.query(api.reader.latest, { siteSlug, paginationOpts }),
      featured: (paginationOpts) => t.query(api.reader.featured, { siteSlug, paginationOpts }),
      tag: (paginationOpts) => t.query(api.reader.byTag, { siteSlug, tagSlug: "budget", paginationOpts }),
      category: (paginationOpts) => t.query(api.reader.byCategory, { siteSlug, categorySlug: "city", paginationOpts }),
      author: (paginationOpts) => t.query(api.reader.byAuthor, { siteSlug, authorSlug: "editor", paginationOpts }),
    };

    const expectEnds = async () => {
      for (const [name, list] of Object.entries(lists)) {
        const shape = (p: Page) => ({ list: name, items: p.page.length, isDone: p.isDone });
        // Two full pages: the first is not the end, the second is, without a third request.
        const first = await list({ numItems: 2, cursor: null });
        expect(shape(first)).toEqual({ list: name, items: 2, isDone: false });
        const second = await list({ numItems: 2, cursor: first.continueCursor });
        expect(shape(second)).toEqual({ list: name, items: 2, isDone: true });
        expect([...first.page, ...second.page].map((p) => p._id).sort()).toEqual([...ids].sort());
        // One page holding everything; and a short last page, as before.
        expect(shape(await list({ numItems: 4, cursor: null }))).toEqual({ list: name, items: 4, isDone: true });
        const three = await list({ numItems: 3, cursor: null });
        expect(shape(three)).toEqual({ list: name, items: 3, isDone: false });
        expect(shape(await list({ numItems: 3, cursor: three.continueCursor }))).toEqual({ list: name, items: 1, isDone: true });
      }
    };
    await expectEnds();

    // The same four posts published in one millisecond (an import's dates): the index orders them
    // by _creationTime, and the look past a page's last post must too. Trusted setup keeps the
    // postTags mirror's publishedAt equal to its post's, as the publishing mutations do.
    await t.run(async (ctx) => {
      for (const postId of ids) await ctx.db.patch("posts", postId, { publishedAt: 1_700_000_000_000 });
      for (const row of await ctx.db.query("postTags").collect()) await ctx.db.patch("postTags", row._id, { publishedAt: 1_700_000_000_000 });
    });
    await expectEnds();
  });

  test("the end moves when an older post is published or taken down", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const ids: Id<"posts">[] = [];
    for (let i = 0; i < 3; i++) {
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: `Story ${i}`, doc: doc(`Story ${i}.`) });
      await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
      ids.push(postId);
    }
    const latest = (cursor: string | null) => t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 2, cursor } });
    const first = await latest(null);
    expect(first.isDone).toBe(false);
    // Taking down the oldest post leaves the first page as the whole list.
    await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId: ids[0] });
    expect((await latest(null)).isDone).toBe(true);
    // Publishing it again makes three posts: the first page is no longer the end.
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: ids[0] });
    const again = await latest(null);
    expect(again.isDone).toBe(false);
    const rest = await latest(again.continueCursor);
    expect({ items: rest.page.length, isDone: rest.isDone }).toEqual({ items: 1, isDone: true });
    expect([...again.page, ...rest.page].map((p) => p._id).sort()).toEqual([...ids].sort());
  });

  test("home: the newest featured posts on the first page only, and the latest page, as the two lists give them", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const ids: Id<"posts">[] = [];
    for (let i = 0; i < 6; i++) {
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: `Edition ${i}`, doc: doc(`Edition ${i}.`) });
      await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
      // Every post but the newest is featured; the oldest is taken down: neither may show.
      if (i < 5) await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
      ids.push(postId);
    }
    await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId: ids[0] });
    const siteSlug = "daily";
    for (const client of [t, as(t, w.users.subscriber)]) {
      const first = await client.query(api.reader.home, { siteSlug, paginationOpts: { numItems: 2, cursor: null } });
      const featured = await client.query(api.reader.featured, { siteSlug, paginationOpts: { numItems: FEATURED_ON_HOME, cursor: null } });
      expect(first.featured).toEqual(featured.page);
      expect(first.featured.map((p) => p._id)).toEqual([ids[4], ids[3], ids[2]]);
      expect(first.featured.every((p) => p.doc === null)).toBe(true);
      // The same page as `latest`'s; each cursor is sealed to the query that gave it, so they differ.
      const page = (r: { page: unknown[]; isDone: boolean }) => ({ page: r.page, isDone: r.isDone });
      const latest1 = await client.query(api.reader.latest, { siteSlug, paginationOpts: { numItems: 2, cursor: null } });
      expect(page(first.latest)).toEqual(page(latest1));
      // Older pages carry no featured posts; their latest page is `latest`'s, with its exact end.
      const second = await client.query(api.reader.home, { siteSlug, paginationOpts: { numItems: 2, cursor: first.latest.continueCursor } });
      expect(second.featured).toEqual([]);
      const latest2 = await client.query(api.reader.latest, { siteSlug, paginationOpts: { numItems: 2, cursor: latest1.continueCursor } });
      expect(page(second.latest)).toEqual(page(latest2));
      const third = await client.query(api.reader.home, { siteSlug, paginationOpts: { numItems: 2, cursor: second.latest.continueCursor } });
      expect({ items: third.latest.page.length, isDone: third.latest.isDone }).toEqual({ items: 1, isDone: true });
    }
    expect(await t.query(api.reader.home, { siteSlug: "nowhere", paginationOpts: { numItems: 2, cursor: null } })).toEqual({
      featured: [],
      latest: { page: [], isDone: true, continueCursor: "" },
    });
  });

  test("tag and category pages: the header and a page of posts in one call, as the two queries give them; old slugs redirect, unknown ones are null", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const tagId = await editor.mutation(api.tags.create, { siteId: w.siteId, name: "Transit" });
    const categoryId = await editor.mutation(api.categories.create, { siteId: w.siteId, name: "Metro" });
    for (let i = 0; i < 3; i++) {
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: `Line ${i}`, doc: doc(`Line ${i}.`), categoryId });
      await editor.mutation(api.posts.setTags, { siteId: w.siteId, postId, tagIds: [tagId] });
      await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    }
    const siteSlug = "daily";
    const page = (r: { page: unknown[]; isDone: boolean }) => ({ page: r.page, isDone: r.isDone });
    for (const client of [t, as(t, w.users.subscriber)]) {
      const tag = await client.query(api.reader.tagPage, { siteSlug, slug: "transit", paginationOpts: { numItems: 2, cursor: null } });
      const tagHeader = await client.query(api.reader.tagBySlug, { siteSlug, slug: "transit" });
      const byTag = await client.query(api.reader.byTag, { siteSlug, tagSlug: "transit", paginationOpts: { numItems: 2, cursor: null } });
      if (tag?.kind !== "tag" || tagHeader?.kind !== "tag") throw new Error("not a tag");
      expect(tag.tag).toEqual(tagHeader.tag);
      expect(page(tag.list)).toEqual(page(byTag));
      const rest = await client.query(api.reader.tagPage, { siteSlug, slug: "transit", paginationOpts: { numItems: 2, cursor: tag.list.continueCursor } });
      expect(rest?.kind === "tag" && { items: rest.list.page.length, isDone: rest.list.isDone }).toEqual({ items: 1, isDone: true });

      const category = await client.query(api.reader.categoryPage, { siteSlug, slug: "metro", paginationOpts: { numItems: 5, cursor: null } });
      const categoryHeader = await client.query(api.reader.categoryBySlug, { siteSlug, slug: "metro" });
      const byCategory = await client.query(api.reader.byCategory, { siteSlug, categorySlug: "metro", paginationOpts: { numItems: 5, cursor: null } });
      if (category?.kind !== "category" || categoryHeader?.kind !== "category") throw new Error("not a category");
      expect(category.category).toEqual(categoryHeader.category);
      expect(page(category.list)).toEqual(page(byCategory));
      expect(category.list.page).toHaveLength(3);
    }
    // A renamed tag's old slug redirects (no list); an unknown slug or site is null.
    await editor.mutation(api.tags.rename, { siteId: w.siteId, tagId, name: "Transport" });
    expect(await t.query(api.reader.tagPage, { siteSlug, slug: "transit", paginationOpts: { numItems: 2, cursor: null } })).toEqual({ kind: "redirect", slug: "transport" });
    expect(await t.query(api.reader.tagPage, { siteSlug, slug: "nothing", paginationOpts: { numItems: 2, cursor: null } })).toBeNull();
    expect(await t.query(api.reader.categoryPage, { siteSlug: "nowhere", slug: "metro", paginationOpts: { numItems: 2, cursor: null } })).toBeNull();
  });
});
