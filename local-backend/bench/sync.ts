// Sync and HTTP action benchmarks (the last section of `npm run bench`; alone: BENCH_ONLY=sync).
// The backend runs in this process (so its counters and commit times can be read); the clients run
// in a child process (syncLoad.ts) with the real ConvexClient over WebSockets:
// 1. fan-out: 100 clients subscribed to one post's point query; 200 sequential writes to it;
//    latency from commit (and from the writer's send and ack) to each client's onUpdate callback;
// 2. selective re-run: 1,000 subscriptions to 1,000 different posts (10 clients × 100); 100 writes
//    to random posts; subscription executions per write (backend.sync.queryRuns) and latency;
// 3. HTTP actions: GET /ok on the site origin at concurrency 10 and 50 over keep-alive sockets.
// Bounded (about 20 s; the children are killed after their timeouts); removes its temp dir.
//
// Environment knobs: BENCH_SYNC_CLIENTS (fan-out subscribers, default 100), BENCH_SYNC_WRITES
// (fan-out writes, default 200), BENCH_SECONDS (per HTTP run, default 3).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "ws";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, epochMs, fmt, printTable, runChild, sampleCpu } from "./lib.js";
import type { FanoutResult, HttpResult, SelectiveResult, SyncLoadConfig } from "./syncLoad.js";

const FANOUT_CLIENTS = Number(process.env.BENCH_SYNC_CLIENTS ?? 100);
const FANOUT_WRITES = Number(process.env.BENCH_SYNC_WRITES ?? 200);
const POSTS = 1_000;
const SELECTIVE_CLIENTS = 10;
const SELECTIVE_WRITES = 100;
const HTTP_CONCURRENCY = [10, 50];
const HTTP_SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Random pause before each write (ms), so writes never overlap and timers do not phase-lock. */
const GAP_MS: [number, number] = [2, 8];

const TARGETS = { fanoutP99Ms: 20, httpPerSec: 2_000 };

interface CommitRecord {
  id: string;
  views: number;
  epoch: number;
  /** backend.sync.queryRuns when the commit happened (before the re-runs it causes). */
  runsBefore: number;
  subscriptions: number;
}

/**
 * Observes the backend from the outside: every commit to `posts` (time, value, query-run counter)
 * and every Transition with query updates the sync server writes to a socket (by patching the
 * `ws` package's WebSocket.prototype.send in this process; the server uses that class).
 */
function installProbes(backend: LocalBackend) {
  const commits: CommitRecord[] = [];
  const transitionSends: number[] = [];
  const unsubscribe = backend.runner.onCommit((e) => {
    const epoch = epochMs();
    for (const w of e.writes) {
      if (w.tableName !== "posts" || w.json === null) continue;
      commits.push({
        id: w.id,
        views: (JSON.parse(w.json) as { views: number }).views,
        epoch,
        runsBefore: backend.sync.queryRuns,
        subscriptions: backend.sync.subscriptionCount(),
      });
    }
  });
  const proto = WebSocket.prototype as unknown as { send: (data: unknown, ...rest: unknown[]) => void };
  const originalSend = proto.send;
  proto.send = function (this: unknown, data: unknown, ...rest: unknown[]) {
    if (typeof data === "string" && data.startsWith('{"type":"Transition"') && data.includes('"QueryUpdated"')) {
      transitionSends.push(epochMs());
    }
    return originalSend.call(this, data, ...rest);
  };
  return {
    commits,
    transitionSends,
    uninstall() {
      unsubscribe();
      proto.send = originalSend;
    },
  };
}

/** p50 / p99 / min / max with the same convention as lib.ts's `measure` (floor(p · n)). */
function stats(values: number[]) {
  const v = [...values].sort((a, b) => a - b);
  const pct = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? NaN;
  return { n: v.length, p50: pct(0.5), p99: pct(0.99), min: v[0] ?? NaN, max: v[v.length - 1] ?? NaN };
}

const msSigned = (x: number) => (Number.isFinite(x) && x < 0 ? `-${fmt.ms(-x)}` : fmt.ms(x));

function latencyRow(scenario: string, interval: string, values: number[]): Record<string, string> {
  const s = stats(values);
  return {
    scenario,
    interval,
    "p50 ms": msSigned(s.p50),
    "p99 ms": msSigned(s.p99),
    "min ms": msSigned(s.min),
    "max ms": msSigned(s.max),
    samples: fmt.int(s.n),
  };
}

