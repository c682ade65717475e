// Deploy section of the local-backend benchmarks (`BENCH_ONLY=deploy`), issue #13's numbers:
// (1) the official CLI's `deploy` of the project's convex/ to a running backend (target < 10 s);
//     `--codegen disable` so the shared work tree's convex/_generated is not rewritten;
// (2) a new index over BENCH_DEPLOY_DOCS documents (default 100,000) backfilled in the background
//     (Catalog.startBackfill, what start_push runs): build time (target < 20 s) and the latency of
//     an indexed read served over HTTP meanwhile, one at a time.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { LocalBackend } from "../src/backend.js";
import { CONVEX_CLI, officialCliEnv } from "../src/officialCli.js";
import type { SchemaJson } from "../src/runtime/catalog.js";
import { FIXTURE_CONVEX_DIR, REPO_ROOT, fmt, printTable } from "./lib.js";

const DOCS = Number(process.env.BENCH_DEPLOY_DOCS ?? 100_000);
const DEPLOY_TARGET_MS = 10_000;
const BACKFILL_TARGET_MS = 20_000;

function cliDeploy(url: string, adminKey: string): Promise<{ ms: number; code: number | null; output: string }> {
  const t0 = performance.now();
  const env = officialCliEnv({ url, adminKey });
  const args = [CONVEX_CLI, "deploy", "-y", "--typecheck", "disable", "--codegen", "disable"];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ ms: performance.now() - t0, code, output })));
}

export async function runDeployBench(log: (msg: string) => void): Promise<void> {
  const rows: Array<Record<string, string>> = [];
  {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-deploy-"));
    const backend = await LocalBackend.start({ dataDir, port: 0, host: "127.0.0.1", scheduler: false, crons: false });
    try {
      log("deploy: npx convex deploy of convex/ (first push, then an unchanged one)");
      for (const label of ["convex deploy (first push)", "convex deploy (no changes)"]) {
        const r = await cliDeploy(backend.url, backend.adminKey);
        if (r.code !== 0) throw new Error(`convex deploy failed (${r.code}):\n${r.output}`);
        rows.push({ measure: label, value: fmt.s(r.ms), target: `< ${fmt.s(DEPLOY_TARGET_MS)}`, ok: r.ms < DEPLOY_TARGET_MS ? "yes" : "NO" });
      }
    } finally {
      await backend.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "local-backend-bench-backfill-"));
    const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR, port: 0, host: "127.0.0.1", scheduler: false, crons: false });
    try {
      log(`backfill: seeding ${DOCS} docs`);
      for (let start = 0; start < DOCS; start += 1000) {
        const r = await backend.runner.runMutation("docs:insertMany", { start, count: Math.min(1000, DOCS - start) }, { allowInternal: true });
        if (!r.ok) throw new Error(r.message);
      }
      const schema = backend.runner.app.schema!;
      const next: SchemaJson = {
        ...schema,
        tables: schema.tables.map((t) => (t.tableName === "docs" ? { ...t, indexes: [...t.indexes, { indexDescriptor: "by_payload_bench", fields: ["payload"] }] } : t)),
      };
      const client = new ConvexHttpClient(backend.url, { logger: false });
      const page20 = makeFunctionReference<"query">("docs:page20");
      const cache = backend.runner.queryCache;
      log("backfill: building a new index over docs while reading");
      const t0 = performance.now();
      const backfill = backend.catalog.startBackfill(next);
      let finished = false;
      backfill.done.then(() => (finished = true));
      const latencies: number[] = [];
      while (!finished) {
        cache.clear(); // each read executes: a cached hit would not show the backfill's effect
        const s = performance.now();
        await client.query(page20, { group: "g7" });
        latencies.push(performance.now() - s);
      }
      await backfill.done;
      const ms = performance.now() - t0;
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
      rows.push({ measure: `index backfill over ${DOCS} docs`, value: fmt.s(ms), target: `< ${fmt.s(BACKFILL_TARGET_MS)}`, ok: ms < BACKFILL_TARGET_MS ? "yes" : "NO" });
      rows.push({ measure: `reads during it (${latencies.length}): p99`, value: `${fmt.ms(p99)} ms`, target: "served", ok: latencies.length > 1 ? "yes" : "NO" });
    } finally {
      await backend.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  printTable("Deploy and index backfill (issue #13)", rows);
}
