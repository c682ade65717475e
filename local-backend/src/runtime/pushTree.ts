/**
 * Pushed bundles on disk, and the component tree of a push (issue #13 item 2): the CLI sends the
 * app's bundled `convex.config.js` (`appDefinition.definition`) and, per component definition
 * (`componentDefinitions[]`, by definition path such as `../components/counter`), its bundled
 * config, functions and schema. They are written under the push's folder, loaded, and installed
 * with `installComponents` as one tree, so a broken component refuses the whole push. The
 * `start_push` answer describes each definition (`analysis`), which the CLI's codegen turns into
 * the typed `components` object; shapes follow convex/src/cli/lib/deployApi/.
 */
import { mkdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { transform } from "./esbuildService.js";
import type { SchemaJson } from "./catalog.js";
import { installComponents, pushedComponentTree, type ComponentInput } from "./components.js";
import { analyzeNodeModules } from "./isolate/analyzeNode.js";
import { loadFromGlob, ModuleLoadError, type LoadedApp, type ModuleLoader, type RegisteredFunction } from "./modules.js";

export interface PushedModule {
  path: string;
  source: string;
  sourceMap?: string;
  environment: "isolate" | "node";
}

export async function writeModules(dir: string, all: PushedModule[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');
  for (const m of all) {
    if (typeof m?.path !== "string" || typeof m.source !== "string") throw new ModuleLoadError("A pushed module has no path or source.");
    if (m.path.split("/").some((p) => p === ".." || p === "") || path.isAbsolute(m.path) || !m.path.endsWith(".js")) {
      throw new ModuleLoadError(`Invalid module path ${JSON.stringify(m.path)}.`);
    }
    const isolateDefines = { process: "globalThis.__convexLocalProcess", "globalThis.process": "globalThis.__convexLocalProcess" };
    let code: string;
    try {
      code = (
        await transform(m.source, {
          loader: "js",
          format: "esm",
          target: "es2022",
          define: { "process.env": "globalThis.__convexLocalEnv", ...(m.environment === "isolate" ? isolateDefines : {}) },
          // No require() is added to "use node" bundles, as on Convex: a CommonJS dependency that
          // requires a Node built-in must be an external package (convex.json), see pushDeps.ts.
        })
      ).code;
    } catch (e) {
      throw new ModuleLoadError(`Failed to analyze ${m.path}: ${(e as Error).message}`);
    }
    const file = path.join(dir, m.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, code);
  }
}

/** Imports modules written by writeModules (at start_push, or again after a restart) as an app. */
export async function loadModules(dir: string, modules: Array<{ path: string; environment: string }>, hasSchema: boolean): Promise<LoadedApp> {
  const runtimeOf = new Map(modules.map((m) => [m.path, m.environment === "node" ? ("node" as const) : ("isolate" as const)]));
  const load = (p: string): ModuleLoader => {
    const url = pathToFileURL(path.join(dir, p)).href;
    const loader: ModuleLoader = async () => {
      try {
        return await import(/* @vite-ignore */ url);
      } catch (e) {
        throw new ModuleLoadError(`Failed to analyze ${p}: Uncaught ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    };
    // Isolate workers import the same file to run its functions (isolate/pool.ts).
    loader.source = { url, runtime: runtimeOf.get(p) ?? "isolate" };
    return loader;
  };
  // "use node" modules are analyzed in a worker that stops afterwards, never loaded in this thread.
  const entries = modules.filter((m) => !m.path.startsWith("_deps/"));
  const nodeEntries = entries.filter((m) => runtimeOf.get(m.path) === "node");
  const analyses = await analyzeNodeModules(nodeEntries.map((m) => ({ url: pathToFileURL(path.join(dir, m.path)).href, modPath: m.path.slice(0, -3) })));
  // loadFromGlob finds the root by `_generated/` and applies the entry rules; chunks are not entries.
  const glob: Record<string, ModuleLoader> = { "/push/_generated/api.js": async () => ({}) };
  for (const m of entries) {
    const loader = load(m.path);
    const analysis = analyses.get(loader.source!.url);
    if (analysis && !analysis.ok) {
      throw new ModuleLoadError(analysis.moduleError ? analysis.message : `Failed to analyze ${m.path}: Uncaught ${analysis.name ? `${analysis.name}: ` : ""}${analysis.message}`);
    }
    if (analysis?.ok) loader.analyzed = analysis.functions;
    glob[`/push/${m.path}`] = loader;
  }
  if (hasSchema) glob["/push/schema.js"] = load("schema.js");
  const app = await loadFromGlob(glob);
  for (const m of modules) {
    if (m.environment !== "node") continue;
    const mod = m.path.slice(0, -3);
    for (const f of app.functions.values()) {
      if (f.path.startsWith(`${mod}:`) && f.kind !== "action") {
        throw new ModuleLoadError(`${mod}: "use node" modules may only contain actions, but \`${f.path.split(":")[1]}\` is a ${f.kind}.`);
      }
    }
  }
  return app;
}

/** What a push's folder keeps of its component definitions, to load them again after a restart. */
export interface ComponentsSpec {
  /** The app's bundled `convex.config.js`; null: the app has no components. */
  appDefinition: string | null;
  definitions: Array<{
    definitionPath: string;
    definition: string;
    modules: Array<{ path: string; environment: "isolate" | "node" }>;
    hasSchema: boolean;
    udfServerVersion: string;
  }>;
}

/** Component definitions live beside the app's modules; a dot folder is never a CLI module path. */
const COMPONENTS_DIR = ".components";

/**
 * Writes the component definitions of a `start_push` request under `dir` and returns their spec.
 * A request without an app definition but with component definitions is refused.
 */
export async function writeComponents(dir: string, appDefinition: any, componentDefinitions: unknown): Promise<ComponentsSpec> {
  const defs: any[] = componentDefinitions === undefined ? [] : (componentDefinitions as any[]);
  if (!Array.isArray(defs)) throw new ModuleLoadError("componentDefinitions must be an array.");
  const appSource = appDefinition?.definition?.source;
  if (appDefinition?.definition != null && typeof appSource !== "string") throw new ModuleLoadError("The app's convex.config.js has no source.");
  if (defs.length > 0 && typeof appSource !== "string") {
    throw new ModuleLoadError("The push defines components but no app definition (convex.config.ts) that uses them.");
  }
  const spec: ComponentsSpec = { appDefinition: typeof appSource === "string" ? appSource : null, definitions: [] };
  const seen = new Set<string>();
  for (const [i, d] of defs.entries()) {
    const definitionPath = d?.definitionPath;
    if (typeof definitionPath !== "string" || seen.has(definitionPath)) {
      throw new ModuleLoadError(`Component definition ${JSON.stringify(definitionPath)} is missing its path or is sent twice.`);
    }
    seen.add(definitionPath);
    if (typeof d.definition?.source !== "string" || !Array.isArray(d.functions)) {
      throw new ModuleLoadError(`Component definition "${definitionPath}" has no definition source or no functions.`);
    }
    const modules: PushedModule[] = d.functions;
    try {
      await writeModules(path.join(dir, COMPONENTS_DIR, String(i)), d.schema ? [...modules, d.schema] : modules);
    } catch (e) {
      throw new ModuleLoadError(`In component definition "${definitionPath}": ${(e as Error).message}`);
    }
    spec.definitions.push({
      definitionPath,
      definition: d.definition.source,
      modules: modules.map((m) => ({ path: m.path, environment: m.environment })),
      hasSchema: !!d.schema,
      udfServerVersion: String(d.udfServerVersion ?? ""),
    });
  }
  mkdirSync(path.join(dir, COMPONENTS_DIR), { recursive: true });
  writeFileSync(path.join(dir, COMPONENTS_DIR, "spec.json"), JSON.stringify(spec));
  return spec;
}

/** The spec an installed push folder kept (none for pushes made before components were pushed). */
export function readComponentsSpec(dir: string): ComponentsSpec | null {
  const f = path.join(dir, COMPONENTS_DIR, "spec.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as ComponentsSpec) : null;
}

/** An app with its pushed component tree, and which definition each instance is. */
export interface PushedTree {
  app: LoadedApp;
  tree: Map<string, ComponentInput>;
  /** Definition path by component path ("" is the app's, ""). */
  definitionOf: Map<string, string>;
  definitions: Map<string, { app: LoadedApp; spec: ComponentsSpec["definitions"][number] }>;
}

/** Loads the definitions of `spec` (written under `dir`) and installs their tree into `app`. */
export async function loadComponents(dir: string, spec: ComponentsSpec | null, app: LoadedApp): Promise<PushedTree> {
  const definitions: PushedTree["definitions"] = new Map();
  for (const [i, d] of (spec?.definitions ?? []).entries()) {
    try {
      definitions.set(d.definitionPath, { app: await loadModules(path.join(dir, COMPONENTS_DIR, String(i)), d.modules, d.hasSchema), spec: d });
    } catch (e) {
      throw new ModuleLoadError(`In component definition "${d.definitionPath}": ${(e as Error).message}`);
    }
  }
  const sources = new Map([...definitions].map(([p, d]) => [p, { definitionSource: d.spec.definition, app: d.app }]));
  const tree = await pushedComponentTree(spec?.appDefinition ?? null, sources, path.join(dir, COMPONENTS_DIR, "definitions"));
  const pathOfApp = new Map([...definitions].map(([p, d]) => [d.app, p]));
  const definitionOf = new Map<string, string>([["", ""]]);
  for (const [componentPath, input] of tree) definitionOf.set(componentPath, pathOfApp.get(input.app)!);
  return { app: tree.size > 0 ? installComponents(app, tree) : app, tree, definitionOf, definitions };
}

const childrenOf = (pushed: PushedTree, componentPath: string) =>
  [...pushed.tree].filter(([p]) => (componentPath === "" ? !p.includes("/") : p.startsWith(`${componentPath}/`) && !p.slice(componentPath.length + 1).includes("/")));
const nameOf = (componentPath: string) => componentPath.slice(componentPath.lastIndexOf("/") + 1);

/**
 * A validator as Convex's analysis reports it: object fields sorted by name at every depth (the
 * backend keeps them in a sorted map), so generated types list `{ by; name }` as Convex's do.
 */
function sortedValidator(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedValidator);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = sortedValidator(x);
  if (o.type === "object" && o.value !== null && typeof o.value === "object") {
    const fields = out.value as Record<string, unknown>;
    out.value = Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]]));
  }
  return out;
}

