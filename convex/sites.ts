import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { requireMembership, requirePermission } from "./lib/access";
import { audit } from "./lib/audit";
import { displayName, requireViewer } from "./lib/auth";
import { appError, cleanField } from "./lib/errors";
import { action, internalAction, internalMutation, internalQuery, readerQuery, siteMutation, siteQuery, userMutation, userQuery } from "./lib/functions";
import * as Domains from "./model/domains";
import * as Theme from "./model/theme";
import { isLive } from "./model/reader";
import { slugify } from "./model/slugs";
import { slugProblem } from "./shared/slugs";
import { errorCodeOf } from "./shared/errors";
import { FIELDS } from "./shared/fields";
import { vBranding, vNavLink, vResolvedTheme, vSiteRole } from "./validators";

const vDirectoryEntry = v.object({ name: v.string(), slug: v.string(), description: v.union(v.string(), v.null()) });

const vPublicSite = v.object({
  _id: v.id("sites"),
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  customDomain: v.union(v.string(), v.null()),
  accentColor: v.union(v.string(), v.null()),
  logoUrl: v.union(v.string(), v.null()),
  /** Every theme choice made (resolveTheme of the stored branding, ADR 014). */
  theme: vResolvedTheme,
  coverUrl: v.union(v.string(), v.null()),
});

/** @throws ConvexError INVALID_SLUG / RESERVED_SLUG / SLUG_TAKEN (field "slug") */
export async function requireSiteSlugFree(ctx: QueryCtx, slug: string, exceptId?: Id<"sites">) {
  const problem = slugProblem(slug, "site");
  if (problem) throw appError(problem, { field: "slug" });
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
  const name = cleanField(FIELDS.siteName, input.name, "name");
  await requireSiteSlugFree(ctx, input.slug);
  const description = cleanField(FIELDS.siteDescription, input.description ?? "", "description") || undefined;
  const owner = await ctx.db.get("users", ownerId);
  if (!owner) throw appError("NOT_FOUND");
  const now = Date.now();
  const siteId = await ctx.db.insert("sites", {
    name,
    slug: input.slug,
    description,
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

const FEATURED_SITES = 6;
const FEATURED_POSTS = 3;

const vFeaturedSite = v.object({
  name: v.string(),
  slug: v.string(),
  description: v.union(v.string(), v.null()),
  accentColor: v.union(v.string(), v.null()),
  logoUrl: v.union(v.string(), v.null()),
  posts: v.array(v.object({ title: v.string(), slug: v.string(), publishedAt: v.number() })),
});

/**
 * The platform home's featured publications: the newest few, each with its latest published posts
 * (titles only: what every list shows, locked or not). Bounded: FEATURED_SITES sites by creation
 * time, one indexed query of FEATURED_POSTS posts each.
 */
export const listFeatured = readerQuery({
  args: {},
  returns: v.array(vFeaturedSite),
  handler: async (ctx) => {
    const sites = await ctx.db.query("sites").order("desc").take(FEATURED_SITES);
    return await Promise.all(
      sites.map(async (site) => {
        const posts = await ctx.db
          .query("posts")
          .withIndex("by_siteId_and_status_and_publishedAt", (q) => q.eq("siteId", site._id).eq("status", "published"))
          .order("desc")
          .take(FEATURED_POSTS);
        return {
          name: site.name,
          slug: site.slug,
          description: site.description ?? null,
          accentColor: site.branding?.accentColor ?? null,
          logoUrl: site.branding?.logoStorageId ? await ctx.storage.getUrl(site.branding.logoStorageId) : null,
          posts: posts.filter((p) => isLive(p, site._id)).map((p) => ({ title: p.title, slug: p.slug, publishedAt: p.publishedAt! })),
        };
      }),
    );
  },
});

/**
 * A publication's public face, by slug or custom domain; null when there is none. Only a verified
 * custom domain finds a site or is returned as its customDomain (what canonical URLs use).
 */
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
        ? await Domains.verifiedSiteForDomain(ctx, domain.toLowerCase())
        : null;
    if (!site) return null;
    return {
      _id: site._id,
      name: site.name,
      slug: site.slug,
      description: site.description ?? null,
      customDomain: Domains.verifiedDomainOf(site),
      accentColor: site.branding?.accentColor ?? null,
      logoUrl: site.branding?.logoStorageId ? await ctx.storage.getUrl(site.branding.logoStorageId) : null,
      theme: Theme.siteTheme(site),
      coverUrl: site.branding?.coverStorageId ? await ctx.storage.getUrl(site.branding.coverStorageId) : null,
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
      const code = errorCodeOf(e);
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
      const site = await ctx.db.get("sites", m.siteId);
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
    /** Whether the custom domain serves yet (verified) or waits for its DNS record (pending). */
    customDomainStatus: v.union(v.literal("pending"), v.literal("verified"), v.null()),
    /** The TXT record that proves control of the custom domain. */
    customDomainRecord: v.union(v.object({ name: v.string(), value: v.string() }), v.null()),
    branding: v.union(vBranding, v.null()),
    logoUrl: v.union(v.string(), v.null()),
    coverUrl: v.union(v.string(), v.null()),
    role: vSiteRole,
  }),
  handler: async (ctx) => ({
    _id: ctx.site._id,
    name: ctx.site.name,
    slug: ctx.site.slug,
    description: ctx.site.description ?? null,
    customDomain: ctx.site.customDomain ?? null,
    customDomainStatus: Domains.domainStatus(ctx.site),
    customDomainRecord:
      ctx.site.customDomain && ctx.site.customDomainToken
        ? { name: Domains.verifyRecordName(ctx.site.customDomain), value: ctx.site.customDomainToken }
        : null,
    branding: ctx.site.branding ?? null,
    logoUrl: ctx.site.branding?.logoStorageId ? await ctx.storage.getUrl(ctx.site.branding.logoStorageId) : null,
    coverUrl: ctx.site.branding?.coverStorageId ? await ctx.storage.getUrl(ctx.site.branding.coverStorageId) : null,
    role: ctx.member.role,
  }),
});


