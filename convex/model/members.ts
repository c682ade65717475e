import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { getMembership } from "../lib/access";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { appError, cleanField } from "../lib/errors";
import { notify } from "../lib/notify";
import { uniqueAuthorSlug } from "../sites";
import { FIELDS } from "../shared/fields";
import { can, mayInvite, mayManageMember, ROLE_RANK, type SiteRole } from "../shared/roles";
import { claimPlaceholder, requireClaimable } from "./placeholders";
import type { Actor } from "./posts";

// Membership rules (who may invite, change roles and remove whom). The invariants:
// - a site always keeps at least one *active* owner (not deactivated, not being deleted): LAST_OWNER;
// - nobody gains or hands out more power than they hold: only owners grant, revoke or touch the
//   owner role; below owner, a member may only act on members ranked strictly below them and may
//   only grant roles up to their own (an admin may make an editor an admin, never an owner). The
//   rule itself is shared/roles.ts mayManageMember/mayInvite, which the studio uses too;
// - sites.ownerId always names one of the site's owners (the "primary" owner shown in the app).

/** How long an invitation stays valid. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Whether a user can act at all (not deactivated, not being deleted). */
function isActiveUser(user: Doc<"users"> | null): user is Doc<"users"> {
  return !!user && user.isActive !== false && user.deletingAt === undefined;
}

/** The site's owner memberships whose users are active, optionally leaving one user out. */
export async function activeOwners(ctx: QueryCtx, siteId: Id<"sites">, exceptUserId?: Id<"users">) {
  const owners = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_role", (q) => q.eq("siteId", siteId).eq("role", "owner"))
    .take(100);
  const out: Doc<"siteMembers">[] = [];
  for (const m of owners) {
    if (m.userId === exceptUserId) continue;
    if (isActiveUser(await ctx.db.get("users", m.userId))) out.push(m);
  }
  return out;
}

/**
 * Whether the site has a member other than `userId` who is staying (members whose own account
 * deletion is under way do not count: their memberships are about to go).
 */
export async function hasOtherMembers(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">): Promise<boolean> {
  for await (const m of ctx.db.query("siteMembers").withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId))) {
    if (m.userId === userId) continue;
    const u = await ctx.db.get("users", m.userId);
    if (u && u.deletingAt === undefined) return true;
  }
  return false;
}

/**
 * Keeps sites.ownerId pointing at an owner once `leavingUserId` stops being one (demoted, removed,
 * deleted). No-op when the site's primary owner is someone else.
 */
export async function handOverPrimaryOwner(ctx: MutationCtx, site: Doc<"sites">, leavingUserId: Id<"users">) {
  const fresh = await ctx.db.get("sites", site._id);
  if (!fresh || fresh.ownerId !== leavingUserId) return;
  const [next] = await activeOwners(ctx, site._id, leavingUserId);
  if (next) await ctx.db.patch("sites", site._id, { ownerId: next.userId, updatedAt: Date.now() });
}

/**
 * Whether `actor` may change `target`'s role to `role`, or remove `target` (role undefined).
 * @throws ConvexError FORBIDDEN
 */
export function requireMayManage(actor: Doc<"siteMembers">, target: Doc<"siteMembers">, role?: SiteRole) {
  if (!mayManageMember(actor.role, target.role, { self: target._id === actor._id, to: role })) throw appError("FORBIDDEN");
}

/** @throws ConvexError LAST_OWNER when `target` is the site's last active owner. */
async function requireNotLastOwner(ctx: QueryCtx, target: Doc<"siteMembers">) {
  if (target.role !== "owner") return;
  const others = await activeOwners(ctx, target.siteId, target.userId);
  if (others.length === 0) throw appError("LAST_OWNER");
}

export interface MemberView {
  _id: Id<"siteMembers">;
  userId: Id<"users">;
  name: string;
  image: string | null;
  role: SiteRole;
  authorSlug: string;
  createdAt: number;
  /** Issue #17: an imported author nobody has claimed yet (no account behind it). */
  placeholder: boolean;
}

