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
// internal mutations in batches of BATCH_ROWS (each well under Convex's 1 s per mutation).

const SLICE_BYTES = 512 * 1024;
export const BATCH_ROWS = 200;

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

/** Runs the import job to its end (done or failed); the uploaded file is deleted either way. */
export async function runImport(ctx: ActionCtx, importId: Id<"audienceImports">): Promise<void> {
  const job = await ctx.runMutation(internal.audienceImport.markValidating, {
    importId,
  });
  if (!job) return;
  const file = job.storageId ? await ctx.storage.get(job.storageId) : null;
  if (!file) {
    await ctx.runMutation(internal.audienceImport.finish, {
      importId,
      error: "The uploaded file is gone. Upload it again.",
    });
    return;
  }
  let error: string | null = null;
  try {
    if (file.size > MAX_IMPORT_BYTES) throw new CsvFileError(`The file is over ${MAX_IMPORT_BYTES / 2 ** 20} MB.`);
    const now = Date.now();
    const checked = await validate(file, now);
    const go = await ctx.runMutation(internal.audienceImport.begin, {
      importId,
      format: checked.header.format,
      total: checked.total,
      failed: checked.failed,
      rowErrors: checked.rowErrors,
    });
    if (!go) return;
    let batch: ImportedMember[] = [];
    const flush = async () => {
      if (!batch.length) return true;
      const ok = await ctx.runMutation(internal.audienceImport.importRows, {
        importId,
        rows: batch,
      });
      batch = [];
      return ok;
    };
    let header: Header | null = null;
    for await (const { row, cells } of rowsOf(file)) {
      if (!header) {
        header = checked.header;
        continue;
      }
      if (checked.badRows.has(row)) continue;
      const mapped = mapRow(header, cells, now);
      if (mapped.ok) batch.push(mapped.member);
      if (batch.length >= BATCH_ROWS && !(await flush())) return;
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
