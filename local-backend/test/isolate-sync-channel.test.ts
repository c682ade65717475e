// The isolate workers' channel of synchronous syscalls (isolate/syncChannel.ts). A CI run on a
// loaded machine failed with "Query N is closed" / "Query undefined is closed" and the backend
// stayed broken: with a bare 0/1 flag, a notify that reached the worker late (the backend's thread
// descheduled between its store and its notify) woke the worker's next sync call before its reply
// existed, and from then on each sync call read the answer of the call before it. These tests widen
// that window on purpose (syncChannelTesting.beforeNotify) and check that every call still gets its
// own answer, that leftovers are dropped, and that a channel out of step stops its worker.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { IsolateWorker, type IsolateHost } from "../src/runtime/isolate/handle.js";
import type { SyncAnswer, SyncReply, SyncRequest } from "../src/runtime/isolate/protocol.js";
import { SyncChannelServer, syncChannelTesting } from "../src/runtime/isolate/syncChannel.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-limits/convex", import.meta.url));
const CHANNEL = fileURLToPath(new URL("../src/runtime/isolate/syncChannel.ts", import.meta.url));

/** Busy-waits `ms`: the backend's thread held between storing a reply's number and notifying. */
function hold(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spinning, as a descheduled thread would not notify either.
  }
}

afterEach(() => {
  syncChannelTesting.beforeNotify = null;
});

// ---- the channel alone: a worker thread making echo calls through SyncChannelClient --------------

