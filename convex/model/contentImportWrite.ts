import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { STORAGE_PATH_PREFIX } from "../../app/editor/urls";
import { toUserError } from "../shared/errors";
import { FIELDS, checkField, type TextRule } from "../shared/fields";
import { slugProblem, toSlug } from "../shared/slugs";
import { legacyPathKey, LOCAL_IMAGE_PREFIX, type ImportedAuthor, type ImportedTerm, type ImportSource, type PreparedPost } from "../migrate/types";
import { createImportOfStoredFile } from "./audienceImport";
import { finishImport, scheduleStep, withReport, type ImportReportEntry } from "./contentImport";
import { createDraft, requireDraft, setTags, type Actor } from "./posts";
import { publishAs, schedule } from "./postLifecycle";
import { createPlaceholderAuthor, memberByEmail } from "./placeholders";
import { isSlugFree, uniqueSlug } from "./slugs";
import { createTerm, listCategories, MAX_CATEGORIES } from "./taxonomy";

// Writing a confirmed import (issue #17): a chain of scheduled mutations (importStep), each writing
// the staged items from the job's cursor within STEP_BUDGET, in order: authors, tags, categories,
// images, member lists, then posts. Every post goes through the post model (createDraft, setTags,
// publishAs, schedule), so counters, postTags rows, revisions and audit entries are what the
// studio's own mutations make. importedItems makes every item idempotent: a re-run, or a step run
// twice after a crash, finds what it already wrote and skips it.

/**
 * Work units per step: a post costs POST_COST (≈30 index reads and writes through the post model),
 * anything else 1, so a step writes at most 10 posts. Measured on the local backend
 * (tests/integration/content-import.test.ts): ≈50 posts/s, i.e. ≈200 ms wall per 10-post step
 * including the scheduler hop, well under the 1 s CPU limit.
 */
export const STEP_BUDGET = 40;
const POST_COST = 4;

/** A staged post: the PreparedPost plus what the dry run predicted. */
export interface StagedPost extends PreparedPost {
  /** The slug was taken when the dry run ran (already reported). */
  clashReported?: boolean;
}

type Counts = { created: number; skipped: number; failed: number; processed: number };
interface StepState {
  job: Doc<"contentImports">;
  site: Doc<"sites">;
  source: ImportSource;
  owner: Actor;
  counts: Counts;
  report: ImportReportEntry[];
  memberImportIds: Id<"audienceImports">[];
}

/** The importer, as the post model's actor: the job's creator must still be a member allowed to import. */
async function ownerActor(ctx: QueryCtx, job: Doc<"contentImports">, site: Doc<"sites">): Promise<Actor | null> {
  const viewer = await ctx.db.get("users", job.createdBy);
  const member = await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", site._id).eq("userId", job.createdBy))
    .unique();
  if (!viewer || !member || member.role !== "owner") return null;
  return { viewer, site, member };
}

/**
 * One step of the import: writes staged items from `cursor`, moves the cursor, counters and
 * heartbeat in the same transaction, and schedules the next step (or ends the job). A step whose
 * cursor is not the job's (a duplicate run after the watchdog) does nothing.
 */
export async function importStep(ctx: MutationCtx, importId: Id<"contentImports">, cursor: number): Promise<void> {
  const job = await ctx.db.get("contentImports", importId);
  if (!job || job.status !== "importing" || job.cursor !== cursor || !job.source) return;
  const site = await ctx.db.get("sites", job.siteId);
  const owner = site && (await ownerActor(ctx, job, site));
  if (!site || !owner) {
    await ctx.db.patch("contentImports", importId, { status: "failed", error: "The person who started this import is no longer the site's owner.", finishedAt: Date.now(), stepJob: undefined });
    await ctx.scheduler.runAfter(0, internal.contentImport.cleanup, { importId });
    return;
  }
  const items = await ctx.db
    .query("contentImportItems")
    .withIndex("by_siteId_and_importId_and_position", (q) => q.eq("siteId", job.siteId).eq("importId", importId).gte("position", cursor))
    .take(STEP_BUDGET);
  if (items.length === 0) {
    await finishImport(ctx, job);
    return;
  }
  const state: StepState = {
    job,
    site,
    source: job.source,
    owner,
    counts: { created: job.created, skipped: job.skipped, failed: job.failed, processed: job.processed },
    report: [],
    memberImportIds: [...(job.memberImportIds ?? [])],
  };
  let spent = 0;
  let next = cursor;
  for (const item of items) {
    const cost = item.kind === "post" ? POST_COST : 1;
    if (spent > 0 && spent + cost > STEP_BUDGET) break;
    spent += cost;
    await writeItem(ctx, state, item);
    next = item.position + 1;
  }
  await ctx.db.patch("contentImports", importId, {
    ...state.counts,
    ...withReport(job, state.report),
    memberImportIds: state.memberImportIds.length ? state.memberImportIds : undefined,
    cursor: next,
    attempts: 0,
    heartbeatAt: Date.now(),
  });
  await scheduleStep(ctx, importId, next);
}

