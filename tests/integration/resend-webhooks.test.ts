import type { FunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { internal } from "../../convex/_generated/api";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startResendFake, svixHeaders, type ResendFake } from "../../tools/resend-fake/index";
import { adminClient, runOn, startAppBackend, stopAppBackend } from "../support/live-backend";

// Resend webhooks end to end: the app's convex/ on a local backend (POST /resend/webhook on its site
// origin), the Resend fake sending mail and signing webhooks the Svix way. Forged and replayed
// deliveries change nothing; hard bounces and complaints put the address on the suppression list.

const SECRET = `whsec_${Buffer.from("pressroom-resend-integration-secret").toString("base64")}`;
const OTHER_SECRET = `whsec_${Buffer.from("somebody-elses-secret").toString("base64")}`;

let backend: LocalBackend;
let fake: ResendFake;

const run = <R>(fn: (ctx: any) => Promise<R>) => runOn(backend, fn);
const webhookUrl = () => `${backend.siteUrl}/resend/webhook`;
let n = 0;
const nextId = () => `msg_integration_${Date.now()}_${++n}`;

function event(type: string, to: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    type,
    created_at: new Date().toISOString(),
    data: { created_at: new Date().toISOString(), email_id: `em_${n}`, from: "news@pressroom.test", to: [to], subject: "Hi", ...extra },
  });
}

/** POSTs a payload signed with `secret` (or with the given headers). */
async function post(payload: string, opts: { id?: string; secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const headers = opts.headers ?? svixHeaders(opts.id ?? nextId(), payload, opts.secret ?? SECRET, opts.timestamp);
  const res = await fetch(webhookUrl(), { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: payload });
  return { status: res.status, body: await res.text() };
}

/** Calls an internal query with the admin key, as the sending job's trusted callers would (the client's types admit public ones only). */
const adminQuery = <R>(ref: FunctionReference<"query", "internal", { email: string }, R>, email: string): Promise<R> =>
  adminClient(backend).query(ref as unknown as FunctionReference<"query">, { email });
const suppressed = (email: string) => adminQuery(internal.suppressions.isSuppressed, email);
const rowCounts = () =>
  run(async (ctx) => ({
    events: (await ctx.db.query("resendEvents").collect()).length,
    suppressions: (await ctx.db.query("emailSuppressions").collect()).length,
  }));

beforeAll(async () => {
  backend = await startAppBackend("pressroom-resend-");
  backend.env.set("RESEND_WEBHOOK_SECRET", SECRET);
  fake = await startResendFake({ webhookUrl: webhookUrl(), webhookSecret: SECRET });
});

afterAll(async () => {
  await fake?.close();
  await stopAppBackend(backend);
});

describe("forged webhook", () => {
  test("forged webhook: a bad signature, a wrong secret or a tampered body is refused with 400 and writes nothing", async () => {
    const before = await rowCounts();
    const payload = event("email.bounced", "victim@example.com", { bounce: { type: "Permanent" } });
    const id = nextId();
    const good = svixHeaders(id, payload, SECRET);
    expect((await post(payload, { headers: { ...good, "svix-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" } })).status).toBe(400);
    expect((await post(payload, { secret: OTHER_SECRET })).status).toBe(400);
    expect((await post(payload.replace("victim@", "other@"), { headers: good })).status).toBe(400);
    // The signature of another id does not carry over.
    expect((await post(payload, { headers: { ...good, "svix-id": nextId() } })).status).toBe(400);
    expect(await suppressed("victim@example.com")).toBe(false);
    expect(await suppressed("other@example.com")).toBe(false);
    expect(await rowCounts()).toEqual(before);
  });

  test("forged webhook: missing svix headers get 400", async () => {
    const payload = event("email.complained", "victim@example.com");
    const full = svixHeaders(nextId(), payload, SECRET);
    for (const drop of ["svix-id", "svix-timestamp", "svix-signature"]) {
      const headers = { ...full };
      delete (headers as Record<string, string>)[drop];
      const r = await post(payload, { headers });
      expect(r.status, drop).toBe(400);
      expect(r.body).toContain("Missing");
    }
    expect(await suppressed("victim@example.com")).toBe(false);
  });

  test("forged webhook: a signed body that is not a Resend event gets 400, not a crash", async () => {
    expect((await post("not json")).status).toBe(400);
    expect((await post(JSON.stringify({ hello: "world" }))).status).toBe(400);
  });
});

describe("replayed webhook", () => {
  test("replayed webhook: the same svix-id twice is acknowledged once, the second time without effect", async () => {
    const to = "replayed@example.com";
    const id = nextId();
    const payload = event("email.complained", to);
    const first = await post(payload, { id });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ received: true, outcome: "suppressed" });
    const before = await run(async (ctx) => ctx.db.query("emailSuppressions").withIndex("by_email", (q: any) => q.eq("email", to)).unique());
    const again = await post(payload, { id });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body).outcome).toBe("duplicate");
    const after = await run(async (ctx) => ctx.db.query("emailSuppressions").withIndex("by_email", (q: any) => q.eq("email", to)).unique());
    expect(after).toEqual(before);
    expect(await run(async (ctx) => (await ctx.db.query("resendEvents").withIndex("by_eventId", (q: any) => q.eq("eventId", id)).collect()).length)).toBe(1);
  });

  test("replayed webhook: a stale (or future-dated) timestamp beyond 5 minutes is refused, even correctly signed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = event("email.bounced", "stale@example.com", { bounce: { type: "Permanent" } });
    expect((await post(payload, { timestamp: now - 6 * 60 })).status).toBe(400);
    expect((await post(payload, { timestamp: now + 6 * 60 })).status).toBe(400);
    expect(await suppressed("stale@example.com")).toBe(false);
    // Within the window it is accepted: the refusal above is the timestamp, not the payload.
    expect((await post(payload, { timestamp: now - 4 * 60 })).status).toBe(200);
    expect(await suppressed("stale@example.com")).toBe(true);
  });
});

