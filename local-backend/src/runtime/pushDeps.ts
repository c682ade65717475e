/**
 * External packages of "use node" modules (convex.json `node.externalPackages`). The official CLI
 * leaves them as bare imports in its ESM bundles and sends `nodeDependencies: [{ name, version }]`
 * with the push; a Convex deployment installs them. This backend has no network: it "installs" each
 * from the project's node_modules (`projectDir` and its parents, as Node resolves), refusing a
 * missing package or another version, and links it as `node_modules/<name>` inside the push's
 * folder, so the bundles' bare imports resolve to it and the package's own dependencies resolve
 * from its real path. The links live in the data dir, so they outlast a restart.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { ModuleLoadError } from "./moduleLoadError.js";

export interface NodeDependency {
  name: string;
  version: string;
}

/** npm's package name rule (scoped or not); nothing else may become a path under node_modules. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The `nodeDependencies` of a push request, checked: an array of distinct `{ name, version }`. */
export function parseNodeDependencies(raw: unknown): NodeDependency[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ModuleLoadError("nodeDependencies must be an array of { name, version }.");
  const seen = new Set<string>();
  return raw.map((d: any) => {
    const name = d?.name;
    const version = d?.version;
    if (typeof name !== "string" || !PACKAGE_NAME.test(name) || name.length > 214 || typeof version !== "string" || version.length === 0 || version.length > 256) {
      throw new ModuleLoadError(`Invalid external package ${JSON.stringify(d)} in nodeDependencies: expected { name, version } with an npm package name.`);
    }
    if (seen.has(name)) throw new ModuleLoadError(`External package ${name} is sent twice in nodeDependencies.`);
    seen.add(name);
    return { name, version };
  });
}

function installedVersion(packageDir: string): string | null {
  try {
    const v = (JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

/** The first `node_modules/<name>` from `projectDir` up to the root, as Node's resolver finds it. */
export function findInstalledPackage(projectDir: string, name: string): string | null {
  for (let dir = path.resolve(projectDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

const installHint = (d: NodeDependency) =>
  `install ${d.name}@${d.version} in the project: the local backend installs external packages (convex.json node.externalPackages) from the project's node_modules, it has no network`;

/**
 * Links each dependency into `dir/node_modules`, after checking the project has exactly that
 * version. A link already there (a push reloaded after a restart) is kept if it still points at
 * the requested version, else made again from the project.
 */
export function linkNodeDependencies(dir: string, deps: NodeDependency[], projectDir: string): void {
  for (const d of deps) {
    const link = path.join(dir, "node_modules", d.name);
    if (isLink(link)) {
      if (existsSync(link) && installedVersion(link) === d.version) continue;
      rmSync(link, { force: true });
    }
    const found = findInstalledPackage(projectDir, d.name);
    if (!found) throw new ModuleLoadError(`External package ${d.name}@${d.version} is not installed in ${path.resolve(projectDir)}: ${installHint(d)}.`);
    const version = installedVersion(found);
    if (version !== d.version) {
      throw new ModuleLoadError(`External package ${d.name}: the project has version ${version ?? "(none)"} but the push needs ${d.version}: ${installHint(d)}.`);
    }
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(found, link, "dir");
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** convex.json beside the functions folder's project (its parent, or further up), if any. */
function readProjectConfig(convexDir: string): { root: string; externalPackages: string[] } | null {
  for (let dir = path.dirname(path.resolve(convexDir)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "convex.json");
    if (existsSync(file)) {
      let config: any;
      try {
        config = JSON.parse(readFileSync(file, "utf8"));
      } catch (e) {
        throw new ModuleLoadError(`${file} is not valid JSON: ${(e as Error).message}`);
      }
      const list = config?.node?.externalPackages ?? [];
      if (!Array.isArray(list) || list.some((x: unknown) => typeof x !== "string")) {
        throw new ModuleLoadError(`${file}: node.externalPackages must be an array of package names.`);
      }
      return { root: dir, externalPackages: list };
    }
    if (existsSync(path.join(dir, "package.json")) || path.dirname(dir) === dir) return null;
  }
}

/**
 * The packages a bundle of `convexDir` leaves external, as the CLI picks them
 * (bundler/external.js): the project's package.json dependencies named in
 * `node.externalPackages` ("*": all), never `convex`, never local or URL versions.
 */
export function externalPackagesOf(convexDir: string): Array<{ name: string; dir: string }> {
  const config = readProjectConfig(convexDir);
  if (!config || config.externalPackages.length === 0) return [];
  let pkg: any = {};
  try {
    pkg = JSON.parse(readFileSync(path.join(config.root, "package.json"), "utf8"));
  } catch {
    return [];
  }
  const out = new Map<string, string>();
  for (const key of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, spec] of Object.entries<unknown>(pkg[key] ?? {})) {
      if (out.has(name) || name === "convex" || typeof spec !== "string") continue;
      if (/^(file:|git\+file:|https?:|git:|git\+ssh:|git\+https?:)/.test(spec)) continue;
      if (!config.externalPackages.includes(name) && !config.externalPackages.includes("*")) continue;
      const dir = path.join(config.root, "node_modules", name);
      if (existsSync(path.join(dir, "package.json"))) out.set(name, realpathSync(dir));
    }
  }
  return [...out].map(([name, dir]) => ({ name, dir }));
}

/** Links bundles written under `dir` to the external packages they import (modules.ts's own bundles). */
export function linkExternalPackages(dir: string, packages: Array<{ name: string; dir: string }>): void {
  for (const p of packages) {
    const link = path.join(dir, "node_modules", p.name);
    // A dev rebuild after a failed bundle writes into the same folder again.
    if (isLink(link)) continue;
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(p.dir, link, "dir");
  }
}
