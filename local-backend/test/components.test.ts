// Components (issue #13 item 2): convex.config.ts with local and published components, nested
// components, per-component tables and namespaces, transactional calls, handles, the scheduler and
// file storage inside a component, and the harness's registerComponent.
// The fixture: test/fixtures-components (app + `counter`, which uses `ledger`, installed twice,
// and @convex-dev/rate-limiter, which itself uses @convex-dev/batch-worker).
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { installComponents, pushedComponentTree } from "../src/runtime/components.js";
import type { LoadedApp } from "../src/runtime/modules.js";
import { convexTest, type TestConvex } from "../src/testing.js";
import appSchema from "./fixtures-components/convex/schema.js";
import counterSchema from "./fixtures-components/counter/schema.js";
import ledgerSchema from "./fixtures-components/ledger/schema.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-components/", import.meta.url));
const api = anyApi;

describe("components from convex.config.ts (bundled like a deploy)", () => {
  let t: TestConvex;
  beforeAll(async () => {
    t = convexTest(undefined, path.join(FIXTURE, "convex"));
    await t.backend();
  }, 60_000);
  afterAll(() => t.close());

  test("the tree is loaded: component paths, definition names, nested components of a published package", async () => {
    const app = (await t.backend()).runner.app;
    const tree = [...app.components!.values()].map((c) => [c.path, c.definitionName]).sort();
    expect(tree).toEqual([
      ["counter", "counter"],
      ["counter/ledger", "ledger"],
      ["counter2", "counter"],
      ["counter2/ledger", "ledger"],
      ["rateLimiter", "rateLimiter"],
      ["rateLimiter/batchWorker", "batchWorker"],
    ]);
  });

  test("app → component mutation and query, component → nested component", async () => {
    expect(await t.mutation(api.app.addNote, { text: "a" })).toBe(1);
    expect(await t.mutation(api.app.addNote, { text: "a" })).toBe(2);
    expect(await t.query(api.app.count, { name: "a" })).toBe(2);
    expect(await t.query(api.app.ledger, {})).toEqual(["a+1", "a+1"]);
    // The same definition installed twice: its own tables per instance.
    expect(await t.query(api.app.count, { name: "a", component: "counter2" })).toBe(0);
  });

  test("a component mutation rolls back with the app mutation that called it", async () => {
    const before = await t.query(api.app.appTables, {});
    const ledgerBefore = await t.query(api.app.ledger, {});
    await expect(t.mutation(api.app.addNote, { text: "rolled", fail: true })).rejects.toThrow(
      "app mutation failed after the component's",
    );
    expect(await t.query(api.app.appTables, {})).toEqual(before);
    expect(await t.query(api.app.count, { name: "rolled" })).toBe(0);
    expect(await t.query(api.app.ledger, {})).toEqual(ledgerBefore);
  });

  test("tables are per component: same table name, separate documents; IDs do not cross", async () => {
    await t.mutation(api.app.addNote, { text: "iso" });
    const appTables = await t.query(api.app.appTables, {});
    expect(appTables.counters).toContain("iso");
    const componentDocs = await (await t.backend()).runner.runQuery("lib:all", {}, { allowInternal: true, componentPath: "counter" });
    expect(componentDocs.ok).toBe(true);
    const docs = JSON.parse((componentDocs as any).valueJson) as Array<{ _id: string; name: string; value: number }>;
    const iso = docs.find((d) => d.name === "iso")!;
    expect(iso.value).toBe(1);

    // The app cannot read, normalize or write the component's document by its ID.
    expect(await t.query(api.app.getById, { id: iso._id })).toEqual({ doc: null, normalized: null });
    await expect(t.mutation(api.app.patchById, { id: iso._id })).rejects.toThrow(`Invalid argument \`id\` for \`db.patch\``);
    // Nor name the component's table by its catalog name.
    await expect(t.run(async (ctx) => ctx.db.query("counter/counters").collect())).rejects.toThrow(
      'Table name "counter/counters" is invalid',
    );

    // The component does not see the app's tables or documents.
    const note = await t.run(async (ctx) => ctx.db.query("notes").first());
    const peek = await (await t.backend()).runner.runQuery("lib:peek", { appId: note!._id }, { allowInternal: true, componentPath: "counter" });
    expect(peek.ok).toBe(true);
    expect(JSON.parse((peek as any).valueJson)).toEqual({ notes: [], doc: null });
  });

  test("actions call component queries, mutations and actions", async () => {
    expect(await t.action(api.app.viaAction, { name: "act" })).toEqual({ fromQuery: 5, fromAction: 5 });
  });

  test("two instances of a component answer the same query path separately (no shared cache entry)", async () => {
    await t.mutation(api.app.addNote, { text: "both" });
    expect(await t.action(api.app.bothInAction, { name: "both" })).toEqual([1, 0]);
  });

  test("a component's internal functions are not reachable from the app", async () => {
    await expect(t.mutation(api.app.callInternal, {})).rejects.toThrow("Could not find public function for 'lib:secret'");
  });

  test("function handles call into the component", async () => {
    const r = await t.mutation(api.app.viaHandle, { name: "h" });
    expect(r.handle).toMatch(/^function:\/\//);
    expect(r.value).toBe(10);
    expect(await t.query(api.app.count, { name: "h" })).toBe(10);
  });

  test("a component calls back an internal app function through a handle it was given", async () => {
    expect(await t.mutation(api.app.callMeBack, {})).toBe("bumped");
    expect((await t.query(api.app.appTables, {})).notes).toContain("bump from counter");
  });

  test("inside a component there is no ctx.auth identity and only the system environment variables", async () => {
    (await t.backend()).env.set("K3_SECRET", "app-only");
    expect(await t.withIdentity({ subject: "u1" }).query(api.app.identities, {})).toEqual({
      app: "u1",
      appSeesEnv: "app-only",
      component: { identity: null, env: ["CONVEX_CLOUD_URL", "CONVEX_SITE_URL"] },
    });
  });

  test("a component's environment: what its parent passes, by value or by reference to the parent's variables", async () => {
    const none = { MODE: null, K3_MODE: null };
    expect(await t.query(api.app.componentEnvs, {})).toEqual({
      counter: { counter: none, ledger: { PREFIX: "c:", MODE: null } },
      counter2: { counter: none, ledger: { PREFIX: "c:", MODE: null } },
    });
    // A reference reads the app's variable at each run: setting it applies at once.
    (await t.backend()).env.set("K3_MODE", "live");
    expect(await t.query(api.app.componentEnvs, {})).toEqual({
      counter: { counter: { MODE: "live", K3_MODE: null }, ledger: { PREFIX: "c:", MODE: null } },
      counter2: { counter: none, ledger: { PREFIX: "c:", MODE: null } },
    });
  });

  test("the scheduler runs a component's job in the component", async () => {
    await t.mutation(api.app.scheduleInComponent, { name: "later" });
    await t.finishAllScheduledFunctions();
    expect(await t.query(api.app.count, { name: "later" })).toBe(100);
    const outcome = await (await t.backend()).runner.runQuery("lib:jobs", {}, { allowInternal: true, componentPath: "counter" });
    expect(outcome.ok).toBe(true);
    const jobs = JSON.parse((outcome as any).valueJson);
    expect(jobs.map((j: any) => [j.name, j.state])).toEqual([["lib.js:increment", { kind: "success" }]]);
    // The job is the component's: the app neither lists it nor reads it by ID.
    const appJobs = await t.run(async (ctx) => ctx.db.system.query("_scheduled_functions").collect());
    expect(appJobs.filter((j: any) => j.name === "lib.js:increment")).toEqual([]);
    expect(await t.run(async (ctx) => ctx.db.system.get(jobs[0]._id))).toBeNull();
    const otherInstance = await (await t.backend()).runner.runQuery("lib:jobs", {}, { allowInternal: true, componentPath: "counter2" });
    expect(JSON.parse((otherInstance as any).valueJson)).toEqual([]);
  });

  test("HTTP routes of a mounted component answer under its prefix, nested mounts under both", async () => {
    await t.mutation(api.app.addNote, { text: "web" });
    const r = await t.withIdentity({ subject: "u1" }).fetch("/counter/count?name=web");
    expect(r.status).toBe(200);
    // A component's HTTP actions have no ctx.auth either.
    expect(await r.json()).toEqual({ value: 1, identity: null });
    const entries = await t.fetch("/counter/ledger/entries");
    expect(entries.status).toBe(200);
    expect(await entries.json()).toContain("web+1");
    // counter2 is not mounted, so neither is its ledger; the app has no route of that name.
    expect((await t.fetch("/count?name=web")).status).toBe(404);
    expect((await t.fetch("/counter2/count")).status).toBe(404);
    const app = (await t.backend()).runner.app;
    expect([...app.components!.values()].map((c) => [c.path, c.httpPrefix]).sort()).toEqual([
      ["counter", "/counter/"],
      ["counter/ledger", "/counter/ledger/"],
      ["counter2", null],
      ["counter2/ledger", null],
      ["rateLimiter", null],
      ["rateLimiter/batchWorker", null],
    ]);
  });

  test("file storage inside a component", async () => {
    const r = await (await t.backend()).runner.runAction("lib:storeText", { text: "hello" }, { allowInternal: true, componentPath: "counter" });
    expect(r.ok).toBe(true);
    expect(JSON.parse((r as any).valueJson).text).toBe("hello");
  });

  test("the published @convex-dev/rate-limiter works through its client class", async () => {
    const first = await t.mutation(api.app.send, { key: "k" });
    const second = await t.mutation(api.app.send, { key: "k" });
    const third = await t.mutation(api.app.send, { key: "k" });
    expect([first.ok, second.ok, third.ok]).toEqual([true, true, false]);
    expect(third.retryAfter).toBeGreaterThan(0);
    expect((await t.mutation(api.app.send, { key: "other" })).ok).toBe(true);
    // Its state lives in its own table, invisible to the app.
    const catalog = (await t.backend()).catalog;
    expect(catalog.tableNumber("rateLimiter/rateLimits")).toBeDefined();
    expect(catalog.tableNumber("rateLimits")).toBeUndefined();
  });
});

describe("registerComponent in the convex-test-style harness", () => {
  let t: TestConvex;
  beforeAll(() => {
    // `export()` is internal to the convex package's types; convex-test's signature takes the definition.
    t = convexTest(appSchema as unknown as { export(): string }, import.meta.glob("./fixtures-components/convex/**/*.ts"));
    t.registerComponent("counter", counterSchema, import.meta.glob("./fixtures-components/counter/**/*.ts"));
    t.registerComponent("counter/ledger", ledgerSchema, import.meta.glob("./fixtures-components/ledger/**/*.ts"));
  });
  afterAll(() => t.close());

  test("registered components run, nest and roll back", async () => {
    expect(await t.mutation(api.app.addNote, { text: "r" })).toBe(1);
    expect(await t.query(api.app.count, { name: "r" })).toBe(1);
    expect(await t.query(api.app.ledger, {})).toEqual(["r+1"]);
    await expect(t.mutation(api.app.addNote, { text: "x", fail: true })).rejects.toThrow();
    expect(await t.query(api.app.count, { name: "x" })).toBe(0);
    expect(await t.query(api.app.ledger, {})).toEqual(["r+1"]);
  });

  test("registering after the first call is refused", () => {
    expect(() => t.registerComponent("late", undefined, {})).toThrow("must be called before the first function call");
  });

  test("a component that is not registered: the call fails with Convex's missing-function text", async () => {
    await expect(t.query(api.app.count, { name: "a", component: "counter2" })).rejects.toThrow("Could not find public function for 'lib:get'");
  });
});

describe("the component tree of a push (definitions as the CLI bundles them)", () => {
  // The CLI leaves a definition's imports of other definitions as ./_componentDeps/<base64url(path)>.
  const dep = (definitionPath: string) => `./_componentDeps/${Buffer.from(definitionPath).toString("base64url")}`;
  const app = `import { defineApp } from "convex/server";
import counter from "${dep("../counter")}";
const app = defineApp();
app.use(counter);
app.use(counter, { name: "counter2" });
export default app;`;
  const counter = `import { defineComponent } from "convex/server";
import ledger from "${dep("../ledger")}";
const component = defineComponent("counter");
component.use(ledger);
export default component;`;
  const ledger = `import { defineComponent } from "convex/server";
export default defineComponent("ledger");`;
  const modules = (): LoadedApp => ({ functions: new Map(), schema: null, httpRouter: null, crons: null, authConfig: null });
  const PROJECT = fileURLToPath(new URL("../../", import.meta.url));

  test("instances by component path, each with its definition's name and modules", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "lb-components-push-"));
    try {
      const counterModules = modules();
      const ledgerModules = modules();
      const definitions = new Map([
        ["../counter", { definitionSource: counter, app: counterModules }],
        ["../ledger", { definitionSource: ledger, app: ledgerModules }],
      ]);
      const tree = await pushedComponentTree(app, definitions, outDir, PROJECT);
      expect([...tree].map(([p, c]) => [p, c.definitionName]).sort()).toEqual([
        ["counter", "counter"],
        ["counter/ledger", "ledger"],
        ["counter2", "counter"],
        ["counter2/ledger", "ledger"],
      ]);
      expect(tree.get("counter2")!.app).toBe(counterModules);
      expect(tree.get("counter/ledger")!.app).toBe(ledgerModules);
      expect([...installComponents(modules(), tree).components!.keys()].sort()).toEqual([
        "counter",
        "counter/ledger",
        "counter2",
        "counter2/ledger",
      ]);
      // A definition the push uses but does not include is refused by name.
      await expect(
        pushedComponentTree(app, new Map([["../counter", { definitionSource: counter, app: counterModules }]]), outDir, PROJECT),
      ).rejects.toThrow('The push uses component definition "../ledger" but does not include it.');
      expect((await pushedComponentTree(null, new Map(), outDir, PROJECT)).size).toBe(0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

describe("a convex.config.ts that cannot be loaded", () => {
  test("refuses to start, naming the config and the import it cannot resolve", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "lb-components-broken-"));
    try {
      await expect(LocalBackend.start({ dataDir, convexDir: path.join(FIXTURE, "broken/convex") })).rejects.toThrow(
        /Failed to bundle .*broken\/convex\/convex\.config\.ts:\n.*Could not resolve "\.\.\/missing\/convex\.config"/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("components over the network, with the real clients", () => {
  let backend: LocalBackend;
  let dataDir: string;
  let live: ConvexClient;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "lb-components-"));
    backend = await LocalBackend.start({ dataDir, convexDir: path.join(FIXTURE, "convex"), port: 0, host: "127.0.0.1" });
    live = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
  }, 60_000);
  afterAll(async () => {
    await live.close();
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("a subscription to an app query reading a component re-runs on the component's writes, scheduled ones too", async () => {
    const http = new ConvexHttpClient(backend.url, { logger: false });
    const values: number[] = [];
    let notify: () => void = () => {};
    const unsubscribe = live.onUpdate(api.app.count, { name: "net" }, (v: number) => {
      values.push(v);
      notify();
    });
    const reach = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n}; saw ${values.join(",")}`)), 5000);
        notify = () => values.includes(n) && (clearTimeout(timer), resolve());
        notify();
      });
    await reach(0);
    await http.mutation(api.app.addNote, { text: "net" });
    await reach(1);
    // The component's own mutation, run by the scheduler: no app function writes this time.
    await http.mutation(api.app.scheduleInComponent, { name: "net" });
    await reach(101);
    unsubscribe();
    // Clients reach components only through the app's functions.
    await expect(http.query(anyApi.lib.get, { name: "net" })).rejects.toThrow("Could not find public function for 'lib:get'");
  });
});
