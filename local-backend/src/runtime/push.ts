/**
 * Deploys pushed by the official CLI (`npx convex dev|deploy|codegen`): the modules arrive already
 * bundled, as Convex's `/api/deploy2/*` API carries them. A push is checked whole before anything
 * changes (every module loads, crons are valid, existing documents match the schema), and is
 * installed in one step at finish; until then, and whenever a push fails, the previous functions
 * keep serving. The wire shapes follow the CLI's zod schemas (convex/src/cli/lib/deployApi/).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadedApp } from "./modules.js";
import { SchemaPushError, type Catalog, type IndexBackfill, type SchemaJson } from "./catalog.js";
import { treeSchema } from "./components.js";
import { CronRunner } from "./crons.js";
import {
  analyses,
  checkedTree,
  loadComponents,
  loadModules,
  readComponentsSpec,
  schemaAt,
  writeComponents,
  writeModules,
  type PushedModule,
} from "./pushTree.js";
import { linkNodeDependencies, parseNodeDependencies, type NodeDependency } from "./pushDeps.js";

export type { PushedModule };

/** What a deployment remembers of its installed push: enough to reload it and to diff the next. */
interface Manifest {
  id: string;
  functions: string;
  udfServerVersion: string;
  modules: Array<{ path: string; environment: "isolate" | "node"; hash: string }>;
  hasSchema: boolean;
  /** External packages (convex.json node.externalPackages) linked into the push's folder. */
  nodeDependencies?: NodeDependency[];
}

/** A refused push: `status` and `code` for the HTTP answer, `message` is what the CLI prints. */
export class PushError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The part of LocalBackend a push needs (a type only: runtime/ does not import the backend). */
export interface PushTarget {
  /** projectDir: where external packages are installed from (default: the working directory). */
  readonly options: { dataDir: string; projectDir?: string };
  readonly catalog: Catalog;
  readonly runner: { app: LoadedApp };
  readonly env: { all(): Record<string, string> };
  installApp(app: LoadedApp): void;
}

type SchemaStatus =
  | { type: "complete" }
  | { type: "inProgress"; components: Record<string, { schemaValidationComplete: boolean; indexesComplete: number; indexesTotal: number }> }
  | { type: "failed"; error: string; componentPath: string; tableName: string | null };

interface PendingPush {
  manifest: Manifest;
  dir: string;
  app: LoadedApp;
  status: SchemaStatus;
  /** New indexes building in the background since start_push; finish_push waits for them. */
  backfill: IndexBackfill | null;
  /** By component path ("" the app's). */
  indexDiffs: Record<string, IndexDiff>;
  previousModules: Set<string>;
}

type DeveloperIndex =
  | { name: string; type: "database"; fields: string[] }
  | { name: string; type: "search"; searchField: string; filterFields: string[] };
interface IndexDiff {
  added_indexes: DeveloperIndex[];
  removed_indexes: DeveloperIndex[];
}

/** Pushes started but not finished are kept this many at a time (the CLI may abandon one). */
const MAX_PENDING = 4;

/** sha256 of source and source map, as the CLI's `hash(bundle)` computes it. */
export function moduleHash(m: { source: string; sourceMap?: string }): string {
  return createHash("sha256").update(m.source).update(m.sourceMap ?? "").digest("hex");
}

function pushDir(dataDir: string, id: string): string {
  // The name matches vite.config.ts's externalization, so under Vitest Node imports these as-is.
  return path.join(dataDir, "modules", `local-backend-build-push-${id}`);
}

/**
 * Writes pushed bundles under `dir` and imports them as an app. The CLI's bundles read
 * `process.env`; esbuild's define points it at the function environment, as bundleAndLoad does.
 */
async function writeAndLoad(dir: string, modules: PushedModule[], schema: PushedModule | null): Promise<LoadedApp> {
  await writeModules(dir, schema ? [...modules, schema] : modules);
  return loadModules(dir, modules, schema !== null);
}

/** Where the installed push's manifest lives; replaced by rename, so it is always whole. */
function manifestFile(dataDir: string): string {
  return path.join(dataDir, "modules", "pushed-app.json");
}

function readManifest(dataDir: string): Manifest | null {
  const f = manifestFile(dataDir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Manifest) : null;
}

