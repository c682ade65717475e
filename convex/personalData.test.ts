import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { DataItem, DataRange, PersonalSummary } from "./model/personalData";
import schema from "./schema";

// account.personalData / personalDataPage (issue #17): everything Pressroom holds about the viewer,
// the long lists paged. Two users share a site and each has a row in every table read; the download
// of one must hold all of theirs and nothing of the other's. The route (streamed JSON) is tested in
// tests/integration/personal-data.test.ts.

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

/** Every table personalData reads, filled for one user on one site; returns ids to look for. */
async function seedPerson(t: T, siteId: Id<"sites">, userId: Id<"users">, tag: string, posts: number) {
  return await t.run(async (ctx) => {
    const now = Date.now();
    const email = `${tag}@example.com`;
    await ctx.db.patch("users", userId, { email, phone: `+1555${tag.length}000` });
    await ctx.db.insert("userProfiles", { userId, bio: `bio of ${tag}`, website: `https://${tag}.example`, createdAt: now, updatedAt: now });
    await ctx.db.insert("authAccounts", { userId, provider: "password", providerAccountId: email, secret: `HASH-${tag}` });
    const memberId = await ctx.db.insert("siteMembers", { siteId, userId, role: "author", authorSlug: `slug-${tag}`, createdAt: now });
    const postIds: Id<"posts">[] = [];
    for (let i = 0; i < posts; i++) {
      const postId = await ctx.db.insert("posts", {
        siteId,
        authorId: userId,
        authorName: tag,
        title: `${tag} post ${i}`,
        slug: `${tag}-post-${i}`,
        status: i % 2 ? "published" : "draft",
        featured: false,
        tagIds: [],
        publishedAt: i % 2 ? now - i : undefined,
        createdAt: now,
        updatedAt: now,
      });
      await ctx.db.insert("postBodies", {
        siteId,
        postId,
        kind: "draft",
        version: 1,
        title: `${tag} post ${i}`,
        doc: doc(`${tag} body ${i}`),
        text: `${tag} body ${i}`,
        searchText: `${tag} post ${i} ${tag} body ${i}`,
        wordCount: 3,
        updatedAt: now,
        updatedBy: userId,
      });
      postIds.push(postId);
    }
    const audienceId = await ctx.db.insert("audienceMembers", {
      siteId,
      email,
      userId,
      name: tag,
      access: "paid",
      emailState: "subscribed",
      source: "signedIn",
      createdAt: now,
      updatedAt: now,
    });
    const newsletterId = await ctx.db.insert("newsletters", { siteId, name: `Letters for ${tag}`, senderName: "S", defaultOn: true, createdAt: now });
    await ctx.db.insert("memberNewsletters", { siteId, memberId: audienceId, newsletterId, createdAt: now });
    const planId = await ctx.db.insert("subscriptionPlans", {
      siteId, name: `Plan ${tag}`, priceCents: 500, currency: "usd", interval: "month", features: [], isActive: true, sortOrder: 0, createdAt: now, updatedAt: now,
    });
    const subscriptionId = await ctx.db.insert("subscriptions", {
      siteId, userId, planId, status: "active", currentPeriodStart: now, currentPeriodEnd: now + 1, cancelAtPeriodEnd: false, createdAt: now, updatedAt: now,
    });
    await ctx.db.insert("payments", { siteId, userId, subscriptionId, amountCents: 500 + tag.length, currency: "usd", status: "succeeded", description: `payment ${tag}`, createdAt: now });
    await ctx.db.insert("notifications", { userId, siteId, type: "site_invite", title: `note for ${tag}`, read: false, createdAt: now });
    await ctx.db.insert("emails", { to: email, subject: `subject for ${tag}`, text: `CODE-${tag}`, kind: "sign-in-code", createdAt: now, provider: "outbox" });
    await ctx.db.insert("siteInvites", { siteId, email, role: "editor", token: `${siteId}.tok-${tag}`, invitedBy: userId, expiresAt: now + 1000, createdAt: now });
    await ctx.db.insert("auditLogs", { siteId, actorId: userId, action: `did.${tag}`, entityType: "post", entityId: postIds[0] ?? "x", diff: "{}", createdAt: now });
    await ctx.db.insert("auditLogs", { siteId, action: `about.member.${tag}`, entityType: "siteMember", entityId: memberId, diff: "{}", createdAt: now });
    await ctx.db.insert("auditLogs", { action: `about.user.${tag}`, entityType: "user", entityId: userId, diff: "{}", createdAt: now });
    const counts = { queued: 0, sent: 1, delivered: 0, bounced: 0, complained: 0, failed: 0, skipped: 0, cancelled: 0 };
    const sendId = await ctx.db.insert("emailSends", {
      siteId, postId: postIds[0]!, newsletterId, segment: "all", status: "sent", source: "publish", createdBy: userId, fromName: "S",
      postTitle: "t", newsletterName: "n", total: 1, counts, planDone: true, batches: 1, batchesDone: 1, createdAt: now,
    } as never);
    await ctx.db.insert("emailDeliveries", {
      siteId, sendId, postId: postIds[0]!, memberId: audienceId, email, access: "full", status: "sent", batch: 0, attempts: 1, createdAt: now, updatedAt: now,
    });
    return { memberId, audienceId, postIds, email };
  });
}

