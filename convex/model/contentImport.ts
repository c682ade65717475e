import type { Infer } from "convex/values";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { appError } from "../lib/errors";
import { MAX_IMPORT_FILE_BYTES, MAX_REPORT_ENTRIES, SOURCE_LABELS, type ImportSource } from "../migrate/types";
import type { vImportPlan, vImportReportEntry } from "../validators";
import { sameDigest } from "./audienceImport";

// Content imports (issue #17, ADR 015), the job row: start (the dry run is scheduled), staging of
// the dry run's items, confirm, cancel, the watchdog, and the view. The dry run itself is
// contentImportRun.ts (an action); writing the staged items is contentImportWrite.ts.

export type ImportPlan = Infer<typeof vImportPlan>;
export type ImportReportEntry = Infer<typeof vImportReportEntry>;
export type StagedKind = Doc<"contentImportItems">["kind"];

/** The watchdog's period while a job has work, and how long a step may stay silent. */
export const WATCHDOG_MS = 10_000;
export const SILENT_MS = 60_000;
/** Re-runs of one step (the dry run, or the batch at one cursor) before the watchdog gives up on it. */
export const MAX_ATTEMPTS = 5;
/** Staged rows deleted per mutation when a job ends. */
const PURGE_BATCH = 100;

export function importView(row: Doc<"contentImports">) {
  return {
    _id: row._id,
    fileName: row.fileName,
    size: row.size,
    status: row.status,
    source: row.source ?? null,
    sourceLabel: row.source ? SOURCE_LABELS[row.source] : null,
    plan: row.plan ?? null,
    total: row.total,
    processed: row.processed,
    created: row.created,
    skipped: row.skipped,
    failed: row.failed,
    report: row.report,
    reportOverflow: row.reportOverflow,
    error: row.error ?? null,
    memberImportIds: row.memberImportIds ?? [],
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? null,
    finishedAt: row.finishedAt ?? null,
  };
}
export type ImportView = ReturnType<typeof importView>;

/** An import of this site, or null (another site's is as good as missing). */
export async function importOf(ctx: QueryCtx, siteId: Id<"sites">, importId: Id<"contentImports">) {
  const row = await ctx.db.get("contentImports", importId);
  return row && row.siteId === siteId ? row : null;
}

/** The site's latest imports, newest first. */
export async function recentImports(ctx: QueryCtx, siteId: Id<"sites">, limit = 10): Promise<ImportView[]> {
  const rows = await ctx.db
    .query("contentImports")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", siteId))
    .order("desc")
    .take(limit);
  return rows.map(importView);
}

const isRunning = (r: Doc<"contentImports">) => r.status === "analyzing" || r.status === "importing";

/** Appends report entries, keeping the first MAX_REPORT_ENTRIES and counting the rest. */
export function withReport(row: Pick<Doc<"contentImports">, "report" | "reportOverflow">, entries: ImportReportEntry[]) {
  const room = Math.max(0, MAX_REPORT_ENTRIES - row.report.length);
  return { report: [...row.report, ...entries.slice(0, room)], reportOverflow: row.reportOverflow + Math.max(0, entries.length - room) };
}

/**
 * Starts the dry run of an uploaded export. The caller proves it has the file (`sha256`, as the
 * members import does), so a storage id seen elsewhere cannot be imported. One running import per
 * site. @throws INVALID_ARGUMENT (field "file"), INVALID_STATE
 */
