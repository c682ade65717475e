// `npm run bench`: the local backend's benchmarks (local-backend/bench/run.ts, in a child process:
// throughput, cold start, memory, sync), then the app's sections on it: its reader queries at 10k
// and 100k posts (content.ts), autosave (autosave.ts), reader pages over HTTP (reader-pages.ts) and a
// post emailed to 100,000 members (send.ts), a members CSV of 50,000 rows imported (import.ts), and
// a Ghost export of 1,000 posts imported and the site exported again (migrate.ts), and the
// production stack's processes and memory as npm start runs it (stack.ts).
// Each section has its own time budget (SEQUENCE below); the whole run is capped at their sum.
//
// BENCH_ONLY=content, autosave, pages, bundles, cache, send, import, migrate or stack runs that section alone here (the query cache section
// measures the app's reader query too, so it lives with the app's); sync and deploy are the local
// backend's, and only its bench runs. Each section has its own knobs.
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, printTable } from "../../local-backend/bench/lib.js";
import { bundleBudget, formatBudgets } from "../bundle-budget.js";
import { bundleNodeFile } from "../node-bundle.mjs";
import { AUTOSAVE_BUDGET_MS, runAutosaveBench } from "./autosave.js";
import { CONTENT_BUDGET_MS, runContentBench } from "./content.js";
import { IMPORT_BUDGET_MS, runImportBench } from "./import.js";
import { MIGRATE_BUDGET_MS, runMigrateBench } from "./migrate.js";
import { runQueryCacheBench } from "./queryCache.js";
import { PAGES_BUDGET_MS, runReaderPagesBench } from "./reader-pages.js";
import { runSendBench, SEND_BUDGET_MS } from "./send.js";
import { runStackBench, STACK_BUDGET_MS } from "./stack.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BACKEND_BENCH = path.join(REPO_ROOT, "local-backend", "bench", "run.ts");

const t0 = performance.now();
const elapsed = () => fmt.s(performance.now() - t0);
const log = (msg: string) => console.log(`[bench ${elapsed()}] ${msg}`);

type Section = (log: (msg: string) => void) => Promise<void>;
const APP_SECTIONS: Record<string, { title: string; run: Section }> = {
  content: { title: "local-backend bench, content section only", run: runContentBench },
  autosave: { title: "local-backend bench, autosave section only", run: runAutosaveBench },
  pages: { title: "bench, reader pages section only", run: runReaderPagesBench },
  // The query cache on the bench fixture and on the app's reader query (reader:home).
  cache: { title: "local-backend bench, query cache section only", run: runQueryCacheBench },
  // A post emailed to 100,000 members through the Resend fake (issue #15); bounded by itself (15 minutes).
  send: { title: "bench, send section only", run: runSendBench },
  // A members CSV of 50,000 rows imported (issue #15); bounded by itself (10 minutes).
  import: { title: "bench, import section only", run: runImportBench },
  // A Ghost export of 1,000 posts imported, then exported as Ghost JSON and Markdown (issue #17); bounded by itself (10 minutes).
  migrate: { title: "bench, migrate section only", run: runMigrateBench },
  // The production stack as npm start runs it: its processes and their memory (issue #18).
  stack: { title: "bench, production stack section only", run: runStackBench },
  // The bundle-size budget (issue #16) of build/ (which the reader pages section keeps fresh).
  bundles: { title: "bench, bundle budget only", run: runBundleBench },
};

/** tools/bundle-budget.ts's table for build/: gzipped JS per page against its targets. */
async function runBundleBench(): Promise<void> {
  const rows = await bundleBudget(path.join(REPO_ROOT, "build"));
  console.log(`
bundle budget (build/client, gzip -9)\n${formatBudgets(rows)}`);
}
/** The local backend's own bench caps itself at 5 minutes (local-backend/bench/run.ts). */
const BACKEND_BUDGET_MS = 5 * 60_000;
const BUNDLES_BUDGET_MS = 60_000;

/** BENCH_ONLY values local-backend/bench/run.ts runs alone. */
const BACKEND_SECTIONS = ["sync", "deploy"];

/**
 * The full run, in order, each section with its own budget (issue #18): past it the section stops
 * what it started and the run exits 1 (guard.ts; the backend's bench caps itself). The run's cap
 * is their sum, so a section's own abort, which cleans up, always comes first.
 */
