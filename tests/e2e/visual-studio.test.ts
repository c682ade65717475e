import type { BrowserContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { checkEveryWidth, demoSite, fn, postId, joinAsAdmin, type DemoSite } from "./visual";

// Issue #16's visual matrix for the studio: the publications list, the posts list, the editor,
// Design, Audience and Settings at 375, 768, 1280 and 1920 px — no horizontal overflow, axe clean
// (and in dark mode at 1280), full-page screenshots in test-results/. The pages show real content:
// a new user is invited as an admin of the demo's The Ledger (20 posts, tags, categories, plans)
// by its owner, accepts through the invitation page, and stays signed in for every test here.

const SITE = "the-ledger";
const POST = "city-budgets-explained";

let site: DemoSite;
let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ admin, browser }) => {
  test.setTimeout(120_000);
  await admin.mutation(fn.mutation("demo:seedDemo"), {});
  site = demoSite(SITE);
  context = await browser.newContext();
  page = await context.newPage();
  await joinAsAdmin(page, site, "Vera Visual", "visual-studio");
});

test.afterAll(async () => {
  await context?.close();
});

const studio = () => `/studio/${site.siteId}`;

const PAGES: Array<{ name: string; path: () => string; shows: (page: Page) => Promise<void> }> = [
  {
    name: "publications",
    path: () => "/studio",
    shows: (p) => expect(p.getByRole("main").getByRole("link", { name: /The Ledger/ }).first()).toBeVisible(),
  },
  {
    name: "posts-list",
    path: () => studio(),
    shows: (p) => expect(p.getByRole("main").getByText("How a city budget really works").first()).toBeVisible(),
  },
  {
    name: "editor",
    path: () => `${studio()}/posts/${postId(site.siteId, POST)}`,
    shows: async (p) => {
      // Created after hydration: the page is the working editor, not its loading state.
      await expect(p.getByRole("textbox", { name: "Post body" })).toHaveAttribute("contenteditable", "true");
      await expect(p.getByTestId("post-title")).toHaveValue("How a city budget really works");
    },
  },
  {
    name: "design",
    path: () => `${studio()}/design`,
    shows: async (p) => {
      await expect(p.getByRole("heading", { level: 1, name: /Design/ })).toBeVisible();
      await expect(p.locator('iframe[name="theme-preview"]')).toBeAttached();
    },
  },
  {
    name: "audience",
    path: () => `${studio()}/audience`,
    shows: (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible(),
  },
  {
    name: "settings",
    path: () => `${studio()}/settings`,
    shows: (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible(),
  },
];

for (const target of PAGES) {
  test(`studio: ${target.name} holds its layout at every width, axe clean in light and dark`, async ({}, testInfo) => {
    const response = await page.goto(target.path());
    expect(response?.status()).toBe(200);
    await target.shows(page);
    await checkEveryWidth(page, testInfo, `studio-${target.name}`);
  });
}