export async function startImport(
  ctx: MutationCtx,
  site: Doc<"sites">,
  actorId: Id<"users">,
  input: { storageId: Id<"_storage">; sha256: string; fileName: string },
): Promise<Id<"contentImports">> {
  const file = await ctx.db.system.get("_storage", input.storageId);
  if (!file || !(await sameDigest(file.sha256, input.sha256))) throw appError("INVALID_ARGUMENT", { field: "file", message: "Upload the file again." });
  if (file.size === 0) throw appError("INVALID_ARGUMENT", { field: "file", message: "The file is empty." });
  if (file.size > MAX_IMPORT_FILE_BYTES)
    throw appError("INVALID_ARGUMENT", { field: "file", message: `The file is over ${MAX_IMPORT_FILE_BYTES / 2 ** 20} MB. Export without images, or split it.` });
  const latest = await ctx.db
    .query("contentImports")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", site._id))
    .order("desc")
    .take(10);
  if (latest.some(isRunning)) throw appError("INVALID_STATE", { field: "file", message: "An import is still running. Wait for it to finish, or cancel it." });
  const now = Date.now();
  const importId = await ctx.db.insert("contentImports", {
    siteId: site._id,
    createdBy: actorId,
    storageId: input.storageId,
    fileName: input.fileName.trim().slice(0, 200) || "export",
    size: file.size,
    status: "analyzing",
    total: 0,
    processed: 0,
    created: 0,
    skipped: 0,
    failed: 0,
    cursor: 0,
    report: [],
    reportOverflow: 0,
    attempts: 0,
    heartbeatAt: now,
    createdAt: now,
  });
  await scheduleAnalysis(ctx, importId, 0);
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.contentImport.watch, { importId });
  await audit(ctx, { siteId: site._id, actorId, action: "content.import.start", entityType: "contentImport", entityId: importId, after: { fileName: input.fileName, size: file.size } });
  return importId;
}

async function scheduleAnalysis(ctx: MutationCtx, importId: Id<"contentImports">, attempt: number) {
  const stepJob = await ctx.scheduler.runAfter(0, internal.contentImportRun.analyze, { importId, attempt });
  await ctx.db.patch("contentImports", importId, { stepJob, attempts: attempt, heartbeatAt: Date.now() });
}

/** The job as the dry run sees it, if this attempt still owns it (a newer attempt or a cancel stops it). */
export async function analyzingJob(ctx: QueryCtx, importId: Id<"contentImports">, attempt: number) {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || row.status !== "analyzing" || (row.attempts ?? 0) !== attempt) return null;
  const site = await ctx.db.get("sites", row.siteId);
  if (!site || !row.storageId) return null;
  return { siteId: row.siteId, storageId: row.storageId, fileName: row.fileName, siteUrl: site.customDomain ? `https://${site.customDomain}` : undefined };
}

/** A staged row as the dry run hands it over. */
export interface StagedInput {
  position: number;
  kind: StagedKind;
  data: string;
  storageId?: Id<"_storage">;
}

/**
 * Stores one batch of the dry run's items (and beats the heart). False when this attempt no
 * longer owns the job: the action stops, and the files it passed are deleted here (never staged).
 */
export async function stageItems(ctx: MutationCtx, importId: Id<"contentImports">, attempt: number, items: StagedInput[]): Promise<boolean> {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || row.status !== "analyzing" || (row.attempts ?? 0) !== attempt) {
    for (const i of items) if (i.storageId) await deleteStoredFile(ctx, i.storageId);
    return false;
  }
  for (const i of items) await ctx.db.insert("contentImportItems", { siteId: row.siteId, importId, ...i, state: "pending" });
  await ctx.db.patch("contentImports", importId, { heartbeatAt: Date.now() });
  return true;
}

/** Files passed by a dry run that lost its job (canceled, re-run): deleted, never staged. */
export async function dropFiles(ctx: MutationCtx, storageIds: Id<"_storage">[]) {
  for (const id of storageIds) await deleteStoredFile(ctx, id);
}

/**
 * Deletes up to PURGE_BATCH staged rows of a job, with the files of those never written (pending:
 * an image or members list the import did not use). Returns how many rows were deleted.
 */
export async function purgeStaged(ctx: MutationCtx, row: Pick<Doc<"contentImports">, "_id" | "siteId">): Promise<number> {
  const items = await ctx.db
    .query("contentImportItems")
    .withIndex("by_siteId_and_importId_and_position", (q) => q.eq("siteId", row.siteId).eq("importId", row._id))
    .take(PURGE_BATCH);
  for (const i of items) {
    if (i.storageId && i.state !== "done") await deleteStoredFile(ctx, i.storageId);
    await ctx.db.delete("contentImportItems", i._id);
  }
  return items.length;
}

async function deleteStoredFile(ctx: MutationCtx, storageId: Id<"_storage">) {
  if (await ctx.db.system.get("_storage", storageId)) await ctx.storage.delete(storageId);
}

