// Over 400 lines: module loading end to end: entry rules, bundling, analysis of exports, loading from globs.
import type { Plugin } from "esbuild";
import { build } from "./esbuildService.js";
import { builtinModules } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ValidatorJSON } from "convex/values";
import { analyzeExports, type AnalyzedFunction } from "./analyze.js";
import { analyzeNodeModules } from "./isolate/analyzeNode.js";
import type { FunctionKind } from "./context.js";
import type { SchemaJson } from "./catalog.js";
import { ModuleLoadError } from "./moduleLoadError.js";
import { externalPackagesOf, linkExternalPackages } from "./pushDeps.js";

export interface RegisteredFunction {
  /** Canonical path, `dir/module:export`. */
  path: string;
  kind: Exclude<FunctionKind, "httpAction">;
  visibility: "public" | "internal";
  /** The registered function object (with invokeQuery/invokeMutation/invokeAction). */
  fn: any;
  args: ValidatorJSON | null;
  returns: ValidatorJSON | null;
  /** The component it belongs to (components.ts); absent or "" for the app's own functions. */
  componentPath?: string;
  /**
   * The bundled module file it was loaded from, when there is one: an isolate worker imports it
   * to run the function with Convex's limits (isolate/pool.ts). Absent: it runs in-process.
   */
  module?: ModuleSource;
}

/** A bundled module file and the runtime it was built for. */
export interface ModuleSource {
  url: string;
  runtime: "isolate" | "node";
}

/** A convex-test style module loader; a loader that imports a file says which (`url`). */
export type ModuleLoader = (() => Promise<any>) & {
  source?: ModuleSource;
  /** Analyzed in a worker (isolate/analyzeNode.ts): registered from this, the module never loaded here. */
  analyzed?: AnalyzedFunction[];
};

/** Everything the backend needs from an app's `convex/` folder. */
export interface LoadedApp {
  functions: Map<string, RegisteredFunction>;
  schema: SchemaJson | null;
  /** The default export of `convex/http.ts` (an HttpRouter), if any. */
  httpRouter: any | null;
  /** The bundled `http` module, when loaded from a file (its router runs in an isolate worker). */
  httpModule?: ModuleSource;
  /** The default export of `convex/crons.ts`, if any. */
  crons: any | null;
  /** The default export of `convex/auth.config.ts`, if any. */
  authConfig: any | null;
  /** Modules left out because they failed to load (only when loaded with `tolerateModuleErrors`). */
  moduleErrors?: ModuleError[];
  /** Installed components by component path (components.ts `installComponents`). */
  components?: Map<string, LoadedComponent>;
}

/** One installed component: where it sits in the tree and what it runs. */
export interface LoadedComponent {
  /** Component path from the app: child names joined by "/". */
  path: string;
  /** `defineComponent(name)`'s name; null when the harness registered it without a definition. */
  definitionName: string | null;
  functions: Map<string, RegisteredFunction>;
  schema: SchemaJson | null;
  /** Environment variables its parent passes (`use(c, { env })`): values, or the parent's variables by name. */
  env: Array<[string, ComponentEnvArg]>;
  /** Its `http.ts` router, and the site path prefix it answers under (`use(c, { httpPrefix })`; null: not mounted). */
  httpRouter: any | null;
  /** The bundled file of that router, when loaded from one (it then runs in an isolate worker). */
  httpModule?: ModuleSource;
  httpPrefix: string | null;
}

/** One `use(component, { env })` entry as the definition serializes it. */
export type ComponentEnvArg = { type: "value"; value: string } | { type: "envVar"; name: string };

/** A module that failed to bundle, import or register: its file (relative to convex/) and why. */
export interface ModuleError {
  /** Module path, `dir/file`. */
  module: string;
  /** Source file relative to the `convex/` folder, `dir/file.ts`. */
  file: string;
  message: string;
}

export interface LoadOptions {
  /**
   * Development (`--watch`, `dev: true`): a module that fails is left out and reported in
   * `moduleErrors`, the others load. Without it (a deploy) any failing module refuses the app.
   */
  tolerateModuleErrors?: boolean;
}

export { ModuleLoadError };

const EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".jsx"]);
const PATH_COMPONENT = /^[A-Za-z0-9_.]+$/;

/**
 * Function entry files of a `convex/` folder, by the rules of the Convex CLI's bundler: skip
 * `_generated/`, dotfiles and `#` files, `schema.*`, names with more than one dot (`*.test.ts`,
 * `auth.config.ts`), paths with spaces, and component folders (with their own convex.config.ts).
 */
