import type { Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { slugProblem, toSlug } from "../shared/slugs";
import { LOCAL_IMAGE_PREFIX, type ImportSource, type ItemProblem, type ParsedExport, type PreparedPost } from "../migrate/types";
import type { ImportPlan, ImportReportEntry, StagedKind } from "./contentImport";
import type { StagedPost } from "./contentImportWrite";
import { memberByEmail } from "./placeholders";
import { siteHasActivePlan } from "./posts";

// The dry run's plan (issue #17): what the import will do given the site as it is now. The site
// facts come from planLookup (an internal query, called in batches by the action); buildStaging is
// pure, so the plan, the report and the staged items are tested without a backend.

/** Largest arrays planLookup takes at once (each entry is one or two index reads). */
export const LOOKUP_BATCH = 200;

export interface LookupInput {
  siteId: Id<"sites">;
  source: ImportSource;
  emails: string[];
  authorKeys: string[];
  tagSlugs: string[];
  categorySlugs: string[];
  postSlugs: string[];
  postKeys: string[];
  termKeys: Array<{ kind: "tag" | "category"; key: string }>;
}

/** Which of the given emails, slugs and source keys already exist in the site (the same lists, filtered). */
export async function planLookup(ctx: QueryCtx, input: LookupInput) {
  const { siteId, source } = input;
  const imported = async (kind: "post" | "tag" | "category" | "author", sourceKey: string) =>
    (await ctx.db
      .query("importedItems")
      .withIndex("by_siteId_and_source_and_kind_and_sourceKey", (q) => q.eq("siteId", siteId).eq("source", source).eq("kind", kind).eq("sourceKey", sourceKey))
      .first()) !== null;
  const bySlug = async (table: "posts" | "tags" | "categories", slug: string) =>
    (await ctx.db
      .query(table)
      .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
      .first()) !== null;
  const filter = async <T>(list: T[], keep: (x: T) => Promise<boolean>) => {
    const out: T[] = [];
    for (const x of list.slice(0, LOOKUP_BATCH)) if (await keep(x)) out.push(x);
    return out;
  };
  return {
    emails: (await filter(input.emails, async (e) => (await memberByEmail(ctx, siteId, e)) !== null)).map((e) => e.trim().toLowerCase()),
    authorKeys: await filter(input.authorKeys, (k) => imported("author", k)),
    tagSlugs: await filter(input.tagSlugs, (s) => bySlug("tags", s)),
    categorySlugs: await filter(input.categorySlugs, (s) => bySlug("categories", s)),
    postSlugs: await filter(input.postSlugs, (s) => bySlug("posts", s)),
    postKeys: await filter(input.postKeys, (k) => imported("post", k)),
    termKeys: (await filter(input.termKeys, (t) => imported(t.kind, t.key))).map((t) => `${t.kind}:${t.key}`),
    hasActivePlan: await siteHasActivePlan(ctx, siteId),
  };
}

/** What planLookup found, merged over every batch. */
export interface SiteFacts {
  memberEmails: ReadonlySet<string>;
  importedAuthors: ReadonlySet<string>;
  tagSlugs: ReadonlySet<string>;
  categorySlugs: ReadonlySet<string>;
  postSlugs: ReadonlySet<string>;
  importedPosts: ReadonlySet<string>;
  /** "tag:<key>" / "category:<key>" already imported. */
  importedTerms: ReadonlySet<string>;
  hasActivePlan: boolean;
}

/** A staged row before it has a file: the action stores images and member lists, then stages. */
export interface StagedDraft {
  kind: StagedKind;
  data: string;
  /** For an image or members list: its path in the upload (the action stores the bytes). */
  filePath?: string;
}

/** The slug a post asks for (the source's if valid, else from its title). */
export function wantedSlug(post: Pick<PreparedPost, "slug" | "title">): string {
  return post.slug && !slugProblem(post.slug, "post") ? post.slug : toSlug(post.title) || "untitled";
}

const clip = (s: string) => s.slice(0, 200);

/**
 * The plan, the report and the staged items (in writing order: authors, tags, categories, images,
 * member lists, posts) of a parsed and prepared export, against the site's facts.
 */
export function buildStaging(
  parsed: ParsedExport,
  prepared: PreparedPost[],
  problems: ItemProblem[],
  facts: SiteFacts,
): { plan: ImportPlan; report: ImportReportEntry[]; items: StagedDraft[] } {
  const report: ImportReportEntry[] = [];
  const items: StagedDraft[] = [];
  const usedAuthors = new Set(prepared.flatMap((p) => p.authorKeys.slice(0, 1)));
  let authorsMatched = 0;
  let authorsPlaceholder = 0;
  for (const a of parsed.authors) {
    if (!usedAuthors.has(a.key)) continue; // an author with no post here is not created
    items.push({ kind: "author", data: JSON.stringify(a) });
    if (facts.importedAuthors.has(a.key)) continue;
    if (a.email && facts.memberEmails.has(a.email.toLowerCase())) authorsMatched++;
    else {
      authorsPlaceholder++;
      report.push({ kind: "placeholder-author", item: clip(a.name), message: `No member of this site has ${a.email ? "this author's email" : "an email for this author"}: a placeholder author is created. Invite them from Members to hand them their posts.` });
    }
  }
  const usedTags = new Set(prepared.flatMap((p) => p.tagKeys));
  const usedCategories = new Set(prepared.flatMap((p) => (p.categoryKey ? [p.categoryKey] : [])));
  const terms = (kind: "tag" | "category", list: ParsedExport["tags"], used: Set<string>, slugs: ReadonlySet<string>) => {
    let fresh = 0;
    let existing = 0;
    for (const t of list) {
      if (!used.has(t.key)) continue;
      items.push({ kind, data: JSON.stringify(t) });
      if (facts.importedTerms.has(`${kind}:${t.key}`) || slugs.has(t.slug.toLowerCase())) existing++;
      else fresh++;
    }
    return { fresh, existing };
  };
  const tags = terms("tag", parsed.tags, usedTags, facts.tagSlugs);
  const categories = terms("category", parsed.categories, usedCategories, facts.categorySlugs);

  const usedImages = new Set<string>();
  for (const p of prepared) {
    for (const src of p.localImages) usedImages.add(src.slice(LOCAL_IMAGE_PREFIX.length));
    if (p.cover?.url.startsWith(LOCAL_IMAGE_PREFIX)) usedImages.add(p.cover.url.slice(LOCAL_IMAGE_PREFIX.length));
  }
  let images = 0;
  for (const img of parsed.images) {
    if (!usedImages.has(img.path)) continue; // files no post shows are not kept
    images++;
    items.push({ kind: "image", data: JSON.stringify({ path: img.path, contentType: img.contentType }), filePath: img.path });
  }
  for (const list of parsed.memberLists) items.push({ kind: "memberList", data: JSON.stringify({ path: list.path }), filePath: list.path });

  const plan: ImportPlan = {
    posts: 0, published: 0, drafts: 0, scheduled: 0, pages: 0, paid: 0,
    tagsNew: tags.fresh, tagsExisting: tags.existing, categoriesNew: categories.fresh, categoriesExisting: categories.existing,
    authorsMatched, authorsPlaceholder, images, members: parsed.memberLists.length,
    slugClashes: 0, unsupported: 0, badItems: problems.length, alreadyImported: 0,
  };
  for (const p of problems) report.push({ kind: "bad-item", position: p.position, item: p.item ? clip(p.item) : undefined, message: p.message });

  const taken = new Set(facts.postSlugs);
  const now = Date.now();
  for (const p of prepared) {
    const label = clip(p.title || p.slug || `#${p.position}`);
    const staged: StagedPost = { ...p };
    if (facts.importedPosts.has(p.key)) {
      plan.alreadyImported++;
      report.push({ kind: "skipped", position: p.position, item: label, message: "Already imported from this source: it is not created again." });
    } else {
      plan.posts++;
      if (p.isPage) {
        plan.pages++;
        report.push({ kind: "page", position: p.position, item: label, message: "A page at the source: imported as a draft post." });
      } else if (p.status === "published" || (p.status === "scheduled" && (p.publishedAt ?? now) <= now)) plan.published++;
      else if (p.status === "scheduled") plan.scheduled++;
      else plan.drafts++;
      if (p.paid) plan.paid++;
      const slug = wantedSlug(p);
      if (taken.has(slug)) {
        plan.slugClashes++;
        staged.clashReported = true;
        report.push({ kind: "clash", position: p.position, item: label, message: `The address /${slug} is already used by another post; this post gets the next free one (/${slug}-2 or later).` });
      }
      taken.add(slug);
      plan.unsupported += p.unsupported.length;
      for (const u of p.unsupported) report.push({ kind: "unsupported", position: p.position, item: label, message: `${u.kind} not imported: ${u.detail}`.slice(0, 500) });
      for (const n of p.notes ?? []) report.push({ kind: "note", position: p.position, item: label, message: n.slice(0, 500) });
    }
    items.push({ kind: "post", data: JSON.stringify(staged) });
  }
  if (plan.paid && !facts.hasActivePlan)
    report.push({ kind: "note", message: `${plan.paid} paid post(s) are imported as featured (paid readers only), but this site has no active plan yet: add one under Plans & revenue so readers can subscribe.` });
  return { plan, report, items };
}