/** A definition's functions by module (CLI `analyzedModule`), from the modules it was pushed with. */
function analyzedModules(functions: Iterable<RegisteredFunction>, modules: Array<{ path: string }>): Record<string, object> {
  const all = [...functions];
  const out: Record<string, object> = {};
  for (const m of modules) {
    if (m.path.startsWith("_deps/")) continue;
    const mod = m.path.slice(0, -3);
    const fns = all
      .filter((f) => f.path.startsWith(`${mod}:`))
      .map((f) => ({
        name: f.path.slice(mod.length + 1),
        pos: null,
        udfType: f.kind === "query" ? "Query" : f.kind === "mutation" ? "Mutation" : "Action",
        visibility: { kind: f.visibility },
        args: f.args === null ? null : JSON.stringify(sortedValidator(f.args)),
        returns: f.returns === null ? null : JSON.stringify(sortedValidator(f.returns)),
      }));
    out[m.path] = { functions: fns, httpRoutes: null, cronSpecs: null, sourceMapped: null };
  }
  return out;
}

type ExportTree = { type: "branch"; branch: Array<[string, ExportTree]> } | { type: "leaf"; leaf: string };

/**
 * What a component exposes to its parent (`components.<name>.…`): its public functions, nested
 * by module path, as references `_reference/function/<module>:<name>`. Internal functions are
 * not exported (Convex docs, components/authoring: only public functions are accessible).
 */
