import type { PaginationOptions } from "convex/server";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { inWaves } from "../lib/inWaves";
import { appError } from "../lib/errors";
import { constantTimeEqual } from "../lib/memberTokens";
import { activateMember, memberByEmail, subscribeTo, subscriptionsOf } from "./audience";
import { FORMAT_LABELS, MAX_IMPORT_BYTES, MAX_ROW_ERRORS, type ImportedMember, type ImportFormat } from "./audienceImportFormat";
import { ensureDefaultNewsletter, listNewsletters } from "./newsletters";

// Members CSV imports and exports, the database side (issue #15, ADR 012): an import job row with
// progress and row errors, rows written in batches through the audience model (activateMember),
// idempotent by (site, address), and the export's pages. Reading the file is audienceImportRun.ts.

export type ImportView = ReturnType<typeof importView>;

export function importView(row: Doc<"audienceImports">) {
  return {
    _id: row._id,
    fileName: row.fileName,
    size: row.size,
    status: row.status,
    format: row.format ?? null,
    formatLabel: row.format ? FORMAT_LABELS[row.format] : null,
    total: row.total,
    processed: row.processed,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    failed: row.failed,
    compedFromPaid: row.compedFromPaid,
    rowErrors: row.rowErrors,
    error: row.error ?? null,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt ?? null,
  };
}

/** An import of this site, or null (another site's is as good as missing). */
export async function importOf(ctx: QueryCtx, siteId: Id<"sites">, importId: Id<"audienceImports">) {
  const row = await ctx.db.get("audienceImports", importId);
  return row && row.siteId === siteId ? row : null;
}

/** The site's latest imports, newest first. */
export async function recentImports(ctx: QueryCtx, siteId: Id<"sites">, limit = 10) {
  const rows = await ctx.db
    .query("audienceImports")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", siteId))
    .order("desc")
    .take(limit);
  return rows.map(importView);
}

/** A job older than this no longer blocks a new import (its action died: a restart, a crash). */
export const STALE_IMPORT_MS = 60 * 60_000;
const running = (r: Doc<"audienceImports">, now: number) => (r.status === "queued" || r.status === "validating" || r.status === "importing") && r.createdAt > now - STALE_IMPORT_MS;

/**
 * Starts an import of an uploaded file. The caller proves it has the file, not just its id:
 * `sha256` (base64 or hex of the bytes) must match what storage computed, so a storage id seen
 * elsewhere (another site's upload) cannot be imported. A file over MAX_IMPORT_BYTES is deleted and
 * its import recorded as failed (a throw would roll the deletion back). One import runs per site at
 * a time. @throws INVALID_ARGUMENT (field "file": unknown or empty file), INVALID_STATE.
 */
export async function startImport(
  ctx: MutationCtx,
  site: Doc<"sites">,
  actorId: Id<"users">,
  input: { storageId: Id<"_storage">; sha256: string; fileName: string }
): Promise<Id<"audienceImports">> {
  const file = await ctx.db.system.get("_storage", input.storageId);
  if (!file || !(await sameDigest(file.sha256, input.sha256)))
    throw appError("INVALID_ARGUMENT", {
      field: "file",
      message: "Upload the file again.",
    });
  if (file.size === 0)
    throw appError("INVALID_ARGUMENT", {
      field: "file",
      message: "The file is empty.",
    });
  return await createImportOfStoredFile(ctx, site, actorId, input);
}

/**
 * The import job of a file already in storage, without the caller's proof of its bytes: for files
 * the server stored itself (a members list found in a content import's upload, issue #17).
 * @throws INVALID_STATE (an import is already running)
 */
