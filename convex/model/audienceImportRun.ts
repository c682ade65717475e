import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { ActionCtx } from "../_generated/server";
import {
  CsvFileError,
  detectFormat,
  mapRow,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  MAX_ROW_ERRORS,
  parseRecords,
  RecordChunker,
  TextChunks,
  type Header,
  type ImportedMember,
} from "./audienceImportFormat";

// The import job (an internal action): reads the uploaded file twice, in 512 KiB slices, so memory
// stays bounded whatever the file size. Pass 1 checks the whole file (CSV structure, the email
// column, every row) and writes nothing if the file is unusable; pass 2 hands the good rows to
// internal mutations in batches of BATCH_ROWS (each well under Convex's 1 s CPU per mutation).

const SLICE_BYTES = 512 * 1024;
export const BATCH_ROWS = 100;

/** Every data row of the file with its row number (header = row 1), slice by slice. */
async function* rowsOf(file: Blob): AsyncGenerator<{ header: string[] | null; row: number; cells: string[] }> {
  const text = new TextChunks();
  const chunker = new RecordChunker();
  let header: string[] | null = null;
  let row = 1; // the file row number of the next record
  const emit = function* (records: string[][]) {
    for (const cells of records) {
      const at = row++;
      if (cells.length === 1 && cells[0] === "") continue; // a blank line
      if (!header) {
        header = cells;
        yield { header, row: at, cells };
        continue;
      }
      yield { header, row: at, cells };
    }
  };
  for (let offset = 0; offset < file.size; offset += SLICE_BYTES) {
    const bytes = new Uint8Array(await file.slice(offset, offset + SLICE_BYTES).arrayBuffer());
    const records = parseRecords(chunker.push(text.decode(bytes, offset + SLICE_BYTES >= file.size)), row);
    yield* emit(records);
  }
  yield* emit(parseRecords(chunker.end(), row));
}

type Validated = {
  header: Header;
  total: number;
  failed: number;
  rowErrors: Array<{ row: number; message: string }>;
  badRows: Set<number>;
};

/** Pass 1: the whole file checked, nothing written. @throws CsvFileError when it cannot be imported. */
async function validate(file: Blob, now: number): Promise<Validated> {
  let header: Header | null = null;
  let total = 0;
  const rowErrors: Validated["rowErrors"] = [];
  const badRows = new Set<number>();
  const firstRowOf = new Map<string, number>();
  const bad = (row: number, message: string) => {
    badRows.add(row);
    if (rowErrors.length < MAX_ROW_ERRORS) rowErrors.push({ row, message });
  };
  for await (const { row, cells } of rowsOf(file)) {
    if (!header) {
      const detected = detectFormat(cells);
      if ("error" in detected) throw new CsvFileError(detected.error);
      header = detected;
      continue;
    }
    if (cells.length !== header.width) {
      throw new CsvFileError(`The file is not valid CSV: row ${row} has ${cells.length} columns, the header has ${header.width}.`);
    }
    if (++total > MAX_IMPORT_ROWS) throw new CsvFileError(`The file has over ${MAX_IMPORT_ROWS.toLocaleString("en-US")} rows. Split it into smaller files.`);
    const mapped = mapRow(header, cells, now);
    if (!mapped.ok) {
      bad(row, mapped.message);
      continue;
    }
    const first = firstRowOf.get(mapped.member.email);
    if (first !== undefined) bad(row, `${mapped.member.email} is already on row ${first}; only the first is imported.`);
    else firstRowOf.set(mapped.member.email, row);
  }
  if (!header) throw new CsvFileError("The file is empty.");
  return { header, total, failed: badRows.size, rowErrors, badRows };
}

/** An action hands the rest of the job to a fresh one after this long (Convex stops actions at 10 min). */
export const ACTION_BUDGET_MS = 4 * 60_000;

/**
 * Runs the import job: validation, then the good rows in batches. After ACTION_BUDGET_MS it
 * schedules itself to go on from the next row (`fromRow`; the file is validated again, which
 * writes nothing, to know its bad rows). At the end (done or failed) the uploaded file is deleted.
 */
export async function runImport(ctx: ActionCtx, importId: Id<"audienceImports">, fromRow?: number): Promise<void> {
  const started = Date.now();
  const job =
    fromRow === undefined ? await ctx.runMutation(internal.audienceImport.markValidating, { importId }) : await ctx.runQuery(internal.audienceImport.importingJob, { importId });
  if (!job) return;
  const file = job.storageId ? await ctx.storage.get(job.storageId) : null;
  if (!file) {
    await ctx.runMutation(internal.audienceImport.finish, { importId, error: "The uploaded file is gone. Upload it again." });
    return;
  }
  let error: string | null = null;
  try {
    if (file.size > MAX_IMPORT_BYTES) throw new CsvFileError(`The file is over ${MAX_IMPORT_BYTES / 2 ** 20} MB.`);
    // The job's start time decides whether a Substack subscription has expired, in every continuation alike.
    const now = job.createdAt;
    const checked = await validate(file, now);
    if (fromRow === undefined) {
      const go = await ctx.runMutation(internal.audienceImport.begin, {
        importId,
        format: checked.header.format,
        total: checked.total,
        failed: checked.failed,
        rowErrors: checked.rowErrors,
      });
      if (!go) return;
    }
    let batch: ImportedMember[] = [];
    const flush = async () => {
      if (!batch.length) return true;
      const ok = await ctx.runMutation(internal.audienceImport.importRows, { importId, rows: batch });
      batch = [];
      return ok;
    };
    let header: Header | null = null;
    for await (const { row, cells } of rowsOf(file)) {
      if (!header) {
        header = checked.header;
        continue;
      }
      if (row < (fromRow ?? 0) || checked.badRows.has(row)) continue;
      const mapped = mapRow(header, cells, now);
      if (mapped.ok) batch.push(mapped.member);
      if (batch.length >= BATCH_ROWS) {
        if (!(await flush())) return;
        if (Date.now() - started > ACTION_BUDGET_MS) {
          await ctx.scheduler.runAfter(0, internal.audienceImport.run, { importId, fromRow: row + 1 });
          return;
        }
      }
    }
    await flush();
  } catch (e) {
    if (!(e instanceof CsvFileError)) {
      console.error("audience import failed", e);
      error = "The import failed unexpectedly. Nothing more was imported; try again.";
    } else error = e.message;
  }
  await ctx.runMutation(internal.audienceImport.finish, { importId, error });
}
