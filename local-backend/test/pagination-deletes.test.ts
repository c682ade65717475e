// Pagination while documents come and go between pages (issue #13 item 6): a page resumes after
// the cursor's position even when the document there is gone, with no duplicates and no skipped
// live documents, for index pagination and for search pagination (`withSearchIndex().paginate`).
//
// How Convex does it (get-convex/convex-backend):
// - A cursor is a position in the index, not a document: `CursorPosition::After(index key)`
//   (crates/common/src/query.rs), and the next page reads the interval after that key
//   (crates/database/src/query/index_range.rs `CursorInterval`). Whether a document still sits at
//   that key does not matter, so deletes at, before or after the cursor are harmless, and an
//   insert lands on whichever side of the cursor its key falls.
// - A search result's key is `(-score, -creation time, internal id)` and a later page is a fresh
//   search filtered to the keys after the cursor (crates/search/src/lib.rs `search` step 7,
//   crates/database/src/query/search_query.rs). BM25 scores move with every write (document count,
//   average length, document frequencies), so in Convex a one-shot page walk can skip or repeat a
//   result after a write. Here a search cursor also carries the statistics the first page ranked
//   with, and later pages rank with them, so unchanged documents keep their keys and the walk
//   stays exact (a deliberate difference, local backend only; see search.ts).
// - Reactive pagination pins each page's end to its first run's end cursor (the journal): pages
//   are adjacent key intervals, so re-running them after writes still partitions the results.
// The same properties for index pagination run on convex-test as well in conformance/cases.ts.
import { anyApi } from "convex/server";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { convexTest, type TestConvex } from "../src/testing.js";

const api = anyApi as any;
const ITEMS = fileURLToPath(new URL("./fixture/convex", import.meta.url));
const SEARCH = fileURLToPath(new URL("./fixtures-search/convex", import.meta.url));

