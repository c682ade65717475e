// Over 400 lines: the component tree end to end (definitions, installation, addressing, env, HTTP mounts); its parts share the path rules.
import type { Plugin, PluginBuild } from "esbuild";
import { build } from "./esbuildService.js";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { decodeDocumentId } from "../values/ids.js";
import type { Catalog, SchemaJson } from "./catalog.js";
import { componentPathOf, physicalTableName } from "./catalog.js";
import { UserError } from "./transaction.js";
import {
  bundleAndLoad,
  canonicalizePath,
  loadFromGlob,
  ModuleLoadError,
  type ComponentEnvArg,
  type LoadedApp,
  type LoadedComponent,
  type ModuleSource,
  type RegisteredFunction,
} from "./modules.js";

/**
 * Components (issue #13 item 2): an app's `convex.config.ts` installs components with
 * `app.use(definition, { name })`; each installed component has its own functions and its own
 * tables, addressed by its component path (`"rateLimiter"`, `"rateLimiter/batchWorker"`; the app
 * is `""`), as in Convex's model (crates/model/src/components).
 *
 * Namespacing is done with names, not separate stores: a component's table `t` is the catalog
 * table `<componentPath>/t` (catalog.ts `physicalTableName`), so it gets its own table number and
 * its IDs are never IDs of an app table; its functions live in `LoadedApp.components`.
 */

// Defined in modules.ts beside LoadedApp, which holds them (so modules.ts needs no import of this file).
export type { ComponentEnvArg, LoadedComponent } from "./modules.js";

/** What `installComponents` takes per component path: its loaded modules (and its definition's name). */
export interface ComponentInput {
  definitionName?: string | null;
  /** Environment variables its parent passes to this instance (none when absent). */
  env?: Array<[string, ComponentEnvArg]> | null;
  /** Where its HTTP routes are mounted on the site, from the root (`/a/` then `/b/` is `/a/b/`). */
  httpPrefix?: string | null;
  /** The component's functions and schema, as `bundleAndLoad`/`loadFromGlob` load them. */
  app: LoadedApp;
}

const COMPONENT_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Installs components into a loaded app: `components` maps each component path (`"a"`, `"a/b"`)
 * to its loaded modules. Every function is tagged with its component path, which is what scopes
 * its tables, calls, scheduled jobs and handles. Returns a new LoadedApp; `app` is not changed.
 * The entry point for the CLI push path too (one call per push, with the whole tree).
 */
export function installComponents(app: LoadedApp, components: Map<string, ComponentInput> | Record<string, ComponentInput>): LoadedApp {
  const entries = components instanceof Map ? [...components] : Object.entries(components);
  const installed = new Map<string, LoadedComponent>();
  for (const [componentPath, input] of entries) {
    const parts = componentPath.split("/");
    if (componentPath === "" || !parts.every((p) => COMPONENT_NAME.test(p))) {
      throw new ModuleLoadError(
        `Invalid component path "${componentPath}": component names must be non-empty and alphanumeric plus underscores.`,
      );
    }
    const functions = new Map<string, RegisteredFunction>();
    for (const [p, f] of input.app.functions) functions.set(p, { ...f, componentPath });
    installed.set(componentPath, {
      path: componentPath,
      definitionName: input.definitionName ?? null,
      functions,
      schema: input.app.schema,
      env: input.env ?? [],
      httpRouter: input.app.httpRouter,
      ...(input.app.httpModule ? { httpModule: input.app.httpModule } : {}),
      httpPrefix: input.httpPrefix ?? null,
    });
  }
  for (const componentPath of installed.keys()) {
    const parent = componentPath.includes("/") ? componentPath.slice(0, componentPath.lastIndexOf("/")) : "";
    if (parent !== "" && !installed.has(parent)) {
      throw new ModuleLoadError(`Component "${componentPath}" is installed, but its parent "${parent}" is not.`);
    }
  }
  return { ...app, components: installed };
}

/**
 * `process.env` of a component's functions: Convex's system variables and the variables its
 * parent passes, a reference resolved in the parent's own environment (the deployment's for the
 * app) at each read, so `env set` applies at once (Convex docs, components/authoring).
 */
export function componentEnv(app: LoadedApp, componentPath: string, deploymentEnv: Record<string, string>): Record<string, string> {
  const own = (cp: string): Record<string, string> => {
    if (cp === "") return deploymentEnv;
    const component = app.components?.get(cp);
    const parent = cp.includes("/") ? cp.slice(0, cp.lastIndexOf("/")) : "";
    const env: Record<string, string> = {};
    for (const name of ["CONVEX_CLOUD_URL", "CONVEX_SITE_URL"]) if (deploymentEnv[name] !== undefined) env[name] = deploymentEnv[name];
    for (const [name, arg] of component?.env ?? []) {
      const value = arg.type === "value" ? arg.value : own(parent)[arg.name];
      if (value !== undefined) env[name] = value;
    }
    return env;
  };
  return own(componentPath);
}

