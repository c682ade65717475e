// Post sends against the Resend fake (tools/resend-fake), on both backends: transient failures
// retried with backoff, the Idempotency-Key keeping an interrupted batch to one message per member
// (a re-run by the watchdog, a concurrent duplicate), and the webhooks (delivered, bounced, complained) moving deliveries, counters and members.
// The fake's webhooks reach the app's real route (POST /resend/webhook, Svix-verified) through t.fetch.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T, type World } from "../tests/support/factories";
import { runScheduledJobs } from "../tests/support/scheduled";
import { addAudienceMember, addNewsletter, setEnv } from "../tests/support/sends";
import { startResendFake, type ResendFake } from "../tools/resend-fake/index";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ActionCtx } from "./_generated/server";
import { sendEmailBatch } from "./model/email";
import { batchMessages, STALE_MS, type ClaimedBatch } from "./model/sendsPipeline";
import schema from "./schema";

const SECRET = `whsec_${Buffer.from("pressroom-sends-fake-test-secret").toString("base64")}`;

let fake: ResendFake;
let relay: Server;
/** The test whose backend receives the fake's webhooks. */
let current: T | null = null;

beforeAll(async () => {
  // The fake POSTs webhooks here; the relay hands them to the current backend's HTTP route.
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const target = current;
      if (!target) return void res.writeHead(503).end();
      target
        .fetch("/resend/webhook", { method: "POST", headers, body: Buffer.concat(chunks).toString("utf8") })
        .then((r) => res.writeHead(r.status).end())
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  fake = await startResendFake({ webhookUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/hook`, webhookSecret: SECRET });
});

afterAll(async () => {
  await fake?.close();
  await new Promise((resolve) => relay?.close(resolve));
  for (const name of ["RESEND_API_KEY", "RESEND_API_URL", "RESEND_WEBHOOK_SECRET"]) delete process.env[name];
});

/** Polls `read` until `done` holds (real timers: the scheduler runs by itself). */
async function waitFor<R>(read: () => Promise<R>, done: (v: R) => boolean, ms = 25_000): Promise<R> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}

describe.each(backends)("sends through the Resend fake on %s", (_name, convexTest) => {
  async function setup() {
    const t = convexTest(schema, modules);
    await setEnv(t, {
      MEMBER_TOKEN_SECRET: "sends-fake-secret-0123456789abcdef",
      SITE_URL: "https://app.example",
      // A key per test: the fake keeps Idempotency-Keys per API key, and convex-test makes the same ids
      // (so the same post-send/<sendId>/batch/<n> keys) in every test.
      RESEND_API_KEY: `re_test_fake_${Math.random().toString(36).slice(2, 10)}`,
      RESEND_API_URL: fake.url,
      RESEND_WEBHOOK_SECRET: SECRET,
    });
    current = t;
    const w = await createWorld(t);
    const newsletterId = await addNewsletter(t, w.siteId);
    return { t, w, newsletterId, editor: as(t, w.users.editor) };
  }
  const unique = (p: string) => `${p}.${Math.random().toString(36).slice(2, 9)}@reader.example`;
  const finished = (t: T, w: World, sendId: Id<"emailSends">) =>
    waitFor(() => as(t, w.users.editor).query(api.sends.get, { siteId: w.siteId, sendId }), (s) => s?.finishedAt != null);
  const deliveriesOf = (t: T, sendId: Id<"emailSends">) =>
    t.run(async (ctx) => (await ctx.db.query("emailDeliveries").collect()).filter((d) => d.sendId === sendId));
  async function expectExactCounters(t: T, sendId: Id<"emailSends">) {
    const audit = (await t.query(internal.sends.audit, { sendId }))!;
    expect(Object.fromEntries(Object.entries(audit.counts).filter(([, n]) => n !== 0))).toEqual(audit.recount);
  }

  test("transient failures: a batch refused twice with 500 is retried with backoff and each member gets one message", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const a = unique("retry-a");
    const b = unique("retry-b");
    for (const e of [a, b]) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    fake.setBehaviour(a, "fail", { attempts: 2 });
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Retry", doc: doc("Hi.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    const [send] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    const done = await finished(t, w, send._id);
    expect(done?.status).toBe("sent");
    expect(fake.messages(a)).toHaveLength(1);
    expect(fake.messages(b)).toHaveLength(1);
    const [m] = fake.messages(a);
    expect(m.from).toMatch(/^"The Daily Desk" </);
    expect(m.reply_to).toEqual(["desk@daily.example"]);
    expect(m.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const delivery = (await deliveriesOf(t, send._id)).find((d) => d.email === a)!;
    expect(m.tags).toEqual([{ name: "delivery", value: delivery._id }]);
    expect(delivery.attempts).toBe(1); // claimed once; the retries re-sent the claimed batch
    await expectExactCounters(t, send._id);
  }, 40_000);

  test("exactly once: the provider accepted a batch but the result was never recorded; the retry sends nothing new", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const recipients = [unique("once-a"), unique("once-b"), unique("once-c")];
    for (const e of recipients) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Once", doc: doc("Hi.") });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
      await t.action(internal.sends.render, { sendId });
      await t.mutation(internal.sends.planPage, { sendId });
      // The interrupted attempt: claimed, accepted by the provider, then the action died before recording.
      const claim = (await t.mutation(internal.sends.claimBatch, { sendId, batch: 0 })) as ClaimedBatch;
      const runMutation = ((ref: FunctionReference<"mutation", "internal">, args: Record<string, unknown>) => t.mutation(ref, args)) as unknown as ActionCtx["runMutation"];
      const ids = await sendEmailBatch({ runMutation }, await batchMessages(claim), claim.idempotencyKey);
      expect(ids).toHaveLength(3);
      for (const e of recipients) expect(fake.messages(e)).toHaveLength(1);
      // The dispatched attempt runs the batch again: same claimed rows, same body, same key.
      // Advance in steps, not runAllTimers: the HTTP client's keep-alive timer re-arms itself forever.
      await runScheduledJobs(t, 500, 60_000);
      vi.useRealTimers();
      for (const e of recipients) expect(fake.messages(e)).toHaveLength(1);
      const rows = await deliveriesOf(t, sendId);
      expect(rows.map((d) => d.providerId).sort()).toEqual([...ids].sort());
      expect(rows.every((d) => d.status !== "queued")).toBe(true);
      await expectExactCounters(t, sendId);
    } finally {
      vi.useRealTimers();
    }
  }, 40_000);

  const inFlightOf = (t: T, sendId: Id<"emailSends">) => t.run(async (ctx) => (await ctx.db.get("emailSends", sendId))?.inFlight ?? []);

  test("watchdog: a batch claimed and never recorded (its action died) is re-sent with the same key once STALE_MS passed, not before", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const recipients = [unique("dead-a"), unique("dead-b")];
    for (const e of recipients) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Dead action", doc: doc("Hi.") });
    // The clock is ours: scheduled jobs run only when the test advances the timers.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
      await t.action(internal.sends.render, { sendId });
      await t.mutation(internal.sends.planPage, { sendId });
      const [handedOut] = await inFlightOf(t, sendId);
      expect(handedOut).toMatchObject({ batch: 0, attempt: 1 });
      // The attempt that died: it claimed the batch, Resend accepted it, then nothing more (no record, no report).
      const claim = (await t.mutation(internal.sends.claimBatch, { sendId, batch: 0 })) as ClaimedBatch;
      const runMutation = ((ref: FunctionReference<"mutation", "internal">, args: Record<string, unknown>) => t.mutation(ref, args)) as unknown as ActionCtx["runMutation"];
      const ids = await sendEmailBatch({ runMutation }, await batchMessages(claim), claim.idempotencyKey);
      // Before the threshold the watchdog leaves the (merely slow) attempt alone.
      vi.setSystemTime(handedOut.at + STALE_MS - 5_000);
      await t.mutation(internal.sends.watch, { sendId });
      expect(await inFlightOf(t, sendId)).toEqual([handedOut]);
      // After it, the watchdog hands the batch out again (attempt 2), durably in the scheduler.
      vi.setSystemTime(handedOut.at + STALE_MS + 1_000);
      await t.mutation(internal.sends.watch, { sendId });
      const [again] = await inFlightOf(t, sendId);
      expect(again).toMatchObject({ batch: 0, attempt: 2 });
      expect(again.job).not.toBe(handedOut.job);
      // Both attempts' jobs run now (the dead one's twin and the re-run): same rows, same body, same key.
      await runScheduledJobs(t, 500, 10_000);
      vi.useRealTimers();
      for (const e of recipients) expect(fake.messages(e)).toHaveLength(1);
      const rows = await deliveriesOf(t, sendId);
      // Resend answered the re-send from its idempotency cache: the first call's ids (a new key would mean new ids).
      expect(rows.map((d) => d.providerId).sort()).toEqual([...ids].sort());
      expect(rows.every((d) => d.status === "sent" || d.status === "delivered")).toBe(true); // delivered: its webhook arrived
      const view = await as(t, w.users.editor).query(api.sends.get, { siteId: w.siteId, sendId });
      expect(view).toMatchObject({ status: "sent", counts: { queued: 0, failed: 0 } });
      expect(view!.counts.sent + view!.counts.delivered).toBe(2);
      expect(await inFlightOf(t, sendId)).toEqual([]);
      await expectExactCounters(t, sendId);
    } finally {
      vi.useRealTimers();
    }
  }, 40_000);

  test("concurrent duplicate: a second attempt while the first is in flight gets Resend's 409 concurrent_idempotent_requests, retries, and finds nothing to send", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const recipients = [unique("dup-a"), unique("dup-b")];
    for (const e of recipients) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    // Resend in front of the fake: holds the first call of a key 800 ms and answers 409 to the same key meanwhile.
    const answers: number[] = [];
    const inFlightKeys = new Set<string>();
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    const slow = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const key = String(req.headers["idempotency-key"]);
        if (inFlightKeys.has(key)) {
          answers.push(409);
          return void res.writeHead(409, { "Content-Type": "application/json" }).end(JSON.stringify({ statusCode: 409, name: "concurrent_idempotent_requests", message: "Same idempotency key used while original request is still in progress." }));
        }
        inFlightKeys.add(key);
        firstArrived();
        setTimeout(() => {
          fetch(`${fake.url}${req.url}`, { method: "POST", headers: { Authorization: String(req.headers.authorization), "Content-Type": "application/json", "Idempotency-Key": key }, body: Buffer.concat(chunks) })
            .then(async (r) => {
              answers.push(r.status);
              inFlightKeys.delete(key);
              res.writeHead(r.status, { "Content-Type": "application/json" }).end(await r.text());
            })
            .catch(() => res.writeHead(502).end());
        }, 800);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    try {
      await setEnv(t, { RESEND_API_URL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}` });
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Twice at once", doc: doc("Hi.") });
      const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
      await arrived; // attempt 1 is at the provider
      // The watchdog re-ran the batch meanwhile (attempt 2 owns it now) and that attempt runs at once.
      await t.run(async (ctx) => {
        const send = (await ctx.db.get("emailSends", sendId))!;
        await ctx.db.patch("emailSends", sendId, { inFlight: send.inFlight!.map((e) => ({ ...e, attempt: 2 })) });
      });
      await t.action(internal.sends.sendBatch, { sendId, batch: 0, attempt: 2 });
      expect(answers).toEqual([409]);
      const done = await finished(t, w, sendId);
      expect(done?.status).toBe("sent");
      // Attempt 2's retry (attempt 3, after backoff) finds the batch recorded and calls nobody.
      await waitFor(
        () => t.run(async (ctx) => (await ctx.db.system.query("_scheduled_functions").collect()).filter((j) => (j.args[0] as { attempt?: number })?.attempt === 3).map((j) => j.state.kind)),
        (kinds) => kinds.length === 1 && kinds[0] === "success",
      );
      expect(answers).toEqual([409, 200]);
      for (const e of recipients) expect(fake.messages(e)).toHaveLength(1);
      expect((await deliveriesOf(t, sendId)).every((d) => d.status === "sent" || d.status === "delivered")).toBe(true);
      expect(await inFlightOf(t, sendId)).toEqual([]);
      await expectExactCounters(t, sendId);
    } finally {
      await setEnv(t, { RESEND_API_URL: fake.url });
      await new Promise((resolve) => slow.close(resolve));
    }
  }, 40_000);

  test("webhooks: delivered, bounced and complained move deliveries and counters; bounce/complaint mark the member on every site; later sends skip them", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const ok = unique("ok");
    const bounce = unique("bounce");
    const spam = unique("spam");
    for (const e of [ok, bounce, spam]) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    // The bouncing address also follows the other site.
    const otherNewsletter = await addNewsletter(t, w.otherSiteId);
    const elsewhere = await addAudienceMember(t, w.otherSiteId, otherNewsletter, bounce, "free");
    fake.setBehaviour(bounce, "bounce");
    fake.setBehaviour(spam, "complain");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Hooks", doc: doc("Hi.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    const [send] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    await finished(t, w, send._id);
    await fake.flush();
    const status = async () => Object.fromEntries((await deliveriesOf(t, send._id)).map((d) => [d.email, d.status]));
    expect(await waitFor(status, (s) => s[ok] === "delivered" && s[bounce] === "bounced" && s[spam] === "complained")).toEqual({
      [ok]: "delivered",
      [bounce]: "bounced",
      [spam]: "complained",
    });
    expect((await editor.query(api.sends.get, { siteId: w.siteId, sendId: send._id }))?.counts).toMatchObject({ sent: 0, delivered: 1, bounced: 1, complained: 1 });
    await expectExactCounters(t, send._id);
    const states = await t.run(async (ctx) => (await ctx.db.query("audienceMembers").collect()).map((m) => [m.siteId, m.email, m.emailState]));
    expect(states).toContainEqual([w.siteId, bounce, "bounced"]);
    expect(states).toContainEqual([w.otherSiteId, bounce, "bounced"]);
    expect(states).toContainEqual([w.siteId, spam, "complained"]);
    expect((await t.run((ctx) => ctx.db.get("audienceMembers", elsewhere)))?.emailState).toBe("bounced");

    // Replayed webhook: every event delivered again changes nothing.
    const before = await t.query(internal.sends.audit, { sendId: send._id });
    const seen = (await t.run((ctx) => ctx.db.query("resendEvents").collect())).length;
    for (const d of fake.deliveries().slice(-3)) {
      const outcome = await t.mutation(internal.suppressions.applyEvent, { eventId: d.svixId, type: d.type, to: [ok], at: Date.now() });
      expect(outcome).toBe("duplicate");
    }
    expect(await t.query(internal.sends.audit, { sendId: send._id })).toEqual(before);
    expect((await t.run((ctx) => ctx.db.query("resendEvents").collect())).length).toBe(seen);

    // A later send of another post skips them: only the healthy address is emailed.
    const next = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Next", doc: doc("Hi.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: next, email: { newsletterId, segment: "all" } });
    const [second] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId: next });
    const done = await finished(t, w, second._id);
    expect(done?.total).toBe(1);
    expect(fake.messages(bounce)).toHaveLength(1);
    expect(fake.messages(spam)).toHaveLength(1);
    expect(fake.messages(ok)).toHaveLength(2);
  }, 40_000);

  test("forged webhook: a signed event naming another address's delivery changes nothing", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const victim = unique("victim");
    await addAudienceMember(t, w.siteId, newsletterId, victim, "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Tag", doc: doc("Hi.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    const [send] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    await finished(t, w, send._id);
    await fake.flush();
    const [delivery] = await deliveriesOf(t, send._id);
    await waitFor(() => deliveriesOf(t, send._id), (rows) => rows[0].status === "delivered");
    // Someone's own message, tagged with the victim's delivery id, bounces: the victim's row stays delivered.
    await t.mutation(internal.suppressions.applyEvent, { eventId: `msg_forged_${Date.now()}`, type: "email.complained", to: [unique("attacker")], at: Date.now(), deliveryId: delivery._id });
    expect((await t.run((ctx) => ctx.db.get("emailDeliveries", delivery._id)))?.status).toBe("delivered");
    expect((await t.run((ctx) => ctx.db.get("audienceMembers", delivery.memberId)))?.emailState).toBe("subscribed");
    await expectExactCounters(t, send._id);
  }, 40_000);
});
