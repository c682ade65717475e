// Over 400 lines: the fake's whole Stripe state, so every object transition emits its webhook event in one place.
import { createHmac, randomBytes } from "node:crypto";

// The fake's Stripe account: objects shaped like Stripe's (API 2026-10-28; periods on subscription
// items, invoices linked to subscriptions through `parent.subscription_details`), a clock that tests
// can move forward, and signed webhook events delivered in order to one endpoint.
//
// Invariants:
// - Events are delivered one at a time, in creation order. The checkout and portal pages and the
//   control API wait for the deliveries before answering, so a test sees the app's reaction right
//   after the call; the REST API (/v1) answers at once, as Stripe does (its callers may be the
//   app's webhook handler itself, mid-delivery), so tests call flush() after it.
// - An event's `created` is the fake clock's second (renewals and period ends: the period boundary),
//   while the Stripe-Signature timestamp is the real wall clock, as when Stripe delivers late.
// - Objects inside events are copies taken when the event was created.

export const API_VERSION = "2026-10-28.endive";

export type Obj = Record<string, any>;

export class FakeStripeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = "invalid_request_error",
    readonly param?: string,
    /** Stripe's error code; missing objects are "resource_missing". */
    readonly code: string | null = status === 404 ? "resource_missing" : null,
  ) {
    super(message);
  }

  /** The JSON body Stripe answers with. */
  body() {
    return { error: { type: this.type, message: this.message, ...(this.param ? { param: this.param } : {}), ...(this.code ? { code: this.code } : {}) } };
  }
}

export interface EventRecord {
  event: Obj;
  deliveries: Array<{ status: number | null; error?: string; at: number }>;
}

