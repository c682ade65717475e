import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { als, QUERY_STREAM_DONE, seededRandom, type ExecContext, type SyscallHost } from "../context.js";
import { openFileBlob } from "../fileBlob.js";
import { dropEvalGlobals, installGlobals, setLoadTimeEnv } from "../globals.js";
import { describeThrown, UserError } from "../thrown.js";
import { headerPairs, type InvocationContext, type MainToWorker, type SyscallFailure, type WorkerToMain } from "./protocol.js";
import { SyncChannelClient } from "./syncChannel.js";

/**
 * An isolate worker: runs user code for the backend on its own thread, so the main thread can
 * stop it (a time limit) and V8 can bound its heap (a memory limit), as Convex's isolates are.
 * The `convex` package's syscalls go to the main thread: async ones as messages, sync ones
 * (`db.query`, `normalizeId`) over a port the worker waits on with Atomics.
 */

const port = parentPort!;
const { syncPort, flag } = workerData as { syncPort: MessagePort; flag: SharedArrayBuffer };
const signal = new Int32Array(flag);

const post = (m: WorkerToMain, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);
// A desync leaves this worker unusable: the backend stops it on this message.
const sync = new SyncChannelClient(syncPort, signal, (message) => post({ t: "fatal", message }));

type WorkerContext = ExecContext & {
  ctxId: number;
  env: Record<string, string>;
  /** Queries whose limit the backend said is used up (protocol.ts `spent`): their next call is done. */
  spentQueries: Set<number>;
};

let nextCallId = 0;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; onSpent?(): void }>();

function failure(error: SyscallFailure): Error {
  const e = error.user ? new UserError(error.message) : new Error(error.message);
  if (!error.user && error.name !== "Error") e.name = error.name;
  if (error.data !== undefined) (e as any).data = error.data;
  return e;
}

function call(t: "async" | "js", ctx: WorkerContext, op: string, args: unknown, onSpent?: () => void): Promise<unknown> {
  const callId = ++nextCallId;
  return new Promise((resolve, reject) => {
    pending.set(callId, { resolve, reject, onSpent });
    post({ t, callId, ctxId: ctx.ctxId, op, args });
  });
}

const host: SyscallHost = {
  syscall(ctx, op, args) {
    const c = ctx as WorkerContext;
    if (op === "1.0/queryStream") {
      // Numbered here as the backend numbers it (syscalls.ts); a start that fails fails its first next.
      const queryId = c.nextQueryId++;
      post({ t: "start", ctxId: c.ctxId, queryId, args });
      return JSON.stringify({ queryId });
    }
    if (op === "1.0/queryCleanup") {
      // Its answer is always "true" and convex ignores it: sent without waiting (handle.ts).
      c.spentQueries.delete(args.queryId);
      post({ t: "cleanup", ctxId: c.ctxId, queryId: args.queryId });
      return "true";
    }
    const reply = sync.call({ ctxId: c.ctxId, op, args });
    if (!reply.ok) throw failure(reply.error);
    return reply.value;
  },
  asyncSyscall: (ctx, op, args) => {
    const c = ctx as WorkerContext;
    if (op === "1.0/queryStreamNext") {
      // The backend would answer "done" without reading a row; no need to ask it.
      if (c.spentQueries.has(args.queryId)) return Promise.resolve(QUERY_STREAM_DONE);
      return call("async", c, op, args, () => c.spentQueries.add(args.queryId)) as Promise<string>;
    }
    return call("async", c, op, args) as Promise<string>;
  },
  // A stored file comes as a reference to open here (fileBlob.ts): a file-backed Blob cannot be posted.
  jsSyscall: (ctx, op, args) => call("js", ctx as WorkerContext, op, args).then(openFileBlob),
  functionEnv: () => (als.getStore() as WorkerContext | undefined)?.env ?? {},
  componentEnv: () => (als.getStore() as WorkerContext | undefined)?.env ?? {},
  log: (ctx, line) => post({ t: "log", ctxId: (ctx as WorkerContext).ctxId, line }),
};

installGlobals();
dropEvalGlobals();

