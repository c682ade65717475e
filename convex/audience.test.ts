// Over 400 lines: one suite for the audience (join, paid sync, signed links, studio list), on both backends.
import { describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { signMemberToken } from "./lib/memberTokens";
import { MAX_JOIN_CODES_PER_ADDRESS_PER_HOUR } from "./lib/rateLimits";
import schema from "./schema";

// convex/audience.ts and newsletters.ts: a publication's readers who follow it by email.

const SECRET = "test-member-token-secret-0123456789abcdef";

/** Sets MEMBER_TOKEN_SECRET where functions run: this process (convex-test) and the local backend's env. */
async function withSecret(t: T, secret = SECRET) {
  process.env.MEMBER_TOKEN_SECRET = secret;
  const backend = (t as unknown as { backend?: () => Promise<{ env: { set(n: string, v: string): void } }> }).backend;
  if (typeof backend === "function") (await backend()).env.set("MEMBER_TOKEN_SECRET", secret);
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

const page = (numItems: number, cursor: string | null = null) => ({ numItems, cursor });

async function lastCode(t: T, email: string): Promise<string> {
  const mail = await t.query(internal.emails.latestFor, { email, kind: "audience-join-code" });
  const m = mail?.text.match(/\b(\d{6})\b/);
  if (!m) throw new Error(`no join code mailed to ${email}`);
  return m[1];
}

const memberRow = (t: T, siteId: Id<"sites">, email: string) =>
  t.run((ctx) =>
    ctx.db
      .query("audienceMembers")
      .withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId).eq("email", email))
      .first(),
  );

const subscriptionsOf = (t: T, memberId: Id<"audienceMembers">) =>
  t.run(async (ctx) => (await ctx.db.query("memberNewsletters").collect()).filter((r) => r.memberId === memberId).map((r) => r.newsletterId));

async function joinAndConfirm(t: T, siteId: Id<"sites">, email: string, name?: string) {
  await t.action(api.audience.join, { siteId, email, name });
  await t.action(api.audience.confirm, { siteId, email, code: await lastCode(t, email) });
  return (await memberRow(t, siteId, email.toLowerCase()))!;
}

