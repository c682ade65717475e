import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { DocumentStore } from "../storage/interface.js";
import { decodeDocumentId, encodeDocumentId } from "../values/ids.js";
import type { Catalog } from "./catalog.js";
import {
  functionHandle,
  idVisibleFrom,
  mayCallInternal,
  resolveAddress,
  scopedName,
  scopeQuery,
  systemDocVisibleFrom,
  tableVisibleFrom,
} from "./components.js";
import { QUERY_STREAM_DONE, type ExecContext, type FunctionKind, type UserIdentity } from "./context.js";
import { auditLog, functionMetadata } from "./metadata.js";
import type { RegisteredFunction } from "./modules.js";
import { compileSource, queryPage, QueryStream, type SerializedQuery } from "./query.js";
import { describeThrown, syscallError, UserError } from "./thrown.js";
import type { Transaction } from "./transaction.js";
import { vectorSearch } from "./vector.js";

/**
 * The syscalls the `convex` package makes (`1.0/get`, `1.0/queryStreamNext`, `1.0/runUdf`, …),
 * answered against the caller's transaction and component. The runner (runner.ts) owns
 * executions and commits; this module only answers calls, through the runner's `SyscallRunner`
 * face (an interface here, so this module does not import the runner).
 */

/** What a function call made from inside a function needs to say (runner.ts CallOptions). */
export interface InnerCallOptions {
  identity?: UserIdentity | null;
  authToken?: string | null;
  allowInternal?: boolean;
  componentPath?: string;
}

type Outcome = { ok: true; valueJson: string; logLines: string[] } | { ok: false; message: string; data?: JSONValue; logLines: string[] };

/** The runner as the syscalls use it. */
export interface SyscallRunner {
  readonly catalog: Catalog;
  readonly store: DocumentStore;
  readonly cursorSecret: Buffer;
  readonly asyncExtensions: Map<string, (ctx: ExecContext, args: any) => Promise<string>>;
  readonly jsExtensions: Map<string, (ctx: ExecContext, args: any) => unknown>;
  lookup(path: string, kind: FunctionKind, allowInternal: boolean, componentPath?: string): RegisteredFunction;
  resolveIn(componentPath: string, path: string, allowInternal: boolean): RegisteredFunction | null;
  checkArgs(f: RegisteredFunction, argsJson: JSONValue): Record<string, Value>;
  checkReturns(f: RegisteredFunction, valueJson: string): void;
  invoke(ctx: ExecContext, f: RegisteredFunction, method: "query" | "mutation" | "action", argsJson: string): Promise<string>;
  transact<T>(fn: (tx: Transaction) => T): Promise<T>;
  runQuery(path: string, argsJson: JSONValue, opts: InnerCallOptions): Promise<Outcome>;
  runMutation(path: string, argsJson: JSONValue, opts: InnerCallOptions): Promise<Outcome>;
  runAction(path: string, argsJson: JSONValue, opts: InnerCallOptions): Promise<Outcome>;
}

export class Syscalls {
  constructor(private readonly r: SyscallRunner) {}

  private requireTx(ctx: ExecContext, op: string): Transaction {
    if (!ctx.tx) throw new Error(`${op} is not available in actions: use ctx.runQuery or ctx.runMutation.`);
    return ctx.tx;
  }

  private requireWrite(ctx: ExecContext, op: string): Transaction {
    const tx = this.requireTx(ctx, op);
    if (ctx.readOnly) throw new Error(`${op} is not allowed in a query: queries are read-only.`);
    return tx;
  }

  sync(ctx: ExecContext, op: string, args: any): string {
    switch (op) {
      case "1.0/queryStream": {
        // The id is taken first, whether or not the query compiles: an isolate worker numbers its
        // streams itself, in the same order, and sends their starts without waiting (isolate/worker.ts).
        const queryId = ctx.nextQueryId++;
        const tx = this.requireTx(ctx, "db.query");
        const query = scopeQuery(ctx.componentPath ?? "", args.query as SerializedQuery);
        ctx.streams.set(queryId, new QueryStream(tx, query, compileSource(tx, query), ctx.staleReads));
        return JSON.stringify({ queryId });
      }
      case "1.0/queryCleanup": {
        const s = ctx.streams.get(args.queryId);
        s?.finish();
        ctx.streams.delete(args.queryId);
        return "true";
      }
      case "1.0/db/normalizeId": {
        const decoded = decodeDocumentId(args.idString);
        const table = this.r.catalog.tableNumber(scopedName(ctx.componentPath ?? "", args.table));
        if (!decoded || table === undefined || decoded.tableNumber !== table) return JSON.stringify({ id: null });
        return JSON.stringify({ id: encodeDocumentId(decoded.tableNumber, decoded.internalId) });
      }
      case "1.0/getSnapshotTs": {
        const tx = this.requireTx(ctx, "getSnapshotTs");
        return JSON.stringify(convexToJson(tx.snapshot.ts));
      }
      default:
        throw new Error(`Unknown syscall "${op}": this version of local-backend does not implement it.`);
    }
  }

