// Over 400 lines: one suite per module, on both backends; the cases are independent.
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { autoExcerpt, publicExcerpt } from "./model/content";
import { bodyContentKey } from "./shared/bodyKey";
import { docToSafeHtml, PAGE_HTML_VERSION } from "../app/editor/render";
import { MAX_READER_PAGE } from "./model/reader";
import { MAX_BODY_KEYS } from "./reader";
import { VIEW_TOKEN_TTL_MS } from "./model/views";
import schema from "./schema";

interface PostInput {
  title: string;
  body?: string;
  tagIds?: Id<"tags">[];
  categoryId?: Id<"categories">;
  userId?: Id<"users">;
  siteId?: Id<"sites">;
}

/** Creates a post as `userId` (the editor by default) and publishes it. */
async function publishPost(t: T, w: World, input: PostInput): Promise<Id<"posts">> {
  const postId = await draftPost(t, w, input);
  await as(t, input.userId ?? w.users.editor).mutation(api.posts.publish, { siteId: input.siteId ?? w.siteId, postId });
  return postId;
}

async function draftPost(t: T, w: World, input: PostInput): Promise<Id<"posts">> {
  const c = as(t, input.userId ?? w.users.editor);
  const siteId = input.siteId ?? w.siteId;
  const postId = await c.mutation(api.posts.create, {
    siteId,
    title: input.title,
    doc: doc(input.body ?? `${input.title} body.`),
    categoryId: input.categoryId,
  });
  if (input.tagIds) await c.mutation(api.posts.setTags, { siteId, postId, tagIds: input.tagIds });
  return postId;
}

type Client = Pick<T, "query">;

/** Every page of a reader list, `size` at a time. */
async function allPages(
  fetch: (paginationOpts: { numItems: number; cursor: string | null }) => Promise<{ page: any[]; isDone: boolean; continueCursor: string }>,
  size = 2,
) {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const r = await fetch({ numItems: size, cursor });
    items.push(...r.page);
    if (r.isDone) return items;
    cursor = r.continueCursor;
  }
  throw new Error("pagination did not finish");
}

async function errorOf(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).not.toBeNull();
  return e.data;
}

const firstPage = { numItems: 20, cursor: null };

/** A published post and, alongside it, posts readers must never see: draft, scheduled, archived. */
async function mixedSite(t: T, w: World) {
  const published: Id<"posts">[] = [];
  for (let i = 1; i <= 7; i++) published.push(await publishPost(t, w, { title: `Published ${i}` }));
  const editor = as(t, w.users.editor);
  const draft = await draftPost(t, w, { title: "Draft only" });
  const scheduled = await draftPost(t, w, { title: "Scheduled later" });
  await editor.mutation(api.posts.schedule, { siteId: w.siteId, postId: scheduled, scheduledAt: Date.now() + 3_600_000 });
  const archived = await publishPost(t, w, { title: "Archived one" });
  await editor.mutation(api.posts.archive, { siteId: w.siteId, postId: archived });
  const unpublished = await publishPost(t, w, { title: "Taken down" });
  await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId: unpublished });
  // A post of the other site.
  await publishPost(t, w, { title: "Elsewhere", userId: w.users.outsider, siteId: w.otherSiteId });
  return { published, hidden: [draft, scheduled, archived, unpublished] };
}

/** Sets a post's publishedAt directly (trusted setup), to lay posts out on the timeline. */
async function setPublishedAt(t: T, postId: Id<"posts">, publishedAt: number) {
  await t.run(async (ctx) => ctx.db.patch("posts", postId, { publishedAt }));
}

/** The ids of a site's reader.adjacent answer for a post (null when the query answers null). */
async function neighbours(client: Client, siteSlug: string, postId: Id<"posts">) {
  const r = await client.query(api.reader.adjacent, { siteSlug, postId });
  return r && { previous: r.previous?._id ?? null, next: r.next?._id ?? null };
}

const DAY = 86_400_000;
/** A first paragraph longer than the automatic excerpt, so words after it appear only in bodies. */
const PREVIEW =
  "An opening paragraph long enough to fill the automatic excerpt on its own, so that nothing written after it can appear in a card. It runs on past two hundred and twenty characters of plain text, just to be quite sure of that.";

/** Slugs for the body-key queries: a free post, a paid (featured) one, none, a draft, and another site's post. */
async function bodyKeysWorld(t: T) {
  const w = await createWorld(t);
  const editor = as(t, w.users.editor);
  const free = await publishPost(t, w, { title: "Free words", body: `${PREVIEW} Free body.` });
  const paid = await publishPost(t, w, { title: "Paid words", body: `${PREVIEW} Paid body.` });
  await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: paid, featured: true });
  const draft = await draftPost(t, w, { title: "Draft words" });
  const elsewhere = await publishPost(t, w, { title: "Elsewhere words", userId: w.users.outsider, siteId: w.otherSiteId });
  const slugOf = async (id: Id<"posts">) => (await t.run(async (ctx) => ctx.db.get("posts", id)))!.slug;
  return { w, slugs: [await slugOf(free), await slugOf(paid), "no-such-post", await slugOf(draft), await slugOf(elsewhere)] };
}