// --- Stripe events, as billing.test.ts drives billing:applyEvent ----------------------------------
const SEC = 1000;
let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}${(++seq).toString(36)}`;
let clock = Math.floor(Date.now() / SEC);

async function stripeSubscription(t: T, w: World, userId: Id<"users">, subId: string, status: string) {
  const start = Math.floor(Date.now() / SEC) - 60;
  const object = {
    id: subId,
    object: "subscription",
    customer: "cus_audience",
    status,
    cancel_at_period_end: false,
    canceled_at: status === "canceled" ? start : null,
    trial_end: null,
    items: { object: "list", data: [{ id: "si_1", price: { id: "price_1" }, current_period_start: start, current_period_end: start + 30 * 86_400 }] },
    metadata: { siteId: w.siteId, userId },
  };
  const type = status === "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated";
  const event = { id: uid("evt"), object: "event", type, created: ++clock, livemode: false, data: { object } };
  return (await t.mutation(internal.billing.applyEvent, { event })).outcome;
}

describe.each(backends)("audience on %s", (_name, convexTest) => {
  const setup = async () => {
    const t = convexTest(schema, modules);
    await withSecret(t);
    const w = await createWorld(t);
    return { t, w };
  };

  test("join → emailed code → confirm makes a free subscribed member on the default newsletter", async () => {
    const { t, w } = await setup();
    expect(await t.action(api.audience.join, { siteId: w.siteId, email: "  Reader@Example.COM ", name: "Rea Der" })).toBeNull();
    const mail = await t.query(internal.emails.latestFor, { email: "reader@example.com", kind: "audience-join-code" });
    expect(mail?.subject).toContain("The daily");
    // The code is stored only as an HMAC.
    const pending = await t.run((ctx) => ctx.db.query("audienceJoinCodes").collect());
    const c = await lastCode(t, "reader@example.com");
    expect(pending).toHaveLength(1);
    expect(JSON.stringify(pending)).not.toContain(c);
    await t.action(api.audience.confirm, { siteId: w.siteId, email: "reader@example.com", code: c });
    const m = (await memberRow(t, w.siteId, "reader@example.com"))!;
    expect(m).toMatchObject({ access: "free", emailState: "subscribed", source: "form", name: "Rea Der", confirmedAt: expect.any(Number) });
    const newsletters = await t.run((ctx) => ctx.db.query("newsletters").collect());
    expect(newsletters).toMatchObject([{ siteId: w.siteId, name: "The daily", defaultOn: true }]);
    expect(await subscriptionsOf(t, m._id)).toEqual([newsletters[0]._id]);
    // The code is used up.
    expect(await code(t.action(api.audience.confirm, { siteId: w.siteId, email: "reader@example.com", code: c }))).toBe("INVALID_CODE");
    expect(await t.run((ctx) => ctx.db.query("audienceJoinCodes").collect())).toHaveLength(0);
  });

  test("wrong and expired codes are refused; a code dies after its allowed attempts", async () => {
    const { t, w } = await setup();
    const email = "guess@example.com";
    await t.action(api.audience.join, { siteId: w.siteId, email });
    const right = await lastCode(t, email);
    const wrong = right === "000000" ? "111111" : "000000";
    expect(await code(t.action(api.audience.confirm, { siteId: w.siteId, email, code: wrong }))).toBe("INVALID_CODE");
    expect((await t.run((ctx) => ctx.db.query("audienceJoinCodes").first()))?.attempts).toBe(1);
    for (let i = 1; i < 5; i++) await code(t.action(api.audience.confirm, { siteId: w.siteId, email, code: wrong }));
    expect(await code(t.action(api.audience.confirm, { siteId: w.siteId, email, code: right }))).toBe("INVALID_CODE");
    expect(await memberRow(t, w.siteId, email)).toBeNull();

    await t.action(api.audience.join, { siteId: w.siteId, email });
    const fresh = await lastCode(t, email);
    await t.run(async (ctx) => {
      const row = (await ctx.db.query("audienceJoinCodes").first())!;
      await ctx.db.patch("audienceJoinCodes", row._id, { expiresAt: Date.now() - 1 });
    });
    expect(await code(t.action(api.audience.confirm, { siteId: w.siteId, email, code: fresh }))).toBe("INVALID_CODE");
    // A code for one site does not join another.
    await t.action(api.audience.join, { siteId: w.siteId, email });
    expect(await code(t.action(api.audience.confirm, { siteId: w.otherSiteId, email, code: await lastCode(t, email) }))).toBe("INVALID_CODE");
    expect(await memberRow(t, w.otherSiteId, email)).toBeNull();
  });

  test("bad input gets field errors, an unknown site NOT_FOUND", async () => {
    const { t, w } = await setup();
    const bad = await t.action(api.audience.join, { siteId: w.siteId, email: "not-an-email" }).catch((e) => e.data);
    expect(bad).toMatchObject({ code: "INVALID_ARGUMENT", field: "email" });
    const gone = await t.run(async (ctx) => {
      const id = await ctx.db.insert("sites", { name: "Gone", slug: "gone", ownerId: w.users.owner, createdAt: 0, updatedAt: 0 });
      await ctx.db.delete("sites", id);
      return id;
    });
    expect(await code(t.action(api.audience.join, { siteId: gone, email: "a@example.com" }))).toBe("NOT_FOUND");
  });

  test("rate limit: join codes to one address are limited per hour", async () => {
    const { t, w } = await setup();
    const email = "flood@example.com";
    for (let i = 0; i < MAX_JOIN_CODES_PER_ADDRESS_PER_HOUR; i++) {
      // Across sites too: the limit protects the inbox.
      expect(await code(t.action(api.audience.join, { siteId: i % 2 ? w.otherSiteId : w.siteId, email }))).toBe("ok");
    }
    const limited = await t.action(api.audience.join, { siteId: w.siteId, email }).catch((e) => e.data);
    expect(limited).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: expect.any(Number) });
    const sent = await t.query(internal.emails.devMailbox, { to: email, limit: 50 });
    expect(sent).toHaveLength(MAX_JOIN_CODES_PER_ADDRESS_PER_HOUR);
    // Another address is not held back by this one.
    expect(await code(t.action(api.audience.join, { siteId: w.siteId, email: "other@example.com" }))).toBe("ok");
  });

  test("account enumeration: join answers and mails the same for a member and a stranger", async () => {
    const { t, w } = await setup();
    await joinAndConfirm(t, w.siteId, "known@example.com");
    const before = await t.run((ctx) => ctx.db.query("audienceMembers").collect());
    const known = await t.action(api.audience.join, { siteId: w.siteId, email: "known@example.com" });
    const stranger = await t.action(api.audience.join, { siteId: w.siteId, email: "stranger@example.com" });
    expect(known).toEqual(stranger);
    const a = (await t.query(internal.emails.latestFor, { email: "known@example.com", kind: "audience-join-code" }))!;
    const b = (await t.query(internal.emails.latestFor, { email: "stranger@example.com", kind: "audience-join-code" }))!;
    const shape = (s: string) => s.replace(/\d{6}/g, "<code>");
    expect(shape(a.subject)).toBe(shape(b.subject));
    expect(shape(a.text)).toBe(shape(b.text));
    // Asking for a code changes nobody's membership.
    expect(await t.run((ctx) => ctx.db.query("audienceMembers").collect())).toEqual(before);
  });

  test("re-joining after unsubscribing re-activates the member and keeps its access", async () => {
    const { t, w } = await setup();
    const m = await joinAndConfirm(t, w.siteId, "back@example.com");
    await t.mutation(api.audience.unsubscribe, { token: await signMemberToken(w.siteId, m._id, "unsubscribe") });
    await t.run((ctx) => ctx.db.patch("audienceMembers", m._id, { access: "comped" }));
    const again = await joinAndConfirm(t, w.siteId, "back@example.com");
    expect(again).toMatchObject({ _id: m._id, emailState: "subscribed", access: "comped" });
    expect(await t.run((ctx) => ctx.db.query("audienceMembers").collect())).toHaveLength(1);
  });

  test("signed-in one-click join needs a verified email", async () => {
    const { t, w } = await setup();
    const verified = await createUser(t, "Verified Reader", { emailVerificationTime: Date.now() });
    const unverified = await createUser(t, "Unverified Reader");
    expect(await as(t, verified).query(api.audience.myMembership, { siteId: w.siteId })).toBeNull();
    await as(t, verified).mutation(api.audience.joinSignedIn, { siteId: w.siteId });
    expect(await as(t, verified).query(api.audience.myMembership, { siteId: w.siteId })).toEqual({ access: "free", emailState: "subscribed" });
    expect(await memberRow(t, w.siteId, "verified.reader@example.com")).toMatchObject({ userId: verified, source: "signedIn" });
    expect(await code(as(t, unverified).mutation(api.audience.joinSignedIn, { siteId: w.siteId }))).toBe("INVALID_STATE");
    expect(await code(t.mutation(api.audience.joinSignedIn, { siteId: w.siteId }))).toBe("UNAUTHENTICATED");
    expect(await memberRow(t, w.siteId, "unverified.reader@example.com")).toBeNull();
  });

  test("a reader who joined by email and then created an account with that address is recognised signed in (found by the e2e journey)", async () => {
    const { t, w } = await setup();
    const member = await joinAndConfirm(t, w.siteId, "late.account@example.com");
    const reader = await createUser(t, "Late Account", { emailVerificationTime: Date.now() });
    expect(await as(t, reader).query(api.audience.myMembership, { siteId: w.siteId })).toEqual({ access: "free", emailState: "subscribed" });
    const prefs = await as(t, reader).query(api.audience.myPreferences, { siteId: w.siteId });
    expect(prefs?.newsletters.map((n) => n.subscribed)).toEqual([true]);
    await as(t, reader).mutation(api.audience.setMyPreferences, { siteId: w.siteId, newsletters: [] });
    expect(await subscriptionsOf(t, member._id)).toEqual([]);
  });

  test("cross-account read: an unverified account, or one whose address another account holds, does not get that member", async () => {
    const { t, w } = await setup();
    const member = await joinAndConfirm(t, w.siteId, "claimed.address@example.com");
    // An account that never proved the address.
    const unverified = await createUser(t, "Claimed Address");
    expect(await as(t, unverified).query(api.audience.myMembership, { siteId: w.siteId })).toBeNull();
    expect(await as(t, unverified).query(api.audience.myPreferences, { siteId: w.siteId })).toBeNull();
    expect(await code(as(t, unverified).mutation(api.audience.setMyPreferences, { siteId: w.siteId, newsletters: [] }))).toBe("NOT_FOUND");
    // The row belongs to another account: a second verified account with that address gets nothing.
    const holder = await createUser(t, "Holder", { email: "claimed.address@example.com", emailVerificationTime: Date.now() });
    await t.run((ctx) => ctx.db.patch("audienceMembers", member._id, { userId: holder }));
    const other = await createUser(t, "Other", { email: "claimed.address@example.com", emailVerificationTime: Date.now() });
    expect(await as(t, other).query(api.audience.myMembership, { siteId: w.siteId })).toBeNull();
    expect(await as(t, holder).query(api.audience.myMembership, { siteId: w.siteId })).toEqual({ access: "free", emailState: "subscribed" });
    expect((await subscriptionsOf(t, member._id)).length).toBe(1);
  });

  test("paid sync: an active subscription makes the reader a paid member; when it ends they are free again", async () => {
    const { t, w } = await setup();
    const email = "reader.daily@example.com";
    expect(await stripeSubscription(t, w, w.users.reader, "sub_aud_1", "active")).toBe("applied");
    const paid = (await memberRow(t, w.siteId, email))!;
    expect(paid).toMatchObject({ access: "paid", source: "checkout", emailState: "subscribed", userId: w.users.reader });
    expect(await subscriptionsOf(t, paid._id)).toHaveLength(1);
    expect(await stripeSubscription(t, w, w.users.reader, "sub_aud_1", "canceled")).toBe("applied");
    expect(await memberRow(t, w.siteId, email)).toMatchObject({ _id: paid._id, access: "free", emailState: "subscribed" });
    // Nothing deleted; a new subscription makes the same row paid again.
    await stripeSubscription(t, w, w.users.reader, "sub_aud_2", "active");
    expect(await memberRow(t, w.siteId, email)).toMatchObject({ _id: paid._id, access: "paid" });
    expect(await t.run((ctx) => ctx.db.query("audienceMembers").collect())).toHaveLength(1);
  });

  test("paid sync: the period's end (billing:expireSubscription) makes a paid member free", async () => {
    const { t, w } = await setup();
    await stripeSubscription(t, w, w.users.reader, "sub_aud_end", "active");
    const subId = await t.run(async (ctx) => {
      const sub = (await ctx.db.query("subscriptions").collect()).find((s) => s.stripeSubscriptionId === "sub_aud_end")!;
      await ctx.db.patch("subscriptions", sub._id, { currentPeriodEnd: Date.now() - 1000 });
      return sub._id;
    });
    expect(await t.mutation(internal.billing.expireSubscription, { subscriptionId: subId })).toBe(true);
    expect(await memberRow(t, w.siteId, "reader.daily@example.com")).toMatchObject({ access: "free" });
  });

  test("paid sync: a joined member who subscribes is the same row, and comped stays comped", async () => {
    const { t, w } = await setup();
    const m = await joinAndConfirm(t, w.siteId, "reader.daily@example.com");
    await stripeSubscription(t, w, w.users.reader, "sub_aud_3", "active");
    expect(await memberRow(t, w.siteId, m.email)).toMatchObject({ _id: m._id, access: "paid", userId: w.users.reader, source: "form" });
    await as(t, w.users.editor).mutation(api.audience.setComp, { siteId: w.siteId, memberId: m._id, comped: true });
    await stripeSubscription(t, w, w.users.reader, "sub_aud_3", "canceled");
    expect(await memberRow(t, w.siteId, m.email)).toMatchObject({ access: "comped" });
    // Ending the comp follows the subscriptions: none active now, so free.
    await as(t, w.users.editor).mutation(api.audience.setComp, { siteId: w.siteId, memberId: m._id, comped: false });
    expect(await memberRow(t, w.siteId, m.email)).toMatchObject({ access: "free" });
  });

  test("forged unsubscribe link: tampered, other site's, other purpose and other secret's tokens are refused", async () => {
    const { t, w } = await setup();
    const a = await joinAndConfirm(t, w.siteId, "victim@example.com");
    const b = await joinAndConfirm(t, w.otherSiteId, "other@example.com");
    const good = await signMemberToken(w.siteId, a._id, "unsubscribe");
    const flip = good.slice(0, -2) + (good.at(-2) === "A" ? "B" : "A") + good.at(-1);
    const forged = [
      flip,
      good.replace(w.siteId, w.otherSiteId), // the signature no longer matches
      await signMemberToken(w.otherSiteId, a._id, "unsubscribe"), // signed for another site than the member's
      good.replace(String(a._id), String(b._id)),
      await signMemberToken(w.siteId, a._id, "preferences"), // another purpose
      "m1.x.y.u.zzz",
      "",
    ];
    for (const token of forged) expect(await code(t.mutation(api.audience.unsubscribe, { token }))).toBe("INVALID_LINK");
    // The preferences link does not accept an unsubscribe token either (it would show the address).
    expect(await code(t.query(api.audience.preferences, { token: good }))).toBe("INVALID_LINK");
    await withSecret(t, "another-secret-entirely-0123456789");
    const otherKey = await signMemberToken(w.siteId, a._id, "unsubscribe");
    await withSecret(t);
    expect(await code(t.mutation(api.audience.unsubscribe, { token: otherKey }))).toBe("INVALID_LINK");
    expect(await memberRow(t, w.siteId, a.email)).toMatchObject({ emailState: "subscribed" });
    expect(await memberRow(t, w.otherSiteId, b.email)).toMatchObject({ emailState: "subscribed" });
    // The genuine link works.
    await t.mutation(api.audience.unsubscribe, { token: good });
    expect(await memberRow(t, w.siteId, a.email)).toMatchObject({ emailState: "unsubscribed" });
  });

  test("unsubscribe works signed out, is idempotent, and keeps paid access to the site", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Paid piece", doc: doc("Only for subscribers.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    const slug = (await t.run((ctx) => ctx.db.get("posts", postId)))!.slug;
    const locked = async () => ((await as(t, w.users.reader).query(api.reader.postBySlug, { siteSlug: "daily", slug })) as any).post.locked;
    await stripeSubscription(t, w, w.users.reader, "sub_aud_4", "active");
    expect(await locked()).toBe(false);
    const m = (await memberRow(t, w.siteId, "reader.daily@example.com"))!;
    const token = await signMemberToken(w.siteId, m._id, "unsubscribe");
    await t.mutation(api.audience.unsubscribe, { token });
    await t.mutation(api.audience.unsubscribe, { token });
    expect(await memberRow(t, w.siteId, m.email)).toMatchObject({ emailState: "unsubscribed", access: "paid" });
    expect(await locked()).toBe(false);
  });

  test("one-click unsubscribe (RFC 8058): the signed link's POST unsubscribes without a session; forged links, GETs and other bodies do not", async () => {
    const { t, w } = await setup();
    const a = await joinAndConfirm(t, w.siteId, "oneclick@example.com");
    const good = await signMemberToken(w.siteId, a._id, "unsubscribe");
    const oneClick = (query: string, body = "List-Unsubscribe=One-Click", method = "POST") =>
      t.fetch(`/unsubscribe?${query}`, {
        method,
        ...(method === "POST" ? { body, headers: { "Content-Type": "application/x-www-form-urlencoded" } } : {}),
      });
    // forged unsubscribe link: a tampered or another purpose's token, a malformed newsletter id.
    const flip = good.slice(0, -2) + (good.at(-2) === "A" ? "B" : "A") + good.at(-1);
    for (const query of [
      `token=${encodeURIComponent(flip)}`,
      `token=${encodeURIComponent(await signMemberToken(w.siteId, a._id, "preferences"))}`,
      `token=${encodeURIComponent(good)}&newsletter=not-an-id`,
      "",
    ]) {
      const r = await oneClick(query);
      expect(r.status, query).toBe(400);
      expect(await r.text()).toContain("not valid");
    }
    // Only RFC 8058's body unsubscribes; a GET (what link scanners send) is no route at all.
    expect((await oneClick(`token=${encodeURIComponent(good)}`, "")).status).toBe(400);
    expect((await oneClick(`token=${encodeURIComponent(good)}`, "", "GET")).status).toBe(404);
    expect(await memberRow(t, w.siteId, a.email)).toMatchObject({ emailState: "subscribed" });
    const r = await oneClick(`token=${encodeURIComponent(good)}`);
    expect(r.status).toBe(200);
    expect(await memberRow(t, w.siteId, a.email)).toMatchObject({ emailState: "unsubscribed" });
    // Idempotent: mail providers may retry.
    expect((await oneClick(`token=${encodeURIComponent(good)}`)).status).toBe(200);
  });

  test("paywall leak: a free member stays locked; a comp unlocks featured posts only while it lasts", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Paid piece", doc: doc("Only for subscribers.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    const slug = (await t.run((ctx) => ctx.db.get("posts", postId)))!.slug;
    const reader = await createUser(t, "Comp Reader", { emailVerificationTime: Date.now() });
    const read = async () => ((await as(t, reader).query(api.reader.postBySlug, { siteSlug: "daily", slug })) as any).post;
    // Staff add the reader's address by hand: the member is linked to the account that verified it.
    const memberId = await editor.mutation(api.audience.add, { siteId: w.siteId, email: "comp.reader@example.com" });
    expect(await memberRow(t, w.siteId, "comp.reader@example.com")).toMatchObject({ userId: reader, access: "free" });
    expect(await read()).toMatchObject({ locked: true, doc: null });
    await editor.mutation(api.audience.setComp, { siteId: w.siteId, memberId, comped: true });
    expect(await read()).toMatchObject({ locked: false, doc: expect.stringContaining("Only for subscribers.") });
    await editor.mutation(api.audience.setComp, { siteId: w.siteId, memberId, comped: false });
    expect(await read()).toMatchObject({ locked: true, doc: null });
  });

  test("account deletion: a solo owner's site goes with its audience; a deleted subscriber's member is free", async () => {
    const { t, w } = await setup();
    await joinAndConfirm(t, w.otherSiteId, "fan@example.com");
    await stripeSubscription(t, w, w.users.reader, "sub_aud_del", "active");
    expect(await memberRow(t, w.siteId, "reader.daily@example.com")).toMatchObject({ access: "paid" });
    vi.useFakeTimers();
    try {
      await t.mutation(internal.users.deleteUser, { userId: w.users.outsider });
      await t.mutation(internal.users.deleteUser, { userId: w.users.reader });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
    } finally {
      vi.useRealTimers();
    }
    const left = await t.run(async (ctx) => ({
      members: (await ctx.db.query("audienceMembers").collect()).filter((r) => r.siteId === w.otherSiteId),
      newsletters: (await ctx.db.query("newsletters").collect()).filter((r) => r.siteId === w.otherSiteId),
      subscriptions: (await ctx.db.query("memberNewsletters").collect()).filter((r) => r.siteId === w.otherSiteId),
    }));
    expect(left).toEqual({ members: [], newsletters: [], subscriptions: [] });
    expect(await memberRow(t, w.siteId, "reader.daily@example.com")).toMatchObject({ access: "free" });
  });

  test("preferences: one newsletter off, all off, back on; other sites' newsletters refused", async () => {
    const { t, w } = await setup();
    const m = await joinAndConfirm(t, w.siteId, "prefs@example.com");
    const editor = as(t, w.users.editor);
    const extra = await editor.mutation(api.newsletters.create, { siteId: w.siteId, name: "Weekly digest", senderName: "The daily", replyTo: "desk@example.com", defaultOn: false });
    const prefs = await signMemberToken(w.siteId, m._id, "preferences");
    const view = await t.query(api.audience.preferences, { token: prefs });
    expect(view).toMatchObject({ siteName: "The daily", email: "prefs@example.com", emailState: "subscribed" });
    const main = view.newsletters.find((n) => n.name === "The daily")!;
    expect(view.newsletters.map((n) => [n.name, n.subscribed])).toEqual([
      ["The daily", true],
      ["Weekly digest", false],
    ]);
    await t.mutation(api.audience.setPreferences, { token: prefs, newsletters: [extra] });
    expect(await subscriptionsOf(t, m._id)).toEqual([extra]);
    // One-click unsubscribe from one newsletter leaves the member subscribed to email.
    await t.mutation(api.audience.unsubscribe, { token: await signMemberToken(w.siteId, m._id, "unsubscribe"), newsletterId: extra });
    expect(await subscriptionsOf(t, m._id)).toEqual([]);
    await t.mutation(api.audience.setPreferences, { token: prefs, newsletters: [] });
    expect((await t.query(api.audience.preferences, { token: prefs })).emailState).toBe("unsubscribed");
    await t.mutation(api.audience.setPreferences, { token: prefs, newsletters: [main._id] });
    expect(await t.query(api.audience.preferences, { token: prefs })).toMatchObject({ emailState: "subscribed", newsletters: [{ subscribed: true }, { subscribed: false }] });
    const foreign = await as(t, w.users.outsider).mutation(api.newsletters.create, { siteId: w.otherSiteId, name: "Theirs", senderName: "Them", defaultOn: true });
    expect(await code(t.mutation(api.audience.setPreferences, { token: prefs, newsletters: [foreign] }))).toBe("NOT_FOUND");
    await editor.mutation(api.newsletters.archive, { siteId: w.siteId, newsletterId: extra });
    expect((await t.query(api.audience.preferences, { token: prefs })).newsletters.map((n) => n.name)).toEqual(["The daily"]);
    expect(await code(t.mutation(api.audience.setPreferences, { token: prefs, newsletters: [extra] }))).toBe("INVALID_ARGUMENT");
  });

  test("cross-tenant read: staff of one site cannot list, open or change another site's members", async () => {
    const { t, w } = await setup();
    const m = await joinAndConfirm(t, w.siteId, "private@example.com");
    const outsider = as(t, w.users.outsider); // owner of the other site
    expect(await code(outsider.query(api.audience.list, { siteId: w.siteId, paginationOpts: page(10) }))).toBe("NOT_FOUND");
    expect(await code(outsider.query(api.audience.get, { siteId: w.otherSiteId, memberId: m._id }))).toBe("NOT_FOUND");
    expect(await code(outsider.mutation(api.audience.setComp, { siteId: w.otherSiteId, memberId: m._id, comped: true }))).toBe("NOT_FOUND");
    const theirs = await outsider.query(api.audience.list, { siteId: w.otherSiteId, paginationOpts: page(10) });
    expect(theirs.page).toEqual([]);
    expect(await code(as(t, w.users.author).query(api.audience.list, { siteId: w.siteId, paginationOpts: page(10) }))).toBe("FORBIDDEN");
    const newsletters = await as(t, w.users.editor).query(api.newsletters.list, { siteId: w.siteId });
    expect(await code(outsider.mutation(api.newsletters.update, { siteId: w.otherSiteId, newsletterId: newsletters[0]._id, name: "Mine", senderName: "Me", defaultOn: true }))).toBe("NOT_FOUND");
    expect(await memberRow(t, w.siteId, m.email)).toMatchObject({ access: "free" });
  });

  test("studio list: filters, search by email or name prefix, pagination; manual add and comp", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    const add = (email: string, name?: string, comp?: boolean) => editor.mutation(api.audience.add, { siteId: w.siteId, email, name, comp });
    const ids: Id<"audienceMembers">[] = [];
    ids.push(await add("alice@example.com", "Alice Archer"));
    ids.push(await add("bob@example.com", "Bob Baker", true));
    ids.push(await add("carol@example.com", "Carol Cook"));
    ids.push(await add("dave@example.org", "Dave Dune", true));
    ids.push(await add("erin@example.com"));
    expect(await code(add("ALICE@example.com"))).toBe("INVALID_STATE");
    expect(await code(add("nope"))).toBe("INVALID_ARGUMENT");
    await t.run((ctx) => ctx.db.patch("audienceMembers", ids[2], { emailState: "bounced" }));
    await t.mutation(api.audience.unsubscribe, { token: await signMemberToken(w.siteId, ids[4], "unsubscribe") });
    const emails = async (filter?: any, search?: string) =>
      (await editor.query(api.audience.list, { siteId: w.siteId, filter, search, paginationOpts: page(50) })).page.map((m) => m.email);
    expect(await emails()).toEqual(["erin@example.com", "dave@example.org", "carol@example.com", "bob@example.com", "alice@example.com"]);
    expect(await emails("comped")).toEqual(["dave@example.org", "bob@example.com"]);
    expect(await emails("free")).toEqual(["erin@example.com", "carol@example.com", "alice@example.com"]);
    expect(await emails("paid")).toEqual([]);
    expect(await emails("bounced")).toEqual(["carol@example.com"]);
    expect(await emails("unsubscribed")).toEqual(["erin@example.com"]);
    expect(await emails("all", "B")).toEqual(["bob@example.com"]); // email prefix, case-insensitive
    expect(await emails("all", "dave d")).toEqual(["dave@example.org"]); // name prefix
    expect(await emails("free", "c")).toEqual(["carol@example.com"]);
    expect(await emails("comped", "c")).toEqual([]);
    // Pagination: two at a time, every member once, newest first.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r: any = await editor.query(api.audience.list, { siteId: w.siteId, paginationOpts: page(2, cursor) });
      seen.push(...r.page.map((m: any) => m.email));
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(seen).toEqual(await emails());
    const bob = await editor.query(api.audience.get, { siteId: w.siteId, memberId: ids[1] });
    expect(bob).toMatchObject({ email: "bob@example.com", name: "Bob Baker", access: "comped", source: "manual", confirmedAt: null, newsletterIds: [expect.any(String)] });
  });

  test("newsletters: create, update, archive and list; field errors", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    const id = await editor.mutation(api.newsletters.create, { siteId: w.siteId, name: "Dispatch", senderName: "Desk", defaultOn: true });
    await editor.mutation(api.newsletters.update, { siteId: w.siteId, newsletterId: id, name: "Dispatches", senderName: "The Desk", replyTo: "Desk@Example.com", defaultOn: false });
    await editor.mutation(api.newsletters.archive, { siteId: w.siteId, newsletterId: id });
    expect(await editor.query(api.newsletters.list, { siteId: w.siteId })).toMatchObject([
      { _id: id, name: "Dispatches", senderName: "The Desk", replyTo: "desk@example.com", defaultOn: false, archived: true },
    ]);
    const bad = await editor.mutation(api.newsletters.create, { siteId: w.siteId, name: " ", senderName: "x", defaultOn: true }).catch((e) => e.data);
    expect(bad).toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
    const badReply = await editor.mutation(api.newsletters.update, { siteId: w.siteId, newsletterId: id, name: "a", senderName: "b", replyTo: "nope", defaultOn: true }).catch((e) => e.data);
    expect(badReply).toMatchObject({ code: "INVALID_ARGUMENT", field: "replyTo" });
    // A site that has a newsletter (even archived) gets no default one: the new member has none.
    const m = await joinAndConfirm(t, w.siteId, "late@example.com");
    expect(await subscriptionsOf(t, m._id)).toEqual([]);
    expect(await editor.query(api.newsletters.list, { siteId: w.siteId })).toHaveLength(1);
  });
});