  async async(ctx: ExecContext, op: string, args: any): Promise<string> {
    switch (op) {
      case "1.0/get": {
        const tx = this.requireTx(ctx, "db.get");
        const decoded = decodeDocumentId(args.id);
        const tableName = decoded ? this.r.catalog.tableName(decoded.tableNumber) : undefined;
        if (!decoded || tableName === undefined) {
          if (args.table !== undefined && decoded === null) {
            throw new UserError(`Invalid argument \`id\` for \`db.get\`: "${args.id}" is not a valid ID for table "${args.table}".`);
          }
          return "null";
        }
        if (args.table !== undefined && scopedName(ctx.componentPath ?? "", args.table) !== tableName) {
          throw new UserError(`Invalid argument \`id\` for \`db.get\`: the ID "${args.id}" is not in table "${args.table}".`);
        }
        if (tableName.startsWith("_") !== Boolean(args.isSystem)) {
          throw new UserError(
            tableName.startsWith("_")
              ? "System tables can only be accessed from db.system.get()."
              : "User tables can only be accessed from db.get().",
          );
        }
        // Another component's document does not exist for this one.
        if (!tableVisibleFrom(tableName, ctx.componentPath ?? "")) return "null";
        const doc = tx.get(args.id, ctx.staleReads);
        return doc && systemDocVisibleFrom(ctx.componentPath ?? "", tableName, () => doc.value) ? doc.json : "null";
      }
      case "1.0/queryStreamNext": {
        const stream = ctx.streams.get(args.queryId);
        if (!stream) throw new Error(`Query ${args.queryId} is closed.`);
        const doc = stream.next();
        return doc ? `{"value":${doc.json},"done":false}` : QUERY_STREAM_DONE;
      }
      case "1.0/queryPage": {
        const tx = this.requireTx(ctx, "paginate");
        if (ctx.paginated) {
          throw new UserError(
            "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.",
          );
        }
        ctx.paginated = true;
        const r = queryPage(tx, scopeQuery(ctx.componentPath ?? "", args.query), {
          cursor: args.cursor,
          // A re-run subscription keeps the end its first run reached (its journal), so the page
          // grows or shrinks with inserts and deletes but never shifts.
          endCursor: args.endCursor ?? ctx.journalIn,
          pageSize: args.pageSize,
          maximumRowsRead: args.maximumRowsRead,
          maximumBytesRead: args.maximumBytesRead,
        }, { secret: this.r.cursorSecret, functionPath: ctx.path });
        ctx.journal = r.continueCursor;
        return (
          `{"page":[${r.page.map((d) => d.json).join(",")}],"isDone":${r.isDone},` +
          `"continueCursor":${JSON.stringify(r.continueCursor)},"splitCursor":${JSON.stringify(r.splitCursor)},` +
          `"pageStatus":${JSON.stringify(r.pageStatus)}}`
        );
      }
      case "1.0/insert": {
        const tx = this.requireWrite(ctx, "db.insert");
        const id = tx.insert(scopedName(ctx.componentPath ?? "", args.table), jsonToConvex(args.value) as Record<string, Value>);
        return JSON.stringify({ _id: id });
      }
      case "1.0/shallowMerge": {
        const own = this.ownDocument(ctx, "patch", args);
        this.requireWrite(ctx, "db.patch").patch(own.id, args.value, own.table);
        return "null";
      }
      case "1.0/replace": {
        const own = this.ownDocument(ctx, "replace", args);
        this.requireWrite(ctx, "db.replace").replace(own.id, jsonToConvex(args.value) as Record<string, Value>, own.table);
        return "null";
      }
      case "1.0/remove": {
        const own = this.ownDocument(ctx, "delete", args);
        this.requireWrite(ctx, "db.delete").delete(own.id, own.table);
        return "null";
      }
      case "1.0/count": {
        const tx = this.requireTx(ctx, "count");
        const query: SerializedQuery = { source: { type: "FullTableScan", tableName: scopedName(ctx.componentPath ?? "", args.table), order: null }, operators: [] };
        let n = 0;
        const stream = new QueryStream(tx, query, compileSource(tx, query), ctx.staleReads);
        while (stream.nextRow()) n++;
        return JSON.stringify(n);
      }
      case "1.0/runUdf":
        return this.runNested(ctx, args);
      case "1.0/actions/query":
      case "1.0/actions/mutation":
      case "1.0/actions/action": {
        if (ctx.kind !== "action" && ctx.kind !== "httpAction") throw new Error(`${op} can only be called from an action.`);
        const address = resolveAddress(ctx.componentPath ?? "", args);
        const path = address.path;
        // A component's internal functions are its own: callers outside it reach its public ones.
        const opts: InnerCallOptions = {
          identity: ctx.identity,
          authToken: ctx.authToken,
          allowInternal: mayCallInternal(ctx.componentPath ?? "", address),
          componentPath: address.componentPath,
        };
        const outcome =
          op === "1.0/actions/query"
            ? await this.r.runQuery(path, args.args, opts)
            : op === "1.0/actions/mutation"
              ? await this.r.runMutation(path, args.args, opts)
              : await this.r.runAction(path, args.args, opts);
        ctx.logLines.push(...outcome.logLines);
        if (!outcome.ok) throw syscallError(outcome);
        return outcome.valueJson;
      }
      case "1.0/schedule": {
        const tx = this.requireWrite(ctx, "scheduler.runAfter/runAt");
        return JSON.stringify(this.scheduleInTx(tx, args, ctx.componentPath ?? ""));
      }
      case "1.0/actions/schedule": {
        if (ctx.kind !== "action" && ctx.kind !== "httpAction") throw new Error(`${op} can only be called from an action.`);
        // From actions, scheduling is immediate: the job exists even if the action later fails.
        return JSON.stringify(await this.r.transact((tx) => this.scheduleInTx(tx, args, ctx.componentPath ?? "")));
      }
      case "1.0/cancel_job": {
        const tx = this.requireWrite(ctx, "scheduler.cancel");
        this.cancelInTx(tx, args.id);
        return "null";
      }
      case "1.0/actions/cancel_job": {
        await this.r.transact((tx) => this.cancelInTx(tx, args.id));
        return "null";
      }
      case "1.0/createFunctionHandle": {
        const address = resolveAddress(ctx.componentPath ?? "", args);
        if (!this.r.resolveIn(address.componentPath, address.path, mayCallInternal(ctx.componentPath ?? "", address))) {
          throw new Error(`Couldn't find function for handle: '${address.path}' in component "${address.componentPath}".`);
        }
        return JSON.stringify(functionHandle(address));
      }
      case "1.0/getUserIdentity":
        return JSON.stringify(ctx.identity);
      case "1.0/getFunctionMetadata":
        return JSON.stringify(functionMetadata(ctx));
      case "1.0/auditLog":
        return auditLog(ctx, args);
      case "1.0/actions/vectorSearch": {
        if (ctx.kind !== "action" && ctx.kind !== "httpAction") throw new Error(`Unknown async operation ${op}`);
        const snapshot = this.r.store.snapshot();
        try {
          return JSON.stringify({ results: vectorSearch(this.r.catalog, snapshot, args, ctx.componentPath) });
        } finally {
          snapshot.release();
        }
      }
      case "1.0/getDeploymentMetadata":
        return JSON.stringify({ name: "local", region: null, class: "s16" });
      case "1.0/getRequestMetadata":
        return JSON.stringify({
          ip: null,
          userAgent: null,
          requestId: ctx.requestId,
          scheduledFunctionId: ctx.scheduledJobId,
          authToken: ctx.authToken,
        });
      case "1.0/getTransactionMetrics": {
        const tx = this.requireTx(ctx, "getTransactionMetrics");
        const m = (used: number, limit: number) => ({ used, remaining: Math.max(0, limit - used) });
        return JSON.stringify({
          bytesRead: m(tx.bytesRead, 16 * 2 ** 20),
          bytesWritten: m(tx.bytesWritten, 16 * 2 ** 20),
          databaseQueries: m(tx.indexRangesRead, 4096),
          documentsRead: m(tx.docsScanned, 32000),
          documentsWritten: m(tx.docsWritten, 16000),
          functionsScheduled: m(0, 1000),
          scheduledFunctionArgsBytes: m(0, 16 * 2 ** 20),
          filesWritten: m(0, 1000),
          fileWriteBytes: m(0, 16 * 2 ** 20),
          filesRead: m(0, 1000),
          fileReadBytes: m(0, 16 * 2 ** 20),
        });
      }
      default: {
        const extension = this.r.asyncExtensions.get(op);
        if (extension) return extension(ctx, args);
        throw new Error(`Unknown async syscall "${op}": this version of local-backend does not implement it.`);
      }
    }
  }