export function discoverEntries(convexDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (name.startsWith(".") || name.startsWith("#") || name.includes(" ")) continue;
      if (statSync(full).isDirectory()) {
        if (name === "_generated" || name === "node_modules") continue;
        if (existsSync(path.join(full, "convex.config.ts"))) continue;
        walk(full);
        continue;
      }
      const ext = path.extname(name);
      if (!EXTENSIONS.has(ext)) continue;
      const base = name.slice(0, -ext.length);
      if (base.includes(".")) continue;
      if (dir === convexDir && base === "schema") continue;
      if (name.endsWith(".d.ts")) continue;
      out.push(full);
    }
  };
  walk(convexDir);
  return out;
}

/** `convex/dir/file.ts` → `dir/file`, checked against Convex's module path rules. */
export function modulePath(convexDir: string, file: string): string {
  const rel = path.relative(convexDir, file).split(path.sep).join("/");
  const withoutExt = rel.slice(0, -path.extname(rel).length);
  for (const part of withoutExt.split("/")) {
    if (!PATH_COMPONENT.test(part) || !/[A-Za-z0-9]/.test(part)) {
      throw new ModuleLoadError(
        `${rel}: Path component ${part} can only contain alphanumeric characters, underscores, or periods.`,
      );
    }
  }
  return withoutExt;
}