// The backend times queries and mutations by this thread's CPU time (pool.ts); Linux names it here.
try {
  post({ t: "tid", tid: Number(readFileSync("/proc/thread-self/stat", "utf8").split(" ")[0]) });
} catch {
  // Not Linux: the backend falls back to the event loop's active time.
}

const contexts = new Map<number, WorkerContext>();
const modules = new Map<string, Promise<Record<string, any>>>();

function load(url: string, env: Record<string, string>): Promise<Record<string, any>> {
  let m = modules.get(url);
  if (!m) {
    // Module scope sees the environment of the invocation that loads it.
    setLoadTimeEnv(() => env);
    m = import(url);
    modules.set(url, m);
  }
  return m;
}

/** The environment last sent (pool.ts sends it only when it changed). */
let lastEnv: Record<string, string> = {};

function contextFor(c: InvocationContext): WorkerContext {
  if (c.env) lastEnv = c.env;
  const parent = c.parentCtxId === undefined ? undefined : contexts.get(c.parentCtxId);
  const ctx: WorkerContext = {
    host,
    ctxId: c.ctxId,
    env: c.env ?? lastEnv,
    spentQueries: new Set(),
    kind: c.kind,
    path: c.path,
    componentPath: c.componentPath,
    requestId: c.requestId,
    tx: null,
    staleReads: false,
    readOnly: c.kind !== "mutation",
    identity: null,
    authToken: null,
    logLines: [],
    frozenNow: c.frozenNow,
    // Nested calls share what the top-level run observed (queryCache.ts ages such results).
    observed: parent?.observed ?? { time: false, env: false },
    random: parent?.random ?? (c.seed === null ? null : seededRandom(c.seed)),
    streams: new Map(),
    nextQueryId: 0,
    paginated: false,
    journal: null,
    journalIn: null,
    scheduledJobId: null,
  };
  contexts.set(c.ctxId, ctx);
  return ctx;
}

function done(id: number, ctx: WorkerContext, result: Partial<Extract<WorkerToMain, { t: "done" }>>, transfer?: ArrayBuffer[]) {
  contexts.delete(ctx.ctxId);
  post(
    { t: "done", id, ok: false, ...result, observed: ctx.observed!, heapBytes: getHeapStatistics().used_heap_size },
    transfer,
  );
}

async function invoke(m: Extract<MainToWorker, { t: "invoke" }>) {
  const ctx = contextFor(m.ctx);
  try {
    const mod = await load(m.url, ctx.env);
    if (m.ctx.parentCtxId === undefined) post({ t: "started", id: m.id });
    const fn = mod[m.exportName];
    const valueJson: string = await als.run(ctx, () =>
      m.method === "query"
        ? fn.invokeQuery(m.argsJson)
        : m.method === "mutation"
          ? fn.invokeMutation(m.argsJson)
          : fn.invokeAction(m.ctx.requestId, m.argsJson),
    );
    done(m.id, ctx, { ok: true, valueJson });
  } catch (e) {
    done(m.id, ctx, { ok: false, ...describeThrown(e) });
  }
}

async function http(m: Extract<MainToWorker, { t: "http" }>) {
  const ctx = contextFor(m.ctx);
  try {
    const router = (await load(m.url, ctx.env)).default;
    post({ t: "started", id: m.id });
    const [endpoint] = router.lookup(m.routedPath, m.lookupMethod);
    const { url, method, headers, body } = m.request;
    const request = new Request(url, { method, headers, body });
    const response: Response = await als.run(ctx, () => endpoint.invokeHttpAction(request));
    const bytes = await response.arrayBuffer();
    done(
      m.id,
      ctx,
      { ok: true, response: { status: response.status, statusText: response.statusText, headers: headerPairs(response.headers), body: bytes } },
      [bytes],
    );
  } catch (e) {
    done(m.id, ctx, { ok: false, ...describeThrown(e) });
  }
}

port.on("message", (m: MainToWorker) => {
  if (m.t === "reply") {
    const p = pending.get(m.callId);
    pending.delete(m.callId);
    if (m.ok && m.spent) p?.onSpent?.();
    if (m.ok) p?.resolve(m.value);
    else p?.reject(failure(m.error));
  } else if (m.t === "invoke") void invoke(m);
  else void http(m);
});
