// Local-backend benchmarks (`npm run bench` runs them first, through tools/bench/run.ts, then the
// app's sections; `tsx local-backend/bench/run.ts` runs only these). On a 100,000-document table of the fixture app in
// bench/fixture/convex, measures point lookups, 20-row index pages, 20-row pagination and insert
// mutations: in-process (backend.runner), over HTTP (the real ConvexHttpClient, in a separate
// process), and on convex-test for comparison; plus seeding speed, cold start on the existing data
// dir, disk and memory; then the sync and HTTP action section (sync.ts). Bounded (about 95 s on
// 2 cores; hard cap 5 minutes); removes its temp dirs.
//
// Environment knobs: BENCH_DOCS (default 100000), BENCH_CONVEX_TEST_DOCS (default = BENCH_DOCS),
// BENCH_SECONDS (per measurement, default 3), BENCH_HTTP_CLIENTS (default 10), BENCH_ONLY=sync
// (run only the sync section; also deploy; the app's content, pages, autosave and query cache
// sections are in tools/bench), and sync.ts's own knobs.
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBackend } from "../src/backend.js";
import {
  FIXTURE_CONVEX_DIR,
  OP_LABEL,
  OPS,
  fmt,
  makeOp,
  measure,
  printTable,
  runChild,
  sampleCpu,
  type Caller,
  type Measurement,
  type OpName,
} from "./lib.js";
import { runSyncBench } from "./sync.js";
import { runDeployBench } from "./deploy.js";

const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const CT_DOCS = Number(process.env.BENCH_CONVEX_TEST_DOCS ?? DOCS);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const HTTP_CLIENTS = Number(process.env.BENCH_HTTP_CLIENTS ?? 10);
const SEED_BATCH = 1000;
const QUERY_OPS: OpName[] = ["getByN", "page20", "paginate20"];

const TARGETS = {
  pointInProcess: 10_000,
  pointHttp: 2_500,
  insert: 2_000,
  coldStartMs: 3_000,
  rssBytes: 300 * 2 ** 20,
};

const t0 = performance.now();
const elapsed = () => fmt.s(performance.now() - t0);
const log = (msg: string) => console.log(`[bench ${elapsed()}] ${msg}`);

const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-"));
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  rmSync(dataDir, { recursive: true, force: true });
};
process.once("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });
}
// The whole run is bounded: a wedged run still exits (and cleans up).
setTimeout(() => {
  console.error("[bench] exceeded 5 minutes, aborting.");
  process.exit(1);
}, 5 * 60_000).unref();

function inProcessCaller(backend: LocalBackend): Caller {
  const decode = (path: string, outcome: Awaited<ReturnType<LocalBackend["runner"]["runQuery"]>>) => {
    if (!outcome.ok) throw new Error(`${path} failed: ${outcome.message}`);
    return jsonToConvex(JSON.parse(outcome.valueJson));
  };
  return {
    query: async (p, args) => decode(p, await backend.runner.runQuery(p, convexToJson(args as Value) as any)),
    mutation: async (p, args) => decode(p, await backend.runner.runMutation(p, convexToJson(args as Value) as any)),
  };
}

const rss = () => process.memoryUsage().rss;

/** Sizes of the SQLite database file and its write-ahead log. */
function diskUsage(): { database: string; WAL: string } {
  const size = (f: string) => {
    try {
      return fmt.mb(statSync(path.join(dataDir, f)).size);
    } catch {
      return "none";
    }
  };
  return { database: size("convex.sqlite3"), WAL: size("convex.sqlite3-wal") };
}
const disk: Array<Record<string, string>> = [];

