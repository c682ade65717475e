import { makeFunctionReference } from "convex/server";
import { expect, test } from "./fixtures";

// Paid subscriptions from the reader's side, in a real browser against the production build and the
// Stripe fake (start-stack.mjs starts it and points the backend at it): a locked featured post, sign
// up from its paywall, Stripe Checkout (the fake's test page), the unlocked post, the billing portal,
// cancel at period end, and the post locking again (with the reason) once the fake's clock passes
// the period end. (Named reader-billing, not billing, so it runs after home.test.ts, which expects a
// backend without publications: files run in name order on one shared stack.)

const SITE = "the-ledger";
const POST = "what-rising-rates-mean-for-renters";
const stripeUrl = `http://127.0.0.1:${process.env.E2E_STRIPE_PORT ?? "3412"}`;

test.beforeAll(async ({ admin }) => {
  await admin.mutation(makeFunctionReference<"mutation">("demo:seedDemo") as any, {});
});

async function control(route: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${stripeUrl}/_control/${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.ok, `${route}: ${res.status}`).toBe(true);
  return res.json();
}

test("billing forms refuse cross-site posts", async ({ request }) => {
  const form = { intent: "checkout", planId: "x" };
  // Another site's page (named by Referer, or no Origin at all): requireSameOrigin's 403.
  const byReferer = await request.post(`/${SITE}/${POST}`, { headers: { Referer: "https://evil.example/page" }, form, maxRedirects: 0 });
  expect(byReferer.status()).toBe(403);
  // A foreign Origin never reaches the action: Remix's own host/origin check refuses it first.
  const byOrigin = await request.post(`/${SITE}/subscribe`, { headers: { Origin: "https://evil.example" }, form, maxRedirects: 0 });
  expect(byOrigin.status()).toBeGreaterThanOrEqual(400);
});