let clientSource: Promise<string> | null = null;
/** A worker that makes `calls` sync calls (args: the call's index) and reports any answer not its own. */
function echoClientSource(): Promise<string> {
  clientSource ??= build({
    stdin: {
      contents: `
        import { parentPort, workerData } from "node:worker_threads";
        import { SyncChannelClient } from ${JSON.stringify(CHANNEL)};
        const { syncPort, flag, calls } = workerData;
        const fatal = [];
        const client = new SyncChannelClient(syncPort, new Int32Array(flag), (m) => fatal.push(m));
        const wrong = [];
        let error = null;
        try {
          for (let i = 0; i < calls; i++) {
            const r = client.call({ ctxId: 1, op: "echo", args: i });
            if (!r.ok || r.value !== String(i)) wrong.push({ i, got: r.ok ? r.value : r.error.message });
          }
        } catch (e) {
          error = { name: e.name, message: e.message };
        }
        parentPort.postMessage({ wrong, error, fatal, dropped: client.dropped });
      `,
      resolveDir: path.dirname(CHANNEL),
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return clientSource;
}

interface EchoResult {
  wrong: Array<{ i: number; got: string }>;
  error: { name: string; message: string } | null;
  fatal: string[];
  dropped: number;
}

/** Runs the echo client for `calls` calls; `serve` answers each request on the backend's side. */
async function runEchoClient(calls: number, serve: (m: SyncRequest, port: MessagePort, signal: Int32Array) => void): Promise<EchoResult> {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const signal = new Int32Array(flag);
  const worker = new Worker(await echoClientSource(), { eval: true, workerData: { syncPort: port2, flag, calls }, transferList: [port2] });
  port1.on("message", (m: SyncRequest) => serve(m, port1, signal));
  try {
    return await new Promise<EchoResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the echo client did not finish in 20 s")), 20_000);
      worker.once("message", (r: EchoResult) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.once("error", reject);
    });
  } finally {
    port1.close();
    await worker.terminate();
  }
}

const echo = (m: SyncRequest): SyncAnswer => ({ ok: true, value: String(m.args) });

describe("isolate sync channel", () => {
  test("wrong answer after a late notify: back-to-back sync calls each get their own reply when the previous call's notify arrives during the next call", async () => {
    let server: SyncChannelServer | null = null;
    let n = 0;
    const r = await runEchoClient(400, (m, port, signal) => {
      server ??= new SyncChannelServer(port, signal, echo, (message) => {
        throw new Error(`unexpected desync: ${message}`);
      });
      // Every other call: the previous call's notify arrives now, while the worker waits for this
      // one (the backend's thread was descheduled between its store and its notify), and the
      // worker has time to wake before this call's reply is posted.
      if (n++ % 2 === 1) {
        Atomics.notify(signal, 0);
        hold(0.5);
      }
      server.handle(m);
    });
    expect(r).toEqual({ wrong: [], error: null, fatal: [], dropped: 0 });
    expect(n).toBe(400);
  }, 30_000);

  test("stale reply: a reply left over from an abandoned call is dropped, not taken as the next call's answer", async () => {
    const r = await runEchoClient(5, (m, port, signal) => {
      // Before call 3's own reply, one numbered 2 (as if call 2 had been abandoned mid-wait).
      if (m.seq === 3) port.postMessage({ seq: 2, ok: true, value: "stale answer of call 2" } satisfies SyncReply);
      port.postMessage({ ...echo(m), seq: m.seq } satisfies SyncReply);
      Atomics.store(signal, 0, m.seq);
      Atomics.notify(signal, 0);
    });
    expect(r).toEqual({ wrong: [], error: null, fatal: [], dropped: 1 });
  }, 30_000);

  test("missing reply: a call whose number is stored without its reply fails with an internal error and reports the desync", async () => {
    const r = await runEchoClient(5, (m, port, signal) => {
      if (m.seq !== 3) port.postMessage({ ...echo(m), seq: m.seq } satisfies SyncReply);
      Atomics.store(signal, 0, m.seq);
      Atomics.notify(signal, 0);
    });
    expect(r.wrong).toEqual([]);
    expect(r.error).toEqual({ name: "SyncChannelDesync", message: expect.stringMatching(/^Internal error: isolate sync channel out of step: no reply to sync call 3 \(echo\)/) });
    expect(r.fatal).toEqual([expect.stringContaining("no reply to sync call 3")]);
  }, 30_000);

  test("out-of-order request: the backend refuses a request with an unexpected number and answers nothing more on that channel", () => {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const desyncs: string[] = [];
    const server = new SyncChannelServer(port1, signal, echo, (m) => desyncs.push(m));
    try {
      expect(server.handle({ seq: 1, ctxId: 1, op: "echo", args: "a" })).toBe(true);
      expect(Atomics.load(signal, 0)).toBe(1);
      expect(server.handle({ seq: 3, ctxId: 1, op: "echo", args: "b" })).toBe(false);
      expect(desyncs).toEqual(["expected sync request 2, got 3 (echo)"]);
      // Out of step for good: even the number it expected is not answered.
      expect(server.handle({ seq: 2, ctxId: 1, op: "echo", args: "c" })).toBe(false);
      expect(Atomics.load(signal, 0)).toBe(1);
    } finally {
      port1.close();
      port2.close();
    }
  });

  test("an answer that cannot be cloned still answers its call, with an internal error, instead of leaving the worker waiting", () => {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const server = new SyncChannelServer(
      port1,
      signal,
      () => ({ ok: false, error: { message: "boom", name: "Error", user: true, data: (() => 1) as never } }),
      (m) => {
        throw new Error(`unexpected desync: ${m}`);
      },
    );
    try {
      expect(server.handle({ seq: 1, ctxId: 1, op: "1.0/queryStream", args: {} })).toBe(true);
      expect(Atomics.load(signal, 0)).toBe(1);
      const reply = receiveMessageOnPort(port2)?.message as SyncReply;
      expect(reply).toMatchObject({ seq: 1, ok: false, error: { name: "Error", user: false } });
      expect(reply.ok ? "" : reply.error.message).toMatch(/^Internal error: the answer to 1\.0\/queryStream could not be sent to the isolate: /);
    } finally {
      port1.close();
      port2.close();
    }
  });

  // ---- the backend's worker handle: a desync stops the worker -------------------------------------

  const host: IsolateHost = {
    syscall: () => "null",
    asyncSyscall: async () => "null",
    jsSyscall: () => null,
    functionEnv: () => ({}),
    componentEnv: () => ({}),
    log: () => {},
  };
  /** An IsolateWorker running `script` (CommonJS) instead of worker.ts; resolves once it is stopped. */
  function stoppedWorker(script: string): Promise<Error> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the worker was not stopped within 10 s")), 10_000);
      new IsolateWorker(script, "tx:test", 64, host, (w) => {
        clearTimeout(timer);
        resolve(w.dead!);
      });
    });
  }
  const keepAlive = "setInterval(() => {}, 1000);";

  test("forged sync request: a worker whose request number skips ahead is stopped with an internal error", async () => {
    const dead = await stoppedWorker(
      `const { workerData } = require("node:worker_threads");
       workerData.syncPort.postMessage({ seq: 7, ctxId: 1, op: "1.0/queryStream", args: {} });
       ${keepAlive}`,
    );
    expect(dead.message).toBe(
      "Internal error: isolate sync channel out of step (expected sync request 1, got 7 (1.0/queryStream)); the isolate was stopped.",
    );
  }, 15_000);

  test("desync reported by the worker: the backend stops that worker", async () => {
    const dead = await stoppedWorker(
      `const { parentPort } = require("node:worker_threads");
       parentPort.postMessage({ t: "fatal", message: "no reply to sync call 3 (1.0/queryStream)" });
       ${keepAlive}`,
    );
    expect(dead.message).toBe("Internal error: isolate sync channel out of step (no reply to sync call 3 (1.0/queryStream)); the isolate was stopped.");
  }, 15_000);
});

