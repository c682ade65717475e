// Over 500 lines: the one SQLite implementation of storage/interface.ts (documents, indexes, search
// postings, request records, index backfill); each part is a handful of prepared statements.
import Database from "better-sqlite3";
import { Checkpointer } from "./checkpointer.js";
import { REQUEST_RETENTION } from "./interface.js";
import type {
  CommitBatch,
  DocumentStore,
  IndexDefinition,
  IndexRow,
  Postings,
  ReadSnapshot,
  SearchEntry,
  SearchIndexDefinition,
  SearchReader,
  SearchWrite,
  StoredDocument,
  RequestRecord,
} from "./interface.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS indexes (
  id INTEGER PRIMARY KEY, table_number INTEGER NOT NULL, name TEXT NOT NULL, fields TEXT NOT NULL,
  UNIQUE (table_number, name));
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, table_number INTEGER NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_by_table ON documents (table_number);
CREATE TABLE IF NOT EXISTS index_entries (
  index_id INTEGER NOT NULL, key BLOB NOT NULL, doc_id TEXT NOT NULL,
  PRIMARY KEY (index_id, key)) WITHOUT ROWID;
-- Text search (runtime/search.ts): an inverted index per search index, kept in the same commits.
-- search_docs gives each indexed document a small integer seq; postings carry the term frequency
-- and the document's quantized length so scoring never joins; search_terms holds document
-- frequencies (and serves prefix expansion); search_indexes holds the BM25 totals.
CREATE TABLE IF NOT EXISTS search_indexes (
  id INTEGER PRIMARY KEY, table_number INTEGER NOT NULL, name TEXT NOT NULL, search_field TEXT NOT NULL,
  filter_fields TEXT NOT NULL, version INTEGER NOT NULL,
  num_docs INTEGER NOT NULL DEFAULT 0, num_tokens INTEGER NOT NULL DEFAULT 0,
  UNIQUE (table_number, name));
CREATE TABLE IF NOT EXISTS search_docs (
  seq INTEGER PRIMARY KEY, index_id INTEGER NOT NULL, doc_id TEXT NOT NULL, creation_time REAL NOT NULL,
  UNIQUE (index_id, doc_id));