/** The dry run starts again from scratch: its staged rows are cleared first (in batches). */
export async function resetStaging(ctx: MutationCtx, importId: Id<"contentImports">, attempt: number): Promise<number> {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || row.status !== "analyzing" || (row.attempts ?? 0) !== attempt) return -1;
  await ctx.db.patch("contentImports", importId, { heartbeatAt: Date.now() });
  return await purgeStaged(ctx, row);
}

/** The dry run is over: its plan, report and totals; the job waits for confirm. */
export async function finishAnalysis(
  ctx: MutationCtx,
  importId: Id<"contentImports">,
  attempt: number,
  input: { source: ImportSource; plan: ImportPlan; report: ImportReportEntry[]; total: number },
): Promise<boolean> {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || row.status !== "analyzing" || (row.attempts ?? 0) !== attempt) return false;
  await ctx.db.patch("contentImports", importId, {
    status: "ready",
    source: input.source,
    plan: input.plan,
    total: input.total,
    ...withReport({ report: [], reportOverflow: 0 }, input.report),
    stepJob: undefined,
    attempts: 0,
    heartbeatAt: Date.now(),
  });
  return true;
}

/**
 * Ends a job that cannot go on: failed with a message shown as is. Nothing of the site was
 * written by a dry run; staged rows and the upload are deleted after this transaction.
 */
export async function failJob(ctx: MutationCtx, importId: Id<"contentImports">, error: string, attempt?: number): Promise<void> {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || !(row.status === "analyzing" || row.status === "importing")) return;
  if (attempt !== undefined && (row.attempts ?? 0) !== attempt) return;
  await endJob(ctx, row, "failed", error);
}

async function endJob(ctx: MutationCtx, row: Doc<"contentImports">, status: "done" | "failed" | "canceled", error?: string) {
  await ctx.db.patch("contentImports", row._id, { status, error, stepJob: undefined, finishedAt: Date.now() });
  await ctx.scheduler.runAfter(0, internal.contentImport.cleanup, { importId: row._id });
  await audit(ctx, { siteId: row.siteId, actorId: undefined, action: `content.import.${status}`, entityType: "contentImport", entityId: row._id, after: { created: row.created, skipped: row.skipped, failed: row.failed, error: error ?? null } });
}

/** The import ends done: counters as they are; the staging and upload go. */
export async function finishImport(ctx: MutationCtx, row: Doc<"contentImports">) {
  await endJob(ctx, row, "done");
}

/** After the end: staged rows (batched, re-scheduling itself) and then the upload are deleted. */
export async function cleanup(ctx: MutationCtx, importId: Id<"contentImports">) {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || isRunning(row) || row.status === "ready") return;
  const deleted = await purgeStaged(ctx, row);
  if (deleted === PURGE_BATCH) {
    await ctx.scheduler.runAfter(0, internal.contentImport.cleanup, { importId });
    return;
  }
  if (row.storageId) {
    await deleteStoredFile(ctx, row.storageId);
    await ctx.db.patch("contentImports", importId, { storageId: undefined });
  }
}

/** Staged rows (up to 1,000) and whether the upload is still stored. */
export async function leftovers(ctx: QueryCtx, importId: Id<"contentImports">) {
  const row = await ctx.db.get("contentImports", importId);
  if (!row) return { staged: 0, upload: false };
  const staged = await ctx.db
    .query("contentImportItems")
    .withIndex("by_siteId_and_importId_and_position", (q) => q.eq("siteId", row.siteId).eq("importId", importId))
    .take(1000);
  return { staged: staged.length, upload: row.storageId !== undefined };
}

/** ready → importing: the first step is scheduled. @throws NOT_FOUND, INVALID_STATE */
export async function confirmImport(ctx: MutationCtx, siteId: Id<"sites">, actorId: Id<"users">, importId: Id<"contentImports">) {
  const row = await importOf(ctx, siteId, importId);
  if (!row) throw appError("NOT_FOUND");
  if (row.status !== "ready") throw appError("INVALID_STATE", { message: "Only an import whose dry run is ready can be started." });
  const now = Date.now();
  await ctx.db.patch("contentImports", importId, { status: "importing", startedAt: now, cursor: 0, attempts: 0, heartbeatAt: now });
  await scheduleStep(ctx, importId, 0);
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.contentImport.watch, { importId });
  await audit(ctx, { siteId, actorId, action: "content.import.confirm", entityType: "contentImport", entityId: importId, after: { total: row.total } });
}

