/**
 * The storage contract of the local backend. The runtime (transactions, queries, the function
 * runner) only ever talks to storage through these interfaces, so an adapter (SQLite today,
 * memory or another engine later) can be swapped without touching query semantics.
 *
 * Invariants every adapter keeps:
 * - `commit` is atomic and durable against a process crash once it returns: either every write of
 *   the batch is visible to later snapshots or none is.
 * - A `ReadSnapshot` sees exactly the commits that finished before it was opened, for as long as it
 *   is held, whatever commits happen meanwhile (snapshot isolation).
 * - Index keys are opaque byte strings whose memcmp order is Convex's value order; adapters compare
 *   them bytewise and never interpret them.
 * - Documents are returned as the JSON text of `convexToJson(document)`, including `_id` and
 *   `_creationTime`; callers parse them.
 */

/** One row of an index range scan: the index key and the document it points at. */
export interface IndexRow {
  key: Buffer;
  id: string;
  json: string;
}

/** A stored document: its id, table number and JSON text. */
export interface StoredDocument {
  id: string;
  tableNumber: number;
  json: string;
}

/**
 * A persisted index definition. `fields` is the full key: the declared fields followed by the
 * implicit `_creationTime`, `_id` (or just `_id` for `by_id`).
 */
export interface IndexDefinition {
  indexId: number;
  tableNumber: number;
  name: string;
  fields: string[];
}

/** A document write inside a commit: `json: null` deletes the document. */
export interface DocumentWrite {
  id: string;
  tableNumber: number;
  json: string | null;
  /** Index entries the previous version had (to remove). */
  removeKeys: Array<{ indexId: number; key: Buffer }>;
  /** Index entries the new version has (to add). */
  addKeys: Array<{ indexId: number; key: Buffer }>;
  /**
   * Every index key of the old and the new version, changed or not. Not stored: the sync layer
   * uses it to find the subscriptions whose ranges contain this document.
   */
  touchedKeys: Array<{ indexId: number; key: Buffer }>;
  /** Text-search index changes of this document (see the text search section below). */
  search?: SearchWrite[];
}

/** A consistent, read-only view of the store at one commit. Release it when done. */
export interface ReadSnapshot {
  /** Commit timestamp (ns) this snapshot reflects. */
  readonly ts: bigint;
  /** @returns the document or null if it does not exist at this snapshot. */
  getDocument(id: string): StoredDocument | null;
  /**
   * Rows of one index with `lower <= key < upper`, in key order (descending when `desc`), at most
   * `limit` of them. `upper: null` means unbounded above.
   */
  scan(indexId: number, lower: Buffer, upper: Buffer | null, desc: boolean, limit: number): IndexRow[];
  /** Number of documents in a table at this snapshot. */
  countTable(tableNumber: number): number;
  /** The text-search indexes at this snapshot (runtime/search.ts). */
  search(): SearchReader;
  release(): void;
}

export interface CommitBatch {
  ts: bigint;
  writes: DocumentWrite[];
  /** Metadata rows to upsert in the same transaction (for example the last creation time). */
  meta?: Record<string, string>;
  /** The client request this commit answers, recorded in the same transaction (see RequestRecord). */
  request?: RequestRecord;
}

/**
 * A committed mutation's outcome, keyed by the sync client's (session id, request id). The client
 * resends unanswered (and answered but not yet applied) mutations after every reconnect, possibly
 * to a restarted process; the record, written atomically with the mutation's writes, lets the
 * backend answer the replay with the original result and commit ts instead of running it twice.
 */
export interface RequestRecord {
  sessionId: string;
  requestId: string;
  /** The commit's timestamp (ns). */
  ts: bigint;
  /** The mutation's return value as Convex JSON text. */
  valueJson: string;
}

/**
 * How long request records are kept: a replay is recognised while its record is younger than
 * `maxAgeMs` AND among the newest `maxCount` records; older replays run again. Clients replay
 * within seconds of reconnecting (backoff caps at 16 s), so a day covers long offline periods.
 */
export const REQUEST_RETENTION = { maxAgeMs: 24 * 60 * 60 * 1000, maxCount: 100_000 };

/** The document store. All methods are synchronous: SQLite calls are, and it keeps commits atomic. */
export interface DocumentStore {
  /** Opens (or shares) a snapshot of the latest commit. */
  snapshot(): ReadSnapshot;
  /** Applies a batch atomically. */
  commit(batch: CommitBatch): void;

  /** A number that changes whenever another process commits to the same store (CLI edits). */
  externalVersion(): number;

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;

