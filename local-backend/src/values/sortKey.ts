// Over 400 lines: the order-preserving encoding of every Convex value type and its decoder, which must stay symmetric.
/**
 * Order-preserving binary encoding of Convex values ("sort keys").
 *
 * `Buffer.compare(encodeSortKeyValue(a), encodeSortKeyValue(b))` has the same
 * sign as `compareValues(a, b)` from `convex/values`, so index keys can be
 * stored as SQLite BLOBs (compared with memcmp) and range-scanned directly.
 *
 * The layout follows crates/value/src/sorting.rs (FoundationDB tuple-layer
 * style): every value starts with a tag byte in 0x01..0x15 and is
 * self-delimiting, so a concatenation of encodings (a tuple key) compares
 * element by element, and `prefix + 0xFF` is an upper bound for every key
 * that extends `prefix`.
 *
 * One deliberate difference from Rust: object field names are written with
 * the full string encoding (tag 0x10 included). Rust writes them untagged and
 * special-cases the empty name, which is only unambiguous because real field
 * names never contain NUL; the tagged form is correct for every string.
 */
import { CommitTsPlaceholder, type Value } from "convex/values";

const TAG_UNDEFINED = 0x01;
const TAG_NULL = 0x03;
const TAG_INT_NEG_8 = 0x04;
const TAG_INT_NEG_4 = 0x05;
const TAG_INT_NEG_2 = 0x06;
const TAG_INT_NEG_1 = 0x07;
const TAG_INT_ZERO = 0x08;
const TAG_INT_POS_1 = 0x09;
const TAG_INT_POS_2 = 0x0a;
const TAG_INT_POS_4 = 0x0b;
const TAG_INT_POS_8 = 0x0c;
const TAG_FLOAT64 = 0x0d;
const TAG_FALSE = 0x0e;
const TAG_TRUE = 0x0f;
const TAG_STRING = 0x10;
const TAG_BYTES = 0x11;
const TAG_ARRAY = 0x12;
const TAG_OBJECT = 0x15;

const TERMINATOR = 0x00;
const ESCAPE = 0xff;

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

// Above this length native `Buffer#write` beats a JS loop.
const NATIVE_UTF8_THRESHOLD = 32;

type IsWellFormed = (this: string) => boolean;
const stringIsWellFormed: IsWellFormed | undefined = (
  String.prototype as unknown as { isWellFormed?: IsWellFormed }
).isWellFormed;

/** Growable byte buffer; one module-level instance is reused across calls. */
class KeyWriter {
  buf: Buffer = Buffer.allocUnsafe(256);
  len = 0;

  ensure(extra: number): void {
    const needed = this.len + extra;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    if (this.len >= this.buf.length) this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Copies the written bytes out and resets the writer. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.len = 0;
    return out;
  }
}

const writer = new KeyWriter();
const floatScratch = new DataView(new ArrayBuffer(8));

function writeInt64(w: KeyWriter, n: bigint): void {
  if (n === 0n) {
    w.byte(TAG_INT_ZERO);
    return;
  }
  if (n < MIN_INT64 || n > MAX_INT64) {
    throw new Error(`BigInt ${n} does not fit into a 64-bit signed integer.`);
  }
  if (n >= -2_147_483_648n && n <= 2_147_483_647n) {
    // Small ints: plain number arithmetic, no BigInt shifting.
    const x = Number(n);
    if (x >= -128 && x <= 127) {
      w.ensure(2);
      w.buf[w.len++] = x < 0 ? TAG_INT_NEG_1 : TAG_INT_POS_1;
      w.buf[w.len++] = x & 0xff;
    } else if (x >= -32_768 && x <= 32_767) {
      w.ensure(3);
      w.buf[w.len++] = x < 0 ? TAG_INT_NEG_2 : TAG_INT_POS_2;
      w.buf[w.len++] = (x >> 8) & 0xff;
      w.buf[w.len++] = x & 0xff;
    } else {
      w.ensure(5);
      w.buf[w.len++] = x < 0 ? TAG_INT_NEG_4 : TAG_INT_POS_4;
      w.buf.writeInt32BE(x, w.len);
      w.len += 4;
    }
    return;
  }
  w.ensure(9);
  w.buf[w.len++] = n < 0n ? TAG_INT_NEG_8 : TAG_INT_POS_8;
  w.buf.writeBigInt64BE(n, w.len);
  w.len += 8;
}

