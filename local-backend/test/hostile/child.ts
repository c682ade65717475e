// Child process of the hostile-input tests: starts a LocalBackend with HTTP servers on free ports
// (the bench fixture app: docs queries, a mutation, an HTTP action at GET /ok), seeds 2,000
// documents (20 in each group) and prints one JSON line {url, siteUrl, adminKey, pid}. Running it in its own process makes a
// crash observable (an uncaught exception ends this process, not the test runner). It exits when
// the parent goes away (stdin closes) or after 5 minutes.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LocalBackend } from "../../src/backend.js";

const [dataDir] = process.argv.slice(2);
const convexDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "fixture", "convex");

setTimeout(() => {
  console.error("hostile child: still running after 5 minutes, exiting");
  process.exit(2);
}, 300_000).unref();
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

const backend = await LocalBackend.start({ dataDir, convexDir, port: 0, host: "127.0.0.1", scheduler: false, crons: false });
const seeded = await backend.runner.runMutation("docs:insertMany", { start: 0, count: 2_000 }, { allowInternal: true });
if (!seeded.ok) {
  console.error(`hostile child: seeding failed: ${seeded.message}`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ url: backend.url, siteUrl: backend.siteUrl, adminKey: backend.adminKey, pid: process.pid })}\n`);