export interface StateOptions {
  webhookUrl?: string;
  webhookSecret: string;
  /** Deliver events as they happen (default true). When false they wait for deliverPending(). */
  autoDeliver?: boolean;
  /** The fake's own origin, for checkout and portal URLs. */
  baseUrl: () => string;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let s = "";
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${s}`;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** One calendar month or year after `sec` (UTC), as Stripe bills. */
export function addInterval(sec: number, interval: string, count = 1): number {
  const d = new Date(sec * 1000);
  if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + count);
  else if (interval === "week") d.setUTCDate(d.getUTCDate() + 7 * count);
  else if (interval === "day") d.setUTCDate(d.getUTCDate() + count);
  else d.setUTCMonth(d.getUTCMonth() + count);
  return Math.floor(d.getTime() / 1000);
}

/** The Stripe-Signature header for a payload: `t=<timestamp>,v1=<HMAC-SHA256 of "t.payload">`. */
export function signPayload(payload: string, secret: string, timestampSec = Math.floor(Date.now() / 1000)): string {
  const sig = createHmac("sha256", secret).update(`${timestampSec}.${payload}`, "utf8").digest("hex");
  return `t=${timestampSec},v1=${sig}`;
}

export interface RefundParams {
  charge?: string;
  payment_intent?: string;
  invoice?: string;
  subscription?: string;
  amount?: number;
}

interface SessionExtras {
  lineItems: Array<{ price: string; quantity: number }>;
  subscriptionData: { metadata: Record<string, string>; trialPeriodDays?: number };
}

export class StripeFakeState {
  readonly products = new Map<string, Obj>();
  readonly prices = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly checkoutSessions = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly portalSessions = new Map<string, Obj>();
  readonly events: EventRecord[] = [];
  private readonly sessionExtras = new Map<string, SessionExtras>();
  /** Renewals to fail, per subscription. */
  private readonly failRenewals = new Map<string, number>();
  private clockOffsetMs = 0;
  private queue: Promise<void> = Promise.resolve();
  private pending: EventRecord[] = [];
  webhookUrl: string | undefined;
  webhookSecret: string;
  autoDeliver: boolean;

  constructor(private readonly options: StateOptions) {
    this.webhookUrl = options.webhookUrl;
    this.webhookSecret = options.webhookSecret;
    this.autoDeliver = options.autoDeliver ?? true;
  }

  // --- clock -------------------------------------------------------------------------------------

  /** The fake clock, in ms (real time plus every advance). */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }
  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Moves the clock forward and runs what falls due: period ends, renewals, failed renewals. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new FakeStripeError(400, "advance needs a non-negative number of ms");
    this.clockOffsetMs += ms;
    this.processDue();
    await this.flush();
  }

  // --- events ------------------------------------------------------------------------------------

  private emit(type: string, object: Obj, created = this.nowSec(), previousAttributes?: Obj): Obj {
    const event: Obj = {
      id: newId("evt"),
      object: "event",
      api_version: API_VERSION,
      created,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: clone(object), ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
    };
    const record: EventRecord = { event, deliveries: [] };
    this.events.push(record);
    if (this.autoDeliver) this.enqueue(record);
    else this.pending.push(record);
    return event;
  }

  private enqueue(record: EventRecord) {
    this.queue = this.queue.then(() => this.deliver(record).then(() => undefined));
  }

  /** Waits until every queued delivery finished. */
  async flush(): Promise<void> {
    let q: Promise<void>;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  /** Delivers the events held back while autoDeliver was false, in order. */
  async deliverPending(): Promise<void> {
    const held = this.pending;
    this.pending = [];
    for (const r of held) this.enqueue(r);
    await this.flush();
  }

  /** Events not delivered yet (autoDeliver false). */
  pendingEvents(): Obj[] {
    return this.pending.map((r) => r.event);
  }

  /** Removes the held events and returns them, for a test to deliver in its own order (with redeliver or by hand). */
  takePending(): Obj[] {
    const held = this.pending;
    this.pending = [];
    return held.map((r) => r.event);
  }

  /** POSTs one event to the webhook endpoint, signed now. @returns the response status (null: no endpoint or network error). */
  async deliver(record: EventRecord): Promise<number | null> {
    if (!this.webhookUrl) {
      record.deliveries.push({ status: null, error: "no webhook endpoint configured", at: Date.now() });
      return null;
    }
    const payload = JSON.stringify(record.event, null, 2);
    try {
      const res = await fetch(this.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "Stripe-Signature": signPayload(payload, this.webhookSecret),
          "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) pressroom-stripe-fake",
        },
        body: payload,
      });
      await res.arrayBuffer();
      record.deliveries.push({ status: res.status, at: Date.now() });
      return res.status;
    } catch (e) {
      record.deliveries.push({ status: null, error: (e as Error).message, at: Date.now() });
      return null;
    }
  }

  /** Sends an event again (Stripe's "resend"), signed now. */
  async redeliver(eventId: string): Promise<number | null> {
    const record = this.events.find((r) => r.event.id === eventId);
    if (!record) throw new FakeStripeError(404, `No such event: '${eventId}'`, "invalid_request_error", "id");
    let status: number | null = null;
    this.queue = this.queue.then(async () => {
      status = await this.deliver(record);
    });
    await this.flush();
    return status;
  }

  // --- products and prices -----------------------------------------------------------------------

  createProduct(p: { name?: string; description?: string; active?: boolean; metadata?: Record<string, string> }): Obj {
    if (!p.name) throw new FakeStripeError(400, "Missing required param: name.", "invalid_request_error", "name");
    const now = this.nowSec();
    const product = {
      id: newId("prod"),
      object: "product",
      active: p.active ?? true,
      name: p.name,
      description: p.description || null,
      metadata: p.metadata ?? {},
      created: now,
      updated: now,
      livemode: false,
    };
    this.products.set(product.id, product);
    return product;
  }

  updateProduct(id: string, p: { name?: string; description?: string; active?: boolean; metadata?: Record<string, string> }): Obj {
    const product = this.get(this.products, id, "product");
    if (p.name !== undefined) product.name = p.name;
    if (p.description !== undefined) product.description = p.description || null;
    if (p.active !== undefined) product.active = p.active;
    if (p.metadata !== undefined) product.metadata = p.metadata;
    product.updated = this.nowSec();
    return product;
  }

  createPrice(p: { product?: string; unit_amount?: number; currency?: string; interval?: string; metadata?: Record<string, string> }): Obj {
    if (!p.product) throw new FakeStripeError(400, "Missing required param: product.", "invalid_request_error", "product");
    this.get(this.products, p.product, "product");
    if (p.unit_amount === undefined || p.unit_amount < 0) throw new FakeStripeError(400, "Missing required param: unit_amount.", "invalid_request_error", "unit_amount");
    if (!p.currency || !/^[a-z]{3}$/.test(p.currency)) throw new FakeStripeError(400, "Invalid currency.", "invalid_request_error", "currency");
    const price = {
      id: newId("price"),
      object: "price",
      active: true,
      currency: p.currency,
      unit_amount: p.unit_amount,
      unit_amount_decimal: String(p.unit_amount),
      recurring: p.interval ? { interval: p.interval, interval_count: 1, usage_type: "licensed" } : null,
      type: p.interval ? "recurring" : "one_time",
      product: p.product,
      metadata: p.metadata ?? {},
      created: this.nowSec(),
      livemode: false,
    };
    this.prices.set(price.id, price);
    return price;
  }

  updatePrice(id: string, p: { active?: boolean; metadata?: Record<string, string> }): Obj {
    const price = this.get(this.prices, id, "price");
    if (p.active !== undefined) price.active = p.active;
    if (p.metadata !== undefined) price.metadata = p.metadata;
    return price;
  }

  // --- customers ---------------------------------------------------------------------------------

  createCustomer(p: { email?: string; name?: string; metadata?: Record<string, string> }): Obj {
    const customer = {
      id: newId("cus"),
      object: "customer",
      email: p.email ?? null,
      name: p.name ?? null,
      metadata: p.metadata ?? {},
      created: this.nowSec(),
      livemode: false,
    };
    this.customers.set(customer.id, customer);
    return customer;
  }

  // --- checkout ----------------------------------------------------------------------------------

  createCheckoutSession(p: {
    mode?: string;
    success_url?: string;
    cancel_url?: string;
    customer?: string;
    customer_email?: string;
    client_reference_id?: string;
    metadata?: Record<string, string>;
    line_items: Array<{ price?: string; quantity?: number }>;
    subscription_data?: { metadata?: Record<string, string>; trial_period_days?: number };
  }): Obj {
    if (p.mode !== "subscription") throw new FakeStripeError(400, "This fake supports mode=subscription only.", "invalid_request_error", "mode");
    if (!p.success_url) throw new FakeStripeError(400, "Missing required param: success_url.", "invalid_request_error", "success_url");
    if (p.customer && !this.customers.has(p.customer)) {
      throw new FakeStripeError(400, `No such customer: '${p.customer}'`, "invalid_request_error", "customer", "resource_missing");
    }
    if (!p.line_items.length) throw new FakeStripeError(400, "Missing required param: line_items.", "invalid_request_error", "line_items");
    const lineItems = p.line_items.map((li, i) => {
      if (!li.price) throw new FakeStripeError(400, `Missing required param: line_items[${i}][price].`, "invalid_request_error", `line_items[${i}][price]`);
      const price = this.get(this.prices, li.price, "price");
      if (!price.active) throw new FakeStripeError(400, `The price ${price.id} is not active.`, "invalid_request_error", `line_items[${i}][price]`);
      if (!price.recurring) throw new FakeStripeError(400, "Subscription mode needs a recurring price.", "invalid_request_error", `line_items[${i}][price]`);
      return { price: li.price, quantity: li.quantity ?? 1 };
    });
    const first = this.prices.get(lineItems[0].price)!;
    const id = newId("cs_test");
    const now = this.nowSec();
    const session = {
      id,
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      payment_status: "unpaid",
      url: `${this.options.baseUrl()}/checkout/${id}`,
      success_url: p.success_url,
      cancel_url: p.cancel_url ?? null,
      customer: p.customer ?? null,
      customer_email: p.customer_email ?? null,
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata ?? {},
      amount_subtotal: lineItems.reduce((n, li) => n + this.prices.get(li.price)!.unit_amount * li.quantity, 0),
      amount_total: lineItems.reduce((n, li) => n + this.prices.get(li.price)!.unit_amount * li.quantity, 0),
      currency: first.currency,
      subscription: null as string | null,
      invoice: null as string | null,
      created: now,
      expires_at: now + 24 * 3600,
      livemode: false,
    };
    this.checkoutSessions.set(id, session);
    this.sessionExtras.set(id, {
      lineItems,
      subscriptionData: { metadata: p.subscription_data?.metadata ?? {}, trialPeriodDays: p.subscription_data?.trial_period_days },
    });
    return session;
  }

  /** What the checkout page shows. */
  checkoutSummary(id: string) {
    const session = this.get(this.checkoutSessions, id, "checkout.session");
    const extras = this.sessionExtras.get(id)!;
    const price = this.prices.get(extras.lineItems[0].price)!;
    const product = this.products.get(price.product);
    const customer = session.customer ? this.customers.get(session.customer) : null;
    return { session, price, product, customer, trialDays: extras.subscriptionData.trialPeriodDays };
  }

  /**
   * The "Pay" button: creates the customer (if needed), the subscription, its first invoice and
   * charge, and sends checkout.session.completed, customer.subscription.created and invoice.paid.
   * @returns the success URL with {CHECKOUT_SESSION_ID} filled in.
   */
  async pay(sessionId: string): Promise<string> {
    const session = this.get(this.checkoutSessions, sessionId, "checkout.session");
    if (session.status !== "open") throw new FakeStripeError(400, `This Checkout Session is ${session.status}.`);
    const extras = this.sessionExtras.get(sessionId)!;
    const customer = session.customer
      ? this.get(this.customers, session.customer, "customer")
      : this.createCustomer({ email: session.customer_email ?? undefined });
    const now = this.nowSec();
    const price = this.get(this.prices, extras.lineItems[0].price, "price");
    const trialDays = extras.subscriptionData.trialPeriodDays;
    const periodEnd = trialDays ? now + trialDays * 86400 : addInterval(now, price.recurring.interval, price.recurring.interval_count);
    const sub: Obj = {
      id: newId("sub"),
      object: "subscription",
      customer: customer.id,
      status: trialDays ? "trialing" : "active",
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      trial_start: trialDays ? now : null,
      trial_end: trialDays ? periodEnd : null,
      start_date: now,
      billing_cycle_anchor: periodEnd,
      created: now,
      currency: price.currency,
      items: { object: "list", data: [] as Obj[], has_more: false, total_count: 1 },
      latest_invoice: null as string | null,
      metadata: { ...extras.subscriptionData.metadata },
      livemode: false,
    };
    sub.items.data.push({
      id: newId("si"),
      object: "subscription_item",
      subscription: sub.id,
      price: clone(price),
      quantity: extras.lineItems[0].quantity,
      current_period_start: now,
      current_period_end: periodEnd,
      created: now,
    });
    this.subscriptions.set(sub.id, sub);
    const invoice = this.createInvoice(sub, "subscription_create", now, periodEnd, trialDays ? 0 : price.unit_amount, true);
    session.status = "complete";
    session.payment_status = trialDays ? "no_payment_required" : "paid";
    session.customer = customer.id;
    session.subscription = sub.id;
    session.invoice = invoice.id;
    this.emit("checkout.session.completed", session, now);
    this.emit("customer.subscription.created", sub, now);
    this.emit("invoice.paid", invoice, now);
    await this.flush();
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id);
  }

  /** The "Decline" button: the card is declined, nothing is created, the reader goes back to cancel_url. */
  decline(sessionId: string): string {
    const session = this.get(this.checkoutSessions, sessionId, "checkout.session");
    if (session.status !== "open") throw new FakeStripeError(400, `This Checkout Session is ${session.status}.`);
    return session.cancel_url ?? session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id);
  }

  // --- invoices and charges ----------------------------------------------------------------------

  private createInvoice(sub: Obj, billingReason: string, periodStart: number, periodEnd: number, amount: number, paid: boolean, created = periodStart): Obj {
    const item = sub.items.data[0];
    const price = item.price;
    const product = this.products.get(price.product);
    const invoice: Obj = {
      id: newId("in"),
      object: "invoice",
      customer: sub.customer,
      status: paid ? "paid" : "open",
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      amount_remaining: paid ? 0 : amount,
      attempt_count: 1,
      attempted: true,
      billing_reason: billingReason,
      collection_method: "charge_automatically",
      currency: price.currency,
      description: null,
      created,
      // Stripe quirk kept: period_* of a subscription invoice is the period *before* the line's.
      period_start: created,
      period_end: created,
      lines: {
        object: "list",
        has_more: false,
        total_count: 1,
        data: [
          {
            id: newId("il"),
            object: "line_item",
            amount,
            currency: price.currency,
            description: `1 × ${product?.name ?? "Subscription"} (at ${(price.unit_amount / 100).toFixed(2)} ${price.currency.toUpperCase()} / ${price.recurring?.interval ?? "month"})`,
            period: { start: periodStart, end: periodEnd },
            pricing: { type: "price_details", price_details: { price: price.id, product: price.product } },
            quantity: item.quantity,
          },
        ],
      },
      parent: { type: "subscription_details", quote_details: null, subscription_details: { subscription: sub.id, metadata: { ...sub.metadata } } },
      payments: { object: "list", has_more: false, data: [] as Obj[] },
      status_transitions: { finalized_at: created, paid_at: paid ? created : null, voided_at: null, marked_uncollectible_at: null },
      metadata: {},
      livemode: false,
    };
    if (paid && amount > 0) this.attachCharge(invoice, created);
    this.invoices.set(invoice.id, invoice);
    sub.latest_invoice = invoice.id;
    return invoice;
  }

  private attachCharge(invoice: Obj, created: number): Obj {
    const charge = {
      id: newId("ch"),
      object: "charge",
      amount: invoice.amount_due,
      amount_captured: invoice.amount_due,
      amount_refunded: 0,
      captured: true,
      paid: true,
      refunded: false,
      status: "succeeded",
      currency: invoice.currency,
      customer: invoice.customer,
      description: "Subscription payment",
      payment_intent: newId("pi"),
      metadata: {},
      created,
      livemode: false,
    };
    this.charges.set(charge.id, charge);
    invoice.payments.data.push({
      id: newId("inpay"),
      object: "invoice_payment",
      amount_paid: charge.amount,
      amount_requested: charge.amount,
      currency: charge.currency,
      invoice: invoice.id,
      is_default: true,
      status: "paid",
      payment: { type: "charge", charge: charge.id },
      created,
      livemode: false,
    });
    return charge;
  }

  // --- subscriptions -----------------------------------------------------------------------------

  private periodEnd(sub: Obj): number {
    return sub.items.data[0].current_period_end;
  }

  private setPeriod(sub: Obj, start: number, end: number) {
    for (const item of sub.items.data) {
      item.current_period_start = start;
      item.current_period_end = end;
    }
  }

  /** subscriptions.update / the portal's "Cancel at period end" and "Resume". */
  setCancelAtPeriodEnd(id: string, cancel: boolean): Obj {
    const sub = this.get(this.subscriptions, id, "subscription");
    if (sub.status === "canceled") throw new FakeStripeError(400, "A canceled subscription can only update its cancellation_details and metadata.");
    if (sub.cancel_at_period_end === cancel) return sub;
    const previous = { cancel_at_period_end: sub.cancel_at_period_end, cancel_at: sub.cancel_at, canceled_at: sub.canceled_at };
    sub.cancel_at_period_end = cancel;
    sub.cancel_at = cancel ? this.periodEnd(sub) : null;
    sub.canceled_at = cancel ? this.nowSec() : null;
    this.emit("customer.subscription.updated", sub, this.nowSec(), previous);
    return sub;
  }

  updateSubscription(id: string, p: { cancel_at_period_end?: boolean; metadata?: Record<string, string> }): Obj {
    const sub = this.get(this.subscriptions, id, "subscription");
    if (p.metadata !== undefined) sub.metadata = p.metadata;
    if (p.cancel_at_period_end !== undefined) this.setCancelAtPeriodEnd(id, p.cancel_at_period_end);
    return sub;
  }

  /** subscriptions.cancel: ends it now and sends customer.subscription.deleted. */
  cancelSubscription(id: string): Obj {
    const sub = this.get(this.subscriptions, id, "subscription");
    if (sub.status === "canceled") throw new FakeStripeError(400, `No such subscription: '${id}' is already canceled.`);
    const now = this.nowSec();
    sub.status = "canceled";
    sub.canceled_at = now;
    sub.ended_at = now;
    sub.cancel_at_period_end = false;
    this.emit("customer.subscription.deleted", sub, now);
    return sub;
  }

  /** The next `count` renewals of the subscription fail (card declined). */
  failNextRenewals(id: string, count = 1) {
    this.get(this.subscriptions, id, "subscription");
    this.failRenewals.set(id, (this.failRenewals.get(id) ?? 0) + count);
  }

  /** Pays the open invoice of a past_due or unpaid subscription now: invoice.paid, then active again. */
  async retryPayment(id: string): Promise<Obj> {
    const sub = this.get(this.subscriptions, id, "subscription");
    const invoice = sub.latest_invoice ? this.invoices.get(sub.latest_invoice) : null;
    if (!invoice || invoice.status !== "open") throw new FakeStripeError(400, "The subscription has no open invoice to pay.");
    const now = this.nowSec();
    invoice.status = "paid";
    invoice.amount_paid = invoice.amount_due;
    invoice.amount_remaining = 0;
    invoice.attempt_count += 1;
    invoice.status_transitions.paid_at = now;
    this.attachCharge(invoice, now);
    const previous = { status: sub.status };
    sub.status = "active";
    this.emit("invoice.paid", invoice, now);
    this.emit("customer.subscription.updated", sub, now, previous);
    await this.flush();
    return sub;
  }

  /** Renews, fails or ends every subscription whose period ended by the fake clock, in time order. */
  private processDue() {
    for (let guard = 0; guard < 10_000; guard++) {
      const now = this.nowSec();
      let next: Obj | null = null;
      for (const sub of this.subscriptions.values()) {
        if (sub.status === "canceled" || sub.status === "incomplete_expired" || sub.status === "incomplete") continue;
        if (this.periodEnd(sub) > now) continue;
        if (!next || this.periodEnd(sub) < this.periodEnd(next)) next = sub;
      }
      if (!next) return;
      this.endPeriod(next);
    }
  }

  private endPeriod(sub: Obj) {
    const t = this.periodEnd(sub);
    const price = sub.items.data[0].price;
    const previous = { status: sub.status, current_period_start: sub.items.data[0].current_period_start, current_period_end: t };
    if (sub.cancel_at_period_end || sub.status === "past_due" || sub.status === "unpaid") {
      // Canceled at period end, or a failed renewal was never paid (Stripe's "cancel after retries").
      sub.status = "canceled";
      sub.ended_at = t;
      sub.canceled_at = sub.canceled_at ?? t;
      sub.cancel_at_period_end = false;
      this.emit("customer.subscription.deleted", sub, t);
      return;
    }
    const end = addInterval(t, price.recurring?.interval ?? "month", price.recurring?.interval_count ?? 1);
    this.setPeriod(sub, t, end);
    const failures = this.failRenewals.get(sub.id) ?? 0;
    if (failures > 0) {
      this.failRenewals.set(sub.id, failures - 1);
      const invoice = this.createInvoice(sub, "subscription_cycle", t, end, price.unit_amount, false, t);
      invoice.next_payment_attempt = t + 3 * 86400;
      sub.status = "past_due";
      this.emit("invoice.payment_failed", invoice, t);
      this.emit("customer.subscription.updated", sub, t, previous);
      return;
    }
    const invoice = this.createInvoice(sub, "subscription_cycle", t, end, price.unit_amount, true, t);
    if (sub.status === "trialing") sub.status = "active";
    this.emit("customer.subscription.updated", sub, t, previous);
    this.emit("invoice.paid", invoice, t);
  }

  // --- refunds -----------------------------------------------------------------------------------

  /**
   * Refunds a charge (named directly, or the charge of an invoice, or of a subscription's latest paid
   * invoice), fully unless `amount`; sends charge.refunded.
   */
  async refund(p: RefundParams): Promise<Obj> {
    const refund = this.createRefund(p);
    await this.flush();
    return refund;
  }

  /** refund() without waiting for the webhook delivery (the API's POST /v1/refunds). */
  createRefund(p: RefundParams): Obj {
    let chargeId = p.charge;
    if (!chargeId && p.payment_intent) chargeId = [...this.charges.values()].find((c) => c.payment_intent === p.payment_intent)?.id;
    let invoiceId = p.invoice;
    if (!chargeId && !invoiceId && p.subscription) {
      const paid = [...this.invoices.values()].filter((i) => i.parent?.subscription_details?.subscription === p.subscription && i.payments.data.length);
      invoiceId = paid[paid.length - 1]?.id;
    }
    if (!chargeId && invoiceId) chargeId = this.get(this.invoices, invoiceId, "invoice").payments.data[0]?.payment.charge;
    if (!chargeId) throw new FakeStripeError(400, "Nothing to refund: pass charge, payment_intent, invoice or subscription.", "invalid_request_error", "charge");
    const charge = this.get(this.charges, chargeId, "charge");
    const remaining = charge.amount - charge.amount_refunded;
    const amount = p.amount ?? remaining;
    if (amount <= 0 || amount > remaining) {
      throw new FakeStripeError(400, `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, "invalid_request_error", "amount");
    }
    const now = this.nowSec();
    const refund = {
      id: newId("re"),
      object: "refund",
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      currency: charge.currency,
      status: "succeeded",
      reason: null,
      metadata: {},
      created: now,
    };
    this.refunds.set(refund.id, refund);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    this.emit("charge.refunded", charge, now, previous);
    return refund;
  }

  // --- portal ------------------------------------------------------------------------------------

  createPortalSession(p: { customer?: string; return_url?: string }): Obj {
    if (!p.customer) throw new FakeStripeError(400, "Missing required param: customer.", "invalid_request_error", "customer");
    if (!this.customers.has(p.customer)) {
      throw new FakeStripeError(400, `No such customer: '${p.customer}'`, "invalid_request_error", "customer", "resource_missing");
    }
    const id = newId("bps");
    const session = {
      id,
      object: "billing_portal.session",
      customer: p.customer,
      return_url: p.return_url ?? null,
      url: `${this.options.baseUrl()}/portal/${id}`,
      created: this.nowSec(),
      livemode: false,
    };
    this.portalSessions.set(id, session);
    return session;
  }

  /** The subscriptions a portal session may manage (its customer's). */
  portalSubscriptions(portalId: string): Obj[] {
    const session = this.get(this.portalSessions, portalId, "billing_portal.session");
    return [...this.subscriptions.values()].filter((s) => s.customer === session.customer);
  }

  // --- lookups -----------------------------------------------------------------------------------

  get(map: Map<string, Obj>, id: string, kind: string): Obj {
    const found = map.get(id);
    if (!found) throw new FakeStripeError(404, `No such ${kind}: '${id}'`, "invalid_request_error", "id");
    return found;
  }
}
