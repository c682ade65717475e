// Running a test's scheduled jobs to the end on fake timers, the same way on both backends.
import { vi } from "vitest";
import type { T } from "./factories";

/** The local backend's harness (local-backend/src/testing.ts) carries its backend; convex-test does not. */
function isLocalHarness(t: T): boolean {
  return typeof (t as unknown as { backend?: unknown }).backend === "function";
}

/**
 * Runs every scheduled job, and the jobs they schedule, to the end. The fake clock moves only while
 * no function runs, to the next timer: as if each function took no time, so a job's own watchdog
 * never sees it silent. convex-test's finishAllScheduledFunctions(vi.runAllTimers) instead fires
 * the timers again and again while a function runs; on a loaded machine a send's 10 s watchdog ran
 * often enough during one real batch action to call it dead (STALE_MS) five times and fail its
 * deliveries. The local backend's harness already waits for running jobs before it advances.
 * Fake timers must be installed before the jobs are scheduled (a job on a real timer is not seen).
 * With `stepMs`, the clock moves by that much per step, for `maxSteps` steps, instead of to the next
 * timer until none is left (for tests whose HTTP clients keep timers armed forever). On the local
 * backend's harness `maxSteps` bounds the jobs run instead.
 */
export async function runScheduledJobs(t: T, maxSteps = 500, stepMs?: number): Promise<void> {
  if (!vi.isFakeTimers()) throw new Error("runScheduledJobs: install fake timers (vi.useFakeTimers) before scheduling");
  const advance = stepMs === undefined ? () => vi.advanceTimersToNextTimer() : () => vi.advanceTimersByTime(stepMs);
  if (isLocalHarness(t)) return await t.finishAllScheduledFunctions(stepMs === undefined ? vi.runAllTimers : advance, maxSteps);
  for (let step = 0; step < maxSteps; step++) {
    await t.finishInProgressScheduledFunctions();
    // With stepMs (timers that re-arm forever, as an HTTP client's keep-alive): maxSteps steps of it.
    if (stepMs === undefined && vi.getTimerCount() === 0) return;
    advance();
  }
  await t.finishInProgressScheduledFunctions();
  if (stepMs === undefined) throw new Error(`runScheduledJobs: timers still pending after ${maxSteps} steps; is a job rescheduling itself forever?`);
}
