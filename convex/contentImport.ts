import { v } from "convex/values";
import { internalMutation, internalQuery, siteMutation, siteQuery } from "./lib/functions";
import * as Job from "./model/contentImport";
import * as Plan from "./model/contentImportPlan";
import { importStep as writeStep } from "./model/contentImportWrite";
import { vContentImportStatus, vImportPlan, vImportReportEntry, vImportSource } from "./validators";

// Content import from Ghost, WordPress, Substack and Medium (issue #17, ADR 015), for the studio
// (permission site.import: owners). Thin wrappers over model/contentImport.ts (the job row) and
// model/contentImportWrite.ts (the write steps); the dry run is contentImportRun.ts (an action).

const vImportView = v.object({
  _id: v.id("contentImports"),
  fileName: v.string(),
  size: v.number(),
  status: vContentImportStatus,
  source: v.union(vImportSource, v.null()),
  sourceLabel: v.union(v.string(), v.null()),
  plan: v.union(vImportPlan, v.null()),
  total: v.number(),
  processed: v.number(),
  created: v.number(),
  skipped: v.number(),
  failed: v.number(),
  report: v.array(vImportReportEntry),
  reportOverflow: v.number(),
  error: v.union(v.string(), v.null()),
  memberImportIds: v.array(v.id("audienceImports")),
  createdAt: v.number(),
  startedAt: v.union(v.number(), v.null()),
  finishedAt: v.union(v.number(), v.null()),
});

