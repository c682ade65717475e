import { createElement, type ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { createMemoryRouter, RouterProvider } from "react-router-dom";
import { describe, expect, test } from "vitest";
import type { Id } from "../../../convex/_generated/dataModel";
import type { ImportPlan, ImportView } from "./api";
import { ExportPanel } from "./export";
import { ImportJob, progressText } from "./job";

// The Import & export page's pieces as the server renders them (what a browser without JavaScript
// gets, and the first paint with it): the dry run's plan and report, the progress bar's spoken value,
// the forms that confirm or cancel, and report text from an imported file shown as text.

/** Renders inside a data router, as Remix does (Form and Link need one). */
function render(element: ReactElement): string {
  const router = createMemoryRouter([{ path: "*", element }], { initialEntries: ["/studio/site1/migrate"] });
  return renderToStaticMarkup(createElement(RouterProvider, { router }));
}

const plan: ImportPlan = {
  posts: 12, published: 8, drafts: 2, scheduled: 1, pages: 1, paid: 3, tagsNew: 4, tagsExisting: 1, categoriesNew: 0, categoriesExisting: 0,
  authorsMatched: 1, authorsPlaceholder: 2, images: 5, members: 0, slugClashes: 1, unsupported: 2, badItems: 1, alreadyImported: 2,
};

function job(over: Partial<ImportView>): ImportView {
  return {
    _id: "imp1" as Id<"contentImports">, fileName: "ghost-export.json", size: 1_500_000, status: "ready", source: "ghost", sourceLabel: "Ghost JSON export",
    plan, total: 12, processed: 0, created: 0, skipped: 0, failed: 0, report: [], reportOverflow: 0, error: null, memberImportIds: [],
    createdAt: Date.UTC(2026, 11, 6, 12), startedAt: null, finishedAt: null, ...over,
  };
}

describe("Import & export page pieces", () => {
  test("dry run: the plan's numbers, warnings, and forms that confirm or cancel this import", () => {
    const html = render(createElement(ImportJob, { job: job({}), siteId: "site1", focusOnMount: false }));
    expect(html).toContain('data-status="ready"');
    expect(html).toMatch(/data-testid="plan-posts"><dt>Posts<\/dt><dd><span class="st-migrate-stat__value">12<\/span><span class="st-migrate-stat__detail">8 published, 2 drafts, 1 scheduled, 1 page \(as a draft\)<\/span>/);
    expect(html).toContain("2 posts already imported from this source");
    expect(html).toContain("1 slug clash:");
    expect(html).toContain("1 item cannot be read");
    expect(html).toContain('href="/studio/site1/plans"');
    // plan.posts counts what will be created (already-imported posts are apart): the button says so.
    expect(html).toMatch(/<button type="submit" name="intent" value="confirm"[^>]*>Import 12 posts<\/button>/);
    expect(html).toMatch(/<button type="submit" name="intent" value="cancel"[^>]*>Cancel<\/button>/);
    expect(html.match(/<input type="hidden" name="importId" value="imp1"\/>/g)).toHaveLength(2);
    expect(html.match(/<form method="post"/g)).toHaveLength(2);
  });

  test("XSS: report messages and item names from an imported file render as text", () => {
    const report = [
      { kind: "unsupported" as const, position: 3, item: "<img src=x onerror=alert(1)>", message: "iframe <script>alert(1)</script> kept as a link" },
      { kind: "bad-item" as const, position: 7, message: "Bad date" },
    ];
    const html = render(createElement(ImportJob, { job: job({ report, reportOverflow: 4 }), siteId: "site1", focusOnMount: false }));
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // Bad items lead the table, with their position; the overflow is counted.
    const rows = [...html.matchAll(/data-kind="([a-z-]+)" data-testid="report-row"><td><span[^>]*>[^<]*<\/span><\/td><td class="st-num" data-label="Item #">(\d+)/g)].map((m) => `${m[1]}@${m[2]}`);
    expect(rows).toEqual(["bad-item@7", "unsupported@3"]);
    expect(html).toContain("Report (6)");
    expect(html).toContain("And 4 more entries not listed here.");
    // The scrollable table can be reached by keyboard.
    expect(html).toMatch(/class="st-migrate-report__scroll" tabindex="0" role="region"/);
  });

  test("importing: a progress bar whose spoken value is the caption, and Cancel only", () => {
    const html = render(createElement(ImportJob, { job: job({ status: "importing", total: 1000, processed: 312 }), siteId: "site1", focusOnMount: false }));
    expect(progressText({ processed: 312, total: 1000 })).toBe("312 of 1,000 posts");
    expect(html).toMatch(/<progress[^>]*max="1000" value="312" aria-valuenow="312"[^>]*aria-valuetext="312 of 1,000 posts"/);
    expect(html).toContain('data-testid="import-progress">312 of 1,000 posts</p>');
    expect(html).toMatch(/<div aria-live="polite" data-testid="import-status"><div class="st-migrate-progress"><progress/);
    expect(html).not.toContain('value="confirm"');
    expect(html).toContain('value="cancel"');
    // Without JavaScript the page says how to see progress.
    expect(html).toContain('<noscript><a href="/studio/site1/migrate?import=imp1">Refresh to see the progress</a></noscript>');
  });

  test("done: the summary with a link to the posts; failed: the error and no buttons", () => {
    const done = render(createElement(ImportJob, { job: job({ status: "done", processed: 12, created: 9, skipped: 2, failed: 1, finishedAt: Date.UTC(2026, 11, 6, 13) }), siteId: "site1", focusOnMount: false }));
    expect(done).toContain('data-testid="summary-created">9</dd>');
    expect(done).toContain('data-testid="summary-skipped">2</dd>');
    expect(done).toContain('data-testid="summary-failed">1</dd>');
    expect(done).toMatch(/<a[^>]*data-testid="import-posts-link"[^>]*href="\/studio\/site1">See the posts<\/a>/);
    // What the dry run said it would do is replaced by what it did.
    expect(done).not.toContain('data-testid="import-plan"');
    expect(done).not.toContain("<form");
    const failed = render(createElement(ImportJob, { job: job({ status: "failed", plan: null, error: "The JSON is cut off at byte 120." }), siteId: "site1", focusOnMount: false }));
    expect(failed).toContain('role="alert" data-testid="import-error">The JSON is cut off at byte 120. Nothing was written to the site.</p>');
    expect(failed).not.toContain("<form");
    expect(failed).not.toContain("<progress");
  });

  test("export links: Ghost JSON, Markdown zip and members CSV of this site", () => {
    const html = render(createElement(ExportPanel, { siteId: "site1" }));
    const hrefs = [...html.matchAll(/<a href="([^"]+)" class="st-button" download=""/g)].map((m) => m[1]);
    expect(hrefs).toEqual(["/studio/site1/export/ghost.json", "/studio/site1/export/markdown.zip", "/studio/site1/audience/export.csv"]);
    expect(html).toContain("Ghost&#x27;s own importer");
  });
});
