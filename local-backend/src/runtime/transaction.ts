// Over 400 lines: one Transaction holds the reads, the pending writes (layers and their merged view), the limits and the commit effect; they share its state.
import { CommitTsPlaceholder, convexToJson, jsonToConvex, type Value } from "convex/values";
import { pooledRandomBytes } from "../values/randomPool.js";
import type { DocumentWrite, IndexDefinition, IndexRow, ReadSnapshot } from "../storage/interface.js";
import { decodeDocumentId, encodeDocumentId, newInternalId } from "../values/ids.js";
import { checkDocumentForWrite, LIMITS } from "../values/limits.js";
import { validateValue } from "../values/validate.js";
import { Catalog, componentPathOf, indexKey, localTableName } from "./catalog.js";
import type { ReadRange, Reads, SearchRead } from "./readSetIndex.js";
import { searchWritesFor } from "./searchIndex.js";
import { UserError } from "./thrown.js";

/** One version of a document: its JSON text (as stored) and, once needed, its parsed value. */
export class DocVersion {
  private parsed: Record<string, Value> | undefined;
  constructor(
    readonly id: string,
    readonly tableNumber: number,
    readonly json: string,
    value?: Record<string, Value>,
  ) {
    this.parsed = value;
  }
  get value(): Record<string, Value> {
    return (this.parsed ??= jsonToConvex(JSON.parse(this.json)) as Record<string, Value>);
  }
  private keys: Map<number, Buffer> | undefined;
  /** This version's key in an index, encoded once: a version never changes, and scans over pending writes ask again and again. */
  keyIn(index: IndexDefinition): Buffer {
    let key = (this.keys ??= new Map()).get(index.indexId);
    if (!key) this.keys.set(index.indexId, (key = indexKey(index, this.value)));
    return key;
  }
}

/** A table's pending writes as the transaction sees them (the newest layer wins), kept as writes happen. */
interface PendingTable {
  docs: Map<string, DocVersion | null>;
  /** How many of them replace or delete a committed document (not inserted by this transaction): only those can hide a committed row from a scan. */
  hiders: number;
}


// Defined beside describeThrown, which the isolate workers share (thrown.ts).
export { UserError } from "./thrown.js";

const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const NO_PENDING: ReadonlyMap<string, DocVersion | null> = new Map();

/**
 * A query or mutation transaction: a snapshot plus a stack of pending-write layers (one per
 * nested `ctx.runMutation`), with read-your-own-writes over index scans and Convex's
 * per-transaction limits.
 */
export class Transaction {
  private layers: Array<Map<string, DocVersion | null>> = [new Map()];
  /** The layers merged per table, so a scan costs the table's pending writes, not a merge of every layer. */
  private merged = new Map<number, PendingTable>();
  /** Ids this transaction inserted: their writes hide no committed row, and the commit reads no earlier version of them. */
  private inserted = new Set<string>();
  /** The committed version of each document a patch, replace or delete read first: the commit's old index keys come from it. */
  private committedBefore = new Map<string, DocVersion>();
  readonly readRanges: ReadRange[] = [];
  readonly readIds = new Set<string>();
  /** Tables a query found missing: no index holds a range for them, yet an insert creates them. */
  readonly readMissingTables = new Set<string>();
  /** Text searches run (their terms and filters: readSetIndex.ts SearchRead). */
  readonly readSearches: SearchRead[] = [];
  docsScanned = 0;
  bytesRead = 0;
  indexRangesRead = 0;
  docsWritten = 0;
  bytesWritten = 0;
  scheduledCount = 0;
  private nextCreationTime: number;

  constructor(
    readonly catalog: Catalog,
    readonly snapshot: ReadSnapshot,
    readonly writable: boolean,
    /** The earliest `_creationTime` this transaction may hand out (ms). */
    creationTimeFloor: number,
  ) {
    this.nextCreationTime = creationTimeFloor;
  }

  /** The last `_creationTime` handed out, so the next transaction can start above it. */
  get lastCreationTime(): number {
    return this.nextCreationTime;
  }

  /** What this transaction read, as read sets hold it (queries are cached by it; mutations are checked by it, occ.ts). */
  reads(): Reads {
    return { ranges: this.readRanges, ids: this.readIds, missingTables: this.readMissingTables, search: this.readSearches };
  }

