import { jsonToConvex, type Value } from "convex/values";
import { createHash } from "node:crypto";
import { pooledRandomBytes } from "../values/randomPool.js";
import { readFileSync } from "node:fs";
import { strToU8, unzipSync, zipSync } from "fflate";
import type { DocumentStore } from "../storage/interface.js";
import { decodeDocumentId, encodeDocumentId, newInternalId } from "../values/ids.js";
import { checkDocumentForWrite, identifierError } from "../values/limits.js";
import { componentPathOf, localTableName, physicalTableName, SYSTEM_TABLES, type Catalog } from "./catalog.js";
import { parseExportJson, toExportJson } from "./exportJson.js";
import { STORAGE_TABLE, type FileStorage } from "./files.js";
import type { FunctionRunner } from "./runner.js";

// Snapshot export and import in Convex's ZIP format (crates/exports, crates/application/src/
// snapshot_import): README.md, `_tables/documents.jsonl` ({"name","id"} per user table), and per
// table `<table>/documents.jsonl` (one export-JSON document per line) plus
// `<table>/generated_schema.jsonl` holding "uniform". With file storage: `_storage/documents.jsonl`
// (crates/exports export_storage.rs FileStorageZipMetadata) and each file's bytes at `_storage/<id>`.
// A component's tables (and its own `_tables`) sit under `_components/<name>/` once per segment of
// its path (crates/exports get_export_path_prefix): `a/b` is `_components/a/_components/b/`.
// `_storage` is shared by the component tree here (catalog.ts), so it is only at the root.

const README = `# Welcome to your Convex snapshot export!

This ZIP file contains a snapshot of the tables in your Convex deployment.

Documents for each table are listed as lines of JSON in
<table_name>/documents.jsonl files.

For details on the format and how to use this snapshot with npx convex import,
check out [the docs](https://docs.convex.dev/database/import-export/export) or
ask us in [Discord](http://convex.dev/community).
`;

/** An import refused before anything was written; the message is shown by the CLI. */
export class ImportError extends Error {
  override name = "ImportError";
}

/** The user tables (catalog names) of one component path ("" is the app). */
export function appTableNames(store: DocumentStore, componentPath = ""): string[] {
  return [...store.listTables().keys()].filter((n) => !n.startsWith("_") && componentPathOf(n) === componentPath);
}

/** Where a component's files sit in a snapshot ZIP: one `_components/<name>/` per path segment. */
export function exportPathPrefix(componentPath: string): string {
  return componentPath === "" ? "" : componentPath.split("/").map((name) => `_components/${name}/`).join("");
}

/**
 * Every user table of the installed components (`componentPaths`, "" included) at one snapshot,
 * as a ZIP; with `files`, file storage too. Tables of a component no longer installed are left
 * out, as Convex skips tables without a component.
 */
export function exportSnapshotZip(store: DocumentStore, catalog: Catalog, componentPaths: string[], files?: FileStorage): Uint8Array {
  const snap = store.snapshot();
  try {
    const all = store.listTables();
    const out: Record<string, Uint8Array> = { "README.md": strToU8(README) };
    for (const componentPath of new Set(["", ...componentPaths])) {
      const prefix = exportPathPrefix(componentPath);
      const tables = appTableNames(store, componentPath).map((name) => [name, all.get(name)!] as const).sort((a, b) => a[1] - b[1]);
      const listed = tables.map(([name, id]) => `${JSON.stringify({ name: localTableName(name), id })}\n`);
      out[`${prefix}_tables/documents.jsonl`] = strToU8(listed.join(""));
      for (const [name, number] of tables) {
        const byId = catalog.index(number, "by_id")!;
        const lines = snap.scan(byId.indexId, Buffer.alloc(0), null, false, Number.MAX_SAFE_INTEGER).map((r) => {
          return `${toExportJson(parseExportJsonFromStored(r.json))}\n`;
        });
        const local = `${prefix}${localTableName(name)}`;
        out[`${local}/documents.jsonl`] = strToU8(lines.join(""));
        out[`${local}/generated_schema.jsonl`] = strToU8(`${JSON.stringify("uniform")}\n`);
      }
    }
    if (files) {
      const byId = catalog.index(SYSTEM_TABLES[STORAGE_TABLE], "by_id")!;
      const meta: string[] = [];
      for (const r of snap.scan(byId.indexId, Buffer.alloc(0), null, false, Number.MAX_SAFE_INTEGER)) {
        const doc = JSON.parse(r.json) as { _id: string; _creationTime: number; sha256: string; size: number; contentType?: string };
        meta.push(`${JSON.stringify({ _id: doc._id, _creationTime: doc._creationTime, sha256: doc.sha256, size: doc.size, contentType: doc.contentType ?? null })}\n`);
        out[`_storage/${doc._id}`] = readFileSync(files.blobPath(Buffer.from(doc.sha256, "base64").toString("hex")));
      }
      out["_storage/documents.jsonl"] = strToU8(meta.join(""));
    }
    return zipSync(out, { level: 6 });
  } finally {
    snap.release();
  }
}

