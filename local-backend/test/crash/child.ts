// Child process of crash.test.ts: starts a LocalBackend on `<dataDir>` (the bench fixture app) and
// runs `crash:insertBatch` for batch = <firstBatch>, <firstBatch> + 1, … back to back. After each
// mutation is acknowledged (committed), it writes the batch number on its own line to stdout (a
// pipe, which Node writes synchronously on Linux), so every number the parent reads was committed
// before it was printed. The parent kills it with SIGKILL; it also exits by itself after 30 s or
// when the parent goes away (stdin closes).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LocalBackend } from "../../src/backend.js";

const [dataDir, firstArg] = process.argv.slice(2);
const convexDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "fixture", "convex");

setTimeout(() => {
  console.error("crash child: not killed within 30 s, exiting");
  process.exit(2);
}, 30_000).unref();
process.stdin.on("end", () => process.exit(3));
process.stdin.resume();

const backend = await LocalBackend.start({ dataDir, convexDir, scheduler: false });
process.stdout.write("ready\n");
for (let batch = Number(firstArg); ; batch++) {
  const outcome = await backend.runner.runMutation("crash:insertBatch", { batch });
  if (!outcome.ok) {
    console.error(`crash child: insertBatch(${batch}) failed: ${outcome.message}`);
    process.exit(1);
  }
  process.stdout.write(`${batch}\n`);
}
