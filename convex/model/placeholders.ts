import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { appError, cleanField } from "../lib/errors";
import { FIELDS } from "../shared/fields";
import { uniqueAuthorSlug } from "../sites";
import { IMPORT_SOURCES } from "../migrate/types";
import { Budget, STEP_BYTES } from "./budget";
import { redirectFor } from "./slugs";

// Placeholder authors (issue #17): an imported author whose email matched no member becomes a
// `users` row { placeholder: true } (no email, cannot sign in) with a `siteMembers` row carrying
// `placeholder`. The import job creates them (top of this file); an invitation with
// `claimMemberId` hands their posts to whoever accepts it (claim, below).

// --- creation by the import job (J) ---

/**
 * The site member whose account has this email (an import's author), or null. Placeholders never
 * match: their user rows carry no email.
 */
export async function memberByEmail(ctx: QueryCtx, siteId: Id<"sites">, email: string): Promise<{ user: Doc<"users">; member: Doc<"siteMembers"> } | null> {
  const address = email.trim().toLowerCase();
  if (!address) return null;
  const users = await ctx.db
    .query("users")
    .withIndex("email", (q) => q.eq("email", address))
    .take(5);
  for (const user of users) {
    if (user.placeholder || user.deletingAt !== undefined || user.isActive === false) continue;
    const member = await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", user._id))
      .unique();
    if (member) return { user, member };
  }
  return null;
}

/**
 * Creates a placeholder author for an imported author: a `users` row `{ name, placeholder: true }`
 * (no email, so no sign-in and no email match) and a `siteMembers` row with role "author" that
 * remembers the source email (for the owner's invitation) and the import that made it.
 */
export async function createPlaceholderAuthor(
  ctx: MutationCtx,
  siteId: Id<"sites">,
  input: { name: string; email?: string; importId: Id<"contentImports"> },
): Promise<{ user: Doc<"users">; member: Doc<"siteMembers"> }> {
  const name = placeholderName(input.name);
  const now = Date.now();
  const userId = await ctx.db.insert("users", { name, placeholder: true, isActive: true, role: "user", createdAt: now, updatedAt: now });
  const email = input.email?.trim().toLowerCase() || undefined;
  const memberId = await ctx.db.insert("siteMembers", {
    siteId,
    userId,
    role: "author",
    authorSlug: await uniqueAuthorSlug(ctx, siteId, name),
    createdAt: now,
    placeholder: { email, importId: input.importId },
  });
  return { user: (await ctx.db.get("users", userId))!, member: (await ctx.db.get("siteMembers", memberId))! };
}

/** The name a placeholder shows: the source's, cut to the display-name rule, or "Imported author". */
function placeholderName(raw: string): string {
  const trimmed = raw.replace(/\s+/g, " ").trim().slice(0, FIELDS.displayName.max);
  return trimmed ? cleanField(FIELDS.displayName, trimmed, "name") : "Imported author";
}

// --- claim by invitation (R) ---

/** Posts moved per claim step (each step also rewrites the posts' revisions). */
export const CLAIM_BATCH = 50;

/**
 * The placeholder membership an invitation may claim: a member of `siteId` (never another site's:
 * cross-tenant write) that is still a placeholder and whose user is a placeholder user.
 * @throws ConvexError INVALID_ARGUMENT (field "claimMemberId")
 */
export async function requireClaimable(ctx: QueryCtx, siteId: Id<"sites">, memberId: Id<"siteMembers">) {
  const member = await ctx.db.get("siteMembers", memberId);
  const user = member ? await ctx.db.get("users", member.userId) : null;
  if (!member || member.siteId !== siteId || !member.placeholder || !user || user.placeholder !== true) {
    throw appError("INVALID_ARGUMENT", { field: "claimMemberId", message: "That is not an imported author of this publication." });
  }
  return { member, user };
}

/**
 * The viewer, accepting an invitation with `claimMemberId`, takes over an imported placeholder
 * author of the site: they become a member with the placeholder's author slug (so the author page
 * keeps its address) unless they already are one (then they keep theirs), the placeholder
 * membership goes at once, and its posts move to them in bounded steps (claimStep); the placeholder
 * user is deleted when the last post has moved. Re-checked here (the invitation may be old):
 * a membership that is no longer a claimable placeholder is refused.
 * @returns the viewer's membership id
 * @throws ConvexError INVALID_ARGUMENT (field "claimMemberId")
 */
