import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { appError } from "../lib/errors";
import { vAudienceAccess, vAudienceEmailState, vDeliveryStatus, vNotificationType, vPaymentStatus, vPostStatus, vSiteRole, vSubscriptionStatus } from "../validators";
import { listSessions } from "./account";

// Issue #17, "personal data": everything Pressroom holds about the signed-in user, for /account's
// "Download your data" (app/routes/account.data[.]json.tsx). Only the viewer's own rows: there is no
// user argument anywhere, every read is bounded by the viewer's id, email or their own member rows.
// The bounded parts come in one summary; the long ones (posts, notifications, audit entries, emails,
// email deliveries) are "ranges" the route pages through, so a user with thousands of posts fits in
// Convex's per-query limits. Secrets (password hashes, refresh tokens, verification codes, email
// bodies) are never read out.

/** Rows per bounded list (memberships, subscriptions …): far above any real account. */
const MAX_ROWS = 500;

const nul = <T extends Parameters<typeof v.union>[0]>(x: T) => v.union(x, v.null());

/** One list the route pages through (`personalDataPage`). Every one is checked against the viewer. */
export const vDataRange = v.union(
  v.object({ part: v.literal("posts") }),
  v.object({ part: v.literal("notifications") }),
  v.object({ part: v.literal("emails") }),
  /** Audit entries the viewer made; siteId null = platform-level entries. */
  v.object({ part: v.literal("auditByActor"), siteId: nul(v.id("sites")) }),
  /** Audit entries about one of the viewer's ids (their user, site member or audience member row). */
  v.object({ part: v.literal("auditAbout"), siteId: nul(v.id("sites")), entityId: v.string() }),
  /** Post emails sent to one of the viewer's audience member rows. */
  v.object({ part: v.literal("deliveries"), siteId: v.id("sites"), memberId: v.id("audienceMembers") }),
);
export type DataRange = Infer<typeof vDataRange>;

const vSiteRef = v.object({ siteId: v.id("sites"), siteName: nul(v.string()), siteSlug: nul(v.string()) });

export const vPersonalSummary = v.object({
  profile: v.object({
    userId: v.id("users"),
    name: nul(v.string()),
    email: nul(v.string()),
    emailVerified: v.boolean(),
    phone: nul(v.string()),
    image: nul(v.string()),
    role: v.string(),
    createdAt: nul(v.number()),
    lastLoginAt: nul(v.number()),
    bio: nul(v.string()),
    website: nul(v.string()),
    location: nul(v.string()),
    twitter: nul(v.string()),
    hasAvatar: v.boolean(),
  }),
  authAccounts: v.array(v.object({ provider: v.string(), email: nul(v.string()) })),
  sessions: v.array(
    v.object({ createdAt: v.number(), expirationTime: v.number(), lastSeenAt: nul(v.number()), ipAddress: nul(v.string()), userAgent: nul(v.string()), current: v.boolean() }),
  ),
  siteMemberships: v.array(v.object({ ...vSiteRef.fields, role: vSiteRole, authorSlug: v.string(), joinedAt: v.number() })),
  audienceMemberships: v.array(
    v.object({
      ...vSiteRef.fields,
      email: v.string(),
      name: nul(v.string()),
      access: vAudienceAccess,
      emailState: vAudienceEmailState,
      source: v.string(),
      confirmedAt: nul(v.number()),
      createdAt: v.number(),
      newsletters: v.array(v.string()),
    }),
  ),
  subscriptions: v.array(
    v.object({
      ...vSiteRef.fields,
      plan: nul(v.string()),
      status: vSubscriptionStatus,
      currentPeriodStart: v.number(),
      currentPeriodEnd: v.number(),
      cancelAtPeriodEnd: v.boolean(),
      canceledAt: nul(v.number()),
      createdAt: v.number(),
    }),
  ),
  payments: v.array(
    v.object({
      ...vSiteRef.fields,
      amountCents: v.number(),
      amountRefundedCents: v.number(),
      currency: v.string(),
      status: vPaymentStatus,
      description: nul(v.string()),
      createdAt: v.number(),
    }),
  ),
  invitations: v.array(v.object({ ...vSiteRef.fields, role: vSiteRole, expiresAt: v.number(), createdAt: v.number() })),
  /** The long lists, in the order the download writes them. */
  ranges: v.array(vDataRange),
});
export type PersonalSummary = Infer<typeof vPersonalSummary>;

