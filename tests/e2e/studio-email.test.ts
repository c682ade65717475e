// The studio's side of issue #15 in a real browser, against the e2e stack (local backend, the
// Resend fake, the production build): an editor creates a newsletter, adds audience members by hand
// (one comped), previews the post's email, publishes the post with email to the newsletter, and
// watches the send's live progress bar reach the total and the counts by status; the members'
// emails arrive in /dev/mailbox.
import type { Page } from "@playwright/test";
import { ConvexHttpClient } from "convex/browser";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { linksFromMailbox } from "../support/mailbox";
import { createPublication, expect, test, unique } from "./fixtures";
import { backendUrl, resendFakeUrl } from "./stack.mjs";



async function addMember(page: Page, email: string, name: string, comp = false) {
  const form = page.getByTestId("add-member-form");
  if (!(await form.isVisible())) await page.getByText("Add a member").click();
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Name (optional)").fill(name);
  if (comp) await form.getByLabel("Complimentary access to paid posts").check();
  await form.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByTestId("form-notice")).toHaveText(`${email} added${comp ? " with complimentary access" : ""}.`);
}

test("an editor creates a newsletter, adds members, publishes a post with email and watches the send finish", async ({ page, signUp }) => {
  test.slow();
  await signUp("Nina Newsletter");
  const { slug, studio } = await createPublication(page, "The Evening Post", "mail");

  // Newsletters: a field error first, then one that new members get by default.
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Newsletters" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Newsletters" })).toBeVisible();
  const create = page.getByTestId("create-newsletter");
  await create.getByLabel("Name", { exact: true }).fill("Evening letter");
  await create.getByLabel("Reply-to (optional)").fill("not an address");
  await create.getByRole("button", { name: "Create newsletter" }).click();
  await expect(page.getByTestId("error-new-replyTo")).toHaveText("Enter a valid email address.");
  await create.getByLabel("Reply-to (optional)").fill("desk@example.com");
  await create.getByRole("button", { name: "Create newsletter" }).click();
  await expect(page.getByTestId("newsletter")).toHaveCount(1);
  await expect(page.getByTestId("newsletter")).toContainText("Evening letter");
  await expect(page.getByTestId("embed-snippet")).toHaveValue(new RegExp(`action="[^"]+/${slug}/email/join"`));

  // Audience: two members by hand (one comped), a bad address refused on its field.
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Audience" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audience" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Import", exact: true })).toHaveAttribute("href", `${studio}/audience/import`);
  await expect(page.getByRole("link", { name: "Export CSV" })).toHaveAttribute("href", `${studio}/audience/export.csv`);
  await page.getByText("Add a member").click();
  await page.getByTestId("add-member-form").getByLabel("Email").fill("nope");
  await page.getByTestId("add-member-form").getByRole("button", { name: "Add member" }).click();
  await expect(page.getByTestId("error-f-email")).toHaveText("Enter a valid email address.");
  const free = `${unique("free")}@example.com`;
  const comped = `${unique("comped")}@example.com`;
  await addMember(page, free, "Fay Free");
  await addMember(page, comped, "Cal Comped", true);
  await expect(page.getByTestId("audience-row")).toHaveCount(2);
  await page.getByRole("link", { name: "Comped", exact: true }).click();
  await expect(page.getByTestId("audience-row")).toHaveCount(1);
  await expect(page.getByTestId("member-email")).toHaveText(comped);

  // A post, published with email to everyone on the newsletter.
  // The new-post page creates the post on the first change (the title), then opens its editor.
  await page.getByRole("link", { name: "New post" }).click();
  await expect(page).toHaveURL(/\/posts\/new$/);
  const body = page.getByRole("textbox", { name: "Post body" });
  await expect(body).toHaveAttribute("contenteditable", "true");
  await page.getByTestId("post-title").fill("Night trains");
  await expect(page).toHaveURL(/\/posts\/(?!new$)[a-z0-9]+$/);
  await expect(page.getByTestId("post-editor")).toBeVisible();
  await expect(body).toHaveAttribute("contenteditable", "true");
  await expect(page.getByTestId("post-title")).toHaveValue("Night trains");
  await body.click();
  await page.keyboard.type("The sleeper leaves at nine.");
  const panel = page.getByTestId("email-panel");
  await expect(panel.getByTestId("email-newsletter").locator("option:checked")).toHaveText("Evening letter");
  await panel.getByTestId("email-segment").selectOption("all");

  // The email preview: rendered HTML in a frame that may run nothing.
  await panel.getByTestId("email-preview-full").click();
  const preview = panel.getByTestId("email-preview");
  await expect(preview.getByTestId("email-preview-subject")).toHaveText(/Night trains/);
  await expect(preview.locator("iframe")).toHaveAttribute("sandbox", "");
  await expect(preview.frameLocator("iframe").getByRole("paragraph").filter({ hasText: "The sleeper leaves at nine." })).toBeVisible();
  await preview.getByRole("button", { name: "Close" }).click();

  await panel.getByTestId("email-mode-email").check();
  await page.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Publish and email" }).click();
  await expect(page.getByTestId("post-status")).toHaveText("Published");
  await expect(page.getByTestId("editor-info")).toContainText("Published, and the email is on its way.");

  // The live progress bar reaches the total (two members), then the counts by status.
  const send = page.getByTestId("send");
  await expect(send).toHaveCount(1);
  await expect(send.getByTestId("send-progress")).toHaveAttribute("data-total", "2", { timeout: 30_000 });
  await expect(send.getByTestId("send-progress")).toHaveAttribute("data-done", "2", { timeout: 30_000 });
  await expect(send).toHaveAttribute("data-status", "sent", { timeout: 30_000 });
  await expect(send.getByTestId("send-status")).toHaveText("Sent");
  await expect(send.getByTestId("send-progress-text")).toHaveText("2 of 2 recipients");
  // Sent or already delivered (the fake's webhooks move them on): two in all, none failed.
  await expect
    .poll(async () => {
      const sent = Number(await send.getByTestId("send-count-sent").locator("dd").textContent());
      const delivered = Number(await send.getByTestId("send-count-delivered").locator("dd").textContent());
      return sent + delivered;
    })
    .toBe(2);
  await expect(send.getByTestId("send-count-failed")).toHaveCount(0);
  await expect(send.getByRole("button", { name: "Cancel send" })).toHaveCount(0);

  // Both members got it, with the link to the post on the site.
  for (const to of [free, comped]) {
    const links = await linksFromMailbox(page, to, /Night trains/);
    expect(links.some((l) => new URL(l).pathname.startsWith(`/${slug}/night-trains`))).toBe(true);
  }
});