  pushLayer(): void {
    this.layers.push(new Map());
  }

  /** Ends a nested sub-transaction, keeping its writes (`keep`) or discarding them. */
  popLayer(keep: boolean): void {
    const top = this.layers.pop()!;
    if (keep) {
      const below = this.layers[this.layers.length - 1];
      for (const [id, v] of top) below.set(id, v);
      return; // the merged view already holds the top layer's writes
    }
    if (top.size === 0) return;
    this.merged.clear();
    for (const layer of this.layers) for (const [id, v] of layer) this.note(id, v);
  }

  /** Every pending write goes through here: the top layer and the merged view. */
  private write(id: string, tableNumber: number, v: DocVersion | null): void {
    this.layers[this.layers.length - 1].set(id, v);
    this.note(id, v, tableNumber);
  }

  private note(id: string, v: DocVersion | null, tableNumber = v?.tableNumber ?? decodeDocumentId(id)?.tableNumber): void {
    if (tableNumber === undefined) return;
    let table = this.merged.get(tableNumber);
    if (!table) this.merged.set(tableNumber, (table = { docs: new Map(), hiders: 0 }));
    if (!table.docs.has(id) && !this.inserted.has(id)) table.hiders++;
    table.docs.set(id, v);
  }

  /** A read-only view that sees only committed data (`runQuery(..., {useStaleSnapshot})`). */
  private pending(id: string): DocVersion | null | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const v = this.layers[i].get(id);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Pending writes (id → version, null = deleted) to one table, across layers. Also used by search.ts. */
  pendingOfTable(tableNumber: number): ReadonlyMap<string, DocVersion | null> {
    return this.merged.get(tableNumber)?.docs ?? NO_PENDING;
  }

  private countRead(bytes: number) {
    this.docsScanned++;
    this.bytesRead += bytes;
    if (this.docsScanned > LIMITS.docsScannedPerTransaction) {
      throw new UserError(
        `Too many documents read in a single function execution (limit: ${LIMITS.docsScannedPerTransaction}). ` +
          "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.",
      );
    }
    if (this.bytesRead > LIMITS.bytesReadPerTransaction) {
      throw new UserError(
        `Too many bytes read in a single function execution (limit: ${LIMITS.bytesReadPerTransaction} bytes). ` +
          "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.",
      );
    }
  }

  /** Counts one index range or point read against the 4096 limit. */
  countRange() {
    if (++this.indexRangesRead > LIMITS.indexRangesPerTransaction) {
      throw new UserError(
        `Too many reads in a single function execution (limit: ${LIMITS.indexRangesPerTransaction}). ` +
          "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.",
      );
    }
  }

  /** @returns the document as this transaction sees it, or null. */
  get(id: string, ignorePending = false): DocVersion | null {
    this.countRange();
    this.readIds.add(id);
    const p = ignorePending ? undefined : this.pending(id);
    if (p !== undefined) return p;
    const stored = storedVersion(this.snapshot, id);
    if (stored) this.countRead(stored.json.length);
    return stored;
  }

  /**
   * Up to `limit` rows of an index in `[lower, upper)` in key order, merging pending writes
   * over the snapshot. `ignorePending` reads committed data only. When `more` is true the range
   * may hold further rows after `edge` (the last key examined), even if `rows` came back short.
   */
  scan(
    index: IndexDefinition,
    lower: Buffer,
    upper: Buffer | null,
    desc: boolean,
    limit: number,
    ignorePending = false,
  ): { rows: Array<{ key: Buffer; doc: DocVersion }>; more: boolean; edge: Buffer | null } {
    const table = ignorePending ? undefined : this.merged.get(index.tableNumber);
    const pending = table?.docs ?? NO_PENDING;
    // Pending replacements and deletes can hide at most that many committed rows, so over-fetch by
    // that much (a document inserted here is not in the snapshot: it hides nothing).
    const want = limit + (table?.hiders ?? 0);
    const committed: IndexRow[] = this.snapshot.scan(index.indexId, lower, upper, desc, want);
    const more = committed.length === want;
    const edge = committed.length > 0 ? committed[committed.length - 1].key : null;
    let rows: Array<{ key: Buffer; doc: DocVersion }> = [];
    for (const r of committed) {
      if (!pending.has(r.id)) rows.push({ key: r.key, doc: new DocVersion(r.id, index.tableNumber, r.json) });
    }
    if (pending.size > 0) {
      for (const v of pending.values()) {
        if (!v) continue;
        const key = v.keyIn(index);
        if (key.compare(lower) >= 0 && (upper === null || key.compare(upper) < 0)) rows.push({ key, doc: v });
      }
      rows.sort((a, b) => (desc ? b.key.compare(a.key) : a.key.compare(b.key)));
      // Unfetched committed rows lie beyond the edge, so pending rows past it must wait.
      if (more && edge) rows = rows.filter((r) => (desc ? r.key.compare(edge) >= 0 : r.key.compare(edge) <= 0));
    }
    return { rows: rows.slice(0, limit), more: more || rows.length > limit, edge };
  }

