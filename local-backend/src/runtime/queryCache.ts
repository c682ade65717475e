import type { JSONValue } from "convex/values";
import type { UserIdentity } from "./context.js";
import { ReadSetIndex, readSetTouched, type CommitWrites, type ReadSet } from "./readSetIndex.js";

/**
 * The query result cache, as Convex's (crates/application/src/cache/mod.rs):
 * - keyed by (function path, arguments, identity, journal, whether internal functions are allowed);
 * - only successful results are cached (a query that threw runs again next time);
 * - an entry computed at snapshot ts T serves any read at ts ≥ T for as long as no commit touched
 *   its read set; a read at an older ts than the entry's runs the query;
 * - a result that read `Date.now()` is served for at most MAX_CACHE_AGE_MS after the time it saw
 *   (Convex: MAX_CACHE_AGE, 5 s). Time passing never re-runs a subscription: only writes do;
 * - `Math.random()` is seeded per run, so a result that used it is cached like any other (Convex
 *   does not look at whether the random generator was used);
 * - bounded by entries and bytes, least recently used first out.
 * The read set is the one subscriptions use (http/sync.ts): `readSetTouched` is the one rule.
 */

/** Convex's MAX_CACHE_AGE: how long a result that read the time may be served. */
export const MAX_CACHE_AGE_MS = 5_000;

export interface QueryCacheLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_QUERY_CACHE_LIMITS: QueryCacheLimits = { maxEntries: 10_000, maxBytes: 64 * 2 ** 20 };

/** What a cache hit returns: the cached run's result, log lines, journal and read set. */
export interface CachedResult {
  valueJson: string;
  logLines: string[];
  journal: string | null;
  readSet: ReadSet;
}

interface Entry extends CachedResult {
  key: string;
  /** Snapshot ts the result was computed at. */
  ts: bigint;
  /** The function environment it saw, when it read it. */
  envJson: string | null;
  bytes: number;
}

/** Who is asking, as far as the cache key goes (Convex's IdentityCacheKey and AllowedVisibility). */
export interface CacheCaller {
  identity?: UserIdentity | null;
  allowInternal?: boolean;
  journal?: string | null;
}

/**
 * JSON with object keys sorted, so equal arguments and identities give one key. Built by
 * concatenation (no intermediate arrays): it runs on every cached call, cache hits included.
 */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + stableJson(v[i]);
    return out + "]";
  }
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  let out = "{";
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    out += (out.length === 1 ? "" : ",") + JSON.stringify(k) + ":" + stableJson(x);
  }
  return out + "}";
}

export function queryCacheKey(path: string, args: JSONValue, caller: CacheCaller): string {
  // The whole identity, not just its subject: a result may depend on any claim (Convex keys on the
  // user's attributes too).
  const identity = caller.identity ? stableJson(caller.identity) : "null";
  return `${path}\u0000${caller.allowInternal ? 1 : 0}\u0000${identity}\u0000${caller.journal ?? ""}\u0000${stableJson(args)}`;
}

const ENTRY_OVERHEAD = 256;

