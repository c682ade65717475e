/**
 * Rust-style rendering of values and validators for error messages, so our
 * messages read like the Convex backend's (crates/value/src/lib.rs
 * `Display for ConvexValue`, crates/common/src/schemas/validator.rs
 * `Display for Validator`).
 */
import { CommitTsPlaceholder, type Value, type ValidatorJSON } from "convex/values";
import { compareUtf8 } from "./compare.js";

type ObjectFieldJSON = { fieldType: ValidatorJSON; optional: boolean };

/** Shortest round-trip digits and decimal exponent of a finite, non-zero |x|. */
function shortestDigits(abs: number): { digits: string; exp: number } {
  // `toExponential()` without an argument yields the shortest round-trip
  // digits, the same digits Rust's and ryu's shortest formatting produce.
  const s = abs.toExponential();
  const e = s.indexOf("e");
  return { digits: s.slice(0, e).replace(".", ""), exp: Number(s.slice(e + 1)) };
}

function formatFloat(x: number, minDecimalExp: number, maxDecimalExp: number): string {
  if (x !== x) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (x === 0) return `${sign}0.0`;
  const { digits, exp } = shortestDigits(Math.abs(x));
  if (exp < minDecimalExp || exp > maxDecimalExp) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${frac}e${exp}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) {
    return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  }
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * Formats a float like Rust's `{:?}`: `1.0`, `0.0001`, `1e-5`, `1e16`,
 * `-0.0`, `NaN`, `inf`. Never throws.
 */
export function formatRustFloat(x: number): string {
  return formatFloat(x, -4, 15);
}

/**
 * Formats a float like serde_json (ryu): `1.0`, `0.00001`, `1e-6`, `1e16`.
 * Non-finite numbers are not JSON; callers handle them. Never throws.
 */
export function formatJsonFloat(x: number): string {
  return formatFloat(x, -5, 15);
}

function isRustNonPrintable(c: number): boolean {
  // An approximation of Rust's `char::is_printable`: control characters and
  // the common invisible format characters.
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0xad ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) ||
    c === 0xfeff ||
    (c >= 0xd800 && c <= 0xdfff)
  );
}

function escapeRustChar(cp: number, quote: "'" | '"'): string {
  switch (cp) {
    case 0x00:
      return "\\0";
    case 0x09:
      return "\\t";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x5c:
      return "\\\\";
    case 0x22:
      return quote === '"' ? '\\"' : '"';
    case 0x27:
      return quote === "'" ? "\\'" : "'";
  }
  if (isRustNonPrintable(cp)) return `\\u{${cp.toString(16)}}`;
  return String.fromCodePoint(cp);
}

/** Formats a string like Rust's `{:?}` for `str` (double-quoted, escaped). Never throws. */
export function formatRustString(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRustChar(ch.codePointAt(0)!, '"');
  return out + '"';
}

/** Formats one character like Rust's `{:?}` for `char` (single-quoted). Never throws. */
export function formatRustChar(ch: string): string {
  return `'${escapeRustChar(ch.codePointAt(0)!, "'")}'`;
}

/** Returns an object's keys in Rust `BTreeMap<FieldName, _>` order (UTF-8 byte order). Never throws. */
export function sortedKeys(obj: object): string[] {
  return Object.keys(obj).sort(compareUtf8);
}

const MAX_INT64_STRING = "9223372036854775807";

/**
 * Renders a value like the Rust backend's `Display for ConvexValue`:
 * `null`, `5` (int64), `5.0` (float64), `"s"`, `b"AQI="`, `[1.0, 2.0]`,
 * `{a: 1.0}`. `undefined` renders as `undefined`. Never throws.
 */
