import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startResendFake, type ResendFake } from "./index";

// The Resend fake on its own: its API as the sender calls it (fetch, JSON), the control API, and
// webhooks checked by an independent verifier (the standardwebhooks library the app uses, while the
// fake signs with node:crypto), so a signing bug in either shows here.

const SECRET = `whsec_${Buffer.from("resend-fake-test-secret").toString("base64")}`;
const KEY = "re_test_fake";

/** A webhook endpoint that verifies every delivery with standardwebhooks under Svix's header names. */
class Receiver {
  events: Array<{ type: string; data: any }> = [];
  rejected = 0;
  private server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        const h = req.headers;
        const event = new Webhook(SECRET).verify(body, {
          "webhook-id": String(h["svix-id"]),
          "webhook-timestamp": String(h["svix-timestamp"]),
          "webhook-signature": String(h["svix-signature"]),
        }) as { type: string; data: any };
        this.events.push(event);
        res.writeHead(200).end();
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
  close() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

let fake: ResendFake;
let receiver: Receiver;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  fake = await startResendFake({ webhookUrl: receiver.url, webhookSecret: SECRET });
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});
afterEach(async () => {
  await fake.flush();
  receiver.events = [];
  receiver.rejected = 0;
});

let n = 0;
const addr = (name: string) => `${name}-${++n}@example.com`;
const email = (to: string | string[], extra: Record<string, unknown> = {}) => ({ from: "Pressroom <news@pressroom.test>", to, subject: "Hello", text: "Hi", html: "<p>Hi</p>", ...extra });

