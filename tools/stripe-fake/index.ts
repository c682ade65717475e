import type http from "node:http";
import { serveFake } from "../fake-server.js";
import { asArray, asBool, asInt, asMetadata, asObject, asString, parseForm, type FormValue } from "./form.js";
import { checkoutPage, errorPage, portalPage } from "./pages.js";
import { FakeStripeError, signPayload, StripeFakeState, type EventRecord, type Obj } from "./state.js";

// A small Stripe stand-in for development and tests: the part of Stripe's API Pressroom calls, a
// test checkout page and billing portal, signed webhooks to the app, and a control API that moves
// time. Point the app at it with STRIPE_API_BASE=<url> and any sk_ key. README.md lists the API.

export { signPayload, StripeFakeState } from "./state.js";

export interface StripeFakeOptions {
  /** Port to listen on (0 or omitted: a free one). */
  port?: number;
  host?: string;
  /** Where events are POSTed, e.g. `${CONVEX_SITE_URL}/stripe/webhook`. Can be set later. */
  webhookUrl?: string;
  /** The endpoint's signing secret (whsec_…), the app's STRIPE_WEBHOOK_SECRET. */
  webhookSecret: string;
  /** When set, API calls must use this key; otherwise any `sk_…` key is accepted. */
  secretKey?: string;
  /** Deliver events as they happen (default true); false holds them for deliverPending(). */
  autoDeliver?: boolean;
}

export interface StripeFake {
  /** Origin of the fake, e.g. http://127.0.0.1:54321 (STRIPE_API_BASE). */
  url: string;
  port: number;
  /** The account's objects and every event sent, for assertions. */
  state: StripeFakeState;
  events(): Obj[];
  /** The fake clock in ms. */
  now(): number;
  /** Moves the fake clock forward and runs what fell due (renewals, failed renewals, period ends). */
  advanceClock(ms: number): Promise<void>;
  setWebhook(opts: { url?: string; secret?: string }): void;
  /** Waits until every event sent so far was delivered. */
  flush(): Promise<void>;
  /**
   * Delays API calls before they take effect (ms per call; null: none), as a slow or loaded Stripe
   * would, so tests can watch the app's state between its calls.
   */
  setLatency(latency: ((method: string, path: string) => number) | null): void;
  /** The Stripe-Signature header for a payload (real wall-clock timestamp unless given). */
  sign(payload: string, opts?: { secret?: string; timestamp?: number }): string;
  close(): Promise<void>;
}

/** Turns the form body of a create/update call into the fields the state understands. */
const meta = (f: Record<string, FormValue>, base?: Record<string, string>) => (f.metadata === undefined ? base : asMetadata(f.metadata, base));

function json(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { "Content-Type": "application/json", "Request-Id": `req_fake_${Date.now()}`, ...extra });
  res.end(text);
}

function html(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
  res.end(body);
}

function redirect(res: http.ServerResponse, location: string) {
  res.writeHead(303, { Location: location });
  res.end();
}

function stripeError(res: http.ServerResponse, e: FakeStripeError) {
  json(res, e.status, e.body());
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 1 << 20) throw new FakeStripeError(413, "Request body too large.");
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Control API bodies: JSON, or a form. */
function controlBody(text: string, contentType: string | undefined): Record<string, any> {
  if (!text) return {};
  if (contentType?.includes("json")) return JSON.parse(text);
  return parseForm(text);
}

