// Over 400 lines: one suite per module, on both backends; the cases are independent.
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// billing:applyEvent with Stripe-shaped events (as http/stripeWebhook.ts passes them after checking
// the signature), and what readers and owners see as a result. The webhook's HTTP side, the
// signature checks and the Stripe fake are in tests/integration/stripe-webhooks.test.ts.

const SEC = 1000;
const now = () => Math.floor(Date.now() / SEC);
let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}${(++seq).toString(36)}`;

function event(type: string, object: Record<string, unknown>, created = now()) {
  return { id: uid("evt"), object: "event", type, created, livemode: false, data: { object } };
}

interface Ctx {
  w: World;
  userId: Id<"users">;
  planId: Id<"subscriptionPlans">;
  siteId?: Id<"sites">;
}

function meta(c: Ctx) {
  return { siteId: c.siteId ?? c.w.siteId, userId: c.userId, planId: c.planId };
}

/** A customer.subscription.* object as Stripe sends it (API 2026: periods on the item). */
function subscription(c: Ctx, id: string, status: string, start: number, end: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: "subscription",
    customer: "cus_test",
    status,
    cancel_at_period_end: false,
    canceled_at: null,
    trial_end: null,
    items: { object: "list", data: [{ id: "si_1", price: { id: "price_1" }, current_period_start: start, current_period_end: end }] },
    metadata: meta(c),
    ...extra,
  };
}

function invoice(c: Ctx, id: string, subId: string, amount: number, start: number, end: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: "invoice",
    customer: "cus_test",
    amount_paid: amount,
    amount_due: amount,
    currency: "usd",
    billing_reason: "subscription_cycle",
    lines: { object: "list", data: [{ period: { start, end }, pricing: { price_details: { price: "price_1" } } }] },
    parent: { type: "subscription_details", subscription_details: { subscription: subId, metadata: meta(c) } },
    payments: { data: [{ payment: { type: "charge", charge: `ch_${id}` } }] },
    status_transitions: { paid_at: start },
    ...extra,
  };
}

async function apply(t: T, e: unknown, hints?: { siteId?: string; userId?: string }) {
  return (await t.mutation(internal.billing.applyEvent, { event: e, ...(hints ? { hints } : {}) })).outcome;
}

async function setup(t: T): Promise<Ctx & { slug: string }> {
  const w = await createWorld(t);
  const userId = w.users.reader;
  const planId = (await as(t, w.users.owner).query(api.plans.listForSite, { siteId: w.siteId }))[0]._id;
  const editor = as(t, w.users.editor);
  const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Paid piece", doc: doc("Only for subscribers.") });
  await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
  await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
  const { post } = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId });
  return { w, userId, planId, slug: post.slug };
}

async function lockedFor(t: T, userId: Id<"users">, slug: string) {
  const r: any = await as(t, userId).query(api.reader.postBySlug, { siteSlug: "daily", slug });
  return r.post.locked as boolean;
}

const rows = (t: T, table: "payments" | "subscriptions" | "stripeEvents" | "notifications" | "billingCustomers") =>
  t.run((ctx) => ctx.db.query(table).collect()) as Promise<any[]>;

/** Scheduled jobs (only pending ones unless `all`), soonest first. */
async function pendingJobs(t: T, all = false): Promise<any[]> {
  const jobs = (await t.run((ctx) => ctx.db.system.query("_scheduled_functions").collect())) as any[];
  return jobs.filter((j) => all || j.state.kind === "pending").sort((a, b) => a.scheduledTime - b.scheduledTime);
}

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

describe.each(backends)("billing events on %s", (_name, convexTest) => {
  test("each subscription state decides access to a featured post, and the reader is told why", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const mine = () => as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" });
    const start = now() - 60;
    const end = now() + 30 * 86400;
    let at = now() - 50;
    const step = async (status: string, extra: Record<string, unknown> = {}, type = "customer.subscription.updated", periodEnd = end) =>
      apply(t, event(type, subscription(c, "sub_states", status, start, periodEnd, extra), ++at));

    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    expect(await mine()).toBeNull();
    const transitions: Array<[string, () => Promise<unknown>, boolean, string | null]> = [
      ["trialing", () => step("trialing", { trial_end: end }, "customer.subscription.created"), false, null],
      ["active", () => step("active"), false, null],
      ["past_due", () => step("past_due"), true, "past_due"],
      ["active again", () => step("active"), false, null],
      ["unpaid", () => step("unpaid"), true, "unpaid"],
      ["active, period ended", () => step("active", {}, undefined, now() - 1), true, "ended"],
      ["active, renewed", () => step("active"), false, null],
      ["paused", () => step("paused"), true, "paused"],
      ["canceled (deleted)", () => step("canceled", {}, "customer.subscription.deleted"), true, "canceled"],
    ];
    for (const [label, go, locked, reason] of transitions) {
      expect(await go()).toBe("applied");
      expect([label, await lockedFor(t, c.userId, c.slug)]).toEqual([label, locked]);
      expect([label, (await mine())?.reason]).toEqual([label, reason]);
    }
    // Canceled is terminal: a newer "active" snapshot of the same Stripe subscription is stale.
    expect(await step("active")).toBe("stale");
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    expect(await mine()).toMatchObject({ status: "canceled", grantsAccess: false, planId: c.planId, planName: "Supporter" });
    // Another user is not affected by any of it.
    expect(await lockedFor(t, c.w.users.outsider, c.slug)).toBe(true);
  });

  test("a replayed event changes nothing; another event about the same invoice adds no second payment", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const paid = event("invoice.paid", invoice(c, "in_replay", "sub_replay", 500, now(), now() + 30 * 86400));
    expect(await apply(t, paid)).toBe("applied");
    const before = { payments: await rows(t, "payments"), subs: await rows(t, "subscriptions"), notes: await rows(t, "notifications") };
    expect(await apply(t, paid)).toBe("duplicate");
    expect(await apply(t, { ...paid, id: uid("evt") })).toBe("applied"); // e.g. invoice.paid resent as a new event
    expect(await rows(t, "payments")).toEqual(before.payments);
    expect((await rows(t, "subscriptions")).map((s) => s.status)).toEqual(before.subs.map((s) => s.status));
    expect(await rows(t, "notifications")).toEqual(before.notes);
    expect((await rows(t, "stripeEvents")).map((e) => e.outcome)).toEqual(["applied", "applied"]);
  });

  test("the same event 20 times at once records one payment", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const paid = event("invoice.paid", invoice(c, "in_parallel", "sub_parallel", 500, now(), now() + 30 * 86400));
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => apply(t, paid)));
    expect(outcomes.sort()).toEqual(["applied", ...Array(19).fill("duplicate")]);
    expect((await rows(t, "payments")).filter((p) => p.stripeInvoiceId === "in_parallel")).toHaveLength(1);
    expect(await rows(t, "stripeEvents")).toHaveLength(1);
  });

  test("out of order: older events are stale, whatever arrives first", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const t0 = now() - 100;
    const end = now() + 30 * 86400;
    const created = event("customer.subscription.created", subscription(c, "sub_ooo", "active", t0, end), t0);
    const cancelLater = event("customer.subscription.updated", subscription(c, "sub_ooo", "active", t0, end, { cancel_at_period_end: true }), t0 + 10);
    const deleted = event("customer.subscription.deleted", subscription(c, "sub_ooo", "canceled", t0, end), t0 + 20);
    expect(await apply(t, cancelLater)).toBe("applied");
    expect(await apply(t, created)).toBe("stale");
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ cancelAtPeriodEnd: true, grantsAccess: true });
    expect(await apply(t, deleted)).toBe("applied");
    // A paid invoice from before the cancellation records its payment but does not revive the subscription.
    expect(await apply(t, event("invoice.paid", invoice(c, "in_ooo", "sub_ooo", 500, t0, end), t0 + 1))).toBe("applied");
    const sub = (await rows(t, "subscriptions")).find((s) => s.stripeSubscriptionId === "sub_ooo");
    expect(sub).toMatchObject({ status: "canceled", lastEventAt: (t0 + 20) * SEC, stripeSubscriptionId: "sub_ooo" });
    expect((await rows(t, "payments")).map((p) => p.status)).toEqual(["succeeded"]);
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    // Same-second events are ordered by lifecycle: active does not undo past_due of the same second.
    const s2 = now() - 10;
    await apply(t, event("customer.subscription.created", subscription(c, "sub_tie", "past_due", s2, end), s2));
    expect(await apply(t, event("customer.subscription.updated", subscription(c, "sub_tie", "incomplete", s2, end), s2))).toBe("stale");
  });

  test("checkout before the subscription's events: a placeholder that grants nothing, then the subscription", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const t0 = now();
    const session = {
      id: "cs_test_1",
      object: "checkout.session",
      mode: "subscription",
      customer: "cus_new",
      subscription: "sub_new",
      client_reference_id: c.userId,
      metadata: meta(c),
    };
    expect(await apply(t, event("checkout.session.completed", session, t0))).toBe("applied");
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({
      status: "incomplete",
      grantsAccess: false,
      reason: "incomplete",
      canManage: true,
    });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    expect(await apply(t, event("customer.subscription.created", subscription(c, "sub_new", "active", t0, t0 + 30 * 86400, { customer: "cus_new" }), t0))).toBe(
      "applied",
    );
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
    expect(await rows(t, "subscriptions")).toHaveLength(2); // the world's subscriber + this one
    expect((await rows(t, "billingCustomers")).map((b) => [b.userId, b.stripeCustomerId])).toEqual([[c.userId, "cus_new"]]);
    // Owners heard about the new subscriber once, though three events concerned it.
    await apply(t, event("invoice.paid", invoice(c, "in_new", "sub_new", 500, t0, t0 + 30 * 86400, { customer: "cus_new" }), t0));
    const notes = (await rows(t, "notifications")).filter((n) => n.type === "new_subscriber");
    expect(notes.map((n) => n.userId)).toEqual([c.w.users.owner]);
    expect(notes[0].body).toContain("Supporter");
  });

  test("a paid invoice alone (its subscription events lost or late) grants access through the paid period", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const start = now();
    const end = start + 30 * 86400;
    expect(await apply(t, event("invoice.paid", invoice(c, "in_first", "sub_first", 500, start, end, { billing_reason: "subscription_create" }), start))).toBe(
      "applied",
    );
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({
      status: "active",
      currentPeriodEnd: end * SEC,
      planId: c.planId,
      grantsAccess: true,
    });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
  });

  test("expired subscription keeps access (stale cache): the period's end is a scheduled write, so access ends through data", async () => {
    // A cached query is not re-run as time passes; access must end by a write at currentPeriodEnd.
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const start = now();
    const end = start + 2; // seconds, as Stripe sends them
    await apply(t, event("invoice.paid", invoice(c, "in_short", "sub_short", 500, start, end, { billing_reason: "subscription_create" }), start));
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
    const row = (await rows(t, "subscriptions")).find((s) => s.stripeSubscriptionId === "sub_short");
    expect(row.periodEnded).toBe(false);
    const jobs = await pendingJobs(t);
    expect(jobs.filter((j) => j.name.startsWith("billing") && j.name.endsWith("expireSubscription"))).toEqual([
      expect.objectContaining({ _id: row.expiryJobId, scheduledTime: end * SEC, args: [{ subscriptionId: row._id }] }),
    ]);

    await sleepUntil(end * SEC + 300);
    await t.finishAllScheduledFunctions(() => {});
    const after = (await rows(t, "subscriptions")).find((s) => s.stripeSubscriptionId === "sub_short");
    expect(after).toMatchObject({ status: "active", periodEnded: true });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ grantsAccess: false, reason: "ended" });
    const audits = (await t.run((ctx) => ctx.db.query("auditLogs").collect())).filter((a) => a.action === "billing.subscription.period_ended");
    expect(audits.map((a) => a.entityId)).toEqual([row._id]);
  });

  test("a renewal webhook before the period's end keeps access: the old expiry is canceled, one job waits for the new end", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const start = now();
    const end = start + 2;
    const next = end + 30 * 86400;
    await apply(t, event("invoice.paid", invoice(c, "in_a", "sub_renew", 500, start, end, { billing_reason: "subscription_create" }), start));
    const sub = async () => (await rows(t, "subscriptions")).find((s) => s.stripeSubscriptionId === "sub_renew");
    const first = await sub();
    await apply(t, event("invoice.paid", invoice(c, "in_b", "sub_renew", 500, end, next), start + 1));
    const renewed = await sub();
    expect(renewed.expiryJobId).not.toBe(first.expiryJobId);
    const jobs = (await pendingJobs(t, true)).filter((j) => j.name.endsWith("expireSubscription"));
    expect(jobs.map((j) => [j._id, j.state.kind, j.scheduledTime])).toEqual([
      [first.expiryJobId, "canceled", end * SEC],
      [renewed.expiryJobId, "pending", next * SEC],
    ]);
    await sleepUntil(end * SEC + 300);
    // Runs what is due (and, on a backend that runs every job at once, the new end's job early: a no-op).
    await t.finishAllScheduledFunctions(() => {});
    expect(await sub()).toMatchObject({ periodEnded: false, currentPeriodEnd: next * SEC });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ grantsAccess: true, reason: null });
  });

  test("backfill: rows from before scheduled expiry get their period end marked or scheduled", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const legacy = (stripeSubscriptionId: string, currentPeriodEnd: number) =>
      t.run((ctx) =>
        ctx.db.insert("subscriptions", {
          siteId: c.w.siteId,
          userId: c.userId,
          status: "active",
          currentPeriodStart: 0,
          currentPeriodEnd,
          cancelAtPeriodEnd: false,
          stripeSubscriptionId,
          createdAt: 0,
          updatedAt: 0,
        }),
      );
    const lapsed = await legacy("sub_legacy_lapsed", Date.now() - 60_000);
    await t.mutation(internal.migrations.trackPeriodEnds, {});
    expect(await t.run((ctx) => ctx.db.get("subscriptions", lapsed))).toMatchObject({ periodEnded: true });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    const current = await legacy("sub_legacy_current", Date.now() + 86_400_000);
    await t.mutation(internal.migrations.trackPeriodEnds, {});
    const row = await t.run((ctx) => ctx.db.get("subscriptions", current));
    expect(row).toMatchObject({ periodEnded: false, expiryJobId: expect.any(String) });
    expect((await pendingJobs(t)).map((j) => j._id)).toContain(row!.expiryJobId);
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
  });

  test("backfill: migrations:runAll starts it, so a lapsed row from before scheduled expiry locks with no other call", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const lapsed = await t.run((ctx) =>
      ctx.db.insert("subscriptions", {
        siteId: c.w.siteId,
        userId: c.userId,
        status: "active",
        currentPeriodStart: 0,
        currentPeriodEnd: Date.now() - 60_000,
        cancelAtPeriodEnd: false,
        stripeSubscriptionId: "sub_legacy_runall",
        createdAt: 0,
        updatedAt: 0,
      }),
    );
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false); // no periodEnded yet: treated as not ended
    expect(await t.mutation(internal.migrations.runAll, {})).toEqual(["refreshExcerpts", "trackPeriodEnds", "renameTagCounters", "storePageHtml"]);
    await t.finishAllScheduledFunctions(() => {});
    expect(await t.run((ctx) => ctx.db.get("subscriptions", lapsed))).toMatchObject({ periodEnded: true });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
  });

  test("a failed renewal: payment failed, the subscriber notified, past_due; then paid: one row, succeeded, active", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const t0 = now() - 100;
    await apply(t, event("customer.subscription.created", subscription(c, "sub_fail", "active", t0, now() + 86400), t0));
    const failedInvoice = invoice(c, "in_fail", "sub_fail", 500, now(), now() + 30 * 86400, { status: "open", amount_paid: 0, payments: { data: [] } });
    expect(await apply(t, event("invoice.payment_failed", failedInvoice, t0 + 10))).toBe("applied");
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toMatchObject({ status: "past_due", reason: "past_due" });
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    let payments = await rows(t, "payments");
    expect(payments).toMatchObject([{ status: "failed", amountCents: 500, stripeInvoiceId: "in_fail", userId: c.userId }]);
    const notes = (await rows(t, "notifications")).filter((n) => n.type === "payment_failed");
    expect(notes).toMatchObject([{ userId: c.userId, siteId: c.w.siteId, link: "/daily/subscribe" }]);
    expect(notes[0].body).toContain("5.00 USD");

    expect(await apply(t, event("invoice.paid", invoice(c, "in_fail", "sub_fail", 500, now(), now() + 30 * 86400), t0 + 20))).toBe("applied");
    payments = await rows(t, "payments");
    expect(payments).toMatchObject([{ status: "succeeded", amountCents: 500, stripeChargeId: "ch_in_fail" }]);
    expect(await lockedFor(t, c.userId, c.slug)).toBe(false);
    // A late copy of the failure does not move the payment back.
    expect(await apply(t, event("invoice.payment_failed", failedInvoice, t0 + 10))).toBe("applied");
    expect((await rows(t, "payments")).map((p) => p.status)).toEqual(["succeeded"]);
  });

  test("refunds: partial, then full, on the invoice's payment; a refund of an unseen charge gets its own row", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    await apply(t, event("invoice.paid", invoice(c, "in_r", "sub_r", 1000, now(), now() + 30 * 86400)));
    // Charges carry no metadata: the webhook passes the customer's {siteId, userId} as hints.
    const hints = { siteId: c.w.siteId, userId: c.userId };
    const charge = (refunded: number) => ({ id: "ch_in_r", object: "charge", customer: "cus_test", amount: 1000, amount_refunded: refunded, refunded: refunded >= 1000, currency: "usd", metadata: {} });
    expect(await apply(t, event("charge.refunded", charge(400)), hints)).toBe("applied");
    expect(await rows(t, "payments")).toMatchObject([{ status: "succeeded", amountRefundedCents: 400 }]);
    const full = event("charge.refunded", charge(1000));
    expect(await apply(t, full, hints)).toBe("applied");
    expect(await apply(t, full, hints)).toBe("duplicate");
    expect(await apply(t, event("charge.refunded", charge(400)), hints)).toBe("stale"); // a late partial
    expect(await rows(t, "payments")).toMatchObject([{ status: "refunded", amountRefundedCents: 1000, amountCents: 1000 }]);

    // Without hints the customer's billing row places the charge (the site still comes from hints).
    const orphan = { ...charge(300), id: "ch_orphan", amount: 300, refunded: true };
    expect(await apply(t, event("charge.refunded", orphan), { siteId: c.w.siteId })).toBe("applied");
    const mine = (await rows(t, "payments")).filter((p) => p.stripeChargeId === "ch_orphan");
    expect(mine).toMatchObject([{ status: "refunded", amountCents: 300, userId: c.userId }]);
    // Its invoice arriving later finds the row by charge and does not un-refund it.
    await apply(t, event("invoice.paid", invoice(c, "in_orphan", "sub_r", 300, now(), now() + 30 * 86400, { payments: { data: [{ payment: { charge: "ch_orphan" } }] } })));
    expect((await rows(t, "payments")).filter((p) => p.stripeChargeId === "ch_orphan")).toMatchObject([{ status: "refunded", stripeInvoiceId: "in_orphan" }]);
  });

  test("events we cannot place are recorded as ignored and write nothing else", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const other = await createUser(t, "Gone");
    await t.run(async (ctx) => ctx.db.delete("users", other));
    const cases = [
      event("invoice.paid", invoice({ ...c, siteId: "not-a-site" as Id<"sites"> }, "in_x1", "sub_x", 500, now(), now() + 86400)),
      event("invoice.paid", invoice({ ...c, userId: other }, "in_x2", "sub_x", 500, now(), now() + 86400)),
      event("charge.refunded", { id: "ch_nowhere", customer: "cus_unknown", amount: 100, amount_refunded: 100, refunded: true, currency: "usd" }),
      event("customer.created", { id: "cus_x", object: "customer" }),
      event("checkout.session.completed", { id: "cs_pay", mode: "payment", metadata: meta(c) }),
    ];
    const before = { payments: await rows(t, "payments"), subs: await rows(t, "subscriptions") };
    for (const e of cases) expect(await apply(t, e)).toBe("ignored");
    expect(await rows(t, "payments")).toEqual(before.payments);
    expect(await rows(t, "subscriptions")).toEqual(before.subs);
    expect((await rows(t, "stripeEvents")).map((e) => e.outcome)).toEqual(Array(cases.length).fill("ignored"));
    // Not an event at all: the mutation throws and records nothing.
    await expect(apply(t, { hello: "world" })).rejects.toThrow(/Not a Stripe event/);
    expect(await rows(t, "stripeEvents")).toHaveLength(cases.length);
  });
});

describe.each(backends)("billing reads on %s", (_name, convexTest) => {
  test("siteStats: paying subscribers, MRR per currency (yearly / 12) and payments newest first", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const owner = as(t, c.w.users.owner);
    const yearly = await owner.mutation(api.plans.create, { siteId: c.w.siteId, name: "Yearly", priceCents: 6000, currency: "usd", interval: "year", features: [] });
    const euro = await owner.mutation(api.plans.create, { siteId: c.w.siteId, name: "Euro", priceCents: 400, currency: "eur", interval: "month", features: [] });
    const end = now() + 30 * 86400;
    const users = [await createUser(t, "Y One"), await createUser(t, "E One"), await createUser(t, "Trial One"), await createUser(t, "Late One")];
    await apply(t, event("customer.subscription.created", subscription({ ...c, userId: users[0], planId: yearly }, "sub_y", "active", now(), end)));
    await apply(t, event("customer.subscription.created", subscription({ ...c, userId: users[1], planId: euro }, "sub_e", "active", now(), end)));
    await apply(t, event("customer.subscription.created", subscription({ ...c, userId: users[2], planId: euro }, "sub_t", "trialing", now(), end)));
    await apply(t, event("customer.subscription.created", subscription({ ...c, userId: users[3], planId: euro }, "sub_l", "past_due", now(), end)));
    for (const [i, id] of ["in_1", "in_2", "in_3"].entries()) {
      await apply(t, event("invoice.paid", invoice({ ...c, userId: users[1], planId: euro }, id, "sub_e", 400, now() - 100 + i, end, { currency: "eur" })));
    }
    const stats = await owner.query(api.billing.siteStats, { siteId: c.w.siteId, paginationOpts: { numItems: 2, cursor: null } });
    // The world's subscriber (500 usd/month, no Stripe), the yearly and the euro subscriber, and the trial.
    expect(stats.subscriberCount).toBe(4);
    expect(stats.mrr).toEqual([
      { currency: "eur", amountCents: 400 },
      { currency: "usd", amountCents: 500 + 500 },
    ]);
    expect(stats.payments.page.map((p) => [p.amountCents, p.currency, p.userName])).toEqual([
      [400, "eur", "E One"],
      [400, "eur", "E One"],
    ]);
    expect(stats.payments.page[0].createdAt).toBeGreaterThan(stats.payments.page[1].createdAt);
    const next = await owner.query(api.billing.siteStats, { siteId: c.w.siteId, paginationOpts: { numItems: 2, cursor: stats.payments.continueCursor } });
    expect(next.payments.page).toHaveLength(1);
    expect((await as(t, c.w.users.editor).query(api.billing.siteStats, { siteId: c.w.siteId, paginationOpts: { numItems: 2, cursor: null } }).catch((e) => e.data)).code).toBe(
      "FORBIDDEN",
    );
  });

  test("mySubscription is per site: a subscription elsewhere says nothing here", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const otherPlan = await as(t, c.w.users.outsider).mutation(api.plans.create, {
      siteId: c.w.otherSiteId,
      name: "Other",
      priceCents: 300,
      currency: "usd",
      interval: "month",
      features: [],
    });
    await apply(t, event("customer.subscription.created", subscription({ ...c, siteId: c.w.otherSiteId, planId: otherPlan }, "sub_elsewhere", "active", now(), now() + 86400)));
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily-other" })).toMatchObject({ grantsAccess: true, planName: "Other" });
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "daily" })).toBeNull();
    expect(await lockedFor(t, c.userId, c.slug)).toBe(true);
    expect(await as(t, c.userId).query(api.billing.mySubscription, { siteSlug: "no-such-site" })).toBeNull();
  });

  test("checkout and portal without Stripe keys: access checks first, then billing_not_configured", async () => {
    const t = convexTest(schema, modules);
    const c = await setup(t);
    const reader = as(t, c.userId);
    const fail = (p: Promise<unknown>) => p.then(() => null, (e: any) => e.data);
    expect(await fail(t.action(api.billing.createCheckout, { siteSlug: "daily", planId: c.planId, returnTo: "/daily" }))).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await fail(reader.action(api.billing.createCheckout, { siteSlug: "nope", planId: c.planId, returnTo: "/daily" }))).toMatchObject({ code: "NOT_FOUND" });
    await as(t, c.w.users.owner).mutation(api.plans.setActive, { siteId: c.w.siteId, planId: c.planId, isActive: false });
    expect(await fail(reader.action(api.billing.createCheckout, { siteSlug: "daily", planId: c.planId, returnTo: "/daily" }))).toMatchObject({
      code: "NOT_FOUND",
      field: "planId",
    });
    await as(t, c.w.users.owner).mutation(api.plans.setActive, { siteId: c.w.siteId, planId: c.planId, isActive: true });
    expect(await fail(reader.action(api.billing.createCheckout, { siteSlug: "daily", planId: c.planId, returnTo: "/daily" }))).toMatchObject({
      code: "INVALID_STATE",
      reason: "billing_not_configured",
    });
    expect(await fail(as(t, c.w.users.subscriber).action(api.billing.createCheckout, { siteSlug: "daily", planId: c.planId, returnTo: "/daily" }))).toMatchObject({
      code: "INVALID_STATE",
      reason: "already_subscribed",
    });
    expect(await fail(reader.action(api.billing.createPortalSession, { siteSlug: "daily", returnTo: "/daily" }))).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe.each(backends)("my subscriptions (%s)", (_name, convexTest) => {
  test("a reader sees their own subscriptions across publications, and only theirs", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const mine = await as(t, w.users.subscriber).query(api.billing.mySubscriptions, {});
    expect(mine).toEqual([
      expect.objectContaining({ siteSlug: "daily", planName: "Supporter", status: "active", grantsAccess: true, canManage: false }),
    ]);
    expect(await as(t, w.users.reader).query(api.billing.mySubscriptions, {})).toEqual([]);
  });
});
