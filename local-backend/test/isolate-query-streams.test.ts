// Query streams run by isolate workers (isolate/worker.ts, handle.ts): a stream's start and its
// cleanup are sent without waiting (the worker numbers its streams as the backend does), on the
// port that carries its nexts and the run's end; and the backend tells the worker when a query's
// limit is used up, so first() and take(n) do not ask for the "done" the backend would answer
// without reading. What must not change: what each query returns, the error a bad query gets, and
// its read set (a stream's range is narrowed at its cleanup, before the run's read set is taken, so
// a write past what a first() read leaves its cached result alone).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import type { ExecContext } from "../src/runtime/context.js";
import { syncChannelTesting } from "../src/runtime/isolate/syncChannel.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-streams/convex", import.meta.url));

let dataDir: string;
let backend: LocalBackend;
/** Every syscall the backend answered for a worker, in order. */
let ops: string[] = [];

async function query(name: string, args: Record<string, unknown>): Promise<any> {
  const o = await backend.runner.runQuery(`items:${name}`, args as any, {});
  if (!o.ok) throw new Error(o.message);
  return JSON.parse(o.valueJson);
}

async function add(n: number) {
  const o = await backend.runner.runMutation("items:add", { n } as any, {});
  if (!o.ok) throw new Error(o.message);
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-isolate-streams-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, scheduler: false });
  expect(backend.runner.isolates).toBeTruthy(); // functions run in isolate workers here
  const runner = backend.runner;
  const sync = runner.syscall.bind(runner);
  const async = runner.asyncSyscall.bind(runner);
  runner.syscall = (ctx: ExecContext, op: string, args: any) => (ops.push(op), sync(ctx, op, args));
  runner.asyncSyscall = (ctx: ExecContext, op: string, args: any) => (ops.push(op), async(ctx, op, args));
  for (const n of [20, 30, 40]) await add(n);
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Calls answered on the blocking sync channel (syncChannel.ts): the thread waits on each. */
let blockingCalls = 0;

beforeEach(() => {
  backend.runner.queryCache.clear();
  ops = [];
  blockingCalls = 0;
  syncChannelTesting.beforeNotify = () => void blockingCalls++;
});

afterAll(() => {
  syncChannelTesting.beforeNotify = null;
});

const streamOps = () => ops.filter((op) => op.startsWith("1.0/query"));

describe("query streams in isolate workers", () => {
  test("first() asks the backend for one document and never for the 'done' after it, and never blocks on it", async () => {
    expect(await query("firstFrom", { min: 10 })).toBe(20);
    expect(streamOps()).toEqual(["1.0/queryStream", "1.0/queryStreamNext", "1.0/queryCleanup"]);
    expect(blockingCalls).toBe(0);
  });

  test("a query that cannot start fails with its own error, and the next stream in the run is still in step", async () => {
    const r = await query("badThenGood", {});
    expect(r.error).toMatch(/no_such_index/);
    expect(r.good).toBe(20);
    await expect(query("firstFrom", { min: 35 })).resolves.toBe(40);
  });

  test("take(n) asks n times when the range has n; once more only when it runs out first", async () => {
    expect(await query("takeFrom", { min: 10, k: 2 })).toEqual([20, 30]);
    expect(streamOps().filter((op) => op === "1.0/queryStreamNext")).toHaveLength(2);
    ops = [];
    expect(await query("takeFrom", { min: 25, k: 5 })).toEqual([30, 40]);
    expect(streamOps().filter((op) => op === "1.0/queryStreamNext")).toHaveLength(3); // two documents, then the range's end
    ops = [];
    expect(await query("takeFrom", { min: 10, k: 0 })).toEqual([]);
  });

  test("unique() still sees a second match, and still finds none or one", async () => {
    expect(await query("uniqueAt", { n: 30 })).toBe(30);
    expect(await query("uniqueAt", { n: 31 })).toBe(null);
    await add(30);
    await expect(query("uniqueAt", { n: 30 })).rejects.toThrow(/unique\(\) query returned more than one result/);
  });

  test("a loop left early, then another query: each gets its own answers", async () => {
    expect(await query("scanUntil", { stop: 30 })).toEqual({ seen: [20, 30], again: 20 });
  });

  test("a first()'s read set is narrowed to what it read, though its cleanup is not waited for", async () => {
    const stats = backend.runner.queryCache.stats;
    expect(await query("firstFrom", { min: 21 })).toBe(30);
    // Past the document first() returned: the cached result stands (a read set of the whole
    // range [21, ∞) would have been invalidated by this write).
    await add(35);
    const hits = stats.hits;
    expect(await query("firstFrom", { min: 21 })).toBe(30);
    expect(stats.hits).toBe(hits + 1);
    // Before it, inside the range: the query runs again and sees the write.
    await add(25);
    expect(await query("firstFrom", { min: 21 })).toBe(25);
    expect(stats.hits).toBe(hits + 1);
  });
});
