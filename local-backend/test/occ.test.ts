// Mutations run concurrently under optimistic concurrency control (runtime/occ.ts): a second
// mutation commits while the first still runs; a mutation whose reads another commit changed is
// thrown away and run again on the new state; one that conflicts on every run fails with Convex's
// error and writes nothing. The handlers run in this process (inline), so each test decides exactly
// where the runs interleave. The interleaving of real clients over HTTP and WebSockets is in
// http-api.test.ts ("interleaved clients").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { CONTENDED_SHARE, ContentionHistory, MutationGate } from "../src/runtime/occ.js";
import { inlineFunction } from "../src/runtime/runner.js";

const FIXTURE = fileURLToPath(new URL("./fixture/convex", import.meta.url));
let dataDir: string;
let backend: LocalBackend;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-occ-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, scheduler: false, crons: false });
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves with "still waiting" if `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms))]);

async function counter(name: string): Promise<{ _id: string; count: number } | null> {
  const r = await backend.runner.transactInline(async (ctx) =>
    ctx.db.query("counters").withIndex("by_name", (q: any) => q.eq("name", name)).unique(),
  );
  if (!r.ok) throw new Error(r.message);
  return JSON.parse(r.valueJson);
}

async function itemNames(): Promise<string[]> {
  const r = await backend.runner.runQuery("transactions:namesInternal", {}, { allowInternal: true });
  if (!r.ok) throw new Error(r.message);
  return JSON.parse(r.valueJson);
}

test("a second mutation commits while the first is still running (mutations are not serialized)", async () => {
  const held = gate();
  const first = backend.runner.transactInline(async (ctx) => {
    await ctx.db.insert("items", { name: "occ-first" });
    await held.opened;
    return "first";
  });
  // Under a global mutation lock the second would wait for the first, which waits for the test.
  const second = await within(backend.runner.runMutation("transactions:increment", { name: "occ-side" }), 5_000);
  expect(second).toMatchObject({ ok: true, valueJson: "1" });
  const retriesBefore = backend.runner.occRetries;
  held.open();
  await expect(first).resolves.toMatchObject({ ok: true, valueJson: '"first"' });
  // They touched different documents: no conflict, no second run.
  expect(backend.runner.occRetries).toBe(retriesBefore);
  expect(await itemNames()).toContain("occ-first");
});

test("a mutation whose reads another commit changed runs again on the new state: no lost update", async () => {
  await backend.runner.runMutation("transactions:increment", { name: "occ-hot" });
  const held = gate();
  let runs = 0;
  const retriesBefore = backend.runner.occRetries;
  const slow = backend.runner.transactInline(async (ctx) => {
    runs++;
    const doc = await ctx.db.query("counters").withIndex("by_name", (q: any) => q.eq("name", "occ-hot")).unique();
    if (runs === 1) await held.opened;
    await ctx.db.patch(doc._id, { count: doc.count + 10 });
    await ctx.db.insert("items", { name: `occ-slow-run-${runs}` });
    return doc.count;
  });
  // Commits 1 → 2 while the slow mutation holds count 1 in its snapshot.
  await expect(within(backend.runner.runMutation("transactions:increment", { name: "occ-hot" }), 5_000)).resolves.toMatchObject({
    ok: true,
    valueJson: "2",
  });
  held.open();
  // Its first run read 1 and would have written 11, losing the increment; its second run read 2.
  await expect(slow).resolves.toMatchObject({ ok: true, valueJson: "2" });
  expect(runs).toBe(2);
  expect(backend.runner.occRetries).toBe(retriesBefore + 1);
  expect((await counter("occ-hot"))?.count).toBe(12);
  // Only the run that committed left its writes.
  const names = await itemNames();
  expect(names).toContain("occ-slow-run-2");
  expect(names).not.toContain("occ-slow-run-1");
});

test("a mutation that conflicts on every run fails with Convex's error after its retries, and writes nothing", async () => {
  await backend.runner.runMutation("transactions:increment", { name: "occ-contended" });
  const { _id } = (await counter("occ-contended"))!;
  let runs = 0;
  const outcome = await backend.runner.transactInline(async (ctx) => {
    runs++;
    const doc = await ctx.db.get(_id);
    await ctx.db.insert("items", { name: "occ-never" });
    // The runtime's own writes take no turn (scheduler bookkeeping): one lands during every run.
    await backend.runner.transact((tx) => tx.patch(_id, { count: 1000 + runs }));
    return doc.count;
  });
  expect(outcome.ok).toBe(false);
  expect(outcome).toMatchObject({
    message: 'Documents read from or written to the "counters" table changed while this mutation was being run and on every subsequent retry.',
  });
  // The first run and Convex's four retries (UDF_EXECUTOR_OCC_MAX_RETRIES).
  expect(runs).toBe(5);
  expect(await itemNames()).not.toContain("occ-never");
  expect((await counter("occ-contended"))?.count).toBe(1005);
});

test("a mutation that read nothing does not conflict with writes to what it wrote beside", async () => {
  const held = gate();
  const retriesBefore = backend.runner.occRetries;
  const blind = backend.runner.transactInline(async (ctx) => {
    await ctx.db.insert("counters", { name: "occ-blind", count: 1 });
    await held.opened;
  });
  await backend.runner.runMutation("transactions:increment", { name: "occ-blind" });
  held.open();
  await expect(blind).resolves.toMatchObject({ ok: true });
  expect(backend.runner.occRetries).toBe(retriesBefore);
});

test("a replayed request that committed while its twin ran is answered once: the twin's writes are dropped", async () => {
  const request = { sessionId: "occ-session", requestId: "7" };
  const held = gate();
  const twin = backend.runner.executeMutation(
    inlineFunction("mutation", async (ctx) => {
      await ctx.db.insert("items", { name: "occ-twin" });
      await held.opened;
      return "twin";
    }),
    {},
    { request, allowInternal: true },
  );
  const original = await backend.runner.executeMutation(
    inlineFunction("mutation", async (ctx) => {
      await ctx.db.insert("items", { name: "occ-original" });
      return "original";
    }),
    {},
    { request, allowInternal: true },
  );
  expect(original).toMatchObject({ ok: true, valueJson: '"original"' });
  held.open();
  const answered = await twin;
  expect(answered).toMatchObject({ ok: true, valueJson: '"original"', ts: original.ok ? original.ts : null });
  const names = await itemNames();
  expect(names).toContain("occ-original");
  expect(names).not.toContain("occ-twin");
});

test("a function whose runs keep conflicting runs alone, and is tried at once again later", () => {
  const history = new ContentionHistory();
  expect(history.contended("sends:claimBatch")).toBe(false);
  // Half its runs at once conflict: after a few it runs alone.
  let runs = 0;
  while (!history.contended("sends:claimBatch")) history.record("sends:claimBatch", runs++ % 2 === 0, false);
  expect(runs).toBeLessThan(10);
  // Other functions are not affected.
  expect(history.contended("docs:insert")).toBe(false);
  // Running alone it cannot conflict; its share decays slowly, so it is tried at once again only
  // after several runs alone, not at the next.
  let alone = 0;
  while (history.contended("sends:claimBatch")) {
    history.record("sends:claimBatch", false, true);
    alone++;
  }
  expect(alone).toBeGreaterThan(3);
  expect(alone).toBeLessThan(40);
  // A run at once that does not conflict keeps it at once.
  history.record("sends:claimBatch", false, false);
  expect(history.contended("sends:claimBatch")).toBe(false);
  expect(CONTENDED_SHARE).toBeGreaterThan(0);
});

test("the gate: runs share its slots, one alone waits for them and its turn, a retry goes first", async () => {
  const gate = new MutationGate(2);
  const order: string[] = [];
  const take = (name: string, how: "shared" | "alone" | "retry") =>
    gate.acquire(how).then((release) => {
      order.push(name);
      return release;
    });
  const a = await take("a", "shared");
  const b = await take("b", "shared");
  // Both slots are taken: these wait, in order, except the retry, which goes ahead of them.
  const c = take("c", "shared");
  const d = take("d", "alone");
  const e = take("e", "shared");
  const r = take("retry", "retry");
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(order).toEqual(["a", "b"]);
  a();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // A slot is free, but the retry runs only alone: it waits for b, and c waits behind it.
  expect(order).toEqual(["a", "b"]);
  b();
  (await r)();
  (await c)();
  // "d" runs alone: not beside "e", which waits for it, though a slot is free.
  const releaseD = await d;
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(order).toEqual(["a", "b", "retry", "c", "d"]);
  releaseD();
  (await e)();
  expect(order).toEqual(["a", "b", "retry", "c", "d", "e"]);
});
