// Starts test/hostile/child.ts (a backend in its own process) for the hostile-input tests, so that
// an input that crashes the backend shows up as a dead process instead of taking down the runner.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..", "..");

export interface ChildBackend {
  url: string;
  siteUrl: string;
  adminKey: string;
  child: ChildProcess;
  /** Everything the child wrote to stderr so far (stack traces of uncaught errors land here). */
  stderr(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Resident set size of the child, in bytes (Linux /proc). */
  rss(): number;
  stop(): Promise<void>;
}

export async function startChildBackend(): Promise<ChildBackend> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lb-hostile-"));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "child.ts"), dataDir], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const info = await new Promise<{ url: string; siteUrl: string; adminKey: string }>((resolve, reject) => {
    let out = "";
    const guard = setTimeout(() => reject(new Error(`hostile child did not start in 60 s; stderr:\n${stderr}`)), 60_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(guard);
        resolve(JSON.parse(line));
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      reject(new Error(`hostile child exited (${signal ?? code}) before starting; stderr:\n${stderr}`));
    });
  });
  return {
    ...info,
    child,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)![1]) * 1024;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.stdin!.end();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(kill);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
