// `npm start` / `npm run dev`: compiles tools/start.ts, and the local backend it runs, to
// build/start/start.mjs and runs it in this process with plain `node` (issue #18: launchers and
// esbuild must not stay resident in production). Run under tsx, the stack kept a tsx launcher
// process (~49 MB), tsx's loader thread and its esbuild service (~17 MB) for its whole life, and
// every function the backend created paid for tsx's keepNames wrappers. Compiling takes well under
// a second, so it happens on every start and the output is never stale. Plain JavaScript: it runs
// before anything is built.
import { readFile, mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, stop } from "esbuild";
import { NODE_BUNDLE } from "./node-bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, "build", "start", "start.mjs");

/**
 * The sources find files next to themselves (the isolate workers' entry, the official CLI, the
 * demo's images) through `import.meta.url`; in one bundle that would be the bundle's URL, so each
 * of our own files gets its own URL back.
 */
const ownImportMetaUrl = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, "utf8");
      return { contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

const result = await build({
  entryPoints: [path.join(root, "tools", "start.ts")],
  outfile,
  ...NODE_BUNDLE,
  plugins: [ownImportMetaUrl],
  write: false,
});
// esbuild's service would otherwise stay for the life of this process.
await stop();
// Written whole and renamed, so a second start compiling at the same moment never runs half a file.
await mkdir(path.dirname(outfile), { recursive: true });
const partial = `${outfile}.${process.pid}.tmp`;
await writeFile(partial, result.outputFiles[0].contents);
await rename(partial, outfile);
await import(pathToFileURL(outfile).href);