function writeManifest(dataDir: string, m: Manifest) {
  const f = manifestFile(dataDir);
  writeFileSync(`${f}.tmp`, JSON.stringify(m));
  renameSync(`${f}.tmp`, f);
}

/** The app the CLI last pushed to this data dir (with its components), loaded; an app with no functions before the first push. */
export async function loadInstalledPush(dataDir: string, projectDir = process.cwd()): Promise<LoadedApp> {
  const manifest = readManifest(dataDir);
  if (!manifest) return { functions: new Map(), schema: null, httpRouter: null, crons: null, authConfig: null };
  const dir = pushDir(dataDir, manifest.id);
  // The links were made at push time; one that is gone is made again, with the same version check.
  linkNodeDependencies(dir, manifest.nodeDependencies ?? [], projectDir);
  const app = await loadModules(dir, manifest.modules, manifest.hasSchema);
  return (await loadComponents(dir, readComponentsSpec(dir), app)).app;
}

/** The CLI's index names and shapes for a schema's declared indexes, by `table.index`. */
function declaredIndexes(schema: SchemaJson | null): Map<string, DeveloperIndex> {
  const out = new Map<string, DeveloperIndex>();
  for (const t of schema?.tables ?? []) {
    for (const i of t.indexes) out.set(`${t.tableName}.${i.indexDescriptor}`, { name: `${t.tableName}.${i.indexDescriptor}`, type: "database", fields: i.fields });
    for (const i of t.searchIndexes ?? []) {
      const name = `${t.tableName}.${i.indexDescriptor}`;
      out.set(name, { name, type: "search", searchField: i.searchField, filterFields: i.filterFields ?? [] });
    }
  }
  return out;
}

/** Pushes in progress and the installed one, for one backend. */
export class Pushes {
  private pending = new Map<string, PendingPush>();

  constructor(private readonly target: PushTarget) {}

  private installed(): Manifest | null {
    return readManifest(this.target.options.dataDir);
  }

  /** `/api/get_config_hashes`: the CLI sends only the modules whose hash changed. */
  configHashes(): object {
    const m = this.installed();
    return {
      config: { functions: m?.functions ?? "convex/", authInfo: [] },
      moduleHashes: m?.modules ?? [],
      nodeDependencies: m?.nodeDependencies ?? [],
      udfServerVersion: m?.udfServerVersion ?? null,
    };
  }

