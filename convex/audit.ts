import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { displayName } from "./lib/auth";
import { siteQuery } from "./lib/functions";

// The site's audit log, for owners and admins. Entries never hold bodies or secrets (lib/audit.ts
// leaves them out of diffs, and callers never pass them).

const vEntry = v.object({
  _id: v.id("auditLogs"),
  actorId: v.union(v.id("users"), v.null()),
  /** The actor's name now (null for system actions and deleted users). */
  actorName: v.union(v.string(), v.null()),
  action: v.string(),
  entityType: v.string(),
  entityId: v.string(),
  /** JSON `{field: [before, after]}`. */
  diff: v.string(),
  createdAt: v.number(),
});

/**
 * The site's audit entries, newest first. Owners and admins. (by_siteId orders by creation time
 * within a site, which is the order entries were written, so no createdAt index is needed.)
 */
export const list = siteQuery({
  permission: "audit.read",
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vEntry),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db
      .query("auditLogs")
      .withIndex("by_siteId", (q) => q.eq("siteId", ctx.site._id))
      .order("desc")
      .paginate(paginationOpts);
    const names = new Map<string, string | null>();
    const page = [];
    for (const e of result.page) {
      let actorName: string | null = null;
      if (e.actorId) {
        if (!names.has(e.actorId)) {
          const u = await ctx.db.get("users", e.actorId);
          names.set(e.actorId, u && u.deletingAt === undefined ? displayName(u) : null);
        }
        actorName = names.get(e.actorId) ?? null;
      }
      page.push({
        _id: e._id,
        actorId: e.actorId ?? null,
        actorName,
        action: e.action,
        entityType: e.entityType,
        entityId: e.entityId,
        diff: e.diff,
        createdAt: e.createdAt,
      });
    }
    return { ...result, page };
  },
});
