import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { requireRole } from "./lib/access";
import { audit } from "./lib/audit";
import { displayName } from "./lib/auth";
import { appError } from "./lib/errors";
import { internalMutation, readerQuery, siteMutation, siteQuery, userMutation, userQuery } from "./lib/functions";
import { slugify } from "./model/slugs";
import { MAX_SLUG_LENGTH, RESERVED_SITE_SLUGS, SLUG_PATTERN } from "./shared/constants";
import { vBranding, vSiteRole } from "./validators";

const vDirectoryEntry = v.object({ name: v.string(), slug: v.string(), description: v.union(v.string(), v.null()) });

const vPublicSite = v.object({
  _id: v.id("sites"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  customDomain: v.union(v.string(), v.null()),
  accentColor: v.union(v.string(), v.null()),
  logoUrl: v.union(v.string(), v.null()),
});

/** @throws ConvexError INVALID_SLUG / RESERVED_SLUG / SLUG_TAKEN (field "slug") */
export async function requireSiteSlugFree(ctx: QueryCtx, slug: string, exceptId?: Id<"sites">) {
  if (slug.length > MAX_SLUG_LENGTH || !SLUG_PATTERN.test(slug)) throw appError("INVALID_SLUG", { field: "slug" });
  if ((RESERVED_SITE_SLUGS as readonly string[]).includes(slug)) throw appError("RESERVED_SLUG", { field: "slug" });
  const taken = await ctx.db
    .query("sites")
    .withIndex("by_slug", (q) => q.eq("slug", slug))
    .unique();
  if (taken && taken._id !== exceptId) throw appError("SLUG_TAKEN", { field: "slug" });
}

/** A member's author page slug, unique in the site. */
export async function uniqueAuthorSlug(ctx: QueryCtx, siteId: Id<"sites">, name: string): Promise<string> {
  const base = slugify(name);
  let slug = base;
  for (let n = 2; ; n++) {
    const taken = await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_authorSlug", (q) => q.eq("siteId", siteId).eq("authorSlug", slug))
      .first();
    if (!taken) return slug;
    slug = `${base}-${n}`;
  }
}

/** Creates a site owned by `ownerId` (the owner becomes its first member). Shared by create and seeding. */
export async function createSiteFor(
  ctx: MutationCtx,
  ownerId: Id<"users">,
  input: { name: string; slug: string; description?: string },
): Promise<Id<"sites">> {
  const name = input.name.trim();
  if (!name || name.length > 120) throw appError("INVALID_ARGUMENT", { field: "name", message: "1 to 120 characters." });
  await requireSiteSlugFree(ctx, input.slug);
  const owner = await ctx.db.get(ownerId);
  if (!owner) throw appError("NOT_FOUND");
  const now = Date.now();
  const siteId = await ctx.db.insert("sites", {
    name,
    slug: input.slug,
    description: input.description?.trim() || undefined,
    ownerId,
    createdAt: now,
    updatedAt: now,
  });
  await ctx.db.insert("siteMembers", {
    siteId,
    userId: ownerId,
    role: "owner",
    authorSlug: await uniqueAuthorSlug(ctx, siteId, displayName(owner)),
    createdAt: now,
  });
  await audit(ctx, { siteId, actorId: ownerId, action: "site.create", entityType: "site", entityId: siteId, after: { name, slug: input.slug } });
  return siteId;
}

/** The public directory of publications shown on the platform home page, by name. */
export const listDirectory = readerQuery({
  args: {},
  returns: v.array(vDirectoryEntry),
  handler: async (ctx) => {
    const sites = await ctx.db.query("sites").take(200);
    return sites
      .map((s) => ({ name: s.name, slug: s.slug, description: s.description ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  },
});

/** A publication's public face, by slug or custom domain; null when there is none. */
export const getPublic = readerQuery({
  args: { slug: v.optional(v.string()), domain: v.optional(v.string()) },
  returns: v.union(vPublicSite, v.null()),
  handler: async (ctx, { slug, domain }) => {
    const site = slug
      ? await ctx.db
          .query("sites")
          .withIndex("by_slug", (q) => q.eq("slug", slug))
          .unique()
      : domain
        ? await ctx.db
            .query("sites")
            .withIndex("by_customDomain", (q) => q.eq("customDomain", domain.toLowerCase()))
            .unique()
        : null;
    if (!site) return null;
    return {
      _id: site._id,
      name: site.name,
      slug: site.slug,
      description: site.description ?? null,
      customDomain: site.customDomain ?? null,
      accentColor: site.branding?.accentColor ?? null,
      logoUrl: site.branding?.logoStorageId ? await ctx.storage.getUrl(site.branding.logoStorageId) : null,
    };
  },
});

/** Whether a site slug is available (the create form checks it live). */
export const isSlugAvailable = userQuery({
  args: { slug: v.string() },
  returns: v.object({ available: v.boolean(), reason: v.union(v.string(), v.null()) }),
  handler: async (ctx, { slug }) => {
    try {
      await requireSiteSlugFree(ctx, slug);
      return { available: true, reason: null };
    } catch (e) {
      const code = (e as { data?: { code?: string } }).data?.code;
      if (!code) throw e;
      return { available: false, reason: code };
    }
  },
});

/** Creates a publication owned by the viewer. */
export const create = userMutation({
  args: { name: v.string(), slug: v.string(), description: v.optional(v.string()) },
  returns: v.id("sites"),
  handler: async (ctx, args) => createSiteFor(ctx, ctx.viewer._id, args),
});

/** The sites the viewer belongs to, with their role. */
export const listMine = userQuery({
  args: {},
  returns: v.array(v.object({ _id: v.id("sites"), name: v.string(), slug: v.string(), role: vSiteRole })),
  handler: async (ctx) => {
    const memberships = await ctx.db
      .query("siteMembers")
      .withIndex("by_userId", (q) => q.eq("userId", ctx.viewer._id))
      .take(200);
    const out = [];
    for (const m of memberships) {
      const site = await ctx.db.get(m.siteId);
      if (site) out.push({ _id: site._id, name: site.name, slug: site.slug, role: m.role });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  },
});

/** Site settings as the studio shows them. Any member. */
export const getSettings = siteQuery({
  args: {},
  returns: v.object({
    _id: v.id("sites"),
    name: v.string(),
    slug: v.string(),
    description: v.union(v.string(), v.null()),
    customDomain: v.union(v.string(), v.null()),
    branding: v.union(vBranding, v.null()),
    logoUrl: v.union(v.string(), v.null()),
    role: vSiteRole,
  }),
  handler: async (ctx) => ({
    _id: ctx.site._id,
    name: ctx.site.name,
    slug: ctx.site.slug,
    description: ctx.site.description ?? null,
    customDomain: ctx.site.customDomain ?? null,
    branding: ctx.site.branding ?? null,
    logoUrl: ctx.site.branding?.logoStorageId ? await ctx.storage.getUrl(ctx.site.branding.logoStorageId) : null,
    role: ctx.member.role,
  }),
});

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const COLOR = /^#[0-9a-f]{6}$/i;

/** Updates name, description, branding and custom domain. Owners and admins. */
export const updateSettings = siteMutation({
  args: {
    name: v.optional(v.string()),
    description: v.optional(v.string()),
    customDomain: v.optional(v.union(v.string(), v.null())),
    accentColor: v.optional(v.union(v.string(), v.null())),
    logoStorageId: v.optional(v.union(v.id("_storage"), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    requireRole(ctx.member, "admin");
    const site = ctx.site;
    const patch: Record<string, unknown> = { updatedAt: Date.now() };
    if (args.name !== undefined) {
      const name = args.name.trim();
      if (!name || name.length > 120) throw appError("INVALID_ARGUMENT", { field: "name", message: "1 to 120 characters." });
      patch.name = name;
    }
    if (args.description !== undefined) patch.description = args.description.trim() || undefined;
    if (args.customDomain !== undefined) {
      const domain = args.customDomain?.trim().toLowerCase() || undefined;
      if (domain) {
        if (!HOSTNAME.test(domain)) throw appError("INVALID_ARGUMENT", { field: "customDomain", message: "Enter a domain like news.example.com." });
        const taken = await ctx.db
          .query("sites")
          .withIndex("by_customDomain", (q) => q.eq("customDomain", domain))
          .unique();
        if (taken && taken._id !== site._id) throw appError("SLUG_TAKEN", { field: "customDomain" });
      }
      patch.customDomain = domain;
    }
    if (args.accentColor !== undefined || args.logoStorageId !== undefined) {
      const accentColor = args.accentColor === undefined ? site.branding?.accentColor : args.accentColor ?? undefined;
      if (accentColor && !COLOR.test(accentColor)) throw appError("INVALID_ARGUMENT", { field: "accentColor", message: "Use a color like #1a73e8." });
      const logoStorageId = args.logoStorageId === undefined ? site.branding?.logoStorageId : args.logoStorageId ?? undefined;
      patch.branding = { accentColor, logoStorageId };
    }
    await ctx.db.patch(site._id, patch);
    await audit(ctx, {
      siteId: site._id,
      actorId: ctx.viewer._id,
      action: "site.settings",
      entityType: "site",
      entityId: site._id,
      before: site,
      after: { ...site, ...patch },
    });
    return null;
  },
});

/** An upload URL for an image of this site (post covers, the logo). Any member; using it needs more. */
export const generateUploadUrl = siteMutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => {
    requireRole(ctx.member, "contributor");
    return await ctx.storage.generateUploadUrl();
  },
});

/** The public URL of an uploaded image (Convex decides the URL form; it differs between deployments). */
export const getImageUrl = siteQuery({
  args: { storageId: v.id("_storage") },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { storageId }) => await ctx.storage.getUrl(storageId),
});

/**
 * Creates a site for an existing user. Trusted: for seeding and admin tooling, which must have
 * authorized it.
 */
export const createForUser = internalMutation({
  args: { ownerId: v.id("users"), name: v.string(), slug: v.string(), description: v.optional(v.string()) },
  returns: v.id("sites"),
  handler: async (ctx, { ownerId, ...input }) => createSiteFor(ctx, ownerId, input),
});