async function main() {
  if (process.env.BENCH_ONLY === "deploy") {
    console.log(`local-backend bench, deploy and index backfill section only; node ${process.version}, ${os.cpus().length} CPUs`);
    await runDeployBench(log);
    console.log(`\nTotal bench time: ${elapsed()}`);
    return;
  }
  if (process.env.BENCH_ONLY === "sync") {
    console.log(`local-backend bench, sync section only; node ${process.version}, ${os.cpus().length} CPUs`);
    await runSyncBench(log);
    console.log(`\nTotal bench time: ${elapsed()}`);
    return;
  }
  console.log(
    `local-backend bench: ${DOCS.toLocaleString("en-US")} docs, ${SECONDS} s per measurement, ` +
      `${HTTP_CLIENTS} HTTP clients; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  );
  const memory: Array<Record<string, string>> = [];
  memory.push({ when: "process start (before the backend)", rss: fmt.mb(rss()), heapUsed: fmt.mb(process.memoryUsage().heapUsed) });

  // ---- 1. Seed through the runner with the internal batch mutation. -------------------------
  log(`seeding ${DOCS} docs in batches of ${SEED_BATCH} (internal mutation docs:insertMany)`);
  let backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, scheduler: false });
  const seedStart = performance.now();
  for (let start = 0; start < DOCS; start += SEED_BATCH) {
    const r = await backend.runner.runMutation(
      "docs:insertMany",
      { start, count: Math.min(SEED_BATCH, DOCS - start) },
      { allowInternal: true },
    );
    if (!r.ok) throw new Error(`seeding failed: ${r.message}`);
  }
  const seedMs = performance.now() - seedStart;
  disk.push({ when: `after seeding (${DOCS / SEED_BATCH} commits of ${SEED_BATCH} docs)`, ...diskUsage() });
  memory.push({ when: `after seeding ${DOCS} docs`, rss: fmt.mb(rss()), heapUsed: fmt.mb(process.memoryUsage().heapUsed) });
  const rssAfterSeed = rss();
  await backend.close();
  log(`seeded in ${fmt.s(seedMs)} (${fmt.int(DOCS / (seedMs / 1000))} docs/s)`);

  // ---- 2. Cold start on the existing data dir, in fresh processes. --------------------------
  const cold: Array<{ importMs: number; startMs: number; firstQueryMs: number; rss: number; wallMs: number }> = [];
  for (let i = 0; i < 3; i++) {
    const w0 = performance.now();
    const r = await runChild<{ importMs: number; startMs: number; firstQueryMs: number; rss: number }>(
      "coldStart.ts",
      { dataDir, convexDir: FIXTURE_CONVEX_DIR, n: Math.floor(DOCS / 2) },
      60_000,
    );
    cold.push({ ...r, wallMs: performance.now() - w0 });
  }
  log(`cold start: ${cold.map((c) => fmt.s(c.startMs)).join(", ")}`);

  // ---- 3. Restart in this process (with the HTTP server) and run the in-process benchmarks. -
  const restart0 = performance.now();
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, port: 0, host: "127.0.0.1" });
  const inProcessRestartMs = performance.now() - restart0;
  memory.push({ when: "after restart on the seeded dir", rss: fmt.mb(rss()), heapUsed: fmt.mb(process.memoryUsage().heapUsed) });
  const caller = inProcessCaller(backend);
  const inProcess: Partial<Record<OpName, Measurement>> = {};
  const httpResults: Record<string, Partial<Record<OpName, Measurement>>> = {};
  let rssAfterRuns = NaN;
  try {
    for (const op of QUERY_OPS) {
      log(`in-process ${op}`);
      inProcess[op] = await measure([makeOp(op, caller, DOCS, 0)], { durationMs: SECONDS * 1000 });
    }

    // ---- 4. Over HTTP, from a separate process running ConvexHttpClient instances. ----------
    // Queries first, then inserts (in-process, then HTTP), so the query benchmarks read exactly
    // DOCS documents and never run on a WAL that inserts have grown.
    const httpPhase = async (ops: OpName[]) => {
      const serverCpu = sampleCpu();
      const results = await runChild<Record<string, Partial<Record<OpName, Measurement>>>>(
        "httpLoad.ts",
        {
          url: backend.url,
          docs: DOCS,
          runs: [
            { label: `HTTP, ${HTTP_CLIENTS} clients`, clients: HTTP_CLIENTS, ops, durationMs: SECONDS * 1000 },
            { label: "HTTP, 1 client", clients: 1, ops, durationMs: Math.max(1000, SECONDS * 500) },
            { label: `HTTP, ${HTTP_CLIENTS} clients, lean fetch`, clients: HTTP_CLIENTS, ops, durationMs: SECONDS * 1000, transport: "agent" },
          ],
        },
        120_000,
      );
      serverCpu.stop();
      for (const [label, r] of Object.entries(results)) {
        for (const m of Object.values(r)) m!.serverCpuUsPerOp = serverCpu.between(m!.startEpochMs, m!.endEpochMs) / m!.ops;
        httpResults[label] = { ...httpResults[label], ...r };
      }
    };
    log(`HTTP queries (${HTTP_CLIENTS} clients, 1 client, ${HTTP_CLIENTS} clients with a lean fetch) from a child process`);
    await httpPhase(QUERY_OPS);
    disk.push({ when: "after the query runs", ...diskUsage() });

    log("in-process insert");
    inProcess.insert = await measure([makeOp("insert", caller, DOCS, 0)], { durationMs: SECONDS * 1000 });
    disk.push({ when: `after in-process inserts (${fmt.int(inProcess.insert.ops)} mutations)`, ...diskUsage() });
    log("HTTP inserts");
    await httpPhase(["insert"]);
    const httpInserts = Object.values(httpResults).reduce((sum, r) => sum + (r.insert?.ops ?? 0), 0);
    disk.push({ when: `after HTTP inserts (${fmt.int(httpInserts)} more mutations)`, ...diskUsage() });
    rssAfterRuns = rss();
    memory.push({ when: "after all runs", rss: fmt.mb(rssAfterRuns), heapUsed: fmt.mb(process.memoryUsage().heapUsed) });
  } finally {
    await backend.close();
  }
  cleanup();

  // ---- 5. convex-test, in its own process. ---------------------------------------------------
  log(`convex-test with ${CT_DOCS} docs`);
  const ct = await runChild<{ seedMs: number; results: Record<OpName, Measurement>; rss: number }>(
    "convexTestBench.ts",
    { docs: CT_DOCS, ops: OPS, durationMs: SECONDS * 1000, maxOps: 100_000 },
    180_000,
  );
  log("done");

  // ---- Report. -------------------------------------------------------------------------------
  const row = (mode: string, op: OpName, m: Measurement | undefined): Record<string, string> => ({
    operation: OP_LABEL[op],
    mode,
    conc: String(m?.concurrency ?? "-"),
    "ops/s": fmt.int(m?.opsPerSec ?? NaN),
    "p50 ms": fmt.ms(m?.p50 ?? NaN),
    "p99 ms": fmt.ms(m?.p99 ?? NaN),
    samples: fmt.int(m?.ops ?? NaN),
    // In-process and convex-test: the whole process's CPU; HTTP: the server's and the clients' CPU.
    "backend CPU µs/op": fmt.int(m ? (m.serverCpuUsPerOp ?? m.cpuUsPerOp) : NaN),
    "client CPU µs/op": m?.serverCpuUsPerOp !== undefined ? fmt.int(m.cpuUsPerOp) : "-",
  });
  const rows: Array<Record<string, string>> = [];
  for (const op of OPS) {
    rows.push(row("in-process (runner)", op, inProcess[op]));
    for (const [label, r] of Object.entries(httpResults)) rows.push(row(label, op, r[op]));
    rows.push(row(`convex-test (${fmt.int(CT_DOCS)} docs)`, op, ct.results[op]));
  }
  printTable(`Throughput and latency (${fmt.int(DOCS)} docs; HTTP clients run in a separate process)`, rows);

  const httpMain = httpResults[`HTTP, ${HTTP_CLIENTS} clients`] ?? {};
  printTable(
    `local backend vs convex-test (ops/s ratio; convex-test seeded with ${fmt.int(CT_DOCS)} docs${CT_DOCS !== DOCS ? ", fewer than the local backend" : ""})`,
    OPS.map((op) => ({
      operation: OP_LABEL[op],
      "local in-process / convex-test": fmt.ratio((inProcess[op]?.opsPerSec ?? NaN) / ct.results[op].opsPerSec),
      [`local HTTP ×${HTTP_CLIENTS} / convex-test`]: fmt.ratio((httpMain[op]?.opsPerSec ?? NaN) / ct.results[op].opsPerSec),
      "HTTP / in-process": fmt.ratio((httpMain[op]?.opsPerSec ?? NaN) / (inProcess[op]?.opsPerSec ?? NaN)),
    })),
  );

  printTable("Seeding", [
    { system: "local backend", docs: fmt.int(DOCS), "batch (docs/tx)": fmt.int(SEED_BATCH), time: fmt.s(seedMs), "docs/s": fmt.int(DOCS / (seedMs / 1000)) },
    { system: "convex-test", docs: fmt.int(CT_DOCS), "batch (docs/tx)": fmt.int(SEED_BATCH), time: fmt.s(ct.seedMs), "docs/s": fmt.int(CT_DOCS / (ct.seedMs / 1000)) },
  ]);

  printTable(
    `Cold start on the existing ${fmt.int(DOCS)}-doc data dir (fresh process each run)`,
    [
      ...cold.map((c, i) => ({
        run: `fresh process #${i + 1}`,
        "LocalBackend.start": fmt.s(c.startMs),
        "module import": fmt.s(c.importMs),
        "first query": `${fmt.ms(c.firstQueryMs)} ms`,
        "process wall (spawn→closed)": fmt.s(c.wallMs),
        "RSS when started": fmt.mb(c.rss),
      })),
      {
        run: "in-process restart (warm)",
        "LocalBackend.start": fmt.s(inProcessRestartMs),
        "module import": "-",
        "first query": "-",
        "process wall (spawn→closed)": "-",
        "RSS when started": "-",
      },
    ],
  );
  memory.push({ when: `convex-test child (${fmt.int(CT_DOCS)} docs, after its runs)`, rss: fmt.mb(ct.rss), heapUsed: "-" });
  printTable("Disk (the WAL is checkpointed and removed only when the backend closes)", disk);
  printTable("Memory (RSS of the bench process, which hosts the backend; HTTP clients are elsewhere)", memory);

  const coldMedian = [...cold.map((c) => c.startMs)].sort((a, b) => a - b)[Math.floor(cold.length / 2)];
  const status = (ok: boolean) => (ok ? "met" : "MISSED");
  const pointHttp = httpMain.getByN?.opsPerSec ?? NaN;
  const insertInProc = inProcess.insert?.opsPerSec ?? NaN;
  const insertHttp = httpMain.insert?.opsPerSec ?? NaN;
  // The same requests from a load generator that spends less CPU per call than Node's fetch (httpLoad.ts).
  const lean = httpResults[`HTTP, ${HTTP_CLIENTS} clients, lean fetch`] ?? {};
  const pointLean = lean.getByN?.opsPerSec ?? NaN;
  const insertLean = lean.insert?.opsPerSec ?? NaN;
  const maxRss = Math.max(rssAfterSeed, rssAfterRuns, ...cold.map((c) => c.rss));
  printTable("Targets", [
    { metric: "indexed point query, in-process", measured: `${fmt.int(inProcess.getByN!.opsPerSec)}/s`, target: "≥ 10,000/s", status: status(inProcess.getByN!.opsPerSec >= TARGETS.pointInProcess) },
    { metric: `indexed point query, HTTP (${HTTP_CLIENTS} clients)`, measured: `${fmt.int(pointHttp)}/s`, target: "≥ 2,500/s", status: status(pointHttp >= TARGETS.pointHttp) },
    {
      metric: `indexed point query, HTTP (${HTTP_CLIENTS} clients, lean fetch; informational)`,
      measured: `${fmt.int(pointLean)}/s`,
      target: "≥ 2,500/s",
      status: status(pointLean >= TARGETS.pointHttp),
    },
    { metric: "insert mutations, in-process", measured: `${fmt.int(insertInProc)}/s`, target: "≥ 2,000/s", status: status(insertInProc >= TARGETS.insert) },
    { metric: `insert mutations, HTTP (${HTTP_CLIENTS} clients)`, measured: `${fmt.int(insertHttp)}/s`, target: "≥ 2,000/s", status: status(insertHttp >= TARGETS.insert) },
    {
      metric: `insert mutations, HTTP (${HTTP_CLIENTS} clients, lean fetch; informational)`,
      measured: `${fmt.int(insertLean)}/s`,
      target: "≥ 2,000/s",
      status: status(insertLean >= TARGETS.insert),
    },
    { metric: "cold start (LocalBackend.start, median of 3)", measured: fmt.s(coldMedian), target: "< 3 s", status: status(coldMedian < TARGETS.coldStartMs) },
    { metric: "RSS after seeding", measured: fmt.mb(rssAfterSeed), target: "< 300 MB", status: status(rssAfterSeed < TARGETS.rssBytes) },
    { metric: "RSS after the runs", measured: fmt.mb(rssAfterRuns), target: "< 300 MB", status: status(rssAfterRuns < TARGETS.rssBytes) },
    { metric: "RSS, max incl. cold-start processes", measured: fmt.mb(maxRss), target: "< 300 MB", status: status(maxRss < TARGETS.rssBytes) },
  ]);

  // ---- 6. Sync (WebSocket subscriptions) and HTTP actions, on their own backend: sync.ts. ------
  log("sync and HTTP action section");
  await runSyncBench(log);
  // The app's sections (content, autosave, reader pages) follow in tools/bench/run.ts.

  console.log(
    `\nTotal bench time: ${elapsed()}; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} ` +
      `(other processes on this machine skew the wall-clock numbers; the CPU µs/op columns are less sensitive to that).`,
  );
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e) => {
    console.error(e);
    cleanup();
    process.exit(1);
  },
);