/** A Convex client acting as the page's signed-in user (their session token). */
async function clientOf(page: Page): Promise<ConvexHttpClient> {
  const jwt = (await page.context().cookies()).find((c) => c.name.endsWith("__convexAuthJWT"))?.value;
  expect(jwt).toBeTruthy();
  const convex = new ConvexHttpClient(backendUrl);
  convex.setAuth(decodeURIComponent(jwt!));
  return convex;
}

test("a send the provider keeps refusing can be cancelled from the editor while it is in progress", async ({ page, signUp }) => {
  test.slow();
  await signUp("Carl Canceller");
  const { studio } = await createPublication(page, "The Stuck Press", "mail");
  const siteId = studio.split("/").pop() as Id<"sites">;
  const convex = await clientOf(page);
  await convex.mutation(api.newsletters.create, { siteId, name: "Stuck letter", senderName: "Carl", defaultOn: true });
  const stuck = `${unique("stuck")}@example.com`;
  await convex.mutation(api.audience.add, { siteId, email: stuck });
  // The fake answers 500 for this address every time: the batch retries with backoff, the send stays in progress.
  const told = await fetch(`${resendFakeUrl}/_fake/behaviour`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: stuck, behaviour: "fail", attempts: 1000 }) });
  expect(told.ok).toBe(true);
  const doc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Going nowhere." }] }] });
  const postId = await convex.mutation(api.posts.create, { siteId, title: "Stuck", doc });

  await page.goto(`${studio}/posts/${postId}`);
  await expect(page.getByRole("textbox", { name: "Post body" })).toHaveAttribute("contenteditable", "true");
  const panel = page.getByTestId("email-panel");
  await expect(panel.getByTestId("email-newsletter").locator("option:checked")).toHaveText("Stuck letter");
  await panel.getByRole("button", { name: "Email only" }).click();
  await panel.getByRole("button", { name: "Send email" }).click();
  await expect(page.getByTestId("editor-info")).toContainText("The post stays unpublished.");
  await expect(page.getByTestId("post-status")).toHaveText("Draft");
  const send = page.getByTestId("send");
  await expect(send).toHaveAttribute("data-status", "sending", { timeout: 15_000 });
  await send.getByRole("button", { name: "Cancel send" }).click();
  await send.getByRole("button", { name: "Stop sending" }).click();
  await expect(send).toHaveAttribute("data-status", "cancelled");
  await expect(send.getByTestId("send-status")).toHaveText("Cancelled");
  await expect(send.getByRole("button", { name: "Cancel send" })).toHaveCount(0);

  // Scheduling with email: the choice is stored with the post and shown again after a reload.
  await panel.getByTestId("email-mode-email").check();
  await page.getByRole("button", { name: "Schedule", exact: true }).click();
  await expect(page.getByTestId("editor-info")).toContainText(", with the email.");
  await expect(page.getByTestId("post-status")).toHaveText("Scheduled");
  await page.reload();
  await expect(page.getByTestId("email-panel").getByTestId("email-mode-email")).toBeChecked();
  await expect(page.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Publish now and email" })).toBeVisible();
});

test("the audience list: Load more appends the next page in place; the same link opens it without JavaScript", async ({ page, signUp }) => {
  test.slow();
  await signUp("Lena Lister");
  const { studio } = await createPublication(page, "The Long List", "mail");
  // 51 members through Convex as the signed-in editor: one more than a page.
  const convex = await clientOf(page);
  const siteId = studio.split("/").pop() as Id<"sites">;
  for (let i = 0; i < 51; i++) await convex.mutation(api.audience.add, { siteId, email: `listed-${String(i).padStart(2, "0")}@example.com` });

  await page.goto(`${studio}/audience`);
  await expect(page.getByTestId("audience-row")).toHaveCount(50);
  const more = page.getByTestId("load-more");
  await expect(more).toHaveAttribute("href", /\?cursor=/);
  const href = (await more.getAttribute("href"))!;
  await more.click();
  await expect(page.getByTestId("audience-row")).toHaveCount(51);
  await expect(page.getByTestId("member-email").last()).toHaveText("listed-00@example.com");
  await expect(page).toHaveURL(new RegExp(`${studio}/audience$`));
  await expect(page.getByTestId("load-more")).toHaveCount(0);

  // The link itself (what a browser without JavaScript follows): the second page alone.
  await page.goto(href);
  await expect(page.getByTestId("audience-row")).toHaveCount(1);
  await expect(page.getByRole("link", { name: "← First page" })).toBeVisible();
  // A forged cursor in the URL: a readable message and the first page.
  await page.goto(`${studio}/audience?cursor=${encodeURIComponent("forged.cursor")}`);
  await expect(page.getByTestId("cursor-error")).toContainText("That page link is not valid");
  await expect(page.getByTestId("audience-row")).toHaveCount(50);
});
