/** Convex's function limits (docs.convex.dev/production/state/limits) and the texts of their errors. */

export interface FunctionLimits {
  /** User-code time of a query or mutation (ms). */
  userTimeoutMs: number;
  /** Wall time of an action or HTTP action (ms). */
  actionTimeoutMs: number;
  /** V8 heap of a default-runtime isolate (MiB). */
  heapMb: number;
  /** V8 heap of a "use node" action (MiB). */
  nodeHeapMb: number;
}

export const CONVEX_LIMITS: FunctionLimits = { userTimeoutMs: 1000, actionTimeoutMs: 600_000, heapMb: 64, nodeHeapMb: 512 };

/** Convex's texts (crates/isolate termination.rs: UserTimeoutError, OutOfMemoryError). */
export function timeoutMessage(ms: number): string {
  // Rust's Duration debug format: 1s, 1.5s, 600s, 500ms.
  return `Function execution timed out (maximum duration: ${ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`})`;
}
export function outOfMemoryMessage(mb: number): string {
  return `JavaScript execution ran out of memory (maximum memory usage: ${mb} MB)`;
}