/** The site's members (active users), strongest role first, then by name. */
export async function listMembers(ctx: QueryCtx, siteId: Id<"sites">): Promise<MemberView[]> {
  const rows = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId))
    .take(1000);
  const out: MemberView[] = [];
  for (const m of rows) {
    const user = await ctx.db.get("users", m.userId);
    if (!user || user.deletingAt !== undefined) continue;
    out.push({
      _id: m._id,
      userId: m.userId,
      name: displayName(user),
      image: user.image ?? null,
      role: m.role,
      authorSlug: m.authorSlug,
      createdAt: m.createdAt,
      placeholder: m.placeholder !== undefined,
    });
  }
  return out.sort((a, b) => ROLE_RANK[b.role] - ROLE_RANK[a.role] || a.name.localeCompare(b.name));
}

/** An invitation token: the site id, a dot, and 256 random bits in hex (URL-safe). */
function inviteToken(siteId: Id<"sites">): string {
  return `${siteId}.${randomHex()}`;
}

/** The site id part of an invitation token, or null for a malformed one. */
function tokenSite(ctx: QueryCtx, token: string): Id<"sites"> | null {
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  return ctx.db.normalizeId("sites", token.slice(0, dot));
}

/** 32 random bytes as hex (crypto when the runtime has it). */
function randomHex(): string {
  const bytes = new Uint8Array(32);
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Invites an email address to the site with a role. Admins and above; only owners invite owners.
 * Re-inviting the same address replaces the pending invitation (new token, role and expiry).
 * With `claimMemberId` (issue #17), accepting also claims that imported placeholder author of this
 * site (model/placeholders.ts); checked here and again on accept.
 * @returns the invitation id and token (the token is the invitee's link; never logged).
 * @throws ConvexError FORBIDDEN, INVALID_ARGUMENT (email, claimMemberId), INVALID_STATE (already a member)
 */
export async function invite(
  ctx: MutationCtx,
  actor: Actor,
  input: { email: string; role: SiteRole; claimMemberId?: Id<"siteMembers"> },
) {
  if (!mayInvite(actor.member.role, input.role)) throw appError("FORBIDDEN");
  const email = cleanField(FIELDS.email, input.email, "email", "Enter an email address.");
  const siteId = actor.site._id;
  if (input.claimMemberId) await requireClaimable(ctx, siteId, input.claimMemberId);
  const existingUser = await ctx.db
    .query("users")
    .withIndex("email", (q) => q.eq("email", email))
    .first();
  if (existingUser && (await getMembership(ctx, siteId, existingUser._id))) {
    throw appError("INVALID_STATE", { field: "email", message: "They are already a member." });
  }
  const previous = await ctx.db
    .query("siteInvites")
    .withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId).eq("email", email))
    .collect();
  for (const p of previous) await ctx.db.delete("siteInvites", p._id);
  const now = Date.now();
  const token = inviteToken(siteId);
  const inviteId = await ctx.db.insert("siteInvites", {
    siteId,
    email,
    role: input.role,
    token,
    invitedBy: actor.viewer._id,
    expiresAt: now + INVITE_TTL_MS,
    createdAt: now,
    ...(input.claimMemberId ? { claimMemberId: input.claimMemberId } : {}),
  });
  if (existingUser && isActiveUser(existingUser)) {
    await notify(ctx, existingUser._id, {
      type: "site_invite",
      siteId,
      title: `${displayName(actor.viewer)} invited you to join ${actor.site.name} as ${input.role}`,
      link: `/invites/${token}`,
    });
  }
  await audit(ctx, {
    siteId,
    actorId: actor.viewer._id,
    action: "member.invite",
    entityType: "siteInvite",
    entityId: inviteId,
    // The token is a credential: it never goes into the log.
    after: { email, role: input.role, ...(input.claimMemberId ? { claimMemberId: input.claimMemberId } : {}) },
  });
  return { inviteId, token };
}

/** Pending (unexpired) invitations of a site. */
export async function listInvites(ctx: QueryCtx, siteId: Id<"sites">) {
  const rows = await ctx.db
    .query("siteInvites")
    .withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId))
    .take(500);
  const now = Date.now();
  return rows
    .filter((r) => r.expiresAt > now)
    .map((r) => ({ _id: r._id, email: r.email, role: r.role, expiresAt: r.expiresAt, createdAt: r.createdAt }));
}

