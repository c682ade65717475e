import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Copies the write-ahead log into the database file on a thread of its own.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the thread
 * that commits: here, the backend's main thread, which also commits every mutation. It copied
 * ~1,000 pages and synced the files (synchronous = NORMAL syncs at each checkpoint) in one commit
 * of every few hundred: a one-document insert's commit took 200 µs on average with it, 140 µs
 * without, of the ~380 µs the main thread spent on the insert. The write
 * connection turns it off (`wal_autocheckpoint = 0`) and asks this thread instead, which runs
 * PASSIVE checkpoints on its own connection: they copy what no reader still needs and never wait
 * for, or block, the writer or the readers (sqlite.org/wal.html, "Checkpointing").
 *
 * What it buys on 2 cores is latency, not throughput: the copy still takes a core, now the
 * thread's. One-document inserts one at a time (compiled, 8,000 in a row, 20,000 documents):
 * p99 7.3–8.5 ms → 2.0–2.6 ms; p99.9 9–11 ms → 11–13 ms (the catch-ups below); throughput within
 * the runs' noise (1,570–2,180/s either way).
 *
 * Durability is unchanged: a commit is in the WAL when it returns, checkpointed or not. The thread
 * starts on the first request, so a store that never commits much never starts it.
 */

/** The thread's script: plain CommonJS, so it needs neither tsx nor a bundle. */
const SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw();
parentPort.on("message", (m) => {
  if (m.t === "checkpoint") {
    let frames = null;
    try {
      // [busy, frames in the WAL, frames copied]
      frames = checkpoint.get();
    } catch {
      // A busy or failed pass copies nothing; the next request tries again.
    }
    parentPort.postMessage({ t: "done", frames });
  } else if (m.t === "close") {
    try { db.close(); } catch {}
    const flag = new Int32Array(m.flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
});
`;

/** Ask for a checkpoint once this many document writes are in the WAL (SQLite's default is 1,000 pages). */
export const CHECKPOINT_AFTER_WRITES = 250;
/** WAL frames (pages) past which the committing thread restarts the WAL: 32 MiB of 4 KiB pages. */
export const CATCH_UP_FRAMES = 8192;
/** How long close() waits for the thread to close its connection. */
const CLOSE_WAIT_MS = 5_000;

export class Checkpointer {
  private worker: Worker | null = null;
  private running = false;
  private pending = 0;
  private failed = false;
  /** Passes completed, and the WAL's frames after the last one (for tests and the bench). */
  passes = 0;
  lastFrames: [busy: number, log: number, copied: number] | null = null;
  /** Catch-ups run (each lets the next commit restart the WAL), for tests. */
  catchUps = 0;
  /** Whether a pass is in flight (tests wait for none before starting one they inspect). */
  get passRunning(): boolean {
    return this.running;
  }

  constructor(
    private readonly file: string,
    /**
     * Called on the committing thread after a pass that copied the whole WAL it saw, once the WAL
     * holds CATCH_UP_FRAMES. Commits that landed during the pass are not copied yet, and SQLite
     * restarts the WAL from its start only when every frame is (at the next write); under a steady
     * write load no background pass ever catches up, and the WAL grew without bound (59 MB in
     * 3,000 small commits). The caller copies those few frames itself, so the next commit restarts
     * the WAL. Not after every pass: the catch-up syncs the files (~3 ms here), which after each
     * pass cost the committing thread as much as the passes saved it.
     */
    private readonly catchUp: () => void,
  ) {}

  /** False once the thread could not start or died: the caller checkpoints on its own again. */
  get available(): boolean {
    return !this.failed;
  }

  /** Notes `writes` more document writes committed; starts a pass once enough are waiting. */
  committed(writes: number): void {
    this.pending += writes + 1;
    if (this.pending >= CHECKPOINT_AFTER_WRITES && !this.running) this.request();
  }

  private request(): void {
    const w = this.start();
    if (!w) return;
    this.pending = 0;
    this.running = true;
    w.postMessage({ t: "checkpoint" });
  }

  private start(): Worker | null {
    if (this.failed) return null;
    if (this.worker) return this.worker;
    try {
      const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
      const w = new Worker(SOURCE, { eval: true, workerData: { file: this.file, sqlite }, env: {}, execArgv: [], stdout: false, stderr: false });
      w.unref();
      w.on("message", (m: { t: "done"; frames: Checkpointer["lastFrames"] }) => {
        // An answer that arrives after close() (the pass was in flight) finds no store to catch up.
        if (this.worker !== w) return;
        this.running = false;
        this.passes++;
        this.lastFrames = m.frames;
        if (m.frames && m.frames[0] === 0 && m.frames[2] === m.frames[1] && m.frames[1] >= CATCH_UP_FRAMES) {
          try {
            this.catchUp();
            this.catchUps++;
          } catch {
            // Busy or failed: the WAL restarts after a later pass's catch-up instead.
          }
        }
        if (this.pending >= CHECKPOINT_AFTER_WRITES) this.request();
      });
      w.on("error", () => this.fail());
      w.on("exit", () => this.fail());
      this.worker = w;
      return w;
    } catch {
      this.fail();
      return null;
    }
  }

  private fail(): void {
    this.failed = true;
    this.running = false;
    this.worker = null;
  }

  /**
   * Closes the thread's connection before the store closes its own, so the store's close is the
   * last and checkpoints and removes the WAL as before. Waits at most CLOSE_WAIT_MS (a pass in
   * progress finishes first).
   */
  close(): void {
    const w = this.worker;
    this.worker = null;
    this.failed = true;
    if (!w) return;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    w.removeAllListeners("exit");
    w.removeAllListeners("error");
    w.on("error", () => {});
    w.postMessage({ t: "close", flag: flag.buffer });
    Atomics.wait(flag, 0, 0, CLOSE_WAIT_MS);
    void w.terminate();
  }
}
