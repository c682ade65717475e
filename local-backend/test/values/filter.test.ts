import { describe, expect, test } from "vitest";
import { convexToJson, type Value } from "convex/values";
import { ConvexBadRequestError } from "../../src/values/errors.js";
import {
  evaluateExpression,
  evaluateFilter,
  parseFilterExpression,
} from "../../src/values/filter.js";

// Wire-format builders mirroring convex's filter_builder_impl.ts output.
const field = (path: string) => ({ $field: path });
const lit = (value: Value | undefined) => ({
  $literal: value === undefined ? { $undefined: null } : convexToJson(value),
});
const op = (name: string, l: unknown, r: unknown) => ({ [name]: [l, r] });

const doc: Record<string, Value | undefined> = {
  n: 5,
  i: 7n,
  s: "hello",
  nil: null,
  flag: true,
  a: { b: { c: 1 } },
  arr: [1, 2],
};

function evalError(expression: unknown): ConvexBadRequestError {
  try {
    evaluateExpression(expression, doc);
  } catch (e) {
    expect(e).toBeInstanceOf(ConvexBadRequestError);
    return e as ConvexBadRequestError;
  }
  throw new Error("expected an error");
}

describe("field and literal", () => {
  test("field paths", () => {
    expect(evaluateExpression(field("n"), doc)).toBe(5);
    expect(evaluateExpression(field("a.b.c"), doc)).toBe(1);
    expect(evaluateExpression(field("a.b"), doc)).toEqual({ c: 1 });
    expect(evaluateExpression(field(".a.b.c."), doc)).toBe(1);
  });

  test("missing fields and paths through non-objects are undefined", () => {
    expect(evaluateExpression(field("missing"), doc)).toBeUndefined();
    expect(evaluateExpression(field("a.x.c"), doc)).toBeUndefined();
    expect(evaluateExpression(field("s.length"), doc)).toBeUndefined();
    expect(evaluateExpression(field("arr.x"), doc)).toBeUndefined();
    // Path segments must be identifiers, so array indexes are not paths.
    expect(() => evaluateExpression(field("arr.0"), doc)).toThrow(/Invalid first character '0'/);
    expect(evaluateExpression(field("nil.x"), doc)).toBeUndefined();
    expect(evaluateExpression(field("toString"), doc)).toBeUndefined();
  });

  test("literals decode convex JSON, $undefined is undefined", () => {
    expect(evaluateExpression(lit(3n), doc)).toBe(3n);
    expect(evaluateExpression(lit(-0), doc)).toBe(-0);
    expect(evaluateExpression(lit(undefined), doc)).toBeUndefined();
    expect(evaluateExpression(lit({ x: [1] }), doc)).toEqual({ x: [1] });
  });
});

