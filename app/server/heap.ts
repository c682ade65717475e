// The V8 heap bound of each app server worker (issue #18, memory).
//
// V8 grows a heap after each full collection by a factor it derives from the heap's limit: up to
// 4× the live size when the limit is 2 GB or more (Node's default here is ~4 GB, from the machine's
// RAM), 1.3–2× below it (V8's MemoryController::MaxGrowingFactor). Measured in the reader bench
// (2 workers, after its load; the two runs back to back on one machine):
//
// | worker heap limit     | worker RSS     | heap used / total    | GC pauses (minor / major)  | cached home, post, tag (req/s, c=50) |
// | Node's default, ~4 GB | 293 and 370 MB | 172–205 / 196–266 MB | 583–688 (4.4–5.1 s) / 22–26 (0.2–0.3 s) | 5,092, 3,068, 4,736 |
// | 512 MB                | 204 and 235 MB | 59–63 / 117–132 MB   | 817–827 (6.5–6.6 s) / 184–194 (1.7–1.8 s) | 5,632, 4,709, 4,290 |
//
// The heap snapshot of such a worker holds ~85 MB live. The bound's cost is ~3 s more GC pause per
// worker over ~4 minutes of load (~1% of its CPU; the throughput rows move within the bench's
// run-to-run noise). 512 leaves room for every cache at its byte bound (front.server.ts,
// cache.server.ts, render.server.ts: ~130–190 MB of heap at most) plus an export in flight (+72 MB
// in the migrate bench), so a busy worker does not run out of heap.
// Young generation: V8 sizes it from the same limit (4 MB semispaces at 512 MB, 16 MB by default).

/** Each worker's old-space limit in MB unless WORKER_HEAP_MB or the operator's own flag says otherwise. */
export const DEFAULT_WORKER_HEAP_MB = 512;

const HEAP_FLAG = /(^|\s)--max-old-space-size(=|\s|$)/;

/**
 * The node flags a cluster worker starts with: the primary's own, plus `--max-old-space-size` unless
 * the operator already set one (in the primary's flags or NODE_OPTIONS, which workers inherit).
 * Throws on a WORKER_HEAP_MB that is not a whole number of MB ≥ 64 (the server does not start).
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined, heapMb: string | undefined): string[] {
  if (execArgv.some((a) => HEAP_FLAG.test(a)) || HEAP_FLAG.test(nodeOptions ?? "")) {
    if (heapMb !== undefined) throw new Error("WORKER_HEAP_MB is set, and so is --max-old-space-size (node flags or NODE_OPTIONS): set one of them");
    return [...execArgv];
  }
  const mb = heapMb === undefined ? DEFAULT_WORKER_HEAP_MB : Number(heapMb);
  if (!Number.isInteger(mb) || mb < 64) throw new Error(`WORKER_HEAP_MB must be a whole number of megabytes, at least 64 (got "${heapMb}")`);
  return [...execArgv, `--max-old-space-size=${mb}`];
}
