// Playwright fixtures shared by the browser tests: `signUp` (a new user through the real pages,
// with the code from the dev mailbox) and `admin` (a Convex client with the e2e backend's admin key,
// one per worker, e.g. to seed the demo). Specs import `test` and `expect` from here.
import { expect, test as base, type Page } from "@playwright/test";
import { ConvexHttpClient } from "convex/browser";
import { codeFromMailbox } from "../support/mailbox";
import { adminKey, backendUrl } from "./stack.mjs";

export { expect };

let counter = 0;
/** An address no other test in the run uses. */
export const uniqueEmail = (tag: string) => `${tag}-${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
/** A name (slug, address part) no other test in the run uses. */
export const unique = (tag: string) => `${tag}-${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Creates a publication through /studio as the signed-in page's user; its slug starts with `tag`. */
export async function createPublication(page: Page, name: string, tag: string): Promise<{ slug: string; studio: string; siteId: string }> {
  const slug = unique(tag);
  await page.goto("/studio");
  await page.getByLabel("Name").fill(name);
  // Typed again until the page has hydrated and the live address check answers.
  await expect(async () => {
    await page.getByLabel("Address").fill("");
    await page.getByLabel("Address").fill(slug);
    await expect(page.getByTestId("slug-check")).toHaveText(`/${slug} is available.`, { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await page.getByRole("button", { name: "Create publication" }).click();
  await expect(page).toHaveURL(/\/studio\/[a-z0-9]+$/);
  const studio = new URL(page.url()).pathname;
  return { slug, studio, siteId: studio.split("/")[2]! };
}

export type SignUp = (name: string, options?: { page?: Page; email?: string; password?: string }) => Promise<string>;

/**
 * Signs a new user up through the pages: /signup (unless the page is already on it, e.g. sent there
 * by a paywall), the emailed code on /verify, Continue. The page ends signed in as `name`.
 */
export async function signUpThroughPages(page: Page, name: string, email: string, password: string): Promise<void> {
  if (new URL(page.url(), "http://x").pathname !== "/signup") await page.goto("/signup");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await page.getByLabel("Code").fill(await codeFromMailbox(page, email));
  await page.getByRole("button", { name: "Continue" }).click();
  // Signed in as `name`: the platform bar's account link, or, back on a publication's page (which
  // draws no platform bar, issue #16), the reader header's account link.
  const platform = page.getByTestId("account-link").filter({ hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) });
  const reader = page.locator(`header a[href="/account"][title=${JSON.stringify(`Signed in as ${name}`)}]`);
  await expect(platform.or(reader)).toBeVisible();
}

export const test = base.extend<{ signUp: SignUp }, { admin: ConvexHttpClient }>({
  /** signUp(name, { page = the test's page, email = a fresh one }): the address it signed up with. */
  signUp: async ({ page }, use) => {
    await use(async (name, options = {}) => {
      const email = options.email ?? uniqueEmail("e2e");
      await signUpThroughPages(options.page ?? page, name, email, options.password ?? "correct horse battery staple");
      return email;
    });
  },
  admin: [
    // Playwright reads a fixture's dependencies from its first parameter's pattern: none here.
    async ({}, use) => {
      const client = new ConvexHttpClient(backendUrl);
      (client as unknown as { setAdminAuth(key: string): void }).setAdminAuth(adminKey());
      await use(client);
    },
    { scope: "worker" },
  ],
});
