// Determinism and restrictions inside functions, and transaction limits.
// Reference: ../shared/reference/convex-backend-facts.md §3.9, §3.12, §0 (unknown syscalls).
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Enough CPU work that real time advances by milliseconds (checked by the action test), and well
 * within the 1 s user-time limit of queries and mutations (isolate-limits.test.ts).
 */
const SPIN = 3_000_000;

let dataDir: string;
let backend: LocalBackend;
let client: ConvexHttpClient;
let server: http.Server;
let serverUrl: string;
const requests: Array<{ method: string; body: string }> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-runtime-"));
  backend = await LocalBackend.start({
    dataDir,
    convexDir: path.join(PROJECT_ROOT, "local-backend/test/fixtures-extra/runtime/convex"),
    port: 0,
    host: "127.0.0.1",
    // The limits tests read 32,000 documents in one query to reach the read limit; on a loaded
    // 2-core machine that has taken past Convex's 1 s of user time, which failed the run with the
    // wrong limit. The time limit has its own tests (isolate-limits.test.ts).
    limits: { userTimeoutMs: 10_000 },
  });
  client = new ConvexHttpClient(backend.url, { logger: false });
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", body });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(`pong:${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await backend?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("Date inside functions", () => {
  test("Date.now() is frozen within a query, at the time the query started", async () => {
    const before = Date.now();
    const r = await client.query(anyApi.clock.inQuery, { iterations: SPIN });
    const after = Date.now();
    expect(r.burned).toBe(true);
    expect(r.second).toBe(r.first);
    expect(r.constructed).toBe(r.first);
    expect(r.first).toBeGreaterThanOrEqual(before - 5);
    expect(r.first).toBeLessThanOrEqual(after);
  });

  test("Date.now() is frozen within a mutation, and new Date() / Date() agree with it", async () => {
    const r = await client.mutation(anyApi.clock.inMutation, { iterations: SPIN });
    expect(r.second).toBe(r.first);
    expect(r.constructed).toBe(r.first);
    expect(r.called).toBe(r.frozenString);
  });

  test("Date.now() stays frozen across awaits in a mutation", async () => {
    const r = await client.mutation(anyApi.clock.acrossAwait, { iterations: SPIN / 2 });
    expect(r.second).toBe(r.first);
  });

  test("each execution gets its own time", async () => {
    const a = await client.query(anyApi.clock.inQuery, { iterations: 0 });
    await new Promise((r) => setTimeout(r, 10));
    // Two executions: the query cache would serve the second call (as Convex's does; see
    // query-cache.test.ts), so it is emptied in between.
    backend.runner.queryCache.clear();
    const b = await client.query(anyApi.clock.inQuery, { iterations: 0 });
    expect(b.first).toBeGreaterThan(a.first);
  });

  test("Date.now() advances within an action", async () => {
    const r = await client.action(anyApi.clock.inAction, { iterations: SPIN });
    expect(r.second).toBeGreaterThan(r.first);
    expect(r.constructed).toBeGreaterThanOrEqual(r.second);
  });
});

describe("Math.random inside functions", () => {
  test.each(["randomQuery", "randomMutation", "randomAction"] as const)(
    "%s returns values in [0, 1) that differ across invocations",
    async (fn) => {
      const call = () =>
        fn === "randomQuery"
          ? client.query(anyApi.clock[fn], {})
          : fn === "randomMutation"
            ? client.mutation(anyApi.clock[fn], {})
            : client.action(anyApi.clock[fn], {});
      const a: number[] = await call();
      // Two executions: the query cache would serve the second query call (as Convex's does).
      backend.runner.queryCache.clear();
      const b: number[] = await call();
      for (const x of [...a, ...b]) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(1);
      }
      expect(new Set(a).size).toBe(a.length);
      expect(b).not.toEqual(a);
    },
  );
});

describe("fetch and timers", () => {
  test("fetch() in a query or mutation throws, without making the request", async () => {
    const seen = requests.length;
    await expect(client.query(anyApi.restricted.fetchInQuery, { url: serverUrl })).rejects.toThrow(
      "Can't use fetch() in queries and mutations",
    );
    await expect(client.mutation(anyApi.restricted.fetchInMutation, { url: serverUrl })).rejects.toThrow(
      "Can't use fetch() in queries and mutations",
    );
    expect(requests.length).toBe(seen);
  });

  test("setTimeout/setInterval in a mutation or query throw", async () => {
    await expect(client.mutation(anyApi.restricted.setTimeoutInMutation, {})).rejects.toThrow(/setTimeout/);
    await expect(client.query(anyApi.restricted.setTimeoutInQuery, {})).rejects.toThrow(/setTimeout/);
    await expect(client.mutation(anyApi.restricted.setIntervalInMutation, {})).rejects.toThrow(/setInterval/);
  });

  test("fetch() works in an action", async () => {
    const seen = requests.length;
    await expect(client.action(anyApi.restricted.fetchInAction, { url: serverUrl })).resolves.toEqual({
      status: 200,
      body: "pong:ping",
    });
    expect(requests.slice(seen)).toEqual([{ method: "POST", body: "ping" }]);
  });

  test("setTimeout and setInterval work in an action", async () => {
    const r = await client.action(anyApi.restricted.timersInAction, { ms: 20 });
    expect(r.ticks).toBe(2);
    expect(r.elapsed).toBeGreaterThanOrEqual(15);
  });

  test("restrictions do not leak out of functions: the host keeps its fetch and timers", async () => {
    await new Promise((r) => setTimeout(r, 1));
    const res = await fetch(serverUrl, { method: "POST", body: "host" });
    expect(await res.text()).toBe("pong:host");
  });
});

