import { ConvexClient } from "convex/browser";
import { getFunctionName, type FunctionArgs, type FunctionReference, type FunctionReturnType } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import WebSocket from "ws";
import { serverEnv } from "../env.server";
import { convexClient, convexUrl } from "../utils/convex.server";
import { recordDependency, recordUntracked } from "./request-deps.server";

// A process-wide cache of ANONYMOUS reader query results, kept fresh by Convex subscriptions rather
// than by expiry: each cached (query, args) pair is a live subscription on one WebSocket, and the
// backend pushes a new result as soon as a commit changes what the query read (the local backend
// and Convex re-run only the affected subscriptions). A publish therefore shows up on the next
// request, and a popular page costs no backend round trip at all.
//
// Only anonymous reads are cached: what a signed-in reader sees depends on their entitlement, so
// their queries go straight to Convex with their token (client.server.ts decides).
//
// Bounded by bytes (issue #18): the results' JSON held at most `maxBytes`, and at most `max` live
// subscriptions (each costs the backend a subscription); least recently used evicted (and
// unsubscribed). While the WebSocket is down results could be stale, so the cache answers through
// HTTP until it is back.
//
// The subscriptions are spread over several ConvexClients (one WebSocket each), a key always on the
// same one: a ConvexClient handles every transition by walking all of its queries, so one client
// holding thousands made each new subscription, and each update, cost time in proportion to all of
// them (ADR 016, thirteenth round: 6.6 ms of CPU a new subscription at 800, 13.6 ms at 4,000;
// ~4.5-5 ms throughout over 16 clients).

type AnyQuery = FunctionReference<"query">;

/** The cache's socket must not keep a stopping server process alive (the server closes on SIGTERM and expects to exit). */
export class UnrefWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.once("open", () => (this as unknown as { _socket?: { unref(): void } })._socket?.unref());
  }
}

interface Entry {
  /** Resolves with the first result; later results replace `value`. */
  ready: Promise<unknown>;
  value: unknown;
  hasValue: boolean;
  /** Bumped on every result (request-deps.server.ts: responses built from an older one are stale). */
  version: number;
  /** False once evicted or failed: nothing keeps it fresh any more. */
  live: boolean;
  /** The size of its current result (characters of its JSON). */
  bytes: number;
  unsubscribe: () => void;
  /** The client its subscription is on. */
  client: ConvexClient;
}

export interface QueryCacheStats {
  hits: number;
  misses: number;
  bypasses: number;
  size: number;
  /** What the held results weigh (characters of their JSON). */
  bytes: number;
  /** ConvexClients (WebSockets) opened so far, of at most ceil(max / SUBSCRIPTIONS_PER_CLIENT). */
  clients: number;
}

/** Subscriptions per ConvexClient, on average, when the cache is full. */
export const SUBSCRIPTIONS_PER_CLIENT = 256;

export class QueryCache {
  private readonly entries = new Map<string, Entry>();
  /** Made on first use; a key's client is `clientFor(key)`. */
  private readonly clients: Array<ConvexClient | undefined>;
  private stats = { hits: 0, misses: 0, bypasses: 0 };
  private bytes = 0;

  constructor(
    private readonly url: string,
    /** Fallback for one-shot reads while the subscription is not usable (a fresh ConvexHttpClient query). */
    private readonly direct: <Q extends AnyQuery>(query: Q, args: FunctionArgs<Q>) => Promise<FunctionReturnType<Q>>,
    private readonly max = 5000,
    private readonly maxBytes = 32 * 2 ** 20,
  ) {
    this.clients = new Array(Math.max(1, Math.ceil(max / SUBSCRIPTIONS_PER_CLIENT))).fill(undefined);
  }

  /** The client that holds `key`'s subscription (FNV-1a of the key: the same client every time). */
  private clientFor(key: string): ConvexClient {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    const i = (h >>> 0) % this.clients.length;
    return (this.clients[i] ??= new ConvexClient(this.url, {
      webSocketConstructor: UnrefWebSocket as unknown as typeof globalThis.WebSocket,
      unsavedChangesWarning: false,
    }));
  }

