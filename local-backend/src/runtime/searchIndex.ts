import type { Value } from "convex/values";
import { createHash } from "node:crypto";
import type { SearchEntry, SearchIndexDefinition, SearchWrite } from "../storage/interface.js";
import { encodeSortKeyValue } from "../values/sortKey.js";
import { getFieldPath } from "../values/fieldPath.js";

/**
 * The index side of text search (search.ts has the query side): how documents are tokenized and
 * what they put into a search index, as Convex's searchlight does it (crates/search).
 */

/** Bump when tokenization or the stored term format changes: indexes are rebuilt on schema push. */
export const SEARCH_INDEX_VERSION = 1;

const MAX_TEXT_TERM_BYTES = 32;

// ---- Tokenizer ---------------------------------------------------------------------------------

const WORD = /[\p{Alphabetic}\p{N}]+/gu;
// eslint-disable-next-line no-control-regex -- the ASCII range starts at \x00
const NON_ASCII = /[^\x00-\x7f]/;

function lowerPerChar(s: string): string {
  let out = "";
  for (const c of s) out += c.toLowerCase();
  return out;
}

/** Tokens of `text` as Convex indexes and queries them (at most `limit` of them). */
export function tokenize(text: string, limit = Infinity): string[] {
  const out: string[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const raw = m[0];
    // UTF-16 length <= UTF-8 length <= 3 × UTF-16 length.
    if (raw.length >= MAX_TEXT_TERM_BYTES) continue;
    if (raw.length * 3 >= MAX_TEXT_TERM_BYTES && Buffer.byteLength(raw) >= MAX_TEXT_TERM_BYTES) continue;
    out.push(NON_ASCII.test(raw) ? lowerPerChar(raw) : raw.toLowerCase());
    if (out.length >= limit) break;
  }
  return out;
}

// ---- Fieldnorms (Tantivy's lossy document-length encoding) ------------------------------------

/** Tantivy's FIELD_NORMS_TABLE: 0..39 exactly, then 27 groups of 8 with doubling steps. */
export const FIELD_NORMS = (() => {
  const t = new Float64Array(256);
  for (let i = 0; i < 40; i++) t[i] = i;
  for (let i = 40; i < 256; i++) {
    const g = Math.floor((i - 40) / 8);
    t[i] = 40 + 16 * (2 ** g - 1) + ((i - 40) % 8) * 2 ** (g + 1);
  }
  return t;
})();

/** Bucket of a document length: the largest id whose table value is <= length. */
export function fieldnormId(length: number): number {
  if (length < 40) return length;
  let lo = 40;
  let hi = 255;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (FIELD_NORMS[mid] <= length) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---- Index entries -----------------------------------------------------------------------------

/**
 * The term standing for "filter field `field` equals `value`" (undefined = missing). Text terms
 * are alphanumeric, so the leading `#` keeps the two apart. Long values are hashed, as in Convex.
 */
export function filterTerm(field: string, value: Value | undefined): string {
  const key = encodeSortKeyValue(value);
  const bytes = key.length < 32 ? key : createHash("sha256").update(key).digest();
  return `#${field}=${bytes.toString("base64")}`;
}

type SearchFields = Pick<SearchIndexDefinition, "searchField" | "filterFields">;

/** How a document appears in a search index. */
export function searchEntry(def: SearchFields, doc: Record<string, Value>): SearchEntry {
  const terms = new Map<string, number>();
  let length = 0;
  const text = getFieldPath(doc, def.searchField);
  if (typeof text === "string") {
    for (const t of tokenize(text)) {
      terms.set(t, (terms.get(t) ?? 0) + 1);
      length++;
    }
  }
  for (const f of def.filterFields) terms.set(filterTerm(f, getFieldPath(doc, f)), 1);
  return { terms, length, norm: fieldnormId(length), creationTime: doc._creationTime as number };
}

function sameSearchInputs(def: SearchFields, a: Record<string, Value>, b: Record<string, Value>): boolean {
  const ta = getFieldPath(a, def.searchField);
  const tb = getFieldPath(b, def.searchField);
  if ((typeof ta === "string" ? ta : null) !== (typeof tb === "string" ? tb : null)) return false;
  if (a._creationTime !== b._creationTime) return false;
  for (const f of def.filterFields) {
    if (!encodeSortKeyValue(getFieldPath(a, f)).equals(encodeSortKeyValue(getFieldPath(b, f)))) return false;
  }
  return true;
}

/** The search-index changes of one document write (called from Transaction.writes at commit). */
export function searchWritesFor(
  catalog: { searchIndexesOf(tableNumber: number): SearchIndexDefinition[] }, // the Catalog, which imports this file
  tableNumber: number,
  before: Record<string, Value> | null,
  after: Record<string, Value> | null,
): SearchWrite[] | undefined {
  const defs = catalog.searchIndexesOf(tableNumber);
  if (defs.length === 0) return undefined;
  const out: SearchWrite[] = [];
  for (const def of defs) {
    if (before && after && sameSearchInputs(def, before, after)) continue;
    out.push({
      indexId: def.indexId,
      old: before ? searchEntry(def, before) : null,
      new: after ? searchEntry(def, after) : null,
    });
  }
  return out.length > 0 ? out : undefined;
}
