import { makeFunctionReference } from "convex/server";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { startDnsFake, type DnsFake } from "../support/dns-fake";
import { expect, test } from "./fixtures";
import { chromiumLaunchOptions, e2eDataDir, signedUpClient } from "./stack.mjs";

// Publications on their own hosts, in a real browser: the second app instance of the e2e stack
// (start-stack.mjs, port 3101) runs with ROOT_DOMAIN=pressroom.test and SITE_URL_FORM=subdomain,
// and Chromium resolves the test domains to 127.0.0.1 (nothing leaves the machine). Pages come
// from the production server (app/server/index.ts) with its host routing and response cache.

const PORT = Number(process.env.E2E_HOST_APP_PORT ?? 3101);
const ROOT = "pressroom.test";
const CUSTOM = "news.example.test";
const sub = (slug: string, path = "/") => `http://${slug}.${ROOT}:${PORT}${path}`;

test.use({ launchOptions: chromiumLaunchOptions([`--host-resolver-rules=MAP *.${ROOT} 127.0.0.1, MAP ${CUSTOM} 127.0.0.1`]) });

const fn = <T extends "query" | "mutation" | "action">(name: string) => makeFunctionReference<T>(name) as any;

// Custom domains serve only once their DNS TXT record is found: the backend's resolver
// (DNS_RESOLVER_URL) is a fake on 127.0.0.1 for this spec.
let dns: DnsFake;

test.beforeAll(async ({ admin }) => {
  dns = await startDnsFake();
  const set = spawnSync(
    path.resolve("node_modules/.bin/tsx"),
    ["local-backend/src/cli.ts", "env", "set", "DNS_RESOLVER_URL", dns.url, "--data-dir", e2eDataDir()],
    { encoding: "utf8" },
  );
  if (set.status !== 0) throw new Error(`could not set DNS_RESOLVER_URL: ${set.stderr}`);
  await admin.mutation(fn("demo:seedDemo"), {});
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/`)).ok) break;
    } catch {}
    if (i > 100) throw new Error(`the host app on ${PORT} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

test("a publication on its subdomain: same pages, links without the /{site} prefix, subdomain canonical URLs, no client scripts", async ({ page }) => {
  const home = await page.goto(sub("the-ledger"));
  expect(home?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "The Ledger" })).toBeVisible();
  await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", `https://the-ledger.${ROOT}/`);
  // Plain server-rendered HTML: the client router does not know these paths.
  expect(await page.evaluate(() => "__remixContext" in window)).toBe(false);

  const postLink = page.getByRole("region", { name: "Latest posts" }).getByRole("link", { name: "How a city budget really works" });
  expect(await postLink.getAttribute("href")).toBe("/city-budgets-explained");
  await postLink.click();
  await expect(page).toHaveURL(sub("the-ledger", "/city-budgets-explained"));
  await expect(page.getByRole("heading", { level: 1, name: "How a city budget really works" })).toBeVisible();
  await expect(page.getByTestId("post-body")).toBeVisible();
  await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", `https://the-ledger.${ROOT}/city-budgets-explained`);

  // Tag pages, search (a plain GET form) and feeds work at host paths too.
  const tagLink = page.locator("a[href^='/tag/']").first();
  const tagHref = await tagLink.getAttribute("href");
  await tagLink.click();
  await expect(page).toHaveURL(sub("the-ledger", tagHref!));
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const search = await page.goto(sub("the-ledger", "/search?q=budget"));
  expect(search?.status()).toBe(200);
  await expect(page.getByRole("article").first()).toBeVisible();
  const rss = await page.goto(sub("the-ledger", "/rss.xml"));
  expect(rss?.status()).toBe(200);
  const xml = await rss!.text();
  expect(xml).toContain(`<link>https://the-ledger.${ROOT}/</link>`);
  expect(xml).toContain(`https://the-ledger.${ROOT}/city-budgets-explained`);
  for (const link of xml.match(/<link>[^<]*<\/link>/g) ?? []) expect(link).not.toContain("/the-ledger/");
  // Bodies that link in the platform form (/the-ledger/…) still land on the right page.
  await page.goto(sub("the-ledger", "/the-ledger/city-budgets-explained"));
  await expect(page).toHaveURL(sub("the-ledger", "/city-budgets-explained"));
  await expect(page.getByRole("heading", { level: 1, name: "How a city budget really works" })).toBeVisible();
});

