// Over 420 lines: one job, every rule the issue names (idempotency, cancel, privilege revoked, watchdog, images, authors), on both backends.
// The content import job (issue #17): staging → confirm → write steps, on both backends. The dry
// run's parsing is the parsers' (convex/migrate/*.test.ts); here each test builds a ParsedExport by
// hand, plans it against the site with the job's own planLookup + buildStaging, stages it as the
// dry run does, and runs the import through the public API and the scheduler.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { runScheduledJobs } from "../tests/support/scheduled";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ImportedPost, ItemProblem, ParsedExport, PreparedPost } from "./migrate/types";
import { buildStaging, type SiteFacts } from "./model/contentImportPlan";
import { storedPostCount } from "./model/publication";
import schema from "./schema";

const DAY = 86_400_000;

function post(key: string, extra: Partial<ImportedPost> = {}): ImportedPost {
  return { key, position: Number(key.replace(/\D/g, "")) || 1, title: `Post ${key}`, slug: `post-${key}`, html: "", status: "published", publishedAt: Date.parse("2020-03-04T05:06:07Z"), paid: false, authorKeys: [], tagKeys: [], legacyPaths: [], ...extra };
}

function exportOf(posts: ImportedPost[], extra: Partial<ParsedExport> = {}): ParsedExport {
  return { source: "ghost", authors: [], tags: [], categories: [], posts, problems: [], images: [], memberLists: [], ...extra };
}

/** What html.ts would make of a post, by hand: a paragraph with its title, or the given doc. */
function prepared(p: ImportedPost, docJson?: string, localImages: string[] = []): PreparedPost {
  const { html: _html, ...rest } = p;
  return { ...rest, doc: docJson ?? doc(`Body of ${p.title}`), localImages, unsupported: [] };
}

/** The import's steps and watchdog, to the end (the fake clock moves only between them). */
const runJobs = (t: T) => runScheduledJobs(t);

/** The dry run's planning and staging, done the way runAnalysis does it (facts from planLookup). */
async function stage(t: T, w: World, parsed: ParsedExport, posts: PreparedPost[] = parsed.posts.map((p) => prepared(p)), problems: ItemProblem[] = parsed.problems, files: Record<string, Id<"_storage">> = {}) {
  const r = await t.query(internal.contentImport.planLookup, {
    siteId: w.siteId,
    source: parsed.source,
    emails: parsed.authors.flatMap((a) => (a.email ? [a.email] : [])),
    authorKeys: parsed.authors.map((a) => a.key),
    tagSlugs: parsed.tags.map((x) => x.slug),
    categorySlugs: parsed.categories.map((x) => x.slug),
    postSlugs: posts.flatMap((p) => (p.slug ? [p.slug] : [])),
    postKeys: posts.map((p) => p.key),
    termKeys: [...parsed.tags.map((x) => ({ kind: "tag" as const, key: x.key })), ...parsed.categories.map((x) => ({ kind: "category" as const, key: x.key }))],
  });
  const facts: SiteFacts = {
    memberEmails: new Set(r.emails),
    importedAuthors: new Set(r.authorKeys),
    tagSlugs: new Set(r.tagSlugs),
    categorySlugs: new Set(r.categorySlugs),
    postSlugs: new Set(r.postSlugs),
    importedPosts: new Set(r.postKeys),
    importedTerms: new Set(r.termKeys),
    hasActivePlan: r.hasActivePlan,
  };
  const { plan, report, items } = buildStaging(parsed, posts, problems, facts);
  const importId = await t.run(async (ctx) => {
    const now = Date.now();
    return await ctx.db.insert("contentImports", {
      siteId: w.siteId, createdBy: w.users.owner, fileName: "export.json", size: 1, status: "analyzing",
      total: 0, processed: 0, created: 0, skipped: 0, failed: 0, cursor: 0, report: [], reportOverflow: 0, attempts: 0, heartbeatAt: now, createdAt: now,
    });
  });
  await t.mutation(internal.contentImport.stageItems, {
    importId,
    attempt: 0,
    items: items.map((i, position) => ({ position, kind: i.kind, data: i.data, storageId: i.filePath ? files[i.filePath] : undefined })),
  });
  await t.mutation(internal.contentImport.finishAnalysis, { importId, attempt: 0, source: parsed.source, plan, report, total: items.filter((i) => i.kind === "post").length });
  return importId;
}