const SEQUENCE: Array<{ name: keyof typeof APP_SECTIONS; budgetMs: number }> = [
  { name: "content", budgetMs: CONTENT_BUDGET_MS },
  { name: "autosave", budgetMs: AUTOSAVE_BUDGET_MS },
  { name: "pages", budgetMs: PAGES_BUDGET_MS },
  { name: "bundles", budgetMs: BUNDLES_BUDGET_MS },
  { name: "send", budgetMs: SEND_BUDGET_MS },
  { name: "import", budgetMs: IMPORT_BUDGET_MS },
  { name: "migrate", budgetMs: MIGRATE_BUDGET_MS },
  { name: "stack", budgetMs: STACK_BUDGET_MS },
];
/** What the whole `npm run bench` should take on this 2-core machine (issue #18). */
const WHOLE_RUN_TARGET_MS = 15 * 60_000;

/** The child running now (the backend's bench, or an app section): the run's cap stops it. */
let child: ReturnType<typeof spawn> | undefined;
const only = process.env.BENCH_ONLY;
const CAP_MS =
  60_000 +
  (only && APP_SECTIONS[only]
    ? (SEQUENCE.find((s) => s.name === only)?.budgetMs ?? 5 * 60_000)
    : BACKEND_BUDGET_MS + (only ? 0 : SEQUENCE.reduce((sum, s) => sum + s.budgetMs, 0)));
setTimeout(() => {
  console.error(`[bench] exceeded ${CAP_MS / 60_000} minutes, aborting.`);
  // An app section's own guard stops what it started on SIGTERM (guard.ts).
  child?.kill("SIGTERM");
  process.exit(1);
}, CAP_MS).unref();

/**
 * Runs `file` in a child with its output on ours, compiled as production runs (tools/node-bundle.mjs:
 * plain node, without tsx's keepNames wrapper around every function the backend creates); resolves
 * with its exit code.
 */
async function runChild(file: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const name = `${path.relative(REPO_ROOT, file).replace(/\.ts$/, "").replace(/[\\/]/g, "-")}.mjs`;
  const compiled = await bundleNodeFile(file, path.join(REPO_ROOT, "build", "bench", name));
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [compiled], { cwd: REPO_ROOT, stdio: "inherit", env: { ...env, BENCH_COMPILED: "1" } });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      child = undefined;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** The local backend's own bench. */
const runBackendBench = () => runChild(BACKEND_BENCH);

/**
 * One app section of the full run in a process of its own (this file with BENCH_ONLY): each
 * section's backend and app start as fresh processes would in production, not in a process that
 * earlier sections filled (run after the content section's 100,000 posts in one process, the reader
 * pages section's in-process backend served the uncached post page at 93 req/s against 180–256).
 */
const runSection = (name: string) => runChild(fileURLToPath(import.meta.url), { ...process.env, BENCH_ONLY: name });

async function main(): Promise<number> {
  const only = process.env.BENCH_ONLY;
  const section = only ? APP_SECTIONS[only] : undefined;
  // Asked for one section: it runs in a compiled child too (runChild), unless this is that child.
  if (section && !process.env.BENCH_COMPILED) return runSection(only!);
  if (section) {
    console.log(`${section.title}; node ${process.version}, ${os.cpus().length} CPUs`);
    await section.run(log);
    console.log(`\nTotal bench time: ${elapsed()}`);
    return 0;
  }
  const code = await runBackendBench();
  // The backend's bench ran one of its sections alone (any other value runs everything, as before).
  if (code !== 0 || (only && BACKEND_SECTIONS.includes(only))) return code;
  const timings: Array<Record<string, string>> = [{ section: "local backend", took: elapsed(), budget: fmt.s(BACKEND_BUDGET_MS), status: "" }];
  for (const { name, budgetMs } of SEQUENCE) {
    log(`${name} section (budget ${fmt.s(budgetMs)})`);
    const s0 = performance.now();
    const sectionCode = await runSection(name);
    timings.push({ section: name, took: fmt.s(performance.now() - s0), budget: fmt.s(budgetMs), status: sectionCode === 0 ? "" : `failed (exit ${sectionCode})` });
    if (sectionCode !== 0) return sectionCode;
  }
  const total = performance.now() - t0;
  printTable("Bench sections: time taken and each one's budget (past it, a section stops what it started and the run exits 1)", [
    ...timings,
    { section: "whole run", took: fmt.s(total), budget: `target < ${fmt.s(WHOLE_RUN_TARGET_MS)}`, status: total < WHOLE_RUN_TARGET_MS ? "met" : "MISSED" },
  ]);
  console.log(
    `\nTotal bench time: ${elapsed()}; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} ` +
      `(other processes on this machine skew the wall-clock numbers; the CPU µs/op columns are less sensitive to that).`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
