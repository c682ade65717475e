// Shared helpers of the local-backend benchmarks: the operations, a time-bounded load loop with
// latency percentiles, aligned tables, and child processes that report one JSON line.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURE_CONVEX_DIR = path.join(BENCH_DIR, "fixture", "convex");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..", "..");

/** Must match `GROUPS` and `payloadFor` in fixture/convex/docs.ts. */
export const GROUPS = 100;
export function payloadFor(n: number): string {
  return `payload-${n}-`.padEnd(100, "x");
}

/** Group used by the insert benchmark, so inserts never change the pages the queries read. */
export const INSERT_GROUP = "inserted";

/** A small seeded PRNG (mulberry32), so every run asks for the same documents. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type OpName = "getByN" | "page20" | "paginate20" | "insert";
export const OPS: OpName[] = ["getByN", "page20", "paginate20", "insert"];
export const OP_LABEL: Record<OpName, string> = {
  getByN: "point query (by_n eq, unique)",
  page20: "indexed page (by_group_n, take 20)",
  paginate20: "paginate 20 (by_group_n, cursor chain)",
  insert: "insert mutation (1 doc)",
};

/**
 * One call of an operation through some transport. `call(path, args)` runs a query or a mutation
 * and resolves with its (decoded) value, or throws.
 */
export type Caller = {
  query(path: string, args: Record<string, unknown>): Promise<any>;
  mutation(path: string, args: Record<string, unknown>): Promise<any>;
};

/**
 * Builds one worker's operation: a closure with its own random stream and pagination cursor.
 * `docs` is the number of seeded documents (n = 0 … docs - 1), `worker` makes streams differ.
 */
export function makeOp(op: OpName, caller: Caller, docs: number, worker: number): () => Promise<void> {
  const rand = prng(0x5eed + worker * 7919 + OPS.indexOf(op) * 104729);
  switch (op) {
    case "getByN":
      return async () => {
        const n = Math.floor(rand() * docs);
        const doc = await caller.query("docs:getByN", { n });
        if (!doc || doc.n !== n) throw new Error(`getByN(${n}) returned ${JSON.stringify(doc)}`);
      };
    case "page20":
      return async () => {
        const group = `g${Math.floor(rand() * GROUPS)}`;
        const rows = await caller.query("docs:page20", { group });
        if (!Array.isArray(rows) || rows.length !== Math.min(20, Math.ceil(docs / GROUPS))) {
          throw new Error(`page20(${group}) returned ${rows?.length} rows`);
        }
      };
    case "paginate20": {
      let group = `g${worker % GROUPS}`;
      let cursor: string | null = null;
      return async () => {
        const r = await caller.query("docs:paginate20", { group, paginationOpts: { numItems: 20, cursor } });
        if (!r || !Array.isArray(r.page)) throw new Error(`paginate20 returned ${JSON.stringify(r)}`);
        if (r.isDone) {
          group = `g${Math.floor(rand() * GROUPS)}`;
          cursor = null;
        } else {
          if (r.page.length !== 20) throw new Error(`paginate20 returned a short page (${r.page.length}) that is not done`);
          cursor = r.continueCursor;
        }
      };
    }
    case "insert": {
      let i = 0;
      return async () => {
        const n = 1e9 + worker * 1e6 + i++;
        await caller.mutation("docs:insert", { n, group: INSERT_GROUP, payload: payloadFor(n) });
      };
    }
  }
}