describe("syscalls", () => {
  test("an unknown async syscall from an action fails naming the syscall", async () => {
    await expect(client.action(anyApi.restricted.unknownAsyncSyscall, {})).rejects.toThrow("1.0/doesNotExist");
  });

  test("an unknown sync syscall from a query fails naming the syscall", async () => {
    await expect(client.query(anyApi.restricted.unknownSyncSyscall, {})).rejects.toThrow("1.0/alsoDoesNotExist");
  });
});

describe("limits", () => {
  test("a mutation may write 16,000 documents", async () => {
    await expect(client.mutation(anyApi.limits.insertMany, { table: "scanned", n: 16_000 })).resolves.toBe(16_000);
  });

  test("a mutation writing more than 16,000 documents fails, mentioning the limit, and commits nothing", async () => {
    const err = await client.mutation(anyApi.limits.insertMany, { table: "tooMany", n: 16_001 }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/16,?000/);
    expect(err.message.toLowerCase()).toContain("written");
    await expect(client.query(anyApi.limits.count, { table: "tooMany" })).resolves.toBe(0);
  });

  test("a document over 1 MiB is refused and nothing from that mutation commits", async () => {
    const err = await client.mutation(anyApi.limits.insertBig, { table: "big", chars: 1_100_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/too large|MiB|size/i);
    await expect(client.query(anyApi.limits.count, { table: "big" })).resolves.toBe(0);
    // Just under the limit is fine.
    await expect(client.mutation(anyApi.limits.insertBig, { table: "big", chars: 1_000_000 })).resolves.toBeTypeOf("string");
    await expect(client.query(anyApi.limits.count, { table: "big" })).resolves.toBe(2);
  });

  test("a query scanning more than 32,000 documents fails; 32,000 is fine", async () => {
    // "scanned" has 16,000 documents from the first limits test; bring it to 32,001.
    await expect(client.query(anyApi.limits.count, { table: "scanned" })).resolves.toBe(16_000);
    await client.mutation(anyApi.limits.insertMany, { table: "scanned", n: 16_000 });
    await expect(client.query(anyApi.limits.count, { table: "scanned", take: 32_000 })).resolves.toBe(32_000);
    await client.mutation(anyApi.limits.insertMany, { table: "scanned", n: 1 });

    const err = await client.query(anyApi.limits.count, { table: "scanned" }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/32,?000/);
    expect(err.message.toLowerCase()).toContain("read");

    // Documents that a filter rejects still count as scanned.
    await expect(client.query(anyApi.limits.filteredToNothing, { table: "scanned" })).rejects.toThrow(/32,?000/);
    // The limit is per execution: a small query right after works.
    await expect(client.query(anyApi.limits.count, { table: "scanned", take: 10 })).resolves.toBe(10);
  });
});

describe("db.vars.commitTs", () => {
  // Written by @convex-dev/workpool 0.5 into indexed fields: the placeholder reads back as itself
  // inside the mutation (ordered like the largest int64 in an index) and is stored as the commit ts.
  test("resolves to the commit timestamp (ns) at commit, also inside nested values and index keys", async () => {
    const { defineSchema, defineTable } = await import("convex/server");
    const { v, CommitTsPlaceholder } = await import("convex/values");
    const { convexTest } = await import("../src/testing.js");
    const schema = defineSchema({
      stamps: defineTable({ n: v.number(), at: v.commitTs(), nested: v.object({ at: v.commitTs() }) }).index("by_at", ["at"]),
    });
    const t = convexTest(schema, { "/convex/_generated/api.js": async () => ({}) });
    try {
      const before = BigInt(Date.now()) * 1_000_000n;
      await t.run(async (ctx) => {
        await ctx.db.insert("stamps", { n: 1, at: 5n, nested: { at: 5n } });
      });
      const inside = await t.run(async (ctx) => {
        const id = await ctx.db.insert("stamps", { n: 2, at: ctx.db.vars.commitTs, nested: { at: ctx.db.vars.commitTs } });
        const doc = await ctx.db.get(id);
        // Pending: the placeholder, sorting after every resolved int64 in the index.
        const ordered = (await ctx.db.query("stamps").withIndex("by_at").collect()).map((d: any) => d.n);
        return { placeholder: doc.at instanceof CommitTsPlaceholder && doc.nested.at === ctx.db.vars.commitTs, ordered };
      });
      expect(inside).toEqual({ placeholder: true, ordered: [1, 2] });
      const after = BigInt(Date.now()) * 1_000_000n;
      const docs = await t.run(async (ctx) => await ctx.db.query("stamps").withIndex("by_at", (q: any) => q.gt("at", 5n)).collect());
      expect(docs).toHaveLength(1);
      expect(typeof docs[0].at).toBe("bigint");
      expect(docs[0].nested.at).toBe(docs[0].at);
      expect(docs[0].at >= before && docs[0].at <= after + 1_000_000n).toBe(true);
    } finally {
      await t.close();
    }
  });
});