const USE_NODE = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*["']use node["']/;

export function isUseNode(file: string): boolean {
  return USE_NODE.test(readFileSync(file, "utf8"));
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Whether the package that holds `importer` maps `spec` to nothing in its package.json `browser`
 * field (`"fs": false`, as postcss does): esbuild then bundles an empty module for the browser
 * platform, as the Convex CLI's bundler does, so the import is not a use of the built-in.
 */
function browserFieldDisables(importer: string, spec: string): boolean {
  for (let dir = path.dirname(importer); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const browser = (JSON.parse(readFileSync(file, "utf8")) as { browser?: unknown }).browser;
        return typeof browser === "object" && browser !== null && (browser as Record<string, unknown>)[spec] === false;
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** Refuses Node built-ins in default-runtime bundles, as `npx convex deploy` would. */
function refuseNodeBuiltins(convexDir: string): Plugin {
  return {
    name: "refuse-node-builtins",
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        if (!BUILTINS.has(args.path)) return undefined;
        if (args.importer && browserFieldDisables(args.importer, args.path)) return undefined;
        const importer = path.relative(path.dirname(convexDir), args.importer) || args.importer;
        return {
          errors: [
            {
              text:
                `${importer} imports the Node.js built-in "${args.path}", which Convex's default runtime does not provide. ` +
                `Add "use node" to the top of the file that needs it (actions only), or remove the import.`,
            },
          ],
        };
      });
    },
  };
}

/** A module whose top-level code threw, with Convex's analyze text naming it. */
function analyzeError(modPath: string, e: unknown): ModuleLoadError {
  if (e instanceof ModuleLoadError) return e;
  return new ModuleLoadError(`Failed to analyze ${modPath}.js: ${e instanceof Error ? e.message : String(e)}`);
}

/** Registers every exported Convex function of one module (analyze.ts) under its canonical path. */
function registerModule(
  functions: Map<string, RegisteredFunction>,
  modPath: string,
  exports: Record<string, any>,
  useNode: boolean,
  source?: ModuleSource,
) {
  // Analyzed first, so a module that fails half-way registers nothing.
  registerAnalyzed(functions, modPath, analyzeExports(modPath, exports, useNode), exports, source);
}

/** Registers analyzed functions; `exports` null when the module was analyzed in a worker (it runs in one). */
function registerAnalyzed(
  functions: Map<string, RegisteredFunction>,
  modPath: string,
  analyzed: AnalyzedFunction[],
  exports: Record<string, any> | null,
  source?: ModuleSource,
) {
  for (const { name, ...f } of analyzed) {
    functions.set(`${modPath}:${name}`, { path: `${modPath}:${name}`, ...f, fn: exports?.[name] ?? null, ...(source ? { module: source } : {}) });
  }
}

function appFrom(functions: Map<string, RegisteredFunction>, extras: Record<string, any>): LoadedApp {
  const schemaDef = extras.schema?.default;
  return {
    functions,
    schema: schemaDef ? (JSON.parse(schemaDef.export()) as SchemaJson) : null,
    httpRouter: extras.http?.default?.isRouter ? extras.http.default : null,
    crons: extras.crons?.default?.isCrons ? extras.crons.default : null,
    authConfig: extras.authConfig?.default ?? null,
    ...(extras.httpModule ? { httpModule: extras.httpModule } : {}),
  };
}

/**
 * Loads an app from convex-test style module loaders (`import.meta.glob` output), keyed by
 * paths that contain `/_generated/` somewhere so the root can be found.
 */
export async function loadFromGlob(
  modules: Record<string, ModuleLoader>,
  schema?: { export(): string },
): Promise<LoadedApp> {
  const keys = Object.keys(modules);
  const gen = keys.find((k) => k.includes("/_generated/"));
  if (!gen) throw new ModuleLoadError('The modules must include a file in "_generated/", like convex-test requires.');
  const root = gen.slice(0, gen.indexOf("/_generated/") + 1);
  const functions = new Map<string, RegisteredFunction>();
  const extras: Record<string, any> = {};
  for (const key of keys) {
    if (!key.startsWith(root)) continue;
    const rel = key.slice(root.length);
    if (rel.startsWith("_generated/")) continue;
    const ext = path.posix.extname(rel);
    const modPath = rel.slice(0, -ext.length);
    if (path.posix.basename(modPath).includes(".")) {
      if (modPath === "auth.config") extras.authConfig = await modules[key]();
      continue;
    }
    if (modPath === "schema") {
      extras.schema = await modules[key]();
      continue;
    }
    const analyzed = modules[key].analyzed;
    if (analyzed) {
      registerAnalyzed(functions, modPath, analyzed, null, modules[key].source);
      continue;
    }
    let exports: Record<string, any>;
    try {
      exports = await modules[key]();
    } catch (e) {
      throw analyzeError(modPath, e);
    }
    if (modPath === "http") extras.http = exports;
    if (modPath === "http") extras.httpModule = modules[key].source;
    if (modPath === "crons") extras.crons = exports;
    registerModule(functions, modPath, exports, false, modules[key].source);
  }
  if (schema) extras.schema = { default: schema };
  return appFrom(functions, extras);
}

/** Bundles the entries into `dir/isolate` and `dir/node`, mapping each entry to its output file. */
async function bundleEntries(convexDir: string, dir: string, isolate: string[], node: string[], outputs: Map<string, string>) {
  const externals = externalPackagesOf(convexDir);
  const common = {
    bundle: true,
    format: "esm" as const,
    outbase: convexDir,
    write: true,
    metafile: true,
    logLevel: "silent" as const,
    target: "es2022",
    sourcemap: "linked" as const,
    define: { "process.env": "globalThis.__convexLocalEnv" },
  };
  const collect = (metafile: import("esbuild").Metafile) => {
    for (const [out, meta] of Object.entries(metafile.outputs)) {
      if (meta.entryPoint) outputs.set(path.resolve(meta.entryPoint), path.resolve(out));
    }
  };
  try {
    if (isolate.length) {
      const r = await build({
        ...common,
        entryPoints: isolate,
        outdir: path.join(dir, "isolate"),
        platform: "browser",
        conditions: ["convex", "module"],
        splitting: true,
        plugins: [refuseNodeBuiltins(convexDir)],
        // The default runtime's `process` has only `env`, which is the function environment.
        define: {
          ...common.define,
          process: "globalThis.__convexLocalProcess",
          "globalThis.process": "globalThis.__convexLocalProcess",
        },
      });
      collect(r.metafile!);
    }
    if (node.length) {
      const r = await build({
        ...common,
        entryPoints: node,
        outdir: path.join(dir, "node"),
        platform: "node",
        splitting: true,
        // As the CLI bundles them: ESM with no require(), so a CommonJS dependency that requires a
        // Node built-in fails to load unless convex.json names its package in node.externalPackages.
        external: externals.flatMap((p) => [p.name, `${p.name}/*`]),
      });
      linkExternalPackages(dir, externals);
      collect(r.metafile!);
    }
  } catch (e: any) {
    const messages = (e.errors ?? []).map((m: any) =>
      m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text,
    );
    throw new ModuleLoadError(`Failed to bundle ${convexDir}:\n${messages.join("\n") || e.message}`);
  }
}

let buildCounter = 0;

/**
 * Bundles a `convex/` folder with esbuild the way Convex does (default-runtime modules for the
 * browser-like isolate, `"use node"` modules for Node), writes the bundles under `outDir`, and
 * imports them. `process.env` inside the bundles reads the backend's function environment.
 */
export async function bundleAndLoad(convexDir: string, outDir: string, options: LoadOptions = {}): Promise<LoadedApp> {
  convexDir = path.resolve(convexDir);
  const entries = discoverEntries(convexDir);
  const modPaths = new Map(entries.map((e) => [e, modulePath(convexDir, e)]));
  const isolate = entries.filter((e) => !isUseNode(e));
  const node = entries.filter((e) => isUseNode(e));
  for (const special of ["schema", "auth.config"]) {
    for (const ext of [".ts", ".js"]) {
      const f = path.join(convexDir, special + ext);
      if (existsSync(f)) isolate.push(f);
    }
  }
  const dir = path.join(outDir, `local-backend-build-${process.pid}-${++buildCounter}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The bundles are ES modules: said once, so Node does not first try each as CommonJS (as pushes do, pushTree.ts).
  writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');

  const outputs = new Map<string, string>();
  const failed = new Map<string, string>();
  try {
    await bundleEntries(convexDir, dir, isolate, node, outputs);
  } catch (e) {
    if (!options.tolerateModuleErrors) throw e;
    // Dev: find the entries that fail on their own, report them, and bundle the rest together.
    for (const entry of entries) {
      try {
        const alone = isUseNode(entry) ? [[], [entry]] : [[entry], []];
        await bundleEntries(convexDir, path.join(dir, "probe"), alone[0], alone[1], new Map());
      } catch (err) {
        failed.set(entry, (err as Error).message);
      }
    }
    // A failing schema or auth.config (or a failure no single entry explains) still refuses the app.
    if (failed.size === 0) throw e;
    rmSync(path.join(dir, "probe"), { recursive: true, force: true });
    const keep = (e: string) => !failed.has(e);
    await bundleEntries(convexDir, dir, isolate.filter(keep), node.filter(keep), outputs);
  }
  const functions = new Map<string, RegisteredFunction>();
  const extras: Record<string, any> = {};
  // Under Vitest these bundles are externalized (vite.config.ts), so Node loads them as in production.
  const importOut = (entry: string) => import(/* @vite-ignore */ pathToFileURL(outputs.get(path.resolve(entry))!).href);
  const moduleErrors: ModuleError[] = [];
  // "use node" modules are analyzed in a worker that stops afterwards, never loaded in this thread.
  const inWorker = await analyzeNodeModules(node.filter((e) => !failed.has(e)).map((e) => ({ url: pathToFileURL(outputs.get(path.resolve(e))!).href, modPath: modPaths.get(e)! })));
  for (const entry of entries) {
    const modPath = modPaths.get(entry)!;
    const file = path.relative(convexDir, entry).split(path.sep).join("/");
    let message = failed.get(entry);
    const analyzed = message === undefined ? inWorker.get(pathToFileURL(outputs.get(path.resolve(entry))!).href) : undefined;
    if (analyzed?.ok) {
      registerAnalyzed(functions, modPath, analyzed.functions, null, { url: pathToFileURL(outputs.get(path.resolve(entry))!).href, runtime: "node" });
      continue;
    }
    if (analyzed) message = analyzed.moduleError ? analyzed.message : analyzeError(modPath, new Error(analyzed.message)).message;
    if (message === undefined) {
      try {
        const exports = await importOut(entry);
        const source: ModuleSource = {
          url: pathToFileURL(outputs.get(path.resolve(entry))!).href,
          runtime: node.includes(entry) ? "node" : "isolate",
        };
        registerModule(functions, modPath, exports, node.includes(entry), source);
        if (modPath === "http") extras.http = exports;
        if (modPath === "http") extras.httpModule = source;
        if (modPath === "crons") extras.crons = exports;
        continue;
      } catch (e) {
        // Top-level code that throws fails the module with Convex's analyze text.
        message = analyzeError(modPath, e).message;
      }
    }
    if (!options.tolerateModuleErrors) throw new ModuleLoadError(message);
    moduleErrors.push({ module: modPath, file, message });
  }
  for (const f of isolate) {
    const base = path.basename(f).replace(/\.(ts|js)$/, "");
    if (path.dirname(f) !== convexDir) continue;
    if (base === "schema") extras.schema = await importOut(f);
    if (base === "auth.config") extras.authConfig = await importOut(f);
  }
  const app = appFrom(functions, extras);
  if (options.tolerateModuleErrors) app.moduleErrors = moduleErrors;
  return app;
}

/**
 * A dev reload keeps serving the previous version of each module that now fails (its functions,
 * and the HTTP router or crons if it is `http` or `crons`), so one broken edit leaves the rest of
 * the app current and the broken module as it was.
 */
export function keepPreviousOfFailed(next: LoadedApp, previous: LoadedApp): LoadedApp {
  for (const { module } of next.moduleErrors ?? []) {
    for (const [p, f] of previous.functions) if (p.startsWith(`${module}:`)) next.functions.set(p, f);
    if (module === "http") next.httpRouter = previous.httpRouter;
    if (module === "crons") next.crons = previous.crons;
  }
  return next;
}

/** Parses a client-facing function path: `mod:fn`, `mod` (default export), optional `.js`. */
export function canonicalizePath(p: string): string {
  const parts = p.split(":");
  // "mod:fn:extra" names no function; keep it whole so the lookup fails instead of running mod:fn.
  if (parts.length > 2) return p;
  let [mod, fn] = parts.length === 2 ? parts : [p, "default"];
  if (mod.endsWith(".js")) mod = mod.slice(0, -3);
  return `${mod}:${fn || "default"}`;
}
