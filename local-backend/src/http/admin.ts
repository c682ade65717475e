import { queryGeneric } from "convex/server";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type http from "node:http";
import path from "node:path";
import type { BackendHost } from "./host.js";
import type { RegisteredFunction } from "../runtime/modules.js";
import { localTableName } from "../runtime/catalog.js";
import { currentContext } from "../runtime/context.js";
import type { CallOptions, ExecutionEvent } from "../runtime/runner.js";
import { appTableNames, applyImport, exportSnapshotZip, ImportError, parseSnapshotZip, planImport, type ImportMode, type ImportPlan } from "../runtime/snapshot.js";
import { HttpError, randomId, readBody, sendJson } from "./io.js";

// The deployment routes and `_system/cli/*` functions the official CLI's admin commands use
// (convex/src/cli/lib: env.ts, data.ts, convexExport.ts, convexImport.ts, logs.ts), answered as
// crates/local_backend does. Exports and imports finish within their request, so the state the
// CLI then subscribes to is already final (Convex runs them in a background worker).

const ROUTES = new Set([
  "/api/update_environment_variables",
  "/api/export/request/zip",
  "/api/import/start_upload",
  "/api/import/upload_part",
  "/api/import/finish_upload",
  "/api/perform_import",
  "/api/stream_function_logs",
]);

export function isAdminRoute(pathname: string): boolean {
  return ROUTES.has(pathname) || pathname.startsWith("/api/export/zip/");
}


const MAX_PART = 64 * 2 ** 20;
const MAX_IMPORT = 1024 * 2 ** 20;
/** The function log keeps (and answers with) the last this many executions. */
export const LOG_CAPACITY = 10_000;
const LONG_POLL_MS = 60_000;

interface ImportRecord {
  id: string;
  plan: ImportPlan | null;
  state: Record<string, unknown>;
}

