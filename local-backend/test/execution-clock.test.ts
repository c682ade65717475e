// A query's or mutation's clock (isolate/handle.ts Execution): user time, read from the worker
// thread's CPU clock. The base is read CLOCK_BASE_DELAY_MS after the start, so a run that ends
// sooner reads no clock at all (the read was ~8% of the backend's main thread on point queries),
// and a long run is stopped once it has used its budget since the base, never before. A fake
// worker stands in for the thread; the timers are Vitest's fake ones. The real clock, a real stuck
// function and the real kill are in isolate-limits.test.ts.
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { CLOCK_BASE_DELAY_MS, Execution, type IsolateWorker } from "../src/runtime/isolate/handle.js";

let cpuMs = 0;
let clockReads = 0;
let eluReads = 0;
let killed: Error | null = null;
const worker = {
  clock: { ms: () => (clockReads++, cpuMs) },
  worker: { performance: { eventLoopUtilization: () => (eluReads++, { idle: 0, active: 0, utilization: 0 }) } },
  kill: (e: Error) => {
    killed = e;
  },
} as unknown as IsolateWorker;

beforeEach(() => {
  vi.useFakeTimers();
  cpuMs = 0;
  clockReads = 0;
  eluReads = 0;
  killed = null;
});
afterEach(() => vi.useRealTimers());

test("a query that ends before the base delay reads neither the CPU clock nor the event loop's", () => {
  const e = new Execution(worker, 1000, true);
  e.start();
  vi.advanceTimersByTime(CLOCK_BASE_DELAY_MS - 1);
  e.stop();
  vi.advanceTimersByTime(5000);
  expect(clockReads).toBe(0);
  expect(eluReads).toBe(0);
  expect(killed).toBeNull();
});

test("a long query is stopped once it has used its budget since the base, not before", () => {
  const e = new Execution(worker, 1000, true);
  e.start();
  cpuMs = 15; // CPU used before the base is read is not counted (the run may get its budget + the delay)
  vi.advanceTimersByTime(CLOCK_BASE_DELAY_MS);
  expect(clockReads).toBe(1);
  // Waiting on syscalls: wall time passes, CPU time does not; the run is not stopped.
  vi.advanceTimersByTime(3000);
  expect(killed).toBeNull();
  cpuMs = 15 + 990;
  vi.advanceTimersByTime(1000);
  expect(killed).toBeNull();
  cpuMs = 15 + 1000;
  vi.advanceTimersByTime(1000);
  expect(killed?.message).toBe("Function execution timed out (maximum duration: 1s)");
  e.stop();
});

test("an action counts wall time from its start and reads no CPU clock", () => {
  const e = new Execution(worker, 1500, false);
  e.start();
  vi.advanceTimersByTime(1499);
  expect(killed).toBeNull();
  vi.advanceTimersByTime(1);
  expect(killed?.message).toBe("Function execution timed out (maximum duration: 1.5s)");
  expect(clockReads).toBe(0);
  e.stop();
});
