// How the project's own server code is compiled to run on plain `node` (issue #18): one ESM file
// for Node 20, with packages loaded from node_modules as under tsx, so only our own modules are
// compiled. Used by tools/build.mjs (the app server), tools/launch.mjs (npm start) and
// tools/bench/run.ts (each bench section runs compiled, as production does). Plain JavaScript:
// these run before anything is built.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, stop } from "esbuild";

export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
};

/**
 * The sources find files next to themselves (the isolate workers' entry, the official CLI, the
 * demo's images, a bench's child scripts) through `import.meta.url`; in one bundle that would be
 * the bundle's URL, so each of our own files gets its own URL back.
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

/**
 * Compiles `entry` (and our own modules it imports) to `outfile`. Unlike tsx, no keepNames: tsx
 * wraps every function the code creates in a naming call, which production never pays. Written
 * whole and renamed, so a second run compiling at the same moment never runs half a file; esbuild's
 * service is stopped afterwards, or it would stay for the life of the calling process.
 */
export async function bundleNodeFile(entry, outfile) {
  const result = await build({ entryPoints: [entry], outfile, ...NODE_BUNDLE, plugins: [ownImportMetaUrl], write: false });
  await stop();
  await mkdir(path.dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  await writeFile(partial, result.outputFiles[0].contents);
  await rename(partial, outfile);
  return outfile;
}
