// Child process of run.ts: the same operations on convex-test (the official in-memory mock).
// A separate process because convex-test and the local backend both install `globalThis.Convex`.
// `import.meta.glob` only exists under Vite, so the module loaders are built by hand; convex-test
// finds the functions root from the `_generated/` keys.
import { convexTest } from "convex-test";
import schema from "./fixture/convex/schema.js";
import { exitAfter, makeOp, measure, reportResult, type Caller, type Measurement, type OpName } from "./lib.js";

interface Config {
  docs: number;
  ops: OpName[];
  durationMs: number;
  /** Upper bound on operations per measurement (convex-test queries take ~0.1 s at 100k docs). */
  maxOps: number;
}

const config = JSON.parse(process.argv[2]) as Config;
exitAfter(60_000 + config.ops.length * (config.durationMs + 3_000));

const modules: Record<string, () => Promise<any>> = {
  "./fixture/convex/_generated/api.js": () => import("./fixture/convex/_generated/api.js"),
  "./fixture/convex/_generated/server.js": () => import("./fixture/convex/_generated/server.js"),
  "./fixture/convex/schema.ts": () => import("./fixture/convex/schema.js"),
  "./fixture/convex/docs.ts": () => import("./fixture/convex/docs.js"),
  "./fixture/convex/crash.ts": () => import("./fixture/convex/crash.js"),
};

const t = convexTest(schema, modules);
const call: Caller = {
  query: (path, args) => t.query(path as any, args as any),
  mutation: (path, args) => t.mutation(path as any, args as any),
};

const seedStart = performance.now();
for (let start = 0; start < config.docs; start += 1000) {
  await t.mutation("docs:insertMany" as any, { start, count: Math.min(1000, config.docs - start) });
}
const seedMs = performance.now() - seedStart;

const results: Record<string, Measurement> = {};
for (const op of config.ops) {
  results[op] = await measure([makeOp(op, call, config.docs, 0)], {
    durationMs: config.durationMs,
    warmupMs: 0,
    maxOps: config.maxOps,
  });
}
reportResult({ seedMs, results, rss: process.memoryUsage().rss });
