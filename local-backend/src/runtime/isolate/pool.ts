import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { EventLoopUtilization } from "node:perf_hooks";
import { Worker, MessageChannel, type MessagePort } from "node:worker_threads";
import type { JSONValue } from "convex/values";
import type { ExecContext, SyscallHost } from "../context.js";
import { pushLogLine } from "../context.js";
import type { ModuleSource, RegisteredFunction } from "../modules.js";
import { FunctionError, UserError } from "../thrown.js";
import type { InvocationContext, MainToWorker, SerializedRequest, SerializedResponse, SyncRequest, SyscallFailure, WorkerToMain } from "./protocol.js";

/**
 * Runs functions in isolate workers (worker.ts) with Convex's limits
 * (docs.convex.dev/production/state/limits; crates/isolate timeout.rs and termination.rs):
 * - queries and mutations: 1 s of user code (Execution: not counting waits on the backend);
 * - actions and HTTP actions: 10 minutes of wall time;
 * - a 64 MiB heap (512 MiB for "use node" actions).
 * Past a limit the worker is terminated (V8 stops even a synchronous infinite loop), the call gets
 * Convex's error, and a fresh worker takes its place; the backend's own thread never runs user code.
 */

export interface FunctionLimits {
  /** User-code time of a query or mutation (ms). */
  userTimeoutMs: number;
  /** Wall time of an action or HTTP action (ms). */
  actionTimeoutMs: number;
  /** V8 heap of a default-runtime isolate (MiB). */
  heapMb: number;
  /** V8 heap of a "use node" action (MiB). */
  nodeHeapMb: number;
}

export const CONVEX_LIMITS: FunctionLimits = { userTimeoutMs: 1000, actionTimeoutMs: 600_000, heapMb: 64, nodeHeapMb: 512 };