  /** Records that a row was consumed by a query (limits) and that a range was read (reactivity). */
  noteScanned(doc: DocVersion) {
    this.countRead(doc.json.length);
  }

  private requireWritable() {
    if (!this.writable) throw new UserError("Writes are not allowed in queries.");
  }

  private countWrite(bytes: number) {
    this.docsWritten++;
    this.bytesWritten += bytes;
    if (this.docsWritten > LIMITS.docsWrittenPerTransaction) {
      throw new UserError(
        `Too many documents written in a single function execution (limit: ${LIMITS.docsWrittenPerTransaction}).`,
      );
    }
    if (this.bytesWritten > LIMITS.bytesWrittenPerTransaction) {
      throw new UserError(
        `Too many bytes written in a single function execution (limit: ${LIMITS.bytesWrittenPerTransaction} bytes).`,
      );
    }
  }

  private validate(tableName: string, tableNumber: number, doc: Record<string, Value>) {
    const { _id, _creationTime, ...fields } = doc;
    checkDocumentForWrite(tableName, fields);
    const type = this.catalog.documentType(tableNumber);
    if (!type) return;
    const error = validateValue(type, fields, {
      tableNumberFor: (n) => this.catalog.tableNumberForValidation(n, componentPathOf(tableName)),
    });
    if (error !== null) {
      throw new UserError(
        `Failed to insert or update a document in table "${tableName}" because it does not match the schema: ${error}`,
      );
    }
  }

  private put(tableName: string, tableNumber: number, id: string, doc: Record<string, Value>) {
    this.validate(tableName, tableNumber, doc);
    const json = JSON.stringify(convexToJson(doc));
    this.countWrite(json.length);
    this.write(id, tableNumber, new DocVersion(id, tableNumber, json, doc));
  }

  insert(tableName: string, value: Record<string, Value>): string {
    this.requireWritable();
    // A component's table is `<componentPath>/<name>` (catalog.ts); the rule is on the name.
    if (!IDENTIFIER.test(localTableName(tableName))) {
      throw new UserError(`Table name ${JSON.stringify(tableName)} is invalid: table names must be identifiers.`);
    }
    const tableNumber = this.catalog.ensureTable(tableName);
    for (const k of Object.keys(value)) {
      if (k.startsWith("_")) {
        throw new UserError(`Field '${k}' starts with '_', which is reserved for system fields.`);
      }
    }
    const id = encodeDocumentId(tableNumber, newInternalId(Date.now(), pooledRandomBytes));
    // Each insert in a transaction gets the next representable float, as Convex does.
    const creationTime = this.nextCreationTime;
    this.nextCreationTime = nextUp(creationTime);
    this.inserted.add(id);
    this.put(tableName, tableNumber, id, { ...value, _id: id, _creationTime: creationTime });
    return id;
  }

  /**
   * Inserts into a system table (`_scheduled_functions`, `_storage`). Trusted: only the runtime
   * calls this, never user code, which sees system tables as read-only.
   */
  insertSystem(tableName: string, value: Record<string, Value>): string {
    const tableNumber = this.catalog.tableNumber(tableName)!;
    const id = encodeDocumentId(tableNumber, newInternalId(Date.now(), pooledRandomBytes));
    const creationTime = this.nextCreationTime;
    this.nextCreationTime = nextUp(creationTime);
    const doc = { ...value, _id: id, _creationTime: creationTime };
    const json = JSON.stringify(convexToJson(doc));
    this.inserted.add(id);
    this.write(id, tableNumber, new DocVersion(id, tableNumber, json, doc));
    return id;
  }

