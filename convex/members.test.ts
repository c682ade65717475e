import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { addMember, as, createUser, createWorld, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

/** The error code a call fails with (or "ok"). */
async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

async function roleOf(t: T, siteId: Id<"sites">, userId: Id<"users">) {
  return await t.run(async (ctx) => {
    const m = await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
      .unique();
    return m?.role ?? null;
  });
}

describe.each(backends)("members on %s", (_name, convexTest) => {
  test("any member lists members with names and roles (no emails); outsiders get NOT_FOUND", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const list = await as(t, w.users.contributor).query(api.members.list, { siteId: w.siteId });
    expect(list.map((m) => m.role)).toEqual(["owner", "admin", "editor", "author", "contributor"]);
    expect(list[0]).toMatchObject({ userId: w.users.owner, name: "Owner daily", authorSlug: "owner" });
    expect(JSON.stringify(list)).not.toContain("@example.com");
    expect(await code(as(t, w.users.outsider).query(api.members.list, { siteId: w.siteId }))).toBe("NOT_FOUND");
    expect(await code(as(t, w.users.reader).query(api.members.list, { siteId: w.siteId }))).toBe("NOT_FOUND");
  });

  test("privilege escalation through role change: an admin cannot make anyone owner", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const admin = as(t, w.users.admin);
    const s = w.siteId;
    const admin2 = await createUser(t, "Second Admin");
    await addMember(t, s, admin2, "admin");
    // Not themselves, not anyone else, not by invitation.
    expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.admin, role: "owner" }))).toBe("FORBIDDEN");
    for (const who of [w.users.editor, w.users.author, w.users.contributor, admin2]) {
      expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: who, role: "owner" }))).toBe("FORBIDDEN");
    }
    expect(await code(admin.mutation(api.members.invite, { siteId: s, email: "new@example.com", role: "owner" }))).toBe("FORBIDDEN");
    // Not demote, remove or otherwise touch an owner.
    expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.owner, role: "admin" }))).toBe("FORBIDDEN");
    expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.owner, role: "contributor" }))).toBe(
      "FORBIDDEN",
    );
    expect(await code(admin.mutation(api.members.remove, { siteId: s, userId: w.users.owner }))).toBe("FORBIDDEN");
    // Not act on an equal: a fellow admin cannot be demoted (then re-promoted to grab the seat).
    expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: admin2, role: "editor" }))).toBe("FORBIDDEN");
    expect(await code(admin.mutation(api.members.remove, { siteId: s, userId: admin2 }))).toBe("FORBIDDEN");
    // Below admin, no role management at all.
    const editor = as(t, w.users.editor);
    expect(await code(editor.mutation(api.members.changeRole, { siteId: s, userId: w.users.editor, role: "admin" }))).toBe("FORBIDDEN");
    expect(await code(editor.mutation(api.members.changeRole, { siteId: s, userId: w.users.contributor, role: "author" }))).toBe(
      "FORBIDDEN",
    );
    // A non-member cannot even see the site.
    expect(
      await code(as(t, w.users.outsider).mutation(api.members.changeRole, { siteId: s, userId: w.users.outsider, role: "owner" })),
    ).toBe("NOT_FOUND");
    // Nothing changed.
    expect(await roleOf(t, s, w.users.owner)).toBe("owner");
    expect(await roleOf(t, s, w.users.admin)).toBe("admin");
    expect(await roleOf(t, s, admin2)).toBe("admin");
    expect(await roleOf(t, s, w.users.editor)).toBe("editor");
    expect(await roleOf(t, s, w.users.outsider)).toBe(null);
    const owners = await t.run(async (ctx) =>
      ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_role", (q) => q.eq("siteId", s).eq("role", "owner"))
        .collect(),
    );
    expect(owners.map((o) => o.userId)).toEqual([w.users.owner]);
  });

  test("admins manage lower roles up to admin and may step down themselves", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const admin = as(t, w.users.admin);
    const s = w.siteId;
    await admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.contributor, role: "author" });
    expect(await roleOf(t, s, w.users.contributor)).toBe("author");
    await admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.editor, role: "admin" });
    expect(await roleOf(t, s, w.users.editor)).toBe("admin");
    // Stepping down is allowed; going back up is not.
    await admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.admin, role: "editor" });
    expect(await roleOf(t, s, w.users.admin)).toBe("editor");
    expect(await code(admin.mutation(api.members.changeRole, { siteId: s, userId: w.users.admin, role: "admin" }))).toBe("FORBIDDEN");
    // Role changes are audited, with the before and after role.
    const logs = await t.run(async (ctx) =>
      ctx.db
        .query("auditLogs")
        .withIndex("by_siteId", (q) => q.eq("siteId", s))
        .collect(),
    );
    const roleLogs = logs.filter((l) => l.action === "member.role");
    expect(roleLogs).toHaveLength(3);
    expect(JSON.parse(roleLogs[0].diff)).toEqual({ role: ["contributor", "author"] });
  });

  test("owners grant and revoke owner; the last owner can neither step down nor leave (LAST_OWNER)", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const s = w.siteId;
    expect(await code(owner.mutation(api.members.changeRole, { siteId: s, userId: w.users.owner, role: "admin" }))).toBe("LAST_OWNER");
    expect(await code(owner.mutation(api.members.remove, { siteId: s, userId: w.users.owner }))).toBe("LAST_OWNER");
    await owner.mutation(api.members.changeRole, { siteId: s, userId: w.users.admin, role: "owner" });
    expect(await roleOf(t, s, w.users.admin)).toBe("owner");
    // Now two owners: the primary owner may step down, and sites.ownerId follows.
    await owner.mutation(api.members.changeRole, { siteId: s, userId: w.users.owner, role: "admin" });
    expect(await roleOf(t, s, w.users.owner)).toBe("admin");
    expect(await t.run(async (ctx) => (await ctx.db.get("sites", s))!.ownerId)).toBe(w.users.admin);
    // The new sole owner is protected in turn.
    const newOwner = as(t, w.users.admin);
    expect(await code(newOwner.mutation(api.members.changeRole, { siteId: s, userId: w.users.admin, role: "editor" }))).toBe(
      "LAST_OWNER",
    );
    // A deactivated co-owner does not count as an owner.
    const ghost = await createUser(t, "Ghost Owner", { isActive: false });
    await addMember(t, s, ghost, "owner");
    expect(await code(newOwner.mutation(api.members.remove, { siteId: s, userId: w.users.admin }))).toBe("LAST_OWNER");
  });

  test("removal: admins remove lower members, owners remove anyone, anyone may leave", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    await as(t, w.users.admin).mutation(api.members.remove, { siteId: s, userId: w.users.contributor });
    expect(await roleOf(t, s, w.users.contributor)).toBe(null);
    expect(await code(as(t, w.users.contributor).query(api.members.list, { siteId: s }))).toBe("NOT_FOUND");
    expect(await code(as(t, w.users.editor).mutation(api.members.remove, { siteId: s, userId: w.users.author }))).toBe("FORBIDDEN");
    await as(t, w.users.author).mutation(api.members.remove, { siteId: s, userId: w.users.author }); // leaves
    expect(await roleOf(t, s, w.users.author)).toBe(null);
    await as(t, w.users.owner).mutation(api.members.remove, { siteId: s, userId: w.users.admin });
    expect(await roleOf(t, s, w.users.admin)).toBe(null);
    expect(await code(as(t, w.users.owner).mutation(api.members.remove, { siteId: s, userId: w.users.reader }))).toBe("NOT_FOUND");
    const actions = await t.run(async (ctx) =>
      (
        await ctx.db
          .query("auditLogs")
          .withIndex("by_siteId", (q) => q.eq("siteId", s))
          .collect()
      ).map((l) => l.action),
    );
    expect(actions).toEqual(["member.remove", "member.leave", "member.remove"]);
  });

  test("invitations: the invited user is notified and joins with a unique author slug; tokens are single-use and bound to the email", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    // An existing member already has the slug the reader's name would give.
    await t.run(async (ctx) => {
      const m = await ctx.db
        .query("siteMembers")
        .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", s).eq("userId", w.users.author))
        .unique();
      await ctx.db.patch("siteMembers", m!._id, { authorSlug: "reader-daily" });
    });
    const admin = as(t, w.users.admin);
    expect(await code(admin.mutation(api.members.invite, { siteId: s, email: "not an email", role: "author" }))).toBe("INVALID_ARGUMENT");
    expect(await code(admin.mutation(api.members.invite, { siteId: s, email: "editor.daily@example.com", role: "author" }))).toBe(
      "INVALID_STATE",
    );
    expect(await code(as(t, w.users.editor).mutation(api.members.invite, { siteId: s, email: "x@example.com", role: "author" }))).toBe(
      "FORBIDDEN",
    );
    const first = await admin.mutation(api.members.invite, { siteId: s, email: " Reader.Daily@Example.com ", role: "contributor" });
    // Re-inviting replaces the pending invitation: the old token is dead.
    const { token } = await admin.mutation(api.members.invite, { siteId: s, email: "reader.daily@example.com", role: "author" });
    expect(token).not.toBe(first.token);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const invites = await admin.query(api.members.listInvites, { siteId: s });
    expect(invites).toEqual([expect.objectContaining({ email: "reader.daily@example.com", role: "author" })]);
    expect(JSON.stringify(invites)).not.toContain(token);

    const notes = await as(t, w.users.reader).query(api.notifications.list, { paginationOpts: { numItems: 10, cursor: null } });
    expect(notes.page.map((n) => n.type)).toEqual(["site_invite", "site_invite"]);
    expect(notes.page[0].link).toBe(`/invites/${token}`);

    // Someone else holding the token cannot use it; neither can the old token.
    expect(await code(as(t, w.users.outsider).mutation(api.members.accept, { token }))).toBe("NOT_FOUND");
    expect(await code(as(t, w.users.reader).mutation(api.members.accept, { token: first.token }))).toBe("NOT_FOUND");
    expect(await as(t, w.users.reader).mutation(api.members.accept, { token })).toBe(s);
    expect(await roleOf(t, s, w.users.reader)).toBe("author");
    const me = (await as(t, w.users.reader).query(api.members.list, { siteId: s })).find((m) => m.userId === w.users.reader);
    expect(me?.authorSlug).toBe("reader-daily-2");
    expect(await code(as(t, w.users.reader).mutation(api.members.accept, { token }))).toBe("NOT_FOUND"); // used up

    // The audit log records the invitation without its token.
    const logs = await t.run(async (ctx) =>
      ctx.db
        .query("auditLogs")
        .withIndex("by_siteId", (q) => q.eq("siteId", s))
        .collect(),
    );
    expect(logs.map((l) => l.action)).toEqual(["member.invite", "member.invite", "member.join"]);
    expect(JSON.stringify(logs)).not.toContain(token);
  });

  test("invitations expire, and only owners invite owners", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const s = w.siteId;
    const { token } = await as(t, w.users.owner).mutation(api.members.invite, { siteId: s, email: "subscriber.daily@example.com", role: "owner" });
    await t.run(async (ctx) => {
      const inv = await ctx.db
        .query("siteInvites")
        .withIndex("by_siteId_and_token", (q) => q.eq("siteId", s).eq("token", token))
        .unique();
      await ctx.db.patch("siteInvites", inv!._id, { expiresAt: Date.now() - 1 });
    });
    expect(await code(as(t, w.users.subscriber).mutation(api.members.accept, { token }))).toBe("NOT_FOUND");
    const again = await as(t, w.users.owner).mutation(api.members.invite, { siteId: s, email: "subscriber.daily@example.com", role: "owner" });
    // An admin cannot withdraw an owner invitation either.
    expect(await code(as(t, w.users.admin).mutation(api.members.revokeInvite, { siteId: s, inviteId: again.inviteId }))).toBe("FORBIDDEN");
    await as(t, w.users.subscriber).mutation(api.members.accept, { token: again.token });
    expect(await roleOf(t, s, w.users.subscriber)).toBe("owner");
  });
});
