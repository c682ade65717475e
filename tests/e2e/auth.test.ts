import type { Page } from "@playwright/test";
import { codeFromMailbox } from "../support/mailbox";
import { expect, test, uniqueEmail } from "./fixtures";

// Accounts in a real browser against the production build: sign up, confirm the address with the
// code from /dev/mailbox, sign out, sign in, reset the password. The e2e stack (start-stack.mjs)
// gives the backend its JWT keys and the app the admin key the mailbox needs.

const PASSWORD = "correct horse battery";

/** The platform bar's account navigation (the home page has a second "Sign in" in its hero). */
const accountNav = (page: Page) => page.getByRole("navigation", { name: "Account" });

async function signOut(page: Page) {
  await accountNav(page).getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(accountNav(page).getByRole("link", { name: "Sign in" })).toBeVisible();
}

async function signIn(page: Page, email: string, password: string) {
  await accountNav(page).getByRole("link", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.locator("#field-email").fill(email);
  await page.locator("#field-password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("sign up, verify with the emailed code, sign out, sign in, reset the password", async ({ page }) => {
  const email = uniqueEmail("e2e");
  await page.goto("/");
  await accountNav(page).getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create an account" })).toBeVisible();
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email);
  const code = await codeFromMailbox(page, email, /verification code/);
  await page.getByLabel("Code").fill(code);
  // Once signed in, the page's Convex client asks the token route for its JWT.
  const tokenRequest = page.waitForRequest((r) => new URL(r.url()).pathname === "/api/auth/token");
  await page.getByRole("button", { name: "Continue" }).click();

  // A new account with no page to return to lands in the studio (issue #16).
  await expect(page).toHaveURL("/studio");
  const tokenResponse = await (await tokenRequest).response();
  expect(tokenResponse?.status()).toBe(200);
  expect(await tokenResponse?.json()).toEqual({ token: expect.stringMatching(/^ey/) });
  await expect(page.getByTestId("account-link")).toHaveText("Ada Lovelace");
  // The refresh token stays in an httpOnly cookie: neither page JavaScript nor the HTML sees it.
  const cookies = await page.context().cookies();
  const refresh = cookies.find((c) => c.name === "__convexAuthRefreshToken");
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.sameSite).toBe("Lax");
  expect(await page.evaluate(() => document.cookie)).not.toContain("__convexAuth");
  expect(await page.content()).not.toContain(decodeURIComponent(refresh!.value));
  const token = await page.evaluate(async () => (await fetch("/api/auth/token")).json());
  expect(Object.keys(token)).toEqual(["token"]);
  expect(token.token).toEqual(expect.any(String));

  await page.getByTestId("account-link").click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await expect(page.getByTestId("sessions").locator("li")).toHaveCount(1);

  await signOut(page);
  await expect(page).toHaveURL("/");
  expect((await page.context().cookies()).some((c) => c.name.startsWith("__convexAuth"))).toBe(false);

  // A wrong password, then the right one; back on the page the user came from.
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Faccount$/);
  await page.locator("#field-email").fill(email);
  await page.locator("#field-password").fill("not my password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
  await page.locator("#field-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL("/account");
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await signOut(page);

  // Forgot the password: a code by email, a new password, signed in.
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reset your password" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
  await expect(page.getByTestId("form-notice")).toContainText("If an account exists for that address");
  const resetCode = await codeFromMailbox(page, email, /password reset code/);
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByLabel("Code").fill(resetCode);
  await page.getByLabel("New password").fill("a brand new password");
  await page.getByRole("button", { name: "Change password and sign in" }).click();
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("account-link")).toHaveText("Ada Lovelace");

  await signOut(page);
  await signIn(page, email, PASSWORD);
  await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
  await page.locator("#field-password").fill("a brand new password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("account-link")).toHaveText("Ada Lovelace");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the forms still sign up, sign in and sign out", async ({ page, signUp }) => {
    // The sign-up pages, code and Continue as the test above takes them, here without JavaScript.
    const email = await signUp("Grace Hopper", { email: uniqueEmail("nojs"), password: PASSWORD });
    await signOut(page);
    await signIn(page, email, PASSWORD);
    await expect(page.getByTestId("account-link")).toHaveText("Grace Hopper");
  });
});