  /**
   * Writes (or, with `doc` null, deletes) a document keeping its own `_id` and `_creationTime`:
   * snapshot import (runtime/snapshot.ts). Trusted. Schema-checked like any write, but not counted
   * against the per-transaction limits: an import is one atomic commit of any size, as in Convex.
   */
  importWrite(tableName: string, tableNumber: number, id: string, doc: Record<string, Value> | null): void {
    if (doc === null) {
      this.write(id, tableNumber, null);
      return;
    }
    const ct = typeof doc._creationTime === "number" ? doc._creationTime : this.nextCreationTime;
    doc = { ...doc, _creationTime: ct };
    this.validate(tableName, tableNumber, doc);
    // Later inserts must not get a creation time below an imported one.
    if (ct >= this.nextCreationTime) this.nextCreationTime = nextUp(ct);
    const json = JSON.stringify(convexToJson(doc));
    this.write(id, tableNumber, new DocVersion(id, tableNumber, json, doc));
  }

  /** Shallow-merges fields into a system document. Trusted, like insertSystem. */
  patchSystem(id: string, fields: Record<string, Value | undefined>): void {
    const doc = this.get(id);
    if (!doc) throw new UserError(`Update on nonexistent document ID ${id}`);
    const next: Record<string, Value> = { ...doc.value };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    const json = JSON.stringify(convexToJson(next));
    this.write(id, doc.tableNumber, new DocVersion(id, doc.tableNumber, json, next));
  }

  /** Deletes a system document (a `_storage` file's record). Trusted, like insertSystem. */
  deleteSystem(id: string): void {
    const doc = this.get(id);
    if (!doc) throw new UserError(`Delete on nonexistent document ID ${id}`);
    this.write(id, doc.tableNumber, null);
  }

  private existing(op: string, id: string, table: string | undefined): { doc: DocVersion; tableName: string } {
    this.requireWritable();
    const decoded = decodeDocumentId(id);
    const tableName = decoded ? this.catalog.tableName(decoded.tableNumber) : undefined;
    if (!decoded || tableName === undefined) throw new UserError(`Invalid argument \`id\` for \`db.${op}\`: ${id}`);
    if (table !== undefined && table !== tableName) {
      throw new UserError(`Invalid argument \`id\` for \`db.${op}\`: the document ID "${id}" is not in table "${table}".`);
    }
    if (tableName.startsWith("_")) throw new UserError("System tables (prefixed with `_`) are read-only.");
    const doc = this.get(id);
    if (!doc) {
      const verb = op === "delete" ? "Delete" : op === "replace" ? "Replace" : "Update";
      throw new UserError(`${verb} on nonexistent document ID ${id}`);
    }
    if (!this.merged.get(doc.tableNumber)?.docs.has(id)) this.committedBefore.set(id, doc); // read from the snapshot
    return { doc, tableName };
  }

  private checkSystemFields(op: string, doc: DocVersion, value: Record<string, unknown>) {
    if ("_id" in value && value._id !== doc.id) {
      throw new UserError(`Provided document ID "${String(value._id)}" does not match the document ID "${doc.id}" in db.${op}.`);
    }
    if ("_creationTime" in value && value._creationTime !== doc.value._creationTime) {
      throw new UserError(`Provided creation time "${String(value._creationTime)}" does not match the document's creation time in db.${op}.`);
    }
  }

  /** Shallow merge; `undefined` values (sent as `{"$undefined": null}`) remove the field. */
  patch(id: string, patchJson: Record<string, unknown>, table?: string): void {
    const { doc, tableName } = this.existing("patch", id, table);
    const next: Record<string, Value> = { ...doc.value };
    const decodedPatch: Record<string, unknown> = {};
    for (const [k, raw] of Object.entries(patchJson)) {
      const isUndefined = raw !== null && typeof raw === "object" && "$undefined" in (raw as object);
      decodedPatch[k] = isUndefined ? undefined : jsonToConvex(raw as never);
    }
    this.checkSystemFields("patch", doc, decodedPatch);
    for (const [k, v] of Object.entries(decodedPatch)) {
      if (k === "_id" || k === "_creationTime") continue;
      if (v === undefined) delete next[k];
      else next[k] = v as Value;
    }
    this.put(tableName, doc.tableNumber, id, next);
  }