const commitKey = (id: string, views: number) => `${id}:${views}`;

export async function runSyncBench(log: (msg: string) => void = console.log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-sync-"));
  // Also removed if the process exits without reaching the `finally` below.
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once("exit", removeDataDir);
  const latencyRows: Array<Record<string, string>> = [];
  const countRows: Array<Record<string, string>> = [];
  const httpRows: Array<Record<string, string>> = [];
  const targets: Array<Record<string, string>> = [];
  const status = (ok: boolean) => (ok ? "met" : "MISSED");
  try {
    const backend = await LocalBackend.start({
      dataDir,
      convexDir: FIXTURE_CONVEX_DIR,
      port: 0,
      host: "127.0.0.1",
      scheduler: false,
      crons: false,
    });
    const probes = installProbes(backend);
    const cpu = sampleCpu(20);
    try {
      const seeded = await backend.runner.runMutation("posts:seed", { count: POSTS }, { allowInternal: true });
      if (!seeded.ok) throw new Error(`seeding posts failed: ${seeded.message}`);
      const ids = JSON.parse(seeded.valueJson) as string[];

      // ---- 1. Fan-out to 100 subscribers of one query. -------------------------------------
      log(`sync fan-out: ${FANOUT_CLIENTS} ConvexClients on posts:getPost of one post, ${FANOUT_WRITES} sequential writes`);
      const fanoutCfg: SyncLoadConfig = {
        mode: "fanout",
        url: backend.url,
        postId: ids[0],
        clients: FANOUT_CLIENTS,
        warmupWrites: 10,
        writes: FANOUT_WRITES,
        gapMs: GAP_MS,
      };
      const fan = await runChild<FanoutResult>("syncLoad.ts", fanoutCfg, 90_000);
      const fanRuns = probes.commits.filter((c) => c.id === ids[0]);
      const byKey = new Map(fanRuns.map((c, i) => [commitKey(c.id, c.views), i]));
      const commitToUpdate: number[] = [];
      const sendToUpdate: number[] = [];
      const ackToUpdate: number[] = [];
      const sendToAck: number[] = [];
      const commitToServerSend: number[] = [];
      const commitToLastUpdate: number[] = [];
      const rerunsPerWrite: number[] = [];
      const sendsPerWrite: number[] = [];
      let missing = 0;
      for (const [w, write] of fan.writes.entries()) {
        const i = byKey.get(commitKey(write.id, write.views));
        if (i === undefined) throw new Error(`no commit seen for write ${write.views}`);
        const commit = fanRuns[i];
        const next = fanRuns[i + 1];
        sendToAck.push(write.ackMs - write.sendMs);
        // Transitions written between this commit and the next (writes never overlap).
        const sends = probes.transitionSends.filter((t) => t >= commit.epoch && (!next || t < next.epoch));
        sendsPerWrite.push(sends.length);
        for (const t of sends) commitToServerSend.push(t - commit.epoch);
        if (next) rerunsPerWrite.push(next.runsBefore - commit.runsBefore);
        let last = -Infinity;
        for (const offset of fan.updates[w]) {
          if (offset === null) {
            missing++;
            continue;
          }
          const u = write.sendMs + offset;
          commitToUpdate.push(u - commit.epoch);
          sendToUpdate.push(u - write.sendMs);
          ackToUpdate.push(u - write.ackMs);
          last = Math.max(last, u);
        }
        if (last > -Infinity) commitToLastUpdate.push(last - commit.epoch);
      }
      const fanWindow = [fanRuns[byKey.get(commitKey(fan.writes[0].id, fan.writes[0].views))!].epoch, fanRuns[fanRuns.length - 1].epoch];
      const fanServerCpuPerWrite = cpu.between(fanWindow[0], fanWindow[1]) / Math.max(1, fan.writes.length - 1);
      const fanScenario = `fan-out: ${FANOUT_CLIENTS} subscribers, 1 query`;
      latencyRows.push(
        latencyRow(fanScenario, "commit → client onUpdate", commitToUpdate),
        latencyRow(fanScenario, "writer send → client onUpdate", sendToUpdate),
        latencyRow(fanScenario, "writer ack → client onUpdate (< 0: before the ack)", ackToUpdate),
        latencyRow(fanScenario, "commit → server writes Transition (probe)", commitToServerSend),
        latencyRow(fanScenario, "commit → last of the clients' onUpdate (per write)", commitToLastUpdate),
        latencyRow(fanScenario, "writer send → ack (mutation round trip)", sendToAck),
      );
      const fanP99 = stats(commitToUpdate).p99;
      const fanSendP99 = stats(sendToUpdate).p99;
      const rr = stats(rerunsPerWrite);
      countRows.push(
        { scenario: fanScenario, metric: "subscribers connected and first value in", value: `${fmt.int(FANOUT_CLIENTS)} in ${fmt.s(fan.connectMs)}` },
        { scenario: fanScenario, metric: "measured writes (after 10 warm-up writes)", value: fmt.int(fan.writes.length) },
        { scenario: fanScenario, metric: "updates received / expected", value: `${fmt.int(commitToUpdate.length)} / ${fmt.int(fan.writes.length * FANOUT_CLIENTS)}${missing ? ` (${missing} missing)` : ""}` },
        { scenario: fanScenario, metric: "Transitions with updates written per write (min–max)", value: `${stats(sendsPerWrite).min}–${stats(sendsPerWrite).max}` },
        { scenario: fanScenario, metric: "subscription executions per write (min–max; one per session)", value: `${rr.min}–${rr.max}` },
        { scenario: fanScenario, metric: "backend CPU per write (fan-out to all subscribers)", value: `${fmt.int(fanServerCpuPerWrite)} µs` },
        { scenario: fanScenario, metric: "client-process CPU per write (100 clients + writer)", value: `${fmt.int(fan.cpuUs / fan.writes.length)} µs` },
      );
      targets.push(
        { metric: `commit → onUpdate p99, ${FANOUT_CLIENTS} subscribers`, measured: `${fmt.ms(fanP99)} ms`, target: "< 20 ms", status: status(fanP99 < TARGETS.fanoutP99Ms && missing === 0) },
        { metric: `writer send → onUpdate p99, ${FANOUT_CLIENTS} subscribers (stricter)`, measured: `${fmt.ms(fanSendP99)} ms`, target: "< 20 ms", status: status(fanSendP99 < TARGETS.fanoutP99Ms && missing === 0) },
      );

      // ---- 2. 1,000 subscriptions, writes re-run only the affected one. --------------------
      log(`sync selective re-run: ${POSTS} subscriptions (${SELECTIVE_CLIENTS} clients × ${POSTS / SELECTIVE_CLIENTS}), ${SELECTIVE_WRITES} writes to random posts`);
      const firstSelective = probes.commits.length;
      const sel = await runChild<SelectiveResult>(
        "syncLoad.ts",
        { mode: "selective", url: backend.url, ids, clients: SELECTIVE_CLIENTS, warmupWrites: 5, writes: SELECTIVE_WRITES, gapMs: GAP_MS } satisfies SyncLoadConfig,
        90_000,
      );
      const runsAfter = backend.sync.queryRuns;
      const selCommits = probes.commits.slice(firstSelective);
      const selIndex = new Map(selCommits.map((c, i) => [commitKey(c.id, c.views), i]));
      const perWrite: number[] = [];
      const selCommitToUpdate: number[] = [];
      const selSendToUpdate: number[] = [];
      const selAckToUpdate: number[] = [];
      let selMissing = 0;
      let liveSubs = 0;
      for (const write of sel.writes) {
        const i = selIndex.get(commitKey(write.id, write.views));
        if (i === undefined) throw new Error(`no commit seen for ${write.id} = ${write.views}`);
        const commit = selCommits[i];
        liveSubs = Math.max(liveSubs, commit.subscriptions);
        // The client closes right after its last write: count that write's runs up to the end.
        perWrite.push((selCommits[i + 1]?.runsBefore ?? runsAfter) - commit.runsBefore);
        if (write.updateMs === null) {
          selMissing++;
          continue;
        }
        selCommitToUpdate.push(write.updateMs - commit.epoch);
        selSendToUpdate.push(write.updateMs - write.sendMs);
        selAckToUpdate.push(write.updateMs - write.ackMs);
      }
      const totalReruns = perWrite.reduce((a, b) => a + b, 0);
      const pw = stats(perWrite);
      const selScenario = `${fmt.int(POSTS)} subscriptions, 1,000 posts`;
      latencyRows.push(
        latencyRow(selScenario, "commit → affected client onUpdate", selCommitToUpdate),
        latencyRow(selScenario, "writer send → affected client onUpdate", selSendToUpdate),
        latencyRow(selScenario, "writer ack → affected client onUpdate", selAckToUpdate),
        latencyRow(selScenario, "writer send → ack (mutation round trip)", sel.writes.map((w) => w.ackMs - w.sendMs)),
      );
      countRows.push(
        { scenario: selScenario, metric: "live subscriptions during the writes (backend.sync.subscriptionCount())", value: fmt.int(liveSubs) },
        { scenario: selScenario, metric: `subscriptions set up and first values in (${SELECTIVE_CLIENTS} clients)`, value: `${fmt.int(sel.subscriptions)} in ${fmt.s(sel.connectMs)}` },
        { scenario: selScenario, metric: "measured writes (after 5 warm-up writes)", value: fmt.int(sel.writes.length) },
        { scenario: selScenario, metric: "subscription re-runs (backend.sync.queryRuns delta)", value: fmt.int(totalReruns) },
        { scenario: selScenario, metric: "re-runs per write (total / writes; min–max per write)", value: `${(totalReruns / sel.writes.length).toFixed(2)} (${pw.min}–${pw.max})` },
        { scenario: selScenario, metric: "updates of unwritten posts received (should be 0)", value: fmt.int(sel.strayCallbacks) },
        { scenario: selScenario, metric: "affected subscriber's update missing", value: fmt.int(selMissing) },
        { scenario: selScenario, metric: "client-process CPU per write", value: `${fmt.int(sel.cpuUs / sel.writes.length)} µs` },
      );
      targets.push({
        metric: `subscription re-runs per write, ${fmt.int(liveSubs)} live subscriptions`,
        measured: `${(totalReruns / sel.writes.length).toFixed(2)} (${pw.min}–${pw.max} per write)`,
        target: "exactly 1",
        status: status(pw.min === 1 && pw.max === 1 && selMissing === 0 && sel.strayCallbacks === 0),
      });

      // ---- 3. HTTP action throughput. -------------------------------------------------------
      log(`HTTP action GET /ok at concurrency ${HTTP_CONCURRENCY.join(" and ")} from a child process`);
      const httpResult = await runChild<HttpResult>(
        "syncLoad.ts",
        { mode: "http", siteUrl: backend.siteUrl, runs: HTTP_CONCURRENCY.map((concurrency) => ({ concurrency, durationMs: HTTP_SECONDS * 1000 })) } satisfies SyncLoadConfig,
        30_000 + HTTP_CONCURRENCY.length * HTTP_SECONDS * 2000,
      );
      for (const c of HTTP_CONCURRENCY) {
        const m = httpResult[String(c)];
        const serverCpu = cpu.between(m.startEpochMs, m.endEpochMs) / m.ops;
        httpRows.push({
          route: "GET /ok (httpAction → Response(\"ok\"))",
          conc: String(c),
          "req/s": fmt.int(m.opsPerSec),
          "p50 ms": fmt.ms(m.p50),
          "p99 ms": fmt.ms(m.p99),
          "max ms": fmt.ms(m.max),
          samples: fmt.int(m.ops),
          "backend CPU µs/req": fmt.int(serverCpu),
          "client CPU µs/req": fmt.int(m.cpuUsPerOp),
        });
        targets.push({
          metric: `HTTP action GET /ok, concurrency ${c}`,
          measured: `${fmt.int(m.opsPerSec)}/s`,
          target: "≥ 2,000/s",
          status: status(m.opsPerSec >= TARGETS.httpPerSec),
        });
      }
    } finally {
      cpu.stop();
      probes.uninstall();
      await backend.close();
    }
  } finally {
    process.off("exit", removeDataDir);
    removeDataDir();
  }

  printTable(
    "Sync latency (real ConvexClients over WebSockets in a child process; epoch-ms clocks of the two processes; backend CPU is this process)",
    latencyRows,
  );
  printTable("Sync counts", countRows);
  printTable(`HTTP actions on the site origin (keep-alive node:http agent in a child process, ${HTTP_SECONDS} s per run)`, httpRows);
  printTable("Sync and HTTP action targets", targets);
}
