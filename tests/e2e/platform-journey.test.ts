import { codeFromMailbox } from "../support/mailbox";
import { expect, test, uniqueEmail } from "./fixtures";
import { fn } from "./visual";

// Issue #16's journey: a newcomer on the platform home clicks "Start a publication", signs up (the
// code from the dev mailbox), lands in the studio, creates a publication, writes and publishes a
// first post, and finds it on the publication's reader site. And the platform home shows featured
// publications (the demo's), with their logos and latest posts.

test.beforeAll(async ({ admin }) => {
  await admin.mutation(fn.mutation("demo:seedDemo"), {});
});

test("the platform home explains Pressroom and shows featured publications with their logos and latest posts", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByRole("main").getByRole("link", { name: "Start a publication" }).first()).toHaveAttribute(
    "href",
    "/signup?intent=publication",
  );
  // Featured publications: a card each with its logo (or its lettermark when it has none), a link
  // home and its latest posts. The demo's three at least (other specs in the run add more).
  const featured = page.getByRole("region", { name: "Publications on Pressroom" });
  const cards = featured.getByTestId("publication-card");
  await expect(cards.first()).toBeVisible();
  expect(await cards.count()).toBeGreaterThanOrEqual(3);
  for (const card of await cards.all()) {
    await expect(card.locator(".pub-card__logo, .pub-card__initials")).toBeVisible();
    await expect(card.getByRole("heading").getByRole("link")).toHaveAttribute("href", /^\/[a-z0-9-]+\/$/);
  }
  const withPosts = featured.getByRole("list", { name: /^Latest from / });
  expect(await withPosts.count()).toBeGreaterThanOrEqual(1);
  await expect(withPosts.first().getByRole("link").first()).toHaveAttribute("href", /^\/[a-z0-9-]+\/[a-z0-9-]+$/);
});

test("from the platform home through Start a publication and sign-up to the first published post", async ({ page }) => {
  test.slow(); // sign-up, studio, editor and the reader site in one walk
  const email = uniqueEmail("journey");
  const slug = `first-${Date.now().toString(36)}`;
  const title = "Notes from the first week";
  const sentence = "Every publication starts with one post, and this is ours.";

  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Start a publication" }).first().click();
  await expect(page).toHaveURL(/\/signup\?intent=publication$/);
  await page.getByLabel("Name").fill("Nora Newcomer");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await page.getByLabel("Code").fill(await codeFromMailbox(page, email));
  await page.getByRole("button", { name: "Continue" }).click();

  // Verified: straight into the studio, which offers to create a publication.
  await expect(page).toHaveURL(/\/studio\/?(\?[^/]*)?$/);
  await expect(page.getByTestId("account-link")).toHaveText("Nora Newcomer");
  await expect(page.getByRole("button", { name: /Create( a)? publication/ })).toBeVisible();
  await page.getByLabel("Name").fill("The First Week");
  await page.getByLabel("Address").fill(slug);
  await expect(page.getByTestId("slug-check")).toHaveText(`/${slug} is available.`);
  await page.getByRole("button", { name: /Create( a)? publication/ }).click();
  await expect(page).toHaveURL(/\/studio\/[a-z0-9]+$/);
  await expect(page.getByTestId("studio-site-name")).toHaveText("The First Week");

  // A new post: title and body, then Publish.
  await page.getByRole("link", { name: "New post" }).first().click();
  await expect(page).toHaveURL(/\/posts\/[a-z0-9]+$/);
  const body = page.getByRole("textbox", { name: "Post body" });
  await expect(body).toHaveAttribute("contenteditable", "true");
  await page.getByTestId("post-title").fill(title);
  await body.click();
  await page.keyboard.type(sentence);
  await page.getByRole("group", { name: "Post actions" }).getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("post-status")).toHaveText("Published");

  // The reader site: the post on the home page, and its page with the body.
  const reader = await page.context().newPage();
  await reader.goto(`/${slug}/`);
  await reader.getByRole("main").getByRole("link", { name: title }).first().click();
  await expect(reader.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(reader.getByTestId("post-body")).toContainText(sentence);
  // The address followed the title (issue #16 item 6), not "untitled".
  await expect(reader).toHaveURL(new RegExp(`/${slug}/notes-from-the-first-week$`));

  // The platform home features the new publication (the newest) with its first post.
  await reader.goto("/");
  const card = reader.getByTestId("publication-card").filter({ has: reader.getByRole("link", { name: "The First Week" }) });
  await expect(card.getByRole("list", { name: "Latest from The First Week" }).getByRole("link", { name: title })).toHaveAttribute(
    "href",
    `/${slug}/notes-from-the-first-week`,
  );
});
