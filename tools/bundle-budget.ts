#!/usr/bin/env node
// The bundle-size budget (issue #16): what the browser downloads, from the client build's Remix
// manifest (build/client/assets/manifest-*.js: each route's module and its static imports, the
// modulepreload list Remix writes; dynamic imports are not in it, they load later).
//
//   npx tsx tools/bundle-budget.ts [--build build]     (npm test runs it on the build its browser tests made)
//
// Rows: the studio's first load (entry + root + studio layout + posts list, gzipped JS) < 250 kB,
// with no TipTap/ProseMirror code in it; what the editor route adds; reader pages' JS = 0 (the
// $site route's handle says scripts: false, so root.tsx writes no scripts at all). Exits 1 over budget.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

export interface ManifestAssets {
  module: string;
  imports?: string[];
  css?: string[];
}
export interface ManifestRoute extends ManifestAssets {
  id: string;
  parentId?: string;
}
export interface RemixManifest {
  entry: ManifestAssets;
  routes: Record<string, ManifestRoute>;
}

export const STUDIO_FIRST_LOAD_ROUTE = "routes/studio.$siteId._index";
export const EDITOR_ROUTE = "routes/studio.$siteId.posts.$postId";
export const READER_ROUTE = "routes/$site";
export const KB = 1000;
export const BUDGETS = {
  /** Gzipped JS of the studio's first page (the posts list). */
  studioFirstLoad: 250 * KB,
  /** Gzipped JS the editor route adds on top of the posts list (TipTap, ProseMirror, the editor UI). */
  editorExtra: 200 * KB,
} as const;

/** Code that only TipTap/ProseMirror bundles contain (class names and the prosemirror-model error text). */
const EDITOR_MARKERS = [/\bProseMirror-/, /prosemirror/i];

/** The manifest window.__remixManifest is set to, from build/client/assets/manifest-<hash>.js. */
export function readRemixManifest(clientDir: string): RemixManifest {
  const assets = path.join(clientDir, "assets");
  const files = readdirSync(assets).filter((f) => /^manifest-[\w-]+\.js$/.test(f));
  if (files.length !== 1) throw new Error(`expected one manifest-*.js in ${assets}, found ${files.length}: build the app first (npm run build)`);
  const text = readFileSync(path.join(assets, files[0]!), "utf8");
  const json = /^window\.__remixManifest=(.*);\s*$/s.exec(text)?.[1];
  if (!json) throw new Error(`${files[0]} is not a Remix browser manifest`);
  return JSON.parse(json) as RemixManifest;
}

/** The route and its ancestors, root first. */
export function routeChain(manifest: RemixManifest, routeId: string): ManifestRoute[] {
  const chain: ManifestRoute[] = [];
  for (let id: string | undefined = routeId; id; id = manifest.routes[id]?.parentId) {
    const route = manifest.routes[id];
    if (!route) throw new Error(`route ${id} is not in the manifest`);
    chain.unshift(route);
  }
  return chain;
}

/** Every JS file a first visit to `routeId` loads: the client entry, then each route of the chain. */
export function jsFor(manifest: RemixManifest, routeId: string): Set<string> {
  const out = new Set<string>();
  for (const assets of [manifest.entry, ...routeChain(manifest, routeId)]) {
    out.add(assets.module);
    for (const i of assets.imports ?? []) out.add(i);
  }
  return out;
}

export interface BudgetRow {
  name: string;
  /** Gzipped bytes (or a count, for `unit: "chunks"`). */
  value: number;
  limit: number;
  unit: "bytes" | "chunks";
  ok: boolean;
  note: string;
}

export interface BudgetInput {
  manifest: RemixManifest;
  /** A built file's contents by its URL path ("/assets/x.js"). */
  read: (url: string) => Buffer;
  /** Whether reader routes render without scripts (the $site route's handle has scripts: false). */
  readerScriptsOff: boolean;
}