// Stored documents are Convex internal JSON (convexToJson).
function parseExportJsonFromStored(json: string): Value {
  return jsonToConvex(JSON.parse(json)) as Value;
}

export type ImportMode = "requireEmpty" | "append" | "replace" | "replaceAll";

interface ParsedTable {
  name: string;
  /** The table number `_tables/documents.jsonl` gave it, if any. */
  number?: number;
  docs: Array<Record<string, Value>>;
  /** `_storage` only: each file's bytes by storage id. */
  blobs?: Map<string, Uint8Array>;
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new ImportError(`${file}: UTF-8 BOM is not supported. Please save your file without BOM.`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ImportError(`${file}: Import wasn't valid UTF8: ${(e as Error).message}`);
  }
}

/** One object per non-empty line; errors name the file and the row as Convex's do. */
function parseJsonl(text: string, file: string, lossless: boolean): Array<Record<string, Value>> {
  const out: Array<Record<string, Value>> = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === "") continue;
    let v: Value;
    try {
      v = lossless ? parseExportJson(line) : (jsonToConvex(JSON.parse(line)) as Value);
    } catch (e) {
      throw new ImportError(`${file}: Row ${n + 1} wasn't valid JSON: ${(e as Error).message}`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof ArrayBuffer) {
      throw new ImportError(`${file}: Row ${n + 1} wasn't an object`);
    }
    out.push(v as Record<string, Value>);
  }
  return out;
}

/**
 * Reads a snapshot ZIP into tables (named as in the catalog, `<componentPath>/<table>` for a
 * component's), its root being component `base` ("" is the app; `npx convex import --component`).
 * Throws ImportError on anything malformed.
 */
export function parseSnapshotZip(bytes: Uint8Array, base = ""): ParsedTable[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new ImportError(`The file is not a valid ZIP archive: ${(e as Error).message}`);
  }
  const tables = new Map<string, ParsedTable>();
  const numbers = new Map<string, number>();
  const storage: ParsedTable = { name: STORAGE_TABLE, docs: [], blobs: new Map() };
  for (const [file, content] of Object.entries(files)) {
    // `_components/<a>/_components/<b>/rest` is `rest` of component a/b (below `base`).
    const nested = /^((?:_components\/[^/]+\/)*)(.*)$/.exec(file)!;
    const segments = nested[1].split("/").filter((x, i) => i % 2 === 1);
    const componentPath = [...(base === "" ? [] : [base]), ...segments].join("/");
    const rest = nested[2];
    const prefix = nested[1];
    const blob = /^_storage\/([^/.]+)(?:\.[^/]+)?$/.exec(rest);
    if ((blob || rest === "_storage/documents.jsonl") && componentPath !== "") {
      throw new ImportError(`${file}: file storage is shared by the app and its components here; import it at the root of the ZIP, without --component.`);
    }
    if (blob && rest !== "_storage/documents.jsonl") {
      storage.blobs!.set(blob[1], content);
      continue;
    }
    const m = /^([^/]+)\/documents\.jsonl$/.exec(rest);
    if (!m) continue;
    const name = m[1];
    if (name === "_tables") {
      for (const row of parseJsonl(decodeUtf8(content, file), file, false)) {
        if (typeof row.name !== "string" || typeof row.id !== "number") {
          throw new ImportError(`${file}: each row needs a string "name" and a number "id".`);
        }
        numbers.set(physicalTableName(componentPath, row.name), row.id);
      }
      continue;
    }
    if (name === STORAGE_TABLE) {
      storage.docs = parseJsonl(decodeUtf8(content, file), file, false);
      continue;
    }
    if (name.startsWith("_")) continue; // other system tables are skipped, as in Convex
    const schemaPath = `${prefix}${name}/generated_schema.jsonl`;
    const schemaFile = files[schemaPath];
    let lossless = false;
    if (schemaFile) {
      const first = decodeUtf8(schemaFile, schemaPath).split("\n")[0].trim();
      if (first !== JSON.stringify("uniform")) {
        throw new ImportError(`${schemaPath}: only the "uniform" generated schema of current exports is supported.`);
      }
      lossless = true;
    }
    const physical = physicalTableName(componentPath, name);
    tables.set(physical, { name: physical, docs: parseJsonl(decodeUtf8(content, file), file, lossless) });
  }
  for (const [name, number] of numbers) {
    const t = tables.get(name) ?? { name, docs: [] };
    t.number = number;
    tables.set(name, t);
  }
  if (storage.docs.length > 0 || storage.blobs!.size > 0) tables.set(STORAGE_TABLE, storage);
  return [...tables.values()];
}

