import { getAuthUserId } from "@convex-dev/auth/server";
import type { Doc } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { appError } from "./errors";

/**
 * The signed-in user, from the verified identity's subject (`userId|sessionId`, as
 * @convex-dev/auth issues it). Deactivated users and users being deleted count as signed out.
 * @returns the user or null.
 */
export async function getViewer(ctx: QueryCtx): Promise<Doc<"users"> | null> {
  const userId = await getAuthUserId(ctx);
  if (userId === null) return null;
  const user = await ctx.db.get("users", userId);
  if (!user || user.isActive === false || user.deletingAt !== undefined) return null;
  return user;
}

/**
 * The signed-in, active user.
 * @throws ConvexError UNAUTHENTICATED without a valid identity; USER_INACTIVE for deactivated users.
 */
export async function requireViewer(ctx: QueryCtx): Promise<Doc<"users">> {
  const userId = await getAuthUserId(ctx);
  if (userId === null) throw appError("UNAUTHENTICATED");
  const user = await ctx.db.get("users", userId);
  if (!user) throw appError("UNAUTHENTICATED");
  if (user.isActive === false || user.deletingAt !== undefined) throw appError("USER_INACTIVE");
  return user;
}

/**
 * Public display name for a user: their name, else "Anonymous". Never derived from the email
 * address, because it is shown on posts and author pages.
 */
export function displayName(user: Pick<Doc<"users">, "name">): string {
  return user.name?.trim() || "Anonymous";
}
