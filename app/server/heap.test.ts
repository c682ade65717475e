import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DEFAULT_WORKER_HEAP_MB, workerExecArgv } from "./heap";

const MB = 2 ** 20;

describe("workerExecArgv: each app server worker's heap bound (issue #18, memory)", () => {
  test("adds the default bound, or WORKER_HEAP_MB's, to the primary's own flags", () => {
    expect(workerExecArgv(["--enable-source-maps"], undefined, undefined)).toEqual(["--enable-source-maps", `--max-old-space-size=${DEFAULT_WORKER_HEAP_MB}`]);
    expect(workerExecArgv([], "--enable-source-maps", "300")).toEqual(["--max-old-space-size=300"]);
  });

  test("leaves an operator's own --max-old-space-size alone (node flags or NODE_OPTIONS)", () => {
    expect(workerExecArgv(["--max-old-space-size=1024"], undefined, undefined)).toEqual(["--max-old-space-size=1024"]);
    expect(workerExecArgv([], "--trace-warnings --max-old-space-size=2048", undefined)).toEqual([]);
    // Both at once is a mistake: which one wins would be a guess.
    expect(() => workerExecArgv([], "--max-old-space-size=2048", "300")).toThrow(/WORKER_HEAP_MB is set, and so is --max-old-space-size/);
  });

  test.each(["", "abc", "12.5", "-1", "32"])("refuses WORKER_HEAP_MB=%j with a message", (value) => {
    expect(() => workerExecArgv([], undefined, value)).toThrow(/WORKER_HEAP_MB must be a whole number of megabytes, at least 64/);
  });
});

// The real server (app/server/index.ts under tsx) with 2 workers and a stand-in build (the Remix
// build is not made during Vitest): its SIGUSR2 report says each process's V8 heap limit.
describe("app server: the workers run with the bound", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "server-heap-"));
  mkdirSync(path.join(dir, "server"));
  mkdirSync(path.join(dir, "client"));
  writeFileSync(
    path.join(dir, "server", "index.js"),
    `export const entry = { module: {} }; export const routes = {}; export const assets = { entry: { module: "", imports: [] }, routes: {}, url: "", version: "1" };
export const future = {}; export const publicPath = "/build/"; export const assetsBuildDirectory = "."; export const isSpaMode = false; export const mode = "production";\n`,
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the server, asks for its memory report, stops it; the report's lines, or its exit and stderr. */
  function run(env: Record<string, string>, processes = 3): Promise<{ lines: Array<{ role: string; heapLimit: number }>; code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", "app/server/index.ts"], {
      env: { ...process.env, WEB_CONCURRENCY: "2", PORT: "0", HOST: "127.0.0.1", BUILD_PATH: path.join(dir, "server", "index.js"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Array<{ role: string; heapLimit: number }> = [];
    let out = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      out += d;
      if (/\((\d+ workers|1 process)\)/.test(out) && !out.includes("[pressroom] memory")) child.kill("SIGUSR2");
      for (const m of out.matchAll(/^\[pressroom\] memory (.*)$/gm)) if (!lines.some((l) => JSON.stringify(l) === m[1])) lines.push(JSON.parse(m[1]));
      if (lines.length === processes) child.kill("SIGTERM");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    return new Promise((resolve) => child.on("exit", (code) => (clearTimeout(timer), resolve({ lines, code, stderr }))));
  }

  test("default and WORKER_HEAP_MB: every worker's limit is that many MB (plus V8's young generation); the primary keeps Node's", async () => {
    for (const [env, mb] of [[{}, DEFAULT_WORKER_HEAP_MB], [{ WORKER_HEAP_MB: "300" }, 300]] as const) {
      const { lines, stderr } = await run(env);
      expect(lines.map((l) => l.role).sort(), stderr).toEqual(["primary", "worker", "worker"]);
      for (const l of lines.filter((l) => l.role === "worker")) {
        expect(l.heapLimit).toBeGreaterThanOrEqual(mb * MB);
        expect(l.heapLimit).toBeLessThan((mb + 64) * MB);
      }
      // Node's default on this machine (from its RAM) is far above either bound.
      expect(lines.find((l) => l.role === "primary")!.heapLimit).toBeGreaterThan(1024 * MB);
    }
  }, 90_000);

  test("one process (WEB_CONCURRENCY=1): WORKER_HEAP_MB cannot apply, and the server says so at start", async () => {
    const { lines, stderr } = await run({ WEB_CONCURRENCY: "1", WORKER_HEAP_MB: "300" }, 1);
    expect(lines.map((l) => l.role)).toEqual(["worker"]);
    expect(lines[0].heapLimit).toBeGreaterThan(1024 * MB);
    expect(stderr).toContain("WORKER_HEAP_MB has no effect with WEB_CONCURRENCY=1");
  }, 60_000);

  test("a bad WORKER_HEAP_MB stops the server at start with the reason", async () => {
    const { lines, code, stderr } = await run({ WORKER_HEAP_MB: "lots" });
    expect(code).toBe(1);
    expect(lines).toEqual([]);
    expect(stderr).toContain('WORKER_HEAP_MB must be a whole number of megabytes, at least 64 (got "lots")');
  }, 60_000);
});
