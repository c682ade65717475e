import { parentPort, workerData } from "node:worker_threads";
import { analyzeExports, type AnalyzedFunction } from "../analyze.js";
import { dropEvalGlobals, installGlobals, setLoadTimeEnv } from "../globals.js";
import { ModuleLoadError } from "../moduleLoadError.js";

/**
 * A throwaway "use node" worker that loads modules and sends back what analysis reads from them
 * (analyzeNode.ts), so the backend's own thread never holds their code and dependencies.
 */

export interface AnalyzeRequest {
  id: number;
  url: string;
  modPath: string;
}

export type AnalyzeAnswer =
  | { id: number; ok: true; functions: AnalyzedFunction[] }
  /** `moduleError`: a ModuleLoadError, whose message is the whole text; otherwise what top-level code threw. */
  | { id: number; ok: false; moduleError: boolean; name: string; message: string };

const port = parentPort!;
installGlobals();
dropEvalGlobals();
// Module scope sees the function environment of the load, as in the backend's own thread.
const env = (workerData as { env: Record<string, string> }).env;
setLoadTimeEnv(() => env);

port.on("message", async (m: AnalyzeRequest) => {
  let answer: AnalyzeAnswer;
  try {
    answer = { id: m.id, ok: true, functions: analyzeExports(m.modPath, await import(m.url), true) };
  } catch (e) {
    const error = e instanceof Error ? e : null;
    answer = { id: m.id, ok: false, moduleError: e instanceof ModuleLoadError, name: error?.name ?? "", message: error ? error.message : String(e) };
  }
  port.postMessage(answer);
});
