// Over 400 lines: the studio's browser journeys share one signed-in stack and its personas.
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { backendUrl } from "./stack.mjs";

// The studio in a real browser, on the production build against a fresh local backend: writing and
// publishing a post that readers then see, autosave through a lost connection and a crash, two
// tabs editing the same draft (the conflict chooser), scheduled publishing, and a contributor who
// can only submit for review (and whose forged publish call Convex refuses). Users sign up through
// the real flow, with the code from the dev mailbox.

let counter = 0;
const unique = (tag: string) => `${tag}-${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Creates a publication from /studio (checking the live address check); returns its slug and studio URL. */
async function createPublication(page: Page, name: string): Promise<{ slug: string; studio: string }> {
  const slug = unique("pub");
  await page.goto("/studio");
  await expect(page.getByRole("heading", { level: 1, name: "Your publications" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Address").fill("studio");
  await expect(page.getByTestId("slug-check")).toHaveText("That address is reserved. Please choose another.");
  await page.getByLabel("Address").fill(slug);
  await expect(page.getByTestId("slug-check")).toHaveText(`/${slug} is available.`);
  await page.getByRole("button", { name: "Create publication" }).click();
  await expect(page).toHaveURL(/\/studio\/[a-z0-9]+$/);
  await expect(page.getByTestId("studio-site-name")).toHaveText(name);
  return { slug, studio: new URL(page.url()).pathname };
}

/**
 * Starts a draft from the studio navigation: the new-post page creates the post on the first real
 * change (here, a title) and moves to its editor. Returns the editor's path.
 */
async function newPost(page: Page, title = "A new draft"): Promise<string> {
  await page.getByRole("link", { name: "New post" }).click();
  await expect(page).toHaveURL(/\/posts\/new$/);
  await expectEditorReady(page);
  await page.getByTestId("post-title").fill(title);
  await expect(page).toHaveURL(/\/posts\/(?!new$)[a-z0-9]+$/);
  await expect(page.getByTestId("post-editor")).toBeVisible();
  await expectEditorReady(page);
  return new URL(page.url()).pathname;
}

const body = (page: Page) => page.getByRole("textbox", { name: "Post body" });
/** URLs of files in the e2e backend's Convex file storage. */
const storageUrl = new RegExp(`^${backendUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/api/storage/[A-Za-z0-9_-]+$`);
const saveStatus = (page: Page) => page.getByTestId("save-status");

/** The editor exists (created after hydration) and the page's Convex socket answered. */
async function expectEditorReady(page: Page) {
  await expect(body(page)).toHaveAttribute("contenteditable", "true");
}

async function expectSaved(page: Page, timeout = 15_000) {
  await expect(saveStatus(page)).toHaveAttribute("data-state", "saved", { timeout });
  await expect(saveStatus(page)).toHaveText(/^Saved \d/);
}

/** Types at the end of the body. */
async function typeAtEnd(page: Page, text: string) {
  await body(page).click();
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.type(text);
}

test.describe.configure({ mode: "serial" });

test("create a publication, write a formatted post with an image, tags and a category, publish it, read it", async ({ page, browser, signUp }) => {
  test.slow(); // the whole journey, from sign-up to the reader page and back to the studio's list
  await signUp("Wendy Writer");
  const { slug: site, studio } = await createPublication(page, "The Morning Desk");
  await newPost(page);

  await page.getByTestId("post-title").fill("Rivers in spring");
  await body(page).click();
  // Markdown-style shortcuts of the editor: "## " makes a heading, "- " a list; Ctrl+B bold.
  await page.keyboard.type("## Where the water goes");
  await page.keyboard.press("Enter");
  await page.keyboard.type("Snowmelt makes ");
  await page.keyboard.press("ControlOrMeta+b");
  await page.keyboard.type("every river");
  await page.keyboard.press("ControlOrMeta+b");
  await page.keyboard.type(" rise.");
  await page.keyboard.press("Enter");
  await page.keyboard.type("- first the creeks");
  await page.keyboard.press("Enter");
  await page.keyboard.type("then the valleys");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await page.keyboard.type("Read more at ");
  // The link button asks for the address.
  page.once("dialog", (dialog) => void dialog.accept("https://example.com/rivers"));
  await page.getByRole("toolbar", { name: "Formatting" }).getByRole("button", { name: "Link" }).click();
  await expect(body(page).locator('a[href="https://example.com/rivers"]')).toBeVisible();
  await expectSaved(page);

  // Tags: new names are created on the fly (tags:create) and added.
  await page.getByTestId("tag-input").fill("Nature");
  await page.getByTestId("tag-input").press("Enter");
  await expect(page.getByTestId("post-tags")).toContainText("Nature");
  await page.getByTestId("tag-input").fill("Water");
  await page.getByTestId("tag-input").press("Enter");
  await expect(page.getByTestId("post-tags")).toContainText("Water");
  // A category, created from the select.
  await page.getByTestId("category-select").selectOption("__new");
  await page.getByPlaceholder("New category name").fill("Science");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("category-select").locator("option:checked")).toHaveText("Science");

  // The address followed the title so far; a custom one is checked while typing, and from then on
  // the address is the author's.
  await expect(page.getByTestId("post-slug")).toHaveValue("rivers-in-spring");
  await page.getByTestId("post-slug").fill("spring-rivers");
  await expect(page.getByTestId("slug-availability")).toHaveText("Available");
  await page.getByRole("button", { name: "Change", exact: true }).click();
  await expect(page.getByText("Address changed.")).toBeVisible();

  // A cover image, uploaded to Convex file storage from the side panel.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.getByLabel("Cover image").setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: png });
  await expect(page.getByTestId("cover-preview")).toBeVisible();

  // Preview: the reader's rendering of the draft.
  await page.getByRole("button", { name: "Preview", exact: true }).click();
  const preview = page.getByTestId("preview-body");
  await expect(preview.getByRole("heading", { level: 2, name: "Where the water goes" })).toBeVisible();
  await expect(preview.locator("strong")).toHaveText("every river");
  await page.getByRole("button", { name: "Close preview" }).click();

  // An image in the body, uploaded from the toolbar into Convex file storage; Publish right away,
  // while the image's autosave may still be pending or on its way.
  await body(page).click();
  await page.keyboard.press("ControlOrMeta+End");
  const choosing = page.waitForEvent("filechooser");
  await page.getByRole("toolbar", { name: "Formatting" }).getByRole("button", { name: "Upload image" }).click();
  await (await choosing).setFiles({ name: "river-map.png", mimeType: "image/png", buffer: png });
  await expect(body(page).locator('img[alt="river-map"]')).toBeVisible();
  expect(await body(page).locator('img[alt="river-map"]').getAttribute("src")).toMatch(storageUrl);

  await page.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("post-status")).toHaveText("Published");
  await expect(page.getByTestId("editor-info")).toContainText("Published.");
  await expectSaved(page);
  // Publishing saved what was unsaved first, but only the publish is in the history: the writer
  // never asked for a separate save.
  await page.getByTestId("revisions").locator("summary").click();
  await expect(page.getByTestId("revision")).toHaveCount(1);
  await expect(page.getByTestId("revision").first()).toContainText("#1 Published by Wendy Writer");
  await page.getByTestId("revisions").locator("summary").click();

  // The reader site.
  const reader = await page.context().newPage();
  const response = await reader.goto(`/${site}/spring-rivers`);
  expect(response?.status()).toBe(200);
  await expect(reader.getByRole("heading", { level: 1, name: "Rivers in spring" })).toBeVisible();
  // The cover is a <figure> in the post header (issue #16 themes).
  const cover = reader.locator("figure.post__cover > img.post__cover-image");
  await expect(cover).toBeVisible();
  expect((await reader.request.get((await cover.getAttribute("src"))!)).headers()["content-type"]).toBe("image/png");
  const readerBody = reader.getByTestId("post-body");
  await expect(readerBody.getByRole("heading", { level: 2, name: "Where the water goes" })).toBeVisible();
  await expect(readerBody.locator("strong")).toHaveText("every river");
  await expect(readerBody.locator("li")).toHaveText(["first the creeks", "then the valleys"]);
  await expect(readerBody.getByRole("link", { name: "https://example.com/rivers" })).toHaveAttribute("href", "https://example.com/rivers");
  // The body image, served from Convex file storage.
  const bodyImage = readerBody.locator('img[alt="river-map"]');
  await expect(bodyImage).toBeVisible();
  const bodyImageSrc = (await bodyImage.getAttribute("src"))!;
  expect(bodyImageSrc).toMatch(storageUrl);
  const bodyImageFile = await reader.request.get(bodyImageSrc);
  expect(bodyImageFile.status()).toBe(200);
  expect(bodyImageFile.headers()["content-type"]).toBe("image/png");
  const article = reader.getByRole("article", { name: "Rivers in spring" });
  await expect(article.getByRole("link", { name: "#Nature" })).toBeVisible();
  await expect(article.getByRole("link", { name: "#Water" })).toBeVisible();
  await expect(article.getByRole("link", { name: "Science" })).toBeVisible();

  // Edits to a published post stay in the draft until "Update".
  await typeAtEnd(page, " Updated later.");
  await expectSaved(page);
  await expect(page.getByTestId("post-status")).toContainText("unpublished changes");
  await reader.reload();
  await expect(reader.getByTestId("post-body")).not.toContainText("Updated later.");
  await page.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Update" }).click();
  await expect(page.getByTestId("post-status")).toHaveText("Published");
  await expect(async () => {
    await reader.reload();
    await expect(reader.getByTestId("post-body")).toContainText("Updated later.", { timeout: 1000 });
  }).toPass({ timeout: 10_000 });

  // Markdown export: the title as the top heading, the formatting as Markdown.
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export .md" }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toBe("spring-rivers.md");
  const markdown = await new Promise<string>((resolve, reject) => {
    void file.createReadStream().then((stream) => {
      let text = "";
      stream.on("data", (chunk) => (text += chunk));
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
    });
  });
  expect(markdown).toContain("# Rivers in spring");
  expect(markdown).toContain("## Where the water goes");
  expect(markdown).toContain("**every river**");
  expect(markdown).toMatch(/^- first the creeks$/m);

  // Revision history: each publish is kept; an old one can be compared and restored into the
  // draft, and readers keep seeing the published version.
  await page.getByTestId("revisions").locator("summary").click();
  const revisions = page.getByTestId("revision");
  await expect(revisions).toHaveCount(2);
  await expect(revisions.first()).toContainText("#2 Published by Wendy Writer");
  const firstPublish = revisions.filter({ hasText: "#1 Published" });
  await firstPublish.getByRole("button", { name: "View" }).click();
  await expect(page.getByTestId("revision-view").getByTestId("diff").locator("ins")).toContainText(["Updated later."]);
  await firstPublish.getByRole("button", { name: "Restore" }).click();
  await firstPublish.getByRole("button", { name: "Restore #1" }).click();
  await expect(page.getByTestId("editor-info")).toContainText("Revision #1 restored into the draft.");
  await expect(body(page)).not.toContainText("Updated later.");
  await expectSaved(page);
  await expect(page.getByTestId("post-status")).toContainText("unpublished changes");
  await reader.reload();
  await expect(reader.getByTestId("post-body")).toContainText("Updated later.");
  // The draft that was replaced is in the history too (kept before the restore).
  await expect(revisions.first()).toContainText("Restored");
  await expect(revisions.filter({ hasText: "Saved" })).toHaveCount(1);

  // The posts list shows it, and finds it by a word of its text, by tag and by category.
  await page.getByRole("link", { name: "Posts", exact: true }).click();
  await expect(page.getByTestId("post-row").filter({ hasText: "Rivers in spring" })).toContainText("Published");
  const filters = page.getByRole("search", { name: "Search and filter posts" });
  await filters.getByLabel("Search").fill("snowmelt");
  await filters.getByLabel("Search").press("Enter");
  await expect(page).toHaveURL(new RegExp(`${studio}\\?q=snowmelt$`));
  await expect(page.getByTestId("post-row")).toHaveText([/Rivers in spring/]);
  await filters.getByLabel("Search").fill("glaciers");
  await filters.getByLabel("Search").press("Enter");
  await expect(page.getByText("No posts match “glaciers”.")).toBeVisible();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(new RegExp(`${studio}$`));
  await filters.getByLabel("Tag").selectOption({ label: "Water" });
  await expect(page).toHaveURL(/\?tag=[a-z0-9]+$/);
  await expect(page.getByTestId("post-row")).toHaveText([/Rivers in spring/]);
  await filters.getByLabel("Category").selectOption({ label: "Science" });
  await expect(page).toHaveURL(/\?tag=[a-z0-9]+&category=[a-z0-9]+$/);
  await expect(page.getByTestId("post-row")).toHaveText([/Rivers in spring/]);
  await page.getByRole("navigation", { name: "Filter by status" }).getByRole("link", { name: "Drafts" }).click();
  await expect(page).toHaveURL(/\?tag=[a-z0-9]+&category=[a-z0-9]+&status=draft$/);
  await expect(page.getByText("No posts match these filters.")).toBeVisible();

  // Without JavaScript the filters are a plain GET form and still work.
  const noScript = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const plain = await noScript.newPage();
  await plain.goto(`${studio}?q=snowmelt`);
  await expect(plain.getByTestId("post-row")).toHaveText([/Rivers in spring/]);
  const plainFilters = plain.getByRole("search", { name: "Search and filter posts" });
  await plainFilters.getByLabel("Search").fill("glaciers");
  await plainFilters.getByRole("button", { name: "Filter" }).click();
  await expect(plain.getByText("No posts match “glaciers”.")).toBeVisible();
  await noScript.close();

  // A second post cannot take the first one's address: the check says so and offers another.
  await newPost(page);
  await page.getByTestId("post-slug").fill("spring-rivers");
  await expect(page.getByTestId("slug-availability")).toContainText("Taken by another post");
  await expect(page.getByRole("button", { name: "Change", exact: true })).toBeDisabled();
  await page.getByRole("button", { name: "Use “spring-rivers-2”" }).click();
  await expect(page.getByTestId("post-slug")).toHaveValue("spring-rivers-2");
  await expect(page.getByTestId("slug-availability")).toHaveText("Available");
});

test("offline mid-typing: the changes stay on the device, survive a crash, come back and get saved", async ({ page, context, signUp }) => {
  await signUp("Olly Offline");
  await createPublication(page, "Offline Weekly");
  const editorPath = await newPost(page);
  const postId = editorPath.split("/").pop()!;
  await page.getByTestId("post-title").fill("Written on a train");
  await body(page).click();
  await page.keyboard.type("Before the tunnel.");
  await expectSaved(page);

  // The connection drops (the Convex socket closes) while the writer keeps typing.
  await context.setOffline(true);
  await page.keyboard.type(" Inside the tunnel, no signal at all.");
  await expect(saveStatus(page)).toHaveText(/Offline — changes kept on this device, retrying/, { timeout: 10_000 });
  await expect(saveStatus(page)).toHaveAttribute("data-state", "offline");
  const backup = await page.evaluate((id) => localStorage.getItem(`pressroom:draft:${id}`), postId);
  expect(backup).toContain("Inside the tunnel");

  // The tab dies before the connection comes back (its queued save never leaves the browser).
  await page.close({ runBeforeUnload: false });
  await context.setOffline(false);

  // Back: the server still has the old text; the page offers what this device kept.
  const again = await context.newPage();
  await again.goto(editorPath);
  await expect(again.getByTestId("restore-offer")).toBeVisible();
  await expect(body(again)).not.toContainText("Inside the tunnel");
  await again.getByRole("button", { name: "Restore my changes" }).click();
  await expect(body(again)).toContainText("Before the tunnel. Inside the tunnel, no signal at all.");
  await expectSaved(again);
  await expect.poll(() => again.evaluate((id) => localStorage.getItem(`pressroom:draft:${id}`), postId)).toBeNull();

  // Saved for real: a fresh load has it, with nothing to restore.
  await again.reload();
  await expectEditorReady(again);
  await expect(body(again)).toContainText("Inside the tunnel, no signal at all.");
  await expect(again.getByTestId("post-title")).toHaveValue("Written on a train");
  await expect(again.getByTestId("restore-offer")).toHaveCount(0);
});

test("two tabs on one draft: the second save shows both versions, and the choice is kept", async ({ page, context, signUp }) => {
  await signUp("Tess Twotabs");
  await createPublication(page, "Two Tabs Times");
  const editorPath = await newPost(page);
  await page.getByTestId("post-title").fill("Shared draft");
  await body(page).click();
  await page.keyboard.type("Common start.");
  await expectSaved(page);

  const second = await context.newPage();
  await second.goto(editorPath);
  await expectEditorReady(second);
  await expect(body(second)).toContainText("Common start.");

  // Live: an edit in the first tab shows in the idle second one within a second.
  await typeAtEnd(page, " Seen live.");
  await expectSaved(page);
  await expect(body(second)).toContainText("Common start. Seen live.", { timeout: 2000 });

  // Both edit before either save lands: the first save wins, the second meets a conflict.
  await typeAtEnd(page, " Alpha from tab one.");
  await typeAtEnd(second, " Beta from tab two.");
  await expectSaved(page);
  const chooser = second.getByTestId("conflict-chooser");
  await expect(chooser).toBeVisible({ timeout: 15_000 });
  await expect(saveStatus(second)).toHaveAttribute("data-state", "conflict");
  await expect(chooser.getByTestId("conflict-mine")).toContainText("Beta from tab two.");
  await expect(chooser.getByTestId("conflict-theirs")).toContainText("Alpha from tab one.");
  // Nothing was overwritten: the first tab still has its text, the second still has its own.
  await expect(body(page)).toContainText("Alpha from tab one.");
  await expect(body(second)).toContainText("Beta from tab two.");
  await expect(body(second)).not.toContainText("Alpha from tab one.");

  // Keep mine: the second tab's text is saved; the first tab follows (it had nothing unsaved).
  await chooser.getByRole("button", { name: "Keep mine" }).click();
  await expectSaved(second);
  await expect(chooser).toHaveCount(0);
  await expect(body(page)).toContainText("Beta from tab two.", { timeout: 3000 });
  await expect(page.getByTestId("editor-info")).toContainText("Updated with a version saved elsewhere");

  // Again, this time keeping both: neither tab's words are lost.
  await typeAtEnd(page, " Gamma one.");
  await typeAtEnd(second, " Delta two.");
  await expectSaved(page);
  await expect(chooser).toBeVisible({ timeout: 15_000 });
  await chooser.getByRole("button", { name: "Keep both" }).click();
  await expectSaved(second);
  for (const tab of [second, page]) {
    await expect(body(tab)).toContainText("Gamma one.", { timeout: 3000 });
    await expect(body(tab)).toContainText("Delta two.");
  }
  // And after a reload, the server has both.
  await page.reload();
  await expectEditorReady(page);
  await expect(body(page)).toContainText("Gamma one.");
  await expect(body(page)).toContainText("Delta two.");
});

test("a scheduled post appears on the reader site on time", async ({ page, signUp }) => {
  await signUp("Sam Scheduler");
  const { slug: site } = await createPublication(page, "Scheduled Journal");
  await newPost(page);
  await page.getByTestId("post-title").fill("Right on time");
  await body(page).click();
  await page.keyboard.type("This post publishes itself.");
  await expectSaved(page);
  // Issue #16: the address follows the title while the post is a draft nobody gave an address.
  await expect(page.getByTestId("post-slug")).toHaveValue("right-on-time");

  // Five seconds from now, in the browser's time zone (the input is datetime-local with seconds).
  const at = await page.evaluate(() => {
    const d = new Date(Date.now() + 5000);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  });
  await page.getByTestId("schedule-at").fill(at);
  await page.getByRole("button", { name: "Schedule", exact: true }).click();
  await expect(page.getByTestId("post-status")).toHaveText("Scheduled");
  await expect(page.getByTestId("scheduled-for")).toBeVisible();
  // Scheduling keeps the address the title gave it.
  await expect(page.getByTestId("post-slug")).toHaveValue("right-on-time");
  const slug = "right-on-time";

  const reader = await page.context().newPage();
  expect((await reader.goto(`/${site}/${slug}`))?.status()).toBe(404);

  // The editor sees the scheduler publish it (live), and so do readers.
  await expect(page.getByTestId("post-status")).toHaveText("Published", { timeout: 20_000 });
  await expect(async () => {
    const response = await reader.goto(`/${site}/${slug}`);
    expect(response?.status()).toBe(200);
  }).toPass({ timeout: 10_000 });
  await expect(reader.getByRole("heading", { level: 1, name: "Right on time" })).toBeVisible();
  await expect(reader.getByTestId("post-body")).toContainText("This post publishes itself.");
});

test("a contributor cannot publish: no button, and a forged publish call is refused", async ({ page, browser, signUp }) => {
  await signUp("Olga Owner");
  const { studio } = await createPublication(page, "Reviewed Review");

  const contributorContext = await browser.newContext();
  const contributor = await contributorContext.newPage();
  const contributorEmail = await signUp("Carl Contributor", { page: contributor });

  // The owner invites; the contributor follows the link.
  await page.goto(`${studio}/members`);
  await page.getByLabel("Email").fill(contributorEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("contributor");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const link = await page.getByTestId("invite-link").locator("code").innerText();
  await contributor.goto(link);
  await contributor.getByRole("button", { name: "Accept invitation" }).click();
  await expect(contributor).toHaveURL(new RegExp(`${studio}$`));
  await expect(contributor.getByRole("link", { name: "Settings" })).toHaveCount(0);

  const editorPath = await newPost(contributor);
  const [, , siteId, , postId] = editorPath.split("/");
  await contributor.getByTestId("post-title").fill("Please publish me");
  await body(contributor).click();
  await contributor.keyboard.type("A contributor's draft.");
  await expectSaved(contributor);

  const actions = contributor.getByRole("group", { name: "Post actions" });
  await expect(actions.getByRole("button", { name: "Publish" })).toHaveCount(0);
  await expect(contributor.getByRole("button", { name: "Schedule", exact: true })).toHaveCount(0);
  await expect(contributor.getByRole("button", { name: "Delete" })).toHaveCount(0);

  // A forged call from the contributor's page, with its own session token: Convex says FORBIDDEN.
  const forged = await contributor.evaluate(
    async ({ convexUrl, siteId, postId }) => {
      const { token } = await (await fetch("/api/auth/token")).json();
      const response = await fetch(`${convexUrl}/api/mutation`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ path: "posts:publish", args: { siteId, postId }, format: "json" }),
      });
      return (await response.json()) as { status: string; errorData?: { code?: string } };
    },
    { convexUrl: backendUrl, siteId, postId },
  );
  expect(forged).toMatchObject({ status: "error", errorData: { code: "FORBIDDEN" } });

  // Submitting for review is what a contributor can do; the owner sees it in the queue.
  await actions.getByRole("button", { name: "Submit for review" }).click();
  await expect(actions.getByRole("button", { name: "Waiting for review" })).toBeDisabled();
  await expect(contributor.getByTestId("post-status")).toHaveText("Draft · in review");
  await page.goto(`${studio}/review`);
  await expect(page.getByTestId("review-item")).toContainText("Please publish me");
  await expect(page.getByTestId("review-item")).toContainText("by Carl Contributor");
  await contributorContext.close();
});
