import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startStripeFake, type StripeFake } from "./index";

// The Stripe fake on its own: the official client against its API (both of stripe-node's HTTP
// clients), its pages driven like a browser would (form POSTs, 303 redirects), the control API,
// and webhooks checked with Stripe's own signature verification.

const SECRET = "whsec_fake_test_secret";
const DAY = 86_400_000;

/** A webhook endpoint that verifies every delivery with stripe.webhooks.constructEvent. */
class Receiver {
  events: Stripe.Event[] = [];
  rejected = 0;
  status = 200;
  private server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        this.events.push(Stripe.webhooks.constructEvent(body, String(req.headers["stripe-signature"]), SECRET));
        res.writeHead(this.status).end();
      } catch {
        this.rejected++;
        res.writeHead(400).end();
      }
    });
  });
  url = "";
  async start() {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  types() {
    return this.events.map((e) => e.type);
  }
  close() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

let fake: StripeFake;
let receiver: Receiver;
let stripe: Stripe;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  fake = await startStripeFake({ webhookUrl: receiver.url, webhookSecret: SECRET });
  stripe = client(Stripe.createFetchHttpClient());
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});
afterEach(() => {
  receiver.events = [];
  receiver.status = 200;
});

function client(httpClient?: ReturnType<typeof Stripe.createFetchHttpClient>) {
  return new Stripe("sk_test_fake", { host: "127.0.0.1", port: fake.port, protocol: "http", maxNetworkRetries: 0, telemetry: false, httpClient });
}

async function plan(amount = 500, interval: "month" | "year" = "month") {
  const product = await stripe.products.create({ name: "Supporter", description: "Featured posts", metadata: { planId: "p1" } });
  const price = await stripe.prices.create({ product: product.id, unit_amount: amount, currency: "usd", recurring: { interval } });
  return { product, price };
}

async function checkout(priceId: string, metadata = { siteId: "s1", userId: "u1", planId: "p1" }) {
  const customer = await stripe.customers.create({ email: "reader@example.com", name: "Reader", metadata });
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    customer: customer.id,
    line_items: [{ price: priceId, quantity: 1 }],
    success_url: "http://app.test/daily/subscribe?checkout=success&session_id={CHECKOUT_SESSION_ID}",
    cancel_url: "http://app.test/daily/subscribe?checkout=canceled",
    client_reference_id: metadata.userId,
    metadata,
    subscription_data: { metadata },
  });
  return { customer, session };
}

