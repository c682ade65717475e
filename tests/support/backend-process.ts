// The app's local backend as a separate process (`local-backend serve --convex-dir convex`, as
// `npm run local-backend -- serve` runs it), for tests and benches that kill it (SIGKILL) or measure
// its memory, and restart it on the same data dir and port. Everything binds 127.0.0.1.
//
// Setup runs in this process first (`prepareDataDir`): an in-process LocalBackend on the data dir
// (scheduler and crons off) sets the function environment and seeds with trusted code, then closes;
// the child then serves that data dir. Two backends never hold one data dir at once.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LocalBackend } from "../../local-backend/src/backend";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(REPO_ROOT, "local-backend", "src", "cli.ts");

let compiledCliPath: string | undefined;

/**
 * The CLI compiled as `npm start` compiles the backend (tools/node-bundle.mjs), for benches that
 * measure what production runs: under tsx, every function the backend creates goes through a
 * keepNames call. Compiled once per process, to build/bench/, in a process of its own: an
 * in-process LocalBackend (prepareDataDir) stops esbuild's shared service once idle
 * (esbuildService.ts), and doing so under a build in flight here hung the send bench.
 */
export async function compiledBackendCli(): Promise<string> {
  if (compiledCliPath) return compiledCliPath;
  const out = path.join(REPO_ROOT, "build", "bench", "local-backend-cli.mjs");
  const bundler = pathToFileURL(path.join(REPO_ROOT, "tools", "node-bundle.mjs")).href;
  const script = `import { bundleNodeFile } from ${JSON.stringify(bundler)}; await bundleNodeFile(${JSON.stringify(CLI)}, ${JSON.stringify(out)});`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"], timeout: 120_000 });
  if (r.status !== 0) throw new Error(`compiling ${CLI} failed (exit ${r.status ?? r.signal})`);
  return (compiledCliPath = out);
}

/** The first port the kernel hands out to outgoing connections and `listen(0)` (Linux's default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A free 127.0.0.1 port whose neighbour (the HTTP actions origin, port + 1) is free too, below the
 * ephemeral range. A test that kills its backend restarts it on the same ports; in the ephemeral
 * range, any client connection made meanwhile (another test's, in parallel) could be given one of
 * them as its local port, and the restart failed with EADDRINUSE (seen once in CI).
 */
export async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  const high = ephemeralLow() - 1; // the pair's upper port stays below the range too
  const low = Math.max(10_000, high - 12_000);
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low));
    if ((await listen(port)) && (await listen(port + 1))) return port;
  }
}

/**
 * Opens the data dir in this process (bundling convex/, no scheduler, no crons), sets `env`, runs
 * `setup` with trusted code (it may call `backend.runner.transactInline` as often as it likes) and
 * closes it. Resolves with setup's value and the data dir's admin key.
 */
export async function prepareDataDir<R>(
  dataDir: string,
  env: Record<string, string>,
  setup: (backend: LocalBackend) => Promise<R>,
): Promise<{ value: R; adminKey: string }> {
  const backend = await LocalBackend.start({
    dataDir,
    convexDir: path.join(REPO_ROOT, "convex"),
    port: 0,
    host: "127.0.0.1",
    scheduler: false,
    crons: false,
  });
  try {
    for (const [name, value] of Object.entries(env)) backend.env.set(name, value);
    return { value: await setup(backend), adminKey: backend.adminKey };
  } finally {
    await backend.close();
  }
}

export interface BackendProcess {
  readonly url: string;
  readonly siteUrl: string;
  /** The running child's pid (changes on restart). */
  pid(): number;
  alive(): boolean;
  /** Starts the backend (again) on the same data dir and port; resolves once it serves. */
  start(): Promise<void>;
  /** Sends `signal` and resolves once the process is gone (nothing when it is not running). */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Resident set size of the running child in bytes (Linux /proc), 0 when it is not running. */
  rss(): number;
  /** The running child's thread count (Linux /proc; isolate workers are threads), 0 when it is not running. */
  threads(): number;
  /** The last output of the child (stdout and stderr), for failure messages. */
  output(): string;
}

/**
 * A `local-backend serve` child on `dataDir` and `port` (HTTP actions on port + 1). Crons run as
 * under `npm start` unless `crons: false` (then IS_TEST=1, as Convex's test deployments).
 * Call `start()`; stop it with `stop("SIGTERM")` (or SIGKILL) when done.
 */
export function backendProcess(opts: {
  dataDir: string;
  port: number;
  crons?: boolean;
  startTimeoutMs?: number;
  nodeArgs?: string[];
  quiet?: boolean;
  /** The CLI compiled to plain JavaScript (tools/node-bundle.mjs), run with node instead of cli.ts under tsx. */
  compiledCli?: string;
}): BackendProcess {
  let child: ChildProcess | null = null;
  // The child logs every call (serveBackend's logCalls): its pipes are always drained, last 20 KB kept.
  let tail = "";
  const keep = (d: string) => {
    tail = (tail + d).slice(-20_000);
  };
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  // A backend left running by a failed test must not outlive the test process.
  const reap = () => {
    if (running()) child!.kill("SIGKILL");
  };
  process.once("exit", reap);
  /** A number from /proc/<pid>/status, 0 when the child is not running. */
  const procStatus = (field: RegExp): number => {
    if (!running()) return 0;
    try {
      return Number(field.exec(readFileSync(`/proc/${child!.pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      return 0; // exited between the check and the read
    }
  };

  return {
    url: `http://127.0.0.1:${opts.port}`,
    siteUrl: `http://127.0.0.1:${opts.port + 1}`,
    pid: () => child?.pid ?? -1,
    alive: running,
    output: () => tail,
    rss: () => procStatus(/VmRSS:\s+(\d+)\s+kB/) * 1024,
    threads: () => procStatus(/Threads:\s+(\d+)/),
    start() {
      if (running()) return Promise.reject(new Error("the backend is already running"));
      return new Promise<void>((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env };
        if (opts.crons === false) env.IS_TEST = "1";
        else delete env.IS_TEST;
        const c = spawn(
          process.execPath,
          [...(opts.nodeArgs ?? []), ...(opts.compiledCli ? [opts.compiledCli] : ["--import", "tsx", CLI]), "serve", "--convex-dir", "convex", "--data-dir", opts.dataDir, "--port", String(opts.port), ...(opts.quiet ? ["--quiet"] : [])],
          { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env },
        );
        child = c;
        tail = ""; // the ready line must come from this start
        let ready = false;
        const guard = setTimeout(() => {
          c.kill("SIGKILL");
          reject(new Error(`backend did not start within ${opts.startTimeoutMs ?? 60_000} ms:\n${tail}`));
        }, opts.startTimeoutMs ?? 60_000);
        c.stderr!.setEncoding("utf8").on("data", keep);
        c.stdout!.setEncoding("utf8").on("data", (d: string) => {
          keep(d);
          if (!ready && tail.includes("[local-backend] serving")) {
            ready = true;
            clearTimeout(guard);
            resolve();
          }
        });
        c.on("exit", (code, signal) => {
          clearTimeout(guard);
          if (!ready) reject(new Error(`backend exited (${signal ?? code}) before it served:\n${tail}`));
        });
      });
    },
    stop(signal) {
      if (!running()) return Promise.resolve();
      const c = child!;
      return new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill(signal);
        // A SIGTERM that does not end it within 10 s becomes a SIGKILL.
        if (signal !== "SIGKILL") setTimeout(() => running() && c.kill("SIGKILL"), 10_000).unref();
      });
    },
  };
}
