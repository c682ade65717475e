// The sync socket (/api/<version>/sync) under hostile clients (issue #12, items 16, 17 and 18):
// protocol garbage, oversized frames, a socket that subscribes to thousands of queries, and a
// socket that floods requests. The backend runs in its own process (test/hostile/child.ts), so a
// crash or a blocked event loop is seen from outside, as another client would see it.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { startChildBackend, type ChildBackend } from "./hostile/spawn.js";

let backend: ChildBackend;

beforeAll(async () => {
  backend = await startChildBackend();
}, 90_000);

afterAll(async () => {
  await backend?.stop();
});

const getByN = makeFunctionReference<"query">("docs:getByN");
const insertDoc = makeFunctionReference<"mutation">("docs:insert");

interface Socket {
  ws: WebSocket;
  messages: Array<Record<string, any>>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (received so far or later) that satisfies `pred`. */
  next(pred: (m: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
}

async function openSocket(): Promise<Socket> {
  const ws = new WebSocket(`${backend.url.replace(/^http/, "ws")}/api/1.48.0/sync`);
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (d) => {
    messages.push(JSON.parse(String(d)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const w of waiters.splice(0)) w();
    });
  });
  ws.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ type: "Connect", sessionId: crypto.randomUUID(), connectionCount: 0, lastCloseReason: null, clientTs: Date.now() }));
  const next = (pred: (m: Record<string, any>) => boolean, ms = 10_000) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching sync message in ${ms} ms`)), ms);
      const check = () => {
        const found = messages.find(pred);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          reject(new Error("socket closed before a matching message"));
        } else waiters.push(check);
      };
      check();
    });
  return { ws, messages, closed, next };
}

/** How the server closed the socket; a socket it leaves open past `ms` counts as code -1 (not refused). */
async function closedWithin(s: Socket, ms: number): Promise<{ code: number }> {
  const result = await Promise.race([s.closed, new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), ms))]);
  s.ws.terminate();
  return result;
}

/** A well-behaved session: subscribe to one query and get its value. */
async function assertSyncServes() {
  expect(backend.alive(), `backend died; stderr:\n${backend.stderr()}`).toBe(true);
  const s = await openSocket();
  s.ws.send(
    JSON.stringify({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [{ type: "Add", queryId: 0, udfPath: "docs:getByN", args: [{ n: 5 }] }],
    }),
  );
  const t = await s.next((m) => m.type === "Transition" && m.modifications.length > 0);
  expect(t.modifications[0]).toMatchObject({ type: "QueryUpdated", queryId: 0, value: { n: 5 } });
  s.ws.close();
}

const modifySet = (modifications: unknown) => JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications });

describe("protocol garbage on the sync socket", () => {
  const GARBAGE: Array<[name: string, frame: string | Buffer]> = [
    ["a null message", "null"],
    ["[null]", "[null]"],
    ["a number", "5"],
    ["a string", '"Connect"'],
    ["an empty object", "{}"],
    ["an object as type", '{"type":{}}'],
    ["not JSON", "{type: Connect"],
    ["binary garbage", Buffer.from([0, 159, 146, 150, 255])],
    ["non-array modifications", modifySet(5)],
    ["modifications [null]", modifySet([null])],
    ["a modification of unknown type", modifySet([{ type: "Frob", queryId: 1 }])],
    ["a string queryId", modifySet([{ type: "Add", queryId: "a", udfPath: "docs:getByN", args: [{ n: 1 }] }])],
    ["an Add with udfPath null", modifySet([{ type: "Add", queryId: 1, udfPath: null, args: [{}] }])],
    ["an Add with args 5", modifySet([{ type: "Add", queryId: 1, udfPath: "docs:getByN", args: 5 }])],
    ["a Remove without queryId", modifySet([{ type: "Remove" }])],
    ["newVersion not above baseVersion", JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 0, modifications: [] })],
    ["an Action with udfPath null", '{"type":"Action","requestId":1,"udfPath":null,"args":[{}]}'],
    ["a Mutation with udfPath null", '{"type":"Mutation","requestId":1,"udfPath":null,"args":[{}]}'],
    ["a Mutation with a string requestId", '{"type":"Mutation","requestId":"x","udfPath":"docs:insert","args":[{}]}'],
    ["a Mutation with args \"x\"", '{"type":"Mutation","requestId":1,"udfPath":"docs:insert","args":"x"}'],
    ["an Authenticate with an unknown tokenType", '{"type":"Authenticate","tokenType":"Bogus","baseVersion":0,"value":"x"}'],
    ["an Authenticate without a token", '{"type":"Authenticate","tokenType":"User","baseVersion":0,"value":null}'],
    ["a Connect with an object sessionId", '{"type":"Connect","sessionId":{},"connectionCount":0}'],
  ];
  test("protocol garbage: every malformed client message is a protocol error (FatalError, close 4000), never 1011 or a stack trace", async () => {
    const results: Array<{ name: string; code: number; fatal: string | undefined; other: string[] }> = [];
    for (const [name, frame] of GARBAGE) {
      const s = await openSocket();
      s.ws.send(frame);
      const { code } = await closedWithin(s, 3_000);
      const fatal = s.messages.find((m) => m.type === "FatalError")?.error as string | undefined;
      // Nothing that looks like a server-side failure reaches the client either.
      const other = s.messages.filter((m) => m.type !== "FatalError").map((m) => JSON.stringify(m).slice(0, 200));
      results.push({ name, code, fatal, other });
    }
    const wrong = results.filter((r) => r.code !== 4000 || !/^(InvalidMessage|BadRequest): /.test(r.fatal ?? "") || r.other.length > 0);
    expect(wrong).toEqual([]);
    expect(backend.stderr()).not.toMatch(/sync message failed|\n\s+at /);
    await assertSyncServes();
  }, 60_000);
});

describe("oversized frames", () => {
  test("oversized frame: a WebSocket message above 16 MiB closes that socket with 1009, and the memory is not held", async () => {
    await assertSyncServes();
    const before = backend.rss();
    const big = Buffer.alloc(32 * 2 ** 20, 0x20); // valid JSON whitespace, so only its size is wrong
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await openSocket();
      s.ws.send(big);
      codes.push((await s.closed).code);
    }
    expect(codes).toEqual([1009, 1009, 1009, 1009, 1009, 1009]);
    await assertSyncServes();
    // Six 32 MiB messages: buffering any of them would show as tens of MiB; the cap refuses them
    // from the frame header. (RSS also moves with GC and allocator caching, hence the margin.)
    expect(backend.rss() - before).toBeLessThan(48 * 2 ** 20);
    // A message just under the cap is still accepted (it is then refused as not a valid message).
    const s = await openSocket();
    s.ws.send(Buffer.alloc(15 * 2 ** 20, 0x20));
    expect((await s.closed).code).toBe(4000);
  }, 60_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("one socket against everyone", () => {
  const addPages = (count: number, group: string) =>
    modifySet(Array.from({ length: count }, (_, i) => ({ type: "Add", queryId: i, udfPath: "docs:page20", args: [{ group }] })));

  test("greedy socket: more than 10,000 subscriptions on one socket is a protocol error for that client", async () => {
    // 10,000 (protocol.ts MAX_SUBSCRIPTIONS_PER_SOCKET): above the app's own reader cache (5,000 on one socket).
    const s = await openSocket();
    s.ws.send(addPages(10_001, "g2"));
    expect((await closedWithin(s, 10_000)).code).toBe(4000);
    expect(s.messages.find((m) => m.type === "FatalError")?.error).toMatch(/^TooManySubscriptions: /);
    await assertSyncServes();
  });

  test("greedy socket: while one socket re-runs 1,000 subscriptions, another client's query and mutation round trips stay under 1 s", async () => {
    // What this proves: while one socket's 1,000 subscriptions run (seconds of work: the initial
    // run, then a re-run after a commit that invalidates all of them), a second client's HTTP
    // round trips keep being answered within the bound (the backend yields between
    // subscriptions; before, the whole batch ran in one turn of the event loop). What it cannot
    // prove: fairness under many such sockets at once, or a bound on an arbitrarily loaded machine
    // (hence the generous 1 s); nor does it measure the greedy socket's own latency.
    const http = new ConvexHttpClient(backend.url);
    await http.query(getByN, { n: 3 }); // warm up
    const latencies: number[] = [];
    let stop = false;
    const probing = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const doc = (await http.query(getByN, { n: 3 })) as { n: number };
        latencies.push(performance.now() - t0);
        expect(doc.n).toBe(3);
        await sleep(5);
      }
    })();
    const greedy = await openSocket();
    const initial = performance.now();
    greedy.ws.send(addPages(1_000, "g1"));
    const first = await greedy.next((m) => m.type === "Transition" && m.modifications.length === 1_000, 60_000);
    const initialMs = performance.now() - initial;
    // A commit that changes all 1,000 results (n = -1 sorts first in group g1).
    const t0 = performance.now();
    await http.mutation(insertDoc, { n: -1, group: "g1", payload: "x" });
    const mutationMs = performance.now() - t0;
    await greedy.next((m) => m !== first && m.type === "Transition" && m.modifications.length === 1_000, 60_000);
    const rerunMs = performance.now() - t0;
    stop = true;
    await probing;
    greedy.ws.close();
    const worst = Math.max(...latencies);
    console.log(
      `greedy socket: initial run ${initialMs.toFixed(0)} ms, re-run ${rerunMs.toFixed(0)} ms; ` +
        `other client: ${latencies.length} queries, worst ${worst.toFixed(0)} ms; mutation ${mutationMs.toFixed(0)} ms`,
    );
    // The probes ran while the greedy socket was being served (otherwise the bound says nothing).
    expect(worst).toBeLessThan(1_000);
    expect(mutationMs).toBeLessThan(1_000);
    expect(latencies.length).toBeGreaterThan(5);
  }, 120_000);
});

describe("request floods", () => {
  test("request flood: a socket with more than 1,000 requests in flight is closed with 1013, and others are still served", async () => {
    const s = await openSocket();
    for (let i = 0; i < 5_000; i++) {
      s.ws.send(JSON.stringify({ type: "Mutation", requestId: i, udfPath: "docs:insert", args: [{ n: 1_000_000 + i, group: "flood", payload: "x" }] }));
    }
    const { code } = await closedWithin(s, 30_000);
    const responses = s.messages.filter((m) => m.type === "MutationResponse").length;
    console.log(`request flood: closed with ${code} after ${responses} of 5,000 mutations were answered`);
    expect(code).toBe(1013);
    expect(responses).toBeLessThan(5_000);
    await assertSyncServes();
  }, 60_000);
});
