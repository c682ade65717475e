import { describe, expect, test } from "vitest";
import { compareValues, type Value } from "convex/values";
import { compareConvexValues } from "../../src/values/compare.js";
import {
  decodeSortKey,
  encodeSortKey,
  encodeSortKeyValue,
} from "../../src/values/sortKey.js";

/** mulberry32: tiny deterministic PRNG so failures are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

function floatFromBits(hi: number, lo: number): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, hi);
  dv.setUint32(4, lo);
  return dv.getFloat64(0);
}

const NEGATIVE_NAN = floatFromBits(0xfff80000, 0);

const INT_POOL: bigint[] = [
  0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, 32767n, 32768n, -32768n,
  -32769n, 2147483647n, 2147483648n, -2147483648n, -2147483649n, MIN_INT64,
  MAX_INT64, MIN_INT64 + 1n, MAX_INT64 - 1n,
];
const FLOAT_POOL: number[] = [
  0, -0, 1, -1, 0.5, -0.5, NaN, Infinity, -Infinity,
  Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE,
  Number.EPSILON, 1e300, -1e-300, 2 ** 53, -(2 ** 53),
];
// Includes NUL, DEL, 2- and 3-byte chars, a surrogate pair (U+1F600) and
// U+E000, whose UTF-16 order differs from its UTF-8 order, and lone surrogates.
const CHAR_POOL = [
  "a", "b", "z", "A", "\u0000", "\u0001", "\u007f", "\u0080", "\u00e9",
  "\u00ff", "\u0800", "\uffff", "\ud83d\ude00", "\ue000", "\ud800", "\udc00",
  "\uff00", " ", "_",
];
const KEY_POOL = ["", "a", "b", "ab", "_x", "\u0000", "\u00e9", "\ud83d\ude00", "\ue000", "__proto__", "1", "10"];

function randomString(r: () => number): string {
  const len = Math.floor(r() * 6);
  let s = "";
  for (let i = 0; i < len; i++) s += CHAR_POOL[Math.floor(r() * CHAR_POOL.length)];
  return s;
}

function randomBigint(r: () => number): bigint {
  if (r() < 0.6) return INT_POOL[Math.floor(r() * INT_POOL.length)]!;
  // Random 64-bit two's complement pattern.
  const hi = BigInt(Math.floor(r() * 2 ** 32));
  const lo = BigInt(Math.floor(r() * 2 ** 32));
  return BigInt.asIntN(64, (hi << 32n) | lo) >> BigInt(Math.floor(r() * 64));
}

function randomNumber(r: () => number): number {
  const p = r();
  if (p < 0.5) return FLOAT_POOL[Math.floor(r() * FLOAT_POOL.length)]!;
  if (p < 0.75) return Math.floor((r() - 0.5) * 200);
  const x = floatFromBits(Math.floor(r() * 2 ** 32), Math.floor(r() * 2 ** 32));
  // NaN payloads are not reliably preserved by V8, and compareValues looks at
  // them, so only the canonical NaN is used in the property tests.
  return Number.isNaN(x) ? NaN : x;
}

/** Own-property write that also works for the key "__proto__". */
function setField(obj: Record<string, Value | undefined>, key: string, value: Value | undefined) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function randomValue(r: () => number, depth: number): Value {
  const kind = Math.floor(r() * (depth > 0 ? 9 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return randomBigint(r);
    case 2:
      return randomNumber(r);
    case 3:
      return r() < 0.5;
    case 4:
      return randomString(r);
    case 5: {
      const len = Math.floor(r() * 5);
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        bytes[i] = [0, 1, 0x7f, 0x80, 0xfe, 0xff][Math.floor(r() * 6)]!;
      }
      return bytes.buffer;
    }
    case 6:
      return r() < 0.5 ? "" : randomString(r);
    case 7: {
      const len = Math.floor(r() * 4);
      const arr: Value[] = [];
      for (let i = 0; i < len; i++) arr.push(randomValue(r, depth - 1));
      return arr;
    }
    default: {
      const obj: Record<string, Value | undefined> = {};
      const len = Math.floor(r() * 4);
      for (let i = 0; i < len; i++) {
        const key = KEY_POOL[Math.floor(r() * KEY_POOL.length)]!;
        setField(obj, key, r() < 0.05 ? undefined : randomValue(r, depth - 1));
      }
      return obj;
    }
  }
}

