import type { Value } from "convex/values";

/** Reads a (possibly dotted) field path; a missing field or a non-object on the way is undefined. */
export function getFieldPath(doc: Record<string, Value> | undefined, path: string): Value | undefined {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || cur instanceof ArrayBuffer) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur as Value | undefined;
}