/**
 * The router that serves a site path: the mounted component with the longest prefix of it (its
 * routes see the path below the prefix), otherwise the app's `http.ts`.
 */
export function httpRoute(
  app: LoadedApp,
  pathname: string,
): { router: any | null; module?: ModuleSource; path: string; componentPath: string } {
  let best: LoadedComponent | null = null;
  for (const c of app.components?.values() ?? []) {
    if (c.httpPrefix === null || !c.httpRouter || !pathname.startsWith(c.httpPrefix)) continue;
    if (!best || c.httpPrefix.length > best.httpPrefix!.length) best = c;
  }
  if (!best) return { router: app.httpRouter, module: app.httpModule, path: pathname, componentPath: "" };
  return { router: best.httpRouter, module: best.httpModule, path: pathname.slice(best.httpPrefix!.length - 1), componentPath: best.path };
}

/** The functions of one component path ("" is the app), or undefined when no such component is installed. */
export function functionsOf(app: LoadedApp, componentPath: string): Map<string, RegisteredFunction> | undefined {
  return componentPath === "" ? app.functions : app.components?.get(componentPath)?.functions;
}

/**
 * The schema the catalog pushes for the whole tree: the app's tables under their names, each
 * component's tables under `<componentPath>/<table>`. One push, so tables of every component are
 * "declared" and keep their indexes.
 */
export function treeSchema(app: LoadedApp): SchemaJson | null {
  const components = [...(app.components?.values() ?? [])].filter((c) => c.schema !== null);
  if (components.length === 0) return app.schema;
  const tables: SchemaJson["tables"] = [...(app.schema?.tables ?? [])];
  for (const c of components) {
    for (const t of c.schema!.tables) tables.push({ ...t, tableName: physicalTableName(c.path, t.tableName) });
  }
  // Each component's documents are checked against its own schema; an app without a schema
  // still has validated components.
  return { tables, schemaValidation: app.schema?.schemaValidation ?? true };
}

/** A function a caller addressed: the component it lives in and its canonical `mod:fn` path. */
export interface FunctionAddress {
  componentPath: string;
  path: string;
  /** Addressed by a function handle, which its creator could call: internal functions included. */
  viaHandle?: boolean;
}

/**
 * Whether a caller in `callerComponent` may run an internal function at `address`: its own, or
 * any through a handle. Another component's functions are otherwise reachable only when public
 * (Convex docs, components/authoring: "Only public functions are accessible").
 */
export function mayCallInternal(callerComponent: string, address: FunctionAddress): boolean {
  return address.viaHandle === true || address.componentPath === callerComponent;
}

const HANDLE_PREFIX = "function://";

/** `createFunctionHandle`'s string for a function; opaque to callers (Convex's are `_function_handles` ids). */
export function functionHandle(address: FunctionAddress): string {
  return `${HANDLE_PREFIX}${address.componentPath};${address.path}`;
}

/**
 * Resolves the `{name | reference | functionHandle}` address of `ctx.runQuery`/`runMutation`/
 * `runAction`, the scheduler and `createFunctionHandle`, from the calling component:
 * a name is in the caller's own component; `_reference/childComponent/<child>/<mod…>/<fn>`
 * (what `components.<child>.mod.fn` serializes to) is in the caller's child; a handle is absolute.
 */
export function resolveAddress(
  callerComponent: string,
  args: { name?: string; reference?: string; functionHandle?: string },
): FunctionAddress {
  if (typeof args.name === "string") return { componentPath: callerComponent, path: canonicalizePath(args.name) };
  if (typeof args.reference === "string") {
    const ref = args.reference;
    const child = /^_reference\/childComponent\/([^/]+)\/(.+)\/([^/]+)$/.exec(ref);
    if (child) {
      const componentPath = callerComponent === "" ? child[1] : `${callerComponent}/${child[1]}`;
      return { componentPath, path: `${child[2]}:${child[3]}` };
    }
    const own = /^_reference\/app\/(.+)\/([^/]+)$/.exec(ref);
    if (own) return { componentPath: callerComponent, path: `${own[1]}:${own[2]}` };
    throw new Error(`Invalid function reference "${ref}": expected components.<name>.<module>.<function>.`);
  }
  if (typeof args.functionHandle === "string") {
    const h = args.functionHandle;
    const semi = h.indexOf(";");
    if (!h.startsWith(HANDLE_PREFIX) || semi < 0) throw new Error(`Invalid function handle "${h}".`);
    return { componentPath: h.slice(HANDLE_PREFIX.length, semi), path: canonicalizePath(h.slice(semi + 1)), viaHandle: true };
  }
  throw new Error("A function call needs a function name, reference or handle.");
}

