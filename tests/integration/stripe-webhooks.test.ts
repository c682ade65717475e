// Over 400 lines: the whole Stripe flow (plans, checkout, webhooks, subscription states) against one Stripe fake.
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startStripeFake, type StripeFake } from "../../tools/stripe-fake/index";
import { createUser, createWorld, doc, type World } from "../support/factories";
import { clientAs, factoryBackend, failure, runOn, startAppBackend, stopAppBackend } from "../support/live-backend";

// Billing end to end: the app's real convex/ folder on a local backend (HTTP actions on its site
// origin), the Stripe fake as Stripe, webhooks signed by the fake and verified by
// POST /stripe/webhook. Readers act through ConvexHttpClient (the admin key acting as the user).

const WEBHOOK_SECRET = "whsec_pressroom_integration";
const APP = "http://127.0.0.1:3000";
const DAY = 86_400_000;

let backend: LocalBackend;
let fake: StripeFake;
let w: World;

/** Runs trusted code in a mutation (setup and inspection). */
const run = <R>(fn: (ctx: any) => Promise<R>) => runOn(backend, fn);
const t = factoryBackend(() => backend);
const as = (userId: Id<"users">) => clientAs(backend, userId);
const anon = () => new ConvexHttpClient(backend.url);

const webhookUrl = () => `${backend.siteUrl}/stripe/webhook`;

/** POSTs a payload to the webhook endpoint, signed with `secret` unless a header is given. */
async function postWebhook(payload: string, opts: { signature?: string | null; secret?: string; timestamp?: number } = {}) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const signature = opts.signature === undefined ? fake.sign(payload, { secret: opts.secret, timestamp: opts.timestamp }) : opts.signature;
  if (signature !== null) headers["Stripe-Signature"] = signature;
  const res = await fetch(webhookUrl(), { method: "POST", headers, body: payload });
  return { status: res.status, body: await res.text() };
}

/** Row counts of every table a webhook can write. */
async function billingRowCounts() {
  return await run(async (ctx) => {
    const out: Record<string, number> = {};
    for (const table of ["subscriptions", "payments", "stripeEvents", "billingCustomers", "auditLogs", "notifications"]) {
      out[table] = (await ctx.db.query(table).collect()).length;
    }
    return out;
  });
}

async function featuredPost(siteId: Id<"sites">, editor: Id<"users">, title: string) {
  const client = as(editor);
  const postId = await client.mutation(api.posts.create, { siteId, title, doc: doc("Subscribers only.") });
  await client.mutation(api.posts.publish, { siteId, postId });
  await client.mutation(api.posts.setFeatured, { siteId, postId, featured: true });
  const { post } = await client.query(api.posts.getForEdit, { siteId, postId });
  return post.slug as string;
}

/** Whether the featured post is locked for the user (reader:postBySlug, the paywall's read). */
async function locked(userId: Id<"users">, slug: string, siteSlug = "daily"): Promise<boolean> {
  const found: any = await as(userId).query(api.reader.postBySlug, { siteSlug, slug });
  expect(found?.kind).toBe("post");
  if (!found.post.locked) expect(found.post.doc).toContain("Subscribers only.");
  else expect(found.post.doc).toBeNull();
  return found.post.locked;
}

/** Checkout through the fake's page: returns the session and its subscription. */
async function subscribe(userId: Id<"users">, planId: Id<"subscriptionPlans">, siteSlug = "daily") {
  const { url, sessionId } = await as(userId).action(api.billing.createCheckout, { siteSlug, planId, returnTo: `/${siteSlug}/subscribe` });
  const pay = await fetch(`${url}/pay`, { method: "POST", redirect: "manual" });
  expect(pay.status).toBe(303);
  expect(pay.headers.get("location")).toBe(`${APP}/${siteSlug}/subscribe?checkout=success&session_id=${sessionId}`);
  const session = fake.state.checkoutSessions.get(sessionId)!;
  return { sessionId, url, subscriptionId: session.subscription as string, invoiceId: session.invoice as string };
}

