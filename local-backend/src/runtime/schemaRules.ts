import type { ValidatorJSON } from "convex/values";
import { sortedKeys } from "../values/display.js";
import { fieldNameError, identifierError } from "../values/limits.js";

/**
 * The definition rules a schema must satisfy before a push changes anything: table, field and
 * index names, index shapes, vector index dimensions, and index fields that the document type
 * allows. Same rules, order and texts as Convex (get-convex/convex-backend at 94a42c3db8d7:
 * crates/common/src/schemas/json.rs `TableDefinition::try_from`, schemas/mod.rs
 * `check_index_references`, application/src/lib.rs `_validate_user_defined_index_fields`, and
 * bootstrap_model/index/index_validation_error.rs for the messages), so the first violation found
 * is the one Convex reports.
 */

const MAX_INDEXES_PER_TABLE = 64;
const MAX_INDEX_FIELDS = 16;
const MAX_FILTER_FIELDS = 16;
export const MIN_VECTOR_DIMENSIONS = 2;
export const MAX_VECTOR_DIMENSIONS = 4096;

/** A schema as `defineSchema(...).export()` gives it (and the push's schema JSON). */
export interface SchemaJson {
  tables: Array<{
    tableName: string;
    indexes: Array<{ indexDescriptor: string; fields: string[] }>;
    searchIndexes?: Array<{ indexDescriptor: string; searchField: string; filterFields: string[] }>;
    /** `dimension` is the legacy spelling Convex still accepts. */
    vectorIndexes?: Array<{ indexDescriptor: string; vectorField: string; dimensions?: number; dimension?: number; filterFields: string[] }>;
    documentType: ValidatorJSON | null;
  }>;
  schemaValidation: boolean;
}

type TableJson = SchemaJson["tables"][number];

/**
 * Staged indexes (`{ staged: true }`): the catalog does not build them (they are not queryable
 * until enabled), but Convex checks them with the others, so they count here.
 */
type StagedJson = {
  stagedDbIndexes?: TableJson["indexes"];
  stagedSearchIndexes?: NonNullable<TableJson["searchIndexes"]>;
  stagedVectorIndexes?: NonNullable<TableJson["vectorIndexes"]>;
};
const staged = (t: TableJson): Required<StagedJson> => ({
  stagedDbIndexes: (t as StagedJson).stagedDbIndexes ?? [],
  stagedSearchIndexes: (t as StagedJson).stagedSearchIndexes ?? [],
  stagedVectorIndexes: (t as StagedJson).stagedVectorIndexes ?? [],
});

/** A definition error: its message is the text Convex reports for it. */
class DefinitionError extends Error {}

const fail = (message: string): never => {
  throw new DefinitionError(message);
};

/** Rust `IdentifierFieldName::from_str`: a valid field name that is also an identifier. */
function identifierFieldError(name: string): string | null {
  return fieldNameError(name) ?? identifierError(name);
}

/** Rust `FieldPath::from_str`: outer dots ignored, every segment an identifier. Null when valid. */
function parseFieldPath(path: string): string[] | null {
  const trimmed = path.replace(/^\.+|\.+$/g, "");
  if (trimmed === "") return null;
  const parts = trimmed.split(".");
  return parts.every((p) => identifierFieldError(p) === null) ? parts : null;
}

/** Rust's `Display` of a FieldPath: the dotted path in double quotes. */
const showPath = (parts: string[]) => `"${parts.join(".")}"`;

/** Object keys in a validator must be identifiers; nested failures name their enclosing key. */
function checkValidatorFieldNames(v: ValidatorJSON): void {
  switch (v.type) {
    case "object":
      // Rust reads the keys into a BTreeMap, so the first bad key in byte order is reported.
      for (const key of sortedKeys(v.value)) {
        const error = identifierFieldError(key);
        if (error !== null) fail(error);
        try {
          checkValidatorFieldNames(v.value[key]!.fieldType);
        } catch (e) {
          if (e instanceof DefinitionError) fail(`Invalid validator for key \`${key}\`: ${e.message}`);
          throw e;
        }
      }
      return;
    case "union":
      for (const member of v.value) checkValidatorFieldNames(member);
      return;
    case "array":
      checkValidatorFieldNames(v.value);
      return;
    case "record":
      checkValidatorFieldNames(v.values.fieldType);
      return;
    default:
      return;
  }
}

