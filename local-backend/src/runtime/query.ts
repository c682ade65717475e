// Over 400 lines: index range compilation, query streams and paginate share the range and cursor rules.
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IndexDefinition } from "../storage/interface.js";
import { evaluateFilter } from "../values/filter.js";
import { encodeSortKey } from "../values/sortKey.js";
import type { ReadRange } from "./readSetIndex.js";
import { DocVersion, Transaction, UserError } from "./transaction.js";
import {
  compileSearch,
  decodeSearchPosition,
  encodeSearchPosition,
  executeSearch,
  type SearchPlan,
  type SearchRows,
  type SearchStats,
} from "./search.js";

/** The serialized query the `convex` package sends with `1.0/queryStream` and `1.0/queryPage`. */
export interface SerializedQuery {
  source:
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | {
        type: "IndexRange";
        indexName: string;
        range: Array<{ type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: unknown }>;
        order: "asc" | "desc" | null;
      }
    | { type: "Search"; indexName: string; filters: unknown[] };
  operators: Array<{ filter: unknown } | { limit: number }>;
}

const MAX_KEY = Buffer.from([0xff]);
const ZERO = Buffer.from([0x00]);
const EMPTY = Buffer.alloc(0);

function decodeRangeValue(raw: unknown): Value | undefined {
  if (raw !== null && typeof raw === "object" && "$undefined" in (raw as object)) return undefined;
  return jsonToConvex(raw as never);
}

/** A compiled index range: `[lower, upper)` over the index's encoded keys. */
export interface CompiledSource {
  index: IndexDefinition | null; // null: the table does not exist yet, so the query is empty
  lower: Buffer;
  upper: Buffer | null;
  desc: boolean;
  /** Set for `withSearchIndex`: `lower`/`upper` then bound result position keys (search.ts). */
  search?: SearchPlan;
}

/**
 * Compiles an index range expression with Convex's rules: equalities (in any order) forming a
 * prefix of the index fields, then at most one lower and one upper bound on the next field.
 * Bounds on a prefix are prefix-inclusive (`lte("a", 5)` includes every key starting with a = 5).
 */
