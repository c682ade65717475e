import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

describe.each(backends)("posts on %s", (_name, convexTest) => {
  test("an author creates, saves and publishes a post; a stale save gets CONFLICT and writes nothing", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const postId = await author.mutation(api.posts.create, { siteId: w.siteId, title: "Hello" });
    const { draft } = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    const saved = await author.mutation(api.posts.saveDraft, {
      siteId: w.siteId,
      postId,
      expectedVersion: draft.version,
      doc: doc("First words."),
    });
    expect(saved.version).toBe(draft.version + 1);
    const stale = await author
      .mutation(api.posts.saveDraft, { siteId: w.siteId, postId, expectedVersion: draft.version, doc: doc("Clobber!") })
      .catch((e) => e);
    expect(stale.data.code).toBe("CONFLICT");
    expect(stale.data.currentVersion).toBe(saved.version);
    const after = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(after.draft.doc).toBe(doc("First words."));
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId }); // idempotent
    const published = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(published.post.status).toBe("published");
    expect(published.post.excerpt).toBe("First words.");
  });
});
