import { getAuthUserId } from "@convex-dev/auth/server";
import { query } from "./_generated/server";

export const whoami = query({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    const userId = await getAuthUserId(ctx);
    const user = userId === null ? null : await ctx.db.get(userId);
    return { identity, userId, email: user?.email ?? null };
  },
});
