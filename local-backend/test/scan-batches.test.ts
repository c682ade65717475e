// How many rows a query reads from storage (runtime/query.ts QueryStream batches): a page or a
// take(n) reads the rows it returns and no more; a query that filters reads in growing batches.
// Results are the same either way (pages chain through their cursors with nothing lost or repeated).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import type { ReadSnapshot } from "../src/storage/interface.js";
import { FIXTURE_CONVEX_DIR } from "../bench/lib.js";

let dataDir: string;
let backend: LocalBackend;
/** Rows storage returned to index scans since the last reset. */
let rowsRead = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-scan-batches-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, scheduler: false });
  // 2,000 documents over 100 groups: 20 per group, in n order within each.
  for (let start = 0; start < 2_000; start += 1_000) {
    const r = await backend.runner.runMutation("docs:insertMany", { start, count: 1_000 }, { allowInternal: true });
    expect(r.ok).toBe(true);
  }
  const store = backend.store;
  const snapshot = store.snapshot.bind(store);
  store.snapshot = (): ReadSnapshot => {
    const snap = snapshot();
    const scan = snap.scan.bind(snap);
    snap.scan = (...args: Parameters<ReadSnapshot["scan"]>) => {
      const rows = scan(...args);
      rowsRead += rows.length;
      return rows;
    };
    return snap;
  };
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function query(path: string, args: Record<string, unknown>) {
  rowsRead = 0;
  const r = await backend.runner.runQuery(path, args as never);
  if (!r.ok) throw new Error(r.message);
  return { value: JSON.parse(r.valueJson), rowsRead };
}

test("a page reads only its own rows, and the pages of a group chain with nothing lost or repeated", async () => {
  const seen: number[] = [];
  let cursor: string | null = null;
  for (;;) {
    const { value, rowsRead: read } = await query("docs:paginate20", { group: "g3", paginationOpts: { numItems: 7, cursor } });
    const page = value.page as Array<{ n: number }>;
    // Before: the first batch was 32 rows whatever the page size (here all 20 of the group for a
    // page of 7).
    expect(read).toBe(page.length);
    seen.push(...page.map((d) => d.n));
    if (value.isDone) break;
    cursor = value.continueCursor;
  }
  expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 3 + 100 * i));
});

test("take(n) reads n rows", async () => {
  const { value, rowsRead: read } = await query("docs:page20", { group: "g5" });
  expect(value).toHaveLength(20);
  expect(read).toBe(20);
});
