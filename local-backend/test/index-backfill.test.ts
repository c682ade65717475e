// A new index is backfilled in the background (Catalog.startBackfill), as Convex does before a
// push is installed: reads keep being served, writes made meanwhile land in the new index, the
// index is not usable by queries until installed, and a restart mid-backfill leaves no trace.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import type { SchemaJson } from "../src/runtime/catalog.js";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE_ROOT = mkdtempSync(path.join(tmpdir(), "lb-index-backfill-"));
symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(FILE_ROOT, "node_modules"), "dir");

const running = new Set<LocalBackend>();
afterEach(async () => {
  for (const b of running) await b.close();
  running.clear();
});
afterAll(() => {
  unlinkSync(path.join(FILE_ROOT, "node_modules"));
  rmSync(FILE_ROOT, { recursive: true, force: true });
});

const POSTS = `
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
export const seed = mutationGeneric({
  args: { from: v.number(), n: v.number() },
  handler: async (ctx, { from, n }) => {
    for (let i = from; i < from + n; i++) await ctx.db.insert("posts", { title: "t" + i, views: i % 100 });
  },
});
export const insert = mutationGeneric({
  args: { title: v.string(), views: v.number() },
  handler: async (ctx, doc) => await ctx.db.insert("posts", doc),
});
export const setViews = mutationGeneric({
  args: { id: v.id("posts"), views: v.number() },
  handler: async (ctx, { id, views }) => await ctx.db.patch(id, { views }),
});
export const remove = mutationGeneric({
  args: { id: v.id("posts") },
  handler: async (ctx, { id }) => await ctx.db.delete(id),
});
export const idsByTitle = queryGeneric({
  args: { titles: v.array(v.string()) },
  handler: async (ctx, { titles }) => {
    const out = [];
    for (const t of titles) out.push((await ctx.db.query("posts").withIndex("by_title", (q) => q.eq("title", t)).unique())?._id);
    return out;
  },
});
export const byViews = queryGeneric({
  args: { views: v.number() },
  handler: async (ctx, { views }) =>
    (await ctx.db.query("posts").withIndex("by_views" as any, (q: any) => q.eq("views", views)).collect()).map((d) => d.title),
});
`;
const SCHEMA = `
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({ posts: defineTable({ title: v.string(), views: v.number() }).index("by_title", ["title"]) });
`;
/** The pushed schema with the new index (what treeSchema(app) gives for the next push). */
const WITH_BY_VIEWS: SchemaJson = {
  tables: [
    {
      tableName: "posts",
      indexes: [
        { indexDescriptor: "by_title", fields: ["title"] },
        { indexDescriptor: "by_views", fields: ["views"] },
      ],
      documentType: null,
    },
  ],
  schemaValidation: true,
};

let counter = 0;
async function seededBackend(n: number, dataDir?: string) {
  const dir = path.join(FILE_ROOT, `app${++counter}`);
  mkdirSync(path.join(dir, "convex"), { recursive: true });
  writeFileSync(path.join(dir, "convex", "posts.ts"), POSTS);
  writeFileSync(path.join(dir, "convex", "schema.ts"), SCHEMA);
  const options = { convexDir: path.join(dir, "convex"), dataDir: dataDir ?? path.join(dir, "data"), port: 0, host: "127.0.0.1" };
  const backend = await LocalBackend.start(options);
  running.add(backend);
  const client = new ConvexHttpClient(backend.url, { logger: false });
  for (let from = 0; from < n; from += 2000) await client.mutation(anyApi.posts.seed, { from, n: Math.min(2000, n - from) });
  return { backend, client, options };
}

/** Index entries of `name` on posts (staged or installed) as doc ids, read from storage. */
function entries(backend: LocalBackend, name: string): string[] {
  const idx = backend.store.listIndexes().find((i) => i.name === name && i.tableNumber === backend.catalog.tableNumber("posts"));
  if (!idx) throw new Error(`no index ${name}`);
  const snap = backend.store.snapshot();
  try {
    return snap.scan(idx.indexId, Buffer.alloc(0), null, false, 1_000_000).map((r) => r.id);
  } finally {
    snap.release();
  }
}

function tableIds(backend: LocalBackend): string[] {
  return [...backend.store.iterateTable(backend.catalog.tableNumber("posts")!)].map((d) => d.id);
}

