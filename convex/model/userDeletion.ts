// Over 400 lines: one policy, account deletion, as one chain of budgeted steps (plan, per-site
// handover, former posts, subscriptions, personal rows) whose phases are read together.
import type { Doc, Id, TableNames } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { appError } from "../lib/errors";
import { Budget, STEP_BYTES } from "./budget";
import { activeOwners, handOverPrimaryOwner, hasOtherMembers } from "./members";
import { removePostData } from "./posts";
import { cancelSubscription, LIVE_SUBSCRIPTION_STATUSES, wipeSite } from "./sites";

// Account deletion. It touches an unbounded number of documents, so it runs as a chain of bounded
// steps: each step does at most `batchSize` units of work (and reads at most STEP_BYTES of large
// documents), then schedules the next with the state it needs to go on.

/** Units of work per deletion step: posts reassigned or deleted, or other rows removed. */
export const DELETE_BATCH = 50;
/** The name that replaces a deleted user's on revisions of posts reassigned to someone else. */
export const DELETED_USER_NAME = "Deleted user";

export type DeleteAction = "reassign" | "delete";
export interface DeleteChoice {
  siteId: Id<"sites">;
  action: DeleteAction;
}

/**
 * Where a deletion chain is. Memberships are worked off one at a time (each is deleted when its
 * site is done, so "the next one" is always the first left); the cursors are for scans whose rows
 * do not leave the range as they are handled.
 */
export interface DeleteState {
  userId: Id<"users">;
  choices: DeleteChoice[];
  batchSize: number;
  phase: "memberships" | "formerPosts" | "subscriptions" | "personal";
  /** Site whose siteMembers scan (clearing invitedBy) `membersAfter` belongs to. */
  cursorSiteId?: Id<"sites">;
  membersAfter?: Id<"users">;
  /** Subscription and invitation scan over all sites: the last site slug looked at. */
  sitesAfter?: string;
}

/**
 * Checks a deletion request and returns, per site, what will happen. The policy:
 * - a site where the user is the only member is deleted with everything in it;
 * - a site where the user is the only (active) owner and there are other members: refused with
 *   LAST_OWNER (transfer ownership first);
 * - a site the user co-owns: their posts are reassigned to another owner, or deleted if they choose
 *   `{siteId, action: "delete"}`;
 * - any other site (not an owner): their posts are reassigned to the site's owner (the site's
 *   content belongs to the publication; "delete" is refused there with INVALID_ARGUMENT).
 * @throws ConvexError LAST_OWNER (with siteId), INVALID_ARGUMENT (field "sites")
 */
export async function planDeletion(ctx: QueryCtx, user: Doc<"users">, choices: DeleteChoice[]) {
  const memberships = await ctx.db
    .query("siteMembers")
    .withIndex("by_userId", (q) => q.eq("userId", user._id))
    .collect();
  const plan: Array<{ siteId: Id<"sites">; outcome: "deleteSite" | "reassignPosts" | "deletePosts" }> = [];
  const seen = new Set<string>();
  for (const m of memberships) {
    const site = await ctx.db.get("sites", m.siteId);
    if (!site) continue;
    seen.add(site._id);
    const choice = choices.find((c) => c.siteId === site._id)?.action;
    if (m.role === "owner" && (await activeOwners(ctx, site._id, user._id)).length === 0) {
      if (await hasOtherMembers(ctx, site._id, user._id)) {
        throw appError("LAST_OWNER", {
          siteId: site._id,
          message: `Make someone else an owner of ${site.name} before deleting your account.`,
        });
      }
      plan.push({ siteId: site._id, outcome: "deleteSite" });
    } else if (m.role === "owner") {
      plan.push({ siteId: site._id, outcome: choice === "delete" ? "deletePosts" : "reassignPosts" });
    } else {
      if (choice === "delete") {
        throw appError("INVALID_ARGUMENT", {
          field: "sites",
          siteId: site._id,
          message: "Posts in publications you don't own go to the publication's owner.",
        });
      }
      plan.push({ siteId: site._id, outcome: "reassignPosts" });
    }
  }
  for (const c of choices) {
    if (!seen.has(c.siteId)) throw appError("INVALID_ARGUMENT", { field: "sites", siteId: c.siteId, message: "Not one of your sites." });
  }
  return plan;
}

