import { describe, expect, test } from "vitest";
import { CommitTsPlaceholder, v, type Validator, type ValidatorJSON, type Value } from "convex/values";
import { queryGeneric } from "convex/server";
import { encodeDocumentId } from "../../src/values/ids.js";
import {
  formatArgumentValidationError,
  formatReturnValidationError,
  formatSchemaValidationError,
  validateArgs,
  validateDocumentAgainstSchema,
  validateReturns,
  validateValue,
  type ValidateOptions,
} from "../../src/values/validate.js";

// Validator JSON exactly as `exportArgs()` would serialize it (`.json` is
// marked internal in convex's typings, hence the cast).
function json(validator: Validator<unknown, "required" | "optional", string>): ValidatorJSON {
  return JSON.parse(JSON.stringify((validator as unknown as { json: ValidatorJSON }).json)) as ValidatorJSON;
}

const TABLES: Record<string, number> = {
  users: 10001,
  messages: 10002,
  _storage: 540,
  _scheduled_functions: 541,
};
const NAMES = new Map(Object.entries(TABLES).map(([k, n]) => [n, k]));

const withReverse: ValidateOptions = {
  tableNumberFor: (name) => TABLES[name],
  tableNameFor: (n) => NAMES.get(n),
};
const forwardOnly: ValidateOptions = { tableNumberFor: (name) => TABLES[name] };

function idFor(table: string, seed = 1): string {
  const bytes = new Uint8Array(16).map((_, i) => (i * 7 + seed) & 0xff);
  return encodeDocumentId(TABLES[table] ?? 99999, bytes);
}

const check = (validator: ValidatorJSON, value: Value | undefined, options = withReverse) =>
  validateValue(validator, value, options);

describe("validateValue: scalar validators", () => {
  test("null", () => {
    expect(check(json(v.null()), null)).toBeNull();
    expect(check(json(v.null()), 0)).toBe(
      "Value does not match validator.\n\nValue: 0.0\nValidator: v.null()",
    );
  });

  test("number accepts every float, including NaN, -0 and infinities", () => {
    for (const x of [0, -0, 1.5, NaN, Infinity, -Infinity]) expect(check(json(v.number()), x)).toBeNull();
    expect(check(json(v.number()), 1n)).toBe(
      "Value does not match validator.\n\nValue: 1\nValidator: v.float64()",
    );
  });

  test("bigint / int64", () => {
    expect(check(json(v.int64()), 5n)).toBeNull();
    expect(check(json(v.int64()), -(2n ** 63n))).toBeNull();
    expect(check(json(v.int64()), 2n ** 63n)).toMatch(/^Value does not match validator/);
    expect(check(json(v.int64()), 5)).toBe(
      "Value does not match validator.\n\nValue: 5.0\nValidator: v.int64()",
    );
  });

  test("commitTs accepts int64 and the pending placeholder", () => {
    const commitTs = { type: "commitTs" } as ValidatorJSON;
    expect(check(commitTs, 5n)).toBeNull();
    expect(check(commitTs, new CommitTsPlaceholder())).toBeNull();
    expect(check(commitTs, "x")).toBe(
      'Value does not match validator.\n\nValue: "x"\nValidator: v.commitTs()',
    );
  });

  test("boolean, string, bytes, any", () => {
    expect(check(json(v.boolean()), false)).toBeNull();
    expect(check(json(v.boolean()), "true")).toBe(
      'Value does not match validator.\n\nValue: "true"\nValidator: v.boolean()',
    );
    expect(check(json(v.string()), "")).toBeNull();
    expect(check(json(v.string()), null)).toBe(
      "Value does not match validator.\n\nValue: null\nValidator: v.string()",
    );
    expect(check(json(v.bytes()), new Uint8Array([1, 2, 3]).buffer)).toBeNull();
    expect(check(json(v.bytes()), [1, 2])).toBe(
      "Value does not match validator.\n\nValue: [1.0, 2.0]\nValidator: v.bytes()",
    );
    expect(check(json(v.string()), new Uint8Array([1, 2, 3]).buffer)).toBe(
      'Value does not match validator.\n\nValue: b"AQID"\nValidator: v.string()',
    );
    for (const x of [null, 1, 1n, "s", [], {}, new ArrayBuffer(1)]) expect(check(json(v.any()), x)).toBeNull();
  });

  test("undefined is only acceptable as a missing optional field", () => {
    expect(check(json(v.any()), undefined)).toBe(
      "Value does not match validator.\n\nValue: undefined\nValidator: v.any()",
    );
  });

  test("strings are shown with Rust debug escaping", () => {
    expect(check(json(v.number()), 'a"b\n\u0001é')).toBe(
      'Value does not match validator.\n\nValue: "a\\"b\\n\\u{1}é"\nValidator: v.float64()',
    );
  });
});

