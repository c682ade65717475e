import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, cleanField } from "../lib/errors";
import { constantTimeEqual, hashJoinCode, verifyMemberToken, type MemberTokenPurpose } from "../lib/memberTokens";
import { consume, type Keys } from "../lib/rateLimits";
import { FIELDS } from "../shared/fields";
import type { AudienceSource } from "../validators";
import { rateLimited } from "./account";
import { subscriptionGrantsAccess } from "./entitlements";
import { ensureDefaultNewsletter, listNewsletters, requireNewsletter } from "./newsletters";

// A publication's audience (ADR 012): readers who follow it by email, free, paid or comped. One row
// per (site, address); nothing here deletes a member. Joining proves the address (an emailed code,
// or a signed-in user's verified email); paid access follows the reader's subscriptions
// (syncPaidAccess, called where subscription rows change); signed links manage email preferences.

/** How long an emailed join code is valid, and how many wrong tries it survives. */
export const JOIN_CODE_TTL_MINUTES = 15;
export const JOIN_CODE_MAX_ATTEMPTS = 5;

/** The trimmed, lower-cased address. @throws INVALID_ARGUMENT (field "email"). */
export function cleanEmail(raw: string): string {
  return cleanField(FIELDS.email, raw, "email");
}

/** An optional display name, or undefined when blank. @throws INVALID_ARGUMENT (field "name") when too long. */
export function cleanName(raw: string | undefined): string | undefined {
  if (raw === undefined || !raw.trim()) return undefined;
  return cleanField(FIELDS.displayName, raw, "name");
}

const nameKey = (name: string | undefined) => name?.toLowerCase();

export async function memberByEmail(ctx: QueryCtx, siteId: Id<"sites">, email: string) {
  return await ctx.db
    .query("audienceMembers")
    .withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId).eq("email", email))
    .first();
}

