// The published Convex components issue #13 names (item 2: "for example @convex-dev/workpool,
// migrations, sharded-counter, aggregate"), each used through its client class as its README shows,
// running on a real LocalBackend with its scheduler. Fixture: test/fixtures-published (the four
// installed side by side; workpool and aggregate bring their nested batch-worker).
// Scheduled work is awaited by polling the component's own status functions with a deadline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import type { JSONValue } from "convex/values";

const CONVEX_DIR = fileURLToPath(new URL("./fixtures-published/convex/", import.meta.url));

let backend: LocalBackend;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-published-"));
  backend = await LocalBackend.start({ dataDir, convexDir: CONVEX_DIR, crons: false });
}, 120_000);
afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function unwrap(outcome: any): any {
  if (!outcome.ok) throw new Error(outcome.errorMessage ?? JSON.stringify(outcome));
  return JSON.parse(outcome.valueJson);
}
const query = async (p: string, args: JSONValue = {}) => unwrap(await backend.runner.runQuery(p, args));
const mutation = async (p: string, args: JSONValue = {}) => unwrap(await backend.runner.runMutation(p, args));
const action = async (p: string, args: JSONValue = {}) => unwrap(await backend.runner.runAction(p, args));

/** Polls `read` until `done` holds, failing with the last value seen after `ms`. */
async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}

test("the tree: the four components and their nested batch-workers", () => {
  const tree = [...backend.runner.app.components!.values()].map((c) => [c.path, c.definitionName]).sort();
  expect(tree).toEqual([
    ["aggregate", "aggregate"],
    ["aggregate/batchWorker", "batchWorker"],
    ["migrations", "migrations"],
    ["shardedCounter", "shardedCounter"],
    ["workpool", "workpool"],
    ["workpool/batchWorker", "batchWorker"],
  ]);
});

describe("@convex-dev/workpool", () => {
  test("an enqueued action that fails twice is retried with backoff, succeeds, and onComplete gets its value", async () => {
    const id = await mutation("jobs:enqueue", { job: "flaky", failTimes: 2, kind: "action" });
    expect(typeof id).toBe("string");
    await waitFor(() => query("jobs:status", { id }), (s) => s.state === "finished");
    const out = await waitFor(() => query("jobs:outcome", { job: "flaky" }), (o) => o.completions.length > 0);
    expect(out).toEqual({ attempts: 3, completions: [{ kind: "success", value: "flaky done on attempt 3" }] });
  }, 30_000);

  test("an action failing more often than maxAttempts ends failed, with the last error, after exactly maxAttempts", async () => {
    const id = await mutation("jobs:enqueue", { job: "doomed", failTimes: 99, kind: "action" });
    await waitFor(() => query("jobs:status", { id }), (s) => s.state === "finished");
    const out = await waitFor(() => query("jobs:outcome", { job: "doomed" }), (o) => o.completions.length > 0);
    expect(out.attempts).toBe(4);
    expect(out.completions).toHaveLength(1);
    expect(out.completions[0].kind).toBe("failed");
    expect(out.completions[0].value).toContain("attempt 4 of doomed fails");
  }, 30_000);

  test("enqueued mutations all run exactly once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await mutation("jobs:enqueue", { job: `m${i}`, failTimes: 0, kind: "mutation" }));
    for (const id of ids) await waitFor(() => query("jobs:status", { id }), (s) => s.state === "finished");
    for (let i = 0; i < 6; i++) {
      const out = await waitFor(() => query("jobs:outcome", { job: `m${i}` }), (o) => o.completions.length > 0);
      expect(out).toEqual({ attempts: 1, completions: [{ kind: "success", value: `m${i}`.length }] });
    }
  }, 30_000);
});

describe("@convex-dev/migrations", () => {
  test("runOne migrates a table in batches (each batch a scheduled mutation) to completion", async () => {
    await mutation("migrate:seed", { count: 50 });
    await mutation("migrate:start");
    const [status] = await waitFor(() => query("migrate:status"), (s) => s[0]?.state !== "inProgress");
    expect(status).toMatchObject({ name: "migrate:setDoubled", state: "success", isDone: true, processed: 50 });
    const items: Array<[number, number | null, string]> = await query("migrate:items");
    expect(items).toHaveLength(50);
    for (const [n, doubled] of items) expect(doubled).toBe(n * 2);
    // Batches of 7 (the define's batchSize), each its own transaction: 8 distinct commit timestamps.
    const batches = new Map<string, number>();
    for (const [, , batch] of items) batches.set(batch, (batches.get(batch) ?? 0) + 1);
    expect([...batches.values()].sort((a, b) => a - b)).toEqual([1, 7, 7, 7, 7, 7, 7, 7]);
    // Started again, it is already done: nothing is processed twice.
    await mutation("migrate:start");
    expect((await query("migrate:status"))[0]).toMatchObject({ state: "success", processed: 50 });
  }, 30_000);
});

describe("@convex-dev/sharded-counter", () => {
  test("counts exactly under many concurrent mutations on one key", async () => {
    const adds = Array.from({ length: 60 }, (_, i) => mutation("counter:add", { key: "likes", by: (i % 3) + 1 }));
    await Promise.all(adds);
    // 20 × (1 + 2 + 3)
    expect(await query("counter:count", { key: "likes" })).toBe(120);
    await mutation("counter:add", { key: "likes", by: -20 });
    expect(await query("counter:count", { key: "likes" })).toBe(100);
    expect(await query("counter:count", { key: "other" })).toBe(0);
  }, 30_000);
});

describe("@convex-dev/aggregate", () => {
  test("count, sum and rank stay exact through inserts, patches and deletes via its trigger", async () => {
    const ids: Record<number, string> = {};
    for (const score of [5, 40, 12, 7, 99, 23]) ids[score] = await mutation("leaderboard:add", { player: `p${score}`, score });
    expect(await query("leaderboard:stats", { score: 23 })).toEqual({ count: 6, sum: 186, rankOf: 3, top: 99, below10: 2 });
    await mutation("leaderboard:remove", { id: ids[99] });
    await mutation("leaderboard:setScore", { id: ids[5], score: 30 });
    // scores now 7, 12, 23, 30, 40
    expect(await query("leaderboard:stats", { score: 23 })).toEqual({ count: 5, sum: 112, rankOf: 2, top: 40, below10: 1 });
    // A failing mutation rolls back the component's write with the app's.
    await expect(mutation("leaderboard:remove", { id: ids[99] })).rejects.toThrow();
    expect(await query("leaderboard:stats", { score: 40 })).toEqual({ count: 5, sum: 112, rankOf: 4, top: 40, below10: 1 });
  }, 30_000);
});
