import { describe, expect, test } from "vitest";
import type { Value } from "convex/values";
import { ConvexBadRequestError } from "../../src/values/errors.js";
import {
  LIMITS,
  checkDocumentForWrite,
  checkValueForTransport,
  fieldNameError,
  identifierError,
} from "../../src/values/limits.js";

function errorOf(fn: () => void): ConvexBadRequestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConvexBadRequestError);
    return e as ConvexBadRequestError;
  }
  throw new Error("expected an error");
}

const write = (doc: Record<string, Value | undefined>) => () => checkDocumentForWrite("t", doc);

function nested(depth: number): Value {
  // depth 1 = [] ; depth n = [[...]]
  let v: Value = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

describe("LIMITS", () => {
  test("numeric limits", () => {
    expect(LIMITS).toMatchObject({
      maxDocumentSize: 1024 * 1024,
      maxNesting: 16,
      maxArrayLength: 8192,
      maxFields: 1024,
      docsScannedPerTransaction: 32000,
      indexRangesPerTransaction: 4096,
      docsWrittenPerTransaction: 16000,
      bytesReadPerTransaction: 16 * 1024 * 1024,
      bytesWrittenPerTransaction: 16 * 1024 * 1024,
      maxLogLines: 256,
      maxLogLineBytes: 4096,
      maxScheduledPerMutation: 1000,
    });
  });
});

describe("checkDocumentForWrite", () => {
  test("accepts an ordinary document and ignores system fields", () => {
    expect(() =>
      checkDocumentForWrite("t", {
        _id: "x",
        _creationTime: 1,
        name: "a",
        n: 1n,
        nested: { $ok: undefined, "a-b c": [1, null, new ArrayBuffer(2)], "": true },
        maybe: undefined,
      }),
    ).not.toThrow();
  });

  test("size > 1 MiB", () => {
    // getDocumentSize: 2 (object) + 1+1 (field "s") + 2+len (string) + 61 (system fields).
    const base = 2 + 2 + 2 + 38 + 23;
    expect(write({ s: "x".repeat(LIMITS.maxDocumentSize - base) })).not.toThrow();
    const e = errorOf(write({ s: "x".repeat(LIMITS.maxDocumentSize - base + 1) }));
    expect(e.code).toBe("ValueTooLargeError");
    expect(e.message).toBe("Value is too large (1.00 MiB > maximum size 1 MiB)");
    const big = errorOf(write({ s: "x".repeat(3 * 1024 * 1024) }));
    expect(big.message).toBe("Value is too large (3.00 MiB > maximum size 1 MiB)");
  });

  test("nesting > 16", () => {
    // The document object itself is one level.
    expect(write({ a: nested(15) })).not.toThrow();
    const e = errorOf(write({ a: nested(16) }));
    expect(e.code).toBe("InvalidDocumentError");
    expect(e.message).toMatch(/^Document\(value: \{a: \[+\]+\}\) isn't a valid document: /);
    expect(e.message).toMatch(
      /Document is too nested \(nested 17 levels deep > maximum nesting 16\)$/,
    );
    const deep = errorOf(write({ a: nested(200) }));
    expect(deep.code).toBe("TooNestedError");
    expect(deep.message).toBe("Value is too nested (nested 65 levels deep > maximum nesting 64)");
  });

  test("array > 8192 elements", () => {
    expect(write({ a: new Array<Value>(8192).fill(0) })).not.toThrow();
    const e = errorOf(write({ a: new Array<Value>(8193).fill(0) }));
    expect(e.code).toBe("ArrayTooLong");
    expect(e.message).toBe("Array length is too long (8193 > maximum length 8192)");
  });

  test("object > 1024 fields (top level and nested)", () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
    expect(write(fields(1024))).not.toThrow();
    expect(write({ _id: "x", _creationTime: 1, ...fields(1024) })).not.toThrow();
    expect(errorOf(write(fields(1025))).message).toBe(
      "Object has too many fields (1025 > maximum number 1024)",
    );
    const nestedError = errorOf(write({ o: fields(1025) }));
    expect(nestedError.code).toBe("TooManyFieldsError");
  });

  test("top-level field names must be identifiers", () => {
    expect(errorOf(write({ "my-field": 1 })).message).toBe(
      `Invalid top-level field name in table "t": Identifier my-field has invalid character '-': ` +
        "Identifiers can only contain alphanumeric characters or underscores",
    );
    expect(errorOf(write({ "1abc": 1 })).message).toBe(
      `Invalid top-level field name in table "t": Invalid first character '1' in 1abc: ` +
        "Identifiers must start with an alphabetic character or underscore",
    );
    expect(errorOf(write({ ["a".repeat(65)]: 1 })).message).toMatch(/Identifier is too long \(65 > maximum 64\)$/);
    expect(write({ ["a".repeat(64)]: 1 })).not.toThrow();
    expect(errorOf(write({ __: 1 })).message).toMatch(/Identifier __ cannot have exclusively underscores$/);
  });

  test("top-level fields may not start with _ (other than system fields)", () => {
    const e = errorOf(write({ _secret: 1, ok: 2 }));
    expect(e.code).toBe("InvalidDocumentError");
    expect(e.message).toBe(
      "Document(value: {_secret: 1.0, ok: 2.0}) isn't a valid document: " +
        "Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'",
    );
  });

  test("nested keys: no $ prefix, printable ASCII only, at most 1024 chars", () => {
    expect(errorOf(write({ o: { $x: 1 } })).message).toBe("Field name $x starts with '$', which is reserved.");
    expect(errorOf(write({ o: { "é": 1 } })).message).toBe(
      "Field name é has invalid character 'é': Field names can only contain non-control ASCII characters",
    );
    expect(errorOf(write({ o: { "a\nb": 1 } })).message).toBe(
      "Field name a\nb has invalid character '\\n': Field names can only contain non-control ASCII characters",
    );
    expect(write({ o: { ["k".repeat(1024)]: 1 } })).not.toThrow();
    expect(errorOf(write({ o: { ["k".repeat(1025)]: 1 } })).message).toBe(
      "Field name is too long (1025 > maximum 1024)",
    );
    // Keys inside arrays of objects are checked too.
    expect(errorOf(write({ list: [{ $bad: 1 }] })).code).toBe("InvalidFieldName");
    // The `$` rule wins over the identifier rule at the top level, as in Rust.
    expect(errorOf(write({ $top: 1 })).message).toBe("Field name $top starts with '$', which is reserved.");
  });

  test("strings must be valid Unicode", () => {
    expect(write({ s: "ok \ud83d\ude00" })).not.toThrow();
    const e = errorOf(write({ s: "bad \ud800" }));
    expect(e.code).toBe("InvalidString");
    expect(e.message).toBe(
      'String "bad \\u{d800}" is not valid Unicode: strings cannot contain unpaired surrogates',
    );
    expect(errorOf(write({ a: ["\udc00"] })).code).toBe("InvalidString");
  });

  test("non-Convex values", () => {
    expect(errorOf(write({ a: [undefined as unknown as Value] })).message).toBe(
      "undefined is not a valid Convex value",
    );
    expect(errorOf(write({ d: new Date() as unknown as Value })).message).toBe(
      "Date is not a supported Convex type",
    );
    expect(errorOf(write({ n: 2n ** 64n })).message).toMatch(/does not fit into a 64-bit signed integer/);
    expect(errorOf(() => checkDocumentForWrite("t", [] as unknown as Record<string, Value>)).message).toBe(
      "Documents must be objects",
    );
  });
});

describe("helpers", () => {
  test("fieldNameError / identifierError", () => {
    expect(fieldNameError("")).toBeNull();
    expect(fieldNameError("a b-c")).toBeNull();
    expect(identifierError("")).toBe("Identifier cannot be empty");
    expect(identifierError("_ok1")).toBeNull();
    expect(identifierError("Ab_9")).toBeNull();
  });

  test("checkValueForTransport allows 64 levels but not 65", () => {
    expect(checkValueForTransport(nested(64))).toBe(64);
    expect(() => checkValueForTransport(nested(65))).toThrow(/too nested/);
  });
});
