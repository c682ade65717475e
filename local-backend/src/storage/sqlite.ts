import Database from "better-sqlite3";
import type {
  CommitBatch,
  DocumentStore,
  IndexDefinition,
  IndexRow,
  ReadSnapshot,
  StoredDocument,
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
`;

export interface SqliteStoreOptions {
  /**
   * SQLite `synchronous` level. NORMAL (default) survives a process crash (SIGKILL) with every
   * acknowledged commit; FULL also survives power loss at the cost of an fsync per commit.
   */
  synchronous?: "NORMAL" | "FULL";
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
  private readonly stmts;

  constructor(
    private readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
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
    };
    this.lastTs = BigInt(this.getMeta("ts") ?? "0");
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
      }
      for (const [k, v] of Object.entries(batch.meta ?? {})) s.setMeta.run(k, v);
      s.setMeta.run("ts", batch.ts.toString());
    })();
    this.lastTs = batch.ts;
    this.version++;
    // Safety net: long-lived readers can stop automatic checkpoints from resetting the WAL. When
    // no snapshot is live and the WAL has grown, truncate it.
    if (++this.commitsSinceCheckpoint >= 2000 && this.current === null) {
      this.commitsSinceCheckpoint = 0;
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    }
  }

  externalVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
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
    keyOf: (json: string) => Buffer,
  ): IndexDefinition {
    return this.db.transaction(() => {
      const info = this.db
        .prepare("INSERT INTO indexes (table_number, name, fields) VALUES (?, ?, ?)")
        .run(tableNumber, name, JSON.stringify(fields));
      const indexId = Number(info.lastInsertRowid);
      // .all(), not .iterate(): better-sqlite3 forbids writes while an iterator is open.
      for (const doc of this.stmts.tableDocs.all(tableNumber) as StoredDocument[]) {
        this.stmts.putKey.run(indexId, keyOf(doc.json), doc.id);
      }
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

  iterateTable(tableNumber: number): IterableIterator<StoredDocument> {
    return (this.stmts.tableDocs.all(tableNumber) as StoredDocument[])[Symbol.iterator]();
  }

  close(): void {
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