  /** `/api/deploy2/start_push`: loads and checks everything, installs nothing. */
  async start(req: any): Promise<object> {
    const app = req?.appDefinition;
    if (!app || !Array.isArray(app.changedModules) || !Array.isArray(app.unchangedModuleHashes)) {
      throw new PushError(400, "InvalidConfig", "The push request has no valid appDefinition.");
    }
    const previous = this.installed();
    const previousDir = previous ? pushDir(this.target.options.dataDir, previous.id) : null;
    const modules: PushedModule[] = [...app.changedModules];
    for (const h of app.unchangedModuleHashes) {
      const known = previous?.modules.find((m) => m.path === h.path && m.hash === h.sha256 && m.environment === h.environment);
      if (!known || !previousDir || !existsSync(path.join(previousDir, "source", h.path))) {
        throw new PushError(400, "InvalidConfig", `Hit an error while pushing:\nModule ${h.path} is sent as unchanged, but this deployment has no module with hash ${h.sha256}.`);
      }
      modules.push(JSON.parse(readSource(previousDir, h.path)));
    }
    const id = randomBytes(8).toString("hex");
    const dir = pushDir(this.target.options.dataDir, id);
    let loaded: LoadedApp;
    let pushed: Awaited<ReturnType<typeof loadComponents>>;
    let nodeDependencies: NodeDependency[];
    try {
      nodeDependencies = parseNodeDependencies(req.nodeDependencies);
      linkNodeDependencies(dir, nodeDependencies, this.target.options.projectDir ?? process.cwd());
      const appOnly = await writeAndLoad(dir, modules, app.schema ?? null);
      CronRunner.validate(appOnly.crons);
      // The whole component tree loads, or nothing of the push is kept.
      pushed = await loadComponents(dir, await writeComponents(dir, app, req.componentDefinitions), appOnly);
      loaded = pushed.app;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new PushError(400, "InvalidModules", `Hit an error while pushing:\n${(e as Error).message}`);
    }
    // Sources as sent, to answer a later push's unchanged hashes.
    for (const m of modules) writeSource(dir, m);
    let status: SchemaStatus = { type: "complete" };
    try {
      this.target.catalog.checkDocuments(treeSchema(loaded));
    } catch (e) {
      if (!(e instanceof SchemaPushError)) throw e;
      status = { type: "failed", error: e.message, componentPath: "", tableName: e.tableName };
    }
    const same = (a: DeveloperIndex, b: DeveloperIndex | undefined) => JSON.stringify(a) === JSON.stringify(b);
    const indexDiffs: Record<string, IndexDiff> = {};
    const installedApp = this.target.runner.app;
    for (const componentPath of new Set(["", ...(loaded.components?.keys() ?? []), ...(installedApp.components?.keys() ?? [])])) {
      const before = declaredIndexes(schemaAt(installedApp, componentPath));
      const after = declaredIndexes(schemaAt(loaded, componentPath));
      indexDiffs[componentPath] = {
        added_indexes: [...after.values()].filter((i) => !same(i, before.get(i.name))),
        removed_indexes: [...before.values()].filter((i) => !same(i, after.get(i.name))),
      };
    }
    const manifest: Manifest = {
      id,
      functions: typeof req.functions === "string" ? req.functions : "convex/",
      udfServerVersion: String(app.udfServerVersion ?? ""),
      modules: modules.map((m) => ({ path: m.path, environment: m.environment, hash: moduleHash(m) })),
      hasSchema: !!app.schema,
      nodeDependencies,
    };
    const backfill = status.type === "complete" && !req.dryRun ? this.target.catalog.startBackfill(treeSchema(loaded)) : null;
    const pending: PendingPush = {
      manifest,
      dir,
      app: loaded,
      status,
      backfill,
      indexDiffs,
      previousModules: new Set(previous?.modules.map((m) => m.path) ?? []),
    };
    // A failed backfill fails the push; the catalog has already dropped its partial indexes.
    backfill?.done.catch((e) => {
      pending.status = { type: "failed", error: `Index backfill failed: ${(e as Error).message}`, componentPath: "", tableName: null };
    });
    this.remember(id, pending);
    return {
      environmentVariables: this.target.env.all(),
      externalDepsId: nodeDependencies.length > 0 ? id : null,
      componentDefinitionPackages: {},
      appAuth: authInfo(loaded.authConfig),
      analysis: analyses(pushed, modules, String(app.udfServerVersion ?? "")),
      app: checkedTree(pushed, httpRoutes),
      // schemaIds carries the push's id: wait_for_schema and finish_push get it back.
      schemaChange: { allocatedComponentIds: {}, schemaIds: { "": id }, indexDiffs },
    };
  }

  /**
   * Each component instance installed ("create"/"modify") or dropped from the tree ("unmount";
   * its tables and documents are kept, as Convex keeps an unmounted component's data).
   */
  private componentDiffs(p: PendingPush, previous: Set<string>): Record<string, object> {
    const out: Record<string, object> = {};
    const next = new Set(p.app.components?.keys() ?? []);
    const noChange = { moduleDiff: { added: [], removed: [] }, udfConfigDiff: null, cronDiff: { added: [], updated: [], deleted: [] }, schemaDiff: null };
    for (const c of next) out[c] = { ...noChange, diffType: { type: previous.has(c) ? "modify" : "create" }, indexDiff: p.indexDiffs[c] };
    for (const c of previous) if (!next.has(c)) out[c] = { ...noChange, diffType: { type: "unmount" }, indexDiff: p.indexDiffs[c] };
    return out;
  }

  private remember(id: string, p: PendingPush) {
    this.pending.set(id, p);
    while (this.pending.size > MAX_PENDING) {
      const [oldest, old] = this.pending.entries().next().value!;
      this.pending.delete(oldest);
      old.backfill?.cancel();
      rmSync(old.dir, { recursive: true, force: true });
    }
  }

  private find(schemaChange: any): [string, PendingPush] {
    const id = schemaChange?.schemaIds?.[""];
    const p = typeof id === "string" ? this.pending.get(id) : undefined;
    if (!p) {
      throw new PushError(400, "UnknownPush", "This push is not in progress on this deployment (it finished, was replaced, or the backend restarted). Push again.");
    }
    return [id, p];
  }