/** A small seeded PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

type Page = { names: string[]; isDone: boolean; continueCursor: string };

describe("index pagination under deletes and inserts", () => {
  let t: TestConvex;
  beforeAll(() => {
    t = convexTest(undefined, ITEMS);
  });
  afterAll(async () => {
    await t.close();
  });

  const page = (cursor: string | null, numItems: number, order: "asc" | "desc", endCursor?: string): Promise<Page> =>
    t.query(api.pagination.page, {
      paginationOpts: endCursor === undefined ? { cursor, numItems } : { cursor, numItems, endCursor },
      order,
    });
  const clear = () =>
    t.run(async (ctx) => {
      for (const d of await ctx.db.query("items").collect()) await ctx.db.delete(d._id);
    });
  const idsByName = () =>
    t.run(async (ctx) => Object.fromEntries((await ctx.db.query("items").collect()).map((d: any) => [d.name, d._id])));
  const seed = (n: number) =>
    t.mutation(api.items.insertMany, { items: Array.from({ length: n }, (_, i) => ({ name: `r${i}`, rank: i })) });

  for (const order of ["asc", "desc"] as const) {
    test(`${order}: the document at the cursor and everything after it deleted: the next page is empty and done`, async () => {
      await clear();
      await seed(6);
      const first = await page(null, 3, order);
      const ids = await idsByName();
      const rest = order === "asc" ? ["r2", "r3", "r4", "r5"] : ["r3", "r2", "r1", "r0"];
      await t.run(async (ctx) => {
        for (const n of rest) await ctx.db.delete(ids[n]);
      });
      const next = await page(first.continueCursor, 3, order);
      expect(next).toMatchObject({ names: [], isDone: true });
    });

    test(`${order}: a deleted cursor document re-inserted with the same rank comes back once (it is a new document)`, async () => {
      await clear();
      await seed(6);
      const first = await page(null, 3, order);
      const atCursor = first.names[2];
      const ids = await idsByName();
      await t.run(async (ctx) => {
        const doc = await ctx.db.get(ids[atCursor]);
        await ctx.db.delete(doc._id);
        await ctx.db.insert("items", { name: `${atCursor}-again`, rank: doc.rank });
      });
      // Same rank, new _id: the index key is (rank, _id), so the ids decide which side of the
      // cursor it falls on. Either way it appears at most once and every other document once.
      const names = [...first.names];
      let cursor = first.continueCursor;
      for (let i = 0; i < 10; i++) {
        const p = await page(cursor, 3, order);
        names.push(...p.names);
        if (p.isDone) break;
        cursor = p.continueCursor;
      }
      const expected = order === "asc" ? ["r0", "r1", "r2", "r3", "r4", "r5"] : ["r5", "r4", "r3", "r2", "r1", "r0"];
      expect(names.filter((n) => !n.endsWith("-again"))).toEqual(expected);
      expect(names.filter((n) => n.endsWith("-again")).length).toBeLessThanOrEqual(1);
    });

    test(`${order}: a random walk of deletes and inserts between pages never repeats or skips a live document`, async () => {
      for (const seedValue of [1, 2, 3, 4]) {
        await clear();
        const rnd = prng(seedValue * 7919 + (order === "asc" ? 0 : 1));
        await t.mutation(api.items.insertMany, { items: Array.from({ length: 40 }, (_, i) => ({ name: `r${i}`, rank: i })) });
        // Model: live documents by name → rank; every name ever deleted; ranks are unique.
        const live = new Map<string, number>(Array.from({ length: 40 }, (_, i) => [`r${i}`, i]));
        const deletedBeforeSeen = new Set<string>();
        /** Documents that existed from the start or were inserted past the cursor, and are never deleted. */
        const mustSee = new Set(live.keys());
        const seen: string[] = [];
        const after = (a: number, b: number) => (order === "asc" ? a > b : a < b);
        let cursorRank: number | null = null;
        let cursor: string | null = null;
        let inserted = 0;
        for (let step = 0; step < 60; step++) {
          const p: Page = await page(cursor, 1 + rnd.int(5), order);
          for (const n of p.names) {
            expect(deletedBeforeSeen.has(n), `${n} was deleted before its page`).toBe(false);
            expect(live.has(n), `${n} is live`).toBe(true);
            if (cursorRank !== null) expect(after(live.get(n)!, cursorRank), `${n} comes after the cursor`).toBe(true);
            cursorRank = live.get(n)!;
          }
          seen.push(...p.names);
          if (p.isDone) break;
          cursor = p.continueCursor;
          // Between pages: delete the document at the cursor sometimes, a few random ones, and
          // insert documents before and after the cursor.
          const ids = await idsByName();
          const victims = new Set<string>();
          const last = seen.at(-1);
          if (last !== undefined && live.has(last) && rnd.next() < 0.5) victims.add(last);
          for (let k = rnd.int(3); k > 0; k--) victims.add(rnd.pick([...live.keys()]));
          const fresh = Array.from({ length: rnd.int(3) }, () => ({ name: `n${inserted++}`, rank: rnd.next() * 40 }));
          await t.run(async (ctx) => {
            for (const v of victims) await ctx.db.delete(ids[v]);
            for (const f of fresh) await ctx.db.insert("items", f);
          });
          for (const v of victims) {
            if (!seen.includes(v)) deletedBeforeSeen.add(v);
            live.delete(v);
            mustSee.delete(v);
          }
          for (const f of fresh) {
            live.set(f.name, f.rank);
            if (cursorRank === null || after(f.rank, cursorRank)) mustSee.add(f.name);
          }
        }
        expect(new Set(seen).size, "no document twice").toBe(seen.length);
        for (const n of mustSee) expect(seen, `seed ${seedValue}: ${n} was skipped`).toContain(n);
      }
    });
  }

  test("re-running pinned pages (cursor, endCursor) after deletes at both ends partitions the live documents", async () => {
    await clear();
    await seed(12);
    const p1 = await page(null, 4, "asc");
    const p2 = await page(p1.continueCursor, 4, "asc");
    const p3 = await page(p2.continueCursor, 4, "asc");
    expect([p1.names, p2.names, p3.names]).toEqual([
      ["r0", "r1", "r2", "r3"],
      ["r4", "r5", "r6", "r7"],
      ["r8", "r9", "r10", "r11"],
    ]);
    const ids = await idsByName();
    await t.run(async (ctx) => {
      for (const n of ["r3", "r7", "r4"]) await ctx.db.delete(ids[n]); // both page ends, and a page start
      await ctx.db.insert("items", { name: "between", rank: 3.5 });
    });
    // What reactive pagination re-runs: each page with its journal (its first end cursor).
    const again1 = await page(null, 4, "asc", p1.continueCursor);
    const again2 = await page(p1.continueCursor, 4, "asc", p2.continueCursor);
    const again3 = await page(p2.continueCursor, 4, "asc", p3.continueCursor);
    expect([again1.names, again2.names, again3.names]).toEqual([
      ["r0", "r1", "r2"],
      ["between", "r5", "r6"],
      ["r8", "r9", "r10", "r11"],
    ]);
    expect(again2.continueCursor).toBe(p2.continueCursor);
  });
});

