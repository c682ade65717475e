// Over 400 lines: the one list of conformance cases, run on convex-test and on this backend.
// Conformance suite for Convex data-model and function semantics.
//
// It is written against convex-test's public interface (`convexTest(schema,
// modules)` → `t.query / t.mutation / t.action / t.run`) so it runs against:
// - the official mock `convex-test` (the oracle), with `reference: true`, and
// - our SQLite backend's harness, with `reference: false`.
//
// Real Convex semantics are the spec. Cases where convex-test is known to
// deviate from real Convex are registered only when `reference === false`
// (each cites the section of ../shared/reference/convex-backend-facts.md).
// Error *messages* are only asserted when `reference === false`, and only where
// the real backend's text is known (get-convex/convex-backend crates/**).
import { ConvexError } from "convex/values";
import type { convexTest as ConvexTestFn } from "convex-test";
import { describe, expect, test } from "vitest";
import { api, internal } from "../fixture/convex/_generated/api";
import type { Id } from "../fixture/convex/_generated/dataModel";
import schema from "../fixture/convex/schema";
import { modules } from "./modules";
import { defineHarnessCases } from "./harness-cases";
import { defineComponentCases } from "./component-cases";

export type ConformanceOptions = { reference: boolean };

type RangeOp = {
  op: "eq" | "gt" | "gte" | "lt" | "lte";
  field: string;
  value?: unknown;
};

const bytes = (...b: number[]): ArrayBuffer => new Uint8Array(b).buffer;
const bytesOf = (buf: unknown): number[] => {
  expect(buf).toBeInstanceOf(ArrayBuffer);
  return Array.from(new Uint8Array(buf as ArrayBuffer));
};