/** Schedules the write step at `cursor` (the step checks the job still stands there). */
export async function scheduleStep(ctx: MutationCtx, importId: Id<"contentImports">, cursor: number) {
  const stepJob = await ctx.scheduler.runAfter(0, internal.contentImport.importStep, { importId, cursor });
  await ctx.db.patch("contentImports", importId, { stepJob, heartbeatAt: Date.now() });
}

/** analyzing/ready/importing → canceled; the running step stops at its next batch. @throws NOT_FOUND, INVALID_STATE */
export async function cancelImport(ctx: MutationCtx, siteId: Id<"sites">, actorId: Id<"users">, importId: Id<"contentImports">) {
  const row = await importOf(ctx, siteId, importId);
  if (!row) throw appError("NOT_FOUND");
  if (!(isRunning(row) || row.status === "ready")) throw appError("INVALID_STATE", { message: "This import has already ended." });
  if (row.stepJob) {
    const job = await ctx.db.system.get("_scheduled_functions", row.stepJob);
    if (job?.state.kind === "pending") await ctx.scheduler.cancel(row.stepJob);
  }
  await endJob(ctx, row, "canceled");
  await audit(ctx, { siteId, actorId, action: "content.import.cancel", entityType: "contentImport", entityId: importId, before: { status: row.status } });
}

/**
 * The watchdog, every WATCHDOG_MS while a job has work. A step whose scheduled job failed or is
 * gone, or that went silent for SILENT_MS (a backend restart kills a running action and Convex
 * does not retry actions), runs again: the dry run from scratch (it clears its staging first),
 * the import from its stored cursor (writes are idempotent by cursor). After MAX_ATTEMPTS the dry
 * run fails; an import step that keeps failing at one cursor has that item marked failed instead.
 */
export async function watch(ctx: MutationCtx, importId: Id<"contentImports">) {
  const row = await ctx.db.get("contentImports", importId);
  if (!row || !isRunning(row)) return;
  const job = row.stepJob ? await ctx.db.system.get("_scheduled_functions", row.stepJob) : null;
  const state = job?.state.kind;
  const dead = !job || state === "failed" || state === "canceled" || (state === "success" && row.status === "analyzing");
  const silent = (row.heartbeatAt ?? row.createdAt) < Date.now() - SILENT_MS;
  if (dead || silent) {
    const attempt = (row.attempts ?? 0) + 1;
    if (row.status === "analyzing") {
      if (attempt >= MAX_ATTEMPTS) {
        await endJob(ctx, row, "failed", "The file could not be analyzed. Try again, or contact support if it keeps failing.");
        return;
      }
      await scheduleAnalysis(ctx, importId, attempt);
    } else if (attempt >= MAX_ATTEMPTS) {
      await skipStuckItem(ctx, row);
    } else {
      await ctx.db.patch("contentImports", importId, { attempts: attempt });
      await scheduleStep(ctx, importId, row.cursor);
    }
  }
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.contentImport.watch, { importId });
}

/** The staged item at the cursor keeps failing to write: reported as failed, and the import goes on. */
async function skipStuckItem(ctx: MutationCtx, row: Doc<"contentImports">) {
  const item = await ctx.db
    .query("contentImportItems")
    .withIndex("by_siteId_and_importId_and_position", (q) => q.eq("siteId", row.siteId).eq("importId", row._id).gte("position", row.cursor))
    .first();
  if (!item) {
    await finishImport(ctx, row);
    return;
  }
  await ctx.db.patch("contentImportItems", item._id, { state: "failed" });
  const post = item.kind === "post";
  const parsed = JSON.parse(item.data) as { position?: number; title?: string; name?: string };
  await ctx.db.patch("contentImports", row._id, {
    cursor: item.position + 1,
    attempts: 0,
    failed: row.failed + (post ? 1 : 0),
    processed: row.processed + (post ? 1 : 0),
    ...withReport(row, [{ kind: "bad-item", position: post ? parsed.position : undefined, item: (parsed.title ?? parsed.name)?.slice(0, 200), message: `This ${item.kind} could not be written and was skipped.` }]),
  });
  await scheduleStep(ctx, row._id, item.position + 1);
}