/** Starts the fake. */
export async function startStripeFake(options: StripeFakeOptions): Promise<StripeFake> {
  let baseUrl = "";
  const state = new StripeFakeState({
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
    autoDeliver: options.autoDeliver,
    baseUrl: () => baseUrl,
  });
  const idempotent = new Map<string, { status: number; body: unknown }>();
  let latency: ((method: string, path: string) => number) | null = null;

  /** The REST API under /v1: answers at once; events it causes are delivered in the background. @returns [status, body] */
  async function api(method: string, path: string, f: Record<string, FormValue>): Promise<[number, unknown]> {
    const m = (re: RegExp) => path.match(re);
    let g: RegExpMatchArray | null;
    // products
    if (method === "POST" && path === "/v1/products") {
      return [200, state.createProduct({ name: asString(f.name), description: asString(f.description), active: asBool(f.active), metadata: meta(f) })];
    }
    if ((g = m(/^\/v1\/products\/([^/]+)$/))) {
      if (method === "GET") return [200, state.get(state.products, g[1], "product")];
      if (method === "POST") {
        const current = state.get(state.products, g[1], "product");
        return [200, state.updateProduct(g[1], { name: asString(f.name), description: asString(f.description), active: asBool(f.active), metadata: meta(f, current.metadata) })];
      }
    }
    // prices
    if (method === "POST" && path === "/v1/prices") {
      const recurring = asObject(f.recurring);
      return [
        200,
        state.createPrice({
          product: asString(f.product),
          unit_amount: asInt(f.unit_amount),
          currency: asString(f.currency),
          interval: recurring ? asString(recurring.interval) : undefined,
          metadata: meta(f),
        }),
      ];
    }
    if ((g = m(/^\/v1\/prices\/([^/]+)$/))) {
      if (method === "GET") return [200, state.get(state.prices, g[1], "price")];
      if (method === "POST") {
        const current = state.get(state.prices, g[1], "price");
        return [200, state.updatePrice(g[1], { active: asBool(f.active), metadata: meta(f, current.metadata) })];
      }
    }
    // customers
    if (method === "POST" && path === "/v1/customers") {
      return [200, state.createCustomer({ email: asString(f.email), name: asString(f.name), metadata: meta(f) })];
    }
    if ((g = m(/^\/v1\/customers\/([^/]+)$/))) {
      const customer = state.get(state.customers, g[1], "customer");
      if (method === "GET") return [200, customer];
      if (method === "POST") {
        if (f.email !== undefined) customer.email = asString(f.email) ?? null;
        if (f.name !== undefined) customer.name = asString(f.name) ?? null;
        customer.metadata = meta(f, customer.metadata) ?? customer.metadata;
        return [200, customer];
      }
    }
    // checkout sessions
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const sd = asObject(f.subscription_data);
      return [
        200,
        state.createCheckoutSession({
          mode: asString(f.mode),
          success_url: asString(f.success_url),
          cancel_url: asString(f.cancel_url),
          customer: asString(f.customer),
          customer_email: asString(f.customer_email),
          client_reference_id: asString(f.client_reference_id),
          metadata: meta(f),
          line_items: asArray(f.line_items).map((li) => {
            const o = asObject(li) ?? {};
            return { price: asString(o.price), quantity: asInt(o.quantity) };
          }),
          subscription_data: sd ? { metadata: meta(sd), trial_period_days: asInt(sd.trial_period_days) } : undefined,
        }),
      ];
    }
    if (method === "GET" && (g = m(/^\/v1\/checkout\/sessions\/([^/]+)$/))) return [200, state.get(state.checkoutSessions, g[1], "checkout.session")];
    // subscriptions
    if ((g = m(/^\/v1\/subscriptions\/([^/]+)$/))) {
      if (method === "GET") return [200, state.get(state.subscriptions, g[1], "subscription")];
      if (method === "POST") {
        const current = state.get(state.subscriptions, g[1], "subscription");
        return [200, state.updateSubscription(g[1], { cancel_at_period_end: asBool(f.cancel_at_period_end), metadata: meta(f, current.metadata) })];
      }
      if (method === "DELETE") return [200, state.cancelSubscription(g[1])];
    }
    // billing portal
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      return [200, state.createPortalSession({ customer: asString(f.customer), return_url: asString(f.return_url) })];
    }
    // refunds
    if (method === "POST" && path === "/v1/refunds") {
      return [200, state.createRefund({ charge: asString(f.charge), payment_intent: asString(f.payment_intent), amount: asInt(f.amount) })];
    }
    if (method === "GET" && (g = m(/^\/v1\/refunds\/([^/]+)$/))) return [200, state.get(state.refunds, g[1], "refund")];
    // read-only objects
    if (method === "GET" && (g = m(/^\/v1\/invoices\/([^/]+)$/))) return [200, state.get(state.invoices, g[1], "invoice")];
    if (method === "GET" && (g = m(/^\/v1\/charges\/([^/]+)$/))) return [200, state.get(state.charges, g[1], "charge")];
    if (method === "GET" && (g = m(/^\/v1\/events\/([^/]+)$/))) {
      const record = state.events.find((r) => r.event.id === g![1]);
      if (!record) throw new FakeStripeError(404, `No such event: '${g[1]}'`, "invalid_request_error", "id");
      return [200, record.event];
    }
    throw new FakeStripeError(404, `Unrecognized request URL (${method}: ${path}). This fake implements only what Pressroom uses; see tools/stripe-fake/README.md.`, "invalid_request_error", undefined, null);
  }

  /** The test control API under /_control. */
  async function control(method: string, path: string, body: Record<string, any>): Promise<unknown> {
    const num = (x: unknown) => (typeof x === "number" ? x : typeof x === "string" && x !== "" ? Number(x) : undefined);
    if (method === "GET" && path === "/_control/events") {
      return state.events.map((r: EventRecord) => ({ id: r.event.id, type: r.event.type, created: r.event.created, deliveries: r.deliveries }));
    }
    if (method === "GET" && path === "/_control/state") {
      const all = (m: Map<string, Obj>) => [...m.values()];
      return {
        now: state.now(),
        products: all(state.products),
        prices: all(state.prices),
        customers: all(state.customers),
        checkoutSessions: all(state.checkoutSessions),
        subscriptions: all(state.subscriptions),
        invoices: all(state.invoices),
        charges: all(state.charges),
        refunds: all(state.refunds),
      };
    }
    if (method !== "POST") throw new FakeStripeError(405, "Use POST.");
    if (path === "/_control/advance") {
      const ms = num(body.ms) ?? (num(body.seconds) ?? 0) * 1000 + (num(body.days) ?? 0) * 86_400_000;
      await state.advance(ms);
      return { now: state.now() };
    }
    if (path === "/_control/fail-renewal") {
      state.failNextRenewals(String(body.subscription), num(body.count) ?? 1);
      return { ok: true };
    }
    if (path === "/_control/retry-payment") return await state.retryPayment(String(body.subscription));
    if (path === "/_control/refund") {
      return await state.refund({
        charge: body.charge,
        invoice: body.invoice,
        subscription: body.subscription,
        payment_intent: body.payment_intent,
        amount: num(body.amount),
      });
    }
    if (path === "/_control/cancel") {
      const sub = state.cancelSubscription(String(body.subscription));
      await state.flush();
      return sub;
    }
    if (path === "/_control/resend") return { status: await state.redeliver(String(body.event)) };
    if (path === "/_control/deliver-pending") {
      await state.deliverPending();
      return { ok: true };
    }
    if (path === "/_control/webhook") {
      if (body.url !== undefined) state.webhookUrl = String(body.url);
      if (body.secret !== undefined) state.webhookSecret = String(body.secret);
      if (body.autoDeliver !== undefined) state.autoDeliver = body.autoDeliver === true || body.autoDeliver === "true";
      return { url: state.webhookUrl ?? null, autoDeliver: state.autoDeliver };
    }
    throw new FakeStripeError(404, `Unknown control route ${method} ${path}.`, "invalid_request_error", undefined, null);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", baseUrl);
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const text = await readBody(req);

    if (path.startsWith("/v1/")) {
      const auth = req.headers.authorization ?? "";
      const key = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (!key.startsWith("sk_") || (options.secretKey !== undefined && key !== options.secretKey)) {
        return stripeError(res, new FakeStripeError(401, "Invalid API Key provided.", "invalid_request_error"));
      }
      const idemKey = method === "POST" ? req.headers["idempotency-key"] : undefined;
      const cacheKey = typeof idemKey === "string" ? `${key} ${idemKey}` : null;
      const cached = cacheKey ? idempotent.get(cacheKey) : undefined;
      if (cached) return json(res, cached.status, cached.body, { "Idempotent-Replayed": "true" });
      const fields = { ...parseForm(url.search.slice(1)), ...parseForm(text) };
      const delay = latency?.(method, path) ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      let status: number;
      let body: unknown;
      try {
        // No flush here: the webhook handler may call the API while its own event is being delivered.
        [status, body] = await api(method, path, fields);
      } catch (e) {
        if (!(e instanceof FakeStripeError)) throw e;
        status = e.status;
        body = e.body();
      }
      if (cacheKey && status < 500) idempotent.set(cacheKey, { status, body });
      return json(res, status, body);
    }

    if (path.startsWith("/_control/")) {
      try {
        return json(res, 200, await control(method, path, controlBody(text, req.headers["content-type"])));
      } catch (e) {
        if (e instanceof FakeStripeError) return stripeError(res, e);
        throw e;
      }
    }

    let g: RegExpMatchArray | null;
    try {
      if ((g = path.match(/^\/checkout\/([^/]+)$/)) && method === "GET") return html(res, 200, checkoutPage(state.checkoutSummary(g[1])));
      if ((g = path.match(/^\/checkout\/([^/]+)\/pay$/)) && method === "POST") return redirect(res, await state.pay(g[1]));
      if ((g = path.match(/^\/checkout\/([^/]+)\/decline$/)) && method === "POST") return redirect(res, state.decline(g[1]));
      if ((g = path.match(/^\/portal\/([^/]+)$/)) && method === "GET") {
        const session = state.get(state.portalSessions, g[1], "billing_portal.session");
        return html(res, 200, portalPage(session, state.portalSubscriptions(g[1]), state.products));
      }
      if ((g = path.match(/^\/portal\/([^/]+)\/(cancel|resume)$/)) && method === "POST") {
        const subId = asString(parseForm(text).subscription) ?? "";
        // Only the portal session's own customer's subscriptions.
        if (!state.portalSubscriptions(g[1]).some((s) => s.id === subId)) throw new FakeStripeError(404, `No such subscription: '${subId}'`);
        state.setCancelAtPeriodEnd(subId, g[2] === "cancel");
        await state.flush();
        return redirect(res, `/portal/${g[1]}`);
      }
    } catch (e) {
      if (e instanceof FakeStripeError) return html(res, e.status, errorPage(e.message));
      throw e;
    }
    if (path === "/" && method === "GET") {
      return json(res, 200, { name: "pressroom-stripe-fake", webhookUrl: state.webhookUrl ?? null, now: state.now() });
    }
    return html(res, 404, errorPage(`Nothing at ${method} ${path}.`));
  }

  const server = await serveFake(
    "stripe-fake",
    handle,
    (res, e) => json(res, 500, { error: { type: "api_error", message: e.message } }),
    options,
  );
  const { host, port } = server;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    state,
    events: () => state.events.map((r) => r.event),
    now: () => state.now(),
    advanceClock: (ms) => state.advance(ms),
    setWebhook({ url, secret }) {
      if (url !== undefined) state.webhookUrl = url;
      if (secret !== undefined) state.webhookSecret = secret;
    },
    flush: () => state.flush(),
    setLatency(fn) {
      latency = fn;
    },
    sign: (payload, opts = {}) => signPayload(payload, opts.secret ?? state.webhookSecret, opts.timestamp),
    async close() {
      await state.flush();
      await server.close();
    },
  };
}
