// Crash safety: a backend process killed with SIGKILL in the middle of a burst of mutations must
// come back with every acknowledged mutation and with no partially applied one. Each mutation
// (`crash:insertBatch` in the bench fixture) inserts 3 rows sharing a batch number, so a torn
// transaction would show up as a batch with 1 or 2 rows.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const childScript = path.join(here, "crash", "child.ts");
const convexDir = path.join(repoRoot, "local-backend", "bench", "fixture", "convex");
const BATCH_SIZE = 3; // crash:insertBatch's BATCH_SIZE

const dataDir = mkdtempSync(path.join(tmpdir(), "local-backend-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Round {
  /** Batch numbers the child acknowledged (including ones read after the kill). */
  acked: number[];
  signal: NodeJS.Signals | null;
}

/** Runs the child from `firstBatch` and SIGKILLs it once `killAfter` acknowledgements arrived. */
function runUntilKilled(firstBatch: number, killAfter: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", childScript, dataDir, String(firstBatch)], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const acked: number[] = [];
    let killed = false;
    let pending = "";
    let stderr = "";
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`crash child made only ${acked.length} acknowledgements in 30 s; stderr:\n${stderr}`));
    }, 30_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (/^\d+$/.test(line)) acked.push(Number(line));
      if (!killed && acked.length >= killAfter) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (!killed) reject(new Error(`crash child exited by itself (${signal ?? code}) after ${acked.length} acks; stderr:\n${stderr}`));
      else resolve({ acked, signal });
    });
  });
}

test(
  "SIGKILL mid-burst: every acknowledged mutation survives, no partial transaction is visible",
  async () => {
    // Three crashes at different points, each restarting on the data dir the previous one left.
    const rounds: Array<{ first: number; acked: number[] }> = [];
    for (const [i, killAfter] of [25, 120, 300].entries()) {
      const first = (i + 1) * 1_000_000;
      const { acked, signal } = await runUntilKilled(first, killAfter);
      expect(signal).toBe("SIGKILL");
      expect(acked.length).toBeGreaterThanOrEqual(killAfter);
      // Sequential mutations: acknowledgements are consecutive.
      expect(acked).toEqual(acked.map((_, k) => first + k));
      // No clean shutdown happened: the commits are (at least partly) only in the WAL.
      expect(existsSync(path.join(dataDir, "convex.sqlite3-wal"))).toBe(true);
      rounds.push({ first, acked });
    }

    const backend = await LocalBackend.start({ dataDir, convexDir, scheduler: false });
    try {
      const outcome = await backend.runner.runQuery("crash:countsByBatch", {}, { allowInternal: true });
      if (!outcome.ok) throw new Error(outcome.message);
      const counts = new Map(JSON.parse(outcome.valueJson) as Array<[number, number]>);

      // Every batch present is complete: no torn transaction.
      const partial = [...counts].filter(([, n]) => n !== BATCH_SIZE);
      expect(partial).toEqual([]);
      // Every acknowledged batch is present.
      const acked = rounds.flatMap((r) => r.acked);
      expect(acked.filter((b) => !counts.has(b))).toEqual([]);
      // The only batches beyond the acknowledged ones are the one in flight at each kill
      // (committed, but killed before its acknowledgement was written).
      const inFlight = new Set(rounds.map((r) => r.first + r.acked.length));
      const ackedSet = new Set(acked);
      expect([...counts.keys()].filter((b) => !ackedSet.has(b) && !inFlight.has(b))).toEqual([]);

      // The recovered store still takes writes.
      const after = await backend.runner.runMutation("crash:insertBatch", { batch: 42 });
      expect(after.ok).toBe(true);
    } finally {
      await backend.close();
    }
  },
  60_000,
);