async function importAll(t: T, w: World, parsed: ParsedExport, posts?: PreparedPost[], problems?: ItemProblem[], files?: Record<string, Id<"_storage">>) {
  const importId = await stage(t, w, parsed, posts, problems, files);
  const owner = as(t, w.users.owner);
  const dry = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
  await owner.mutation(api.contentImport.confirm, { siteId: w.siteId, importId });
  await runJobs(t);
  return { importId, dry, view: (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))! };
}

const sitePosts = (t: T, siteId: Id<"sites">) => t.run(async (ctx) => (await ctx.db.query("posts").collect()).filter((p) => p.siteId === siteId));

/** Every tag/category counter and postTags row equals a recount of the posts. */
async function expectCountersExact(t: T, siteId: Id<"sites">) {
  const { posts, tags, categories, postTags } = await t.run(async (ctx) => ({
    posts: (await ctx.db.query("posts").collect()).filter((p) => p.siteId === siteId),
    tags: (await ctx.db.query("tags").collect()).filter((x) => x.siteId === siteId),
    categories: (await ctx.db.query("categories").collect()).filter((x) => x.siteId === siteId),
    postTags: (await ctx.db.query("postTags").collect()).filter((x) => x.siteId === siteId),
  }));
  const live = posts.filter((p) => p.status === "published");
  for (const tag of tags) expect(storedPostCount(tag), `tag ${tag.slug}`).toBe(live.filter((p) => p.tagIds.includes(tag._id)).length);
  for (const cat of categories) expect(cat.postCount, `category ${cat.slug}`).toBe(live.filter((p) => p.categoryId === cat._id).length);
  const expected = posts.flatMap((p) => p.tagIds.map((tagId) => `${p._id}:${tagId}:${p.status === "published"}:${p.publishedAt ?? 0}`)).sort();
  expect(postTags.map((r) => `${r.postId}:${r.tagId}:${r.published}:${r.publishedAt}`).sort()).toEqual(expected);
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
}

const RICH = exportOf(
  [
    post("p1", { tagKeys: ["t1", "t2"], categoryKey: "c1", authorKeys: ["a1"], legacyPaths: ["/2020/03/04/first/", "/post-p1/", "?p=11"], excerpt: "Own excerpt" }),
    post("p2", { tagKeys: ["t1"], paid: true, authorKeys: ["a2"] }),
    post("p3", { status: "draft", tagKeys: ["t2"], publishedAt: undefined }),
    post("p4", { status: "scheduled", publishedAt: Date.now() + 30 * DAY, tagKeys: ["t1"] }),
    post("p5", { status: "scheduled", publishedAt: Date.parse("2021-01-01T00:00:00Z"), categoryKey: "c1" }),
    post("p6", { isPage: true, slug: "about" }),
  ],
  {
    authors: [
      { key: "a1", name: "Editor Daily", email: "EDITOR.DAILY@example.com" },
      { key: "a2", name: "Guest Writer", email: "guest@elsewhere.example" },
    ],
    tags: [
      { key: "t1", name: "News", slug: "news" },
      { key: "t2", name: "Rivers", slug: "rivers" },
    ],
    categories: [{ key: "c1", name: "Features", slug: "features" }],
  },
);

