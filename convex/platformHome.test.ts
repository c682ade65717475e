import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createUser, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

// The platform home's featured publications (sites:listFeatured) and the reader header's viewer
// (audience:myStanding), issue #16.

describe.each(backends)("platform home on %s", (_name, convexTest) => {
  test("listFeatured: newest sites first, each with at most its 3 latest published posts, never drafts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const editor = as(t, w.users.editor);
    for (const title of ["One", "Two", "Three", "Four"]) {
      const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title, doc: doc(`${title} body.`) });
      await editor.mutation(api.posts.publish, { siteId: w.siteId, postId });
    }
    await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Secret draft", doc: doc("Not yet.") });
    const featured = await t.query(api.sites.listFeatured, {});
    // createWorld inserts "daily" and then "daily-other": newest first.
    expect(featured.map((s) => s.slug)).toEqual(["daily-other", "daily"]);
    const daily = featured.find((s) => s.slug === "daily")!;
    expect(daily.posts.map((p) => p.title)).toEqual(["Four", "Three", "Two"]);
    expect(JSON.stringify(featured)).not.toContain("Secret draft");
    expect(featured.find((s) => s.slug === "daily-other")!.posts).toEqual([]);
  });

  test("listFeatured is bounded: at most 6 publications", async () => {
    const t = convexTest(schema, modules);
    const owner = await createUser(t, "Many Sites");
    await t.run(async (ctx) => {
      for (let i = 0; i < 9; i++) await ctx.db.insert("sites", { name: `Site ${i}`, slug: `site-${i}`, ownerId: owner, createdAt: i, updatedAt: i });
    });
    const featured = await t.query(api.sites.listFeatured, {});
    expect(featured.map((s) => s.slug)).toEqual(["site-8", "site-7", "site-6", "site-5", "site-4", "site-3"]);
  });

  test("myStanding: null signed out; the viewer's name, access and email state on this site (null when not a member)", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    expect(await t.query(api.audience.myStanding, { siteId: w.siteId })).toBeNull();
    expect(await as(t, w.users.reader).query(api.audience.myStanding, { siteId: w.siteId })).toEqual({ name: "Reader daily", access: null, emailState: null });
    await t.run(async (ctx) => {
      const now = Date.now();
      for (const [user, access] of [
        [w.users.reader, "free"],
        [w.users.subscriber, "paid"],
        [w.users.outsider, "comped"],
      ] as const) {
        const u = (await ctx.db.get("users", user))!;
        await ctx.db.insert("audienceMembers", { siteId: w.siteId, email: u.email!, userId: user, access, emailState: "subscribed", source: "signedIn", createdAt: now, updatedAt: now });
      }
    });
    expect(await as(t, w.users.reader).query(api.audience.myStanding, { siteId: w.siteId })).toEqual({ name: "Reader daily", access: "free", emailState: "subscribed" });
    expect(await as(t, w.users.subscriber).query(api.audience.myStanding, { siteId: w.siteId })).toMatchObject({ access: "paid" });
    expect(await as(t, w.users.outsider).query(api.audience.myStanding, { siteId: w.siteId })).toMatchObject({ access: "comped" });
    // cross-tenant read: membership on one site says nothing about another.
    expect(await as(t, w.users.subscriber).query(api.audience.myStanding, { siteId: w.otherSiteId })).toMatchObject({ access: null, emailState: null });
    // The join form's state comes from here too: an unsubscribed member keeps their access.
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("audienceMembers").collect()).find((x) => x.userId === w.users.reader)!;
      await ctx.db.patch("audienceMembers", m._id, { emailState: "unsubscribed" });
    });
    expect(await as(t, w.users.reader).query(api.audience.myStanding, { siteId: w.siteId })).toEqual({ name: "Reader daily", access: "free", emailState: "unsubscribed" });
  });
});