export function compileSource(tx: Transaction, query: SerializedQuery): CompiledSource {
  const src = query.source;
  if (src.type === "Search") {
    return compileSearch(tx, src);
  }
  const desc = src.order === "desc";
  if (src.type === "FullTableScan") {
    const table = tx.catalog.tableNumber(src.tableName);
    if (table === undefined) return { index: null, lower: EMPTY, upper: null, desc };
    return { index: tx.catalog.index(table, "by_creation_time")!, lower: EMPTY, upper: null, desc };
  }
  const dot = src.indexName.indexOf(".");
  const tableName = src.indexName.slice(0, dot);
  const indexName = src.indexName.slice(dot + 1);
  const table = tx.catalog.tableNumber(tableName);
  if (table === undefined) return { index: null, lower: EMPTY, upper: null, desc };
  const index = tx.catalog.index(table, indexName);
  if (!index) {
    if (tx.catalog.searchIndex(table, indexName)) throw new UserError(`Index ${src.indexName} is not a database index`);
    throw new UserError(`Index ${src.indexName} not found.`);
  }

  const fields = index.fields;
  const name = src.indexName;
  const shown = `[${fields.filter((f) => f !== "_id").join(", ")}]`;
  const show = (v: Value | undefined) => (v === undefined ? "undefined" : JSON.stringify(convexToJson(v)));
  const alreadyDefined = (kind: string, field: string, cmp: string, v: Value | undefined) =>
    new UserError(`Already defined ${kind} bound in index range. Can't add "${field}" ${cmp} ${show(v)}.`);

  // Split into equalities and one inequality, with the checks of Rust's IndexRange::split.
  const eqs = new Map<string, Value | undefined>();
  let lowerBound: { inclusive: boolean; value: Value | undefined } | undefined;
  let upperBound: { inclusive: boolean; value: Value | undefined } | undefined;
  let inequalityField: string | undefined;
  const CMP = { Eq: "==", Gt: ">", Gte: ">=", Lt: "<", Lte: "<=" } as const;
  for (const r of src.range) {
    const value = decodeRangeValue(r.value);
    if (r.type === "Eq") {
      if (eqs.has(r.fieldPath)) throw alreadyDefined("equality", r.fieldPath, "==", value);
      eqs.set(r.fieldPath, value);
      continue;
    }
    const isLower = r.type === "Gt" || r.type === "Gte";
    if (isLower ? lowerBound : upperBound) throw alreadyDefined(isLower ? "lower" : "upper", r.fieldPath, CMP[r.type], value);
    if (inequalityField !== undefined && inequalityField !== r.fieldPath) {
      throw new UserError(
        `Upper and lower bounds in \`range\` can only be applied to a single index field. This query against index ${name} ` +
          `attempted to set a range bound on both "${inequalityField}" and "${r.fieldPath}". Consider using \`filter\` instead. ` +
          "See https://docs.convex.dev/using/indexes for more info.",
      );
    }
    inequalityField = r.fieldPath;
    const bound = { inclusive: r.type === "Gte" || r.type === "Lte", value };
    if (isLower) lowerBound = bound;
    else upperBound = bound;
  }
  if (inequalityField !== undefined && eqs.has(inequalityField)) {
    throw alreadyDefined("inequality", inequalityField, "==", eqs.get(inequalityField));
  }

  // Then Rust's IndexRange::compile: equalities (in any order) plus the inequality must be a prefix.
  const notInIndex = (field: string) =>
    new UserError(
      `The index range included a comparison with "${field}", but ${name} with fields ${shown} doesn't index this field. ` +
        "For more information see https://docs.convex.dev/using/indexes.",
    );
  for (const f of eqs.keys()) if (!fields.includes(f)) throw notInIndex(f);
  if (inequalityField !== undefined && !fields.includes(inequalityField)) throw notInIndex(inequalityField);
  const eqFields = [...eqs.keys()].sort((a, b) => fields.indexOf(a) - fields.indexOf(b));
  const used = inequalityField === undefined ? eqFields : [...eqFields, inequalityField];
  used.forEach((field, i) => {
    if (fields[i] !== field) {
      throw new UserError(
        `Tried to query index ${name} but the query didn't use the index fields in order.\n` +
          `Index fields: ${shown}\nQuery fields: [${used.join(", ")}]\nFirst incorrect field: ${field}\n` +
          "For more information see https://docs.convex.dev/using/indexes.",
      );
    }
  });
  const prefixValues = eqFields.map((f) => eqs.get(f));
  const prefix = encodeSortKey(prefixValues);
  const at = (v: Value | undefined) => Buffer.concat([prefix, encodeSortKey([v])]);
  const lower = !lowerBound
    ? prefix
    : lowerBound.inclusive
      ? at(lowerBound.value)
      : Buffer.concat([at(lowerBound.value), MAX_KEY]);
  const upper = !upperBound
    ? Buffer.concat([prefix, MAX_KEY])
    : upperBound.inclusive
      ? Buffer.concat([at(upperBound.value), MAX_KEY])
      : at(upperBound.value);
  return { index, lower, upper: prefix.length === 0 && !upperBound ? null : upper, desc };
}

/**
 * A running database query: scans the compiled range in batches and applies the filter and
 * limit operators in order. It records the key range it actually covered for reactivity.
 */
export class QueryStream {
  private buffer: Array<{ key: Buffer; doc: DocVersion }> = [];
  private lower: Buffer;
  private upper: Buffer | null;
  private sourceDone: boolean;
  private batch: number;
  private readonly limits: number[];
  private readonly range: ReadRange | null;
  private searchRows: SearchRows | undefined;
  /** Key of the last row taken from the source. */
  lastKey: Buffer | null = null;
  done = false;
  /** True when the source range itself ran out (not a limit operator). */
  reachedEnd = false;

