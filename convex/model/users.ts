import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { displayName } from "../lib/auth";
import { appError, cleanField } from "../lib/errors";
import { FIELDS, type TextRule } from "../shared/fields";

// Users: profiles and renaming (with the denormalized author fields on posts kept exact). Account
// deletion is in userDeletion.ts, deleting a whole site in sites.ts. Renaming touches an unbounded
// number of posts, so it runs as a chain of bounded steps: each step re-stamps at most `batchSize`
// posts, then schedules the next with the state it needs to go on.

/** Posts re-stamped per rename step (post rows are small). */
export const RENAME_BATCH = 200;

export function clampBatch(n: number | undefined, max: number): number {
  if (n === undefined || !Number.isFinite(n)) return max;
  return Math.max(1, Math.min(max, Math.floor(n)));
}

// ---------------------------------------------------------------------------------------------
// Profiles

const TWITTER = /^[A-Za-z0-9_]{1,15}$/;

export async function getProfileRow(ctx: QueryCtx, userId: Id<"users">) {
  return await ctx.db
    .query("userProfiles")
    .withIndex("by_userId", (q) => q.eq("userId", userId))
    .unique();
}

/** `https://…` or `http://…` with a host, normalized; throws INVALID_ARGUMENT otherwise. */
export function cleanWebsite(raw: string): string | undefined {
  const s = raw.trim();
  if (!s) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw appError("INVALID_ARGUMENT", { field: "website", message: "Enter a web address starting with https://." });
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || !url.hostname || s.length > 500) {
    throw appError("INVALID_ARGUMENT", { field: "website", message: "Enter a web address starting with https://." });
  }
  return url.toString();
}

function cleanText(raw: string | undefined, field: string, rule: TextRule): string | undefined {
  if (raw === undefined) return undefined;
  return cleanField(rule, raw, field) || undefined;
}

export interface ProfileInput {
  bio?: string;
  website?: string;
  location?: string;
  twitter?: string;
  avatarStorageId?: Id<"_storage"> | null;
}

/**
 * Updates the viewer's profile (created on first update). Fields left out stay; empty strings
 * clear. A new avatar also becomes users.image (its URL), which is copied onto the user's posts.
 */
export async function updateProfile(ctx: MutationCtx, user: Doc<"users">, input: ProfileInput): Promise<boolean> {
  const existing = await getProfileRow(ctx, user._id);
  const patch: Partial<Doc<"userProfiles">> = {};
  if (input.bio !== undefined) patch.bio = cleanText(input.bio, "bio", FIELDS.bio);
  if (input.location !== undefined) patch.location = cleanText(input.location, "location", FIELDS.location);
  if (input.website !== undefined) patch.website = cleanWebsite(input.website);
  if (input.twitter !== undefined) {
    const handle = input.twitter.trim().replace(/^@/, "");
    if (handle && !TWITTER.test(handle)) {
      throw appError("INVALID_ARGUMENT", { field: "twitter", message: "Letters, numbers and _ only, at most 15." });
    }
    patch.twitter = handle || undefined;
  }
  let imageChanged = false;
  if (input.avatarStorageId !== undefined) {
    patch.avatarStorageId = input.avatarStorageId ?? undefined;
    const image = input.avatarStorageId ? await ctx.storage.getUrl(input.avatarStorageId) : null;
    if (input.avatarStorageId && !image) throw appError("NOT_FOUND", { field: "avatarStorageId" });
    if ((image ?? undefined) !== user.image) {
      await ctx.db.patch("users", user._id, { image: image ?? undefined, updatedAt: Date.now() });
      imageChanged = true;
    }
  }
  const now = Date.now();
  if (existing) await ctx.db.patch("userProfiles", existing._id, { ...patch, updatedAt: now });
  else await ctx.db.insert("userProfiles", { userId: user._id, ...patch, createdAt: now, updatedAt: now });
  const pick = (p: Partial<Doc<"userProfiles">> | null) =>
    p && { bio: p.bio, website: p.website, location: p.location, twitter: p.twitter, avatarStorageId: p.avatarStorageId };
  await audit(ctx, {
    actorId: user._id,
    action: "user.profile",
    entityType: "user",
    entityId: user._id,
    before: pick(existing),
    after: pick({ ...existing, ...patch }),
  });
  return imageChanged;
}

// ---------------------------------------------------------------------------------------------
// Renaming: users.name, and authorName/authorImage on every post the user wrote

export function cleanName(raw: string): string {
  return cleanField(FIELDS.displayName, raw, "name");
}

/**
 * Where a propagation chain is: the last post (by creation time) done. `siteId` is from chains
 * queued before posts were walked by author; such a chain starts over (re-stamping is idempotent).
 */
export interface PropagateState {
  userId: Id<"users">;
  batchSize: number;
  siteId?: Id<"sites">;
  after?: number;
}

/**
 * One step of copying the user's current name and image onto their posts, at most `batchSize`
 * posts, in creation order over every site (posts by author, not memberships: posts stay in a site
 * the author left, under their name). Reads the user afresh, so a rename during a running chain is
 * picked up and the last name wins.
 * @returns the state for the next step, or null when every post is up to date.
 */
export async function propagateAuthorStep(ctx: MutationCtx, state: PropagateState): Promise<PropagateState | null> {
  const user = await ctx.db.get("users", state.userId);
  if (!user || user.deletingAt !== undefined) return null; // deletion takes care of the posts
  const authorName = displayName(user);
  const authorImage = user.image;
  const after = state.siteId === undefined ? state.after : undefined;
  const posts = await ctx.db
    .query("posts")
    .withIndex("by_authorId", (q) => (after === undefined ? q.eq("authorId", user._id) : q.eq("authorId", user._id).gt("_creationTime", after)))
    .take(state.batchSize);
  for (const p of posts) {
    if (p.authorName !== authorName || p.authorImage !== authorImage) {
      await ctx.db.patch("posts", p._id, { authorName, authorImage });
    }
  }
  if (posts.length < state.batchSize) return null;
  return { userId: user._id, batchSize: state.batchSize, after: posts[posts.length - 1]._creationTime };
}

