// Child process of run.ts: drives a running local backend over HTTP with the real
// `ConvexHttpClient` from `convex/browser`, so client-side work (JSON, fetch) does not share the
// backend's event loop. Prints one result line: { [label]: { [op]: Measurement } }.
import { ConvexHttpClient } from "convex/browser";
import http from "node:http";
import { makeFunctionReference } from "convex/server";
import { exitAfter, makeOp, measure, reportResult, type Caller, type Measurement, type OpName } from "./lib.js";

interface Config {
  url: string;
  docs: number;
  /** Runs: how many concurrent clients, which operations, for how long each. */
  runs: Array<{ label: string; clients: number; ops: OpName[]; durationMs: number; transport?: "fetch" | "agent" }>;
}

/**
 * A lighter `fetch` for ConvexHttpClient's `fetch` option: node:http over a keep-alive agent,
 * answering only what the client reads (ok, status, text(), json()). Node's built-in fetch
 * (undici) costs the load generator several times more CPU per request than the server spends,
 * which on a 2-core machine caps what the server is offered; this variant shows the server's
 * throughput with less client overhead. Requests on the wire are the same.
 */
function agentFetch(maxSockets: number): typeof fetch {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return ((url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: init.method ?? "GET", headers: init.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 300, status, text: async () => text, json: async () => JSON.parse(text) } as Response);
        });
      });
      req.on("error", reject);
      req.end(init.body);
    })) as unknown as typeof fetch;
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
  const lean = run.transport === "agent" ? agentFetch(run.clients) : undefined;
  const clients = Array.from({ length: run.clients }, () => new ConvexHttpClient(config.url, { logger: false, fetch: lean }));
  for (const op of run.ops) {
    const workers = clients.map((c, i) => makeOp(op, caller(c), config.docs, 1000 + i));
    results[run.label][op] = await measure(workers, { durationMs: run.durationMs });
  }
}
reportResult(results);
