// Over 400 lines: text search end to end, over one seeded backend (seeding 20,000 documents is slow).
// Text search (`withSearchIndex`) on the local backend: tokenization, matching, filters, ranking
// (the reference-BM25 check is in search-ranking.test.ts),
// read-your-own-writes, schema push backfill, pagination, live subscriptions, the 1024-candidate
// limit and a 20,000-document timing run. Reference: ../shared/reference/convex-backend-facts.md §3.8.
import { ConvexClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { fieldnormId, tokenize } from "../src/runtime/search.js";
import { convexTest, type TestConvex } from "../src/testing.js";

const api = anyApi as any;
const FIXTURE = fileURLToPath(new URL("./fixtures-search/convex", import.meta.url));

type Post = { siteId: string; title: string; body?: string; status?: string; views?: number };
const post = (title: string, body: string, extra: Partial<Post> = {}): Post => ({ siteId: "s1", title, body, ...extra });

describe("tokenizer (Tantivy SimpleTokenizer + RemoveLongFilter(32) + LowerCaser)", () => {
  test("splits on whitespace and punctuation and lowercases", () => {
    expect(tokenize("Hello, World! It's 2024-05-01; snake_case e-mail@example.COM")).toEqual([
      "hello", "world", "it", "s", "2024", "05", "01", "snake", "case", "e", "mail", "example", "com",
    ]);
  });

  test("keeps Unicode letters and digits, lowercasing per character", () => {
    expect(tokenize("Crème BRÛLÉE naïve Ünïcode 東京 ٣٤ ΣΊΣΥΦΟΣ")).toEqual([
      "crème", "brûlée", "naïve", "ünïcode", "東京", "٣٤",
      // Per-character lowercasing: no final-sigma rule, as Tantivy's LowerCaser.
      "σίσυφοσ",
    ]);
    expect(tokenize("emoji🙂between")).toEqual(["emoji", "between"]);
  });

  test("drops terms of 32 or more UTF-8 bytes", () => {
    expect(tokenize(`${"a".repeat(31)} ${"b".repeat(32)} ${"é".repeat(15)} ${"é".repeat(16)} ok`)).toEqual([
      "a".repeat(31), "é".repeat(15), "ok",
    ]);
  });

  test("a query keeps its first 16 terms", () => {
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
    expect(tokenize(words.join(" "), 16)).toEqual(words.slice(0, 16));
  });

  test("document lengths use Tantivy's fieldnorm buckets", () => {
    for (let i = 0; i < 40; i++) expect(fieldnormId(i)).toBe(i);
    expect(fieldnormId(41)).toBe(40);
    expect(fieldnormId(56)).toBe(48);
    expect(fieldnormId(2013265944)).toBe(255);
    expect(fieldnormId(4e9)).toBe(255);
  });
});

describe("search queries", () => {
  let t: TestConvex;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = convexTest(undefined, FIXTURE);
    const docs: Post[] = [
      post("greeting", "Hello, WORLD! A greeting."),
      post("dessert", "Crème brûlée is a dessert"),
      post("publishing", "Notes on publishing and editing"),
      post("public", "A public announcement"),
      post("pub", "The pub around the corner"),
      post("both", "alpha beta"),
      post("alpha-only", "alpha gamma delta"),
      post("beta-only", "beta epsilon zeta"),
      post("draft", "status check one", { status: "draft" }),
      post("live", "status check two", { status: "published" }),
      post("nostatus", "status check three"),
      post("other-site", "status check four", { siteId: "s2" }),
      post("no-body", "", { body: undefined }),
      post("short-twice", "rust rust"),
      post("long-once", "rust is mentioned once in this much longer body that talks about many other things entirely"),
      post("viewed", "filtered after search", { views: 10 }),
      post("unviewed", "filtered after search", { views: 1 }),
    ];
    for (const d of docs) {
      const { body, ...rest } = d;
      ids[d.title] = await t.mutation(api.posts.insert, { doc: body === undefined ? rest : d });
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const search = (args: Record<string, unknown>) => t.query<string[]>(api.posts.search, args as any);

  test("matching is case- and punctuation-insensitive, and returns only matching documents", async () => {
    expect(await search({ text: "world" })).toEqual(["greeting"]);
    expect(await search({ text: "HELLO!!" })).toEqual(["greeting"]);
    expect(await search({ text: "greeting." })).toEqual(["greeting"]);
    expect(await search({ text: "nonexistentword" })).toEqual([]);
  });

  test("Unicode letters match regardless of case", async () => {
    expect(await search({ text: "BRÛLÉE" })).toEqual(["dessert"]);
    expect(await search({ text: "crème" })).toEqual(["dessert"]);
    // No accent folding, as in Convex.
    expect(await search({ text: "creme" })).toEqual([]);
  });

  test("multi-word queries match any word, documents with more of them first", async () => {
    const r = await search({ text: "alpha beta" });
    expect(r[0]).toBe("both");
    expect(new Set(r)).toEqual(new Set(["both", "alpha-only", "beta-only"]));
  });

  test("the last term is a prefix match, earlier terms are exact", async () => {
    const pub = await search({ text: "pub" });
    expect(new Set(pub)).toEqual(new Set(["publishing", "public", "pub"]));
    // The exact term outranks prefix-only matches (Convex halves the prefix weight).
    expect(pub[0]).toBe("pub");
    expect(await search({ text: "publ" })).toEqual(expect.arrayContaining(["publishing", "public"]));
    expect(await search({ text: "publi" })).toHaveLength(2);
    // "pub" is not the last term here, so it only matches exactly.
    expect(await search({ text: "pub corner" })).toEqual(["pub"]);
    expect(await search({ text: "pub xyz" })).toEqual(["pub"]);
  });

  test("a prefix expands to at most 64 distinct terms (filter terms included), in byte order", async () => {
    const docs = Array.from({ length: 70 }, (_, i) => post(`cap${i}`, `capword${String(i).padStart(2, "0")}`, { siteId: "caps" }));
    await t.mutation(api.posts.insertMany, { docs });
    const all = await search({ text: "capword" });
    expect(all).toHaveLength(64);
    expect(new Set(all)).toEqual(new Set(docs.slice(0, 64).map((d) => d.title)));
    // The siteId filter term takes one of the 64 slots.
    expect(await search({ text: "capword", siteId: "caps" })).toHaveLength(63);
    // An exact term does not count against the prefix expansions of another one.
    expect(await search({ text: "capword69 capword" })).toHaveLength(64);
  });

  test("empty and punctuation-only searches return nothing", async () => {
    expect(await search({ text: "" })).toEqual([]);
    expect(await search({ text: "  !!! ... " })).toEqual([]);
  });

  test("eq filters, including undefined for a missing field", async () => {
    expect(new Set(await search({ text: "status check" }))).toEqual(new Set(["draft", "live", "nostatus", "other-site"]));
    expect(new Set(await search({ text: "status check", siteId: "s1" }))).toEqual(new Set(["draft", "live", "nostatus"]));
    expect(await search({ text: "status check", status: "draft" })).toEqual(["draft"]);
    expect(await search({ text: "status check", siteId: "s1", status: "published" })).toEqual(["live"]);
    expect(await search({ text: "status check", statusMissing: true, siteId: "s1" })).toEqual(["nostatus"]);
    expect(await search({ text: "status check", siteId: "s2", status: "draft" })).toEqual([]);
    expect(await search({ text: "status check", siteId: "nope" })).toEqual([]);
  });

  test("a short field with the term twice ranks above a long field with it once", async () => {
    const r = await search({ text: "rust" });
    expect(new Set(r)).toEqual(new Set(["short-twice", "long-once"]));
    expect(r.indexOf("short-twice")).toBeLessThan(r.indexOf("long-once"));
  });

  test(".filter() applies after the search", async () => {
    expect(await search({ text: "filtered search", minViews: 5 })).toEqual(["viewed"]);
  });

  test("first() returns the best match", async () => {
    expect(await t.query(api.posts.first, { text: "rust" })).toBe("short-twice");
    expect(await t.query(api.posts.first, { text: "absent" })).toBe(null);
  });

  test("ties go to the newest document first", async () => {
    for (const title of ["tie-1", "tie-2", "tie-3"]) {
      await t.mutation(api.posts.insert, { doc: post(title, "identical tiebreak text") });
    }
    expect(await search({ text: "tiebreak" })).toEqual(["tie-3", "tie-2", "tie-1"]);
  });

  test("updates and deletes are reflected immediately", async () => {
    const id = await t.mutation(api.posts.insert, { doc: post("mutable", "original wording") });
    expect(await search({ text: "original" })).toEqual(["mutable"]);
    await t.mutation(api.posts.patch, { id, fields: { body: "revised wording" } });
    expect(await search({ text: "original" })).toEqual([]);
    expect(await search({ text: "revised" })).toEqual(["mutable"]);
    // Filter fields are kept up to date too.
    await t.mutation(api.posts.patch, { id, fields: { status: "archived" } });
    expect(await search({ text: "revised", status: "archived" })).toEqual(["mutable"]);
    expect(await search({ text: "revised", statusMissing: true })).toEqual([]);
    // A patch that leaves the search inputs alone keeps the document findable.
    await t.mutation(api.posts.patch, { id, fields: { views: 3 } });
    expect(await search({ text: "revised", status: "archived" })).toEqual(["mutable"]);
    // Removing the search field removes the document from text matches.
    await t.mutation(api.posts.patch, { id, fields: {}, unset: ["body"] });
    expect(await search({ text: "revised" })).toEqual([]);
    await t.mutation(api.posts.patch, { id, fields: { body: "restored wording" } });
    expect(await search({ text: "wording" })).toEqual(["mutable"]);
    await t.mutation(api.posts.remove, { id });
    expect(await search({ text: "wording" })).toEqual([]);
  });

  test("a mutation sees its own inserts, patches and deletes", async () => {
    const a = await t.mutation(api.posts.insert, { doc: post("ryow-a", "ownwrites first") });
    const b = await t.mutation(api.posts.insert, { doc: post("ryow-b", "ownwrites second") });
    const c = await t.mutation(api.posts.insert, { doc: post("ryow-c", "unrelated") });
    const seen = await t.mutation(api.posts.writeThenSearch, {
      insert: [post("ryow-new", "ownwrites ownwrites fresh")],
      patch: [
        { id: a, fields: { body: "no longer matching" } },
        { id: c, fields: { body: "ownwrites now" } },
      ],
      remove: [b],
      text: "ownwrites",
    });
    expect(seen[0]).toBe("ryow-new");
    expect(new Set(seen)).toEqual(new Set(["ryow-new", "ryow-c"]));
    // Pending filter-field changes are honoured as well.
    const filtered = await t.mutation(api.posts.writeThenSearch, {
      patch: [{ id: c, fields: { status: "review" } }],
      text: "ownwrites",
      status: "review",
    });
    expect(filtered).toEqual(["ryow-c"]);
    // And the committed state agrees.
    expect(new Set(await search({ text: "ownwrites" }))).toEqual(new Set(["ryow-new", "ryow-c"]));
  });

  test("a failed mutation leaves nothing in the index", async () => {
    await expect(
      t.mutation(api.posts.writeSearchThenFail, { doc: post("ghost", "phantomword"), text: "phantomword" }),
    ).rejects.toThrow("rolled back after seeing 1");
    expect(await search({ text: "phantomword" })).toEqual([]);
  });

  test("invalid searches fail with Convex's messages", async () => {
    const raw = (index: string, filters: unknown[]) => t.query(api.posts.raw, { index, filters } as any);
    await expect(raw("nope", [["search", "body", "x"]])).rejects.toThrow("Index posts.nope not found.");
    await expect(raw("by_siteId", [["search", "body", "x"]])).rejects.toThrow("Index posts.by_siteId is not a search index");
    await expect(t.query(api.posts.withIndexOnSearchIndex, {})).rejects.toThrow(
      "Index posts.search_body is not a database index",
    );
    await expect(raw("search_body", [["search", "title", "x"]])).rejects.toThrow(
      'Search query against posts.search_body contains a search filter against "title", which doesn\'t match the indexed `searchField` "body".',
    );
    await expect(raw("search_body", [["search", "body", "x"], ["search", "body", "y"]])).rejects.toThrow(
      'Search query against posts.search_body contains multiple search filters against "body". Only one is allowed.',
    );
    await expect(raw("search_body", [["search", "body", "x"], ["eq", "title", "y"]])).rejects.toThrow(
      'Search query against posts.search_body contains an equality filter on "title" but that field isn\'t indexed for filtering in `filterFields`.',
    );
    await expect(raw("search_body", [["eq", "siteId", "s1"]])).rejects.toThrow(
      "Search query against posts.search_body does not contain any search filters.",
    );
    const nine = Array.from({ length: 9 }, () => ["eq", "siteId", "s1"]);
    await expect(raw("search_body", [["search", "body", "x"], ...nine])).rejects.toThrow(
      "Search query against posts.search_body has too many filter conditions. Max: 8 Actual: 9",
    );
  });

  test("pagination walks the ranked results without duplicates", async () => {
    const docs = Array.from({ length: 25 }, (_, i) =>
      post(`paged-${i}`, `pagedword ${"filler ".repeat(i % 7)}`, { siteId: "pages" }),
    );
    await t.mutation(api.posts.insertMany, { docs });
    const all = await search({ text: "pagedword", siteId: "pages" });
    expect(all).toHaveLength(25);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const r: { titles: string[]; isDone: boolean; continueCursor: string } = await t.query(api.posts.page, {
        text: "pagedword",
        siteId: "pages",
        paginationOpts: { numItems: 7, cursor },
      });
      seen.push(...r.titles);
      cursor = r.continueCursor;
      if (r.isDone) break;
    }
    expect(seen).toEqual(all);
    // A cursor belongs to its query.
    const first = await t.query(api.posts.page, { text: "pagedword", siteId: "pages", paginationOpts: { numItems: 3, cursor: null } });
    await expect(
      t.query(api.posts.page, { text: "other", siteId: "pages", paginationOpts: { numItems: 3, cursor: first.continueCursor } }),
    ).rejects.toThrow(/InvalidCursor/);
  });
});

// ---- Schema push: backfill, drop, restart ------------------------------------------------------

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("schema push", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "lb-search-push-"));
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  });
  afterAll(() => {
    unlinkSync(path.join(root, "node_modules"));
    rmSync(root, { recursive: true, force: true });
  });

  const schema = (searchIndex: string) => `
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  notes: defineTable({ text: v.string(), tag: v.optional(v.string()) })${searchIndex},
});`;
  const FUNCTIONS = `
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
export const add = mutationGeneric({
  args: { text: v.string(), tag: v.optional(v.string()) },
  handler: async (ctx, a) => await ctx.db.insert("notes", a),
});
export const find = queryGeneric({
  args: { text: v.string(), tag: v.optional(v.string()) },
  handler: async (ctx, { text, tag }) => {
    const docs = await ctx.db
      .query("notes")
      .withSearchIndex("by_text" as any, (q: any) => (tag === undefined ? q.search("text", text) : q.search("text", text).eq("tag", tag)))
      .collect();
    return docs.map((d: any) => d.text);
  },
});`;

  test("a new search index is backfilled over existing documents, kept across restarts, and dropped", async () => {
    const dir = path.join(root, "app");
    const convexDir = path.join(dir, "convex");
    const dataDir = path.join(dir, "data");
    mkdirSync(convexDir, { recursive: true });
    writeFileSync(path.join(convexDir, "notes.ts"), FUNCTIONS);
    writeFileSync(path.join(convexDir, "schema.ts"), schema(""));
    let backend = await LocalBackend.start({ dataDir, convexDir });
    try {
      for (let i = 0; i < 30; i++) {
        await backend.runner.runMutation("notes:add", { text: `existing note number${i}`, tag: i % 2 ? "odd" : "even" });
      }
      const before = await backend.runner.runQuery("notes:find", { text: "note" });
      expect(before.ok).toBe(false);
      expect(!before.ok && before.message).toContain("Index notes.by_text not found.");

      writeFileSync(path.join(convexDir, "schema.ts"), schema(`.searchIndex("by_text", { searchField: "text" })`));
      await backend.reload();
      const backfilled = await backend.runner.runQuery("notes:find", { text: "number7" });
      expect(backfilled.ok && JSON.parse(backfilled.valueJson)).toEqual(["existing note number7"]);
      const many = await backend.runner.runQuery("notes:find", { text: "existing" });
      expect(many.ok && JSON.parse(many.valueJson)).toHaveLength(30);

      // Changing the filter fields rebuilds the index.
      writeFileSync(
        path.join(convexDir, "schema.ts"),
        schema(`.searchIndex("by_text", { searchField: "text", filterFields: ["tag"] })`),
      );
      await backend.reload();
      const odd = await backend.runner.runQuery("notes:find", { text: "existing", tag: "odd" });
      expect(odd.ok && JSON.parse(odd.valueJson)).toHaveLength(15);
      await backend.close();

      // A restart keeps the index (and its later writes).
      backend = await LocalBackend.start({ dataDir, convexDir });
      await backend.runner.runMutation("notes:add", { text: "after restart", tag: "odd" });
      const again = await backend.runner.runQuery("notes:find", { text: "restart", tag: "odd" });
      expect(again.ok && JSON.parse(again.valueJson)).toEqual(["after restart"]);

      writeFileSync(path.join(convexDir, "schema.ts"), schema(""));
      await backend.reload();
      const dropped = await backend.runner.runQuery("notes:find", { text: "note" });
      expect(!dropped.ok && dropped.message).toContain("Index notes.by_text not found.");
      // Nothing of the dropped index is left behind.
      const db = (backend.store as unknown as { db: import("better-sqlite3").Database }).db;
      const left = db.prepare("SELECT (SELECT count(*) FROM search_postings) + (SELECT count(*) FROM search_docs) + (SELECT count(*) FROM search_terms) AS n").get() as { n: number };
      expect(left.n).toBe(0);
    } finally {
      await backend.close();
    }
  });
});