function publicExports(functions: Iterable<RegisteredFunction>): ExportTree & { type: "branch" } {
  const root: ExportTree & { type: "branch" } = { type: "branch", branch: [] };
  for (const f of functions) {
    if (f.visibility !== "public") continue;
    const [mod, name] = f.path.split(":");
    let node = root;
    for (const part of mod.split("/")) {
      let next = node.branch.find(([n]) => n === part)?.[1];
      if (!next || next.type !== "branch") node.branch.push([part, (next = { type: "branch", branch: [] })]);
      node = next;
    }
    node.branch.push([name, { type: "leaf", leaf: `_reference/function/${f.path}` }]);
  }
  return root;
}

/** Where a child is mounted in its parent's site routes (`use(c, { httpPrefix })`), by mount prefix. */
function httpMounts(pushed: PushedTree, componentPath: string): Record<string, string> {
  const own = componentPath === "" ? "" : (pushed.tree.get(componentPath)?.httpPrefix ?? null);
  const mounts: Record<string, string> = {};
  if (own === null) return mounts;
  for (const [p, c] of childrenOf(pushed, componentPath)) {
    if (c.httpPrefix != null) mounts[c.httpPrefix.slice(own.replace(/\/$/, "").length)] = `_reference/childComponent/${nameOf(p)}`;
  }
  return mounts;
}