export async function memberByUser(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">) {
  return await ctx.db
    .query("audienceMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .first();
}

/**
 * The signed-in viewer's member row on the site: the one linked to their account, else the row of
 * their account's verified address that no other account holds (a reader who joined by email and
 * created an account later; the link itself is written by the next join or paid sync). Both prove
 * the address, like the signed email links. An unverified account email finds nothing.
 */
export async function memberOfViewer(ctx: QueryCtx, siteId: Id<"sites">, viewer: Doc<"users">) {
  const linked = await memberByUser(ctx, siteId, viewer._id);
  if (linked || !viewer.email || viewer.emailVerificationTime === undefined) return linked;
  const byEmail = await memberByEmail(ctx, siteId, viewer.email.trim().toLowerCase());
  return byEmail && byEmail.userId === undefined ? byEmail : null;
}

/** The signed-in viewer's standing on the site as the reader header shows it, or null when signed out. */
export async function viewerStanding(ctx: QueryCtx, siteId: Id<"sites">, viewer: Doc<"users"> | null) {
  if (!viewer) return null;
  const m = await memberOfViewer(ctx, siteId, viewer);
  return { name: viewer.name?.trim() || viewer.email || "Your account", access: m?.access ?? null, emailState: m?.emailState ?? null };
}

/** The one user whose verified account email is `email`, if any. */
async function verifiedUserId(ctx: QueryCtx, email: string): Promise<Id<"users"> | undefined> {
  const users = await ctx.db
    .query("users")
    .withIndex("email", (q) => q.eq("email", email))
    .take(2);
  const verified = users.filter((u) => u.emailVerificationTime !== undefined);
  return verified.length === 1 ? verified[0]._id : undefined;
}

/** Subscribes the member to the newsletter (idempotent). */
export async function subscribeTo(ctx: MutationCtx, member: Doc<"audienceMembers">, newsletterId: Id<"newsletters">) {
  const row = await ctx.db
    .query("memberNewsletters")
    .withIndex("by_siteId_and_memberId_and_newsletterId", (q) => q.eq("siteId", member.siteId).eq("memberId", member._id).eq("newsletterId", newsletterId))
    .first();
  if (!row) await ctx.db.insert("memberNewsletters", { siteId: member.siteId, memberId: member._id, newsletterId, createdAt: Date.now() });
}

/** The member's newsletter subscriptions (a site has at most MAX_NEWSLETTERS). */
export async function subscriptionsOf(ctx: QueryCtx, member: Doc<"audienceMembers">) {
  return await ctx.db
    .query("memberNewsletters")
    .withIndex("by_siteId_and_memberId_and_newsletterId", (q) => q.eq("siteId", member.siteId).eq("memberId", member._id))
    .take(100);
}

/** Subscribes a member to the site's newsletters that are on by default (creating the default one). */
async function subscribeToDefaults(ctx: MutationCtx, site: Doc<"sites">, member: Doc<"audienceMembers">) {
  for (const n of await ensureDefaultNewsletter(ctx, site)) {
    if (n.defaultOn && !n.archived) await subscribeTo(ctx, member, n._id);
  }
}

export interface MemberInput {
  email: string;
  name?: string;
  userId?: Id<"users">;
  source: AudienceSource;
  /** The address was proven now (code or verified account). */
  confirmed: boolean;
  /** Access for a new member (default free); an existing member's access is kept. */
  access?: Doc<"audienceMembers">["access"];
}

/**
 * Creates the member (subscribed to the default newsletters), or re-activates an existing one: its
 * email state becomes subscribed and, if it was not subscribed, the default newsletters are added
 * back. Access, preferences and history of an existing member are kept. @returns the member.
 */
export async function activateMember(ctx: MutationCtx, site: Doc<"sites">, input: MemberInput): Promise<Doc<"audienceMembers">> {
  const now = Date.now();
  const existing = await memberByEmail(ctx, site._id, input.email);
  // The account that proved this address (if any) is the member's: its comp and paid access follow it.
  const userId = input.userId ?? (existing?.userId ? undefined : await verifiedUserId(ctx, input.email));
  if (existing) {
    const patch: Partial<Doc<"audienceMembers">> = { emailState: "subscribed", updatedAt: now };
    if (input.confirmed && existing.confirmedAt === undefined) patch.confirmedAt = now;
    if (userId && !existing.userId) patch.userId = userId;
    if (input.name && !existing.name) Object.assign(patch, { name: input.name, nameKey: nameKey(input.name) });
    await ctx.db.patch("audienceMembers", existing._id, patch);
    const member = { ...existing, ...patch };
    if (existing.emailState !== "subscribed") await subscribeToDefaults(ctx, site, member);
    return member;
  }
  const id = await ctx.db.insert("audienceMembers", {
    siteId: site._id,
    email: input.email,
    userId,
    name: input.name,
    nameKey: nameKey(input.name),
    access: input.access ?? "free",
    emailState: "subscribed",
    source: input.source,
    confirmedAt: input.confirmed ? now : undefined,
    createdAt: now,
    updatedAt: now,
  });
  const member = (await ctx.db.get("audienceMembers", id))!;
  await subscribeToDefaults(ctx, site, member);
  return member;
}

async function requireSite(ctx: QueryCtx, siteId: Id<"sites">) {
  const site = await ctx.db.get("sites", siteId);
  if (!site) throw appError("NOT_FOUND");
  return site;
}

// ---------------------------------------------------------------------------------------------
// Joining with an emailed code. The answer never depends on whether the address is a member.

/**
 * Records a pending join (the HMAC of `code`, replacing any earlier one for the address) after
 * counting it against the per-address and per-site limits. @returns the site's name for the email.
 * @throws NOT_FOUND (no such site), RATE_LIMITED.
 */
export async function startJoin(ctx: MutationCtx, input: { siteId: Id<"sites">; email: string; name?: string; code: string }) {
  const site = await requireSite(ctx, input.siteId);
  const keys: Keys = [
    ["audienceJoinByAddress", input.email],
    ["audienceJoinBySite", site._id],
  ];
  const wait = await consume(ctx, keys);
  if (wait > 0) throw rateLimited(wait);
  const previous = await ctx.db
    .query("audienceJoinCodes")
    .withIndex("by_siteId_and_email", (q) => q.eq("siteId", site._id).eq("email", input.email))
    .take(10);
  for (const p of previous) await ctx.db.delete("audienceJoinCodes", p._id);
  const now = Date.now();
  await ctx.db.insert("audienceJoinCodes", {
    siteId: site._id,
    email: input.email,
    name: input.name,
    codeHash: await hashJoinCode(site._id, input.email, input.code),
    expiresAt: now + JOIN_CODE_TTL_MINUTES * 60_000,
    attempts: 0,
    createdAt: now,
  });
  return { siteName: site.name };
}

/**
 * Checks a join code. A wrong one counts an attempt (the last allowed attempt deletes the code); a
 * right one is used up and makes the address a subscribed member. Returns instead of throwing so
 * the attempt count commits (the action that calls it throws INVALID_CODE).
 */
export async function confirmJoin(
  ctx: MutationCtx,
  input: { siteId: Id<"sites">; email: string; code: string },
): Promise<{ ok: true; memberId: Id<"audienceMembers"> } | { ok: false }> {
  const site = await ctx.db.get("sites", input.siteId);
  if (!site) return { ok: false };
  const pending = await ctx.db
    .query("audienceJoinCodes")
    .withIndex("by_siteId_and_email", (q) => q.eq("siteId", site._id).eq("email", input.email))
    .first();
  if (!pending) return { ok: false };
  if (pending.expiresAt <= Date.now()) {
    await ctx.db.delete("audienceJoinCodes", pending._id);
    return { ok: false };
  }
  const hash = await hashJoinCode(site._id, input.email, input.code);
  if (!constantTimeEqual(hash, pending.codeHash)) {
    if (pending.attempts + 1 >= JOIN_CODE_MAX_ATTEMPTS) await ctx.db.delete("audienceJoinCodes", pending._id);
    else await ctx.db.patch("audienceJoinCodes", pending._id, { attempts: pending.attempts + 1 });
    return { ok: false };
  }
  await ctx.db.delete("audienceJoinCodes", pending._id);
  const member = await activateMember(ctx, site, { email: input.email, name: pending.name, source: "form", confirmed: true });
  return { ok: true, memberId: member._id };
}

/**
 * One-click join for a signed-in user whose account email is verified (the address is already
 * proven). @throws NOT_FOUND (no site), INVALID_STATE (no verified email).
 */
export async function joinSignedIn(ctx: MutationCtx, viewer: Doc<"users">, siteId: Id<"sites">): Promise<Id<"audienceMembers">> {
  const site = await requireSite(ctx, siteId);
  if (!viewer.email || viewer.emailVerificationTime === undefined) {
    throw appError("INVALID_STATE", { message: "Confirm your account's email address first, or join with your email below." });
  }
  const email = viewer.email.trim().toLowerCase();
  const byUser = await memberByUser(ctx, siteId, viewer._id);
  const member = await activateMember(ctx, site, { email: byUser?.email ?? email, userId: viewer._id, name: viewer.name, source: "signedIn", confirmed: true });
  return member._id;
}

// ---------------------------------------------------------------------------------------------
// Paid access follows subscriptions

/**
 * THE paid sync: makes the reader's member row on the site match their subscriptions. While a
 * subscription grants access (entitlements.ts subscriptionGrantsAccess) the member is paid
 * (created if missing, source "checkout"); otherwise a paid member goes back to free. Comped
 * members stay comped; nothing is deleted. Called after every subscriptions write
 * (stripeSubscriptions.ts writeSubscription, entitlements.ts expirePeriod). Idempotent.
 */
export async function syncPaidAccess(ctx: MutationCtx, siteId: Id<"sites">, userId: Id<"users">): Promise<void> {
  const subs = await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .take(100);
  const paying = subs.some(subscriptionGrantsAccess);
  const user = await ctx.db.get("users", userId);
  const email = user?.email?.trim().toLowerCase();
  let member = await memberByUser(ctx, siteId, userId);
  if (!member && email) member = await memberByEmail(ctx, siteId, email);
  const now = Date.now();
  if (!member) {
    if (!paying || !email || !user) return;
    const site = await ctx.db.get("sites", siteId);
    if (!site) return;
    await activateMember(ctx, site, { email, userId, name: user.name, source: "checkout", confirmed: user.emailVerificationTime !== undefined, access: "paid" });
    return;
  }
  const patch: Partial<Doc<"audienceMembers">> = {};
  if (!member.userId) patch.userId = userId;
  if (paying && member.access === "free") patch.access = "paid";
  if (!paying && member.access === "paid") patch.access = "free";
  if (Object.keys(patch).length) await ctx.db.patch("audienceMembers", member._id, { ...patch, updatedAt: now });
}

/** Whether any of the reader's subscriptions on the site grants access now (for un-comping). */
export async function isPaying(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users"> | undefined): Promise<boolean> {
  if (!userId) return false;
  const subs = await ctx.db
    .query("subscriptions")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .take(100);
  return subs.some(subscriptionGrantsAccess);
}

// ---------------------------------------------------------------------------------------------
// Signed links: unsubscribe and preferences, without signing in

/** The member a signed link is for. @throws INVALID_LINK (forged, other purpose, other site, or gone). */
async function memberFromToken(ctx: QueryCtx, token: string, purpose: MemberTokenPurpose): Promise<Doc<"audienceMembers">> {
  const claims = await verifyMemberToken(token, purpose);
  const memberId = claims ? ctx.db.normalizeId("audienceMembers", claims.memberId) : null;
  const member = memberId ? await ctx.db.get("audienceMembers", memberId) : null;
  if (!claims || !member || member.siteId !== claims.siteId) throw appError("INVALID_LINK");
  return member;
}

/**
 * Unsubscribes from one newsletter, or from all email (emailState "unsubscribed", preferences kept
 * for a later re-subscribe). Access to the site is untouched. Idempotent.
 */
export async function unsubscribe(ctx: MutationCtx, token: string, newsletterId: Id<"newsletters"> | undefined) {
  const member = await memberFromToken(ctx, token, "unsubscribe");
  if (newsletterId) {
    await requireNewsletter(ctx, member.siteId, newsletterId);
    for (const row of await subscriptionsOf(ctx, member)) {
      if (row.newsletterId === newsletterId) await ctx.db.delete("memberNewsletters", row._id);
    }
    return;
  }
  if (member.emailState === "subscribed") {
    await ctx.db.patch("audienceMembers", member._id, { emailState: "unsubscribed", updatedAt: Date.now() });
  }
}

/** What the preferences page shows: the site, the address, its state and each live newsletter. */
export async function preferences(ctx: QueryCtx, token: string) {
  return await preferencesOf(ctx, await memberFromToken(ctx, token, "preferences"));
}

/** The preferences of a member already proven to be the caller's (a signed link, or the signed-in viewer's own). */
export async function preferencesOf(ctx: QueryCtx, member: Doc<"audienceMembers">) {
  const site = await ctx.db.get("sites", member.siteId);
  const on = new Set((await subscriptionsOf(ctx, member)).map((r) => r.newsletterId));
  const newsletters = (await listNewsletters(ctx, member.siteId)).filter((n) => !n.archived);
  return {
    siteName: site?.name ?? "",
    email: member.email,
    emailState: member.emailState,
    newsletters: newsletters.map((n) => ({ _id: n._id, name: n.name, subscribed: on.has(n._id) })),
  };
}

/**
 * Sets the member's subscriptions to exactly `newsletterIds` (live newsletters of the member's site).
 * None means no email (unsubscribed); choosing some re-subscribes an unsubscribed member. A bounced
 * or complained address keeps its state (the provider's verdict, ADR 012).
 * @throws INVALID_LINK, NOT_FOUND (a newsletter of another site), INVALID_ARGUMENT (archived one).
 */
export async function setPreferences(ctx: MutationCtx, token: string, newsletterIds: Id<"newsletters">[]) {
  await setPreferencesOf(ctx, await memberFromToken(ctx, token, "preferences"), newsletterIds);
}

/** setPreferences for a member already proven to be the caller's. */
export async function setPreferencesOf(ctx: MutationCtx, member: Doc<"audienceMembers">, newsletterIds: Id<"newsletters">[]) {
  const wanted = new Set<Id<"newsletters">>();
  for (const id of newsletterIds) {
    const n = await requireNewsletter(ctx, member.siteId, id);
    if (n.archived) throw appError("INVALID_ARGUMENT", { field: "newsletters", message: `"${n.name}" is no longer sent.` });
    wanted.add(id);
  }
  const current = await subscriptionsOf(ctx, member);
  for (const row of current) if (!wanted.has(row.newsletterId)) await ctx.db.delete("memberNewsletters", row._id);
  for (const id of wanted) await subscribeTo(ctx, member, id);
  const emailState = wanted.size === 0 && member.emailState === "subscribed" ? "unsubscribed" : wanted.size > 0 && member.emailState === "unsubscribed" ? "subscribed" : member.emailState;
  if (emailState !== member.emailState) await ctx.db.patch("audienceMembers", member._id, { emailState, updatedAt: Date.now() });
}