/** The whole download the way the route assembles it: the summary, then every range page by page. */
async function download(t: T, userId: Id<"users">, numItems = 2) {
  const client = as(t, userId);
  const summary: PersonalSummary = await client.query(api.account.personalData, {});
  const items: DataItem[] = [];
  let pages = 0;
  for (const range of summary.ranges) {
    let cursor: string | null = null;
    for (;;) {
      const r: { page: DataItem[]; isDone: boolean; continueCursor: string } = await client.query(api.account.personalDataPage, { range, paginationOpts: { numItems, cursor } });
      items.push(...r.page);
      pages++;
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
  }
  return { summary, items, pages };
}

describe.each(backends)("personal data on %s", (_name, convexTest) => {
  async function twoPeople() {
    const t = convexTest(schema, modules);
    const ada = await createUser(t, "Ada");
    const bob = await createUser(t, "Bob");
    const siteId = await t.run(async (ctx) => ctx.db.insert("sites", { name: "Shared Times", slug: "shared", ownerId: bob, createdAt: 1, updatedAt: 1 }));
    const adaIds = await seedPerson(t, siteId, ada, "ada", 5);
    const bobIds = await seedPerson(t, siteId, bob, "bob", 3);
    return { t, ada, bob, siteId, adaIds, bobIds };
  }

  test("the download holds every part of the viewer's data, the long lists paged", async () => {
    const { t, ada, siteId, adaIds } = await twoPeople();
    const { summary, items, pages } = await download(t, ada);
    expect(summary.profile).toMatchObject({ userId: ada, name: "Ada", email: "ada@example.com", bio: "bio of ada", website: "https://ada.example" });
    expect(summary.authAccounts).toEqual([{ provider: "password", email: "ada@example.com" }]);
    expect(summary.siteMemberships).toEqual([{ siteId, siteName: "Shared Times", siteSlug: "shared", role: "author", authorSlug: "slug-ada", joinedAt: expect.any(Number) }]);
    expect(summary.audienceMemberships).toEqual([expect.objectContaining({ siteId, email: "ada@example.com", access: "paid", newsletters: ["Letters for ada"] })]);
    expect(summary.subscriptions).toEqual([expect.objectContaining({ siteId, plan: "Plan ada", status: "active" })]);
    expect(summary.payments).toEqual([expect.objectContaining({ amountCents: 503, description: "payment ada" })]);
    expect(summary.invitations).toEqual([expect.objectContaining({ siteId, role: "editor" })]);

    const posts = items.filter((i) => i.kind === "post");
    expect(posts.map((p) => p.title).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `ada post ${i}`));
    const post3 = posts.find((p) => p.slug === "ada-post-3")!;
    expect(post3).toMatchObject({ status: "published", text: "ada body 3", siteName: "Shared Times" });
    expect(JSON.parse(post3.doc!)).toEqual(JSON.parse(doc("ada body 3")));
    expect(items.filter((i) => i.kind === "notification").map((n) => n.title)).toEqual(["note for ada"]);
    expect(items.filter((i) => i.kind === "email")).toEqual([expect.objectContaining({ emailKind: "sign-in-code", subject: "subject for ada" })]);
    const audit = items.filter((i) => i.kind === "audit");
    expect(audit.map((a) => a.action).sort()).toEqual(["about.member.ada", "about.user.ada", "did.ada"]);
    expect(audit.find((a) => a.action === "did.ada")).toMatchObject({ byYou: true });
    expect(items.filter((i) => i.kind === "delivery")).toEqual([expect.objectContaining({ siteId, postId: adaIds.postIds[0], status: "sent" })]);
    // 5 posts in pages of 2 (3 pages), so paging ran.
    expect(pages).toBeGreaterThan(summary.ranges.length);
  });

  test("cross-tenant read: a user cannot download another user's data (same site, none of Bob's rows)", async () => {
    const { t, ada, bobIds } = await twoPeople();
    const all = JSON.stringify(await download(t, ada, 100));
    for (const needle of ["bob@example.com", "bob post", "bob body", "bio of bob", "Plan bob", "payment bob", "note for bob", "subject for bob", "did.bob", "about.member.bob", "about.user.bob", "Letters for bob", bobIds.memberId, bobIds.audienceId, ...bobIds.postIds]) {
      expect(all, needle).not.toContain(needle);
    }
    expect(all).toContain("ada post 0");
  });

  test("cross-tenant read: a hand-made range naming another user's member rows is refused", async () => {
    const { t, ada, siteId, bobIds } = await twoPeople();
    const opts = { numItems: 10, cursor: null };
    const forged: DataRange[] = [
      { part: "auditAbout", siteId, entityId: bobIds.memberId },
      { part: "auditAbout", siteId, entityId: bobIds.audienceId },
      { part: "deliveries", siteId, memberId: bobIds.audienceId },
    ];
    for (const range of forged) expect(await code(as(t, ada).query(api.account.personalDataPage, { range, paginationOpts: opts }))).toBe("FORBIDDEN");
    // An entity id that is not a member row at all (someone else's user id) is refused too.
    const bobUser = await t.run(async (ctx) => (await ctx.db.query("users").withIndex("email", (q) => q.eq("email", "bob@example.com")).unique())!._id);
    expect(await code(as(t, ada).query(api.account.personalDataPage, { range: { part: "auditAbout", siteId: null, entityId: bobUser }, paginationOpts: opts }))).toBe("FORBIDDEN");
  });

  test("secrets never leave: no password hash, no email body (codes)", async () => {
    const { t, ada } = await twoPeople();
    const all = JSON.stringify(await download(t, ada, 100));
    expect(all).not.toContain("HASH-ada");
    expect(all).not.toContain("CODE-ada");
  });

  test("signed out: UNAUTHENTICATED, there is no user argument", async () => {
    const { t } = await twoPeople();
    expect(await code(t.query(api.account.personalData, {}))).toBe("UNAUTHENTICATED");
    expect(await code(t.query(api.account.personalDataPage, { range: { part: "posts" }, paginationOpts: { numItems: 1, cursor: null } }))).toBe("UNAUTHENTICATED");
  });
});
