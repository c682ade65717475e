import { Interval, IntervalTree } from "@flatten-js/interval-tree";
import type { SearchEntry, SearchWrite } from "../storage/interface.js";

/** A key range of one index that a function read; used to decide which subscriptions a commit invalidates. */
export interface ReadRange {
  indexId: number;
  lower: Buffer;
  upper: Buffer | null;
}

/** What a successful query read: what can make its result stale. */
export interface ReadSet {
  /** Index key ranges it scanned. */
  ranges: ReadRange[];
  /** Documents it read by id. */
  ids: ReadonlySet<string>;
  /** Tables it queried that did not exist yet (no index to hold a range). */
  missingTables: ReadonlySet<string>;
  /** Text searches it ran (their terms and filters; the documents they returned are in `ids`). */
  search?: ReadonlyArray<SearchRead>;
  /** The frozen `Date.now()` it observed, or null if it never looked at the time. */
  time: number | null;
  /** Whether it read `process.env`. */
  env: boolean;
}

/** What a transaction read, without the query-only parts (time, env): what a commit is checked against. */
export type Reads = Pick<ReadSet, "ranges" | "ids" | "missingTables" | "search">;

/**
 * A text search as a read, as Convex records it (crates/search/src/query.rs QueryReads): its
 * filter terms and its query tokens, the last also matched as a prefix. A write can change the
 * search's results only if the document, before or after, matches every filter and one of the
 * terms; a write that changes nothing the index sees has no search entry at all.
 */
export interface SearchRead {
  indexId: number;
  filterTerms: ReadonlyArray<string>;
  tokens: ReadonlyArray<string>;
}

/** The part of a commit that read sets are checked against (runner.ts CommitEvent). */
export interface CommitWrites {
  ts: bigint;
  writes: ReadonlyArray<{
    id: string;
    tableName: string;
    keys: ReadonlyArray<{ indexId: number; key: Buffer }>;
    /** The write's search-index entries before and after (only when what the index sees changed). */
    search?: ReadonlyArray<SearchWrite>;
  }>;
}

/** Whether a document's search entry matches a search read (every filter, then any term). */
function searchEntryMatches(read: SearchRead, entry: SearchEntry | null): boolean {
  if (!entry) return false;
  for (const f of read.filterTerms) if (!entry.terms.has(f)) return false;
  for (const t of read.tokens) if (entry.terms.has(t)) return true;
  const last = read.tokens[read.tokens.length - 1];
  if (last === undefined) return false;
  // Filter terms start with "#"; text terms are alphanumeric (searchIndex.ts filterTerm).
  for (const term of entry.terms.keys()) if (term.startsWith(last) && !term.startsWith("#")) return true;
  return false;
}

function isEmptyReadSet(rs: Reads): boolean {
  return rs.ranges.length === 0 && rs.ids.size === 0 && rs.missingTables.size === 0 && (rs.search?.length ?? 0) === 0;
}

/**
 * Whether a commit wrote a document the read set read, a key inside a range it read, or into a
 * table it found missing. An empty read set counts as unknown and is always touched.
 */
export function readSetTouched(rs: Reads, e: Pick<CommitWrites, "writes">): boolean {
  return isEmptyReadSet(rs) || readSetOverlap(rs, e) !== undefined;
}

/**
 * The first write of a commit that the read set read (a document, a key inside a range, a table it
 * found missing, a text search's match), or undefined. An empty read set overlaps nothing: this is
 * the mutation conflict check (occ.ts), where a mutation that read nothing cannot conflict.
 */
export function readSetOverlap(
  rs: Reads,
  e: Pick<CommitWrites, "writes">,
): CommitWrites["writes"][number] | undefined {
  for (const w of e.writes) {
    if (rs.ids.has(w.id) || rs.missingTables.has(w.tableName)) return w;
    if (rs.search && w.search) {
      for (const sw of w.search) {
        for (const read of rs.search) {
          if (read.indexId === sw.indexId && (searchEntryMatches(read, sw.old) || searchEntryMatches(read, sw.new))) return w;
        }
      }
    }
    for (const k of w.keys) {
      for (const r of rs.ranges) {
        if (r.indexId !== k.indexId) continue;
        if (k.key.compare(r.lower) >= 0 && (r.upper === null || k.key.compare(r.upper) < 0)) return w;
      }
    }
  }
  return undefined;
}

/**
 * Finds what a commit touched among many read sets (query-cache entries, sync subscriptions)
 * without looking at the others: ids and missing tables by map, index ranges by an interval tree
 * per index, so a write's cost is O(log n + touched) rather than O(every read set on the index).
 * Convex's subscription manager does the same with an interval map per index
 * (crates/database/src/subscription.rs). The tree gives candidates; `readSetTouched`, the one rule,
 * decides.
 *
 * Index keys are compared as bytes; as latin1 strings (one char per byte) they compare the same
 * way, which is what the tree compares. Its intervals are closed, ours half-open, so a key equal to
 * a range's upper bound is a candidate that `readSetTouched` then rejects.
 */
