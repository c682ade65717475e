// Over 500 lines: one class owns every kind of execution (cached queries, mutations under OCC and
// their commit, actions, HTTP actions) and the state they share; the syscalls are in syscalls.ts,
// running user code in isolate workers is in isolate/.
import { actionGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { pooledRandomBytes } from "../values/randomPool.js";
import type { DocumentStore, RequestRecord, SearchWrite } from "../storage/interface.js";
import { ConvexBadRequestError } from "../values/errors.js";
import { checkFunctionResult, decodeFunctionArgs } from "../values/limits.js";
import { formatArgumentValidationError, formatReturnValidationError, validateValue } from "../values/validate.js";
import type { Catalog } from "./catalog.js";
import { als, seededRandom, type ExecContext, type FunctionKind, type SyscallHost, type UserIdentity } from "./context.js";
import { ensureConvexGlobal, installGlobals } from "./globals.js";
import type { LoadedApp, RegisteredFunction } from "./modules.js";
import { canonicalizePath } from "./modules.js";
import { componentEnv, describeAddress, functionsOf, httpRoute } from "./components.js";
import { cursorSecret } from "./query.js";
import { QueryCache, queryCacheKey } from "./queryCache.js";
import type { ReadSet } from "./readSetIndex.js";
import { nextUp, Transaction } from "./transaction.js";
import { describeThrown, FunctionError } from "./thrown.js";
import { ConflictLog, ContentionHistory, MutationGate, OCC_MAX_RETRIES, occError, type Conflict } from "./occ.js";

export { FunctionError } from "./thrown.js";
import { Syscalls } from "./syscalls.js";
import type { IsolatePool } from "./isolate/pool.js";

/** Who is calling: a client over the network (public functions only), an admin, or a function. */
export interface CallOptions {
  identity?: UserIdentity | null;
  authToken?: string | null;
  /** Admin keys and in-process callers may run internal functions, as with Convex deploy keys. */
  allowInternal?: boolean;
  /** The component whose function `path` names ("" or absent: the app's), components.ts. */
  componentPath?: string;
  requestId?: string;
  /** Set when the scheduler runs a job (reported by getRequestMetadata). */
  scheduledJobId?: string;
  /** The journal a subscription got from its previous run (pins reactive pagination's end). */
  journal?: string | null;
  /** Read at this snapshot instead of the latest (the sync layer evaluates a batch at one ts). */
  snapshot?: import("../storage/interface.js").ReadSnapshot;
  /** Runtime hooks inside a mutation's transaction: `before` may veto the run (it then commits nothing). */
  hooks?: { before?(tx: Transaction): boolean; after?(tx: Transaction): void };
  /**
   * The sync client's (session id, request id) of a mutation: its outcome is recorded with its
   * commit, and a replay of an already committed request returns that outcome without running.
   */
  request?: { sessionId: string; requestId: string };
}

export type FunctionOutcome =
  | {
      ok: true;
      valueJson: string;
      logLines: string[];
      ts: bigint | null;
      journal: string | null;
      tx?: Transaction;
      /** What a query read (subscriptions and the query cache are invalidated by writes to it). */
      readSet?: ReadSet;
    }
  | { ok: false; message: string; data?: JSONValue; logLines: string[] };

/** One top-level function execution, for function logs. */
export interface ExecutionEvent {
  kind: "query" | "mutation" | "action";
  path: string;
  /** Start, ms since the epoch. */
  startedAt: number;
  ms: number;
  outcome: FunctionOutcome;
}

/** Emitted after every commit; the sync layer (issue #3) uses it to re-run subscriptions. */
export interface CommitEvent {
  ts: bigint;
  writes: Array<{
    id: string;
    tableName: string;
    json: string | null;
    /** Index keys the document had before and has after the commit (for read-set checks). */
    keys: Array<{ indexId: number; key: Buffer }>;
    /** Its search-index entries before and after, when what a search index sees changed. */
    search?: SearchWrite[];
  }>;
}

/** A syscall implemented outside the runner (file storage, for example). */
export type AsyncSyscallHandler = (ctx: ExecContext, args: any) => Promise<string>;
export type JsSyscallHandler = (ctx: ExecContext, args: any) => unknown;

/** Queries and mutations draw `Math.random` from a seed per run; actions use the real one. */
function seeded(inTx: boolean): { random: (() => number) | null; seed?: number } {
  if (!inTx) return { random: null };
  const seed = pooledRandomBytes(4).readUInt32LE(0);
  return { random: seededRandom(seed), seed };
}

const TITLE: Record<FunctionKind, string> = { query: "Query", mutation: "Mutation", action: "Action", httpAction: "HttpAction" };

/** Wraps a plain handler as a registered function (test handlers, trusted setup code). */
export function inlineFunction(kind: RegisteredFunction["kind"], handler: (ctx: any) => any): RegisteredFunction {
  const builder = kind === "query" ? queryGeneric : kind === "mutation" ? mutationGeneric : actionGeneric;
  return {
    path: "inline:run",
    kind,
    visibility: "internal",
    fn: (builder as any)({ handler: (ctx: any) => handler(ctx) }),
    args: null,
    returns: null,
  };
}

/** Runs a value-limit check (values/limits.ts); a value past a limit fails the call with Convex's text. */
function withinLimits<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConvexBadRequestError) throw new FunctionError(e.message);
    throw e;
  }
}