/** Produces a value close to `v` so that comparisons share long prefixes. */
function mutate(r: () => number, v: Value): Value {
  if (Array.isArray(v)) {
    const copy = v.slice();
    const p = r();
    if (p < 0.3 && copy.length > 0) copy.pop();
    else if (p < 0.6) copy.push(randomValue(r, 1));
    else if (copy.length > 0) {
      const i = Math.floor(r() * copy.length);
      copy[i] = mutate(r, copy[i]!);
    }
    return copy;
  }
  if (typeof v === "string") return r() < 0.5 ? v + randomString(r) : v.slice(0, -1);
  if (v !== null && typeof v === "object" && !(v instanceof ArrayBuffer)) {
    const copy: Record<string, Value | undefined> = { ...(v as Record<string, Value | undefined>) };
    const keys = Object.keys(copy);
    if (keys.length > 0 && r() < 0.5) {
      const k = keys[Math.floor(r() * keys.length)]!;
      setField(copy, k, mutate(r, copy[k] ?? null));
    } else {
      setField(copy, KEY_POOL[Math.floor(r() * KEY_POOL.length)]!, randomValue(r, 1));
    }
    return copy;
  }
  return randomValue(r, 2);
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

function describeValue(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "bigint"
      ? `${x}n`
      : x instanceof ArrayBuffer
        ? `bytes(${Array.from(new Uint8Array(x)).join(",")})`
        : typeof x === "number" && !Number.isFinite(x)
          ? String(x)
          : Object.is(x, -0)
            ? "-0"
            : x,
  );
}

function expectSameOrder(a: Value | undefined, b: Value | undefined) {
  const expected = sign(compareValues(a, b));
  const actual = sign(Buffer.compare(encodeSortKeyValue(a), encodeSortKeyValue(b)));
  // The allocation-free comparator must agree with both.
  const direct = sign(compareConvexValues(a, b));
  if (actual !== expected || direct !== expected) {
    throw new Error(
      `order mismatch for ${describeValue(a)} vs ${describeValue(b)}: compareValues=${expected}, keys=${actual}, compareConvexValues=${direct}`,
    );
  }
}

