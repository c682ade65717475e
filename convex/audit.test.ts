import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

const page = (numItems: number, cursor: string | null = null) => ({ numItems, cursor });

describe.each(backends)("audit on %s", (_name, convexTest) => {
  test("owners and admins read the site's log, newest first; nobody else does", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    await as(t, w.users.owner).mutation(api.sites.updateSettings, { siteId: s, name: "The Daily Planet" });
    await as(t, w.users.admin).mutation(api.members.changeRole, { siteId: s, userId: w.users.contributor, role: "author" });
    await as(t, w.users.outsider).mutation(api.sites.updateSettings, { siteId: w.otherSiteId, name: "Elsewhere" });

    for (const who of [w.users.owner, w.users.admin]) {
      const res = await as(t, who).query(api.audit.list, { siteId: s, paginationOpts: page(10) });
      expect(res.page.map((e) => e.action)).toEqual(["member.role", "site.settings"]);
      expect(res.page[0]).toMatchObject({ actorId: w.users.admin, actorName: "Admin daily", entityType: "siteMember" });
      expect(JSON.parse(res.page[1].diff).name).toEqual(["The daily", "The Daily Planet"]);
    }
    for (const who of [w.users.editor, w.users.author, w.users.contributor]) {
      expect(await code(as(t, who).query(api.audit.list, { siteId: s, paginationOpts: page(10) }))).toBe("FORBIDDEN");
    }
    for (const who of [w.users.reader, w.users.subscriber, w.users.outsider]) {
      expect(await code(as(t, who).query(api.audit.list, { siteId: s, paginationOpts: page(10) }))).toBe("NOT_FOUND");
    }
    expect(await code(t.query(api.audit.list, { siteId: s, paginationOpts: page(10) }))).toBe("UNAUTHENTICATED");
    // The other site's log holds only its own entry.
    const other = await as(t, w.users.outsider).query(api.audit.list, { siteId: w.otherSiteId, paginationOpts: page(10) });
    expect(other.page.map((e) => e.action)).toEqual(["site.settings"]);
  });

  test("paginates, and entries never carry post bodies or secrets", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    const author = as(t, w.users.author);
    const body = "PAYWALLED-BODY-TEXT the secret ending";
    const postId = await author.mutation(api.posts.create, { siteId: s, title: "Audited", doc: doc(body) });
    const { draft } = await author.query(api.posts.getForEdit, { siteId: s, postId });
    await author.mutation(api.posts.saveDraft, { siteId: s, postId, expectedVersion: draft.version, doc: doc(`${body} v2`), explicit: true });
    await author.mutation(api.posts.publish, { siteId: s, postId });
    const { token } = await as(t, w.users.owner).mutation(api.members.invite, { siteId: s, email: "reader.daily@example.com", role: "author" });
    await as(t, w.users.reader).mutation(api.members.accept, { token });
    await as(t, w.users.owner).mutation(api.review.submitForReview, { siteId: s, postId: await as(t, w.users.owner).mutation(api.posts.create, { siteId: s, title: "Owner's" }) });

    const owner = as(t, w.users.owner);
    const all = [];
    let cursor: string | null = null;
    for (;;) {
      const res: any = await owner.query(api.audit.list, { siteId: s, paginationOpts: page(2, cursor) });
      all.push(...res.page);
      if (res.isDone) break;
      cursor = res.continueCursor;
    }
    expect(all.length).toBeGreaterThanOrEqual(6);
    const times = all.map((e) => e.createdAt);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all[0].action).toBe("post.submitForReview");
    const text = JSON.stringify(all);
    expect(text).not.toContain("PAYWALLED-BODY-TEXT");
    expect(text).not.toContain(token);
    for (const e of all) {
      const diff = JSON.parse(e.diff);
      for (const key of ["doc", "text", "searchText", "token", "secret", "password"]) expect(diff).not.toHaveProperty(key);
    }
  });
});