/**
 * Runs registered functions: validates arguments and results, enforces visibility, gives each
 * invocation its transaction and context, runs mutations concurrently under optimistic concurrency
 * control (occ.ts) and commits them atomically, and answers the syscalls the `convex` package makes.
 */
export class FunctionRunner implements SyscallHost {
  /** Which mutations may run now, and which conflict often enough to run alone (occ.ts). */
  private readonly mutationGate = new MutationGate();
  private readonly contention = new ContentionHistory();
  /** Commits a running mutation's read set is checked against (occ.ts). */
  private readonly conflicts = new ConflictLog();
  /** Mutation runs thrown away for a conflict and run again (stats, tests). */
  occRetries = 0;
  /** Timestamp of the latest commit (ns). */
  lastTs: bigint;
  private lastCreationTime: number;
  private commitListeners = new Set<(e: CommitEvent) => void>();
  /** Syscalls added by other modules (registerSyscalls); read by syscalls.ts. */
  readonly asyncExtensions = new Map<string, AsyncSyscallHandler>();
  readonly jsExtensions = new Map<string, JsSyscallHandler>();
  /** Convex's `_system/...` functions (http/admin.ts), callable with the admin key only. */
  private systemFunctions = new Map<string, RegisteredFunction>();
  private executionListeners = new Set<(e: ExecutionEvent) => void>();
  /** Authenticates pagination cursors (query.ts); kept in the data dir so cursors outlive restarts. */
  readonly cursorSecret: Buffer;
  /** Results of queries called by path (queryCache.ts); emptied of what each commit touches. */
  readonly queryCache: QueryCache;
  /**
   * Runs functions loaded from bundled files in isolate workers with Convex's time and memory
   * limits (isolate/pool.ts). Null, or a function without a file (test modules, inline
   * handlers): it runs on this thread, as convex-test runs it.
   */
  isolates: IsolatePool | null = null;

  private readonly syscalls = new Syscalls(this);

  constructor(
    readonly store: DocumentStore,
    readonly catalog: Catalog,
    public app: LoadedApp,
    private readonly env: () => Record<string, string>,
  ) {
    installGlobals();
    this.lastTs = BigInt(store.getMeta("ts") ?? "0");
    this.lastCreationTime = Number(store.getMeta("creationTime") ?? "0");
    this.cursorSecret = cursorSecret(store);
    this.queryCache = new QueryCache(this.lastTs, () => JSON.stringify(this.env()));
    // Registered first, so the cache is clean before any other listener (sync) re-runs a query.
    this.onCommit((e) => this.queryCache.onCommit(e));
  }

