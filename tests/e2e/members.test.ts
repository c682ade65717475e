import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { makeFunctionReference } from "convex/server";
import { codeFromMailbox } from "../support/mailbox";
import { expect, test, uniqueEmail } from "./fixtures";

// Members (issue #15) from the reader's side, in a real browser against the production build: a
// reader joins a publication from the home page's form with the code from /dev/mailbox, with
// JavaScript off (the forms are plain POST forms); the embeddable form posts from another origin.

const SITE = "the-ledger";

test.beforeAll(async ({ admin }) => {
  await admin.mutation(makeFunctionReference<"mutation">("demo:seedDemo") as any, {});
});

async function expectNoSeriousA11yViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id} (${v.impact})`), `${label}: axe violations`).toEqual([]);
}

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a reader joins from the home page form with the emailed code and is in", async ({ page }) => {
    const email = uniqueEmail("member");
    await page.goto(`/${SITE}/`);
    const form = page.getByTestId("join-form");
    await form.getByLabel("Email address").fill(email);
    await form.getByRole("button", { name: "Join for free" }).click();
    await expect(page).toHaveURL(`/${SITE}/email/confirm?email=${encodeURIComponent(email)}`);
    await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
    // A wrong code is a field error, and the reader can try again.
    const code = await codeFromMailbox(page, email, /Your code to join/, 6);
    await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByRole("alert")).toHaveText("That code is wrong or has expired. Request a new one.");
    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "You're in" })).toBeVisible();
    await expect(page.getByTestId("joined")).toContainText(email);
  });
});

test("the embeddable form posts from another site; other forms still refuse it", async ({ request }) => {
  const email = uniqueEmail("embed");
  const embedded = await request.post(`/${SITE}/email/join`, { headers: { Origin: "https://elsewhere.example" }, form: { email }, maxRedirects: 0 });
  expect(embedded.status()).toBe(303);
  expect(embedded.headers()["location"]).toBe(`/${SITE}/email/confirm?email=${encodeURIComponent(email)}`);
  const refused = await request.post(`/${SITE}/email/confirm`, { headers: { Origin: "https://elsewhere.example" }, form: { intent: "confirm", email, code: "123456" }, maxRedirects: 0 });
  expect(refused.status()).toBe(403);
});

test("the member pages are accessible; a forged unsubscribe link gets a readable error, not an unsubscribe", async ({ page }) => {
  await page.goto(`/${SITE}/`);
  await expect(page.getByTestId("join-form")).toBeVisible();
  await expectNoSeriousA11yViolations(page, "home with the join form");
  await page.goto(`/${SITE}/email/confirm?email=${encodeURIComponent("someone@example.com")}`);
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, "code step");
  await page.goto(`/${SITE}/email/unsubscribe?token=m1.forged.token.u.AAAA`);
  await expectNoSeriousA11yViolations(page, "unsubscribe");
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(page.getByTestId("link-error")).toHaveText("This link is not valid. Use the latest link from one of our emails.");
  const prefs = await page.goto(`/${SITE}/email/preferences?token=m1.forged.token.p.AAAA`);
  expect(prefs?.status()).toBe(400);
  await expect(page.getByTestId("link-error")).toContainText("This link is not valid.");
});