  replace(id: string, value: Record<string, Value>, table?: string): void {
    const { doc, tableName } = this.existing("replace", id, table);
    this.checkSystemFields("replace", doc, value);
    const { _id, _creationTime, ...fields } = value;
    this.put(tableName, doc.tableNumber, id, { ...fields, _id: id, _creationTime: doc.value._creationTime });
  }

  delete(id: string, table?: string): void {
    const { doc } = this.existing("delete", id, table);
    this.countWrite(0);
    this.write(doc.id, doc.tableNumber, null);
  }

  get hasWrites(): boolean {
    return this.layers.some((l) => l.size > 0);
  }

  /**
   * The committed effect of this transaction: documents and the index entries that change.
   * `commitTs` replaces every `db.vars.commitTs` placeholder written (an int64, ns), as Convex
   * resolves them at commit; until then the transaction itself reads the placeholder back.
   */
  writes(commitTs: bigint): DocumentWrite[] {
    const out: DocumentWrite[] = [];
    const final = new Map<string, DocVersion | null>();
    for (const layer of this.layers) for (const [id, w] of layer) final.set(id, w);
    for (const [id, written] of final) {
      const v = written && resolveCommitTs(written, commitTs);
      // The version this write replaces: none for an insert, the one read before a patch, else stored.
      const before = this.inserted.has(id) ? null : (this.committedBefore.get(id) ?? storedVersion(this.snapshot, id));
      if (!before && !v) continue;
      const tableNumber = v?.tableNumber ?? before!.tableNumber;
      const beforeValue = before ? before.value : null;
      const removeKeys: DocumentWrite["removeKeys"] = [];
      const addKeys: DocumentWrite["addKeys"] = [];
      const touchedKeys: DocumentWrite["touchedKeys"] = [];
      for (const index of this.catalog.indexesOf(tableNumber)) {
        const oldKey = before ? before.keyIn(index) : null;
        const newKey = v ? v.keyIn(index) : null;
        if (oldKey) touchedKeys.push({ indexId: index.indexId, key: oldKey });
        if (newKey && !(oldKey && oldKey.equals(newKey))) touchedKeys.push({ indexId: index.indexId, key: newKey });
        if (oldKey && newKey && oldKey.equals(newKey)) continue;
        if (oldKey) removeKeys.push({ indexId: index.indexId, key: oldKey });
        if (newKey) addKeys.push({ indexId: index.indexId, key: newKey });
      }
      const search = searchWritesFor(this.catalog, tableNumber, beforeValue, v ? v.value : null); // text search
      out.push({ id, tableNumber, json: v ? v.json : null, removeKeys, addKeys, touchedKeys, search });
    }
    return out;
  }
}

function storedVersion(snapshot: ReadSnapshot, id: string): DocVersion | null {
  const stored = snapshot.getDocument(id);
  return stored ? new DocVersion(stored.id, stored.tableNumber, stored.json) : null;
}

/** The document with each commit-timestamp placeholder (at any depth) replaced by `ts`. */
function resolveCommitTs(doc: DocVersion, ts: bigint): DocVersion {
  // The placeholder travels as `{"$commitTs":null}` (convex/values); most documents hold none.
  if (!doc.json.includes('"$commitTs"')) return doc;
  const resolve = (x: Value): Value => {
    if (x instanceof CommitTsPlaceholder) return ts;
    if (Array.isArray(x)) return x.map(resolve);
    if (x !== null && typeof x === "object" && !(x instanceof ArrayBuffer)) {
      return Object.fromEntries(Object.entries(x).map(([k, f]) => [k, f === undefined ? f : resolve(f)])) as Value;
    }
    return x;
  };
  const value = resolve(doc.value) as Record<string, Value>;
  return new DocVersion(doc.id, doc.tableNumber, JSON.stringify(convexToJson(value)), value);
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The smallest float greater than `x` (x is a positive, finite timestamp). */
export function nextUp(x: number): number {
  f64[0] = x;
  u64[0] += 1n;
  return f64[0];
}
