// Vector search (`vectorIndex`, `ctx.vectorSearch` in actions), `ctx.meta.getFunctionMetadata`
// (HTTP actions included) and `log.audit` on the local backend, against the fixture app in
// ./fixtures-vector. Texts and rules: get-convex/convex-backend at 94a42c3db8d7 (crates/vector,
// crates/isolate/src/environment/{udf,action}/async_syscall.rs); see runtime/vector.ts.
import { anyApi } from "convex/server";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { f32Json } from "../src/runtime/vector.js";
import { decodeDocumentId } from "../src/values/ids.js";
import { convexTest, type TestConvex } from "../src/testing.js";

const api = anyApi as any;
const FIXTURE = fileURLToPath(new URL("./fixtures-vector/convex", import.meta.url));

type Hit = { _id: string; _score: number };

describe("vector search", () => {
  let t: TestConvex;
  const ids: Record<string, string> = {};
  const docs: Array<Record<string, any>> = [
    { label: "x", embedding: [1, 0, 0], kind: "a", lang: "en" },
    { label: "y", embedding: [0, 1, 0], kind: "b", lang: "en" },
    { label: "xy", embedding: [1, 1, 0], kind: "a", lang: "fr" },
    { label: "neg", embedding: [-1, 0, 0], kind: "b" },
    { label: "z", embedding: [0, 0, 2], kind: null },
    { label: "nokind", embedding: [1, 0.5, 0], lang: "de" },
    // Not in the index: wrong length, not numbers, no vector at all.
    { label: "short", embedding: [1, 0], kind: "a" },
    { label: "strings", embedding: ["1", "0", "0"], kind: "a" },
    { label: "novector", kind: "a" },
  ];

  beforeAll(async () => {
    t = convexTest(undefined, FIXTURE);
    const inserted: string[] = await t.mutation(api.docs.insertMany, { docs: docs as any });
    docs.forEach((d, i) => (ids[d.label as string] = inserted[i]!));
  });
  afterAll(async () => {
    await t.close();
  });

  const search = (args: Record<string, unknown>) => t.action<Hit[]>(api.docs.search, args as any);
  const labels = async (args: Record<string, unknown>) => {
    const byId = new Map(Object.entries(ids).map(([label, id]) => [id, label]));
    return (await search(args)).map((h) => byId.get(h._id));
  };

  test("results are { _id, _score }, best cosine similarity first, skipping documents without a valid vector", async () => {
    const hits = await search({ vector: [1, 0, 0], limit: 256 });
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(["_id", "_score"]);
    const byLabel = Object.fromEntries(Object.entries(ids).map(([l, id]) => [l, hits.find((h) => h._id === id)]));
    expect(hits).toHaveLength(6);
    expect(byLabel.x!._score).toBe(1);
    // 1/√2 as Convex reports it: an f32, serialised as its shortest decimal.
    expect(byLabel.xy!._score).toBe(0.70710677);
    expect(byLabel.nokind!._score).toBeCloseTo(1 / Math.sqrt(1.25), 6);
    expect(byLabel.y!._score).toBe(0);
    expect(byLabel.z!._score).toBe(0);
    expect(byLabel.neg!._score).toBe(-1);
    for (const skipped of ["short", "strings", "novector"]) expect(byLabel[skipped]).toBeUndefined();
    // Ties (y and z at 0) go to the larger internal id first, as Convex orders them.
    const internal = (id: string) => Buffer.from(decodeDocumentId(id)!.internalId);
    const zeroes = [ids.y!, ids.z!].sort((a, b) => Buffer.compare(internal(b), internal(a)));
    expect(hits.map((h) => h._id)).toEqual([ids.x, ids.nokind, ids.xy, ...zeroes, ids.neg]);
  });

  test("the score does not depend on the vectors' lengths", async () => {
    const [first] = await search({ vector: [0, 0, 5], limit: 1 });
    expect(first).toEqual({ _id: ids.z, _score: 1 });
    expect(await labels({ vector: [3, 3, 0], limit: 1 })).toEqual(["xy"]);
  });

  test("limit takes the best N; up to 256 may be asked for", async () => {
    expect(await labels({ vector: [1, 0, 0], limit: 2 })).toEqual(["x", "nokind"]);
    expect(await search({ vector: [1, 0, 0], limit: 0 })).toEqual([]);
    await expect(search({ vector: [1, 0, 0], limit: 256 })).resolves.toHaveLength(6);
    await expect(search({ vector: [1, 0, 0], limit: 257 })).rejects.toThrow(
      "Vector queries can fetch at most 256 results, requested 257.",
    );
  });

  test("q.eq filters on a filter field; q.or matches any of its conditions, across fields too", async () => {
    expect(await labels({ vector: [1, 0, 0], or: [["kind", "a"]] })).toEqual(["x", "xy"]);
    expect(await labels({ vector: [1, 0, 0], or: [["kind", "a"], ["kind", "b"]] })).toEqual(["x", "xy", "y", "neg"]);
    expect((await labels({ vector: [0, 1, 0], or: [["kind", "b"], ["lang", "fr"]] })).sort()).toEqual(["neg", "xy", "y"]);
    expect(await labels({ vector: [1, 0, 0], or: [["lang", "nope"]] })).toEqual([]);
  });

  test("null matches only null; undefined matches a missing field", async () => {
    expect(await labels({ vector: [1, 0, 0], or: [["kind", null]] })).toEqual(["z"]);
    expect(await labels({ vector: [1, 0, 0], missingKind: true })).toEqual(["nokind"]);
  });

  test("bad requests get Convex's errors", async () => {
    await expect(search({ vector: [1, 0] })).rejects.toThrow("Expected a vector with dimensions 3, received 2.");
    await expect(search({ vector: [1, 0, 0, 0] })).rejects.toThrow("Expected a vector with dimensions 3, received 4.");
    await expect(search({ vector: [1, 0, 0], index: "by_nothing" })).rejects.toThrow("Index docs.by_nothing not found.");
    await expect(search({ vector: [1, 0, 0], index: "by_label" })).rejects.toThrow("Index docs.by_label is not a vector index");
    await expect(search({ vector: [1, 0, 0], index: "search_label" })).rejects.toThrow("Index docs.search_label is not a vector index");
    await expect(search({ vector: [1, 0, 0], or: [["note", "x"]] })).rejects.toThrow(
      'Vector query against docs.by_embedding contains a filter on "note" but that field isn\'t indexed for filtering in `filterFields`.',
    );
    const many = Array.from({ length: 65 }, (_, i) => ["lang", `l${i}`]);
    await expect(search({ vector: [1, 0, 0], or: many })).rejects.toThrow(
      "Vector query against docs.by_embedding has too many conditions. Max: 64 Actual: 65",
    );
    await expect(search({ vector: [] })).rejects.toThrow("`vector` must be a non-empty Array in vectorSearch");
  });

  test("a table that does not exist has no results", async () => {
    expect(await search({ vector: [1, 0, 0], table: "nothere" })).toEqual([]);
  });
});

