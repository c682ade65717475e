import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc } from "../tests/support/factories";
import { api } from "./_generated/api";
import schema from "./schema";

// Plans without Stripe (no STRIPE_SECRET_KEY here): CRUD, validation with fields, roles, the public
// list, and the audit trail. Mirroring to Stripe runs against the fake in
// tests/integration/stripe-webhooks.test.ts.

const base = { name: "Supporter plus", priceCents: 900, currency: "usd", interval: "month" as const, features: ["Featured posts"] };

async function codeOf(p: Promise<unknown>) {
  try {
    await p;
    return "ok";
  } catch (e: any) {
    return e?.data ? { code: e.data.code, field: e.data.field } : `threw: ${e?.message}`;
  }
}

describe.each(backends)("plans on %s", (_name, convexTest) => {
  test("admins create plans; readers see the active ones in order; currency is normalized; every change is audited", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const admin = as(t, w.users.admin);
    const yearly = await admin.mutation(api.plans.create, { siteId: w.siteId, ...base, name: " Yearly ", currency: "EUR", interval: "year", priceCents: 9000 });
    const hidden = await admin.mutation(api.plans.create, { siteId: w.siteId, ...base, name: "Hidden", isActive: false });
    const rows = await admin.query(api.plans.listForSite, { siteId: w.siteId });
    expect(rows.map((p) => [p.name, p.sortOrder, p.isActive])).toEqual([
      ["Supporter", 0, true],
      ["Yearly", 1, true],
      ["Hidden", 2, false],
    ]);
    expect(rows[1]).toMatchObject({ _id: yearly, currency: "eur", interval: "year", priceCents: 9000, syncedToStripe: false, description: null });
    const pub = await t.query(api.plans.listPublic, { siteSlug: "daily" });
    expect(pub.map((p) => p.name)).toEqual(["Supporter", "Yearly"]);
    expect(pub[1]).toEqual({ _id: yearly, name: "Yearly", description: null, priceCents: 9000, currency: "eur", interval: "year", features: ["Featured posts"] });
    expect(await t.query(api.plans.listPublic, { siteSlug: "nope" })).toEqual([]);
    const logs = await t.run((ctx) => ctx.db.query("auditLogs").collect());
    expect(logs.filter((l) => l.action === "plan.create").map((l) => l.entityId)).toEqual([yearly, hidden]);
    // Nothing is scheduled for Stripe without keys.
    expect(await t.run((ctx) => ctx.db.system.query("_scheduled_functions").collect())).toEqual([]);
  });

  test("validation errors name the field", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const create = (patch: Record<string, unknown>) => codeOf(owner.mutation(api.plans.create, { siteId: w.siteId, ...base, ...patch } as any));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ priceCents: 49 }, "priceCents"],
      [{ priceCents: 99.5 }, "priceCents"],
      [{ priceCents: 100_000_000 }, "priceCents"],
      [{ currency: "us" }, "currency"],
      [{ currency: "usdd" }, "currency"],
      [{ currency: "u$d" }, "currency"],
      [{ name: "   " }, "name"],
      [{ name: "x".repeat(81) }, "name"],
      [{ description: "x".repeat(501) }, "description"],
      [{ features: ["ok", " "] }, "features"],
      [{ features: Array.from({ length: 21 }, (_, i) => `f${i}`) }, "features"],
      [{ sortOrder: -1 }, "sortOrder"],
    ];
    for (const [patch, field] of cases) expect([patch, await create(patch)]).toEqual([patch, { code: "INVALID_ARGUMENT", field }]);
    // The smallest price and a trimmed, upper-case currency are fine.
    expect(await create({ priceCents: 50, currency: " GBP " })).toBe("ok");
    // Invalid updates write nothing.
    const [plan] = await owner.query(api.plans.listForSite, { siteId: w.siteId });
    expect(await codeOf(owner.mutation(api.plans.update, { siteId: w.siteId, planId: plan._id, priceCents: 10 }))).toEqual({
      code: "INVALID_ARGUMENT",
      field: "priceCents",
    });
    expect((await owner.query(api.plans.listForSite, { siteId: w.siteId }))[0].priceCents).toBe(500);
  });

  test("update changes only what differs; description can be cleared; setActive withdraws a plan from readers", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const planId = await owner.mutation(api.plans.create, { siteId: w.siteId, ...base, description: "For fans" });
    const audits = async () => (await t.run((ctx) => ctx.db.query("auditLogs").collect())).filter((l) => l.entityId === planId).map((l) => l.action);
    await owner.mutation(api.plans.update, { siteId: w.siteId, planId, name: "Supporter plus" }); // unchanged
    expect(await audits()).toEqual(["plan.create"]);
    await owner.mutation(api.plans.update, { siteId: w.siteId, planId, priceCents: 1200, interval: "year", description: "", features: ["A", "B"] });
    const row = (await owner.query(api.plans.listForSite, { siteId: w.siteId })).find((p) => p._id === planId)!;
    expect(row).toMatchObject({ priceCents: 1200, interval: "year", description: null, features: ["A", "B"] });
    const diff = JSON.parse((await t.run((ctx) => ctx.db.query("auditLogs").collect())).find((l) => l.action === "plan.update")!.diff);
    expect(diff).toMatchObject({ priceCents: [900, 1200], interval: ["month", "year"], description: ["For fans", null] });

    await owner.mutation(api.plans.setActive, { siteId: w.siteId, planId, isActive: false });
    expect((await t.query(api.plans.listPublic, { siteSlug: "daily" })).map((p) => p._id)).not.toContain(planId);
    expect(await audits()).toEqual(["plan.create", "plan.update", "plan.deactivate"]);
    await owner.mutation(api.plans.setActive, { siteId: w.siteId, planId, isActive: false }); // no-op
    expect(await audits()).toHaveLength(3);
  });

  test("featuring posts needs an active plan: withdrawing the last one blocks new featured posts", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const [plan] = await owner.query(api.plans.listForSite, { siteId: w.siteId });
    await owner.mutation(api.plans.setActive, { siteId: w.siteId, planId: plan._id, isActive: false });
    const editor = as(t, w.users.editor);
    const postId = await editor.mutation(api.posts.create, { siteId: w.siteId, title: "Paid", doc: doc("x") });
    expect(await codeOf(editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true }))).toEqual({ code: "NO_ACTIVE_PLAN", field: undefined });
    await owner.mutation(api.plans.setActive, { siteId: w.siteId, planId: plan._id, isActive: true });
    await editor.mutation(api.posts.setFeatured, { siteId: w.siteId, postId, featured: true });
  });

  test("reorder puts the listed plans first; duplicates and other sites' plans are refused", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const admin = as(t, w.users.admin);
    const a = await admin.mutation(api.plans.create, { siteId: w.siteId, ...base, name: "A" });
    const b = await admin.mutation(api.plans.create, { siteId: w.siteId, ...base, name: "B" });
    await admin.mutation(api.plans.reorder, { siteId: w.siteId, planIds: [b, a] });
    expect((await admin.query(api.plans.listForSite, { siteId: w.siteId })).map((p) => p.name)).toEqual(["B", "A", "Supporter"]);
    expect(await codeOf(admin.mutation(api.plans.reorder, { siteId: w.siteId, planIds: [a, a] }))).toEqual({ code: "INVALID_ARGUMENT", field: "planIds" });
    const theirs = await as(t, w.users.outsider).mutation(api.plans.create, { siteId: w.otherSiteId, ...base });
    expect(await codeOf(admin.mutation(api.plans.reorder, { siteId: w.siteId, planIds: [theirs] }))).toEqual({ code: "NOT_FOUND", field: "planIds" });
  });

  test("roles: editors may not manage plans; another site's plan looks missing", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    expect(await codeOf(as(t, w.users.editor).mutation(api.plans.create, { siteId: w.siteId, ...base }))).toEqual({ code: "FORBIDDEN", field: undefined });
    expect(await codeOf(as(t, w.users.editor).query(api.plans.listForSite, { siteId: w.siteId }))).toEqual({ code: "FORBIDDEN", field: undefined });
    const theirs = await as(t, w.users.outsider).mutation(api.plans.create, { siteId: w.otherSiteId, ...base });
    const owner = as(t, w.users.owner);
    // The owner of "daily" addresses the other site's plan through their own site: NOT_FOUND, unchanged.
    expect(await codeOf(owner.mutation(api.plans.update, { siteId: w.siteId, planId: theirs, name: "Mine now" }))).toEqual({ code: "NOT_FOUND", field: undefined });
    expect(await codeOf(owner.mutation(api.plans.setActive, { siteId: w.siteId, planId: theirs, isActive: false }))).toEqual({ code: "NOT_FOUND", field: undefined });
    expect(await codeOf(owner.mutation(api.plans.create, { siteId: w.otherSiteId, ...base }))).toEqual({ code: "NOT_FOUND", field: undefined });
    expect((await t.query(api.plans.listPublic, { siteSlug: "daily-other" })).map((p) => p.name)).toEqual(["Supporter plus"]);
  });
});
