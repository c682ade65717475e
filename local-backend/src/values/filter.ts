/**
 * Evaluation of `.filter(q => …)` expressions in their wire format
 * (src/server/impl/filter_builder_impl.ts in the `convex` package), with the
 * semantics of `Expression::eval` in crates/common/src/query.rs:
 *
 * - a missing field, or a path through a non-object, evaluates to undefined;
 * - comparisons use the total order over all values (undefined < null <
 *   int64 < float64 < boolean < string < bytes < array < object);
 * - arithmetic needs two int64s or two float64s; int64 overflow and integer
 *   division/modulo by zero are errors;
 * - `$and`/`$or` short-circuit and, like `$not`, require booleans.
 *
 * Errors are `ConvexBadRequestError` with code `EvalError` and Rust's text.
 */
import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import { compareConvexValues } from "./compare.js";
import { displayValue, typeName } from "./display.js";
import { ConvexBadRequestError } from "./errors.js";
import { fieldNameError, identifierError } from "./limits.js";

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

type CompareOp = "$eq" | "$neq" | "$lt" | "$lte" | "$gt" | "$gte";
type ArithOp = "$add" | "$sub" | "$mul" | "$div" | "$mod";

/** Parsed form of a filter expression node. */
export type FilterNode =
  | { op: CompareOp; left: FilterNode; right: FilterNode }
  | { op: ArithOp; left: FilterNode; right: FilterNode }
  | { op: "$neg" | "$not"; arg: FilterNode }
  | { op: "$and" | "$or"; args: FilterNode[] }
  | { op: "$field"; path: string[] }
  | { op: "$literal"; value: Value | undefined };

const COMPARE_OPS = new Set<string>(["$eq", "$neq", "$lt", "$lte", "$gt", "$gte"]);
const ARITH_OPS = new Set<string>(["$add", "$sub", "$mul", "$div", "$mod"]);

const ARITH_NAMES: Record<ArithOp, string> = {
  $add: "add",
  $sub: "subtract",
  $mul: "multiply",
  $div: "divide",
  $mod: "mod",
};

/** A parsed filter expression; parse once and evaluate against many documents. */
export class FilterExpression {
  /** @internal */
  constructor(readonly root: FilterNode) {}
}

function invalid(message: string): never {
  throw new ConvexBadRequestError("InvalidFilterExpression", `Invalid filter expression: ${message}`);
}

function parseFieldPath(path: unknown): string[] {
  if (typeof path !== "string") invalid(`$field must be a string, got ${JSON.stringify(path)}`);
  // Same rules as Rust `FieldPath::from_str`: outer dots are ignored and each
  // segment must be an identifier.
  const trimmed = path.replace(/^\.+|\.+$/g, "");
  if (trimmed === "") invalid(`Empty path ${path}`);
  const segments = trimmed.split(".");
  for (const segment of segments) {
    const error = fieldNameError(segment) ?? identifierError(segment);
    if (error !== null) invalid(error);
  }
  return segments;
}

function isUndefinedMarker(json: unknown): boolean {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const keys = Object.keys(json);
  return keys.length === 1 && keys[0] === "$undefined" && (json as Record<string, unknown>).$undefined === null;
}

function parseNode(json: unknown): FilterNode {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    invalid(`expected an object, got ${JSON.stringify(json)}`);
  }
  const keys = Object.keys(json);
  if (keys.length !== 1) invalid(`expected exactly one operator, got ${JSON.stringify(keys)}`);
  const op = keys[0]!;
  const arg = (json as Record<string, unknown>)[op];
  if (COMPARE_OPS.has(op) || ARITH_OPS.has(op)) {
    if (!Array.isArray(arg) || arg.length !== 2) invalid(`${op} expects two operands`);
    return { op: op as CompareOp | ArithOp, left: parseNode(arg[0]), right: parseNode(arg[1]) };
  }
  switch (op) {
    case "$neg":
    case "$not":
      return { op, arg: parseNode(arg) };
    case "$and":
    case "$or":
      if (!Array.isArray(arg)) invalid(`${op} expects an array`);
      return { op, args: arg.map(parseNode) };
    case "$field":
      return { op, path: parseFieldPath(arg) };
    case "$literal":
      return {
        op,
        value: isUndefinedMarker(arg) ? undefined : jsonToConvex(arg as JSONValue),
      };
    default:
      return invalid(`unknown operator ${op}`);
  }
}

// Query operators arrive as parsed JSON objects that are reused for every
// document in a scan, so parse each one once.
const parseCache = new WeakMap<object, FilterExpression>();

/**
 * Parses a wire-format filter expression.
 *
 * Throws `ConvexBadRequestError` (code `InvalidFilterExpression`) for
 * malformed input: unknown operators, wrong arity, invalid field paths, or
 * literals that are not valid Convex JSON.
 */
export function parseFilterExpression(json: unknown): FilterExpression {
  if (json instanceof FilterExpression) return json;
  if (typeof json === "object" && json !== null) {
    const cached = parseCache.get(json);
    if (cached !== undefined) return cached;
    const parsed = new FilterExpression(parseNode(json));
    parseCache.set(json, parsed);
    return parsed;
  }
  return new FilterExpression(parseNode(json));
}