describe("comparisons use the total order", () => {
  test("same-type comparisons", () => {
    expect(evaluateFilter(op("$eq", field("n"), lit(5)), doc)).toBe(true);
    expect(evaluateFilter(op("$neq", field("n"), lit(5)), doc)).toBe(false);
    expect(evaluateFilter(op("$lt", field("n"), lit(6)), doc)).toBe(true);
    expect(evaluateFilter(op("$lte", field("n"), lit(5)), doc)).toBe(true);
    expect(evaluateFilter(op("$gt", field("s"), lit("hell")), doc)).toBe(true);
    expect(evaluateFilter(op("$gte", field("i"), lit(8n)), doc)).toBe(false);
    expect(evaluateFilter(op("$eq", field("a"), lit({ b: { c: 1 } })), doc)).toBe(true);
  });

  test("cross-type comparisons (convex-test gets these wrong)", () => {
    expect(evaluateFilter(op("$lt", field("nil"), lit(5)), doc)).toBe(true); // null < 5
    expect(evaluateFilter(op("$lt", field("s"), lit(5)), doc)).toBe(false); // "a" > number
    expect(evaluateFilter(op("$gt", field("s"), lit(5)), doc)).toBe(true);
    expect(evaluateFilter(op("$lt", field("i"), lit(0)), doc)).toBe(true); // int64 < float64
    expect(evaluateFilter(op("$eq", field("i"), lit(7)), doc)).toBe(false); // 7n != 7
    expect(evaluateFilter(op("$lt", lit(true), lit("")), doc)).toBe(true);
  });

  test("undefined (missing) is the smallest value", () => {
    expect(evaluateFilter(op("$eq", field("missing"), lit(undefined)), doc)).toBe(true);
    expect(evaluateFilter(op("$eq", field("nil"), lit(undefined)), doc)).toBe(false);
    expect(evaluateFilter(op("$lt", field("missing"), lit(null)), doc)).toBe(true);
    expect(evaluateFilter(op("$gt", field("n"), lit(undefined)), doc)).toBe(true);
  });

  test("floats: -0 < 0, NaN equals NaN and sorts above Infinity", () => {
    expect(evaluateFilter(op("$lt", lit(-0), lit(0)), doc)).toBe(true);
    expect(evaluateFilter(op("$eq", lit(NaN), lit(NaN)), doc)).toBe(true);
    expect(evaluateFilter(op("$gt", lit(NaN), lit(Infinity)), doc)).toBe(true);
  });

  test("strings compare by UTF-8", () => {
    expect(evaluateFilter(op("$lt", lit("\ue000"), lit("\ud83d\ude00")), doc)).toBe(true);
  });
});

describe("arithmetic", () => {
  test("float64 and int64 arithmetic", () => {
    expect(evaluateExpression(op("$add", field("n"), lit(1.5)), doc)).toBe(6.5);
    expect(evaluateExpression(op("$sub", field("i"), lit(10n)), doc)).toBe(-3n);
    expect(evaluateExpression(op("$mul", field("i"), lit(3n)), doc)).toBe(21n);
    expect(evaluateExpression(op("$div", field("i"), lit(2n)), doc)).toBe(3n);
    expect(evaluateExpression(op("$div", lit(-7n), lit(2n)), doc)).toBe(-3n);
    expect(evaluateExpression(op("$mod", lit(-7n), lit(2n)), doc)).toBe(-1n);
    expect(evaluateExpression(op("$mod", lit(-7.5), lit(2)), doc)).toBe(-1.5);
    expect(evaluateExpression(op("$div", lit(1), lit(0)), doc)).toBe(Infinity);
    expect(evaluateExpression(op("$div", lit(0), lit(0)), doc)).toBeNaN();
    expect(evaluateExpression({ $neg: field("n") }, doc)).toBe(-5);
    expect(evaluateExpression({ $neg: field("i") }, doc)).toBe(-7n);
  });

  test("mixed types are an EvalError with Rust's text", () => {
    const e = evalError(op("$add", field("n"), lit(1n)));
    expect(e.code).toBe("EvalError");
    expect(e.message).toBe("Cannot add 5.0 (type Float64) and 1 (type Int64)");
    expect(evalError(op("$sub", field("missing"), lit(1))).message).toBe(
      "Cannot subtract undefined (type undefined) and 1.0 (type Float64)",
    );
    expect(evalError(op("$mul", field("s"), lit(2))).message).toBe(
      'Cannot multiply "hello" (type String) and 2.0 (type Float64)',
    );
    expect(evalError({ $neg: field("s") }).message).toBe('Cannot negate "hello" (type String)');
  });

  test("int64 overflow and division by zero", () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    expect(evalError(op("$add", lit(max), lit(1n))).message).toBe(
      `Cannot add ${max} and 1: the result is out of range for Int64`,
    );
    expect(evalError(op("$mul", lit(max), lit(2n))).message).toBe(
      `Cannot multiply ${max} and 2: the result is out of range for Int64`,
    );
    expect(evalError(op("$div", field("i"), lit(0n))).message).toBe("Cannot divide 7 by zero");
    expect(evalError(op("$mod", field("i"), lit(0n))).message).toBe("Cannot mod 7 by zero");
    expect(evalError(op("$div", lit(min), lit(-1n))).message).toBe(
      `Cannot divide ${min} and -1: the result is out of range for Int64`,
    );
    expect(evalError(op("$mod", lit(min), lit(-1n))).message).toBe(
      `Cannot mod ${min} and -1: the result is out of range for Int64`,
    );
    expect(evalError({ $neg: lit(min) }).message).toBe(
      `Cannot negate ${min}: the result is out of range for Int64`,
    );
  });
});