/**
 * The `_storage` documents an import writes, from its metadata rows and file bytes: every file
 * needs its row and every row its file; a given sha256 or size must match the bytes.
 */
function storageDocs(t: ParsedTable): Array<Record<string, Value>> {
  const docs: Array<Record<string, Value>> = [];
  const seen = new Set<string>();
  for (const [n, row] of t.docs.entries()) {
    const id = row._id;
    if (typeof id !== "string" || decodeDocumentId(id)?.tableNumber !== SYSTEM_TABLES[STORAGE_TABLE]) {
      throw new ImportError(`_storage/documents.jsonl: row ${n + 1} has no valid _storage _id.`);
    }
    const bytes = t.blobs?.get(id);
    if (!bytes) throw new ImportError(`_storage/documents.jsonl: row ${n + 1} names file ${id}, which is not in the ZIP.`);
    const sha256 = createHash("sha256").update(bytes).digest("base64");
    if (row.sha256 !== undefined && row.sha256 !== null && row.sha256 !== sha256) {
      throw new ImportError(`_storage/${id}: sha256 mismatch. Expected: ${String(row.sha256)} Actual: ${sha256}`);
    }
    if (row.size !== undefined && row.size !== null && Number(row.size) !== bytes.length) {
      throw new ImportError(`_storage/${id}: size mismatch. Expected: ${String(row.size)} Actual: ${bytes.length}`);
    }
    const doc: Record<string, Value> = { _id: id, sha256, size: bytes.length };
    if (typeof row._creationTime === "number") doc._creationTime = row._creationTime;
    if (typeof row.contentType === "string") doc.contentType = row.contentType;
    docs.push(doc);
    seen.add(id);
  }
  for (const id of t.blobs?.keys() ?? []) {
    if (!seen.has(id)) throw new ImportError(`_storage/${id}: the file has no row in _storage/documents.jsonl.`);
  }
  return docs;
}

/** A validated import, ready to apply; `message` is the change summary the CLI shows. */
export interface ImportPlan {
  tables: ParsedTable[];
  mode: ImportMode;
  message: string;
  requireManualConfirmation: boolean;
  rows: number;
}

/**
 * Checks an import against the current data (names, modes, ids) without writing anything.
 * `componentPaths` are the installed components ("" included): a table of any other is refused.
 * `base` is the component the ZIP's root imports into; replaceAll clears it and those below it.
 */
