// ADR 011's import rules for app/ and convex/ (local-backend/ has its own: import-graph.test.ts).
// Fails when a file imports across a line the ADR draws.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

/** The one TipTap renderer and HTML/Markdown conversion (app/editor), which Convex's emails, import and export share with the app. */
const SHARED_EDITOR = ["app/editor/doc.ts", "app/editor/extensions.ts", "app/editor/render.ts", "app/editor/urls.ts", "app/editor/markdown.ts"];

function files(dir: string): string[] {
  return execFileSync("git", ["ls-files", `${dir}/*.ts`, `${dir}/*.tsx`], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && !f.includes("/_generated/"));
}

/** Project-relative targets of a file's relative and `~/` imports (static, type-only, dynamic, re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith(".") || s.startsWith("~/"))
    .map((s) => (s.startsWith("~/") ? path.posix.join("app", s.slice(2)) : path.posix.normalize(path.posix.join(path.posix.dirname(file), s))));
}

const isTest = (f: string) => /\.test\.tsx?$/.test(f);
const inside = (target: string, dir: string) => target === dir || target.startsWith(`${dir}/`);
const sharedEditor = (target: string) => SHARED_EDITOR.some((f) => f.replace(/\.ts$/, "") === target.replace(/\.(ts|js)$/, ""));

describe("ADR 011 layout", () => {
  test("convex/ functions import convex/ only, and the shared editor renderer", () => {
    const bad: string[] = [];
    for (const f of files("convex").filter((f) => !isTest(f))) {
      for (const t of importsOf(f)) if (!inside(t, "convex") && !sharedEditor(t)) bad.push(`${f} -> ${t}`);
    }
    expect(bad).toEqual([]);
  });

  test("the shared editor renderer imports nothing of the app but itself", () => {
    const bad: string[] = [];
    for (const f of SHARED_EDITOR) for (const t of importsOf(f)) if (!sharedEditor(t)) bad.push(`${f} -> ${t}`);
    expect(bad).toEqual([]);
  });

  test("app/ never imports local-backend/ or tools/", () => {
    const bad: string[] = [];
    for (const f of files("app").filter((f) => !isTest(f))) {
      for (const t of importsOf(f)) if (inside(t, "local-backend") || inside(t, "tools")) bad.push(`${f} -> ${t}`);
    }
    expect(bad).toEqual([]);
  });

  test("the import reader sees relative, ~/ and dynamic imports", () => {
    expect(importsOf("convex/email/postEmail.ts")).toContain("app/editor/render");
    expect(files("convex").length).toBeGreaterThan(50);
  });
});