export async function createImportOfStoredFile(
  ctx: MutationCtx,
  site: Doc<"sites">,
  actorId: Id<"users">,
  input: { storageId: Id<"_storage">; fileName: string }
): Promise<Id<"audienceImports">> {
  const file = await ctx.db.system.get("_storage", input.storageId);
  if (!file) throw appError("INVALID_ARGUMENT", { field: "file", message: "Upload the file again." });
  const tooBig = file.size > MAX_IMPORT_BYTES;
  const latest = await ctx.db
    .query("audienceImports")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", site._id))
    .order("desc")
    .take(5);
  if (!tooBig && latest.some((r) => running(r, Date.now())))
    throw appError("INVALID_STATE", {
      field: "file",
      message: "An import is still running. Wait for it to finish.",
    });
  if (tooBig) await ctx.storage.delete(input.storageId);
  const now = Date.now();
  const importId = await ctx.db.insert("audienceImports", {
    siteId: site._id,
    createdBy: actorId,
    storageId: tooBig ? undefined : input.storageId,
    fileName: input.fileName.trim().slice(0, 200) || "members.csv",
    size: file.size,
    status: tooBig ? "failed" : "queued",
    error: tooBig ? `The file is over ${MAX_IMPORT_BYTES / 2 ** 20} MB. Split it into smaller files.` : undefined,
    finishedAt: tooBig ? now : undefined,
    total: 0,
    processed: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: 0,
    compedFromPaid: 0,
    rowErrors: [],
    createdAt: now,
  });
  await audit(ctx, {
    siteId: site._id,
    actorId,
    action: "audience.import",
    entityType: "audienceImport",
    entityId: importId,
    before: null,
    after: { size: file.size },
  });
  return importId;
}

/** Compares a client's SHA-256 (base64 or hex) with storage's (base64), in constant time. */
export async function sameDigest(stored: string, given: string): Promise<boolean> {
  const hex = /^[0-9a-f]{64}$/i.test(given) ? given.toLowerCase() : null;
  const bytes = hex ? hex.match(/../g)!.map((h) => parseInt(h, 16)) : null;
  const asBase64 = bytes ? btoa(String.fromCharCode(...bytes)) : given.trim();
  return constantTimeEqual(asBase64, stored);
}

/** Validation finished: the format, the row count and the bad rows (first MAX_ROW_ERRORS). */
export async function beginImport(
  ctx: MutationCtx,
  importId: Id<"audienceImports">,
  input: {
    format: ImportFormat;
    total: number;
    failed: number;
    rowErrors: Array<{ row: number; message: string }>;
  }
) {
  const row = await ctx.db.get("audienceImports", importId);
  if (!row || row.status === "done" || row.status === "failed") return false;
  await ctx.db.patch("audienceImports", importId, {
    status: "importing",
    format: input.format,
    total: input.total,
    failed: input.failed,
    processed: input.failed,
    rowErrors: input.rowErrors.slice(0, MAX_ROW_ERRORS),
  });
  return true;
}

export async function setStatus(ctx: MutationCtx, importId: Id<"audienceImports">, status: "validating") {
  const row = await ctx.db.get("audienceImports", importId);
  // Only a queued job starts: a second run of the same job does nothing.
  if (row?.status !== "queued") return null;
  await ctx.db.patch("audienceImports", importId, { status });
  return { siteId: row.siteId, storageId: row.storageId ?? null, createdAt: row.createdAt };
}

/** Ends the import (done, or failed with a message for the whole file) and deletes the uploaded file. */
export async function finishImport(ctx: MutationCtx, importId: Id<"audienceImports">, error: string | null) {
  const row = await ctx.db.get("audienceImports", importId);
  if (!row) return;
  if (row.storageId && (await ctx.db.system.get("_storage", row.storageId))) await ctx.storage.delete(row.storageId);
  await ctx.db.patch("audienceImports", importId, {
    status: error === null ? "done" : "failed",
    error: error ?? undefined,
    storageId: undefined,
    finishedAt: Date.now(),
  });
}

type Outcome = "created" | "updated" | "skipped";

/**
 * Writes one member. A new address becomes a member through activateMember (source "import",
 * the default newsletters, plus named ones that exist here), with the file's state and date. An
 * existing member only gains what the file adds: a missing name, comped instead of free, an
 * opt-out (subscribed → the file's unsubscribed/bounced/complained). Nothing is loosened, so a
 * second import of the same file changes nothing.
 */
