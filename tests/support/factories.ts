// Test data for Convex function tests, on either backend (see backends.ts). Personas are real
// users with memberships; `as(user)` gives a client acting with that user's identity, the same
// shape @convex-dev/auth produces (subject "userId|sessionId").
import type { TestConvex } from "convex-test";
import type { Id } from "../../convex/_generated/dataModel";
import type schema from "../../convex/schema";
import type { SiteRole } from "../../convex/shared/constants";

export type T = TestConvex<typeof schema>;

export async function createUser(t: T, name: string, extra: Record<string, unknown> = {}): Promise<Id<"users">> {
  return await t.run(async (ctx) => {
    const now = Date.now();
    return await ctx.db.insert("users", {
      name,
      email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, ".")}@example.com`,
      role: "user",
      isActive: true,
      createdAt: now,
      updatedAt: now,
      ...extra,
    });
  });
}

/** A client acting as the user (its identity's subject is `userId|session`). */
export function as(t: T, userId: Id<"users">) {
  return t.withIdentity({ subject: `${userId}|test-session`, issuer: "https://convex.test" });
}

export async function addMember(t: T, siteId: Id<"sites">, userId: Id<"users">, role: SiteRole, authorSlug?: string) {
  return await t.run(async (ctx) =>
    ctx.db.insert("siteMembers", {
      siteId,
      userId,
      role,
      authorSlug: authorSlug ?? `${role}-${String(userId).slice(-6)}`,
      createdAt: Date.now(),
    }),
  );
}

export interface World {
  siteId: Id<"sites">;
  otherSiteId: Id<"sites">;
  users: Record<"owner" | "admin" | "editor" | "author" | "contributor" | "reader" | "subscriber" | "outsider", Id<"users">>;
}

/**
 * Two sites; the first has a member of every role, a subscriber (active plan and subscription) and
 * a signed-in reader without a subscription; `outsider` owns the second site only.
 */
export async function createWorld(t: T, slug = "daily"): Promise<World> {
  const names = ["owner", "admin", "editor", "author", "contributor", "reader", "subscriber", "outsider"] as const;
  const users = {} as World["users"];
  for (const n of names) users[n] = await createUser(t, `${n[0].toUpperCase()}${n.slice(1)} ${slug}`);
  const siteId = await t.run(async (ctx) => {
    const now = Date.now();
    return await ctx.db.insert("sites", { name: `The ${slug}`, slug, ownerId: users.owner, createdAt: now, updatedAt: now });
  });
  const otherSiteId = await t.run(async (ctx) => {
    const now = Date.now();
    return await ctx.db.insert("sites", { name: `Other ${slug}`, slug: `${slug}-other`, ownerId: users.outsider, createdAt: now, updatedAt: now });
  });
  for (const role of ["owner", "admin", "editor", "author", "contributor"] as const) {
    await addMember(t, siteId, users[role], role, role);
  }
  await addMember(t, otherSiteId, users.outsider, "owner", "outsider");
  await t.run(async (ctx) => {
    const now = Date.now();
    const planId = await ctx.db.insert("subscriptionPlans", {
      siteId,
      name: "Supporter",
      priceCents: 500,
      currency: "usd",
      interval: "month",
      features: ["Featured posts"],
      isActive: true,
      sortOrder: 0,
      createdAt: now,
      updatedAt: now,
    });
    await ctx.db.insert("subscriptions", {
      siteId,
      userId: users.subscriber,
      planId,
      status: "active",
      currentPeriodStart: now - 86_400_000,
      currentPeriodEnd: now + 30 * 86_400_000,
      cancelAtPeriodEnd: false,
      createdAt: now,
      updatedAt: now,
    });
  });
  return { siteId, otherSiteId, users };
}

/** A TipTap document with the given paragraphs. */
export function doc(...paragraphs: string[]): string {
  return JSON.stringify({
    type: "doc",
    content: paragraphs.map((text) => ({ type: "paragraph", content: text ? [{ type: "text", text }] : [] })),
  });
}
