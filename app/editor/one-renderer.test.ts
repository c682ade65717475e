import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_STORED_HTML_CHARS, pageHtmlFields, pageHtmlOf } from "../../convex/model/postProjection";
import { renderDocToSafeHtml } from "../reader/render.server";
import { RICH_DOC } from "./__fixtures__/rich-doc";
import { docToSafeHtml, PAGE_HTML_VERSION } from "./render";
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

  it("the reader's page HTML is the renderer's page target, stored at publish or rendered when read", () => {
    const stored = JSON.stringify(RICH_DOC);
    const page = docToSafeHtml(stored, "page");
    expect(page).not.toBe("");
    expect(renderDocToSafeHtml(stored)).toBe(page);
    // What publishing stores (issue #18), and what a reader gets of it.
    const fields = pageHtmlFields(stored);
    expect(fields).toEqual({ html: page, htmlVersion: PAGE_HTML_VERSION });
    expect(pageHtmlOf({ doc: stored, ...fields })).toBe(page);
    // Stored by another renderer version (the allowlist changed since): rendered again, not served.
    expect(pageHtmlOf({ doc: stored, html: "<p>stale</p>", htmlVersion: PAGE_HTML_VERSION - 1 })).toBe(page);
    expect(pageHtmlOf({ doc: stored, html: undefined, htmlVersion: undefined })).toBe(page);
    // A body too long to store with its document renders when read.
    const long = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "y".repeat(MAX_STORED_HTML_CHARS) }] }] });
    expect(pageHtmlFields(long)).toEqual({ html: undefined, htmlVersion: undefined });
    // Same renderer, two targets: body headings start at h2 on a page.
    expect(docToSafeHtml(stored)).toContain("<h1>");
    expect(page).not.toContain("<h1>");
  });
});
