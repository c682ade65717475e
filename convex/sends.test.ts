// Post sends (issue #15, ADR 013) on both backends: publish/schedule with email, email only, the
// paywall in email, segments, suppression, one email per (post, member), cancel, exact counters,
// preview, test send and the rights. The provider is the outbox here (no RESEND_API_KEY);
// sends.fake.test.ts drives the Resend fake (retries, idempotency, webhooks).
import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, createWorld, doc, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { syncPaidAccess } from "./model/audience";
import { batchMessages, type ClaimedBatch } from "./model/sendsPipeline";
import { MAX_TEST_SENDS_PER_HOUR } from "./lib/rateLimits";
import schema from "./schema";
import { runScheduledJobs } from "../tests/support/scheduled";
import { addAudienceMember, addNewsletter, errorCode, setEnv } from "../tests/support/sends";

const BODY = "SECRET-BODY-TEXT only paid members may read this sentence.";

afterEach(() => {
  vi.useRealTimers();
});

describe.each(backends)("sends on %s", (_name, convexTest) => {
  async function setup() {
    const t = convexTest(schema, modules);
    await setEnv(t, { MEMBER_TOKEN_SECRET: "sends-test-secret-0123456789abcdef", SITE_URL: "https://app.example" });
    // The clock is the test's from here: scheduled jobs run only in runScheduledJobs (drain).
    vi.useFakeTimers();
    const w = await createWorld(t);
    const newsletterId = await addNewsletter(t, w.siteId);
    return { t, w, newsletterId, editor: as(t, w.users.editor) };
  }

  async function featuredPost(t: T, w: World, title = "Big story") {
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title, doc: doc("Opening line.", BODY) });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
    return postId;
  }

  /** Runs every scheduled job (render, planning pages, provider batches, the watchdog) to the end. */
  const drain = (t: T) => runScheduledJobs(t);

  const postEmails = (t: T) => t.run(async (ctx) => (await ctx.db.query("emails").collect()).filter((e) => e.kind === "post"));
  const sendView = (t: T, w: World, sendId: Id<"emailSends">) => as(t, w.users.editor).query(api.sends.get, { siteId: w.siteId, sendId });

  async function expectExactCounters(t: T, sendId: Id<"emailSends">) {
    const audit = (await t.query(internal.sends.audit, { sendId }))!;
    const nonZero = Object.fromEntries(Object.entries(audit.counts).filter(([, n]) => n !== 0));
    expect(nonZero).toEqual(audit.recount);
    expect(audit.total).toBe(Object.values(audit.recount).reduce((a, b) => a + b, 0));
  }

  async function paywallWorld() {
    const s = await setup();
    const { t, w, newsletterId } = s;
    const free = await addAudienceMember(t, w.siteId, newsletterId, "free@reader.example", "free");
    const paid = await addAudienceMember(t, w.siteId, newsletterId, "paid@reader.example", "paid");
    const comped = await addAudienceMember(t, w.siteId, newsletterId, "comped@reader.example", "comped");
    await addAudienceMember(t, w.siteId, newsletterId, "gone@reader.example", "paid", "unsubscribed");
    // Another site's paid member of its own newsletter.
    const otherNewsletter = await addNewsletter(t, w.otherSiteId);
    await addAudienceMember(t, w.otherSiteId, otherNewsletter, "otherpaid@reader.example", "paid");
    // A lapsed subscriber: paid while the subscription ran; it ended, the paid sync made them free.
    const lapsedUser = await createUser(t, "Lapsed Reader", { email: "lapsed@reader.example" });
    await addAudienceMember(t, w.siteId, newsletterId, "lapsed@reader.example", "paid", "subscribed", lapsedUser);
    await t.run(async (ctx) => {
      const now = Date.now();
      const planId = (await ctx.db.query("subscriptionPlans").collect()).find((p) => p.siteId === w.siteId)!._id;
      await ctx.db.insert("subscriptions", { siteId: w.siteId, userId: lapsedUser, planId, status: "canceled", currentPeriodStart: now - 60 * 86_400_000, currentPeriodEnd: now - 86_400_000, cancelAtPeriodEnd: false, createdAt: now, updatedAt: now });
      await syncPaidAccess(ctx, w.siteId, lapsedUser);
    });
    return { ...s, free, paid, comped };
  }

  test("publish with email: one email per subscribed member, counters exact, the post is live and marked emailed", async () => {
    const { t, w, newsletterId, editor } = await paywallWorld();
    const postId = await featuredPost(t, w);
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    const [send] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    expect(send).toMatchObject({ status: "queued", postTitle: "Big story", segment: "all", newsletterName: "Weekly" });
    await drain(t);
    const view = (await sendView(t, w, send._id))!;
    expect(view.status).toBe("sent");
    expect(view.total).toBe(4);
    expect(view.counts).toMatchObject({ queued: 0, sent: 4, skipped: 0, failed: 0 });
    expect(view.finishedAt).not.toBeNull();
    const mails = await postEmails(t);
    expect(mails.map((m) => m.to).sort()).toEqual(["comped@reader.example", "free@reader.example", "lapsed@reader.example", "paid@reader.example"]);
    await expectExactCounters(t, send._id);
    const post = await t.run((ctx) => ctx.db.get("posts", postId));
    expect(post?.status).toBe("published");
    expect(post?.emailedAt).toBeTypeOf("number");
  });

  test("paywall leak: free, lapsed and other-site members never get a featured post's body; paid and comped do", async () => {
    const { t, w, newsletterId, editor } = await paywallWorld();
    const postId = await featuredPost(t, w);
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    await drain(t);
    const mails = await postEmails(t);
    const to = (address: string) => mails.filter((m) => m.to === address);
    for (const address of ["free@reader.example", "lapsed@reader.example"]) {
      const [m] = to(address);
      expect(m.text).not.toContain("SECRET-BODY-TEXT");
      expect(m.html).not.toContain("SECRET-BODY-TEXT");
      expect(m.text).toContain("Upgrade to read the whole post");
    }
    for (const address of ["paid@reader.example", "comped@reader.example"]) expect(to(address)[0].html).toContain("SECRET-BODY-TEXT");
    // Another site's paid member (and an unsubscribed one) get nothing at all.
    expect(to("otherpaid@reader.example")).toEqual([]);
    expect(to("gone@reader.example")).toEqual([]);
    // No message that went to a free recipient carries the body, anywhere.
    const freeDeliveries = await t.run(async (ctx) => (await ctx.db.query("emailDeliveries").collect()).filter((d) => d.access === "teaser").map((d) => d.email));
    expect(freeDeliveries.sort()).toEqual(["free@reader.example", "lapsed@reader.example"]);
  });

  test("each copy carries its recipient's own signed links and the List-Unsubscribe headers", async () => {
    const { t, w, newsletterId, editor, free } = await paywallWorld();
    const postId = await featuredPost(t, w);
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "free" } });
    await drain(t);
    const m = (await postEmails(t)).find((e) => e.to === "free@reader.example")!;
    const token = m.text.match(/email\/unsubscribe\?token=([^\s)]+)/)?.[1];
    expect(token).toBeDefined();
    // The link's token unsubscribes exactly this member (the same rule as the page R serves).
    await t.mutation(api.audience.unsubscribe, { token: decodeURIComponent(token!) });
    expect((await t.run((ctx) => ctx.db.get("audienceMembers", free)))?.emailState).toBe("unsubscribed");
    // Headers are built per message from the same claim (what the provider receives).
    const claim: ClaimedBatch = {
      siteId: w.siteId, siteSlug: "daily", fromName: "The Daily Desk", replyTo: null, idempotencyKey: "k",
      recipients: [{ deliveryId: "d" as Id<"emailDeliveries">, memberId: free, email: "free@reader.example", access: "full" }],
      renders: { full: { subject: "S", html: "<p>https://recipient.invalid/unsubscribe/x</p>", text: "", placeholders: { unsubscribe: "https://recipient.invalid/unsubscribe/x", preferences: "https://recipient.invalid/preferences/x" } }, teaser: null },
    };
    const [message] = await batchMessages(claim);
    expect(message.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(message.headers["List-Unsubscribe"]).toMatch(/^<.+\/unsubscribe\?token=m1\./);
    expect(message.html).toContain("https://app.example/daily/email/unsubscribe?token=m1.");
    expect(message.tags).toEqual([{ name: "delivery", value: "d" }]);
  });

  test("segments: free gets free members only, paid gets paid and comped", async () => {
    const { t, w, newsletterId, editor } = await paywallWorld();
    const a = await featuredPost(t, w, "For free");
    const b = await featuredPost(t, w, "For paid");
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: a, email: { newsletterId, segment: "free" } });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: b, email: { newsletterId, segment: "paid" } });
    await drain(t);
    const mails = await postEmails(t);
    expect(mails.filter((m) => m.subject === "For free").map((m) => m.to).sort()).toEqual(["free@reader.example", "lapsed@reader.example"]);
    expect(mails.filter((m) => m.subject === "For paid").map((m) => m.to).sort()).toEqual(["comped@reader.example", "paid@reader.example"]);
  });

  test("suppressed addresses are skipped and counted; a second send of the same post skips members already emailed", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await addAudienceMember(t, w.siteId, newsletterId, "ok@reader.example", "free");
    await addAudienceMember(t, w.siteId, newsletterId, "bounced@reader.example", "free");
    await t.run((ctx) => ctx.db.insert("emailSuppressions", { email: "bounced@reader.example", reason: "bounce", firstEventAt: 1, lastEventAt: 1, providerEventId: "msg_x" }));
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Hello", doc: doc("Hi.") });
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    await drain(t);
    const [first] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    expect(first.counts).toMatchObject({ sent: 1, skipped: 1 });
    expect((await postEmails(t)).map((m) => m.to)).toEqual(["ok@reader.example"]);
    // Later: a new member joins; sending the published post again reaches only them.
    await addAudienceMember(t, w.siteId, newsletterId, "late@reader.example", "free");
    const again = await editor.mutation(api.sends.sendPublished, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    await drain(t);
    const second = (await sendView(t, w, again))!;
    expect(second).toMatchObject({ status: "sent", total: 2 });
    expect(second.counts).toMatchObject({ sent: 1, skipped: 1 });
    expect((await postEmails(t)).map((m) => m.to).sort()).toEqual(["late@reader.example", "ok@reader.example"]);
    await expectExactCounters(t, first._id);
    await expectExactCounters(t, again);
  });

  test("email only sends the draft without putting the post on the site", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await addAudienceMember(t, w.siteId, newsletterId, "a@reader.example", "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Letter", doc: doc("Draft words.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    // The content is frozen at start: a later draft edit does not reach the email.
    const draft = await editor.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    await editor.mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: draft.draft.version, doc: doc("Edited after send.") });
    await drain(t);
    expect((await sendView(t, w, sendId))?.status).toBe("sent");
    const [m] = await postEmails(t);
    expect(m.text).toContain("Draft words.");
    expect(m.text).not.toContain("Edited after send.");
    const post = await t.run((ctx) => ctx.db.get("posts", postId));
    expect(post?.status).toBe("draft");
    expect(post?.emailedAt).toBeTypeOf("number");
  });

  test("cancel mid-send: the batch already handed over stays sent, the rest is cancelled and never emailed", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await t.run(async (ctx) => {
      const now = Date.now();
      for (let i = 0; i < 250; i++) {
        const memberId = await ctx.db.insert("audienceMembers", { siteId: w.siteId, email: `m${i}@bulk.example`, access: "free", emailState: "subscribed", source: "import", createdAt: now, updatedAt: now });
        await ctx.db.insert("memberNewsletters", { siteId: w.siteId, memberId, newsletterId, createdAt: now });
      }
    });
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Bulk", doc: doc("Hi.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    await t.action(internal.sends.render, { sendId });
    for (let i = 0; i < 3; i++) await t.mutation(internal.sends.planPage, { sendId });
    await t.action(internal.sends.sendBatch, { sendId, batch: 0 });
    expect((await sendView(t, w, sendId))?.counts).toMatchObject({ sent: 100, queued: 150 });
    await editor.mutation(api.sends.cancel, { siteId: w.siteId, sendId });
    await drain(t);
    const view = (await sendView(t, w, sendId))!;
    expect(view).toMatchObject({ status: "cancelled", total: 250 });
    expect(view.counts).toMatchObject({ sent: 100, cancelled: 150, queued: 0 });
    expect(view.finishedAt).not.toBeNull();
    // The dispatcher's own run of batch 0 found it recorded and sent nothing: the outbox has one copy.
    expect((await postEmails(t)).length).toBe(100);
    await expectExactCounters(t, sendId);
  });

  /** Two free members, a post emailed to them, planned, and its first batch claimed (fake timers on: nothing runs by itself). */
  async function claimedFirstBatch(title: string) {
    const s = await setup();
    const { t, w, newsletterId, editor } = s;
    for (const e of ["x@reader.example", "y@reader.example"]) await addAudienceMember(t, w.siteId, newsletterId, e, "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title, doc: doc("Hi.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    await t.action(internal.sends.render, { sendId });
    await t.mutation(internal.sends.planPage, { sendId });
    const claim = (await t.mutation(internal.sends.claimBatch, { sendId, batch: 0 })) as ClaimedBatch;
    return { ...s, sendId, claim };
  }

  test("exactly once: a batch the provider accepted but whose result was never recorded is not sent twice", async () => {
    // The interrupted attempt: claimed, handed to the provider (outbox), then the action died.
    const { t, w, sendId, claim } = await claimedFirstBatch("Once");
    const messages = await batchMessages(claim);
    await t.mutation(internal.emails.enqueueBatch, { idempotencyKey: claim.idempotencyKey, messages: messages.map((m) => ({ to: m.to, subject: m.subject, text: m.text, html: m.html })) });
    expect((await sendView(t, w, sendId))?.counts.queued).toBe(2);
    await drain(t);
    expect((await postEmails(t)).map((m) => m.to).sort()).toEqual(["x@reader.example", "y@reader.example"]);
    expect((await sendView(t, w, sendId))?.counts).toMatchObject({ sent: 2, queued: 0 });
    await expectExactCounters(t, sendId);
  });

  test("recording a batch whose result names a row twice moves that row (and its counters) once", async () => {
    const { t, w, sendId, claim } = await claimedFirstBatch("Twice");
    const [x, y] = claim.recipients.map((r) => r.deliveryId);
    // The rows are read in waves at once; a repeated row must not be moved twice.
    await t.mutation(internal.sends.recordBatch, {
      sendId,
      batch: 0,
      results: [{ deliveryId: x, providerId: "re_1" }, { deliveryId: x, providerId: "re_2" }, { deliveryId: y, providerId: "re_3" }],
    });
    expect((await sendView(t, w, sendId))?.counts).toMatchObject({ sent: 2, queued: 0 });
    await expectExactCounters(t, sendId);
    const providerIds = await t.run(async (ctx) => [(await ctx.db.get("emailDeliveries", x))!.providerId, (await ctx.db.get("emailDeliveries", y))!.providerId]);
    expect(providerIds).toEqual(["re_1", "re_3"]);
  });

  test("watchdog: a planning page that fails ends the send as failed instead of leaving it sending", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await addAudienceMember(t, w.siteId, newsletterId, "p@reader.example", "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Broken plan", doc: doc("Hi.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    await t.action(internal.sends.render, { sendId });
    // The scheduled planning page will throw (its cursor is unreadable).
    await t.run((ctx) => ctx.db.patch("emailSends", sendId, { planCursor: "not-a-cursor" }));
    await drain(t);
    const view = (await sendView(t, w, sendId))!;
    expect(view.status).toBe("failed");
    expect(view.finishedAt).not.toBeNull();
    expect((await t.run((ctx) => ctx.db.get("emailSends", sendId)))?.error).toMatch(/^Planning failed: /);
    expect(await postEmails(t)).toEqual([]);
  });

  test("a member who unsubscribes (or an address suppressed) after planning, before the batch goes out, is not emailed", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await addAudienceMember(t, w.siteId, newsletterId, "stays@reader.example", "free");
    const leaves = await addAudienceMember(t, w.siteId, newsletterId, "leaves@reader.example", "free");
    await addAudienceMember(t, w.siteId, newsletterId, "bounces@reader.example", "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Late change", doc: doc("Hi.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    await t.action(internal.sends.render, { sendId });
    await t.mutation(internal.sends.planPage, { sendId });
    await t.run(async (ctx) => {
      await ctx.db.patch("audienceMembers", leaves, { emailState: "unsubscribed" });
      await ctx.db.insert("emailSuppressions", { email: "bounces@reader.example", reason: "bounce", firstEventAt: 1, lastEventAt: 1, providerEventId: "msg_y" });
    });
    await drain(t);
    expect((await postEmails(t)).map((m) => m.to)).toEqual(["stays@reader.example"]);
    expect((await sendView(t, w, sendId))?.counts).toMatchObject({ sent: 1, cancelled: 1, skipped: 1, queued: 0 });
    await expectExactCounters(t, sendId);
  });

  test("scheduled publish with email: the send starts when the schedule runs", async () => {
    const { t, w, newsletterId, editor } = await setup();
    await addAudienceMember(t, w.siteId, newsletterId, "a@reader.example", "free");
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Later", doc: doc("Hi.") });
    await editor.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 60_000, email: { newsletterId, segment: "all" } });
    expect(await editor.query(api.sends.forPost, { siteId: w.siteId, postId })).toEqual([]);
    await drain(t);
    const sends = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    expect(sends.map((s) => [s.status, s.counts.sent])).toEqual([["sent", 1]]);
    expect((await t.run((ctx) => ctx.db.get("posts", postId)))?.scheduledEmail).toBeUndefined();
  });

  test("bad input: archived, unknown-kind and other site's newsletters, bad segment, no title → catalogue codes, nothing published", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Fine", doc: doc("Hi.") });
    const otherNewsletter = await addNewsletter(t, w.otherSiteId);
    const archived = await addNewsletter(t, w.siteId, { archived: true });
    const publish = (email: { newsletterId: Id<"newsletters">; segment: string }) => errorCode(editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email }));
    expect(await publish({ newsletterId: otherNewsletter, segment: "all" })).toBe("NOT_FOUND");
    expect(await publish({ newsletterId: archived, segment: "all" })).toBe("INVALID_STATE");
    expect(await publish({ newsletterId, segment: "everyone" })).toBe("INVALID_ARGUMENT");
    expect((await t.run((ctx) => ctx.db.get("posts", postId)))?.status).toBe("draft");
    const untitled = await editor.mutation(api.posts.create, { siteId: w.siteId, doc: doc("No title.") });
    expect(await errorCode(editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId: untitled, newsletterId, segment: "all" }))).toBe("INVALID_STATE");
    expect(await errorCode(editor.mutation(api.sends.sendPublished, { siteId: w.siteId, postId, newsletterId, segment: "all" }))).toBe("INVALID_STATE");
    expect(await errorCode(editor.mutation(api.posts.schedule, { siteId: w.siteId, postId, scheduledAt: Date.now() + 60_000, email: { newsletterId, segment: "x" } }))).toBe("INVALID_ARGUMENT");
  });

  test("cross-tenant read: another site's owner cannot read, cancel, preview or send this site's sends", async () => {
    const { t, w, newsletterId, editor } = await setup();
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Mine", doc: doc("Hi.") });
    const sendId = await editor.mutation(api.sends.emailOnly, { siteId: w.siteId, postId, newsletterId, segment: "all" });
    const outsider = as(t, w.users.outsider);
    expect(await errorCode(outsider.query(api.sends.get, { siteId: w.siteId, sendId }))).toBe("NOT_FOUND");
    expect(await errorCode(outsider.mutation(api.sends.cancel, { siteId: w.siteId, sendId }))).toBe("NOT_FOUND");
    expect(await errorCode(outsider.query(api.sends.preview, { siteId: w.siteId, postId, access: "full" }))).toBe("NOT_FOUND");
    // Through their own site: the ids belong to another tenant.
    expect(await outsider.query(api.sends.get, { siteId: w.otherSiteId, sendId })).toBeNull();
    expect(await errorCode(outsider.mutation(api.sends.cancel, { siteId: w.otherSiteId, sendId }))).toBe("NOT_FOUND");
    expect(await errorCode(outsider.query(api.sends.forPost, { siteId: w.otherSiteId, postId }))).toBe("NOT_FOUND");
    expect(await errorCode(outsider.mutation(api.sends.emailOnly, { siteId: w.otherSiteId, postId, newsletterId, segment: "all" }))).toBe("NOT_FOUND");
    // Authors below editor may not send or watch sends (audience.manage).
    expect(await errorCode(as(t, w.users.author).query(api.sends.get, { siteId: w.siteId, sendId }))).toBe("FORBIDDEN");
    expect(await errorCode(as(t, w.users.author).mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } }))).toBe("FORBIDDEN");
  });

  test("preview renders the draft (teaser without the body) and test send mails the viewer only", async () => {
    const { t, w, editor } = await setup();
    const postId = await featuredPost(t, w);
    const full = await editor.query(api.sends.preview, { siteId: w.siteId, postId, access: "full" });
    const teaser = await editor.query(api.sends.preview, { siteId: w.siteId, postId, access: "teaser" });
    expect(full.subject).toBe("Big story");
    expect(full.html).toContain("SECRET-BODY-TEXT");
    expect(teaser.html).not.toContain("SECRET-BODY-TEXT");
    expect(teaser.text).not.toContain("SECRET-BODY-TEXT");
    await editor.mutation(api.sends.testSend, { siteId: w.siteId, postId });
    await drain(t);
    const tests = await t.run(async (ctx) => (await ctx.db.query("emails").collect()).filter((e) => e.kind === "post-test"));
    const editorEmail = (await t.run((ctx) => ctx.db.get("users", w.users.editor)))!.email;
    expect(tests.map((m) => m.to)).toEqual([editorEmail, editorEmail]);
    expect(tests.filter((m) => m.html?.includes("SECRET-BODY-TEXT")).length).toBe(1);
  });

  test("the provider's webhooks move a send's counts on its counter shards and never write the send's row (where its dispatch state lives)", async () => {
    const { t, w, newsletterId, editor } = await paywallWorld();
    const postId = await featuredPost(t, w);
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    await drain(t);
    const [send] = await editor.query(api.sends.forPost, { siteId: w.siteId, postId });
    const deliveries = await t.run(async (ctx) => (await ctx.db.query("emailDeliveries").collect()).filter((d) => d.sendId === send._id));
    const row = await t.run((ctx) => ctx.db.get("emailSends", send._id));
    for (const [i, d] of deliveries.entries()) {
      const type = i === 0 ? "email.bounced" : "email.delivered";
      await t.mutation(internal.suppressions.applyEvent, { eventId: `evt-${i}`, type, to: [d.email], at: Date.now(), deliveryId: d._id });
    }
    // Under optimistic concurrency a write to that row makes every send mutation that read it run
    // again; a 100,000-email send brings 100,000 "delivered" events within minutes.
    expect(await t.run((ctx) => ctx.db.get("emailSends", send._id))).toEqual(row);
    expect((await sendView(t, w, send._id))!.counts).toMatchObject({ sent: 0, delivered: 3, bounced: 1 });
    await expectExactCounters(t, send._id);
  });

  test("deleting a post deletes its sends, their rendered contents, counter shards and every delivery (cascade in steps)", async () => {
    const { t, w, newsletterId, editor } = await paywallWorld();
    const postId = await featuredPost(t, w);
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId, email: { newsletterId, segment: "all" } });
    await drain(t);
    const keptId = await featuredPost(t, w, "Kept story");
    await editor.mutation(api.posts.publish, { siteId: w.siteId, postId: keptId, email: { newsletterId, segment: "all" } });
    await drain(t);
    const rows = (postId: Id<"posts">) =>
      t.run(async (ctx) => {
        const sends = (await ctx.db.query("emailSends").collect()).filter((x) => x.postId === postId);
        const ids = new Set(sends.map((x) => x._id));
        return {
          sends: sends.length,
          contents: (await ctx.db.query("emailSendContents").collect()).filter((c) => ids.has(c.sendId)).length,
          shards: (await ctx.db.query("emailSendCountShards").collect()).filter((c) => ids.has(c.sendId)).length,
          deliveries: (await ctx.db.query("emailDeliveries").collect()).filter((d) => d.postId === postId).length,
        };
      });
    const before = await rows(postId);
    expect(before.sends).toBe(1);
    expect(before.contents).toBeGreaterThan(0);
    expect(before.shards).toBeGreaterThan(0); // the batch's queued → sent moves
    expect(before.deliveries).toBe(4); // free, paid, comped, lapsed (not the unsubscribed one)
    await editor.mutation(api.posts.remove, { siteId: w.siteId, postId });
    await drain(t);
    expect(await rows(postId)).toEqual({ sends: 0, contents: 0, shards: 0, deliveries: 0 });
    // Another post's send is untouched.
    expect((await rows(keptId)).deliveries).toBe(4);
  });

  test("mail flood through test sends: a user's test sends are limited per hour (RATE_LIMITED), another user's are not", async () => {
    const { t, w, editor } = await setup();
    const postId = await featuredPost(t, w);
    for (let i = 0; i < MAX_TEST_SENDS_PER_HOUR; i++) await editor.mutation(api.sends.testSend, { siteId: w.siteId, postId });
    expect(await errorCode(editor.mutation(api.sends.testSend, { siteId: w.siteId, postId }))).toBe("RATE_LIMITED");
    await as(t, w.users.owner).mutation(api.sends.testSend, { siteId: w.siteId, postId });
  });
});