export function planImport(
  store: DocumentStore,
  catalog: Catalog,
  tables: ParsedTable[],
  mode: ImportMode,
  { componentPaths = [""], base = "" }: { componentPaths?: Iterable<string>; base?: string } = {},
): ImportPlan {
  const installed = new Set(["", ...componentPaths]);
  const inScope = (n: string) => {
    const c = componentPathOf(n);
    return installed.has(c) && (base === "" || c === base || c.startsWith(`${base}/`));
  };
  const lines: string[] = [];
  let deletes = 0;
  let rows = 0;
  const snap = store.snapshot();
  try {
    const counts = (number: number | undefined) => (number === undefined ? 0 : snap.countTable(number));
    const affected = new Map(tables.map((t) => [t.name, t]));
    if (mode === "replaceAll") {
      for (const name of userTableNames(store).filter(inScope)) if (!affected.has(name)) affected.set(name, { name, docs: [] });
    }
    for (const t of [...affected.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (t.name === STORAGE_TABLE) t.docs = storageDocs(t);
      const component = componentPathOf(t.name);
      if (!installed.has(component)) throw new ImportError(`${t.name}: there is no component ${JSON.stringify(component)} in this deployment.`);
      const nameError = identifierError(localTableName(t.name));
      if (nameError !== null) throw new ImportError(`${JSON.stringify(t.name)} isn't a valid table name: ${nameError}`);
      const existingNumber = catalog.tableNumber(t.name);
      const existing = counts(existingNumber);
      if (mode === "requireEmpty" && existing > 0) {
        throw new ImportError(`Table ${t.name} already exists. Please choose a new table name or use replace/append modes.`);
      }
      // A new table takes the number its ids carry (or `_tables` gives), so the ids stay valid.
      const firstId = t.docs.find((d) => typeof d._id === "string")?._id as string | undefined;
      if (existingNumber === undefined && t.number === undefined && firstId) t.number = decodeDocumentId(firstId)?.tableNumber;
      const target = existingNumber ?? t.number;
      const seen = new Set<string>();
      for (const [n, doc] of t.docs.entries()) {
        const { _id, _creationTime, ...fields } = doc;
        if (_id !== undefined) {
          const decoded = typeof _id === "string" ? decodeDocumentId(_id) : null;
          if (!decoded) throw new ImportError(`${t.name}: row ${n + 1} has an invalid _id ${JSON.stringify(String(_id))}.`);
          if (target !== undefined && decoded.tableNumber !== target) {
            throw new ImportError(
              `${t.name}: row ${n + 1} has _id ${_id} of table number ${decoded.tableNumber}, but table ${t.name} has number ${target}.`,
            );
          }
          if (seen.has(_id as string)) throw new ImportError(`${t.name}: _id ${_id} appears twice in the import.`);
          seen.add(_id as string);
          if (mode === "append" && snap.getDocument(_id as string)) {
            throw new ImportError(`${t.name}: a document with _id ${_id} already exists (append keeps existing documents).`);
          }
        }
        if (_creationTime !== undefined && (typeof _creationTime !== "number" || !Number.isFinite(_creationTime))) {
          throw new ImportError(`${t.name}: row ${n + 1} has a _creationTime that is not a finite number.`);
        }
        try {
          checkDocumentForWrite(t.name, fields);
        } catch (e) {
          throw new ImportError(`${t.name}: row ${n + 1}: ${(e as Error).message}`);
        }
      }
      const deleted = mode === "replace" || mode === "replaceAll" ? existing : 0;
      deletes += deleted;
      rows += t.docs.length;
      const unit = t.name === STORAGE_TABLE ? " files" : "";
      lines.push(`${t.name} | ${existing}${unit} existing, +${t.docs.length}${unit} added, -${deleted}${unit} deleted`);
    }
  } finally {
    snap.release();
  }
  const message = [
    ...(lines.length ? ["Import change summary:", ...lines] : []),
    "Once the import has started, it will run in the background.\nInterrupting `npx convex import` will not cancel it.",
  ].join("\n");
  return {
    tables: mode === "replaceAll" ? tables.concat(emptyTablesToClear(store, tables, inScope)) : tables,
    mode,
    message,
    requireManualConfirmation: deletes > 0,
    rows,
  };
}

function emptyTablesToClear(store: DocumentStore, tables: ParsedTable[], inScope: (name: string) => boolean): ParsedTable[] {
  const named = new Set(tables.map((t) => t.name));
  return userTableNames(store).filter((n) => inScope(n) && !named.has(n)).map((name) => ({ name, docs: [] }));
}

/** Every user table of the app and its components (catalog names). */
function userTableNames(store: DocumentStore): string[] {
  return [...store.listTables().keys()].filter((n) => !n.startsWith("_"));
}

/**
 * Applies a plan in one atomic commit: replaced tables are emptied, then every document is written
 * with its own `_id` and `_creationTime` (new ones where the import has none). Returns rows written.
 */
export async function applyImport(runner: FunctionRunner, catalog: Catalog, files: FileStorage, plan: ImportPlan): Promise<number> {
  // File bytes go to disk first (pinned), so the commit that names them never points at nothing.
  const releases: Array<() => void> = [];
  try {
    for (const t of plan.tables) {
      if (t.name !== STORAGE_TABLE) continue;
      for (const doc of t.docs) releases.push((await files.putBlobForImport(Buffer.from(t.blobs!.get(doc._id as string)!))).release);
    }
    return await commitImport(runner, catalog, plan);
  } finally {
    for (const release of releases) release();
  }
}

function commitImport(runner: FunctionRunner, catalog: Catalog, plan: ImportPlan): Promise<number> {
  return runner.transact((tx) => {
    let written = 0;
    for (const t of plan.tables) {
      const number = catalog.ensureTable(t.name, t.number);
      if (t.number !== undefined && number !== t.number && t.docs.some((d) => d._id !== undefined)) {
        throw new ImportError(`${t.name}: table number ${t.number} of the imported ids is taken by another table here.`);
      }
      if (plan.mode === "replace" || plan.mode === "replaceAll") {
        const byId = catalog.index(number, "by_id")!;
        for (const row of tx.snapshot.scan(byId.indexId, Buffer.alloc(0), null, false, Number.MAX_SAFE_INTEGER)) {
          tx.importWrite(t.name, number, row.id, null);
        }
      }
      for (const doc of t.docs) {
        const id = (doc._id as string | undefined) ?? encodeDocumentId(number, newInternalId(Date.now(), pooledRandomBytes));
        tx.importWrite(t.name, number, id, { ...doc, _id: id });
        written++;
      }
    }
    return written;
  });
}
