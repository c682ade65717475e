import * as esbuild from "esbuild";

/**
 * Every esbuild call the backend makes (bundling a convex/ folder or a component, analyzing a
 * pushed module, building the isolate workers' script) goes through here, so that esbuild's
 * service process does not stay resident between them (issue #18: "esbuild must not stay resident
 * in production"). esbuild's JS API starts a long-lived `esbuild --service` child on first use and
 * keeps it for the life of the process; after bundling a large folder it held ~370 MB of RSS in
 * the reader bench. A push makes several calls in a row, so the service is stopped once no call
 * has been in flight for IDLE_MS, not after each one; a later call starts it again (~10 ms).
 */
export const ESBUILD_IDLE_MS = 1_000;

let inFlight = 0;
let idle: NodeJS.Timeout | null = null;

async function using<T>(call: () => Promise<T>): Promise<T> {
  inFlight++;
  if (idle) clearTimeout(idle);
  idle = null;
  try {
    return await call();
  } finally {
    if (--inFlight === 0) {
      idle = setTimeout(() => {
        idle = null;
        // Stopping with a call in flight would fail that call; a call that started since re-arms.
        if (inFlight === 0) void esbuild.stop();
      }, ESBUILD_IDLE_MS);
      idle.unref();
    }
  }
}

export function build<T extends esbuild.BuildOptions>(options: esbuild.SameShape<esbuild.BuildOptions, T>): Promise<esbuild.BuildResult<T>> {
  return using(() => esbuild.build(options));
}

export function transform<T extends esbuild.TransformOptions>(
  input: string | Uint8Array,
  options?: esbuild.SameShape<esbuild.TransformOptions, T>,
): Promise<esbuild.TransformResult<T>> {
  return using(() => esbuild.transform(input, options));
}

/** Whether esbuild calls are in flight or the service is being kept for the next one (for tests). */
export function esbuildBusy(): boolean {
  return inFlight > 0 || idle !== null;
}