export const vDataItem = v.union(
  v.object({
    kind: v.literal("post"),
    ...vSiteRef.fields,
    title: v.string(),
    slug: v.string(),
    status: vPostStatus,
    featured: v.boolean(),
    excerpt: nul(v.string()),
    createdAt: v.number(),
    updatedAt: v.number(),
    publishedAt: nul(v.number()),
    scheduledAt: nul(v.number()),
    /** The latest version (the draft): TipTap JSON text and its plain text. */
    doc: nul(v.string()),
    text: nul(v.string()),
  }),
  v.object({ kind: v.literal("notification"), siteId: nul(v.id("sites")), type: vNotificationType, title: v.string(), body: nul(v.string()), read: v.boolean(), createdAt: v.number() }),
  v.object({ kind: v.literal("email"), emailKind: v.string(), subject: v.string(), createdAt: v.number(), sentAt: nul(v.number()) }),
  v.object({ kind: v.literal("audit"), siteId: nul(v.id("sites")), byYou: v.boolean(), action: v.string(), entityType: v.string(), entityId: v.string(), diff: v.string(), createdAt: v.number() }),
  v.object({ kind: v.literal("delivery"), siteId: v.id("sites"), postId: v.id("posts"), status: vDeliveryStatus, access: v.string(), createdAt: v.number() }),
);
export type DataItem = Infer<typeof vDataItem>;

type SiteRef = Infer<typeof vSiteRef>;

/** Site name lookups, once per site per query. */
function siteRefs(ctx: QueryCtx) {
  const cache = new Map<Id<"sites">, Promise<SiteRef>>();
  return (siteId: Id<"sites">): Promise<SiteRef> => {
    let ref = cache.get(siteId);
    if (!ref) {
      ref = ctx.db.get("sites", siteId).then((s) => ({ siteId, siteName: s?.name ?? null, siteSlug: s?.slug ?? null }));
      cache.set(siteId, ref);
    }
    return ref;
  };
}

/** The viewer's audience member rows: by their address, and any linked to their account without it. */
async function audienceRows(ctx: QueryCtx, viewer: Doc<"users">, siteIds: Iterable<Id<"sites">>): Promise<Doc<"audienceMembers">[]> {
  const byId = new Map<Id<"audienceMembers">, Doc<"audienceMembers">>();
  if (viewer.email) {
    const email = viewer.email.trim().toLowerCase();
    for (const m of await ctx.db.query("audienceMembers").withIndex("by_email", (q) => q.eq("email", email)).take(MAX_ROWS)) byId.set(m._id, m);
  }
  for (const siteId of siteIds) {
    for (const m of await ctx.db.query("audienceMembers").withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", viewer._id)).take(5)) {
      byId.set(m._id, m);
    }
  }
  return [...byId.values()];
}

