import { AsyncLocalStorage } from "node:async_hooks";
import { build } from "../esbuildService.js";
import { closeSync, openSync, readSync } from "node:fs";
import type { EventLoopUtilization } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { JSONValue } from "convex/values";
import type { ExecContext, SyscallHost } from "../context.js";
import { pushLogLine } from "../context.js";
import { FunctionError, UserError } from "../thrown.js";
import { outOfMemoryMessage, timeoutMessage } from "./limits.js";
import type { MainToWorker, SyncAnswer, SyncRequest, SyscallFailure, WorkerToMain } from "./protocol.js";
import { SyncChannelServer } from "./syncChannel.js";

/**
 * One isolate worker as the backend sees it (IsolateWorker): the thread, the invocations it runs,
 * the syscalls it asks for, and the clock of its current run (Execution). The pool (pool.ts)
 * decides which worker runs what.
 */

/** The host the pool answers syscalls with: the runner. */
export interface IsolateHost extends SyscallHost {
  componentEnv(componentPath: string): Record<string, string>;
}

/**
 * Set while the backend serves an action's `ctx.runAction`: the action waits on it while holding its
 * own worker, so the pool lets such a call past its cap (pool.ts) instead of queueing it behind the
 * very workers that wait for it.
 */
export const inRunAction = new AsyncLocalStorage<true>();

/**
 * The young generation (MiB) of a worker with a `heapMb` heap: V8 keeps its semi-spaces resident,
 * so 8 MiB of it per worker (the former size) was ~5 MiB of RSS each that a function's short-lived
 * garbage does not need; 512 MiB "use node" workers keep a larger one.
 */
export function youngGenerationMb(heapMb: number): number {
  return Math.min(16, Math.max(3, heapMb / 32));
}

const workerScripts = new Map<string, Promise<string>>();

/** A worker's entry file (next to this one) and what it imports, bundled once per process into a script a Worker evaluates. */
export function workerScript(file: "./worker.ts" | "./analyzeWorker.ts"): Promise<string> {
  let script = workerScripts.get(file);
  if (!script) {
    script = build({
      entryPoints: [fileURLToPath(new URL(file, import.meta.url))],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      write: false,
      logLevel: "silent",
    }).then((r) => r.outputFiles[0]!.text);
    workerScripts.set(file, script);
  }
  return script;
}

/** worker.ts (the isolate worker) as a script. */
export function compileWorker(): Promise<string> {
  return workerScript("./worker.ts");
}

/**
 * A worker thread's CPU time in ms (utime + stime, from Linux's /proc, 10 ms ticks; null
 * elsewhere), read through one descriptor kept open: opening the file each time was ~7% of the
 * backend's main thread on uncached point queries. A thread's CPU time, unlike its wall time, does
 * not grow while a busy machine runs others.
 */
class ThreadClock {
  private fd: number | null;
  private readonly buf = Buffer.alloc(1024);
  constructor(tid: number) {
    try {
      this.fd = openSync(`/proc/self/task/${tid}/stat`, "r");
    } catch {
      this.fd = null;
    }
  }
  ms(): number | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const stat = this.buf.toString("latin1", 0, n);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return null;
    }
  }
  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * How long a query's or mutation's clock waits before it reads its base (below). Reading the
 * thread's CPU time (a read of /proc) and the event loop's utilization at every start was 3.7% of
 * the backend's main-thread samples on uncached point queries, which finish long before this.
 */
export const CLOCK_BASE_DELAY_MS = 20;

/**
 * One top-level run's clock. Queries and mutations count user time: the worker thread's CPU time
 * (or, without /proc, its event loop's active time), so time spent waiting for the backend to
 * answer a syscall is not counted, as Convex pauses its `Timeout` during syscalls. Actions count
 * wall time.
 *
 * The user-time base is read CLOCK_BASE_DELAY_MS after the start, not at it, so the runs that end
 * sooner (nearly all) never read it. What a run spends before the base is not counted: it may use
 * up to its budget plus that delay (20 ms on a 1 s budget; /proc's clock ticks are 10 ms), and it
 * is never stopped before it has used its budget.
 */
export class Execution {
  private timer: NodeJS.Timeout | null = null;
  private base: EventLoopUtilization | null = null;
  private cpuBase: number | null = null;
  private since = 0;

