// Studio → Settings → Import & export (issue #17) in a real browser, against the e2e stack: an owner
// uploads a truncated Ghost export (the error shows, nothing is written), cancels a dry run, then a
// real-shaped Ghost 4 export: the report, "Import N posts", the live progress bar to done, and a post
// on the reader site. An editor of the same publication gets no link and a 403 on the address.
// The owner's publication is a new one (not a demo site), so other specs' demo pages stay as seeded.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createPublication, expect, test } from "./fixtures";
import { checkEveryWidth, tableRows } from "./visual";

const FIXTURE = path.resolve("tests/fixtures/migrate/ghost/ghost4-mobiledoc.json");

/** What the site holds, by table (read from the backend's data dir). */
function siteRows(table: string, siteId: string): unknown[] {
  return tableRows<{ siteId?: string }>(table).filter((row) => row.siteId === siteId);
}

test("an owner imports a Ghost export: a bad file is refused, the dry run reports, the import runs to done and the post is on the site", async ({ page, browser, signUp }, testInfo) => {
  test.slow();
  await signUp("Iris Importer");
  const { slug, studio, siteId } = await createPublication(page, "The Moving Ledger", "import");

  // Settings → Import & export (the owner's navigation has the link too).
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Import & export" })).toHaveAttribute("href", `${studio}/migrate`);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Settings" }).click();
  await page.getByTestId("settings-migrate-link").click();
  await expect(page).toHaveURL(new RegExp(`${studio}/migrate$`));
  await expect(page.getByRole("heading", { level: 1, name: "Import & export" })).toBeVisible();
  await expect(page.getByTestId("export-ghost")).toHaveAttribute("href", `${studio}/export/ghost.json`);
  await expect(page.getByTestId("export-markdown")).toHaveAttribute("href", `${studio}/export/markdown.zip`);
  await expect(page.getByTestId("export-members")).toHaveAttribute("href", `${studio}/audience/export.csv`);

  // A members CSV is sent to Audience → Import before anything is uploaded.
  await page.getByTestId("import-file").setInputFiles({ name: "members.csv", mimeType: "text/csv", buffer: Buffer.from("email,name\na@example.com,A\n") });
  await expect(page.getByTestId("error-import-file")).toHaveText("This is a members CSV: import it under Audience → Import.");
  await expect(page.getByTestId("import-csv-link")).toHaveAttribute("href", `${studio}/audience/import`);

  // A truncated export: the job fails with the parser's message, and the site holds nothing new.
  const bytes = readFileSync(FIXTURE);
  await page.getByTestId("import-file").setInputFiles({ name: "ghost-truncated.json", mimeType: "application/json", buffer: bytes.subarray(0, Math.floor(bytes.length / 2)) });
  await page.getByTestId("import-upload").click();
  const job = page.getByTestId("import-job");
  await expect(job).toHaveAttribute("data-status", "failed", { timeout: 30_000 });
  await expect(page.getByTestId("import-error")).toContainText("Nothing was written to the site.");
  await expect(page.getByTestId("import-confirm")).toHaveCount(0);
  expect(siteRows("posts", siteId)).toHaveLength(0);
  expect(siteRows("tags", siteId)).toHaveLength(0);
  expect(siteRows("importedItems", siteId)).toHaveLength(0);

  // A dry run canceled before confirming writes nothing either.
  await page.getByTestId("import-file").setInputFiles(FIXTURE);
  await page.getByTestId("import-upload").click();
  await expect(job).toHaveAttribute("data-status", "ready", { timeout: 30_000 });
  await page.getByTestId("import-cancel").click();
  await expect(job).toHaveAttribute("data-status", "canceled");
  await expect(page.getByTestId("import-status")).toHaveText("Canceled. Nothing was imported.");
  expect(siteRows("posts", siteId)).toHaveLength(0);

  // The real export again: the dry run says what it will do, and writes nothing yet.
  await page.getByTestId("import-file").setInputFiles(FIXTURE);
  await page.getByTestId("import-upload").click();
  await expect(job).toHaveAttribute("data-status", "ready", { timeout: 30_000 });
  await expect(job.getByRole("heading", { level: 2 })).toBeFocused();
  await expect(job).toContainText("Ghost JSON export");
  const plan = page.getByTestId("import-plan");
  await expect(plan.getByTestId("plan-posts")).toBeVisible();
  const posts = Number((await plan.getByTestId("plan-posts").locator(".st-migrate-stat__value").innerText()).replace(/,/g, ""));
  expect(posts).toBeGreaterThan(0);
  await expect(page.getByTestId("import-report").getByTestId("report-row").first()).toBeVisible();
  expect(siteRows("posts", siteId)).toHaveLength(0);
  await checkEveryWidth(page, testInfo, "studio-import-dry-run");

  // Import: the live progress bar reaches the total, then the summary.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByTestId("import-confirm").click();
  await expect(job).toHaveAttribute("data-status", "done", { timeout: 60_000 });
  const bar = job.locator("progress");
  await expect(bar).toHaveAttribute("aria-valuetext", `${posts} of ${posts} ${posts === 1 ? "post" : "posts"}`);
  await expect(page.getByTestId("import-progress")).toHaveText(`${posts} of ${posts} ${posts === 1 ? "post" : "posts"}`);
  await expect(page.getByTestId("summary-created")).not.toHaveText("0");
  await expect(page.getByTestId("recent-imports").getByRole("row")).toHaveCount(4); // header + 3 imports

  // The posts list has the published post, and so does the reader site.
  await page.getByTestId("import-posts-link").click();
  await expect(page).toHaveURL(new RegExp(`${studio}$`));
  await expect(page.getByRole("link", { name: "Welcome to the Ledger" })).toBeVisible();
  await page.goto(`/${slug}/welcome`);
  await expect(page.getByRole("heading", { level: 1, name: "Welcome to the Ledger" })).toBeVisible();

  // An editor of the same publication: no link, and the address is refused.
  const editorContext = await browser.newContext();
  const editor = await editorContext.newPage();
  const editorEmail = await signUp("Ed Editor", { page: editor });
  await page.goto(`${studio}/members`);
  await page.getByLabel("Email").fill(editorEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("editor");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const link = await page.getByTestId("invite-link").locator("code").innerText();
  await editor.goto(link);
  await editor.getByRole("button", { name: "Accept invitation" }).click();
  await expect(editor).toHaveURL(new RegExp(`${studio}$`));
  await expect(editor.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Audience" })).toBeVisible();
  await expect(editor.getByRole("link", { name: "Import & export" })).toHaveCount(0);
  const refused = await editor.goto(`${studio}/migrate`);
  expect(refused?.status()).toBe(403);
  await expect(editor.getByTestId("studio-error")).toHaveAttribute("data-status", "403");
  await editorContext.close();
});
