import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { convexTest, type TestConvex } from "../src/testing.js";
import { api } from "./fixture/convex/_generated/api.js";
import { modules } from "./conformance/modules.js";
import schema from "./fixture/convex/schema.js";

const open: TestConvex[] = [];
function setup() {
  const t = convexTest(undefined, modules);
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const names = async (t: TestConvex) => ((await t.query(api.items.list, {})) as Array<{ name: string }>).map((d) => d.name);

describe("scheduler", () => {
  test("finishAllScheduledFunctions runs future jobs and the jobs they schedule", async () => {
    const t = setup();
    await t.mutation(api.scheduling.recordLater, { name: "later", delayMs: 60 * 60 * 1000 });
    await t.mutation(api.scheduling.startChain, { steps: 3 });
    await t.finishAllScheduledFunctions();
    expect((await names(t)).sort()).toEqual(["chain-0", "chain-1", "chain-2", "chain-3", "later"]);
    const jobs = await t.query(api.scheduling.listScheduled, {});
    expect(jobs.every((j: { state: string }) => j.state === "success")).toBe(true);
  });

  test("a job due now runs by itself, and its state ends as success with a completion time", async () => {
    const t = setup();
    const id = await t.mutation(api.scheduling.recordLater, { name: "soon", delayMs: 0 });
    for (let i = 0; i < 100 && !(await names(t)).includes("soon"); i++) await new Promise((r) => setTimeout(r, 10));
    await t.finishInProgressScheduledFunctions();
    expect(await names(t)).toContain("soon");
    const job = await t.query(api.scheduling.jobState, { id });
    expect(job.state).toEqual({ kind: "success" });
    expect(job.completedTime).toEqual(expect.any(Number));
  });

  test("a failing scheduled mutation is marked failed with its error, its writes rolled back, and not retried", async () => {
    const t = setup();
    const id = await t.mutation(api.scheduling.scheduleFailing, {});
    await t.finishAllScheduledFunctions();
    const job = await t.query(api.scheduling.jobState, { id });
    expect(job.state.kind).toBe("failed");
    expect(job.state.error).toMatch(/scheduled failure/);
    expect(await names(t)).not.toContain("should-roll-back");
  });

  test("a scheduled action runs and reaches the database through runMutation", async () => {
    const t = setup();
    const id = await t.mutation(api.scheduling.scheduleAction, { name: "from-action" });
    await t.finishAllScheduledFunctions();
    expect(await names(t)).toContain("from-action");
    expect((await t.query(api.scheduling.jobState, { id })).state).toEqual({ kind: "success" });
  });

  test("a canceled job never runs", async () => {
    const t = setup();
    const id = await t.mutation(api.scheduling.recordLater, { name: "canceled", delayMs: 50 });
    await t.mutation(api.scheduling.cancel, { id });
    await t.finishAllScheduledFunctions();
    expect(await names(t)).not.toContain("canceled");
    expect((await t.query(api.scheduling.jobState, { id })).state).toEqual({ kind: "canceled" });
  });

  test("jobs survive a restart, and a job that fell due while the backend was down runs at start-up", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "lb-sched-"));
    try {
      const first = await LocalBackend.start({ dataDir, modules });
      await first.runner.runMutation("scheduling:recordLater", { name: "after-restart", delayMs: 100 });
      await first.close();
      await new Promise((r) => setTimeout(r, 200));
      const second = await LocalBackend.start({ dataDir, modules });
      try {
        let seen: string[] = [];
        for (let i = 0; i < 200 && !seen.includes("after-restart"); i++) {
          await new Promise((r) => setTimeout(r, 10));
          const out = await second.runner.runQuery("items:names", {});
          seen = out.ok ? JSON.parse(out.valueJson) : [];
        }
        expect(seen).toContain("after-restart");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("harness fetch", () => {
  test("t.fetch routes to convex/http.ts", async () => {
    const t = convexTest(undefined, "local-backend/test/fixture-auth/convex");
    open.push(t);
    const res = await t.fetch("/echo/x", { method: "POST", body: "y" });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("/echo/x:y");
    expect((await t.fetch("/missing")).status).toBe(404);
  });
});

// The cases both harnesses share are in conformance/harness-cases.ts; these look underneath.
describe("scheduler under vi.useFakeTimers()", () => {
  test("each job, nested ones included, runs at its time on the fake clock, not before", async () => {
    vi.useFakeTimers();
    try {
      const t = setup();
      await t.mutation(api.scheduling.recordLater, { name: "in-a-day", delayMs: 24 * 3_600_000 });
      await t.mutation(api.scheduling.startChain, { steps: 2 });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const jobs = (await t.query(api.scheduling.listScheduled, {})) as Array<{ id: string; scheduledTime: number }>;
      expect(jobs.length).toBe(4);
      for (const j of jobs) {
        const { state, completedTime } = await t.query(api.scheduling.jobState, { id: j.id });
        expect(state).toEqual({ kind: "success" });
        expect(completedTime).toBeGreaterThanOrEqual(j.scheduledTime);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  test("a job armed on fake timers that a test then restores still runs through finishAllScheduledFunctions", async () => {
    vi.useFakeTimers();
    const t = setup();
    try {
      await t.mutation(api.scheduling.recordLater, { name: "armed-on-fake", delayMs: 10_000 });
    } finally {
      vi.useRealTimers();
    }
    await t.finishAllScheduledFunctions();
    expect(await names(t)).toEqual(["armed-on-fake"]);
  });
});

describe("harness options", () => {
  test("transactionLimits with Convex's own values is accepted; other values and unknown names are refused", async () => {
    const t = convexTest({ schema, modules, transactionLimits: { documentsRead: 32_000, documentsWritten: 16_000 } });
    open.push(t);
    await t.mutation(api.items.insert, { name: "ok" });
    expect(await names(t)).toEqual(["ok"]);
    expect(() => convexTest({ schema, modules, transactionLimits: { documentsRead: 10 } })).toThrow(
      "transactionLimits.documentsRead = 10: the local backend always enforces Convex's limit (32000)",
    );
    expect(() => convexTest({ schema, modules, transactionLimits: { rowsRead: 10 } as any })).toThrow(
      "transactionLimits.rowsRead is not a limit",
    );
  });

  test("the positional and the object form load the same app", async () => {
    const positional = convexTest(schema, modules);
    const object = convexTest({ schema, modules });
    open.push(positional, object);
    for (const t of [positional, object]) {
      await t.mutation(api.items.insert, { name: "same" });
      expect([...(await t.backend()).runner.app.functions.keys()].sort()).toEqual(
        [...(await positional.backend()).runner.app.functions.keys()].sort(),
      );
    }
    await expect(object.mutation(api.items.insert, { name: 7 } as any)).rejects.toThrow(/ArgumentValidationError/);
  });
});
