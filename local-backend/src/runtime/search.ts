// Over 400 lines: text search queries: filters, BM25 ranking and search cursors share the same statistics.
import { jsonToConvex, type Value } from "convex/values";
import type { IndexDefinition, SearchEntry, SearchIndexDefinition } from "../storage/interface.js";
import { encodeSortKey } from "../values/sortKey.js";
import { FIELD_NORMS, filterTerm, searchEntry, tokenize } from "./searchIndex.js";
import { DocVersion, UserError, type Transaction } from "./transaction.js";

// The index side (tokenizer, fieldnorms, index entries) lives in searchIndex.ts, below the catalog
// and transactions (which import it directly); re-exported so the rest imports text search from here.
export { fieldnormId, filterTerm, SEARCH_INDEX_VERSION, searchEntry, searchWritesFor, tokenize } from "./searchIndex.js";

/**
 * Text search (`withSearchIndex`), modelled on Convex's searchlight (crates/search, facts §3.8):
 *
 * - Tokenizer: Tantivy's SimpleTokenizer → RemoveLongFilter(32) → LowerCaser. A token is a
 *   maximal run of alphanumeric characters (Unicode Alphabetic or Numeric); tokens of 32 or more
 *   UTF-8 bytes are dropped; lowercasing is per character (no final-sigma rule).
 * - Query: at most 16 tokens; every token matches exactly and the last one also as a prefix.
 *   Matched terms are capped at 64 distinct terms (filter terms included), exact terms first,
 *   then prefix expansions in byte order. Prefix-only matches get half the BM25 weight.
 *   Documents match if they contain at least one term (OR) and every `.eq` filter value (AND).
 * - Score: Tantivy BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))) with the
 *   document length quantized to Tantivy's 256 fieldnorm buckets, in f32 arithmetic.
 * - Order: score descending, then `_creationTime` descending (newest first). At most 1024
 *   candidates are taken; reading past the 1024th throws, as Convex does.
 * - Pagination: a result's position is the key `(-score, -_creationTime, _id)`; cursors are
 *   positions in that order, so the next page is "every candidate after the cursor key" of a new
 *   search (as Convex's SearchQuery filters candidates by its cursor interval). Unlike Convex, a
 *   cursor also carries the statistics its first page ranked with (`SearchStats`: document count,
 *   token count, and each matched term's document frequency and boost), and later pages rank
 *   with those: every write moves BM25 scores, so with fresh statistics results just after the
 *   cursor could move before it (skipped) or results before it after it (repeated). With frozen
 *   statistics an unchanged document keeps its key, so a page walk under writes is exact, and
 *   reactive pages (pinned by their end cursors) keep partitioning the results. A term that
 *   appears only after the first page is scored as having had no documents then.
 *
 * The inverted index lives in the store (see SearchReader in storage/interface.ts) and is updated
 * in the same atomic commit as the documents (`searchWritesFor`, called from Transaction.writes).
 * A mutation's own pending writes are overlaid in memory. For reactivity a search records a read
 * of its whole table (the full `by_creation_time` range): any insert, update or delete in the table
 * re-runs subscribed search queries. That is a superset of what can change the result (BM25
 * statistics shift with every write anyway), and unchanged results are not re-sent.
 */

const MAX_QUERY_TERMS = 16;
const MAX_CANDIDATE_REVISIONS = 1024;
const MAX_FILTER_CONDITIONS = 8;
const MAX_UNIQUE_QUERY_TERMS = 64;
const PREFIX_BOOST = 0.5;
const K1 = 1.2;
const B = 0.75;
const EMPTY = Buffer.alloc(0);

// ---- Query compilation -------------------------------------------------------------------------

/** A validated search query. */
export interface SearchPlan {
  def: SearchIndexDefinition;
  tableNumber: number;
  /** Tokens of the search text (at most 16); the last one is also matched as a prefix. */
  tokens: string[];
  /** One term per `.eq` filter, in query order. */
  filterTerms: string[];
  /** The statistics to rank with, from the cursor of an earlier page (see the header). */
  frozen?: SearchStats;
}