  /** The current result of a query, from its subscription (created on first use). */
  async query<Q extends AnyQuery>(query: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>> {
    const key = `${getFunctionName(query)}:${JSON.stringify(convexToJson(args as Value))}`;
    const existing = this.entries.get(key);
    if (existing) {
      // LRU: most recently used last.
      this.entries.delete(key);
      this.entries.set(key, existing);
      if (existing.hasValue && existing.client.connectionState().isWebSocketConnected) {
        this.stats.hits++;
        recordDependency(existing);
        return existing.value as FunctionReturnType<Q>;
      }
      this.stats.bypasses++;
      recordUntracked();
      return await this.direct(query, args);
    }
    this.stats.misses++;
    const entry = this.subscribe(key, query, args);
    // A fresh subscription's first result arrives over the socket; when it is not connected yet
    // (process start), answer this request over HTTP instead of waiting.
    if (!entry.client.connectionState().isWebSocketConnected) {
      recordUntracked();
      return await this.direct(query, args);
    }
    const value = await entry.ready;
    recordDependency(entry);
    return value as FunctionReturnType<Q>;
  }

  /** Whether cached results are being kept fresh right now (every socket it opened is up). */
  isLive(): boolean {
    return this.clients.every((c) => c === undefined || c.connectionState().isWebSocketConnected);
  }

  private subscribe<Q extends AnyQuery>(key: string, query: Q, args: FunctionArgs<Q>): Entry {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const entry: Entry = {
      ready: new Promise((res, rej) => ((resolve = res), (reject = rej))),
      value: undefined,
      hasValue: false,
      version: 0,
      live: true,
      bytes: 0,
      unsubscribe: () => {},
      client: this.clientFor(key),
    };
    entry.ready.catch(() => {}); // a rejected first result is reported to the waiting caller only
    this.entries.set(key, entry);
    const unsubscribe = entry.client.onUpdate(
      query,
      args,
      (value) => {
        entry.value = value;
        entry.hasValue = true;
        entry.version++;
        if (entry.live) this.weigh(entry, JSON.stringify(convexToJson(value as Value)).length);
        resolve(value);
      },
      (error) => {
        // Queries that throw (a bad cursor) are not cached: drop the entry, fail the waiter.
        if (this.entries.get(key) === entry) this.drop(key, entry);
        entry.unsubscribe();
        reject(error);
      },
    );
    entry.unsubscribe = () => {
      entry.live = false;
      unsubscribe();
    };
    if (this.entries.size > this.max) this.evictOldest(entry);
    return entry;
  }

  /** An entry's new result size; least recently used others go while the total is over the bound. */
  private weigh(entry: Entry, bytes: number) {
    this.bytes += bytes - entry.bytes;
    entry.bytes = bytes;
    while (this.bytes > this.maxBytes && this.evictOldest(entry));
  }

  /** Evicts the least recently used entry other than `keep`; false when there is none. */
  private evictOldest(keep: Entry): boolean {
    for (const [key, e] of this.entries) {
      if (e === keep) continue;
      this.drop(key, e);
      e.unsubscribe();
      return true;
    }
    return false;
  }

  private drop(key: string, entry: Entry) {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    entry.bytes = 0;
    entry.live = false;
  }


  getStats(): QueryCacheStats {
    return { ...this.stats, size: this.entries.size, bytes: this.bytes, clients: this.clients.filter((c) => c !== undefined).length };
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) e.unsubscribe();
    this.entries.clear();
    await Promise.all(this.clients.map((c) => c?.close()));
  }
}

let shared: QueryCache | null | undefined;

/**
 * The process's cache, or null when disabled: `READER_CACHE=off` turns it off (tests that need
 * read-after-write within milliseconds, debugging); it is on by default in production builds and
 * off elsewhere unless `READER_CACHE=on`.
 */
/** The shared cache's counts, without starting it (null: off or not started yet). */
export function sharedQueryCacheStats(): QueryCacheStats | null {
  return shared ? shared.getStats() : null;
}

export function sharedQueryCache(): QueryCache | null {
  if (shared !== undefined) return shared;
  const setting = serverEnv.READER_CACHE;
  const on = setting === "on" || (setting !== "off" && serverEnv.NODE_ENV === "production");
  // Reads while the socket is down go to Convex over HTTP (a fresh client each: they are stateful).
  const direct = <Q extends AnyQuery>(q: Q, args: FunctionArgs<Q>) => convexClient().query(q, args);
  shared = on
    ? new QueryCache(convexUrl(), direct, Number(serverEnv.READER_CACHE_MAX ?? 5000), Number(serverEnv.READER_CACHE_BYTES ?? 32 * 2 ** 20))
    : null;
  if (shared) closeOnSignals();
  return shared;
}

/**
 * The Convex client keeps a timer armed while its socket is open, which would keep a stopping
 * server alive forever: close the cache on SIGTERM/SIGINT. When the process already handles the
 * signal (app/server closes its HTTP server and exits once idle) that is all; when nothing else
 * does, the signal is re-raised so the default (exit) still happens.
 */
function closeOnSignals() {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const othersHandle = process.listenerCount(signal) > 0;
    process.once(signal, () => {
      void resetSharedQueryCache().finally(() => {
        if (!othersHandle) process.kill(process.pid, signal);
      });
    });
  }
}

/** Closes and forgets the shared cache (tests; a later call creates a new one). */
export async function resetSharedQueryCache(): Promise<void> {
  const c = shared;
  shared = undefined;
  await c?.close();
}