/** Per-backend admin state: uploads, imports, the latest export and the function log. */
class Admin {
  private uploads = new Map<string, Map<number, Buffer>>();
  private imports = new Map<string, ImportRecord>();
  private latestExport: Record<string, unknown> | null = null;
  private log: Array<{ seq: number; entry: Record<string, unknown> }> = [];
  private seq = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly backend: BackendHost) {
    backend.runner.registerSystemFunctions(this.systemFunctions());
    backend.runner.onExecution((e) => this.record(e));
  }

  private record(e: ExecutionEvent) {
    if (e.path.startsWith("_system/")) return; // Convex does not log its own system functions
    const udfType = e.kind === "query" ? "Query" : e.kind === "mutation" ? "Mutation" : "Action";
    const entry = {
      kind: "Completion",
      udfType,
      identifier: e.path,
      logLines: e.outcome.logLines,
      timestamp: (e.startedAt + e.ms) / 1000,
      executionTime: e.ms / 1000,
      cachedResult: false,
      error: e.outcome.ok ? null : e.outcome.message,
      // Pooled ids: this runs for every execution, cache hits included.
      requestId: randomId(),
      executionId: randomId(),
    };
    this.log.push({ seq: ++this.seq, entry });
    // Trimmed in batches: dropping the oldest entry on every execution moved all 10,000 others
    // each time (this function was 6.4% of the backend's CPU in `npm run profile`, ADR 016).
    // Readers see the last LOG_CAPACITY.
    if (this.log.length >= 2 * LOG_CAPACITY) this.log.splice(0, this.log.length - LOG_CAPACITY);
    for (const w of this.waiters) w();
  }

  private systemFunctions(): RegisteredFunction[] {
    const q = (p: string, handler: (ctx: any, args: any) => unknown): RegisteredFunction => ({
      path: p,
      kind: "query",
      visibility: "internal",
      fn: (queryGeneric as any)({ handler }),
      args: null,
      returns: null,
    });
    const env = () => Object.entries(this.backend.env.all()).map(([name, value]) => ({ name, value }));
    return [
      q("_system/cli/queryEnvironmentVariables:default", () => env()),
      q("_system/cli/queryEnvironmentVariables:get", (_ctx, { name }) => env().find((e) => e.name === name) ?? null),
      // Run with the CLI's componentPath (`npx convex data --component`), its tables by local name.
      q("_system/cli/tables:default", () => ({
        page: appTableNames(this.backend.store, currentContext()?.componentPath ?? "").map(localTableName).sort().map((name) => ({ name })),
        isDone: true,
        continueCursor: "",
      })),
      q("_system/cli/tableData:default", (ctx, { table, order, paginationOpts }) =>
        ctx.db.query(table).order(order === "asc" ? "asc" : "desc").paginate(paginationOpts),
      ),
      q("_system/cli/exports:getLatest", () => this.latestExport),
      q("_system/cli/queryImport:default", (_ctx, { importId }) => {
        const r = this.imports.get(importId);
        return r ? { _id: r.id, state: r.state } : null;
      }),
      q("_system/cli/queryImport:list", () => [...this.imports.values()].map((r) => ({ _id: r.id, state: r.state }))),
    ];
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = url.pathname;
    if (route === "/api/stream_function_logs") return this.streamLogs(req, res, url);
    if (route.startsWith("/api/export/zip/")) return this.download(res, route.slice("/api/export/zip/".length));
    if (req.method !== "POST") throw new HttpError(405, "MethodNotAllowed", `${req.method} is not allowed on ${route}.`);
    if (route === "/api/import/upload_part") {
      const token = url.searchParams.get("uploadToken") ?? "";
      const part = Number(url.searchParams.get("partNumber"));
      const parts = this.uploads.get(token);
      if (!parts) throw new HttpError(400, "InvalidUploadToken", "Unknown upload token.");
      if (!Number.isInteger(part) || part < 1 || part > 10_000) throw new HttpError(400, "InvalidPartNumber", "partNumber must be 1 to 10000.");
      const body = await readBody(req, MAX_PART);
      const total = [...parts.values()].reduce((n, b) => n + b.length, 0) + body.length;
      if (total > MAX_IMPORT) throw new HttpError(413, "ImportTooLarge", `Imports are limited to ${MAX_IMPORT} bytes.`);
      parts.set(part, body);
      return sendJson(res, 200, { partNumber: part, etag: String(part) });
    }
    const body = parseJson(await readBody(req, 2 ** 20));
    if (route === "/api/update_environment_variables") return sendJson(res, 200, this.updateEnv(body));
    if (route === "/api/import/start_upload") {
      const uploadToken = randomBytes(16).toString("hex");
      this.uploads.set(uploadToken, new Map());
      return sendJson(res, 200, { uploadToken });
    }
    if (route === "/api/import/finish_upload") return sendJson(res, 200, this.finishUpload(body));
    if (route === "/api/perform_import") return sendJson(res, 200, await this.performImport(body));
    if (route === "/api/export/request/zip") return sendJson(res, 200, this.requestExport(url));
    throw new HttpError(404, "NotFound", `No such endpoint: ${route}`);
  }

  /** The installed component paths, "" (the app) first. */
  private componentPaths(): string[] {
    return ["", ...(this.backend.runner.app.components?.keys() ?? [])];
  }

  private updateEnv(body: any) {
    const changes = body?.changes;
    if (!Array.isArray(changes)) throw new HttpError(400, "BadRequest", "Expected {changes: [{name, value}]}.");
    const before = { ...this.backend.env.all() };
    try {
      for (const c of changes) {
        if (typeof c?.name !== "string" || (c.value !== null && typeof c.value !== "string")) {
          throw new Error("Each change needs a string name and a string or null value.");
        }
        this.backend.env.set(c.name, c.value);
      }
    } catch (e) {
      // All or nothing: put back the variables changed before the bad one.
      for (const c of changes) if (typeof c?.name === "string" && c.name in before) this.backend.env.set(c.name, before[c.name]);
      for (const c of changes) if (typeof c?.name === "string" && !(c.name in before) && c.name in this.backend.env.all()) this.backend.env.set(c.name, null);
      throw new HttpError(400, "InvalidEnvironmentVariable", (e as Error).message);
    }
    return {};
  }

  private finishUpload(body: any) {
    const parts = this.uploads.get(body?.uploadToken);
    if (!parts) throw new HttpError(400, "InvalidUploadToken", "Unknown upload token.");
    this.uploads.delete(body.uploadToken);
    const { format, mode } = body.import ?? {};
    if (!["requireEmpty", "append", "replace", "replaceAll"].includes(mode)) throw new HttpError(400, "BadImportMode", `Unknown import mode ${JSON.stringify(mode)}.`);
    const bytes = Buffer.concat([...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
    const id = randomBytes(16).toString("hex");
    const record: ImportRecord = { id, plan: null, state: { state: "uploaded" } };
    try {
      if (format !== "zip") throw new ImportError(`The local backend imports ZIP snapshots only (got format ${JSON.stringify(format)}).`);
      const base = body.import.componentPath ?? "";
      if (typeof base !== "string") throw new ImportError("componentPath must be a string.");
      const componentPaths = this.componentPaths();
      if (!componentPaths.includes(base)) throw new ImportError(`There is no component ${JSON.stringify(base)} in this deployment.`);
      const plan = planImport(this.backend.store, this.backend.catalog, parseSnapshotZip(bytes, base), mode as ImportMode, { componentPaths, base });
      record.plan = plan;
      record.state = { state: "waiting_for_confirmation", message_to_confirm: plan.message, require_manual_confirmation: plan.requireManualConfirmation };
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      record.state = { state: "failed", error_message: `Hit an error while importing:\n${e.message}` };
    }
    this.imports.set(id, record);
    return { importId: id };
  }

  private async performImport(body: any) {
    const record = this.imports.get(body?.importId);
    if (!record) throw new HttpError(404, "ImportNotFound", "No such import.");
    if (!record.plan || record.state.state !== "waiting_for_confirmation") {
      throw new HttpError(400, "ImportNotWaiting", `The import is ${String(record.state.state)}, not waiting for confirmation.`);
    }
    const plan = record.plan;
    record.plan = null;
    try {
      const rows = await applyImport(this.backend.runner, this.backend.catalog, this.backend.files, plan);
      record.state = { state: "completed", num_rows_written: BigInt(rows) };
    } catch (e) {
      record.state = { state: "failed", error_message: `Hit an error while importing:\n${(e as Error).message}` };
    }
    return {};
  }

  private requestExport(url: URL) {
    const includeStorage = url.searchParams.get("includeStorage") === "true";
    const start = this.backend.runner.lastTs;
    const zip = exportSnapshotZip(this.backend.store, this.backend.catalog, this.componentPaths(), includeStorage ? this.backend.files : undefined);
    const dir = path.join(this.backend.options.dataDir, "exports");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `snapshot_${start}.zip`), zip);
    this.latestExport = { state: "completed", start_ts: start, complete_ts: start, zip_object_key: `snapshot_${start}.zip` };
    return {};
  }

  private download(res: http.ServerResponse, id: string) {
    if (!/^\d+$/.test(id)) throw new HttpError(400, "BadSnapshotId", "Snapshot Id did not parse to an ID.");
    let zip: Buffer;
    try {
      zip = readFileSync(path.join(this.backend.options.dataDir, "exports", `snapshot_${id}.zip`));
    } catch {
      throw new HttpError(404, "ExportNotFound", `No snapshot export ${id}.`);
    }
    res.writeHead(200, {
      "Content-Type": "application/zip",
      "Content-Length": zip.length,
      "Content-Disposition": `attachment; filename=snapshot_${id}.zip`,
    });
    res.end(zip);
  }

  /** Long poll: entries after `cursor`, waiting up to a minute for the first one. */
  private async streamLogs(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const cursor = Number(url.searchParams.get("cursor") ?? "0");
    if (!Number.isFinite(cursor)) throw new HttpError(400, "BadCursor", "cursor must be a number.");
    const after = () => this.log.slice(-LOG_CAPACITY).filter((l) => l.seq > cursor);
    if (after().length === 0 && cursor > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, LONG_POLL_MS);
        this.waiters.add(done);
        req.socket.once("close", done);
      });
    }
    const entries = after();
    sendJson(res, 200, { entries: entries.map((l) => l.entry), newCursor: entries.length ? entries[entries.length - 1].seq : Math.max(cursor, this.seq) });
  }
}