function evalError(message: string): never {
  throw new ConvexBadRequestError("EvalError", message);
}

function getPath(doc: Record<string, Value | undefined>, path: string[]): Value | undefined {
  let current: Value | undefined = doc;
  for (const segment of path) {
    if (
      typeof current !== "object" ||
      current === null ||
      Array.isArray(current) ||
      current instanceof ArrayBuffer
    ) {
      return undefined;
    }
    const obj = current as Record<string, Value | undefined>;
    if (!Object.prototype.hasOwnProperty.call(obj, segment)) return undefined;
    current = obj[segment];
  }
  return current;
}

function intoBoolean(value: Value | undefined): boolean {
  if (typeof value === "boolean") return value;
  return evalError(`Cannot use value ${displayValue(value)} (type ${typeName(value)}) as a Boolean`);
}

function arithmetic(op: ArithOp, l: Value | undefined, r: Value | undefined): Value {
  const name = ARITH_NAMES[op];
  if (typeof l === "bigint" && typeof r === "bigint") {
    let result: bigint;
    switch (op) {
      case "$add":
        result = l + r;
        break;
      case "$sub":
        result = l - r;
        break;
      case "$mul":
        result = l * r;
        break;
      case "$div":
      case "$mod":
        if (r === 0n) evalError(`Cannot ${name} ${l} by zero`);
        // Truncating division and a dividend-signed remainder match Rust;
        // Rust's checked ops also reject MIN / -1 and MIN % -1.
        if (l === MIN_INT64 && r === -1n) {
          evalError(`Cannot ${name} ${l} and ${r}: the result is out of range for Int64`);
        }
        result = op === "$div" ? l / r : l % r;
        break;
    }
    if (result < MIN_INT64 || result > MAX_INT64) {
      evalError(`Cannot ${name} ${l} and ${r}: the result is out of range for Int64`);
    }
    return result;
  }
  if (typeof l === "number" && typeof r === "number") {
    switch (op) {
      case "$add":
        return l + r;
      case "$sub":
        return l - r;
      case "$mul":
        return l * r;
      case "$div":
        return l / r;
      case "$mod":
        // JS `%` on numbers is C fmod, the same as Rust's f64 `%`.
        return l % r;
    }
  }
  return evalError(
    `Cannot ${name} ${displayValue(l)} (type ${typeName(l)}) and ${displayValue(r)} (type ${typeName(r)})`,
  );
}

function evaluate(node: FilterNode, doc: Record<string, Value | undefined>): Value | undefined {
  switch (node.op) {
    case "$field":
      return getPath(doc, node.path);
    case "$literal":
      return node.value;
    case "$eq":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) === 0;
    case "$neq":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) !== 0;
    case "$lt":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) < 0;
    case "$lte":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) <= 0;
    case "$gt":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) > 0;
    case "$gte":
      return compareConvexValues(evaluate(node.left, doc), evaluate(node.right, doc)) >= 0;
    case "$add":
    case "$sub":
    case "$mul":
    case "$div":
    case "$mod":
      return arithmetic(node.op, evaluate(node.left, doc), evaluate(node.right, doc));
    case "$neg": {
      const x = evaluate(node.arg, doc);
      if (typeof x === "bigint") {
        if (x === MIN_INT64) evalError(`Cannot negate ${x}: the result is out of range for Int64`);
        return -x;
      }
      if (typeof x === "number") return -x;
      return evalError(`Cannot negate ${displayValue(x)} (type ${typeName(x)})`);
    }
    case "$and":
      for (const arg of node.args) {
        if (!intoBoolean(evaluate(arg, doc))) return false;
      }
      return true;
    case "$or":
      for (const arg of node.args) {
        if (intoBoolean(evaluate(arg, doc))) return true;
      }
      return false;
    case "$not":
      return !intoBoolean(evaluate(node.arg, doc));
  }
}

/**
 * Evaluates a filter expression (wire JSON or a parsed `FilterExpression`)
 * against a document and returns the resulting value (`undefined` for a
 * missing field).
 *
 * Throws `ConvexBadRequestError` with code `EvalError` for type errors,
 * int64 overflow and integer division by zero, and with code
 * `InvalidFilterExpression` for malformed expressions.
 */
export function evaluateExpression(
  expression: unknown,
  doc: Record<string, Value | undefined>,
): Value | undefined {
  return evaluate(parseFilterExpression(expression).root, doc);
}

/**
 * Evaluates a filter expression against a document and returns whether the
 * document passes.
 *
 * Throws like {@link evaluateExpression}, and also (`EvalError`, "Cannot use
 * value … as a Boolean") when the expression's result is not a boolean.
 */
export function evaluateFilter(
  expression: unknown,
  doc: Record<string, Value | undefined>,
): boolean {
  return intoBoolean(evaluate(parseFilterExpression(expression).root, doc));
}
