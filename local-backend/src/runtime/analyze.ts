import type { ValidatorJSON } from "convex/values";
import { ModuleLoadError } from "./moduleLoadError.js";

/**
 * What Convex's analysis reads from one module's exports (crates/isolate analyze.rs): its
 * functions' kinds, visibility and validators. Plain data, so a worker that loaded the module
 * (isolate/analyzeNode.ts) can send it to the backend, which then never loads the module itself.
 */
export interface AnalyzedFunction {
  name: string;
  kind: "query" | "mutation" | "action";
  visibility: "public" | "internal";
  args: ValidatorJSON | null;
  returns: ValidatorJSON | null;
}

/** `prop in value`, false when a proxy's `has` trap throws (V8's `has` gives up the same way). */
function hasFlag(value: object, prop: string): boolean {
  try {
    return prop in value;
  } catch {
    return false;
  }
}

/**
 * Reads `exportArgs`/`exportReturns` as Convex's analysis does: a function is called and must
 * return validator JSON, `undefined` means unvalidated, anything else refuses the module.
 */
function exportedValidator(value: any, method: "exportArgs" | "exportReturns", id: string): ValidatorJSON | null {
  const exporter = value[method];
  if (exporter === undefined) return null;
  if (typeof exporter !== "function") throw new ModuleLoadError(`${id}.${method} is not a function or \`undefined\`.`);
  const text = exporter.call(value);
  if (typeof text !== "string") {
    throw new ModuleLoadError(`Invalid ${method} return value: ${id}.${method}() didn't return a string.`);
  }
  try {
    return JSON.parse(text) as ValidatorJSON | null;
  } catch (e) {
    throw new ModuleLoadError(`Invalid JSON returned from ${id}.${method}(): ${(e as Error).message}`);
  }
}

/**
 * Every exported Convex function of one module. An export counts only when it has exactly one of
 * the `isQuery`/`isMutation`/`isAction` flags the `convex` builders set, checked with `in` as
 * Convex's analysis does: proxies (`components.foo`, `anyApi`), plain objects, classes and helpers
 * are ignored instead of breaking the load. @throws ModuleLoadError for a function Convex refuses.
 */
export function analyzeExports(modPath: string, exports: Record<string, any>, useNode: boolean): AnalyzedFunction[] {
  const found: AnalyzedFunction[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (!value || (typeof value !== "function" && typeof value !== "object")) continue;
    const flags = (["query", "mutation", "action"] as const).filter((k) =>
      hasFlag(value, k === "query" ? "isQuery" : k === "mutation" ? "isMutation" : "isAction"),
    );
    if (flags.length !== 1) continue;
    const kind = flags[0];
    const isPublic = hasFlag(value, "isPublic");
    const isInternal = hasFlag(value, "isInternal");
    // Convex skips an export marked both public and internal.
    if (isPublic && isInternal) continue;
    const id = `${modPath}.js:${name}`;
    const handler = value._handler;
    if (handler !== undefined && typeof handler !== "function") throw new ModuleLoadError(`${id}.handler is not a function.`);
    if (handler === undefined && typeof value !== "function") throw new ModuleLoadError(`${id} is not a function.`);
    if (useNode && kind !== "action") {
      throw new ModuleLoadError(`${modPath}: "use node" modules may only contain actions, but \`${name}\` is a ${kind}.`);
    }
    found.push({
      name,
      kind,
      visibility: isInternal ? "internal" : "public",
      args: exportedValidator(value, "exportArgs", id),
      returns: exportedValidator(value, "exportReturns", id),
    });
  }
  return found;
}
