import type { PaginationOptions, PaginationResult } from "convex/server";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { appError } from "../lib/errors";
import { activateMember, cleanEmail, cleanName, isPaying, memberByEmail, subscriptionsOf } from "./audience";

// The studio's view of a site's audience (ADR 012): the paginated list with filters and prefix
// search, one member, manual add and comp. Callers are site functions with "audience.manage".

export const AUDIENCE_FILTERS = ["all", "free", "paid", "comped", "subscribed", "unsubscribed", "bounced", "complained"] as const;
export type AudienceFilter = (typeof AUDIENCE_FILTERS)[number];

/** Search answers at most this many members (no cursor: refine the search to narrow it). */
export const SEARCH_LIMIT = 50;

export interface MemberRow {
  _id: Id<"audienceMembers">;
  email: string;
  name: string | null;
  access: Doc<"audienceMembers">["access"];
  emailState: Doc<"audienceMembers">["emailState"];
  source: Doc<"audienceMembers">["source"];
  confirmedAt: number | null;
  createdAt: number;
}

function row(m: Doc<"audienceMembers">): MemberRow {
  return {
    _id: m._id,
    email: m.email,
    name: m.name ?? null,
    access: m.access,
    emailState: m.emailState,
    source: m.source,
    confirmedAt: m.confirmedAt ?? null,
    createdAt: m.createdAt,
  };
}

function matches(m: Doc<"audienceMembers">, filter: AudienceFilter): boolean {
  if (filter === "all") return true;
  if (filter === "free" || filter === "paid" || filter === "comped") return m.access === filter;
  return m.emailState === filter;
}

/**
 * Newest first, one page, through the index of the filter. With `search` (an email or name prefix,
 * case-insensitive) it answers up to SEARCH_LIMIT matches in one page instead (isDone true).
 */
export async function listMembers(
  ctx: QueryCtx,
  siteId: Id<"sites">,
  opts: { filter: AudienceFilter; search?: string; paginationOpts: PaginationOptions },
): Promise<PaginationResult<MemberRow>> {
  const { filter } = opts;
  const search = opts.search?.trim().toLowerCase();
  if (search) {
    const end = `${search}\uffff`;
    const byEmail = await ctx.db
      .query("audienceMembers")
      .withIndex("by_siteId_and_email", (q) => q.eq("siteId", siteId).gte("email", search).lt("email", end))
      .take(SEARCH_LIMIT * 2);
    const byName = await ctx.db
      .query("audienceMembers")
      .withIndex("by_siteId_and_nameKey", (q) => q.eq("siteId", siteId).gte("nameKey", search).lt("nameKey", end))
      .take(SEARCH_LIMIT * 2);
    const seen = new Map<string, Doc<"audienceMembers">>();
    for (const m of [...byEmail, ...byName]) if (matches(m, filter)) seen.set(m._id, m);
    const page = [...seen.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, SEARCH_LIMIT);
    return { page: page.map(row), isDone: true, continueCursor: "" };
  }
  const base = ctx.db.query("audienceMembers");
  const q =
    filter === "all"
      ? base.withIndex("by_siteId_and_createdAt", (i) => i.eq("siteId", siteId))
      : filter === "free" || filter === "paid" || filter === "comped"
        ? base.withIndex("by_siteId_and_access", (i) => i.eq("siteId", siteId).eq("access", filter))
        : base.withIndex("by_siteId_and_emailState", (i) => i.eq("siteId", siteId).eq("emailState", filter));
  const result = await q.order("desc").paginate(opts.paginationOpts);
  return { ...result, page: result.page.map(row) };
}

/** A member of this site. @throws NOT_FOUND for another site's (or a missing) one. */
export async function requireMember(ctx: QueryCtx, siteId: Id<"sites">, memberId: Id<"audienceMembers">) {
  const m = await ctx.db.get("audienceMembers", memberId);
  if (!m || m.siteId !== siteId) throw appError("NOT_FOUND");
  return m;
}

/** One member with the newsletters they receive. */
export async function getMember(ctx: QueryCtx, siteId: Id<"sites">, memberId: Id<"audienceMembers">) {
  const m = await requireMember(ctx, siteId, memberId);
  const newsletterIds = (await subscriptionsOf(ctx, m)).map((r) => r.newsletterId);
  return { ...row(m), userId: m.userId ?? null, updatedAt: m.updatedAt, newsletterIds };
}

/**
 * Adds a member by hand (source "manual"; not confirmed: staff vouch for the address), subscribed to
 * the default newsletters, comped when asked. @throws INVALID_ARGUMENT, INVALID_STATE (already a member).
 */
export async function addMember(
  ctx: MutationCtx,
  site: Doc<"sites">,
  actorId: Id<"users">,
  input: { email: string; name?: string; comp?: boolean },
): Promise<Id<"audienceMembers">> {
  const email = cleanEmail(input.email);
  const name = cleanName(input.name);
  if (await memberByEmail(ctx, site._id, email)) throw appError("INVALID_STATE", { field: "email", message: "They are already a member." });
  const member = await activateMember(ctx, site, { email, name, source: "manual", confirmed: false, access: input.comp ? "comped" : "free" });
  await audit(ctx, { siteId: site._id, actorId, action: "audience.add", entityType: "audienceMember", entityId: member._id, before: null, after: { access: member.access } });
  return member._id;
}

/**
 * Comps a member (free access to paid posts) or ends the comp: they are then paid if a
 * subscription grants access, else free.
 */
export async function setComp(ctx: MutationCtx, siteId: Id<"sites">, actorId: Id<"users">, memberId: Id<"audienceMembers">, comped: boolean) {
  const m = await requireMember(ctx, siteId, memberId);
  const access = comped ? "comped" : m.access !== "comped" ? m.access : (await isPaying(ctx, siteId, m.userId)) ? "paid" : "free";
  if (access === m.access) return;
  await ctx.db.patch("audienceMembers", m._id, { access, updatedAt: Date.now() });
  await audit(ctx, { siteId, actorId, action: comped ? "audience.comp" : "audience.uncomp", entityType: "audienceMember", entityId: m._id, before: { access: m.access }, after: { access } });
}
