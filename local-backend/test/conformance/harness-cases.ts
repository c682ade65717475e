// Conformance cases for the harness itself (issue #13 item 6): convex-test 0.0.60's object
// signature, inline functions in t.query / t.mutation / t.action, and scheduled functions under
// vi.useFakeTimers(). Registered from cases.ts, so they run on convex-test and on the local backend.
import type { convexTest as ConvexTestFn } from "convex-test";
import { describe, expect, test, vi } from "vitest";
import { api, internal } from "../fixture/convex/_generated/api";
import schema from "../fixture/convex/schema";
import { modules } from "./modules";

export function defineHarnessCases(convexTest: typeof ConvexTestFn): void {
  const setup = () => convexTest(schema, modules);
  type T = ReturnType<typeof setup>;
  const names = async (t: T) => ((await t.query(api.items.names, {})) as string[]).slice().sort();

  /** Runs `body` with fake timers on, always restoring real ones. */
  const withFakeTimers = async (body: () => Promise<void>) => {
    vi.useFakeTimers();
    try {
      await body();
    } finally {
      vi.useRealTimers();
    }
  };

  describe("harness: convexTest({ schema, modules, transactionLimits })", () => {
    test("the object form takes the schema (documents are validated) and the modules", async () => {
      const t = convexTest({ schema, modules });
      await t.mutation(api.items.insert, { name: "via-object-form" });
      expect(await names(t)).toEqual(["via-object-form"]);
      let thrown: unknown = null;
      try {
        await t.mutation(async (ctx) => {
          await ctx.db.insert("items", { name: 5 } as any);
        });
      } catch (e) {
        thrown = e;
      }
      expect(thrown, "a document violating the schema must be refused").toBeInstanceOf(Error);
      expect(await names(t)).toEqual(["via-object-form"]);
    });

    test("transactionLimits: true and {} run functions under Convex's default limits", async () => {
      for (const transactionLimits of [true, {}] as const) {
        const t = convexTest({ schema, modules, transactionLimits });
        await t.mutation(api.items.insert, { name: "limited" });
        expect(await names(t)).toEqual(["limited"]);
      }
    });
  });

  describe("harness: inline functions", () => {
    test("t.mutation and t.query run inline handlers with a real ctx, and get the args", async () => {
      const t = setup();
      const id = await t.mutation(async (ctx) => await ctx.db.insert("items", { name: "inline" }));
      expect(await t.query(async (ctx) => (await ctx.db.get(id))?.name)).toBe("inline");
      const echoed = await (t.query as any)(async (_ctx: unknown, args: unknown) => args, { x: 1, s: "two" });
      expect(echoed).toEqual({ x: 1, s: "two" });
      expect(await (t.query as any)(async (_ctx: unknown, args: unknown) => args)).toEqual({});
    });

    test("an inline query is read-only", async () => {
      const t = setup();
      let thrown: unknown = null;
      try {
        await t.query(async (ctx) => await (ctx.db as any).insert("items", { name: "from-query" }));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(await names(t)).toEqual([]);
    });

    test("an inline mutation is a transaction: a throw rolls its writes back", async () => {
      const t = setup();
      let thrown: unknown = null;
      try {
        await t.mutation(async (ctx) => {
          await ctx.db.insert("items", { name: "rolled-back" });
          throw new Error("abort inline mutation");
        });
      } catch (e) {
        thrown = e;
      }
      expect((thrown as Error)?.message).toContain("abort inline mutation");
      expect(await names(t)).toEqual([]);
    });

    test("an inline action calls functions by reference and sees the identity", async () => {
      const t = setup().withIdentity({ name: "Ada", subject: "ada" });
      const out = await t.action(async (ctx) => {
        await ctx.runMutation(internal.scheduling.record, { name: "from-inline-action" });
        const identity = await ctx.auth.getUserIdentity();
        return { names: await ctx.runQuery(api.items.names, {}), who: identity?.name ?? null };
      });
      expect(out).toEqual({ names: ["from-inline-action"], who: "Ada" });
      expect(await t.query(async (ctx) => (await ctx.auth.getUserIdentity())?.subject)).toBe("ada");
    });
  });

  describe("harness: scheduled functions under vi.useFakeTimers()", () => {
    test("a job runs once the fake clock passes its time; finishInProgressScheduledFunctions waits for it", async () => {
      await withFakeTimers(async () => {
        const t = setup();
        const id = await t.mutation(api.scheduling.recordLater, { name: "later", delayMs: 10_000 });
        vi.advanceTimersByTime(5_000);
        await t.finishInProgressScheduledFunctions();
        expect(await names(t)).toEqual([]);
        expect((await t.query(api.scheduling.jobState, { id }))?.state.kind).toBe("pending");
        vi.advanceTimersByTime(5_000);
        await t.finishInProgressScheduledFunctions();
        expect(await names(t)).toEqual(["later"]);
        expect((await t.query(api.scheduling.jobState, { id }))?.state.kind).toBe("success");
      });
    });

    test("finishAllScheduledFunctions(vi.runAllTimers) runs later jobs and the jobs they schedule", async () => {
      await withFakeTimers(async () => {
        const t = setup();
        await t.mutation(api.scheduling.recordLater, { name: "in-an-hour", delayMs: 3_600_000 });
        await t.mutation(api.scheduling.startChain, { steps: 3 });
        await t.finishAllScheduledFunctions(vi.runAllTimers);
        expect(await names(t)).toEqual(["chain-0", "chain-1", "chain-2", "chain-3", "in-an-hour"]);
        const jobs = (await t.query(api.scheduling.listScheduled, {})) as Array<{ state: string }>;
        expect(jobs.map((j) => j.state)).toEqual(Array(jobs.length).fill("success"));
        expect(jobs.length).toBe(5);
      });
    });

    test("a scheduled action runs when the timers fire, and its mutation is visible after finishInProgress", async () => {
      await withFakeTimers(async () => {
        const t = setup();
        await t.mutation(api.scheduling.scheduleAction, { name: "from-scheduled-action" });
        vi.runAllTimers();
        await t.finishInProgressScheduledFunctions();
        expect(await names(t)).toEqual(["from-scheduled-action"]);
      });
    });
  });
}
