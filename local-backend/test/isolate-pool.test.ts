// The isolate pool's bounds (ADR 002 "Bounds", isolate/pool.ts PoolBounds): a burst of actions
// (a newsletter send: batches plus two webhooks per message) must not leave the backend holding one
// ~35 MB worker thread per action it ever ran at once. Idle workers are retired, actions queue past
// their cap, and an action's own ctx.runAction still runs at the cap. Real clients against a
// running backend with the isolate-limits fixture; the bounds are lowered so the test is quick.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { LocalBackend, type LocalBackendOptions } from "../src/backend.js";
import { defaultPoolBounds } from "../src/runtime/isolate/pool.js";
import { youngGenerationMb } from "../src/runtime/isolate/handle.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-limits/convex", import.meta.url));
const ACTIONS = "action:64";
const TX = "tx:64";

const opened: Array<{ backend: LocalBackend; dir: string }> = [];
async function start(isolatePool: LocalBackendOptions["isolatePool"], limits: LocalBackendOptions["limits"] = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "lb-isolate-pool-"));
  const backend = await LocalBackend.start({ dataDir: dir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, isolatePool, limits });
  opened.push({ backend, dir });
  return { backend, client: new ConvexHttpClient(backend.url, { logger: false }) };
}
afterEach(async () => {
  for (const { backend, dir } of opened.splice(0)) {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const workers = (b: LocalBackend, klass: string) => b.runner.isolates!.stats()[klass]?.workers ?? 0;
async function until(what: string, ok: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("isolate pool bounds", () => {
  test("the defaults: a transaction worker per core (min 2), an action worker per core plus one (min 3; was 32), idle ones retired after 30 s, one warm", () => {
    expect(defaultPoolBounds(2)).toEqual({ maxTxWorkers: 2, maxActionWorkers: 3, idleMs: 30_000, nodeIdleMs: 1_000, warmTxWorkers: 1 });
    expect(defaultPoolBounds(8)).toEqual({ maxTxWorkers: 8, maxActionWorkers: 9, idleMs: 30_000, nodeIdleMs: 1_000, warmTxWorkers: 1 });
    // A 64 MiB isolate keeps a small young generation; "use node" (512 MiB) a larger one.
    expect(youngGenerationMb(64)).toBe(3);
    expect(youngGenerationMb(512)).toBe(16);
  });

  test('"use node" workers (512 MiB heaps) are retired after their own, shorter idle time (1 s by default)', async () => {
    const { backend, client } = await start({ idleMs: 60_000, nodeIdleMs: 300 });
    expect(await client.action(anyApi.nodeRuntime.echo, { n: 1 })).toBe(2);
    expect(await client.action(anyApi.stuck.sleepAction, { ms: 1 })).toBe("woke");
    expect(workers(backend, "action:512")).toBe(1);
    await until("the idle node worker retired", () => workers(backend, "action:512") === 0, 5_000);
    // The default-runtime worker keeps the longer idle time.
    expect(workers(backend, ACTIONS)).toBe(1);
    expect(await client.action(anyApi.nodeRuntime.echo, { n: 2 })).toBe(3);
  }, 30_000);

  test('a "use node" worker that ends a run holding over 64 MiB of heap is stopped at once, not kept idle', async () => {
    const { backend, client } = await start({ idleMs: 60_000, nodeIdleMs: 60_000 });
    expect(await client.action(anyApi.nodeRuntime.hold, { mb: 8 })).toBe(1);
    expect(workers(backend, "action:512")).toBe(1); // a small heap: kept for the next run
    expect(await client.action(anyApi.nodeRuntime.hold, { mb: 80 })).toBe(2);
    await until("the big node worker stopped", () => workers(backend, "action:512") === 0, 2_000);
    // The next run starts a fresh worker (the module's state is gone with the old one).
    expect(await client.action(anyApi.nodeRuntime.hold, { mb: 1 })).toBe(1);
  });

  test("the function environment is one object until it changes, so workers are sent it only then", async () => {
    const { backend } = await start({});
    const env = backend.functionEnv();
    expect(backend.functionEnv()).toBe(env);
    backend.env.set("POOL_TEST_VAR", "1");
    const next = backend.functionEnv();
    expect(next).not.toBe(env);
    expect(next.POOL_TEST_VAR).toBe("1");
    expect(backend.functionEnv()).toBe(next);
  });

  test("idle action workers are retired; one warm transaction worker stays", async () => {
    const { backend, client } = await start({ idleMs: 300 });
    const woke = await Promise.all(Array.from({ length: 4 }, () => client.action(anyApi.stuck.sleepAction, { ms: 100 })));
    expect(woke).toEqual(["woke", "woke", "woke", "woke"]);
    expect(workers(backend, ACTIONS)).toBeGreaterThan(1);
    const pings = await Promise.all(Array.from({ length: 8 }, (_, n) => client.query(anyApi.stuck.manyReads, { rounds: 20 + n })));
    expect(pings).toHaveLength(8);
    expect(backend.runner.isolates!.peak.get(TX)).toBeGreaterThan(1);
    await until("idle action workers retired", () => workers(backend, ACTIONS) === 0, 5_000);
    await until("transaction workers down to the warm one", () => workers(backend, TX) === 1, 5_000);
    // A worker still in use is not retired: the next call reuses the warm one and works.
    expect(await client.query(anyApi.stuck.ping, { n: 1 })).toBe(2);
    expect(await client.action(anyApi.stuck.sleepAction, { ms: 1 })).toBe("woke");
  }, 30_000);

  test("the pool never exceeds its cap under 100 concurrent actions; the rest queue and all complete", async () => {
    const { backend, client } = await start({ maxActionWorkers: 3 });
    const results = await Promise.all(Array.from({ length: 100 }, () => client.action(anyApi.stuck.sleepAction, { ms: 20 })));
    expect(results).toEqual(Array.from({ length: 100 }, () => "woke"));
    // The cap was reached (so the queue was used) and never passed.
    expect(backend.runner.isolates!.peak.get(ACTIONS)).toBe(3);
    expect(workers(backend, ACTIONS)).toBeLessThanOrEqual(3);
  }, 60_000);

  test("jobs the scheduler starts in one turn start no worker past the cap", async () => {
    // Due jobs start in one loop (scheduler.ts runDue), so their runs ask the pool for a worker in
    // the same turn. Each used to see room while the first start awaited the bundle, and started a
    // worker of its own (10 for 10 jobs against a cap of 3), stopped again when it finished.
    const { backend, client } = await start({ maxActionWorkers: 3 });
    await client.mutation(anyApi.stuck.scheduleSleeps, { n: 10, ms: 50 });
    await until("the 10 jobs ran", () => backend.scheduler.pendingJobs().length === 0, 10_000);
    await backend.scheduler.idle();
    expect(backend.runner.isolates!.peak.get(ACTIONS)).toBe(3);
    expect(workers(backend, ACTIONS)).toBeLessThanOrEqual(3);
  }, 30_000);

  test("actions calling ctx.runAction at the cap do not deadlock; the extra workers are not kept", async () => {
    // A deadlock would surface as the action time limit, not a hang.
    const { backend, client } = await start({ maxActionWorkers: 2 }, { actionTimeoutMs: 10_000 });
    const results = await Promise.all(Array.from({ length: 4 }, () => client.action(anyApi.nested.actionViaAction, { ms: 100 })));
    expect(results).toEqual(["woke", "woke", "woke", "woke"]);
    expect(backend.runner.isolates!.peak.get(ACTIONS)).toBeGreaterThan(2);
    expect(workers(backend, ACTIONS)).toBeLessThanOrEqual(2);
  }, 30_000);
});
