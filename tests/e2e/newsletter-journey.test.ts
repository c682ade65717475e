// Issue #15's whole journey in one real browser against the e2e stack (local backend, the Stripe and
// Resend fakes, the production build): a reader joins a publication for free from its home page, gets
// a featured post by email as a teaser (the paywall holds in email), follows the email's upgrade button
// and pays, gets the next featured post in full, unsubscribes with one click (RFC 8058, as Gmail does)
// and through the visible link's page, gets no more posts, and can still read the site.
// The editor's setup (publication, paid plan, newsletter, drafts) goes through Convex as the editor;
// publishing with email goes through the post editor's email panel.
import type { Browser, Page } from "@playwright/test";
import { ConvexHttpClient } from "convex/browser";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { codeFromMailbox, linksFromMailbox, openMailbox } from "../support/mailbox";
import { expect, test, uniqueEmail } from "./fixtures";
import { backendUrl } from "./stack.mjs";

/** A Convex client acting as the page's signed-in user (their session token). */
async function clientOf(page: Page): Promise<ConvexHttpClient> {
  const jwt = (await page.context().cookies()).find((c) => c.name.endsWith("__convexAuthJWT"))?.value;
  expect(jwt).toBeTruthy();
  const convex = new ConvexHttpClient(backendUrl);
  convex.setAuth(decodeURIComponent(jwt!));
  return convex;
}

const paragraphs = (...texts: string[]) =>
  JSON.stringify({ type: "doc", content: texts.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })) });

interface Draft {
  postId: Id<"posts">;
  title: string;
  excerpt: string;
  /** A sentence of the body only: never in a free member's email. */
  secret: string;
}

/** A featured draft with an excerpt, written through Convex as the editor. */
async function featuredDraft(convex: ConvexHttpClient, siteId: Id<"sites">, n: number, tag: string): Promise<Draft> {
  const title = `Dispatch ${n}: ${tag}`;
  const excerpt = `Teaser ${n}: what the council decided about ${tag}.`;
  const secret = `Body ${n} only: the ${tag} vote was 7 to 2 after midnight.`;
  const postId = await convex.mutation(api.posts.create, { siteId, title, doc: paragraphs(`Opening of dispatch ${n}.`, secret) });
  const { draft } = await convex.query(api.posts.getForEdit, { siteId, postId });
  await convex.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: draft.version, excerpt, explicit: true });
  await convex.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
  return { postId, title, excerpt, secret };
}

/** Publishes the post with email to all members of the newsletter through the editor's email panel; waits until sent. */
async function publishWithEmail(editor: Page, studio: string, draft: Draft, newsletter: string, total: number) {
  await editor.goto(`${studio}/posts/${draft.postId}`);
  await expect(editor.getByRole("textbox", { name: "Post body" })).toHaveAttribute("contenteditable", "true");
  const panel = editor.getByTestId("email-panel");
  await expect(panel.getByTestId("email-newsletter").locator("option:checked")).toHaveText(newsletter);
  await panel.getByTestId("email-segment").selectOption("all");
  await expect(panel).toContainText("Free members get the teaser and an upgrade button");
  await panel.getByTestId("email-mode-email").check();
  await editor.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Publish and email" }).click();
  await expect(editor.getByTestId("post-status")).toHaveText("Published");
  const send = editor.getByTestId("send");
  await expect(send).toHaveCount(1);
  await expect(send).toHaveAttribute("data-status", "sent", { timeout: 30_000 });
  await expect(send.getByTestId("send-progress")).toHaveAttribute("data-total", String(total));
  await expect(send.getByTestId("send-count-failed")).toHaveCount(0);
}