  constructor(
    private readonly tx: Transaction,
    readonly query: SerializedQuery,
    readonly source: CompiledSource,
    private readonly ignorePending = false,
    /** Rows the caller will take if nothing filters them (a page's size): the first batch reads no more. */
    expectedRows?: number,
  ) {
    this.lower = source.lower;
    this.upper = source.upper;
    this.sourceDone = source.index === null;
    this.limits = query.operators.map((op) => ("limit" in op ? op.limit : 0));
    const first = query.operators[0];
    // The first batch reads what the query will use when it can tell (a leading take(n), or an
    // unfiltered page): a home page of 11 posts read 32 documents, 21 of them only to drop them.
    const wanted = first && "limit" in first ? first.limit : !first ? expectedRows : undefined;
    this.batch = wanted !== undefined ? Math.max(1, Math.min(wanted, 64)) : 32;
    tx.countRange();
    // Record the range up front (an over-approximation until the scan narrows it).
    this.range = source.index && !source.search ? { indexId: source.index.indexId, lower: source.lower, upper: source.upper } : null;
    if (source.search) {
      // A search reads its terms and filters (a write matching them may change the results) and
      // the documents it returns (nextRow), as Convex's search read sets do. With no tokens it
      // matches nothing, so nothing can change it.
      const s = source.search;
      if (s.tokens.length > 0) tx.readSearches.push({ indexId: s.def.indexId, filterTerms: s.filterTerms, tokens: s.tokens });
    } else if (this.range) tx.readRanges.push(this.range);
    else {
      const src = query.source;
      tx.readMissingTables.add(src.type === "FullTableScan" ? src.tableName : src.indexName.slice(0, src.indexName.indexOf(".")));
    }
  }

  /** The next raw row of the source range, before operators; null at the end of the range. */
  nextRow(): { key: Buffer; doc: DocVersion } | null {
    if (this.source.search) {
      this.searchRows ??= executeSearch(this.tx, this.source.search, this.lower, this.upper, this.ignorePending);
      const hit = this.searchRows.next();
      if (!hit) return null;
      this.lastKey = hit.key;
      this.tx.noteScanned(hit.doc);
      // Read by id: a change to a result's other fields changes the query's result too.
      this.tx.readIds.add(hit.doc.id);
      return hit;
    }
    while (this.buffer.length === 0) {
      if (this.sourceDone) return null;
      const { rows, more, edge } = this.tx.scan(
        this.source.index!,
        this.lower,
        this.upper,
        this.source.desc,
        this.batch,
        this.ignorePending,
      );
      this.batch = Math.min(this.batch * 2, 1024);
      this.buffer = rows;
      const resumeAt = rows.length > 0 ? rows[rows.length - 1].key : edge;
      if (!more || resumeAt === null) this.sourceDone = true;
      else if (this.source.desc) this.upper = resumeAt;
      else this.lower = Buffer.concat([resumeAt, ZERO]);
    }
    const row = this.buffer.shift()!;
    this.lastKey = row.key;
    this.tx.noteScanned(row.doc);
    return row;
  }

  /** For a search: the statistics it ranked with, which its cursors carry (search.ts). */
  get searchStats(): SearchStats | undefined {
    return this.searchRows?.stats ?? this.source.search?.frozen;
  }

  /** Narrows the recorded read range to what was really scanned (when the query stopped early). */
  finish(): void {
    if (!this.range || this.lastKey === null || this.reachedEnd || this.source.search) return;
    if (this.source.desc) this.range.lower = this.lastKey;
    else this.range.upper = Buffer.concat([this.lastKey, ZERO]);
  }

  /**
   * A limit operator is used up: the next call returns null without reading another row (take(n)
   * reads n rows, not more). An isolate worker is told so with the query's last document, and
   * answers that call itself (isolate/handle.ts).
   */
  get limitSpent(): boolean {
    return this.limits.some((n, i) => n <= 0 && "limit" in this.query.operators[i]);
  }

  /** The next document that passes the operators, or null when the query is exhausted. */
  next(): DocVersion | null {
    if (this.done) return null;
    if (this.limitSpent) {
      this.done = true;
      this.finish();
      return null;
    }
    for (;;) {
      const row = this.nextRow();
      if (!row) {
        this.done = true;
        this.reachedEnd = true;
        return null;
      }
      let keep = true;
      for (let i = 0; i < this.query.operators.length; i++) {
        const op = this.query.operators[i];
        if ("filter" in op) {
          if (!evaluateFilter(op.filter, row.doc.value)) {
            keep = false;
            break;
          }
        } else {
          if (this.limits[i] <= 0) {
            this.done = true;
            this.finish();
            return null;
          }
          this.limits[i]--;
        }
      }
      if (keep) return row.doc;
    }
  }
}