test("subscribe from a locked post, read it, cancel in the portal, lose access after the period ends", async ({ page, browser, signUp }) => {
  test.setTimeout(90_000);
  const email = `billing-${Date.now().toString(36)}@example.com`;
  const postPath = `/${SITE}/${POST}`;

  // Signed out: the paywall's Subscribe sends the reader to sign up, and back here afterwards.
  await page.goto(postPath);
  const paywall = page.getByTestId("paywall");
  await expect(paywall).toBeVisible();
  await expect(page.getByTestId("post-body")).toHaveCount(0);
  await paywall.getByRole("button", { name: /^Subscribe/ }).first().click();
  await expect(page).toHaveURL(`/signup?redirectTo=${encodeURIComponent(postPath)}`);
  await expect(page.getByRole("heading", { level: 1, name: "Create an account" })).toBeVisible();
  await signUp("Rita Reader", { email });
  await expect(page).toHaveURL(postPath);

  // Signed in, still locked: Subscribe goes to Stripe Checkout (the fake's test page).
  await expect(paywall).toBeVisible();
  const planId = await paywall.locator('input[name="planId"]').first().inputValue();
  await paywall.getByRole("button", { name: /^Subscribe/ }).first().click();
  await expect(page.getByText("TEST PAYMENT PAGE — no real money")).toBeVisible();
  expect(new URL(page.url()).origin).toBe(stripeUrl);
  await page.getByRole("button", { name: "Pay" }).click();

  // Back on the post (with ?checkout=success…), the body is there.
  await expect(page).toHaveURL(new RegExp(`^[^?]*${postPath}\\?checkout=success&session_id=`));
  await expect(page.getByTestId("post-body")).toBeVisible();
  await expect(page.getByTestId("paywall")).toHaveCount(0);
  // A short thank-you above the unlocked post (issue #16), and no "Follow for free" for a paid member.
  await expect(page.getByRole("status").filter({ hasText: "Thank you for subscribing" })).toBeVisible();
  await expect(page.getByTestId("join-form")).toHaveCount(0);

  // Paywall leak through the response cache: what the subscriber was just served (signed in, so
  // private and never stored) does not reach an anonymous reader of the same URL, before or after.
  const lastParagraph = await page.getByTestId("post-body").locator("p").last().innerText();
  const anonymous = await browser.newContext();
  const anonPage = await anonymous.newPage();
  for (let i = 0; i < 2; i++) {
    const anonResponse = await anonPage.goto(new URL(postPath, page.url()).href);
    expect(anonResponse?.headers()["cache-control"]).toBe("public, max-age=0, must-revalidate");
    await expect(anonPage.getByTestId("paywall")).toBeVisible();
    await expect(anonPage.getByTestId("post-body")).toHaveCount(0);
    expect(await anonResponse!.text()).not.toContain(lastParagraph);
  }
  await anonymous.close();

  // Paywall leak under concurrent load (issue #18): subscriber and anonymous requests for the same
  // post interleaved, 40 in flight at a time, pages and single-fetch data alike. Every anonymous
  // answer is the paywall without the body; every subscriber's has it. (What this cannot prove: a
  // race that needs more than 40 concurrent requests or another timing to show.)
  const origin = new URL(page.url()).origin;
  const anonymousGet = async (url: string) => {
    const res = await fetch(url, { headers: { accept: "text/html" } });
    return { status: res.status, text: await res.text() };
  };
  const subscriberGet = async (url: string) => {
    const res = await page.request.get(url);
    return { status: res.status(), text: await res.text() };
  };
  // Plain words of the body's last paragraph: the same text in HTML and in the data response's JSON.
  const marker = lastParagraph.match(/[A-Za-z][A-Za-z ]{20,}[A-Za-z]/)?.[0] ?? "";
  expect(marker.length).toBeGreaterThan(20);
  for (let round = 0; round < 3; round++) {
    const calls = Array.from({ length: 40 }, (_, i) => {
      const url = `${origin}${postPath}${i % 4 >= 2 ? ".data" : ""}`;
      return i % 2 === 0 ? anonymousGet(url).then((r) => ({ who: "anonymous", url, ...r })) : subscriberGet(url).then((r) => ({ who: "subscriber", url, ...r }));
    });
    for (const r of await Promise.all(calls)) {
      expect(r.status, `${r.who} ${r.url}`).toBe(200);
      if (r.who === "anonymous") expect(r.text, `${r.who} ${r.url}`).not.toContain(marker);
      else expect(r.text, `${r.who} ${r.url}`).toContain(marker);
    }
  }
  await page.reload();
  await expect(page.getByTestId("post-body")).toContainText(lastParagraph);

  // A second checkout (a stale tab's Subscribe button) is refused with a readable message.
  const again = await page.request.post(postPath, {
    headers: { Origin: new URL(page.url()).origin },
    form: { intent: "checkout", planId },
    maxRedirects: 0,
  });
  expect(again.status()).toBe(200);
  expect(await again.text()).toMatch(/data-testid="billing-error"[^>]*>.*already subscribed — manage your subscription/);

  // The account page lists the subscription with a portal link too.
  await page.goto("/account");
  const subscriptions = page.getByTestId("subscriptions");
  await expect(subscriptions).toContainText("active");
  await subscriptions.getByRole("button", { name: "Manage subscription" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Manage your subscription" })).toBeVisible();

  // The subscribe page shows the subscription and the portal button.
  await page.goto(`/${SITE}/subscribe`);
  const mine = page.getByTestId("my-subscription");
  await expect(mine).toContainText("You're subscribed");
  await mine.getByRole("button", { name: "Manage subscription" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Manage your subscription" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel at period end" }).click();
  await expect(page.getByRole("button", { name: "Resume" })).toBeVisible();

  // Still readable until the period ends…
  await page.goto(postPath);
  await expect(page.getByTestId("post-body")).toBeVisible();

  // …then the fake's clock passes it: customer.subscription.deleted, and the post locks again.
  await control("advance", { days: 40 });
  await expect
    .poll(
      async () => {
        await page.goto(postPath);
        return await page.getByTestId("paywall").count();
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  await expect(page.getByTestId("post-body")).toHaveCount(0);
  await expect(page.getByTestId("paywall-reason")).toHaveText(/canceled|ended/);
  await expect(page.getByTestId("paywall").getByRole("button", { name: "Manage subscription" })).toBeVisible();

  // Subscribing again is the one primary action (the old subscription no longer counts as "already subscribed").
  await expect(page.getByTestId("paywall").getByRole("button", { name: "Resubscribe" })).toBeVisible();
  await expect(page.getByTestId("paywall").locator(".button:not(.button--secondary)")).toHaveCount(1);
});
