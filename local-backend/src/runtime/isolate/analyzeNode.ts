import { Worker } from "node:worker_threads";
import type { AnalyzedFunction } from "../analyze.js";
import { currentLoadTimeEnv } from "../globals.js";
import type { AnalyzeAnswer, AnalyzeRequest } from "./analyzeWorker.js";
import { workerScript, youngGenerationMb } from "./handle.js";
import { CONVEX_LIMITS } from "./limits.js";

/**
 * Analyzes "use node" modules in a worker thread that stops afterwards, as Convex analyzes them in
 * its Node executor rather than in the backend. Measured (idle backend serving this app, issue #17):
 * loading them in the backend's own thread kept their code and dependencies (happy-dom, linkedom,
 * sanitize-html, the Stripe SDK, …) resident for nothing, 50–65 MB of RSS, since with isolates on
 * every "use node" function runs in its own worker anyway.
 */

/** `name`: the thrown error's ("" when what was thrown is not an Error). */
export type NodeAnalysis = { ok: true; functions: AnalyzedFunction[] } | { ok: false; moduleError: boolean; name: string; message: string };

/** Each module's analysis by URL, the modules loaded one after another in one worker. */
export async function analyzeNodeModules(modules: Array<{ url: string; modPath: string }>): Promise<Map<string, NodeAnalysis>> {
  const out = new Map<string, NodeAnalysis>();
  if (modules.length === 0) return out;
  const heapMb = CONVEX_LIMITS.nodeHeapMb;
  const worker = new Worker(await workerScript("./analyzeWorker.ts"), {
    eval: true,
    workerData: { env: currentLoadTimeEnv() },
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: youngGenerationMb(heapMb) },
    // The backend's own environment and flags are not user code's (as in isolate workers, handle.ts).
    env: {},
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  try {
    let pending: { resolve: (a: AnalyzeAnswer) => void; reject: (e: Error) => void } | null = null;
    let dead: Error | null = null;
    const die = (e: Error) => {
      dead ??= e;
      pending?.reject(dead);
    };
    worker.on("message", (a: AnalyzeAnswer) => pending?.resolve(a));
    worker.on("error", die);
    worker.on("exit", () => die(new Error("The analysis worker stopped unexpectedly.")));
    for (const [id, m] of modules.entries()) {
      try {
        if (dead) throw dead; // one module's top level took the worker down: the rest cannot load either
        const { id: _answered, ...analysis } = await new Promise<AnalyzeAnswer>((resolve, reject) => {
          pending = { resolve, reject };
          worker.postMessage({ id, url: m.url, modPath: m.modPath } satisfies AnalyzeRequest);
        });
        out.set(m.url, analysis);
      } catch (e) {
        out.set(m.url, { ok: false, moduleError: false, name: "Error", message: (e as Error).message });
      } finally {
        pending = null;
      }
    }
  } finally {
    await worker.terminate();
  }
  return out;
}
