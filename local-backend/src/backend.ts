import { randomBytes } from "node:crypto";
import { mkdirSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { Catalog, SchemaPushError } from "./runtime/catalog.js";
import { installGlobals, setLoadTimeEnv } from "./runtime/globals.js";
import { installComponents, loadComponentTree, loadRegisteredComponents, treeSchema, type RegisteredComponent } from "./runtime/components.js";
import { bundleAndLoad, keepPreviousOfFailed, loadFromGlob, type LoadedApp } from "./runtime/modules.js";
import { FunctionRunner } from "./runtime/runner.js";
import { Scheduler } from "./runtime/scheduler.js";
import { FileStorage } from "./runtime/files.js";
import { CronRunner } from "./runtime/crons.js";
import type { DocumentStore } from "./storage/interface.js";
import { SqliteStore } from "./storage/sqlite.js";
import { loadInstalledPush } from "./runtime/push.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { adminFor } from "./http/admin.js";
import { startSiteServer } from "./http/site.js";
import { SyncServer } from "./http/sync.js";
import { JwtVerifier } from "./runtime/auth.js";
import { randomBytes as requestIdBytes } from "node:crypto";
import type { CallOptions, FunctionOutcome } from "./runtime/runner.js";
import { IsolatePool, type FunctionLimits, type PoolBounds } from "./runtime/isolate/pool.js";

export interface LocalBackendOptions {
  /** Directory holding the SQLite file, the admin key and bundles. Created if missing. */
  dataDir: string;
  /** The app's `convex/` folder, bundled with esbuild like a deploy. */
  convexDir?: string;
  /**
   * Where a push's external packages (convex.json `node.externalPackages`) are installed from:
   * its node_modules or a parent's (default: the working directory).
   */
  projectDir?: string;
  /** Alternatively, convex-test style module loaders (`import.meta.glob`). */
  modules?: Record<string, () => Promise<any>>;
  /** Schema object, when `modules` does not include schema.ts. */
  schema?: { export(): string };
  /** Components for `modules`, by component path (the harness's `registerComponent`). */
  components?: Record<string, RegisteredComponent>;
  /** HTTP port for the Convex API (default: no server). 0 picks a free port. */
  port?: number;
  /** Port of the site origin serving convex/http.ts (default: port + 1, or a free one when port is 0). */
  sitePort?: number;
  host?: string;
  /** Rebuild and reload when files in `convexDir` change. */
  watch?: boolean;
  /**
   * Development deployment (default: `watch`): a module of `convexDir` that fails to load is
   * reported by path and left out instead of refusing the app. Without it, as on a deploy, any
   * failing module refuses the whole app.
   */
  dev?: boolean;
  /** Print one line per function call. */
  logCalls?: boolean;
  /**
   * Time and memory limits of functions loaded from `convexDir` or a push (default: Convex's,
   * isolate/pool.ts CONVEX_LIMITS). `false` runs them on the backend's thread without limits.
   */
  limits?: Partial<FunctionLimits> | false;
  /** How many isolate workers run at once and how long idle ones live (isolate/pool.ts PoolBounds; tests lower them). */
  isolatePool?: Partial<PoolBounds>;
  /** Redact error messages as a production deployment does (ConvexError data still reaches clients). */
  redactErrors?: boolean;
  synchronous?: "NORMAL" | "FULL";
  /** Run scheduled functions (default true). */
  scheduler?: boolean;
  /** Run convex/crons.ts (default true; tests usually turn it off, like Convex's IS_TEST). */
  crons?: boolean;
  /** Largest file accepted through an upload URL (default 20 MiB). */
  maxUploadBytes?: number;
  /**
   * Runs after the app is loaded and before any request is served (until then every request,
   * `/version` included, gets 503): for what functions need from the first request on, such as the
   * sign-in keys in the function environment.
   */
  prepare?: (backend: LocalBackend) => Promise<void>;
}

/** Function environment variables, stored in the data dir and shared with the `env` CLI. */
export class EnvStore {
  private cache: Record<string, string> | null = null;
  private version = -1;
  constructor(private readonly store: DocumentStore) {}

  all(): Record<string, string> {
    const v = this.store.externalVersion();
    if (this.cache === null || v !== this.version) {
      this.cache = JSON.parse(this.store.getMeta("env") ?? "{}");
      this.version = v;
    }
    return this.cache!;
  }

  set(name: string, value: string | null): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > 40) {
      throw new Error(`Invalid environment variable name "${name}": use letters, digits and _, at most 40 characters.`);
    }
    if (value !== null && Buffer.byteLength(value) > 8192) throw new Error(`Value of ${name} exceeds 8 KiB.`);
    const next = { ...this.all() };
    if (value === null) delete next[name];
    else next[name] = value;
    this.store.setMeta("env", JSON.stringify(next));
    this.cache = null;
  }
}

