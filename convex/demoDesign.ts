import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { internalMutation, internalQuery } from "./lib/functions";
import * as Posts from "./model/posts";
import * as Reader from "./model/reader";
import { slugify } from "./model/slugs";
import { mergeBranding, type ThemeChange } from "./model/theme";

// How the demo publications look (issue #16): each has its own theme, and their logos, site cover
// and post covers (with alt text and captions) come from tools/demo-covers/*.png. Mutations cannot
// store files, so whoever seeds the demo (tools/start.ts, the e2e stack: tools/demo-covers/seed.ts)
// asks `missingImages` which files a slot still lacks, uploads those through `imageUploadUrl`, and
// hands the storage ids to `attachImages`, which fills only empty slots: an owner's own choices are
// never overwritten, and a second run uploads nothing.

interface PostCover {
  /** The post's title in demo.ts (its slug, or the slug it was renamed from, is slugify(title)). */
  title: string;
  image: string;
  alt: string;
  caption: string;
}

export interface DemoDesign {
  theme: Omit<ThemeChange, "accentColor" | "logoStorageId" | "coverStorageId">;
  logo?: string;
  cover?: string;
  posts: PostCover[];
}

const CREDIT = "Illustration: Pressroom demo art";

/** By site slug (demo.ts SITES). Image names are files in tools/demo-covers without ".png". */
export const DEMO_DESIGN: Record<string, DemoDesign> = {
  // The e2e suite's main site stays a classic list (its page tests read that layout).
  "the-ledger": {
    theme: {
      theme: "classic",
      fontPair: "editorial",
      homeLayout: "list",
      colorScheme: "auto",
      navLinks: [
        { label: "Cities", url: "/category/cities" },
        { label: "Markets", url: "/category/markets" },
        { label: "Membership", url: "/subscribe" },
      ],
    },
    logo: "ledger-logo",
    cover: "ledger-site-cover",
    posts: [
      { title: "How a city budget really works", image: "ledger-skyline", alt: "A green city skyline in front of a low orange sun", caption: `Every skyline is paid for line by line. ${CREDIT}.` },
    ],
  },
  "field-notes": {
    theme: {
      theme: "magazine",
      fontPair: "modern",
      homeLayout: "magazine",
      colorScheme: "auto",
      navLinks: [
        { label: "Vegetables", url: "/category/vegetables" },
        { label: "Soil", url: "/category/soil" },
        { label: "Membership", url: "/subscribe" },
      ],
    },
    logo: "field-notes-logo",
    cover: "field-site-cover",
    posts: [
      { title: "The tomatoes I started too early", image: "field-hills", alt: "Rolling green, rust and dark green hills under a pale sun", caption: `The slope, in late spring. ${CREDIT}.` },
      { title: "A beginner's guide to hot composting", image: "field-stack", alt: "Three overlapping cards in orange, sand and dark green, like layers of a compost pile", caption: `Browns, greens, repeat. ${CREDIT}.` },
      { title: "Notes from the first frost", image: "field-arcs", alt: "Concentric rings of orange, sand and green spreading from one corner", caption: `The cold came in rings. ${CREDIT}.` },
      { title: "Why I stopped tilling", image: "field-bands", alt: "Diagonal stripes of orange, sand and dark green, like furrows", caption: `Furrows we no longer dig. ${CREDIT}.` },
      { title: "Saving seeds from open-pollinated beans", image: "field-tiles", alt: "A grid of rounded squares, some filled orange, sand or green, like a seed tray", caption: `Next year's garden, sorted. ${CREDIT}.` },
    ],
  },
  "byte-sized": {
    theme: {
      theme: "classic",
      fontPair: "grotesk",
      homeLayout: "grid",
      colorScheme: "auto",
      navLinks: [
        { label: "Databases", url: "/category/databases" },
        { label: "Web", url: "/category/web" },
      ],
    },
    logo: "byte-sized-logo",
    posts: [
      { title: "Cache invalidation is a promise problem", image: "byte-dots", alt: "A grid of small lilac dots with a rising diagonal of large violet dots", caption: `Hits, misses, and the one that lied. ${CREDIT}.` },
    ],
  },
};

/** Every image the demo uses (what tools/demo-covers must hold). */
export const DEMO_IMAGE_NAMES = [...new Set(Object.values(DEMO_DESIGN).flatMap((d) => [d.logo, d.cover, ...d.posts.map((p) => p.image)]))].filter(
  (n): n is string => n !== undefined,
);

