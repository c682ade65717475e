// Over 400 lines: every channel a paid body could leak through, over one seeded backend and app.
// Paywall leak tests: a featured (subscriber-only) post's body must not reach a non-subscriber
// through ANY channel. The fixture puts a unique canary word in the paid part of one featured
// post's body only (not in its title, excerpt, SEO fields or tags) and then fetches every channel
// a reader or crawler can reach, as an anonymous visitor and as a signed-in non-subscriber: the
// full HTML document (which also carries Open Graph tags, Twitter cards and JSON-LD), the
// single-fetch `.data` response Remix serves for client navigations, RSS, Atom and JSON Feed (site,
// tag and category), the sitemap, search (page and `.data`), list pages, the previous/next links
// of the neighbouring post's page, and the Convex HTTP API directly. The canary must never appear. The last tests check a subscriber DOES get it (page and
// API), so the suite cannot pass by never rendering the body at all.
import { ConvexHttpClient } from "convex/browser";
import { getFunctionName } from "convex/server";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { clientAs, startAppBackend, stopAppBackend } from "../support/live-backend";
import { startRemixVite, type RemixViteApp } from "../support/remix-vite";

const ORIGIN = "http://127.0.0.1:3000";
const CANARY = `canary${randomBytes(8).toString("hex")}`;
const SITE = "the-ledger";
const SLUG = "the-paid-deep-dive";
const TAG = "housing";
const CATEGORY = "markets";
/** The demo's newest post before the canary post: its page links the canary post as "Next". */
const NEIGHBOUR = "city-budgets-explained";

let backend: LocalBackend;
let subscriberId: Id<"users">;
let readerId: Id<"users">;
let ownerId: Id<"users">;

// ---------------------------------------------------------------------------------------------
// Fixture

const paragraph = (text: string) => ({ type: "paragraph", content: [{ type: "text", text }] });

function actingAs(userId: string | null): ConvexHttpClient {
  return userId ? clientAs(backend, userId as Id<"users">) : new ConvexHttpClient(backend.url);
}

beforeAll(async () => {
  backend = await startAppBackend("paywall-leaks-");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
  delete process.env.ROOT_DOMAIN;
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);

  // A subscriber (active subscription) and a signed-in reader without one.
  const users = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", SITE)).unique();
    const plan = await ctx.db.query("subscriptionPlans").withIndex("by_siteId_and_sortOrder", (q: any) => q.eq("siteId", site._id)).first();
    const user = (name: string) => ctx.db.insert("users", { name, role: "user", isActive: true, createdAt: now, updatedAt: now });
    const subscriber = await user("Paying Reader");
    const reader = await user("Free Reader");
    await ctx.db.insert("subscriptions", {
      siteId: site._id,
      userId: subscriber,
      planId: plan._id,
      status: "active",
      currentPeriodStart: now - 86_400_000,
      currentPeriodEnd: now + 30 * 86_400_000,
      cancelAtPeriodEnd: false,
      createdAt: now,
      updatedAt: now,
    });
    return { subscriber, reader, owner: site.ownerId, siteId: site._id };
  });
  if (!users.ok) throw new Error(users.message);
  const ids = JSON.parse(users.valueJson);
  ({ subscriber: subscriberId, reader: readerId, owner: ownerId } = ids);

  // The canary post, written and published through the studio's own mutations as the site owner.
  const owner = actingAs(ownerId);
  const siteId = ids.siteId as Id<"sites">;
  const tags = (await owner.query(api.tags.list, { siteId, paginationOpts: { numItems: 100, cursor: null } })).page;
  const categories = await owner.query(api.categories.list, { siteId });
  const doc = JSON.stringify({
    type: "doc",
    content: [
      paragraph("This opening paragraph is long enough to be the automatic preview, and it says nothing about the secret."),
      paragraph("A second public-looking paragraph that pads the preview well past two hundred and twenty characters of text."),
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "The paid part" }] },
      paragraph(`Only subscribers may read this sentence, which contains the word ${CANARY} exactly once.`),
    ],
  });
  const postId = await owner.mutation(api.posts.create, {
    siteId,
    title: "The paid deep dive",
    doc,
    categoryId: (categories as Array<{ _id: Id<"categories">; slug: string }>).find((c) => c.slug === CATEGORY)!._id,
  });
  const forEdit = await owner.query(api.posts.getForEdit, { siteId, postId });
  await owner.mutation(api.posts.saveDraft, {
    siteId,
    postId,
    expectedVersion: forEdit.draft.version,
    excerpt: "What the numbers say, for subscribers.",
  });
  await owner.mutation(api.posts.setTags, {
    siteId,
    postId,
    tagIds: [(tags as Array<{ _id: Id<"tags">; slug: string }>).find((t) => t.slug === TAG)!._id],
  });
  await owner.mutation(api.posts.changeSlug, { siteId, postId, slug: SLUG });
  await owner.mutation(api.posts.publish, { siteId, postId });
  await owner.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
});

