import { createHash } from "node:crypto";
import { jsonToConvex, type Value } from "convex/values";
import type { ValidatorJSON } from "convex/values";
import type { DocumentStore, IndexDefinition, SearchIndexDefinition } from "../storage/interface.js";
import { getFieldPath } from "../values/fieldPath.js";
import { encodeSortKey } from "../values/sortKey.js";
import { validateValue } from "../values/validate.js";
import { schemaDefinitionError, type SchemaJson } from "./schemaRules.js";
import { SEARCH_INDEX_VERSION, searchEntry } from "./searchIndex.js";

// Defined beside the rules that check it (schemaRules.ts, below the catalog); re-exported so the
// runtime keeps importing the schema's shape from the catalog.
export type { SchemaJson };

/** A vector index as pushed in the schema (kept in memory by the catalog; no stored structure). */
export interface VectorIndexDefinition {
  name: string;
  vectorField: string;
  dimensions: number;
  filterFields: string[];
}

/** Convex numbers user tables from 10001 up; lower numbers are reserved for system tables. */
const FIRST_USER_TABLE_NUMBER = 10001;
// _storage is 540 in real Convex ids (seen in public dashboard fixtures); the other is ours.
export const SYSTEM_TABLES: Record<string, number> = { _storage: 540, _scheduled_functions: 541 };

/** Index key of a document: the index's fields (with the `_creationTime`, `_id` suffix) encoded. */
export function indexKey(index: IndexDefinition, doc: Record<string, Value>): Buffer {
  return encodeSortKey(index.fields.map((f) => getFieldPath(doc, f)));
}

/**
 * The catalog name of a component's table: `<componentPath>/<table>` (the app's tables, path "",
 * keep their names). System tables (`_storage`, `_scheduled_functions`) are shared by the tree.
 */
export function physicalTableName(componentPath: string, table: string): string {
  return componentPath === "" || table.startsWith("_") ? table : `${componentPath}/${table}`;
}

/** The component path a catalog table name belongs to ("" for the app). */
export function componentPathOf(physicalName: string): string {
  const slash = physicalName.lastIndexOf("/");
  return slash < 0 ? "" : physicalName.slice(0, slash);
}

/** The name a table has inside its own component. */
export function localTableName(physicalName: string): string {
  return physicalName.slice(physicalName.lastIndexOf("/") + 1);
}

/**
 * Suffix of a database index whose backfill is running or done but not yet installed. Convex
 * index names are identifiers, so no query can name it; `Catalog.index` refuses it anyway.
 */
const BACKFILL_SUFFIX = "~backfill";
/** Documents per backfill step: each step is one SQLite transaction, then the event loop runs. */
// Small enough that a step takes a few ms: a request run in an isolate worker crosses the event
// loop several times (dispatch, syscalls, result), and each crossing may wait for one step.
const BACKFILL_CHUNK = 250;

/** The background build of a push's new database indexes (see Catalog.startBackfill). */
export interface IndexBackfill {
  readonly total: number;
  /** Indexes fully built so far. */
  readonly complete: number;
  /** Settles when every index is built; rejects (and the partial indexes are dropped) on failure. */
  readonly done: Promise<void>;
  /** Drops the indexes of a push that will not be installed (finished or not). */
  cancel(): void;
}

