/**
 * Checks values against Convex validators in their JSON form (what
 * `exportArgs()`, `exportReturns()` and a schema's `documentType` produce).
 *
 * Semantics and message texts follow crates/common/src/schemas/validator.rs
 * (`Validator::check_value`, `ValidationError`) and, for function arguments,
 * crates/model/src/modules/function_validators.rs and crates/udf/src/
 * validation.rs.
 */
import {
  CommitTsPlaceholder,
  jsonToConvex,
  type JSONValue,
  type Value,
  type ValidatorJSON,
} from "convex/values";
import { compareConvexValues } from "./compare.js";
import { displayLiteral, displayValidator, displayValue, sortedKeys } from "./display.js";
import { decodeDocumentId } from "./ids.js";

/** How `v.id(table)` validators resolve table names and numbers. */
export interface ValidateOptions {
  /** Table number for a table name (including system tables such as `_storage`), or undefined if the table does not exist. */
  tableNumberFor(tableName: string): number | undefined;
  /**
   * Optional reverse lookup. When given, an ID from another existing table
   * yields Convex's "Found ID … from table `x`" message instead of the
   * generic "Value does not match validator" one.
   */
  tableNameFor?(tableNumber: number): string | undefined;
}

type LiteralJSON = ValidatorJSON & { type: "literal" };
type ObjectFieldJSON = { fieldType: ValidatorJSON; optional: boolean };

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

// Validator JSON objects are long-lived (one per function/table), so decoding
// each literal once is enough.
const literalCache = new WeakMap<object, Value>();

function literalValue(validator: LiteralJSON): Value {
  let value = literalCache.get(validator);
  if (value === undefined) {
    value = jsonToConvex(validator.value as JSONValue);
    literalCache.set(validator, value);
  }
  return value;
}

function showValidator(validator: ValidatorJSON): string {
  return displayValidator(validator, literalValue);
}

/** A validation failure plus the path to it, innermost segment first. */
type Failure =
  | { kind: "noMatch"; value: Value | undefined; validator: ValidatorJSON; path: string[] }
  | { kind: "literal"; value: Value | undefined; literal: Value; path: string[] }
  | { kind: "missing"; object: Value; field: string; validator: ValidatorJSON; path: string[] }
  | { kind: "extra"; object: Value; field: string; validator: ValidatorJSON; path: string[] }
  | { kind: "wrongTable"; id: string; found: string; table: string; path: string[] }
  | { kind: "systemTable"; id: string; table: string; path: string[] };

function isPlainObject(v: unknown): v is Record<string, Value | undefined> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  if (v instanceof ArrayBuffer || v instanceof CommitTsPlaceholder) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return (
    proto === null ||
    proto === Object.prototype ||
    (proto as { constructor?: { name?: string } }).constructor?.name === "Object"
  );
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function noMatch(value: Value | undefined, validator: ValidatorJSON): Failure {
  return { kind: "noMatch", value, validator, path: [] };
}

function withContext(failure: Failure | null, segment: string): Failure | null {
  if (failure !== null) failure.path.push(segment);
  return failure;
}

function checkId(
  validator: ValidatorJSON & { type: "id" },
  value: Value | undefined,
  options: ValidateOptions,
): Failure | null {
  if (typeof value !== "string") return noMatch(value, validator);
  const decoded = decodeDocumentId(value);
  if (decoded === null) return noMatch(value, validator);
  const table = validator.tableName;
  if (options.tableNumberFor(table) === decoded.tableNumber) return null;
  const found = options.tableNameFor?.(decoded.tableNumber);
  if (found === undefined) return noMatch(value, validator);
  if (found === table) return null;
  if (found.startsWith("_")) return { kind: "systemTable", id: value, table, path: [] };
  return { kind: "wrongTable", id: value, found, table, path: [] };
}