/** The budget rows for a build. */
export function computeBudgets({ manifest, read, readerScriptsOff }: BudgetInput): BudgetRow[] {
  const cache = new Map<string, Buffer>();
  const file = (url: string) => cache.get(url) ?? cache.set(url, read(url)).get(url)!;
  const gz = (urls: Iterable<string>) => [...urls].reduce((sum, u) => sum + gzipSync(file(u), { level: 9 }).length, 0);
  const studio = jsFor(manifest, STUDIO_FIRST_LOAD_ROUTE);
  const editor = jsFor(manifest, EDITOR_ROUTE);
  const editorExtra = [...editor].filter((u) => !studio.has(u));
  const tiptapInStudio = [...studio].filter((u) => EDITOR_MARKERS.some((m) => m.test(file(u).toString("utf8"))));
  const studioBytes = gz(studio);
  const extraBytes = gz(editorExtra);
  const readerRoutes = Object.keys(manifest.routes).filter((id) => routeChain(manifest, id).some((r) => r.id === READER_ROUTE));
  return [
    {
      name: "studio first load (posts list), JS gzipped",
      value: studioBytes,
      limit: BUDGETS.studioFirstLoad,
      unit: "bytes",
      ok: studioBytes < BUDGETS.studioFirstLoad,
      note: `${studio.size} files`,
    },
    {
      name: "TipTap/ProseMirror chunks in the studio first load",
      value: tiptapInStudio.length,
      limit: 0,
      unit: "chunks",
      ok: tiptapInStudio.length === 0,
      note: tiptapInStudio.join(", ") || "none",
    },
    {
      name: "editor route adds (static imports), JS gzipped",
      value: extraBytes,
      limit: BUDGETS.editorExtra,
      unit: "bytes",
      ok: extraBytes < BUDGETS.editorExtra,
      note: `${editorExtra.length} files; the editor itself loads lazily`,
    },
    {
      name: "reader pages, JS loaded",
      value: readerScriptsOff ? 0 : gz(jsFor(manifest, READER_ROUTE)),
      limit: 0,
      unit: "bytes",
      ok: readerScriptsOff,
      note: readerScriptsOff ? `${readerRoutes.length} routes under ${READER_ROUTE} (handle.scripts === false: no <Scripts/>)` : `${READER_ROUTE} has no handle.scripts === false`,
    },
  ];
}

const show = (row: BudgetRow, v: number) => (row.unit === "bytes" ? `${(v / KB).toFixed(1)} kB` : String(v));

/** The rows as a table with targets. */
export function formatBudgets(rows: BudgetRow[]): string {
  const lines = rows.map((r) => [r.name, show(r, r.value), `${r.limit === 0 ? "= " : "< "}${show(r, r.limit)}`, r.ok ? "ok" : "OVER", r.note]);
  const head = ["budget", "measured", "target", "", "note"];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** Whether the server build's reader layout route asks for no scripts (what root.tsx checks). */
export async function readerScriptsOff(buildDir: string): Promise<boolean> {
  const build = (await import(pathToFileURL(path.resolve(buildDir, "server/index.js")).href)) as {
    routes: Record<string, { module: { handle?: { scripts?: boolean } } }>;
  };
  return build.routes[READER_ROUTE]?.module.handle?.scripts === false;
}

export async function bundleBudget(buildDir: string): Promise<BudgetRow[]> {
  const clientDir = path.resolve(buildDir, "client");
  return computeBudgets({
    manifest: readRemixManifest(clientDir),
    read: (url) => readFileSync(path.join(clientDir, url)),
    readerScriptsOff: await readerScriptsOff(buildDir),
  });
}

async function main() {
  const { values } = parseArgs({ options: { build: { type: "string", default: "build" } } });
  const rows = await bundleBudget(values.build!);
  console.log(`bundle budget (${values.build}/client, gzip -9)\n${formatBudgets(rows)}`);
  const over = rows.filter((r) => !r.ok);
  if (over.length) {
    console.error(`\nOver budget: ${over.map((r) => r.name).join("; ")}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    // The server build keeps handles open (its Convex clients); the table is all this prints.
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
