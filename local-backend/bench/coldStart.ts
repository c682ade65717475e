// Child process of run.ts: a fresh process starting a LocalBackend on an existing data dir.
// Reports the time of `LocalBackend.start` alone, the time to import the backend's modules, the
// time to the first answered query, and the process's RSS once started.
export {};
const processStart = performance.now();
const { LocalBackend } = await import("../src/backend.js");
const { exitAfter, reportResult } = await import("./lib.js");

const { dataDir, convexDir, n } = JSON.parse(process.argv[2]) as { dataDir: string; convexDir: string; n: number };
exitAfter(60_000);

const imported = performance.now();
const backend = await LocalBackend.start({ dataDir, convexDir, port: 0 });
const started = performance.now();
const outcome = await backend.runner.runQuery("docs:getByN", { n });
const firstQuery = performance.now();
if (!outcome.ok || !outcome.valueJson.includes(`"n":${n},`)) {
  throw new Error(`first query failed: ${outcome.ok ? outcome.valueJson : outcome.message}`);
}
const rss = process.memoryUsage().rss;
await backend.close();
reportResult({
  importMs: imported - processStart,
  startMs: started - imported,
  firstQueryMs: firstQuery - started,
  rss,
});
