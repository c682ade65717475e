/**
 * Total order on Convex values, allocation-free.
 *
 * Same order as `compareValues` from `convex/values` (and as the Rust
 * backend's `Ord for ConvexValue`), except that every NaN is treated as the
 * one canonical NaN that sorts after +Infinity. `compareValues` inspects NaN
 * payload bits, which V8 does not preserve reliably, so its answer for
 * negative-signed NaNs depends on how the engine happened to store the
 * number. This order matches `encodeSortKeyValue` byte order exactly.
 */
import { CommitTsPlaceholder, type Value } from "convex/values";

const MAX_INT64 = 2n ** 63n - 1n;

const RANK_UNDEFINED = 0;
const RANK_NULL = 1;
const RANK_INT64 = 2;
const RANK_FLOAT64 = 3;
const RANK_BOOLEAN = 4;
const RANK_STRING = 5;
const RANK_BYTES = 6;
const RANK_ARRAY = 7;
const RANK_OBJECT = 9;

function rank(v: Value | undefined): number {
  switch (typeof v) {
    case "undefined":
      return RANK_UNDEFINED;
    case "bigint":
      return RANK_INT64;
    case "number":
      return RANK_FLOAT64;
    case "boolean":
      return RANK_BOOLEAN;
    case "string":
      return RANK_STRING;
    default:
      if (v === null) return RANK_NULL;
      if (Array.isArray(v)) return RANK_ARRAY;
      if (v instanceof ArrayBuffer) return RANK_BYTES;
      // An unresolved commit timestamp orders like the largest int64, as in
      // `compareValues`.
      if (v instanceof CommitTsPlaceholder) return RANK_INT64;
      return RANK_OBJECT;
  }
}

/** Compares two floats in IEEE total order with all NaNs equal and largest. Never throws. */
export function compareFloat64(x: number, y: number): number {
  if (x !== x) return y !== y ? 0 : 1;
  if (y !== y) return -1;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === 0) {
    // Only ±0 compare equal with `<`/`>` but differ here: -0 < +0.
    const xNeg = Object.is(x, -0);
    const yNeg = Object.is(y, -0);
    return xNeg === yNeg ? 0 : xNeg ? -1 : 1;
  }
  return 0;
}

/**
 * Compares strings by their UTF-8 bytes. Comparing code points gives the
 * same answer (UTF-8 preserves code point order) without encoding; a lone
 * surrogate counts as its own code unit value, like `compareUTF8` in convex.
 * Never throws.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca < 0xd800 && cb < 0xd800) {
      if (ca !== cb) return ca - cb;
      i++;
      continue;
    }
    // At or above the surrogate range, code units and code points disagree.
    const pa = a.codePointAt(i)!;
    const pb = b.codePointAt(i)!;
    if (pa !== pb) return pa - pb;
    i += pa > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

function compareBytes(a: ArrayBuffer, b: ArrayBuffer): number {
  return Buffer.compare(new Uint8Array(a), new Uint8Array(b));
}

function asInt64(v: bigint | CommitTsPlaceholder): bigint {
  return typeof v === "bigint" ? v : MAX_INT64;
}

/**
 * Compares two Convex values (or `undefined`, the smallest value) and returns
 * a negative number, zero or a positive number. Never throws for Convex
 * values.
 */
export function compareConvexValues(
  a: Value | undefined,
  b: Value | undefined,
): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case RANK_UNDEFINED:
    case RANK_NULL:
      return 0;
    case RANK_INT64: {
      const x = asInt64(a as bigint | CommitTsPlaceholder);
      const y = asInt64(b as bigint | CommitTsPlaceholder);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case RANK_FLOAT64:
      return compareFloat64(a as number, b as number);
    case RANK_BOOLEAN:
      return a === b ? 0 : a ? 1 : -1;
    case RANK_STRING:
      return compareUtf8(a as string, b as string);
    case RANK_BYTES:
      return compareBytes(a as ArrayBuffer, b as ArrayBuffer);
    case RANK_ARRAY: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareConvexValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      // Objects compare as their [key, value] pairs, keys in default
      // (UTF-16) sort order, exactly like `compareValues`.
      const x = a as Record<string, Value | undefined>;
      const y = b as Record<string, Value | undefined>;
      const xk = Object.keys(x).sort();
      const yk = Object.keys(y).sort();
      const n = Math.min(xk.length, yk.length);
      for (let i = 0; i < n; i++) {
        const c =
          compareUtf8(xk[i]!, yk[i]!) || compareConvexValues(x[xk[i]!], y[yk[i]!]);
        if (c !== 0) return c;
      }
      return xk.length - yk.length;
    }
  }
}
