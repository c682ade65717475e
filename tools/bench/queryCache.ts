// Query cache section of the local-backend benchmarks (`BENCH_ONLY=cache`): the same query over
// HTTP (the real ConvexHttpClient, keep-alive, against the backend's /api/query) served from the
// query cache and run uncached (the cache emptied before every call, so each call executes).
// Issue #13's target: cached at least 5× faster. One client, one call at a time, so latency is the
// measure. Two workloads: the bench fixture's cheap indexed page (10,000 docs), and the reader's
// home-page query (reader:home, the one query /{site}/ asks for its posts) on the real app at 10,000 posts. A
// cache hit costs tens of µs in-process, while the loopback round trip with ConvexHttpClient costs
// about 1 ms of CPU in the client alone, so the HTTP ratio is bounded by how much the uncached run
// costs: the cheap query cannot reach 5× over HTTP however cheap the hit is.
// Each measurement is split into rounds, uncached and cached interleaved, so a burst of load from
// other processes hits both sides; the table shows the medians and each round's speedup. The load
// average is printed with the table.
//
// Knobs: BENCH_CACHE_DOCS (fixture documents, default 10,000), BENCH_CACHE_POSTS (reader posts,
// default 10,000), BENCH_SECONDS (per measurement, default 3), BENCH_CACHE_ROUNDS (default 3).
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBackend } from "../../local-backend/src/backend.js";
import type { QueryCache } from "../../local-backend/src/runtime/queryCache.js";
import { createContentSite, seedPosts } from "./content.js";
import { FIXTURE_CONVEX_DIR, fmt, measure, printTable, REPO_ROOT, type Measurement } from "../../local-backend/bench/lib.js";

const DOCS = Number(process.env.BENCH_CACHE_DOCS ?? 10_000);
const POSTS = Number(process.env.BENCH_CACHE_POSTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Number(process.env.BENCH_CACHE_ROUNDS ?? 3));
const TARGET_SPEEDUP = 5;
/** The reader's page size (app/reader/pages.server.ts PAGE_SIZE). */
const READER_PAGE = 10;

type Case = { label: string; http: boolean; call: () => Promise<void> };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Measures each case uncached and cached in interleaved rounds; one table row per case. */
async function measureCases(cache: QueryCache, cases: Case[], log: (msg: string) => void): Promise<Array<Record<string, string>>> {
  const rows: Array<Record<string, string>> = [];
  for (const c of cases) {
    log(`query cache: ${c.label}`);
    const uncached: Measurement[] = [];
    const cached: Measurement[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const misses0 = cache.stats.misses;
      const u = await measure(
        [
          async () => {
            cache.clear();
            await c.call();
          },
        ],
        { durationMs: (SECONDS * 1000) / ROUNDS },
      );
      const uncachedRuns = cache.stats.misses - misses0;
      const hits0 = cache.stats.hits;
      const h = await measure([c.call], { durationMs: (SECONDS * 1000) / ROUNDS });
      const cachedHits = cache.stats.hits - hits0;
      // Every uncached call must have executed, and every cached one been a hit (warm-up included).
      if (uncachedRuns < u.ops || cachedHits < h.ops) {
        throw new Error(`${c.label}: ${uncachedRuns} runs for ${u.ops} uncached calls, ${cachedHits} hits for ${h.ops} cached calls`);
      }
      uncached.push(u);
      cached.push(h);
    }
    const m = (ms: Measurement[], f: (x: Measurement) => number) => median(ms.map(f));
    const speedup = m(uncached, (x) => x.p50) / m(cached, (x) => x.p50);
    rows.push({
      query: c.label,
      "uncached p50 ms": fmt.ms(m(uncached, (x) => x.p50)),
      "cached p50 ms": fmt.ms(m(cached, (x) => x.p50)),
      "uncached calls/s": fmt.int(m(uncached, (x) => x.opsPerSec)),
      "cached calls/s": fmt.int(m(cached, (x) => x.opsPerSec)),
      "uncached CPU µs/call": fmt.int(m(uncached, (x) => x.cpuUsPerOp)),
      "cached CPU µs/call": fmt.int(m(cached, (x) => x.cpuUsPerOp)),
      "speedup (p50)": fmt.ratio(speedup),
      "per round": uncached.map((u, i) => fmt.ratio(u.p50 / cached[i].p50)).join(" "),
      "speedup (CPU)": fmt.ratio(m(uncached, (x) => x.cpuUsPerOp) / m(cached, (x) => x.cpuUsPerOp)),
      target: c.http ? `≥ ${TARGET_SPEEDUP}×` : "-",
      status: !c.http ? "-" : speedup >= TARGET_SPEEDUP ? "ok" : "MISSED",
    });
  }
  return rows;
}

