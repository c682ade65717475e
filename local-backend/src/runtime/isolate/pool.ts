import { appendFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { ExecContext } from "../context.js";
import type { ModuleSource, RegisteredFunction } from "../modules.js";
import { FunctionError } from "../thrown.js";
import { compileWorker, Execution, inRunAction, IsolateWorker, type IsolateHost } from "./handle.js";
import { CONVEX_LIMITS, type FunctionLimits } from "./limits.js";
import { headerPairs, type InvocationContext, type MainToWorker, type SerializedRequest, type SerializedResponse, type WorkerToMain } from "./protocol.js";

export { CONVEX_LIMITS, outOfMemoryMessage, timeoutMessage, type FunctionLimits } from "./limits.js";

/**
 * Runs functions in isolate workers (worker.ts) with Convex's limits
 * (docs.convex.dev/production/state/limits; crates/isolate timeout.rs and termination.rs):
 * - queries and mutations: 1 s of user code (Execution: not counting waits on the backend);
 * - actions and HTTP actions: 10 minutes of wall time;
 * - a 64 MiB heap (512 MiB for "use node" actions).
 * Past a limit the worker is terminated (V8 stops even a synchronous infinite loop), the call gets
 * Convex's error, and a fresh worker takes its place; the backend's own thread never runs user code.
 */

/** Sends the environment only when it is not the one the worker has (the app's is one object until it changes). */
function withEnv(worker: IsolateWorker, invocation: InvocationContext, env: Record<string, string>) {
  if (worker.lastEnv === env) return;
  invocation.env = env;
  worker.lastEnv = env;
}

/**
 * How many workers the pool keeps, and for how long (ADR 002, "Isolate bounds"). A worker thread with
 * the app loaded costs ~30-35 MB of RSS (measured: a bare Node worker ~8 MB, the app's modules ~25 MB
 * more), so the number of workers, not what one run does, decides the backend's memory. Convex bounds
 * the same things with knobs (crates/common/src/knobs.rs): APPLICATION_MAX_CONCURRENT_QUERIES and
 * _MUTATIONS (16 each), APPLICATION_MAX_CONCURRENT_V8_ACTIONS (64, HTTP actions included; excess
 * waits for a permit), ISOLATE_IDLE_TIMEOUT (600 s). Its isolates are V8 contexts of a few MB in a
 * Rust process; ours are worker threads, so the caps are lower and idle ones go sooner.
 */
export interface PoolBounds {
  /**
   * Queries and mutations at once, per class (default runtime, "use node"); more queue. They only
   * wait on the backend's own thread, which runs one transaction step at a time, so one per core.
   */
  maxTxWorkers: number;
  /**
   * Actions and HTTP actions at once, per class; more wait in a queue, first come first served.
   * An action's own `ctx.runAction` is let past the cap (queued behind its waiting caller, it
   * would deadlock) and its worker stops afterwards.
   */
  maxActionWorkers: number;
  /** A worker idle this long stops, so a burst (a newsletter send) gives its memory back. */
  idleMs: number;
  /**
   * The same for "use node" workers (a 512 MiB heap). Measured (migrate bench): after an import's
   * dry run its idle worker held ~80 MB of RSS (its dependencies' code, a heap collected to 36 MB)
   * into the write phase that followed; at 5 s that made the backend's peak (514 MB against 440).
   * Back-to-back "use node" runs (batches) still reuse it; a lone one pays a worker start.
   */
  nodeIdleMs: number;
  /** Transaction workers kept even when idle (a first query after a quiet spell does not pay a start). */
  warmTxWorkers: number;
}

/**
 * Measured with the send bench (2 cores; 4 batches in flight plus two webhooks per message): at the
 * former 4/32 the send held 4 transaction and 5-7 action workers (RSS peak ~550-620 MB at 10,000
 * members); at 2/3 it held 5 in all and took about as long (34 s against 31-37 s).
 */
export function defaultPoolBounds(cores = availableParallelism()): PoolBounds {
  return { maxTxWorkers: Math.max(2, cores), maxActionWorkers: Math.max(3, cores + 1), idleMs: 30_000, nodeIdleMs: 1_000, warmTxWorkers: 1 };
}

/**
 * A worker that ends a run with more heap used than this is stopped rather than kept (only "use
 * node" workers can: it is the default runtime's whole heap). Measured (migrate bench): the import's
 * dry run left its worker with 93 MB of heap, ~90 MB of RSS even after a full GC, idle through the
 * write phase that followed (backend RSS peak 577 MB there, 494 MB with a GC); a run that big is
 * rare, and the next "use node" action pays one worker start.
 */
export const KEEP_WORKER_BELOW_BYTES = 64 * 2 ** 20;

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
  private starting = new Map<string, number>();
  private queue: Array<{ klass: string; take(w: IsolateWorker): void; fail(e: Error): void }> = [];
  private nextId = 0;
  private closed = false;
  readonly limits: FunctionLimits;
  readonly bounds: PoolBounds;
  /** Highest number of workers alive at once per class, for tests and stats. */
  readonly peak = new Map<string, number>();

  constructor(
    private readonly host: IsolateHost,
    limits: Partial<FunctionLimits> = {},
    bounds: Partial<PoolBounds> = {},
  ) {
    this.limits = { ...CONVEX_LIMITS, ...limits };
    this.bounds = { ...defaultPoolBounds(), ...bounds };
    // Measuring (ADR 002): LOCAL_BACKEND_ISOLATE_STATS=<file> appends the pool's classes and the process's memory every second.
    const statsFile = process.env.LOCAL_BACKEND_ISOLATE_STATS;
    if (statsFile) {
      this.statsTimer = setInterval(() => {
        const m = process.memoryUsage();
        const line = { t: Date.now(), rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20, pool: this.stats() };
        appendFileSync(statsFile, JSON.stringify(line) + "\n");
      }, 1000);
      this.statsTimer.unref();
    }
  }
  private statsTimer: NodeJS.Timeout | null = null;

  /**
   * Queries and mutations and actions never share a class: an action waiting on `ctx.runQuery`
   * holds its worker, so if they shared workers, enough such actions would starve the queries they
   * wait for. Both classes queue past their cap (PoolBounds).
   */
  private maxWorkers(klass: string): number {
    return klass.startsWith("tx:") ? this.bounds.maxTxWorkers : this.bounds.maxActionWorkers;
  }

  /** Workers of a class alive or starting: a start awaits the bundle, and must hold its place meanwhile. */
  private count(klass: string): number {
    let n = this.starting.get(klass) ?? 0;
    for (const w of this.all) if (w.klass === klass) n++;
    return n;
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
    const serialized: SerializedRequest = { url: request.url, method: request.method, headers: headerPairs(request.headers), body };
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
    };
    const env = ctx.componentPath ? this.host.componentEnv(ctx.componentPath) : this.host.functionEnv();
    if (parent) {
      // A nested ctx.runQuery/runMutation: same worker, so its user code counts on the same clock.
      const worker = parent.worker;
      invocation.parentCtxId = parent.ctxId;
      withEnv(worker, invocation, env);
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
    // An action's ctx.runAction: its caller holds a worker of this class while it waits.
    const overCap = !transactional && inRunAction.getStore() === true;
    const worker = await this.acquire(`${transactional ? "tx" : "action"}:${heapMb}`, heapMb, overCap);
    const execution = new Execution(worker, transactional ? this.limits.userTimeoutMs : this.limits.actionTimeoutMs, transactional);
    worker.execution = execution;
    withEnv(worker, invocation, env);
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

  private async acquire(klass: string, heapMb: number, overCap = false): Promise<IsolateWorker> {
    if (this.closed) throw new FunctionError("The backend is shutting down.");
    // The most recently used idle worker, so the others stay idle long enough to be retired.
    const free = this.idle.get(klass)?.pop();
    if (free) {
      if (free.idleTimer) clearTimeout(free.idleTimer);
      free.idleTimer = null;
      return free;
    }
    if (overCap || this.count(klass) < this.maxWorkers(klass)) {
      // The place is taken before the await: acquires in the same turn (a socket's batch of
      // queries, a burst of runs) each saw room, and started a worker apiece past the cap, which
      // their release then stopped ("over the pool's cap").
      this.starting.set(klass, (this.starting.get(klass) ?? 0) + 1);
      let source: string;
      try {
        source = await (this.source ??= compileWorker());
      } finally {
        this.starting.set(klass, this.starting.get(klass)! - 1);
      }
      const w = new IsolateWorker(source, klass, heapMb, this.host, (dead) => this.onExit(dead));
      this.all.add(w);
      this.peak.set(klass, Math.max(this.peak.get(klass) ?? 0, this.count(klass)));
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
    if (w.heapBytes > Math.min(w.heapMb * 2 ** 20 * 0.75, KEEP_WORKER_BELOW_BYTES)) {
      w.kill(new FunctionError("recycled"));
      return;
    }
    const waiter = this.queue.findIndex((q) => q.klass === w.klass);
    if (waiter >= 0) {
      this.queue.splice(waiter, 1)[0]!.take(w);
      return;
    }
    // Past the cap (an action's runAction, or a cap lowered since): not kept.
    if (this.count(w.klass) > this.maxWorkers(w.klass)) {
      w.kill(new FunctionError("over the pool's cap"));
      return;
    }
    const list = this.idle.get(w.klass) ?? [];
    list.push(w);
    this.idle.set(w.klass, list);
    const idleMs = w.heapMb > this.limits.heapMb ? Math.min(this.bounds.idleMs, this.bounds.nodeIdleMs) : this.bounds.idleMs;
    w.idleTimer = setTimeout(() => this.retireIdle(w), idleMs);
    w.idleTimer.unref();
  }

  /** An idle worker's timer ran out: it stops, unless it is one of the warm transaction workers. */
  private retireIdle(w: IsolateWorker) {
    w.idleTimer = null;
    if (w.dead || !this.idle.get(w.klass)?.includes(w)) return;
    if (w.klass.startsWith("tx:") && this.count(w.klass) <= this.bounds.warmTxWorkers) return;
    w.kill(new FunctionError("idle"));
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

  /** Per class: workers alive, busy (running a top-level call), runs queued, V8 heap used after their last run. */
  stats(): Record<string, { workers: number; busy: number; queued: number; heapMb: number }> {
    const out: Record<string, { workers: number; busy: number; queued: number; heapMb: number }> = {};
    for (const w of this.all) {
      const s = (out[w.klass] ??= { workers: 0, busy: 0, queued: 0, heapMb: 0 });
      s.workers++;
      if (w.execution) s.busy++;
      s.heapMb += w.heapBytes / 2 ** 20;
    }
    for (const q of this.queue) (out[q.klass] ??= { workers: 0, busy: 0, queued: 0, heapMb: 0 }).queued++;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const q of this.queue.splice(0)) q.fail(new FunctionError("The backend is shutting down."));
    const workers = [...this.all];
    for (const w of workers) w.kill(new FunctionError("The backend is shutting down."));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