/**
 * Cursors are `<query fingerprint>.<position>.<MAC>`. The fingerprint is keyed and covers the
 * function and the whole serialized query (index, range, order, operators); the MAC (HMAC-SHA256
 * under the deployment's secret) covers fingerprint and position. So a client can hand back only
 * a cursor this deployment issued for this very query, as with Convex's encrypted cursors.
 */
export interface CursorBinding {
  /** The deployment's cursor secret (`cursorSecret`). */
  secret: Buffer;
  /** The function running the query: a cursor from another function's query is foreign. */
  functionPath: string;
}

const CURSOR_SECRET_META = "cursorSecret";

/** The deployment's cursor secret, generated once and kept in the data dir (like the admin key). */
export function cursorSecret(meta: { getMeta(key: string): string | null | undefined; setMeta(key: string, value: string): void }): Buffer {
  let hex = meta.getMeta(CURSOR_SECRET_META);
  if (!hex) {
    hex = randomBytes(32).toString("hex");
    meta.setMeta(CURSOR_SECRET_META, hex);
  }
  return Buffer.from(hex, "hex");
}

function fingerprint(binding: CursorBinding, query: SerializedQuery): string {
  return createHmac("sha256", binding.secret)
    .update(`query\0${binding.functionPath}\0${JSON.stringify(query)}`)
    .digest("base64url")
    .slice(0, 22);
}

function cursorMac(secret: Buffer, fp: string, position: string): string {
  return createHmac("sha256", secret).update(`cursor\0${fp}\0${position}`).digest("base64url");
}

const END = "end";

function encodeCursor(binding: CursorBinding, fp: string, key: Buffer | null): string {
  const position = key === null ? END : key.toString("base64url");
  return `${fp}.${position}.${cursorMac(binding.secret, fp, position)}`;
}

/**
 * Convex's InvalidCursor error: a ConvexError whose data lets clients (usePaginatedQuery)
 * recognise it and restart from the first page.
 */
function invalidCursor(message: string): UserError {
  const e = new UserError(message);
  e.data = { isConvexSystemError: true, paginationError: "InvalidCursor" };
  return e;
}

/** The position a cursor names (null: the end), or InvalidCursor for a forged or foreign one. */
function decodeCursor(binding: CursorBinding, fp: string, cursor: string): Buffer | null {
  const parts = typeof cursor === "string" ? cursor.split(".") : [];
  const [cursorFp, position, mac] = parts;
  const wellFormed =
    parts.length === 3 && /^[A-Za-z0-9_-]+$/.test(cursorFp) && /^[A-Za-z0-9_-]+$/.test(mac) &&
    (position === END || /^[A-Za-z0-9_-]+$/.test(position));
  // Compared as text: base64url has several spellings of the same bytes, the MAC has one.
  const given = wellFormed ? Buffer.from(mac) : null;
  const expected = wellFormed ? Buffer.from(cursorMac(binding.secret, cursorFp, position)) : null;
  // Same texts as Convex: a cursor that does not verify "failed to parse"; a genuine cursor
  // of another query is "from a different query".
  if (!given || !expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalidCursor("Failed to parse cursor");
  }
  if (cursorFp !== fp) {
    throw invalidCursor(
      "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.",
    );
  }
  return position === END ? null : Buffer.from(position, "base64url");
}

/** The larger of two lower bounds. */
function maxLower(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) >= 0 ? a : b;
}

/** The smaller of two upper bounds (null: unbounded). */
function minUpper(a: Buffer | null, b: Buffer): Buffer {
  return a !== null && Buffer.compare(a, b) <= 0 ? a : b;
}

export interface PageRequest {
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number | null;
  maximumBytesRead?: number | null;
}

export interface PageResult {
  page: DocVersion[];
  isDone: boolean;
  continueCursor: string;
  splitCursor: string | null;
  pageStatus: "SplitRecommended" | "SplitRequired" | null;
}

/**
 * One page of a query, with real Convex semantics: `isDone` only when the scan reached the end
 * (a page that fills exactly is not done), an `endCursor` bounds the page and overrides the
 * page size, and hitting `maximumRowsRead` returns `SplitRequired` with a split cursor.
 */
