// The import job's API as the Import & export page uses it (contentImport.*, issue #17 contract),
// and the shapes it shows. Isomorphic: the route's loader/action and the browser both use it.
import { makeFunctionReference } from "convex/server";
import type { Infer } from "convex/values";
import type { Id } from "../../../convex/_generated/dataModel";
import type { ImportSource } from "../../../convex/migrate/types";
import type { vContentImportStatus, vImportPlan, vImportReportEntry } from "../../../convex/validators";

export type ImportStatus = Infer<typeof vContentImportStatus>;
export type ImportPlan = Infer<typeof vImportPlan>;
export type ImportReportEntry = Infer<typeof vImportReportEntry>;

/** What contentImport.get / recent return (the contract's ImportView). */
export interface ImportView {
  _id: Id<"contentImports">;
  fileName: string;
  size: number;
  status: ImportStatus;
  source: ImportSource | null;
  sourceLabel: string | null;
  plan: ImportPlan | null;
  total: number;
  processed: number;
  created: number;
  skipped: number;
  failed: number;
  report: ImportReportEntry[];
  reportOverflow: number;
  error: string | null;
  memberImportIds: Id<"audienceImports">[];
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export const RUNNING: ReadonlySet<ImportStatus> = new Set(["analyzing", "importing"]);

export const STATUS_LABEL: Record<ImportStatus, string> = {
  analyzing: "Reading the file",
  ready: "Ready to import",
  importing: "Importing",
  done: "Done",
  failed: "Failed",
  canceled: "Canceled",
};

/** "1,000" */
export const n = (x: number) => x.toLocaleString("en-US");

/** "1 post", "3 posts" */
export const count = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

/** "4.2 MB" */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return count(bytes, "byte");
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** The file kinds the content import reads (by name); a .csv is a members list (Audience → Import). */
export const IMPORT_ACCEPT = ".json,.xml,.zip,application/json,application/xml,text/xml,application/zip";

export function isMembersCsv(fileName: string, type = ""): boolean {
  return /\.csv$/i.test(fileName.trim()) || type === "text/csv";
}

// Until contentImport.ts is in convex/_generated (engineer J), typed references by name.
type SiteArgs = { siteId: Id<"sites"> };
type JobArgs = SiteArgs & { importId: Id<"contentImports"> };
export const contentImport = {
  generateUploadUrl: makeFunctionReference<"mutation", SiteArgs, string>("contentImport:generateUploadUrl"),
  start: makeFunctionReference<"mutation", SiteArgs & { storageId: Id<"_storage">; sha256: string; fileName: string }, Id<"contentImports">>("contentImport:start"),
  confirm: makeFunctionReference<"mutation", JobArgs, null>("contentImport:confirm"),
  cancel: makeFunctionReference<"mutation", JobArgs, null>("contentImport:cancel"),
  get: makeFunctionReference<"query", JobArgs, ImportView | null>("contentImport:get"),
  recent: makeFunctionReference<"query", SiteArgs, ImportView[]>("contentImport:recent"),
};