async function importOne(ctx: MutationCtx, site: Doc<"sites">, m: ImportedMember, named: Map<string, Id<"newsletters">>): Promise<Outcome> {
  const existing = await memberByEmail(ctx, site._id, m.email);
  const now = Date.now();
  if (!existing) {
    const member = await activateMember(ctx, site, {
      email: m.email,
      name: m.name,
      source: "import",
      confirmed: false,
      access: m.access,
    });
    for (const n of m.newsletters) {
      const id = named.get(n.toLowerCase());
      if (id) await subscribeTo(ctx, member, id);
    }
    const patch: Partial<Doc<"audienceMembers">> = {};
    if (m.emailState !== "subscribed") patch.emailState = m.emailState;
    if (m.createdAt !== undefined && m.createdAt < member.createdAt) patch.createdAt = m.createdAt;
    if (Object.keys(patch).length) await ctx.db.patch("audienceMembers", member._id, patch);
    return "created";
  }
  const patch: Partial<Doc<"audienceMembers">> = {};
  if (m.name && !existing.name) Object.assign(patch, { name: m.name, nameKey: m.name.toLowerCase() });
  if (m.access === "comped" && existing.access === "free") patch.access = "comped";
  if (m.emailState !== "subscribed" && existing.emailState === "subscribed") patch.emailState = m.emailState;
  if (!Object.keys(patch).length) return "skipped";
  await ctx.db.patch("audienceMembers", existing._id, {
    ...patch,
    updatedAt: now,
  });
  return "updated";
}

/** One batch of good rows: written, and the job's counters moved on. False when the job is gone. */
export async function importBatch(ctx: MutationCtx, importId: Id<"audienceImports">, rows: ImportedMember[]): Promise<boolean> {
  const job = await ctx.db.get("audienceImports", importId);
  if (!job || job.status !== "importing") return false;
  const site = await ctx.db.get("sites", job.siteId);
  if (!site) return false;
  const named = new Map<string, Id<"newsletters">>();
  if (rows.some((r) => r.newsletters.length)) {
    for (const n of await listNewsletters(ctx, site._id)) if (!n.archived) named.set(n.name.toLowerCase(), n._id);
  }
  const counts = { created: 0, updated: 0, skipped: 0 };
  let compedFromPaid = 0;
  const one = async (r: ImportedMember) => {
    const outcome = await importOne(ctx, site, r, named);
    counts[outcome]++;
    if (outcome === "created" && r.paidElsewhere) compedFromPaid++;
  };
  // The rows run 25 at a time (inWaves): a few round trips a wave, not ten a row. They touch
  // different members; the default newsletter (which a first member would create) is made before,
  // and a repeated address (the job never sends one) waits for the first to be written.
  await ensureDefaultNewsletter(ctx, site);
  const seen = new Set<string>();
  const first: ImportedMember[] = [];
  const repeated: ImportedMember[] = [];
  for (const r of rows) {
    if (seen.has(r.email)) repeated.push(r);
    else {
      seen.add(r.email);
      first.push(r);
    }
  }
  await inWaves(first, one);
  for (const r of repeated) await one(r);
  await ctx.db.patch("audienceImports", importId, {
    processed: job.processed + rows.length,
    created: job.created + counts.created,
    updated: job.updated + counts.updated,
    skipped: job.skipped + counts.skipped,
    compedFromPaid: job.compedFromPaid + compedFromPaid,
  });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Export

export interface ExportRow {
  _id: Id<"audienceMembers">;
  email: string;
  name: string;
  access: Doc<"audienceMembers">["access"];
  emailState: Doc<"audienceMembers">["emailState"];
  source: Doc<"audienceMembers">["source"];
  createdAt: number;
  newsletters: string[];
}

/** One page of the site's members for the CSV export, oldest first, with their newsletters' names. */
export async function exportPage(ctx: QueryCtx, siteId: Id<"sites">, paginationOpts: PaginationOptions) {
  const names = new Map((await listNewsletters(ctx, siteId)).map((n) => [n._id, n.name]));
  const result = await ctx.db
    .query("audienceMembers")
    .withIndex("by_siteId_and_createdAt", (q) => q.eq("siteId", siteId))
    .order("asc")
    .paginate(paginationOpts);
  const page: ExportRow[] = [];
  for (const m of result.page) {
    const newsletters = (await subscriptionsOf(ctx, m)).map((r) => names.get(r.newsletterId)).filter((n): n is string => Boolean(n));
    page.push({ _id: m._id, email: m.email, name: m.name ?? "", access: m.access, emailState: m.emailState, source: m.source, createdAt: m.createdAt, newsletters });
  }
  return { ...result, page };
}
