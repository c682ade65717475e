import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

// Issue #17: an imported cover kept as a URL (posts.coverImageUrl) is the post's cover for readers
// and in the editor (model/postProjection.ts postCoverUrl), and "Remove cover" removes it.

describe.each(backends)("imported cover URLs on %s", (_name, convexTest) => {
  test("shown to readers and the editor; XSS: a javascript: cover URL is no cover; removing the cover clears it", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const url = "https://cdn.example.org/cover.jpg";
    const make = async (title: string, cover: string) => {
      const postId = await owner.mutation(api.posts.create, { siteId: w.siteId, title, doc: doc("Body.") });
      await owner.mutation(api.posts.publish, { siteId: w.siteId, postId });
      await t.run(async (ctx) => ctx.db.patch("posts", postId, { coverImageUrl: cover }));
      return postId;
    };
    const good = await make("Good cover", url);
    const bad = await make("Bad cover", "javascript:alert(1)//.jpg");
    const slugOf = async (id: typeof good) => (await t.run(async (ctx) => ctx.db.get("posts", id)))!.slug;
    const read = async (id: typeof good) => {
      const r = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: await slugOf(id) });
      return r?.kind === "post" ? r.post.coverImageUrl : "missing";
    };
    expect(await read(good)).toBe(url);
    expect(await read(bad)).toBeNull();
    const latest = await t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 10, cursor: null } });
    expect(latest.page.map((p) => p.coverImageUrl).sort()).toEqual([null, url].sort());
    expect((await owner.query(api.posts.getForEdit, { siteId: w.siteId, postId: good })).coverImageUrl).toBe(url);

    await owner.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId: good, storageId: null });
    expect(await read(good)).toBeNull();
    expect(await t.run(async (ctx) => {
      const p = await ctx.db.get("posts", good);
      return p ? "coverImageUrl" in p : "missing";
    })).toBe(false);
  });
});