const INDEX_NAME_RULES = "Identifiers must be 64 characters or less, start with a letter, and only contain letters, digits, underscores.";

function checkIndexName(table: string, name: string) {
  if (identifierError(name) !== null) fail(`In table "${table}": Invalid index name: "${name}". ${INDEX_NAME_RULES}`);
}

/** Parses an index's field (search field, filter field, vector field) or fails as Convex does. */
function indexField(table: string, index: string, field: string): string[] {
  const parts = parseFieldPath(field);
  if (parts === null) fail(`In table "${table}": In index "${index}": Invalid index field: "${field}"`);
  return parts!;
}

function checkFilterFields(table: string, index: string, fields: string[]): string[] {
  const parsed = [...new Set(fields.map((f) => indexField(table, index, f).join(".")))];
  if (parsed.length > MAX_FILTER_FIELDS) {
    fail(`In table "${table}": Search indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`);
  }
  return parsed.sort();
}

/** Two indexes of one kind with the same key: the later one (by name) is reported first. */
function checkUnique(entries: Array<[name: string, key: string]>, message: (later: string, earlier: string) => string) {
  const byName = new Map(entries); // the last definition of a name wins, as in Rust's BTreeMap
  const seen = new Map<string, string>();
  for (const name of [...byName.keys()].sort()) {
    const key = byName.get(name)!;
    const earlier = seen.get(key);
    if (earlier !== undefined) fail(message(name, earlier));
    seen.set(key, name);
  }
}

const COMBINE = (field: string) =>
  `You should combine the\n             indexes with the same \`${field}\` into one index containing all \`filterField\`s and then use different subsets of the \`filterField\`s at query time.`;