/** Convex's texts (crates/isolate termination.rs: UserTimeoutError, OutOfMemoryError). */
export function timeoutMessage(ms: number): string {
  // Rust's Duration debug format: 1s, 1.5s, 600s, 500ms.
  return `Function execution timed out (maximum duration: ${ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`})`;
}
export function outOfMemoryMessage(mb: number): string {
  return `JavaScript execution ran out of memory (maximum memory usage: ${mb} MB)`;
}

/** The host the pool answers syscalls with: the runner. */
export interface IsolateHost extends SyscallHost {
  componentEnv(componentPath: string): Record<string, string>;
}

let workerSource: Promise<string> | null = null;

/** worker.ts and what it imports, bundled once per process into a script a Worker evaluates. */
function compileWorker(): Promise<string> {
  workerSource ??= build({
    entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return workerSource;
}

/**
 * CPU time (ms) of one thread of this process, from Linux's /proc (10 ms ticks); null elsewhere.
 * A thread's CPU time, unlike its wall time, does not grow while a busy machine runs others.
 */
function threadCpuMs(tid: number): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * One top-level run's clock. Queries and mutations count user time: the worker thread's CPU time
 * (or, without /proc, its event loop's active time), so time spent waiting for the backend to
 * answer a syscall is not counted, as Convex pauses its `Timeout` during syscalls. Actions count
 * wall time.
 */
class Execution {
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
    this.base = this.userTime ? this.worker.worker.performance.eventLoopUtilization() : null;
    this.cpuBase = this.userTime && this.worker.tid !== null ? threadCpuMs(this.worker.tid) : null;
    this.since = performance.now();
    this.arm(this.budgetMs);
  }
  private used(): number {
    if (this.cpuBase !== null) {
      const now = threadCpuMs(this.worker.tid!);
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
class IsolateWorker {
  readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  readonly contexts = new Map<number, ExecContext>();
  private readonly waiting = new Map<number, Waiter>();
  execution: Execution | null = null;
  dead: Error | null = null;
  /** Loaded an app version that is no longer installed: stops when its run ends. */
  retired = false;
  heapBytes = 0;
  /** The worker thread's Linux thread id (for its CPU time), once it has said. */
  tid: number | null = null;

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
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(16, Math.max(4, heapMb / 8)) },
      // The function environment is passed per invocation; the backend's own is not user code's.
      env: {},
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.port.unref();
    this.worker.on("message", (m: WorkerToMain) => this.onMessage(m));
    this.port.on("message", (m: SyncRequest) => this.onSync(m));
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
    for (const w of this.waiting.values()) w.reject(reason);
    this.waiting.clear();
    this.contexts.clear();
    void this.worker.terminate();
    this.port.close();
    this.onExit(this);
  }

  send(m: MainToWorker, transfer: ArrayBuffer[] = []): Promise<Extract<WorkerToMain, { t: "done" }>> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if ("id" in m) this.waiting.set(m.id, { resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  private reply(callId: number, r: { ok: true; value: unknown } | { ok: false; error: SyscallFailure }) {
    if (!this.dead) this.worker.postMessage({ t: "reply", callId, ...r } satisfies MainToWorker);
  }

  private onSync(m: SyncRequest) {
    let reply: { ok: true; value: string } | { ok: false; error: SyscallFailure };
    try {
      const ctx = this.context(m.ctxId);
      reply = { ok: true, value: this.host.syscall(ctx, m.op, m.args) };
    } catch (e) {
      reply = { ok: false, error: failureOf(e) };
    }
    if (this.dead) return;
    this.port.postMessage(reply);
    Atomics.store(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
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
        this.tid = m.tid;
        return;
      case "log": {
        const ctx = this.contexts.get(m.ctxId);
        if (ctx) pushLogLine(ctx, m.line);
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
            const value = m.t === "async" ? await this.host.asyncSyscall(ctx, m.op, m.args) : await this.host.jsSyscall(ctx, m.op, m.args);
            this.reply(m.callId, { ok: true, value });
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

/** What the pool keeps on an ExecContext (`ctx.isolate`): nested calls run on the same worker. */
interface Binding {
  worker: IsolateWorker;
  /** The invocation's id in the worker (a nested call names it as its parent). */
  ctxId: number;
}

export class IsolatePool {
  private source: Promise<string> | null = null;
  private idle = new Map<string, IsolateWorker[]>();
  private all = new Set<IsolateWorker>();
  private queue: Array<{ klass: string; take(w: IsolateWorker): void; fail(e: Error): void }> = [];
  private nextId = 0;
  private closed = false;
  readonly limits: FunctionLimits;

  constructor(
    private readonly host: IsolateHost,
    limits: Partial<FunctionLimits> = {},
  ) {
    this.limits = { ...CONVEX_LIMITS, ...limits };
  }

  /**
   * Queries and mutations and actions never share a class: an action waiting on `ctx.runQuery`
   * holds its worker, so if they shared workers, enough such actions would starve the queries they
   * wait for. Transactions only ever wait on the main thread, so a few workers per core serve them;
   * actions mostly wait (fetch, timers, other functions), so more of them may run at once.
   */
  private static maxWorkers(klass: string): number {
    return klass.startsWith("tx:") ? Math.max(4, availableParallelism() * 2) : 32;
  }

  /** Runs `f` (which has a bundled module) as `ctx`; resolves to its JSON result or throws its error. */
  async invoke(ctx: ExecContext, f: RegisteredFunction, method: "query" | "mutation" | "action", argsJson: string): Promise<string> {
    const source = f.module!;
    const exportName = f.path.slice(f.path.indexOf(":") + 1);
    const done = await this.run(ctx, source, (id, ic) => ({ t: "invoke", id, ctx: ic, url: source.url, exportName, method, argsJson }));
    if (!done.ok) throw new FunctionError(done.message!, done.data);
    return done.valueJson!;
  }

  /** Serves a request with an HTTP router bundled in `source`. */
  async http(ctx: ExecContext, source: ModuleSource, routedPath: string, lookupMethod: string, request: Request): Promise<Response> {
    const body = request.method === "GET" || request.method === "HEAD" ? null : await request.arrayBuffer();
    const serialized: SerializedRequest = { url: request.url, method: request.method, headers: [...request.headers], body };
    const done = await this.run(
      ctx,
      source,
      (id, ic) => ({ t: "http", id, ctx: ic, url: source.url, routedPath, lookupMethod, request: serialized }),
      body ? [body] : [],
    );
    if (!done.ok) throw new FunctionError(done.message!, done.data);
    const r = done.response as SerializedResponse;
    const nullBody = r.status === 204 || r.status === 205 || r.status === 304;
    return new Response(nullBody ? null : r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
  }

  /** Runs one invocation and carries back what it observed (the time, the environment) for queryCache.ts. */
  private async run(
    ctx: ExecContext,
    source: ModuleSource,
    message: (id: number, ic: InvocationContext) => MainToWorker,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<WorkerToMain, { t: "done" }>> {
    const done = await this.runOn(ctx, source, message, transfer);
    if (ctx.observed) {
      ctx.observed.time ||= done.observed.time;
      ctx.observed.env ||= done.observed.env;
    }
    return done;
  }

  private async runOn(
    ctx: ExecContext,
    source: ModuleSource,
    message: (id: number, ic: InvocationContext) => MainToWorker,
    transfer: ArrayBuffer[],
  ): Promise<Extract<WorkerToMain, { t: "done" }>> {
    const id = ++this.nextId;
    const parent = ctx.isolate as Binding | undefined;
    const invocation: InvocationContext = {
      ctxId: id,
      kind: ctx.kind,
      path: ctx.path,
      componentPath: ctx.componentPath ?? "",
      requestId: ctx.requestId,
      frozenNow: ctx.frozenNow,
      seed: ctx.seed ?? null,
      env: ctx.componentPath ? this.host.componentEnv(ctx.componentPath) : this.host.functionEnv(),
    };
    if (parent) {
      // A nested ctx.runQuery/runMutation: same worker, so its user code counts on the same clock.
      const worker = parent.worker;
      invocation.parentCtxId = parent.ctxId;
      ctx.isolate = { worker, ctxId: id } satisfies Binding;
      worker.contexts.set(id, ctx);
      try {
        return await worker.send(message(id, invocation), transfer);
      } finally {
        worker.contexts.delete(id);
      }
    }
    const heapMb = source.runtime === "node" ? this.limits.nodeHeapMb : this.limits.heapMb;
    const transactional = ctx.kind === "query" || ctx.kind === "mutation";
    const worker = await this.acquire(`${transactional ? "tx" : "action"}:${heapMb}`, heapMb);
    const execution = new Execution(worker, transactional ? this.limits.userTimeoutMs : this.limits.actionTimeoutMs, transactional);
    worker.execution = execution;
    worker.contexts.set(id, ctx);
    ctx.isolate = { worker, ctxId: id } satisfies Binding;
    worker.worker.ref();
    try {
      return await worker.send(message(id, invocation), transfer);
    } finally {
      execution.stop();
      worker.execution = null;
      worker.contexts.clear();
      worker.worker.unref();
      this.releaseWorker(worker);
    }
  }

  private async acquire(klass: string, heapMb: number): Promise<IsolateWorker> {
    if (this.closed) throw new FunctionError("The backend is shutting down.");
    const free = this.idle.get(klass)?.pop();
    if (free) return free;
    const count = [...this.all].filter((w) => w.klass === klass).length;
    if (count < IsolatePool.maxWorkers(klass)) {
      this.source ??= compileWorker();
      const w = new IsolateWorker(await this.source, klass, heapMb, this.host, (dead) => this.onExit(dead));
      this.all.add(w);
      return w;
    }
    return new Promise((take, fail) => this.queue.push({ klass, take, fail }));
  }

  private releaseWorker(w: IsolateWorker) {
    if (w.dead) return;
    if (w.retired) {
      w.kill(new FunctionError("retired"));
      return;
    }
    // A heap near its limit (modules accumulate) is recycled rather than failing the next run.
    if (w.heapBytes > w.heapMb * 2 ** 20 * 0.75) {
      w.kill(new FunctionError("recycled"));
      return;
    }
    const waiter = this.queue.findIndex((q) => q.klass === w.klass);
    if (waiter >= 0) {
      this.queue.splice(waiter, 1)[0]!.take(w);
      return;
    }
    const list = this.idle.get(w.klass) ?? [];
    list.push(w);
    this.idle.set(w.klass, list);
  }

  private onExit(w: IsolateWorker) {
    this.all.delete(w);
    const list = this.idle.get(w.klass);
    if (list) this.idle.set(w.klass, list.filter((x) => x !== w));
    // A queued run gets a fresh worker in place of the one that died.
    const waiter = this.queue.findIndex((q) => q.klass === w.klass);
    if (waiter >= 0 && !this.closed) {
      const q = this.queue.splice(waiter, 1)[0]!;
      void this.acquire(q.klass, w.heapMb).then(q.take, q.fail);
    }
  }

  /** After a new app is installed: idle workers stop now, busy ones when their run ends. */
  retire() {
    for (const w of this.all) w.retired = true;
    for (const list of this.idle.values()) for (const w of [...list]) w.kill(new FunctionError("retired"));
  }

  /** Workers alive, for tests and stats. */
  get size(): number {
    return this.all.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.fail(new FunctionError("The backend is shutting down."));
    const workers = [...this.all];
    for (const w of workers) w.kill(new FunctionError("The backend is shutting down."));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