describe("sort key encoding", () => {
  test("type order: undefined < null < int64 < float64 < boolean < string < bytes < array < object", () => {
    const ordered: (Value | undefined)[] = [
      undefined, null, MIN_INT64, 0n, MAX_INT64, -Infinity, -0, 0,
      Infinity, NaN, false, true, "", "a", new ArrayBuffer(0), [], [null], {},
    ];
    const keys = ordered.map(encodeSortKeyValue);
    for (let i = 1; i < keys.length; i++) {
      expect(Buffer.compare(keys[i - 1]!, keys[i]!)).toBe(-1);
      expect(compareValues(ordered[i - 1], ordered[i])).toBeLessThan(0);
    }
  });

  test("every key starts with a tag in 0x01..0x20", () => {
    const r = prng(7);
    for (let i = 0; i < 500; i++) {
      const key = encodeSortKeyValue(randomValue(r, 3));
      expect(key[0]).toBeGreaterThanOrEqual(0x01);
      expect(key[0]).toBeLessThanOrEqual(0x20);
    }
    expect(encodeSortKeyValue(undefined)).toEqual(Buffer.from([0x01]));
  });

  test("int64 uses the variable-width tags from sorting.rs", () => {
    expect(encodeSortKeyValue(0n)).toEqual(Buffer.from([0x08]));
    expect(encodeSortKeyValue(1n)).toEqual(Buffer.from([0x09, 0x01]));
    expect(encodeSortKeyValue(-1n)).toEqual(Buffer.from([0x07, 0xff]));
    expect(encodeSortKeyValue(128n)).toEqual(Buffer.from([0x0a, 0x00, 0x80]));
    expect(encodeSortKeyValue(-129n)).toEqual(Buffer.from([0x06, 0xff, 0x7f]));
    expect(encodeSortKeyValue(MAX_INT64)).toEqual(
      Buffer.from([0x0c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    );
    expect(() => encodeSortKeyValue(MAX_INT64 + 1n)).toThrow(/64-bit/);
  });

  test("strings escape NUL and terminate with 0x00", () => {
    expect(encodeSortKeyValue("a\u0000b")).toEqual(
      Buffer.from([0x10, 0x61, 0x00, 0xff, 0x62, 0x00]),
    );
    expect(encodeSortKeyValue("")).toEqual(Buffer.from([0x10, 0x00]));
    // Long strings take the native path; same bytes as the JS loop.
    const long = "x".repeat(100) + "\u00e9\ud83d\ude00";
    expect(encodeSortKeyValue(long)).toEqual(
      Buffer.concat([Buffer.from([0x10]), Buffer.from(long, "utf8"), Buffer.from([0])]),
    );
  });

  test("strings order by UTF-8, not UTF-16", () => {
    // U+E000 < U+1F600 as code points/UTF-8, but "\ue000" > "\ud83d..." in UTF-16.
    expectSameOrder("\ue000", "\ud83d\ude00");
    expect(
      Buffer.compare(encodeSortKeyValue("\ue000"), encodeSortKeyValue("\ud83d\ude00")),
    ).toBe(-1);
    expectSameOrder("\ud800", "\ud83d\ude00");
    expectSameOrder("a", "a\u0000");
    expectSameOrder("a\u0000", "a\u0001");
    // Same high surrogate, then a low surrogate vs a BMP char above it.
    expectSameOrder("\ud83d\ude00", "\ud83d\uffff");
    expectSameOrder("\ud800", "\ud800\udc00");
  });

  test("NaN: compareConvexValues treats every NaN as the canonical one", () => {
    expect(compareConvexValues(NEGATIVE_NAN, NaN)).toBe(0);
    expect(compareConvexValues(NEGATIVE_NAN, Infinity)).toBe(1);
  });

  test("floats follow IEEE total order; every NaN is the canonical NaN", () => {
    expect(encodeSortKeyValue(NEGATIVE_NAN)).toEqual(encodeSortKeyValue(NaN));
    expect(encodeSortKeyValue(NaN)).toEqual(
      Buffer.from([0x0d, 0xff, 0xf8, 0, 0, 0, 0, 0, 0]),
    );
    const ordered = [
      -Infinity, -Number.MAX_VALUE, -1, -Number.MIN_VALUE, -0, 0,
      Number.MIN_VALUE, 1, Number.MAX_VALUE, Infinity, NaN,
    ];
    for (let i = 1; i < ordered.length; i++) {
      expectSameOrder(ordered[i - 1], ordered[i]);
      expect(
        Buffer.compare(encodeSortKeyValue(ordered[i - 1]), encodeSortKeyValue(ordered[i])),
      ).toBe(-1);
    }
  });

  test("objects with empty and NUL keys stay ordered", () => {
    const values: Value[] = [{}, { "": null }, { "": 1 }, { "\u0000": null }, { a: null }, { a: null, b: null }, { b: null }];
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) expectSameOrder(values[i], values[j]);
    }
  });

  test("property: key order equals compareValues order (random pairs)", () => {
    const r = prng(12345);
    for (let i = 0; i < 6000; i++) {
      const a = randomValue(r, 3);
      const b = r() < 0.5 ? mutate(r, a) : randomValue(r, 3);
      expectSameOrder(a, b);
      expectSameOrder(b, a);
      expectSameOrder(a, a);
    }
  });

  test("property: sorting by key equals sorting by compareValues", () => {
    const r = prng(99);
    const values: Value[] = [];
    for (let i = 0; i < 3000; i++) values.push(randomValue(r, 3));
    const byCompare = values.slice().sort(compareValues);
    const byKey = values
      .map((v) => ({ v, k: encodeSortKeyValue(v) }))
      .sort((x, y) => Buffer.compare(x.k, y.k));
    for (let i = 0; i < values.length; i++) {
      expect(compareValues(byCompare[i], byKey[i]!.v)).toBe(0);
    }
  });

  test("property: decode(encode(x)) round-trips", () => {
    const r = prng(2024);
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(r, 3);
      const decoded = decodeSortKey(encodeSortKeyValue(v));
      expect(decoded.length).toBe(1);
      if (compareValues(decoded[0], v) !== 0) {
        throw new Error(`round trip failed for ${describeValue(v)}: got ${describeValue(decoded[0])}`);
      }
    }
    expect(decodeSortKey(encodeSortKeyValue(undefined))).toEqual([undefined]);
    const proto = decodeSortKey(encodeSortKeyValue(JSON.parse('{"__proto__": 1}') as Value))[0];
    expect(Object.keys(proto as object)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    const neg = decodeSortKey(encodeSortKeyValue(-0))[0];
    expect(Object.is(neg, -0)).toBe(true);
  });

  test("property: tuple keys compare lexicographically", () => {
    const r = prng(777);
    const compareTuples = (a: Value[], b: Value[]) => {
      for (let i = 0; i < a.length && i < b.length; i++) {
        const c = compareValues(a[i], b[i]);
        if (c !== 0) return c;
      }
      return a.length - b.length;
    };
    for (let i = 0; i < 4000; i++) {
      const a: Value[] = [];
      const n = 1 + Math.floor(r() * 3);
      for (let j = 0; j < n; j++) a.push(randomValue(r, 2));
      let b: Value[];
      const p = r();
      if (p < 0.3) b = a.slice(0, Math.floor(r() * (a.length + 1)));
      else if (p < 0.6) b = a.map((x, j) => (j === a.length - 1 ? mutate(r, x) : x));
      else b = [randomValue(r, 2), randomValue(r, 2)];
      const expected = sign(compareTuples(a, b));
      const actual = sign(Buffer.compare(encodeSortKey(a), encodeSortKey(b)));
      if (expected !== actual) {
        throw new Error(`tuple mismatch ${describeValue(a)} vs ${describeValue(b)}`);
      }
      const decoded = decodeSortKey(encodeSortKey(a));
      expect(compareTuples(decoded as Value[], a)).toBe(0);
    }
  });

  test("prefix + 0xFF bounds every key that extends the prefix", () => {
    const r = prng(5);
    for (let i = 0; i < 1000; i++) {
      const prefixValues = [randomValue(r, 2)];
      const prefix = encodeSortKey(prefixValues);
      const upper = Buffer.concat([prefix, Buffer.from([0xff])]);
      const extended = encodeSortKey([...prefixValues, randomValue(r, 2)]);
      expect(Buffer.compare(prefix, extended)).toBe(-1);
      expect(Buffer.compare(extended, upper)).toBe(-1);
      // A different first element never falls inside the range.
      const otherFirst = mutate(r, prefixValues[0]!);
      const other = encodeSortKey([otherFirst, null]);
      const inside = Buffer.compare(prefix, other) <= 0 && Buffer.compare(other, upper) < 0;
      expect(inside).toBe(compareValues(otherFirst, prefixValues[0]) === 0);
    }
  });

  test("rejects non-values and malformed keys", () => {
    expect(() => encodeSortKeyValue(new Date() as unknown as Value)).toThrow();
    expect(() => encodeSortKeyValue((() => 1) as unknown as Value)).toThrow();
    expect(() => decodeSortKey(Buffer.from([0x10, 0x61]))).toThrow(/Invalid sort key/);
    expect(() => decodeSortKey(Buffer.from([0xff]))).toThrow(/Invalid sort key/);
    expect(() => decodeSortKey(Buffer.from([0x12, 0x03]))).toThrow(/Invalid sort key/);
    // The shared writer recovers after a failed encode.
    expect(encodeSortKey([1n, null])).toEqual(Buffer.from([0x09, 0x01, 0x03]));
  });
});