/**
 * Updates name, description, branding and custom domain. Owners and admins. A newly set custom
 * domain is pending until verifyCustomDomain finds its TXT record (model/domains.ts).
 */
export const updateSettings = siteMutation({
  permission: "site.settings",
  args: {
    name: v.optional(v.string()),
    description: v.optional(v.string()),
    customDomain: v.optional(v.union(v.string(), v.null())),
    accentColor: v.optional(v.union(v.string(), v.null())),
    logoStorageId: v.optional(v.union(v.id("_storage"), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const site = ctx.site;
    const patch: Record<string, unknown> = { updatedAt: Date.now() };
    if (args.name !== undefined) {
      patch.name = cleanField(FIELDS.siteName, args.name, "name");
    }
    if (args.description !== undefined) patch.description = cleanField(FIELDS.siteDescription, args.description, "description") || undefined;
    if (args.customDomain !== undefined) {
      const domain = cleanField(FIELDS.customDomain, args.customDomain ?? "", "customDomain") || undefined;
      // No "taken" check: a claim proves nothing, so another site's claim must not block the real owner.
      Object.assign(patch, await Domains.claimDomain(ctx, site, domain));
    }
    if (args.accentColor !== undefined || args.logoStorageId !== undefined) {
      // Merged like updateTheme: the theme choices, cover and navigation stay as they were.
      patch.branding = await Theme.mergeBranding(ctx, site.branding, { accentColor: args.accentColor, logoStorageId: args.logoStorageId });
    }
    await ctx.db.patch("sites", site._id, patch);
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

/**
 * Saves Studio → Design choices (ADR 014): theme, fonts, home layout, dark mode, navigation links,
 * accent colour, logo and cover image. Absent fields stay as they are; null clears. Owners and admins.
 * @throws ConvexError INVALID_ARGUMENT `{ field, message }` (field: theme, fontPair, homeLayout,
 * colorScheme, accentColor, navLinks, navLinks.{i}.label, navLinks.{i}.url); NOT_FOUND `{ field: "logo" | "cover" }`
 */
export const updateTheme = siteMutation({
  permission: "site.settings",
  args: {
    // Strings, not literals: a stale form's unknown choice gets a field error, not a validator crash.
    theme: v.optional(v.string()),
    fontPair: v.optional(v.string()),
    homeLayout: v.optional(v.string()),
    colorScheme: v.optional(v.string()),
    navLinks: v.optional(v.array(vNavLink)),
    accentColor: v.optional(v.union(v.string(), v.null())),
    logoStorageId: v.optional(v.union(v.id("_storage"), v.null())),
    coverStorageId: v.optional(v.union(v.id("_storage"), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, change) => {
    await Theme.updateTheme(ctx, ctx.viewer._id, ctx.site, change);
    return null;
  },
});

/** An upload URL for an image of this site (post covers, the logo). Any member; using it needs more. */
export const generateUploadUrl = siteMutation({
  permission: "media.upload",
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
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

/**
 * Checks the site's custom domain for its TXT record now: verified when found (the domain then
 * serves this site, and no other), pending when not. Owners and admins.
 * @throws ConvexError UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; INVALID_STATE (no custom domain);
 * DOMAIN_CHECK_FAILED (the resolver failed: nothing changes)
 */
export const verifyCustomDomain = action({
  args: { siteId: v.id("sites") },
  returns: v.object({ domain: v.string(), status: v.union(v.literal("pending"), v.literal("verified")) }),
  handler: async (ctx, { siteId }): Promise<{ domain: string; status: "pending" | "verified" }> => {
    const claim = await ctx.runQuery(internal.sites.domainClaimForAdmin, { siteId });
    const found = (await Domains.txtRecords(Domains.verifyRecordName(claim.domain))).includes(claim.token);
    const status = await ctx.runMutation(internal.sites.recordDomainCheck, { siteId, ...claim, found });
    return { domain: claim.domain, status: status ?? "pending" };
  },
});

/** The viewer's site's domain claim, for verifyCustomDomain. Owners and admins. */
export const domainClaimForAdmin = internalQuery({
  args: { siteId: v.id("sites") },
  returns: v.object({ domain: v.string(), token: v.string(), actorId: v.id("users") }),
  handler: async (ctx, { siteId }) => {
    const viewer = await requireViewer(ctx);
    const { site, member } = await requireMembership(ctx, siteId, viewer);
    requirePermission(member, "site.settings");
    if (!site.customDomain || !site.customDomainToken) throw appError("INVALID_STATE", { field: "customDomain", message: "Set a custom domain first." });
    return { domain: site.customDomain, token: site.customDomainToken, actorId: viewer._id };
  },
});

/** A site's current claim, or null. */
export const domainClaim = internalQuery({
  args: { siteId: v.id("sites") },
  returns: v.union(v.object({ domain: v.string(), token: v.string() }), v.null()),
  handler: async (ctx, { siteId }) => {
    const site = await ctx.db.get("sites", siteId);
    return site?.customDomain && site.customDomainToken ? { domain: site.customDomain, token: site.customDomainToken } : null;
  },
});

export const recordDomainCheck = internalMutation({
  args: { siteId: v.id("sites"), domain: v.string(), token: v.string(), found: v.boolean(), actorId: v.optional(v.id("users")) },
  returns: v.union(v.literal("pending"), v.literal("verified"), v.null()),
  handler: async (ctx, args) => Domains.recordDomainCheck(ctx, args),
});

/**
 * Re-checks a verified site's record because another site claimed its domain: a record that is gone
 * un-verifies it. A resolver failure changes nothing (a DNS outage must not take a domain away).
 */
export const recheckCustomDomain = internalAction({
  args: { siteId: v.id("sites") },
  returns: v.null(),
  handler: async (ctx, { siteId }) => {
    const claim = await ctx.runQuery(internal.sites.domainClaim, { siteId });
    if (!claim) return null;
    let found: boolean;
    try {
      found = (await Domains.txtRecords(Domains.verifyRecordName(claim.domain))).includes(claim.token);
    } catch (e) {
      console.warn(`custom domain re-check of ${claim.domain} failed; left as it was:`, e);
      return null;
    }
    await ctx.runMutation(internal.sites.recordDomainCheck, { siteId, ...claim, found });
    return null;
  },
});
