import { makeFunctionReference } from "convex/server";
import { expect, test } from "./fixtures";
import { signedUpClient } from "./stack.mjs";

test("home page lists publications read through a Convex query on the local backend", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Pressroom" })).toBeVisible();
  // The stack starts with the demo publications (start-stack.mjs); the empty state is checked in
  // app/platform-home.ssr.test.ts. None is called The Night Desk yet.
  await expect(page.getByTestId("directory")).toBeVisible();
  await expect(page.getByTestId("directory").getByRole("link", { name: "The Night Desk" })).toHaveCount(0);

  // A signed-up user creates one, then reload: the page must show it, which proves the loader
  // really reads through api.sites.listFeatured.
  const owner = await signedUpClient("night.desk@example.com", "Night Editor");
  await owner.mutation(makeFunctionReference<"mutation">("sites:create") as any, {
    name: "The Night Desk",
    slug: "night-desk",
    description: "Late news, slowly.",
  });
  await page.reload();
  const directory = page.getByTestId("directory");
  await expect(directory.getByRole("link", { name: "The Night Desk" })).toHaveAttribute("href", "/night-desk/");
  await expect(directory).toContainText("Late news, slowly.");
});

test("the directory updates live, without a reload, when another client creates a publication", async ({ page }) => {
  await page.goto("/");
  // Wait until the page is hydrated and its subscription has answered once.
  await expect(page.locator("[data-live=live]")).toHaveCount(1);
  const navigations: string[] = [];
  page.on("framenavigated", (f) => navigations.push(f.url()));
  const owner = await signedUpClient("live.wire@example.com", "Wire Editor");
  await owner.mutation(makeFunctionReference<"mutation">("sites:create") as any, {
    name: "Live Wire",
    slug: "live-wire",
    description: "Arrives by WebSocket.",
  });
  await expect(page.getByTestId("directory").getByRole("link", { name: "Live Wire" })).toBeVisible({ timeout: 5000 });
  expect(navigations).toEqual([]);
});