/** A running local backend: a store, a function runner and (optionally) its HTTP server. */
export class LocalBackend {
  readonly runner: FunctionRunner;
  readonly scheduler: Scheduler;
  readonly files: FileStorage;
  crons: CronRunner | null = null;
  readonly env: EnvStore;
  readonly adminKey: string;
  readonly verifier: JwtVerifier;
  readonly sync: SyncServer;
  private watcher: FSWatcher | null = null;

  private constructor(
    readonly options: LocalBackendOptions,
    readonly store: DocumentStore,
    readonly catalog: Catalog,
    app: LoadedApp,
    /** Convex API origin (CONVEX_CLOUD_URL). */
    readonly url: string,
    /** HTTP actions origin (CONVEX_SITE_URL). */
    readonly siteUrl: string,
    private readonly servers: HttpServer[],
  ) {
    this.env = new EnvStore(store);
    this.adminKey = store.getMeta("adminKey") ?? `local-admin|${randomBytes(24).toString("hex")}`;
    if (!store.getMeta("adminKey")) store.setMeta("adminKey", this.adminKey);
    this.runner = new FunctionRunner(store, catalog, app, () => this.functionEnv());
    if (options.limits !== false) this.runner.isolates = new IsolatePool(this.runner, options.limits, options.isolatePool);
    this.scheduler = new Scheduler(this.runner);
    this.files = new FileStorage({
      dataDir: options.dataDir,
      runner: this.runner,
      cloudUrl: () => this.url,
      maxUploadBytes: options.maxUploadBytes,
    });
    this.files.install();
    this.sync = new SyncServer(this);
    this.verifier = new JwtVerifier(
      () => this.runner.app.authConfig,
      (u) => this.fetchWithOwnSite(u),
    );
  }

  /** The message clients see for a function error: request id, then details unless redacted. */
  errorText(message: string): string {
    const id = requestIdBytes(8).toString("hex");
    return `[Request ID: ${id}] Server Error${this.options.redactErrors ? "" : `\n${message}`}`;
  }

  /** One line per function call (kind, path, duration, outcome), with the function's log lines. */
  logCall(kind: string, path: string, outcome: FunctionOutcome, ms?: number) {
    if (!this.options.logCalls) return;
    const took = ms === undefined ? "" : ` ${ms.toFixed(1)}ms`;
    console.log(`[local-backend] ${kind} ${path}${took} ${outcome.ok ? "ok" : `error: ${outcome.message.split("\n")[0]}`}`);
    for (const line of outcome.logLines) console.log(`  ${line}`);
  }

  /** Fetches a URL, answering this backend's own site URL in-process (OIDC discovery, JWKS). */
  async fetchWithOwnSite(u: string): Promise<Response> {
    if (u.startsWith(this.siteUrl)) return (await this.runner.runHttpAction(new Request(u))).response;
    return fetch(u);
  }

  /** Identity for an HTTP action: a valid bearer token's user, otherwise anonymous (as in Convex). */
  async identityForHttpAction(authorization: string | null): Promise<CallOptions> {
    if (!authorization || authorization.slice(0, 7).toLowerCase() !== "bearer ") return {};
    const token = authorization.slice(7).trim();
    try {
      return { identity: await this.verifier.verify(token), authToken: token };
    } catch {
      return {};
    }
  }

  /** `process.env` inside functions: the stored variables plus Convex's system ones. */
  functionEnv(): Record<string, string> {
    // One object until the environment changes: the isolate pool sends it to a worker only when it
    // is not the object that worker last got (pool.ts withEnv). A new object per call sent the whole
    // environment with every invocation (measured, npm run profile: most of the backend's
    // postMessage time, ~10% of its CPU).
    const all = this.env.all();
    if (this.envFor?.all !== all) this.envFor = { all, env: { ...all, CONVEX_CLOUD_URL: this.url, CONVEX_SITE_URL: this.siteUrl } };
    return this.envFor.env;
  }
  private envFor: { all: Record<string, string>; env: Record<string, string> } | null = null;