/** The BM25 statistics one search ranked with; search cursors carry them. */
export interface SearchStats {
  numDocs: number;
  numTokens: number;
  /** Every text term the search matched: [term, document frequency, boost]. */
  terms: Array<[string, number, number]>;
}

/**
 * A search cursor's position: the result key, then the statistics (JSON). The cursor's MAC
 * covers the whole position, so only this deployment's own statistics are ever read back.
 */
export function encodeSearchPosition(key: Buffer, stats: SearchStats | undefined): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(key.length);
  return Buffer.concat([len, key, stats ? Buffer.from(JSON.stringify(stats)) : EMPTY]);
}

/** The inverse of `encodeSearchPosition`; null when the bytes are not one. */
export function decodeSearchPosition(buf: Buffer): { key: Buffer; stats?: SearchStats } | null {
  if (buf.length < 4) return null;
  const len = buf.readUInt32BE(0);
  if (4 + len > buf.length) return null;
  const key = buf.subarray(4, 4 + len);
  if (4 + len === buf.length) return { key };
  try {
    const stats = JSON.parse(buf.subarray(4 + len).toString()) as SearchStats;
    if (typeof stats?.numDocs !== "number" || typeof stats.numTokens !== "number" || !Array.isArray(stats.terms)) return null;
    return { key, stats };
  } catch {
    return null;
  }
}

interface SerializedSearchFilter {
  type: "Search" | "Eq";
  fieldPath: string;
  value: unknown;
}

function decodeFilterValue(raw: unknown): Value | undefined {
  if (raw !== null && typeof raw === "object" && "$undefined" in (raw as object)) return undefined;
  return jsonToConvex(raw as never);
}

/**
 * A search as query.ts's CompiledSource (typed by shape: query.ts imports this file): position keys
 * over the table's `by_creation_time` index, with the search plan.
 */
export interface CompiledSearch {
  index: IndexDefinition;
  lower: Buffer;
  upper: Buffer | null;
  desc: boolean;
  search: SearchPlan;
}

/**
 * Validates a `Search` query source with Convex's checks and messages (crates/search/src/lib.rs
 * `compile`, crates/common/src/query.rs `Search::is_empty`), in Convex's order.
 */
export function compileSearch(tx: Transaction, src: { indexName: string; filters: unknown[] }): CompiledSearch {
  const name = src.indexName;
  const dot = name.indexOf(".");
  const indexName = name.slice(dot + 1);
  const table = dot < 0 ? undefined : tx.catalog.tableNumber(name.slice(0, dot));
  const def = table === undefined ? undefined : tx.catalog.searchIndex(table, indexName);
  if (!def || table === undefined) {
    if (table !== undefined && tx.catalog.index(table, indexName)) throw new UserError(`Index ${name} is not a search index`);
    throw new UserError(`Index ${name} not found.`);
  }
  const filters = src.filters as SerializedSearchFilter[];
  const base = { index: tx.catalog.index(table, "by_creation_time")!, lower: EMPTY, upper: null, desc: false };
  const first = filters.find((f) => f.type === "Search");
  if (!first) {
    throw new UserError(
      `Search query against ${name} does not contain any search filters. You must include a search filter like ` +
        '`q.search("field", searchText)`.',
    );
  }
  // An empty search string returns nothing, before any other check.
  if (first.value === "") return { ...base, search: { def, tableNumber: table, tokens: [], filterTerms: [] } };

  let text: string | undefined;
  const filterTerms: string[] = [];
  for (const f of filters) {
    if (f.type === "Search") {
      if (f.fieldPath !== def.searchField) {
        throw new UserError(
          `Search query against ${name} contains a search filter against "${f.fieldPath}", which doesn't match the ` +
            `indexed \`searchField\` "${def.searchField}".`,
        );
      }
      if (text !== undefined) {
        throw new UserError(
          `Search query against ${name} contains multiple search filters against "${f.fieldPath}". Only one is allowed.`,
        );
      }
      text = String(f.value);
    } else if (f.type === "Eq") {
      if (!def.filterFields.includes(f.fieldPath)) {
        throw new UserError(
          `Search query against ${name} contains an equality filter on "${f.fieldPath}" but that field isn't indexed ` +
            "for filtering in `filterFields`.",
        );
      }
      filterTerms.push(filterTerm(f.fieldPath, decodeFilterValue(f.value)));
    } else {
      throw new UserError(`Search query against ${name} contains an unknown filter type ${JSON.stringify(f.type)}.`);
    }
  }
  if (filterTerms.length > MAX_FILTER_CONDITIONS) {
    throw new UserError(
      `Search query against ${name} has too many filter conditions. Max: ${MAX_FILTER_CONDITIONS} Actual: ${filterTerms.length}`,
    );
  }
  const tokens = tokenize(text!, MAX_QUERY_TERMS);
  return { ...base, search: { def, tableNumber: table, tokens, filterTerms } };
}