/** The studio's audience list under a filter: the row of `email` (reloaded until `access`/`state` show). */
async function expectMemberRow(editor: Page, studio: string, filter: string, email: string, badge: { testId: string; text: string }) {
  await expect(async () => {
    await editor.goto(`${studio}/audience?filter=${filter}`);
    const row = editor.getByTestId("audience-row").filter({ hasText: email });
    await expect(row).toHaveCount(1, { timeout: 1000 });
    await expect(row.getByTestId(badge.testId)).toHaveText(badge.text, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
}

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test("a reader joins free, gets the teaser, upgrades from the email, gets the next post in full, unsubscribes in one click and keeps reading", async ({
  page: reader,
  browser,
  signUp,
  playwright,
}) => {
  test.setTimeout(150_000);
  const tag = Date.now().toString(36);

  // The editor: a publication with a paid plan (mirrored to the Stripe fake) and a newsletter new members get.
  const editor = await newPage(browser);
  await signUp("Eda Editor", { page: editor });
  const convex = await clientOf(editor);
  const slug = `journey-${tag}`;
  const siteId = await convex.mutation(api.sites.create, { name: "The Journey Gazette", slug });
  const studio = `/studio/${siteId}`;
  const planId = await convex.mutation(api.plans.create, { siteId, name: "Gazette Member", priceCents: 500, currency: "usd", interval: "month", features: [] });
  await expect
    .poll(async () => (await convex.query(api.plans.listForSite, { siteId })).find((p) => p._id === planId)?.syncedToStripe, { timeout: 15_000 })
    .toBe(true);
  const newsletter = "Gazette Weekly";
  await convex.mutation(api.newsletters.create, { siteId, name: newsletter, senderName: "Eda", defaultOn: true });
  // A second member, so that the last send provably went out while skipping the unsubscribed reader.
  const control = uniqueEmail("control");
  await convex.mutation(api.audience.add, { siteId, email: control });
  const posts = [await featuredDraft(convex, siteId, 1, tag), await featuredDraft(convex, siteId, 2, tag), await featuredDraft(convex, siteId, 3, tag)];

  // 1. The reader joins free from the home page with the 6-digit code from the mailbox.
  const email = uniqueEmail("journey");
  await reader.goto(`/${slug}/`);
  const form = reader.getByTestId("join-form");
  await form.getByLabel("Email address").fill(email);
  await form.getByRole("button", { name: "Join for free" }).click();
  await expect(reader.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
  await reader.getByLabel("Code").fill(await codeFromMailbox(reader, email, /Your code to join/, 6));
  await reader.getByRole("button", { name: "Confirm" }).click();
  await expect(reader.getByRole("heading", { level: 1, name: "You're in" })).toBeVisible();
  await expectMemberRow(editor, studio, "free", email, { testId: "member-access", text: "Free" });

  // 2. The editor publishes featured post 1 with email to everyone (the reader and the control member).
  await publishWithEmail(editor, studio, posts[0], newsletter, 2);

  // 3. Paywall in email: the free reader gets the excerpt and the upgrade button, never the body.
  const first = (await openMailbox(reader, email)).filter({ hasText: posts[0].title });
  await expect(first).toHaveCount(1);
  const firstText = first.getByTestId("mailbox-text");
  await expect(firstText).toContainText(posts[0].excerpt);
  await expect(firstText).toContainText("Upgrade to read the whole post");
  await expect(firstText).not.toContainText(posts[0].secret);
  expect(await first.getByTestId("mailbox-html").getAttribute("srcdoc")).not.toContain(posts[0].secret);

  // 4. The upgrade link, a sign-up with the same address (what a reader without an account does), Stripe Checkout.
  const upgrade = (await linksFromMailbox(reader, email, new RegExp(posts[0].title))).find((l) => l.includes(`/${slug}/subscribe`));
  expect(upgrade, "the teaser's upgrade link").toBeTruthy();
  const postSlug = new URL(upgrade!).searchParams.get("from");
  expect(postSlug, "the upgrade link names the post").toBeTruthy();
  await reader.goto(upgrade!);
  await reader.getByTestId("plans").getByRole("button", { name: /^Subscribe/ }).first().click();
  await expect(reader).toHaveURL(/\/signup\?redirectTo=/);
  await signUp("Jo Journey", { page: reader, email });
  await expect(reader).toHaveURL(`/${slug}/subscribe?from=${postSlug}`);
  // Signed in with the address they joined with, the reader is recognised as already following.
  await expect(reader.getByTestId("join-following")).toContainText("You follow The Journey Gazette");
  await reader.getByTestId("plans").getByRole("button", { name: /^Subscribe/ }).first().click();
  await expect(reader.getByText("TEST PAYMENT PAGE — no real money")).toBeVisible();
  await reader.getByRole("button", { name: "Pay" }).click();
  // Checkout returns the new subscriber to the post the email was about, now in full.
  await expect(reader).toHaveURL(new RegExp(`/${slug}/${postSlug}\\?checkout=success`));
  await expect(reader.getByTestId("post-body")).toContainText(posts[0].secret);
  await expect(reader.getByTestId("paywall")).toHaveCount(0);
  // The same member row (the address the reader joined with) is now paid, in the studio.
  await expectMemberRow(editor, studio, "paid", email, { testId: "member-access", text: "Paid" });

  // 5. Featured post 2 reaches the now-paid reader in full.
  await publishWithEmail(editor, studio, posts[1], newsletter, 2);
  const second = (await openMailbox(reader, email)).filter({ hasText: posts[1].title });
  await expect(second).toHaveCount(1);
  await expect(second.getByTestId("mailbox-text")).toContainText(posts[1].secret);
  await expect(second.getByTestId("mailbox-text")).not.toContainText("Upgrade to read the whole post");

  // 6. One-click unsubscribe as a mail client does it: POST the List-Unsubscribe URL, no cookies.
  const header = await second.locator('[data-testid="mailbox-header"][data-name="List-Unsubscribe"] dd').innerText();
  await expect(second.locator('[data-testid="mailbox-header"][data-name="List-Unsubscribe-Post"] dd')).toHaveText("List-Unsubscribe=One-Click");
  const oneClick = /^<(https?:\/\/[^>]+)>/.exec(header)?.[1];
  expect(oneClick, `an http(s) URL in List-Unsubscribe: ${header}`).toBeTruthy();
  const mailClient = await playwright.request.newContext();
  const res = await mailClient.post(oneClick!, {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    data: "List-Unsubscribe=One-Click",
    maxRedirects: 0,
  });
  expect(res.status(), await res.text()).toBe(200);
  await mailClient.dispose();
  await expectMemberRow(editor, studio, "unsubscribed", email, { testId: "member-email-state", text: "Unsubscribed" });

  // The visible footer link: a page with a button (a GET changes nothing), which confirms.
  const visible = (await linksFromMailbox(reader, email, new RegExp(posts[1].title))).find((l) => l.includes(`/${slug}/email/unsubscribe?token=`));
  expect(visible, "the footer's unsubscribe link").toBeTruthy();
  await reader.goto(visible!);
  await expect(reader.getByRole("heading", { level: 1 })).toHaveText("Unsubscribe from The Journey Gazette");
  await reader.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(reader.getByRole("heading", { level: 1, name: "You're unsubscribed" })).toBeVisible();
  await expect(reader.getByTestId("unsubscribed")).toContainText("You can still read the site.");

  // Post 3 goes out (to the control member only) and does not reach the reader.
  await publishWithEmail(editor, studio, posts[2], newsletter, 1);
  await expect((await openMailbox(reader, control)).filter({ hasText: posts[2].title })).toHaveCount(1);
  const afterwards = await openMailbox(reader, email);
  await expect(afterwards.filter({ hasText: posts[1].title })).toHaveCount(1);
  await expect(afterwards.filter({ hasText: posts[2].title })).toHaveCount(0);

  // Unsubscribed from email, not from the site: the paid reader still reads the featured post in full.
  await reader.goto(`/${slug}`);
  await reader.getByRole("link", { name: posts[2].title }).first().click();
  await expect(reader.getByTestId("post-body")).toContainText(posts[2].secret);
  await expect(reader.getByTestId("paywall")).toHaveCount(0);
  await editor.context().close();
});