describe("suppression list", () => {
  test("a hard bounce suppresses the address (case-insensitively); a transient bounce does not", async () => {
    expect((await post(event("email.bounced", "Hard.Bounce@Example.com", { bounce: { type: "Permanent", subType: "General" } }))).status).toBe(200);
    expect(await suppressed("hard.bounce@example.com")).toBe(true);
    expect(await suppressed(" HARD.BOUNCE@example.com ")).toBe(true);
    const soft = await post(event("email.bounced", "soft@example.com", { bounce: { type: "Transient", subType: "MailboxFull" } }));
    expect(JSON.parse(soft.body).outcome).toBe("ignored");
    expect(await suppressed("soft@example.com")).toBe(false);
  });

  test("a complaint suppresses the address, recording reason, times and the provider event id", async () => {
    const id = nextId();
    await post(event("email.complained", "Reader <complainer@example.com>"), { id });
    const row = await adminQuery(internal.suppressions.get, "complainer@example.com");
    expect(row).toMatchObject({ email: "complainer@example.com", reason: "complaint", providerEventId: id });
    expect(row!.firstEventAt).toBe(row!.lastEventAt);
  });

  test("delivered, sent and unknown events are acknowledged and suppress nothing", async () => {
    for (const type of ["email.sent", "email.delivered", "email.delivery_delayed", "email.opened", "contact.created"]) {
      const r = await post(event(type, "fine@example.com"));
      expect(r.status, type).toBe(200);
      expect(JSON.parse(r.body).outcome, type).toBe("ignored");
    }
    expect(await suppressed("fine@example.com")).toBe(false);
  });

  test("end to end: mail sent through the fake with behaviour bounce → its signed webhook reaches the backend → the address is suppressed", async () => {
    const bouncer = "no-such-mailbox@example.com";
    const complainer = "spam-button@example.com";
    const reader = "happy-reader@example.com";
    fake.setBehaviour(bouncer, "bounce");
    await fetch(`${fake.url}/_fake/behaviour`, { method: "POST", body: JSON.stringify({ email: complainer, behaviour: "complain" }) });
    const res = await fetch(`${fake.url}/emails/batch`, {
      method: "POST",
      headers: { Authorization: "Bearer re_test_fake", "Content-Type": "application/json" },
      body: JSON.stringify([bouncer, complainer, reader].map((to) => ({ from: "news@pressroom.test", to, subject: "Post", text: "Body" }))),
    });
    expect(res.status).toBe(200);
    await fake.flush();
    // Every delivery (sent, delivered, bounced, complained) was accepted by the backend.
    const statuses = fake.deliveries().map((d) => `${d.type}:${d.status}`);
    expect(statuses).toContain("email.bounced:200");
    expect(statuses).toContain("email.complained:200");
    expect(statuses.every((s) => s.endsWith(":200"))).toBe(true);
    expect(await suppressed(bouncer)).toBe(true);
    expect(await suppressed(complainer)).toBe(true);
    expect(await suppressed(reader)).toBe(false);
    const row = await adminQuery(internal.suppressions.get, bouncer);
    expect(row).toMatchObject({ reason: "bounce" });
  });

  test("without RESEND_WEBHOOK_SECRET the endpoint refuses everything", async () => {
    backend.env.set("RESEND_WEBHOOK_SECRET", null);
    try {
      const r = await post(event("email.bounced", "unconfigured@example.com", { bounce: { type: "Permanent" } }));
      expect(r.status).toBe(500);
      expect(await suppressed("unconfigured@example.com")).toBe(false);
    } finally {
      backend.env.set("RESEND_WEBHOOK_SECRET", SECRET);
    }
  });
});
