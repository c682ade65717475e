import {
  actionGeneric as action,
  internalQueryGeneric as internalQuery,
  log,
  mutationGeneric as mutation,
  queryGeneric as query,
} from "convex/server";
import { v } from "convex/values";

export const insertMany = mutation({
  args: { docs: v.array(v.any()) },
  handler: async (ctx, { docs }) => {
    const ids: string[] = [];
    for (const d of docs) ids.push(await ctx.db.insert("docs", d));
    return ids;
  },
});

/** Filters arrive as data and are rebuilt with `q.eq`/`q.or`: `[[field, value], ...]` ORed. */
export const search = action({
  args: {
    vector: v.array(v.float64()),
    limit: v.optional(v.number()),
    index: v.optional(v.string()),
    table: v.optional(v.string()),
    or: v.optional(v.array(v.array(v.any()))),
    missingKind: v.optional(v.boolean()),
  },
  handler: async (ctx, a) => {
    const filter =
      a.or === undefined && !a.missingKind
        ? undefined
        : (q: any) => {
            const eqs = (a.or ?? []).map(([field, value]) => q.eq(field, value));
            if (a.missingKind) eqs.push(q.eq("kind", undefined));
            return eqs.length === 1 ? eqs[0] : q.or(...eqs);
          };
    return await (ctx.vectorSearch as any)(a.table ?? "docs", a.index ?? "by_embedding", {
      vector: a.vector,
      ...(a.limit === undefined ? {} : { limit: a.limit }),
      ...(filter ? { filter } : {}),
    });
  },
});

const meta = async (ctx: any) => await ctx.meta.getFunctionMetadata();

export const metaQuery = query({ args: {}, handler: meta });
export const metaMutation = mutation({ args: {}, handler: meta });
export const metaAction = action({ args: {}, handler: meta });
export const metaInternal = internalQuery({ args: {}, handler: meta });
export default query({ args: {}, handler: meta });

export const auditInMutation = mutation({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    await log.audit({ action: "docs.created", label, source: { ip: log.vars.ip }, at: log.vars.now });
    return await ctx.db.insert("docs", { label });
  },
});

export const auditInQuery = query({
  args: {},
  handler: async () => {
    await log.audit({ action: "docs.viewed" });
    return "ok";
  },
});

export const auditInAction = action({
  args: {},
  handler: async () => {
    await log.audit({ action: "docs.exported" });
    return "unreachable";
  },
});