let planId: Id<"subscriptionPlans">;
let slug: string;

beforeAll(async () => {
  backend = await startAppBackend("pressroom-billing-");
  fake = await startStripeFake({ webhookUrl: `${backend.siteUrl}/stripe/webhook`, webhookSecret: WEBHOOK_SECRET });
  backend.env.set("STRIPE_SECRET_KEY", "sk_test_fake");
  backend.env.set("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET);
  backend.env.set("STRIPE_API_BASE", fake.url);
  backend.env.set("SITE_URL", APP);
  w = await createWorld(t);
  planId = await as(w.users.owner).mutation(api.plans.create, {
    siteId: w.siteId,
    name: "Member",
    description: "Every featured post",
    priceCents: 700,
    currency: "usd",
    interval: "month",
    features: ["Featured posts"],
  });
  slug = await featuredPost(w.siteId, w.users.editor, "Members only");
});

afterAll(async () => {
  await fake?.close();
  await stopAppBackend(backend);
});

describe("plans mirror to Stripe", () => {
  /** Polls `read` until `done` holds (the state the test asserts), or fails after 10 s. */
  async function until<R>(read: () => Promise<R>, done: (r: R) => boolean, what: string): Promise<R> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const r = await read();
      if (done(r)) return r;
      await new Promise((res) => setTimeout(res, 5));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const prices = (productId: string) => [...fake.state.prices.values()].filter((p) => p.product === productId);

  test("a plan becomes a Product and Price; a new price is a new Price and the old one is archived", async () => {
    const owner = as(w.users.owner);
    const id = await owner.mutation(api.plans.create, { siteId: w.siteId, name: "Yearly", priceCents: 6000, currency: "EUR", interval: "year", features: [] });
    const plan = () => run(async (ctx) => ctx.db.get(id));
    const mirrored = (p: any) => !!p.stripePriceId && fake.state.prices.get(p.stripePriceId)?.unit_amount === p.priceCents;
    const first = await until(plan, mirrored, "the plan to be mirrored to Stripe");
    expect(fake.state.products.get(first.stripeProductId)).toMatchObject({ name: "Yearly", active: true, metadata: { siteId: w.siteId, planId: id } });
    expect(fake.state.prices.get(first.stripePriceId)).toMatchObject({ unit_amount: 6000, currency: "eur", recurring: { interval: "year" }, active: true });

    // Stripe answers slowly, as under load: each call takes 150 ms. An observer (checkout, this test)
    // reading the plan at any moment must never see the new price stored while the old one is live.
    fake.setLatency((method, path) => (method === "POST" && path.startsWith("/v1/prices") ? 150 : 0));
    const seen: string[] = [];
    try {
      await owner.mutation(api.plans.update, { siteId: w.siteId, planId: id, priceCents: 6500, name: "Yearly supporter" });
      await until(
        async () => {
          const p = await plan();
          const live = prices(first.stripeProductId).filter((x) => x.active).map((x) => x.id);
          if (p.stripePriceId !== first.stripePriceId && live.some((x) => x !== p.stripePriceId)) seen.push(`${p.stripePriceId} stored while ${live} live`);
          return p;
        },
        (p) => mirrored(p) && p.stripePriceId !== first.stripePriceId,
        "the new price to be stored",
      );
    } finally {
      fake.setLatency(null);
    }
    expect(seen).toEqual([]);
    const second = await plan();
    expect(second.stripeProductId).toBe(first.stripeProductId);
    expect(fake.state.prices.get(first.stripePriceId)!.active).toBe(false);
    expect(fake.state.prices.get(second.stripePriceId)).toMatchObject({ unit_amount: 6500, active: true });
    expect(fake.state.products.get(first.stripeProductId)!.name).toBe("Yearly supporter");

    // A retried sync (Stripe's or ours, twice at once) changes nothing: same price, one live price.
    const count = prices(first.stripeProductId).length;
    const retries = await Promise.all([0, 1].map(() => backend.runner.runAction("plans:syncToStripe", { planId: id }, { allowInternal: true })));
    expect(retries.map((r) => r.ok && JSON.parse(r.valueJson))).toEqual([second.stripePriceId, second.stripePriceId]);
    expect(prices(first.stripeProductId)).toHaveLength(count);
    expect(prices(first.stripeProductId).filter((p) => p.active).map((p) => p.id)).toEqual([second.stripePriceId]);

    await owner.mutation(api.plans.setActive, { siteId: w.siteId, planId: id, isActive: false });
    await until(async () => fake.state.products.get(first.stripeProductId)!.active, (active) => !active, "the product to be archived");
    expect(prices(first.stripeProductId).filter((p) => p.active)).toHaveLength(1);
  });
});

describe("end to end through the fake", () => {
  test("plan → checkout → Pay → webhooks → unlocked → portal cancel at period end → period passes → locked again", async () => {
    const reader = await createUser(t, "Paying Reader");
    expect(await locked(reader, slug)).toBe(true);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toBeNull();

    const { url, subscriptionId } = await (async () => {
      const { url, sessionId } = await as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily/subscribe" });
      expect(url).toBe(`${fake.url}/checkout/${sessionId}`);
      const page = await (await fetch(url)).text();
      expect(page).toContain("TEST PAYMENT PAGE — no real money");
      expect(page).toContain("Member");
      expect(page).toContain("7.00 USD per month");
      const session = fake.state.checkoutSessions.get(sessionId)!;
      expect(session.metadata).toEqual({ siteId: w.siteId, userId: reader, planId });
      expect(session.client_reference_id).toBe(reader);
      const pay = await fetch(`${url}/pay`, { method: "POST", redirect: "manual" });
      expect(pay.status).toBe(303);
      expect(pay.headers.get("location")).toBe(`${APP}/daily/subscribe?checkout=success&session_id=${sessionId}`);
      return { url, subscriptionId: fake.state.checkoutSessions.get(sessionId)!.subscription as string };
    })();
    expect(url).toContain("/checkout/");

    // The three events arrived, were verified and applied.
    const deliveries = fake.state.events.filter((r) => JSON.stringify(r.event).includes(subscriptionId));
    expect(deliveries.map((r) => [r.event.type, r.deliveries.at(-1)?.status])).toEqual([
      ["checkout.session.completed", 200],
      ["customer.subscription.created", 200],
      ["invoice.paid", 200],
    ]);
    const mine = await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" });
    const stripeSub = fake.state.subscriptions.get(subscriptionId)!;
    expect(mine).toMatchObject({
      planId,
      planName: "Member",
      status: "active",
      grantsAccess: true,
      reason: null,
      cancelAtPeriodEnd: false,
      canManage: true,
      currentPeriodEnd: stripeSub.items.data[0].current_period_end * 1000,
    });
    expect(await locked(reader, slug)).toBe(false);

    // The owner heard about it; the payment is on the books once.
    const notes = await run(async (ctx) => (await ctx.db.query("notifications").collect()).filter((n: any) => n.type === "new_subscriber"));
    expect(notes.map((n: any) => n.userId)).toEqual([w.users.owner]);
    const stats = await as(w.users.owner).query(api.billing.siteStats, { siteId: w.siteId, paginationOpts: { numItems: 10, cursor: null } });
    const payments = stats.payments.page.filter((p) => p.userId === reader);
    expect(payments).toMatchObject([{ amountCents: 700, currency: "usd", status: "succeeded", userName: "Paying Reader" }]);
    expect(stats.subscriberCount).toBeGreaterThanOrEqual(1);

    // The portal: cancel at period end. Still unlocked until the period ends.
    const { url: portalUrl } = await as(reader).action(api.billing.createPortalSession, { siteSlug: "daily", returnTo: "/account" });
    const portal = await (await fetch(portalUrl)).text();
    expect(portal).toContain("Cancel at period end");
    expect(portal).toContain(`${APP}/account`);
    const cancel = await fetch(`${portalUrl}/cancel`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ subscription: subscriptionId }).toString(),
    });
    expect(cancel.status).toBe(303);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ cancelAtPeriodEnd: true, grantsAccess: true });
    expect(await locked(reader, slug)).toBe(false);

    // The period passes: Stripe ends the subscription, the post locks again, and the reader sees why.
    await fake.advanceClock(32 * DAY);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({
      status: "canceled",
      grantsAccess: false,
      reason: "canceled",
    });
    expect(await locked(reader, slug)).toBe(true);
  });

  test("a Stripe customer that no longer exists (deleted, or the local fake restarted) is replaced at the next checkout", async () => {
    const reader = await createUser(t, "Returning Reader");
    const first = await as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily" });
    const lost = fake.state.checkoutSessions.get(first.sessionId)!.customer as string;
    fake.state.customers.delete(lost);
    expect(await failure(as(reader).action(api.billing.createPortalSession, { siteSlug: "daily", returnTo: "/account" }))).toMatchObject({ code: "NOT_FOUND" });
    const second = await as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily" });
    const replacement = fake.state.checkoutSessions.get(second.sessionId)!.customer as string;
    expect(replacement).not.toBe(lost);
    expect(fake.state.customers.get(replacement)!.metadata).toEqual({ siteId: w.siteId, userId: reader });
    const stored = await run(async (ctx) => (await ctx.db.query("billingCustomers").collect()).filter((c: any) => c.userId === reader));
    expect(stored.map((c: any) => c.stripeCustomerId)).toEqual([replacement]);
  });

  test("a declined card returns to cancel_url and grants nothing", async () => {
    const reader = await createUser(t, "Declined Reader");
    const { url } = await as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily/subscribe?from=paywall" });
    const res = await fetch(`${url}/decline`, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${APP}/daily/subscribe?from=paywall&checkout=canceled`);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toBeNull();
    expect(await locked(reader, slug)).toBe(true);
  });

  test("checkout is refused for inactive plans, plans of other sites, off-site return paths and current subscribers", async () => {
    const reader = await createUser(t, "Careful Reader");
    const other = await as(w.users.outsider).mutation(api.plans.create, {
      siteId: w.otherSiteId,
      name: "Other",
      priceCents: 300,
      currency: "usd",
      interval: "month",
      features: [],
    });
    expect(await failure(as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId: other, returnTo: "/daily" }))).toMatchObject({ code: "NOT_FOUND" });
    for (const returnTo of ["https://evil.example/x", "//evil.example/x", "daily"]) {
      expect(await failure(as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo }))).toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "returnTo",
      });
    }
    expect(await failure(anon().action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily" }))).toMatchObject({ code: "UNAUTHENTICATED" });
    await subscribe(reader, planId);
    expect(await failure(as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily" }))).toMatchObject({
      code: "INVALID_STATE",
      reason: "already_subscribed",
    });
    // The second checkout reuses the reader's Stripe customer.
    const customers = await run(async (ctx) => (await ctx.db.query("billingCustomers").collect()).filter((c: any) => c.userId === reader));
    expect(customers).toHaveLength(1);
  });
});

describe("webhook signature verification", () => {
  /** A payment event that would grant the reader a subscription if it were believed. */
  function forgedInvoice(userId: Id<"users">) {
    const now = Math.floor(Date.now() / 1000);
    return JSON.stringify({
      id: `evt_forged_${Math.random().toString(36).slice(2)}`,
      object: "event",
      type: "invoice.paid",
      created: now,
      data: {
        object: {
          id: `in_forged_${Math.random().toString(36).slice(2)}`,
          object: "invoice",
          customer: "cus_forged",
          amount_paid: 700,
          amount_due: 700,
          currency: "usd",
          status: "paid",
          billing_reason: "subscription_create",
          lines: { data: [{ period: { start: now, end: now + 30 * 86400 } }] },
          parent: { subscription_details: { subscription: "sub_forged", metadata: { siteId: w.siteId, userId, planId } } },
        },
      },
    });
  }

  test("forged webhook: an unsigned event cannot grant a subscription", async () => {
    // Attack: POST a well-formed invoice.paid for yourself without (or with a made-up) signature.
    const reader = await createUser(t, "Forger");
    const before = await billingRowCounts();
    for (const signature of [null, "", "t=1,v1=deadbeef", `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`]) {
      expect((await postWebhook(forgedInvoice(reader), { signature })).status).toBe(400);
    }
    expect(await billingRowCounts()).toEqual(before);
    expect(await locked(reader, slug)).toBe(true);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toBeNull();
  });

  test("bad signature, wrong secret, tampered body and stale timestamp → 400 and nothing written", async () => {
    const reader = await createUser(t, "Tamperer");
    const payload = forgedInvoice(reader);
    const before = await billingRowCounts();
    // Signed with another endpoint's secret.
    expect((await postWebhook(payload, { secret: "whsec_someone_else" })).status).toBe(400);
    // A valid signature for a different body.
    const tampered = payload.replace('"amount_paid":700', '"amount_paid":1');
    expect((await postWebhook(tampered, { signature: fake.sign(payload) })).status).toBe(400);
    // A correct signature from ten minutes ago (a captured request replayed later).
    expect((await postWebhook(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(400);
    expect(await billingRowCounts()).toEqual(before);
    // The same payload, properly signed now, is accepted: the rejections were about the signature.
    const ok = await postWebhook(payload);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ received: true, outcome: "applied" });
    expect(await locked(reader, slug)).toBe(false);
  });

  test("forged webhook: timestamp in the future (a signature minted ahead to outlive the 300 s window) → 400 and nothing written", async () => {
    // The stripe library's tolerance only bounds a signature's age; one dated ahead would stay valid
    // for as long as its future date, so a leaked (or pre-signed) request could be replayed for hours.
    const reader = await createUser(t, "Time Traveller");
    const payload = forgedInvoice(reader).replace('"sub_forged"', '"sub_forged_future"');
    const before = await billingRowCounts();
    const nowSec = Math.floor(Date.now() / 1000);
    for (const ahead of [310, 600, 3600, 86_400 * 365]) {
      const res = await postWebhook(payload, { timestamp: nowSec + ahead });
      expect([ahead, res.status, res.body]).toEqual([ahead, 400, "Invalid Stripe signature."]);
    }
    expect(await billingRowCounts()).toEqual(before);
    expect(await locked(reader, slug)).toBe(true);
    // Clock skew inside the tolerance is accepted, as Stripe allows.
    const skewed = await postWebhook(payload, { timestamp: nowSec + 120 });
    expect(skewed.status).toBe(200);
    expect(await locked(reader, slug)).toBe(false);
  });

  test("a GET is not routed to the webhook", async () => {
    expect((await fetch(webhookUrl())).status).toBe(404);
  });
});

describe("idempotency and ordering", () => {
  test("replayed webhook: replaying a payment event records nothing new", async () => {
    // Attack (or Stripe's at-least-once delivery): the same signed invoice.paid arrives again.
    const reader = await createUser(t, "Replayed Reader");
    const { invoiceId } = await subscribe(reader, planId);
    const paid = fake.state.events.find((r) => r.event.type === "invoice.paid" && r.event.data.object.id === invoiceId)!;
    const before = await billingRowCounts();
    expect(await fake.state.redeliver(paid.event.id)).toBe(200);
    const again = await postWebhook(JSON.stringify(paid.event));
    expect(JSON.parse(again.body)).toEqual({ received: true, outcome: "duplicate" });
    expect(await billingRowCounts()).toEqual(before);
  });

  test("20 parallel deliveries of the same event record one payment", async () => {
    const reader = await createUser(t, "Parallel Reader");
    const held = await payHeld(reader);
    // The session and subscription events in order, then the payment 20 times at once as its first delivery.
    const invoiceEvent = held.mine.find((e) => e.type === "invoice.paid")!;
    for (const e of held.mine.filter((e) => e !== invoiceEvent)) expect((await postWebhook(JSON.stringify(e))).status).toBe(200);
    const payload = JSON.stringify(invoiceEvent);
    const results = await Promise.all(Array.from({ length: 20 }, () => postWebhook(payload)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.map((r) => JSON.parse(r.body).outcome).sort()).toEqual(["applied", ...Array(19).fill("duplicate")]);
    const rows = await run(async (ctx) =>
      (await ctx.db.query("payments").collect()).filter((p: any) => p.stripeInvoiceId === invoiceEvent.data.object.id),
    );
    expect(rows).toHaveLength(1);
    const events = await run(async (ctx) => (await ctx.db.query("stripeEvents").collect()).filter((e: any) => e.eventId === invoiceEvent.id));
    expect(events).toHaveLength(1);
    expect(await locked(reader, slug)).toBe(false);
  });

  test("out-of-order events converge: the newest state wins whatever the arrival order", async () => {
    const reader = await createUser(t, "Shuffled Reader");
    // Checkout, cancel at period end, the period passes: five events, held back.
    const held = await payHeld(reader, async (subscriptionId) => {
      fake.state.setCancelAtPeriodEnd(subscriptionId, true);
      await fake.state.advance(32 * DAY);
    });
    expect(held.mine.map((e) => e.type)).toEqual([
      "checkout.session.completed",
      "customer.subscription.created",
      "invoice.paid",
      "customer.subscription.updated",
      "customer.subscription.deleted",
    ]);
    // Newest first: deleted, updated (cancel at period end), paid, created, completed.
    for (const e of [...held.mine].reverse()) expect((await postWebhook(JSON.stringify(e))).status).toBe(200);
    const mine = await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" });
    expect(mine).toMatchObject({ status: "canceled", grantsAccess: false, reason: "canceled", planId });
    expect(await locked(reader, slug)).toBe(true);
    const outcomes = await run(async (ctx) =>
      (await ctx.db.query("stripeEvents").collect()).filter((r: any) => held.mine.some((e) => e.id === r.eventId)).map((r: any) => [r.type, r.outcome]),
    );
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ["customer.subscription.deleted", "applied"],
        ["customer.subscription.updated", "stale"],
        ["customer.subscription.created", "stale"],
      ]),
    );
    // One payment for the one invoice, whatever the order.
    const payments = await run(async (ctx) => (await ctx.db.query("payments").collect()).filter((p: any) => p.userId === reader));
    expect(payments).toHaveLength(1);
    expect(payments[0].status).toBe("succeeded");
  });
});

/**
 * Checkout and Pay with the fake's deliveries held back (then `more`); returns this checkout's
 * events undelivered. Everyone else's events (renewals of other tests' subscriptions) are delivered in order.
 */
async function payHeld(reader: Id<"users">, more?: (subscriptionId: string) => Promise<void>) {
  fake.state.autoDeliver = false;
  let held: any[] = [];
  let subscriptionId = "";
  let sessionId = "";
  try {
    const checkout = await as(reader).action(api.billing.createCheckout, { siteSlug: "daily", planId, returnTo: "/daily" });
    sessionId = checkout.sessionId;
    await fetch(`${checkout.url}/pay`, { method: "POST", redirect: "manual" });
    subscriptionId = fake.state.checkoutSessions.get(sessionId)!.subscription;
    if (more) await more(subscriptionId);
  } finally {
    held = fake.state.takePending();
    fake.state.autoDeliver = true;
  }
  const isMine = (e: any) => e.data.object.id === sessionId || JSON.stringify(e.data.object).includes(subscriptionId);
  for (const e of held.filter((e) => !isMine(e))) await fake.state.redeliver(e.id);
  return { mine: held.filter(isMine), subscriptionId, sessionId };
}

describe("access follows the subscription's state", () => {
  test("active → past_due (locked) → paid again (unlocked) → an unpaid renewal cancels it (locked)", async () => {
    const reader = await createUser(t, "Renewing Reader");
    const { subscriptionId } = await subscribe(reader, planId);
    expect(await locked(reader, slug)).toBe(false);

    // A renewal fails: past_due, locked, the reader is told.
    fake.state.failNextRenewals(subscriptionId, 1);
    await fake.advanceClock(32 * DAY);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "past_due", grantsAccess: false, reason: "past_due" });
    expect(await locked(reader, slug)).toBe(true);
    const failed = await run(async (ctx) => (await ctx.db.query("notifications").collect()).filter((n: any) => n.userId === reader && n.type === "payment_failed"));
    expect(failed).toHaveLength(1);

    // The card is fixed and the invoice paid: active and unlocked again.
    await fake.state.retryPayment(subscriptionId);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "active", grantsAccess: true });
    expect(await locked(reader, slug)).toBe(false);

    // A successful renewal keeps it unlocked with the next period.
    const periodEnd = fake.state.subscriptions.get(subscriptionId)!.items.data[0].current_period_end;
    await fake.advanceClock(32 * DAY);
    const renewed = await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" });
    expect(renewed).toMatchObject({ status: "active", grantsAccess: true });
    expect(renewed!.currentPeriodStart).toBe(periodEnd * 1000);
    expect(await locked(reader, slug)).toBe(false);

    // Two failures in a row: past_due, then canceled at the next period end.
    fake.state.failNextRenewals(subscriptionId, 1);
    await fake.advanceClock(32 * DAY);
    expect(await locked(reader, slug)).toBe(true);
    await fake.advanceClock(32 * DAY);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "canceled", reason: "canceled" });
    expect(await locked(reader, slug)).toBe(true);
  });

  test("expired subscription keeps access (stale cache): a live paywall query locks at the period's end with no other write", async () => {
    // Attack: keep a page (or a sync socket) subscribed after paying for a period that ends. The
    // backend re-runs a subscribed query only when data it read changes, so access must end by a write.
    const reader = await createUser(t, "Lapsing Reader");
    const nowSec = Math.floor(Date.now() / 1000);
    const end = nowSec + 3;
    const sub = `sub_lapsing_${reader}`;
    const paid = JSON.stringify({
      id: `evt_lapsing_${reader}`,
      object: "event",
      type: "invoice.paid",
      created: nowSec,
      data: {
        object: {
          id: `in_lapsing_${reader}`,
          object: "invoice",
          customer: "cus_lapsing",
          amount_paid: 700,
          amount_due: 700,
          currency: "usd",
          billing_reason: "subscription_create",
          lines: { data: [{ period: { start: nowSec, end } }] },
          parent: { subscription_details: { subscription: sub, metadata: { siteId: w.siteId, userId: reader, planId } } },
        },
      },
    });
    expect((await postWebhook(paid)).status).toBe(200);

    const live = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
    // setAdminAuth is @internal in convex's types; the HTTP clients above use it the same way.
    (live as any).setAdminAuth(backend.adminKey, { subject: `${reader}|integration`, issuer: "https://convex.test" });
    const seen: Array<{ at: number; locked: boolean }> = [];
    const unsubscribe = live.onUpdate(api.reader.postBySlug, { siteSlug: "daily", slug }, (r: any) => seen.push({ at: Date.now(), locked: r.post.locked }));
    try {
      const lockedAt = async (deadline: number) => {
        while (Date.now() < deadline && !seen.at(-1)?.locked) await new Promise((r) => setTimeout(r, 20));
        return seen.at(-1)?.locked ?? null;
      };
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      expect(seen[0].locked).toBe(false);
      // Nothing else is written for this reader; only the scheduled write at `end` can change the answer.
      expect(await lockedAt(end * 1000 + 5000)).toBe(true);
      expect(seen.find((s) => s.locked)!.at).toBeGreaterThanOrEqual(end * 1000);
    } finally {
      unsubscribe();
      await live.close();
    }
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "active", grantsAccess: false, reason: "ended" });
  });

  test("paywall leak: a canceled subscriber and a subscriber of a different site get locked featured posts", async () => {
    // A subscription is per site: paying "daily-other" must not open "daily"; and a subscription that
    // Stripe canceled must not keep working because its period end is still in the future.
    const elsewhere = await createUser(t, "Elsewhere Reader");
    const otherPlan = await as(w.users.outsider).mutation(api.plans.create, {
      siteId: w.otherSiteId,
      name: "Other supporter",
      priceCents: 400,
      currency: "usd",
      interval: "month",
      features: [],
    });
    await subscribe(elsewhere, otherPlan, "daily-other");
    expect(await as(elsewhere).query(api.billing.mySubscription, { siteSlug: "daily-other" })).toMatchObject({ grantsAccess: true });
    expect(await as(elsewhere).query(api.billing.mySubscription, { siteSlug: "daily" })).toBeNull();
    expect(await locked(elsewhere, slug)).toBe(true);

    const canceled = await createUser(t, "Canceled Reader");
    const { subscriptionId } = await subscribe(canceled, planId);
    expect(await locked(canceled, slug)).toBe(false);
    const res = await fetch(`${fake.url}/_control/cancel`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ subscription: subscriptionId }),
    });
    expect(res.status).toBe(200);
    const row = await run(async (ctx) => (await ctx.db.query("subscriptions").collect()).find((s: any) => s.stripeSubscriptionId === subscriptionId));
    expect(row.status).toBe("canceled");
    expect(row.currentPeriodEnd).toBeGreaterThan(Date.now()); // the period had not ended, yet:
    expect(await locked(canceled, slug)).toBe(true);
    // The list channel agrees with the single-post read.
    const list = await as(canceled).query(api.reader.featured, { siteSlug: "daily", paginationOpts: { numItems: 10, cursor: null } });
    expect(list.page.every((p) => p.locked && p.doc === null)).toBe(true);
  });
});

describe("canceling at Stripe", () => {
  test("billing:cancelAtStripe ends the Stripe subscription (for rows Pressroom canceled itself); a second call is a no-op", async () => {
    const reader = await createUser(t, "Leaving Reader");
    const { subscriptionId } = await subscribe(reader, planId);
    for (let i = 0; i < 2; i++) {
      const outcome = await backend.runner.runAction("billing:cancelAtStripe", { stripeSubscriptionId: subscriptionId }, { allowInternal: true });
      expect(outcome.ok).toBe(true);
      await fake.flush();
    }
    expect(fake.state.subscriptions.get(subscriptionId)!.status).toBe("canceled");
    expect(fake.state.events.filter((r) => r.event.type === "customer.subscription.deleted" && r.event.data.object.id === subscriptionId)).toHaveLength(1);
    expect(await as(reader).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "canceled", grantsAccess: false });
    expect(await locked(reader, slug)).toBe(true);
    const missing = await backend.runner.runAction("billing:cancelAtStripe", { stripeSubscriptionId: "sub_never_existed" }, { allowInternal: true });
    expect(missing.ok).toBe(true);
  });
});

describe("refunds", () => {
  test("partial and full refunds mark the payment, once; the charge is placed through its Stripe customer", async () => {
    const reader = await createUser(t, "Refunded Reader");
    const { invoiceId } = await subscribe(reader, planId);
    const chargeId = fake.state.invoices.get(invoiceId)!.payments.data[0].payment.charge;
    await fake.state.refund({ charge: chargeId, amount: 200 });
    let payment = await run(async (ctx) => (await ctx.db.query("payments").collect()).find((p: any) => p.stripeInvoiceId === invoiceId));
    expect(payment).toMatchObject({ status: "succeeded", amountCents: 700, amountRefundedCents: 200, stripeChargeId: chargeId });
    await fake.state.refund({ charge: chargeId });
    const rows = await run(async (ctx) => (await ctx.db.query("payments").collect()).filter((p: any) => p.userId === reader));
    expect(rows).toHaveLength(1);
    payment = rows[0];
    expect(payment).toMatchObject({ status: "refunded", amountRefundedCents: 700 });
    const audits = await run(async (ctx) => (await ctx.db.query("auditLogs").collect()).filter((a: any) => a.entityId === payment._id && a.action === "billing.payment.refund"));
    expect(audits).toHaveLength(2);
    // A refund does not end the subscription by itself.
    expect(await locked(reader, slug)).toBe(false);
  });
});