/** How a component path reads in messages: `'rateLimiter/lib:limit'`-style prefixes. */
export function describeAddress(address: FunctionAddress): string {
  return address.componentPath === "" ? address.path : `${address.componentPath}/${address.path}`;
}

export { componentPathOf };

/**
 * A table (or `table.index`) name written by a function of `componentPath`, as the catalog names
 * it. A `/` would reach into another component's tables, so it is refused like any non-identifier.
 */
export function scopedName(componentPath: string, name: string): string {
  if (typeof name !== "string" || name.includes("/")) {
    throw new UserError(`Table name ${JSON.stringify(name)} is invalid: table names must be identifiers.`);
  }
  return physicalTableName(componentPath, name);
}

/**
 * Scheduled jobs of the whole tree share `_scheduled_functions`; a job of a component carries
 * `component` (runner.ts scheduleInTx). Each component sees only its own, as in Convex where the
 * table is per component.
 */
const JOBS_TABLE = "_scheduled_functions";

/** A serialized query (`1.0/queryStream`, `1.0/queryPage`) with its table or index in the caller's component. */
export function scopeQuery<Q extends { source: any; operators?: unknown[] }>(componentPath: string, query: Q): Q {
  const src = query.source;
  let scoped: Q = query;
  if (src?.type === "FullTableScan") scoped = { ...query, source: { ...src, tableName: scopedName(componentPath, src.tableName) } };
  else if (typeof src?.indexName === "string") scoped = { ...query, source: { ...src, indexName: scopedName(componentPath, src.indexName) } };
  const table = src?.type === "FullTableScan" ? src.tableName : typeof src?.indexName === "string" ? src.indexName.split(".")[0] : null;
  if (table !== JOBS_TABLE) return scoped;
  // Only this component's jobs: a filter ahead of the query's own operators (limits apply after it).
  const own = { $eq: [{ $field: "component" }, { $literal: componentPath === "" ? { $undefined: null } : componentPath }] };
  return { ...scoped, operators: [{ filter: own }, ...(query.operators ?? [])] };
}

/**
 * Whether a system document read by ID belongs to the caller's component (jobs; other system
 * tables are shared). `doc` is asked only for a job: parsing every document a `db.get` returns,
 * on the thread that serves every read, only to learn its table was not that one, was a few
 * percent of an uncached reader query (issue #18).
 */
export function systemDocVisibleFrom(componentPath: string, tableName: string, doc: () => Record<string, unknown>): boolean {
  return tableName !== JOBS_TABLE || (doc().component ?? "") === componentPath;
}

/**
 * Whether a document ID may be used from `componentPath`: its table must be one of the
 * component's own (or a shared system table). IDs of other components' tables read as missing.
 */
export function idVisibleFrom(catalog: Catalog, componentPath: string, id: unknown): boolean {
  if (typeof id !== "string") return true;
  const decoded = decodeDocumentId(id);
  return tableVisibleFrom(decoded ? catalog.tableName(decoded.tableNumber) : undefined, componentPath);
}

/** `idVisibleFrom` for an ID already decoded to its table's name (undefined: no such table). */
export function tableVisibleFrom(tableName: string | undefined, componentPath: string): boolean {
  if (tableName === undefined) return true; // not a document of any table: the usual errors apply
  return tableName.startsWith("_") || componentPathOf(tableName) === componentPath;
}

/** A component given as convex-test's `registerComponent(path, schema, modules)` takes it. */
export interface RegisteredComponent {
  schema?: { export(): string };
  /** `import.meta.glob` of the component's folder (with its `_generated/`). */
  modules: Record<string, () => Promise<any>>;
}

/** Loads harness-registered components, by component path, for `installComponents`. */
export async function loadRegisteredComponents(registered: Record<string, RegisteredComponent>): Promise<Map<string, ComponentInput>> {
  const out = new Map<string, ComponentInput>();
  for (const [componentPath, c] of Object.entries(registered)) {
    out.set(componentPath, { definitionName: null, app: await loadFromGlob(c.modules, c.schema) });
  }
  return out;
}

// ---- loading convex.config.ts ------------------------------------------------------------------