function check(
  validator: ValidatorJSON,
  value: Value | undefined,
  options: ValidateOptions,
): Failure | null {
  // `undefined` is not a Convex value; it is only acceptable as an absent
  // optional field, which the object case handles before recursing.
  if (value === undefined) return noMatch(value, validator);
  const type = validator.type as string;
  switch (type) {
    case "any":
    case "map":
    case "set":
      return null;
    case "null":
      return value === null ? null : noMatch(value, validator);
    case "number":
      return typeof value === "number" ? null : noMatch(value, validator);
    case "bigint":
    case "commitTs":
      // Pending commit timestamps are checked as an int64 (Rust resolves them
      // to MAX_COMMIT_TS before validating).
      if (value instanceof CommitTsPlaceholder) return null;
      return typeof value === "bigint" && value >= MIN_INT64 && value <= MAX_INT64
        ? null
        : noMatch(value, validator);
    case "boolean":
      return typeof value === "boolean" ? null : noMatch(value, validator);
    case "string":
      return typeof value === "string" ? null : noMatch(value, validator);
    case "bytes":
      return value instanceof ArrayBuffer ? null : noMatch(value, validator);
    case "literal": {
      const literal = literalValue(validator as LiteralJSON);
      return compareConvexValues(value, literal) === 0
        ? null
        : { kind: "literal", value, literal, path: [] };
    }
    case "id":
      return checkId(validator as ValidatorJSON & { type: "id" }, value, options);
    case "array": {
      if (!Array.isArray(value)) return noMatch(value, validator);
      const element = (validator as { value: ValidatorJSON }).value;
      for (let i = 0; i < value.length; i++) {
        const failure = check(element, value[i], options);
        if (failure !== null) return withContext(failure, `[${i}]`);
      }
      return null;
    }
    case "record": {
      if (!isPlainObject(value)) return noMatch(value, validator);
      const record = validator as { keys: ValidatorJSON; values: ObjectFieldJSON };
      for (const key of sortedKeys(value)) {
        const fieldValue = value[key];
        if (fieldValue === undefined) continue;
        const keyFailure = check(record.keys, key, options);
        if (keyFailure !== null) return withContext(keyFailure, ".keys()");
        const valueFailure = check(record.values.fieldType, fieldValue, options);
        if (valueFailure !== null) return withContext(valueFailure, ".values()");
      }
      return null;
    }
    case "object": {
      if (!isPlainObject(value)) return noMatch(value, validator);
      const fields = (validator as { value: Record<string, ObjectFieldJSON> }).value;
      // Rust walks the validator's fields in sorted order, then the object's.
      for (const field of sortedKeys(fields)) {
        const spec = fields[field]!;
        const fieldValue = hasOwn(value, field) ? value[field] : undefined;
        if (fieldValue !== undefined) {
          const failure = check(spec.fieldType, fieldValue, options);
          if (failure !== null) return withContext(failure, `.${field}`);
        } else if (!spec.optional) {
          return { kind: "missing", object: value, field, validator, path: [] };
        }
      }
      for (const key of sortedKeys(value)) {
        if (value[key] !== undefined && !hasOwn(fields, key)) {
          return { kind: "extra", object: value, field: key, validator, path: [] };
        }
      }
      return null;
    }
    case "union": {
      const members = (validator as { value: ValidatorJSON[] }).value;
      // A one-member union reports the member's own, more precise error.
      if (members.length === 1) return check(members[0]!, value, options);
      for (const member of members) {
        if (check(member, value, options) === null) return null;
      }
      return noMatch(value, validator);
    }
    default:
      throw new Error(`Unknown validator type ${JSON.stringify(type)}`);
  }
}

function renderPath(path: string[]): string {
  if (path.length === 0) return "";
  let out = "Path: ";
  for (let i = path.length - 1; i >= 0; i--) out += path[i];
  return out;
}

function render(failure: Failure): string {
  const context = renderPath(failure.path);
  switch (failure.kind) {
    case "noMatch":
      return (
        `Value does not match validator.\n${context}\n` +
        `Value: ${displayValue(failure.value)}\nValidator: ${showValidator(failure.validator)}`
      );
    case "literal":
      return (
        `\`${displayValue(failure.value)}\` does not match literal validator ` +
        `\`v.literal(${displayLiteral(failure.literal)})\`.${context}`
      );
    case "missing":
      return (
        `Object is missing the required field \`${failure.field}\`. Consider wrapping the field ` +
        `validator in \`v.optional(...)\` if this is expected.\n${context}\n` +
        `Object: ${displayValue(failure.object)}\nValidator: ${showValidator(failure.validator)}`
      );
    case "extra":
      return (
        `Object contains extra field \`${failure.field}\` that is not in the validator.\n` +
        `${context}\nObject: ${displayValue(failure.object)}\n` +
        `Validator: ${showValidator(failure.validator)}`
      );
    case "wrongTable":
      return (
        `Found ID "${failure.id}" from table \`${failure.found}\`, which does not match ` +
        `the table name in validator \`v.id("${failure.table}")\`.${context}`
      );
    case "systemTable":
      return (
        `Found ID "${failure.id}" from a system table, which does not match the table ` +
        `name in validator \`v.id("${failure.table}")\`.${context}`
      );
  }
}

