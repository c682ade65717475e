import { literals } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { appError } from "./lib/errors";
import { action, internalMutation, internalQuery, readerMutation, readerQuery, siteMutation, siteQuery, userMutation } from "./lib/functions";
import { signMemberToken, type MemberTokenPurpose } from "./lib/memberTokens";
import * as Audience from "./model/audience";
import { invalidCode, normalizeCode, randomDigits } from "./model/account";
import * as Studio from "./model/audienceStudio";
import { audienceJoinCodeEmail, sendEmail } from "./model/email";
import { vAudienceAccess, vAudienceEmailState, vAudienceSource, vViewerStanding } from "./validators";

// A publication's audience (ADR 012): joining (emailed code or one click when signed in), signed
// unsubscribe/preferences links, and the studio's list. Thin wrappers over model/audience.ts and
// model/audienceStudio.ts; newsletters are in newsletters.ts.

const JOIN_CODE_DIGITS = 6;

/**
 * Emails a one-time code that confirms the address and joins the site. Answers null whether or not
 * the address is already a member (no enumeration). @throws INVALID_ARGUMENT, NOT_FOUND, RATE_LIMITED.
 */
export const join = action({
  args: { siteId: v.id("sites"), email: v.string(), name: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const email = Audience.cleanEmail(args.email);
    const name = Audience.cleanName(args.name);
    // The code is made here (real randomness) and reaches the database only as an HMAC.
    const code = randomDigits(JOIN_CODE_DIGITS);
    const { siteName } = await ctx.runMutation(internal.audience.startJoin, { siteId: args.siteId, email, name, code });
    await sendEmail(ctx, { to: email, kind: "audience-join-code", ...audienceJoinCodeEmail(siteName, code, Audience.JOIN_CODE_TTL_MINUTES) });
    return null;
  },
});

/** Confirms a join code: the address becomes a subscribed (free) member. @throws INVALID_CODE. */
export const confirm = action({
  args: { siteId: v.id("sites"), email: v.string(), code: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const email = Audience.cleanEmail(args.email);
    const result = await ctx.runMutation(internal.audience.confirmJoin, { siteId: args.siteId, email, code: normalizeCode(args.code) });
    if (!result.ok) throw invalidCode();
    return null;
  },
});

/** Signed-in readers with a verified email join in one click. @throws INVALID_STATE (unverified email). */
export const joinSignedIn = userMutation({
  args: { siteId: v.id("sites") },
  returns: v.null(),
  handler: async (ctx, { siteId }) => {
    await Audience.joinSignedIn(ctx, ctx.viewer, siteId);
    return null;
  },
});

/** Whether the signed-in viewer follows the site (for the join button's state). */
export const myMembership = readerQuery({
  args: { siteId: v.id("sites") },
  returns: v.union(v.null(), v.object({ access: vAudienceAccess, emailState: vAudienceEmailState })),
  handler: async (ctx, { siteId }) => {
    if (!ctx.viewer) return null;
    const m = await Audience.memberOfViewer(ctx, siteId, ctx.viewer);
    return m ? { access: m.access, emailState: m.emailState } : null;
  },
});

/**
 * The signed-in viewer as a reader page shows them: their name, their access on this site and
 * their email state (both null: not a member), for the header and the join form alike, so a
 * signed-in page asks once (issue #18). Null when signed out.
 */
export const myStanding = readerQuery({
  args: { siteId: v.id("sites") },
  returns: vViewerStanding,
  handler: async (ctx, { siteId }) => await Audience.viewerStanding(ctx, siteId, ctx.viewer),
});

// --- signed links (no sign-in) ---------------------------------------------------------------

/** One-click unsubscribe from all email, or from one newsletter. Idempotent; access is kept. @throws INVALID_LINK. */
export const unsubscribe = readerMutation({
  args: { token: v.string(), newsletterId: v.optional(v.id("newsletters")) },
  returns: v.null(),
  handler: async (ctx, { token, newsletterId }) => {
    await Audience.unsubscribe(ctx, token, newsletterId);
    return null;
  },
});

/**
 * The RFC 8058 one-click endpoint's way in (http/unsubscribe.ts): the same rule as `unsubscribe`,
 * with the newsletter id as the link carries it (a string; a malformed one is an invalid link).
 */
export const unsubscribeOneClick = internalMutation({
  args: { token: v.string(), newsletter: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { token, newsletter }) => {
    const newsletterId = newsletter === undefined ? undefined : ctx.db.normalizeId("newsletters", newsletter);
    if (newsletterId === null) throw appError("INVALID_LINK");
    await Audience.unsubscribe(ctx, token, newsletterId);
    return null;
  },
});

const vPreferences = v.object({
  siteName: v.string(),
  email: v.string(),
  emailState: vAudienceEmailState,
  newsletters: v.array(v.object({ _id: v.id("newsletters"), name: v.string(), subscribed: v.boolean() })),
});

/** The member's email preferences, from a signed preferences link. @throws INVALID_LINK. */
export const preferences = readerQuery({
  args: { token: v.string() },
  returns: vPreferences,
  handler: async (ctx, { token }) => await Audience.preferences(ctx, token),
});