describe("boolean operators", () => {
  test("and / or / not", () => {
    const t = op("$eq", lit(1), lit(1));
    const f = op("$eq", lit(1), lit(2));
    expect(evaluateFilter({ $and: [t, t] }, doc)).toBe(true);
    expect(evaluateFilter({ $and: [t, f] }, doc)).toBe(false);
    expect(evaluateFilter({ $and: [] }, doc)).toBe(true);
    expect(evaluateFilter({ $or: [f, t] }, doc)).toBe(true);
    expect(evaluateFilter({ $or: [] }, doc)).toBe(false);
    expect(evaluateFilter({ $not: f }, doc)).toBe(true);
    expect(evaluateFilter(field("flag"), doc)).toBe(true);
  });

  test("short-circuit: later operands are not evaluated", () => {
    const boom = op("$div", lit(1n), lit(0n));
    const f = op("$eq", lit(1), lit(2));
    const t = op("$eq", lit(1), lit(1));
    expect(evaluateFilter({ $and: [f, boom] }, doc)).toBe(false);
    expect(evaluateFilter({ $or: [t, boom] }, doc)).toBe(true);
    expect(() => evaluateFilter({ $and: [t, boom] }, doc)).toThrow("Cannot divide 1 by zero");
  });

  test("non-boolean operands and results are errors", () => {
    expect(evalError({ $and: [field("n")] }).message).toBe(
      "Cannot use value 5.0 (type Float64) as a Boolean",
    );
    expect(evalError({ $not: field("missing") }).message).toBe(
      "Cannot use value undefined (type undefined) as a Boolean",
    );
    expect(() => evaluateFilter(field("s"), doc)).toThrow(
      'Cannot use value "hello" (type String) as a Boolean',
    );
    expect(() => evaluateFilter(lit(null), doc)).toThrow("Cannot use value null (type Null) as a Boolean");
  });
});

describe("parsing", () => {
  test("the payload recorded from convex 1.48 evaluates", () => {
    const wire = JSON.parse(
      '{"$and":[{"$eq":[{"$field":"a.b"},{"$literal":{"$undefined":null}}]},{"$lt":[{"$field":"z"},{"$literal":5}]}]}',
    ) as unknown;
    expect(evaluateFilter(wire, { a: {}, z: 4 })).toBe(true);
    expect(evaluateFilter(wire, { a: { b: 1 }, z: 4 })).toBe(false);
    expect(evaluateFilter(wire, { z: 4 })).toBe(true);
    expect(evaluateFilter(wire, { z: "x" })).toBe(false);
    // Parsed once and reused.
    expect(parseFilterExpression(wire)).toBe(parseFilterExpression(wire));
    const parsed = parseFilterExpression(wire);
    expect(evaluateFilter(parsed, { a: {}, z: 4 })).toBe(true);
  });

  test("malformed expressions are rejected", () => {
    const bad: unknown[] = [
      null,
      5,
      {},
      { $eq: [lit(1)] },
      { $foo: [] },
      { $and: lit(1) },
      { $field: 5 },
      { $field: "" },
      { $field: "a.b-c" },
      { $field: "a.$b" },
      { $eq: [lit(1), lit(1)], $neq: [lit(1), lit(1)] },
      { $literal: { $integer: "nope" } },
    ];
    for (const expression of bad) {
      expect(() => evaluateExpression(expression, doc), JSON.stringify(expression)).toThrow();
    }
    expect(() => parseFilterExpression({ $foo: [] })).toThrow(
      "Invalid filter expression: unknown operator $foo",
    );
  });
});
