// ReadSetIndex (src/runtime/readSetIndex.ts): which read sets a commit touched, found through an
// interval tree per index instead of a scan. Checked against the one rule, `readSetTouched`, applied
// to every read set (the scan it replaces), over random ranges, ids and writes.
import { describe, expect, test } from "vitest";
import { ReadSetIndex, readSetTouched, type CommitWrites, type ReadSet } from "../src/runtime/readSetIndex.js";
import type { SearchEntry } from "../src/storage/interface.js";

/** A deterministic generator, so a failure repeats. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const key = (bytes: number[]) => Buffer.from(bytes);

function randomKey(r: () => number): Buffer {
  // Short keys over a small alphabet, with 0x00 and 0xff, so prefixes, equal bounds and the byte
  // order past 0x7f all come up.
  const len = 1 + Math.floor(r() * 3);
  return key(Array.from({ length: len }, () => [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff][Math.floor(r() * 7)]));
}

function randomReadSet(r: () => number): ReadSet {
  const ranges = Array.from({ length: Math.floor(r() * 3) }, () => {
    const a = randomKey(r);
    const b = randomKey(r);
    const [lower, upper] = a.compare(b) <= 0 ? [a, b] : [b, a];
    return { indexId: 1 + Math.floor(r() * 2), lower, upper: r() < 0.15 ? null : upper };
  });
  const ids = new Set(r() < 0.3 ? [`doc${Math.floor(r() * 5)}`] : []);
  const missingTables = new Set(r() < 0.1 ? ["later"] : []);
  // Text searches on search index 9: a filter sometimes, a token or two (the last also a prefix).
  const search =
    r() < 0.25
      ? [{ indexId: 9, filterTerms: r() < 0.5 ? ["#site=a"] : [], tokens: Array.from({ length: 1 + Math.floor(r() * 2) }, () => WORDS[Math.floor(r() * WORDS.length)]) }]
      : [];
  return { ranges, ids, missingTables, search, time: null, env: false };
}

const WORDS = ["ab", "abc", "b", "bc", "cab"];

function randomEntry(r: () => number): SearchEntry | null {
  if (r() < 0.3) return null;
  const terms = new Map<string, number>([[r() < 0.5 ? "#site=a" : "#site=b", 1]]);
  for (let i = 0; i < 2; i++) terms.set(WORDS[Math.floor(r() * WORDS.length)], 1);
  return { terms, length: 2, norm: 0, creationTime: 0 };
}

function randomCommit(r: () => number): CommitWrites {
  return {
    ts: 1n,
    writes: Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({
      id: `doc${Math.floor(r() * 5)}`,
      tableName: r() < 0.1 ? "later" : "docs",
      keys: [
        { indexId: 1, key: randomKey(r) },
        { indexId: 2, key: randomKey(r) },
      ],
      ...(r() < 0.4 ? { search: [{ indexId: 9, old: randomEntry(r), new: randomEntry(r) }] } : {}),
    })),
  };
}

describe("ReadSetIndex", () => {
  test("finds exactly the read sets the scan with readSetTouched finds, through adds, replacements and removals", () => {
    const r = rng(18);
    const index = new ReadSetIndex<number>();
    const live = new Map<number, ReadSet | null>();
    let touchedSome = 0;
    for (let step = 0; step < 3_000; step++) {
      const item = Math.floor(r() * 200);
      const roll = r();
      if (roll < 0.5) {
        const rs = r() < 0.05 ? null : randomReadSet(r);
        index.set(item, rs);
        live.set(item, rs);
      } else if (roll < 0.6) {
        index.delete(item);
        live.delete(item);
      } else {
        const c = randomCommit(r);
        const expected = [...live].filter(([, rs]) => rs === null || readSetTouched(rs, c)).map(([i]) => i);
        const got = index.touched(c);
        expect(new Set(got)).toEqual(new Set(expected));
        expect(got.length).toBe(new Set(got).size);
        if (expected.length > 0 && expected.length < live.size) touchedSome++;
      }
      expect(index.size).toBe(live.size);
    }
    // The comparison was not vacuous: commits touched some read sets and spared others.
    expect(touchedSome).toBeGreaterThan(100);
  });

  test("a range's bounds: the lower key is in, the upper key is out, null upper is unbounded; bytes past 0x7f order as bytes", () => {
    const index = new ReadSetIndex<string>();
    const rs = (lower: number[], upper: number[] | null): ReadSet => ({
      ranges: [{ indexId: 7, lower: key(lower), upper: upper && key(upper) }],
      ids: new Set(),
      missingTables: new Set(),
      time: null,
      env: false,
    });
    index.set("low", rs([0x10], [0x80]));
    index.set("high", rs([0x80], [0xff, 0x01]));
    index.set("open", rs([0xfe], null));
    const at = (bytes: number[]) =>
      index.touched({ writes: [{ id: "x", tableName: "t", keys: [{ indexId: 7, key: key(bytes) }] }] }).sort();
    expect(at([0x10])).toEqual(["low"]);
    expect(at([0x7f, 0xff])).toEqual(["low"]);
    expect(at([0x80])).toEqual(["high"]);
    expect(at([0xff])).toEqual(["high", "open"]);
    expect(at([0xff, 0x01])).toEqual(["open"]);
    expect(at([0xff, 0xff, 0xff])).toEqual(["open"]);
    expect(at([0x01])).toEqual([]);
    // Another index's key never matches.
    expect(index.touched({ writes: [{ id: "x", tableName: "t", keys: [{ indexId: 8, key: key([0x10]) }] }] })).toEqual([]);
  });

  test("a write to one point of an index with 10,000 point read sets checks only the read sets at that point", () => {
    // The cost this index exists for: the query cache held 10,000 point lookups on one index and
    // every insert into the table scanned them all (~11 ms of CPU per insert, 96 inserts/s).
    const index = new ReadSetIndex<number>();
    let walked = 0;
    const point = (n: number): ReadSet => ({
      // Counts every walk over a read set's ranges (readSetTouched walks them once per check).
      ranges: new Proxy([{ indexId: 1, lower: key([n >> 8, n & 0xff]), upper: key([n >> 8, (n & 0xff) + 1]) }], {
        get(target, prop, receiver) {
          if (prop === Symbol.iterator) walked++;
          return Reflect.get(target, prop, receiver);
        },
      }),
      ids: new Set(),
      missingTables: new Set(),
      time: null,
      env: false,
    });
    for (let n = 0; n < 10_000; n++) index.set(n, point(n));
    const before = walked;
    const touched = index.touched({ writes: [{ id: "new", tableName: "docs", keys: [{ indexId: 1, key: key([4321 >> 8, 4321 & 0xff, 9]) }] }] });
    expect(touched).toEqual([4321]);
    // Exactly one candidate's ranges were walked by readSetTouched: the one at that point.
    expect(walked - before).toBe(1);
  });
});