  /**
   * `/api/deploy2/wait_for_schema`: documents were checked at start; while new indexes build it
   * waits (up to the CLI's timeoutMs) and reports their progress as `inProgress`.
   */
  async waitForSchema(req: any): Promise<SchemaStatus> {
    const p = this.find(req?.schemaChange)[1];
    const b = p.backfill;
    if (p.status.type !== "complete" || !b || b.complete === b.total) return p.status;
    const wait = Math.min(Math.max(Number(req?.timeoutMs) || 0, 0), 10_000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([b.done.catch(() => {}), new Promise((r) => (timer = setTimeout(r, wait)))]);
    clearTimeout(timer);
    if (p.status.type !== "complete" || b.complete === b.total) return p.status;
    return { type: "inProgress", components: { "": { schemaValidationComplete: true, indexesComplete: b.complete, indexesTotal: b.total } } };
  }

  /** `/api/deploy2/finish_push`: installs the push in one step once its indexes are built, or changes nothing. */
  async finish(req: any): Promise<object> {
    const [id, p] = this.find(req?.startPush?.schemaChange);
    this.pending.delete(id);
    // Failure is recorded in p.status by the handler start() attached.
    await p.backfill?.done.catch(() => {});
    if (req.dryRun || p.status.type === "failed") p.backfill?.cancel();
    if (req.dryRun) {
      rmSync(p.dir, { recursive: true, force: true });
      return { authDiff: { added: [], removed: [] }, definitionDiffs: {}, componentDiffs: {} };
    }
    if (p.status.type === "failed") {
      rmSync(p.dir, { recursive: true, force: true });
      throw new PushError(400, "SchemaValidationFailed", `Hit an error while pushing:\n${p.status.error}`);
    }
    const previous = this.installed();
    const previousSchema = this.target.runner.app.schema;
    const previousComponents = new Set(this.target.runner.app.components?.keys() ?? []);
    try {
      this.target.installApp(p.app);
    } catch (e) {
      p.backfill?.cancel();
      rmSync(p.dir, { recursive: true, force: true });
      throw new PushError(400, "InvalidPush", `Hit an error while pushing:\n${(e as Error).message}`);
    }
    writeManifest(this.target.options.dataDir, p.manifest);
    if (previous && previous.id !== id) rmSync(pushDir(this.target.options.dataDir, previous.id), { recursive: true, force: true });
    const paths = new Set(p.manifest.modules.map((m) => m.path));
    const nextSchema = p.app.schema;
    return {
      authDiff: { added: [], removed: [] },
      definitionDiffs: { "": {} },
      componentDiffs: {
        "": {
          diffType: { type: previous ? "modify" : "create" },
          moduleDiff: {
            added: [...paths].filter((x) => !p.previousModules.has(x)),
            removed: [...p.previousModules].filter((x) => !paths.has(x)),
          },
          udfConfigDiff: null,
          cronDiff: { added: [], updated: [], deleted: [] },
          indexDiff: p.indexDiffs[""],
          schemaDiff:
            JSON.stringify(previousSchema) === JSON.stringify(nextSchema)
              ? null
              : {
                  previous_schema: previousSchema ? JSON.stringify(previousSchema) : null,
                  next_schema: nextSchema ? JSON.stringify(nextSchema) : null,
                },
        },
        ...this.componentDiffs(p, previousComponents),
      },
    };
  }
}

function writeSource(dir: string, m: PushedModule) {
  const file = path.join(dir, "source", m.path);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ path: m.path, source: m.source, sourceMap: m.sourceMap, environment: m.environment }));
}

function readSource(dir: string, p: string): string {
  return readFileSync(path.join(dir, "source", p), "utf8");
}

/** auth.config providers as Convex's push response reports them (CLI `authInfo`). */
function authInfo(config: any): object[] {
  const providers: any[] = Array.isArray(config?.providers) ? config.providers : [];
  return providers.map((p) =>
    p?.type === "customJwt"
      ? { type: "customJwt", applicationID: p.applicationID ?? null, issuer: p.issuer, jwks: p.jwks, algorithm: p.algorithm }
      : { applicationID: p?.applicationID, domain: p?.domain },
  );
}

function httpRoutes(app: LoadedApp): Array<{ method: string; path: string }> | null {
  if (!app.httpRouter) return null;
  return app.httpRouter.getRoutes().map(([p, method]: [string, string]) => ({ method, path: p }));
}