test("reads are served and writes land in the new index while 20k documents backfill", async () => {
  const { backend, client } = await seededBackend(20_000);
  const before = await client.query(anyApi.posts.idsByTitle, { titles: ["t5", "t6", "t7", "t8"] });
  const backfill = backend.catalog.startBackfill(WITH_BY_VIEWS);
  expect(backfill.total).toBe(1);
  let finished = false;
  backfill.done.then(() => (finished = true));

  // The index is not usable until installed, as in Convex.
  await expect(client.query(anyApi.posts.byViews, { views: 1 })).rejects.toThrow(/by_views/);

  const latencies: number[] = [];
  const [a, b, c, d] = before as string[];
  let step = 0;
  let inserted: string | null = null;
  while (!finished) {
    const t0 = performance.now();
    await client.query(anyApi.posts.idsByTitle, { titles: ["t1"] });
    latencies.push(performance.now() - t0);
    // Writes interleaved with the chunks: patch, delete and insert, on both sides of the cursor.
    if (step === 0) await client.mutation(anyApi.posts.setViews, { id: a, views: 1000 });
    if (step === 1) await client.mutation(anyApi.posts.remove, { id: b });
    if (step === 2) inserted = await client.mutation(anyApi.posts.insert, { title: "new", views: 1001 });
    if (step === 3) await client.mutation(anyApi.posts.setViews, { id: c, views: 1002 });
    if (step === 4) await client.mutation(anyApi.posts.remove, { id: d });
    step++;
  }
  await backfill.done;
  // The backfill (80 chunks of 250 documents) yielded: every write step started while it ran.
  expect(step).toBeGreaterThanOrEqual(5);
  expect(Math.max(...latencies)).toBeLessThan(500);

  // Writes after the backfill finished, before install, are kept too.
  await client.mutation(anyApi.posts.setViews, { id: inserted!, views: 1003 });
  // Index contents equal a full scan: one entry per live document, none for deleted ones.
  expect(entries(backend, "by_views~backfill").sort()).toEqual(tableIds(backend).sort());

  backend.catalog.applySchema(WITH_BY_VIEWS);
  expect(backend.store.listIndexes().some((i) => i.name.endsWith("~backfill"))).toBe(false);
  expect(await client.query(anyApi.posts.byViews, { views: 1000 })).toEqual(["t5"]);
  expect(await client.query(anyApi.posts.byViews, { views: 1002 })).toEqual(["t7"]);
  expect(await client.query(anyApi.posts.byViews, { views: 1003 })).toEqual(["new"]);
  expect(await client.query(anyApi.posts.byViews, { views: 1001 })).toEqual([]);
  expect((await client.query(anyApi.posts.byViews, { views: 6 })).length).toBe(199); // t6 deleted
  expect((await client.query(anyApi.posts.byViews, { views: 8 })).length).toBe(199); // t8 deleted
  expect((await client.query(anyApi.posts.byViews, { views: 9 })).length).toBe(200);
}, 120_000);

test("a restart mid-backfill leaves the previous indexes and no partial one", async () => {
  const first = await seededBackend(5_000);
  const backfill = first.backend.catalog.startBackfill(WITH_BY_VIEWS);
  // Let two chunks land on disk, then stop as a restart would.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const partial = entries(first.backend, "by_views~backfill").length;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(5_000);
  running.delete(first.backend);
  await first.backend.close();
  await expect(backfill.done).rejects.toThrow();

  const backend = await LocalBackend.start(first.options);
  running.add(backend);
  const client = new ConvexHttpClient(backend.url, { logger: false });
  expect(backend.store.listIndexes().filter((i) => i.tableNumber === backend.catalog.tableNumber("posts")).map((i) => i.name).sort()).toEqual([
    "by_creation_time",
    "by_id",
    "by_title",
  ]);
  expect((await client.query(anyApi.posts.idsByTitle, { titles: ["t42"] }))[0]).toMatch(/./);
  // Pushing again builds it whole.
  const again = backend.catalog.startBackfill(WITH_BY_VIEWS);
  await again.done;
  backend.catalog.applySchema(WITH_BY_VIEWS);
  expect(entries(backend, "by_views").length).toBe(5_000);
}, 120_000);