describe("search pagination under deletes and inserts", () => {
  let t: TestConvex;
  beforeAll(() => {
    t = convexTest(undefined, SEARCH);
  });
  afterAll(async () => {
    await t.close();
  });

  type SearchPage = { titles: string[]; isDone: boolean; continueCursor: string };
  const page = (cursor: string | null, numItems: number, endCursor?: string): Promise<SearchPage> =>
    t.query(api.posts.page, {
      text: "pagedword",
      siteId: "walk",
      paginationOpts: endCursor === undefined ? { cursor, numItems } : { cursor, numItems, endCursor },
    });
  const ranked = () => t.query<string[]>(api.posts.search, { text: "pagedword", siteId: "walk" });
  const filler = (n: number) => " filler".repeat(n);
  const clear = () =>
    t.run(async (ctx) => {
      for (const d of await ctx.db.query("posts").collect()) await ctx.db.delete(d._id);
    });
  const idsByTitle = () =>
    t.run(async (ctx) => Object.fromEntries((await ctx.db.query("posts").collect()).map((d: any) => [d.title, d._id])));
  /** Matching posts of lengths 1..8 (so scores differ and tie), and non-matching ones that move the average length. */
  const seed = async (n: number) => {
    const docs = Array.from({ length: n }, (_, i) => ({ siteId: "walk", title: `m${i}`, body: `pagedword${filler(i % 8)}` }));
    for (let i = 0; i < 10; i++) docs.push({ siteId: "walk", title: `other${i}`, body: `unrelated words${filler(i)}` });
    await t.mutation(api.posts.insertMany, { docs });
  };

  test("deleting matching documents (the one at the cursor among them) between pages skips nothing and repeats nothing", async () => {
    await clear();
    await seed(24);
    const before = await ranked();
    expect(before).toHaveLength(24);
    const first = await page(null, 5);
    expect(first.titles).toEqual(before.slice(0, 5));
    // These deletes raise every remaining score (fewer documents, shorter average, lower document
    // frequency): with fresh scores on the next page, results just after the cursor would now
    // rank before it and be skipped.
    const ids = await idsByTitle();
    const gone = [first.titles[4], before[7], before[12], before[20], "other9", "other8"];
    await t.run(async (ctx) => {
      for (const title of gone) await ctx.db.delete(ids[title]);
    });
    const seen = [...first.titles];
    let cursor = first.continueCursor;
    for (let i = 0; i < 20; i++) {
      const p = await page(cursor, 5);
      seen.push(...p.titles);
      if (p.isDone) break;
      cursor = p.continueCursor;
    }
    expect(seen).toEqual(before.filter((title) => !gone.slice(1).includes(title)));
  });

  test("inserts between pages: a better match lands before the cursor (not returned), a worse one after it (returned)", async () => {
    await clear();
    await seed(12);
    const before = await ranked();
    const first = await page(null, 4);
    await t.mutation(api.posts.insertMany, {
      docs: [
        // tf 3 in a 3-word body outranks every seeded post (tf 1); 40 words ranks below all of them.
        { siteId: "walk", title: "best", body: "pagedword pagedword pagedword" },
        { siteId: "walk", title: "worst", body: `pagedword${filler(40)}` },
      ],
    });
    expect((await ranked())[0]).toBe("best");
    expect((await ranked()).at(-1)).toBe("worst");
    const seen = [...first.titles];
    let cursor = first.continueCursor;
    for (let i = 0; i < 10; i++) {
      const p = await page(cursor, 4);
      seen.push(...p.titles);
      if (p.isDone) break;
      cursor = p.continueCursor;
    }
    expect(seen).toEqual([...before, "worst"]);
  });

  test("a document with a term that did not exist on the first page is still found on a later page", async () => {
    await clear();
    await seed(12);
    const before = await ranked();
    const first = await page(null, 1);
    // "pagedwordnew" is a new prefix expansion of the query's last token. Later pages rank with
    // the first page's statistics, where it had no documents; a 41-word body still ranks it
    // below the best result, so it lies after the cursor.
    await t.mutation(api.posts.insert, { doc: { siteId: "walk", title: "new-term", body: `pagedwordnew${filler(40)}` } });
    expect(await ranked()).toContain("new-term");
    const seen = [...first.titles];
    let cursor = first.continueCursor;
    for (let i = 0; i < 20; i++) {
      const p = await page(cursor, 3);
      seen.push(...p.titles);
      if (p.isDone) break;
      cursor = p.continueCursor;
    }
    expect(seen.filter((x) => x !== "new-term")).toEqual(before);
    expect(seen.filter((x) => x === "new-term")).toEqual(["new-term"]);
  });

  test("a random walk of deletes and inserts between pages never repeats or skips a live result", async () => {
    for (const seedValue of [11, 12, 13]) {
      await clear();
      const rnd = prng(seedValue);
      await seed(30);
      const mustSee = new Set(await ranked());
      const live = new Set(mustSee);
      const deletedBeforeSeen = new Set<string>();
      const seen: string[] = [];
      let cursor: string | null = null;
      let inserted = 0;
      for (let step = 0; step < 40; step++) {
        const p: SearchPage = await page(cursor, 1 + rnd.int(6));
        for (const title of p.titles) {
          expect(deletedBeforeSeen.has(title), `${title} was deleted before its page`).toBe(false);
          expect(live.has(title), `${title} is live`).toBe(true);
        }
        seen.push(...p.titles);
        if (p.isDone) break;
        cursor = p.continueCursor;
        const ids = await idsByTitle();
        const victims = new Set<string>();
        const last = seen.at(-1);
        if (last !== undefined && live.has(last) && rnd.next() < 0.5) victims.add(last);
        for (let k = rnd.int(3); k > 0; k--) victims.add(rnd.pick([...live]));
        if (rnd.next() < 0.5) victims.add(`other${rnd.int(10)}`);
        const fresh = Array.from({ length: rnd.int(3) }, () => ({
          siteId: "walk",
          title: `n${inserted++}`,
          body: `pagedword${filler(rnd.int(12))}`,
        }));
        await t.run(async (ctx) => {
          for (const v of victims) if (ids[v]) await ctx.db.delete(ids[v]);
          for (const f of fresh) await ctx.db.insert("posts", f);
        });
        for (const v of victims) {
          if (!seen.includes(v)) deletedBeforeSeen.add(v);
          live.delete(v);
          mustSee.delete(v);
        }
        for (const f of fresh) live.add(f.title);
      }
      expect(new Set(seen).size, "no result twice").toBe(seen.length);
      for (const title of mustSee) expect(seen, `seed ${seedValue}: ${title} was skipped`).toContain(title);
    }
  });

  test("re-running pinned search pages (cursor, endCursor) after writes partitions the live results", async () => {
    await clear();
    await seed(15);
    const p1 = await page(null, 5);
    const p2 = await page(p1.continueCursor, 5);
    const p3 = await page(p2.continueCursor, 5);
    const all = [...p1.titles, ...p2.titles, ...p3.titles];
    expect(all).toEqual(await ranked());
    const ids = await idsByTitle();
    const gone = [p1.titles[4], p2.titles[0], p2.titles[4], "other3"];
    await t.run(async (ctx) => {
      for (const title of gone) await ctx.db.delete(ids[title]);
      await ctx.db.insert("posts", { siteId: "walk", title: "added", body: `pagedword${filler(3)}` });
    });
    const again = [
      await page(null, 5, p1.continueCursor),
      await page(p1.continueCursor, 5, p2.continueCursor),
      await page(p2.continueCursor, 5, p3.continueCursor),
    ];
    const titles = again.flatMap((p) => p.titles);
    expect(new Set(titles).size).toBe(titles.length);
    expect(new Set(titles)).toEqual(new Set([...all.filter((x) => !gone.includes(x)), "added"]));
    // Unchanged results keep their pages.
    for (const [i, p] of [p1, p2, p3].entries()) {
      expect(again[i].titles.filter((x) => x !== "added")).toEqual(p.titles.filter((x) => !gone.includes(x)));
    }
  });
});
