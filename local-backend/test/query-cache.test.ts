// The query cache (src/runtime/queryCache.ts), as Convex's (crates/application/src/cache/mod.rs):
// results keyed by (function, args, identity), reused until a write touches what they read.
// Executions are counted by the fixture queries themselves (globalThis.__queryCacheRuns).
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { DEFAULT_QUERY_CACHE_LIMITS, MAX_CACHE_AGE_MS } from "../src/runtime/queryCache.js";
import type { CallOptions } from "../src/runtime/runner.js";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

let dataDir: string;
let backend: LocalBackend;

function runs(name: string): number {
  return (globalThis as { __queryCacheRuns?: Record<string, number> }).__queryCacheRuns?.[name] ?? 0;
}

async function query(path: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<any> {
  const o = await backend.runner.runQuery(path, args as any, opts);
  if (!o.ok) throw new Error(o.message);
  return JSON.parse(o.valueJson);
}

async function mutation(path: string, args: Record<string, unknown> = {}): Promise<any> {
  const o = await backend.runner.runMutation(path, args as any, {});
  if (!o.ok) throw new Error(o.message);
  return JSON.parse(o.valueJson);
}

function user(subject: string): CallOptions {
  return { identity: { subject, issuer: "https://issuer.test", tokenIdentifier: `https://issuer.test|${subject}` } };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-query-cache-"));
  backend = await LocalBackend.start({
    dataDir,
    convexDir: path.join(PROJECT_ROOT, "local-backend/test/fixtures-extra/query-cache/convex"),
    port: 0,
    host: "127.0.0.1",
    scheduler: false,
    crons: false,
    // The fixture's queries count their runs in globalThis, which the test shares only with
    // functions run on the backend's thread; the cache sits on that thread in either mode.
    limits: false,
  });
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  const cache = backend.runner.queryCache;
  cache.limits = { ...DEFAULT_QUERY_CACHE_LIMITS };
  cache.now = () => Date.now();
  cache.clear();
});