function checkTable(t: TableJson): void {
  if (t.documentType) checkValidatorFieldNames(t.documentType);
  // A component's tables reach the catalog as `<componentPath>/<table>`; the rules apply to the name.
  const table = t.tableName.slice(t.tableName.lastIndexOf("/") + 1);
  if (identifierError(table) !== null) {
    fail(`Invalid table name: "${table}". Identifiers must start with a letter and can only contain letters, digits, and underscores.`);
  }
  if (table.startsWith("_")) fail(`${table} is a reserved table name.`);
  const { stagedDbIndexes, stagedSearchIndexes, stagedVectorIndexes } = staged(t);
  const search = [...(t.searchIndexes ?? []), ...stagedSearchIndexes];
  const vector = [...(t.vectorIndexes ?? []), ...stagedVectorIndexes];
  if (t.indexes.length + stagedDbIndexes.length + search.length + vector.length > MAX_INDEXES_PER_TABLE) {
    fail(`Table "${table}" cannot have more than ${MAX_INDEXES_PER_TABLE} indexes.`);
  }

  const dbKeys: Array<[string, string]> = [];
  for (const [indexes, stagedPrefix] of [[t.indexes, ""], [stagedDbIndexes, "staged "]] as const) {
    for (const idx of indexes) {
      const name = idx.indexDescriptor;
      checkIndexName(table, name);
      const fields = idx.fields.map((f) => indexField(table, name, f).join("."));
      const inIndex = (m: string) => `In table "${table}": In index "${name}": ${m}`;
      if (fields.length > MAX_INDEX_FIELDS) fail(inIndex(`Indexes may have up to ${MAX_INDEX_FIELDS} fields.`));
      if (fields.includes("_id")) fail(inIndex("`_id` is not a valid index field. To load documents by ID, use `db.get(id)`."));
      const dup = fields.find((f, i) => fields.indexOf(f) !== i);
      if (dup !== undefined) fail(inIndex(`Duplicate field "${dup}". Index fields must be unique within an index.`));
      dbKeys.push([name, JSON.stringify(fields)]);
    }
    for (const idx of indexes) {
      if (idx.fields.length === 0) fail(`In table "${table}" ${stagedPrefix}index "${idx.indexDescriptor}" must have at least one field.`);
    }
  }
  checkUnique(dbKeys, (a, b) => `In table "${table}" index "${a}" and index "${b}" have the same fields. Indexes must be unique within a table.`);

  const searchKeys: Array<[string, string]> = [];
  for (const idx of search) {
    checkIndexName(table, idx.indexDescriptor);
    const field = indexField(table, idx.indexDescriptor, idx.searchField).join(".");
    searchKeys.push([idx.indexDescriptor, JSON.stringify([field, checkFilterFields(table, idx.indexDescriptor, idx.filterFields ?? [])])]);
  }
  checkUnique(
    searchKeys,
    (a, b) =>
      `In table "${table}" search index "${a}" and search index "${b}" have the same \`searchField\`. Search index fields must be unique within a table. ${COMBINE("searchField")}`,
  );

  const vectorKeys: Array<[string, string]> = [];
  for (const idx of vector) {
    checkIndexName(table, idx.indexDescriptor);
    const field = indexField(table, idx.indexDescriptor, idx.vectorField).join(".");
    checkFilterFields(table, idx.indexDescriptor, idx.filterFields ?? []);
    const dims = idx.dimensions ?? idx.dimension;
    if (dims === undefined) fail(`In table "${table}": Missing dimensions field`);
    if (!Number.isInteger(dims) || dims! < MIN_VECTOR_DIMENSIONS || dims! > MAX_VECTOR_DIMENSIONS) {
      fail(`In table "${table}": Dimensions ${dims} must be between ${MIN_VECTOR_DIMENSIONS} and ${MAX_VECTOR_DIMENSIONS}.`);
    }
    vectorKeys.push([idx.indexDescriptor, JSON.stringify([field, dims])]);
  }
  checkUnique(
    vectorKeys,
    (a, b) =>
      `In table "${table}" vector index "${a}" and vector index "${b}" have the same \`vectorField\`. Vector index fields must be unique within a table. ${COMBINE("vectorField")}`,
  );

  const seen = new Set<string>();
  // Convex's order: indexes, staged, search, staged search, staged vector, vector.
  const names = [
    ...t.indexes,
    ...stagedDbIndexes,
    ...search,
    ...stagedVectorIndexes,
    ...(t.vectorIndexes ?? []),
  ].map((i) => i.indexDescriptor);
  for (const name of names) {
    const reserved = name === "by_id" || name === "by_creation_time" || name.startsWith("_");
    if (reserved && !name.startsWith("_fivetran")) {
      fail(
        `In table "${table}" cannot name an index "${name}" because the name is reserved. Indexes may not start with an underscore or be named "by_id" or "by_creation_time".`,
      );
    }
    if (seen.has(name)) fail(`Table "${table}" has two or more definitions of index "${name}".`);
    seen.add(name);
  }
}

const localName = (tableName: string) => tableName.slice(tableName.lastIndexOf("/") + 1);

/** Rust `Validator::can_contain_field`: some document the validator accepts may have this field. */
function canContainField(v: ValidatorJSON, path: string[]): boolean {
  if (path.length === 0) return true;
  if (v.type === "any") return true;
  if (v.type === "union") return v.value.some((m) => canContainField(m, path));
  if (v.type === "object") {
    const field = v.value[path[0]!];
    return field !== undefined && canContainField(field.fieldType, path.slice(1));
  }
  return false;
}

/** Rust `is_valid_vector_validator`: an array of float64 (or of any), possibly in a union. */
function isVectorValidator(v: ValidatorJSON): boolean {
  if (v.type === "array") return v.value.type === "number" || v.value.type === "any";
  if (v.type === "union") return v.value.some(isVectorValidator);
  return v.type === "any";
}