  constructor(
    readonly worker: IsolateWorker,
    private readonly budgetMs: number,
    private readonly userTime: boolean,
  ) {}

  /** Called when the worker starts the function (after importing its module). */
  start() {
    this.since = performance.now();
    if (!this.userTime) return this.arm(this.budgetMs);
    this.timer = setTimeout(() => {
      this.base = this.worker.worker.performance.eventLoopUtilization();
      this.cpuBase = this.worker.clock?.ms() ?? null;
      this.arm(this.budgetMs);
    }, CLOCK_BASE_DELAY_MS);
    this.timer.unref();
  }
  private used(): number {
    if (this.cpuBase !== null) {
      const now = this.worker.clock?.ms() ?? null;
      if (now !== null) return now - this.cpuBase;
    }
    return this.base ? this.worker.worker.performance.eventLoopUtilization(this.base).active : performance.now() - this.since;
  }
  private arm(ms: number) {
    this.timer = setTimeout(() => {
      const left = this.budgetMs - this.used();
      if (left <= 0) this.worker.kill(new FunctionError(timeoutMessage(this.budgetMs)));
      else this.arm(Math.max(left, 5));
    }, ms);
    this.timer.unref();
  }
  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

type Waiter = { resolve(m: Extract<WorkerToMain, { t: "done" }>): void; reject(e: Error): void };

/** A worker thread and the invocations (one top-level run and its nested calls) it is running. */
export class IsolateWorker {
  readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  readonly contexts = new Map<number, ExecContext>();
  /** Query streams whose one-way start failed, by run (protocol.ts "start"); gone with the run. */
  private readonly failedStarts = new WeakMap<ExecContext, Map<number, SyscallFailure>>();
  private readonly waiting = new Map<number, Waiter>();
  execution: Execution | null = null;
  dead: Error | null = null;
  /** Loaded an app version that is no longer installed: stops when its run ends. */
  retired = false;
  heapBytes = 0;
  /** The environment object last sent to it (pool.ts sends it again only when it changed). */
  lastEnv: Record<string, string> | null = null;
  /** The worker thread's CPU clock, once it has said its Linux thread id. */
  clock: ThreadClock | null = null;
  /** While it waits in the pool's idle list: retires it once it has been idle too long (pool.ts). */
  idleTimer: NodeJS.Timeout | null = null;