export class ReadSetIndex<T> {
  /** Per index: one tree node per distinct range, holding every item that read that range. */
  private trees = new Map<number, IntervalTree<Set<T>>>();
  private ranges = new Map<string, { indexId: number; interval: Interval; items: Set<T> }>();
  private byId = new Map<string, Set<T>>();
  private byTable = new Map<string, Set<T>>();
  /** By search index: read sets with a text search on it (checked term by term by readSetTouched). */
  private bySearchIndex = new Map<number, Set<T>>();
  /** Unknown or empty read sets: every commit touches them. */
  private everyCommit = new Set<T>();
  private readSets = new Map<T, ReadSet | null>();

  get size(): number {
    return this.readSets.size;
  }

  /** Registers (or re-registers) what `item` read; null means "unknown": every commit touches it. */
  set(item: T, rs: ReadSet | null): void {
    this.delete(item);
    this.readSets.set(item, rs);
    if (rs === null || isEmptyReadSet(rs)) {
      this.everyCommit.add(item);
      return;
    }
    for (const read of rs.search ?? []) addTo(this.bySearchIndex, read.indexId, item);
    for (const id of rs.ids) addTo(this.byId, id, item);
    for (const t of rs.missingTables) addTo(this.byTable, t, item);
    for (const r of rs.ranges) {
      const [key, lower, upper] = rangeKey(r);
      let node = this.ranges.get(key);
      if (!node) {
        node = { indexId: r.indexId, interval: new Interval(lower, upper), items: new Set() };
        this.ranges.set(key, node);
        let tree = this.trees.get(r.indexId);
        if (!tree) this.trees.set(r.indexId, (tree = new IntervalTree<Set<T>>()));
        tree.insert(node.interval, node.items);
      }
      node.items.add(item);
    }
  }

  delete(item: T): void {
    if (!this.readSets.has(item)) return;
    const rs = this.readSets.get(item)!;
    this.readSets.delete(item);
    this.everyCommit.delete(item);
    if (rs === null) return;
    for (const read of rs.search ?? []) removeFrom(this.bySearchIndex, read.indexId, item);
    for (const id of rs.ids) removeFrom(this.byId, id, item);
    for (const t of rs.missingTables) removeFrom(this.byTable, t, item);
    for (const r of rs.ranges) {
      const [key] = rangeKey(r);
      const node = this.ranges.get(key);
      if (!node) continue;
      node.items.delete(item);
      if (node.items.size > 0) continue;
      this.ranges.delete(key);
      const tree = this.trees.get(node.indexId)!;
      tree.remove(node.interval, node.items);
      if (tree.isEmpty()) this.trees.delete(node.indexId);
    }
  }

  clear(): void {
    this.trees.clear();
    this.ranges.clear();
    this.byId.clear();
    this.byTable.clear();
    this.bySearchIndex.clear();
    this.everyCommit.clear();
    this.readSets.clear();
  }

  /** The items whose read set the commit touched (exactly: `readSetTouched` of each candidate). */
  touched(c: Pick<CommitWrites, "writes">): T[] {
    if (this.readSets.size === 0) return [];
    const candidates = new Set<T>(this.everyCommit);
    for (const w of c.writes) {
      for (const item of this.byId.get(w.id) ?? []) candidates.add(item);
      for (const item of this.byTable.get(w.tableName) ?? []) candidates.add(item);
      for (const sw of w.search ?? []) for (const item of this.bySearchIndex.get(sw.indexId) ?? []) candidates.add(item);
      for (const k of w.keys) {
        const tree = this.trees.get(k.indexId);
        if (!tree) continue;
        const key = k.key.toString("latin1");
        for (const items of tree.search(new Interval(key, key))) for (const item of items) candidates.add(item);
      }
    }
    const out: T[] = [];
    for (const item of candidates) {
      const rs = this.readSets.get(item);
      if (rs === null || rs === undefined || readSetTouched(rs, c)) out.push(item);
    }
    return out;
  }
}

/** Above every latin1 string: an unbounded range's upper end. */
const UNBOUNDED = "\uffff";

/** A range's identity and its bounds as latin1; the lower bound's length keeps (a, bc) and (ab, c) apart. */
function rangeKey(r: ReadRange): [key: string, lower: string, upper: string] {
  const lower = r.lower.toString("latin1");
  const upper = r.upper === null ? UNBOUNDED : r.upper.toString("latin1");
  return [`${r.indexId}:${lower.length}:${lower}${upper}`, lower, upper];
}

function addTo<K, T>(m: Map<K, Set<T>>, k: K, item: T) {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(item);
}

function removeFrom<K, T>(m: Map<K, Set<T>>, k: K, item: T) {
  const s = m.get(k);
  if (!s) return;
  s.delete(item);
  if (s.size === 0) m.delete(k);
}
