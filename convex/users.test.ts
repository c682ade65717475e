// Over 400 lines: one suite per module, on both backends; the cases are independent.
import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, doc, type T } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id, TableNames } from "./_generated/dataModel";
import { storedPostCount } from "./model/publication";
import schema from "./schema";

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

/** Inserts `n` draft posts (with draft bodies and one revision each) straight into the database. */
async function seedPosts(t: T, siteId: Id<"sites">, authorId: Id<"users">, authorName: string, n: number, prefix = "p") {
  const ids: Id<"posts">[] = [];
  for (let start = 0; start < n; start += 300) {
    ids.push(
      ...(await t.run(async (ctx) => {
        const out = [];
        const now = Date.now();
        for (let i = start; i < Math.min(n, start + 300); i++) {
          const title = `${prefix} ${i}`;
          const postId = await ctx.db.insert("posts", {
            siteId,
            authorId,
            authorName,
            title,
            slug: `${prefix}-${i}`,
            status: "draft",
            featured: false,
            tagIds: [],
            createdAt: now,
            updatedAt: now,
          });
          const d = doc(`Body of ${title}`);
          await ctx.db.insert("postBodies", {
            siteId,
            postId,
            kind: "draft",
            version: 1,
            title,
            doc: d,
            text: `Body of ${title}`,
            searchText: `${title}\nBody of ${title}`,
            wordCount: 3,
            updatedAt: now,
            updatedBy: authorId,
          });
          await ctx.db.insert("postRevisions", {
            siteId,
            postId,
            number: 1,
            reason: "save",
            title,
            doc: d,
            authorId,
            authorName,
            createdAt: now,
          });
          out.push(postId);
        }
        return out;
      })),
    );
  }
  return ids;
}

async function postsBy(t: T, siteId: Id<"sites">, authorId: Id<"users">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("posts")
      .withIndex("by_siteId_and_authorId", (q) => q.eq("siteId", siteId).eq("authorId", authorId))
      .collect(),
  );
}

const TABLES = Object.keys(schema.tables) as TableNames[];

/** Every document, in every table, whose JSON mentions `needle` (an id): `{table: docs}`. */
async function mentions(t: T, needle: string) {
  const found: Record<string, any[]> = {};
  for (const table of TABLES) {
    const hits = await t.run(async (ctx) => (await ctx.db.query(table).collect()).filter((d: any) => JSON.stringify(d).includes(needle)));
    if (hits.length) found[table] = hits;
  }
  return found;
}

