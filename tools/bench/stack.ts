// The production stack's processes and memory, as `npm start` runs it (issue #18 item 3: drop the
// extra processes; launchers and esbuild must not stay resident). `node tools/launch.mjs` (what
// `npm start` runs, without npm's own process) on a temp data dir with the demo content: every
// process of its tree with its RSS, once it serves and again after a load of the cached reader
// pages, the tree's total against the 500 MB target, whether any tsx or esbuild process stayed, and
// whether anything runs besides the launch process and its app workers.
// The reader pages section measures the heavier case (10,000 posts) with the backend inside the
// bench process; this one measures the processes a deployment really keeps.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, printTable, REPO_ROOT, runChild } from "../../local-backend/bench/lib.js";
import { freePortPair } from "../../tests/support/backend-process.js";
import { STACK_RSS_TARGET } from "./app-memory.js";
import { guardSection } from "./guard.js";
import { freePort, type LoadResult } from "./reader-pages.js";
import { processTree, type TreeProcess } from "./rss.js";

type Log = (msg: string) => void;

export const STACK_BUDGET_MS = 3 * 60_000;
const LOAD_SECONDS = Number(process.env.STACK_BENCH_SECONDS ?? 5);
const SITE = "the-ledger";
/** What must not stay resident once the stack serves (issue #18). */
const LAUNCHER = /(^|\/)(tsx|esbuild)(\s|$)|tsx\/dist|--service=/;

/** Resolves once the stack prints its "serving" line (tools/start.ts → app/server), or rejects on exit/timeout. */
function whenServing(child: ChildProcess, appPort: number, timeoutMs: number): Promise<void> {
  const ready = `[pressroom] http://127.0.0.1:${appPort} (`;
  let seen = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack bench: not serving within ${timeoutMs / 1000} s; output:\n${seen.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (seen += c.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stack bench: tools/launch.mjs exited (${code}) before serving; output:\n${seen.slice(-2000)}`));
    });
  });
}

/** The demo site's first post, from its feed (a post page, not an index). */
async function firstPostPath(base: string): Promise<string> {
  const rss = await (await fetch(`${base}/${SITE}/rss.xml`)).text();
  const link = /<item>[\s\S]*?<link>([^<]+)<\/link>/.exec(rss)?.[1];
  if (!link) throw new Error(`stack bench: no post in ${SITE}'s feed`);
  return new URL(link.replace(/&amp;/g, "&")).pathname;
}

function killTree(procs: TreeProcess[], signal: NodeJS.Signals) {
  for (const p of procs.reverse()) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export async function runStackBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "pressroom-stack-bench-"));
  const port = await freePortPair();
  const appPort = await freePort();
  log(`stack bench: node tools/launch.mjs (backend :${port}, app :${appPort}, demo content)`);
  const child = spawn(process.execPath, ["tools/launch.mjs", "--data-dir", dataDir, "--port", String(port), "--app-port", String(appPort)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // The fakes, not real providers, whatever the shell has.
    env: { ...process.env, STRIPE_SECRET_KEY: "", RESEND_API_KEY: "" },
  });
  const stop = () => {
    if (child.pid) killTree(processTree(child.pid), "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
  const guard = guardSection("stack", STACK_BUDGET_MS, stop);
  try {
    await whenServing(child, appPort, STACK_BUDGET_MS - 60_000);
    const base = `http://127.0.0.1:${appPort}`;
    // Let the start-up's bundling finish and esbuild's idle stop pass (esbuildService.ts).
    await new Promise((r) => setTimeout(r, 3_000));
    const idle = processTree(child.pid!, true);
    const post = await firstPostPath(base);
    const endpoints = [
      { name: "home", paths: [`/${SITE}/`] },
      { name: "post", paths: [post] },
      { name: "rss", paths: [`/${SITE}/rss.xml`] },
    ];
    for (const e of endpoints) {
      const r = await fetch(`${base}${e.paths[0]}`);
      await r.text();
      if (r.status !== 200) throw new Error(`stack bench: ${e.paths[0]} answered ${r.status}`);
    }
    log(`stack bench: loading home, ${post} and the feed (c=50, ${LOAD_SECONDS} s each)`);
    const load = await runChild<LoadResult[]>(
      fileURLToPath(new URL("./reader-pages.ts", import.meta.url)),
      { url: base, endpoints, concurrency: [50], seconds: LOAD_SECONDS, workers: os.availableParallelism() },
      120_000,
    );
    const after = processTree(child.pid!, true);
    const rows = after.map((p) => ({
      process: p.command.replace(REPO_ROOT + "/", "").slice(0, 90),
      pid: String(p.pid),
      "RSS serving": fmt.mb(idle.find((q) => q.pid === p.pid)?.rss ?? 0),
      "RSS after the load": fmt.mb(p.rss),
      "PSS after the load": fmt.mb(p.pss ?? 0),
    }));
    const total = after.reduce((s, p) => s + p.rss, 0);
    rows.push({
      process: "whole tree",
      pid: "",
      "RSS serving": fmt.mb(idle.reduce((s, p) => s + p.rss, 0)),
      "RSS after the load": fmt.mb(total),
      "PSS after the load": fmt.mb(after.reduce((s, p) => s + (p.pss ?? 0), 0)),
    });
    const resident = after.filter((p) => LAUNCHER.test(p.command));
    // The launch process is the backend and the app's cluster primary: its app workers are its
    // children, and nothing else should run (no separate primary, launcher or service).
    const extra = after.filter((p) => p.parent !== null && !(p.parent === child.pid && p.command.includes("build/server/serve.js")));
    printTable(
      `Production stack (node tools/launch.mjs, as npm start runs it, demo content; ${os.cpus().length} CPUs): every process of its tree ` +
        "(the target is on the RSS sum, which counts the node binary's shared pages once per process; PSS counts them once); load: " +
        load.map((r) => `${r.endpoint} ${fmt.int(r.rps)} req/s`).join(", "),
      rows,
    );
    printTable("Production stack against issue #18", [
      { measure: "whole tree's RSS after the load", measured: fmt.mb(total), target: `≤ ${fmt.mb(STACK_RSS_TARGET)}`, status: total <= STACK_RSS_TARGET ? "met" : "MISSED" },
      {
        measure: "tsx or esbuild processes resident",
        measured: resident.length ? resident.map((p) => `${p.pid} ${p.command.slice(0, 40)}`).join("; ") : "none",
        target: "none",
        status: resident.length ? "MISSED" : "met",
      },
      {
        measure: "processes besides the launch process and its app workers",
        measured: extra.length ? extra.map((p) => `${p.pid} ${p.command.slice(0, 40)}`).join("; ") : "none",
        target: "none",
        status: extra.length ? "MISSED" : "met",
      },
    ]);
  } finally {
    guard.release();
    const exited = new Promise((r) => child.once("exit", r));
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    stop();
  }
}
