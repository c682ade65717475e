// Conformance cases for components (issue #13 item 2), through convex-test's
// `registerComponent(path, schema, modules)`: the app of ../fixtures-components with its local
// `counter` component, which uses `ledger`. Registered from cases.ts, so they run on convex-test
// (the oracle) and on the local backend.
import { anyApi } from "convex/server";
import type { convexTest as ConvexTestFn } from "convex-test";
import { describe, expect, test } from "vitest";
import appSchema from "../fixtures-components/convex/schema";
import counterSchema from "../fixtures-components/counter/schema";
import ledgerSchema from "../fixtures-components/ledger/schema";

// Module maps as in modules.ts: files with two or more dots (convex.config.ts) are not modules.
const appModules = import.meta.glob("../fixtures-components/convex/**/!(*.*.*)*.*s");
const counterModules = import.meta.glob("../fixtures-components/counter/**/!(*.*.*)*.*s");
const ledgerModules = import.meta.glob("../fixtures-components/ledger/**/!(*.*.*)*.*s");
const api = anyApi;

export function defineComponentCases(convexTest: typeof ConvexTestFn, options: { reference: boolean }): void {
  const setup = () => {
    const t = convexTest(appSchema, appModules);
    t.registerComponent("counter", counterSchema, counterModules);
    t.registerComponent("counter/ledger", ledgerSchema, ledgerModules);
    return t;
  };

  describe("components: registerComponent", () => {
    test("app → component mutation and query, component → nested component", async () => {
      const t = setup();
      expect(await t.mutation(api.app.addNote, { text: "a" })).toBe(1);
      expect(await t.mutation(api.app.addNote, { text: "a" })).toBe(2);
      expect(await t.query(api.app.count, { name: "a" })).toBe(2);
      expect(await t.query(api.app.ledger, {})).toEqual(["a+1", "a+1"]);
    });

    test("a component mutation rolls back with the app mutation that called it", async () => {
      const t = setup();
      await t.mutation(api.app.addNote, { text: "kept" });
      await expect(t.mutation(api.app.addNote, { text: "gone", fail: true })).rejects.toThrow(
        "app mutation failed after the component's",
      );
      expect(await t.query(api.app.appTables, {})).toEqual({ notes: ["kept"], counters: ["kept"] });
      expect(await t.query(api.app.count, { name: "gone" })).toBe(0);
      expect(await t.query(api.app.ledger, {})).toEqual(["kept+1"]);
    });

    test("a table name the app and the component share holds separate documents", async () => {
      const t = setup();
      await t.mutation(api.app.addNote, { text: "iso" });
      // The app's `counters` has the app's shape ({ label }); the component's ({ name, value }) is not mixed in.
      const appCounters = await t.run(async (ctx: any) => ctx.db.query("counters").collect());
      expect(appCounters.map((d: any) => Object.keys(d).sort())).toEqual([["_creationTime", "_id", "label"]]);
    });

    test("actions call component queries, mutations and actions", async () => {
      const t = setup();
      expect(await t.action(api.app.viaAction, { name: "act" })).toEqual({ fromQuery: 5, fromAction: 5 });
    });

    test("function handles: the app calls a component through one, and a component calls back an internal app function", async () => {
      const t = setup();
      expect((await t.mutation(api.app.viaHandle, { name: "h" })).value).toBe(10);
      expect(await t.query(api.app.count, { name: "h" })).toBe(10);
      expect(await t.mutation(api.app.callMeBack, {})).toBe("bumped");
      expect((await t.query(api.app.appTables, {})).notes).toContain("bump from counter");
    });

    test("a component schedules its own function", async () => {
      const t = setup();
      await t.mutation(api.app.scheduleInComponent, { name: "later" });
      await t.finishAllScheduledFunctions(() => {});
      expect(await t.query(api.app.count, { name: "later" })).toBe(100);
    });

    if (!options.reference) {
      // Convex docs (components/authoring): "Only public functions are accessible". convex-test
      // resolves a component's internal functions for the app too.
      test("a component's internal functions are not reachable from the app", async () => {
        const t = setup();
        await expect(t.mutation(api.app.callInternal, {})).rejects.toThrow("Could not find public function for 'lib:secret'");
      });
    }
  });
}
