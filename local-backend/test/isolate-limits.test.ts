// Convex's function limits (issue #13 item 5): queries and mutations get 1 s of user code and a
// 64 MiB heap, actions 10 minutes; past a limit the call gets Convex's error and the backend keeps
// serving. Real clients against a running backend; the stuck function really runs while the
// other requests are answered. What it cannot prove: the exact instant of termination (the
// clock counts the worker thread's CPU time, so on a loaded machine the wall time is longer).
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { CONVEX_LIMITS, outOfMemoryMessage, timeoutMessage } from "../src/runtime/isolate/pool.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-limits/convex", import.meta.url));
/** Shorter than Convex's 10 minutes so the action limit can be seen in a test; queries keep Convex's. */
const ACTION_LIMIT_MS = 1500;

let dataDir: string;
let backend: LocalBackend;
const client = () => new ConvexHttpClient(backend.url, { logger: false });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-isolate-limits-"));
  backend = await LocalBackend.start({
    dataDir,
    convexDir: FIXTURE,
    port: 0,
    host: "127.0.0.1",
    crons: false,
    limits: { actionTimeoutMs: ACTION_LIMIT_MS },
  });
});

afterAll(async () => {
  await backend?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value, error: null as Error | null }), (error: Error) => ({ value: null, error }));

describe("limits as in Convex", () => {
  test("the defaults are Convex's: 1 s for queries and mutations, 10 min for actions, 64 MiB (512 MiB in Node)", () => {
    expect(CONVEX_LIMITS).toEqual({ userTimeoutMs: 1000, actionTimeoutMs: 600_000, heapMb: 64, nodeHeapMb: 512 });
    expect(timeoutMessage(1000)).toBe("Function execution timed out (maximum duration: 1s)");
    expect(timeoutMessage(600_000)).toBe("Function execution timed out (maximum duration: 600s)");
    expect(outOfMemoryMessage(64)).toBe("JavaScript execution ran out of memory (maximum memory usage: 64 MB)");
  });

  test("a query stuck in a synchronous infinite loop times out, and other requests are served meanwhile", async () => {
    let stuckDone = false;
    const started = Date.now();
    const stuck = settle(client().query(anyApi.stuck.loopQuery, {})).finally(() => (stuckDone = true));
    await new Promise((r) => setTimeout(r, 150));
    const other = client();
    const servedWhileStuck: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await other.query(anyApi.stuck.ping, { n: i });
      expect(r).toBe(i + 1);
      if (!stuckDone) servedWhileStuck.push(i);
    }
    expect(servedWhileStuck.length).toBeGreaterThan(0);
    const { error } = await stuck;
    expect(error?.message).toContain("Function execution timed out (maximum duration: 1s)");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await other.query(anyApi.stuck.ping, { n: 41 })).toBe(42);
  });

  test("a mutation stuck in a loop commits nothing and releases the write lock", async () => {
    const before = await client().query(anyApi.stuck.countNotes, {});
    const stuck = settle(client().mutation(anyApi.stuck.loopMutation, {}));
    await new Promise((r) => setTimeout(r, 100));
    // Queued behind the stuck one (mutations are serialized), it runs once the loop is stopped.
    const next = await client().mutation(anyApi.stuck.addNote, { text: "after the loop" });
    expect(typeof next).toBe("string");
    const { error } = await stuck;
    expect(error?.message).toContain("Function execution timed out (maximum duration: 1s)");
    expect(await client().query(anyApi.stuck.countNotes, {})).toBe(before + 1);
  });

  test("a nested ctx.runQuery that loops fails its parent mutation, which commits nothing", async () => {
    const before = await client().query(anyApi.stuck.countNotes, {});
    const { error } = await settle(client().mutation(anyApi.nested.loopViaChild, {}));
    expect(error?.message).toContain("Function execution timed out (maximum duration: 1s)");
    expect(await client().query(anyApi.stuck.countNotes, {})).toBe(before);
  });

  test("a query past 64 MiB of heap fails with Convex's out-of-memory error; smaller ones run", async () => {
    const { error } = await settle(client().query(anyApi.stuck.hogMemory, { mb: 300 }));
    expect(error?.message).toContain("JavaScript execution ran out of memory (maximum memory usage: 64 MB)");
    expect(await client().query(anyApi.stuck.hogMemory, { mb: 8 })).toBe(8);
    expect(await client().query(anyApi.stuck.ping, { n: 1 })).toBe(2);
  });

  test("actions have a wall-time limit: a sleeping action and a looping one are stopped with Convex's error", async () => {
    expect(await client().action(anyApi.stuck.sleepAction, { ms: 20 })).toBe("woke");
    const [sleeping, looping] = await Promise.all([
      settle(client().action(anyApi.stuck.sleepAction, { ms: 60_000 })),
      settle(client().action(anyApi.stuck.loopAction, {})),
    ]);
    expect(sleeping.error?.message).toContain("Function execution timed out (maximum duration: 1.5s)");
    expect(looping.error?.message).toContain("Function execution timed out (maximum duration: 1.5s)");
    expect(await client().query(anyApi.stuck.ping, { n: 2 })).toBe(3);
  });

  test("HTTP actions run in an isolate: request and response pass through; a stuck one gets a 500 with the timeout", async () => {
    const echo = await fetch(`${backend.siteUrl}/echo`, { method: "POST", body: "hello" });
    expect(echo.status).toBe(201);
    expect(echo.headers.get("x-isolate")).toBe("worker");
    expect(await echo.text()).toBe("echo:hello");
    const stuck = await fetch(`${backend.siteUrl}/loop`);
    expect(stuck.status).toBe(500);
    expect(await stuck.text()).toContain("Function execution timed out (maximum duration: 1.5s)");
  });

  test("many actions waiting on ctx.runQuery do not starve the queries they wait for", async () => {
    // Convex's 10-minute action limit here (spawning many workers on a loaded machine takes a while).
    const dir = mkdtempSync(path.join(tmpdir(), "lb-isolate-actions-"));
    const own = await LocalBackend.start({ dataDir: dir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false });
    try {
      const n = 40;
      const c = new ConvexHttpClient(own.url, { logger: false });
      const results = await Promise.all(Array.from({ length: n }, (_, i) => c.action(anyApi.stuck.queryAfterSleep, { n: i })));
      expect(results).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    } finally {
      await own.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("stopped workers are replaced: the pool stays small and keeps serving", async () => {
    const pool = backend.runner.isolates!;
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => client().query(anyApi.stuck.ping, { n })));
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
    expect(pool.size).toBeGreaterThan(0);
    // Transactions get a few workers per core, actions a few more (pool.ts PoolBounds).
    expect(pool.size).toBeLessThanOrEqual(pool.bounds.maxTxWorkers + pool.bounds.maxActionWorkers);
  });
});