/**
 * Who a member's posts are reassigned to: the site's primary owner if active, else another active
 * owner, else any owner (a deactivated one is still the owner), else the user sites.ownerId names.
 * Nobody is ever promoted here: a deletion must not change anyone's role. Null (no owner at all,
 * a broken site) means the posts go with the user.
 */
async function reassignTarget(ctx: MutationCtx, site: Doc<"sites">, userId: Id<"users">): Promise<Doc<"users"> | null> {
  const active = await activeOwners(ctx, site._id, userId);
  const pick = active.find((o) => o.userId === site.ownerId) ?? active[0];
  if (pick) return await ctx.db.get("users", pick.userId);
  const owners = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_role", (q) => q.eq("siteId", site._id).eq("role", "owner"))
    .take(100);
  for (const o of owners) {
    if (o.userId === userId) continue;
    const u = await ctx.db.get("users", o.userId);
    if (u && u.deletingAt === undefined) return u;
  }
  if (site.ownerId === userId) return null;
  const named = await ctx.db.get("users", site.ownerId);
  return named && named.deletingAt === undefined ? named : null;
}

/** Re-attributes what the deleted user left on a post that now belongs to `to`. */
async function scrubPost(ctx: MutationCtx, post: Doc<"posts">, userId: Id<"users">, to: Doc<"users">, budget: Budget) {
  for (const kind of ["draft", "published"] as const) {
    const body = await ctx.db
      .query("postBodies")
      .withIndex("by_siteId_and_postId_and_kind", (q) => q.eq("siteId", post.siteId).eq("postId", post._id).eq("kind", kind))
      .unique();
    if (!body) continue;
    budget.read(body);
    if (body.updatedBy === userId) await ctx.db.patch("postBodies", body._id, { updatedBy: to._id });
  }
  for await (const r of ctx.db
    .query("postRevisions")
    .withIndex("by_siteId_and_postId_and_number", (q) => q.eq("siteId", post.siteId).eq("postId", post._id))) {
    budget.read(r);
    if (r.authorId === userId) await ctx.db.patch("postRevisions", r._id, { authorId: to._id, authorName: DELETED_USER_NAME });
  }
}

/** Reassigns or deletes the user's posts in a site. @returns true when none are left. */
async function handOverPosts(
  ctx: MutationCtx,
  user: Doc<"users">,
  site: Doc<"sites">,
  action: DeleteAction,
  budget: Budget,
): Promise<boolean> {
  let target: Doc<"users"> | null = null;
  let moved = 0;
  try {
    while (!budget.done) {
      const posts = await ctx.db
        .query("posts")
        .withIndex("by_siteId_and_authorId", (q) => q.eq("siteId", site._id).eq("authorId", user._id))
        .take(budget.chunk(true));
      if (posts.length === 0) return true;
      for (const post of posts) {
        if (action === "delete") {
          await removePostData(ctx, post);
        } else {
          target ??= await reassignTarget(ctx, site, user._id);
          if (!target) {
            // Nobody to give them to (the site has no owner left at all): they go with the user.
            await removePostData(ctx, post);
          } else {
            await ctx.db.patch("posts", post._id, { authorId: target._id, authorName: displayName(target), authorImage: target.image });
            await scrubPost(ctx, post, user._id, target, budget);
          }
        }
        budget.spend(post);
        moved++;
      }
    }
    return false;
  } finally {
    if (moved > 0) {
      await audit(ctx, {
        siteId: site._id,
        actorId: user._id,
        action: action === "delete" || !target ? "post.deleteForAccountDeletion" : "post.reassign",
        entityType: "user",
        entityId: user._id,
        after: { posts: moved, to: target?._id ?? null },
      });
    }
  }
}

/**
 * Works on one membership: deletes the site if the user is its only member, otherwise hands over
 * or deletes their posts, withdraws invitations they sent, forgets them as inviter and ends the
 * membership. @returns the state to go on with (unchanged phase); the membership is gone when done.
 */