function writeFloat64(w: KeyWriter, x: number): void {
  w.ensure(9);
  w.buf[w.len++] = TAG_FLOAT64;
  if (x !== x) {
    // V8 does not preserve NaN payloads reliably (storing into a double array
    // canonicalizes them), so the same logical value could otherwise produce
    // different keys. Every NaN is written as the canonical quiet NaN
    // 0x7FF8000000000000, i.e. after +Infinity, which is also where
    // `compareValues` puts NaN in practice.
    w.buf[w.len++] = 0xff;
    w.buf[w.len++] = 0xf8;
    for (let i = 0; i < 6; i++) w.buf[w.len++] = 0;
    return;
  }
  // IEEE total order as unsigned big-endian bytes: negatives get all bits
  // flipped, non-negatives get only the sign bit flipped.
  floatScratch.setFloat64(0, x, false);
  const negative = (floatScratch.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const b = floatScratch.getUint8(i);
    w.buf[w.len++] = negative ? ~b & 0xff : i === 0 ? b | 0x80 : b;
  }
}

/**
 * Writes `s` as UTF-8 with NUL escaped to 00 FF, then a 00 terminator. Lone
 * surrogates are written as their 3-byte WTF-8 form, which sorts exactly as
 * `compareUTF8` (used by `compareValues`) orders them.
 */
function writeEscapedString(w: KeyWriter, s: string): void {
  const n = s.length;
  // Worst case: 3 bytes per UTF-16 unit, or 2 for an escaped NUL; plus the terminator.
  w.ensure(n * 3 + 1);
  if (
    n > NATIVE_UTF8_THRESHOLD &&
    stringIsWellFormed !== undefined &&
    stringIsWellFormed.call(s) &&
    s.indexOf("\u0000") === -1
  ) {
    w.len += w.buf.write(s, w.len, "utf8");
    w.buf[w.len++] = TERMINATOR;
    return;
  }
  const buf = w.buf;
  let pos = w.len;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
      if (c === 0) buf[pos++] = ESCAPE;
      continue;
    }
    if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
    }
    buf[pos++] = 0xe0 | (c >> 12);
    buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
    buf[pos++] = 0x80 | (c & 0x3f);
  }
  buf[pos++] = TERMINATOR;
  w.len = pos;
}

function writeEscapedBytes(w: KeyWriter, bytes: Uint8Array): void {
  w.ensure(bytes.length * 2 + 1);
  let start = 0;
  for (;;) {
    const zero = bytes.indexOf(0, start);
    const end = zero === -1 ? bytes.length : zero + 1;
    w.buf.set(bytes.subarray(start, end), w.len);
    w.len += end - start;
    if (zero === -1) break;
    w.buf[w.len++] = ESCAPE;
    start = end;
  }
  w.buf[w.len++] = TERMINATOR;
}

function isPlainObject(v: object): v is Record<string, Value | undefined> {
  const proto: unknown = Object.getPrototypeOf(v);
  return (
    proto === null ||
    proto === Object.prototype ||
    // Objects from another realm (e.g. a `vm` context) are still plain.
    (proto as { constructor?: { name?: string } }).constructor?.name === "Object"
  );
}

