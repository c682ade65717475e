// Query cache section of the local-backend benchmarks (`BENCH_ONLY=cache`): the same query over
// HTTP (the real ConvexHttpClient against the backend's /api/query) served from the query cache
// and run uncached (the cache emptied before every call, so each call executes). Issue #13's
// target: cached at least 5× faster. One client, one call at a time, so latency is the measure.
// On a loaded machine the HTTP rows are dominated by the OS scheduling each request's wake-ups
// (a cache hit costs about 40 µs in-process); the load average is printed with the table.
//
// Knobs: BENCH_CACHE_DOCS (documents seeded, default 10,000), BENCH_SECONDS (per measurement).
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, fmt, measure, printTable } from "./lib.js";

const DOCS = Number(process.env.BENCH_CACHE_DOCS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const TARGET_SPEEDUP = 5;

export async function runQueryCacheBench(log: (msg: string) => void): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-cache-"));
  const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, port: 0, scheduler: false, crons: false });
  try {
    log(`query cache: seeding ${DOCS} docs`);
    for (let start = 0; start < DOCS; start += 1000) {
      const r = await backend.runner.runMutation("docs:insertMany", { start, count: Math.min(1000, DOCS - start) }, { allowInternal: true });
      if (!r.ok) throw new Error(r.message);
    }
    const client = new ConvexHttpClient(backend.url, { logger: false });
    const cache = backend.runner.queryCache;
    const cases: Array<{ label: string; call: () => Promise<void> }> = [
      {
        // The cache alone, without HTTP: what the HTTP rows add on top is the transport's cost.
        label: "in-process runQuery: indexed page (docs:page20)",
        call: async () => {
          const r = await backend.runner.runQuery("docs:page20", { group: "g7" });
          if (!r.ok) throw new Error(r.message);
        },
      },
      {
        label: "HTTP: indexed page (docs:page20, 20 rows)",
        call: async () => {
          const rows = await client.query(makeFunctionReference<"query">("docs:page20"), { group: "g7" });
          if (!Array.isArray(rows) || rows.length !== Math.min(20, Math.ceil(DOCS / 100))) throw new Error("page20: wrong rows");
        },
      },
      {
        label: "HTTP: paginate first page (docs:paginate20)",
        call: async () => {
          const r = await client.query(makeFunctionReference<"query">("docs:paginate20"), {
            group: "g7",
            paginationOpts: { numItems: 20, cursor: null },
          });
          if (!Array.isArray(r?.page)) throw new Error("paginate20: no page");
        },
      },
    ];
    const rows: Array<Record<string, string>> = [];
    for (const c of cases) {
      log(`query cache: ${c.label}`);
      const misses0 = cache.stats.misses;
      const uncached = await measure(
        [
          async () => {
            cache.clear();
            await c.call();
          },
        ],
        { durationMs: SECONDS * 1000 },
      );
      const uncachedRuns = cache.stats.misses - misses0;
      const hits0 = cache.stats.hits;
      const cached = await measure([c.call], { durationMs: SECONDS * 1000 });
      const cachedHits = cache.stats.hits - hits0;
      // Every uncached call must have executed, and every cached one been a hit (warm-up included).
      if (uncachedRuns < uncached.ops || cachedHits < cached.ops) {
        throw new Error(`${c.label}: ${uncachedRuns} runs for ${uncached.ops} uncached calls, ${cachedHits} hits for ${cached.ops} cached calls`);
      }
      const speedup = uncached.p50 / cached.p50;
      rows.push({
        query: c.label,
        "uncached p50 ms": fmt.ms(uncached.p50),
        "cached p50 ms": fmt.ms(cached.p50),
        "uncached calls/s": fmt.int(uncached.opsPerSec),
        "cached calls/s": fmt.int(cached.opsPerSec),
        "uncached CPU µs/call": fmt.int(uncached.cpuUsPerOp),
        "cached CPU µs/call": fmt.int(cached.cpuUsPerOp),
        "speedup (p50)": fmt.ratio(speedup),
        "speedup (CPU)": fmt.ratio(uncached.cpuUsPerOp / cached.cpuUsPerOp),
        target: c.label.startsWith("HTTP") ? `≥ ${TARGET_SPEEDUP}×` : "-",
        status: !c.label.startsWith("HTTP") ? "-" : speedup >= TARGET_SPEEDUP ? "ok" : "MISSED",
      });
    }
    // Client and server share this process: CPU per call covers both ends of the HTTP call.
    printTable(
      `Query cache over HTTP: the same query cached vs uncached (${DOCS.toLocaleString("en-US")} docs, 1 client in-process, ` +
        `load average ${os.loadavg()[0].toFixed(1)})`,
      rows,
    );
  } finally {
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
