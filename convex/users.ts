import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { audit } from "./lib/audit";
import { appError } from "./lib/errors";
import { internalMutation, readerQuery, userMutation, userQuery } from "./lib/functions";
import { isInactive } from "./model/account";
import * as UserDeletion from "./model/userDeletion";
import * as Users from "./model/users";
import { vPlatformRole } from "./validators";

// Accounts and profiles. Renaming and deletion are chains of bounded steps (model/users.ts,
// model/userDeletion.ts); the public mutations do the checks and the first step, the internal ones
// continue.

const vProfile = v.object({
  _id: v.id("users"),
  name: v.union(v.string(), v.null()),
  email: v.union(v.string(), v.null()),
  image: v.union(v.string(), v.null()),
  role: vPlatformRole,
  bio: v.union(v.string(), v.null()),
  website: v.union(v.string(), v.null()),
  location: v.union(v.string(), v.null()),
  twitter: v.union(v.string(), v.null()),
  avatarStorageId: v.union(v.id("_storage"), v.null()),
});

/** The viewer's own account and profile (profile fields null until first saved). */
export const getProfile = userQuery({
  args: {},
  returns: vProfile,
  handler: async (ctx) => {
    const u = ctx.viewer;
    const p = await Users.getProfileRow(ctx, u._id);
    return {
      _id: u._id,
      name: u.name ?? null,
      email: u.email ?? null,
      image: u.image ?? null,
      role: u.role ?? "user",
      bio: p?.bio ?? null,
      website: p?.website ?? null,
      location: p?.location ?? null,
      twitter: p?.twitter ?? null,
      avatarStorageId: p?.avatarStorageId ?? null,
    };
  },
});

const vPropagateState = v.object({
  userId: v.id("users"),
  batchSize: v.number(),
  siteId: v.optional(v.id("sites")),
  after: v.optional(v.number()),
});

/** Copies the user's name and image onto their posts: one step now, the rest scheduled. */
async function propagateAuthor(ctx: MutationCtx, userId: Id<"users">, batchSize: number) {
  const next = await Users.propagateAuthorStep(ctx, { userId, batchSize });
  if (next) await ctx.scheduler.runAfter(0, internal.users.continuePropagation, next);
}

/**
 * Updates the viewer's profile: bio, website (http(s) URL), location, twitter handle, avatar
 * (a stored file; null removes it). The profile row is created on first update.
 */
/** An upload URL for a new avatar image (then passed to updateProfile as avatarStorageId). */
export const generateAvatarUploadUrl = userMutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