export async function summary(ctx: QueryCtx, viewer: Doc<"users">): Promise<PersonalSummary> {
  const site = siteRefs(ctx);
  const profile = await ctx.db.query("userProfiles").withIndex("by_userId", (q) => q.eq("userId", viewer._id)).unique();
  const accounts = await ctx.db.query("authAccounts").withIndex("userIdAndProvider", (q) => q.eq("userId", viewer._id)).take(MAX_ROWS);
  const members = await ctx.db.query("siteMembers").withIndex("by_userId", (q) => q.eq("userId", viewer._id)).take(MAX_ROWS);
  const subs = await ctx.db.query("subscriptions").withIndex("by_userId", (q) => q.eq("userId", viewer._id)).take(MAX_ROWS);
  const siteIds = new Set<Id<"sites">>([...members.map((m) => m.siteId), ...subs.map((s) => s.siteId)]);
  const audience = await audienceRows(ctx, viewer, siteIds);
  for (const a of audience) siteIds.add(a.siteId);

  const audienceMemberships: PersonalSummary["audienceMemberships"] = [];
  for (const a of audience) {
    const links = await ctx.db
      .query("memberNewsletters")
      .withIndex("by_siteId_and_memberId_and_newsletterId", (q) => q.eq("siteId", a.siteId).eq("memberId", a._id))
      .take(MAX_ROWS);
    const names: string[] = [];
    for (const l of links) names.push((await ctx.db.get("newsletters", l.newsletterId))?.name ?? "(deleted newsletter)");
    audienceMemberships.push({
      ...(await site(a.siteId)),
      email: a.email,
      name: a.name ?? null,
      access: a.access,
      emailState: a.emailState,
      source: a.source,
      confirmedAt: a.confirmedAt ?? null,
      createdAt: a.createdAt,
      newsletters: names,
    });
  }

  const subscriptions: PersonalSummary["subscriptions"] = [];
  for (const s of subs) {
    const plan = s.planId ? await ctx.db.get("subscriptionPlans", s.planId) : null;
    subscriptions.push({
      ...(await site(s.siteId)),
      plan: plan?.name ?? null,
      status: s.status,
      currentPeriodStart: s.currentPeriodStart,
      currentPeriodEnd: s.currentPeriodEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      canceledAt: s.canceledAt ?? null,
      createdAt: s.createdAt,
    });
  }

  const payments: PersonalSummary["payments"] = [];
  const invitations: PersonalSummary["invitations"] = [];
  const email = viewer.email?.trim().toLowerCase();
  for (const siteId of siteIds) {
    for (const p of await ctx.db.query("payments").withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", viewer._id)).take(MAX_ROWS)) {
      payments.push({
        ...(await site(siteId)),
        amountCents: p.amountCents,
        amountRefundedCents: p.amountRefundedCents ?? 0,
        currency: p.currency,
        status: p.status,
        description: p.description ?? null,
        createdAt: p.createdAt,
      });
    }
    if (!email) continue;
    // Invitations are found per site (no cross-site index on address); invitation emails to
    // sites the user has no tie to yet are in the "emails" range (kind site-invite).
    for (const i of await ctx.db.query("siteInvites").withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId).eq("email", email)).take(MAX_ROWS)) {
      invitations.push({ ...(await site(siteId)), role: i.role, expiresAt: i.expiresAt, createdAt: i.createdAt });
    }
  }

  const ranges: DataRange[] = [{ part: "posts" }, { part: "notifications" }, { part: "emails" }];
  const scopes: Array<Id<"sites"> | null> = [null, ...siteIds];
  for (const siteId of scopes) ranges.push({ part: "auditByActor", siteId });
  ranges.push({ part: "auditAbout", siteId: null, entityId: viewer._id });
  for (const siteId of siteIds) ranges.push({ part: "auditAbout", siteId, entityId: viewer._id });
  for (const m of members) ranges.push({ part: "auditAbout", siteId: m.siteId, entityId: m._id });
  for (const a of audience) ranges.push({ part: "auditAbout", siteId: a.siteId, entityId: a._id });
  for (const a of audience) ranges.push({ part: "deliveries", siteId: a.siteId, memberId: a._id });

  const siteMemberships: PersonalSummary["siteMemberships"] = [];
  for (const m of members) siteMemberships.push({ ...(await site(m.siteId)), role: m.role, authorSlug: m.authorSlug, joinedAt: m.createdAt });

  return {
    profile: {
      userId: viewer._id,
      name: viewer.name ?? null,
      email: viewer.email ?? null,
      emailVerified: viewer.emailVerified ?? viewer.emailVerificationTime !== undefined,
      phone: viewer.phone ?? null,
      image: viewer.image ?? null,
      role: viewer.role ?? "user",
      createdAt: viewer.createdAt ?? viewer._creationTime,
      lastLoginAt: viewer.lastLoginAt ?? null,
      bio: profile?.bio ?? null,
      website: profile?.website ?? null,
      location: profile?.location ?? null,
      twitter: profile?.twitter ?? null,
      hasAvatar: profile?.avatarStorageId !== undefined,
    },
    // Provider and address only: never the secret (password hash) or provider tokens.
    authAccounts: accounts.map((a) => ({ provider: a.provider, email: a.providerAccountId.includes("@") ? a.providerAccountId : null })),
    sessions: (await listSessions(ctx, viewer)).map(({ _id: _session, ...s }) => s),
    siteMemberships,
    audienceMemberships,
    subscriptions,
    payments,
    invitations,
    ranges,
  };
}

/** True when `entityId` is the viewer's user id or one of their own member rows. */
async function isOwnEntity(ctx: QueryCtx, viewer: Doc<"users">, entityId: string): Promise<boolean> {
  if (entityId === viewer._id) return true;
  const memberId = ctx.db.normalizeId("siteMembers", entityId);
  if (memberId) return (await ctx.db.get("siteMembers", memberId))?.userId === viewer._id;
  const audienceId = ctx.db.normalizeId("audienceMembers", entityId);
  if (audienceId) return isOwnAudienceMember(viewer, await ctx.db.get("audienceMembers", audienceId));
  return false;
}

function isOwnAudienceMember(viewer: Doc<"users">, m: Doc<"audienceMembers"> | null): boolean {
  if (!m) return false;
  if (m.userId === viewer._id) return true;
  return !!viewer.email && m.email === viewer.email.trim().toLowerCase();
}