async function demoSite(ctx: QueryCtx, slug: string): Promise<Doc<"sites"> | null> {
  return await ctx.db
    .query("sites")
    .withIndex("by_slug", (q) => q.eq("slug", slug))
    .unique();
}

/** The live demo post (following a rename), or null when it is gone. */
async function demoPost(ctx: QueryCtx, site: Doc<"sites">, title: string): Promise<Doc<"posts"> | null> {
  const found = await Reader.resolvePost(ctx, site._id, slugify(title));
  return found?.post ?? null;
}

/** Image slots of the seeded demo sites that are still empty, as image names. */
async function emptySlots(ctx: QueryCtx): Promise<Array<{ site: Doc<"sites">; image: string; slot: "logo" | "cover" | PostCover }>> {
  const out: Array<{ site: Doc<"sites">; image: string; slot: "logo" | "cover" | PostCover }> = [];
  for (const [slug, design] of Object.entries(DEMO_DESIGN)) {
    const site = await demoSite(ctx, slug);
    if (!site) continue;
    if (design.logo && !site.branding?.logoStorageId) out.push({ site, image: design.logo, slot: "logo" });
    if (design.cover && !site.branding?.coverStorageId) out.push({ site, image: design.cover, slot: "cover" });
    for (const cover of design.posts) {
      const post = await demoPost(ctx, site, cover.title);
      if (post && !post.coverImageId) out.push({ site, image: cover.image, slot: cover });
    }
  }
  return out;
}

/** The demo's theme choices for a site that has made none (a fresh seed, or one from before themes). */
export async function demoBranding(ctx: QueryCtx, slug: string, current: Doc<"sites">["branding"]) {
  const design = DEMO_DESIGN[slug];
  if (!design || current?.theme) return current;
  return await mergeBranding(ctx, current, design.theme);
}

/** Which demo images still have an empty slot (none: nothing to upload). Trusted: seeding only. */
export const missingImages = internalQuery({
  args: {},
  returns: v.array(v.string()),
  handler: async (ctx) => [...new Set((await emptySlots(ctx)).map((s) => s.image))],
});

/** An upload URL for one demo image (POST the bytes; the answer is `{ storageId }`). */
export const imageUploadUrl = internalMutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

/**
 * Puts uploaded demo images into the slots that are still empty (and the demo theme on a demo site
 * that has none). Post covers go through Posts.setCoverImage (alt and caption checked, audited)
 * with the owner as actor; the post keeps its demo date. Returns how many slots it filled.
 */
export const attachImages = internalMutation({
  args: { images: v.array(v.object({ name: v.string(), storageId: v.id("_storage") })) },
  returns: v.object({ filled: v.number() }),
  handler: async (ctx, { images }) => {
    const ids = new Map<string, Id<"_storage">>(images.map((i) => [i.name, i.storageId]));
    let filled = 0;
    for (const slug of Object.keys(DEMO_DESIGN)) {
      const site = await demoSite(ctx, slug);
      if (!site) continue;
      const branding = await demoBranding(ctx, slug, site.branding);
      if (branding !== site.branding) await ctx.db.patch("sites", site._id, { branding });
    }
    for (const { site, image, slot } of await emptySlots(ctx)) {
      const storageId = ids.get(image);
      if (!storageId) continue;
      if (slot === "logo" || slot === "cover") {
        const fresh = (await ctx.db.get("sites", site._id))!;
        const change = slot === "logo" ? { logoStorageId: storageId } : { coverStorageId: storageId };
        await ctx.db.patch("sites", site._id, { branding: await mergeBranding(ctx, fresh.branding, change) });
      } else {
        const post = (await demoPost(ctx, site, slot.title))!;
        await Posts.setCoverImage(ctx, await ownerActor(ctx, site), post, storageId, { alt: slot.alt, caption: slot.caption });
        await ctx.db.patch("posts", post._id, { updatedAt: post.updatedAt });
      }
      filled++;
    }
    return { filled };
  },
});

async function ownerActor(ctx: MutationCtx, site: Doc<"sites">): Promise<Posts.Actor> {
  const viewer = (await ctx.db.get("users", site.ownerId))!;
  const member = (await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", site._id).eq("userId", site.ownerId))
    .unique())!;
  return { viewer, site, member };
}
