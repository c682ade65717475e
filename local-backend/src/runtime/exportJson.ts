import { jsonToConvex, type JSONValue, type Value } from "convex/values";

/**
 * Convex's "export JSON" (crates/value/src/export.rs `export_clean_lossless`), the value format of
 * snapshot exports: int64 is a bare JSON integer (`3`), a finite float always carries a dot or an
 * exponent (`3.0`), non-finite floats and bytes use the internal `{"$float"|"$bytes": …}` form.
 * JSON.parse cannot tell `3` from `3.0`, so reading it needs the small parser below.
 */
export function toExportJson(value: Value): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return JSON.stringify({ $float: floatBase64(value) });
    if (Object.is(value, -0)) return "-0.0";
    const s = String(value);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (value instanceof ArrayBuffer) return JSON.stringify({ $bytes: Buffer.from(value).toString("base64") });
  if (Array.isArray(value)) return `[${value.map(toExportJson).join(",")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${toExportJson(v)}`);
  return `{${parts.join(",")}}`;
}

function floatBase64(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b.toString("base64");
}

/**
 * Parses one export-JSON text into a Convex value (`from_clean_lossless`): integers become int64
 * (bigint), other numbers float64, and an object whose first key starts with `$` is read as
 * Convex's internal JSON. Throws a SyntaxError with the offset on malformed input.
 */
export function parseExportJson(text: string): Value {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  // Raw JSON (numbers kept as their source text) so `$`-objects can go through jsonToConvex.
  type Raw = { num: string } | string | boolean | null | Raw[] | { obj: Array<[string, Raw]> };
  const str = (): string => {
    // eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i, i + 2 ** 30));
    if (!m) fail("Invalid string");
    i += m![0].length;
    return JSON.parse(m![0]);
  };
  const val = (depth: number): Raw => {
    if (depth > 128) fail("Nesting too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Array<[string, Raw]> = [];
      ws();
      if (text[i] === "}") return i++, { obj };
      for (;;) {
        ws();
        if (text[i] !== '"') fail("Expected a property name");
        const k = str();
        ws();
        if (text[i++] !== ":") fail("Expected ':'");
        obj.push([k, val(depth + 1)]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return i++, { obj };
        else fail("Expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: Raw[] = [];
      ws();
      if (text[i] === "]") return i++, arr;
      for (;;) {
        arr.push(val(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return i++, arr;
        else fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(lit, i)) return (i += lit.length), v;
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail("Unexpected token");
    i += m![0].length;
    return { num: m![0] };
  };
  const plain = (r: Raw): JSONValue => {
    if (r === null || typeof r !== "object") return r;
    if (Array.isArray(r)) return r.map(plain);
    if ("num" in r) return Number(r.num);
    return Object.fromEntries(r.obj.map(([k, v]) => [k, plain(v)]));
  };
  const toValue = (r: Raw): Value => {
    if (r === null || typeof r !== "object") return r;
    if (Array.isArray(r)) return r.map(toValue);
    if ("num" in r) {
      if (/[.eE]/.test(r.num)) return Number(r.num);
      const n = BigInt(r.num);
      if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new SyntaxError(`Integer ${r.num} does not fit in int64`);
      return n;
    }
    if (r.obj.length > 0 && r.obj[0][0].startsWith("$")) return jsonToConvex(plain(r)) as Value;
    const out: Record<string, Value> = {};
    for (const [k, v] of r.obj) out[k] = toValue(v);
    return out;
  };
  const raw = val(0);
  ws();
  if (i !== text.length) fail("Unexpected data after the value");
  return toValue(raw);
}