  js(ctx: ExecContext, op: string, args: unknown): unknown {
    const extension = this.r.jsExtensions.get(op);
    if (extension) return extension(ctx, args);
    throw new Error(`Unknown JS syscall "${op}": this version of local-backend does not implement it.`);
  }

  private scheduleInTx(tx: Transaction, args: any, callerComponent: string): string {
    const address = resolveAddress(callerComponent, args);
    const path = address.path;
    const f = this.r.resolveIn(address.componentPath, path, mayCallInternal(callerComponent, address));
    if (!f) throw new UserError(`Attempted to schedule function at nonexistent path: ${path}`);
    if (f.kind !== "mutation" && f.kind !== "action") {
      throw new UserError(`Attempted to schedule ${path}, which is a ${f.kind}: only mutations and actions can be scheduled.`);
    }
    if (typeof args.ts !== "number" || !Number.isFinite(args.ts)) throw new UserError("The scheduled time must be a finite number.");
    if (++tx.scheduledCount > 1000) {
      throw new UserError("Too many functions scheduled by this mutation (limit: 1000).");
    }
    this.r.checkArgs(f, args.args);
    const [mod, fn] = f.path.split(":");
    return tx.insertSystem("_scheduled_functions", {
      name: `${mod}.js:${fn}`,
      // Our jobs share one table; the scheduler runs a component's job in its component.
      ...(address.componentPath === "" ? {} : { component: address.componentPath }),
      args: [jsonToConvex(args.args) as Value],
      scheduledTime: args.ts * 1000,
      state: { kind: "pending" },
    });
  }