/** Submits one of the fake's forms like a browser: POST, no redirect following. */
async function submit(path: string, form: Record<string, string> = {}) {
  const res = await fetch(new URL(path, fake.url), {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, location: res.headers.get("location") };
}

async function paidSubscription(amount = 500) {
  const { price } = await plan(amount);
  const { session, customer } = await checkout(price.id);
  await submit(`/checkout/${session.id}/pay`);
  const done = await stripe.checkout.sessions.retrieve(session.id);
  return { price, customer, session: done, subscription: await stripe.subscriptions.retrieve(done.subscription as string) };
}

describe("API through the official client", () => {
  test.each([
    ["fetch client", Stripe.createFetchHttpClient()],
    ["node client", undefined],
  ])("products, prices, customers and checkout sessions (%s)", async (_n, httpClient) => {
    const s = client(httpClient);
    const product = await s.products.create({ name: "Supporter", metadata: { siteId: "s1" } });
    expect(product).toMatchObject({ object: "product", name: "Supporter", active: true, metadata: { siteId: "s1" } });
    const price = await s.prices.create({ product: product.id, unit_amount: 900, currency: "usd", recurring: { interval: "year" } });
    expect(price).toMatchObject({ unit_amount: 900, currency: "usd", active: true, recurring: { interval: "year" } });
    const archived = await s.prices.update(price.id, { active: false });
    expect(archived.active).toBe(false);
    expect((await s.prices.retrieve(price.id)).active).toBe(false);
    await expect(
      s.checkout.sessions.create({ mode: "subscription", line_items: [{ price: price.id, quantity: 1 }], success_url: "http://x/ok" }),
    ).rejects.toMatchObject({ type: "StripeInvalidRequestError", statusCode: 400 });
    const renamed = await s.products.update(product.id, { name: "Patron", active: false });
    expect(renamed).toMatchObject({ name: "Patron", active: false });
    const customer = await s.customers.create({ email: "a@example.com", metadata: { userId: "u1" } });
    expect(await s.customers.retrieve(customer.id)).toMatchObject({ email: "a@example.com", metadata: { userId: "u1" } });
    await expect(s.customers.retrieve("cus_missing")).rejects.toMatchObject({ type: "StripeInvalidRequestError", statusCode: 404 });
  });

  test("a checkout session keeps metadata, client_reference_id and the URLs; its url is the test page", async () => {
    const { price } = await plan();
    const { session, customer } = await checkout(price.id);
    expect(session).toMatchObject({
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      customer: customer.id,
      client_reference_id: "u1",
      metadata: { siteId: "s1", userId: "u1", planId: "p1" },
      url: `${fake.url}/checkout/${session.id}`,
    });
    expect((await stripe.checkout.sessions.retrieve(session.id)).success_url).toContain("{CHECKOUT_SESSION_ID}");
  });

  test("an Idempotency-Key replays the first response", async () => {
    const a = await stripe.customers.create({ email: "same@example.com" }, { idempotencyKey: "key-1" });
    const b = await stripe.customers.create({ email: "same@example.com" }, { idempotencyKey: "key-1" });
    expect(b.id).toBe(a.id);
    const c = await stripe.customers.create({ email: "same@example.com" }, { idempotencyKey: "key-2" });
    expect(c.id).not.toBe(a.id);
  });

  test("a key that is not a secret key is refused", async () => {
    const bad = new Stripe("pk_test_public", { host: "127.0.0.1", port: fake.port, protocol: "http", maxNetworkRetries: 0 });
    await expect(bad.customers.create({})).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe("checkout page", () => {
  test("is labelled as a test page and offers Pay and Decline", async () => {
    const { price } = await plan(1200);
    const { session } = await checkout(price.id);
    const page = await (await fetch(session.url!)).text();
    expect(page).toContain("TEST PAYMENT PAGE — no real money");
    expect(page).toContain(">Pay</button>");
    expect(page).toContain(">Decline</button>");
    expect(page).toContain("12.00 USD per month");
  });

  test("Pay creates the subscription, sends three signed events in order and redirects to success_url", async () => {
    const { price } = await plan(700);
    const { session, customer } = await checkout(price.id);
    const res = await submit(`/checkout/${session.id}/pay`);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`http://app.test/daily/subscribe?checkout=success&session_id=${session.id}`);
    expect(receiver.rejected).toBe(0);
    expect(receiver.types()).toEqual(["checkout.session.completed", "customer.subscription.created", "invoice.paid"]);
    const [completed, created, paid] = receiver.events.map((e) => e.data.object as any);
    expect(completed).toMatchObject({ id: session.id, status: "complete", payment_status: "paid", customer: customer.id, metadata: { userId: "u1" } });
    expect(created).toMatchObject({ id: completed.subscription, status: "active", customer: customer.id, metadata: { siteId: "s1", userId: "u1", planId: "p1" } });
    const item = created.items.data[0];
    expect(item.price.id).toBe(price.id);
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start + 27 * 86400);
    expect(paid).toMatchObject({
      status: "paid",
      amount_paid: 700,
      billing_reason: "subscription_create",
      parent: { subscription_details: { subscription: created.id, metadata: { siteId: "s1" } } },
    });
    expect(paid.lines.data[0].period).toEqual({ start: item.current_period_start, end: item.current_period_end });
    const charge = await stripe.charges.retrieve(paid.payments.data[0].payment.charge);
    expect(charge).toMatchObject({ amount: 700, refunded: false, customer: customer.id });
    expect((await stripe.subscriptions.retrieve(created.id)).status).toBe("active");
    // Paying twice is refused; the page now says so.
    expect((await submit(`/checkout/${session.id}/pay`)).status).toBe(400);
    expect(await (await fetch(session.url!)).text()).toContain("This checkout is complete");
  });

  test("Decline sends the reader back to cancel_url and creates nothing", async () => {
    const { price } = await plan();
    const { session } = await checkout(price.id);
    const subsBefore = fake.state.subscriptions.size;
    const res = await submit(`/checkout/${session.id}/decline`);
    expect(res).toEqual({ status: 303, location: "http://app.test/daily/subscribe?checkout=canceled" });
    expect(receiver.events).toEqual([]);
    expect(fake.state.subscriptions.size).toBe(subsBefore);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe("open");
  });

  test("a webhook endpoint that fails is recorded, and resend delivers the same event again", async () => {
    receiver.status = 500;
    const { session } = await paidSubscription();
    const last = fake.state.events[fake.state.events.length - 1];
    expect(last.deliveries.at(-1)?.status).toBe(500);
    receiver.status = 200;
    const res = await fetch(`${fake.url}/_control/resend`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ event: last.event.id }) });
    expect(await res.json()).toEqual({ status: 200 });
    expect(receiver.events.at(-1)?.id).toBe(last.event.id);
    expect(session.status).toBe("complete");
  });
});

