import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { ReadSnapshot } from "../storage/interface.js";
import { ConvexBadRequestError } from "../values/errors.js";
import { parseFilterExpression, type FilterNode } from "../values/filter.js";
import { decodeDocumentId } from "../values/ids.js";
import { encodeSortKeyValue } from "../values/sortKey.js";
import { getFieldPath } from "../values/fieldPath.js";
import { physicalTableName, type Catalog, type VectorIndexDefinition } from "./catalog.js";
import { UserError } from "./transaction.js";

/**
 * Vector search (`ctx.vectorSearch` in actions, the `1.0/actions/vectorSearch` syscall), modelled
 * on Convex's (get-convex/convex-backend at 94a42c3db8d7: crates/vector/src/query.rs for the
 * request and its filters, qdrant_index.rs `compile` for the checks and their order, lib.rs and
 * indexing/index_registry.rs for the error texts, database.rs `vector_search_at_ts`):
 *
 * - Exact (brute-force) search: every document of the table at the latest commit is read through
 *   its `by_id` index and scored, O(documents × dimensions) per query. Convex uses Qdrant (exact
 *   below a segment-size threshold, HNSW above it), so for large tables its results may be
 *   approximate where ours are exact. Nothing is stored besides the documents themselves.
 * - A document is in the index when its vector field is an array of exactly `dimensions` float64
 *   numbers; anything else (missing, wrong length, other types) is skipped, as Convex skips it.
 * - Score: cosine similarity of the vectors rounded to f32 (as Qdrant stores them), computed in f64
 *   and rounded to an f32, reported as the shortest decimal of that f32 as Convex serialises it.
 *   Qdrant sums in f32 SIMD lanes, so a score can differ from Convex's in its last bit. Order: score descending, then the
 *   document's internal id descending (Convex's `VectorSearchQueryResult` order, reversed).
 * - Filters: `q.eq(field, value)` and `q.or(...)` only; a document matches if ANY condition
 *   matches (Qdrant `should`). Values compare by their index encoding, so `undefined` matches a
 *   missing field and `null` only a null. At most 64 conditions.
 * - `limit`: default 10, at most 256.
 */

export const DEFAULT_VECTOR_LIMIT = 10;
export const MAX_VECTOR_RESULTS = 256;
const MAX_FILTER_LENGTH = 64;
const SCAN_BATCH = 1024;

export interface VectorSearchResult {
  _id: string;
  _score: number;
}

function fail(message: string): never {
  throw new UserError(message);
}

const TABLE_NAME_RULES = "Identifiers must start with a letter and can only contain letters, digits, and underscores.";

/** Rust `GenericIndexName::from_str` on "table.index" (its descriptor error reuses the table text). */
function parseIndexName(s: string): [table: string, index: string] {
  const parts = s.split(".");
  if (parts.length < 2) fail(`Insufficient components in index name ${s}`);
  if (parts.length > 2) fail(`Too many components in index name ${s}`);
  for (const p of parts) if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(p) || /^_+$/.test(p)) fail(`Invalid table name: "${p}". ${TABLE_NAME_RULES}`);
  return [parts[0]!, parts[1]!];
}

/** Rust `assemble_filter_map`: the expression as field path → allowed values. */
function filterMap(node: FilterNode, into: Map<string, Map<string, Value | undefined>>) {
  if (node.op === "$or") {
    for (const arg of node.args) filterMap(arg, into);
    return;
  }
  if (node.op !== "$eq") fail("Filters should be a combination of `q.eq` and `q.or`.");
  const { left, right } = node as Extract<FilterNode, { left: FilterNode }>;
  if (left.op !== "$field" || right.op !== "$literal") {
    fail("`q.eq` must take a field path as its first argument and a value as its second");
  }
  const path = (left as Extract<FilterNode, { op: "$field" }>).path.join(".");
  const value = (right as Extract<FilterNode, { op: "$literal" }>).value;
  let values = into.get(path);
  if (!values) into.set(path, (values = new Map()));
  values.set(encodeSortKeyValue(value).toString("hex"), value);
}

/** Rounds to f32 and returns the shortest decimal that reads back as that f32 (serde's f32 output). */
export function f32Json(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p < 10; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** Vectors are stored as f32 (Qdrant); a (near-)zero vector is not normalised, so it scores 0. */
const F32_EPSILON = 1.1920929e-7;

/** The query vector as Qdrant prepares it: f32, divided by its norm. */
function normalizedQuery(v: number[]): Float64Array {
  const out = Float64Array.from(v, (x) => Math.fround(x));
  let sum = 0;
  for (const x of out) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm >= F32_EPSILON) for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}

/** Cosine similarity of a document vector with the normalised query, in one pass. */
function cosine(q: Float64Array, v: number[]): number {
  let dot = 0;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const x = Math.fround(v[i]!);
    dot += q[i]! * x;
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  return norm < F32_EPSILON ? dot : dot / norm;
}

/**
 * The document's vector when it is indexable: exactly `dimensions` float64 numbers. Read from the
 * stored JSON without decoding the whole document (finite float64s are plain JSON numbers; NaN
 * and ±Infinity, encoded as objects, are not indexable in Convex either).
 */
