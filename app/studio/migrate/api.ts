// The import job's API as the Import & export page uses it (contentImport.*, issue #17 contract),
// and the shapes it shows. Isomorphic: the route's loader/action and the browser both use it.
import type { FunctionReturnType } from "convex/server";
import type { Infer } from "convex/values";
import type { api } from "../../../convex/_generated/api";
import type { vContentImportStatus, vImportPlan, vImportReportEntry } from "../../../convex/validators";

export type ImportStatus = Infer<typeof vContentImportStatus>;
export type ImportPlan = Infer<typeof vImportPlan>;
export type ImportReportEntry = Infer<typeof vImportReportEntry>;

/** What contentImport.get / recent return (the contract's ImportView). */
export type ImportView = NonNullable<FunctionReturnType<typeof api.contentImport.get>>;

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
