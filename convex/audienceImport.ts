import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery, siteMutation, siteQuery } from "./lib/functions";
import * as Import from "./model/audienceImport";
import { runImport } from "./model/audienceImportRun";
import { vAudienceAccess, vAudienceEmailState, vAudienceImportFormat, vAudienceImportStatus, vAudienceSource } from "./validators";

// Members CSV import (Pressroom, Substack and Ghost exports, or any CSV with an email column) and
// the CSV export's pages, for the studio (permission audience.manage, editor and up; ADR 012).
// Thin wrappers over model/audienceImport.ts (database) and model/audienceImportRun.ts (the job).

const vImport = v.object({
  _id: v.id("audienceImports"),
  fileName: v.string(),
  size: v.number(),
  status: vAudienceImportStatus,
  format: v.union(vAudienceImportFormat, v.null()),
  formatLabel: v.union(v.string(), v.null()),
  total: v.number(),
  processed: v.number(),
  created: v.number(),
  updated: v.number(),
  skipped: v.number(),
  failed: v.number(),
  compedFromPaid: v.number(),
  rowErrors: v.array(v.object({ row: v.number(), message: v.string() })),
  error: v.union(v.string(), v.null()),
  createdAt: v.number(),
  finishedAt: v.union(v.number(), v.null()),
});

/** An upload URL for a members CSV (Convex file storage). */
export const generateUploadUrl = siteMutation({
  permission: "audience.manage",
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

/**
 * Starts importing an uploaded CSV in the background; `sha256` (base64 or hex) proves the caller
 * has the file's bytes. @throws INVALID_ARGUMENT (field "file": unknown file, over 20 MB, empty),
 * INVALID_STATE (an import is already running).
 */
export const start = siteMutation({
  permission: "audience.manage",
  args: {
    storageId: v.id("_storage"),
    sha256: v.string(),
    fileName: v.string(),
  },
  returns: v.id("audienceImports"),
  handler: async (ctx, input) => {
    const importId = await Import.startImport(ctx, ctx.site, ctx.viewer._id, input);
    await ctx.scheduler.runAfter(0, internal.audienceImport.run, { importId });
    return importId;
  },
});

/** One import's progress and row errors (null for another site's or a missing one). */
export const get = siteQuery({
  permission: "audience.manage",
  args: { importId: v.id("audienceImports") },
  returns: v.union(vImport, v.null()),
  handler: async (ctx, { importId }) => {
    const row = await Import.importOf(ctx, ctx.site._id, importId);
    return row ? Import.importView(row) : null;
  },
});

/** The site's latest imports, newest first. */
export const recent = siteQuery({
  permission: "audience.manage",
  args: {},
  returns: v.array(vImport),
  handler: async (ctx) => await Import.recentImports(ctx, ctx.site._id),
});

/** One page of the CSV export (oldest member first), with newsletter names. */
export const exportPage = siteQuery({
  permission: "audience.manage",
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(
    v.object({
      _id: v.id("audienceMembers"),
      email: v.string(),
      name: v.string(),
      access: vAudienceAccess,
      emailState: vAudienceEmailState,
      source: vAudienceSource,
      createdAt: v.number(),
      newsletters: v.array(v.string()),
    })
  ),
  handler: async (ctx, { paginationOpts }) =>
    await Import.exportPage(ctx, ctx.site._id, {
      ...paginationOpts,
      numItems: Math.min(paginationOpts.numItems, 500),
    }),
});

// --- internal: the job ---------------------------------------------------------------------------

export const run = internalAction({
  args: { importId: v.id("audienceImports"), fromRow: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { importId, fromRow }) => {
    await runImport(ctx, importId, fromRow);
    return null;
  },
});

const vJobFile = v.union(v.null(), v.object({ siteId: v.id("sites"), storageId: v.union(v.id("_storage"), v.null()), createdAt: v.number() }));

/** A job being imported (for a continuation), or null once it has ended. */
export const importingJob = internalQuery({
  args: { importId: v.id("audienceImports") },
  returns: vJobFile,
  handler: async (ctx, { importId }) => {
    const row = await ctx.db.get("audienceImports", importId);
    return row?.status === "importing" ? { siteId: row.siteId, storageId: row.storageId ?? null, createdAt: row.createdAt } : null;
  },
});

export const markValidating = internalMutation({
  args: { importId: v.id("audienceImports") },
  returns: vJobFile,
  handler: async (ctx, { importId }) => await Import.setStatus(ctx, importId, "validating"),
});

export const begin = internalMutation({
  args: {
    importId: v.id("audienceImports"),
    format: vAudienceImportFormat,
    total: v.number(),
    failed: v.number(),
    rowErrors: v.array(v.object({ row: v.number(), message: v.string() })),
  },
  returns: v.boolean(),
  handler: async (ctx, { importId, ...input }) => await Import.beginImport(ctx, importId, input),
});

const vImportedMember = v.object({
  email: v.string(),
  name: v.optional(v.string()),
  createdAt: v.optional(v.number()),
  access: v.union(v.literal("free"), v.literal("comped")),
  paidElsewhere: v.boolean(),
  emailState: vAudienceEmailState,
  newsletters: v.array(v.string()),
});

export const importRows = internalMutation({
  args: { importId: v.id("audienceImports"), rows: v.array(vImportedMember) },
  returns: v.boolean(),
  handler: async (ctx, { importId, rows }) => await Import.importBatch(ctx, importId, rows),
});

export const finish = internalMutation({
  args: {
    importId: v.id("audienceImports"),
    error: v.union(v.string(), v.null()),
  },
  returns: v.null(),
  handler: async (ctx, { importId, error }) => {
    await Import.finishImport(ctx, importId, error);
    return null;
  },
});
