import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Keeps the serving backend's own heap near its live set (issue #17, "memory stays under 500 MB").
 *
 * Measured (migrate bench, 1,000-post Ghost import): the main thread's live set is ~150 MB, but a
 * write phase (a chain of ~100 mutations of 10 posts each: documents, index keys, search terms and
 * syscall strings that die after each commit) grew its used heap 154 → 494 MB without a single
 * major GC: V8's default limit here is ~4 GB and its growing factor (up to 4× the last live size)
 * let old space fill with garbage that only its memory reducer gave back ~50 s later.
 * A fixed `--max-old-space-size` near the live set (192 MB kept the phase under 511 MB) would be
 * an out-of-memory crash waiting for a bigger workload (a 100,000-member send); this cannot fail
 * that way: it only collects sooner, and the threshold follows the live set, so a big live set
 * raises it instead of making GC run back to back.
 *
 * Every `intervalMs`, when the used heap has grown by more than max(`minGrowthMb`, the live set
 * after the last collection × `growthFactor`), it runs a full GC. Cost: one full GC (~50-150 ms
 * on the 2-core bench machine for a ~250 MB heap) per such growth, only while the heap grows.
 */
export interface HeapTrimOptions {
  intervalMs: number;
  minGrowthMb: number;
  growthFactor: number;
}

export const DEFAULT_HEAP_TRIM: HeapTrimOptions = { intervalMs: 500, minGrowthMb: 64, growthFactor: 0.5 };

let gcFn: (() => void) | null = null;

/**
 * V8's gc(), without starting Node with --expose-gc (the flag only installs it in new contexts).
 * The flag is turned off again at once: left on, every context made later (the isolate workers
 * that run functions) would have a global `gc`, which Convex's runtime does not.
 */
function gc(): () => void {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    try {
      gcFn = runInNewContext("gc") as () => void;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  return gcFn;
}

const usedBytes = () => getHeapStatistics().used_heap_size;

/** Starts the trimmer; returns its stop function. The timer never keeps the process alive. */
export function startHeapTrim(options: Partial<HeapTrimOptions> = {}): { stop(): void; collections(): number } {
  const o = { ...DEFAULT_HEAP_TRIM, ...options };
  const collect = gc();
  let live = usedBytes();
  let count = 0;
  const timer = setInterval(() => {
    const used = usedBytes();
    // V8's own collections count too: a used heap below the last live size resets the base.
    if (used < live) live = used;
    if (used - live <= Math.max(o.minGrowthMb * 2 ** 20, live * o.growthFactor)) return;
    collect();
    count++;
    live = usedBytes();
  }, o.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), collections: () => count };
}
