import { v } from "convex/values";
import { internalMutation, siteMutation, siteQuery, userMutation } from "./lib/functions";
import * as Members from "./model/members";
import * as Placeholders from "./model/placeholders";
import { vSiteRole } from "./validators";

// Site membership: listing, invitations, role changes and removal. The rules (and why privilege
// escalation through them is impossible) live in model/members.ts.

const vMember = v.object({
  _id: v.id("siteMembers"),
  userId: v.id("users"),
  name: v.string(),
  image: v.union(v.string(), v.null()),
  role: vSiteRole,
  authorSlug: v.string(),
  createdAt: v.number(),
  placeholder: v.boolean(),
});

/** The site's members with names and roles (no emails). Any member. */
export const list = siteQuery({
  args: {},
  returns: v.array(vMember),
  handler: async (ctx) => Members.listMembers(ctx, ctx.site._id),
});

/** Pending invitations (without their tokens). Admins and above. */
export const listInvites = siteQuery({
  permission: "member.invite",
  args: {},
  returns: v.array(
    v.object({ _id: v.id("siteInvites"), email: v.string(), role: vSiteRole, expiresAt: v.number(), createdAt: v.number() }),
  ),
  handler: async (ctx) => await Members.listInvites(ctx, ctx.site._id),
});

/**
 * Invites an email address with a role (admins and above; owners only for the owner role). The
 * invited user, if they have an account, gets a "site_invite" notification with the link.
 * `claimMemberId`: an imported placeholder author of this site whose posts the invitee takes over.
 */
export const invite = siteMutation({
  args: { email: v.string(), role: vSiteRole, claimMemberId: v.optional(v.id("siteMembers")) },
  returns: v.object({ inviteId: v.id("siteInvites"), token: v.string() }),
  handler: async (ctx, args) => Members.invite(ctx, ctx, args),
});

/**
 * Issue #17: the site's imported placeholder authors with the email the import found for them (to
 * prefill an invitation to claim their posts). Admins and above: emails are not for every member.
 */
export const claimable = siteQuery({
  permission: "member.invite",
  args: {},
  returns: v.array(v.object({ memberId: v.id("siteMembers"), name: v.string(), email: v.union(v.string(), v.null()) })),
  handler: async (ctx) => await Placeholders.listClaimable(ctx, ctx.site._id),
});

/** Withdraws a pending invitation. Admins and above. */
export const revokeInvite = siteMutation({
  args: { inviteId: v.id("siteInvites") },
  returns: v.null(),
  handler: async (ctx, { inviteId }) => {
    await Members.revokeInvite(ctx, ctx, inviteId);
    return null;
  },
});

/** The viewer accepts an invitation sent to their email address; returns the site. */
export const accept = userMutation({
  args: { token: v.string() },
  returns: v.id("sites"),
  handler: async (ctx, { token }) => Members.accept(ctx, ctx.viewer, token),
});

/**
 * Changes a member's role. Admins and above; only owners grant or revoke owner; below owner one
 * acts only on lower-ranked members and never grants above one's own role. LAST_OWNER protects the
 * last owner.
 */
export const changeRole = siteMutation({
  args: { userId: v.id("users"), role: vSiteRole },
  returns: v.null(),
  handler: async (ctx, { userId, role }) => {
    await Members.changeRole(ctx, ctx, userId, role);
    return null;
  },
});

/** Removes a member (admins and above; owners only by owners), or leaves (userId = the viewer). */
export const remove = siteMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    await Members.removeMember(ctx, ctx, userId);
    return null;
  },
});

/** The next batch of a placeholder author's posts moving to who claimed them. Trusted: scheduled by accept and by itself. */
export const continueClaim = internalMutation({
  args: { siteId: v.id("sites"), fromUserId: v.id("users"), toUserId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, state) => {
    await Placeholders.claimStep(ctx, state);
    return null;
  },
});