export class QueryCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private entries = new Map<string, Entry>();
  private bytes = 0;
  /** Entries by what can invalidate them, so a commit looks only at what it touched. */
  private index = new ReadSetIndex<Entry>();
  /**
   * Commits that happened while a query ran: a result computed at an older snapshot is stored only
   * if none of the commits after its ts touched it. Every commit after `recentFloor` is here.
   */
  private recent: CommitWrites[] = [];
  private recentFloor: bigint;
  private latestTs: bigint;
  private inFlight = 0;
  /** The loaded app the entries were computed with; another app (a reload, a push) empties the cache. */
  private app: unknown = undefined;
  readonly stats = { hits: 0, misses: 0, stored: 0, invalidated: 0, evicted: 0 };
  limits: QueryCacheLimits;
  /** Wall clock used to age results that read the time (tests move it). */
  now: () => number = () => Date.now();

  constructor(
    latestTs: bigint,
    /** The function environment as a string, to check results that read `process.env`. */
    private readonly envJson: () => string,
    limits: Partial<QueryCacheLimits> = {},
  ) {
    this.recentFloor = latestTs;
    this.latestTs = latestTs;
    this.limits = { ...DEFAULT_QUERY_CACHE_LIMITS, ...limits };
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.index.clear();
    this.bytes = 0;
  }

  /**
   * Serves a query from the cache when it can, otherwise runs it (`execute`) and keeps a
   * successful result. `ts` is the snapshot the caller reads at.
   */
  async run<O extends { ok: boolean }>(
    app: unknown,
    key: string,
    ts: bigint,
    execute: () => Promise<O>,
    toCache: (outcome: O) => (CachedResult & { ts: bigint }) | null,
  ): Promise<{ hit: CachedResult } | { outcome: O }> {
    if (app !== this.app) {
      this.clear();
      this.app = app;
    }
    const hit = this.lookup(key, ts);
    if (hit) {
      this.stats.hits++;
      return { hit };
    }
    this.stats.misses++;
    this.inFlight++;
    let outcome: O;
    try {
      outcome = await execute();
    } finally {
      this.inFlight--;
    }
    const result = outcome.ok ? toCache(outcome) : null;
    if (result && app === this.app) this.store(key, result);
    if (this.inFlight === 0) {
      this.recent = [];
      this.recentFloor = this.latestTs;
    }
    return { outcome };
  }

  private lookup(key: string, ts: bigint): CachedResult | null {
    const e = this.entries.get(key);
    if (!e) return null;
    // Computed at a later snapshot than the caller reads: it may show writes the caller must not see.
    if (e.ts > ts) return null;
    if (e.readSet.time !== null) {
      const age = this.now() - e.readSet.time;
      if (age > MAX_CACHE_AGE_MS || age < 0) {
        this.remove(e);
        return null;
      }
    }
    if (e.envJson !== null && e.envJson !== this.envJson()) {
      this.remove(e);
      return null;
    }
    // Most recently used goes last.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  private store(key: string, r: CachedResult & { ts: bigint }) {
    // A result older than what the log covers cannot be checked against the commits since.
    if (r.ts < this.recentFloor) return;
    for (const c of this.recent) {
      if (c.ts > r.ts && readSetTouched(r.readSet, c)) return;
    }
    const existing = this.entries.get(key);
    // Keep the newer of two results (Convex's put_ready keeps the higher original ts).
    if (existing && existing.ts > r.ts) return;
    if (existing) this.remove(existing);
    const rs = r.readSet;
    let bytes = ENTRY_OVERHEAD + key.length + r.valueJson.length + (r.journal?.length ?? 0);
    for (const l of r.logLines) bytes += l.length;
    for (const range of rs.ranges) bytes += 32 + range.lower.length + (range.upper?.length ?? 0);
    bytes += rs.ids.size * 48 + rs.missingTables.size * 48;
    for (const sr of rs.search ?? []) for (const t of [...sr.tokens, ...sr.filterTerms]) bytes += 16 + t.length;
    if (bytes > this.limits.maxBytes) return;
    const e: Entry = {
      key,
      ts: r.ts,
      valueJson: r.valueJson,
      logLines: r.logLines,
      journal: r.journal,
      readSet: rs,
      envJson: rs.env ? this.envJson() : null,
      bytes,
    };
    this.entries.set(key, e);
    this.bytes += bytes;
    this.stats.stored++;
    this.index.set(e, rs);
    while (this.entries.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) {
      const oldest = this.entries.values().next().value as Entry;
      this.remove(oldest);
      this.stats.evicted++;
    }
  }

  private remove(e: Entry) {
    if (this.entries.get(e.key) !== e) return;
    this.entries.delete(e.key);
    this.bytes -= e.bytes;
    this.index.delete(e);
  }

  /** Drops every entry a commit touched; called synchronously by the runner right after the commit. */
  onCommit(c: CommitWrites): void {
    this.latestTs = c.ts;
    if (this.inFlight > 0) this.recent.push({ ts: c.ts, writes: c.writes.map((w) => ({ id: w.id, tableName: w.tableName, keys: w.keys, search: w.search })) });
    else this.recentFloor = c.ts;
    for (const e of this.index.touched(c)) {
      this.remove(e);
      this.stats.invalidated++;
    }
  }
}
