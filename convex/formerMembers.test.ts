import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, doc, type T } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

// An author who left a site keeps their posts there (members.remove: "their posts stay in the
// site under their name"). Renaming and deleting the account must reach those posts too, although
// the user is no longer a member: both walk the user's posts, not their memberships.

describe.each(backends)("former members on %s", (_name, convexTest) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An author with posts in two sites, who then leaves the second one. */
  async function leftOneSite(t: T) {
    const w = await createWorld(t);
    const writer = await createUser(t, "Wanda Writer");
    await addMember(t, w.siteId, writer, "author");
    await addMember(t, w.otherSiteId, writer, "author");
    const stays = await as(t, writer).mutation(api.posts.create, { siteId: w.siteId, title: "Here", doc: doc("h") });
    const left: Id<"posts">[] = [];
    for (const title of ["There", "Over there"]) {
      const postId = await as(t, writer).mutation(api.posts.create, { siteId: w.otherSiteId, title, doc: doc("t") });
      await as(t, writer).mutation(api.posts.publish, { siteId: w.otherSiteId, postId });
      left.push(postId);
    }
    await as(t, writer).mutation(api.members.remove, { siteId: w.otherSiteId, userId: writer });
    return { w, writer, stays, left };
  }

  test("former member rename: posts in a site the author left get the new name too", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const { writer, stays, left } = await leftOneSite(t);
    await as(t, writer).mutation(api.users.updateUserName, { name: "Wanda Newname" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const names = await t.run(async (ctx) => Promise.all([stays, ...left].map(async (id) => (await ctx.db.get("posts", id))!.authorName)));
    expect(names).toEqual(["Wanda Newname", "Wanda Newname", "Wanda Newname"]);
  });

  test("deleted former member leaves no dangling authorId: posts in a site they left go to its owner", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const { w, writer, stays, left } = await leftOneSite(t);
    await t.mutation(internal.users.deleteUser, { userId: writer, batchSize: 1 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await t.run(async (ctx) => ({
      user: await ctx.db.get("users", writer),
      dangling: (await ctx.db.query("posts").collect()).filter((p) => p.authorId === writer).map((p) => p.title),
      posts: await Promise.all([stays, ...left].map((id) => ctx.db.get("posts", id))),
    }));
    expect(after.user).toBeNull();
    expect(after.dangling).toEqual([]);
    const [here, ...there] = after.posts;
    expect(here!.authorId).toBe(w.users.owner);
    // The publication keeps what was published there, under its owner's name.
    for (const p of there) expect(p).toMatchObject({ authorId: w.users.outsider, authorName: "Outsider daily", status: "published" });
    const log = await t.run(async (ctx) =>
      (await ctx.db.query("auditLogs").withIndex("by_siteId", (q) => q.eq("siteId", w.otherSiteId)).collect()).map((l) => l.action),
    );
    expect(log).toContain("post.reassign");
  });
});