// ---- Execution ---------------------------------------------------------------------------------

interface Candidate {
  id: string;
  creationTime: number;
  score: number;
  /** The pending version, for documents this transaction wrote. */
  doc?: DocVersion;
  key?: Buffer;
}

/** The ranked results of one search, read one by one. */
export class SearchRows {
  private i = 0;
  constructor(
    private readonly tx: Transaction,
    private readonly rows: Candidate[],
    /** The statistics the ranking used (undefined when nothing could match). */
    readonly stats: SearchStats | undefined,
  ) {}

  next(): { key: Buffer; doc: DocVersion } | null {
    if (this.i === MAX_CANDIDATE_REVISIONS) {
      throw new UserError(
        `Search query scanned too many documents (fetched ${MAX_CANDIDATE_REVISIONS}). Consider using a smaller limit, ` +
          "paginating the query, or using a filter field to limit the number of documents pulled from the search index.",
      );
    }
    for (;;) {
      const c = this.rows[this.i];
      if (!c) return null;
      this.i++;
      let doc = c.doc;
      if (!doc) {
        const stored = this.tx.snapshot.getDocument(c.id);
        if (!stored) continue; // cannot happen: the index and the documents commit together
        doc = new DocVersion(stored.id, stored.tableNumber, stored.json);
      }
      return { key: (c.key ??= positionKey(c)), doc };
    }
  }
}

/** Byte-order comparison of two strings as UTF-8 (the order of terms in the store). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Runs a search at the transaction's snapshot plus its pending writes (unless `ignorePending`),
 * returning the ranked candidates whose position key lies in `[lower, upper)`.
 */
export function executeSearch(
  tx: Transaction,
  plan: SearchPlan,
  lower: Buffer,
  upper: Buffer | null,
  ignorePending: boolean,
): SearchRows {
  const { ranked, stats } = rankCandidates(tx, plan, ignorePending);
  if (lower.length === 0 && upper === null) return new SearchRows(tx, ranked, stats);
  const rows: Candidate[] = [];
  for (const c of ranked) {
    const key = (c.key = positionKey(c));
    if (key.compare(lower) >= 0 && (upper === null || key.compare(upper) < 0)) rows.push(c);
  }
  return new SearchRows(tx, rows, stats);
}

/** A result's position in the ranking (cursors): ascending keys are descending score, then newest first. */
function positionKey(c: Candidate): Buffer {
  return encodeSortKey([-c.score, -c.creationTime, c.id]);
}