async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("sending", () => {
  test("POST /emails answers { id } and keeps the message, readable at GET /_fake/messages?to=", async () => {
    const to = addr("reader");
    const r = await call("/emails", email(to, { headers: { "List-Unsubscribe": "<https://x.test/u/t>" }, tags: [{ name: "site", value: "s1" }] }));
    expect(r.status).toBe(200);
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = (await (await fetch(`${fake.url}/_fake/messages?to=${encodeURIComponent(to.toUpperCase())}`)).json()) as any;
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ id: r.body.id, to: [to], subject: "Hello", text: "Hi", headers: { "List-Unsubscribe": "<https://x.test/u/t>" } });
    expect(fake.messages(to).map((m) => m.id)).toEqual([r.body.id]);
  });

  test("POST /emails/batch answers { data: [{id}] } for up to 100 emails; 101 or an invalid one refuses the whole batch", async () => {
    const tos = Array.from({ length: 100 }, () => addr("batch"));
    const r = await call("/emails/batch", tos.map((t) => email(t)));
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(100);
    expect(new Set(r.body.data.map((d: any) => d.id)).size).toBe(100);
    const before = fake.messages().length;
    expect((await call("/emails/batch", [...tos, addr("one-too-many")].map((t) => email(t)))).status).toBe(422);
    const mixed = await call("/emails/batch", [email(addr("ok")), email("not-an-address")]);
    expect(mixed).toMatchObject({ status: 422, body: { statusCode: 422, name: "validation_error" } });
    expect(fake.messages().length).toBe(before);
  });

  test("the API key is required: none → 401 missing_api_key, a non-re_ key → 403 invalid_api_key", async () => {
    const none = await fetch(`${fake.url}/emails`, { method: "POST", body: JSON.stringify(email(addr("x"))) });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ name: "missing_api_key" });
    const wrong = await call("/emails", email(addr("x")), { Authorization: "Bearer sk_live_nope" });
    expect(wrong).toMatchObject({ status: 403, body: { name: "invalid_api_key" } });
  });

  test("bad input gets Resend's 4xx errors, never a crash", async () => {
    expect(await call("/emails", { to: addr("x"), subject: "s", text: "t" })).toMatchObject({ status: 422, body: { name: "missing_required_field" } });
    expect(await call("/emails", email("nobody"))).toMatchObject({ status: 422, body: { name: "validation_error" } });
    expect(await call("/emails", email(addr("x"), { text: undefined, html: undefined }))).toMatchObject({ status: 422 });
    expect(await call("/emails", email(addr("x"), { tags: [{ name: "bad tag!", value: "v" }] }))).toMatchObject({ status: 422 });
    expect(await call("/emails", email(addr("x"), { headers: ["nope"] }))).toMatchObject({ status: 422 });
    expect(await call("/emails", "{not json")).toMatchObject({ status: 400, body: { name: "validation_error" } });
    expect(await call("/emails", [email(addr("x"))])).toMatchObject({ status: 422 });
    expect(await call("/emails/batch", email(addr("x")))).toMatchObject({ status: 422 });
    expect(await call("/emails/batch", [])).toMatchObject({ status: 422 });
    expect((await call("/nope", {})).status).toBe(404);
    expect((await fetch(`${fake.url}/emails`, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(405);
  });
});

describe("Idempotency-Key", () => {
  test("same key and body → the same response and no second message; same key, other body → 409 invalid_idempotent_request", async () => {
    const to = addr("idem");
    const key = `post-1/${to}`;
    const first = await call("/emails", email(to), { "Idempotency-Key": key });
    const again = await call("/emails", email(to), { "Idempotency-Key": key });
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    expect(fake.messages(to)).toHaveLength(1);
    const other = await call("/emails", email(to, { subject: "Changed" }), { "Idempotency-Key": key });
    expect(other).toMatchObject({ status: 409, body: { name: "invalid_idempotent_request" } });
    expect(fake.messages(to)).toHaveLength(1);
    expect(await call("/emails", email(to), { "Idempotency-Key": "k".repeat(257) })).toMatchObject({ status: 400, body: { name: "invalid_idempotency_key" } });
  });

  test("batches are idempotent too", async () => {
    const tos = [addr("b1"), addr("b2")];
    const first = await call("/emails/batch", tos.map((t) => email(t)), { "Idempotency-Key": "batch-xyz" });
    const again = await call("/emails/batch", tos.map((t) => email(t)), { "Idempotency-Key": "batch-xyz" });
    expect(again).toEqual(first);
    expect(fake.messages(tos[0])).toHaveLength(1);
  });
});

describe("behaviours and webhooks", () => {
  test("deliver (default): email.sent then email.delivered, signed so the app's verifier accepts them", async () => {
    const to = addr("deliver");
    const { body } = await call("/emails", email(to));
    await fake.flush();
    expect(receiver.rejected).toBe(0);
    expect(receiver.events.map((e) => e.type)).toEqual(["email.sent", "email.delivered"]);
    expect(receiver.events[1].data).toMatchObject({ email_id: body.id, to: [to] });
    expect(fake.deliveries().filter((d) => d.emailId === body.id).map((d) => d.status)).toEqual([200, 200]);
  });

  test("bounce → email.bounced (Permanent) for that address; complain → delivered then email.complained", async () => {
    const bouncer = addr("bounce");
    const complainer = addr("complain");
    const res = await fetch(`${fake.url}/_fake/behaviour`, { method: "POST", body: JSON.stringify({ email: bouncer, behaviour: "bounce" }) });
    expect(res.status).toBe(200);
    fake.setBehaviour(complainer, "complain");
    await call("/emails", email(bouncer));
    await call("/emails", email(complainer));
    await fake.flush();
    const types = receiver.events.map((e) => `${e.type} ${e.data.to.join(",")}`);
    expect(types).toEqual([`email.sent ${bouncer}`, `email.bounced ${bouncer}`, `email.sent ${complainer}`, `email.delivered ${complainer}`, `email.complained ${complainer}`]);
    expect(receiver.events[1].data.bounce).toMatchObject({ type: "Permanent" });
  });

  test("fail: transient 500 (or 429) for N attempts, nothing kept, then the retry goes through", async () => {
    const to = addr("flaky");
    fake.setBehaviour(to, "fail", { attempts: 2 });
    expect(await call("/emails", email(to), { "Idempotency-Key": "flaky-1" })).toMatchObject({ status: 500, body: { name: "application_error" } });
    expect(await call("/emails", email(to), { "Idempotency-Key": "flaky-1" })).toMatchObject({ status: 500 });
    expect(fake.messages(to)).toHaveLength(0);
    expect((await call("/emails", email(to), { "Idempotency-Key": "flaky-1" })).status).toBe(200);
    expect(fake.messages(to)).toHaveLength(1);

    const limited = addr("limited");
    fake.setBehaviour(limited, "fail", { attempts: 1, status: 429 });
    expect(await call("/emails/batch", [email(addr("other")), email(limited)])).toMatchObject({ status: 429, body: { name: "rate_limit_exceeded" } });
    expect(fake.messages(limited)).toHaveLength(0);
  });

  test("POST /_fake/behaviour refuses bad input with 422", async () => {
    const post = (body: string) => fetch(`${fake.url}/_fake/behaviour`, { method: "POST", body }).then((r) => r.status);
    expect(await post(JSON.stringify({ email: "x@y.z", behaviour: "explode" }))).toBe(422);
    expect(await post(JSON.stringify({ email: "nope", behaviour: "bounce" }))).toBe(422);
    expect(await post(JSON.stringify({ email: "x@y.z", behaviour: "fail", attempts: -1 }))).toBe(422);
    expect(await post(JSON.stringify({ email: "x@y.z", behaviour: "fail", status: 418 }))).toBe(422);
    expect(await post("null")).toBe(422);
    expect(await post("{oops")).toBe(400);
  });

  test("close() finishes the delivery in flight and drops the queued rest, so a backlog cannot hold it open", async () => {
    // A webhook endpoint that answers each event after 200 ms: 50 messages queue 100 events (20 s one by one).
    let received = 0;
    const slow = http.createServer((req, res) => {
      received++;
      req.resume();
      req.on("end", () => setTimeout(() => res.writeHead(200).end(), 200));
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const own = await startResendFake({ webhookUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`, webhookSecret: SECRET });
    try {
      const batch = Array.from({ length: 50 }, () => email(addr("backlog")));
      const res = await fetch(`${own.url}/emails/batch`, { method: "POST", headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" }, body: JSON.stringify(batch) });
      expect(res.status).toBe(200);
      await own.close();
      // Without dropping, close() waits for all 100 (2 per message); with it, only those already going.
      expect(received).toBeLessThan(10);
      expect(own.deliveries().length).toBe(received);
    } finally {
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  test("a wrong secret is caught by the verifier (the signature is real, not decorative)", async () => {
    fake.setWebhook({ secret: `whsec_${Buffer.from("another-secret").toString("base64")}` });
    try {
      await call("/emails", email(addr("wrong-secret")));
      await fake.flush();
      expect(receiver.events).toEqual([]);
      expect(receiver.rejected).toBe(2);
    } finally {
      fake.setWebhook({ secret: SECRET });
    }
  });
});
