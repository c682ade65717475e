// Minimal reproductions of the two engine inefficiencies the benchmark found (see the bench report).
// Run: node --import tsx local-backend/bench/repro.ts   (~10 s; uses and removes temp dirs)
//
// 1. WAL growth: a mutation holds its read snapshot while the store commits, so SQLite's
//    auto-checkpoint can never back-fill the last commit and the WAL is never reset: it grows by
//    ~40 KB per single-document mutation without bound, and once it passes 1000 pages every
//    commit runs a (partial) checkpoint with fsyncs. Shown against the same run with the snapshot
//    released before the commit (a monkey-patch here, not a change to the engine).
// 2. Over-scan: `take(20)` reads 60 index rows (a 20-row batch, then a 40-row batch fetched only
//    to find the limit exhausted).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBackend } from "../src/backend.js";
import { Transaction } from "../src/runtime/transaction.js";
import { FIXTURE_CONVEX_DIR, payloadFor } from "./lib.js";

const dirs: string[] = [];
process.once("exit", () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function insertRun(label: string, releaseBeforeCommit: boolean) {
  const original = Transaction.prototype.writes;
  if (releaseBeforeCommit) {
    Transaction.prototype.writes = function (this: Transaction, commitTs: bigint) {
      const w = original.call(this, commitTs);
      this.snapshot.release(); // idempotent: the runner's own release in `finally` becomes a no-op
      return w;
    };
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-repro-"));
  dirs.push(dataDir);
  const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, scheduler: false });
  const wal = () => {
    try {
      return `${(statSync(path.join(dataDir, "convex.sqlite3-wal")).size / 2 ** 20).toFixed(1)} MB`;
    } catch {
      return "none";
    }
  };
  try {
    for (let round = 0, n = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let k = 0; k < 1500; k++, n++) {
        const r = await backend.runner.runMutation("docs:insert", { n, group: "g", payload: payloadFor(n) });
        if (!r.ok) throw new Error(r.message);
      }
      const perSec = 1500 / ((performance.now() - t0) / 1000);
      console.log(`${label.padEnd(34)} after ${n.toString().padStart(4)} inserts: ${perSec.toFixed(0).padStart(5)}/s, WAL ${wal()}`);
    }
  } finally {
    Transaction.prototype.writes = original;
    await backend.close();
  }
}

console.log("1. WAL growth with single-document insert mutations");
await insertRun("as is (snapshot held over commit)", false);
await insertRun("snapshot released before commit", true);

console.log("\n2. Index rows fetched from SQLite per query (100 docs per group)");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-repro-"));
dirs.push(dataDir);
const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, scheduler: false });
try {
  await backend.runner.runMutation("docs:insertMany", { start: 0, count: 10_000 }, { allowInternal: true });
  const original = Transaction.prototype.scan;
  const scans: string[] = [];
  Transaction.prototype.scan = function (this: Transaction, ...a: Parameters<typeof original>) {
    const r = original.apply(this, a);
    scans.push(`${r.rows.length}`);
    return r;
  };
  const queries: Array<[string, Record<string, unknown>, number]> = [
    ["docs:getByN", { n: 77 }, 1],
    ["docs:page20", { group: "g7" }, 20],
    ["docs:paginate20", { group: "g7", paginationOpts: { numItems: 20, cursor: null } }, 20],
  ];
  for (const [fn, args, returned] of queries) {
    scans.length = 0;
    const r = await backend.runner.runQuery(fn, args as any);
    if (!r.ok) throw new Error(r.message);
    const fetched = scans.reduce((s, x) => s + Number(x), 0);
    console.log(`${fn.padEnd(16)} returns ${String(returned).padStart(2)} docs, fetched ${String(fetched).padStart(2)} rows in ${scans.length} SQL scan(s): [${scans.join(", ")}]`);
  }
  Transaction.prototype.scan = original;
} finally {
  await backend.close();
}