/** A definition (`defineApp()`/`defineComponent()`) as the `convex` package exports it for analysis. */
interface DefinitionAnalysis {
  name?: string;
  childComponents: Array<{ name: string; path: string; env?: Array<[string, ComponentEnvArg]> | null }>;
  /** Mount prefix → `_reference/childComponent/<name>`, for children used with an `httpPrefix`. */
  httpMounts?: Record<string, string>;
}

const CONFIG_NAMES = ["convex.config.ts", "convex.config.js", "convex.config.mts", "convex.config.mjs"];

function configIn(dir: string): string | null {
  for (const n of CONFIG_NAMES) if (existsSync(path.join(dir, n))) return path.join(dir, n);
  return null;
}

let configCounter = 0;

/** A definition to evaluate: its key (folder, or definition path of a push) and its source. */
interface DefinitionEntry {
  key: string;
  input: { file: string } | { source: string; resolveDir: string };
}

/**
 * Finds a definition's imports of other definitions: registers an esbuild onResolve that answers
 * `{ path: <key>, namespace: "component-definition", pluginData: <DefinitionEntry> }` for them.
 */
type ChildImports = (b: PluginBuild) => void;

/**
 * Bundles and evaluates one definition (`convex.config.*`). Its imports of other definitions
 * become `{ componentDefinitionPath, defaultName }`, the shape `app.use` expects in Convex's
 * runtime (the CLI marks them external and the backend provides them); evaluating the imported
 * definition first gives its `defineComponent` name.
 */
async function evaluateDefinition(
  entry: DefinitionEntry,
  childImports: ChildImports,
  outDir: string,
  cache: Map<string, DefinitionAnalysis>,
): Promise<DefinitionAnalysis> {
  const cached = cache.get(entry.key);
  if (cached) return cached;
  const plugin: Plugin = {
    name: "local-backend-component-definitions",
    setup(b) {
      childImports(b);
      b.onLoad({ filter: /.*/, namespace: "component-definition" }, async (args) => {
        const child = args.pluginData as DefinitionEntry;
        const analysis = await evaluateDefinition(child, childImports, outDir, cache);
        const definition = { componentDefinitionPath: child.key, defaultName: analysis.name ?? path.basename(child.key) };
        return { contents: `export default ${JSON.stringify(definition)};`, loader: "js" };
      });
    },
  };
  const shown = "file" in entry.input ? entry.input.file : `the definition of ${entry.key}`;
  // Named like modules.ts's bundles, which Vitest leaves to Node (vite.config.ts `external`).
  const out = path.join(outDir, `local-backend-build-config-${process.pid}-${++configCounter}.js`);
  mkdirSync(outDir, { recursive: true });
  try {
    await build({
      ...("file" in entry.input
        ? { entryPoints: [entry.input.file] }
        : { stdin: { contents: entry.input.source, resolveDir: entry.input.resolveDir, loader: "js" as const } }),
      outfile: out,
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["convex", "module"],
      logLevel: "silent",
      target: "es2022",
      plugins: [plugin],
    });
  } catch (e: any) {
    const messages = (e.errors ?? []).map((m: any) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text));
    throw new ModuleLoadError(`Failed to bundle ${shown}:\n${messages.join("\n") || e.message}`);
  }
  const definition = (await import(/* @vite-ignore */ pathToFileURL(out).href)).default;
  if (!definition || typeof definition.export !== "function") {
    throw new ModuleLoadError(`${shown} must export default defineApp() or defineComponent(...).`);
  }
  const analysis = definition.export() as DefinitionAnalysis;
  const result = { name: definition._name ?? analysis.name, childComponents: analysis.childComponents ?? [], httpMounts: analysis.httpMounts ?? {} };
  cache.set(entry.key, result);
  return result;
}

/** In a folder: imports of a `convex.config` file are definitions, keyed by their folder. */
const configFileImports: ChildImports = (b) => {
  b.onResolve({ filter: /convex\.config/ }, async (args) => {
    if (args.kind === "entry-point" || args.pluginData === "resolving") return undefined;
    const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: "resolving" });
    if (r.errors.length > 0) return { errors: r.errors };
    const entry: DefinitionEntry = { key: path.dirname(r.path), input: { file: r.path } };
    return { path: entry.key, namespace: "component-definition", pluginData: entry };
  });
};

function evaluateConfig(file: string, outDir: string, cache: Map<string, DefinitionAnalysis>): Promise<DefinitionAnalysis> {
  return evaluateDefinition({ key: path.dirname(file), input: { file } }, configFileImports, outDir, cache);
}