export interface Measurement {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  concurrency: number;
  /** CPU time (user + system, all threads) of the measuring process per operation, in µs. */
  cpuUsPerOp: number;
  /** For HTTP runs: CPU time of the server process per operation, in µs (filled in by run.ts). */
  serverCpuUsPerOp?: number;
  /** Wall-clock window of the measured phase (epoch ms), to match other processes' CPU samples. */
  startEpochMs: number;
  endEpochMs: number;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const epochMs = () => performance.timeOrigin + performance.now();
const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/**
 * Samples this process's CPU time every `everyMs`, so the CPU it spent while another process
 * drove it (the HTTP server under load) can be attributed to that process's measurement windows.
 */
export function sampleCpu(everyMs = 50) {
  const samples: Array<{ t: number; cpu: number }> = [{ t: epochMs(), cpu: cpuMicros() }];
  const timer = setInterval(() => samples.push({ t: epochMs(), cpu: cpuMicros() }), everyMs);
  const at = (t: number) => {
    let i = samples.findIndex((s) => s.t >= t);
    if (i < 0) i = samples.length - 1;
    if (i === 0) return samples[0].cpu;
    const a = samples[i - 1];
    const b = samples[i];
    return b.t === a.t ? b.cpu : a.cpu + ((b.cpu - a.cpu) * (t - a.t)) / (b.t - a.t);
  };
  return {
    /** CPU µs spent between two epoch times. */
    between: (from: number, to: number) => at(to) - at(from),
    stop: () => {
      clearInterval(timer);
      samples.push({ t: epochMs(), cpu: cpuMicros() });
    },
  };
}

/**
 * Runs `concurrency` workers, each calling its operation back to back, for `durationMs` (after a
 * warm-up of `warmupMs`), and reports throughput and latency percentiles (ms). Stops early after
 * `maxOps` operations.
 */
export async function measure(
  workers: Array<() => Promise<void>>,
  { durationMs, warmupMs = 300, maxOps = Infinity }: { durationMs: number; warmupMs?: number; maxOps?: number },
): Promise<Measurement> {
  const run = async (until: number, record: number[] | null, budget: { left: number }) => {
    await Promise.all(
      workers.map(async (op) => {
        while (performance.now() < until && budget.left-- > 0) {
          const t0 = performance.now();
          await op();
          record?.push(performance.now() - t0);
        }
      }),
    );
  };
  if (warmupMs > 0) await run(performance.now() + warmupMs, null, { left: Math.max(1, Math.floor(maxOps / 10)) });
  const latencies: number[] = [];
  const startEpochMs = epochMs();
  const cpu0 = cpuMicros();
  const start = performance.now();
  await run(start + durationMs, latencies, { left: maxOps });
  const seconds = (performance.now() - start) / 1000;
  const cpuUs = cpuMicros() - cpu0;
  const endEpochMs = epochMs();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    concurrency: workers.length,
    cpuUsPerOp: cpuUs / latencies.length,
    startEpochMs,
    endEpochMs,
  };
}

export const fmt = {
  int: (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "-"),
  ms: (x: number) => (Number.isFinite(x) ? (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1)) : "-"),
  ratio: (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×` : "-"),
  mb: (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`,
  s: (ms: number) => `${(ms / 1000).toFixed(2)} s`,
};

/** Prints rows as an aligned text table (numbers right-aligned), with an optional title. */
export function printTable(title: string, rows: Array<Record<string, string>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const numeric = cols.map((c) => rows.every((r) => /^[-+]?[\d,.]+\s*(×|ms|MB|s|%)?$|^-$/.test(r[c] ?? "")));
  const cell = (text: string, i: number) => (numeric[i] ? text.padStart(width[i]) : text.padEnd(width[i]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(`|${width.map((w, i) => (numeric[i] ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`);
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? "")));
}

const RESULT_PREFIX = "BENCH_RESULT ";

/** In a child: prints the result line the parent waits for. */
export function reportResult(value: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(value)}\n`);
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, "SIGKILL");
});

/**
 * Runs `node --import tsx <script> <json config>` and resolves with the JSON it reports. The
 * child is killed after `timeoutMs`; its stderr is forwarded.
 */
export function runChild<T>(script: string, config: unknown, timeoutMs: number): Promise<T> {
  // A bare name is a file of this folder; sections kept elsewhere (tools/bench) pass their own path.
  const file = path.isAbsolute(script) ? script : path.join(BENCH_DIR, script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, JSON.stringify(config)], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.add(child);
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) {
        // Reject (rather than throw from this handler) on a truncated or malformed result line.
        try {
          resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
        } catch (e) {
          reject(new Error(`${script} reported an unreadable result (${line.length} chars): ${(e as Error).message}`));
        }
      } else reject(new Error(`${script} exited with ${signal ?? code}${signal === "SIGKILL" ? ` (timeout ${timeoutMs} ms?)` : ""}:\n${out}`));
    });
  });
}

/** In a child: exits on its own after `ms`, whatever happens (servers must stop by themselves). */
export function exitAfter(ms: number): void {
  setTimeout(() => {
    console.error(`[bench] ${path.basename(process.argv[1] ?? "child")} exceeded ${ms} ms, exiting.`);
    process.exit(3);
  }, ms).unref();
}