function writeValue(w: KeyWriter, v: Value | undefined): void {
  switch (typeof v) {
    case "undefined":
      w.byte(TAG_UNDEFINED);
      return;
    case "bigint":
      writeInt64(w, v);
      return;
    case "number":
      writeFloat64(w, v);
      return;
    case "boolean":
      w.byte(v ? TAG_TRUE : TAG_FALSE);
      return;
    case "string":
      w.byte(TAG_STRING);
      writeEscapedString(w, v);
      return;
    case "object":
      break;
    default:
      throw new Error(`Cannot encode a ${typeof v} in a sort key`);
  }
  if (v === null) {
    w.byte(TAG_NULL);
    return;
  }
  if (Array.isArray(v)) {
    w.byte(TAG_ARRAY);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i]);
    w.byte(TERMINATOR);
    return;
  }
  if (v instanceof ArrayBuffer) {
    w.byte(TAG_BYTES);
    writeEscapedBytes(w, new Uint8Array(v));
    return;
  }
  if (v instanceof CommitTsPlaceholder) {
    // `db.vars.commitTs` written by a mutation that has not committed yet: it orders like the
    // largest int64 (as in compare.ts and Rust's MAX_COMMIT_TS) and is replaced by the commit
    // timestamp before any index entry is stored (Transaction.writes).
    writeInt64(w, MAX_INT64);
    return;
  }
  if (!isPlainObject(v)) {
    throw new Error(
      `Cannot encode ${String(v)} in a sort key: not a Convex value`,
    );
  }
  w.byte(TAG_OBJECT);
  // Default sort (UTF-16 order) is exactly what `compareValues` uses to pair
  // up fields, so emitting fields in this order reproduces its comparison.
  const keys = Object.keys(v).sort();
  for (const key of keys) {
    w.byte(TAG_STRING);
    writeEscapedString(w, key);
    writeValue(w, v[key]);
  }
  w.byte(TERMINATOR);
}

/**
 * Encodes one value (or `undefined`, meaning "missing field") as a
 * self-delimiting sort key.
 *
 * Throws for things that are not Convex values (functions, class instances,
 * out-of-range bigints).
 */
export function encodeSortKeyValue(value: Value | undefined): Buffer {
  writer.len = 0;
  try {
    writeValue(writer, value);
  } catch (e) {
    writer.len = 0;
    throw e;
  }
  return writer.take();
}

/**
 * Encodes a tuple of values as the concatenation of their sort keys, so keys
 * compare lexicographically element by element.
 *
 * Throws under the same conditions as {@link encodeSortKeyValue}.
 */
export function encodeSortKey(values: readonly (Value | undefined)[]): Buffer {
  writer.len = 0;
  try {
    for (let i = 0; i < values.length; i++) writeValue(writer, values[i]);
  } catch (e) {
    writer.len = 0;
    throw e;
  }
  return writer.take();
}

// ---------------------------------------------------------------------------
// Decoding

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

class KeyReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  fail(message: string): never {
    throw new Error(`Invalid sort key at byte ${this.pos}: ${message}`);
  }

  byte(): number {
    if (this.pos >= this.buf.length) this.fail("unexpected end of input");
    return this.buf[this.pos++]!;
  }

  /** Reads an escaped, NUL-terminated byte string (without the terminator). */
  escaped(): Uint8Array {
    const buf = this.buf;
    const start = this.pos;
    let zero = buf.indexOf(TERMINATOR, start);
    if (zero === -1) this.fail("unterminated string or bytes");
    if (buf[zero + 1] !== ESCAPE) {
      // Common case: no embedded NULs, return a view without copying.
      this.pos = zero + 1;
      return buf.subarray(start, zero);
    }
    const parts: number[] = [];
    let from = start;
    for (;;) {
      for (let i = from; i <= zero; i++) parts.push(buf[i]!);
      if (buf[zero + 1] !== ESCAPE) {
        parts.pop(); // the terminator itself
        this.pos = zero + 1;
        return Uint8Array.from(parts);
      }
      from = zero + 2;
      zero = buf.indexOf(TERMINATOR, from);
      if (zero === -1) this.fail("unterminated string or bytes");
    }
  }
}

/** Decodes WTF-8 (UTF-8 that may contain encoded lone surrogates). */
function decodeWtf8(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    // Only reached for strings that contained lone surrogates.
    let out = "";
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i]!;
      let cp: number;
      if (b < 0x80) {
        cp = b;
        i += 1;
      } else if (b < 0xe0) {
        cp = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
        i += 2;
      } else if (b < 0xf0) {
        cp =
          ((b & 0x0f) << 12) |
          ((bytes[i + 1]! & 0x3f) << 6) |
          (bytes[i + 2]! & 0x3f);
        i += 3;
      } else {
        cp =
          ((b & 0x07) << 18) |
          ((bytes[i + 1]! & 0x3f) << 12) |
          ((bytes[i + 2]! & 0x3f) << 6) |
          (bytes[i + 3]! & 0x3f);
        i += 4;
      }
      out += String.fromCodePoint(cp);
    }
    return out;
  }
}