  constructor(
    source: string,
    /** Its pool class (`WorkerClass`): workers are only reused within one. */
    readonly klass: string,
    readonly heapMb: number,
    private readonly host: IsolateHost,
    private readonly onExit: (w: IsolateWorker) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.port = port1;
    this.signal = new Int32Array(flag);
    this.worker = new Worker(source, {
      eval: true,
      workerData: { syncPort: port2, flag },
      transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: youngGenerationMb(heapMb) },
      // The function environment is passed per invocation; the backend's own is not user code's.
      env: {},
      // Nor its flags: under tsx they load its TypeScript loader (a thread, an esbuild service)
      // into every worker, which runs plain JavaScript.
      // LOCAL_BACKEND_ISOLATE_CPU_PROF=dir: V8 CPU profiles of each worker, written when it stops.
      execArgv: process.env.LOCAL_BACKEND_ISOLATE_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.LOCAL_BACKEND_ISOLATE_CPU_PROF}`, "--cpu-prof-interval=100"] : [],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.port.unref();
    this.worker.on("message", (m: WorkerToMain) => this.onMessage(m));
    const sync = new SyncChannelServer(port1, this.signal, (m) => this.answerSync(m), (message) => this.desync(message));
    this.port.on("message", (m: SyncRequest) => {
      if (!this.dead) sync.handle(m);
    });
    this.worker.on("error", (e: Error & { code?: string }) => {
      this.kill(e.code === "ERR_WORKER_OUT_OF_MEMORY" ? new FunctionError(outOfMemoryMessage(this.heapMb)) : new FunctionError(`Isolate failed: ${e.message}`));
    });
    this.worker.on("exit", () => this.kill(new FunctionError("Isolate exited unexpectedly.")));
  }

  /** Stops the worker: everything it was running fails with `reason`. */
  kill(reason: Error) {
    if (this.dead) return;
    this.dead = reason;
    this.execution?.stop();
    this.clock?.close();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    for (const w of this.waiting.values()) w.reject(reason);
    this.waiting.clear();
    this.contexts.clear();
    void this.worker.terminate();
    this.port.close();
    this.onExit(this);
  }

  /** Its sync channel is out of step (syncChannel.ts): what it runs fails, and it stops rather than answer wrongly. */
  private desync(message: string) {
    this.kill(new FunctionError(`Internal error: isolate sync channel out of step (${message}); the isolate was stopped.`));
  }

  send(m: MainToWorker, transfer: ArrayBuffer[] = []): Promise<Extract<WorkerToMain, { t: "done" }>> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if ("id" in m) this.waiting.set(m.id, { resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  private reply(callId: number, r: { ok: true; value: unknown; spent?: true } | { ok: false; error: SyscallFailure }) {
    if (!this.dead) this.worker.postMessage({ t: "reply", callId, ...r } satisfies MainToWorker);
  }

  private answerSync(m: SyncRequest): SyncAnswer {
    try {
      return { ok: true, value: this.host.syscall(this.context(m.ctxId), m.op, m.args) };
    } catch (e) {
      return { ok: false, error: failureOf(e) };
    }
  }

  private context(ctxId: number): ExecContext {
    const ctx = this.contexts.get(ctxId);
    if (!ctx) throw new Error("This function invocation has already finished.");
    return ctx;
  }

  private onMessage(m: WorkerToMain) {
    switch (m.t) {
      case "started":
        this.execution?.start();
        return;
      case "tid":
        this.clock?.close();
        this.clock = new ThreadClock(m.tid);
        return;
      case "fatal":
        this.desync(m.message);
        return;
      case "log": {
        const ctx = this.contexts.get(m.ctxId);
        if (ctx) pushLogLine(ctx, m.line);
        return;
      }
      case "start": {
        const ctx = this.contexts.get(m.ctxId);
        if (!ctx) return;
        let queryId: number;
        try {
          ({ queryId } = JSON.parse(this.host.syscall(ctx, "1.0/queryStream", m.args)) as { queryId: number });
        } catch (e) {
          let failed = this.failedStarts.get(ctx);
          if (!failed) this.failedStarts.set(ctx, (failed = new Map()));
          failed.set(m.queryId, failureOf(e));
          return;
        }
        if (queryId !== m.queryId) this.desync(`query stream numbered ${m.queryId} by the worker, ${queryId} here`);
        return;
      }
      case "cleanup": {
        // Sent on this port, so it arrives before the run's "done" (the read range is narrowed
        // before the read set is taken). A run that already ended has nothing left to clean.
        const ctx = this.contexts.get(m.ctxId);
        if (ctx) {
          try {
            this.host.syscall(ctx, "1.0/queryCleanup", { queryId: m.queryId });
          } catch {
            // queryCleanup does not throw; nothing could take its answer anyway.
          }
        }
        return;
      }
      case "done": {
        this.heapBytes = m.heapBytes;
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.resolve(m);
        return;
      }
      case "async":
      case "js": {
        void (async () => {
          try {
            const ctx = this.context(m.ctxId);
            const streamId = m.op === "1.0/queryStreamNext" ? (m.args as { queryId: number }).queryId : undefined;
            // The stream's start failed (a "start" message): its first next says why, as the
            // start would have.
            const failedStart = streamId === undefined ? undefined : this.failedStarts.get(ctx)?.get(streamId);
            if (failedStart) return this.reply(m.callId, { ok: false, error: failedStart });
            const call = () => (m.t === "async" ? this.host.asyncSyscall(ctx, m.op, m.args) : this.host.jsSyscall(ctx, m.op, m.args));
            const value = m.op === "1.0/actions/action" ? await inRunAction.run(true, call) : await call();
            // A query whose limit is now used up (first(), take(n), unique()'s second row): the
            // worker answers its next call "done" itself, one round trip fewer (worker.ts).
            const spent = streamId !== undefined && ctx.streams.get(streamId)?.limitSpent;
            this.reply(m.callId, spent ? { ok: true, value, spent: true } : { ok: true, value });
          } catch (e) {
            this.reply(m.callId, { ok: false, error: failureOf(e) });
          }
        })();
      }
    }
  }
}

function failureOf(e: unknown): SyscallFailure {
  const err = e instanceof Error ? e : new Error(String(e));
  const data = (err as { data?: JSONValue }).data;
  return { message: err.message, name: err.name, user: err instanceof UserError, ...(data !== undefined ? { data } : {}) };
}