const refuse = () => appError("FORBIDDEN", { message: "That is not your data." });

/**
 * One page of one range. A range naming someone else's member row is refused (FORBIDDEN), so a
 * hand-made range cannot read another user's entries.
 */
export async function page(ctx: QueryCtx, viewer: Doc<"users">, range: DataRange, opts: PaginationOptions): Promise<PaginationResult<DataItem>> {
  const map = async <T>(r: PaginationResult<T>, f: (row: T) => Promise<DataItem> | DataItem): Promise<PaginationResult<DataItem>> => {
    const items: DataItem[] = [];
    for (const row of r.page) items.push(await f(row));
    return { ...r, page: items };
  };
  switch (range.part) {
    case "posts": {
      const site = siteRefs(ctx);
      const r = await ctx.db.query("posts").withIndex("by_authorId", (q) => q.eq("authorId", viewer._id)).paginate(opts);
      return map(r, async (p) => {
        const body = await ctx.db
          .query("postBodies")
          .withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", p.siteId).eq("postId", p._id).eq("kind", "draft"))
          .first();
        return {
          kind: "post" as const,
          ...(await site(p.siteId)),
          title: body?.title ?? p.title,
          slug: p.slug,
          status: p.status,
          featured: p.featured,
          excerpt: body?.excerpt ?? p.excerpt ?? null,
          createdAt: p.createdAt,
          updatedAt: p.updatedAt,
          publishedAt: p.publishedAt ?? null,
          scheduledAt: p.scheduledAt ?? null,
          doc: body?.doc ?? null,
          text: body?.text ?? null,
        };
      });
    }
    case "notifications": {
      const r = await ctx.db.query("notifications").withIndex("by_userId_and_createdAt", (q) => q.eq("userId", viewer._id)).paginate(opts);
      return map(r, (n) => ({ kind: "notification" as const, siteId: n.siteId ?? null, type: n.type, title: n.title, body: n.body ?? null, read: n.read, createdAt: n.createdAt }));
    }
    case "emails": {
      // Subjects and dates only: bodies may hold sign-in codes and reset links.
      const email = viewer.email?.trim().toLowerCase();
      if (!email) return { page: [], isDone: true, continueCursor: "" };
      const r = await ctx.db.query("emails").withIndex("by_to_and_kind", (q) => q.eq("to", email)).paginate(opts);
      return map(r, (e) => ({ kind: "email" as const, emailKind: e.kind, subject: e.subject, createdAt: e.createdAt, sentAt: e.sentAt ?? null }));
    }
    case "auditByActor": {
      const r = await ctx.db
        .query("auditLogs")
        .withIndex("by_siteId_and_actorId_and_createdAt", (q) => q.eq("siteId", range.siteId ?? undefined).eq("actorId", viewer._id))
        .paginate(opts);
      return map(r, (a) => auditItem(a, true));
    }
    case "auditAbout": {
      if (!(await isOwnEntity(ctx, viewer, range.entityId))) throw refuse();
      const r = await ctx.db
        .query("auditLogs")
        .withIndex("by_siteId_and_entityId_and_createdAt", (q) => q.eq("siteId", range.siteId ?? undefined).eq("entityId", range.entityId))
        .paginate(opts);
      // Entries the viewer made are in their auditByActor range already.
      const about = await map(r, (a) => auditItem(a, a.actorId === viewer._id));
      return { ...about, page: about.page.filter((item) => item.kind === "audit" && !item.byYou) };
    }
    case "deliveries": {
      const member = await ctx.db.get("audienceMembers", range.memberId);
      if (!member || member.siteId !== range.siteId || !isOwnAudienceMember(viewer, member)) throw refuse();
      const r = await ctx.db
        .query("emailDeliveries")
        .withIndex("by_siteId_and_memberId_and_createdAt", (q) => q.eq("siteId", range.siteId).eq("memberId", range.memberId))
        .paginate(opts);
      return map(r, (d) => ({ kind: "delivery" as const, siteId: d.siteId, postId: d.postId, status: d.status, access: d.access, createdAt: d.createdAt }));
    }
  }
}

function auditItem(a: Doc<"auditLogs">, byYou: boolean): DataItem {
  return { kind: "audit", siteId: a.siteId ?? null, byYou, action: a.action, entityType: a.entityType, entityId: a.entityId, diff: a.diff, createdAt: a.createdAt };
}