async function writeItem(ctx: MutationCtx, state: StepState, item: Doc<"contentImportItems">) {
  let outcome: Doc<"contentImportItems">["state"] = "done";
  if (item.kind === "author") await writeAuthor(ctx, state, JSON.parse(item.data) as ImportedAuthor);
  else if (item.kind === "tag" || item.kind === "category") outcome = await writeTerm(ctx, state, item.kind, JSON.parse(item.data) as ImportedTerm);
  else if (item.kind === "image") outcome = await writeImage(ctx, state, item);
  else if (item.kind === "memberList") outcome = await writeMemberList(ctx, state, item);
  else outcome = await writePost(ctx, state, JSON.parse(item.data) as StagedPost);
  await ctx.db.patch("contentImportItems", item._id, { state: outcome });
}

// --- idempotency ---------------------------------------------------------------------------------

type ItemKind = Doc<"importedItems">["kind"];

export async function importedItem(ctx: QueryCtx, siteId: Id<"sites">, source: ImportSource, kind: ItemKind, sourceKey: string) {
  return await ctx.db
    .query("importedItems")
    .withIndex("by_siteId_and_source_and_kind_and_sourceKey", (q) => q.eq("siteId", siteId).eq("source", source).eq("kind", kind).eq("sourceKey", sourceKey))
    .first();
}

async function recordItem(ctx: MutationCtx, state: StepState, kind: ItemKind, sourceKey: string, targetId: string) {
  await ctx.db.insert("importedItems", { siteId: state.site._id, source: state.source, kind, sourceKey, targetId, importId: state.job._id, createdAt: Date.now() });
}

// --- authors, terms, files -----------------------------------------------------------------------

/** Matched by email to a member of this site, or a placeholder author. */
async function writeAuthor(ctx: MutationCtx, state: StepState, author: ImportedAuthor) {
  if (await importedItem(ctx, state.site._id, state.source, "author", author.key)) return;
  const match = author.email ? await memberByEmail(ctx, state.site._id, author.email) : null;
  const user = match?.user ?? (await createPlaceholderAuthor(ctx, state.site._id, { name: author.name, email: author.email, importId: state.job._id })).user;
  await recordItem(ctx, state, "author", author.key, user._id);
}

/** Cut to a field rule instead of refusing: an imported name or excerpt too long is shortened. */
function fit(rule: TextRule, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const check = checkField(rule, raw.replace(/\s+/g, " ").trim().slice(0, rule.max));
  return check.ok ? check.value || undefined : undefined;
}

async function writeTerm(ctx: MutationCtx, state: StepState, kind: "tag" | "category", term: ImportedTerm): Promise<"done" | "skipped"> {
  const siteId = state.site._id;
  if (await importedItem(ctx, siteId, state.source, kind, term.key)) return "skipped";
  const table = kind === "tag" ? "tags" : "categories";
  const slug = term.slug.trim().toLowerCase();
  const existing = slugProblem(slug, kind)
    ? null
    : await ctx.db
        .query(table)
        .withIndex("by_siteId_and_slug", (q) => q.eq("siteId", siteId).eq("slug", slug))
        .first();
  if (existing) {
    await recordItem(ctx, state, kind, term.key, existing._id);
    return "done";
  }
  if (kind === "category" && (await listCategories(ctx, siteId)).length >= MAX_CATEGORIES) {
    state.report.push({ kind: "note", item: term.name.slice(0, 200), message: `Category not created: a site has at most ${MAX_CATEGORIES} categories.` });
    return "skipped";
  }
  const name = fit(FIELDS.taxonomyName, term.name) ?? slug;
  const chosen = !slugProblem(slug, kind) && (await isSlugFree(ctx, kind, siteId, slug)) ? slug : await uniqueSlug(ctx, kind, siteId, name || "term");
  const id = await createTerm(ctx, state.owner, kind, { name: name || chosen, slug: chosen, description: fit(FIELDS.taxonomyDescription, term.description) });
  await recordItem(ctx, state, kind, term.key, id);
  return "done";
}

