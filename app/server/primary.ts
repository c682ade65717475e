// The app server's cluster primary: forks the workers, replaces one that dies after the start, stops
// them all. `npm run serve` runs it in a process of its own (app/server/index.ts); `npm start`
// runs it inside the launch process that already holds the local backend (tools/start.ts), so the
// stack keeps no process whose only job is forking (issue #18: drop the extra processes; that one
// held ~45 MB of RSS). Only node: modules here, so the launch bundle stays small.
import cluster, { type Worker } from "node:cluster";
import os from "node:os";

/** Workers to run: WEB_CONCURRENCY if set, else one per core; at least one. */
export function workerCount(webConcurrency: string | undefined): number {
  return Math.max(1, Number(webConcurrency ?? os.availableParallelism()));
}

/** Says loudly when the dev mailbox is on: anyone who reaches this server can read every email. */
export function warnDevMailbox(flag: string | undefined): void {
  if (flag === "1") {
    console.warn("[pressroom] /dev/mailbox is on (PRESSROOM_DEV_MAILBOX=1): every email, sign-in codes included, is readable here. Development only.");
  }
}

export interface PrimaryOptions {
  workers: number;
  /** The worker's script (default: this process's own, as node:cluster does). */
  exec?: string;
  /** Node flags of each worker (heap.ts workerExecArgv). */
  execArgv: string[];
  /** Variables added to each worker's environment. */
  env?: Record<string, string | undefined>;
  /** Once every worker listens: the "serving" line belongs to whoever runs the primary. */
  onListening?: () => void;
}

export interface Primary {
  /** Sends a signal to every worker (SIGUSR2: the memory report). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to every worker; resolves once all exited, or after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Resolves with an exit code once the workers are gone for good: 0 after stop(), 1 when one failed during the start. */
  readonly done: Promise<number>;
}

export function startPrimary(options: PrimaryOptions): Primary {
  // Another script's workers get none of this process's arguments (they are the launcher's).
  cluster.setupPrimary({ execArgv: options.execArgv, ...(options.exec ? { exec: options.exec, args: [] } : {}) });
  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  let stopping = false;
  let listening = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let exitCode = 0;
  const fork = () => cluster.fork(options.env);
  for (let i = 0; i < options.workers; i++) fork();
  cluster.on("listening", () => {
    if (++listening === options.workers) options.onListening?.();
  });
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (workers().length === 0) finish(exitCode);
      return;
    }
    // A worker that fails before it ever listened would fail again: give up instead of looping.
    if (listening < options.workers) {
      console.error(`[pressroom] a worker exited during start (${signal ?? code}); stopping`);
      stopping = true;
      exitCode = 1;
      for (const w of workers()) w.kill("SIGTERM");
      if (workers().length === 0) finish(exitCode);
      return;
    }
    console.error(`[pressroom] worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  return {
    signal(signal) {
      for (const w of workers()) w.process.kill(signal);
    },
    async stop(timeoutMs = 12_000) {
      if (!stopping) {
        stopping = true;
        for (const w of workers()) w.kill("SIGTERM");
        if (workers().length === 0) finish(exitCode);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs).unref()))]);
      clearTimeout(timer);
    },
    done,
  };
}