/** Rust `Validator::overlaps_with_array_float64`: a missing object field counts as eligible. */
function overlapsArrayFloat64(v: ValidatorJSON, path: string[]): boolean {
  if (path.length === 0) return isVectorValidator(v);
  if (v.type === "any") return true;
  if (v.type === "union") return v.value.some((m) => overlapsArrayFloat64(m, path));
  if (v.type === "object") {
    const field = v.value[path[0]!];
    return field === undefined || overlapsArrayFloat64(field.fieldType, path.slice(1));
  }
  return false;
}

/** Index fields must be fields the table's documents can have (only when schemas are enforced). */
function checkIndexReferences(schema: SchemaJson): void {
  const tables = [...schema.tables].sort((a, b) => (a.tableName < b.tableName ? -1 : a.tableName > b.tableName ? 1 : 0));
  for (const t of tables) {
    const doc = t.documentType;
    if (!doc) continue;
    const { stagedDbIndexes, stagedSearchIndexes, stagedVectorIndexes } = staged(t);
    const search = [...(t.searchIndexes ?? []), ...stagedSearchIndexes];
    const vector = [...(t.vectorIndexes ?? []), ...stagedVectorIndexes];
    const referenced: Array<[string, string]> = [
      ...[...t.indexes, ...stagedDbIndexes].flatMap((i) => i.fields.map((f): [string, string] => [i.indexDescriptor, f])),
      ...search.map((i): [string, string] => [i.indexDescriptor, i.searchField]),
      ...search.flatMap((i) => (i.filterFields ?? []).map((f): [string, string] => [i.indexDescriptor, f])),
      ...vector.map((i): [string, string] => [i.indexDescriptor, i.vectorField]),
    ];
    for (const [index, field] of referenced) {
      const path = parseFieldPath(field)!;
      // System fields may be indexed (and are) whatever the document type says.
      const system = path.length === 1 && path[0]!.startsWith("_");
      if (!system && !canContainField(doc, path)) {
        fail(`In table "${localName(t.tableName)}" the index "${index}" is invalid because it references the field ${showPath(path)} that does not exist.`);
      }
    }
    for (const idx of vector) {
      const path = parseFieldPath(idx.vectorField)!;
      if (!overlapsArrayFloat64(doc, path)) {
        fail(
          `In table "${localName(t.tableName)}" the vector index "${idx.indexDescriptor}" is invalid because it references the field ${showPath(path)} that is neither an array of float64 or optional array of float64.`,
        );
      }
    }
  }
}

/**
 * Returns the error Convex reports for a schema that breaks its definition rules (prefixed as
 * `npx convex dev` shows it), or null when the schema is well formed.
 */
export function schemaDefinitionError(schema: SchemaJson): string | null {
  try {
    for (const t of schema.tables) checkTable(t);
    for (const t of schema.tables) {
      for (const idx of [...t.indexes, ...staged(t).stagedDbIndexes]) {
        if (idx.fields.some((f) => parseFieldPath(f)!.join(".") === "_creationTime")) {
          fail(
            "`_creationTime` is automatically added to the end of each index. It should not be added explicitly in the index definition. See https://docs.convex.dev/using/indexes for more details.",
          );
        }
        if (idx.fields.some((f) => parseFieldPath(f)!.some((p) => p.startsWith("_")))) {
          fail("Reserved fields (starting with `_`) are not allowed in indexes.");
        }
        // `_creationTime` is appended to every index, so only 15 fields may be declared.
        if (idx.fields.length + 1 > MAX_INDEX_FIELDS) fail(`Indexes may have up to ${MAX_INDEX_FIELDS} fields.`);
      }
    }
    if (schema.schemaValidation !== false) checkIndexReferences(schema);
    return null;
  } catch (e) {
    if (e instanceof DefinitionError) return `Hit an error while evaluating your schema:\n${e.message}`;
    throw e;
  }
}
