import type { BrowserContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { demoSite, fn, postId, tableRows, joinAsAdmin, type DemoSite } from "./visual";

// Issue #16, the studio at every width: no horizontal overflow on the dashboard, the posts list
// and the editor from 375 to 1920 px; the mobile menu (with and without JavaScript); lists as
// cards; the editor's settings drawer; and "New post" that creates nothing until the writer writes.
// A new user is invited as an admin of the demo's The Ledger, so the pages show real content.

const SITE = "the-ledger";
const POST = "city-budgets-explained";
const WIDTHS = [375, 768, 1280, 1440, 1920];

let site: DemoSite;
let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ admin, browser }) => {
  test.setTimeout(120_000);
  await admin.mutation(fn.mutation("demo:seedDemo"), {});
  site = demoSite(SITE);
  context = await browser.newContext();
  page = await context.newPage();
  await joinAsAdmin(page, site, "Rhea Responsive", "responsive");
});

test.afterAll(async () => {
  await context?.close();
});

const studio = () => `/studio/${site.siteId}`;
const editor = () => `${studio()}/posts/${postId(site.siteId, POST)}`;

/** scrollWidth against innerWidth, and the elements whose right edge passes the viewport's (to say why). */
async function overflow(p: Page): Promise<string[]> {
  return await p.evaluate(() => {
    const { scrollWidth } = document.documentElement;
    if (scrollWidth <= window.innerWidth) return [];
    const out = [`scrollWidth ${scrollWidth} > innerWidth ${window.innerWidth}`];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 0.5 && r.width > 0 && out.length < 12) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].join(".")} (${Math.round(r.left)}+${Math.round(r.width)})`);
      }
    }
    return out;
  });
}

const bodyEditor = (p: Page) => p.getByRole("textbox", { name: "Post body" });

test("no horizontal overflow on the dashboard, the posts list and the editor at 375–1920 px", async () => {
  test.slow();
  const pages = [
    { name: "dashboard", path: () => "/studio", ready: () => expect(page.getByRole("main")).toBeVisible() },
    { name: "posts list", path: studio, ready: () => expect(page.getByTestId("posts-table")).toBeVisible() },
    { name: "editor", path: editor, ready: () => expect(bodyEditor(page)).toHaveAttribute("contenteditable", "true") },
  ];
  for (const { name, path, ready } of pages) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(path());
    await ready();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      expect.soft(await overflow(page), `${name} at ${width}px`).toEqual([]);
    }
  }
  // The editor with its drawer open at 375 px stays inside the window too.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.getByTestId("post-settings-toggle").click();
  await expect(page.getByTestId("post-settings-drawer")).toBeVisible();
  expect.soft(await overflow(page), "editor with the drawer open at 375px").toEqual([]);
});

test("small screens: a compact top bar whose menu opens and navigates; wide screens show the navigation", async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(studio());
  const toggle = page.getByTestId("studio-menu-toggle");
  const nav = page.getByRole("navigation", { name: "Studio" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(nav).toBeHidden();
  // The top bar is compact: the posts list starts on the first screen.
  const barBottom = await page.locator(".st-sidebar").evaluate((el) => el.getBoundingClientRect().bottom);
  expect(barBottom).toBeLessThan(160);
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(nav).toBeVisible();
  await nav.getByRole("link", { name: "Tags" }).click();
  await expect(page).toHaveURL(new RegExp(`${studio()}/tags$`));
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(nav).toBeHidden();

  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(toggle).toBeHidden();
  await expect(nav).toBeVisible();
});

test("without JavaScript: the menu and the editor's settings drawer still open (:target)", async ({ browser }) => {
  const noScript = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState(), viewport: { width: 375, height: 800 } });
  const plain = await noScript.newPage();
  await plain.goto(studio());
  const nav = plain.getByRole("navigation", { name: "Studio" });
  await expect(nav).toBeHidden();
  await plain.getByRole("link", { name: "Menu" }).click();
  await expect(nav).toBeVisible();
  await plain.getByRole("link", { name: "Close menu" }).click();
  await expect(nav).toBeHidden();

  await plain.goto(editor());
  await expect(plain.getByLabel("Excerpt")).toBeHidden();
  await plain.getByRole("link", { name: "Post settings" }).click();
  await expect(plain.getByLabel("Excerpt")).toBeVisible();
  await noScript.close();
});

test("lists are cards on small screens: the server renders the card markup, the table reflows", async () => {
  // The server's HTML (no JavaScript involved): each list cell names its column for its card.
  for (const [path, table, label] of [
    [studio(), "posts-table", "Status"],
    [`${studio()}/members`, "members-table", "Role"],
    [`${studio()}/tags`, "tags-table", "Published posts"],
    // (The demo's audience is empty, so its table is not drawn here; it has the same markup.)
  ] as const) {
    const html = await (await page.request.get(path)).text();
    expect(html, path).toMatch(new RegExp(`<table class="st-table st-table--cards" data-testid="${table}"`));
    expect(html, path).toContain(`data-label="${label}"`);
  }
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(studio());
  const row = page.getByTestId("post-row").first();
  expect(await row.evaluate((el) => getComputedStyle(el).display)).toBe("block");
  await expect(page.locator("[data-testid=posts-table] thead")).toHaveCSS("position", "absolute"); // kept for screen readers
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(await row.evaluate((el) => getComputedStyle(el).display)).toBe("table-row");
});

test("the editor's settings are a drawer on small screens and a column on wide ones", async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(editor());
  await expect(bodyEditor(page)).toHaveAttribute("contenteditable", "true");
  const toggle = page.getByTestId("post-settings-toggle");
  const drawer = page.getByTestId("post-settings-drawer");
  await expect(drawer).toBeHidden();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByLabel("Excerpt")).toBeVisible();
  const box = (await drawer.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(375);
  await drawer.getByRole("button", { name: "Close" }).click();
  await expect(drawer).toBeHidden();
  await toggle.click();
  await page.getByLabel("Excerpt").press("Escape");
  await expect(drawer).toBeHidden();

  await page.setViewportSize({ width: 1440, height: 900 });
  await expect(toggle).toBeHidden();
  await expect(page.getByLabel("Excerpt")).toBeVisible();
  // The side column fits: nothing in it passes the window (the 62 px overflow of issue #16).
  const right = await page.locator(".st-side").evaluate((el) => el.getBoundingClientRect().right);
  expect(right).toBeLessThanOrEqual(1440);
});

test("New post and leaving creates no post; the first words create it and nothing typed is lost", async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(studio());
  const count = () => tableRows<{ siteId: string }>("posts").filter((p) => p.siteId === site.siteId).length;
  const before = count();
  await page.getByRole("link", { name: "New post" }).click();
  await expect(page).toHaveURL(new RegExp(`${studio()}/posts/new$`));
  await expect(bodyEditor(page)).toHaveAttribute("contenteditable", "true");
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Posts" }).click();
  await expect(page.getByTestId("posts-table")).toBeVisible();
  expect(count()).toBe(before);

  // Writing creates it: the title, then the body typed at once, while the post is being created;
  // the page moves to the post's editor when the writer pauses, with everything typed.
  await page.getByRole("link", { name: "New post" }).click();
  await expect(bodyEditor(page)).toHaveAttribute("contenteditable", "true");
  await page.getByTestId("post-title").fill("Notes from the night shift");
  await bodyEditor(page).click();
  await page.keyboard.type("Every word counts.");
  await expect(page).toHaveURL(new RegExp(`${studio()}/posts/(?!new$)[a-z0-9]+$`));
  await expect(page.getByTestId("post-editor")).toBeVisible();
  await expect(page.getByTestId("save-status")).toHaveAttribute("data-state", "saved", { timeout: 15_000 });
  expect(count()).toBe(before + 1);
  await page.reload();
  await expect(bodyEditor(page)).toHaveAttribute("contenteditable", "true");
  await expect(page.getByTestId("post-title")).toHaveValue("Notes from the night shift");
  await expect(bodyEditor(page)).toContainText("Every word counts.");
  // Its address followed the title.
  await expect(page.getByTestId("post-slug")).toHaveValue("notes-from-the-night-shift");
});
