import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import type { NotificationType } from "../shared/constants";

/** Adds an in-app notice for a user (shown live in the studio). */
export async function notify(
  ctx: MutationCtx,
  userId: Id<"users">,
  n: { type: NotificationType; title: string; body?: string; link?: string; siteId?: Id<"sites"> },
) {
  await ctx.db.insert("notifications", { userId, read: false, createdAt: Date.now(), ...n });
}