export const updateProfile = userMutation({
  args: {
    bio: v.optional(v.string()),
    website: v.optional(v.string()),
    location: v.optional(v.string()),
    twitter: v.optional(v.string()),
    avatarStorageId: v.optional(v.union(v.id("_storage"), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const imageChanged = await Users.updateProfile(ctx, ctx.viewer, args);
    if (imageChanged) await propagateAuthor(ctx, ctx.viewer._id, Users.RENAME_BATCH);
    return null;
  },
});

/**
 * A user's public details (anyone may ask): name, image and profile bio/website/location/twitter.
 * Email and platform role only when the viewer is that user. Null for unknown or deleted users.
 */
export const getUserWithDetails = readerQuery({
  args: { userId: v.id("users") },
  returns: v.union(
    v.object({
      _id: v.id("users"),
      name: v.union(v.string(), v.null()),
      image: v.union(v.string(), v.null()),
      bio: v.union(v.string(), v.null()),
      website: v.union(v.string(), v.null()),
      location: v.union(v.string(), v.null()),
      twitter: v.union(v.string(), v.null()),
      /** Only for the user themselves. */
      email: v.optional(v.union(v.string(), v.null())),
      role: v.optional(vPlatformRole),
    }),
    v.null(),
  ),
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get("users", userId);
    if (!user || user.deletingAt !== undefined || user.isActive === false) return null;
    const p = await Users.getProfileRow(ctx, user._id);
    const details = {
      _id: user._id,
      name: user.name?.trim() || null,
      image: user.image ?? null,
      bio: p?.bio ?? null,
      website: p?.website ?? null,
      location: p?.location ?? null,
      twitter: p?.twitter ?? null,
    };
    if (ctx.viewer?._id !== user._id) return details;
    return { ...details, email: user.email ?? null, role: user.role ?? "user" };
  },
});

/** Renames a user and copies the new name onto every post they wrote, `batchSize` posts per step. */
async function renameUser(ctx: MutationCtx, user: Doc<"users">, name: string, batchSize: number) {
  const clean = Users.cleanName(name);
  const before = user.name;
  if (clean !== before) {
    await ctx.db.patch("users", user._id, { name: clean, updatedAt: Date.now() });
    await audit(ctx, {
      actorId: user._id,
      action: "user.rename",
      entityType: "user",
      entityId: user._id,
      before: { name: before },
      after: { name: clean },
    });
  }
  // Also when unchanged: re-running repairs posts an interrupted chain may have missed.
  await propagateAuthor(ctx, user._id, batchSize);
}

/** Renames the viewer and copies the new name onto every post they wrote, in every site. */
export const updateUserName = userMutation({
  args: { name: v.string() },
  returns: v.null(),
  handler: async (ctx, { name }) => {
    await renameUser(ctx, ctx.viewer, name, Users.RENAME_BATCH);
    return null;
  },
});

/**
 * updateUserName for tooling and tests, with steps of `batchSize` posts (at most 200). Internal: a
 * batch size is no knob for a browser's script.
 */
export const renameUserInBatches = internalMutation({
  args: { userId: v.id("users"), name: v.string(), batchSize: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { userId, name, batchSize }) => {
    const user = await ctx.db.get("users", userId);
    if (!user) throw appError("NOT_FOUND");
    if (isInactive(user)) throw appError("USER_INACTIVE");
    await renameUser(ctx, user, name, Users.clampBatch(batchSize, Users.RENAME_BATCH));
    return null;
  },
});

/** The next step of a rename's propagation. Trusted: scheduled by the users module only. */
export const continuePropagation = internalMutation({
  args: vPropagateState,
  returns: v.null(),
  handler: async (ctx, state) => {
    const next = await Users.propagateAuthorStep(ctx, state);
    if (next) await ctx.scheduler.runAfter(0, internal.users.continuePropagation, next);
    return null;
  },
});

const vDeleteChoice = v.object({ siteId: v.id("sites"), action: v.union(v.literal("reassign"), v.literal("delete")) });

const vDeleteState = v.object({
  userId: v.id("users"),
  choices: v.array(vDeleteChoice),
  batchSize: v.number(),
  phase: v.union(v.literal("memberships"), v.literal("formerPosts"), v.literal("subscriptions"), v.literal("personal")),
  cursorSiteId: v.optional(v.id("sites")),
  membersAfter: v.optional(v.id("users")),
  sitesAfter: v.optional(v.string()),
});

/**
 * Deletes a user's account. Internal: account.deleteAccount calls it after re-checking the password
 * (or a recent sign-in), so a script holding the page's JWT cannot skip that check. The account
 * stops working at once (deletingAt); the rest runs as scheduled steps. Policy (model/userDeletion.ts
 * planDeletion): sites where they are the only member are deleted; sole owner of a site with other
 * members → LAST_OWNER (transfer ownership first); co-owned sites: posts reassigned to another
 * owner, or deleted with `sites: [{siteId, action: "delete"}]`; other sites: posts reassigned to
 * the site's owner. Subscriptions are cancelled (kept for billing); payments and the audit log are
 * kept; everything else of the user is removed. `batchSize` (default and at most 200) is for tests.
 * @throws NOT_FOUND for an unknown user, USER_INACTIVE for one deactivated or already being deleted.
 * @returns what happens to each site.
 */
export const deleteUser = internalMutation({
  args: { userId: v.id("users"), sites: v.optional(v.array(vDeleteChoice)), batchSize: v.optional(v.number()) },
  returns: v.object({
    sites: v.array(
      v.object({
        siteId: v.id("sites"),
        outcome: v.union(v.literal("deleteSite"), v.literal("reassignPosts"), v.literal("deletePosts")),
      }),
    ),
  }),
  handler: async (ctx, { userId, sites, batchSize }) => {
    const user = await ctx.db.get("users", userId);
    if (!user) throw appError("NOT_FOUND");
    if (isInactive(user)) throw appError("USER_INACTIVE");
    const choices = sites ?? [];
    const plan = await UserDeletion.planDeletion(ctx, user, choices);
    const now = Date.now();
    await ctx.db.patch("users", user._id, { deletingAt: now });
    await audit(ctx, {
      actorId: user._id,
      action: "user.delete",
      entityType: "user",
      entityId: user._id,
      before: { deletingAt: null },
      after: { deletingAt: now, sites: plan },
    });
    await ctx.scheduler.runAfter(0, internal.users.continueDeletion, {
      userId: user._id,
      choices,
      batchSize: Users.clampBatch(batchSize, UserDeletion.DELETE_BATCH),
      phase: "memberships",
    });
    return { sites: plan };
  },
});

/** The next step of an account deletion. Trusted: scheduled by deleteUser only. */
export const continueDeletion = internalMutation({
  args: vDeleteState,
  returns: v.null(),
  handler: async (ctx, state) => {
    const user = await ctx.db.get("users", state.userId);
    if (user && user.deletingAt === undefined) return null; // not (or no longer) being deleted
    const next = await UserDeletion.deleteUserStep(ctx, state);
    if (next) await ctx.scheduler.runAfter(0, internal.users.continueDeletion, next);
    return null;
  },
});
