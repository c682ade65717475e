import { describe, expect, test } from "vitest";
import { v, type ValidatorJSON, jsonToConvex, type JSONValue } from "convex/values";
import {
  displayValidator,
  displayValue,
  formatBinarySize,
  formatJsonFloat,
  formatRustChar,
  formatRustFloat,
  formatRustString,
  typeName,
} from "../../src/values/display.js";

describe("Rust-style display", () => {
  test("floats like Rust {:?}", () => {
    expect(formatRustFloat(1)).toBe("1.0");
    expect(formatRustFloat(-0)).toBe("-0.0");
    expect(formatRustFloat(0)).toBe("0.0");
    expect(formatRustFloat(1.5)).toBe("1.5");
    expect(formatRustFloat(123456.789)).toBe("123456.789");
    expect(formatRustFloat(0.0001)).toBe("0.0001");
    expect(formatRustFloat(0.00001)).toBe("1e-5");
    expect(formatRustFloat(1.25e-7)).toBe("1.25e-7");
    expect(formatRustFloat(1e15)).toBe("1000000000000000.0");
    expect(formatRustFloat(1e16)).toBe("1e16");
    expect(formatRustFloat(1.5e300)).toBe("1.5e300");
    expect(formatRustFloat(NaN)).toBe("NaN");
    expect(formatRustFloat(Infinity)).toBe("inf");
    expect(formatRustFloat(-Infinity)).toBe("-inf");
    expect(formatRustFloat(0.1 + 0.2)).toBe("0.30000000000000004");
  });

  test("floats like serde_json (ryu)", () => {
    expect(formatJsonFloat(1)).toBe("1.0");
    expect(formatJsonFloat(0.00001)).toBe("0.00001");
    expect(formatJsonFloat(0.000001)).toBe("1e-6");
    expect(formatJsonFloat(1e16)).toBe("1e16");
  });

  test("strings and chars like Rust {:?}", () => {
    expect(formatRustString('a"b\\c\'\n\t\r\u0000\u007f\u00e9\ud83d\ude00')).toBe(
      '"a\\"b\\\\c\'\\n\\t\\r\\0\\u{7f}é😀"',
    );
    expect(formatRustChar("'")).toBe("'\\''");
    expect(formatRustChar('"')).toBe("'\"'");
    expect(formatRustChar("\u0001")).toBe("'\\u{1}'");
  });

  test("values", () => {
    expect(displayValue(null)).toBe("null");
    expect(displayValue(undefined)).toBe("undefined");
    expect(displayValue(5n)).toBe("5");
    expect(displayValue(5)).toBe("5.0");
    expect(displayValue(true)).toBe("true");
    expect(displayValue(new Uint8Array([0xff, 0, 1]).buffer)).toBe('b"/wAB"');
    expect(displayValue([1, "a", [null]])).toBe('[1.0, "a", [null]]');
    expect(displayValue({ b: 1, a: { c: [] }, u: undefined })).toBe("{a: {c: []}, b: 1.0}");
    expect(displayValue({})).toBe("{}");
  });

  test("validators", () => {
    const decode = (lit: ValidatorJSON & { type: "literal" }) => jsonToConvex(lit.value as JSONValue);
    const validator = v.object({
      z: v.optional(v.union(v.literal("x"), v.literal(2), v.literal(3n), v.literal(false))),
      a: v.array(v.record(v.string(), v.id("users"))),
      b: v.bytes(),
      c: v.any(),
      d: v.int64(),
    });
    // `.json` is marked internal in convex's typings.
    const json = JSON.parse(
      JSON.stringify((validator as unknown as { json: ValidatorJSON }).json),
    ) as ValidatorJSON;
    expect(displayValidator(json, decode)).toBe(
      'v.object({a: v.array(v.record(v.string(), v.id("users"))), b: v.bytes(), c: v.any(), ' +
        'd: v.int64(), z: v.optional(v.union(v.literal("x"), v.literal(2.0), v.literal(<bigint>), v.literal(false)))})',
    );
  });

  test("type names and sizes", () => {
    expect([null, 1n, 1, true, "s", new ArrayBuffer(0), [], {}, undefined].map(typeName)).toEqual([
      "Null", "Int64", "Float64", "Boolean", "String", "Bytes", "Array", "Object", "undefined",
    ]);
    expect(formatBinarySize(512)).toBe("512 B");
    expect(formatBinarySize(1024)).toBe("1 KiB");
    expect(formatBinarySize(1536)).toBe("1.50 KiB");
    expect(formatBinarySize(1048576)).toBe("1 MiB");
    expect(formatBinarySize(1048577)).toBe("1.00 MiB");
  });
});