describe("subscriptions over time", () => {
  test("the portal cancels at period end and resumes; each change sends customer.subscription.updated", async () => {
    const { subscription, customer } = await paidSubscription();
    receiver.events = [];
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: "http://app.test/account" });
    expect(portal.url).toBe(`${fake.url}/portal/${portal.id}`);
    let page = await (await fetch(portal.url)).text();
    expect(page).toContain("TEST PAYMENT PAGE — no real money");
    expect(page).toContain("Cancel at period end");
    expect(await submit(`/portal/${portal.id}/cancel`, { subscription: subscription.id })).toEqual({ status: 303, location: `/portal/${portal.id}` });
    page = await (await fetch(portal.url)).text();
    expect(page).toContain(">Resume</button>");
    await submit(`/portal/${portal.id}/resume`, { subscription: subscription.id });
    expect(receiver.types()).toEqual(["customer.subscription.updated", "customer.subscription.updated"]);
    expect(receiver.events.map((e) => (e.data.object as Stripe.Subscription).cancel_at_period_end)).toEqual([true, false]);
    // Another customer's portal cannot touch this subscription.
    const other = await stripe.customers.create({});
    const theirs = await stripe.billingPortal.sessions.create({ customer: other.id });
    expect((await submit(`/portal/${theirs.id}/cancel`, { subscription: subscription.id })).status).toBe(404);
  });

  test("advancing the clock renews a subscription: customer.subscription.updated and invoice.paid for the next period", async () => {
    const { subscription } = await paidSubscription(500);
    receiver.events = [];
    const end = subscription.items.data[0].current_period_end;
    await fake.advanceClock(32 * DAY);
    const mine = receiver.events.filter((e) => JSON.stringify(e.data.object).includes(subscription.id));
    expect(mine.map((e) => e.type)).toEqual(["customer.subscription.updated", "invoice.paid"]);
    const invoice = mine[1].data.object as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: "subscription_cycle", amount_paid: 500 });
    expect(invoice.lines.data[0].period.start).toBe(end);
    expect(mine[1].created).toBe(end);
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0].current_period_start).toBe(end);
  });

  test("a failed renewal makes the subscription past_due; retrying pays it; an unpaid renewal ends it", async () => {
    const { subscription } = await paidSubscription();
    receiver.events = [];
    const post = (path: string, body: object) =>
      fetch(`${fake.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    await post("/_control/fail-renewal", { subscription: subscription.id, count: 2 });
    await post("/_control/advance", { days: 32 });
    const mine = () => receiver.events.filter((e) => JSON.stringify(e.data.object).includes(subscription.id));
    expect(mine().map((e) => e.type)).toEqual(["invoice.payment_failed", "customer.subscription.updated"]);
    expect((mine()[1].data.object as Stripe.Subscription).status).toBe("past_due");
    await post("/_control/retry-payment", { subscription: subscription.id });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe("active");
    expect(mine().slice(2).map((e) => e.type)).toEqual(["invoice.paid", "customer.subscription.updated"]);
    receiver.events = [];
    await post("/_control/advance", { days: 32 }); // second failure
    await post("/_control/advance", { days: 32 }); // never paid: canceled at the next period end
    expect(mine().map((e) => e.type)).toEqual(["invoice.payment_failed", "customer.subscription.updated", "customer.subscription.deleted"]);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe("canceled");
  });

  test("cancel at period end ends the subscription when the clock passes the period end", async () => {
    const { subscription } = await paidSubscription();
    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    await fake.flush();
    receiver.events = [];
    await fake.advanceClock(10 * DAY);
    expect(receiver.events.filter((e) => JSON.stringify(e.data.object).includes(subscription.id))).toEqual([]);
    await fake.advanceClock(25 * DAY);
    const deleted = receiver.events.find((e) => (e.data.object as any).id === subscription.id);
    expect(deleted?.type).toBe("customer.subscription.deleted");
    expect(deleted?.created).toBe(subscription.items.data[0].current_period_end);
  });

  test("subscriptions.cancel ends it now", async () => {
    const { subscription } = await paidSubscription();
    receiver.events = [];
    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled.status).toBe("canceled");
    await fake.flush();
    expect(receiver.types()).toEqual(["customer.subscription.deleted"]);
  });
});

describe("refunds", () => {
  test("partial then full refunds send charge.refunded with the running amount", async () => {
    const { session } = await paidSubscription(1000);
    const invoice = await stripe.invoices.retrieve(session.invoice as string);
    const chargeId = (invoice.payments!.data[0].payment as any).charge as string;
    receiver.events = [];
    const partial = await stripe.refunds.create({ charge: chargeId, amount: 300 });
    expect(partial).toMatchObject({ amount: 300, charge: chargeId, status: "succeeded" });
    await fake.flush(); // the API answers before its webhooks are delivered, as Stripe does
    const rest = await fetch(`${fake.url}/_control/refund`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ invoice: invoice.id }),
    });
    expect((await rest.json()).amount).toBe(700);
    expect(receiver.types()).toEqual(["charge.refunded", "charge.refunded"]);
    expect(receiver.events.map((e) => [(e.data.object as Stripe.Charge).amount_refunded, (e.data.object as Stripe.Charge).refunded])).toEqual([
      [300, false],
      [1000, true],
    ]);
    await expect(stripe.refunds.create({ charge: chargeId })).rejects.toMatchObject({ statusCode: 400 });
  });
});

test("sign() produces headers Stripe's verification accepts, and rejects with another secret", () => {
  const payload = JSON.stringify({ id: "evt_1", object: "event", type: "invoice.paid", data: { object: {} } });
  expect(Stripe.webhooks.constructEvent(payload, fake.sign(payload), SECRET).id).toBe("evt_1");
  expect(() => Stripe.webhooks.constructEvent(payload, fake.sign(payload, { secret: "whsec_other" }), SECRET)).toThrow(/No signatures found/);
  const stale = fake.sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
  expect(() => Stripe.webhooks.constructEvent(payload, stale, SECRET)).toThrow(/tolerance/);
});

test("startDevStripeFake points a backend's env at a fresh fake, and keeps out of the way of real keys", async () => {
  const { startDevStripeFake } = await import("./dev");
  const store: Record<string, string> = {};
  const backend = { siteUrl: "http://127.0.0.1:1", env: { all: () => ({ ...store }), set: (k: string, v: string | null) => void (v === null ? delete store[k] : (store[k] = v)) } };
  const dev = await startDevStripeFake(backend, { port: 0 });
  expect(dev).not.toBeNull();
  expect(store).toMatchObject({ STRIPE_SECRET_KEY: "sk_test_local_fake", STRIPE_API_BASE: dev!.url, STRIPE_WEBHOOK_SECRET: expect.stringMatching(/^whsec_/) });
  expect(dev!.state.webhookUrl).toBe("http://127.0.0.1:1/stripe/webhook");
  const secret = store.STRIPE_WEBHOOK_SECRET;
  await dev!.close();
  const again = await startDevStripeFake(backend, { port: 0 });
  expect(store.STRIPE_WEBHOOK_SECRET).toBe(secret);
  await again!.close();
  const real = { siteUrl: "x", env: { all: () => ({ STRIPE_SECRET_KEY: "sk_live_real" }), set: () => undefined } };
  expect(await startDevStripeFake(real)).toBeNull();
});