/** Sets which newsletters the member receives (none = no email). @throws INVALID_LINK, NOT_FOUND. */
export const setPreferences = readerMutation({
  args: { token: v.string(), newsletters: v.array(v.id("newsletters")) },
  returns: v.null(),
  handler: async (ctx, { token, newsletters }) => {
    if (newsletters.length > 100) throw appError("INVALID_ARGUMENT", { field: "newsletters" });
    await Audience.setPreferences(ctx, token, newsletters);
    return null;
  },
});

/**
 * The signed-in viewer's own email preferences on a site (the "manage email preferences" link of
 * the join form), or null when they are not a member. No token: the session proves who they are.
 */
export const myPreferences = readerQuery({
  args: { siteId: v.id("sites") },
  returns: v.union(v.null(), vPreferences),
  handler: async (ctx, { siteId }) => {
    if (!ctx.viewer) return null;
    const member = await Audience.memberOfViewer(ctx, siteId, ctx.viewer);
    return member ? await Audience.preferencesOf(ctx, member) : null;
  },
});

/** setPreferences for the signed-in viewer's own membership. @throws NOT_FOUND (not a member), INVALID_ARGUMENT. */
export const setMyPreferences = userMutation({
  args: { siteId: v.id("sites"), newsletters: v.array(v.id("newsletters")) },
  returns: v.null(),
  handler: async (ctx, { siteId, newsletters }) => {
    if (newsletters.length > 100) throw appError("INVALID_ARGUMENT", { field: "newsletters" });
    const member = await Audience.memberOfViewer(ctx, siteId, ctx.viewer);
    if (!member) throw appError("NOT_FOUND");
    await Audience.setPreferencesOf(ctx, member, newsletters);
    return null;
  },
});

// --- studio ----------------------------------------------------------------------------------

const vMemberRow = v.object({
  _id: v.id("audienceMembers"),
  email: v.string(),
  name: v.union(v.string(), v.null()),
  access: vAudienceAccess,
  emailState: vAudienceEmailState,
  source: vAudienceSource,
  confirmedAt: v.union(v.number(), v.null()),
  createdAt: v.number(),
});

/** The site's members, newest first, by filter; `search` (email or name prefix) answers one page of up to 50. */
export const list = siteQuery({
  permission: "audience.manage",
  args: { filter: v.optional(literals(...Studio.AUDIENCE_FILTERS)), search: v.optional(v.string()), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vMemberRow),
  handler: async (ctx, { filter, search, paginationOpts }) =>
    await Studio.listMembers(ctx, ctx.site._id, { filter: filter ?? "all", search: search?.slice(0, 254), paginationOpts }),
});

/** One member and the newsletters they receive. */
export const get = siteQuery({
  permission: "audience.manage",
  args: { memberId: v.id("audienceMembers") },
  returns: v.object({
    ...vMemberRow.fields,
    userId: v.union(v.id("users"), v.null()),
    updatedAt: v.number(),
    newsletterIds: v.array(v.id("newsletters")),
  }),
  handler: async (ctx, { memberId }) => await Studio.getMember(ctx, ctx.site._id, memberId),
});

/** Adds a member by hand (optionally comped). @throws INVALID_ARGUMENT, INVALID_STATE (already a member). */
export const add = siteMutation({
  permission: "audience.manage",
  args: { email: v.string(), name: v.optional(v.string()), comp: v.optional(v.boolean()) },
  returns: v.id("audienceMembers"),
  handler: async (ctx, input) => await Studio.addMember(ctx, ctx.site, ctx.viewer._id, input),
});

/** Comps a member, or ends the comp (back to paid or free by their subscriptions). */
export const setComp = siteMutation({
  permission: "audience.manage",
  args: { memberId: v.id("audienceMembers"), comped: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { memberId, comped }) => {
    await Studio.setComp(ctx, ctx.site._id, ctx.viewer._id, memberId, comped);
    return null;
  },
});

// --- internal ----------------------------------------------------------------------------------

export const startJoin = internalMutation({
  args: { siteId: v.id("sites"), email: v.string(), name: v.optional(v.string()), code: v.string() },
  returns: v.object({ siteName: v.string() }),
  handler: async (ctx, args) => await Audience.startJoin(ctx, args),
});

export const confirmJoin = internalMutation({
  args: { siteId: v.id("sites"), email: v.string(), code: v.string() },
  returns: v.union(v.object({ ok: v.literal(true), memberId: v.id("audienceMembers") }), v.object({ ok: v.literal(false) })),
  handler: async (ctx, args) => await Audience.confirmJoin(ctx, args),
});

/**
 * A member's signed link token (for the email sender: List-Unsubscribe and the footer links).
 * Internal: only server code that emails the member may mint one.
 */
export const memberToken = internalQuery({
  args: { memberId: v.id("audienceMembers"), purpose: v.union(v.literal("unsubscribe"), v.literal("preferences")) },
  returns: v.string(),
  handler: async (ctx, { memberId, purpose }) => {
    const m = await ctx.db.get("audienceMembers", memberId);
    if (!m) throw appError("NOT_FOUND");
    return await signMemberToken(m.siteId, m._id, purpose as MemberTokenPurpose);
  },
});