export function displayValue(value: Value | undefined): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "bigint":
      return value.toString();
    case "number":
      return formatRustFloat(value);
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return formatRustString(value);
    case "object":
      break;
    default:
      return String(value);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(displayValue).join(", ")}]`;
  if (value instanceof ArrayBuffer) {
    return `b"${Buffer.from(value).toString("base64")}"`;
  }
  // Pending commit timestamps are validated as the largest timestamp.
  if (value instanceof CommitTsPlaceholder) return MAX_INT64_STRING;
  const obj = value as Record<string, Value | undefined>;
  const parts: string[] = [];
  for (const key of sortedKeys(obj)) {
    const v = obj[key];
    if (v !== undefined) parts.push(`${key}: ${displayValue(v)}`);
  }
  return `{${parts.join(", ")}}`;
}

/**
 * Renders a literal validator's value as Rust does: JSON for strings,
 * booleans and finite floats, `<bigint>` for int64, `<number>` otherwise.
 * Never throws.
 */
export function displayLiteral(literal: Value): string {
  switch (typeof literal) {
    case "string":
      return JSON.stringify(literal);
    case "boolean":
      return literal ? "true" : "false";
    case "bigint":
      return "<bigint>";
    case "number":
      return Number.isFinite(literal) ? formatJsonFloat(literal) : "<number>";
    default:
      return displayValue(literal);
  }
}

/**
 * Renders a validator like Rust's `Display for Validator`, e.g.
 * `v.object({a: v.string(), b: v.optional(v.float64())})`. `decodeLiteral`
 * turns a literal's convex-JSON value into a value. Throws only for
 * validator JSON of an unknown type.
 */
export function displayValidator(
  validator: ValidatorJSON,
  decodeLiteral: (json: ValidatorJSON & { type: "literal" }) => Value,
): string {
  const show = (v: ValidatorJSON): string => displayValidator(v, decodeLiteral);
  const type = validator.type as string;
  switch (type) {
    case "null":
      return "v.null()";
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "commitTs":
      return "v.commitTs()";
    case "boolean":
      return "v.boolean()";
    case "string":
      return "v.string()";
    case "bytes":
      return "v.bytes()";
    case "any":
    case "map":
    case "set":
      return "v.any()";
    case "literal":
      return `v.literal(${displayLiteral(decodeLiteral(validator as ValidatorJSON & { type: "literal" }))})`;
    case "id":
      return `v.id("${(validator as { tableName: string }).tableName}")`;
    case "array":
      return `v.array(${show((validator as { value: ValidatorJSON }).value)})`;
    case "record": {
      const r = validator as { keys: ValidatorJSON; values: ObjectFieldJSON };
      return `v.record(${show(r.keys)}, ${show(r.values.fieldType)})`;
    }
    case "object": {
      const fields = (validator as { value: Record<string, ObjectFieldJSON> }).value;
      const parts = sortedKeys(fields).map((key) => {
        const field = fields[key]!;
        const inner = show(field.fieldType);
        return `${key}: ${field.optional ? `v.optional(${inner})` : inner}`;
      });
      return `v.object({${parts.join(", ")}})`;
    }
    case "union":
      return `v.union(${(validator as { value: ValidatorJSON[] }).value.map(show).join(", ")})`;
    default:
      throw new Error(`Unknown validator type ${JSON.stringify(type)}`);
  }
}

/** Returns the Rust backend's type name for a value (`Int64`, `Float64`, …, `undefined`). Never throws. */
export function typeName(value: Value | undefined): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "bigint":
      return "Int64";
    case "number":
      return "Float64";
    case "boolean":
      return "Boolean";
    case "string":
      return "String";
  }
  if (value === null) return "Null";
  if (Array.isArray(value)) return "Array";
  if (value instanceof ArrayBuffer) return "Bytes";
  if (value instanceof CommitTsPlaceholder) return "Int64";
  return "Object";
}

const SIZE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Formats a byte count like the `humansize` crate's BINARY style used in
 * Convex limit errors: `1 MiB`, `1.00 MiB`, `512 B`. Never throws.
 */
export function formatBinarySize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (Math.abs(size) >= 1024 && unit < SIZE_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  const places = Number.isInteger(size) ? 0 : 2;
  return `${size.toFixed(places)} ${SIZE_UNITS[unit]}`;
}