/** An upload URL for an export file (Convex file storage). */
export const generateUploadUrl = siteMutation({
  permission: "site.import",
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

/**
 * Starts the dry run of an uploaded export (nothing in the site is written until confirm).
 * `sha256` (base64 or hex) proves the caller has the file's bytes.
 * @throws INVALID_ARGUMENT (field "file": unknown file, empty, too big, digest mismatch),
 *   INVALID_STATE (another import of this site is analyzing or importing)
 */
export const start = siteMutation({
  permission: "site.import",
  args: { storageId: v.id("_storage"), sha256: v.string(), fileName: v.string() },
  returns: v.id("contentImports"),
  handler: async (ctx, input) => await Job.startImport(ctx, ctx.site, ctx.viewer._id, input),
});

/** Writes what the dry run found. @throws NOT_FOUND, INVALID_STATE unless the dry run is ready */
export const confirm = siteMutation({
  permission: "site.import",
  args: { importId: v.id("contentImports") },
  returns: v.null(),
  handler: async (ctx, { importId }) => {
    await Job.confirmImport(ctx, ctx.site._id, ctx.viewer._id, importId);
    return null;
  },
});

/** Stops an import; posts already written stay (a re-run skips them). @throws NOT_FOUND, INVALID_STATE */
export const cancel = siteMutation({
  permission: "site.import",
  args: { importId: v.id("contentImports") },
  returns: v.null(),
  handler: async (ctx, { importId }) => {
    await Job.cancelImport(ctx, ctx.site._id, ctx.viewer._id, importId);
    return null;
  },
});

/** One import's plan, progress and report (null for another site's or a missing one). */
export const get = siteQuery({
  permission: "site.import",
  args: { importId: v.id("contentImports") },
  returns: v.union(vImportView, v.null()),
  handler: async (ctx, { importId }) => {
    const row = await Job.importOf(ctx, ctx.site._id, importId);
    return row ? Job.importView(row) : null;
  },
});

/** The site's latest 10 imports, newest first. */
export const recent = siteQuery({
  permission: "site.import",
  args: {},
  returns: v.array(vImportView),
  handler: async (ctx) => await Job.recentImports(ctx, ctx.site._id),
});

// --- internal: the job ---------------------------------------------------------------------------

const vJob = v.union(
  v.null(),
  v.object({ siteId: v.id("sites"), storageId: v.id("_storage"), fileName: v.string(), siteUrl: v.optional(v.string()) }),
);

/** The dry run's view of its job (null once another attempt or a cancel owns it). */
export const analyzingJob = internalQuery({
  args: { importId: v.id("contentImports"), attempt: v.number() },
  returns: vJob,
  handler: async (ctx, { importId, attempt }) => await Job.analyzingJob(ctx, importId, attempt),
});

export const resetStaging = internalMutation({
  args: { importId: v.id("contentImports"), attempt: v.number() },
  returns: v.number(),
  handler: async (ctx, { importId, attempt }) => await Job.resetStaging(ctx, importId, attempt),
});

export const stageItems = internalMutation({
  args: {
    importId: v.id("contentImports"),
    attempt: v.number(),
    items: v.array(
      v.object({
        position: v.number(),
        kind: v.union(v.literal("author"), v.literal("tag"), v.literal("category"), v.literal("image"), v.literal("memberList"), v.literal("post")),
        data: v.string(),
        storageId: v.optional(v.id("_storage")),
      }),
    ),
  },
  returns: v.boolean(),
  handler: async (ctx, { importId, attempt, items }) => await Job.stageItems(ctx, importId, attempt, items),
});

/** Files a dry run stored but could not stage (its job was canceled or re-run meanwhile). */
export const dropFiles = internalMutation({
  args: { storageIds: v.array(v.id("_storage")) },
  returns: v.null(),
  handler: async (ctx, { storageIds }) => {
    await Job.dropFiles(ctx, storageIds);
    return null;
  },
});

export const finishAnalysis = internalMutation({
  args: {
    importId: v.id("contentImports"),
    attempt: v.number(),
    source: vImportSource,
    plan: vImportPlan,
    report: v.array(vImportReportEntry),
    total: v.number(),
  },
  returns: v.boolean(),
  handler: async (ctx, { importId, attempt, ...input }) => await Job.finishAnalysis(ctx, importId, attempt, input),
});

export const fail = internalMutation({
  args: { importId: v.id("contentImports"), error: v.string(), attempt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { importId, error, attempt }) => {
    await Job.failJob(ctx, importId, error, attempt);
    return null;
  },
});

export const importStep = internalMutation({
  args: { importId: v.id("contentImports"), cursor: v.number() },
  returns: v.null(),
  handler: async (ctx, { importId, cursor }) => {
    await writeStep(ctx, importId, cursor);
    return null;
  },
});

export const watch = internalMutation({
  args: { importId: v.id("contentImports") },
  returns: v.null(),
  handler: async (ctx, { importId }) => {
    await Job.watch(ctx, importId);
    return null;
  },
});

export const cleanup = internalMutation({
  args: { importId: v.id("contentImports") },
  returns: v.null(),
  handler: async (ctx, { importId }) => {
    await Job.cleanup(ctx, importId);
    return null;
  },
});

/** What an ended job still has to delete (staged rows, capped at 1,000, and the upload): for operators and tests. */
export const leftovers = internalQuery({
  args: { importId: v.id("contentImports") },
  returns: v.object({ staged: v.number(), upload: v.boolean() }),
  handler: async (ctx, { importId }) => await Job.leftovers(ctx, importId),
});

/** What the dry run needs to know of the site to plan (batched by the caller: ≤ 200 of each). */
export const planLookup = internalQuery({
  args: {
    siteId: v.id("sites"),
    source: vImportSource,
    emails: v.array(v.string()),
    authorKeys: v.array(v.string()),
    tagSlugs: v.array(v.string()),
    categorySlugs: v.array(v.string()),
    postSlugs: v.array(v.string()),
    postKeys: v.array(v.string()),
    termKeys: v.array(v.object({ kind: v.union(v.literal("tag"), v.literal("category")), key: v.string() })),
  },
  returns: v.object({
    emails: v.array(v.string()),
    authorKeys: v.array(v.string()),
    tagSlugs: v.array(v.string()),
    categorySlugs: v.array(v.string()),
    postSlugs: v.array(v.string()),
    postKeys: v.array(v.string()),
    termKeys: v.array(v.string()),
    hasActivePlan: v.boolean(),
  }),
  handler: async (ctx, input) => await Plan.planLookup(ctx, input),
});