describe.each(backends)("content import job on %s", (_name, convexTest) => {
  const setup = async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    // The clock is the test's from here: scheduled jobs run only in runJobs.
    vi.useFakeTimers();
    return { t, w };
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  test("staged posts are written: publishedAt kept, paid → featured, scheduled/draft/page, old addresses, counters equal a recount", async () => {
    const { t, w } = await setup();
    const { dry, view } = await importAll(t, w, RICH);
    expect(dry.status).toBe("ready");
    expect(dry.plan).toMatchObject({ posts: 6, published: 3, drafts: 1, scheduled: 1, pages: 1, paid: 1, tagsNew: 2, categoriesNew: 1, authorsMatched: 1, authorsPlaceholder: 1, alreadyImported: 0 });
    expect(view).toMatchObject({ status: "done", total: 6, processed: 6, created: 6, skipped: 0, failed: 0 });
    expect(view.finishedAt).not.toBeNull();
    const posts = await sitePosts(t, w.siteId);
    const bySlug = new Map(posts.map((p) => [p.slug, p]));
    expect(bySlug.get("post-p1")).toMatchObject({ status: "published", publishedAt: Date.parse("2020-03-04T05:06:07Z"), featured: false, excerpt: "Own excerpt" });
    expect(bySlug.get("post-p2")).toMatchObject({ status: "published", featured: true, excerptKind: "teaser" });
    expect(bySlug.get("post-p3")?.status).toBe("draft");
    // A future schedule was scheduled (by the importer); the fake clock then ran it, so it is live now.
    const p4 = bySlug.get("post-p4")!;
    const scheduled = await t.run(async (ctx) => (await ctx.db.query("auditLogs").collect()).find((e) => e.entityId === p4._id && e.action === "post.schedule"));
    expect(scheduled).toMatchObject({ actorId: w.users.owner });
    expect(JSON.stringify(scheduled)).toContain(String(RICH.posts[3].publishedAt));
    expect(bySlug.get("post-p5")).toMatchObject({ status: "published", publishedAt: Date.parse("2021-01-01T00:00:00Z") });
    expect(bySlug.get("about")?.status).toBe("draft");
    expect(view.report.some((r) => r.kind === "page" && r.position === 6)).toBe(true);
    await expectCountersExact(t, w.siteId);
    const tags = await t.run(async (ctx) => (await ctx.db.query("tags").collect()).filter((x) => x.siteId === w.siteId));
    expect(tags.map((x) => [x.slug, storedPostCount(x)]).sort()).toEqual([["news", 3], ["rivers", 1]]); // p1, p2 and p4 (its schedule ran); p3 is a draft
    // Old addresses: the post's own new path is not one of them.
    const legacy = await t.run(async (ctx) => (await ctx.db.query("legacyPaths").collect()).map((l) => l.path).sort());
    expect(legacy).toEqual(["/2020/03/04/first", "?p=11"]);
    // Staging and upload are gone once done.
    expect(await t.run(async (ctx) => (await ctx.db.query("contentImportItems").collect()).length)).toBe(0);
  });

  test("authors: an email of a member matches them; an unknown author becomes a placeholder (no email, cannot sign in)", async () => {
    const { t, w } = await setup();
    const { view } = await importAll(t, w, RICH);
    const posts = await sitePosts(t, w.siteId);
    expect(posts.find((p) => p.slug === "post-p1")?.authorId).toBe(w.users.editor);
    const guest = posts.find((p) => p.slug === "post-p2")!;
    const { user, member } = await t.run(async (ctx) => ({
      user: await ctx.db.get("users", guest.authorId),
      member: (await ctx.db.query("siteMembers").collect()).find((m) => m.userId === guest.authorId && m.siteId === w.siteId),
    }));
    expect(user).toMatchObject({ name: "Guest Writer", placeholder: true });
    expect(user?.email).toBeUndefined();
    expect(member).toMatchObject({ role: "author", placeholder: { email: "guest@elsewhere.example" } });
    expect(guest.authorName).toBe("Guest Writer");
    // A post without an author is the importer's.
    expect(posts.find((p) => p.slug === "post-p3")?.authorId).toBe(w.users.owner);
    expect(view.report.filter((r) => r.kind === "placeholder-author").map((r) => r.item)).toEqual(["Guest Writer"]);
  });

  test("slug clash: an existing post keeps its address, the import gets the next free suffix and the report names both", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const mine = await owner.mutation(api.posts.create, { siteId: w.siteId, title: "Post p1" });
    await t.run(async (ctx) => ctx.db.patch("posts", mine, { slug: "post-p1" }));
    const { dry, view } = await importAll(t, w, exportOf([post("p1"), post("p2", { slug: "post-p1" })]));
    expect(dry.plan?.slugClashes).toBe(2);
    const slugs = (await sitePosts(t, w.siteId)).map((p) => p.slug).sort();
    expect(slugs).toEqual(["post-p1", "post-p1-2", "post-p1-3"]);
    const clashes = view.report.filter((r) => r.kind === "clash");
    expect(clashes.map((c) => c.position)).toEqual([1, 2]);
    expect(clashes[0].message).toContain("/post-p1");
  });

  test("idempotent re-run: the same items again create nothing (created 0, skipped N; no duplicate posts, tags or old addresses)", async () => {
    const { t, w } = await setup();
    await importAll(t, w, RICH);
    const before = await t.run(async (ctx) => ({
      posts: (await ctx.db.query("posts").collect()).length,
      tags: (await ctx.db.query("tags").collect()).length,
      categories: (await ctx.db.query("categories").collect()).length,
      legacy: (await ctx.db.query("legacyPaths").collect()).length,
      users: (await ctx.db.query("users").collect()).length,
    }));
    const { dry, view } = await importAll(t, w, RICH);
    expect(dry.plan).toMatchObject({ posts: 0, alreadyImported: 6, tagsNew: 0, tagsExisting: 2, authorsPlaceholder: 0 });
    expect(view).toMatchObject({ status: "done", created: 0, skipped: 6, processed: 6 });
    const after = await t.run(async (ctx) => ({
      posts: (await ctx.db.query("posts").collect()).length,
      tags: (await ctx.db.query("tags").collect()).length,
      categories: (await ctx.db.query("categories").collect()).length,
      legacy: (await ctx.db.query("legacyPaths").collect()).length,
      users: (await ctx.db.query("users").collect()).length,
    }));
    expect(after).toEqual(before);
    await expectCountersExact(t, w.siteId);
  });

  test("a step run twice (a duplicate after the watchdog) writes nothing twice; a silent step is re-run from the cursor", async () => {
    const { t, w } = await setup();
    const many = exportOf(Array.from({ length: 25 }, (_, i) => post(`p${i + 1}`)));
    const importId = await stage(t, w, many);
    await as(t, w.users.owner).mutation(api.contentImport.confirm, { siteId: w.siteId, importId });
    await t.mutation(internal.contentImport.importStep, { importId, cursor: 0 });
    const mid = await t.run(async (ctx) => (await ctx.db.get("contentImports", importId))!);
    expect(mid.cursor).toBeGreaterThan(0);
    expect(mid.cursor).toBeLessThan(25);
    // The same step again (its cursor is no longer the job's): nothing happens.
    await t.mutation(internal.contentImport.importStep, { importId, cursor: 0 });
    expect((await sitePosts(t, w.siteId)).length).toBe(mid.created);
    // The step went silent (its job lost, heartbeat old): the watchdog re-schedules it from the cursor.
    await t.run(async (ctx) => ctx.db.patch("contentImports", importId, { stepJob: undefined, heartbeatAt: Date.now() - 120_000 }));
    await t.mutation(internal.contentImport.watch, { importId });
    await runJobs(t);
    const done = (await as(t, w.users.owner).query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(done).toMatchObject({ status: "done", created: 25, processed: 25 });
    const slugs = (await sitePosts(t, w.siteId)).map((p) => p.slug);
    expect(new Set(slugs).size).toBe(25);
    expect(slugs.length).toBe(25);
  });

  test("cancel stops between steps: posts already written stay, the rest are not written, staging is deleted", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const importId = await stage(t, w, exportOf(Array.from({ length: 25 }, (_, i) => post(`p${i + 1}`))));
    await owner.mutation(api.contentImport.confirm, { siteId: w.siteId, importId });
    await t.mutation(internal.contentImport.importStep, { importId, cursor: 0 });
    const written = (await sitePosts(t, w.siteId)).length;
    expect(written).toBeGreaterThan(0);
    await owner.mutation(api.contentImport.cancel, { siteId: w.siteId, importId });
    await runJobs(t);
    const view = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(view.status).toBe("canceled");
    expect((await sitePosts(t, w.siteId)).length).toBe(written);
    expect(await t.run(async (ctx) => (await ctx.db.query("contentImportItems").collect()).length)).toBe(0);
    expect(await code(owner.mutation(api.contentImport.confirm, { siteId: w.siteId, importId }))).toBe("INVALID_STATE");
    expect(await code(owner.mutation(api.contentImport.cancel, { siteId: w.siteId, importId }))).toBe("INVALID_STATE");
  });

  test("privilege revoked: an owner demoted mid-import stops the import at its next step; nothing more is written", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const importId = await stage(t, w, exportOf(Array.from({ length: 25 }, (_, i) => post(`p${i + 1}`))));
    await owner.mutation(api.contentImport.confirm, { siteId: w.siteId, importId });
    await t.mutation(internal.contentImport.importStep, { importId, cursor: 0 });
    const written = (await sitePosts(t, w.siteId)).length;
    expect(written).toBeGreaterThan(0);
    // The importer loses the owner role (another owner demotes them) while steps are still queued.
    await t.run(async (ctx) => {
      const m = await ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", w.siteId).eq("userId", w.users.owner))
        .unique();
      await ctx.db.patch("siteMembers", m!._id, { role: "admin" });
    });
    await runJobs(t);
    const job = await t.run(async (ctx) => await ctx.db.get("contentImports", importId));
    expect(job!.status).toBe("failed");
    expect(job!.error).toMatch(/no longer the site's owner/);
    expect((await sitePosts(t, w.siteId)).length).toBe(written);
  });

  test("a bad item is reported with its position while the rest import", async () => {
    const { t, w } = await setup();
    const parsed = exportOf([post("p1"), post("p3")], { problems: [{ position: 2, item: "Broken", message: "This post has no title and no text." }] });
    const { dry, view } = await importAll(t, w, parsed);
    expect(dry.plan?.badItems).toBe(1);
    expect(view.report).toContainEqual({ kind: "bad-item", position: 2, item: "Broken", message: "This post has no title and no text." });
    expect(view).toMatchObject({ status: "done", created: 2 });
  });

  test("images from the upload: zip: srcs become storage URLs, a zip cover becomes coverImageId, a URL cover coverImageUrl", async () => {
    const { t, w } = await setup();
    const img = await t.run(async (ctx) => ctx.storage.store(new Blob([new Uint8Array([1, 2, 3])], { type: "image/png" })));
    const body = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Hi" }] }, { type: "image", attrs: { src: "zip:images/a.png", alt: "A" } }, { type: "image", attrs: { src: "zip:images/missing.png" } }] });
    const p1 = post("p1", { cover: { url: "zip:images/a.png", alt: "Cover" } });
    const p2 = post("p2", { cover: { url: "https://cdn.example.com/c.jpg" } });
    const parsed = exportOf([p1, p2], { images: [{ path: "images/a.png", contentType: "image/png", bytes: new Uint8Array([1, 2, 3]) }] });
    const { view } = await importAll(t, w, parsed, [prepared(p1, body, ["zip:images/a.png", "zip:images/missing.png"]), prepared(p2)], [], { "images/a.png": img });
    const posts = await sitePosts(t, w.siteId);
    const first = posts.find((p) => p.slug === "post-p1")!;
    expect(first).toMatchObject({ coverImageId: img, coverImageAlt: "Cover" });
    expect(first.coverImageUrl).toBeUndefined();
    expect(posts.find((p) => p.slug === "post-p2")).toMatchObject({ coverImageUrl: "https://cdn.example.com/c.jpg" });
    const live = await t.run(async (ctx) => (await ctx.db.query("postBodies").collect()).find((b) => b.postId === first._id && b.kind === "published")!);
    const images = (JSON.parse(live.doc) as { content: Array<{ type: string; attrs?: { src: string } }> }).content.filter((n) => n.type === "image");
    expect(images.map((n) => n.attrs?.src)).toEqual([`/api/storage/${img}`]);
    expect(view.report.some((r) => r.kind === "note" && r.position === 1 && r.message.includes("1 image"))).toBe(true);
    // The stored image is kept (a post uses it) after the staging is deleted.
    expect(await t.run(async (ctx) => ctx.db.system.get("_storage", img))).not.toBeNull();
  });

  test("start: forged upload (another file's id without its bytes' SHA-256) is refused; one running import per site", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const bytes = new TextEncoder().encode('{"db":[]}');
    const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob([bytes])));
    expect(await code(owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId, sha256: "A".repeat(44), fileName: "x.json" }))).toBe("INVALID_ARGUMENT");
    const importId = await owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId, sha256: await sha256(bytes), fileName: "x.json" });
    expect((await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))?.status).toBe("analyzing");
    const other = await t.run(async (ctx) => ctx.storage.store(new Blob([bytes])));
    expect(await code(owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId: other, sha256: await sha256(bytes), fileName: "y.json" }))).toBe("INVALID_STATE");
    expect((await owner.query(api.contentImport.recent, { siteId: w.siteId })).map((r) => r._id)).toEqual([importId]);
  });

  test("dry run of a real Ghost export (start → analyze): ready with its plan and nothing of the site written; confirm imports it", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const bytes = new Uint8Array(readFileSync(path.join(__dirname, "../tests/fixtures/migrate/ghost/ghost5-lexical.json")));
    const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob([bytes])));
    const importId = await owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId, sha256: await sha256(bytes), fileName: "ghost.json" });
    await runJobs(t);
    const dry = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(dry).toMatchObject({ status: "ready", source: "ghost", sourceLabel: "Ghost JSON export", error: null });
    expect(dry.plan!.posts).toBeGreaterThan(0);
    expect(dry.total).toBe(dry.plan!.posts + dry.plan!.alreadyImported);
    expect((await sitePosts(t, w.siteId)).length).toBe(0);
    await owner.mutation(api.contentImport.confirm, { siteId: w.siteId, importId });
    await runJobs(t);
    const done = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(done).toMatchObject({ status: "done", created: dry.plan!.posts, failed: 0 });
    expect((await sitePosts(t, w.siteId)).length).toBe(dry.plan!.posts);
    await expectCountersExact(t, w.siteId);
    // The upload does not outlive the import.
    expect(await t.run(async (ctx) => ctx.db.system.get("_storage", storageId))).toBeNull();
  });

  test("a file that cannot be imported fails the dry run with the parser's message; nothing is written and the upload is deleted", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const bytes = new TextEncoder().encode("email,name\na@example.com,A\n");
    const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob([bytes])));
    const importId = await owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId, sha256: await sha256(bytes), fileName: "members.csv" });
    await runJobs(t);
    const view = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(view.status).toBe("failed");
    expect(view.error).toContain("Audience");
    expect((await sitePosts(t, w.siteId)).length).toBe(0);
    expect(await t.run(async (ctx) => ctx.db.system.get("_storage", storageId))).toBeNull();
  });

  test("a members list in the upload becomes an audience import of its own, listed in memberImportIds", async () => {
    const { t, w } = await setup();
    const csv = await t.run(async (ctx) => ctx.storage.store(new Blob(["email,name\nreader.one@example.com,One\nreader.two@example.com,Two\n"], { type: "text/csv" })));
    const parsed = exportOf([post("p1")], { source: "substack", memberLists: [{ path: "email_list.rivers.csv", bytes: new Uint8Array() }] });
    const { dry, view } = await importAll(t, w, parsed, undefined, undefined, { "email_list.rivers.csv": csv });
    expect(dry.plan?.members).toBe(1);
    expect(view.memberImportIds).toHaveLength(1);
    const members = await as(t, w.users.owner).query(api.audienceImport.get, { siteId: w.siteId, importId: view.memberImportIds[0] });
    expect(members).toMatchObject({ status: "done", created: 2 });
  });

  test("watchdog: a dry run whose action died (restart) runs again from scratch and ends ready, staging not doubled", async () => {
    const { t, w } = await setup();
    const owner = as(t, w.users.owner);
    const bytes = new Uint8Array(readFileSync(path.join(__dirname, "../tests/fixtures/migrate/ghost/ghost5-lexical.json")));
    const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob([bytes])));
    const importId = await owner.mutation(api.contentImport.start, { siteId: w.siteId, storageId, sha256: await sha256(bytes), fileName: "ghost.json" });
    // The first attempt stages a stray row and dies: its job is canceled, its heartbeat is old.
    await t.run(async (ctx) => {
      const job = (await ctx.db.get("contentImports", importId))!;
      await ctx.scheduler.cancel(job.stepJob!);
      await ctx.db.insert("contentImportItems", { siteId: w.siteId, importId, position: 0, kind: "tag", data: "{}", state: "pending" });
      await ctx.db.patch("contentImports", importId, { heartbeatAt: Date.now() - 120_000 });
    });
    await t.mutation(internal.contentImport.watch, { importId });
    await runJobs(t);
    const view = (await owner.query(api.contentImport.get, { siteId: w.siteId, importId }))!;
    expect(view.status).toBe("ready");
    const staged = await t.run(async (ctx) => (await ctx.db.query("contentImportItems").collect()).filter((i) => i.importId === importId));
    expect(staged.some((i) => i.data === "{}")).toBe(false);
    expect(new Set(staged.map((i) => i.position)).size).toBe(staged.length);
    expect(staged.filter((i) => i.kind === "post").length).toBe(view.total);
  });

  test("permission: admins and editors are FORBIDDEN (owners only, site.import)", async () => {
    const { t, w } = await setup();
    const importId = await stage(t, w, exportOf([post("p1")]));
    for (const role of ["admin", "editor", "author"] as const) {
      const them = as(t, w.users[role]);
      expect(await code(them.query(api.contentImport.get, { siteId: w.siteId, importId })), role).toBe("FORBIDDEN");
      expect(await code(them.query(api.contentImport.recent, { siteId: w.siteId })), role).toBe("FORBIDDEN");
      expect(await code(them.mutation(api.contentImport.confirm, { siteId: w.siteId, importId })), role).toBe("FORBIDDEN");
      expect(await code(them.mutation(api.contentImport.cancel, { siteId: w.siteId, importId })), role).toBe("FORBIDDEN");
      expect(await code(them.mutation(api.contentImport.generateUploadUrl, { siteId: w.siteId })), role).toBe("FORBIDDEN");
    }
    expect((await sitePosts(t, w.siteId)).length).toBe(0);
  });

  test("cross-tenant read: another site's import is invisible (null through their own site, NOT_FOUND through ours)", async () => {
    const { t, w } = await setup();
    const importId = await stage(t, w, exportOf([post("p1")]));
    const outsider = as(t, w.users.outsider);
    expect(await outsider.query(api.contentImport.get, { siteId: w.otherSiteId, importId })).toBeNull();
    expect(await outsider.query(api.contentImport.recent, { siteId: w.otherSiteId })).toEqual([]);
    expect(await code(outsider.mutation(api.contentImport.confirm, { siteId: w.otherSiteId, importId }))).toBe("NOT_FOUND");
    expect(await code(outsider.mutation(api.contentImport.cancel, { siteId: w.otherSiteId, importId }))).toBe("NOT_FOUND");
    expect(await code(outsider.query(api.contentImport.get, { siteId: w.siteId, importId }))).toBe("NOT_FOUND");
    expect((await as(t, w.users.owner).query(api.contentImport.get, { siteId: w.siteId, importId }))?.status).toBe("ready");
  });
});
