/**
 * Document and value limits, with the Rust backend's error texts.
 *
 * Sources: docs/production/state/limits.mdx; crates/common/src/document.rs
 * (MAX_USER_SIZE, MAX_DOCUMENT_NESTING, DocumentValidationError);
 * crates/value/src/{size,array,object}.rs; crates/convex/sync_types/src/
 * identifier.rs (field-name and identifier rules).
 */
import { CommitTsPlaceholder, getConvexSize, getDocumentSize, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { displayValue, formatBinarySize, formatRustChar, formatRustString } from "./display.js";
import { ConvexBadRequestError } from "./errors.js";

const MiB = 1 << 20;

/** Numeric limits of a Convex deployment (docs/production/state/limits.mdx). */
export const LIMITS = {
  /** Max document size in bytes (`MAX_USER_SIZE`). */
  maxDocumentSize: MiB,
  /** Max nesting depth of a document (`MAX_DOCUMENT_NESTING`); a flat object has depth 1. */
  maxNesting: 16,
  /** Max nesting depth of any value, e.g. function arguments (`MAX_NESTING`). */
  maxValueNesting: 64,
  /** Max elements in an array (`MAX_ARRAY_LEN`). */
  maxArrayLength: 8192,
  /** Max fields in an object (`MAX_OBJECT_FIELDS`). */
  maxFields: 1024,
  /** Max length of a top-level field name / identifier (`MAX_IDENTIFIER_LEN`). */
  maxIdentifierLength: 64,
  /** Max length of a nested object key (`MAX_FIELD_NAME_LENGTH`). */
  maxFieldNameLength: 1024,
  docsScannedPerTransaction: 32_000,
  indexRangesPerTransaction: 4096,
  docsWrittenPerTransaction: 16_000,
  bytesReadPerTransaction: 16 * MiB,
  bytesWrittenPerTransaction: 16 * MiB,
  maxFunctionArgsSize: 16 * MiB,
  maxFunctionReturnSize: 16 * MiB,
  maxLogLines: 256,
  maxLogLineBytes: 4096,
  maxScheduledPerMutation: 1000,
} as const;

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

type IsWellFormed = (this: string) => boolean;
const stringIsWellFormed: IsWellFormed | undefined = (
  String.prototype as unknown as { isWellFormed?: IsWellFormed }
).isWellFormed;

function hasLoneSurrogate(s: string): boolean {
  if (stringIsWellFormed !== undefined) return !stringIsWellFormed.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * Returns why `name` is not a valid object field name (starts with `$`, has
 * non-ASCII or control characters, or is longer than 1024), or null if it is
 * valid. Never throws.
 */
const PLAIN_FIELD_NAME = /^[\x20-\x7e]{0,1024}$/;

export function fieldNameError(name: string): string | null {
  // Fast path for the common case (every key of every argument and result is checked).
  if (PLAIN_FIELD_NAME.test(name) && !name.startsWith("$")) return null;
  if (name.startsWith("$")) return `Field name ${name} starts with '$', which is reserved.`;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7f || c < 0x20 || c === 0x7f) {
      return (
        `Field name ${name} has invalid character ${formatRustChar(ch)}: ` +
        `Field names can only contain non-control ASCII characters`
      );
    }
  }
  if (name.length > LIMITS.maxFieldNameLength) {
    return `Field name is too long (${name.length} > maximum ${LIMITS.maxFieldNameLength})`;
  }
  return null;
}

/**
 * Returns why `name` is not a valid identifier (letters, digits and `_`,
 * starting with a letter or `_`, not only underscores, at most 64 chars), or
 * null if it is valid. Used for top-level field names, table and index
 * names. Never throws.
 */
export function identifierError(name: string): string | null {
  if (name.length === 0) return "Identifier cannot be empty";
  const first = name[0]!;
  if (!/[A-Za-z_]/.test(first)) {
    const ch = String.fromCodePoint(name.codePointAt(0)!);
    return (
      `Invalid first character ${formatRustChar(ch)} in ${name}: ` +
      `Identifiers must start with an alphabetic character or underscore`
    );
  }
  for (const ch of name) {
    if (!/^[A-Za-z0-9_]$/.test(ch)) {
      return (
        `Identifier ${name} has invalid character ${formatRustChar(ch)}: ` +
        `Identifiers can only contain alphanumeric characters or underscores`
      );
    }
  }
  if (name.length > LIMITS.maxIdentifierLength) {
    return `Identifier is too long (${name.length} > maximum ${LIMITS.maxIdentifierLength})`;
  }
  if (/^_+$/.test(name)) return `Identifier ${name} cannot have exclusively underscores`;
  return null;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return (
    proto === null ||
    proto === Object.prototype ||
    (proto as { constructor?: { name?: string } }).constructor?.name === "Object"
  );
}

