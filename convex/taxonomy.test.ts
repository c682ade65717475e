// Over 400 lines: one suite for tags and categories (describe.each), on both backends.
import type { FunctionReturnType } from "convex/server";
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { storedPostCount } from "./model/publication";
import { TAXONOMY_BATCH, type TaxonomyKind } from "./model/taxonomy";
import schema from "./schema";

// Tags and categories (convex/tags.ts, convex/categories.ts over model/taxonomy.ts): one suite run
// for each kind where they behave alike, then what only one kind has (tag merges, category order).

type Client = ReturnType<typeof as>;
type TermId = Id<"tags"> & Id<"categories">; // either kind's id, accepted by the adapter below
type Input = { name: string; slug?: string; description?: string };

/** The two kinds' public functions behind one shape, so each shared test is written once. */
const KINDS = {
  tag: {
    /** The lowest role that creates one, and the members roles below it. */
    creator: "author",
    cannotCreate: ["contributor"],
    multi: true,
    create: (c: Client, siteId: Id<"sites">, input: Input) => c.mutation(api.tags.create, { siteId, ...input }) as Promise<TermId>,
    rename: (c: Client, siteId: Id<"sites">, id: TermId, input: Input) => c.mutation(api.tags.rename, { siteId, tagId: id, ...input }),
    remove: (c: Client, siteId: Id<"sites">, id: TermId) => c.mutation(api.tags.remove, { siteId, tagId: id }),
    /** Every row, page by page (two per page, so paging is exercised). */
    list: async (c: Client, siteId: Id<"sites">) => {
      const rows: Array<FunctionReturnType<typeof api.tags.list>["page"][number]> = [];
      let cursor: string | null = null;
      for (;;) {
        const r: { page: typeof rows; isDone: boolean; continueCursor: string } = await c.query(api.tags.list, {
          siteId,
          paginationOpts: { numItems: 2, cursor },
        });
        rows.push(...r.page);
        if (r.isDone) return rows;
        cursor = r.continueCursor;
      }
    },
    /** The studio's order: by name. */
    ordered: <R extends { name: string }>(rows: R[]) => [...rows].sort((a, b) => (a.name < b.name ? -1 : 1)),
    bySlug: (t: T, slug: string) => t.query(api.reader.tagBySlug, { siteSlug: "daily", slug }),
    page: (t: T, slug: string) => t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: slug, paginationOpts: { numItems: 50, cursor: null } }),
    carry: (ids: TermId[]) => ({ tagIds: ids }),
  },
  category: {
    creator: "editor",
    cannotCreate: ["author", "contributor"],
    multi: false,
    create: (c: Client, siteId: Id<"sites">, input: Input) => c.mutation(api.categories.create, { siteId, ...input }) as Promise<TermId>,
    rename: (c: Client, siteId: Id<"sites">, id: TermId, input: Input) =>
      c.mutation(api.categories.rename, { siteId, categoryId: id, ...input }),
    remove: (c: Client, siteId: Id<"sites">, id: TermId) => c.mutation(api.categories.remove, { siteId, categoryId: id }),
    list: (c: Client, siteId: Id<"sites">) => c.query(api.categories.list, { siteId }),
    /** The studio's order: creation order (sortOrder). */
    ordered: <R extends { name: string }>(rows: R[]) => rows,
    bySlug: (t: T, slug: string) => t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug }),
    page: (t: T, slug: string) =>
      t.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: slug, paginationOpts: { numItems: 50, cursor: null } }),
    carry: (ids: TermId[]) => ({ categoryId: ids[0] }),
  },
} as const;

/** Creates a post (with tags and/or a category) and publishes it unless `keep` says otherwise. */
async function post(
  t: T,
  w: World,
  input: { title: string; tagIds?: Id<"tags">[]; categoryId?: Id<"categories">; keep?: "draft" | "archived" },
): Promise<Id<"posts">> {
  const c = as(t, w.users.editor);
  const postId = await c.mutation(api.posts.create, {
    siteId: w.siteId,
    title: input.title,
    doc: doc(`${input.title} body.`),
    categoryId: input.categoryId,
  });
  if (input.tagIds) await c.mutation(api.posts.setTags, { siteId: w.siteId, postId, tagIds: input.tagIds });
  if (input.keep !== "draft") await c.mutation(api.posts.publish, { siteId: w.siteId, postId });
  if (input.keep === "archived") await c.mutation(api.posts.archive, { siteId: w.siteId, postId });
  return postId;
}