/**
 * Validates `value` against a validator in JSON form.
 *
 * Returns null when the value is valid, otherwise the error message the
 * Convex backend would produce (e.g. "Object is missing the required field
 * `x`…", "Value does not match validator.\nPath: .a[0]\nValue: …").
 * `undefined` is only accepted as a missing optional object field. Throws
 * only for malformed validator JSON (an unknown `type`).
 */
export function validateValue(
  validator: ValidatorJSON,
  value: Value | undefined,
  options: ValidateOptions,
): string | null {
  const failure = check(validator, value, options);
  return failure === null ? null : render(failure);
}

/**
 * Validates a function's positional arguments (the decoded `args` array of a
 * call) against its `exportArgs()` validator, like Rust `ArgsValidator`.
 *
 * Returns null when valid (always for `v.any()`), else the message without
 * the `ArgumentValidationError: ` prefix (see
 * {@link formatArgumentValidationError}). Throws if the validator is neither
 * an object nor `any`, which Convex rejects at deploy time.
 */
export function validateArgs(
  argsValidator: ValidatorJSON,
  args: readonly Value[],
  options: ValidateOptions,
): string | null {
  const type = argsValidator.type as string;
  if (type === "any" || type === "map" || type === "set") return null;
  if (type !== "object") throw new Error("Args validator must be an object or any");
  if (args.length !== 1) {
    return (
      `Expected to receive a single object as the function's argument. ` +
      `Instead received ${args.length} arguments: ${displayValue(args as Value[])}`
    );
  }
  const arg = args[0];
  if (!isPlainObject(arg)) {
    return `Expected to receive an object as the function's argument. Instead received: ${displayValue(arg)}`;
  }
  return validateValue(argsValidator, arg, options);
}

/**
 * Validates a function's return value against its `exportReturns()`
 * validator. A null validator means "unvalidated".
 *
 * Returns null when valid, else the message without the
 * `ReturnsValidationError: ` prefix. Throws only for malformed validator JSON.
 */
export function validateReturns(
  returnsValidator: ValidatorJSON | null,
  value: Value,
  options: ValidateOptions,
): string | null {
  if (returnsValidator === null) return null;
  return validateValue(returnsValidator, value, options);
}

/**
 * Validates a document body (system fields are ignored) against a table's
 * schema `documentType`.
 *
 * Returns null when valid, else the full Convex message: `Failed to insert or
 * update a document in table "<t>" because it does not match the schema: …`.
 * Throws only for malformed validator JSON.
 */
export function validateDocumentAgainstSchema(
  tableName: string,
  documentType: ValidatorJSON,
  document: Record<string, Value | undefined>,
  options: ValidateOptions,
): string | null {
  // Rust validates the document with every `_`-prefixed field removed.
  let body: Record<string, Value | undefined> = document;
  if (Object.keys(document).some((k) => k.startsWith("_"))) {
    body = {};
    for (const key of Object.keys(document)) {
      if (!key.startsWith("_")) {
        Object.defineProperty(body, key, {
          value: document[key],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  const message = validateValue(documentType, body, options);
  return message === null ? null : formatSchemaValidationError(tableName, message);
}

/**
 * Prefixes an argument validation message the way Convex reports it to
 * clients: `ArgumentValidationError: <message>`. The Rust backend does not
 * include the function path in this text; `functionPath` is accepted so
 * callers need not special-case it, and is not part of the output. Never throws.
 */
export function formatArgumentValidationError(
  functionPath: string,
  message: string,
): string {
  void functionPath;
  return `ArgumentValidationError: ${message}`;
}

/**
 * Prefixes a return-value validation message the way Convex does:
 * `ReturnsValidationError: <message>` (function path not included, as in
 * Rust). Never throws.
 */
export function formatReturnValidationError(
  functionPath: string,
  message: string,
): string {
  void functionPath;
  return `ReturnsValidationError: ${message}`;
}

/**
 * Wraps a validation message in Convex's schema-enforcement text:
 * `Failed to insert or update a document in table "<t>" because it does not
 * match the schema: <message>`. Never throws.
 */
export function formatSchemaValidationError(tableName: string, message: string): string {
  return `Failed to insert or update a document in table "${tableName}" because it does not match the schema: ${message}`;
}
