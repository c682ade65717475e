// Exactly-once mutations across backend restarts (issue #12 item 15).
//
// The real ConvexClient resends, after every reconnect, each mutation it has no answer for and
// each answered one whose writes it has not yet seen in a Transition. When the backend process
// dies after committing such a mutation, the replay reaches a new process: only a record
// persisted in the same SQLite transaction as the commit lets it answer instead of re-running.
//
// The test runs the real CLI (`local-backend serve`) as a child process on one data dir and port,
// drives it with real ConvexClients (`convex/browser` over the `ws` package), SIGKILLs it
// mid-burst, restarts it, SIGTERMs it mid-burst, restarts it again, lets every client finish, and
// then counts rows per mutation: `crash:insertBatch` (bench fixture) inserts BATCH_SIZE rows
// carrying the client's unique batch number, so a mutation applied twice shows 2 × BATCH_SIZE.
//
// What it cannot prove: that no interleaving anywhere duplicates (it samples the ones this run
// hits: it checks that mutations were in flight at each kill, not which of them had committed);
// replays after the retention window (storage/interface.ts `REQUEST_RETENTION`), which are re-run by design;
// durability against power loss (SQLite synchronous=NORMAL survives process death, not an OS crash).
import { ConvexClient } from "convex/browser";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import WebSocket from "ws";
import { LocalBackend } from "../src/backend.js";
import { SqliteStore } from "../src/storage/sqlite.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const cli = path.join(repoRoot, "local-backend", "src", "cli.ts");
const convexDir = path.join(repoRoot, "local-backend", "bench", "fixture", "convex");
const BATCH_SIZE = 3; // crash:insertBatch's BATCH_SIZE

const WRITERS = 10;
const IDLE_CLIENTS = 40;
/** Mutations each writer keeps in flight, so several are between commit and acknowledgement at a kill. */
const IN_FLIGHT_PER_WRITER = 4;

const dataDir = mkdtempSync(path.join(tmpdir(), "lb-restart-once-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** [batch, rows] counts of the crash fixture's batches table. */
async function countsOf(backend: LocalBackend): Promise<Map<number, number>> {
  const outcome = await backend.runner.runQuery("crash:countsByBatch", {}, { allowInternal: true });
  if (!outcome.ok) throw new Error(outcome.message);
  return new Map(JSON.parse(outcome.valueJson) as Array<[number, number]>);
}

/** A free port whose neighbour (the site origin, port + 1) is free too. */
async function freePort(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  for (;;) {
    const port = await listen(0);
    if (port < 65535 && (await listen(port + 1).then(() => true, () => false))) return port;
  }
}

/** Starts `local-backend serve` and resolves once it listens. */
function startBackend(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--convex-dir", convexDir, "--data-dir", dataDir, "--port", String(port)],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, IS_TEST: "1" } },
    );
    children.add(child);
    let out = "";
    let err = "";
    const guard = setTimeout(() => reject(new Error(`backend did not start in 20 s:\n${out}\n${err}`)), 20_000);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d.slice(0, 10_000)));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      if (out.length < 10_000) out += d;
      if (out.includes("[local-backend] serving")) {
        clearTimeout(guard);
        resolve(child);
      }
    });
    child.on("exit", () => {
      children.delete(child);
      clearTimeout(guard);
      reject(new Error(`backend exited before it was ready:\n${out}\n${err}`));
    });
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

