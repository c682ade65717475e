import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { MAX_SLUG_LENGTH } from "../shared/constants";
import { slugProblem, toSlug } from "../shared/slugs";
import { appError } from "../lib/errors";

type Kind = "post" | "tag" | "category";
/** What slugRedirects rows name: an item kind, or (issue #17) a claimed placeholder author's page. */
type RedirectKind = Kind | "author";

/** A slug from free text: lowercase ASCII letters and digits joined by single hyphens. */
export function slugify(text: string): string {
  return toSlug(text) || "untitled";
}

/** @throws ConvexError INVALID_SLUG or RESERVED_SLUG (field "slug") */
export function checkSlug(slug: string, kind: Kind): void {
  const problem = slugProblem(slug, kind);
  if (problem) throw appError(problem, { field: "slug" });
}

async function findBySlug(ctx: QueryCtx, kind: Kind, siteId: Id<"sites">, slug: string) {
  const table = kind === "post" ? "posts" : kind === "tag" ? "tags" : "categories";
  return await ctx.db
    .query(table)
    .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
    .first();
}

/** Whether a slug is free in a site (not used by another item of the kind). */
export async function isSlugFree(
  ctx: QueryCtx,
  kind: Kind,
  siteId: Id<"sites">,
  slug: string,
  exceptId?: string,
): Promise<boolean> {
  const existing = await findBySlug(ctx, kind, siteId, slug);
  return !existing || existing._id === exceptId;
}

/** @throws ConvexError SLUG_TAKEN (field "slug") when another item of the kind has the slug. */
export async function requireSlugFree(ctx: QueryCtx, kind: Kind, siteId: Id<"sites">, slug: string, exceptId?: string) {
  checkSlug(slug, kind);
  if (!(await isSlugFree(ctx, kind, siteId, slug, exceptId))) throw appError("SLUG_TAKEN", { field: "slug" });
}

/**
 * A free slug derived from `base`: `base`, then `base-2`, `base-3`, … (for new posts, whose slug
 * the author can change later). `exceptId`: the item itself (its own slug is not a clash).
 */
export async function uniqueSlug(ctx: QueryCtx, kind: Kind, siteId: Id<"sites">, base: string, exceptId?: string): Promise<string> {
  let slug = slugify(base);
  if (slugProblem(slug, kind) === "RESERVED_SLUG") slug = `${slug}-post`;
  for (let n = 2; !(await isSlugFree(ctx, kind, siteId, slug, exceptId)); n++) {
    slug = `${slugify(base).slice(0, MAX_SLUG_LENGTH - 4)}-${n}`;
  }
  return slug;
}

/**
 * Records that `fromSlug` now points at `targetId`, so old links answer with a permanent redirect.
 * An older redirect from the new slug is dropped (the slug is live again).
 */
export async function recordRedirect(
  ctx: MutationCtx,
  kind: Kind,
  siteId: Id<"sites">,
  fromSlug: string,
  toSlug: string,
  targetId: string,
) {
  const now = Date.now();
  const existing = await redirectFor(ctx, kind, siteId, fromSlug);
  if (existing) await ctx.db.patch("slugRedirects", existing._id, { targetId, createdAt: now });
  else await ctx.db.insert("slugRedirects", { siteId, kind, fromSlug, targetId, createdAt: now });
  const shadowing = await redirectFor(ctx, kind, siteId, toSlug);
  if (shadowing) await ctx.db.delete("slugRedirects", shadowing._id);
}

/** @returns the redirect recorded for an old slug, or null. */
export async function redirectFor(ctx: QueryCtx, kind: RedirectKind, siteId: Id<"sites">, fromSlug: string) {
  return await ctx.db
    .query("slugRedirects")
    .withIndex("by_siteId_and_kind_and_fromSlug", (q) => q.eq("siteId", siteId).eq("kind", kind).eq("fromSlug", fromSlug))
    .unique();
}

/** Removes every redirect that points at a target (when the target is deleted). */
export async function dropRedirectsTo(ctx: MutationCtx, siteId: Id<"sites">, targetId: string) {
  const rows = await ctx.db
    .query("slugRedirects")
    .withIndex("by_siteId_and_targetId", (q) => q.eq("siteId", siteId).eq("targetId", targetId))
    .collect();
  for (const r of rows) await ctx.db.delete("slugRedirects", r._id);
}

/** Points every redirect at `fromTarget` to `toTarget` (tag merges). */
export async function retargetRedirects(ctx: MutationCtx, siteId: Id<"sites">, fromTarget: string, toTarget: string) {
  const rows = await ctx.db
    .query("slugRedirects")
    .withIndex("by_siteId_and_targetId", (q) => q.eq("siteId", siteId).eq("targetId", fromTarget))
    .collect();
  for (const r of rows) await ctx.db.patch("slugRedirects", r._id, { targetId: toTarget });
}
