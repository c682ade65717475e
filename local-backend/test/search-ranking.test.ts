// Text search ranking and tie order (issue #13 item 6), checked against a reference BM25 written
// from Convex's rules (cited below). Fixture: ./fixtures-search/convex (posts with a search index).
import { anyApi } from "convex/server";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tokenize } from "../src/runtime/search.js";
import { convexTest, type TestConvex } from "../src/testing.js";

const api = anyApi as any;
const FIXTURE = fileURLToPath(new URL("./fixtures-search/convex", import.meta.url));
const post = (title: string, body: string, extra: Record<string, string> = {}) => ({ siteId: "s1", title, body, ...extra });

// How Convex ranks (get-convex/convex-backend, crates/search):
// - lib.rs `compile_tokens_with_typo_tolerance`: only the LAST query token is a prefix query; the
//   others match exactly. query.rs `QueryTerm::max_distance` is 0: no fuzzy matching (it was
//   removed; facts §3.8).
// - lib.rs `search` step 4: a term's BM25 weight is boosted by 1 / (1 + edit distance), halved
//   for a prefix match; exact matches of the last token are not prefix matches
//   (term_table.rs `visit_top_terms_for_query` tries prefix = false first).
// - searcher.rs `PostingListMatch` Ord and aggregation.rs: results by BM25 score, then creation
//   time, then internal id, all descending: ties go to the newest document.
// The reference below is plain Tantivy BM25 in f64 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n +
// 0.5) / (n + 0.5))); bodies are under 40 tokens, where fieldnorms are exact lengths.
describe("ranking matches Convex's BM25 and tie order", () => {
  let t: TestConvex;
  const corpus = [
    ["c0", "convex database"],
    ["c1", "convex convex backend"],
    ["c2", "the convex backend runs on sqlite and stores documents"],
    ["c3", "database of records"],
    ["c4", "convexity in geometry"],
    ["c5", "backend"],
    ["c6", "convex database backend"],
    ["c7", "a database is not a backend but a database keeps records"],
    ["c8", "conversation about a backend"],
  ] as const;
  const docTokens = corpus.map(([, body]) => tokenize(body));

  /** Titles in Convex's order for `text`, computed from the formula and the rules above. */
  function reference(text: string): string[] {
    const q = tokenize(text, 16);
    const vocabulary = new Set(docTokens.flat());
    const boost = new Map<string, number>();
    for (const tok of q) if (vocabulary.has(tok)) boost.set(tok, 1);
    const last = q[q.length - 1];
    for (const term of [...vocabulary].sort()) if (term.startsWith(last) && !boost.has(term)) boost.set(term, 0.5);
    const N = docTokens.length;
    const avg = docTokens.reduce((n, d) => n + d.length, 0) / N;
    const scored = docTokens.map((d, i) => {
      let score = 0;
      let matched = false;
      for (const [term, w] of boost) {
        const tf = d.filter((x) => x === term).length;
        if (tf === 0) continue;
        matched = true;
        const df = docTokens.filter((x) => x.includes(term)).length;
        const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
        score += w * idf * 2.2 * (tf / (tf + 1.2 * (0.25 + (0.75 * d.length) / avg)));
      }
      return { title: corpus[i][0] as string, score, creation: i, matched };
    });
    return scored
      .filter((x) => x.matched)
      .sort((a, b) => (Math.abs(a.score - b.score) > 1e-5 ? b.score - a.score : b.creation - a.creation))
      .map((x) => x.title);
  }

  beforeAll(async () => {
    t = convexTest(undefined, FIXTURE);
    // One at a time, so creation order is corpus order.
    for (const [title, body] of corpus) await t.mutation(api.posts.insert, { doc: post(title, body, { siteId: "rank" }) });
  });
  afterAll(async () => {
    await t.close();
  });

  const search = (text: string) => t.query<string[]>(api.posts.search, { text, siteId: "rank" });

  test.each([
    "convex",
    "database convex",
    "backend database",
    "sqlite conv",
    "records backend",
    "a database",
    "geometry convex backend",
    "the",
  ])("%s: the reference BM25 order", async (text) => {
    expect(await search(text)).toEqual(reference(text));
  });

  test("pinned orders on this corpus (so the reference itself is checked)", async () => {
    // "convex" (N = 9, average length 39/9): c1 has it twice (1.20); "convexity" (c4) is only a
    // prefix expansion at half weight, but it is in one document where "convex" is in four, so
    // 0.5 × idf 1.90 beats idf 0.80 (1.09); then c0 (length 2, 1.02), c6 (length 3), c2 (length 9).
    expect(await search("convex")).toEqual(["c1", "c4", "c0", "c6", "c2"]);
    // Only the last token is a prefix: "conv" reaches convex/convexity/conversation, "sqlit" as a
    // non-last token matches nothing.
    expect(await search("sqlit backend")).toEqual(reference("backend"));
    expect(new Set(await search("backend conv"))).toEqual(new Set(["c0", "c1", "c2", "c4", "c5", "c6", "c7", "c8"]));
    // No fuzzy matching: one typo finds nothing.
    expect(await search("convez")).toEqual([]);
    expect(await search("databse backend")).toEqual(reference("backend"));
  });

  test("equal scores: the newest document first", async () => {
    const t2 = convexTest(undefined, FIXTURE);
    try {
      for (const title of ["old", "mid", "new"]) await t2.mutation(api.posts.insert, { doc: post(title, "same words here") });
      await t2.mutation(api.posts.insert, { doc: post("other", "different text entirely") });
      expect(await t2.query(api.posts.search, { text: "words" })).toEqual(["new", "mid", "old"]);
      // Also across pages: the cursor's position includes the creation time.
      const p1 = await t2.query(api.posts.page, { text: "words", paginationOpts: { numItems: 2, cursor: null } });
      const p2 = await t2.query(api.posts.page, { text: "words", paginationOpts: { numItems: 2, cursor: p1.continueCursor } });
      expect([p1.titles, p2.titles]).toEqual([["new", "mid"], ["old"]]);
    } finally {
      await t2.close();
    }
  });
});