describe("vector search defaults and freshness", () => {
  test("limit defaults to 10, and a search sees the latest committed writes", async () => {
    const t = convexTest(undefined, FIXTURE);
    try {
      const docs = Array.from({ length: 12 }, (_, i) => ({ label: `d${i}`, embedding: [1, (i + 1) / 10, 0] }));
      const inserted: string[] = await t.mutation(api.docs.insertMany, { docs });
      const hits = await t.action<Hit[]>(api.docs.search, { vector: [1, 0, 0] });
      expect(hits.map((h) => h._id)).toEqual(inserted.slice(0, 10));
      const [best] = await t.mutation<string[]>(api.docs.insertMany, { docs: [{ label: "exact", embedding: [2, 0, 0] }] });
      const again = await t.action<Hit[]>(api.docs.search, { vector: [1, 0, 0], limit: 1 });
      expect(again).toEqual([{ _id: best, _score: 1 }]);
    } finally {
      await t.close();
    }
  });

  test("scores are f32 values written as their shortest decimal", () => {
    expect(f32Json(1 / Math.sqrt(2))).toBe(0.70710677);
    expect(f32Json(0.1)).toBe(0.1);
    expect(f32Json(1)).toBe(1);
    expect(f32Json(-0.5)).toBe(-0.5);
    expect(Math.fround(f32Json(1 / 3))).toBe(Math.fround(1 / 3));
  });
});

describe("getFunctionMetadata", () => {
  let t: TestConvex;
  beforeAll(() => {
    t = convexTest(undefined, FIXTURE);
  });
  afterAll(async () => {
    await t.close();
  });

  test("queries, mutations and actions get their path, type and visibility", async () => {
    expect(await t.query(api.docs.metaQuery, {})).toEqual({ name: "docs:metaQuery", componentPath: "", type: "query", visibility: "public" });
    expect(await t.mutation(api.docs.metaMutation, {})).toEqual({ name: "docs:metaMutation", componentPath: "", type: "mutation", visibility: "public" });
    expect(await t.action(api.docs.metaAction, {})).toEqual({ name: "docs:metaAction", componentPath: "", type: "action", visibility: "public" });
    expect(await t.query(api.docs.metaInternal, {})).toEqual({ name: "docs:metaInternal", componentPath: "", type: "query", visibility: "internal" });
  });

  test("a default export is named by its module alone", async () => {
    expect(await t.query(api.docs.default, {})).toEqual({ name: "docs", componentPath: "", type: "query", visibility: "public" });
  });

  test("an HTTP action is the public action `http`, whatever its route", async () => {
    const expected = { name: "http", componentPath: "", type: "action", visibility: "public" };
    const exact = await t.fetch("/meta");
    expect(exact.status).toBe(200);
    expect(await exact.json()).toEqual(expected);
    const prefixed = await t.fetch("/prefixed/some/where", { method: "POST" });
    expect(prefixed.status).toBe(200);
    expect(await prefixed.json()).toEqual(expected);
  });
});

describe("log.audit (the 1.0/auditLog syscall)", () => {
  let t: TestConvex;
  beforeAll(() => {
    t = convexTest(undefined, FIXTURE);
  });
  afterAll(async () => {
    await t.close();
  });

  test("is accepted in mutations and queries; the mutation commits", async () => {
    const id = await t.mutation<string>(api.docs.auditInMutation, { label: "audited" });
    const doc = await t.run(async (ctx: any) => ctx.db.get(id));
    expect(doc).toMatchObject({ label: "audited" });
    expect(await t.query(api.docs.auditInQuery, {})).toBe("ok");
  });

  test("is refused in actions, as Convex refuses it", async () => {
    await expect(t.action(api.docs.auditInAction, {})).rejects.toThrow("Audit logging is not yet supported in actions");
  });
});