/** An image from the upload, already in storage: recorded so posts can point at it. */
async function writeImage(ctx: MutationCtx, state: StepState, item: Doc<"contentImportItems">): Promise<"done" | "skipped"> {
  const { path } = JSON.parse(item.data) as { path: string };
  // Imported before (a re-run): the earlier file stays in use; this copy is deleted with the staging.
  if (!item.storageId || (await importedItem(ctx, state.site._id, state.source, "image", path))) return "skipped";
  await recordItem(ctx, state, "image", path, item.storageId);
  return "done";
}

/** A members list from the upload: an audience import of its own (it deletes the file when done). */
async function writeMemberList(ctx: MutationCtx, state: StepState, item: Doc<"contentImportItems">): Promise<"done" | "skipped"> {
  if (!item.storageId) return "skipped";
  const { path } = JSON.parse(item.data) as { path: string };
  let memberImportId: Id<"audienceImports">;
  try {
    // It refuses (before writing anything) while another members import runs.
    memberImportId = await createImportOfStoredFile(ctx, state.site, state.owner.viewer._id, { storageId: item.storageId, fileName: path.split("/").pop() || "members.csv" });
  } catch (e) {
    if (toUserError(e).code !== "INVALID_STATE") throw e;
    state.report.push({ kind: "note", item: path.slice(0, 200), message: "This members list was not imported because a members import was running. Import it under Audience → Import." });
    return "skipped";
  }
  await ctx.scheduler.runAfter(0, internal.audienceImport.run, { importId: memberImportId });
  state.memberImportIds.push(memberImportId);
  return "done";
}

// --- posts ---------------------------------------------------------------------------------------

/** The post's author: the imported author's user (matched or placeholder), else the importer. */
async function authorActor(ctx: QueryCtx, state: StepState, keys: string[]): Promise<Actor> {
  const mapped = keys.length ? await importedItem(ctx, state.site._id, state.source, "author", keys[0]) : null;
  if (!mapped) return state.owner;
  const viewer = await ctx.db.get("users", mapped.targetId as Id<"users">);
  const member =
    viewer &&
    (await ctx.db
      .query("siteMembers")
      .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", state.site._id).eq("userId", viewer._id))
      .unique());
  return viewer && member ? { viewer, site: state.site, member } : state.owner;
}

/** Swaps "zip:<path>" image srcs for the stored files' URLs; an image whose file is missing is dropped. */
async function resolveImages(ctx: QueryCtx, state: StepState, doc: string, localImages: string[]): Promise<{ doc: string; missing: number }> {
  if (!localImages.length) return { doc, missing: 0 };
  const urls = new Map<string, string | null>();
  for (const src of new Set(localImages)) {
    const row = await importedItem(ctx, state.site._id, state.source, "image", src.slice(LOCAL_IMAGE_PREFIX.length));
    urls.set(src, row ? `${STORAGE_PATH_PREFIX}${row.targetId}` : null);
  }
  let missing = 0;
  type Node = { type?: string; attrs?: Record<string, unknown>; content?: Node[] };
  const walk = (node: Node): Node | null => {
    const src = node.attrs?.src;
    if (typeof src === "string" && src.startsWith(LOCAL_IMAGE_PREFIX)) {
      const url = urls.get(src);
      if (!url) {
        missing++;
        return null;
      }
      node.attrs = { ...node.attrs, src: url };
    }
    if (node.content) node.content = node.content.map(walk).filter((n): n is Node => n !== null);
    return node;
  };
  const root = walk(JSON.parse(doc) as Node);
  return { doc: JSON.stringify(root), missing };
}