function previewString(s: string): string {
  return formatRustString(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

/** One-key objects that Convex's JSON encoding uses for scalars (bytes, int64, special floats). */
const ENCODED_SCALARS = new Set(["$bytes", "$integer", "$float", "$commitTs"]);

/**
 * Checks one value's structure and returns its nesting depth (0 for scalars,
 * 1 + max child depth for arrays and objects). `depth` is the depth of the
 * enclosing container, so recursion is bounded by `maxValueNesting`.
 * `encoded`: the value is in Convex's JSON encoding (`convexToJson`), so it can
 * be checked before it is decoded.
 */
function checkValue(value: Value | undefined, depth: number, encoded = false): number {
  switch (typeof value) {
    case "string":
      if (hasLoneSurrogate(value)) {
        throw new ConvexBadRequestError(
          "InvalidString",
          `String ${previewString(value)} is not valid Unicode: strings cannot contain unpaired surrogates`,
        );
      }
      return 0;
    case "number":
    case "boolean":
      return 0;
    case "bigint":
      if (value < MIN_INT64 || value > MAX_INT64) {
        throw new ConvexBadRequestError(
          "InvalidValue",
          `BigInt ${value} does not fit into a 64-bit signed integer.`,
        );
      }
      return 0;
    case "undefined":
      throw new ConvexBadRequestError("InvalidValue", "undefined is not a valid Convex value");
    case "object":
      break;
    default:
      throw new ConvexBadRequestError(
        "InvalidValue",
        `${typeof value} is not a supported Convex type`,
      );
  }
  if (value === null || value instanceof ArrayBuffer || value instanceof CommitTsPlaceholder) {
    return 0;
  }
  if (depth + 1 > LIMITS.maxValueNesting) {
    // Rust checks nesting bottom-up while parsing, so the first failure is
    // always reported at exactly one level over the limit.
    throw new ConvexBadRequestError(
      "TooNestedError",
      `Value is too nested (nested ${LIMITS.maxValueNesting + 1} levels deep > maximum nesting ${LIMITS.maxValueNesting})`,
    );
  }
  let maxChild = 0;
  if (Array.isArray(value)) {
    if (value.length > LIMITS.maxArrayLength) {
      throw new ConvexBadRequestError(
        "ArrayTooLong",
        `Array length is too long (${value.length} > maximum length ${LIMITS.maxArrayLength})`,
      );
    }
    for (let i = 0; i < value.length; i++) {
      const child = checkValue(value[i], depth + 1, encoded);
      if (child > maxChild) maxChild = child;
    }
    return 1 + maxChild;
  }
  if (!isPlainObject(value)) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new ConvexBadRequestError("InvalidValue", `${name} is not a supported Convex type`);
  }
  const obj = value as Record<string, Value | undefined>;
  const keys = Object.keys(obj);
  if (encoded && keys.length === 1 && ENCODED_SCALARS.has(keys[0]!)) return 0;
  let fieldCount = 0;
  for (const key of keys) {
    const fieldValue = obj[key];
    // Fields set to undefined are dropped on the wire, as in convexToJson.
    if (fieldValue === undefined) continue;
    fieldCount++;
    const nameError = fieldNameError(key);
    if (nameError !== null) throw new ConvexBadRequestError("InvalidFieldName", nameError);
    const child = checkValue(fieldValue, depth + 1, encoded);
    if (child > maxChild) maxChild = child;
  }
  checkFieldCount(fieldCount);
  return 1 + maxChild;
}

function checkFieldCount(count: number): void {
  if (count > LIMITS.maxFields) {
    throw new ConvexBadRequestError(
      "TooManyFieldsError",
      `Object has too many fields (${count} > maximum number ${LIMITS.maxFields})`,
    );
  }
}

/**
 * Checks a user document body (without `_id`/`_creationTime`, which are
 * skipped if present) before it is written to `tableName`.
 *
 * Throws `ConvexBadRequestError` (an `Error` with a `code`) when the document
 * is not a plain object or exceeds a limit: size > 1 MiB, nesting > 16,
 * arrays > 8192 elements, objects > 1024 fields, invalid field names
 * (top-level: identifiers only and no other `_` prefix; nested: no `$`
 * prefix, printable ASCII, ≤ 1024 chars), strings with unpaired surrogates,
 * or non-Convex values. Returns nothing when the document is valid.
 */
export function checkDocumentForWrite(
  tableName: string,
  value: Record<string, Value | undefined>,
): void {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !isPlainObject(value)) {
    throw new ConvexBadRequestError("InvalidDocumentError", "Documents must be objects");
  }
  let nesting = 0;
  let fieldCount = 0;
  const systemFields: string[] = [];
  for (const key of Object.keys(value)) {
    const fieldValue = value[key];
    if (fieldValue === undefined) continue;
    if (key === "_id" || key === "_creationTime") continue;
    fieldCount++;
    const nameError = fieldNameError(key);
    if (nameError !== null) throw new ConvexBadRequestError("InvalidFieldName", nameError);
    // The docs (not the Rust write path) require top-level names to be identifiers.
    const idError = identifierError(key);
    if (idError !== null) {
      throw new ConvexBadRequestError(
        "InvalidFieldName",
        `Invalid top-level field name in table "${tableName}": ${idError}`,
      );
    }
    if (key.startsWith("_")) systemFields.push(key);
    const child = checkValue(fieldValue, 1);
    if (child > nesting) nesting = child;
  }
  checkFieldCount(fieldCount);
  nesting += 1;

  // Same checks and texts as `ResolvedDocument::validate`, reported together.
  const violations: string[] = [];
  if (nesting > LIMITS.maxNesting) {
    violations.push(
      `Document is too nested (nested ${nesting} levels deep > maximum nesting ${LIMITS.maxNesting})`,
    );
  }
  for (const field of systemFields) {
    violations.push(
      `Field '${field}' starts with an underscore, which is only allowed for system fields like '_id'`,
    );
  }
  if (violations.length > 0) {
    throw new ConvexBadRequestError(
      "InvalidDocumentError",
      `Document(value: ${displayValue(value as Value)}) isn't a valid document: ${violations.join("\n ")}`,
    );
  }

  const size = getDocumentSize(value as Record<string, Value>);
  if (size > LIMITS.maxDocumentSize) {
    throw new ConvexBadRequestError(
      "ValueTooLargeError",
      `Value is too large (${formatBinarySize(size)} > maximum size ${formatBinarySize(LIMITS.maxDocumentSize)})`,
    );
  }
}

