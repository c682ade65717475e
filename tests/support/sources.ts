import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// What the drift tests scan (one source of truth for roles, errors, fields, slugs, the renderer,
// the mechanisms, the architecture): the project's own source files, found one way.

/** The repository root. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Source files under `dir` matching `ext` (.ts/.tsx by default): no tests, no .d.ts, no _generated or node_modules. */
export function sourceFiles(dir: string, ext: RegExp = /\.tsx?$/): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === "_generated" || name === "node_modules") continue;
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full, ext));
    else if (ext.test(name) && !name.includes(".test.") && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}