async function until(pred: () => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test(
  "replayed mutation after restart: SIGKILL and SIGTERM mid-burst under live ConvexClients, every mutation applied exactly once",
  async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let child = await startBackend(port);

    const options = { skipConvexDeploymentUrlCheck: true, webSocketConstructor: WebSocket as any, logger: false };
    const idle = Array.from({ length: IDLE_CLIENTS }, (_, i) => {
      const c = new ConvexClient(url, options);
      // Idle subscribers: they reconnect with the writers and re-run their query on each restart.
      c.onUpdate("docs:getByN" as any, { n: i }, () => {});
      return c;
    });
    const writers = Array.from({ length: WRITERS }, () => new ConvexClient(url, options));

    const issued: number[] = [];
    const results = new Map<number, unknown>();
    const failures: string[] = [];
    let acked = 0;
    let inFlight = 0;
    let running = true;
    const loops = writers.flatMap((w, wi) =>
      Array.from({ length: IN_FLIGHT_PER_WRITER }, async (_, li) => {
        for (let k = 0; running; k++) {
          const batch = wi * 1_000_000 + li * 10_000 + k;
          issued.push(batch);
          inFlight++;
          try {
            results.set(batch, await w.mutation("crash:insertBatch" as any, { batch }));
            acked++;
          } catch (e) {
            failures.push(`${batch}: ${(e as Error).message}`);
          } finally {
            inFlight--;
          }
        }
      }),
    );

    try {
      const inFlightAtKill: number[] = [];
      for (const signal of ["SIGKILL", "SIGTERM"] as const) {
        const target = acked + 150;
        await until(() => acked >= target, `150 acknowledged mutations before ${signal}`);
        inFlightAtKill.push(inFlight);
        await stop(child, signal);
        child = await startBackend(port);
      }
      const target = acked + 150;
      await until(() => acked >= target, "150 acknowledged mutations after the last restart", 30_000);
      running = false;
      await Promise.race([
        Promise.all(loops),
        new Promise((_, reject) => setTimeout(() => reject(new Error("clients did not finish in 20 s")), 20_000)),
      ]);
      // Mutations were pending at each kill, so replays did happen across the restarts.
      expect(inFlightAtKill.every((n) => n > 0)).toBe(true);
    } finally {
      running = false;
      await Promise.all([...writers, ...idle].map((c) => c.close()));
      await stop(child, "SIGTERM");
    }

    expect(failures).toEqual([]);
    // A replay answered from the stored record returns the original result.
    expect([...results].filter(([batch, r]) => r !== batch)).toEqual([]);
    expect(results.size).toBe(issued.length);

    const backend = await LocalBackend.start({ dataDir, convexDir, scheduler: false, crons: false });
    try {
      const counts = await countsOf(backend);
      const issuedSet = new Set(issued);
      // Exactly once: every issued mutation is there with BATCH_SIZE rows (twice would be 6), and
      // nothing else is.
      expect(issued.filter((b) => counts.get(b) !== BATCH_SIZE).map((b) => [b, counts.get(b) ?? 0])).toEqual([]);
      expect([...counts.keys()].filter((b) => !issuedSet.has(b))).toEqual([]);
      expect(issued.length).toBeGreaterThanOrEqual(450);
    } finally {
      await backend.close();
    }
  },
  90_000,
);

test("replayed mutation after restart: a replay racing its original (a second socket) runs once, and a restarted process answers it with the original result and ts", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lb-replay-race-"));
  const request = { sessionId: "0b5c3f4e-race", requestId: "7" };
  try {
    let backend = await LocalBackend.start({ dataDir: dir, convexDir, scheduler: false, crons: false });
    let first: Awaited<ReturnType<typeof backend.runner.runMutation>>;
    try {
      // The client reconnected while its mutation was still running: both arrive before either commits.
      const [a, b] = await Promise.all([
        backend.runner.runMutation("crash:insertBatch", { batch: 7 }, { request }),
        backend.runner.runMutation("crash:insertBatch", { batch: 7 }, { request }),
      ]);
      if (!a.ok || !b.ok) throw new Error("mutation failed");
      expect(b.valueJson).toBe(a.valueJson);
      expect(b.ts).toBe(a.ts);
      expect((await countsOf(backend)).get(7)).toBe(BATCH_SIZE);
      first = a;
    } finally {
      await backend.close();
    }
    backend = await LocalBackend.start({ dataDir: dir, convexDir, scheduler: false, crons: false });
    try {
      const replay = await backend.runner.runMutation("crash:insertBatch", { batch: 7 }, { request });
      if (!replay.ok || !first.ok) throw new Error("mutation failed");
      expect(replay.valueJson).toBe(first.valueJson);
      expect(replay.ts).toBe(first.ts);
      expect((await countsOf(backend)).get(7)).toBe(BATCH_SIZE);
      // Another request id of the same session is a new mutation.
      await backend.runner.runMutation("crash:insertBatch", { batch: 7 }, { request: { ...request, requestId: "8" } });
      expect((await countsOf(backend)).get(7)).toBe(2 * BATCH_SIZE);
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("replayed mutation after restart: request records are kept within the retention window only (age and count)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lb-replay-retention-"));
  const file = path.join(dir, "convex.sqlite3");
  const record = (i: number) => ({ sessionId: "s", requestId: String(i), ts: BigInt(i), valueJson: String(i) });
  try {
    const retention = { maxAgeMs: 60_000, maxCount: 5 };
    let store = new SqliteStore(file, { requestRetention: retention });
    for (let i = 1; i <= 8; i++) store.commit({ ts: BigInt(i), writes: [], request: record(i) });
    expect(store.getRequest("s", "1")).toEqual(record(1));
    store.close();
    // Reopening prunes: only the newest maxCount records are left.
    store = new SqliteStore(file, { requestRetention: retention });
    expect([1, 2, 3, 4, 5, 6, 7, 8].filter((i) => store.getRequest("s", String(i)))).toEqual([4, 5, 6, 7, 8]);
    store.close();
    // Records older than maxAgeMs are pruned too.
    store = new SqliteStore(file, { requestRetention: { ...retention, maxAgeMs: -1 } });
    expect(store.getRequest("s", "8")).toBeUndefined();
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