afterAll(async () => {
  await vite?.close();
  await stopAppBackend(backend);
});

// ---------------------------------------------------------------------------------------------
// Remix's request handler over the app's server build (through Vite, as `remix vite:dev` serves
// it), so documents, `.data` responses and resource routes are exactly what a browser gets.

let vite: RemixViteApp | null = null;
let handle: ((r: Request) => Promise<Response>) | null = null;
let setFactory: ((f: ((r: Request) => Promise<unknown>) | null) => void) | null = null;
let clientFor: ((c: ConvexHttpClient, signedIn: boolean) => unknown) | null = null;

async function app() {
  if (!handle) {
    vite = await startRemixVite();
    // The same module instance the build's loaders use: how a request gets its Convex client.
    const clientModule = await vite.ssrLoadModule("/app/reader/client.server.ts");
    setFactory = clientModule.setReaderClientFactory;
    clientFor = clientModule.clientFor;
    handle = vite.handle;
  }
  return handle!;
}

/** Fetches a URL through the app as the given viewer (null: anonymous visitor). */
async function fetchAs(viewer: Id<"users"> | null, pathAndQuery: string): Promise<{ status: number; body: string; headers: Headers }> {
  const h = await app();
  setFactory!(viewer ? async () => clientFor!(actingAs(viewer), true) : null);
  try {
    const response = await h(
      new Request(`${ORIGIN}${pathAndQuery}`, { headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36" } }),
    );
    return { status: response.status, body: await response.text(), headers: response.headers };
  } finally {
    setFactory!(null);
  }
}

afterEach(() => setFactory?.(null));

// ---------------------------------------------------------------------------------------------

const NON_SUBSCRIBERS: Array<[string, () => Id<"users"> | null]> = [
  ["an anonymous visitor", () => null],
  ["a signed-in reader without a subscription", () => readerId],
];

describe.each(NON_SUBSCRIBERS)("paid body never reaches %s", (_who, viewer) => {
  test("post page HTML (body, Open Graph, Twitter card, JSON-LD) shows the paywall, not the body", async () => {
    const r = await fetchAs(viewer(), `/${SITE}/${SLUG}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain("The paid deep dive");
    expect(r.body).toContain('data-testid="paywall"');
    expect(r.body).not.toContain(CANARY);
    expect(r.body).not.toContain("The paid part");
    // The head is built from public fields only.
    const head = r.body.slice(0, r.body.indexOf("</head>"));
    expect(head).toContain('property="og:description" content="What the numbers say, for subscribers."');
    expect(head).toContain('"isAccessibleForFree":false');
    expect(head).not.toContain("articleBody");
  });

  test("single-fetch .data for the post (client-side navigation)", async () => {
    const r = await fetchAs(viewer(), `/${SITE}/${SLUG}.data`);
    expect(r.status).toBe(200);
    expect(r.body).toContain("The paid deep dive");
    expect(r.body).not.toContain(CANARY);
  });

  test.each([
    [`/${SITE}/rss.xml`],
    [`/${SITE}/atom.xml`],
    [`/${SITE}/feed.json`],
    [`/${SITE}/tag/${TAG}/rss.xml`],
    [`/${SITE}/tag/${TAG}/atom.xml`],
    [`/${SITE}/tag/${TAG}/feed.json`],
    [`/${SITE}/category/${CATEGORY}/rss.xml`],
    [`/${SITE}/category/${CATEGORY}/atom.xml`],
    [`/${SITE}/category/${CATEGORY}/feed.json`],
  ])("feed %s carries the excerpt and a link only", async (url) => {
    const r = await fetchAs(viewer(), url);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`${ORIGIN}/${SITE}/${SLUG}`);
    expect(r.body).toContain("What the numbers say, for subscribers.");
    expect(r.body).not.toContain(CANARY);
  });

  test("sitemap", async () => {
    const r = await fetchAs(viewer(), `/${SITE}/sitemap.xml`);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`${ORIGIN}/${SITE}/${SLUG}`);
    expect(r.body).not.toContain(CANARY);
  });

  test("search page and its .data: results are cards with the excerpt", async () => {
    for (const q of ["paid deep dive", "subscribers sentence"]) {
      const page = await fetchAs(viewer(), `/${SITE}/search?q=${encodeURIComponent(q)}`);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain(CANARY);
      const data = await fetchAs(viewer(), `/${SITE}/search.data?q=${encodeURIComponent(q)}`);
      expect(data.body).not.toContain(CANARY);
    }
  });

  test("list pages and their .data (home, tag, category, author)", async () => {
    for (const url of [`/${SITE}/`, `/${SITE}/tag/${TAG}`, `/${SITE}/category/${CATEGORY}`, `/${SITE}/author/amara-okafor`]) {
      const page = await fetchAs(viewer(), url);
      expect(page.status, url).toBe(200);
      expect(page.body).toContain("The paid deep dive");
      expect(page.body).not.toContain(CANARY);
      const data = await fetchAs(viewer(), `${url.replace(/\/$/, "")}.data`);
      expect(data.body).not.toContain(CANARY);
    }
  });

  test("previous/next on the neighbouring post's page and its .data: the locked post's card, not its body", async () => {
    // The canary post is the newest, so the next-newest post's page links it as "Next".
    const page = await fetchAs(viewer(), `/${SITE}/${NEIGHBOUR}`);
    expect(page.status).toBe(200);
    expect(page.body.match(/<a[^>]*rel="next"[^>]*>/)?.[0]).toContain(`href="/${SITE}/${SLUG}"`);
    expect(page.body).toContain("The paid deep dive");
    expect(page.body).not.toContain(CANARY);
    const data = await fetchAs(viewer(), `/${SITE}/${NEIGHBOUR}.data`);
    expect(data.status).toBe(200);
    expect(data.body).toContain("The paid deep dive");
    expect(data.body).not.toContain(CANARY);
  });

  test("reader:adjacent through the Convex HTTP API", async () => {
    const convex = actingAs(viewer());
    const found = await convex.query(api.reader.postBySlug, { siteSlug: SITE, slug: NEIGHBOUR });
    const adjacent = await convex.query(api.reader.adjacent, { siteSlug: SITE, postId: (found as { post: { _id: Id<"posts"> } }).post._id });
    expect(adjacent?.next).toMatchObject({ slug: SLUG, locked: true, doc: null });
    expect(JSON.stringify(adjacent)).not.toContain(CANARY);
  });

  test("the Convex HTTP API queried directly", async () => {
    const convex = actingAs(viewer());
    const found = await convex.query(api.reader.postBySlug, { siteSlug: SITE, slug: SLUG });
    expect(found).toMatchObject({ kind: "post", post: { locked: true, doc: null } });
    const withTags = await convex.query(api.reader.getPostWithTags, { siteSlug: SITE, slug: SLUG });
    expect(withTags).toMatchObject({ locked: true, doc: null });
    // The post page's one query (issue #18): the post, its related posts and previous/next.
    const page = await convex.query(api.reader.postPage, { siteSlug: SITE, slug: SLUG });
    expect(page).toMatchObject({ kind: "post", post: { locked: true, doc: null }, bodyKey: null });
    expect(await convex.query(api.reader.postBody, { siteSlug: SITE, slug: SLUG })).toBeNull();
    // The feeds' keys (issue #18): none for the paid body.
    expect(await convex.query(api.reader.bodyKeys, { siteSlug: SITE, slugs: [SLUG] })).toEqual([{ slug: SLUG, bodyKey: null }]);
    const neighbourPage = await convex.query(api.reader.postPage, { siteSlug: SITE, slug: NEIGHBOUR });
    expect(neighbourPage).toMatchObject({ kind: "post", adjacent: { next: { slug: SLUG } } });
    expect(Object.keys((neighbourPage as { adjacent: { next: object } }).adjacent.next).sort()).toEqual(["slug", "title"]);
    expect(JSON.stringify([page, neighbourPage])).not.toContain(CANARY);
    const lists = await Promise.all([
      convex.query(api.reader.latest, { siteSlug: SITE, paginationOpts: { numItems: 50, cursor: null } }),
      convex.query(api.reader.featured, { siteSlug: SITE, paginationOpts: { numItems: 50, cursor: null } }),
      convex.query(api.reader.byTag, { siteSlug: SITE, tagSlug: TAG, paginationOpts: { numItems: 50, cursor: null } }),
      convex.query(api.reader.search, { siteSlug: SITE, query: CANARY, paginationOpts: { numItems: 50, cursor: null } }),
    ]);
    expect(JSON.stringify([found, withTags, lists])).not.toContain(CANARY);
  });
});

describe("a subscriber does get the paid body (so the tests above cannot pass vacuously)", () => {
  test("on the post page, privately", async () => {
    const r = await fetchAs(subscriberId, `/${SITE}/${SLUG}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain(CANARY);
    expect(r.body).not.toContain('data-testid="paywall"');
    expect(r.headers.get("Cache-Control")).toBe("private, no-store");
    // Still marked as paywalled content for crawlers' structured data.
    expect(r.body).toContain('class="prose post__body paywalled-content"');
  });

  test("in the .data response", async () => {
    expect((await fetchAs(subscriberId, `/${SITE}/${SLUG}.data`)).body).toContain(CANARY);
  });

  test("through the Convex API", async () => {
    const found = await actingAs(subscriberId).query(api.reader.postBySlug, { siteSlug: SITE, slug: SLUG });
    expect(found).toMatchObject({ kind: "post", post: { locked: false } });
    expect((found as { post: { doc: string } }).post.doc).toContain(CANARY);
    const page = await actingAs(subscriberId).query(api.reader.postPage, { siteSlug: SITE, slug: SLUG });
    const body = await actingAs(subscriberId).query(api.reader.postBody, { siteSlug: SITE, slug: SLUG });
    expect(body?.html).toContain(CANARY);
    expect(page).toMatchObject({ kind: "post", post: { locked: false, doc: null }, bodyKey: body?.bodyKey });
    expect(await actingAs(subscriberId).query(api.reader.bodyKeys, { siteSlug: SITE, slugs: [SLUG] })).toEqual([{ slug: SLUG, bodyKey: body?.bodyKey }]);
  });

  test("but previous/next links are cards even for a subscriber (page, .data and the API)", async () => {
    const page = await fetchAs(subscriberId, `/${SITE}/${NEIGHBOUR}`);
    expect(page.body.match(/<a[^>]*rel="next"[^>]*>/)?.[0]).toContain(`href="/${SITE}/${SLUG}"`);
    expect(page.body).not.toContain(CANARY);
    expect((await fetchAs(subscriberId, `/${SITE}/${NEIGHBOUR}.data`)).body).not.toContain(CANARY);
    const convex = actingAs(subscriberId);
    const found = await convex.query(api.reader.postBySlug, { siteSlug: SITE, slug: NEIGHBOUR });
    const adjacent = await convex.query(api.reader.adjacent, { siteSlug: SITE, postId: (found as { post: { _id: Id<"posts"> } }).post._id });
    expect(adjacent?.next).toMatchObject({ slug: SLUG, locked: false, doc: null });
    expect(JSON.stringify(adjacent)).not.toContain(CANARY);
    const neighbourPage = await convex.query(api.reader.postPage, { siteSlug: SITE, slug: NEIGHBOUR });
    expect(neighbourPage).toMatchObject({ kind: "post", adjacent: { next: { slug: SLUG } } });
    expect(JSON.stringify(neighbourPage)).not.toContain(CANARY);
  });

  test("paywall leak through the shared body (issue #18): once a subscriber's views put the rendered body in the app's memo, non-subscribers still get the paywall, interleaved", async () => {
    // The first view renders the body (reader:postBody); the second uses the HTML the app holds
    // under the key postPage names.
    for (let i = 0; i < 2; i++) expect((await fetchAs(subscriberId, `/${SITE}/${SLUG}`)).body).toContain(CANARY);
    for (let round = 0; round < 3; round++) {
      for (const [who, viewer] of NON_SUBSCRIBERS) {
        for (const path of [`/${SITE}/${SLUG}`, `/${SITE}/${SLUG}.data`]) {
          const r = await fetchAs(viewer(), path);
          expect(r.status, `${who} ${path}`).toBe(200);
          expect(r.body, `${who} ${path}`).not.toContain(CANARY);
        }
      }
      expect((await fetchAs(subscriberId, `/${SITE}/${SLUG}`)).body).toContain(CANARY);
    }
    // And through the API: the body's own query gives non-subscribers nothing, and the page no key.
    for (const [who, viewer] of NON_SUBSCRIBERS) {
      const page = await actingAs(viewer()).query(api.reader.postPage, { siteSlug: SITE, slug: SLUG });
      expect(page, who).toMatchObject({ kind: "post", post: { locked: true, doc: null }, bodyKey: null });
      expect(await actingAs(viewer()).query(api.reader.postBody, { siteSlug: SITE, slug: SLUG }), who).toBeNull();
    }
  });

  test("but even a subscriber's feed is the public one", async () => {
    expect((await fetchAs(subscriberId, `/${SITE}/rss.xml`)).body).not.toContain(CANARY);
  });
});

// ---------------------------------------------------------------------------------------------
// Automatic excerpts (issue #12 item 6): a featured post without a manual excerpt used to show the
// first 220 characters of its body on cards, feeds, Open Graph, JSON-LD and search, so a short
// paid post was public in full. Each post below keeps a canary in text no teaser may show.

describe("a signed-in page through Remix's handler (issue #18)", () => {
  test("one Convex client per request, shared by the layout and the page: the subscriber's standing and body key are asked in one call", async () => {
    // Remix handed each loader a clone of the request, so what the app memoises per Request (the
    // client, its answers) was made again per loader (patches/@remix-run+server-runtime).
    const h = await app();
    const asked: string[] = [];
    let clients = 0;
    setFactory!(async () => {
      clients++;
      const convex = actingAs(subscriberId);
      const counting = {
        query: (q: Parameters<ConvexHttpClient["query"]>[0], args: any) => {
          asked.push(getFunctionName(q));
          return convex.query(q, args);
        },
        mutation: (m: Parameters<ConvexHttpClient["mutation"]>[0], args: any) => convex.mutation(m, args),
      } as unknown as ConvexHttpClient;
      return clientFor!(counting, true);
    });
    const response = await h(new Request(`${ORIGIN}/${SITE}/${SLUG}`));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(CANARY);
    expect(clients).toBe(1);
    expect(asked.filter((n) => n === "reader:viewerPage")).toEqual(["reader:viewerPage"]);
  });
});

describe("paywall leak: short featured post without excerpt", () => {
  const SHORT_CANARY = `short${randomBytes(6).toString("hex")}`;
  const ENDING_CANARY = `ending${randomBytes(6).toString("hex")}`;
  const STALE_CANARY = `stale${randomBytes(6).toString("hex")}`;
  const posts = {
    // One paragraph, featured after publishing (the order the studio offers).
    short: { slug: "short-paid-note", title: "A short paid note", featureFirst: false, paragraphs: [`Council moved the reserve fund quietly, and the detail readers pay for is ${SHORT_CANARY}.`] },
    // Two paragraphs, featured before publishing: the last paragraph is the paid payoff.
    ending: { slug: "paid-payoff", title: "A paid payoff", featureFirst: true, paragraphs: ["Why the vote matters.", `The payoff paragraph holds the answer: ${ENDING_CANARY}, and a little more text after it.`] },
    // Published, then its row rewritten as stored before teasers existed: excerpt = whole body.
    stale: { slug: "stale-auto-excerpt", title: "A post from before teasers", featureFirst: false, paragraphs: [`An old short paid post whose stored excerpt is its whole text ${STALE_CANARY}.`] },
  };
  const CANARIES = [SHORT_CANARY, ENDING_CANARY, STALE_CANARY];

  beforeAll(async () => {
    const owner = actingAs(ownerId);
    const site = await owner.query(api.sites.getPublic, { slug: SITE });
    const siteId = site!._id;
    for (const p of Object.values(posts)) {
      const postId = await owner.mutation(api.posts.create, { siteId, title: p.title, doc: JSON.stringify({ type: "doc", content: p.paragraphs.map(paragraph) }) });
      await owner.mutation(api.posts.changeSlug, { siteId, postId, slug: p.slug });
      if (p.featureFirst) await owner.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
      await owner.mutation(api.posts.publish, { siteId, postId });
      if (!p.featureFirst) await owner.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
    }
    // What a deployment that ran the old publish code holds: the whole short body as the excerpt
    // (and in the public search text), and no record of where the excerpt came from.
    const stale = await backend.runner.transactInline(async (ctx: any) => {
      const post = await ctx.db.query("posts").withIndex("by_siteId_and_slug", (q: any) => q.eq("siteId", siteId).eq("slug", posts.stale.slug)).unique();
      const text = posts.stale.paragraphs[0];
      await ctx.db.replace(post._id, { ...Object.fromEntries(Object.entries(post).filter(([k]) => !["_id", "_creationTime", "excerptKind"].includes(k))), excerpt: text });
      const live = await ctx.db
        .query("postBodies")
        .withIndex("by_siteId_and_postId_and_kind", (q: any) => q.eq("siteId", siteId).eq("postId", post._id).eq("kind", "published"))
        .unique();
      await ctx.db.patch(live._id, { searchText: `${posts.stale.title}\n${text}` });
    });
    if (!stale.ok) throw new Error(stale.message);
  });

  const pages = [
    ...Object.values(posts).flatMap((p) => [`/${SITE}/${p.slug}`, `/${SITE}/${p.slug}.data`]),
    `/${SITE}/`,
    `/${SITE}/.data`,
    `/${SITE}/rss.xml`,
    `/${SITE}/atom.xml`,
    `/${SITE}/feed.json`,
    `/${SITE}/sitemap.xml`,
    `/${SITE}/search?q=${encodeURIComponent("paid note payoff teasers")}`,
  ];

  test.each(pages)("%s (anonymous): no canary in cards, feeds, Open Graph, JSON-LD or search", async (url) => {
    const r = await fetchAs(null, url);
    expect(r.status).toBe(200);
    for (const c of CANARIES) expect(r.body).not.toContain(c);
  });

  test.each(CANARIES)("search page for the paid word %s (anonymous) finds none of the posts", async (canary) => {
    // The page repeats the query itself, so look for result links instead of the word.
    const r = await fetchAs(null, `/${SITE}/search?q=${canary}`);
    expect(r.status).toBe(200);
    for (const p of Object.values(posts)) expect(r.body).not.toContain(`href="/${SITE}/${p.slug}"`);
  });

  test("the public teaser is there and is only the opening (so the checks above are not vacuous)", async () => {
    const short = await fetchAs(null, `/${SITE}/${posts.short.slug}`);
    const head = short.body.slice(0, short.body.indexOf("</head>"));
    expect(head).toMatch(/property="og:description" content="Council moved the reserve[^"]*…"/);
    const ending = await fetchAs(null, `/${SITE}/${posts.ending.slug}`);
    expect(ending.body.slice(0, ending.body.indexOf("</head>"))).toContain('property="og:description" content="Why the vote matters…"');
    const rss = (await fetchAs(null, `/${SITE}/rss.xml`)).body;
    expect(rss).toContain("Why the vote matters…");
  });

  test("the Convex API: cards and search carry no canary, and search cannot find the paid words", async () => {
    const convex = actingAs(null);
    const cards = await Promise.all([
      ...Object.values(posts).map((p) => convex.query(api.reader.postBySlug, { siteSlug: SITE, slug: p.slug })),
      convex.query(api.reader.latest, { siteSlug: SITE, paginationOpts: { numItems: 50, cursor: null } }),
      convex.query(api.reader.featured, { siteSlug: SITE, paginationOpts: { numItems: 50, cursor: null } }),
    ]);
    for (const c of CANARIES) expect(JSON.stringify(cards)).not.toContain(c);
    for (const c of CANARIES) {
      const found = await convex.query(api.reader.search, { siteSlug: SITE, query: c, paginationOpts: { numItems: 50, cursor: null } });
      expect(found.page, `search for ${c}`).toEqual([]);
    }
  });

  test("a subscriber still reads the whole body", async () => {
    const found = await actingAs(subscriberId).query(api.reader.postBySlug, { siteSlug: SITE, slug: posts.short.slug });
    expect((found as { post: { doc: string } }).post.doc).toContain(SHORT_CANARY);
  });

  test("the migration gives the stale row a teaser; it is searchable again, never by its paid words", async () => {
    const convex = actingAs(null);
    const search = (query: string) => convex.query(api.reader.search, { siteSlug: SITE, query, paginationOpts: { numItems: 50, cursor: null } });
    expect((await search("teasers")).page.map((p) => p.slug)).not.toContain(posts.stale.slug);
    // Batch by batch here (the mutation also schedules its own next batch; running one twice is harmless).
    let changed = 0;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const ran = await backend.runner.runMutation("migrations:refreshExcerpts", { cursor }, { allowInternal: true });
      if (!ran.ok) throw new Error(ran.message);
      const out = JSON.parse(ran.valueJson) as { changed: number; next: string | null };
      changed += out.changed;
      cursor = out.next;
    }
    expect(changed, "only the stale row needed it").toBe(1);
    const found = await convex.query(api.reader.postBySlug, { siteSlug: SITE, slug: posts.stale.slug });
    expect((found as { post: { excerpt: string } }).post.excerpt).toMatch(/^An old short paid post[^]*…$/);
    expect((await search("teasers")).page.map((p) => p.slug)).toContain(posts.stale.slug);
    expect((await search(STALE_CANARY)).page).toEqual([]);
    const page = await fetchAs(null, `/${SITE}/${posts.stale.slug}`);
    expect(page.body).not.toContain(STALE_CANARY);
  });
});