export async function claimPlaceholder(
  ctx: MutationCtx,
  viewer: Doc<"users">,
  inv: Doc<"siteInvites">,
  memberId: Id<"siteMembers">,
  existing: Doc<"siteMembers"> | null,
): Promise<Id<"siteMembers">> {
  const { member: placeholder, user: placeholderUser } = await requireClaimable(ctx, inv.siteId, memberId);
  await ctx.db.delete("siteMembers", placeholder._id);
  let myMemberId: Id<"siteMembers">;
  if (existing) {
    myMemberId = existing._id;
    // They keep their own author page; the placeholder's address 301s to it (by user: it follows them).
    if (existing.authorSlug !== placeholder.authorSlug) {
      // The slug may have redirected elsewhere before (a member took it since): the newest claim wins.
      const old = await redirectFor(ctx, "author", inv.siteId, placeholder.authorSlug);
      if (old) await ctx.db.delete("slugRedirects", old._id);
      await ctx.db.insert("slugRedirects", { siteId: inv.siteId, kind: "author", fromSlug: placeholder.authorSlug, targetId: viewer._id, createdAt: Date.now() });
    }
  } else {
    myMemberId = await ctx.db.insert("siteMembers", {
      siteId: inv.siteId,
      userId: viewer._id,
      role: inv.role,
      // The placeholder's slug was unique in the site and its membership is gone: the address stays.
      authorSlug: placeholder.authorSlug,
      invitedBy: inv.invitedBy,
      createdAt: Date.now(),
    });
  }
  // A re-run of the same import must find the claimed author, not the deleted placeholder.
  for (const source of IMPORT_SOURCES) {
    const rows = await ctx.db
      .query("importedItems")
      .withIndex("by_siteId_and_source_and_kind_and_sourceKey", (q) => q.eq("siteId", inv.siteId).eq("source", source).eq("kind", "author"))
      .take(1000);
    for (const r of rows) if (r.targetId === placeholderUser._id) await ctx.db.patch("importedItems", r._id, { targetId: viewer._id });
  }
  await audit(ctx, {
    siteId: inv.siteId,
    actorId: viewer._id,
    action: "member.claimPlaceholder",
    entityType: "siteMember",
    entityId: myMemberId,
    before: { placeholderMemberId: placeholder._id, placeholderUserId: placeholderUser._id, name: displayName(placeholderUser), authorSlug: placeholder.authorSlug },
    after: { userId: viewer._id, authorSlug: existing ? existing.authorSlug : placeholder.authorSlug },
  });
  await claimStep(ctx, { siteId: inv.siteId, fromUserId: placeholderUser._id, toUserId: viewer._id }, CLAIM_BATCH);
  return myMemberId;
}

export interface ClaimState {
  siteId: Id<"sites">;
  fromUserId: Id<"users">;
  toUserId: Id<"users">;
}

/**
 * Moves up to `batchSize` of the placeholder's posts in the site to the claimant (author fields,
 * revisions, body editors), then schedules the next step; when none are left the placeholder user
 * is deleted (unless it still belongs to another site). Re-runnable: each step reads what is left.
 * Counters need no change: tags, categories and post lists count posts, not authors.
 */
export async function claimStep(ctx: MutationCtx, state: ClaimState, batchSize = CLAIM_BATCH): Promise<void> {
  const to = await ctx.db.get("users", state.toUserId);
  const from = await ctx.db.get("users", state.fromUserId);
  if (!to || !from) return;
  const budget = new Budget(batchSize, STEP_BYTES);
  const posts = await ctx.db
    .query("posts")
    .withIndex("by_siteId_and_authorId", (q) => q.eq("siteId", state.siteId).eq("authorId", from._id))
    .take(budget.chunk(false));
  for (const post of posts) {
    await ctx.db.patch("posts", post._id, { authorId: to._id, authorName: displayName(to), authorImage: to.image });
    for (const kind of ["draft", "published"] as const) {
      const body = await ctx.db
        .query("postBodies")
        .withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", post.siteId).eq("postId", post._id).eq("kind", kind))
        .unique();
      if (body && body.updatedBy === from._id) await ctx.db.patch("postBodies", body._id, { updatedBy: to._id });
    }
    for await (const r of ctx.db
      .query("postRevisions")
      .withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))) {
      budget.read(r);
      if (r.authorId === from._id) await ctx.db.patch("postRevisions", r._id, { authorId: to._id, authorName: displayName(to) });
    }
    budget.spend(post);
    if (budget.done) break;
  }
  if (posts.length > 0) {
    await ctx.scheduler.runAfter(0, internal.members.continueClaim, { ...state });
    return;
  }
  const elsewhere = await ctx.db
    .query("siteMembers")
    .withIndex("by_userId", (q) => q.eq("userId", from._id))
    .first();
  if (from.placeholder === true && !elsewhere) await ctx.db.delete("users", from._id);
}

/** The site's placeholder authors, for the studio's "Invite to claim" (model/members.ts lists them too). */
export async function listClaimable(ctx: QueryCtx, siteId: Id<"sites">) {
  const rows = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_role", (q) => q.eq("siteId", siteId).eq("role", "author"))
    .take(1000);
  const out: Array<{ memberId: Id<"siteMembers">; name: string; email: string | null }> = [];
  for (const m of rows) {
    if (!m.placeholder) continue;
    const user = await ctx.db.get("users", m.userId);
    if (user?.placeholder === true) out.push({ memberId: m._id, name: displayName(user), email: m.placeholder.email ?? null });
  }
  return out;
}