CREATE TABLE IF NOT EXISTS search_terms (
  index_id INTEGER NOT NULL, term TEXT NOT NULL, df INTEGER NOT NULL,
  PRIMARY KEY (index_id, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_postings (
  index_id INTEGER NOT NULL, term TEXT NOT NULL, seq INTEGER NOT NULL, tf INTEGER NOT NULL, norm INTEGER NOT NULL,
  PRIMARY KEY (index_id, term, seq)) WITHOUT ROWID;
-- Committed mutations per sync (session, request id), written in the commit they answer, so a
-- client's replay is answered even by a restarted process (interface.ts RequestRecord). seq orders
-- them for the count bound, created_ms for the age bound.
CREATE TABLE IF NOT EXISTS session_requests (
  seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, request_id TEXT NOT NULL, ts TEXT NOT NULL,
  value_json TEXT NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (session_id, request_id));
CREATE INDEX IF NOT EXISTS session_requests_by_created ON session_requests (created_ms);
`;

// ---- Text search: read side -------------------------------------------------------------------

/** Upper bound for "starts with": terms never contain U+10FFFF (not alphanumeric). */
const PREFIX_END = "\u{10FFFF}";

/** Search-index reads on one read connection (inside its read transaction). */
class SqliteSearchReader implements SearchReader {
  private readonly statsStmt: Database.Statement;
  private readonly dfStmt: Database.Statement;
  private readonly prefixStmt: Database.Statement;
  private readonly docsStmt: Database.Statement;
  private readonly seqStmt: Database.Statement;
  private readonly postingStmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.statsStmt = db.prepare("SELECT num_docs AS numDocs, num_tokens AS numTokens FROM search_indexes WHERE id = ?");
    this.dfStmt = db.prepare("SELECT df FROM search_terms WHERE index_id = ? AND term = ?").pluck();
    this.prefixStmt = db.prepare(
      "SELECT term, df FROM search_terms WHERE index_id = ? AND term >= ? AND term < ? ORDER BY term LIMIT ?",
    );
    this.docsStmt = db
      .prepare("SELECT seq, doc_id, creation_time FROM search_docs WHERE seq IN (SELECT value FROM json_each(?))")
      .raw();
    this.seqStmt = db.prepare("SELECT seq FROM search_docs WHERE index_id = ? AND doc_id = ?").pluck();
  }

  stats(indexId: number) {
    return (this.statsStmt.get(indexId) as { numDocs: number; numTokens: number } | undefined) ?? { numDocs: 0, numTokens: 0 };
  }

  docFrequency(indexId: number, term: string): number {
    return (this.dfStmt.get(indexId, term) as number | undefined) ?? 0;
  }

  termsWithPrefix(indexId: number, prefix: string, limit: number) {
    return this.prefixStmt.all(indexId, prefix, prefix + PREFIX_END, limit) as Array<{ term: string; df: number }>;
  }

  /**
   * Postings of one term that also carry every filter term. The scan is driven by the rarest of
   * the term and the filter terms; the others are probed by primary key inside SQLite.
   */
  postings(indexId: number, term: string, filterTerms: string[]): Postings {
    const empty = { seq: [], tf: [], norm: [] };
    const params: Record<string, unknown> = { idx: indexId, term };
    let driveByFilter = false;
    let filters = filterTerms;
    if (filterTerms.length > 0) {
      const dfs = filterTerms.map((f) => this.docFrequency(indexId, f));
      if (dfs.some((d) => d === 0)) return empty;
      let best = 0;
      for (let i = 1; i < dfs.length; i++) if (dfs[i] < dfs[best]) best = i;
      if (dfs[best] < this.docFrequency(indexId, term)) {
        driveByFilter = true;
        filters = [filterTerms[best], ...filterTerms.filter((_, i) => i !== best)];
      }
      filters.forEach((f, i) => (params[`f${i}`] = f));
    }
    const shape = `${driveByFilter ? "f" : "t"}${filters.length}`;
    let stmt = this.postingStmts.get(shape);
    if (!stmt) {
      const exists = (i: number) =>
        ` AND EXISTS (SELECT 1 FROM search_postings f${i} WHERE f${i}.index_id = @idx AND f${i}.term = @f${i} AND f${i}.seq = p.seq)`;
      let sql: string;
      if (driveByFilter) {
        sql =
          "SELECT p.seq, p.tf, p.norm FROM search_postings f0 CROSS JOIN search_postings p " +
          "WHERE f0.index_id = @idx AND f0.term = @f0 AND p.index_id = @idx AND p.term = @term AND p.seq = f0.seq";
        for (let i = 1; i < filters.length; i++) sql += exists(i);
      } else {
        sql = "SELECT p.seq, p.tf, p.norm FROM search_postings p WHERE p.index_id = @idx AND p.term = @term";
        for (let i = 0; i < filters.length; i++) sql += exists(i);
      }
      // Three JSON arrays in one row: V8 parses them into small-integer arrays, several times
      // cheaper (and far less garbage) than one JavaScript array per posting.
      stmt = this.db
        .prepare(
          `SELECT json_group_array(seq), json_group_array(tf), json_group_array(norm) FROM (${sql} ORDER BY p.seq)`,
        )
        .raw();
      this.postingStmts.set(shape, stmt);
    }
    const [seq, tf, norm] = stmt.get(params) as [string, string, string];
    return { seq: JSON.parse(seq), tf: JSON.parse(tf), norm: JSON.parse(norm) };
  }

  docs(seqs: number[]): Array<[number, string, number]> {
    if (seqs.length === 0) return [];
    return this.docsStmt.all(JSON.stringify(seqs)) as Array<[number, string, number]>;
  }

  seqOf(indexId: number, docId: string): number | undefined {
    return this.seqStmt.get(indexId, docId) as number | undefined;
  }
}
// ---- end text search read side ----------------------------------------------------------------

export interface SqliteStoreOptions {
  /**
   * SQLite `synchronous` level. NORMAL (default) survives a process crash (SIGKILL) with every
   * acknowledged commit; FULL also survives power loss at the cost of an fsync per commit.
   */
  synchronous?: "NORMAL" | "FULL";
  /** How long mutation request records are kept (default REQUEST_RETENTION; tests shrink it). */
  requestRetention?: { maxAgeMs: number; maxCount: number };
}

/** Statements prepared once per connection: the read path is hot. */
class ReadConnection {
  readonly db: Database.Database;
  readonly getDoc: Database.Statement;
  readonly scanAsc: Database.Statement;
  readonly scanAscOpen: Database.Statement;
  readonly scanDesc: Database.Statement;
  readonly scanDescOpen: Database.Statement;
  readonly count: Database.Statement;
  private readonly begin: Database.Statement;
  private readonly pin: Database.Statement;
  private readonly end: Database.Statement;
  private searchReader: SqliteSearchReader | undefined; // text search, prepared on first use

  search(): SqliteSearchReader {
    return (this.searchReader ??= new SqliteSearchReader(this.db));
  }

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma("busy_timeout = 5000");
    const scan = (cond: string, order: string) =>
      this.db
        .prepare(
          `SELECT e.key AS key, e.doc_id AS id, d.json AS json FROM index_entries e
           JOIN documents d ON d.id = e.doc_id
           WHERE e.index_id = ? AND e.key >= ? ${cond} ORDER BY e.key ${order} LIMIT ?`,
        );
    this.getDoc = this.db.prepare("SELECT id, table_number AS tableNumber, json FROM documents WHERE id = ?");
    this.scanAsc = scan("AND e.key < ?", "ASC");
    this.scanAscOpen = scan("", "ASC");
    this.scanDesc = scan("AND e.key < ?", "DESC");
    this.scanDescOpen = scan("", "DESC");
    this.count = this.db.prepare("SELECT count(*) AS n FROM documents WHERE table_number = ?");
    this.begin = this.db.prepare("BEGIN");
    this.pin = this.db.prepare("SELECT value FROM meta WHERE key = 'ts'");
    this.end = this.db.prepare("COMMIT");
  }

  /** Starts a read transaction and forces SQLite to take its WAL snapshot now. */
  open(): void {
    this.begin.run();
    this.pin.get();
  }

  close(): void {
    this.end.run();
  }
}

/** A snapshot shared by every reader that starts between two commits. */
class SharedSnapshot implements ReadSnapshot {
  refs = 1;
  constructor(
    private readonly store: SqliteStore,
    readonly conn: ReadConnection,
    readonly version: number,
    readonly ts: bigint,
  ) {}

  getDocument(id: string): StoredDocument | null {
    return (this.conn.getDoc.get(id) as StoredDocument | undefined) ?? null;
  }

  scan(indexId: number, lower: Buffer, upper: Buffer | null, desc: boolean, limit: number): IndexRow[] {
    const c = this.conn;
    if (upper === null) {
      return (desc ? c.scanDescOpen : c.scanAscOpen).all(indexId, lower, limit) as IndexRow[];
    }
    return (desc ? c.scanDesc : c.scanAsc).all(indexId, lower, upper, limit) as IndexRow[];
  }

  countTable(tableNumber: number): number {
    return (this.conn.count.get(tableNumber) as { n: number }).n;
  }

  search(): SearchReader {
    return this.conn.search();
  }

  release(): void {
    if (--this.refs === 0) this.store.retire(this);
  }
}

/** Handle given to each caller, so a double release cannot free a snapshot someone else holds. */
class SnapshotHandle implements ReadSnapshot {
  private released = false;
  constructor(private readonly shared: SharedSnapshot) {}
  get ts() {
    return this.shared.ts;
  }
  getDocument(id: string) {
    return this.shared.getDocument(id);
  }
  scan(indexId: number, lower: Buffer, upper: Buffer | null, desc: boolean, limit: number) {
    return this.shared.scan(indexId, lower, upper, desc, limit);
  }
  countTable(tableNumber: number) {
    return this.shared.countTable(tableNumber);
  }
  search() {
    return this.shared.search();
  }
  release() {
    if (this.released) return;
    this.released = true;
    this.shared.release();
  }
}

/**
 * SQLite (WAL) adapter. One write connection applies commits; read snapshots are read
 * transactions on a small pool of read-only connections, which WAL keeps isolated from later
 * commits. Readers that start between the same two commits share one connection.
 */
export class SqliteStore implements DocumentStore {
  private readonly db: Database.Database;
  private readonly idle: ReadConnection[] = [];
  private current: SharedSnapshot | null = null;
  private version = 0;
  private lastTs: bigint;
  private commitsSinceCheckpoint = 0;
  private requestsSincePrune = 0;
  private readonly retention: { maxAgeMs: number; maxCount: number };
  private readonly stmts;
  /** Copies the WAL into the database file off this thread (checkpointer.ts). */
  readonly checkpointer: Checkpointer;
  private autoCheckpoint = false;

  constructor(
    private readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = new Database(file);
    this.retention = options.requestRetention ?? REQUEST_RETENTION;
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    // Checkpoints run on the checkpointer's thread, not inside this thread's commits.
    this.db.pragma("wal_autocheckpoint = 0");
    // The catch-up copies what the checkpointer's last pass left (a few frames); checkpointer.ts says why.
    this.checkpointer = new Checkpointer(file, () => this.stmts.checkpoint.get());
    this.db.exec(SCHEMA);
    this.stmts = {
      getMeta: this.db.prepare("SELECT value FROM meta WHERE key = ?"),
      setMeta: this.db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      putDoc: this.db.prepare(
        "INSERT INTO documents (id, table_number, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      ),
      delDoc: this.db.prepare("DELETE FROM documents WHERE id = ?"),
      putKey: this.db.prepare("INSERT INTO index_entries (index_id, key, doc_id) VALUES (?, ?, ?)"),
      delKey: this.db.prepare("DELETE FROM index_entries WHERE index_id = ? AND key = ?"),
      tableDocs: this.db.prepare("SELECT id, table_number AS tableNumber, json FROM documents WHERE table_number = ?"),
      // A plain INSERT: a second record for one request would mean it ran twice, so that commit fails.
      putRequest: this.db.prepare(
        "INSERT INTO session_requests (session_id, request_id, ts, value_json, created_ms) VALUES (?, ?, ?, ?, ?)",
      ),
      getRequest: this.db.prepare(
        "SELECT ts, value_json AS valueJson FROM session_requests WHERE session_id = ? AND request_id = ?",
      ),
      dataVersion: this.db.prepare("PRAGMA data_version").pluck(),
      checkpoint: this.db.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw(),
      pruneRequestsByAge: this.db.prepare("DELETE FROM session_requests WHERE created_ms < ?"),
      pruneRequestsByCount: this.db.prepare(
        "DELETE FROM session_requests WHERE seq <= (SELECT max(seq) FROM session_requests) - ?",
      ),
    };
    this.lastTs = BigInt(this.getMeta("ts") ?? "0");
    this.pruneRequests();
  }

  /** Drops request records outside the retention window (on open, then every 1000 recorded requests). */
  private pruneRequests(): void {
    this.stmts.pruneRequestsByAge.run(Date.now() - this.retention.maxAgeMs);
    this.stmts.pruneRequestsByCount.run(this.retention.maxCount);
  }

  snapshot(): ReadSnapshot {
    const cur = this.current;
    if (cur && cur.version === this.version) {
      cur.refs++;
      return new SnapshotHandle(cur);
    }
    const conn = this.idle.pop() ?? new ReadConnection(this.file);
    conn.open();
    const shared = new SharedSnapshot(this, conn, this.version, this.lastTs);
    this.current = shared;
    return new SnapshotHandle(shared);
  }

  /** @internal Called when the last holder of a shared snapshot releases it. */
  retire(snap: SharedSnapshot): void {
    snap.conn.close();
    if (this.current === snap) this.current = null;
    // A few idle connections cover the usual overlap of snapshots; more would only hold memory.
    if (this.idle.length < 8) this.idle.push(snap.conn);
    else snap.conn.db.close();
  }

  commit(batch: CommitBatch): void {
    const s = this.stmts;
    this.db.transaction(() => {
      for (const w of batch.writes) {
        for (const k of w.removeKeys) s.delKey.run(k.indexId, k.key);
        for (const k of w.addKeys) s.putKey.run(k.indexId, k.key, w.id);
        if (w.json === null) s.delDoc.run(w.id);
        else s.putDoc.run(w.id, w.tableNumber, w.json);
        if (w.search) for (const sw of w.search) this.applySearchWrite(w.id, sw);
      }
      for (const [k, v] of Object.entries(batch.meta ?? {})) s.setMeta.run(k, v);
      s.setMeta.run("ts", batch.ts.toString());
      const r = batch.request;
      if (r) {
        s.putRequest.run(r.sessionId, r.requestId, r.ts.toString(), r.valueJson, Date.now());
        if (++this.requestsSincePrune >= 1000) {
          this.requestsSincePrune = 0;
          this.pruneRequests();
        }
      }
    })();
    this.lastTs = batch.ts;
    this.version++;
    this.wrote(batch.writes.length);
    // Safety net of SQLite's own checkpoints (once the checkpointer's thread is gone; the
    // checkpointer restarts the WAL itself): long-lived readers can stop automatic checkpoints
    // from resetting the WAL. When no snapshot is live and the WAL has grown, truncate it.
    if (this.autoCheckpoint && ++this.commitsSinceCheckpoint >= 2000 && this.current === null) {
      this.commitsSinceCheckpoint = 0;
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    }
  }

  /** Hands checkpoints to the checkpointer, or back to SQLite's own once that thread is gone. */
  private wrote(writes: number): void {
    if (this.checkpointer.available) return this.checkpointer.committed(writes);
    if (this.autoCheckpoint) return;
    this.autoCheckpoint = true;
    this.db.pragma("wal_autocheckpoint = 1000");
  }

  externalVersion(): number {
    // Prepared once: asked on every function run (backend.ts's environment), where pragma()'s
    // prepare-per-call was ~3% of the main thread on uncached point queries.
    return this.stmts.dataVersion.get() as number;
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  getRequest(sessionId: string, requestId: string): RequestRecord | undefined {
    const row = this.stmts.getRequest.get(sessionId, requestId) as { ts: string; valueJson: string } | undefined;
    return row && { sessionId, requestId, ts: BigInt(row.ts), valueJson: row.valueJson };
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
    this.version++;
  }

  listTables(): Map<string, number> {
    const rows = this.db.prepare("SELECT name, number FROM tables").all() as Array<{ name: string; number: number }>;
    return new Map(rows.map((r) => [r.name, r.number]));
  }

  createTable(name: string, tableNumber: number): void {
    this.db.prepare("INSERT INTO tables (name, number) VALUES (?, ?)").run(name, tableNumber);
  }

  listIndexes(): IndexDefinition[] {
    const rows = this.db
      .prepare("SELECT id, table_number AS tableNumber, name, fields FROM indexes ORDER BY id")
      .all() as Array<{ id: number; tableNumber: number; name: string; fields: string }>;
    return rows.map((r) => ({ indexId: r.id, tableNumber: r.tableNumber, name: r.name, fields: JSON.parse(r.fields) }));
  }

  createIndex(
    tableNumber: number,
    name: string,
    fields: string[],
    keyOf?: (json: string) => Buffer,
  ): IndexDefinition {
    return this.db.transaction(() => {
      const info = this.db
        .prepare("INSERT INTO indexes (table_number, name, fields) VALUES (?, ?, ?)")
        .run(tableNumber, name, JSON.stringify(fields));
      const indexId = Number(info.lastInsertRowid);
      // .all(), not .iterate(): better-sqlite3 forbids writes while an iterator is open.
      const docs = keyOf ? (this.stmts.tableDocs.all(tableNumber) as StoredDocument[]) : [];
      for (const doc of docs) this.stmts.putKey.run(indexId, keyOf!(doc.json), doc.id);
      this.wrote(docs.length);
      this.version++;
      return { indexId, tableNumber, name, fields };
    })();
  }

  dropIndex(indexId: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM index_entries WHERE index_id = ?").run(indexId);
      this.db.prepare("DELETE FROM indexes WHERE id = ?").run(indexId);
    })();
    this.version++;
  }

  renameIndex(indexId: number, name: string): void {
    this.db.prepare("UPDATE indexes SET name = ? WHERE id = ?").run(name, indexId);
    this.version++;
  }

  backfillIndexChunk(
    indexId: number,
    sourceIndexId: number,
    after: Buffer | null,
    limit: number,
    keyOf: (json: string) => Buffer,
  ): Buffer | null {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          "SELECT e.key AS key, d.id AS id, d.json AS json FROM index_entries e JOIN documents d ON d.id = e.doc_id " +
            "WHERE e.index_id = ? AND e.key > ? ORDER BY e.key LIMIT ?",
        )
        .all(sourceIndexId, after ?? Buffer.alloc(0), limit) as IndexRow[];
      const put = this.db.prepare("INSERT OR REPLACE INTO index_entries (index_id, key, doc_id) VALUES (?, ?, ?)");
      for (const r of rows) put.run(indexId, keyOf(r.json), r.id);
      this.version++;
      this.wrote(rows.length);
      return rows.length > 0 ? rows[rows.length - 1].key : null;
    })();
  }

  iterateTable(tableNumber: number): IterableIterator<StoredDocument> {
    return (this.stmts.tableDocs.all(tableNumber) as StoredDocument[])[Symbol.iterator]();
  }

  // ---- Text search: write side ----------------------------------------------------------------

  private searchStmtsCache: ReturnType<SqliteStore["prepareSearchStmts"]> | undefined;

  private prepareSearchStmts() {
    const db = this.db;
    return {
      seqOf: db.prepare("SELECT seq FROM search_docs WHERE index_id = ? AND doc_id = ?").pluck(),
      insertDoc: db.prepare("INSERT INTO search_docs (index_id, doc_id, creation_time) VALUES (?, ?, ?)"),
      deleteDoc: db.prepare("DELETE FROM search_docs WHERE seq = ?"),
      putPosting: db.prepare(
        "INSERT INTO search_postings (index_id, term, seq, tf, norm) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (index_id, term, seq) DO UPDATE SET tf = excluded.tf, norm = excluded.norm",
      ),
      delPosting: db.prepare("DELETE FROM search_postings WHERE index_id = ? AND term = ? AND seq = ?"),
      addDf: db.prepare(
        "INSERT INTO search_terms (index_id, term, df) VALUES (?, ?, ?) " +
          "ON CONFLICT (index_id, term) DO UPDATE SET df = df + excluded.df",
      ),
      dropZeroDf: db.prepare("DELETE FROM search_terms WHERE index_id = ? AND term = ? AND df <= 0"),
      addStats: db.prepare("UPDATE search_indexes SET num_docs = num_docs + ?, num_tokens = num_tokens + ? WHERE id = ?"),
    };
  }

  private get searchStmts() {
    return (this.searchStmtsCache ??= this.prepareSearchStmts());
  }

  /** Applies one document's change to a search index (inside the commit's transaction). */
  private applySearchWrite(docId: string, sw: SearchWrite): void {
    const s = this.searchStmts;
    const idx = sw.indexId;
    let seq = s.seqOf.get(idx, docId) as number | undefined;
    const old = seq !== undefined ? sw.old : null;
    const next = sw.new;
    if (old) {
      for (const [term, tf] of old.terms) {
        const tfNext = next?.terms.get(term);
        if (tfNext === undefined) {
          s.delPosting.run(idx, term, seq);
          s.addDf.run(idx, term, -1);
          s.dropZeroDf.run(idx, term);
        } else if (tfNext !== tf || next!.norm !== old.norm) {
          s.putPosting.run(idx, term, seq, tfNext, next!.norm);
        }
      }
    }
    if (next) {
      if (seq === undefined) seq = Number(s.insertDoc.run(idx, docId, next.creationTime).lastInsertRowid);
      for (const [term, tf] of next.terms) {
        if (old?.terms.has(term)) continue;
        s.putPosting.run(idx, term, seq, tf, next.norm);
        s.addDf.run(idx, term, 1);
      }
    } else if (seq !== undefined) {
      s.deleteDoc.run(seq);
    }
    const docs = (next ? 1 : 0) - (old ? 1 : 0);
    const tokens = (next?.length ?? 0) - (old?.length ?? 0);
    if (docs !== 0 || tokens !== 0) s.addStats.run(docs, tokens, idx);
  }

  listSearchIndexes(): SearchIndexDefinition[] {
    const rows = this.db
      .prepare(
        "SELECT id, table_number AS tableNumber, name, search_field AS searchField, filter_fields AS filterFields, version " +
          "FROM search_indexes ORDER BY id",
      )
      .all() as Array<Omit<SearchIndexDefinition, "indexId" | "filterFields"> & { id: number; filterFields: string }>;
    return rows.map((r) => ({
      indexId: r.id,
      tableNumber: r.tableNumber,
      name: r.name,
      searchField: r.searchField,
      filterFields: JSON.parse(r.filterFields),
      version: r.version,
    }));
  }

  createSearchIndex(
    def: Omit<SearchIndexDefinition, "indexId">,
    entryOf: (json: string) => SearchEntry,
  ): SearchIndexDefinition {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          "INSERT INTO search_indexes (table_number, name, search_field, filter_fields, version) VALUES (?, ?, ?, ?, ?)",
        )
        .run(def.tableNumber, def.name, def.searchField, JSON.stringify(def.filterFields), def.version);
      const indexId = Number(info.lastInsertRowid);
      const s = this.searchStmts;
      // Document frequencies are summed in memory and written once per term.
      const dfs = new Map<string, number>();
      let numDocs = 0;
      let numTokens = 0;
      for (const doc of this.stmts.tableDocs.all(def.tableNumber) as StoredDocument[]) {
        const entry = entryOf(doc.json);
        const seq = Number(s.insertDoc.run(indexId, doc.id, entry.creationTime).lastInsertRowid);
        for (const [term, tf] of entry.terms) {
          s.putPosting.run(indexId, term, seq, tf, entry.norm);
          dfs.set(term, (dfs.get(term) ?? 0) + 1);
        }
        numDocs++;
        numTokens += entry.length;
      }
      for (const [term, df] of dfs) s.addDf.run(indexId, term, df);
      s.addStats.run(numDocs, numTokens, indexId);
      this.version++;
      this.wrote(numDocs);
      return { ...def, indexId };
    })();
  }

  dropSearchIndex(indexId: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM search_postings WHERE index_id = ?").run(indexId);
      this.db.prepare("DELETE FROM search_terms WHERE index_id = ?").run(indexId);
      this.db.prepare("DELETE FROM search_docs WHERE index_id = ?").run(indexId);
      this.db.prepare("DELETE FROM search_indexes WHERE id = ?").run(indexId);
    })();
    this.version++;
  }
  // ---- end text search write side -------------------------------------------------------------

  close(): void {
    this.checkpointer.close();
    for (const c of this.idle) c.db.close();
    this.idle.length = 0;
    if (this.current) {
      try {
        this.current.conn.close();
      } catch {
        // A snapshot still held at shutdown has no one left to read it.
      }
      this.current.conn.db.close();
      this.current = null;
    }
    this.db.close();
  }
}