export function defineConformanceSuite(
  convexTest: typeof ConvexTestFn,
  options: ConformanceOptions,
): void {
  const { reference } = options;
  const setup = () => convexTest(schema, modules);
  type T = ReturnType<typeof setup>;

  /** Registered only against our backend (convex-test deviates from real Convex). */
  const localOnly = (name: string, fn: () => Promise<void>) => {
    if (!reference) test(name, fn);
  };

  /** Awaits a promise that must reject; checks the real-Convex message only locally. */
  async function rejects(
    p: Promise<unknown>,
    realMessage?: RegExp,
  ): Promise<Error & { data?: unknown }> {
    let thrown: unknown = undefined;
    let resolved = false;
    try {
      await p;
      resolved = true;
    } catch (e) {
      thrown = e;
    }
    expect(resolved, "expected the call to throw").toBe(false);
    expect(typeof (thrown as Error)?.message).toBe("string");
    if (!reference && realMessage !== undefined) {
      expect((thrown as Error).message).toMatch(realMessage);
    }
    return thrown as Error & { data?: unknown };
  }

  // Seed data for the `items` table, inserted in this (creation) order.
  //   name    category  rank  meta
  //   b2      b         2     -
  //   a2      a         2     {level: 2}
  //   x       -         5     -
  //   a1      a         1     {level: 1, tag: "x"}
  //   aNone   a         -     -
  //   b1      b         1     {level: 3}
  //   a3      a         3     -
  const seedOrder = ["b2", "a2", "x", "a1", "aNone", "b1", "a3"];
  async function seedItems(t: T) {
    return await t.mutation(api.items.insertMany, {
      items: [
        { name: "b2", category: "b", rank: 2 },
        { name: "a2", category: "a", rank: 2, meta: { level: 2 } },
        { name: "x", rank: 5 },
        { name: "a1", category: "a", rank: 1, meta: { level: 1, tag: "x" } },
        { name: "aNone", category: "a" },
        { name: "b1", category: "b", rank: 1, meta: { level: 3 } },
        { name: "a3", category: "a", rank: 3 },
      ],
    });
  }
  const range = (t: T, index: string, ops: RangeOp[], order?: "asc" | "desc") =>
    t.query(api.indexes.range, { index, ops, order });

  // ---------------------------------------------------------------------------
  describe("documents: insert / get / patch / replace / delete", () => {
    test("insert returns an id; get returns the document with _id and _creationTime", async () => {
      const t = setup();
      const before = Date.now();
      const id = await t.mutation(api.items.insert, {
        name: "n",
        category: "c",
        rank: 1.5,
        meta: { level: 1, tag: "t" },
      });
      expect(typeof id).toBe("string");
      const doc = await t.query(api.items.get, { id });
      expect(doc).toEqual({
        _id: id,
        _creationTime: expect.any(Number),
        name: "n",
        category: "c",
        rank: 1.5,
        meta: { level: 1, tag: "t" },
      });
      // _creationTime is milliseconds since the epoch.
      expect(doc!._creationTime).toBeGreaterThanOrEqual(before - 1000);
      expect(doc!._creationTime).toBeLessThanOrEqual(Date.now() + 1000);
    });

    test("_creationTime strictly increases, and a table scan returns creation order", async () => {
      const t = setup();
      await seedItems(t);
      const docs = await t.query(api.items.list, {});
      expect(docs.map((d) => d.name)).toEqual(seedOrder);
      for (let i = 1; i < docs.length; i++) {
        expect(docs[i]._creationTime).toBeGreaterThan(docs[i - 1]._creationTime);
      }
    });

    test("table scan with order('desc') returns reverse creation order", async () => {
      const t = setup();
      await seedItems(t);
      const docs = await t.query(api.items.list, { order: "desc" });
      expect(docs.map((d) => d.name)).toEqual([...seedOrder].reverse());
    });

    test("a field set to undefined in insert is not stored", async () => {
      const t = setup();
      const { id, hasCategoryKey } = await t.mutation(
        api.items.insertWithUndefinedField,
        { name: "u" },
      );
      expect(hasCategoryKey).toBe(false);
      const doc = await t.query(api.items.get, { id });
      expect(Object.keys(doc!).sort()).toEqual(["_creationTime", "_id", "name"]);
    });

    test("patch is a shallow merge: nested objects are replaced, not merged", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, {
        name: "p",
        category: "a",
        rank: 1,
        meta: { level: 1, tag: "keep?" },
      });
      const doc = await t.mutation(api.items.patch, {
        id,
        fields: { rank: 2, meta: { level: 5 } },
      });
      expect(doc).toEqual({
        _id: id,
        _creationTime: expect.any(Number),
        name: "p",
        category: "a",
        rank: 2,
        meta: { level: 5 },
      });
    });

    test("patch with a field set to undefined removes that field", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, { name: "p", category: "a", rank: 1 });
      const doc = await t.mutation(api.items.patch, {
        id,
        fields: { name: "q" },
        unset: ["category"],
      });
      expect(doc).not.toHaveProperty("category");
      expect(doc).toMatchObject({ name: "q", rank: 1 });
      const reread = await t.query(api.items.get, { id });
      expect(Object.keys(reread!).sort()).toEqual(["_creationTime", "_id", "name", "rank"]);
    });

    test("patch keeps _id and _creationTime", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, { name: "p" });
      const before = await t.query(api.items.get, { id });
      const after = await t.mutation(api.items.patch, { id, fields: { rank: 9 } });
      expect(after!._id).toBe(id);
      expect(after!._creationTime).toBe(before!._creationTime);
    });

    test("patch may repeat the document's own _id but not a different one", async () => {
      const t = setup();
      const [id, other] = await t.mutation(api.items.insertMany, {
        items: [{ name: "one" }, { name: "two" }],
      });
      const same = await t.mutation(api.items.patch, { id, fields: { _id: id, rank: 1 } });
      expect(same).toMatchObject({ _id: id, name: "one", rank: 1 });
      await rejects(t.mutation(api.items.patch, { id, fields: { _id: other, rank: 2 } }));
      expect(await t.query(api.items.get, { id })).toMatchObject({ name: "one", rank: 1 });
    });

    test("replace swaps all user fields and keeps _id and _creationTime", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, {
        name: "r",
        category: "a",
        rank: 1,
        meta: { level: 1 },
      });
      const before = await t.query(api.items.get, { id });
      const after = await t.mutation(api.items.replace, { id, value: { name: "r2", rank: 7 } });
      expect(after).toEqual({
        _id: id,
        _creationTime: before!._creationTime,
        name: "r2",
        rank: 7,
      });
    });

    test("delete then get returns null", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, { name: "d" });
      expect(await t.mutation(api.items.remove, { id })).toBeNull();
      expect(await t.query(api.items.get, { id })).toBeNull();
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("patch, replace and delete of a deleted document throw", async () => {
      const t = setup();
      const id = await t.mutation(api.items.insert, { name: "d" });
      await t.mutation(api.items.remove, { id });
      await rejects(t.mutation(api.items.patch, { id, fields: { rank: 1 } }));
      await rejects(t.mutation(api.items.replace, { id, value: { name: "z" } }));
      await rejects(t.mutation(api.items.remove, { id }));
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("a query returning undefined yields null", async () => {
      const t = setup();
      expect(await t.query(api.items.returnsUndefined, {})).toBeNull();
    });

    test("values round-trip unchanged: int64, bytes, -0, NaN, ±Infinity, nested", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "big", value: -9223372036854775808n },
          { label: "bytes", value: bytes(0, 1, 254, 255) },
          { label: "negZero", value: -0 },
          { label: "nan", value: NaN },
          { label: "inf", value: Infinity },
          { label: "ninf", value: -Infinity },
          {
            label: "nested",
            value: { a: [1n, 2.5, "s", null, true, { b: bytes(7) }], "key with space": {} },
          },
        ],
      });
      const get = async (label: string) => (await t.query(api.values.get, { label }))[0];
      expect(await get("big")).toBe(-9223372036854775808n);
      expect(bytesOf(await get("bytes"))).toEqual([0, 1, 254, 255]);
      expect(Object.is(await get("negZero"), -0)).toBe(true);
      expect(Number.isNaN(await get("nan"))).toBe(true);
      expect(await get("inf")).toBe(Infinity);
      expect(await get("ninf")).toBe(-Infinity);
      const nested = (await get("nested")) as {
        a: unknown[];
        "key with space": unknown;
      };
      expect(nested.a.slice(0, 5)).toEqual([1n, 2.5, "s", null, true]);
      expect(bytesOf((nested.a[5] as { b: unknown }).b)).toEqual([7]);
      expect(nested["key with space"]).toEqual({});
    });

    test("a table that is not in the schema accepts any document", async () => {
      const t = setup();
      await t.mutation(api.misc.insertScratch, { doc: { anything: [1, "two"], n: 3n } });
      const docs = await t.query(api.misc.listScratch, {});
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({ anything: [1, "two"], n: 3n });
    });
  });

  // ---------------------------------------------------------------------------
  describe("value ordering", () => {
    // facts §3.3: undefined < null < int64 < float64 < boolean < string < bytes < array < object
    const mixed: { label: string; value?: unknown }[] = [
      { label: "obj_b", value: { b: 1 } },
      { label: "str_emoji", value: "\u{1F600}" },
      { label: "int_neg", value: -5n },
      { label: "missing" },
      { label: "float_one_half", value: 1.5 },
      { label: "bool_true", value: true },
      { label: "bytes_01", value: bytes(0, 1) },
      { label: "arr_empty", value: [] },
      { label: "null", value: null },
      { label: "float_neg_zero", value: -0 },
      { label: "str_empty", value: "" },
      { label: "int_big", value: 9007199254740993n },
      { label: "float_zero", value: 0 },
      { label: "float_neg_inf", value: -Infinity },
      { label: "bool_false", value: false },
      { label: "str_ffff", value: "\uFFFF" },
      { label: "str_a", value: "a" },
      { label: "bytes_empty", value: bytes() },
      { label: "bytes_ff", value: bytes(255) },
      { label: "arr_1", value: [1] },
      { label: "arr_1_a", value: [1, "a"] },
      { label: "arr_str", value: ["a"] },
      { label: "obj_empty", value: {} },
      { label: "obj_a", value: { a: 1 } },
      { label: "obj_a2", value: { a: 2 } },
      { label: "float_inf", value: Infinity },
      { label: "float_nan", value: NaN },
      { label: "float_neg", value: -2.5 },
      { label: "str_Z", value: "Z" },
    ];
    const mixedAsc = [
      "missing",
      "null",
      "int_neg",
      "int_big",
      "float_neg_inf",
      "float_neg",
      "float_neg_zero",
      "float_zero",
      "float_one_half",
      "float_inf",
      "float_nan",
      "bool_false",
      "bool_true",
      "str_empty",
      "str_Z",
      "str_a",
      "str_ffff",
      "str_emoji",
      "bytes_empty",
      "bytes_01",
      "bytes_ff",
      "arr_empty",
      "arr_1",
      "arr_1_a",
      "arr_str",
      "obj_empty",
      "obj_a",
      "obj_a2",
      "obj_b",
    ];

    test("an index orders values of every type: undefined < null < int64 < float64 < boolean < string < bytes < array < object", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, { entries: mixed });
      expect(await t.query(api.indexes.valuesByIndex, {})).toEqual(mixedAsc);
    });

    test("order('desc') on an index is the exact reverse", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, { entries: mixed });
      expect(await t.query(api.indexes.valuesByIndex, { order: "desc" })).toEqual(
        [...mixedAsc].reverse(),
      );
    });

    test("strings sort by UTF-8 bytes: U+FFFF before U+1F600 (UTF-16 would invert them)", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "emoji", value: "\u{1F600}" },
          { label: "ffff", value: "\uFFFF" },
          { label: "e_acute", value: "\u00E9" },
          { label: "z", value: "z" },
          { label: "A", value: "A" },
        ],
      });
      expect(await t.query(api.indexes.valuesByIndex, {})).toEqual([
        "A",
        "z",
        "e_acute",
        "ffff",
        "emoji",
      ]);
    });

    test("-0 sorts before +0, and both stay distinct", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "pos", value: 0 },
          { label: "neg", value: -0 },
          { label: "tiny", value: -Number.MIN_VALUE },
        ],
      });
      expect(await t.query(api.indexes.valuesByIndex, {})).toEqual(["tiny", "neg", "pos"]);
    });

    test("every int64 sorts before every float64, regardless of magnitude", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "f_neg_big", value: -1e300 },
          { label: "i_max", value: 9223372036854775807n },
          { label: "f_small", value: 0.5 },
          { label: "i_min", value: -9223372036854775808n },
        ],
      });
      expect(await t.query(api.indexes.valuesByIndex, {})).toEqual([
        "i_min",
        "i_max",
        "f_neg_big",
        "f_small",
      ]);
    });

    test("equal index keys are ordered by _creationTime", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "second-1", value: 2 },
          { label: "first-1", value: 1 },
          { label: "second-2", value: 2 },
          { label: "first-2", value: 1 },
          { label: "second-3", value: 2 },
        ],
      });
      expect(await t.query(api.indexes.valuesByIndex, {})).toEqual([
        "first-1",
        "first-2",
        "second-1",
        "second-2",
        "second-3",
      ]);
      expect(await t.query(api.indexes.valuesByIndex, { order: "desc" })).toEqual([
        "second-3",
        "second-2",
        "second-1",
        "first-2",
        "first-1",
      ]);
    });

    test("index range bounds compare across types (gte null / gt undefined / lt 0)", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, { entries: mixed });
      const present = mixedAsc.filter((l) => l !== "missing");
      expect(
        await t.query(api.indexes.valuesRange, { ops: [{ op: "gt", field: "value" }] }),
      ).toEqual(present);
      expect(
        await t.query(api.indexes.valuesRange, {
          ops: [{ op: "gte", field: "value", value: null }],
        }),
      ).toEqual(present);
      expect(
        await t.query(api.indexes.valuesRange, {
          ops: [{ op: "lt", field: "value", value: 0 }],
        }),
      ).toEqual(mixedAsc.slice(0, mixedAsc.indexOf("float_zero")));
      expect(
        await t.query(api.indexes.valuesRange, {
          ops: [
            { op: "gte", field: "value", value: "" },
            { op: "lt", field: "value", value: bytes() },
          ],
        }),
      ).toEqual(["str_empty", "str_Z", "str_a", "str_ffff", "str_emoji"]);
    });
  });

  // ---------------------------------------------------------------------------
  describe("indexes: withIndex ranges", () => {
    test("an index without a range orders by its fields, then _creationTime", async () => {
      const t = setup();
      await seedItems(t);
      // rank ties: b1/a1 and b2/a2 fall back to creation order.
      expect(await range(t, "by_rank", [])).toEqual(["aNone", "a1", "b1", "b2", "a2", "a3", "x"]);
      expect(await range(t, "by_category_rank", [])).toEqual([
        "x",
        "aNone",
        "a1",
        "a2",
        "a3",
        "b1",
        "b2",
      ]);
      expect(await range(t, "by_name", [])).toEqual(["a1", "a2", "a3", "aNone", "b1", "b2", "x"]);
    });

    test("order('desc') reverses an index scan", async () => {
      const t = setup();
      await seedItems(t);
      expect(await range(t, "by_rank", [], "desc")).toEqual([
        "x",
        "a3",
        "a2",
        "b2",
        "b1",
        "a1",
        "aNone",
      ]);
    });

    test("eq on a prefix of a multi-field index", async () => {
      const t = setup();
      await seedItems(t);
      expect(await range(t, "by_category_rank", [{ op: "eq", field: "category", value: "a" }])).toEqual(
        ["aNone", "a1", "a2", "a3"],
      );
      expect(
        await range(t, "by_category_rank", [
          { op: "eq", field: "category", value: "a" },
          { op: "eq", field: "rank", value: 2 },
        ]),
      ).toEqual(["a2"]);
      expect(await range(t, "by_category_rank", [{ op: "eq", field: "category", value: "zzz" }])).toEqual(
        [],
      );
    });

    test("gt / gte / lt / lte after an eq prefix", async () => {
      const t = setup();
      await seedItems(t);
      const a = { op: "eq", field: "category", value: "a" } as const;
      const r = (ops: RangeOp[], order?: "asc" | "desc") =>
        range(t, "by_category_rank", [a, ...ops], order);
      expect(await r([{ op: "gt", field: "rank", value: 1 }])).toEqual(["a2", "a3"]);
      expect(await r([{ op: "gte", field: "rank", value: 1 }])).toEqual(["a1", "a2", "a3"]);
      // A missing rank (undefined) sorts before every number.
      expect(await r([{ op: "lt", field: "rank", value: 3 }])).toEqual(["aNone", "a1", "a2"]);
      expect(await r([{ op: "lte", field: "rank", value: 2 }])).toEqual(["aNone", "a1", "a2"]);
      expect(
        await r([
          { op: "gt", field: "rank", value: 1 },
          { op: "lt", field: "rank", value: 3 },
        ]),
      ).toEqual(["a2"]);
      expect(
        await r(
          [
            { op: "gte", field: "rank", value: 2 },
            { op: "lte", field: "rank", value: 3 },
          ],
          "desc",
        ),
      ).toEqual(["a3", "a2"]);
      // Upper bound first, then lower bound, is the same range.
      expect(
        await r([
          { op: "lt", field: "rank", value: 3 },
          { op: "gt", field: "rank", value: 1 },
        ]),
      ).toEqual(["a2"]);
      // Empty range.
      expect(
        await r([
          { op: "gt", field: "rank", value: 3 },
          { op: "lt", field: "rank", value: 1 },
        ]),
      ).toEqual([]);
    });

    test("typed range builder: eq prefix with gte/lte bounds", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.indexes.byCategoryRank, { category: "a", minRank: 2 })).toEqual([
        "a2",
        "a3",
      ]);
      expect(
        await t.query(api.indexes.byCategoryRank, { category: "b", minRank: 1, maxRank: 1 }),
      ).toEqual(["b1"]);
      expect(await t.query(api.indexes.byCategoryRank, { category: "a", maxRank: 1 })).toEqual([
        "aNone",
        "a1",
      ]);
    });

    test("a bound on a prefix field is prefix-inclusive / prefix-exclusive", async () => {
      const t = setup();
      await seedItems(t);
      const r = (ops: RangeOp[]) => range(t, "by_category_rank", ops);
      // lte "a" includes every (a, *) key; lt "b" is the same set.
      expect(await r([{ op: "lte", field: "category", value: "a" }])).toEqual([
        "x",
        "aNone",
        "a1",
        "a2",
        "a3",
      ]);
      expect(await r([{ op: "lt", field: "category", value: "b" }])).toEqual([
        "x",
        "aNone",
        "a1",
        "a2",
        "a3",
      ]);
      // gt "a" excludes every (a, *) key; gte "a" includes them.
      expect(await r([{ op: "gt", field: "category", value: "a" }])).toEqual(["b1", "b2"]);
      expect(await r([{ op: "gte", field: "category", value: "a" }])).toEqual([
        "aNone",
        "a1",
        "a2",
        "a3",
        "b1",
        "b2",
      ]);
      expect(await r([{ op: "lt", field: "category", value: "a" }])).toEqual(["x"]);
    });

    test("eq undefined matches documents where the field is missing", async () => {
      const t = setup();
      await seedItems(t);
      expect(await range(t, "by_category_rank", [{ op: "eq", field: "category" }])).toEqual(["x"]);
      expect(await range(t, "by_rank", [{ op: "eq", field: "rank" }])).toEqual(["aNone"]);
      expect(
        await range(t, "by_category_rank", [
          { op: "eq", field: "category", value: "a" },
          { op: "eq", field: "rank" },
        ]),
      ).toEqual(["aNone"]);
    });

    test("gt undefined matches documents where the field is present", async () => {
      const t = setup();
      await seedItems(t);
      expect(await range(t, "by_rank", [{ op: "gt", field: "rank" }])).toEqual([
        "a1",
        "b1",
        "b2",
        "a2",
        "a3",
        "x",
      ]);
    });

    test("an index on a dotted path (meta.level)", async () => {
      const t = setup();
      await seedItems(t);
      expect(await range(t, "by_meta_level", [])).toEqual(["b2", "x", "aNone", "a3", "a1", "a2", "b1"]);
      expect(await range(t, "by_meta_level", [{ op: "eq", field: "meta.level", value: 2 }])).toEqual([
        "a2",
      ]);
      expect(await range(t, "by_meta_level", [{ op: "gte", field: "meta.level", value: 2 }])).toEqual([
        "a2",
        "b1",
      ]);
      expect(await range(t, "by_meta_level", [{ op: "eq", field: "meta.level" }])).toEqual([
        "b2",
        "x",
        "aNone",
        "a3",
      ]);
    });

    test("by_creation_time and by_id system indexes", async () => {
      const t = setup();
      const ids = await seedItems(t);
      expect(await range(t, "by_creation_time", [])).toEqual(seedOrder);
      expect(await range(t, "by_creation_time", [], "desc")).toEqual([...seedOrder].reverse());
      const third = await t.query(api.items.get, { id: ids[2] });
      expect(
        await range(t, "by_creation_time", [
          { op: "gt", field: "_creationTime", value: third!._creationTime },
        ]),
      ).toEqual(seedOrder.slice(3));
      expect(await range(t, "by_id", [{ op: "eq", field: "_id", value: ids[4] }])).toEqual([
        seedOrder[4],
      ]);
    });

    test("withIndex on an index the schema does not declare throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(range(t, "by_nothing", []));
    });

    test("invalid range: eq on a non-prefix field (gap) throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [{ op: "eq", field: "rank", value: 1 }]),
        /didn't use the index fields in order/,
      );
    });

    test("invalid range: a bound that is not on the field after the last eq throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [{ op: "gt", field: "rank", value: 1 }]),
        /didn't use the index fields in order/,
      );
    });

    test("invalid range: eq after a bound throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [
          { op: "gt", field: "category", value: "a" },
          { op: "eq", field: "rank", value: 1 },
        ]),
        /didn't use the index fields in order/,
      );
    });

    test("invalid range: two lower bounds throw", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [
          { op: "eq", field: "category", value: "a" },
          { op: "gt", field: "rank", value: 1 },
          { op: "gte", field: "rank", value: 2 },
        ]),
        /Already defined lower bound/,
      );
    });

    test("invalid range: lower and upper bounds on different fields throw", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [
          { op: "gt", field: "category", value: "a" },
          { op: "lt", field: "rank", value: 3 },
        ]),
        /can only be applied to a single index/,
      );
    });

    test("invalid range: the same field in two eqs throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [
          { op: "eq", field: "category", value: "a" },
          { op: "eq", field: "category", value: "b" },
        ]),
        /Already defined equality bound/,
      );
    });

    test("invalid range: a field that is not in the index throws", async () => {
      const t = setup();
      await seedItems(t);
      await rejects(
        range(t, "by_category_rank", [{ op: "eq", field: "name", value: "a1" }]),
        /doesn't index this field/,
      );
    });

    // facts §3.4: equalities may come in any order as long as they form a
    // prefix; convex-test (§4) requires index order and throws.
    localOnly("eq expressions in non-index order that form a prefix are accepted", async () => {
      const t = setup();
      await seedItems(t);
      expect(
        await range(t, "by_category_rank", [
          { op: "eq", field: "rank", value: 2 },
          { op: "eq", field: "category", value: "a" },
        ]),
      ).toEqual(["a2"]);
    });
  });

  // ---------------------------------------------------------------------------
  describe("filters", () => {
    test("and / or / not / neq", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.filters.andFilter, {})).toEqual(["a2", "a3"]);
      expect(await t.query(api.filters.orFilter, {})).toEqual(["b2", "x", "b1"]);
      expect(await t.query(api.filters.notFilter, {})).toEqual(["b2", "x", "b1"]);
      expect(await t.query(api.filters.neqFilter, {})).toEqual(["b2", "x", "b1"]);
    });

    test("eq undefined matches a missing field", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.filters.missingCategory, {})).toEqual(["x"]);
    });

    test("a nested field path in a filter", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.filters.nestedField, { minLevel: 2 })).toEqual(["a2", "b1"]);
    });

    test("a filter after an index range, with a literal boolean operand", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.filters.indexThenFilter, { category: "a", keep: false })).toEqual([
        "a2",
      ]);
      expect(await t.query(api.filters.indexThenFilter, { category: "a", keep: true })).toEqual([
        "aNone",
        "a1",
        "a2",
        "a3",
      ]);
    });

    test("chained filters combine with AND and take() counts matching documents", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.filters.chainedFiltersTake, { n: 3 })).toEqual(["a2", "a1", "aNone"]);
      expect(await t.query(api.filters.chainedFiltersTake, { n: 10 })).toEqual([
        "a2",
        "a1",
        "aNone",
        "a3",
      ]);
    });

    test("eq / neq compare values of any type exactly", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "missing" },
          { label: "null", value: null },
          { label: "int", value: 1n },
          { label: "float", value: 1 },
          { label: "str", value: "1" },
          { label: "bytes", value: bytes(1) },
          { label: "arr", value: [1, "a"] },
          { label: "obj", value: { a: 1 } },
        ],
      });
      const cmp = (op: "eq" | "neq", value?: unknown) => t.query(api.values.compare, { op, value });
      expect(await cmp("eq", 1)).toEqual(["float"]);
      expect(await cmp("eq", 1n)).toEqual(["int"]);
      expect(await cmp("eq", null)).toEqual(["null"]);
      expect(await cmp("eq")).toEqual(["missing"]);
      expect(await cmp("eq", bytes(1))).toEqual(["bytes"]);
      expect(await cmp("eq", [1, "a"])).toEqual(["arr"]);
      expect(await cmp("eq", { a: 1 })).toEqual(["obj"]);
      expect(await cmp("neq", null)).toEqual(["missing", "int", "float", "str", "bytes", "arr", "obj"]);
    });

    test("an int64 field never equals a float64 literal", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, {
        rows: [{ label: "three", f: 3, i: 3n }],
      });
      expect(await t.query(api.numbers.intEqFloatLiteral, {})).toEqual([]);
    });

    test("arithmetic on float64 and on int64 fields", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, {
        rows: [
          { label: "r1", f: 1, i: 1n },
          { label: "r2", f: 2.5, i: 2n },
          { label: "r3", f: 3, i: 3n },
          { label: "r4", f: 4, i: 4n },
        ],
      });
      expect(await t.query(api.numbers.floatAddGt, {})).toEqual(["r2", "r3", "r4"]);
      expect(await t.query(api.numbers.intModEven, {})).toEqual(["r2", "r4"]);
      expect(await t.query(api.numbers.intMulSub, {})).toEqual(["r3"]);
      expect(await t.query(api.numbers.floatDivLte, {})).toEqual(["r1"]);
    });

    test("arithmetic mixing int64 and float64 throws", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, { rows: [{ label: "r", f: 1, i: 1n }] });
      await rejects(t.query(api.numbers.arithmeticError, { kind: "intPlusFloat" }), /Cannot add/);
    });

    test("int64 division by zero in a filter throws", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, { rows: [{ label: "r", f: 1, i: 1n }] });
      await rejects(t.query(api.numbers.arithmeticError, { kind: "intDivZero" }), /by zero/);
    });

    // facts §4: convex-test has no `$neg` case in its filter evaluator.
    localOnly("q.neg negates a float64 field", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, {
        rows: [
          { label: "r1", f: 1, i: 1n },
          { label: "r3", f: 3, i: 3n },
        ],
      });
      expect(await t.query(api.numbers.floatNeg, {})).toEqual(["r3"]);
    });

    // facts §3.5/§4: arithmetic needs two int64s or two float64s; convex-test
    // uses JS operators (string concatenation, NaN, unbounded BigInt).
    localOnly("arithmetic on a string, a missing field, or overflowing int64 throws", async () => {
      const t = setup();
      await t.mutation(api.numbers.insertAll, { rows: [{ label: "r", f: 1, i: 1n, s: "x" }] });
      await rejects(t.query(api.numbers.arithmeticError, { kind: "stringPlusNumber" }), /Cannot add/);
      await rejects(t.query(api.numbers.arithmeticError, { kind: "missingPlusNumber" }), /Cannot add/);
      await rejects(t.query(api.numbers.arithmeticError, { kind: "intOverflow" }), /out of range/);
    });

    // facts §3.3/§3.5 vs §4: lt/lte/gt/gte use the cross-type total order;
    // convex-test uses JS `<` / `>`.
    localOnly("lt / gte across types use the total value order", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "missing" },
          { label: "null", value: null },
          { label: "int_big", value: 100n },
          { label: "float_neg", value: -1 },
          { label: "float_big", value: 100 },
          { label: "bool", value: true },
          { label: "str", value: "a" },
          { label: "bytes", value: bytes(0) },
          { label: "arr", value: [] },
          { label: "obj", value: {} },
        ],
      });
      const cmp = (op: "lt" | "lte" | "gt" | "gte", value?: unknown) =>
        t.query(api.values.compare, { op, value });
      expect(await cmp("lt", 0)).toEqual(["missing", "null", "int_big", "float_neg"]);
      expect(await cmp("gte", "a")).toEqual(["str", "bytes", "arr", "obj"]);
      expect(await cmp("gt", false)).toEqual(["bool", "str", "bytes", "arr", "obj"]);
      expect(await cmp("lte", null)).toEqual(["missing", "null"]);
      expect(await cmp("gt")).toEqual([
        "null",
        "int_big",
        "float_neg",
        "float_big",
        "bool",
        "str",
        "bytes",
        "arr",
        "obj",
      ]);
    });

    // facts §3.3 vs §4: string comparisons in filters are UTF-8 byte order.
    localOnly("string comparisons in filters use UTF-8 byte order", async () => {
      const t = setup();
      await t.mutation(api.values.insertAll, {
        entries: [
          { label: "ffff", value: "\uFFFF" },
          { label: "emoji", value: "\u{1F600}" },
        ],
      });
      expect(await t.query(api.values.compare, { op: "lt", value: "\u{1F600}" })).toEqual(["ffff"]);
      expect(await t.query(api.values.compare, { op: "gt", value: "\uFFFF" })).toEqual(["emoji"]);
    });
  });

  // ---------------------------------------------------------------------------
  describe("retrieval: take / first / unique / collect / iteration / normalizeId", () => {
    test("take(n) returns the first n documents", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.retrieval.take, { n: 3 })).toEqual(seedOrder.slice(0, 3));
      expect(await t.query(api.retrieval.take, { n: 0 })).toEqual([]);
      expect(await t.query(api.retrieval.take, { n: 100 })).toEqual(seedOrder);
    });

    test("take with a negative or fractional count throws", async () => {
      const t = setup();
      await rejects(t.query(api.retrieval.take, { n: -1 }));
      await rejects(t.query(api.retrieval.take, { n: 1.5 }));
    });

    test("first() returns the first match or null", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.retrieval.first, { name: "a2" })).toBe("a2");
      expect(await t.query(api.retrieval.first, { name: "nope" })).toBeNull();
    });

    test("unique() returns null for none and the document for one", async () => {
      const t = setup();
      const [id] = await seedItems(t);
      expect(await t.query(api.retrieval.uniqueByName, { name: "nope" })).toBeNull();
      expect(await t.query(api.retrieval.uniqueByName, { name: "b2" })).toBe(id);
    });

    test("unique() throws when two documents match", async () => {
      const t = setup();
      await t.mutation(api.items.insertMany, { items: [{ name: "dup" }, { name: "dup" }] });
      const err = await rejects(t.query(api.retrieval.uniqueByName, { name: "dup" }));
      // This text comes from the `convex` npm package itself (query_impl.ts).
      expect(err.message).toMatch(/unique\(\) query returned more than one result from table items/);
    });

    test("for await iterates in order and may stop early", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.query(api.retrieval.iterate, { limit: 2, order: "asc" })).toEqual(
        seedOrder.slice(0, 2),
      );
      expect(await t.query(api.retrieval.iterate, { limit: 3, order: "desc" })).toEqual(
        [...seedOrder].reverse().slice(0, 3),
      );
      expect(await t.query(api.retrieval.iterate, { limit: 100, order: "asc" })).toEqual(seedOrder);
    });

    test("two query streams can be open and advanced alternately", async () => {
      const t = setup();
      await t.mutation(api.items.insertMany, {
        items: [{ name: "1" }, { name: "2" }, { name: "3" }],
      });
      expect(await t.query(api.retrieval.interleaved, {})).toEqual(["1/3", "2/2", "3/1"]);
    });

    test("normalizeId accepts an id of the same table only", async () => {
      const t = setup();
      const itemId = await t.mutation(api.items.insert, { name: "n" });
      await t.mutation(api.values.insertAll, { entries: [{ label: "v", value: 1 }] });
      expect(await t.query(api.retrieval.normalizeId, { table: "items", id: itemId })).toBe(itemId);
      expect(await t.query(api.retrieval.normalizeId, { table: "values", id: itemId })).toBeNull();
      expect(await t.query(api.retrieval.getByString, { id: itemId })).toBe("n");
    });

    test("normalizeId returns null for strings that are not ids", async () => {
      const t = setup();
      await t.mutation(api.items.insert, { name: "n" });
      for (const garbage of ["", "garbage", "not an id", "0".repeat(32), "items"]) {
        expect(await t.query(api.retrieval.normalizeId, { table: "items", id: garbage })).toBeNull();
      }
      expect(await t.query(api.retrieval.getByString, { id: "garbage" })).toBeNull();
    });
  });

  // ---------------------------------------------------------------------------
  describe("pagination", () => {
    type PageResult = { names: string[]; isDone: boolean; continueCursor: string };
    const names10 = Array.from({ length: 10 }, (_, i) => `p${i}`);
    async function seedRanked(t: T, n: number, category?: (i: number) => string) {
      await t.mutation(api.items.insertMany, {
        // Inserted in reverse so that index order differs from creation order.
        items: Array.from({ length: n }, (_, k) => n - 1 - k).map((i) => ({
          name: `p${i}`,
          rank: i,
          ...(category ? { category: category(i) } : {}),
        })),
      });
    }
    const page = (
      t: T,
      cursor: string | null,
      numItems: number,
      extra: { source?: "by_rank" | "table"; order?: "asc" | "desc"; category?: string } = {},
    ): Promise<PageResult> =>
      t.query(api.pagination.page, { paginationOpts: { cursor, numItems }, ...extra });
    async function pageAll(
      t: T,
      numItems: number,
      extra: Parameters<typeof page>[3] = {},
    ): Promise<PageResult[]> {
      const pages: PageResult[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 50; i++) {
        const p = await page(t, cursor, numItems, extra);
        pages.push(p);
        if (p.isDone) return pages;
        cursor = p.continueCursor;
      }
      throw new Error("pagination did not terminate");
    }

    test("pages cover every document exactly once, in index order", async () => {
      const t = setup();
      await seedRanked(t, 10);
      const pages = await pageAll(t, 3);
      expect(pages.map((p) => p.names)).toEqual([
        ["p0", "p1", "p2"],
        ["p3", "p4", "p5"],
        ["p6", "p7", "p8"],
        ["p9"],
      ]);
      expect(pages.map((p) => p.isDone)).toEqual([false, false, false, true]);
      for (const p of pages) expect(typeof p.continueCursor).toBe("string");
    });

    test("pagination in desc order and over a full table scan", async () => {
      const t = setup();
      await seedRanked(t, 10);
      expect((await pageAll(t, 4, { order: "desc" })).flatMap((p) => p.names)).toEqual(
        [...names10].reverse(),
      );
      // Table scan = creation order, which is p9 … p0 here.
      expect((await pageAll(t, 4, { source: "table" })).flatMap((p) => p.names)).toEqual(
        [...names10].reverse(),
      );
    });

    test("a page size that divides the result still yields every document once", async () => {
      const t = setup();
      await seedRanked(t, 6);
      const pages = await pageAll(t, 3);
      expect(pages.flatMap((p) => p.names)).toEqual(["p0", "p1", "p2", "p3", "p4", "p5"]);
      expect(pages.at(-1)!.isDone).toBe(true);
      expect(pages.slice(0, -1).every((p) => !p.isDone && p.names.length === 3)).toBe(true);
    });

    // facts §3.7 vs §4: a page that fills exactly returns isDone:false even
    // when nothing is left; the next page is empty and done. convex-test
    // returns isDone:true on the full last page.
    localOnly("an exactly full page is not done; the following page is empty and done", async () => {
      const t = setup();
      await seedRanked(t, 6);
      const pages = await pageAll(t, 3);
      expect(pages.map((p) => [p.names.length, p.isDone])).toEqual([
        [3, false],
        [3, false],
        [0, true],
      ]);
    });

    test("filters apply before the page size: pages are filled with matching documents", async () => {
      const t = setup();
      await seedRanked(t, 10, (i) => (i % 2 === 0 ? "even" : "odd"));
      const pages = await pageAll(t, 2, { category: "even" });
      expect(pages.map((p) => p.names)).toEqual([["p0", "p2"], ["p4", "p6"], ["p8"]]);
      expect(pages.at(-1)!.isDone).toBe(true);
    });

    test("inserts and deletes between pages: no duplicates, no gaps", async () => {
      const t = setup();
      await seedRanked(t, 10);
      const first = await page(t, null, 3);
      expect(first.names).toEqual(["p0", "p1", "p2"]);
      const byName = async (name: string) =>
        (await t.run(async (ctx) =>
          ctx.db
            .query("items")
            .withIndex("by_name", (q) => q.eq("name", name))
            .unique(),
        ))!._id;
      const [p1, p2, p5] = [await byName("p1"), await byName("p2"), await byName("p5")];
      await t.run(async (ctx) => {
        await ctx.db.delete(p1); // already returned
        await ctx.db.delete(p2); // the document the cursor points at
        await ctx.db.delete(p5); // not yet returned
        await ctx.db.insert("items", { name: "n1.5", rank: 1.5 }); // before the cursor
        await ctx.db.insert("items", { name: "n7.5", rank: 7.5 }); // after the cursor
      });
      const rest: string[] = [];
      let cursor = first.continueCursor;
      for (let i = 0; i < 20; i++) {
        const p = await page(t, cursor, 3);
        rest.push(...p.names);
        if (p.isDone) break;
        cursor = p.continueCursor;
      }
      expect(rest).toEqual(["p3", "p4", "p6", "p7", "n7.5", "p8", "p9"]);
    });

    // Convex resumes after the cursor's index key whether or not a document is still there
    // (CursorPosition::After, crates/database/src/query/index_range.rs); convex-test resumes after
    // the cursor's sort-key values. Both: no duplicates, nothing live skipped, desc order too.
    test("desc order: deletes at and after the cursor and inserts on both sides between pages", async () => {
      const t = setup();
      await seedRanked(t, 10);
      const first = await page(t, null, 3, { order: "desc" });
      expect(first.names).toEqual(["p9", "p8", "p7"]);
      await t.run(async (ctx) => {
        for (const name of ["p8", "p7", "p6", "p3"]) {
          const doc = await ctx.db
            .query("items")
            .withIndex("by_name", (q) => q.eq("name", name))
            .unique();
          await ctx.db.delete(doc!._id);
        }
        await ctx.db.insert("items", { name: "n8.5", rank: 8.5 }); // before the cursor
        await ctx.db.insert("items", { name: "n6.5", rank: 6.5 }); // just after it
        await ctx.db.insert("items", { name: "n-1", rank: -1 }); // at the far end
      });
      const rest: string[] = [];
      let cursor = first.continueCursor;
      for (let i = 0; i < 20; i++) {
        const p = await page(t, cursor, 2, { order: "desc" });
        rest.push(...p.names);
        if (p.isDone) break;
        cursor = p.continueCursor;
      }
      expect(rest).toEqual(["n6.5", "p5", "p4", "p2", "p1", "p0", "n-1"]);
    });

    // Reactive pagination re-runs a page with its first end cursor (facts §2.7): after the
    // documents at a page's end and at the next page's start are deleted, the re-run pages stay
    // adjacent.
    test("pages re-run with their end cursors after deletes at the page boundaries stay adjacent", async () => {
      const t = setup();
      await seedRanked(t, 9);
      const pinned = (cursor: string | null, endCursor: string): Promise<PageResult> =>
        t.query(api.pagination.page, { paginationOpts: { cursor, endCursor, numItems: 3 } });
      const p1 = await page(t, null, 3);
      const p2 = await page(t, p1.continueCursor, 3);
      expect([p1.names, p2.names]).toEqual([["p0", "p1", "p2"], ["p3", "p4", "p5"]]);
      await t.run(async (ctx) => {
        for (const name of ["p2", "p3", "p5"]) {
          const doc = await ctx.db
            .query("items")
            .withIndex("by_name", (q) => q.eq("name", name))
            .unique();
          await ctx.db.delete(doc!._id);
        }
        await ctx.db.insert("items", { name: "n2.5", rank: 2.5 });
      });
      const again1 = await pinned(null, p1.continueCursor);
      const again2 = await pinned(p1.continueCursor, p2.continueCursor);
      const rest = await page(t, p2.continueCursor, 10);
      expect([again1.names, again2.names, rest.names]).toEqual([
        ["p0", "p1"],
        ["n2.5", "p4"],
        ["p6", "p7", "p8"],
      ]);
    });

    test("the same cursor returns the same page again", async () => {
      const t = setup();
      await seedRanked(t, 5);
      const first = await page(t, null, 2);
      const a = await page(t, first.continueCursor, 2);
      const b = await page(t, first.continueCursor, 2);
      expect(a.names).toEqual(["p2", "p3"]);
      expect(b.names).toEqual(a.names);
    });

    test("resuming from the cursor of the last page returns an empty, done page", async () => {
      const t = setup();
      await seedRanked(t, 3);
      const pages = await pageAll(t, 10);
      expect(pages).toHaveLength(1);
      expect(pages[0].names).toEqual(["p0", "p1", "p2"]);
      const after = await page(t, pages[0].continueCursor, 10);
      expect(after.names).toEqual([]);
      expect(after.isDone).toBe(true);
    });

    test("paginating an empty table returns an empty, done page", async () => {
      const t = setup();
      const p = await page(t, null, 5);
      expect(p).toMatchObject({ names: [], isDone: true });
      expect(typeof p.continueCursor).toBe("string");
    });

    test("a malformed cursor is rejected", async () => {
      const t = setup();
      await seedRanked(t, 3);
      await rejects(page(t, "this is not a cursor", 2));
    });

    test("two paginate() calls in one function throw", async () => {
      const t = setup();
      await seedRanked(t, 3);
      await rejects(t.query(api.pagination.twoPaginates, {}), /multiple paginated queries/);
    });

    // facts §3.7 vs §4: pageSize 0 is `NoDocumentsForPagination`; convex-test
    // returns a one-document page.
    localOnly("numItems: 0 is rejected", async () => {
      const t = setup();
      await seedRanked(t, 3);
      await rejects(page(t, null, 0), /at least 1 document/);
    });

    // facts §3.7 vs §4: cursors carry a query fingerprint; convex-test's
    // cursors are plain sort keys and are accepted by any query.
    localOnly("a cursor from a different query is rejected", async () => {
      const t = setup();
      await seedRanked(t, 6);
      const first = await page(t, null, 2, { source: "by_rank" });
      await rejects(page(t, first.continueCursor, 2, { source: "table" }), /InvalidCursor/);
    });
  });

  // ---------------------------------------------------------------------------
  describe("transactions", () => {
    test("a mutation that throws after writing leaves no trace", async () => {
      const t = setup();
      const err = await rejects(t.mutation(api.transactions.insertThenThrow, { name: "ghost" }));
      expect(err.message).toContain("insertThenThrow: abort after write");
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("a failing mutation's patch, delete and insert are all rolled back", async () => {
      const t = setup();
      const [keep, gone] = await t.mutation(api.items.insertMany, {
        items: [{ name: "keep" }, { name: "gone" }],
      });
      await rejects(
        t.mutation(api.transactions.writeManyThenThrow, { patchId: keep, deleteId: gone }),
      );
      expect(await t.query(api.items.names, {})).toEqual(["keep", "gone"]);
    });

    test("a caught failing child mutation rolls back only its own writes", async () => {
      const t = setup();
      const { caught, seen } = await t.mutation(api.transactions.parentCatchesChild, {});
      expect(caught).toEqual({ child: "child-failed" });
      // runQuery inside the mutation sees the parent's and the good child's writes.
      expect(seen).toEqual(["parent-before", "child-ok", "parent-after"]);
      expect(await t.query(api.items.names, {})).toEqual(["parent-before", "child-ok", "parent-after"]);
    });

    test("a parent that throws after a successful child rolls back the child too", async () => {
      const t = setup();
      await rejects(t.mutation(api.transactions.parentThrowsAfterChild, {}));
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("a mutation reads its own writes through get, scans and index ranges", async () => {
      const t = setup();
      expect(await t.mutation(api.transactions.readYourWrites, {})).toEqual({
        afterInsert: { get: "ryw", byIndex: ["ryw"] },
        afterPatch: { oldKey: 0, newKey: [20] },
        afterDelete: { get: null, scan: 0, byIndex: 0 },
      });
    });

    test("concurrent read-modify-write mutations are serializable", async () => {
      const t = setup();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.mutation(api.transactions.increment, { name: "c" })),
      );
      expect([...results].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await t.query(internal.transactions.counter, { name: "c" })).toBe(10);
    });

    test("t.run writes are visible to later queries", async () => {
      const t = setup();
      const id = await t.run(async (ctx) => ctx.db.insert("items", { name: "from-run", rank: 4 }));
      expect(await t.query(api.items.get, { id })).toMatchObject({ name: "from-run", rank: 4 });
      expect(await range(t, "by_rank", [{ op: "eq", field: "rank", value: 4 }])).toEqual([
        "from-run",
      ]);
      const seen = await t.run(async (ctx) => (await ctx.db.query("items").collect()).length);
      expect(seen).toBe(1);
    });

    test("a t.run handler that throws leaves no trace", async () => {
      const t = setup();
      await rejects(
        t.run(async (ctx) => {
          await ctx.db.insert("items", { name: "ghost" });
          throw new Error("abort t.run");
        }),
      );
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("a failed mutation does not schedule its jobs", async () => {
      const t = setup();
      await rejects(t.mutation(api.scheduling.scheduleThenThrow, { tag: "never" }));
      expect(await t.query(api.scheduling.listScheduled, {})).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------
  describe("validation", () => {
    test("valid args pass through; optional args may be omitted", async () => {
      const t = setup();
      expect(await t.query(api.validation.withArgs, { n: 1, s: "s" })).toEqual({ n: 1, s: "s" });
      expect(
        await t.query(api.validation.withArgs, { n: 2, s: "t", opt: true, choice: "y" }),
      ).toEqual({ n: 2, s: "t", opt: true, choice: "y" });
    });

    test("args validation rejects missing, mistyped and extra fields", async () => {
      const t = setup();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const call = (args: any) => t.query(api.validation.withArgs, args);
      await rejects(call({ n: 1 }), /ArgumentValidationError/);
      await rejects(call({ n: "1", s: "s" }), /ArgumentValidationError/);
      await rejects(call({ n: 1, s: "s", extra: 1 }), /ArgumentValidationError/);
      await rejects(call({ n: 1, s: "s", choice: "z" }), /ArgumentValidationError/);
      await rejects(call({ n: 1, s: "s", opt: null }), /ArgumentValidationError/);
    });

    test("v.int64 args accept bigint and reject number", async () => {
      const t = setup();
      expect(await t.query(api.validation.withInt64Arg, { x: 41n })).toBe(42n);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await rejects(t.query(api.validation.withInt64Arg, { x: 41 as any }), /ArgumentValidationError/);
    });

    test("v.id args reject an id of another table", async () => {
      const t = setup();
      const itemId = await t.mutation(api.items.insert, { name: "i" });
      const eventId = await t.mutation(api.validation.insertEvent, {
        doc: { type: "key", key: "k" },
      });
      expect(await t.query(api.validation.withIdArg, { id: itemId })).toBe(itemId);
      await rejects(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        t.query(api.validation.withIdArg, { id: eventId as any }),
        /ArgumentValidationError/,
      );
    });

    test("a valid v.record arg is accepted", async () => {
      const t = setup();
      expect(await t.query(api.validation.withRecordArg, { r: { a: 1, b: 2 } })).toBe(2);
    });

    // facts §4: convex-test has no "record" case in its validator.
    localOnly("v.record args reject values of the wrong type", async () => {
      const t = setup();
      await rejects(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        t.query(api.validation.withRecordArg, { r: { a: "one" } as any }),
        /ArgumentValidationError/,
      );
    });

    // facts §4: convex-test compares literals with `!==` against the JSON
    // encoding, so bigint literals never match.
    localOnly("a bigint literal validator accepts exactly that bigint", async () => {
      const t = setup();
      expect(await t.query(api.validation.withBigintLiteralArg, { x: 7n })).toBe(7n);
      await rejects(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        t.query(api.validation.withBigintLiteralArg, { x: 8n as any }),
        /ArgumentValidationError/,
      );
      await rejects(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        t.query(api.validation.withBigintLiteralArg, { x: 7 as any }),
        /ArgumentValidationError/,
      );
    });

    test("return values are validated against `returns`", async () => {
      const t = setup();
      expect(await t.query(api.validation.returnsOk, {})).toEqual({ a: 1 });
      await rejects(t.query(api.validation.returnsWrongType, {}), /ReturnsValidationError/);
      await rejects(t.query(api.validation.returnsExtraField, {}), /ReturnsValidationError/);
    });

    test("a mutation whose return value fails validation throws", async () => {
      const t = setup();
      await rejects(
        t.mutation(api.validation.mutationReturnsWrongType, { name: "w" }),
        /ReturnsValidationError/,
      );
    });

    // facts §3.10; crates/udf/src/validation.rs turns an invalid return value
    // into a function error before commit. convex-test validates after commit.
    localOnly("a mutation whose return value fails validation commits nothing", async () => {
      const t = setup();
      await rejects(t.mutation(api.validation.mutationReturnsWrongType, { name: "w" }));
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    const validTyped = (ref: Id<"items">) => ({
      big: 1234567890123456789n,
      bytes: bytes(1, 2, 3),
      ref,
      tags: { x: 1, y: 2.5 },
      status: "draft",
      payload: { kind: "a", a: 1 },
    });

    test("schema: a valid document with int64, bytes, id, record and unions is stored intact", async () => {
      const t = setup();
      const ref = await t.mutation(api.items.insert, { name: "ref" });
      const id = await t.mutation(api.validation.insertTyped, { doc: validTyped(ref) });
      const doc = await t.query(api.validation.getTyped, { id });
      expect(doc).toMatchObject({
        big: 1234567890123456789n,
        ref,
        tags: { x: 1, y: 2.5 },
        status: "draft",
        payload: { kind: "a", a: 1 },
      });
      expect(bytesOf(doc!.bytes)).toEqual([1, 2, 3]);
      expect(doc).not.toHaveProperty("flag");
    });

    test("schema: inserts that do not match are rejected", async () => {
      const t = setup();
      const ref = await t.mutation(api.items.insert, { name: "ref" });
      const eventId = await t.mutation(api.validation.insertEvent, {
        doc: { type: "click", x: 1, y: 2 },
      });
      const good = validTyped(ref);
      const bad: Record<string, unknown>[] = [
        { ...good, big: 1 }, // number instead of int64
        { ...good, bytes: "AQID" }, // string instead of bytes
        { ...good, ref: eventId }, // id of another table
        { ...good, status: "bogus" }, // not one of the literals
        { ...good, payload: { kind: "a", b: "x" } }, // no union member matches
        { ...good, flag: null }, // optional boolean is not nullable
        { ...good, extra: 1 }, // extra field
        (({ status: _s, ...rest }) => rest)(good), // missing field
      ];
      for (const doc of bad) {
        await rejects(t.mutation(api.validation.insertTyped, { doc }), /does not match the schema/);
      }
      await rejects(
        t.mutation(api.validation.insertItemRaw, { doc: { name: "n", category: null } }),
        /does not match the schema/,
      );
      expect(
        await t.run(async (ctx) => (await ctx.db.query("typed").collect()).length),
      ).toBe(0);
    });

    test("schema: a table whose document type is a union of objects", async () => {
      const t = setup();
      await t.mutation(api.validation.insertEvent, { doc: { type: "click", x: 1, y: 2 } });
      await t.mutation(api.validation.insertEvent, { doc: { type: "key", key: "k" } });
      await rejects(
        t.mutation(api.validation.insertEvent, { doc: { type: "click", key: "k" } }),
        /does not match the schema/,
      );
      await rejects(
        t.mutation(api.validation.insertEvent, { doc: { type: "scroll" } }),
        /does not match the schema/,
      );
      expect(await t.run(async (ctx) => (await ctx.db.query("events").collect()).length)).toBe(2);
    });

    test("schema: patch validates the merged document", async () => {
      const t = setup();
      const ref = await t.mutation(api.items.insert, { name: "ref" });
      const id = await t.mutation(api.validation.insertTyped, { doc: validTyped(ref) });
      const patched = await t.mutation(api.validation.patchTyped, {
        id,
        fields: { status: "published", flag: true },
      });
      expect(patched).toMatchObject({ status: "published", flag: true });
      await rejects(
        t.mutation(api.validation.patchTyped, { id, fields: { status: "bogus" } }),
        /does not match the schema/,
      );
      await rejects(
        t.mutation(api.validation.patchTyped, { id, fields: {}, unset: ["status"] }),
        /does not match the schema/,
      );
      await rejects(
        t.mutation(api.validation.patchTyped, { id, fields: { unknown: 1 } }),
        /does not match the schema/,
      );
      // Removing an optional field is fine.
      const unset = await t.mutation(api.validation.patchTyped, { id, fields: {}, unset: ["flag"] });
      expect(unset).not.toHaveProperty("flag");
      expect(await t.query(api.validation.getTyped, { id })).toMatchObject({ status: "published" });
    });

    test("schema: replace validates the new document", async () => {
      const t = setup();
      const ref = await t.mutation(api.items.insert, { name: "ref" });
      const id = await t.mutation(api.validation.insertTyped, { doc: validTyped(ref) });
      await rejects(
        t.mutation(api.validation.replaceTyped, { id, doc: { status: "draft" } }),
        /does not match the schema/,
      );
      const replaced = await t.mutation(api.validation.replaceTyped, {
        id,
        doc: { ...validTyped(ref), status: "published", payload: { kind: "b", b: "x" } },
      });
      expect(replaced).toMatchObject({ _id: id, status: "published", payload: { kind: "b", b: "x" } });
    });

    // facts §4: convex-test skips "record" validators in the schema too.
    localOnly("schema: v.record values are validated", async () => {
      const t = setup();
      const ref = await t.mutation(api.items.insert, { name: "ref" });
      await rejects(
        t.mutation(api.validation.insertTyped, { doc: { ...validTyped(ref), tags: { x: "1" } } }),
        /does not match the schema/,
      );
    });
  });

  // ---------------------------------------------------------------------------
  describe("errors", () => {
    const expectedData = {
      code: "E_CONFLICT",
      n: 42,
      big: 7n,
      nested: { list: [1, "two", null, false], empty: {} },
    };

    test("ConvexError data from a mutation arrives intact; its writes are rolled back", async () => {
      const t = setup();
      const err = await rejects(t.mutation(api.errors.mutationThrowsConvexError, {}));
      expect(err).toBeInstanceOf(ConvexError);
      expect(err.data).toEqual(expectedData);
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("ConvexError with a string payload", async () => {
      const t = setup();
      const err = await rejects(t.mutation(api.errors.mutationThrowsStringConvexError, {}));
      expect(err).toBeInstanceOf(ConvexError);
      expect(err.data).toBe("plain message");
    });

    test("ConvexError data from an action arrives intact", async () => {
      const t = setup();
      const err = await rejects(t.action(api.errors.actionThrowsConvexError, {}));
      expect(err).toBeInstanceOf(ConvexError);
      expect(err.data).toEqual(expectedData);
    });

    test("an action catches a mutation's ConvexError with its data", async () => {
      const t = setup();
      expect(await t.action(api.errors.actionCatchesMutationError, {})).toEqual({
        caught: true,
        data: { tag: "from-action", when: "internal" },
      });
      expect(await t.query(api.items.count, {})).toBe(0);
    });

    test("a plain Error keeps its message and carries no data", async () => {
      const t = setup();
      const err = await rejects(t.mutation(api.errors.plainErrorMutation, {}));
      expect(err.message).toContain("plain error message 123");
      expect(err).not.toBeInstanceOf(ConvexError);
    });
  });

  // ---------------------------------------------------------------------------
  describe("actions and function references", () => {
    test("an action chains runMutation, runQuery and runAction", async () => {
      const t = setup();
      const { id, name, doubled } = await t.action(api.actions.chain, { name: "c", rank: 21 });
      expect(name).toBe("c");
      expect(doubled).toBe(42);
      expect(await t.query(api.items.get, { id })).toMatchObject({ name: "c", rank: 21 });
    });

    test("mutations run by an action stay committed when the action fails", async () => {
      const t = setup();
      await rejects(t.action(api.actions.insertThenFail, { name: "kept" }));
      expect(await t.query(api.items.names, {})).toEqual(["kept"]);
    });

    test("an action can run an action that runs a query", async () => {
      const t = setup();
      await seedItems(t);
      expect(await t.action(api.actions.nested, {})).toBe(7);
    });

    test("internal functions can be called through the test harness", async () => {
      const t = setup();
      const id = await t.mutation(internal.items.internalInsert, { name: "int" });
      expect(await t.query(internal.transactions.namesInternal, {})).toEqual(["int"]);
      expect(await t.action(internal.actions.double, { x: 4 })).toBe(8);
      expect(typeof id).toBe("string");
    });

    test("a default export is addressed by its module path", async () => {
      const t = setup();
      expect(await t.query(api.defaultExport.default, {})).toBe("default export");
    });

    test("a function in a subfolder is addressed as folder/file:name", async () => {
      const t = setup();
      expect(await t.query(api.folder.nested.hello, { who: "you" })).toBe(
        "hello you from folder/nested",
      );
    });

    test("calling a mutation as a query is rejected", async () => {
      const t = setup();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await rejects(t.query(api.items.insert as any, { name: "x" }));
      expect(await t.query(api.items.count, {})).toBe(0);
    });
  });

  // ---------------------------------------------------------------------------
  describe("scheduler system table", () => {
    const HOUR = 3_600_000;

    test("a scheduled job is readable through db.system.query('_scheduled_functions')", async () => {
      const t = setup();
      const before = Date.now();
      const jobId = await t.mutation(api.scheduling.scheduleNoop, { tag: "t1", delayMs: HOUR });
      const after = Date.now();
      const jobs = await t.query(api.scheduling.listScheduled, {});
      expect(jobs).toHaveLength(1);
      expect(jobs[0].id).toBe(jobId);
      // Real Convex stores the canonical path "scheduling.js:noop".
      expect(jobs[0].name).toMatch(/^scheduling(\.js)?:noop$/);
      expect(jobs[0].args).toEqual([{ tag: "t1" }]);
      expect(jobs[0].state).toBe("pending");
      expect(jobs[0].scheduledTime).toBeGreaterThanOrEqual(before + HOUR - 1000);
      expect(jobs[0].scheduledTime).toBeLessThanOrEqual(after + HOUR + 1000);
    });

    test("canceling a pending job marks it canceled", async () => {
      const t = setup();
      const jobId = await t.mutation(api.scheduling.scheduleNoop, { tag: "t2", delayMs: HOUR });
      await t.mutation(api.scheduling.cancel, { id: jobId });
      expect(await t.query(api.scheduling.getScheduled, { id: jobId })).toMatchObject({
        state: "canceled",
      });
    });

    // facts §3.14 (crates/model/src/scheduled_jobs/virtual_table.rs): `name`
    // is the canonicalized path with `.js`; convex-test stores "scheduling:noop".
    localOnly("a scheduled job's name is the canonical path with .js", async () => {
      const t = setup();
      const jobId = await t.mutation(api.scheduling.scheduleNoop, { tag: "t3", delayMs: HOUR });
      expect(await t.query(api.scheduling.getScheduled, { id: jobId })).toEqual({
        name: "scheduling.js:noop",
        state: "pending",
      });
      await t.mutation(api.scheduling.cancel, { id: jobId });
    });
  });

  // ---------------------------------------------------------------------------
  // Vector search: cosine similarity, best first (docs.convex.dev/search/vector-search).
  // Scores are compared to 6 digits: Convex computes them in f32, convex-test in f64.
  describe("vector search", () => {
    // vectors.ts is not in the fixture's generated api.d.ts.
    const vectors = (api as any).vectors;
    const docs = [
      { label: "x", kind: "a", vector: [1, 0, 0] },
      { label: "xy", kind: "a", vector: [1, 1, 0] },
      { label: "y", kind: "b", vector: [0, 2, 0] },
      { label: "mostlyX", kind: "c", vector: [3, 1, 0] },
      { label: "neg", kind: "b", vector: [-1, 0.5, 0] },
    ];
    async function seedVectors(t: T): Promise<Record<string, string>> {
      const ids: string[] = await t.mutation(vectors.insertMany, { docs });
      return Object.fromEntries(docs.map((d, i) => [d.label, ids[i]!]));
    }
    type Hit = { _id: string; _score: number };

    test("results are { _id, _score }, sorted by cosine similarity", async () => {
      const t = setup();
      const ids = await seedVectors(t);
      const hits: Hit[] = await t.action(vectors.search, { vector: [1, 0, 0], limit: 10 });
      expect(hits.map((h) => h._id)).toEqual([ids.x, ids.mostlyX, ids.xy, ids.y, ids.neg]);
      const expected = [1, 3 / Math.sqrt(10), 1 / Math.sqrt(2), 0, -1 / Math.sqrt(1.25)];
      hits.forEach((h, i) => {
        expect(Object.keys(h).sort()).toEqual(["_id", "_score"]);
        expect(h._score).toBeCloseTo(expected[i]!, 6);
      });
    });

    test("limit keeps the best results", async () => {
      const t = setup();
      const ids = await seedVectors(t);
      const hits: Hit[] = await t.action(vectors.search, { vector: [0, 1, 0], limit: 2 });
      expect(hits.map((h) => h._id)).toEqual([ids.y, ids.xy]);
    });

    test("q.eq and q.or filter on a filter field", async () => {
      const t = setup();
      const ids = await seedVectors(t);
      const b: Hit[] = await t.action(vectors.search, { vector: [1, 0, 0], limit: 10, kinds: ["b"] });
      expect(b.map((h) => h._id)).toEqual([ids.y, ids.neg]);
      const ac: Hit[] = await t.action(vectors.search, { vector: [1, 0, 0], limit: 10, kinds: ["a", "c"] });
      expect(ac.map((h) => h._id)).toEqual([ids.x, ids.mostlyX, ids.xy]);
    });

    // crates/vector/src/qdrant_index.rs `compile`; convex-test does not check dimensions.
    localOnly("a query vector of the wrong dimensions is refused", async () => {
      const t = setup();
      await seedVectors(t);
      await rejects(
        t.action(vectors.search, { vector: [1, 0], limit: 10 }),
        /Expected a vector with dimensions 3, received 2\./,
      );
    });
  });

  // ---------------------------------------------------------------------------
  describe("function metadata", () => {
    const vectors = (api as any).vectors;

    test("getFunctionMetadata gives the path, component, type and visibility", async () => {
      const t = setup();
      const meta = (name: string, type: string) => ({ name: `vectors:${name}`, componentPath: "", type, visibility: "public" });
      expect(await t.query(vectors.metaQuery, {})).toEqual(meta("metaQuery", "query"));
      expect(await t.mutation(vectors.metaMutation, {})).toEqual(meta("metaMutation", "mutation"));
      expect(await t.action(vectors.metaAction, {})).toEqual(meta("metaAction", "action"));
    });

    // convex-test runs every function through a public wrapper.
    localOnly("an internal function's visibility is internal", async () => {
      const t = setup();
      expect(await t.query((internal as any).vectors.metaInternal, {})).toEqual({
        name: "vectors:metaInternal",
        componentPath: "",
        type: "query",
        visibility: "internal",
      });
    });
  });

  // The harness's own interface (object signature, inline functions, fake timers): harness-cases.ts.
  defineHarnessCases(convexTest);
  defineComponentCases(convexTest, options);
}