/**
 * The `analysis` of a `start_push` answer: per definition path ("" the app), its metadata
 * (children with their definition paths, exports), schema and functions. Metadata of a
 * definition installed more than once is read from its first instance (all instances share it).
 */
export function analyses(pushed: PushedTree, appModules: Array<{ path: string }>, serverVersion: string): Record<string, object> {
  const udfConfig = (v: string) => ({ serverVersion: v, importPhaseRngSeed: null, importPhaseUnixTimestamp: null });
  const metadata = (definitionPath: string, componentPath: string) => ({
    path: definitionPath,
    definitionType:
      componentPath === "" ? { type: "app" } : { type: "childComponent", name: pushed.tree.get(componentPath)?.definitionName ?? nameOf(componentPath) },
    childComponents: childrenOf(pushed, componentPath).map(([p, c]) => ({ name: nameOf(p), path: pushed.definitionOf.get(p)!, env: c.env ?? null })),
    httpMounts: httpMounts(pushed, componentPath),
    exports: componentPath === "" ? { type: "branch", branch: [] } : publicExports(pushed.definitions.get(definitionPath)!.app.functions.values()),
  });
  const out: Record<string, object> = {
    "": {
      definition: metadata("", ""),
      schema: pushed.app.schema,
      functions: analyzedModules(pushed.app.functions.values(), appModules),
      udfConfig: udfConfig(serverVersion),
    },
  };
  for (const [definitionPath, d] of pushed.definitions) {
    const instance = [...pushed.definitionOf].find(([p, dp]) => p !== "" && dp === definitionPath)?.[0];
    // A definition sent but not used anywhere in the tree is still described (no instance: no children).
    out[definitionPath] = {
      definition: instance
        ? metadata(definitionPath, instance)
        : { path: definitionPath, definitionType: { type: "childComponent", name: nameOf(definitionPath) }, childComponents: [], httpMounts: {}, exports: publicExports(d.app.functions.values()) },
      schema: d.app.schema,
      functions: analyzedModules(d.app.functions.values(), d.spec.modules),
      udfConfig: udfConfig(d.spec.udfServerVersion),
    };
  }
  return out;
}

/** The checked tree of a `start_push` answer (CLI `checkedComponent`), from the app down. */
export function checkedTree(pushed: PushedTree, routes: (app: LoadedApp) => Array<{ method: string; path: string }> | null): object {
  const node = (componentPath: string): object => {
    const input = pushed.tree.get(componentPath);
    return {
      definitionPath: pushed.definitionOf.get(componentPath) ?? "",
      componentPath,
      args: {},
      childComponents: Object.fromEntries(childrenOf(pushed, componentPath).map(([p]) => [nameOf(p), node(p)])),
      httpRoutes: { httpModuleRoutes: routes(input ? input.app : pushed.app), mounts: Object.keys(httpMounts(pushed, componentPath)) },
      exports: {},
    };
  };
  return node("");
}

/** A component's schema by component path, in the installed or the pushed app ("" the app's). */
export function schemaAt(app: LoadedApp, componentPath: string): SchemaJson | null {
  return componentPath === "" ? app.schema : (app.components?.get(componentPath)?.schema ?? null);
}