export class SchemaPushError extends Error {
  override name = "SchemaPushError";
  constructor(
    message: string,
    /** The table whose documents violate the schema, when that is the reason. */
    readonly tableName: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Tables, indexes and the active schema. The single place that maps names to numbers and knows
 * which indexes a table maintains.
 */
export class Catalog {
  private byName = new Map<string, number>();
  private byNumber = new Map<number, string>();
  private indexes = new Map<number, Map<string, IndexDefinition>>();
  private documentTypes = new Map<number, ValidatorJSON>();
  private searchIndexes = new Map<number, Map<string, SearchIndexDefinition>>(); // text search
  /** Vector indexes of the pushed schema (runtime/vector.ts scans documents, so nothing is stored). */
  private vectorIndexes = new Map<number, Map<string, VectorIndexDefinition>>();
  schemaValidation = false;

  constructor(private readonly store: DocumentStore) {
    for (const [name, number] of Object.entries(SYSTEM_TABLES)) {
      if (!store.listTables().has(name)) store.createTable(name, number);
    }
    // A backfill the previous process did not install (it stopped midway, or its push never
    // finished) left a partial index that no installed schema refers to: it goes.
    for (const idx of store.listIndexes()) if (idx.name.endsWith(BACKFILL_SUFFIX)) store.dropIndex(idx.indexId);
    this.reload();
    for (const name of Object.keys(SYSTEM_TABLES)) this.ensureSystemIndexes(this.byName.get(name)!);
  }

  /** Indexes created by startBackfill whose documents are not all in yet. */
  private building = new Set<number>();

  private reload() {
    this.byName = this.store.listTables();
    this.byNumber = new Map([...this.byName].map(([n, k]) => [k, n]));
    this.indexes = new Map();
    for (const idx of this.store.listIndexes()) {
      let m = this.indexes.get(idx.tableNumber);
      if (!m) this.indexes.set(idx.tableNumber, (m = new Map()));
      m.set(idx.name, idx);
    }
    this.searchIndexes = new Map();
    for (const idx of this.store.listSearchIndexes()) this.putSearchIndex(idx);
  }

  tableNumber(name: string): number | undefined {
    return this.byName.get(name);
  }

  tableName(number: number): string | undefined {
    return this.byNumber.get(number);
  }

  /**
   * Returns the table's number, creating the table (with its system indexes) on first use.
   * `preferred` (a snapshot import's number for it) is used when it is a free user-table number.
   */
  ensureTable(name: string, preferred?: number): number {
    const existing = this.byName.get(name);
    if (existing !== undefined) return existing;
    let next = FIRST_USER_TABLE_NUMBER;
    for (const n of this.byNumber.keys()) if (n >= next) next = n + 1;
    if (preferred !== undefined && preferred >= FIRST_USER_TABLE_NUMBER && !this.byNumber.has(preferred)) next = preferred;
    this.store.createTable(name, next);
    this.byName.set(name, next);
    this.byNumber.set(next, name);
    this.ensureSystemIndexes(next);
    return next;
  }

  private ensureSystemIndexes(tableNumber: number) {
    this.ensureIndex(tableNumber, "by_id", ["_id"]);
    this.ensureIndex(tableNumber, "by_creation_time", ["_creationTime", "_id"]);
  }

  private ensureIndex(tableNumber: number, name: string, fields: string[]): IndexDefinition {
    const current = this.indexes.get(tableNumber)?.get(name);
    if (current && JSON.stringify(current.fields) === JSON.stringify(fields)) return current;
    let m = this.indexes.get(tableNumber);
    if (!m) this.indexes.set(tableNumber, (m = new Map()));
    // A finished background backfill of this exact index is installed by renaming it.
    const staged = m.get(name + BACKFILL_SUFFIX);
    if (staged && !this.building.has(staged.indexId) && JSON.stringify(staged.fields) === JSON.stringify(fields)) {
      if (current) this.store.dropIndex(current.indexId);
      this.store.renameIndex(staged.indexId, name);
      m.delete(staged.name);
      const def = { ...staged, name };
      m.set(name, def);
      return def;
    }
    if (current) this.store.dropIndex(current.indexId);
    const def = this.store.createIndex(tableNumber, name, fields, keyFunction(fields));
    m.set(name, def);
    return def;
  }

  /** An index queries may use: one still being backfilled is not (as in Convex). */
  index(tableNumber: number, name: string): IndexDefinition | undefined {
    if (name.endsWith(BACKFILL_SUFFIX)) return undefined;
    return this.indexes.get(tableNumber)?.get(name);
  }

  /**
   * Starts building, in the background, the database indexes of `schema` that existing tables do
   * not have yet, as Convex backfills before a push is installed. Each index is created empty and
   * under a name no query can use; from then on every commit maintains it (indexesOf includes
   * it), while steps of BACKFILL_CHUNK documents, each one transaction at the latest commit, add
   * the rest, yielding to the event loop in between so requests keep being served. applySchema
   * later installs a finished one under its real name. New tables are empty: nothing to build.
   */
  startBackfill(schema: SchemaJson | null): IndexBackfill {
    const defs: IndexDefinition[] = [];
    for (const t of schema?.tables ?? []) {
      const number = this.byName.get(t.tableName);
      if (number === undefined) continue;
      for (const idx of t.indexes) {
        const fields = [...idx.fields, "_creationTime", "_id"];
        const current = this.indexes.get(number)?.get(idx.indexDescriptor);
        if (current && JSON.stringify(current.fields) === JSON.stringify(fields)) continue;
        const m = this.indexes.get(number)!;
        // Another push's build of this name is superseded: its loop sees the index gone and fails.
        const previous = m.get(idx.indexDescriptor + BACKFILL_SUFFIX);
        if (previous) this.dropStaged(previous);
        const def = this.store.createIndex(number, idx.indexDescriptor + BACKFILL_SUFFIX, fields);
        m.set(def.name, def);
        this.building.add(def.indexId);
        defs.push(def);
      }
    }
    let complete = 0;
    const fill = async (def: IndexDefinition) => {
      const byId = this.index(def.tableNumber, "by_id")!;
      const keyOf = keyFunction(def.fields);
      let after: Buffer | null = null;
      do {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.indexes.get(def.tableNumber)?.get(def.name) !== def) {
          throw new SchemaPushError(`The backfill of index ${this.byNumber.get(def.tableNumber)}.${def.name.slice(0, -BACKFILL_SUFFIX.length)} was replaced by a later push.`);
        }
        after = this.store.backfillIndexChunk(def.indexId, byId.indexId, after, BACKFILL_CHUNK, keyOf);
      } while (after !== null);
      this.building.delete(def.indexId);
      complete++;
    };
    const cancel = () => {
      for (const def of defs) if (this.indexes.get(def.tableNumber)?.get(def.name) === def) this.dropStaged(def);
    };
    const done = (async () => {
      for (const def of defs) await fill(def);
    })();
    done.catch(() => {
      // The store may be closed (shutdown mid-backfill): then the next start drops the partial index.
      try {
        cancel();
      } catch {}
    });
    return { total: defs.length, get complete() { return complete; }, done, cancel };
  }

  private dropStaged(def: IndexDefinition) {
    this.building.delete(def.indexId);
    this.dropIndex(def);
  }

  indexesOf(tableNumber: number): IndexDefinition[] {
    return [...(this.indexes.get(tableNumber)?.values() ?? [])];
  }

  // ---- text search indexes (runtime/search.ts) ----
  searchIndex(tableNumber: number, name: string): SearchIndexDefinition | undefined {
    return this.searchIndexes.get(tableNumber)?.get(name);
  }

  searchIndexesOf(tableNumber: number): SearchIndexDefinition[] {
    const m = this.searchIndexes.get(tableNumber);
    return m ? [...m.values()] : [];
  }

  private putSearchIndex(def: SearchIndexDefinition) {
    let m = this.searchIndexes.get(def.tableNumber);
    if (!m) this.searchIndexes.set(def.tableNumber, (m = new Map()));
    m.set(def.name, def);
  }

  /** Creates (and backfills) a search index, or rebuilds it when its definition or format changed. */
  private ensureSearchIndex(tableNumber: number, name: string, searchField: string, filterFields: string[]) {
    const current = this.searchIndex(tableNumber, name);
    if (
      current &&
      current.searchField === searchField &&
      JSON.stringify(current.filterFields) === JSON.stringify(filterFields) &&
      current.version === SEARCH_INDEX_VERSION
    ) {
      return;
    }
    if (current) this.dropSearchIndex(current);
    const def = { tableNumber, name, searchField, filterFields, version: SEARCH_INDEX_VERSION };
    this.putSearchIndex(
      this.store.createSearchIndex(def, (json) =>
        searchEntry(def, jsonToConvex(JSON.parse(json)) as Record<string, Value>),
      ),
    );
  }

  private dropSearchIndex(def: SearchIndexDefinition) {
    this.store.dropSearchIndex(def.indexId);
    this.searchIndexes.get(def.tableNumber)?.delete(def.name);
  }
  // ---- end text search indexes ----

  vectorIndex(tableNumber: number, name: string): VectorIndexDefinition | undefined {
    return this.vectorIndexes.get(tableNumber)?.get(name);
  }

  documentType(tableNumber: number): ValidatorJSON | undefined {
    return this.schemaValidation ? this.documentTypes.get(tableNumber) : undefined;
  }

  /**
   * The check half of a schema push, changing nothing: throws a SchemaPushError naming the first
   * existing document the schema refuses. A deploy (runtime/push.ts) runs it before committing
   * to anything; applySchema runs it again.
   */
  checkDocuments(schema: SchemaJson | null): { schemaHash: string; alreadyPushed: boolean } {
    const tables = schema?.tables ?? [];
    // Documents were validated when this exact schema was pushed, and every write since was
    // validated against it: re-checking them on each start would only cost time.
    const schemaHash = createHash("sha256").update(JSON.stringify(schema)).digest("hex");
    const alreadyPushed = this.store.getMeta("schemaHash") === schemaHash;
    if (schema?.schemaValidation !== false && !alreadyPushed) {
      for (const t of tables) {
        const number = this.byName.get(t.tableName);
        if (number === undefined || !t.documentType) continue;
        for (const doc of this.store.iterateTable(number)) {
          const value = jsonToConvex(JSON.parse(doc.json)) as Record<string, Value>;
          const { _id, _creationTime, ...fields } = value;
          const error = validateValue(t.documentType, fields, {
            tableNumberFor: (n) => this.tableNumberForValidation(n, componentPathOf(t.tableName)),
          });
          if (error !== null) {
            throw new SchemaPushError(
              `Schema validation failed.\nDocument with ID "${doc.id}" in table "${t.tableName}" does not match the schema: ${error}`,
              t.tableName,
            );
          }
        }
      }
    }
    return { schemaHash, alreadyPushed };
  }

  /**
   * Pushes a schema as `convex dev` does: every existing document of every schema table must
   * match its validator, otherwise nothing changes and a SchemaPushError names the table,
   * document and field. Then indexes are created (and backfilled) or dropped to match.
   */
  applySchema(schema: SchemaJson | null): void {
    // Names and index definitions first: a schema Convex would refuse changes nothing.
    const definitionError = schema && schemaDefinitionError(schema);
    if (definitionError) throw new SchemaPushError(definitionError);
    const tables = schema?.tables ?? [];
    const { schemaHash, alreadyPushed } = this.checkDocuments(schema);
    const declared = new Set<number>();
    const documentTypes = new Map<number, ValidatorJSON>();
    for (const t of tables) {
      const number = this.ensureTable(t.tableName);
      declared.add(number);
      if (t.documentType) documentTypes.set(number, t.documentType);
      const wanted = new Set(["by_id", "by_creation_time"]);
      for (const idx of t.indexes) {
        wanted.add(idx.indexDescriptor);
        this.ensureIndex(number, idx.indexDescriptor, [...idx.fields, "_creationTime", "_id"]);
      }
      for (const idx of this.indexesOf(number)) {
        if (!wanted.has(idx.name) && !idx.name.endsWith(BACKFILL_SUFFIX)) this.dropIndex(idx);
      }
      const wantedSearch = new Set<string>();
      for (const idx of t.searchIndexes ?? []) {
        wantedSearch.add(idx.indexDescriptor);
        this.ensureSearchIndex(number, idx.indexDescriptor, idx.searchField, idx.filterFields ?? []);
      }
      for (const idx of this.searchIndexesOf(number)) {
        if (!wantedSearch.has(idx.name)) this.dropSearchIndex(idx);
      }
    }
    // Tables that left the schema keep their data but lose their declared indexes, as in Convex.
    for (const [number] of this.byNumber) {
      if (declared.has(number) || this.byNumber.get(number)!.startsWith("_")) continue;
      for (const idx of this.indexesOf(number)) {
        if (idx.name !== "by_id" && idx.name !== "by_creation_time" && !idx.name.endsWith(BACKFILL_SUFFIX)) this.dropIndex(idx);
      }
      for (const idx of this.searchIndexesOf(number)) this.dropSearchIndex(idx);
    }
    const vectorIndexes = new Map<number, Map<string, VectorIndexDefinition>>();
    for (const t of tables) {
      const defs = new Map<string, VectorIndexDefinition>();
      for (const idx of t.vectorIndexes ?? []) {
        const { indexDescriptor: name, vectorField, filterFields } = idx;
        defs.set(name, { name, vectorField, dimensions: (idx.dimensions ?? idx.dimension)!, filterFields: filterFields ?? [] });
      }
      if (defs.size > 0) vectorIndexes.set(this.byName.get(t.tableName)!, defs);
    }
    // Validators switch over only once every index change has landed.
    this.documentTypes = documentTypes;
    this.vectorIndexes = vectorIndexes;
    this.schemaValidation = schema !== null && schema.schemaValidation !== false;
    if (!alreadyPushed) this.store.setMeta("schemaHash", schemaHash);
  }

  private dropIndex(idx: IndexDefinition) {
    this.store.dropIndex(idx.indexId);
    this.indexes.get(idx.tableNumber)?.delete(idx.name);
  }

  /** Table number used to check `v.id(table)` written in `componentPath` ("" for the app). */
  tableNumberForValidation(name: string, componentPath = ""): number | undefined {
    return this.byName.get(physicalTableName(componentPath, name));
  }
}

/** How a database index with these fields keys a stored document. */
function keyFunction(fields: string[]): (json: string) => Buffer {
  return (json) => encodeSortKey(fields.map((f) => getFieldPath(jsonToConvex(JSON.parse(json)) as Record<string, Value>, f)));
}