/** Withdraws a pending invitation. Admins and above; only owners withdraw owner invitations. */
export async function revokeInvite(ctx: MutationCtx, actor: Actor, inviteId: Id<"siteInvites">) {
  if (!can(actor.member.role, "member.invite")) throw appError("FORBIDDEN");
  const inv = await ctx.db.get("siteInvites", inviteId);
  if (!inv || inv.siteId !== actor.site._id) throw appError("NOT_FOUND");
  if (!mayInvite(actor.member.role, inv.role)) throw appError("FORBIDDEN");
  await ctx.db.delete("siteInvites", inv._id);
  await audit(ctx, {
    siteId: inv.siteId,
    actorId: actor.viewer._id,
    action: "member.revokeInvite",
    entityType: "siteInvite",
    entityId: inv._id,
    before: { email: inv.email, role: inv.role },
    after: null,
  });
}

/**
 * The viewer accepts an invitation: they become a member with the invited role and a unique author
 * slug. Only the invited address may accept; an unknown, expired or someone else's token is
 * NOT_FOUND (the same answer, so tokens cannot be probed). Already a member: the invitation is used
 * up and the role left as it is.
 */
export async function accept(ctx: MutationCtx, viewer: Doc<"users">, token: string): Promise<Id<"sites">> {
  const siteId = tokenSite(ctx, token);
  const inv = siteId
    ? await ctx.db
        .query("siteInvites")
        .withIndex("by_siteId_and_token", (q) => q.eq("siteId", siteId).eq("token", token))
        .unique()
    : null;
  const email = viewer.email?.trim().toLowerCase();
  if (!inv || inv.expiresAt <= Date.now() || !email || inv.email !== email) throw appError("NOT_FOUND");
  const site = await ctx.db.get("sites", inv.siteId);
  if (!site) {
    await ctx.db.delete("siteInvites", inv._id);
    throw appError("NOT_FOUND");
  }
  await ctx.db.delete("siteInvites", inv._id);
  const existing = await getMembership(ctx, site._id, viewer._id);
  if (inv.claimMemberId) {
    await claimPlaceholder(ctx, viewer, inv, inv.claimMemberId, existing);
    return site._id;
  }
  if (existing) return site._id;
  const memberId = await ctx.db.insert("siteMembers", {
    siteId: site._id,
    userId: viewer._id,
    role: inv.role,
    authorSlug: await uniqueAuthorSlug(ctx, site._id, displayName(viewer)),
    invitedBy: inv.invitedBy,
    createdAt: Date.now(),
  });
  await audit(ctx, {
    siteId: site._id,
    actorId: viewer._id,
    action: "member.join",
    entityType: "siteMember",
    entityId: memberId,
    after: { userId: viewer._id, role: inv.role },
  });
  return site._id;
}

/**
 * Changes a member's role under the rules above.
 * @throws ConvexError NOT_FOUND (not a member), FORBIDDEN, LAST_OWNER
 */
export async function changeRole(ctx: MutationCtx, actor: Actor, userId: Id<"users">, role: SiteRole): Promise<void> {
  const target = await getMembership(ctx, actor.site._id, userId);
  if (!target) throw appError("NOT_FOUND");
  requireMayManage(actor.member, target, role);
  if (target.role === role) return;
  if (role !== "owner") await requireNotLastOwner(ctx, target);
  await ctx.db.patch("siteMembers", target._id, { role });
  if (target.role === "owner") await handOverPrimaryOwner(ctx, actor.site, target.userId);
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: "member.role",
    entityType: "siteMember",
    entityId: target._id,
    before: { userId: target.userId, role: target.role },
    after: { userId: target.userId, role },
  });
}

/**
 * Removes a member (admins and above, under the rules above), or the viewer leaves (any member).
 * Their posts stay in the site under their name.
 * @throws ConvexError NOT_FOUND, FORBIDDEN, LAST_OWNER
 */
export async function removeMember(ctx: MutationCtx, actor: Actor, userId: Id<"users">): Promise<void> {
  const target = await getMembership(ctx, actor.site._id, userId);
  if (!target) throw appError("NOT_FOUND");
  const self = target._id === actor.member._id;
  if (!self) requireMayManage(actor.member, target);
  await requireNotLastOwner(ctx, target);
  await ctx.db.delete("siteMembers", target._id);
  if (target.role === "owner") await handOverPrimaryOwner(ctx, actor.site, target.userId);
  await audit(ctx, {
    siteId: actor.site._id,
    actorId: actor.viewer._id,
    action: self ? "member.leave" : "member.remove",
    entityType: "siteMember",
    entityId: target._id,
    before: { userId: target.userId, role: target.role },
    after: null,
  });
}