export async function runQueryCacheBench(log: (msg: string) => void): Promise<void> {
  const rows = [...(await fixtureRows(log)), ...(await readerRows(log))];
  // Client and server share this process: CPU per call covers both ends of the HTTP call.
  printTable(
    `Query cache over HTTP: the same query cached vs uncached (${DOCS.toLocaleString("en-US")} docs; reader at ` +
      `${POSTS.toLocaleString("en-US")} posts; 1 client in-process; medians of ${ROUNDS} rounds; load average ${os.loadavg()[0].toFixed(1)})`,
    rows,
  );
}

/** The bench fixture's cheap queries (bench/fixture/convex/docs.ts). */
async function fixtureRows(log: (msg: string) => void): Promise<Array<Record<string, string>>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-cache-"));
  const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, port: 0, scheduler: false, crons: false });
  try {
    log(`query cache: seeding ${DOCS} docs`);
    for (let start = 0; start < DOCS; start += 1000) {
      const r = await backend.runner.runMutation("docs:insertMany", { start, count: Math.min(1000, DOCS - start) }, { allowInternal: true });
      if (!r.ok) throw new Error(r.message);
    }
    const client = new ConvexHttpClient(backend.url, { logger: false });
    return await measureCases(
      backend.runner.queryCache,
      [
        {
          // The cache alone, without HTTP: what the HTTP rows add on top is the transport's cost.
          label: "in-process runQuery: indexed page (docs:page20)",
          http: false,
          call: async () => {
            const r = await backend.runner.runQuery("docs:page20", { group: "g7" });
            if (!r.ok) throw new Error(r.message);
          },
        },
        {
          label: "HTTP: indexed page (docs:page20, 20 rows)",
          http: true,
          call: async () => {
            const rows = await client.query(makeFunctionReference<"query">("docs:page20"), { group: "g7" });
            if (!Array.isArray(rows) || rows.length !== Math.min(20, Math.ceil(DOCS / 100))) throw new Error("page20: wrong rows");
          },
        },
        {
          label: "HTTP: paginate first page (docs:paginate20)",
          http: true,
          call: async () => {
            const r = await client.query(makeFunctionReference<"query">("docs:paginate20"), {
              group: "g7",
              paginationOpts: { numItems: 20, cursor: null },
            });
            if (!Array.isArray(r?.page)) throw new Error("paginate20: no page");
          },
        },
      ],
      log,
    );
  } finally {
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The reader's home page query on the real app (convex/), with the content section's fixture. */
async function readerRows(log: (msg: string) => void): Promise<Array<Record<string, string>>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-cache-reader-"));
  const backend = await LocalBackend.start({ dataDir, convexDir: path.join(REPO_ROOT, "convex"), port: 0, scheduler: false, crons: false });
  try {
    log(`query cache: seeding ${POSTS} reader posts`);
    await seedPosts(backend, 0, POSTS, await createContentSite(backend));
    const client = new ConvexHttpClient(backend.url, { logger: false });
    const args = { siteSlug: "bench", paginationOpts: { numItems: READER_PAGE, cursor: null } };
    const checkPage = (r: any) => {
      if (!Array.isArray(r?.latest?.page) || r.latest.page.length !== Math.min(READER_PAGE, POSTS)) throw new Error("reader:home: wrong page");
    };
    checkPage(await client.query(makeFunctionReference<"query">("reader:home"), args));
    return await measureCases(
      backend.runner.queryCache,
      [
        {
          label: `in-process runQuery: home page (reader:home, ${READER_PAGE} posts)`,
          http: false,
          call: async () => {
            // Not decoded here (the HTTP client decodes): the row is the cache alone.
            const r = await backend.runner.runQuery("reader:home", args);
            if (!r.ok) throw new Error(r.message);
          },
        },
        {
          label: `HTTP: home page (reader:home, ${READER_PAGE} posts)`,
          http: true,
          call: async () => checkPage(await client.query(makeFunctionReference<"query">("reader:home"), args)),
        },
      ],
      log,
    );
  } finally {
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