/**
 * Recomputes every derived value of the site from the posts themselves and checks the stored ones:
 * both kinds' postCount, and the postTags mirror (one row per post and tag, with the post's
 * published flag and date); every tag and category a post carries exists. Returns the snapshot.
 */
async function expectDerivedStateExact(t: T, siteId: Id<"sites">) {
  const s = await t.run(async (ctx) => ({
    posts: await ctx.db.query("posts").withIndex("by_siteId_and_updatedAt", (q) => q.eq("siteId", siteId)).collect(),
    tags: await ctx.db.query("tags").withIndex("by_siteId_and_name", (q) => q.eq("siteId", siteId)).collect(),
    categories: await ctx.db.query("categories").withIndex("by_siteId_and_sortOrder", (q) => q.eq("siteId", siteId)).collect(),
    postTags: await ctx.db.query("postTags").withIndex("by_siteId_and_postId", (q) => q.eq("siteId", siteId)).collect(),
  }));
  const published = s.posts.filter((p) => p.status === "published");
  expect(s.tags.map((tag) => [tag.slug, storedPostCount(tag)])).toEqual(
    s.tags.map((tag) => [tag.slug, published.filter((p) => p.tagIds.includes(tag._id)).length]),
  );
  expect(s.categories.map((c) => [c.slug, c.postCount])).toEqual(
    s.categories.map((c) => [c.slug, published.filter((p) => p.categoryId === c._id).length]),
  );
  const expectedRows = s.posts.flatMap((p) => p.tagIds.map((tagId) => `${p._id}|${tagId}|${p.status === "published"}|${p.publishedAt ?? 0}`));
  const rows = s.postTags.map((r) => `${r.postId}|${r.tagId}|${r.published}|${r.publishedAt}`);
  expect(rows.sort()).toEqual(expectedRows.sort());
  const tagIds = new Set(s.tags.map((tag) => tag._id));
  const categoryIds = new Set(s.categories.map((c) => c._id));
  for (const p of s.posts) {
    expect(new Set(p.tagIds).size).toBe(p.tagIds.length);
    for (const id of p.tagIds) expect(tagIds.has(id)).toBe(true);
    if (p.categoryId) expect(categoryIds.has(p.categoryId)).toBe(true);
  }
  return { ...s, terms: { tag: s.tags, category: s.categories } };
}

/** The tags or the category (as a list) a post carries. */
async function termsOf(t: T, kind: TaxonomyKind, postId: Id<"posts">): Promise<string[]> {
  const p = (await t.run(async (ctx) => ctx.db.get("posts", postId)))!;
  return kind === "tag" ? p.tagIds : p.categoryId ? [p.categoryId] : [];
}