describe("validateValue: literal", () => {
  test("string, number and boolean literals", () => {
    expect(check(json(v.literal("a")), "a")).toBeNull();
    expect(check(json(v.literal("a")), "b")).toBe(
      '`"b"` does not match literal validator `v.literal("a")`.',
    );
    expect(check(json(v.literal(1)), 1)).toBeNull();
    expect(check(json(v.literal(1)), 1n)).toBe(
      "`1` does not match literal validator `v.literal(1.0)`.",
    );
    expect(check(json(v.literal(true)), true)).toBeNull();
    expect(check(json(v.literal(true)), false)).toBe(
      "`false` does not match literal validator `v.literal(true)`.",
    );
  });

  test("bigint literals (encoded with $integer) work", () => {
    const lit = json(v.literal(5n));
    expect(lit).toEqual({ type: "literal", value: { $integer: "BQAAAAAAAAA=" } });
    expect(check(lit, 5n)).toBeNull();
    expect(check(lit, 6n)).toBe("`6` does not match literal validator `v.literal(<bigint>)`.");
    expect(check(lit, 5)).toBe("`5.0` does not match literal validator `v.literal(<bigint>)`.");
  });

  test("literal mismatch inside an object reports the path", () => {
    const validator = json(v.object({ kind: v.union(v.literal("a")) }));
    expect(check(validator, { kind: "b" })).toBe(
      '`"b"` does not match literal validator `v.literal("a")`.Path: .kind',
    );
  });
});

describe("validateValue: id", () => {
  test("accepts ids of the named table", () => {
    expect(check(json(v.id("users")), idFor("users"))).toBeNull();
    expect(check(json(v.id("_storage")), idFor("_storage"))).toBeNull();
    expect(check(json(v.id("_scheduled_functions")), idFor("_scheduled_functions"))).toBeNull();
  });

  test("wrong user table", () => {
    const id = idFor("messages");
    expect(check(json(v.id("users")), id)).toBe(
      `Found ID "${id}" from table \`messages\`, which does not match the table name in validator \`v.id("users")\`.`,
    );
    expect(check(json(v.object({ author: v.id("users") })), { author: id })).toBe(
      `Found ID "${id}" from table \`messages\`, which does not match the table name in validator \`v.id("users")\`.Path: .author`,
    );
  });

  test("id from a system table", () => {
    const id = idFor("_storage");
    expect(check(json(v.id("users")), id)).toBe(
      `Found ID "${id}" from a system table, which does not match the table name in validator \`v.id("users")\`.`,
    );
  });

  test("invalid ids, unknown tables and no reverse lookup give a plain mismatch", () => {
    expect(check(json(v.id("users")), "not-an-id")).toBe(
      'Value does not match validator.\n\nValue: "not-an-id"\nValidator: v.id("users")',
    );
    const unknownTable = idFor("nope");
    expect(check(json(v.id("users")), unknownTable)).toMatch(/^Value does not match validator/);
    expect(check(json(v.id("users")), idFor("messages"), forwardOnly)).toMatch(
      /^Value does not match validator/,
    );
    expect(check(json(v.id("users")), idFor("users"), forwardOnly)).toBeNull();
    // A corrupted id (bad checksum) is not an id.
    const good = idFor("users");
    const bad = good.slice(0, -1) + (good.endsWith("0") ? "1" : "0");
    expect(check(json(v.id("users")), bad)).toMatch(/^Value does not match validator/);
    expect(check(json(v.id("users")), 5)).toMatch(/^Value does not match validator/);
  });
});