async function processMembership(
  ctx: MutationCtx,
  user: Doc<"users">,
  m: Doc<"siteMembers">,
  state: DeleteState,
  budget: Budget,
): Promise<DeleteState> {
  const site = await ctx.db.get("sites", m.siteId);
  if (!site) {
    await ctx.db.delete("siteMembers", m._id);
    budget.spend();
    return state;
  }
  if (!(await hasOtherMembers(ctx, site._id, user._id))) {
    await wipeSite(ctx, user, site, budget);
    return state;
  }
  const action = state.choices.find((c) => c.siteId === site._id)?.action ?? "reassign";
  // Only owners may choose to delete their posts (planDeletion checked it); be safe here too.
  if (!(await handOverPosts(ctx, user, site, m.role === "owner" ? action : "reassign", budget))) return state;

  // Invitations they sent.
  for (;;) {
    if (budget.done) return state;
    const invites = await ctx.db
      .query("siteInvites")
      .withIndex("by_siteId_and_invitedBy", (q) => q.eq("siteId", site._id).eq("invitedBy", user._id))
      .take(budget.chunk(false));
    if (invites.length === 0) break;
    for (const inv of invites) {
      await ctx.db.delete("siteInvites", inv._id);
      budget.spend(inv);
    }
  }

  // Members they invited keep their membership; the inviter link goes.
  let after = state.cursorSiteId === site._id ? state.membersAfter : undefined;
  for (;;) {
    if (budget.done) return { ...state, cursorSiteId: site._id, membersAfter: after };
    const from = after;
    const rows = await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_userId", (q) => (from === undefined ? q.eq("siteId", site._id) : q.eq("siteId", site._id).gt("userId", from)))
      .take(budget.chunk(false));
    if (rows.length === 0) break;
    for (const r of rows) {
      if (r.invitedBy === user._id) await ctx.db.patch("siteMembers", r._id, { invitedBy: undefined });
      budget.spend(r);
    }
    after = rows[rows.length - 1].userId;
  }

  await ctx.db.delete("siteMembers", m._id);
  budget.spend();
  if (m.role === "owner") await handOverPrimaryOwner(ctx, site, user._id);
  await audit(ctx, {
    siteId: site._id,
    actorId: user._id,
    action: "member.leave",
    entityType: "siteMember",
    entityId: m._id,
    before: { userId: user._id, role: m.role, reason: "account deleted" },
    after: null,
  });
  return { ...state, cursorSiteId: undefined, membersAfter: undefined };
}

/** Deletes up to the budget from an index range; @returns true when the range is empty. */
async function drain<T extends TableNames>(
  ctx: MutationCtx,
  table: T,
  budget: Budget,
  fetch: (n: number) => Promise<Doc<T>[]>,
  before?: (row: Doc<T>) => Promise<boolean>,
): Promise<boolean> {
  for (;;) {
    if (budget.done) return false;
    const rows = await fetch(budget.chunk(false));
    if (rows.length === 0) return true;
    for (const row of rows) {
      if (before && !(await before(row))) return false; // a dependent range is not empty yet
      await ctx.db.delete(table, row._id);
      budget.spend(row);
    }
  }
}

/** The user's own rows, in an order where nothing points at an already-deleted row. @returns true when done. */
async function deletePersonalData(ctx: MutationCtx, user: Doc<"users">, budget: Budget): Promise<boolean> {
  const uid = user._id;
  const steps: Array<() => Promise<boolean>> = [
    () =>
      drain(ctx, "userProfiles", budget, (n) =>
        ctx.db
          .query("userProfiles")
          .withIndex("by_userId", (q) => q.eq("userId", uid))
          .take(n),
      ),
    () =>
      drain(ctx, "notifications", budget, (n) =>
        ctx.db
          .query("notifications")
          .withIndex("by_userId_and_createdAt", (q) => q.eq("userId", uid))
          .take(n),
      ),
    () =>
      drain(
        ctx,
        "authAccounts",
        budget,
        (n) =>
          ctx.db
            .query("authAccounts")
            .withIndex("userIdAndProvider", (q) => q.eq("userId", uid))
            .take(n),
        async (account) => {
          const codesDone = await drain(ctx, "authVerificationCodes", budget, (n) =>
            ctx.db
              .query("authVerificationCodes")
              .withIndex("accountId", (q) => q.eq("accountId", account._id))
              .take(n),
          );
          if (!codesDone) return false;
          // Rate-limit rows are keyed by the sign-in identifier (the email for passwords).
          return await drain(ctx, "authRateLimits", budget, (n) =>
            ctx.db
              .query("authRateLimits")
              .withIndex("identifier", (q) => q.eq("identifier", account.providerAccountId))
              .take(n),
          );
        },
      ),
    () =>
      drain(ctx, "sessionMeta", budget, (n) =>
        ctx.db
          .query("sessionMeta")
          .withIndex("by_userId", (q) => q.eq("userId", uid))
          .take(n),
      ),
    // Outgoing mail to the address (codes, invitations) is personal data too.
    ...(["verify-email", "password-reset", "sign-in-code", "site-invite"] as const).map(
      (kind) => () =>
        user.email
          ? drain(ctx, "emails", budget, (n) =>
              ctx.db
                .query("emails")
                .withIndex("by_to_and_kind", (q) => q.eq("to", user.email!.trim().toLowerCase()).eq("kind", kind))
                .take(n),
            )
          : Promise.resolve(true),
    ),
    () =>
      drain(
        ctx,
        "authSessions",
        budget,
        (n) =>
          ctx.db
            .query("authSessions")
            .withIndex("userId", (q) => q.eq("userId", uid))
            .take(n),
        (session) =>
          drain(ctx, "authRefreshTokens", budget, (n) =>
            ctx.db
              .query("authRefreshTokens")
              .withIndex("sessionId", (q) => q.eq("sessionId", session._id))
              .take(n),
          ),
      ),
  ];
  for (const step of steps) if (!(await step())) return false;
  return true;
}