async function audits(t: T, siteId: Id<"sites">) {
  return await t.run(async (ctx) => ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", siteId)).collect());
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

describe.each(backends)("taxonomy on %s", (_name, convexTest) => {
  describe.each(["tag", "category"] as const)("%s", (kind) => {
    const k = KINDS[kind];

    test("create: slugs from names, the lowest creating role and above only, bad and taken slugs fail on their field; any member lists them with post counts", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const creator = as(t, w.users[k.creator]);

      const ml = await k.create(creator, siteId, { name: "  Machine   Learning " });
      const sport = await k.create(as(t, w.users.admin), siteId, { name: "Sport" });
      for (const role of k.cannotCreate) {
        expect(await errorOf(k.create(as(t, w.users[role]), siteId, { name: "Nope" }))).toMatchObject({ code: "FORBIDDEN" });
      }
      expect(await errorOf(k.create(as(t, w.users.reader), siteId, { name: "Nope" }))).toMatchObject({ code: "NOT_FOUND" });
      expect(await errorOf(k.create(creator, siteId, { name: "machine learning!" }))).toMatchObject({ code: "SLUG_TAKEN", field: "name" });
      expect(await errorOf(k.create(creator, siteId, { name: "ML", slug: "machine-learning" }))).toMatchObject({
        code: "SLUG_TAKEN",
        field: "slug",
      });
      for (const slug of ["Not A Slug", "-w-"]) {
        expect(await errorOf(k.create(creator, siteId, { name: "ML", slug }))).toMatchObject({ code: "INVALID_SLUG", field: "slug" });
      }
      expect(await errorOf(k.create(creator, siteId, { name: "日本" }))).toMatchObject({ code: "INVALID_SLUG", field: "slug" });
      expect(await errorOf(k.create(creator, siteId, { name: "   " }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
      const japan = await k.create(creator, siteId, { name: "日本", slug: "japan" });
      const cafe = await k.create(creator, siteId, { name: "Café Culture", description: "Coffee." });

      await post(t, w, { title: "Abroad 1", ...k.carry([ml]) });
      await post(t, w, { title: "Abroad 2", ...k.carry([ml]) });
      await post(t, w, { title: "Abroad draft", ...k.carry([ml]), keep: "draft" });
      await post(t, w, { title: "Match", ...k.carry([sport]), keep: "archived" });

      // Any member lists them (tags by name, page by page; categories in their order).
      const list = await k.list(as(t, w.users.contributor), siteId);
      expect(list.map((r) => [r.name, r.slug, r.postCount, r.description])).toEqual(
        k.ordered([
          { name: "Machine Learning", row: ["Machine Learning", "machine-learning", 2, null] },
          { name: "Sport", row: ["Sport", "sport", 0, null] },
          { name: "日本", row: ["日本", "japan", 0, null] },
          { name: "Café Culture", row: ["Café Culture", "cafe-culture", 0, "Coffee."] },
        ]).map((x) => x.row),
      );
      if (kind === "category") expect(list.map((r) => ("sortOrder" in r ? r.sortOrder : null))).toEqual([0, 1, 2, 3]);
      // tags.list keeps the counter's old name for studio pages loaded before the rename.
      if (kind === "tag") for (const r of list) expect(r).toMatchObject({ usageCount: r.postCount });
      await expectDerivedStateExact(t, siteId);

      const created = (await audits(t, siteId)).filter((a) => a.action === `${kind}.create`);
      expect(created.map((a) => a.entityId)).toEqual([ml, sport, japan, cafe]);
      expect(created[0].actorId).toBe(w.users[k.creator]);
    });

    test("editors rename: the slug follows the name unless given, old slugs redirect; authors may not rename", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const id = await k.create(as(t, w.users[k.creator]), siteId, { name: "JS" });
      const p = await post(t, w, { title: "Closures", ...k.carry([id]) });

      expect(await errorOf(k.rename(as(t, w.users.author), siteId, id, { name: "JavaScript" }))).toMatchObject({ code: "FORBIDDEN" });
      await k.rename(editor, siteId, id, { name: "JavaScript" });
      expect(await k.bySlug(t, "javascript")).toMatchObject({
        kind,
        [kind]: { _id: id, name: "JavaScript", slug: "javascript", postCount: 1 },
      });
      expect(await k.bySlug(t, "js")).toEqual({ kind: "redirect", slug: "javascript" });

      // An explicit slug wins; every old slug now leads to the newest one.
      await k.rename(editor, siteId, id, { name: "JavaScript", slug: "ecmascript" });
      expect(await k.bySlug(t, "js")).toEqual({ kind: "redirect", slug: "ecmascript" });
      expect(await k.bySlug(t, "javascript")).toEqual({ kind: "redirect", slug: "ecmascript" });
      // Keeping the name keeps a hand-picked slug; a description change alone is fine.
      await k.rename(editor, siteId, id, { name: "JavaScript", description: "The language of the web." });
      expect(await k.list(editor, siteId)).toMatchObject([
        { _id: id, slug: "ecmascript", description: "The language of the web.", postCount: 1 },
      ]);

      // Taken slugs fail; the reader's page still lists the post under the new slug.
      const other = await k.create(editor, siteId, { name: "TypeScript" });
      expect(await errorOf(k.rename(editor, siteId, other, { name: "Ecmascript" }))).toMatchObject({ code: "SLUG_TAKEN", field: "name" });
      const page = await k.page(t, "ecmascript");
      expect(page.page.map((r) => r._id)).toEqual([p]);
      if (kind === "category") expect(page.page.map((r) => r.category?.slug)).toEqual(["ecmascript"]);
      // An old slug lists nothing (the page redirects first).
      expect(await k.page(t, "javascript")).toMatchObject({ page: [], isDone: true });

      // A new one may take an old slug: the live one wins over the redirect.
      const js = await k.create(editor, siteId, { name: "JS" });
      expect(await k.bySlug(t, "js")).toMatchObject({ kind, [kind]: { _id: js } });

      expect((await audits(t, siteId)).filter((a) => a.action === `${kind}.rename`)).toHaveLength(3);
      await expectDerivedStateExact(t, siteId);
    });

    test("remove takes it off every post, keeps counts exact and drops redirects to it", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const a = await k.create(editor, siteId, { name: "Old name" });
      await k.rename(editor, siteId, a, { name: "Doomed" });
      const b = await k.create(editor, siteId, { name: "Kept" });
      const p1 = await post(t, w, { title: "One", ...k.carry(k.multi ? [a, b] : [a]) });
      const p2 = await post(t, w, { title: "Two", ...k.carry([a]), keep: "draft" });
      const p3 = await post(t, w, { title: "Three", ...k.carry([b]) });

      expect(await errorOf(k.remove(as(t, w.users.author), siteId, a))).toMatchObject({ code: "FORBIDDEN" });
      expect(await k.remove(editor, siteId, a)).toEqual({ postsUpdated: 2, done: true });

      expect(await termsOf(t, kind, p1)).toEqual(k.multi ? [b] : []);
      expect(await termsOf(t, kind, p2)).toEqual([]);
      expect(await termsOf(t, kind, p3)).toEqual([b]);
      const s = await expectDerivedStateExact(t, siteId);
      expect(s.terms[kind].map((x) => [x.slug, storedPostCount(x)])).toEqual([["kept", k.multi ? 2 : 1]]);
      expect(await k.bySlug(t, "doomed")).toBeNull();
      expect(await k.bySlug(t, "old-name")).toBeNull();
      const redirects = await t.run(async (ctx) =>
        ctx.db.query("slugRedirects").withIndex("by_siteId_and_targetId", (q) => q.eq("siteId", siteId).eq("targetId", a)).collect(),
      );
      expect(redirects).toEqual([]);
      const reader = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "one" });
      if (kind === "category") expect(reader).toMatchObject({ kind: "post", post: { category: null } });
      else expect(reader?.kind === "post" && reader.post.tags.map((x) => x._id)).toEqual([b]);
      expect((await audits(t, siteId)).filter((x) => x.action === `${kind}.delete`).map((x) => x.entityId)).toEqual([a]);
    });

    test("removing one on more posts than one transaction handles finishes in scheduled batches", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const big = await k.create(editor, siteId, { name: "Big" });
      const n = 2 * TAXONOMY_BATCH + 11;
      // Inserted directly (one transaction) in the shape the post mutations leave: counters and the
      // postTags mirror consistent with the posts.
      await t.run(async (ctx) => {
        const now = Date.now();
        let count = 0;
        for (let i = 0; i < n; i++) {
          const published = i % 2 === 0;
          const publishedAt = published ? now - i : undefined;
          const postId = await ctx.db.insert("posts", {
            siteId,
            authorId: w.users.editor,
            authorName: "Editor",
            title: `Post ${i}`,
            slug: `post-${i}`,
            status: published ? "published" : "draft",
            featured: false,
            tagIds: [],
            ...k.carry([big]),
            publishedAt,
            createdAt: now,
            updatedAt: now,
          });
          if (kind === "tag") await ctx.db.insert("postTags", { siteId, postId, tagId: big, published, publishedAt: publishedAt ?? 0 });
          if (published) count++;
        }
        await ctx.db.patch(kind === "tag" ? "tags" : "categories", big, { postCount: count });
      });
      await expectDerivedStateExact(t, siteId);
      expect(await k.remove(editor, siteId, big)).toEqual({ postsUpdated: TAXONOMY_BATCH, done: false });
      // Between batches the counters are already exact (each batch is its own transaction).
      await expectDerivedStateExact(t, siteId);
      await t.finishAllScheduledFunctions(() => {});
      const s = await expectDerivedStateExact(t, siteId);
      expect(s.terms[kind]).toEqual([]);
      expect(s.postTags).toEqual([]);
      expect(s.posts.filter((p) => p.categoryId !== undefined || p.tagIds.length > 0)).toEqual([]);
      expect(s.posts).toHaveLength(n);
      expect(await k.bySlug(t, "big")).toBeNull();
    });

    test("one of another site looks exactly like a missing one", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const outsider = as(t, w.users.outsider);
      const foreign = await k.create(outsider, w.otherSiteId, { name: "Foreign" });
      const mine = await k.create(editor, siteId, { name: "Mine" });
      const gone = await k.create(editor, siteId, { name: "Gone" });
      await k.remove(editor, siteId, gone);

      const calls: Array<[string, (id: TermId) => Promise<unknown>]> = [
        ["rename", (id) => k.rename(editor, siteId, id, { name: "X" })],
        ["remove", (id) => k.remove(editor, siteId, id)],
      ];
      if (kind === "tag") {
        calls.push(["merge from", (id) => editor.mutation(api.tags.merge, { siteId, sourceId: id, targetId: mine })]);
        calls.push(["merge into", (id) => editor.mutation(api.tags.merge, { siteId, sourceId: mine, targetId: id })]);
      } else {
        calls.push(["reorder", (id) => editor.mutation(api.categories.reorder, { siteId, categoryIds: [id] })]);
      }
      for (const [what, call] of calls) {
        const foreignError = await errorOf(call(foreign));
        const missingError = await errorOf(call(gone));
        expect([what, foreignError]).toEqual([what, missingError]);
        expect(foreignError.code).toBe("NOT_FOUND");
      }
      if (kind === "tag") {
        // A post of this site cannot carry the other site's tag either.
        const p = await post(t, w, { title: "P", keep: "draft" });
        expect(await errorOf(editor.mutation(api.posts.setTags, { siteId, postId: p, tagIds: [foreign] }))).toMatchObject({
          code: "NOT_FOUND",
        });
      }
      // Non-members cannot list or write the site's terms at all.
      expect(await errorOf(k.list(outsider, siteId))).toMatchObject({ code: "NOT_FOUND" });
      expect(await errorOf(k.create(as(t, w.users.reader), siteId, { name: "Spam" }))).toMatchObject({ code: "NOT_FOUND" });
      // Nothing changed on either side.
      expect((await k.list(outsider, w.otherSiteId)).map((x) => x.name)).toEqual(["Foreign"]);
      await expectDerivedStateExact(t, siteId);
    });
  });

  describe("tags only", () => {
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

      expect(await termsOf(t, "tag", p1)).toEqual([b]);
      expect(await termsOf(t, "tag", p2)).toEqual([b, c]); // A became B, and B is not there twice
      expect(await termsOf(t, "tag", p3)).toEqual([c, b]);
      expect(await termsOf(t, "tag", p4)).toEqual([b, c]);
      expect(await termsOf(t, "tag", p5)).toEqual([b]);
      expect(await termsOf(t, "tag", p6)).toEqual([c]);
      const s = await expectDerivedStateExact(t, siteId);
      expect(s.tags.map((tag) => tag._id).sort()).toEqual([b, c].sort());
      // Published posts carrying A or B before the merge: p1, p2, p4.
      expect(storedPostCount(s.tags.find((tag) => tag._id === b)!)).toBe(3);

      // A's slug and the slugs that redirected to A now lead to B.
      expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "js" })).toEqual({ kind: "redirect", slug: "javascript" });
      expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "ecma" })).toEqual({ kind: "redirect", slug: "javascript" });
      const page = await t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "javascript", paginationOpts: firstPage });
      expect(page.page.map((r) => r._id).sort()).toEqual([p1, p2, p4].sort());

      expect((await audits(t, siteId)).filter((x) => x.action === "tag.merge").map((x) => x.entityId)).toEqual([a]);
    });

    test("merging and removing a tag on more posts than one transaction handles finishes in scheduled batches", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const a = await editor.mutation(api.tags.create, { siteId, name: "Big" });
      const b = await editor.mutation(api.tags.create, { siteId, name: "Bigger" });
      const n = 2 * TAXONOMY_BATCH + 37;
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
        for (const [tagId, postCount] of counts) await ctx.db.patch("tags", tagId, { postCount });
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
      expect(storedPostCount(merged.tags[0])).toBe(merged.posts.filter((p) => p.status === "published").length);
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

    test("tags written before the counter rename: readers take usageCount, the next count change and the migration move it to postCount", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const [legacy, idle] = await t.run(async (ctx) => {
        const now = Date.now();
        const old = { siteId, description: undefined, createdAt: now, updatedAt: now };
        return [
          await ctx.db.insert("tags", { ...old, name: "Legacy", slug: "legacy", usageCount: 0 }),
          await ctx.db.insert("tags", { ...old, name: "Idle", slug: "idle", usageCount: 7 }),
        ];
      });
      // Readers see the old field's value.
      expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "idle" })).toMatchObject({ tag: { postCount: 7 } });
      expect((await KINDS.tag.list(editor, siteId)).map((r) => [r.slug, r.postCount])).toEqual([
        ["idle", 7],
        ["legacy", 0],
      ]);
      // A count change writes the new name and drops the old one.
      await post(t, w, { title: "One", tagIds: [legacy] });
      const written = (await t.run(async (ctx) => ctx.db.get("tags", legacy)))!;
      expect([written.postCount, written.usageCount]).toEqual([1, undefined]);
      // The migration moves the rest, once.
      expect(await t.mutation(internal.migrations.renameTagCounters, {})).toMatchObject({ changed: 1, next: null });
      const moved = (await t.run(async (ctx) => ctx.db.get("tags", idle)))!;
      expect([moved.postCount, moved.usageCount]).toEqual([7, undefined]);
      expect(await t.mutation(internal.migrations.renameTagCounters, {})).toMatchObject({ changed: 0 });
      expect(await t.mutation(internal.migrations.runAll, {})).toContain("renameTagCounters");
    });
  });

  describe("categories only", () => {
    test("postCount stays exact as posts move between categories and in and out of publication", async () => {
      const t = convexTest(schema, modules);
      const w = await createWorld(t);
      const siteId = w.siteId;
      const editor = as(t, w.users.editor);
      const a = await editor.mutation(api.categories.create, { siteId, name: "A" });
      const b = await editor.mutation(api.categories.create, { siteId, name: "B" });
      const p1 = await post(t, w, { title: "One", categoryId: a });
      const p2 = await post(t, w, { title: "Two", categoryId: a, keep: "draft" });
      await expectDerivedStateExact(t, siteId);
      await editor.mutation(api.posts.setCategory, { siteId, postId: p1, categoryId: b });
      await expectDerivedStateExact(t, siteId);
      await editor.mutation(api.posts.publish, { siteId, postId: p2 });
      await editor.mutation(api.posts.unpublish, { siteId, postId: p1 });
      await editor.mutation(api.posts.setCategory, { siteId, postId: p2, categoryId: null });
      const s = await expectDerivedStateExact(t, siteId);
      expect(s.categories.map((c) => c.postCount)).toEqual([0, 0]);
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
      expect((await audits(t, siteId)).filter((a) => a.action === "category.reorder")).toHaveLength(2);
    });
  });
});
