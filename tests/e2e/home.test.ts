import { expect, test } from "@playwright/test";

test("home page renders the publication directory from a Convex query on the local backend", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Pressroom" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Publications" })).toBeVisible();
  // The directory comes from api.sites.listDirectory; a fresh backend has none yet.
  await expect(page.getByTestId("directory-empty")).toHaveText("No publications yet.");
});