  private cancelInTx(tx: Transaction, id: string) {
    const job = tx.get(id);
    if (!job || this.r.catalog.tableName(job.tableNumber) !== "_scheduled_functions") {
      throw new UserError(`Invalid argument \`id\` for \`scheduler.cancel\`: no scheduled function ${id}.`);
    }
    const kind = (job.value.state as { kind: string }).kind;
    if (kind === "pending" || kind === "inProgress") {
      tx.patchSystem(id, { state: { kind: "canceled" }, completedTime: Date.now() });
    }
  }

  /**
   * The id and table of a `db.patch/replace/delete` in the caller's component: another
   * component's document is refused as an unknown ID (components.ts `idVisibleFrom`).
   */
  private ownDocument(ctx: ExecContext, op: string, args: { id: string; table?: string }): { id: string; table: string | undefined } {
    const componentPath = ctx.componentPath ?? "";
    if (!idVisibleFrom(this.r.catalog, componentPath, args.id)) throw new UserError(`Invalid argument \`id\` for \`db.${op}\`: ${args.id}`);
    return { id: args.id, table: args.table === undefined ? undefined : scopedName(componentPath, args.table) };
  }

  /** `ctx.runQuery`/`ctx.runMutation` inside a query or mutation: a sub-transaction of the caller. */
  private async runNested(ctx: ExecContext, args: any): Promise<string> {
    const tx = this.requireTx(ctx, "runQuery/runMutation");
    const udfType: "query" | "mutation" | "snapshotQuery" = args.udfType;
    const kind: FunctionKind = udfType === "mutation" ? "mutation" : "query";
    if (kind === "mutation" && ctx.readOnly) throw new Error("Can't call a mutation from a query.");
    const address = resolveAddress(ctx.componentPath ?? "", args);
    const f = this.r.lookup(address.path, kind, mayCallInternal(ctx.componentPath ?? "", address), address.componentPath);
    const fnArgs = this.r.checkArgs(f, args.args);
    const child: ExecContext = {
      ...ctx,
      kind,
      path: f.path,
      componentPath: f.componentPath ?? "",
      ...(f.componentPath ? { identity: null, authToken: null } : {}),
      staleReads: udfType === "snapshotQuery",
      readOnly: kind !== "mutation",
      streams: new Map(),
      nextQueryId: 0,
      paginated: false,
      journal: null,
      journalIn: null,
    };
    if (kind === "mutation") tx.pushLayer();
    let valueJson: string;
    try {
      valueJson = await this.r.invoke(child, f, kind, JSON.stringify([convexToJson(fnArgs)]));
      this.r.checkReturns(f, valueJson);
    } catch (e) {
      if (kind === "mutation") tx.popLayer(false);
      throw syscallError(describeThrown(e));
    }
    if (kind === "mutation") tx.popLayer(true);
    return valueJson;
  }
}
