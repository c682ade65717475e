// The local backend's layout rules (docs/decisions/011-repository-layout.md), read from the import
// graph: local-backend/ imports nothing of the app or its tooling, and local-backend/src has no
// import cycle (type-only imports count: a cycle of types is still an upper layer reaching down).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;

function filesUnder(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.name === "node_modules" || e.name === "_generated" || skip(path.relative(ROOT, p))) continue;
    if (e.isDirectory()) out.push(...filesUnder(p, skip));
    else if (SOURCE.test(e.name)) out.push(p);
  }
  return out;
}

/** Every module specifier a file names: static, type-only, re-exports and dynamic `import()`. */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
}

/** A relative specifier as a source path (`./x.js` is written for `./x.ts`). */
function resolve(from: string, spec: string): string {
  const p = path.resolve(path.dirname(from), spec);
  return p.replace(/\.js$/, ".ts");
}

/** Cycles of a graph, one per strongly connected component (Tarjan), each as a list of nodes. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe("local-backend layout", () => {
  test("local-backend/ imports nothing outside itself (the app, convex/, tools/, tests/)", () => {
    // Test fixtures are Convex apps of their own; they import only the `convex` package anyway.
    const files = filesUnder(ROOT, (rel) => /^test\/fixture/.test(rel) || rel === path.join("bench", "fixture"));
    expect(files.length).toBeGreaterThan(50);
    const outside: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(file)) {
        if (!spec.startsWith(".")) continue; // packages (including the `convex` npm package) are fine
        const target = path.relative(ROOT, resolve(file, spec));
        if (target.startsWith("..")) outside.push(`${path.relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  test("local-backend/src has no import cycle", () => {
    const src = path.join(ROOT, "src");
    const graph = new Map<string, string[]>();
    for (const file of filesUnder(src)) {
      const rel = path.relative(src, file);
      graph.set(
        rel,
        specifiers(file)
          .filter((s) => s.startsWith("."))
          .map((s) => path.relative(src, resolve(file, s))),
      );
    }
    expect(graph.size).toBeGreaterThan(40);
    expect(cyclesOf(graph)).toEqual([]);
  });

  test("the cycle finder sees cycles, type-only and dynamic imports included", () => {
    expect(cyclesOf(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
    expect(cyclesOf(new Map([["a", ["a"]]]))).toEqual([["a"]]);
    expect(cyclesOf(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
    const found = ts.preProcessFile('import type { A } from "./a.js";\nexport { b } from "./b.js";\nconst c = await import("./c.js");', true, true);
    expect(found.importedFiles.map((f) => f.fileName)).toEqual(["./a.js", "./b.js", "./c.js"]);
  });
});