describe("validateValue: array, object, record, union", () => {
  test("array elements with index paths", () => {
    expect(check(json(v.array(v.number())), [1, 2])).toBeNull();
    expect(check(json(v.array(v.number())), [1, "x"])).toBe(
      'Value does not match validator.\nPath: [1]\nValue: "x"\nValidator: v.float64()',
    );
    expect(check(json(v.array(v.number())), { 0: 1 })).toMatch(/Validator: v.array\(v.float64\(\)\)$/);
  });

  test("missing required field", () => {
    const validator = json(v.object({ x: v.number(), y: v.optional(v.string()) }));
    expect(check(validator, { x: 1 })).toBeNull();
    expect(check(validator, { x: 1, y: undefined })).toBeNull();
    expect(check(validator, {})).toBe(
      "Object is missing the required field `x`. Consider wrapping the field validator in " +
        "`v.optional(...)` if this is expected.\n\nObject: {}\n" +
        "Validator: v.object({x: v.float64(), y: v.optional(v.string())})",
    );
  });

  test("extra field", () => {
    const validator = json(v.object({ x: v.number() }));
    expect(check(validator, { x: 1, y: "a", z: undefined })).toBe(
      "Object contains extra field `y` that is not in the validator.\n\n" +
        'Object: {x: 1.0, y: "a"}\nValidator: v.object({x: v.float64()})',
    );
  });

  test("nested paths combine object fields and array indexes", () => {
    const validator = json(
      v.object({ a: v.array(v.object({ b: v.number() })), c: v.optional(v.object({ d: v.boolean() })) }),
    );
    expect(check(validator, { a: [{ b: 1 }, { b: "x" }] })).toBe(
      'Value does not match validator.\nPath: .a[1].b\nValue: "x"\nValidator: v.float64()',
    );
    expect(check(validator, { a: [], c: {} })).toBe(
      "Object is missing the required field `d`. Consider wrapping the field validator in " +
        "`v.optional(...)` if this is expected.\nPath: .c\nObject: {}\nValidator: v.object({d: v.boolean()})",
    );
  });

  test("fields are checked in sorted order", () => {
    const validator = json(v.object({ b: v.number(), a: v.number() }));
    expect(check(validator, {})).toMatch(/^Object is missing the required field `a`/);
  });

  test("record validates keys and values", () => {
    const validator = json(v.record(v.id("users"), v.number()));
    expect(check(validator, { [idFor("users", 1)]: 1, [idFor("users", 2)]: 2 })).toBeNull();
    expect(check(validator, {})).toBeNull();
    expect(check(validator, { abc: 1 })).toBe(
      'Value does not match validator.\nPath: .keys()\nValue: "abc"\nValidator: v.id("users")',
    );
    expect(check(validator, { [idFor("users")]: "one" })).toBe(
      'Value does not match validator.\nPath: .values()\nValue: "one"\nValidator: v.float64()',
    );
    expect(check(validator, [1])).toBe(
      'Value does not match validator.\n\nValue: [1.0]\nValidator: v.record(v.id("users"), v.float64())',
    );
    const nested = json(v.object({ scores: v.record(v.string(), v.array(v.int64())) }));
    expect(check(nested, { scores: { a: [1n], b: [2n, 3] } })).toBe(
      "Value does not match validator.\nPath: .scores.values()[1]\nValue: 3.0\nValidator: v.int64()",
    );
  });

  test("union", () => {
    const validator = json(v.union(v.string(), v.null()));
    expect(check(validator, "a")).toBeNull();
    expect(check(validator, null)).toBeNull();
    expect(check(validator, 1)).toBe(
      "Value does not match validator.\n\nValue: 1.0\nValidator: v.union(v.string(), v.null())",
    );
    // Object unions (typical for tables) do not surface member errors.
    const objects = json(v.union(v.object({ kind: v.literal("a"), x: v.number() }), v.object({ kind: v.literal("b") })));
    expect(check(objects, { kind: "b" })).toBeNull();
    expect(check(objects, { kind: "a" })).toBe(
      'Value does not match validator.\n\nValue: {kind: "a"}\nValidator: v.union(' +
        'v.object({kind: v.literal("a"), x: v.float64()}), v.object({kind: v.literal("b")}))',
    );
    expect(check({ type: "union", value: [] }, null)).toMatch(/^Value does not match validator/);
  });

  test("unknown validator types throw", () => {
    expect(() => check({ type: "nope" } as unknown as ValidatorJSON, 1)).toThrow(/Unknown validator type/);
  });
});