describe.each(backends)("reader on %s", (_name, convexTest) => {
  test("latest lists each published post exactly once across pages, newest first, without bodies", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const { published, hidden } = await mixedSite(t, w);

    for (const client of [t, as(t, w.users.owner), as(t, w.users.subscriber)] as Client[]) {
      const items = await allPages((paginationOpts) => client.query(api.reader.latest, { siteSlug: "daily", paginationOpts }));
      const ids = items.map((p) => p._id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual([...published].sort());
      for (const id of hidden) expect(ids).not.toContain(id);
      const dates = items.map((p) => p.publishedAt);
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
      expect(items.every((p) => p.doc === null && p.siteId === w.siteId)).toBe(true);
    }
    // Pages are capped, whatever the client asks for.
    const big = await t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 10_000, cursor: null } });
    expect(big.page.length).toBeLessThanOrEqual(MAX_READER_PAGE);
    // An unknown site is an empty, finished page.
    expect(await t.query(api.reader.latest, { siteSlug: "nowhere", paginationOpts: firstPage })).toMatchObject({
      page: [],
      isDone: true,
    });
  });

  test("a featured post's body is locked for anonymous and plain readers and open to subscribers and members", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const body = "Members-only analysis.";
    const postId = await publishPost(t, w, { title: "Deep dive", body });
    const free = await publishPost(t, w, { title: "Free read", body: "Everyone reads this." });
    await as(t, w.users.editor).mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });

    const locked: Client[] = [t, as(t, w.users.reader), as(t, w.users.outsider)];
    const open: Client[] = [as(t, w.users.subscriber), as(t, w.users.owner), as(t, w.users.author), as(t, w.users.contributor)];
    for (const client of locked) {
      const r = await client.query(api.reader.postBySlug, { siteSlug: "daily", slug: "deep-dive" });
      expect(r).toMatchObject({ kind: "post", post: { _id: postId, locked: true, doc: null, featured: true, title: "Deep dive" } });
      const withTags = await client.query(api.reader.getPostWithTags, { siteSlug: "daily", slug: "deep-dive" });
      expect(withTags).toMatchObject({ locked: true, doc: null });
      const f = await client.query(api.reader.postBySlug, { siteSlug: "daily", slug: "free-read" });
      expect(f).toMatchObject({ kind: "post", post: { _id: free, locked: false, doc: doc("Everyone reads this.") } });
    }
    for (const client of open) {
      const r = await client.query(api.reader.postBySlug, { siteSlug: "daily", slug: "deep-dive" });
      expect(r).toMatchObject({ kind: "post", post: { locked: false, doc: doc(body) } });
    }
    // The featured list shows the card to everyone, locked for those without access, body never.
    const anon = await t.query(api.reader.featured, { siteSlug: "daily", paginationOpts: firstPage });
    expect(anon.page.map((p) => [p._id, p.locked, p.doc])).toEqual([[postId, true, null]]);
    const sub = await as(t, w.users.subscriber).query(api.reader.featured, { siteSlug: "daily", paginationOpts: firstPage });
    expect(sub.page.map((p) => [p._id, p.locked, p.doc])).toEqual([[postId, false, null]]);
  });

  test("postBySlug shows the live version, follows old slugs to the current one, and hides unpublished posts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const tag = await editor.mutation(api.tags.create, { siteId: w.siteId, name: "Politics" });
    const postId = await publishPost(t, w, { title: "First title", body: "Live words.", tagIds: [tag] });

    // Unpublished changes stay in the studio.
    const { draft } = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    await editor.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId,
      expectedVersion: draft.version,
      title: "Unreleased title",
      doc: doc("Unreleased words."),
    });
    const live = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "first-title" });
    expect(live).toMatchObject({ kind: "post", post: { title: "First title", doc: doc("Live words."), tags: [{ _id: tag, slug: "politics" }] } });

    await editor.mutation(api.posts.changeSlug, { siteId: w.siteId, postId, slug: "second" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "first-title" })).toEqual({ kind: "redirect", slug: "second" });
    await editor.mutation(api.posts.changeSlug, { siteId: w.siteId, postId, slug: "third" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "first-title" })).toEqual({ kind: "redirect", slug: "third" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "second" })).toEqual({ kind: "redirect", slug: "third" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "third" })).toMatchObject({ kind: "post", post: { _id: postId } });
    // The seed's read resolves old slugs to the post itself, with its tags.
    const withTags = await t.query(api.reader.getPostWithTags, { siteSlug: "daily", slug: "first-title" });
    expect(withTags).toMatchObject({ _id: postId, slug: "third", tags: [{ name: "Politics" }] });

    // A draft with an old slug does not hide the redirect; drafts themselves are not found.
    const squatter = await draftPost(t, w, { title: "Squatter" });
    await editor.mutation(api.posts.changeSlug, { siteId: w.siteId, postId: squatter, slug: "first-title" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "first-title" })).toEqual({ kind: "redirect", slug: "third" });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "squatter" })).toBeNull();

    // Taken offline: neither the slug nor its redirects lead anywhere.
    await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "third" })).toBeNull();
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "second" })).toBeNull();
    expect(await t.query(api.reader.getPostWithTags, { siteSlug: "daily", slug: "third" })).toBeNull();
    // Slugs of another site, and unknown sites, are not found.
    await publishPost(t, w, { title: "Foreign", userId: w.users.outsider, siteId: w.otherSiteId });
    expect(await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "foreign" })).toBeNull();
    expect(await t.query(api.reader.postBySlug, { siteSlug: "nowhere", slug: "third" })).toBeNull();
  });

  test("tag, category and author pages list only their published posts, with headers", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const siteId = w.siteId;
    const red = await editor.mutation(api.tags.create, { siteId, name: "Red", description: "All things red." });
    const blue = await editor.mutation(api.tags.create, { siteId, name: "Blue" });
    const cat = await editor.mutation(api.categories.create, { siteId, name: "Colours" });
    const p1 = await publishPost(t, w, { title: "Red one", tagIds: [red], categoryId: cat, userId: w.users.author });
    const p2 = await publishPost(t, w, { title: "Red blue", tagIds: [red, blue] });
    const p3 = await publishPost(t, w, { title: "Red three", tagIds: [red], categoryId: cat, userId: w.users.author });
    await draftPost(t, w, { title: "Red draft", tagIds: [red], categoryId: cat, userId: w.users.author });
    const gone = await publishPost(t, w, { title: "Red archived", tagIds: [red], categoryId: cat });
    await editor.mutation(api.posts.archive, { siteId, postId: gone });

    const ids = async (items: Promise<any[]>) => (await items).map((p) => p._id).sort();
    expect(
      await ids(allPages((paginationOpts) => t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "red", paginationOpts }))),
    ).toEqual([p1, p2, p3].sort());
    expect(
      await ids(allPages((paginationOpts) => t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "blue", paginationOpts }))),
    ).toEqual([p2]);
    expect(
      await ids(allPages((paginationOpts) => t.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: "colours", paginationOpts }))),
    ).toEqual([p1, p3].sort());
    expect(
      await ids(allPages((paginationOpts) => t.query(api.reader.byAuthor, { siteSlug: "daily", authorSlug: "author", paginationOpts }))),
    ).toEqual([p1, p3].sort());
    for (const q of [
      t.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "green", paginationOpts: firstPage }),
      t.query(api.reader.byCategory, { siteSlug: "daily", categorySlug: "shapes", paginationOpts: firstPage }),
      t.query(api.reader.byAuthor, { siteSlug: "daily", authorSlug: "nobody", paginationOpts: firstPage }),
      t.query(api.reader.byTag, { siteSlug: "nowhere", tagSlug: "red", paginationOpts: firstPage }),
    ]) {
      expect(await q).toMatchObject({ page: [], isDone: true });
    }

    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "red" })).toEqual({
      kind: "tag",
      tag: { _id: red, name: "Red", slug: "red", description: "All things red.", postCount: 3 },
    });
    expect(await t.query(api.reader.categoryBySlug, { siteSlug: "daily", slug: "colours" })).toEqual({
      kind: "category",
      category: { _id: cat, name: "Colours", slug: "colours", description: null, postCount: 2 },
    });
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "nowhere", slug: "red" })).toBeNull();
    expect(await t.query(api.reader.tagBySlug, { siteSlug: "daily", slug: "green" })).toBeNull();

    const author = await t.query(api.reader.authorBySlug, { siteSlug: "daily", slug: "author" });
    expect(author).toEqual({
      authorId: w.users.author,
      slug: "author",
      name: "Author daily",
      image: null,
      bio: null,
      website: null,
    });
    expect(JSON.stringify(author)).not.toContain("@");
    // Members who never published have no public page.
    expect(await t.query(api.reader.authorBySlug, { siteSlug: "daily", slug: "contributor" })).toBeNull();
    expect(await t.query(api.reader.authorBySlug, { siteSlug: "daily", slug: "outsider" })).toBeNull();
  });

  test("search finds published posts by title and body words, never drafts or unpublished changes", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const garden = await publishPost(t, w, { title: "Gardening basics", body: "Tomatoes need full sun and patience." });
    const soup = await publishPost(t, w, { title: "Soup season", body: "Roast the tomatoes first." });
    await draftPost(t, w, { title: "Secret tomatoes", body: "Tomatoes in a draft, plus kohlrabi." });
    const changed = await publishPost(t, w, { title: "Harvest notes", body: "Beans everywhere." });
    const { draft } = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId: changed });
    await editor.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId: changed,
      expectedVersion: draft.version,
      doc: doc("Beans and zucchini."),
    });
    const offline = await publishPost(t, w, { title: "Old tomatoes", body: "Withdrawn tomatoes." });
    await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId: offline });
    const premium = await publishPost(t, w, { title: "Premium tomatoes", body: "Paid tomatoes." });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: premium, featured: true });
    await publishPost(t, w, { title: "Foreign tomatoes", body: "Tomatoes abroad.", userId: w.users.outsider, siteId: w.otherSiteId });

    const search = (query: string) =>
      allPages((paginationOpts) => t.query(api.reader.search, { siteSlug: "daily", query, paginationOpts }));
    const found = await search("tomatoes");
    expect(found.map((p) => p._id).sort()).toEqual([garden, soup, premium].sort());
    expect(found.every((p) => p.doc === null)).toBe(true);
    expect(found.find((p) => p._id === premium)).toMatchObject({ locked: true });
    expect((await search("gardening")).map((p) => p._id)).toEqual([garden]);
    expect((await search("GARDENING, basics!")).map((p) => p._id)).toEqual([garden]);
    expect((await search("beans")).map((p) => p._id)).toEqual([changed]);
    expect(await search("zucchini")).toEqual([]);
    expect(await search("kohlrabi")).toEqual([]);
    expect(await search("withdrawn")).toEqual([]);
    for (const query of ["", "   ", "?!…", "--"]) {
      expect(await t.query(api.reader.search, { siteSlug: "daily", query, paginationOpts: firstPage })).toMatchObject({
        page: [],
        isDone: true,
      });
    }
    expect(await t.query(api.reader.search, { siteSlug: "nowhere", query: "tomatoes", paginationOpts: firstPage })).toMatchObject({
      page: [],
      isDone: true,
    });
  });

  test("adjacent: the older and newer published posts for the middle, first and last post, skipping posts readers cannot see", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const t0 = Date.now() - 30 * DAY;
    const [p1, p2, p3, p4] = [
      await publishPost(t, w, { title: "One", body: `${PREVIEW} Body words one.` }),
      await publishPost(t, w, { title: "Two", body: `${PREVIEW} Body words two.` }),
      await publishPost(t, w, { title: "Three", body: `${PREVIEW} Body words three.` }),
      await publishPost(t, w, { title: "Four", body: `${PREVIEW} Body words four.` }),
    ];
    for (const [i, id] of [p1, p2, p3, p4].entries()) await setPublishedAt(t, id, t0 + (i + 1) * DAY);
    // Posts readers must not see, each dated between two live ones so a wrong index would pick it.
    const scheduled = await draftPost(t, w, { title: "Scheduled" });
    await editor.mutation(api.posts.schedule, { siteId: w.siteId, postId: scheduled, scheduledAt: Date.now() + 3_600_000 });
    await setPublishedAt(t, scheduled, t0 + 1.5 * DAY);
    const archived = await publishPost(t, w, { title: "Archived" });
    await editor.mutation(api.posts.archive, { siteId: w.siteId, postId: archived });
    await setPublishedAt(t, archived, t0 + 2.5 * DAY);
    const unpublished = await publishPost(t, w, { title: "Unpublished" });
    await editor.mutation(api.posts.unpublish, { siteId: w.siteId, postId: unpublished });
    await setPublishedAt(t, unpublished, t0 + 3.5 * DAY);
    const draft = await draftPost(t, w, { title: "Draft" });
    await setPublishedAt(t, draft, t0 + 3.6 * DAY);
    const foreign = await publishPost(t, w, { title: "Foreign", userId: w.users.outsider, siteId: w.otherSiteId });
    await setPublishedAt(t, foreign, t0 + 2.2 * DAY);

    for (const client of [t, as(t, w.users.reader), as(t, w.users.owner)] as Client[]) {
      expect(await neighbours(client, "daily", p1)).toEqual({ previous: null, next: p2 });
      expect(await neighbours(client, "daily", p2)).toEqual({ previous: p1, next: p3 });
      expect(await neighbours(client, "daily", p3)).toEqual({ previous: p2, next: p4 });
      expect(await neighbours(client, "daily", p4)).toEqual({ previous: p3, next: null });
    }
    // Cards: public fields of this site's posts, never a body or a view count.
    const middle = (await t.query(api.reader.adjacent, { siteSlug: "daily", postId: p2 }))!;
    expect(middle.previous).toMatchObject({ _id: p1, siteId: w.siteId, slug: "one", title: "One", locked: false, doc: null });
    expect(middle.next).toMatchObject({ _id: p3, title: "Three", doc: null });
    expect(JSON.stringify(middle)).not.toContain("Body words");
    // Posts that are not live have no neighbours to show; unknown sites neither.
    for (const postId of [scheduled, archived, unpublished, draft]) {
      expect(await t.query(api.reader.adjacent, { siteSlug: "daily", postId })).toBeNull();
      expect(await as(t, w.users.owner).query(api.reader.adjacent, { siteSlug: "daily", postId })).toBeNull();
    }
    expect(await t.query(api.reader.adjacent, { siteSlug: "nowhere", postId: p2 })).toBeNull();
    // A single live post has no neighbours (an answer, not null).
    expect(await neighbours(t, "daily-other", foreign)).toEqual({ previous: null, next: null });
  });

  test("cross-tenant read: adjacent answers null for another site's post and never returns another site's posts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const t0 = Date.now() - 30 * DAY;
    const ours = [await publishPost(t, w, { title: "Ours one" }), await publishPost(t, w, { title: "Ours two" })];
    const theirs: Id<"posts">[] = [];
    for (const title of ["Theirs one", "Theirs two", "Theirs three"]) {
      theirs.push(await publishPost(t, w, { title, userId: w.users.outsider, siteId: w.otherSiteId }));
    }
    // Interleaved on the timeline: a query that forgot the site would mix them.
    for (const [i, id] of [theirs[0], ours[0], theirs[1], ours[1], theirs[2]].entries()) await setPublishedAt(t, id, t0 + i * DAY);

    for (const client of [t, as(t, w.users.owner), as(t, w.users.outsider), as(t, w.users.subscriber)] as Client[]) {
      // Another site's post id, asked through this site: nothing, not its neighbours.
      for (const postId of theirs) expect(await client.query(api.reader.adjacent, { siteSlug: "daily", postId })).toBeNull();
      for (const postId of ours) expect(await client.query(api.reader.adjacent, { siteSlug: "daily-other", postId })).toBeNull();
      // Each site's own chain holds only its own posts.
      expect(await neighbours(client, "daily", ours[0])).toEqual({ previous: null, next: ours[1] });
      expect(await neighbours(client, "daily", ours[1])).toEqual({ previous: ours[0], next: null });
      expect(await neighbours(client, "daily-other", theirs[1])).toEqual({ previous: theirs[0], next: theirs[2] });
    }
  });

  test("adjacent: a featured neighbour is a card, locked for anonymous and plain readers, never with a body", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const t0 = Date.now() - 30 * DAY;
    const older = await publishPost(t, w, { title: "Older free", body: `${PREVIEW} Free words older.` });
    const premium = await publishPost(t, w, { title: "Premium middle", body: `${PREVIEW} Paid words premium.` });
    const newer = await publishPost(t, w, { title: "Newer free", body: `${PREVIEW} Free words newer.` });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: premium, featured: true });
    for (const [i, id] of [older, premium, newer].entries()) await setPublishedAt(t, id, t0 + i * DAY);

    for (const client of [t, as(t, w.users.reader), as(t, w.users.outsider)] as Client[]) {
      const fromOlder = (await client.query(api.reader.adjacent, { siteSlug: "daily", postId: older }))!;
      expect(fromOlder.next).toMatchObject({ _id: premium, title: "Premium middle", featured: true, locked: true, doc: null });
      const fromNewer = (await client.query(api.reader.adjacent, { siteSlug: "daily", postId: newer }))!;
      expect(fromNewer.previous).toMatchObject({ _id: premium, featured: true, locked: true, doc: null });
      // The locked post's own page still links its (free) neighbours, as cards.
      const fromPremium = (await client.query(api.reader.adjacent, { siteSlug: "daily", postId: premium }))!;
      expect(fromPremium).toMatchObject({ previous: { _id: older, doc: null }, next: { _id: newer, doc: null } });
      expect(JSON.stringify([fromOlder, fromNewer, fromPremium])).not.toMatch(/Paid words|Free words/);
    }
    // Entitled viewers see it unlocked, and still as a card: bodies belong to the post's own page.
    for (const client of [as(t, w.users.subscriber), as(t, w.users.owner)] as Client[]) {
      const fromOlder = (await client.query(api.reader.adjacent, { siteSlug: "daily", postId: older }))!;
      expect(fromOlder.next).toMatchObject({ _id: premium, featured: true, locked: false, doc: null });
      expect(JSON.stringify(fromOlder)).not.toContain("Paid words");
    }
  });

  test("postPage is postBySlug, the related posts of its first tag and links to adjacent in one call, for every reader; its cards never carry a body", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const red = await editor.mutation(api.tags.create, { siteId: w.siteId, name: "Red" });
    const t0 = Date.now() - 30 * DAY;
    const ids: Id<"posts">[] = [];
    for (let i = 0; i < 6; i++) ids.push(await publishPost(t, w, { title: `Red ${i}`, body: `${PREVIEW} Body words ${i}.`, tagIds: [red] }));
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: ids[2], featured: true });
    for (const [i, id] of ids.entries()) await setPublishedAt(t, id, t0 + i * DAY);
    const slugOf = async (id: Id<"posts">) => (await t.run(async (ctx) => ctx.db.get("posts", id)))!.slug;
    for (const client of [t, as(t, w.users.reader), as(t, w.users.subscriber), as(t, w.users.owner)] as Client[]) {
      for (const id of [ids[2], ids[3], ids[5]]) {
        const slug = await slugOf(id);
        const page = await client.query(api.reader.postPage, { siteSlug: "daily", slug });
        const single = await client.query(api.reader.postBySlug, { siteSlug: "daily", slug });
        const tagged = await client.query(api.reader.byTag, { siteSlug: "daily", tagSlug: "red", paginationOpts: { numItems: 4, cursor: null } });
        const adjacent = await client.query(api.reader.adjacent, { siteSlug: "daily", postId: id });
        const doc = single?.kind === "post" ? single.post.doc : null;
        const bodyKey = doc !== null ? await bodyContentKey(doc) : null;
        // The post as postBySlug gives it, but its body is named by its key, never carried.
        if (single?.kind !== "post") throw new Error("not a post");
        // Previous/next as the page shows them: the neighbour's title at its address, nothing more.
        const link = (p: { slug: string; title: string } | null) => p && { slug: p.slug, title: p.title };
        const links = adjacent && { previous: link(adjacent.previous), next: link(adjacent.next) };
        expect(page).toEqual({ ...single, post: { ...single.post, doc: null }, bodyKey, related: tagged.page.filter((p) => p._id !== id).slice(0, 3), adjacent: links });
        expect(await client.query(api.reader.postBody, { siteSlug: "daily", slug })).toEqual(doc === null ? null : { bodyKey, html: docToSafeHtml(doc, "page") });
        if (page?.kind !== "post") throw new Error("not a post");
        expect(page.related).toHaveLength(3);
        expect(page.related.every((p) => p.doc === null)).toBe(true);
      }
    }
    expect(await t.query(api.reader.postPage, { siteSlug: "daily", slug: "no-such-post" })).toBeNull();
    expect(await t.query(api.reader.postPage, { siteSlug: "nowhere", slug: await slugOf(ids[0]) })).toBeNull();
  });

  test("postPage names the body by its content key only for a viewer it entitles; postBody gives that body; an edit changes the key", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    const id = await publishPost(t, w, { title: "Shared body", body: `${PREVIEW} Paid words here.` });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId: id, featured: true });
    const slug = (await t.run(async (ctx) => ctx.db.get("posts", id)))!.slug;
    const subscriber = as(t, w.users.subscriber);
    const page = await subscriber.query(api.reader.postPage, { siteSlug: "daily", slug });
    const body = await subscriber.query(api.reader.postBody, { siteSlug: "daily", slug });
    if (page?.kind !== "post" || body === null) throw new Error("the subscriber should get the body");
    expect(page.post).toMatchObject({ locked: false, doc: null });
    expect(body.html).toContain("Paid words here");
    expect(page.bodyKey).toBe(body.bodyKey);
    const stored = await t.run(async (ctx) => ctx.db.query("postBodies").withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", w.siteId).eq("postId", id).eq("kind", "published")).unique());
    expect(body.bodyKey).toBe(await bodyContentKey(stored!.doc));
    // Rendered once, when published (issue #18): the stored HTML is the reader renderer's page target.
    expect(stored).toMatchObject({ html: docToSafeHtml(stored!.doc, "page"), htmlVersion: PAGE_HTML_VERSION });
    expect(body.html).toBe(stored!.html);
    // An edit changes the key, so an app holding the old version asks for the new body.
    const { draft } = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId: id });
    await editor.mutation(api.posts.saveDraft, { siteId: w.siteId, postId: id, expectedVersion: draft.version, doc: doc(`${PREVIEW} Edited paid words.`) });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: id });
    const edited = await subscriber.query(api.reader.postPage, { siteSlug: "daily", slug });
    if (edited?.kind !== "post") throw new Error("not a post");
    expect(edited.bodyKey).not.toBe(page.bodyKey);
    const editedBody = await subscriber.query(api.reader.postBody, { siteSlug: "daily", slug });
    expect(editedBody?.html).toContain("Edited paid words");
    expect(editedBody?.html).not.toContain("Paid words here");
    // A body published before HTML was stored, or by another renderer version, renders when read.
    await t.run(async (ctx) => {
      const live = await ctx.db.query("postBodies").withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", w.siteId).eq("postId", id).eq("kind", "published")).unique();
      await ctx.db.patch("postBodies", live!._id, { html: "<p>stale</p>", htmlVersion: PAGE_HTML_VERSION - 1 });
    });
    expect(await subscriber.query(api.reader.postBody, { siteSlug: "daily", slug })).toEqual(editedBody);
    // The key publishing stored with the post names the body without reading it; a key of another
    // renderer version, or none (published before keys were stored), is computed from the body.
    const postRow = () => t.run(async (ctx) => ctx.db.get("posts", id));
    expect(await postRow()).toMatchObject({ bodyKey: editedBody?.bodyKey, bodyKeyVersion: PAGE_HTML_VERSION });
    for (const stale of [{ bodyKey: "stale", bodyKeyVersion: PAGE_HTML_VERSION - 1 }, { bodyKey: undefined, bodyKeyVersion: undefined }]) {
      await t.run(async (ctx) => ctx.db.patch("posts", id, stale));
      expect(await subscriber.query(api.reader.postPage, { siteSlug: "daily", slug })).toMatchObject({ bodyKey: editedBody?.bodyKey });
      expect(await subscriber.query(api.reader.bodyKeys, { siteSlug: "daily", slugs: [slug] })).toEqual([{ slug, bodyKey: editedBody?.bodyKey }]);
    }
    // migrations:storePageHtml stores this version's HTML and key again (and has nothing to do after).
    const live = () => t.run(async (ctx) => ctx.db.query("postBodies").withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", w.siteId).eq("postId", id).eq("kind", "published")).unique());
    await t.mutation(internal.migrations.storePageHtml, {});
    expect(await live()).toMatchObject({ html: editedBody?.html, htmlVersion: PAGE_HTML_VERSION });
    expect(await postRow()).toMatchObject({ bodyKey: editedBody?.bodyKey, bodyKeyVersion: PAGE_HTML_VERSION });
    expect(await t.mutation(internal.migrations.storePageHtml, {})).toMatchObject({ changed: 0 });
    // Paywall leak through the body's own query: readers Convex does not entitle get neither key nor body.
    for (const client of [t, as(t, w.users.reader)] as Client[]) {
      expect(await client.query(api.reader.postPage, { siteSlug: "daily", slug })).toMatchObject({ kind: "post", post: { locked: true, doc: null }, bodyKey: null });
      expect(await client.query(api.reader.postBody, { siteSlug: "daily", slug })).toBeNull();
    }
    expect(await t.query(api.reader.postBody, { siteSlug: "daily", slug: "no-such-post" })).toBeNull();
  });

  test("bodyKeys (feeds): postPage's key for each post in one call; paywall leak, cross-tenant read and hidden posts get null; at most MAX_BODY_KEYS", async () => {
    const t = convexTest(schema, modules);
    const { w, slugs } = await bodyKeysWorld(t);
    for (const client of [t, as(t, w.users.reader), as(t, w.users.subscriber), as(t, w.users.owner)] as Client[]) {
      const keys = await client.query(api.reader.bodyKeys, { siteSlug: "daily", slugs });
      const expected = [];
      for (const slug of slugs) {
        const page = await client.query(api.reader.postPage, { siteSlug: "daily", slug });
        expected.push({ slug, bodyKey: page?.kind === "post" ? page.bodyKey : null });
      }
      expect(keys).toEqual(expected);
      expect(keys[0]!.bodyKey).toMatch(/^[0-9a-f]{64}$/);
      expect(keys.slice(2).map((k) => k.bodyKey)).toEqual([null, null, null]);
    }
    // Paywall leak: only entitled readers get the paid body's key.
    expect((await t.query(api.reader.bodyKeys, { siteSlug: "daily", slugs: [slugs[1]!] }))[0]!.bodyKey).toBeNull();
    expect((await as(t, w.users.reader).query(api.reader.bodyKeys, { siteSlug: "daily", slugs: [slugs[1]!] }))[0]!.bodyKey).toBeNull();
    expect((await as(t, w.users.subscriber).query(api.reader.bodyKeys, { siteSlug: "daily", slugs: [slugs[1]!] }))[0]!.bodyKey).not.toBeNull();
    // Cross-tenant read: the other site's own slug answers there, never under this site.
    expect((await t.query(api.reader.bodyKeys, { siteSlug: "daily-other", slugs: [slugs[4]!] }))[0]!.bodyKey).not.toBeNull();
    expect(await t.query(api.reader.bodyKeys, { siteSlug: "nowhere", slugs: [slugs[0]!] })).toEqual([{ slug: slugs[0], bodyKey: null }]);
    const tooMany = Array.from({ length: MAX_BODY_KEYS + 1 }, (_, i) => `post-${i}`);
    expect(await errorOf(t.query(api.reader.bodyKeys, { siteSlug: "daily", slugs: tooMany }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "slugs" });
    expect(await t.query(api.reader.bodyKeys, { siteSlug: "daily", slugs: tooMany.slice(1) })).toHaveLength(MAX_BODY_KEYS);
  });

  test("viewerPage: exactly audience:myStanding and bodyKeys in one answer, for every kind of viewer; paywall leak and cross-tenant read as bodyKeys", async () => {
    const t = convexTest(schema, modules);
    const { w, slugs } = await bodyKeysWorld(t);
    const standings = new Set<string>();
    for (const client of [t, as(t, w.users.reader), as(t, w.users.subscriber), as(t, w.users.outsider), as(t, w.users.owner)] as Client[]) {
      const both = await client.query(api.reader.viewerPage, { siteSlug: "daily", slugs });
      expect(both.bodyKeys).toEqual(await client.query(api.reader.bodyKeys, { siteSlug: "daily", slugs }));
      expect(both.standing).toEqual(await client.query(api.audience.myStanding, { siteId: w.siteId }));
      standings.add(JSON.stringify(both.standing));
    }
    // Not vacuous: signed out, a free reader, a subscriber and a stranger to the site stand apart.
    expect(standings.size).toBeGreaterThanOrEqual(4);
    // Paywall leak: the paid key only for the entitled; cross-tenant read: the other site's post is not this site's.
    expect((await t.query(api.reader.viewerPage, { siteSlug: "daily", slugs })).bodyKeys.map((k) => k.bodyKey === null)).toEqual([false, true, true, true, true]);
    expect((await as(t, w.users.subscriber).query(api.reader.viewerPage, { siteSlug: "daily", slugs })).bodyKeys[1]!.bodyKey).toMatch(/^[0-9a-f]{64}$/);
    // An unknown site: no standing, no keys.
    expect(await as(t, w.users.subscriber).query(api.reader.viewerPage, { siteSlug: "nowhere", slugs: [slugs[0]!] })).toEqual({ standing: null, bodyKeys: [{ slug: slugs[0], bodyKey: null }] });
    const tooMany = Array.from({ length: MAX_BODY_KEYS + 1 }, (_, i) => `post-${i}`);
    expect(await errorOf(t.query(api.reader.viewerPage, { siteSlug: "daily", slugs: tooMany }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "slugs" });
  });

  test("adjacent: posts with equal publishedAt are ordered as latest lists them, each visited once", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const t0 = Date.now() - 30 * DAY;
    const ids: Id<"posts">[] = [];
    for (let i = 1; i <= 6; i++) ids.push(await publishPost(t, w, { title: `Tied ${i}` }));
    // One older post, four published in the same millisecond, one newer.
    await setPublishedAt(t, ids[0], t0);
    for (const id of ids.slice(1, 5)) await setPublishedAt(t, id, t0 + DAY);
    await setPublishedAt(t, ids[5], t0 + 2 * DAY);

    const latest = (await allPages((paginationOpts) => t.query(api.reader.latest, { siteSlug: "daily", paginationOpts }))).map((p) => p._id);
    expect([...latest].sort()).toEqual([...ids].sort());
    // Following "next" from the oldest visits the list oldest first; "previous" from the newest, newest first.
    const forward: Id<"posts">[] = [latest[latest.length - 1]];
    for (let n = await neighbours(t, "daily", forward[0]); n?.next; n = await neighbours(t, "daily", n.next)) {
      forward.push(n.next);
      expect(forward.length).toBeLessThanOrEqual(ids.length);
    }
    expect(forward).toEqual([...latest].reverse());
    const backward: Id<"posts">[] = [latest[0]];
    for (let n = await neighbours(t, "daily", backward[0]); n?.previous; n = await neighbours(t, "daily", n.previous)) {
      backward.push(n.previous);
      expect(backward.length).toBeLessThanOrEqual(ids.length);
    }
    expect(backward).toEqual(latest);
    // Every post in the tie is linked both ways.
    for (let i = 1; i < latest.length - 1; i++) {
      expect(await neighbours(t, "daily", latest[i])).toEqual({ previous: latest[i + 1], next: latest[i - 1] });
    }
  });

  // Views come only from the app server (reader:recordViews is internal: the app calls it with
  // its admin key), one entry per view with the view token the app issued for it.
  const view = (postId: Id<"posts">, token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`) => ({ postId, token });
  const viewsOf = async (t: T, w: World, postIds: Id<"posts">[]) =>
    await as(t, w.users.owner).query(api.posts.viewCounts, { siteId: w.siteId, postIds });

  test("recordViews counts a batch of views: each view once, posts not live in the site are skipped, batches are bounded", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const a = await publishPost(t, w, { title: "Alpha" });
    const b = await publishPost(t, w, { title: "Beta" });
    const draft = await draftPost(t, w, { title: "Not yet" });
    const foreign = await publishPost(t, w, { title: "Foreign", userId: w.users.outsider, siteId: w.otherSiteId });
    const r = await t.mutation(internal.reader.recordViews, {
      siteSlug: "daily",
      views: [view(a), view(b), view(a), view(draft), view(foreign), view(a)],
    });
    expect(r).toEqual({ counted: 4 });
    expect(await viewsOf(t, w, [a, b, draft])).toEqual([
      { postId: a, views: 3 },
      { postId: b, views: 1 },
      { postId: draft, views: 0 },
    ]);
    // Reader queries do not carry view counts (a view must not re-run, or leave the cache of, any reader page).
    const page = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "alpha" });
    expect(page?.kind === "post" && "viewCount" in page.post).toBe(false);
    // Cross-tenant write: another site's post is never counted through this site.
    const shards = await t.run(async (ctx) =>
      ctx.db.query("postViewShards").withIndex("by_siteId_and_postId_and_shard", (q) => q.eq("siteId", w.otherSiteId).eq("postId", foreign)).collect(),
    );
    expect(shards).toEqual([]);
    expect((await errorOf(t.mutation(internal.reader.recordViews, { siteSlug: "nowhere", views: [view(a)] }))).code).toBe("NOT_FOUND");
    const tooMany = await errorOf(t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: Array.from({ length: 101 }, () => view(a)) }));
    expect(tooMany).toMatchObject({ code: "INVALID_ARGUMENT", field: "views" });
    const badToken = await errorOf(t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: [view(a, "short")] }));
    expect(badToken).toMatchObject({ code: "INVALID_ARGUMENT", field: "views" });
    expect((await viewsOf(t, w, [a]))[0].views).toBe(3); // nothing half-written
    expect(await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: [] })).toEqual({ counted: 0 });
  });

  test("replayed view token counts once: in the same batch, in a later batch, and after the app resends a batch", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const a = await publishPost(t, w, { title: "Alpha" });
    const once = view(a, "replayed-token-0000000001");
    const batch = [once, once, view(a, "fresh-token-00000000000002")];
    expect(await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: batch })).toEqual({ counted: 2 });
    // The whole batch again (a resend after a reconnect or a restart): nothing more.
    expect(await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: batch })).toEqual({ counted: 0 });
    expect(await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: [once] })).toEqual({ counted: 0 });
    expect((await viewsOf(t, w, [a]))[0].views).toBe(2);
  });

  test("view tokens are kept for a day, then pruned as new views arrive", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const a = await publishPost(t, w, { title: "Alpha" });
    const old = Date.now() - VIEW_TOKEN_TTL_MS - 1000;
    await t.run(async (ctx) => {
      for (let i = 0; i < 5; i++) await ctx.db.insert("viewTokens", { siteId: w.siteId, token: `old-token-${i}-000000000000`, createdAt: old });
    });
    await t.mutation(internal.reader.recordViews, { siteSlug: "daily", views: [view(a, "new-token-000000000000001")] });
    const left = await t.run(async (ctx) => (await ctx.db.query("viewTokens").collect()).map((r) => r.token));
    expect(left).toEqual(["new-token-000000000000001"]);
  });
});

describe.each(backends)("paywall leak: automatic excerpts on %s", (_name, convexTest) => {
  test("short featured post without excerpt: every card shows the editor's public teaser, never the body; it follows the featured flag", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const paragraphs = ["Why the vote matters.", "The payoff paragraph that only subscribers should read, with its one answer."];
    const text = paragraphs.join("\n\n");
    const postId = await publishPost(t, w, { title: "Paid payoff", body: undefined });
    const editor = as(t, w.users.editor);
    // Give it the two-paragraph body and publish that, then feature it (the studio's order).
    const forEdit = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    await editor.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: forEdit.draft.version, doc: doc(...paragraphs) });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const card = async () => (await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "paid-payoff" })) as { post: { excerpt: string } };
    // Free: the usual automatic excerpt (the whole short text is public anyway).
    expect((await card()).post.excerpt).toBe(autoExcerpt(text));
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    // Featured: exactly what the editor's "Public teaser" shows (the same function), and no paid words.
    expect((await card()).post.excerpt).toBe(publicExcerpt(true, undefined, text));
    expect((await card()).post.excerpt).toBe("Why the vote matters…");
    const lists = await Promise.all([
      t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: firstPage }),
      t.query(api.reader.featured, { siteSlug: "daily", paginationOpts: firstPage }),
      t.query(api.reader.search, { siteSlug: "daily", query: "subscribers answer", paginationOpts: firstPage }),
    ]);
    expect(JSON.stringify(lists)).not.toContain("payoff paragraph");
    expect(lists[2].page).toEqual([]);
    // Back to free: the full automatic excerpt again.
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: false });
    expect((await card()).post.excerpt).toBe(autoExcerpt(text));
  });
});