// ---- the whole backend: many small streams per query, many queries at once, late notifies --------

describe("isolate sync channel in the backend", () => {
  let backend: LocalBackend | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    backend = null;
    dir = null;
  });

  test("Query undefined is closed: concurrent queries with many small streams each, nested and stopped early, all read their own streams while the backend notifies late", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "lb-sync-channel-"));
    backend = await LocalBackend.start({ dataDir: dir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, isolatePool: { maxTxWorkers: 2 } });
    const client = new ConvexHttpClient(backend.url, { logger: false });
    for (const text of ["n1", "n2", "n3"]) await client.mutation(anyApi.stuck.addNote, { text });
    await client.mutation(anyApi.streams.addMark, { label: "m1" });
    // Each normalizeId answered for its own call: yes, yes, no, no (an id of the other table).
    const round = "3:m1:n1:yynn";

    // One reply in three notifies 1 ms late (as a descheduled backend thread would).
    let n = 0;
    syncChannelTesting.beforeNotify = () => {
      if (n++ % 3 === 0) hold(1);
    };
    // Queries are not cached across these (each has its own arguments).
    const runs = await Promise.all([
      // Query streams no longer wait on this channel (worker.ts): each round's four normalizeId
      // calls are its sync calls, and it takes this many rounds for the late notifies below.
      ...Array.from({ length: 8 }, (_, i) => client.query(anyApi.streams.mixedReads, { rounds: 40 + i })),
      ...Array.from({ length: 4 }, (_, i) => client.query(anyApi.streams.nestedMixedReads, { rounds: 10 + i })),
      ...Array.from({ length: 4 }, (_, i) => client.query(anyApi.stuck.manyReads, { rounds: 30 + i })),
    ]);
    for (let i = 0; i < 8; i++) expect(runs[i]).toEqual(Array.from({ length: 40 + i }, () => round));
    for (let i = 0; i < 4; i++) expect(runs[8 + i]).toEqual(["m1", ...Array.from({ length: 10 + i }, () => round), "3"]);
    for (let i = 0; i < 4; i++) expect(runs[12 + i]).toBe(3 * (30 + i));
    // The late notifies happened on the way (each round makes several sync calls).
    expect(n).toBeGreaterThan(1000);

    // And the backend is not left broken: later queries on the same workers are right too.
    syncChannelTesting.beforeNotify = null;
    expect(await client.query(anyApi.streams.mixedReads, { rounds: 2 })).toEqual([round, round]);
    expect(await client.query(anyApi.stuck.countNotes, {})).toBe(3);
  }, 120_000);
});
