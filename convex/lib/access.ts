import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { can, seesOnlyOwnPosts, type Permission } from "../shared/roles";
import { appError } from "./errors";

// The one place for access checks. What each role may do is the table in shared/roles.ts
// (PERMISSIONS; docs/roles.md is generated from it).

/** @returns the membership of a user in a site, or null. */
export async function getMembership(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">) {
  return await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", userId))
    .unique();
}

/**
 * The membership `userId` acts with in the site right now, or null when they cannot act there (not
 * a member any more, deactivated, or their account is being deleted). Work that runs later on a
 * user's behalf (scheduled jobs) checks this when it runs, never the right they had when it was
 * queued.
 */
export async function actingMembership(ctx: QueryCtx, siteId: Id<"sites">, userId: Id<"users">) {
  const user = await ctx.db.get("users", userId);
  if (!user || user.isActive === false || user.deletingAt !== undefined) return null;
  return await getMembership(ctx, siteId, userId);
}

/**
 * The site and the viewer's membership in it. A site the viewer is not a member of looks exactly
 * like a missing one, so ids cannot be probed across tenants.
 * @throws ConvexError NOT_FOUND
 */
export async function requireMembership(ctx: QueryCtx, siteId: Id<"sites">, viewer: Doc<"users">) {
  const site = await ctx.db.get("sites", siteId);
  if (!site) throw appError("NOT_FOUND");
  const member = await getMembership(ctx, siteId, viewer._id);
  if (!member) throw appError("NOT_FOUND");
  return { site, member };
}

/** @throws ConvexError FORBIDDEN unless the member's role has `permission` (shared/roles.ts PERMISSIONS). */
export function requirePermission(member: Doc<"siteMembers">, permission: Permission): void {
  if (!can(member.role, permission)) throw appError("FORBIDDEN");
}

/**
 * Loads a document of a tenant table and checks it belongs to the site; a document of another
 * site gets the same NOT_FOUND as a missing one.
 * @throws ConvexError NOT_FOUND
 */
export async function requireInSite<T extends "posts" | "tags" | "categories" | "subscriptionPlans">(
  ctx: QueryCtx,
  table: T,
  id: Id<T>,
  siteId: Id<"sites">,
): Promise<Doc<T>> {
  const doc = (await ctx.db.get(table, id)) as (Doc<T> & { siteId: Id<"sites"> }) | null;
  if (!doc || doc.siteId !== siteId) throw appError("NOT_FOUND");
  return doc;
}

/**
 * Who may open a post in the studio (its working draft, revisions, slug checks): editors and above
 * any post; authors and contributors only their own, so unpublished words stay with their writer
 * and the editors (docs/roles.md).
 */
export function canOpenPost(member: Doc<"siteMembers">, post: Doc<"posts">): boolean {
  return !seesOnlyOwnPosts(member.role) || post.authorId === member.userId;
}

/** Editors and above edit any post; authors and contributors their own. */
export function canEditPost(member: Doc<"siteMembers">, post: Doc<"posts">): boolean {
  if (can(member.role, "post.editAny")) return true;
  if (post.authorId !== member.userId) return false;
  // Contributors work on drafts only; once a post is out of draft, it is the editors' to change.
  return can(member.role, post.status === "draft" ? "post.editOwnDraft" : "post.editOwnPublished");
}

/** @throws ConvexError FORBIDDEN unless the member may edit the post. */
export function requirePostEditable(member: Doc<"siteMembers">, post: Doc<"posts">): void {
  if (!canEditPost(member, post)) throw appError("FORBIDDEN");
}

/** Publishing, scheduling and unpublishing: authors for their own posts, editors for any. */
export function canPublishPost(member: Doc<"siteMembers">, post: Doc<"posts">): boolean {
  if (can(member.role, "post.publishAny")) return true;
  return can(member.role, "post.publishOwn") && post.authorId === member.userId;
}

/** @throws ConvexError FORBIDDEN unless the member may publish the post (canPublishPost). */
export function requirePostPublishable(member: Doc<"siteMembers">, post: Doc<"posts">): void {
  if (!canPublishPost(member, post)) throw appError("FORBIDDEN");
}