const admins = new WeakMap<BackendHost, Admin>();

/** The backend's admin state, created (and its function log started) on first use. */
export function adminFor(backend: BackendHost): Admin {
  let a = admins.get(backend);
  if (!a) admins.set(backend, (a = new Admin(backend)));
  return a;
}

/** Serves one admin route; only the deployment's admin key may call them. */
export async function handleAdminRequest(
  backend: BackendHost,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  authenticate: (backend: BackendHost, header: string | undefined) => Promise<CallOptions>,
): Promise<void> {
  try {
    const auth = req.headers.authorization ? await authenticate(backend, req.headers.authorization) : {};
    if (!auth.allowInternal || auth.identity) {
      throw new HttpError(403, "Unauthorized", "This endpoint needs the deployment's admin key (Authorization: Convex <admin key>).");
    }
    await adminFor(backend).handle(req, res, url);
  } catch (e) {
    if (res.headersSent) return;
    if (e instanceof HttpError) return sendJson(res, e.status, { code: e.code, message: e.message });
    const status = (e as { status?: number }).status;
    if (typeof status === "number") {
      return sendJson(res, status, { code: (e as { code?: string }).code ?? "BadRequest", message: (e as Error).message });
    }
    console.error("[local-backend] admin route failed", e);
    sendJson(res, 500, { code: "InternalServerError", message: "Internal server error." });
  }
}

function parseJson(buf: Buffer): any {
  try {
    return buf.length ? JSON.parse(buf.toString("utf8")) : {};
  } catch (e) {
    throw new HttpError(400, "BadJsonBody", `The request body is not valid JSON: ${(e as Error).message}`);
  }
}