function readIntBytes(r: KeyReader, width: number, negative: boolean): bigint {
  if (r.pos + width > r.buf.length) r.fail("truncated integer");
  let n = 0n;
  for (let i = 0; i < width; i++) n = (n << 8n) | BigInt(r.buf[r.pos++]!);
  // Sign-extend the big-endian two's complement payload.
  return negative ? n - (1n << BigInt(width * 8)) : n;
}

function readValue(r: KeyReader): Value | undefined {
  const tag = r.byte();
  switch (tag) {
    case TAG_UNDEFINED:
      return undefined;
    case TAG_NULL:
      return null;
    case TAG_INT_NEG_8:
      return readIntBytes(r, 8, true);
    case TAG_INT_NEG_4:
      return readIntBytes(r, 4, true);
    case TAG_INT_NEG_2:
      return readIntBytes(r, 2, true);
    case TAG_INT_NEG_1:
      return readIntBytes(r, 1, true);
    case TAG_INT_ZERO:
      return 0n;
    case TAG_INT_POS_1:
      return readIntBytes(r, 1, false);
    case TAG_INT_POS_2:
      return readIntBytes(r, 2, false);
    case TAG_INT_POS_4:
      return readIntBytes(r, 4, false);
    case TAG_INT_POS_8:
      return readIntBytes(r, 8, false);
    case TAG_FLOAT64: {
      if (r.pos + 8 > r.buf.length) r.fail("truncated float");
      // The stored sign bit is set for non-negative numbers.
      const nonNegative = (r.buf[r.pos]! & 0x80) !== 0;
      for (let i = 0; i < 8; i++) {
        const b = r.buf[r.pos++]!;
        floatScratch.setUint8(i, nonNegative ? (i === 0 ? b & 0x7f : b) : ~b & 0xff);
      }
      return floatScratch.getFloat64(0, false);
    }
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_STRING:
      return decodeWtf8(r.escaped());
    case TAG_BYTES: {
      const bytes = r.escaped();
      // Copy so the result does not alias the key buffer.
      const out = new ArrayBuffer(bytes.length);
      new Uint8Array(out).set(bytes);
      return out;
    }
    case TAG_ARRAY: {
      const items: Value[] = [];
      while (r.buf[r.pos] !== TERMINATOR) {
        if (r.pos >= r.buf.length) r.fail("unterminated array");
        items.push(readValue(r) as Value);
      }
      r.pos++;
      return items;
    }
    case TAG_OBJECT: {
      const obj: Record<string, Value | undefined> = {};
      while (r.buf[r.pos] !== TERMINATOR) {
        if (r.pos >= r.buf.length) r.fail("unterminated object");
        if (r.byte() !== TAG_STRING) r.fail("object field name is not a string");
        const key = decodeWtf8(r.escaped());
        const value = readValue(r);
        if (key === "__proto__") {
          // Plain assignment would set the prototype instead of a field.
          Object.defineProperty(obj, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          obj[key] = value;
        }
      }
      r.pos++;
      return obj;
    }
    default:
      return r.fail(`unknown tag 0x${tag.toString(16)}`);
  }
}

/**
 * Decodes a concatenation of sort keys back into values (`undefined` for the
 * "missing" marker). Integers come back as `bigint`, bytes as `ArrayBuffer`.
 *
 * Throws an `Error` if the buffer is not a well-formed sort key.
 */
export function decodeSortKey(buf: Uint8Array): (Value | undefined)[] {
  const r = new KeyReader(buf);
  const values: (Value | undefined)[] = [];
  while (r.pos < buf.length) values.push(readValue(r));
  return values;
}