async function runScheduled(t: T) {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

afterEach(() => {
  vi.useRealTimers();
});

describe.each(backends)("users on %s", (_name, convexTest) => {
  test("profile: created on first update, validated, audited at platform level", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    expect(await author.query(api.users.getProfile, {})).toMatchObject({
      _id: w.users.author,
      name: "Author daily",
      email: "author.daily@example.com",
      role: "user",
      bio: null,
      website: null,
    });
    expect(await t.run(async (ctx) => ctx.db.query("userProfiles").collect())).toEqual([]);
    for (const website of ["javascript:alert(1)", "ftp://example.com", "example.com", "https://"]) {
      expect(await code(author.mutation(api.users.updateProfile, { website }))).toBe("INVALID_ARGUMENT");
    }
    expect(await code(author.mutation(api.users.updateProfile, { twitter: "not a handle" }))).toBe("INVALID_ARGUMENT");
    expect(await code(author.mutation(api.users.updateProfile, { bio: "x".repeat(1001) }))).toBe("INVALID_ARGUMENT");
    await author.mutation(api.users.updateProfile, { bio: "  Writes things.  ", website: "https://author.example.com", twitter: "@author_d", location: "Lisbon" });
    expect(await author.query(api.users.getProfile, {})).toMatchObject({
      bio: "Writes things.",
      website: "https://author.example.com/",
      twitter: "author_d",
      location: "Lisbon",
    });
    await author.mutation(api.users.updateProfile, { location: "" }); // clears one field, keeps the rest
    expect(await author.query(api.users.getProfile, {})).toMatchObject({ location: null, bio: "Writes things." });
    expect(await t.run(async (ctx) => (await ctx.db.query("userProfiles").collect()).length)).toBe(1);
    const logs = await t.run(async (ctx) => (await ctx.db.query("auditLogs").collect()).filter((l) => l.action === "user.profile"));
    expect(logs).toHaveLength(2);
    expect(logs[0].siteId).toBeUndefined();
    expect(JSON.parse(logs[0].diff)).toMatchObject({ bio: [null, "Writes things."] });
    expect(await code(t.mutation(api.users.updateProfile, { bio: "anon" }))).toBe("UNAUTHENTICATED");
  });

  test("getUserWithDetails: public details for anyone, email and role only for the user", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    await as(t, w.users.author).mutation(api.users.updateProfile, { bio: "Hi", website: "https://a.example.com" });
    const expected = { _id: w.users.author, name: "Author daily", bio: "Hi", website: "https://a.example.com/", image: null };
    for (const viewer of [t, as(t, w.users.reader), as(t, w.users.owner)]) {
      const d = await viewer.query(api.users.getUserWithDetails, { userId: w.users.author });
      expect(d).toMatchObject(expected);
      expect(d).not.toHaveProperty("email");
      expect(d).not.toHaveProperty("role");
      expect(JSON.stringify(d)).not.toContain("@example.com");
    }
    const self = await as(t, w.users.author).query(api.users.getUserWithDetails, { userId: w.users.author });
    expect(self).toMatchObject({ ...expected, email: "author.daily@example.com", role: "user" });
    await t.run(async (ctx) => ctx.db.patch("users", w.users.editor, { deletingAt: Date.now() }));
    expect(await t.query(api.users.getUserWithDetails, { userId: w.users.editor })).toBeNull();
  });

  test("updateUserName propagates authorName to every post in two sites, continuing through the scheduler", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    await addMember(t, w.otherSiteId, w.users.author, "author");
    const inDaily = await seedPosts(t, w.siteId, w.users.author, "Author daily", 7, "a");
    const inOther = await seedPosts(t, w.otherSiteId, w.users.author, "Author daily", 5, "b");
    const editors = await seedPosts(t, w.siteId, w.users.editor, "Editor daily", 2, "e");
    // One created through the API too, so the real shape is covered.
    const viaApi = await as(t, w.users.author).mutation(api.posts.create, { siteId: w.siteId, title: "Via API" });
    const author = as(t, w.users.author);
    expect(await code(author.mutation(api.users.updateUserName, { name: "   " }))).toBe("INVALID_ARGUMENT");
    expect(await code(author.mutation(api.users.updateUserName, { name: "x".repeat(101) }))).toBe("INVALID_ARGUMENT");

    vi.useFakeTimers();
    // Small steps through the internal twin (the public mutation takes no batch size).
    await t.mutation(internal.users.renameUserInBatches, { userId: w.users.author, name: "  Ada   Lovelace ", batchSize: 3 });
    // The first batch is done in the mutation itself; the rest is scheduled.
    const afterFirst = await t.run(async (ctx) => ctx.db.query("posts").collect());
    const renamedNow = afterFirst.filter((p) => p.authorName === "Ada Lovelace").length;
    expect(renamedNow).toBe(3);
    await runScheduled(t);
    vi.useRealTimers();

    expect(await author.query(api.users.getProfile, {})).toMatchObject({ name: "Ada Lovelace" });
    for (const siteId of [w.siteId, w.otherSiteId]) {
      const posts = await postsBy(t, siteId, w.users.author);
      expect(posts.length).toBeGreaterThan(0);
      for (const p of posts) expect(p.authorName).toBe("Ada Lovelace");
    }
    expect((await postsBy(t, w.siteId, w.users.author)).length).toBe(inDaily.length + 1);
    expect((await postsBy(t, w.otherSiteId, w.users.author)).length).toBe(inOther.length);
    const others = await t.run(async (ctx) => Promise.all(editors.map((id) => ctx.db.get("posts", id))));
    for (const p of others) expect(p!.authorName).toBe("Editor daily");
    expect((await t.run(async (ctx) => ctx.db.get("posts", viaApi)))!.authorName).toBe("Ada Lovelace");

    const log = await t.run(async (ctx) => (await ctx.db.query("auditLogs").collect()).find((l) => l.action === "user.rename"));
    expect(log!.siteId).toBeUndefined();
    expect(JSON.parse(log!.diff)).toEqual({ name: ["Author daily", "Ada Lovelace"] });
  });

  test("deleteUser refuses LAST_OWNER while others depend on the site, and works once ownership is shared", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const refused = await t.mutation(internal.users.deleteUser, { userId: w.users.owner }).catch((e) => e);
    expect(refused.data).toMatchObject({ code: "LAST_OWNER", siteId: w.siteId });
    expect((await t.run(async (ctx) => ctx.db.get("users", w.users.owner)))!.deletingAt).toBeUndefined();
    // Not an owner of the site: deleting their posts there is not theirs to choose.
    expect(
      await code(t.mutation(internal.users.deleteUser, { userId: w.users.editor, sites: [{ siteId: w.siteId, action: "delete" }] })),
    ).toBe("INVALID_ARGUMENT");
    expect(
      await code(t.mutation(internal.users.deleteUser, { userId: w.users.editor, sites: [{ siteId: w.otherSiteId, action: "reassign" }] })),
    ).toBe("INVALID_ARGUMENT");

    const ownersPost = await owner.mutation(api.posts.create, { siteId: w.siteId, title: "Owner's column" });
    await owner.mutation(api.members.changeRole, { siteId: w.siteId, userId: w.users.admin, role: "owner" });
    vi.useFakeTimers();
    const res = await t.mutation(internal.users.deleteUser, { userId: w.users.owner });
    expect(res.sites).toEqual([{ siteId: w.siteId, outcome: "reassignPosts" }]);
    // Signed out at once.
    expect(await code(owner.query(api.users.getProfile, {}))).toBe("USER_INACTIVE");
    await runScheduled(t);
    vi.useRealTimers();
    expect(await t.run(async (ctx) => ctx.db.get("users", w.users.owner))).toBeNull();
    const site = await t.run(async (ctx) => ctx.db.get("sites", w.siteId));
    expect(site!.ownerId).toBe(w.users.admin);
    const post = await t.run(async (ctx) => ctx.db.get("posts", ownersPost));
    expect(post).toMatchObject({ authorId: w.users.admin, authorName: "Admin daily" });
    const members = await as(t, w.users.admin).query(api.members.list, { siteId: w.siteId });
    expect(members.map((m) => m.role)).toEqual(["owner", "editor", "author", "contributor"]);
  });

  test("deleteUser cascades: nothing of the user is left but the audit trail and billing records", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const victim = w.users.author;
    const me = as(t, victim);
    const email = "author.daily@example.com";

    // 1. The daily (not owner): posts go to the owner, revisions lose the name.
    const tagId = await t.run(async (ctx) =>
      ctx.db.insert("tags", { siteId: w.siteId, name: "News", slug: "news", usageCount: 0, createdAt: 0, updatedAt: 0 }),
    );
    const published = await me.mutation(api.posts.create, { siteId: w.siteId, title: "Published piece", doc: doc("Text") });
    await me.mutation(api.posts.setTags, { siteId: w.siteId, postId: published, tagIds: [tagId] });
    await me.mutation(api.posts.publish, { siteId: w.siteId, postId: published });
    const draft = await me.mutation(api.posts.create, { siteId: w.siteId, title: "Draft piece" });
    // Someone they invited, and an invitation they sent.
    const invitee = await createUser(t, "Invitee");
    await t.run(async (ctx) => {
      const m = await ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", w.siteId).eq("userId", invitee))
        .unique();
      if (!m) await ctx.db.insert("siteMembers", { siteId: w.siteId, userId: invitee, role: "contributor", authorSlug: "invitee", invitedBy: victim, createdAt: 0 });
      await ctx.db.insert("siteInvites", {
        siteId: w.siteId,
        email: "friend@example.com",
        role: "contributor",
        token: "t-friend",
        invitedBy: victim,
        expiresAt: Date.now() + 1e6,
        createdAt: 0,
      });
    });
    // An invitation addressed to them.
    await as(t, w.users.outsider).mutation(api.members.invite, { siteId: w.otherSiteId, email, role: "editor" });

    // 2. Co-owner of the other site, choosing to delete their posts there.
    await addMember(t, w.otherSiteId, victim, "owner");
    const otherTag = await t.run(async (ctx) =>
      ctx.db.insert("tags", { siteId: w.otherSiteId, name: "Opinion", slug: "opinion", usageCount: 0, createdAt: 0, updatedAt: 0 }),
    );
    const doomed = await me.mutation(api.posts.create, { siteId: w.otherSiteId, title: "To be deleted", doc: doc("Bye") });
    await me.mutation(api.posts.setTags, { siteId: w.otherSiteId, postId: doomed, tagIds: [otherTag] });
    await me.mutation(api.posts.publish, { siteId: w.otherSiteId, postId: doomed });
    const outsidersPost = await as(t, w.users.outsider).mutation(api.posts.create, { siteId: w.otherSiteId, title: "Stays" });

    // 3. Their own site, nobody else in it: deleted with everything (a reader's subscription cancelled).
    const soloId = await t.mutation(internal.sites.createForUser, { ownerId: victim, name: "Solo", slug: "solo" });
    const soloTag = await t.run(async (ctx) =>
      ctx.db.insert("tags", { siteId: soloId, name: "Solo", slug: "solo", usageCount: 0, createdAt: 0, updatedAt: 0 }),
    );
    const soloPost = await me.mutation(api.posts.create, { siteId: soloId, title: "Solo post", doc: doc("Mine") });
    await me.mutation(api.posts.setTags, { siteId: soloId, postId: soloPost, tagIds: [soloTag] });
    await me.mutation(api.posts.publish, { siteId: soloId, postId: soloPost });
    const scheduled = await me.mutation(api.posts.create, { siteId: soloId, title: "Scheduled", doc: doc("Later") });
    await me.mutation(api.posts.schedule, { siteId: soloId, postId: scheduled, scheduledAt: Date.now() + 3_600_000 });
    const readersSub = await t.run(async (ctx) => {
      const planId = await ctx.db.insert("subscriptionPlans", {
        siteId: soloId,
        name: "Fan",
        priceCents: 300,
        currency: "usd",
        interval: "month",
        features: [],
        isActive: true,
        sortOrder: 0,
        createdAt: 0,
        updatedAt: 0,
      });
      return await ctx.db.insert("subscriptions", {
        siteId: soloId,
        userId: w.users.reader,
        planId,
        status: "active",
        currentPeriodStart: 0,
        currentPeriodEnd: Date.now() + 1e9,
        cancelAtPeriodEnd: false,
        createdAt: 0,
        updatedAt: 0,
      });
    });

    // 4. Their own subscription (to a site they are not a member of), a payment, notifications,
    //    a profile, and @convex-dev/auth's rows.
    const ownSub = await t.run(async (ctx) => {
      const subId = await ctx.db.insert("subscriptions", {
        siteId: w.siteId,
        userId: victim,
        status: "active",
        currentPeriodStart: 0,
        currentPeriodEnd: Date.now() + 1e9,
        cancelAtPeriodEnd: false,
        stripeSubscriptionId: "sub_123",
        createdAt: 0,
        updatedAt: 0,
      });
      await ctx.db.insert("payments", { siteId: w.siteId, userId: victim, subscriptionId: subId, amountCents: 500, currency: "usd", status: "succeeded", createdAt: 0 });
      await ctx.db.insert("notifications", { userId: victim, type: "review_returned", title: "Hello", read: false, createdAt: 0 });
      const accountId = await ctx.db.insert("authAccounts", { userId: victim, provider: "password", providerAccountId: email, secret: "hash" });
      await ctx.db.insert("authVerificationCodes", { accountId, provider: "password", code: "123456", expirationTime: Date.now() + 1e6 });
      await ctx.db.insert("authRateLimits", { identifier: email, lastAttemptTime: 0, attemptsLeft: 3 });
      for (let i = 0; i < 2; i++) {
        const sessionId = await ctx.db.insert("authSessions", { userId: victim, expirationTime: Date.now() + 1e6 });
        await ctx.db.insert("authRefreshTokens", { sessionId, expirationTime: Date.now() + 1e6 });
      }
      return subId;
    });
    await me.mutation(api.users.updateProfile, { bio: "Soon gone", website: "https://gone.example.com" });

    vi.useFakeTimers();
    const res = await t.mutation(internal.users.deleteUser, { userId: victim, sites: [{ siteId: w.otherSiteId, action: "delete" }], batchSize: 3 });
    expect(res.sites).toEqual(
      expect.arrayContaining([
        { siteId: w.siteId, outcome: "reassignPosts" },
        { siteId: w.otherSiteId, outcome: "deletePosts" },
        { siteId: soloId, outcome: "deleteSite" },
      ]),
    );
    expect(await code(me.query(api.users.getProfile, {}))).toBe("USER_INACTIVE");
    expect(await code(me.mutation(api.posts.create, { siteId: w.siteId, title: "Sneaky" }))).toBe("USER_INACTIVE");
    await runScheduled(t);
    vi.useRealTimers();

    // Nothing of the user is left, except the audit trail (actor ids), their payment and their
    // subscription, cancelled, kept for billing.
    const left = await mentions(t, victim);
    expect(Object.keys(left).sort()).toEqual(["auditLogs", "payments", "subscriptions"]);
    expect(left.subscriptions).toEqual([expect.objectContaining({ _id: ownSub, status: "canceled", canceledAt: expect.any(Number) })]);
    expect(JSON.stringify(left.auditLogs)).not.toContain(email);
    // Their email survives only where a site recorded inviting that address (the site's own record).
    const byEmail = await mentions(t, email);
    expect(Object.keys(byEmail)).toEqual(["auditLogs"]);
    expect(byEmail.auditLogs.map((l: any) => l.action)).toEqual(["member.invite"]);

    // The daily: posts now the owner's, counters intact, revisions anonymized.
    for (const id of [published, draft]) {
      const p = await t.run(async (ctx) => ctx.db.get("posts", id));
      expect(p).toMatchObject({ authorId: w.users.owner, authorName: "Owner daily" });
    }
    const revisions = await as(t, w.users.owner).query(api.posts.listRevisions, { siteId: w.siteId, postId: published });
    expect(revisions.map((r) => r.authorName)).toEqual(["Deleted user"]);
    expect(storedPostCount((await t.run(async (ctx) => ctx.db.get("tags", tagId)))!)).toBe(1);
    const inviteeRow = await t.run(async (ctx) =>
      ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", w.siteId).eq("userId", invitee))
        .unique(),
    );
    expect(inviteeRow).toMatchObject({ role: "contributor" });
    expect(inviteeRow!.invitedBy).toBeUndefined();

    // The co-owned site: their post deleted (tag count follows), the outsider's kept.
    expect(await t.run(async (ctx) => ctx.db.get("posts", doomed))).toBeNull();
    expect(await t.run(async (ctx) => ctx.db.get("posts", outsidersPost))).not.toBeNull();
    expect(storedPostCount((await t.run(async (ctx) => ctx.db.get("tags", otherTag)))!)).toBe(0);

    // The solo site is gone with all its rows; the reader's subscription to it is cancelled.
    const soloLeft = await mentions(t, soloId);
    expect(Object.keys(soloLeft).sort()).toEqual(["auditLogs", "subscriptions"]);
    expect(soloLeft.auditLogs.every((l: any) => l.siteId === undefined)).toBe(true);
    expect(soloLeft.auditLogs.map((l: any) => l.action)).toContain("site.delete");
    expect(soloLeft.subscriptions).toEqual([expect.objectContaining({ _id: readersSub, status: "canceled" })]);
    const job = await t.run(async (ctx) =>
      (await ctx.db.system.query("_scheduled_functions").collect()).find((j: any) => j.args[0]?.postId === scheduled),
    );
    expect(job?.state.kind).toBe("canceled");
    // Other people are untouched.
    expect(await t.run(async (ctx) => ctx.db.get("users", w.users.reader))).not.toBeNull();
    expect((await as(t, w.users.owner).query(api.members.list, { siteId: w.siteId })).map((m) => m.userId)).not.toContain(victim);
  });

  test("deleteUser handles 1,200 posts in bounded, scheduled steps", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const victim = w.users.author;
    await seedPosts(t, w.siteId, victim, "Author daily", 1_200, "bulk");
    const soloId = await t.mutation(internal.sites.createForUser, { ownerId: victim, name: "Solo", slug: "solo" });
    await seedPosts(t, soloId, victim, "Author daily", 300, "solo");
    const keep = await seedPosts(t, w.siteId, w.users.editor, "Editor daily", 3, "keep");

    vi.useFakeTimers();
    await t.mutation(internal.users.deleteUser, { userId: victim, batchSize: 40 });
    await runScheduled(t);
    vi.useRealTimers();

    const steps = await t.run(async (ctx) =>
      (await ctx.db.system.query("_scheduled_functions").collect()).filter((j: any) => j.name.includes("continueDeletion")),
    );
    expect(steps.length).toBeGreaterThan(30); // 1,200 reassigned + 900 rows of the solo site, 40 a step
    expect(steps.every((j: any) => j.state.kind === "success")).toBe(true);
    expect(await t.run(async (ctx) => ctx.db.get("users", victim))).toBeNull();
    expect(await postsBy(t, w.siteId, victim)).toEqual([]);
    const owners = await postsBy(t, w.siteId, w.users.owner);
    expect(owners).toHaveLength(1_200);
    expect(owners.every((p) => p.authorName === "Owner daily")).toBe(true);
    expect(await postsBy(t, w.siteId, w.users.editor)).toHaveLength(keep.length);
    expect(await t.run(async (ctx) => ctx.db.get("sites", soloId))).toBeNull();
    const left = await mentions(t, victim);
    expect(Object.keys(left)).toEqual(["auditLogs"]);
    expect(Object.keys(await mentions(t, soloId))).toEqual(["auditLogs"]);
  }, 120_000);
});
