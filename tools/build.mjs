// `npm run build`: the Remix build (build/client, build/server/index.js), then the production HTTP
// server (app/server/index.ts) compiled to build/server/serve.js, so that `npm run serve` and
// `npm start` run plain `node` (issue #18): no tsx launcher process, no TypeScript loader thread
// and esbuild service in the server's primary and each of its workers. Arguments go to
// `remix vite:build` (e.g. --logLevel warn). Plain JavaScript: it runs before anything is built.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE } from "./node-bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const remix = spawnSync(path.join(root, "node_modules", ".bin", "remix"), ["vite:build", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
if (remix.status !== 0) process.exit(remix.status ?? 1);
await build({
  entryPoints: [path.join(root, "app", "server", "index.ts")],
  outfile: path.join(root, "build", "server", "serve.js"),
  ...NODE_BUNDLE,
});
