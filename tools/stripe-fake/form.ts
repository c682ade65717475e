// Stripe's request encoding: application/x-www-form-urlencoded with bracket paths
// (`metadata[siteId]=…`, `line_items[0][price]=…`, `expand[]=…`). Values stay strings.

export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/** Parses a form body (or query string) into nested objects and arrays. */
export function parseForm(body: string): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const first = rawKey.indexOf("[");
    const parts = first < 0 ? [rawKey] : [rawKey.slice(0, first), ...rawKey.slice(first + 1, -1).split("][")];
    let cur: any = out;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      let key: string | number = parts[i];
      if (key === "" && Array.isArray(cur)) key = cur.length;
      if (last) {
        cur[key] = value;
      } else {
        if (cur[key] === undefined || typeof cur[key] !== "object") cur[key] = /^\d*$/.test(parts[i + 1]) ? [] : {};
        cur = cur[key];
      }
    }
  }
  return out;
}

export const asString = (v: FormValue | undefined): string | undefined => (typeof v === "string" ? v : undefined);
export const asInt = (v: FormValue | undefined): number | undefined => {
  const s = asString(v);
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
};
export const asBool = (v: FormValue | undefined): boolean | undefined => {
  const s = asString(v);
  return s === "true" ? true : s === "false" ? false : undefined;
};
/** A metadata object: string values only; "" removes a key, as in Stripe. */
export function asMetadata(v: FormValue | undefined, base: Record<string, string> = {}): Record<string, string> {
  const out = { ...base };
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== "string") continue;
      if (val === "") delete out[k];
      else out[k] = val;
    }
  }
  return out;
}
export const asObject = (v: FormValue | undefined): Record<string, FormValue> | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, FormValue>) : undefined;
export const asArray = (v: FormValue | undefined): FormValue[] =>
  Array.isArray(v) ? v : v && typeof v === "object" ? Object.values(v) : [];