/**
 * One step of an account deletion: memberships (one site at a time), then their posts in sites they
 * had left (by author: reassigned to those sites' owners), then, on every site, their
 * subscriptions (cancelled, kept for billing) and invitations to their email, then the user's own
 * rows and finally the user.
 * @returns the state for the next step, or null when the user is gone.
 */
export async function deleteUserStep(ctx: MutationCtx, state: DeleteState): Promise<DeleteState | null> {
  const user = await ctx.db.get("users", state.userId);
  if (!user) return null;
  const budget = new Budget(state.batchSize, STEP_BYTES);
  const email = user.email?.trim().toLowerCase();
  let s = state;
  while (!budget.done) {
    if (s.phase === "memberships") {
      const m = await ctx.db
        .query("siteMembers")
        .withIndex("by_userId", (q) => q.eq("userId", user._id))
        .first();
      if (!m) {
        s = { ...s, phase: "formerPosts", cursorSiteId: undefined, membersAfter: undefined };
        continue;
      }
      s = await processMembership(ctx, user, m, s, budget);
    } else if (s.phase === "formerPosts") {
      // Posts left in sites the user is no longer a member of (members who leave keep their posts
      // there): they go to that site's owner, as for any site they did not own.
      const post = await ctx.db
        .query("posts")
        .withIndex("by_authorId", (q) => q.eq("authorId", user._id))
        .first();
      if (!post) {
        s = { ...s, phase: "subscriptions" };
        continue;
      }
      const site = await ctx.db.get("sites", post.siteId);
      if (site) {
        await handOverPosts(ctx, user, site, "reassign", budget);
      } else {
        await removePostData(ctx, post); // a post whose site is gone: nobody to give it to
        budget.spend(post);
      }
    } else if (s.phase === "subscriptions") {
      // Subscriptions and invitations have no index by user or email alone (tenant indexes start
      // with siteId), so every site is looked at, in slug order.
      const from = s.sitesAfter;
      const sites = await ctx.db
        .query("sites")
        .withIndex("by_slug", (q) => (from === undefined ? q : q.gt("slug", from)))
        .take(budget.chunk(false));
      if (sites.length === 0) {
        s = { ...s, phase: "personal", sitesAfter: undefined };
        continue;
      }
      for (const site of sites) {
        const subs = await ctx.db
          .query("subscriptions")
          .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", site._id).eq("userId", user._id))
          .take(100);
        for (const sub of subs) {
          if (LIVE_SUBSCRIPTION_STATUSES.includes(sub.status)) await cancelSubscription(ctx, sub);
        }
        if (email) {
          const invites = await ctx.db
            .query("siteInvites")
            .withIndex("by_siteId_and_email", (q) => q.eq("siteId", site._id).eq("email", email))
            .take(10);
          for (const inv of invites) await ctx.db.delete("siteInvites", inv._id);
        }
        budget.spend(site);
      }
      s = { ...s, sitesAfter: sites[sites.length - 1].slug };
    } else {
      if (!(await deletePersonalData(ctx, user, budget))) break;
      await ctx.db.delete("users", user._id);
      await audit(ctx, { actorId: user._id, action: "user.deleted", entityType: "user", entityId: user._id, after: null });
      return null;
    }
  }
  return s;
}