/**
 * Walks a component tree from the app's definition, depth first: each child the definition uses
 * (by `componentDefinitionPath`) is found by `child`, which gives its definition and its modules.
 */
async function walkTree(
  root: DefinitionEntry,
  childImports: ChildImports,
  child: (definitionPath: string, componentPath: string) => Promise<{ entry: DefinitionEntry; app: LoadedApp }>,
  outDir: string,
): Promise<Map<string, ComponentInput>> {
  const tree = new Map<string, ComponentInput>();
  const analyses = new Map<string, DefinitionAnalysis>();
  // `prefix`: where this definition's instance is mounted ("" for the app, null when not mounted).
  const visit = async (entry: DefinitionEntry, componentPath: string, stack: string[], prefix: string | null) => {
    const analysis = await evaluateDefinition(entry, childImports, outDir, analyses);
    for (const used of analysis.childComponents) {
      const mount = Object.entries(analysis.httpMounts ?? {}).find(([, ref]) => ref === `_reference/childComponent/${used.name}`)?.[0];
      const httpPrefix = prefix !== null && mount !== undefined ? prefix.replace(/\/$/, "") + mount : null;
      const childPath = componentPath === "" ? used.name : `${componentPath}/${used.name}`;
      if (stack.includes(used.path)) throw new ModuleLoadError(`Component cycle: ${[...stack, used.path].join(" -> ")}`);
      const found = await child(used.path, childPath);
      const childAnalysis = await evaluateDefinition(found.entry, childImports, outDir, analyses);
      tree.set(childPath, { definitionName: childAnalysis.name ?? null, app: found.app, env: used.env ?? null, httpPrefix });
      await visit(found.entry, childPath, [...stack, used.path], httpPrefix);
    }
  };
  await visit(root, "", [root.key], "");
  return tree;
}

/**
 * Loads the component tree of an app folder: reads `convexDir/convex.config.*` (none: no
 * components), then each used component's definition folder (a local folder or a package's
 * `convex.config.js` directory in node_modules), bundling its functions like an app's.
 */
export async function loadComponentTree(convexDir: string, outDir: string): Promise<Map<string, ComponentInput>> {
  const appConfig = configIn(convexDir);
  if (!appConfig) return new Map();
  const loaded = new Map<string, LoadedApp>();
  return walkTree({ key: convexDir, input: { file: appConfig } }, configFileImports, async (dir, componentPath) => {
    const config = configIn(dir);
    if (!config) throw new ModuleLoadError(`Component "${componentPath}": no convex.config.js in ${dir}.`);
    let app = loaded.get(dir);
    if (!app) loaded.set(dir, (app = await bundleAndLoad(dir, outDir)));
    return { entry: { key: dir, input: { file: config } }, app };
  }, outDir);
}

const COMPONENT_DEPS = /^\.\/_componentDeps\/([A-Za-z0-9_-]+)$/;

/**
 * The component tree of a push (deployApi `startPush`): the app's bundled `convex.config.js`
 * (`appDefinition.definition.source`; null: no components) and, by definition path, each
 * component definition's bundled config (`componentDefinitions[].definition.source`) with its
 * loaded modules. The CLI leaves a definition's imports of other definitions as
 * `./_componentDeps/<base64url(definition path)>` (cli/lib/components/definition/bundle.ts).
 * `resolveDir` is where other imports of the sources resolve (pushed sources have none).
 */
export async function pushedComponentTree(
  appDefinitionSource: string | null,
  definitions: Map<string, { definitionSource: string; app: LoadedApp }>,
  outDir: string,
  resolveDir = outDir,
): Promise<Map<string, ComponentInput>> {
  if (appDefinitionSource === null) return new Map();
  const entryOf = (definitionPath: string): DefinitionEntry => {
    const d = definitions.get(definitionPath);
    if (!d) throw new ModuleLoadError(`The push uses component definition "${definitionPath}" but does not include it.`);
    return { key: definitionPath, input: { source: d.definitionSource, resolveDir } };
  };
  const deps: ChildImports = (b) => {
    b.onResolve({ filter: COMPONENT_DEPS }, (args) => {
      const definitionPath = Buffer.from(COMPONENT_DEPS.exec(args.path)![1], "base64url").toString();
      return { path: definitionPath, namespace: "component-definition", pluginData: entryOf(definitionPath) };
    });
  };
  return walkTree({ key: "", input: { source: appDefinitionSource, resolveDir } }, deps, async (definitionPath) => ({
    entry: entryOf(definitionPath),
    app: definitions.get(definitionPath)!.app,
  }), outDir);
}