// ---- Live subscriptions and scale --------------------------------------------------------------

/** Deterministic pseudo-random numbers (so the timing corpus is the same on every run). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("on a running backend", () => {
  let backend: LocalBackend;
  let dataDir: string;
  const clients: ConvexClient[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "lb-search-"));
    backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("a subscribed search re-runs when matching documents are inserted, updated or deleted", async () => {
    const reader = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    const writer = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    clients.push(reader, writer);
    const updates: string[][] = [];
    let notify: () => void = () => {};
    reader.onUpdate(api.posts.search, { text: "livesearch", siteId: "live" }, (v: string[]) => {
      updates.push(v);
      notify();
    });
    const waitFor = (pred: (v: string[]) => boolean) =>
      new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching update; got ${JSON.stringify(updates)}`)), 5000);
        const check = () => {
          const last = updates[updates.length - 1];
          if (last && pred(last)) {
            clearTimeout(timer);
            resolve(last);
          }
        };
        notify = check;
        check();
      });
    await waitFor((v) => v.length === 0);
    const id = await writer.mutation(api.posts.insert, { doc: { siteId: "live", title: "live-1", body: "livesearch one" } });
    expect(await waitFor((v) => v.length === 1)).toEqual(["live-1"]);
    await writer.mutation(api.posts.insert, { doc: { siteId: "live", title: "live-2", body: "livesearch livesearch two" } });
    expect(await waitFor((v) => v.length === 2)).toEqual(["live-2", "live-1"]);
    await writer.mutation(api.posts.patch, { id, fields: { title: "live-1-renamed" } });
    expect(await waitFor((v) => v.includes("live-1-renamed"))).toEqual(["live-2", "live-1-renamed"]);
    await writer.mutation(api.posts.remove, { id });
    expect(await waitFor((v) => v.length === 1)).toEqual(["live-2"]);
  });

  test("a subscribed search re-runs only for writes matching its terms and filters (Convex's search read sets), and for its results' own edits", async () => {
    const reader = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    const writer = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    clients.push(reader, writer);
    let latest: string[] | null = null;
    let notify: () => void = () => {};
    reader.onUpdate(api.posts.search, { text: "precise", siteId: "narrow" }, (v: string[]) => {
      latest = v;
      notify();
    });
    const waitFor = (pred: (v: string[]) => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching update; last ${JSON.stringify(latest)}`)), 5000);
        const check = () => {
          if (latest && pred(latest)) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify = check;
        check();
      });
    await waitFor((v) => v.length === 0);
    const runs = () => backend.sync.queryRuns;
    const settle = () => new Promise((r) => setTimeout(r, 150));

    // Writes that cannot change the results: other words, or the word on another site (filter).
    let before = runs();
    await writer.mutation(api.posts.insert, { doc: { siteId: "narrow", title: "n-other", body: "entirely different words" } });
    await writer.mutation(api.posts.insert, { doc: { siteId: "elsewhere", title: "n-site", body: "precise but elsewhere" } });
    await settle();
    expect(runs() - before).toBe(0);

    // A word the last query token is a prefix of: re-runs, and the document is in the results.
    before = runs();
    const id = await writer.mutation(api.posts.insert, { doc: { siteId: "narrow", title: "n-prefix", body: "preciseness matters" } });
    await waitFor((v) => v.includes("n-prefix"));
    expect(runs() - before).toBe(1);

    // A result's other field (not searched): re-runs through the id it read.
    before = runs();
    await writer.mutation(api.posts.patch, { id, fields: { title: "n-renamed" } });
    await waitFor((v) => v.includes("n-renamed"));
    expect(runs() - before).toBe(1);

    // Its text no longer matches: the old version matched, so it re-runs and the document leaves.
    before = runs();
    await writer.mutation(api.posts.patch, { id, fields: { body: "nothing to see" } });
    await waitFor((v) => v.length === 0);
    expect(runs() - before).toBe(1);
  });

  describe("20,000 documents", () => {
    const N = 20_000;
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      const rand = lcg(42);
      // Zipf-like vocabulary: word0 is frequent, word2999 rare; every body also has "common".
      const word = () => `word${Math.floor(3000 * rand() ** 3)}`;
      const started = performance.now();
      for (let batch = 0; batch < N / 2000; batch++) {
        const docs: Post[] = [];
        for (let i = 0; i < 2000; i++) {
          const n = batch * 2000 + i;
          const words = Array.from({ length: 10 + Math.floor(rand() * 30) }, word);
          docs.push({
            siteId: `site${n % 10}`,
            ...(n % 3 === 0 ? {} : { status: n % 3 === 1 ? "published" : "draft" }),
            title: `doc${n}`,
            body: `common ${words.join(" ")}`,
          });
        }
        const r = await backend.runner.runMutation("posts:insertMany", { docs } as any);
        if (!r.ok) throw new Error(r.message);
      }
      timings["insert 20,000 docs (10 commits)"] = performance.now() - started;
    }, 120_000);

    afterAll(() => {
      console.log(
        "[search timings, ms]\n" +
          Object.entries(timings)
            .map(([k, v]) => `  ${k}: ${v.toFixed(1)}`)
            .join("\n"),
      );
    });

    async function timed(label: string, args: Record<string, unknown>, fn = "posts:search") {
      let result: any;
      const runs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        const r = await backend.runner.runQuery(fn, args as any);
        runs.push(performance.now() - start);
        if (!r.ok) throw new Error(r.message);
        result = JSON.parse(r.valueJson);
      }
      runs.sort((a, b) => a - b);
      timings[label] = runs[3];
      return result;
    }

    test("searches answer quickly (timings are reported, not asserted)", async () => {
      expect(await timed("'common' (all 20,000 match), take 10", { text: "common", limit: 10 })).toHaveLength(10);
      expect(await timed("'common' + siteId filter (2,000 match), take 10", { text: "common", siteId: "site3", limit: 10 })).toHaveLength(10);
      expect(
        await timed("'common' + siteId + status filters, take 10", { text: "common", siteId: "site3", status: "draft", limit: 10 }),
      ).toHaveLength(10);
      const rare = await timed("rare term 'word2999', collect", { text: "word2999" });
      expect(rare.length).toBeLessThan(1024);
      await timed("prefix 'word29' (64-term cap), take 10", { text: "word29", limit: 10 });
      await timed("three terms 'word5 word17 word300', take 10", { text: "word5 word17 word300", limit: 10 });
      const page = await timed("'common' paginate 20", { text: "common", paginationOpts: { numItems: 20, cursor: null } }, "posts:page");
      expect(page.titles).toHaveLength(20);
    });

    test("more than 1024 matches: collect() throws, take(10) works", async () => {
      const all = await backend.runner.runQuery("posts:search", { text: "common" } as any);
      expect(all.ok).toBe(false);
      expect(!all.ok && all.message).toContain("Search query scanned too many documents (fetched 1024)");
      const ten = await backend.runner.runQuery("posts:search", { text: "common", limit: 10 } as any);
      expect(ten.ok && JSON.parse(ten.valueJson)).toHaveLength(10);
      // take(1024) stops at its limit without fetching a 1025th candidate.
      const max = await backend.runner.runQuery("posts:search", { text: "common", limit: 1024 } as any);
      expect(max.ok && JSON.parse(max.valueJson)).toHaveLength(1024);
      // Ties (every document has "common" once, so scores depend only on length) go newest first.
      const first = await backend.runner.runQuery("posts:first", { text: "common", siteId: "site3" } as any);
      expect(first.ok).toBe(true);
    });

    test("a newly inserted matching document appears among 20,000 at once", async () => {
      await backend.runner.runMutation("posts:insert", { doc: { siteId: "site1", title: "needle", body: "uniqueneedle common" } } as any);
      const r = await backend.runner.runQuery("posts:search", { text: "uniqueneedle" } as any);
      expect(r.ok && JSON.parse(r.valueJson)).toEqual(["needle"]);
    });
  });
});