export function queryPage(tx: Transaction, query: SerializedQuery, req: PageRequest, binding: CursorBinding): PageResult {
  if (req.pageSize === 0) throw new UserError("Must request at least 1 document while paginating");
  if (req.pageSize > 32000) throw new UserError(`Requested too many items: ${req.pageSize}`);
  if (req.maximumRowsRead === 0 || req.maximumBytesRead === 0) {
    throw new UserError("maximumRowsRead and maximumBytesRead must be greater than 0");
  }
  const fp = fingerprint(binding, query);
  const source = compileSource(tx, query);
  let startKey = req.cursor ? decodeCursor(binding, fp, req.cursor) : undefined;
  let endKey = req.endCursor ? decodeCursor(binding, fp, req.endCursor) : undefined;
  // A search position also holds the statistics of the walk's first page: later pages (and
  // re-runs pinned by an end cursor) rank with them, so results keep their keys (search.ts).
  let frozen: SearchStats | undefined;
  if (source.search) {
    const unwrap = (key: Buffer | null | undefined) => {
      if (!key) return key;
      const pos = decodeSearchPosition(key);
      if (!pos) throw invalidCursor("Failed to parse cursor");
      frozen ??= pos.stats;
      return pos.key;
    };
    startKey = unwrap(startKey);
    endKey = unwrap(endKey);
  }
  if (startKey === null) {
    return { page: [], isDone: true, continueCursor: encodeCursor(binding, fp, null), splitCursor: null, pageStatus: null };
  }
  // A cursor only narrows the query's own range, never replaces its bounds: the resume and end
  // positions are intersected with the compiled range.
  const bounded: CompiledSource = { ...source };
  if (source.search && frozen) bounded.search = { ...source.search, frozen };
  if (startKey) {
    if (source.desc) bounded.upper = minUpper(bounded.upper, startKey);
    else bounded.lower = maxLower(bounded.lower, Buffer.concat([startKey, ZERO]));
  }
  if (endKey) {
    if (source.desc) bounded.lower = maxLower(bounded.lower, endKey);
    else bounded.upper = minUpper(bounded.upper, Buffer.concat([endKey, ZERO]));
  }
  // A page pinned by an end cursor reads to it, however many rows that is (batches grow).
  const stream = new QueryStream(tx, query, bounded, false, endKey === undefined ? req.pageSize : undefined);
  const page: DocVersion[] = [];
  const pageKeys: Buffer[] = [];
  const scannedBefore = tx.docsScanned;
  let bytes = 0;
  let pageStatus: PageResult["pageStatus"] = null;
  for (;;) {
    if (endKey === undefined && page.length >= req.pageSize) break;
    const rows = tx.docsScanned - scannedBefore;
    if (endKey === undefined && rows > 0) {
      if ((req.maximumRowsRead && rows >= req.maximumRowsRead) || (req.maximumBytesRead && bytes >= req.maximumBytesRead)) {
        pageStatus = "SplitRequired";
        break;
      }
    }
    const doc = stream.next();
    if (!doc) break;
    bytes += doc.json.length;
    page.push(doc);
    pageKeys.push(stream.lastKey!);
  }
  stream.finish();
  const exhausted = stream.done;
  let continueCursor: string;
  let isDone: boolean;
  if (endKey !== undefined) {
    continueCursor = req.endCursor!;
    isDone = endKey === null;
  } else if (exhausted) {
    continueCursor = encodeCursor(binding, fp, null);
    isDone = true;
  } else {
    const key = source.search ? encodeSearchPosition(stream.lastKey!, stream.searchStats) : stream.lastKey;
    continueCursor = encodeCursor(binding, fp, key);
    isDone = false;
  }
  let splitCursor: string | null = null;
  // Convex never splits a search page (SearchQuery::split_cursor_position is None): splitting
  // would not make it cheaper, the whole ranking is computed either way.
  if (pageStatus === "SplitRequired" && pageKeys.length > 1 && !source.search) {
    splitCursor = encodeCursor(binding, fp, pageKeys[Math.floor(pageKeys.length / 2) - 1]);
  }
  return { page, isDone, continueCursor, splitCursor, pageStatus };
}