  /** The record a commit stored for this (session id, request id), if it is still retained. */
  getRequest(sessionId: string, requestId: string): RequestRecord | undefined;

  /** Table name → table number, for every table ever created. */
  listTables(): Map<string, number>;
  /** Creates a table with the given number (numbers are chosen by the caller). */
  createTable(name: string, tableNumber: number): void;

  listIndexes(): IndexDefinition[];
  /**
   * Creates an index and backfills it from the table's current documents using `keyOf`
   * (which returns null when the index does not apply). Atomic. Without `keyOf` the index is
   * created empty, to be filled by `backfillIndexChunk` while commits keep maintaining it.
   */
  createIndex(
    tableNumber: number,
    name: string,
    fields: string[],
    keyOf?: (json: string) => Buffer,
  ): IndexDefinition;
  dropIndex(indexId: number): void;
  renameIndex(indexId: number, name: string): void;
  /**
   * One atomic step of a background backfill: puts the `keyOf` entry of at most `limit` documents
   * into `indexId`, taking them in the order of `sourceIndexId` (the table's `by_id`) after key
   * `after` (null: from the start), as they are at the latest commit. An entry already there (a
   * commit since the index was created wrote it) is overwritten with the same value. Returns the
   * last source key taken, or null when there were none left.
   */
  backfillIndexChunk(
    indexId: number,
    sourceIndexId: number,
    after: Buffer | null,
    limit: number,
    keyOf: (json: string) => Buffer,
  ): Buffer | null;

  /** Every document of a table, in no particular order (schema checks, backfills, exports). */
  iterateTable(tableNumber: number): IterableIterator<StoredDocument>;

  listSearchIndexes(): SearchIndexDefinition[];
  /**
   * Creates a text-search index and backfills it from the table's current documents using
   * `entryOf`. Atomic.
   */
  createSearchIndex(
    def: Omit<SearchIndexDefinition, "indexId">,
    entryOf: (json: string) => SearchEntry,
  ): SearchIndexDefinition;
  dropSearchIndex(indexId: number): void;

  close(): void;
}

// ---- Text search ------------------------------------------------------------------------------
// A search index is an inverted index kept by the adapter next to the documents and updated in
// the same atomic commit. The runtime (runtime/search.ts) tokenizes and scores; the adapter only
// stores opaque terms. Every document of the table is in each of its search indexes.

/** A persisted text-search index (`defineTable(...).searchIndex(name, {searchField, filterFields})`). */
export interface SearchIndexDefinition {
  indexId: number;
  tableNumber: number;
  name: string;
  searchField: string;
  filterFields: string[];
  /** Tokenizer/term format version; an index of another version is rebuilt on schema push. */
  version: number;
}

/** How one document version appears in a search index. */
export interface SearchEntry {
  /** Distinct terms (text terms and filter-value terms) with their frequencies. */
  terms: Map<string, number>;
  /** Number of text tokens of the search field (BM25 document length). */
  length: number;
  /** Quantized length (Tantivy fieldnorm id, 0..255) stored with each posting. */
  norm: number;
  creationTime: number;
}

/** A change of one document in one search index: `old`/`new` null for insert/delete. */
export interface SearchWrite {
  indexId: number;
  old: SearchEntry | null;
  new: SearchEntry | null;
}

/** A posting list (see SearchReader.postings). */
export interface Postings {
  seq: number[];
  tf: number[];
  norm: number[];
}

/** Read access to the search indexes of one snapshot. Documents are identified by `seq` numbers. */
export interface SearchReader {
  /** Documents in the index and the total number of text tokens over them. */
  stats(indexId: number): { numDocs: number; numTokens: number };
  /** Number of documents containing `term` (0 if none). */
  docFrequency(indexId: number, term: string): number;
  /** Up to `limit` terms that start with `prefix` (including `prefix` itself), in byte order. */
  termsWithPrefix(indexId: number, prefix: string, limit: number): Array<{ term: string; df: number }>;
  /**
   * Postings of `term`, restricted to documents that also have every `filterTerms` term, in seq
   * order, as parallel arrays: document seq, term frequency, quantized document length.
   */
  postings(indexId: number, term: string, filterTerms: string[]): Postings;
  /** Document id and creation time `[seq, id, creationTime]` for the given seqs. */
  docs(seqs: number[]): Array<[number, string, number]>;
  /** The seq of a document in an index, if it is indexed. */
  seqOf(indexId: number, docId: string): number | undefined;
}
