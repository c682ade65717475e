import { Base64, jsonToConvex, type JSONValue, type Value } from "convex/values";

/**
 * Converts Convex-encoded JSON to the lossy "clean" JSON of `format: "json"` (as `/api/run`
 * answers): int64 as a decimal string, bytes as base64, NaN and infinities as strings.
 */
export function toCleanJson(encoded: JSONValue): unknown {
  return clean(jsonToConvex(encoded));
}

function clean(v: Value | undefined): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v instanceof ArrayBuffer) return Base64.fromByteArray(new Uint8Array(v));
  if (Array.isArray(v)) return v.map(clean);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clean(x);
    return out;
  }
  return v;
}
