// The app server's memory report (app/server/index.ts, SIGUSR2): every process's RSS and heap and,
// in each worker, its caches' entries and bytes; printed as a table with the backend beside it and
// the whole stack against issue #18's target.
import type { ChildProcess } from "node:child_process";
import { fmt, printTable } from "../../local-backend/bench/lib.js";
import { treeRss } from "./rss.js";

/** Issue #18: the whole stack's RSS after the bench. */
export const STACK_RSS_TARGET = 500 * 2 ** 20;

interface MemoryLine {
  role: "primary" | "worker";
  pid: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** V8's limit (app/server/heap.ts bounds each worker's). */
  heapLimit: number;
  external: number;
  caches?: {
    responses?: { size: number; bytes: number };
    queries?: { size: number; bytes: number } | null;
    renderedBodies?: { chars: number };
    shareCards?: { size: number; bytes: number };
  };
  heapSnapshot?: string;
  gc?: { minor: { count: number; ms: number }; major: { count: number; ms: number } };
}

const PREFIX = "[pressroom] memory ";

/** Sends SIGUSR2 to the app's primary and collects one line from it and from each worker. */
export async function appMemory(app: ChildProcess, workers: number, timeoutMs = 30_000): Promise<MemoryLine[]> {
  if (!app.stdout || !app.pid) throw new Error("appMemory: the app's stdout must be a pipe");
  const lines: MemoryLine[] = [];
  let buffered = "";
  return await new Promise<MemoryLine[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      app.stdout!.off("data", onData);
      reject(new Error(`appMemory: ${lines.length} of ${workers + 1} memory reports within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(PREFIX)) lines.push(JSON.parse(line.slice(PREFIX.length)) as MemoryLine);
      }
      if (lines.length >= workers + 1) {
        clearTimeout(timer);
        app.stdout!.off("data", onData);
        resolve(lines);
      }
    };
    app.stdout!.on("data", onData);
    process.kill(app.pid!, "SIGUSR2");
  });
}

export interface StackMemory {
  lines: MemoryLine[];
  appTotal: number;
  /**
   * The backend's RSS. When it runs inside another process (the reader bench's), `rss` is an
   * estimate and `bound` the whole host process: the stack's total is printed with each.
   */
  backend: { label: string; rss: number; bound?: { label: string; rss: number } };
}

/** The app's report and its process tree's RSS, taken now (while it runs), with the backend's RSS. */
export async function stackMemory(app: ChildProcess, workers: number, backend: StackMemory["backend"]): Promise<StackMemory> {
  const lines = await appMemory(app, workers);
  return { lines, appTotal: treeRss(app.pid), backend };
}

/** Prints the app's processes and their caches, then the stack's total against the target. */
export function printStackMemory(title: string, m: StackMemory): void {
  const rows: Array<Record<string, string>> = m.lines.map((l) => ({
    process: `app ${l.role} (${l.pid})`,
    RSS: fmt.mb(l.rss),
    "JS heap used / total / limit": `${fmt.mb(l.heapUsed)} / ${fmt.mb(l.heapTotal)} / ${fmt.mb(l.heapLimit)}`,
    // Memory outside the JS heap that V8 knows of (Buffers, ArrayBuffers); the rest of RSS is code,
    // native allocations (zlib, sockets) and the allocator's free pages.
    external: fmt.mb(l.external),
    // Pauses since the process started (the whole reader bench, both caches' loads for the workers).
    "GC pauses, minor / major": l.gc ? `${fmt.int(l.gc.minor.count)} (${fmt.int(l.gc.minor.ms)} ms) / ${fmt.int(l.gc.major.count)} (${fmt.int(l.gc.major.ms)} ms)` : "",
    "response cache": l.caches?.responses ? `${fmt.int(l.caches.responses.size)} / ${fmt.mb(l.caches.responses.bytes)}` : "",
    "query cache": l.caches?.queries ? `${fmt.int(l.caches.queries.size)} / ${fmt.mb(l.caches.queries.bytes)}` : "",
    "rendered bodies": l.caches?.renderedBodies ? fmt.mb(l.caches.renderedBodies.chars) : "",
    "share cards": l.caches?.shareCards ? `${fmt.int(l.caches.shareCards.size)} / ${fmt.mb(l.caches.shareCards.bytes)}` : "",
    "heap snapshot": l.heapSnapshot ?? "",
  }));
  printTable(`${title} (caches: entries / bytes; set HEAP_SNAPSHOT_DIR to also write a heap snapshot per worker)`, rows);
  const row = (process: string, rss: number, judged = false) => ({
    process,
    RSS: fmt.mb(rss),
    target: judged ? `≤ ${fmt.mb(STACK_RSS_TARGET)}` : "",
    status: judged ? (rss <= STACK_RSS_TARGET ? "met" : "MISSED") : "",
  });
  const bound = m.backend.bound;
  printTable("Whole stack's resident memory after the load", [
    row(`app server (primary and ${m.lines.length - 1} workers)`, m.appTotal),
    row(m.backend.label, m.backend.rss),
    row(bound ? "whole stack, with the backend's estimate" : "whole stack", m.appTotal + m.backend.rss, true),
    ...(bound ? [row(bound.label, bound.rss), row("whole stack, with the whole process that holds the backend (an upper bound)", m.appTotal + bound.rss, true)] : []),
  ]);
}
