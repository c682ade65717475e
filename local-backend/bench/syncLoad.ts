// Child process of sync.ts: the clients of the sync and HTTP action benchmarks, in their own process
// so their work (WebSocket frames, JSON, callbacks) does not share the backend's event loop.
// Modes:
// - fanout: `clients` ConvexClients subscribe to posts:getPost of one post; a separate writer client
//   calls posts:touch on it `writes` times, one at a time, waiting until every subscriber has seen
//   the new value (bounded) plus a small gap before the next write.
// - selective: `clients` ConvexClients × (ids / clients) subscriptions, each to a different post;
//   the writer touches random posts one at a time, waiting for the affected subscriber.
// - http: GET <siteUrl>/ok at each concurrency over a keep-alive node:http agent.
// Times are epoch ms (`epochMs`), comparable with the backend process's commit times.
// Prints one result line (see the *Result types).
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import http from "node:http";
import { epochMs, exitAfter, measure, prng, reportResult, type Measurement } from "./lib.js";

export type SyncLoadConfig =
  | { mode: "fanout"; url: string; postId: string; clients: number; warmupWrites: number; writes: number; gapMs: [number, number] }
  | { mode: "selective"; url: string; ids: string[]; clients: number; warmupWrites: number; writes: number; gapMs: [number, number] }
  | { mode: "http"; siteUrl: string; runs: Array<{ concurrency: number; durationMs: number }> };

/** One measured write: the post, the value it wrote, when the writer sent it and got the result. */
export interface WriteRecord {
  id: string;
  views: number;
  sendMs: number;
  ackMs: number;
}

export interface FanoutResult {
  connectMs: number;
  writes: WriteRecord[];
  /** updates[w][c]: when client c's callback saw writes[w], in ms after writes[w].sendMs (µs precision), or null if it never did. */
  updates: Array<Array<number | null>>;
  /** CPU (user + system) of this process over the measured writes, µs. */
  cpuUs: number;
}

export interface SelectiveResult {
  connectMs: number;
  subscriptions: number;
  writes: Array<WriteRecord & { updateMs: number | null }>;
  /** Callbacks for posts other than the one just written (unchanged results re-sent), after setup. */
  strayCallbacks: number;
  cpuUs: number;
}

export type HttpResult = Record<string, Measurement>;

const config = JSON.parse(process.argv[2]) as SyncLoadConfig;
exitAfter(config.mode === "http" ? 10_000 + config.runs.reduce((s, r) => s + r.durationMs + 1_000, 0) : 90_000);

const getPost = makeFunctionReference<"query", { id: string }, { _id: string; views: number } | null>("posts:getPost");
const touch = makeFunctionReference<"mutation", { id: string }, number>("posts:touch");

const newClient = (url: string) => new ConvexClient(url, { skipConvexDeploymentUrlCheck: true, logger: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** Waits for predicates re-checked on every `poke()` (each subscription callback), with a timeout. */
function conditions() {
  let waiters: Array<{ pred: () => boolean; done: (met: boolean) => void }> = [];
  return {
    poke() {
      if (waiters.length === 0) return;
      waiters = waiters.filter((w) => {
        if (!w.pred()) return true;
        w.done(true);
        return false;
      });
    },
    /** Resolves true once `pred()` holds, false after `ms`. */
    wait(pred: () => boolean, ms: number): Promise<boolean> {
      if (pred()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          resolve(false);
        }, ms);
        const waiter = {
          pred,
          done: (met: boolean) => {
            clearTimeout(timer);
            resolve(met);
          },
        };
        waiters.push(waiter);
      });
    },
  };
}