describe("query cache", () => {
  test("repeated reads are served from the cache, over HTTP too", async () => {
    await mutation("cache:addNote", { owner: "a", topic: "repeat", body: "one" });
    const before = runs("byTopic");
    expect(await query("cache:byTopic", { topic: "repeat" })).toEqual(["one"]);
    expect(await query("cache:byTopic", { topic: "repeat" })).toEqual(["one"]);
    expect(runs("byTopic")).toBe(before + 1);

    const client = new ConvexHttpClient(backend.url, { logger: false });
    const byTopic = makeFunctionReference<"query">("cache:byTopic");
    for (let i = 0; i < 5; i++) expect(await client.query(byTopic, { topic: "repeat" })).toEqual(["one"]);
    expect(runs("byTopic")).toBe(before + 1);
    // Other arguments are another entry; argument key order does not matter.
    expect(await query("cache:byTopic", { topic: "other-topic" })).toEqual([]);
    expect(runs("byTopic")).toBe(before + 2);
  });

  test("over HTTP, each query endpoint and format serves repeats from the cache until the first relevant write", async () => {
    await mutation("cache:addNote", { owner: "a", topic: "http", body: "one" });
    const post = async (route: string, body: unknown) => {
      const r = await fetch(`${backend.url}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
      return r.json();
    };
    const args = { topic: "http" };
    // The same query through every way a client asks for it; "json" answers int64 as a string.
    const reads = {
      encoded: () => post("/api/query", { path: "cache:counted", args, format: "convex_encoded_json" }),
      json: () => post("/api/query", { path: "cache:counted", args: [args], format: "json" }),
      run: () => post("/api/run/cache/counted", { args }),
      get: async () => (await fetch(`${backend.url}/api/query?path=cache:counted&args=${encodeURIComponent(JSON.stringify(args))}`)).json(),
    };
    const expected = (bodies: string[]) => {
      const logLines = [`[LOG] 'counted ${bodies.length}'`];
      const encoded = { status: "success", value: { count: { $integer: Buffer.from(new BigInt64Array([BigInt(bodies.length)]).buffer).toString("base64") }, bodies }, logLines };
      const clean = { status: "success", value: { count: String(bodies.length), bodies }, logLines };
      return { encoded, json: clean, run: clean, get: clean };
    };
    const before = runs("counted");
    for (let round = 0; round < 3; round++) {
      for (const [name, read] of Object.entries(reads)) expect(await read(), name).toEqual(expected(["one"])[name as keyof typeof reads]);
    }
    expect(runs("counted")).toBe(before + 1);
    // A write elsewhere (another topic, through the HTTP API) keeps the entry.
    expect(await post("/api/mutation", { path: "cache:addNote", args: { owner: "b", topic: "http-elsewhere", body: "x" } })).toMatchObject({ status: "success" });
    expect(await reads.encoded()).toEqual(expected(["one"]).encoded);
    expect(runs("counted")).toBe(before + 1);
    // The first write to the range it read: the next call runs once, every later one is a hit again.
    expect(await post("/api/mutation", { path: "cache:addNote", args: { owner: "b", topic: "http", body: "two" } })).toMatchObject({ status: "success" });
    for (let round = 0; round < 3; round++) {
      for (const [name, read] of Object.entries(reads)) expect(await read(), name).toEqual(expected(["one", "two"])[name as keyof typeof reads]);
    }
    expect(runs("counted")).toBe(before + 2);
  });

  test("the first write to what a query read invalidates it; writes elsewhere do not", async () => {
    await mutation("cache:addNote", { owner: "a", topic: "inv", body: "first" });
    const before = runs("byTopic");
    expect(await query("cache:byTopic", { topic: "inv" })).toEqual(["first"]);
    // Another table, and another range of the same index: still served from the cache.
    await mutation("cache:addOther", { x: 1 });
    await mutation("cache:addNote", { owner: "a", topic: "inv-elsewhere", body: "x" });
    expect(await query("cache:byTopic", { topic: "inv" })).toEqual(["first"]);
    expect(runs("byTopic")).toBe(before + 1);
    // A write inside the range: the next read runs and sees it.
    await mutation("cache:addNote", { owner: "b", topic: "inv", body: "second" });
    expect(await query("cache:byTopic", { topic: "inv" })).toEqual(["first", "second"]);
    expect(runs("byTopic")).toBe(before + 2);
    expect(await query("cache:byTopic", { topic: "inv" })).toEqual(["first", "second"]);
    expect(runs("byTopic")).toBe(before + 2);
  });

  test("a user's cached result is never served to another user, nor to an anonymous caller", async () => {
    await mutation("cache:addNote", { owner: "alice", topic: "id", body: "alice's" });
    await mutation("cache:addNote", { owner: "bob", topic: "id", body: "bob's" });
    const before = runs("mine");
    expect(await query("cache:mine", {}, user("alice"))).toEqual({ subject: "alice", bodies: ["alice's"] });
    expect(await query("cache:mine", {}, user("bob"))).toEqual({ subject: "bob", bodies: ["bob's"] });
    expect(await query("cache:mine", {}, {})).toBeNull();
    expect(runs("mine")).toBe(before + 3);
    // Each identity's own entry is reused.
    expect(await query("cache:mine", {}, user("alice"))).toEqual({ subject: "alice", bodies: ["alice's"] });
    expect(await query("cache:mine", {}, user("bob"))).toEqual({ subject: "bob", bodies: ["bob's"] });
    expect(runs("mine")).toBe(before + 3);
    // Same subject, another claim: another identity for the cache (Convex keys on all attributes).
    const withEmail = user("alice");
    withEmail.identity = { ...withEmail.identity!, email: "alice@example.test" };
    await query("cache:mine", {}, withEmail);
    expect(runs("mine")).toBe(before + 4);
    // Over HTTP, acting as a user with the admin key: also keyed by that identity.
    const client = new ConvexHttpClient(backend.url, { logger: false });
    (client as any).setAdminAuth(backend.adminKey, { subject: "bob", issuer: "https://issuer.test" });
    expect(await client.query(makeFunctionReference<"query">("cache:mine"), {})).toEqual({ subject: "bob", bodies: ["bob's"] });
  });

  test("Date.now() is frozen for a run, and time passing does not recompute a cached result", async () => {
    // Convex freezes Date.now() at the start of a query and caches the result like any other
    // (docs: "Date.now() in queries" — the cached result is reused, and a subscription is not
    // re-run because time passed). Its backend ages such a result out after MAX_CACHE_AGE (5 s,
    // crates/application/src/cache/mod.rs) for new requests, so a time-based query must schedule
    // a write when its answer should change.
    const before = runs("now");
    const first = await query("cache:now");
    expect(first.second).toBe(first.first); // frozen through 15 ms of real time in the run
    expect(first.date).toBe(first.first);
    await new Promise((r) => setTimeout(r, 30));
    expect(await query("cache:now")).toEqual(first);
    expect(runs("now")).toBe(before + 1);
    // Still within the age limit: served from the cache.
    backend.runner.queryCache.now = () => first.first + MAX_CACHE_AGE_MS;
    expect(await query("cache:now")).toEqual(first);
    expect(runs("now")).toBe(before + 1);
    // Past Convex's limit for results that read the time: the next request runs it again.
    backend.runner.queryCache.now = () => first.first + MAX_CACHE_AGE_MS + 1;
    const later = await query("cache:now");
    expect(runs("now")).toBe(before + 2);
    expect(later.first).toBeGreaterThan(first.first);
  });

  test("a result that did not read the time is not aged out", async () => {
    await query("cache:byTopic", { topic: "ageless" });
    const before = runs("byTopic");
    backend.runner.queryCache.now = () => Date.now() + 3_600_000;
    await query("cache:byTopic", { topic: "ageless" });
    expect(runs("byTopic")).toBe(before);
  });

  test("a query that throws is not cached; one that uses Math.random is (it is seeded per run)", async () => {
    const failsBefore = runs("fails");
    for (let i = 0; i < 3; i++) {
      const o = await backend.runner.runQuery("cache:fails", {});
      expect(o.ok).toBe(false);
    }
    expect(runs("fails")).toBe(failsBefore + 3);

    const randomBefore = runs("random");
    const r = await query("cache:random");
    expect(await query("cache:random")).toBe(r);
    expect(runs("random")).toBe(randomBefore + 1);
  });

  test("a query of a table that does not exist yet is invalidated by the insert that creates it", async () => {
    expect(await query("cache:scratch")).toBe(0);
    expect(await query("cache:scratch")).toBe(0);
    await mutation("cache:addScratch");
    expect(await query("cache:scratch")).toBe(1);
  });

  test("a query that read process.env is re-run when the environment changes", async () => {
    backend.env.set("QUERY_CACHE_FIXTURE", "one");
    expect(await query("cache:envVar")).toBe("one");
    const before = runs("envVar");
    expect(await query("cache:envVar")).toBe("one");
    expect(runs("envVar")).toBe(before);
    backend.env.set("QUERY_CACHE_FIXTURE", "two");
    expect(await query("cache:envVar")).toBe("two");
  });

  test("a read after a mutation's commit never sees the pre-commit cached value", async () => {
    const topic = "interleaved";
    expect(await query("cache:byTopic", { topic })).toEqual([]);
    for (let i = 0; i < 20; i++) {
      // A read racing the mutation may see the state before or after it, never anything else...
      const [during] = await Promise.all([
        query("cache:byTopic", { topic }),
        mutation("cache:addNote", { owner: "a", topic, body: `n${i}` }),
        query("cache:byTopic", { topic }),
      ]);
      expect([i, i + 1]).toContain(during.length);
      // ...and every read after the commit sees it, cached or not.
      const after = await query("cache:byTopic", { topic });
      expect(after).toHaveLength(i + 1);
      expect(await query("cache:byTopic", { topic })).toEqual(after);
    }
  });

  test("a result computed at an older snapshot is served only if no commit since touched it", async () => {
    const topic = "snapshots";
    const old = backend.store.snapshot();
    try {
      await mutation("cache:addNote", { owner: "a", topic, body: "new" });
      // Read at the old snapshot: runs there (empty), and must not be kept for later readers.
      expect(await query("cache:byTopic", { topic }, { snapshot: old })).toEqual([]);
      expect(await query("cache:byTopic", { topic })).toEqual(["new"]);
      // The entry computed at the latest ts is newer than the old snapshot: not served there.
      expect(await query("cache:byTopic", { topic }, { snapshot: old })).toEqual([]);
    } finally {
      old.release();
    }
  });

  test("the cache is bounded: least recently used entries go first", async () => {
    const cache = backend.runner.queryCache;
    cache.limits = { maxEntries: 3, maxBytes: DEFAULT_QUERY_CACHE_LIMITS.maxBytes };
    for (const t of ["l1", "l2", "l3"]) await query("cache:byTopic", { topic: t });
    await query("cache:byTopic", { topic: "l1" }); // l1 is now the most recently used
    await query("cache:byTopic", { topic: "l4" }); // evicts l2
    expect(cache.size).toBe(3);
    const before = runs("byTopic");
    await query("cache:byTopic", { topic: "l1" });
    await query("cache:byTopic", { topic: "l4" });
    expect(runs("byTopic")).toBe(before);
    await query("cache:byTopic", { topic: "l2" });
    expect(runs("byTopic")).toBe(before + 1);

    cache.clear();
    cache.limits = { maxEntries: 1000, maxBytes: 2_000 };
    for (let i = 0; i < 20; i++) await query("cache:byTopic", { topic: `bytes-${i}` });
    expect(cache.byteSize).toBeLessThanOrEqual(2_000);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThan(20);
  });

  test("subscriptions share cached results and are still invalidated by the writes they read", async () => {
    const topic = "live";
    await mutation("cache:addNote", { owner: "a", topic, body: "first" });
    const clients = [0, 1].map(() => new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true }));
    try {
      const ref = makeFunctionReference<"query">("cache:byTopic");
      const before = runs("byTopic");
      const latest: string[][][] = [[], []];
      const waitUntil = async (pred: () => boolean) => {
        for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(pred()).toBe(true);
      };
      const unsubs = clients.map((c, i) => c.onUpdate(ref, { topic }, (v: string[]) => latest[i].push(v)));
      await waitUntil(() => latest.every((l) => l.length === 1));
      expect(latest).toEqual([[["first"]], [["first"]]]);
      expect(runs("byTopic")).toBe(before + 1); // the second subscription was a cache hit
      await mutation("cache:addNote", { owner: "a", topic, body: "second" });
      await waitUntil(() => latest.every((l) => l.length === 2));
      expect(latest.map((l) => l[1])).toEqual([
        ["first", "second"],
        ["first", "second"],
      ]);
      unsubs.forEach((u) => u());
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