  /** Adds syscalls implemented by another module (storage, auth helpers). */
  registerSyscalls(handlers: { async?: Record<string, AsyncSyscallHandler>; js?: Record<string, JsSyscallHandler> }) {
    for (const [op, h] of Object.entries(handlers.async ?? {})) this.asyncExtensions.set(op, h);
    for (const [op, h] of Object.entries(handlers.js ?? {})) this.jsExtensions.set(op, h);
  }

  /** Adds `_system/...` functions; they resolve only for admin callers and never shadow the app's. */
  registerSystemFunctions(fns: RegisteredFunction[]) {
    for (const f of fns) this.systemFunctions.set(f.path, f);
  }

  /** Called after every top-level query, mutation and action run (function logs, `npx convex logs`). */
  onExecution(listener: (e: ExecutionEvent) => void): () => void {
    this.executionListeners.add(listener);
    return () => this.executionListeners.delete(listener);
  }

  /**
   * Reports one top-level execution to the onExecution listeners and returns its outcome. The
   * run* methods call it; so do the scheduler and crons, which execute resolved functions.
   */
  observed(kind: ExecutionEvent["kind"], path: string, started: number, outcome: FunctionOutcome): FunctionOutcome {
    if (this.executionListeners.size === 0) return outcome;
    const event: ExecutionEvent = { kind, path: canonicalizePath(path), startedAt: started, ms: Date.now() - started, outcome };
    for (const l of this.executionListeners) l(event);
    return outcome;
  }

  onCommit(listener: (e: CommitEvent) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  functionEnv(): Record<string, string> {
    return this.env();
  }

  componentEnv(componentPath: string): Record<string, string> {
    return componentEnv(this.app, componentPath, this.env());
  }

  /** Looks a function up for a caller; null when it does not exist or is hidden from the caller. */
  resolve(path: string, allowInternal: boolean): RegisteredFunction | null {
    const canonical = canonicalizePath(path);
    const f = this.app.functions.get(canonical) ?? (allowInternal ? this.systemFunctions.get(canonical) : undefined);
    if (!f || (f.visibility === "internal" && !allowInternal)) return null;
    return f;
  }

  /** Looks a function up in a component ("" is the app); null when missing or hidden from the caller. */
  resolveIn(componentPath: string, path: string, allowInternal: boolean): RegisteredFunction | null {
    if (componentPath === "") return this.resolve(path, allowInternal);
    // The CLI's system queries run inside the component it names (`npx convex data --component`).
    if (allowInternal && path.startsWith("_system/") && functionsOf(this.app, componentPath)) {
      const system = this.systemFunctions.get(canonicalizePath(path));
      return system ? { ...system, componentPath } : null;
    }
    const f = functionsOf(this.app, componentPath)?.get(canonicalizePath(path));
    if (!f || (f.visibility === "internal" && !allowInternal)) return null;
    return f;
  }

  checkArgs(f: RegisteredFunction, argsJson: JSONValue): Record<string, Value> {
    const args = withinLimits(() => decodeFunctionArgs(f.path, argsJson));
    if (args === null || typeof args !== "object" || Array.isArray(args) || args instanceof ArrayBuffer) {
      throw new FunctionError(formatArgumentValidationError(f.path, "Arguments must be an object."));
    }
    if (f.args) {
      const error = validateValue(f.args, args, { tableNumberFor: (t) => this.catalog.tableNumberForValidation(t, f.componentPath) });
      if (error !== null) throw new FunctionError(formatArgumentValidationError(f.path, error));
    }
    return args as Record<string, Value>;
  }

  checkReturns(f: RegisteredFunction, valueJson: string) {
    const json = withinLimits(() => checkFunctionResult(f.path, valueJson));
    if (!f.returns) return;
    const value = jsonToConvex(json) as Value;
    const error = validateValue(f.returns, value, { tableNumberFor: (t) => this.catalog.tableNumberForValidation(t, f.componentPath) });
    if (error !== null) throw new FunctionError(formatReturnValidationError(f.path, error));
  }

  private newContext(kind: FunctionKind, f: { path: string; componentPath?: string }, opts: CallOptions, tx: Transaction | null): ExecContext {
    ensureConvexGlobal();
    const inTx = kind === "query" || kind === "mutation";
    return {
      host: this,
      kind,
      path: f.path,
      componentPath: f.componentPath ?? "",
      requestId: opts.requestId ?? pooledRandomBytes(8).toString("hex"),
      tx,
      staleReads: false,
      readOnly: kind !== "mutation",
      // Components have no ctx.auth (Convex docs, components/authoring): the app passes ids instead.
      identity: f.componentPath ? null : (opts.identity ?? null),
      authToken: f.componentPath ? null : (opts.authToken ?? null),
      logLines: [],
      frozenNow: inTx ? Date.now() : null,
      observed: { time: false, env: false },
      ...seeded(inTx),
      streams: new Map(),
      nextQueryId: 0,
      paginated: false,
      journal: null,
      journalIn: opts.journal ?? null,
      scheduledJobId: opts.scheduledJobId ?? null,
      ...(kind === "query" ? {} : { onEnd: [] }),
    };
  }

  lookup(path: string, kind: FunctionKind, allowInternal: boolean, componentPath = ""): RegisteredFunction {
    const f = this.resolveIn(componentPath, path, allowInternal);
    if (!f) {
      throw new FunctionError(
        `Could not find public function for '${canonicalizePath(path).replace(/:default$/, "")}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`,
      );
    }
    if (f.kind !== kind) {
      throw new FunctionError(`Trying to execute ${f.path} as ${TITLE[kind]}, but it is defined as ${TITLE[f.kind]}.`);
    }
    return f;
  }

  /** Runs a query at the latest snapshot. */
  async runQuery(path: string, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let f: RegisteredFunction;
    try {
      f = this.lookup(path, "query", opts.allowInternal ?? false, opts.componentPath);
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: [] };
    }
    const started = Date.now();
    return this.observed("query", f.path, started, await this.cachedQuery(f, argsJson, opts));
  }

