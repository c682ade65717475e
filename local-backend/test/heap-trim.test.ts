// heapTrim.ts: the served backend collects its garbage once it has grown past a threshold that
// follows the live set (issue #17: a 1,000-post import left ~340 MB of garbage on the main thread).
import { getHeapStatistics } from "node:v8";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { startHeapTrim } from "../src/heapTrim.js";

const MB = 2 ** 20;
const used = () => getHeapStatistics().used_heap_size;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Garbage as a write phase makes it: strings of ~200 KB (V8 puts these straight in old space, where
 * only a major GC frees them), each kept for a round or two (a commit in flight), then dropped.
 */
const ring: string[][] = [];
function churn(mb: number): void {
  const round: string[] = [];
  for (let i = 0; i < mb * 5; i++) round.push(JSON.stringify({ body: `${i} `.padEnd(200_000, "x") }));
  ring.push(round);
  if (ring.length > 2) ring.shift();
}

describe("heap trim", () => {
  it("leaves no global gc() behind: a worker started afterwards (where functions run) has none, as on Convex", async () => {
    const trim = startHeapTrim({ intervalMs: 60_000 });
    try {
      const seen = await new Promise<string>((resolve, reject) => {
        const w = new Worker('require("node:worker_threads").parentPort.postMessage(typeof gc)', { eval: true });
        w.once("message", (m: string) => {
          void w.terminate();
          resolve(m);
        });
        w.once("error", reject);
      });
      expect(seen).toBe("undefined");
    } finally {
      trim.stop();
    }
  });

  it("collects garbage once the heap grew past the threshold, so it never holds much more than the live set", async () => {
    const trim = startHeapTrim({ intervalMs: 10, minGrowthMb: 24, growthFactor: 0.5 });
    try {
      const base = used();
      let peak = 0;
      for (let round = 0; round < 40; round++) {
        churn(8);
        await tick(15);
        peak = Math.max(peak, used() - base);
      }
      ring.length = 0;
      // 320 MB of garbage went through (at most 16 MB of it live at once); each collection brings
      // the heap back near the live set.
      expect(trim.collections()).toBeGreaterThan(0);
      expect(peak).toBeLessThan(100 * MB);
    } finally {
      trim.stop();
    }
  });

  it("does not collect again and again when the live set itself is large (the threshold follows it)", async () => {
    const trim = startHeapTrim({ intervalMs: 5, minGrowthMb: 8, growthFactor: 0.5 });
    const live: string[] = [];
    try {
      // 40 MB that stays live: after at most one collection the base is the new live set.
      for (let i = 0; i < 400; i++) live.push(`${i} `.padEnd(100_000, "y"));
      await tick(60);
      const after = trim.collections();
      await tick(200);
      expect(after).toBeLessThanOrEqual(1);
      expect(trim.collections()).toBe(after);
      expect(live.length).toBe(400);
    } finally {
      trim.stop();
    }
  });

  it("stops: no collection after stop() however much the heap grows", async () => {
    const trim = startHeapTrim({ intervalMs: 5, minGrowthMb: 1, growthFactor: 0 });
    trim.stop();
    const held: string[] = [];
    for (let i = 0; i < 100; i++) held.push(`${i} `.padEnd(100_000, "z"));
    await tick(50);
    expect(trim.collections()).toBe(0);
    expect(held.length).toBe(100);
  });
});
