// The WAL is copied into the database file on the checkpointer's thread (storage/checkpointer.ts),
// not inside the commits of the thread that commits mutations; the WAL stays bounded, close()
// still leaves no WAL behind, and a store whose thread is gone checkpoints on its own again.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { CATCH_UP_FRAMES, CHECKPOINT_AFTER_WRITES } from "../src/storage/checkpointer.js";
import { SqliteStore } from "../src/storage/sqlite.js";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lb-checkpoint-"));
  file = path.join(dir, "convex.sqlite3");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let ts = 0n;
/** One commit of `docs` ~1 KB documents (new ids), as a mutation's commit writes them. */
function commitDocs(store: SqliteStore, docs: number) {
  const writes = Array.from({ length: docs }, () => {
    const id = `doc${++ts}`.padEnd(32, "x");
    return { id, tableNumber: 10001, json: JSON.stringify({ _id: id, body: "y".repeat(1000) }), addKeys: [], removeKeys: [], touchedKeys: [] };
  });
  store.commit({ ts: ++ts, writes });
}

const walBytes = () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

test("checkpoints run on their own thread: commits never copy the WAL themselves, and the WAL stays bounded", async () => {
  const store = new SqliteStore(file);
  try {
    expect(store.checkpointer.passes).toBe(0);
    let maxWal = 0;
    for (let i = 0; i < 10_000; i++) {
      commitDocs(store, 1);
      maxWal = Math.max(maxWal, walBytes());
      // Give the thread's answers a turn, as a serving backend's event loop does between requests.
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => store.checkpointer.passes >= 5);
    // A pass with no commit during it finds nothing in the way and copies the whole WAL it saw. (A
    // pass that commits overlap may see frames appended after it began: the loop's last passes.)
    await until(() => !store.checkpointer.passRunning);
    const passes = store.checkpointer.passes;
    commitDocs(store, CHECKPOINT_AFTER_WRITES); // one commit that asks for a pass, and none after it
    await until(() => store.checkpointer.passes > passes);
    const [busy, log, copied] = store.checkpointer.lastFrames!;
    expect(busy).toBe(0);
    expect(copied).toBe(log);
    // 10,000 commits of ~1 KB documents wrote ~285 MiB of WAL frames; the WAL was restarted along the
    // way, once it held CATCH_UP_FRAMES (32 MiB), by the store's catch-up after a complete pass:
    // several times. How far past 32 MiB it grows before a restart depends on how fast the thread's
    // pass runs: ~37 MiB on an idle machine, 52 MiB under the whole suite's load on 2 cores. Without
    // the catch-up the WAL is never restarted under this load: 285 MiB in a run with it turned off.
    console.log(`checkpointer: ${store.checkpointer.catchUps} catch-ups, WAL at most ${(maxWal / 2 ** 20).toFixed(1)} MiB`);
    expect(store.checkpointer.catchUps).toBeGreaterThanOrEqual(3);
    expect(maxWal).toBeGreaterThan(CATCH_UP_FRAMES * 4096);
    expect(maxWal).toBeLessThan(CATCH_UP_FRAMES * 4096 * 3);
  } finally {
    store.close();
  }
  // The store's connection closed last: the WAL is checkpointed and removed, as before.
  expect(existsSync(`${file}-wal`)).toBe(false);
});

test("a store with few commits never starts the thread", () => {
  const store = new SqliteStore(file);
  try {
    for (let i = 0; i < CHECKPOINT_AFTER_WRITES / 4; i++) commitDocs(store, 1);
    expect(store.checkpointer.passes).toBe(0);
    expect(store.checkpointer.available).toBe(true);
  } finally {
    store.close();
  }
  expect(existsSync(`${file}-wal`)).toBe(false);
});

test("once the thread is gone, the store checkpoints inside its commits again (the WAL stays bounded)", async () => {
  const store = new SqliteStore(file);
  try {
    commitDocs(store, CHECKPOINT_AFTER_WRITES);
    await until(() => store.checkpointer.passes >= 1);
    await (store.checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => !store.checkpointer.available);
    let maxWal = 0;
    for (let i = 0; i < 3_000; i++) {
      commitDocs(store, 1);
      maxWal = Math.max(maxWal, walBytes());
    }
    // SQLite's own checkpoint (every 1,000 pages) keeps it near 4 MB; without one it would pass 12 MB.
    expect(maxWal).toBeLessThan(8 * 2 ** 20);
  } finally {
    store.close();
  }
});

test("closing the store while a pass is in flight: its late answer is ignored, nothing throws", async () => {
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  process.on("uncaughtException", onError);
  try {
    const store = new SqliteStore(file);
    // More than CATCH_UP_FRAMES of WAL, written before the first pass reports back.
    for (let i = 0; i < 150; i++) commitDocs(store, 250);
    // The first pass saw a small WAL; its answer starts the next, which sees all of it and would
    // ask for a catch-up when it answers: the store closes before that answer arrives.
    await until(() => store.checkpointer.passes >= 1);
    store.close();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    process.off("uncaughtException", onError);
  }
  expect(errors).toEqual([]);
  expect(existsSync(`${file}-wal`)).toBe(false);
});