test("unknown and reserved subdomains are a 404; platform pages go to the platform host and come back", async ({ page }) => {
  for (const host of ["nobody", "studio"]) {
    const r = await page.goto(sub(host));
    expect(r?.status(), host).toBe(404);
    await expect(page.getByText("No publication here")).toBeVisible();
  }
  const unknownPost = await page.goto(sub("the-ledger", "/no-such-post"));
  expect(unknownPost?.status()).toBe(404);
  await expect(page.getByRole("link", { name: "The Ledger" }).first()).toBeVisible();

  await page.goto(sub("the-ledger", "/login?redirectTo=%2Fcity-budgets-explained"));
  await expect(page).toHaveURL(`http://127.0.0.1:${PORT}/login?redirectTo=%2Fthe-ledger%2Fcity-budgets-explained`);
  await expect(page.getByRole("heading", { name: /sign in/i })).toBeVisible();
});

test.afterAll(async () => {
  await dns?.close();
});

test("a custom domain serves its publication once verified, and a publish shows on the next request through the response cache", async ({ page }) => {
  const owner = await signedUpClient(`hosts-${Date.now()}@example.com`, "Host Owner");
  const slug = `harbor-${Date.now().toString(36)}`;
  const siteId = await owner.mutation(fn("sites:create"), { name: "Harbor News", slug });
  await owner.mutation(fn("sites:updateSettings"), { siteId, customDomain: CUSTOM });
  // Claimed but not proven: the domain serves nothing (domain takeover). (Another URL than the one
  // loaded below, so Chromium's cache of this public 404 plays no part.)
  expect((await page.goto(`http://${CUSTOM}:${PORT}/?unverified`))?.status()).toBe(404);
  const { customDomainRecord } = await owner.query(fn("sites:getSettings"), { siteId });
  dns.txt(customDomainRecord.name, customDomainRecord.value);
  expect(await owner.action(fn("sites:verifyCustomDomain"), { siteId })).toEqual({ domain: CUSTOM, status: "verified" });

  // The app learns of the verification through its Convex subscription (pushed after the commit, not
  // read on the request), so under load the first request may come a moment before the push: poll.
  await expect.poll(async () => (await page.goto(`http://${CUSTOM}:${PORT}/`))?.status(), { timeout: 5000 }).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Harbor News" })).toBeVisible();
  await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", `https://${CUSTOM}/`);
  // Stored by the response cache now; the same response again.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Harbor News" })).toBeVisible();

  const doc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "The tide came in early." }] }] });
  const postId = await owner.mutation(fn("posts:create"), { siteId, title: "Tide tables revised", doc });
  await owner.mutation(fn("posts:publish"), { siteId, postId });
  // Kept fresh by the Convex subscription the page was built from, not by a TTL.
  await expect
    .poll(
      async () => {
        await page.reload();
        return page.getByRole("link", { name: "Tide tables revised" }).count();
      },
      { timeout: 1_000, intervals: [50] },
    )
    .toBe(1);
  await page.getByRole("link", { name: "Tide tables revised" }).click();
  await expect(page).toHaveURL(`http://${CUSTOM}:${PORT}/tide-tables-revised`);
  await expect(page.getByTestId("post-body")).toContainText("The tide came in early.");

  await owner.mutation(fn("posts:unpublish"), { siteId, postId });
  await expect
    .poll(async () => (await page.reload())?.status(), { timeout: 1_000, intervals: [50] })
    .toBe(404);
  // Once the domain is removed it serves nothing (as soon as the subscription delivers the change),
  // and the publication is still there in the platform's path form.
  await owner.mutation(fn("sites:updateSettings"), { siteId, customDomain: null });
  await expect
    .poll(async () => (await page.goto(`http://${CUSTOM}:${PORT}/`))?.status(), { timeout: 1_000, intervals: [50] })
    .toBe(404);
  const platform = await page.goto(`http://127.0.0.1:${PORT}/${slug}/`);
  expect(platform?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Harbor News" })).toBeVisible();
});