  static async start(options: LocalBackendOptions): Promise<LocalBackend> {
    mkdirSync(options.dataDir, { recursive: true });
    // Module top-level code (evaluated while loading) already sees the function environment.
    installGlobals();
    const store = new SqliteStore(path.join(options.dataDir, "convex.sqlite3"), { synchronous: options.synchronous });
    try {
      const catalog = new Catalog(store);
      // Servers bind first so the URLs are known when modules load: auth.config.ts reads
      // CONVEX_SITE_URL at import time. Until the backend exists they answer 503.
      const holder: { backend?: LocalBackend } = {};
      const servers: HttpServer[] = [];
      let url = "https://local-backend.invalid";
      let siteUrl = "https://local-backend-site.invalid";
      if (options.port !== undefined) {
        const host = options.host ?? "127.0.0.1";
        const cloud = await startHttpServer(() => holder.backend, { port: options.port, host });
        servers.push(cloud);
        const sitePort = options.sitePort ?? (options.port === 0 ? 0 : options.port + 1);
        const site = await startSiteServer(() => holder.backend, { port: sitePort, host });
        servers.push(site);
        url = cloud.url;
        siteUrl = site.url;
      }
      const envForLoad = new EnvStore(store);
      setLoadTimeEnv(() => ({ ...envForLoad.all(), CONVEX_CLOUD_URL: url, CONVEX_SITE_URL: siteUrl }));
      let app: LoadedApp;
      try {
        app = await LocalBackend.load(options, options.dev ?? options.watch ?? false);
        LocalBackend.reportModuleErrors(app, "its functions are not available until it loads");
        catalog.applySchema(treeSchema(app));
      } catch (e) {
        await Promise.all(servers.map((s) => s.close()));
        throw e;
      }
      const backend = new LocalBackend(options, store, catalog, app, url, siteUrl, servers);
      try {
        await options.prepare?.(backend);
      } catch (e) {
        await Promise.all(servers.map((s) => s.close()));
        throw e;
      }
      // The CLI's system functions and the function log (`npx convex logs`) from the first run on.
      adminFor(backend);
      // Ready: from here on the servers answer.
      holder.backend = backend;
      setLoadTimeEnv(() => backend.functionEnv());
      if (options.watch && options.convexDir) backend.startWatching();
      if (options.scheduler !== false) await backend.scheduler.start();
      // A cron run is a function call: its "ok" line only with call logging; failures always (no one else sees them).
      backend.crons = new CronRunner(backend.runner, backend.runner.app.crons, {
        log: (line) => {
          if (options.logCalls || / error: |does not exist/.test(line)) console.log(line);
        },
      });
      if (options.crons !== false && process.env.IS_TEST === undefined) backend.crons.start();
      return backend;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  private static async load(options: LocalBackendOptions, dev = false): Promise<LoadedApp> {
    if (options.modules) {
      return installComponents(await loadFromGlob(options.modules, options.schema), await loadRegisteredComponents(options.components ?? {}));
    }
    // Neither: serve what the CLI last pushed to this data dir (nothing before the first push).
    if (!options.convexDir) return loadInstalledPush(options.dataDir, options.projectDir);
    const outDir = path.join(options.dataDir, "modules");
    const app = await bundleAndLoad(options.convexDir, outDir, { tolerateModuleErrors: dev });
    // convex.config.ts: the components it uses, bundled from their own folders (components.ts).
    return installComponents(app, await loadComponentTree(options.convexDir, outDir));
  }

  /** One message per module a dev load left out: the file, what happens to it, and its error. */
  private static reportModuleErrors(app: LoadedApp, consequence: string) {
    for (const m of app.moduleErrors ?? []) console.error(`[local-backend] ${m.file} failed to load; ${consequence}:\n${m.message}`);
  }

  /** Rebuilds from `convexDir` and swaps the app in if it bundles and its schema pushes. */
  async reload(): Promise<void> {
    // Reloads are dev: a broken module keeps its previous version while the others update.
    const app = keepPreviousOfFailed(await LocalBackend.load(this.options, true), this.runner.app);
    LocalBackend.reportModuleErrors(app, "reload failed for it, still serving its previous functions");
    this.installApp(app);
  }

  /**
   * Swaps in a loaded app as one step: its crons are checked and its schema pushed first (a
   * schema that existing documents violate throws and changes nothing), then its functions serve.
   */
  installApp(app: LoadedApp): void {
    CronRunner.validate(app.crons);
    this.catalog.applySchema(treeSchema(app));
    this.runner.app = app;
    // Workers hold the previous bundles' modules: new runs start on fresh ones.
    this.runner.isolates?.retire();
    this.crons?.update(app.crons);
  }

  private startWatching() {
    let timer: NodeJS.Timeout | null = null;
    this.watcher = watch(this.options.convexDir!, { recursive: true }, (_event, file) => {
      if (!file || file.includes("_generated") || file.startsWith(".")) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        this.reload().then(
          () => console.log(`[local-backend] reloaded ${this.options.convexDir}`),
          (e) => console.error(`[local-backend] reload failed, still serving the previous functions:\n${e.message}`),
        );
      }, 150);
    });
  }

  async close(): Promise<void> {
    this.watcher?.close();
    await this.crons?.stop();
    await this.scheduler.stop();
    this.files.close();
    this.sync.close();
    await Promise.all(this.servers.map((s) => s.close()));
    await this.runner.isolates?.close();
    this.store.close();
  }
}

export { SchemaPushError };