async function writePost(ctx: MutationCtx, state: StepState, post: StagedPost): Promise<"done" | "skipped"> {
  const siteId = state.site._id;
  const label = post.title.slice(0, 200) || post.slug || `#${post.position}`;
  state.counts.processed++;
  if (await importedItem(ctx, siteId, state.source, "post", post.key)) {
    state.counts.skipped++;
    return "skipped";
  }
  const author = await authorActor(ctx, state, post.authorKeys);
  const title = fit(FIELDS.postTitle, post.title) ?? "";
  const { doc, missing } = await resolveImages(ctx, state, post.doc, post.localImages);
  if (missing) state.report.push({ kind: "note", position: post.position, item: label, message: `${missing} image(s) were not in the upload and were left out.` });
  const categoryId = post.categoryKey ? ((await importedItem(ctx, siteId, state.source, "category", post.categoryKey))?.targetId as Id<"categories"> | undefined) : undefined;
  const postId = await createDraft(ctx, author, { title, doc, categoryId });

  // The address: the source's slug, or the next free suffix on a clash (reported, naming both).
  const wanted = post.slug && !slugProblem(post.slug, "post") ? post.slug : toSlug(title) || "untitled";
  const slug = await uniqueSlug(ctx, "post", siteId, wanted, postId);
  if (slug !== wanted && !post.clashReported)
    state.report.push({ kind: "clash", position: post.position, item: label, message: `The address /${wanted} is taken by another post; this one is /${slug}.` });

  const cover = post.cover?.url ?? "";
  const coverFile = cover.startsWith(LOCAL_IMAGE_PREFIX) ? await importedItem(ctx, siteId, state.source, "image", cover.slice(LOCAL_IMAGE_PREFIX.length)) : null;
  const coverUrl = /^https?:\/\//i.test(cover) ? cover : undefined;
  const hasCover = Boolean(coverFile || coverUrl);
  const excerpt = fit(FIELDS.postExcerpt, post.excerpt);
  await ctx.db.patch("posts", postId, {
    slug,
    slugSetByAuthor: true,
    featured: post.paid,
    excerpt,
    coverImageId: coverFile ? (coverFile.targetId as Id<"_storage">) : undefined,
    coverImageUrl: coverFile ? undefined : coverUrl,
    coverImageAlt: hasCover ? fit(FIELDS.coverAlt, post.cover?.alt) : undefined,
    coverImageCaption: hasCover ? fit(FIELDS.coverCaption, post.cover?.caption) : undefined,
    ...(post.createdAt !== undefined ? { createdAt: post.createdAt } : {}),
  });
  const created = (await ctx.db.get("posts", postId))!;
  const draft = await requireDraft(ctx, created);
  await ctx.db.patch("postBodies", draft._id, { excerpt, seoTitle: fit(FIELDS.seoTitle, post.seoTitle), seoDescription: fit(FIELDS.seoDescription, post.seoDescription) });

  const tagIds: Id<"tags">[] = [];
  for (const key of post.tagKeys) {
    const row = await importedItem(ctx, siteId, state.source, "tag", key);
    if (row && !tagIds.includes(row.targetId as Id<"tags">)) tagIds.push(row.targetId as Id<"tags">);
  }
  if (tagIds.length > 20) state.report.push({ kind: "note", position: post.position, item: label, message: `Only the first 20 of ${tagIds.length} tags were kept.` });
  if (tagIds.length) await setTags(ctx, author, created, tagIds.slice(0, 20));

  await goLive(ctx, state, postId, post, label, author);
  await recordLegacyPaths(ctx, siteId, postId, slug, post.legacyPaths);
  await recordItem(ctx, state, "post", post.key, postId);
  state.counts.created++;
  return "done";
}

/**
 * Published posts keep the source's publishedAt; scheduled posts in the future are scheduled (by
 * the importer, whose right is checked again when the job runs), in the past published; pages
 * and drafts stay drafts. A post without a title cannot go live and stays a draft (reported).
 */
async function goLive(ctx: MutationCtx, state: StepState, postId: Id<"posts">, post: StagedPost, label: string, author: Actor) {
  if (post.isPage || post.status === "draft") return;
  const now = Date.now();
  const at = post.publishedAt ?? now;
  const fresh = (await ctx.db.get("posts", postId))!;
  if (!fresh.title.trim()) {
    state.report.push({ kind: "note", position: post.position, item: label, message: "A post without a title was imported as a draft." });
    return;
  }
  if (post.status === "scheduled" && at > now) {
    await schedule(ctx, state.owner, fresh, at);
    return;
  }
  await ctx.db.patch("posts", postId, { publishedAt: Math.min(at, now) });
  await publishAs(ctx, author.viewer, { ...fresh, publishedAt: Math.min(at, now) });
}

/** The post's old addresses → legacyPaths rows (not its own new path; an address already taken stays with its post). */
async function recordLegacyPaths(ctx: MutationCtx, siteId: Id<"sites">, postId: Id<"posts">, slug: string, paths: string[]) {
  const seen = new Set<string>([`/${slug}`]);
  for (const p of paths.slice(0, 20)) {
    const key = legacyPathKey(p);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    const taken = await ctx.db
      .query("legacyPaths")
      .withIndex("by_siteId_and_path", (q) => q.eq("siteId", siteId).eq("path", key))
      .first();
    if (!taken) await ctx.db.insert("legacyPaths", { siteId, path: key, postId, createdAt: Date.now() });
  }
}