/**
 * Checks a non-document value (function arguments, return values, scheduled
 * arguments) for structural validity: nesting ≤ 64, arrays ≤ 8192, objects ≤
 * 1024 fields, valid field names and strings.
 *
 * Throws `ConvexBadRequestError` on the first violation; returns its nesting
 * depth otherwise.
 */
export function checkValueForTransport(value: Value): number {
  return checkValue(value, 0);
}

/** A function's path as Convex prints it in limit errors: `dir/module.js:export`. */
function printedPath(functionPath: string): string {
  const colon = functionPath.lastIndexOf(":");
  const module = colon < 0 ? functionPath : functionPath.slice(0, colon);
  const name = colon < 0 ? "default" : functionPath.slice(colon + 1);
  return `${module.replace(/\.js$/, "")}.js:${name}`;
}

/** Re-throws a value-limit error with `prefix` before Convex's text. */
function prefixed<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConvexBadRequestError) throw new ConvexBadRequestError(e.code, `${prefix}${e.message}`);
    // jsonToConvex's own complaints (malformed $bytes, $integer…) are bad input too.
    if (e instanceof Error) throw new ConvexBadRequestError("InvalidValue", `${prefix}${e.message}`);
    throw e;
  }
}

/**
 * Decodes a call's arguments (Convex JSON, as received) after checking them against the value
 * limits, before the function runs, as Convex's `parse_udf_args` and `validate_udf_args_size`
 * do: the structure is checked on the encoded form first, so no input is too deep to decode.
 * Throws `ConvexBadRequestError` with Convex's text ("Invalid arguments for <path>: …",
 * "Arguments for <path> are too large …").
 */
export function decodeFunctionArgs(functionPath: string, argsJson: JSONValue): Value {
  const path = printedPath(functionPath);
  const args = prefixed(`Invalid arguments for ${path}: `, () => {
    // Convex checks the positional arguments array, one level above the arguments object.
    checkValue([argsJson] as unknown as Value, 0, true);
    return jsonToConvex(argsJson);
  });
  const size = getConvexSize([args]);
  if (size > LIMITS.maxFunctionArgsSize) {
    throw new ConvexBadRequestError(
      "ArgumentsTooLarge",
      `Arguments for ${path} are too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(LIMITS.maxFunctionArgsSize)})`,
    );
  }
  return args;
}

/**
 * Checks a function's return value (the JSON text the function produced) against the value
 * limits, as Convex's `deserialize_udf_result`, and returns it parsed (still Convex JSON).
 * Throws `ConvexBadRequestError` ("Function <path> return value invalid: …" or
 * "Function <path> return value is too large …").
 */
export function checkFunctionResult(functionPath: string, valueJson: string): JSONValue {
  const path = printedPath(functionPath);
  const json = JSON.parse(valueJson) as JSONValue;
  prefixed(`Function ${path} return value invalid: `, () => checkValue(json as unknown as Value, 0, true));
  // A value's Convex size is at most 9 bytes per character of its JSON (a one-digit number is 9
  // bytes), so only a long text can be over the limit and needs measuring.
  if (valueJson.length > LIMITS.maxFunctionReturnSize / 9) {
    const size = getConvexSize(jsonToConvex(json));
    if (size > LIMITS.maxFunctionReturnSize) {
      throw new ConvexBadRequestError(
        "ReturnValueTooLarge",
        `Function ${path} return value is too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(LIMITS.maxFunctionReturnSize)})`,
      );
    }
  }
  return json;
}