async function fanout(cfg: Extract<SyncLoadConfig, { mode: "fanout" }>): Promise<FanoutResult> {
  const cond = conditions();
  const connect0 = performance.now();
  const subscribers = Array.from({ length: cfg.clients }, () => newClient(cfg.url));
  const latest = new Array<number>(cfg.clients).fill(-1);
  /** seen[c].get(views) = epoch ms of client c's first callback showing `views`. */
  const seen = subscribers.map(() => new Map<number, number>());
  subscribers.forEach((client, c) =>
    client.onUpdate(getPost, { id: cfg.postId }, (post) => {
      const t = epochMs();
      if (post && post.views > latest[c]) {
        latest[c] = post.views;
        seen[c].set(post.views, t);
      }
      cond.poke();
    }),
  );
  const writer = newClient(cfg.url);
  try {
    if (!(await cond.wait(() => latest.every((v) => v >= 0), 30_000))) {
      throw new Error(`only ${latest.filter((v) => v >= 0).length}/${cfg.clients} subscribers got their first value`);
    }
    const connectMs = performance.now() - connect0;
    const rand = prng(0xfa4);
    const writes: WriteRecord[] = [];
    let cpu0 = cpuMicros();
    for (let i = 0; i < cfg.warmupWrites + cfg.writes; i++) {
      if (i === cfg.warmupWrites) cpu0 = cpuMicros();
      await sleep(cfg.gapMs[0] + rand() * (cfg.gapMs[1] - cfg.gapMs[0]));
      const sendMs = epochMs();
      const views = await writer.mutation(touch, { id: cfg.postId });
      const ackMs = epochMs();
      // Bounded: a subscriber that never sees the value shows up as a missing sample.
      await cond.wait(() => latest.every((v) => v >= views), 2_000);
      if (i >= cfg.warmupWrites) writes.push({ id: cfg.postId, views, sendMs, ackMs });
    }
    const cpuUs = cpuMicros() - cpu0;
    const updates = writes.map((w) =>
      seen.map((m) => {
        const t = m.get(w.views);
        return t === undefined ? null : Math.round((t - w.sendMs) * 1000) / 1000;
      }),
    );
    return { connectMs, writes, updates, cpuUs };
  } finally {
    await Promise.all([...subscribers, writer].map((c) => c.close()));
  }
}

async function selective(cfg: Extract<SyncLoadConfig, { mode: "selective" }>): Promise<SelectiveResult> {
  const cond = conditions();
  const connect0 = performance.now();
  const perClient = Math.ceil(cfg.ids.length / cfg.clients);
  const clients = Array.from({ length: cfg.clients }, () => newClient(cfg.url));
  const latest = new Map<string, number>();
  const seenAt = new Map<string, number>(); // `${id}:${views}` → epoch ms
  let target: string | null = null;
  let ready = false;
  let strayCallbacks = 0;
  cfg.ids.forEach((id, i) =>
    clients[Math.floor(i / perClient)].onUpdate(getPost, { id }, (post) => {
      const t = epochMs();
      if (ready && id !== target) strayCallbacks++;
      if (post && post.views > (latest.get(id) ?? -1)) {
        latest.set(id, post.views);
        seenAt.set(`${id}:${post.views}`, t);
      }
      cond.poke();
    }),
  );
  const writer = newClient(cfg.url);
  try {
    if (!(await cond.wait(() => latest.size === cfg.ids.length, 30_000))) {
      throw new Error(`only ${latest.size}/${cfg.ids.length} subscriptions got their first value`);
    }
    const connectMs = performance.now() - connect0;
    ready = true;
    const rand = prng(0x5e1);
    const writes: SelectiveResult["writes"] = [];
    let cpu0 = cpuMicros();
    for (let i = 0; i < cfg.warmupWrites + cfg.writes; i++) {
      if (i === cfg.warmupWrites) cpu0 = cpuMicros();
      await sleep(cfg.gapMs[0] + rand() * (cfg.gapMs[1] - cfg.gapMs[0]));
      const id = cfg.ids[Math.floor(rand() * cfg.ids.length)];
      target = id;
      const sendMs = epochMs();
      const views = await writer.mutation(touch, { id });
      const ackMs = epochMs();
      await cond.wait(() => (latest.get(id) ?? -1) >= views, 2_000);
      if (i >= cfg.warmupWrites) writes.push({ id, views, sendMs, ackMs, updateMs: seenAt.get(`${id}:${views}`) ?? null });
    }
    const cpuUs = cpuMicros() - cpu0;
    // Let any late (wrong) re-sends arrive before counting them.
    target = null;
    await sleep(100);
    return { connectMs, subscriptions: cfg.ids.length, writes, strayCallbacks, cpuUs };
  } finally {
    await Promise.all([...clients, writer].map((c) => c.close()));
  }
}

async function httpLoad(cfg: Extract<SyncLoadConfig, { mode: "http" }>): Promise<HttpResult> {
  const url = `${cfg.siteUrl}/ok`;
  const results: HttpResult = {};
  for (const run of cfg.runs) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: run.concurrency });
    const get = () =>
      new Promise<void>((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("error", reject);
            res.on("end", () =>
              res.statusCode === 200 && body === "ok" ? resolve() : reject(new Error(`GET /ok: ${res.statusCode} ${body.slice(0, 200)}`)),
            );
          })
          .on("error", reject);
      });
    const workers = Array.from({ length: run.concurrency }, () => get);
    results[String(run.concurrency)] = await measure(workers, { durationMs: run.durationMs });
    agent.destroy();
  }
  return results;
}

const result =
  config.mode === "fanout" ? await fanout(config) : config.mode === "selective" ? await selective(config) : await httpLoad(config);
reportResult(result);
// Exit once the (large) result line is flushed; do not wait on stray client handles.
process.stdout.write("", () => process.exit(0));