  /** Runs a query through the query cache: a hit returns the stored result without running it. */
  private async cachedQuery(f: RegisteredFunction, argsJson: JSONValue, opts: CallOptions): Promise<FunctionOutcome> {
    // System functions may read runtime state outside the transaction's read set: never cached.
    if (f.path.startsWith("_system/")) return this.executeQuery(f, argsJson, opts);
    const ts = opts.snapshot?.ts ?? this.lastTs;
    const r = await this.queryCache.run(
      this.app,
      // Components have their own functions under the same paths: the key names the component.
      queryCacheKey(describeAddress({ componentPath: f.componentPath ?? "", path: f.path }), argsJson, opts),
      ts,
      () => this.executeQuery(f, argsJson, opts),
      (o) =>
        o.ok && o.readSet && o.ts !== null
          ? { valueJson: o.valueJson, logLines: o.logLines, journal: o.journal, readSet: o.readSet, ts: o.ts }
          : null,
    );
    if ("outcome" in r) return r.outcome;
    const hit = r.hit;
    return { ok: true, valueJson: hit.valueJson, logLines: [...hit.logLines], ts, journal: hit.journal, readSet: hit.readSet };
  }

  /** Runs a resolved query function (also used for inline test handlers). */
  async executeQuery(f: RegisteredFunction, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let ctx: ExecContext | undefined;
    let tx: Transaction | undefined;
    try {
      const args = this.checkArgs(f, argsJson);
      tx = new Transaction(this.catalog, opts.snapshot ?? this.store.snapshot(), false, 0);
      ctx = this.newContext("query", f, opts, tx);
      const c = ctx;
      const valueJson = await this.invoke(c, f, "query", JSON.stringify([convexToJson(args)]));
      this.checkReturns(f, valueJson);
      const readSet: ReadSet = {
        ...tx.reads(),
        time: c.observed?.time ? c.frozenNow : null,
        env: c.observed?.env ?? false,
      };
      return { ok: true, valueJson, logLines: c.logLines, ts: tx.snapshot.ts, journal: c.journal, tx, readSet };
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: ctx?.logLines ?? [] };
    } finally {
      if (!opts.snapshot) tx?.snapshot.release();
    }
  }

  /** Runs a mutation: serializable with all other mutations, committed atomically, or not at all. */
  async runMutation(path: string, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let f: RegisteredFunction;
    try {
      f = this.lookup(path, "mutation", opts.allowInternal ?? false, opts.componentPath);
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: [] };
    }
    const started = Date.now();
    return this.observed("mutation", f.path, started, await this.executeMutation(f, argsJson, opts));
  }

  /**
   * Runs a resolved mutation function (also used for inline test handlers): concurrently with other
   * mutations, each on its own snapshot, committed only if no commit since touched what it read;
   * else run again (occ.ts).
   */
  async executeMutation(f: RegisteredFunction, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let args: Record<string, Value>;
    try {
      args = this.checkArgs(f, argsJson);
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: [] };
    }
    const replay = () => opts.request && this.store.getRequest(opts.request.sessionId, opts.request.requestId);
    const replayed = (r: NonNullable<ReturnType<typeof replay>>): FunctionOutcome => ({ ok: true, valueJson: r.valueJson, logLines: [], ts: r.ts, journal: null });
    const argsText = JSON.stringify([convexToJson(args)]);
    const alone = this.contention.contended(f.path);
    let release = await this.mutationGate.acquire(alone ? "alone" : "shared");
    try {
      for (let retry = 0; ; retry++) {
        const earlier = replay();
        if (earlier) return replayed(earlier);
        const attempt = await this.mutationAttempt(f, argsText, opts, replay);
        if (retry === 0) this.contention.record(f.path, attempt.kind === "conflict", alone);
        if (attempt.kind === "done") return attempt.outcome;
        if (attempt.kind === "replayed") return replayed(attempt.record);
        if (retry === OCC_MAX_RETRIES) return { ok: false, ...describeThrown(occError(attempt.conflict, f.path)), logLines: attempt.logLines };
        this.occRetries++;
        release();
        release = await this.mutationGate.acquire("retry");
      }
    } finally {
      release();
    }
  }

  /** One run of a mutation on a new snapshot: its outcome, or the conflict that threw its writes away. */
  private async mutationAttempt(
    f: RegisteredFunction,
    argsText: string,
    opts: CallOptions,
    replay: () => RequestRecord | null | undefined,
  ): Promise<
    | { kind: "done"; outcome: FunctionOutcome }
    | { kind: "replayed"; record: RequestRecord }
    | { kind: "conflict"; conflict: Conflict; logLines: string[] }
  > {
    const tx = new Transaction(this.catalog, this.store.snapshot(), true, Math.max(Date.now(), nextUp(this.lastCreationTime)));
    this.conflicts.begin(tx, tx.snapshot.ts);
    let ctx: ExecContext | undefined;
    try {
      if (opts.hooks?.before && !opts.hooks.before(tx)) {
        return { kind: "done", outcome: { ok: true, valueJson: "null", logLines: [], ts: null, journal: null } };
      }
      ctx = this.newContext("mutation", f, opts, tx);
      const c = ctx;
      const valueJson = await this.invoke(c, f, "mutation", argsText);
      this.checkReturns(f, valueJson);
      opts.hooks?.after?.(tx);
      // From here to the commit nothing awaits: the check and the commit are one step.
      // A replay on another socket may have committed while this one ran.
      const record = replay();
      if (record) return { kind: "replayed", record };
      const conflict = this.conflicts.conflict(tx.reads(), tx.snapshot.ts);
      if (conflict) return { kind: "conflict", conflict, logLines: c.logLines };
      const ts = this.commit(tx, opts.request && { ...opts.request, valueJson }, f.path);
      return { kind: "done", outcome: { ok: true, valueJson, logLines: c.logLines, ts, journal: null } };
    } catch (e) {
      return { kind: "done", outcome: { ok: false, ...describeThrown(e), logLines: ctx?.logLines ?? [] } };
    } finally {
      tx.snapshot.release();
      this.conflicts.end(tx);
      if (ctx) ended(ctx);
    }
  }

  /**
   * Runs trusted runtime code (scheduler bookkeeping) in its own atomic transaction. It reads and
   * commits in one synchronous step, so no other commit can come between: it never conflicts.
   */
  async transact<T>(fn: (tx: Transaction) => T): Promise<T> {
    const tx = new Transaction(this.catalog, this.store.snapshot(), true, Math.max(Date.now(), nextUp(this.lastCreationTime)));
    try {
      const result = fn(tx);
      this.commit(tx);
      return result;
    } finally {
      tx.snapshot.release();
    }
  }

  /** Runs trusted code as a mutation with a real `ctx` (seeding, benchmarks, test setup). */
  async transactInline(handler: (ctx: any) => Promise<unknown>): Promise<FunctionOutcome> {
    return this.executeMutation(inlineFunction("mutation", handler), {}, { allowInternal: true });
  }

  /** Every document of a system table at the latest commit (runtime bookkeeping, not user reads). */
  readSystemTable(name: string): Array<Record<string, Value>> {
    const table = this.catalog.tableNumber(name)!;
    const snap = this.store.snapshot();
    try {
      const index = this.catalog.index(table, "by_creation_time")!;
      return snap.scan(index.indexId, Buffer.alloc(0), null, false, 1e9).map((r) => jsonToConvex(JSON.parse(r.json)) as Record<string, Value>);
    } finally {
      snap.release();
    }
  }

  readSystemDocument(id: string): Record<string, Value> | null {
    const snap = this.store.snapshot();
    try {
      const d = snap.getDocument(id);
      return d ? (jsonToConvex(JSON.parse(d.json)) as Record<string, Value>) : null;
    } finally {
      snap.release();
    }
  }

  encodeArgs(args: Record<string, Value>): JSONValue {
    return convexToJson(args) as JSONValue;
  }

  private nextTs(): bigint {
    const now = BigInt(Date.now()) * 1_000_000n;
    return now > this.lastTs ? now : this.lastTs + 1n;
  }

  /** Commits a transaction; `writer` is the mutation's path (null: the runtime's own writes). */
  private commit(tx: Transaction, request?: Omit<RequestRecord, "ts">, writer: string | null = null): bigint | null {
    if (!tx.hasWrites) {
      // Recorded even without writes, so a replay gets the original result (its ts is the current one).
      if (request) this.store.commit({ ts: this.lastTs, writes: [], request: { ...request, ts: this.lastTs } });
      return this.lastTs;
    }
    // The ts is chosen first: written `db.vars.commitTs` placeholders resolve to it.
    const ts = this.nextTs();
    const writes = tx.writes(ts);
    // Release the read snapshot before writing: a reader pinned at the previous commit would keep
    // SQLite from ever checkpointing and restarting the WAL (it grew without bound).
    tx.snapshot.release();
    const creation = Math.max(this.lastCreationTime, tx.lastCreationTime);
    this.store.commit({ ts, writes, meta: { creationTime: String(creation) }, request: request && { ...request, ts } });
    this.lastTs = ts;
    this.lastCreationTime = creation;
    const event: CommitEvent = {
      ts,
      writes: writes.map((w) => ({
        id: w.id,
        tableName: this.catalog.tableName(w.tableNumber)!,
        json: w.json,
        keys: w.touchedKeys,
        search: w.search,
      })),
    };
    this.conflicts.record(event, writer);
    for (const l of this.commitListeners) l(event);
    return ts;
  }

  /** Runs an action: no transaction; it reaches the database through runQuery/runMutation. */
  async runAction(path: string, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let f: RegisteredFunction;
    try {
      f = this.lookup(path, "action", opts.allowInternal ?? false, opts.componentPath);
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: [] };
    }
    const started = Date.now();
    return this.observed("action", f.path, started, await this.executeAction(f, argsJson, opts));
  }

  /** Runs a resolved action function (also used for inline test handlers). */
  async executeAction(f: RegisteredFunction, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    let ctx: ExecContext | undefined;
    try {
      const args = this.checkArgs(f, argsJson);
      ctx = this.newContext("action", f, opts, null);
      const c = ctx;
      const valueJson = await this.invoke(c, f, "action", JSON.stringify([convexToJson(args)]));
      this.checkReturns(f, valueJson);
      return { ok: true, valueJson, logLines: c.logLines, ts: null, journal: null };
    } catch (e) {
      return { ok: false, ...describeThrown(e), logLines: ctx?.logLines ?? [] };
    } finally {
      if (ctx) ended(ctx);
    }
  }

  /**
   * Serves one request with the app's `convex/http.ts` router: exact path first, then the longest
   * matching prefix; HEAD is routed as GET with the body dropped; no route is a 404.
   */
  async runHttpAction(request: Request, opts: CallOptions = {}): Promise<{ response: Response; logLines: string[]; path: string }> {
    const url = new URL(request.url);
    // A mounted component's routes answer under its prefix (components.ts httpRoute).
    const routed = httpRoute(this.app, url.pathname);
    const router = routed.router;
    const match = router?.lookup(routed.path, request.method === "HEAD" ? "GET" : request.method);
    if (!match) {
      return { response: new Response(`No HttpAction routed for ${url.pathname}`, { status: 404 }), logLines: [], path: url.pathname };
    }
    const [endpoint, method, routePath] = match;
    const ctx = this.newContext("httpAction", { path: `${method} ${routePath}`, componentPath: routed.componentPath }, opts, null);
    try {
      const response: Response =
        this.isolates && routed.module
          ? await this.isolates.http(ctx, routed.module, routed.path, request.method === "HEAD" ? "GET" : request.method, request)
          : await als.run(ctx, () => endpoint.invokeHttpAction(request));
      const final = request.method === "HEAD" ? new Response(null, { status: response.status, headers: response.headers }) : response;
      return { response: final, logLines: ctx.logLines, path: ctx.path };
    } catch (e) {
      const { message } = describeThrown(e);
      return {
        response: new Response(`[Request ID: ${ctx.requestId}] Server Error\n${message}`, { status: 500 }),
        logLines: ctx.logLines,
        path: ctx.path,
      };
    } finally {
      ended(ctx);
    }
  }

  /** Runs any kind of function by path, for callers that do not know its kind (`/api/run`). */
  async run(path: string, argsJson: JSONValue, opts: CallOptions = {}): Promise<FunctionOutcome> {
    const f = this.resolveIn(opts.componentPath ?? "", path, opts.allowInternal ?? false);
    const kind = f?.kind ?? "query";
    if (kind === "mutation") return this.runMutation(path, argsJson, opts);
    if (kind === "action") return this.runAction(path, argsJson, opts);
    return this.runQuery(path, argsJson, opts);
  }

  /** Runs a registered function's code as `ctx`: in an isolate worker when it has a bundled file. */
  async invoke(ctx: ExecContext, f: RegisteredFunction, method: "query" | "mutation" | "action", argsJson: string): Promise<string> {
    if (this.isolates && f.module) return this.isolates.invoke(ctx, f, method, argsJson);
    // A "use node" function analyzed in a worker (isolate/analyzeNode.ts) is loaded here only when
    // there is no isolate pool to run it (`limits: false`).
    const fn = f.fn ?? (await import(/* @vite-ignore */ f.module!.url))[f.path.slice(f.path.lastIndexOf(":") + 1)];
    return als.run(ctx, () =>
      method === "query" ? fn.invokeQuery(argsJson) : method === "mutation" ? fn.invokeMutation(argsJson) : fn.invokeAction(ctx.requestId, argsJson),
    );
  }

  // ---- syscalls (syscalls.ts) -----------------------------------------------------------------

  syscall(ctx: ExecContext, op: string, args: any): string {
    return this.syscalls.sync(ctx, op, args);
  }

  asyncSyscall(ctx: ExecContext, op: string, args: any): Promise<string> {
    return this.syscalls.async(ctx, op, args);
  }

  jsSyscall(ctx: ExecContext, op: string, args: unknown): unknown {
    return this.syscalls.js(ctx, op, args);
  }
}

/** Runs a top-level run's end hooks once (ExecContext.onEnd). */
function ended(ctx: ExecContext): void {
  const hooks = ctx.onEnd?.splice(0) ?? [];
  for (const hook of hooks) hook();
}