describe("argument, return and schema helpers", () => {
  const args = json(v.object({ n: v.number() }));

  test("validateArgs", () => {
    expect(validateArgs(args, [{ n: 1 }], withReverse)).toBeNull();
    expect(validateArgs(json(v.any()), [1, 2], withReverse)).toBeNull();
    expect(validateArgs(args, [], withReverse)).toBe(
      "Expected to receive a single object as the function's argument. Instead received 0 arguments: []",
    );
    expect(validateArgs(args, [5], withReverse)).toBe(
      "Expected to receive an object as the function's argument. Instead received: 5.0",
    );
    expect(validateArgs(args, [{ n: "1" }], withReverse)).toBe(
      'Value does not match validator.\nPath: .n\nValue: "1"\nValidator: v.float64()',
    );
    expect(() => validateArgs(json(v.string()), ["x"], withReverse)).toThrow(/object or any/);
  });

  test("validateReturns", () => {
    expect(validateReturns(null, "anything", withReverse)).toBeNull();
    expect(validateReturns(json(v.null()), null, withReverse)).toBeNull();
    expect(validateReturns(json(v.null()), 1, withReverse)).toMatch(/^Value does not match validator/);
  });

  test("error prefixes", () => {
    expect(formatArgumentValidationError("messages:send", "boom")).toBe("ArgumentValidationError: boom");
    expect(formatReturnValidationError("messages:list", "boom")).toBe("ReturnsValidationError: boom");
    expect(formatSchemaValidationError("users", "boom")).toBe(
      'Failed to insert or update a document in table "users" because it does not match the schema: boom',
    );
  });

  test("validateDocumentAgainstSchema ignores system fields", () => {
    const documentType = json(v.object({ name: v.string() }));
    expect(
      validateDocumentAgainstSchema("users", documentType, { _id: idFor("users"), _creationTime: 1, name: "a" }, withReverse),
    ).toBeNull();
    expect(validateDocumentAgainstSchema("users", documentType, { name: "a", extra: 1 }, withReverse)).toBe(
      'Failed to insert or update a document in table "users" because it does not match the schema: ' +
        "Object contains extra field `extra` that is not in the validator.\n\n" +
        'Object: {extra: 1.0, name: "a"}\nValidator: v.object({name: v.string()})',
    );
  });
});

// `exportArgs`/`exportReturns` exist at runtime but are not in the public typings.
type Exported = { exportArgs(): string; exportReturns(): string | null };

describe("real exportArgs() / exportReturns() output", () => {
  test("validators exported by a registered query", () => {
    const query = queryGeneric({
      args: { id: v.id("users"), tags: v.optional(v.array(v.string())), limit: v.literal(10n) },
      returns: v.union(v.null(), v.object({ name: v.string() })),
      handler: async () => null,
    }) as unknown as Exported;
    const argsJson = JSON.parse(query.exportArgs()) as ValidatorJSON;
    const returnsJson = JSON.parse(query.exportReturns()!) as ValidatorJSON;
    expect(validateArgs(argsJson, [{ id: idFor("users"), limit: 10n }], withReverse)).toBeNull();
    expect(validateArgs(argsJson, [{ id: idFor("users"), limit: 10n, tags: [1] }], withReverse)).toBe(
      "Value does not match validator.\nPath: .tags[0]\nValue: 1.0\nValidator: v.string()",
    );
    expect(validateReturns(returnsJson, { name: "a" }, withReverse)).toBeNull();
    expect(validateReturns(returnsJson, { name: 1 }, withReverse)).toBe(
      "Value does not match validator.\n\nValue: {name: 1.0}\nValidator: v.union(v.null(), v.object({name: v.string()}))",
    );
    const noArgs = queryGeneric({ handler: async () => null }) as unknown as Exported;
    expect(validateArgs(JSON.parse(noArgs.exportArgs()) as ValidatorJSON, [{ any: 1 }], withReverse)).toBeNull();
  });
});