function documentVector(raw: Record<string, unknown>, index: VectorIndexDefinition): number[] | null {
  const v = getFieldPath(raw as Record<string, Value>, index.vectorField) as unknown;
  if (!Array.isArray(v) || v.length !== index.dimensions) return null;
  for (const x of v) if (typeof x !== "number") return null;
  return v as number[];
}

/** A filter field's value as its index encoding (undefined when the field is missing). */
function filterKey(raw: Record<string, unknown>, path: string): string {
  const json = getFieldPath(raw as Record<string, Value>, path) as unknown;
  return encodeSortKeyValue(json === undefined ? undefined : (jsonToConvex(json as JSONValue) as Value)).toString("hex");
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Answers `1.0/actions/vectorSearch` (`{ query: { indexName, limit, vector, expressions } }`) at
 * `snapshot`, for an action of `componentPath` ("" for the app): the `{ _id, _score }` results,
 * best first. Bad requests throw Convex's error text.
 */
export function vectorSearch(catalog: Catalog, snapshot: ReadSnapshot, args: unknown, componentPath = ""): VectorSearchResult[] {
  const query = (args as { query?: unknown } | null)?.query as
    | { indexName?: unknown; limit?: unknown; vector?: unknown; expressions?: unknown }
    | undefined;
  if (!query || typeof query !== "object") fail("Invalid arguments for `vectorSearch`: missing `query`.");
  if (typeof query.indexName !== "string") fail("Invalid arguments for `vectorSearch`: `indexName` must be a string.");
  const vector = query.vector;
  if (!Array.isArray(vector) || vector.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
    fail("Invalid arguments for `vectorSearch`: `vector` must be an array of finite numbers.");
  }
  const limit = query.limit ?? DEFAULT_VECTOR_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
    fail("Invalid arguments for `vectorSearch`: `limit` must be a non-negative integer.");
  }
  const [tableName, indexName] = parseIndexName(query.indexName);
  let conditions = new Map<string, Map<string, Value | undefined>>();
  if (query.expressions !== null && query.expressions !== undefined) {
    let root: FilterNode;
    try {
      root = parseFilterExpression(query.expressions).root;
    } catch (e) {
      if (e instanceof ConvexBadRequestError) fail(e.message);
      throw e;
    }
    filterMap(root, conditions);
  }

  // A component's tables are its own (`<componentPath>/<table>` in the catalog).
  const tableNumber = catalog.tableNumber(physicalTableName(componentPath, tableName));
  // As in Convex, a table that does not exist (yet) has no results rather than an error.
  if (tableNumber === undefined) return [];
  const printable = `${tableName}.${indexName}`;
  const index = catalog.vectorIndex(tableNumber, indexName);
  if (!index) {
    if (catalog.index(tableNumber, indexName) || catalog.searchIndex(tableNumber, indexName)) {
      fail(`Index ${printable} is not a vector index`);
    }
    fail(`Index ${printable} not found.`);
  }
  if (limit > MAX_VECTOR_RESULTS) {
    fail(`Vector queries can fetch at most ${MAX_VECTOR_RESULTS} results, requested ${limit}.`);
  }
  conditions = new Map([...conditions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  let filterLength = 0;
  for (const [path, values] of conditions) {
    if (!index.filterFields.includes(path)) {
      fail(
        `Vector query against ${printable} contains a filter on "${path}" but that field isn't indexed for filtering in \`filterFields\`.`,
      );
    }
    filterLength += values.size;
  }
  if (filterLength > MAX_FILTER_LENGTH) {
    fail(`Vector query against ${printable} has too many conditions. Max: ${MAX_FILTER_LENGTH} Actual: ${filterLength}`);
  }
  if (vector.length !== index.dimensions) {
    fail(`Expected a vector with dimensions ${index.dimensions}, received ${vector.length}.`);
  }
  if (limit === 0) return [];

  const q = normalizedQuery(vector);
  const byId = catalog.index(tableNumber, "by_id")!;
  const scored: Array<{ id: string; internalId: Uint8Array; score: number }> = [];
  let lower = Buffer.alloc(0);
  for (;;) {
    const rows = snapshot.scan(byId.indexId, lower, null, false, SCAN_BATCH);
    for (const row of rows) {
      const doc = JSON.parse(row.json) as Record<string, unknown>;
      const v = documentVector(doc, index);
      if (!v) continue;
      if (conditions.size > 0) {
        let matches = false;
        for (const [path, values] of conditions) {
          if (values.has(filterKey(doc, path))) {
            matches = true;
            break;
          }
        }
        if (!matches) continue;
      }
      scored.push({ id: row.id, internalId: decodeDocumentId(row.id)!.internalId, score: cosine(q, v) });
    }
    if (rows.length < SCAN_BATCH) break;
    lower = Buffer.concat([rows[rows.length - 1]!.key, Buffer.from([0])]);
  }
  scored.sort((a, b) => b.score - a.score || compareBytes(b.internalId, a.internalId));
  return scored.slice(0, limit).map((r) => ({ _id: r.id, _score: f32Json(r.score) }));
}
