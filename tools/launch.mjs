// `npm start` / `npm run dev`: compiles tools/start.ts, and the local backend it runs, to
// build/start/start.mjs and runs it in this process with plain `node` (issue #18: launchers and
// esbuild must not stay resident in production). Run under tsx, the stack kept a tsx launcher
// process (~49 MB), tsx's loader thread and its esbuild service (~17 MB) for its whole life, and
// every function the backend created paid for tsx's keepNames wrappers. Compiling takes well under
// a second, so it happens on every start and the output is never stale. Plain JavaScript: it runs
// before anything is built.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundleNodeFile } from "./node-bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = await bundleNodeFile(path.join(root, "tools", "start.ts"), path.join(root, "build", "start", "start.mjs"));
await import(pathToFileURL(outfile).href);