function rankCandidates(
  tx: Transaction,
  plan: SearchPlan,
  ignorePending: boolean,
): { ranked: Candidate[]; stats: SearchStats | undefined } {
  const { def, frozen } = plan;
  const none = { ranked: [], stats: frozen };
  if (plan.tokens.length === 0) return none;
  const idx = def.indexId;
  const reader = tx.snapshot.search();

  // Pending writes: committed versions of written documents leave the index, new versions join it.
  const pending = ignorePending ? new Map<string, DocVersion | null>() : tx.pendingOfTable(plan.tableNumber);
  const excluded = new Set<number>();
  const added: Array<{ id: string; doc: DocVersion; entry: SearchEntry }> = [];
  const dfDelta = new Map<string, number>();
  let docsDelta = 0;
  let tokensDelta = 0;
  for (const [id, v] of pending) {
    const seq = reader.seqOf(idx, id);
    if (seq !== undefined) {
      excluded.add(seq);
      const stored = tx.snapshot.getDocument(id);
      if (stored) {
        const entry = searchEntry(def, jsonToConvex(JSON.parse(stored.json)) as Record<string, Value>);
        for (const t of entry.terms.keys()) dfDelta.set(t, (dfDelta.get(t) ?? 0) - 1);
        docsDelta--;
        tokensDelta -= entry.length;
      }
    }
    if (v) {
      const entry = searchEntry(def, v.value);
      for (const t of entry.terms.keys()) dfDelta.set(t, (dfDelta.get(t) ?? 0) + 1);
      docsDelta++;
      tokensDelta += entry.length;
      added.push({ id, doc: v, entry });
    }
  }
  const committedDf = new Map<string, number>();
  const df = (term: string) => {
    let n = committedDf.get(term);
    if (n === undefined) committedDf.set(term, (n = reader.docFrequency(idx, term)));
    return n + (dfDelta.get(term) ?? 0);
  };

  // Filter terms must all be present (AND). Convex needs as many distinct filter terms as filters,
  // so repeating the same `.eq` twice matches nothing there too.
  const filterTerms = [...new Set(plan.filterTerms)];
  if (filterTerms.length < plan.filterTerms.length) return none;
  for (const f of filterTerms) if (df(f) <= 0) return none;

  // Text terms (OR): exact matches of every token first, then prefix expansions of the last one.
  // A later page keeps its first page's terms and adds only terms that appeared since.
  const boosts = new Map<string, number>();
  const frozenDf = new Map<string, number>();
  for (const [t, d, b] of frozen?.terms ?? []) {
    boosts.set(t, b);
    frozenDf.set(t, d);
  }
  for (const t of plan.tokens) if (!boosts.has(t) && df(t) > 0) boosts.set(t, 1);
  let room = MAX_UNIQUE_QUERY_TERMS - boosts.size - filterTerms.length;
  const last = plan.tokens[plan.tokens.length - 1];
  if (room > 0) {
    let hidden = 0; // committed terms that pending deletes may have emptied
    for (const [t, d] of dfDelta) if (d < 0 && t.startsWith(last)) hidden++;
    const expansions = new Set<string>();
    // Exact query terms that share the prefix are skipped below without using up room.
    const known = plan.tokens.length + hidden + frozenDf.size;
    for (const r of reader.termsWithPrefix(idx, last, room + known)) {
      committedDf.set(r.term, r.df);
      expansions.add(r.term);
    }
    for (const [t, d] of dfDelta) if (d > 0 && t.startsWith(last)) expansions.add(t);
    for (const t of [...expansions].sort(compareUtf8)) {
      if (room <= 0) break;
      if (boosts.has(t) || df(t) <= 0) continue;
      boosts.set(t, PREFIX_BOOST);
      room--;
    }
  }
  if (boosts.size === 0) return none;

  // BM25 weights (Tantivy's Bm25Weight, boosted), and the length normalization per fieldnorm bucket.
  let numDocs: number;
  let numTokens: number;
  if (frozen) {
    ({ numDocs, numTokens } = frozen);
  } else {
    const st = reader.stats(idx);
    numDocs = st.numDocs + docsDelta;
    numTokens = st.numTokens + tokensDelta;
  }
  const n = numDocs > 0 ? numDocs : 1;
  const avgLength = Math.fround(numTokens / n);
  const lengthNorm = new Float64Array(256);
  for (let i = 0; i < 256; i++) lengthNorm[i] = Math.fround(K1 * Math.fround(1 - B + (B * FIELD_NORMS[i]) / avgLength));
  const terms = [...boosts.keys()].sort(compareUtf8);
  const rankDf = frozen ? (t: string) => frozenDf.get(t) ?? 0 : df;
  const stats: SearchStats = { numDocs, numTokens, terms: terms.map((t) => [t, rankDf(t), boosts.get(t)!]) };
  const weights = terms.map((t) => {
    const d = rankDf(t);
    const idf = Math.fround(Math.log1p(Math.fround((n - d + 0.5) / (d + 0.5))));
    return Math.fround(Math.fround(idf * (1 + K1)) * boosts.get(t)!);
  });
  const termScore = (w: number, tf: number, norm: number) => Math.fround(w * Math.fround(tf / (tf + lengthNorm[norm])));

  // Committed documents: one posting-list read per term (restricted to the filters inside SQLite),
  // each a run sorted by seq; runs are merged pairwise, summing the scores of shared documents.
  let runs: Run[] = [];
  for (let i = 0; i < terms.length; i++) {
    const p = reader.postings(idx, terms[i], filterTerms);
    const run: Run = { seq: new Float64Array(p.seq.length), score: new Float64Array(p.seq.length), n: 0 };
    for (let j = 0; j < p.seq.length; j++) {
      if (excluded.size > 0 && excluded.has(p.seq[j])) continue;
      run.seq[run.n] = p.seq[j];
      run.score[run.n++] = termScore(weights[i], p.tf[j], p.norm[j]);
    }
    runs.push(run);
  }
  while (runs.length > 1) {
    const next: Run[] = [];
    for (let i = 0; i < runs.length; i += 2) next.push(i + 1 < runs.length ? mergeRuns(runs[i], runs[i + 1]) : runs[i]);
    runs = next;
  }
  const { seq: seqs, score: scores, n: count } = runs[0];

  // Pending documents, scored the same way in memory.
  let extra: Candidate[] = [];
  for (const a of added) {
    if (!filterTerms.every((f) => a.entry.terms.has(f))) continue;
    let any = false;
    // Summed in the same pairwise tree as the merged runs, so f32 rounding agrees after commit.
    let parts = terms.map((term, i) => {
      const tf = a.entry.terms.get(term);
      if (tf === undefined) return 0;
      any = true;
      return termScore(weights[i], tf, a.entry.norm);
    });
    if (!any) continue;
    while (parts.length > 1) {
      const next: number[] = [];
      for (let i = 0; i < parts.length; i += 2) next.push(i + 1 < parts.length ? Math.fround(parts[i] + parts[i + 1]) : parts[i]);
      parts = next;
    }
    extra.push({ id: a.id, creationTime: a.entry.creationTime, score: parts[0], doc: a.doc });
  }

  // The best 1024: everything scoring at least the 1024th best score (ties included, so the
  // creation-time tie-break below is exact), then the exact order.
  let threshold = -Infinity;
  if (count + extra.length > MAX_CANDIDATE_REVISIONS) {
    const all = new Float64Array(count + extra.length);
    all.set(scores.subarray(0, count));
    for (let i = 0; i < extra.length; i++) all[count + i] = extra[i].score;
    threshold = kthLargest(all, MAX_CANDIDATE_REVISIONS);
    extra = extra.filter((c) => c.score >= threshold);
  }
  const kept: number[] = [];
  const scoreOf = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (scores[i] >= threshold) {
      kept.push(seqs[i]);
      scoreOf.set(seqs[i], scores[i]);
    }
  }
  const out: Candidate[] = extra;
  for (const [seq, id, creationTime] of reader.docs(kept)) out.push({ id, creationTime, score: scoreOf.get(seq)!, doc: undefined });
  out.sort((a, b) => b.score - a.score || b.creationTime - a.creationTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (out.length > MAX_CANDIDATE_REVISIONS) out.length = MAX_CANDIDATE_REVISIONS;
  return { ranked: out, stats };
}

/** Scored documents sorted by seq. */
interface Run {
  seq: Float64Array;
  score: Float64Array;
  n: number;
}

function mergeRuns(a: Run, b: Run): Run {
  const seq = new Float64Array(a.n + b.n);
  const score = new Float64Array(a.n + b.n);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.n && j < b.n) {
    const x = a.seq[i];
    const y = b.seq[j];
    if (x < y) {
      seq[k] = x;
      score[k++] = a.score[i++];
    } else if (y < x) {
      seq[k] = y;
      score[k++] = b.score[j++];
    } else {
      seq[k] = x;
      score[k++] = Math.fround(a.score[i++] + b.score[j++]);
    }
  }
  for (; i < a.n; i++, k++) {
    seq[k] = a.seq[i];
    score[k] = a.score[i];
  }
  for (; j < b.n; j++, k++) {
    seq[k] = b.seq[j];
    score[k] = b.score[j];
  }
  return { seq, score, n: k };
}

/** The k-th largest value of `a` (1-based; reorders `a`): quickselect, linear on average. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}
