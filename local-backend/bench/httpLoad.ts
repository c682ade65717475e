// Child process of run.ts: drives a running local backend over HTTP with the real
// `ConvexHttpClient` from `convex/browser`, so client-side work (JSON, fetch) does not share the
// backend's event loop. Prints one result line: { [label]: { [op]: Measurement } }.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { exitAfter, makeOp, measure, reportResult, type Caller, type Measurement, type OpName } from "./lib.js";

interface Config {
  url: string;
  docs: number;
  /** Runs: how many concurrent clients, which operations, for how long each. */
  runs: Array<{ label: string; clients: number; ops: OpName[]; durationMs: number }>;
}

const config = JSON.parse(process.argv[2]) as Config;
exitAfter(5_000 + config.runs.reduce((s, r) => s + r.ops.length * (r.durationMs + 2_000), 0));

function caller(client: ConvexHttpClient): Caller {
  return {
    query: (path, args) => client.query(makeFunctionReference<"query">(path), args as any),
    mutation: (path, args) => client.mutation(makeFunctionReference<"mutation">(path), args as any),
  };
}

const results: Record<string, Record<string, Measurement>> = {};
for (const run of config.runs) {
  results[run.label] = {};
  const clients = Array.from({ length: run.clients }, () => new ConvexHttpClient(config.url, { logger: false }));
  for (const op of run.ops) {
    const workers = clients.map((c, i) => makeOp(op, caller(c), config.docs, 1000 + i));
    results[run.label][op] = await measure(workers, { durationMs: run.durationMs });
  }
}
reportResult(results);
