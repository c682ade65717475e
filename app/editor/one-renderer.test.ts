import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDocCached, renderDocToSafeHtml } from "../reader/render.server";
import { RICH_DOC } from "./__fixtures__/rich-doc";
import { docToSafeHtml } from "./render";
import { sourceFiles } from "../../tests/support/sources";

// One TipTap renderer (issue #14): app/editor/render.ts. The reader's pages and feeds and the
// studio preview get their HTML from it; these fail if a second renderer appears.

const appDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const repo = path.resolve(appDir, "..");


describe("one TipTap renderer", () => {
  it("only app/editor/render.ts turns documents into HTML", () => {
    const own = path.join(appDir, "editor", "render.ts");
    const files = [...sourceFiles(appDir), ...sourceFiles(path.join(repo, "convex"))].filter((f) => f !== own);
    const offenders = files.filter((f) => /@tiptap\/static-renderer|\b(?:renderToHTMLString|generateHTML)\(/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => path.relative(repo, f))).toEqual([]);
  });

  it("the reader's page HTML is the renderer's page target, memoized or not", () => {
    const stored = JSON.stringify(RICH_DOC);
    const page = docToSafeHtml(stored, "page");
    expect(page).not.toBe("");
    expect(renderDocToSafeHtml(stored)).toBe(page);
    expect(renderDocCached(stored)).toBe(page);
    // Same renderer, two targets: body headings start at h2 on a page.
    expect(docToSafeHtml(stored)).toContain("<h1>");
    expect(page).not.toContain("<h1>");
  });
});
