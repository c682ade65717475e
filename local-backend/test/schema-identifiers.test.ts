// Schema definition rules at push: table, field and index names, index shapes, vector index
// dimensions and fields, with Convex's error texts (get-convex/convex-backend at 94a42c3db8d7:
// crates/common/src/schemas/json.rs, schemas/mod.rs, application/src/lib.rs, and
// bootstrap_model/index/index_validation_error.rs). A refused push changes nothing.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LocalBackend, SchemaPushError } from "../src/backend.js";
import type { SchemaJson } from "../src/runtime/catalog.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir() {
  const d = mkdtempSync(path.join(tmpdir(), "lb-schema-ids-"));
  dirs.push(d);
  return d;
}

// No functions: only the `_generated/` marker the glob form requires (as convex-test does).
const modules = { "/convex/_generated/api.js": async () => ({}) };

const PREFIX = "Hit an error while evaluating your schema:\n";

/** A schema as the backend takes it (`export()` is internal in the `convex` package's types). */
type Schema = { export(): string };

/** Starts a backend on `schema`; returns the push error's message (the test fails if it starts). */
async function refused(s: unknown): Promise<string> {
  const schema = s as Schema;
  let backend: LocalBackend;
  try {
    backend = await LocalBackend.start({ dataDir: dataDir(), schema, modules });
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaPushError);
    expect((e as Error).message.startsWith(PREFIX)).toBe(true);
    return (e as Error).message.slice(PREFIX.length);
  }
  await backend.close();
  throw new Error("the schema was accepted");
}

async function accepted(s: unknown) {
  const schema = s as Schema;
  const backend = await LocalBackend.start({ dataDir: dataDir(), schema, modules });
  await backend.close();
}

const one = (table: Record<string, any>) => defineSchema(table);
const T = (fields: Record<string, any> = { a: v.string(), b: v.optional(v.string()) }) => defineTable(fields);

describe("table names", () => {
  test("invalid characters, a leading digit, and more than 64 characters are refused", async () => {
    const text = (name: string) =>
      `Invalid table name: "${name}". Identifiers must start with a letter and can only contain letters, digits, and underscores.`;
    for (const name of ["bad-name", "1table", "has space", "é", "a".repeat(65), "___"]) {
      expect(await refused(one({ [name]: T() }))).toBe(text(name));
    }
  });

  test("a leading underscore is reserved for system tables", async () => {
    expect(await refused(one({ _secret: T() }))).toBe("_secret is a reserved table name.");
    expect(await refused(one({ _storage: T() }))).toBe("_storage is a reserved table name.");
  });

  test("64 characters, digits and inner underscores are fine", async () => {
    await accepted(one({ ["a".repeat(64)]: T(), snake_case_2: T() }));
  });
});

describe("field names", () => {
  test("a top-level field must be an identifier", async () => {
    expect(await refused(one({ t: T({ "bad-field": v.string() }) }))).toBe(
      "Identifier bad-field has invalid character '-': Identifiers can only contain alphanumeric characters or underscores",
    );
    expect(await refused(one({ t: T({ "9lives": v.string() }) }))).toBe(
      "Invalid first character '9' in 9lives: Identifiers must start with an alphabetic character or underscore",
    );
    expect(await refused(one({ t: T({ ["f".repeat(65)]: v.string() }) }))).toBe("Identifier is too long (65 > maximum 64)");
    expect(await refused(one({ t: T({ $price: v.number() }) }))).toBe("Field name $price starts with '$', which is reserved.");
  });

  test("a nested field's error names the field that holds it", async () => {
    expect(await refused(one({ t: T({ meta: v.object({ "x y": v.string() }) }) }))).toBe(
      "Invalid validator for key `meta`: Identifier x y has invalid character ' ': Identifiers can only contain alphanumeric characters or underscores",
    );
    expect(await refused(one({ t: T({ list: v.array(v.object({ "a.b": v.string() })) }) }))).toBe(
      "Invalid validator for key `list`: Identifier a.b has invalid character '.': Identifiers can only contain alphanumeric characters or underscores",
    );
  });

  test("the first bad key in byte order is reported", async () => {
    expect(await refused(one({ t: T({ "z-z": v.string(), "a-a": v.string() }) }))).toMatch(/^Identifier a-a /);
  });
});

describe("index names", () => {
  test("an index name must be an identifier", async () => {
    expect(await refused(one({ t: T().index("by-a", ["a"]) }))).toBe(
      'In table "t": Invalid index name: "by-a". Identifiers must be 64 characters or less, start with a letter, and only contain letters, digits, underscores.',
    );
    expect(await refused(one({ t: T().searchIndex("search a", { searchField: "a" }) }))).toMatch(/^In table "t": Invalid index name: "search a"/);
  });

  test("by_id, by_creation_time and a leading underscore are reserved, for every kind of index", async () => {
    const reserved = (name: string) =>
      `In table "t" cannot name an index "${name}" because the name is reserved. Indexes may not start with an underscore or be named "by_id" or "by_creation_time".`;
    expect(await refused(one({ t: T().index("by_id", ["a"]) }))).toBe(reserved("by_id"));
    expect(await refused(one({ t: T().index("by_creation_time", ["a"]) }))).toBe(reserved("by_creation_time"));
    expect(await refused(one({ t: T().index("_private", ["a"]) }))).toBe(reserved("_private"));
    expect(await refused(one({ t: T().searchIndex("by_id", { searchField: "a" }) }))).toBe(reserved("by_id"));
    await accepted(one({ t: T().index("by_idx", ["a"]).index("by_creation", ["b"]) }));
  });

  test("two definitions of one name are refused, across index kinds too", async () => {
    expect(await refused(one({ t: T().index("by_a", ["a"]).index("by_a", ["b"]) }))).toBe(
      'Table "t" has two or more definitions of index "by_a".',
    );
    expect(await refused(one({ t: T().index("by_a", ["a"]).searchIndex("by_a", { searchField: "a" }) }))).toBe(
      'Table "t" has two or more definitions of index "by_a".',
    );
  });

  test("staged indexes follow the same rules and share the table's names", async () => {
    const staged = { staged: true } as const;
    expect(await refused(one({ t: T().index("by_a", ["a"]).index("by_a", { fields: ["b"], ...staged }) }))).toBe(
      'Table "t" has two or more definitions of index "by_a".',
    );
    expect(await refused(one({ t: T().index("by_id", { fields: ["a"], ...staged }) }))).toMatch(
      /^In table "t" cannot name an index "by_id" because the name is reserved\./,
    );
    expect(await refused(one({ t: T().index("by_nothing", { fields: [] as any, ...staged }) }))).toBe(
      'In table "t" staged index "by_nothing" must have at least one field.',
    );
    expect(await refused(one({ t: T().searchIndex("search_missing", { searchField: "missing" as any, ...staged }) }))).toBe(
      'In table "t" the index "search_missing" is invalid because it references the field "missing" that does not exist.',
    );
    await accepted(one({ t: T().index("by_a", ["a"]).index("by_b", { fields: ["b"], ...staged }) }));
  });

  test("two indexes on the same fields are refused", async () => {
    expect(await refused(one({ t: T().index("by_a", ["a"]).index("by_a_again", ["a"]) }))).toBe(
      'In table "t" index "by_a_again" and index "by_a" have the same fields. Indexes must be unique within a table.',
    );
  });
});

describe("index fields", () => {
  test("_id, _creationTime and other system fields cannot be indexed", async () => {
    expect(await refused(one({ t: T().index("by_doc", ["_id"]) }))).toBe(
      'In table "t": In index "by_doc": `_id` is not a valid index field. To load documents by ID, use `db.get(id)`.',
    );
    expect(await refused(one({ t: T().index("by_time", ["a", "_creationTime"]) }))).toBe(
      "`_creationTime` is automatically added to the end of each index. It should not be added explicitly in the index definition. See https://docs.convex.dev/using/indexes for more details.",
    );
    expect(await refused(one({ t: T({ a: v.string(), _hidden: v.optional(v.string()) }).index("by_hidden", ["_hidden"] as any) }))).toBe(
      "Reserved fields (starting with `_`) are not allowed in indexes.",
    );
  });

  test("invalid, duplicate and missing fields", async () => {
    expect(await refused(one({ t: T().index("by_x", ["a-b"]) }))).toBe('In table "t": In index "by_x": Invalid index field: "a-b"');
    expect(await refused(one({ t: T().index("by_x", ["a", "a"]) }))).toBe(
      'In table "t": In index "by_x": Duplicate field "a". Index fields must be unique within an index.',
    );
    expect(await refused(one({ t: T().index("by_x", [] as any) }))).toBe('In table "t" index "by_x" must have at least one field.');
    expect(await refused(one({ t: T().index("by_missing", ["missing"]) }))).toBe(
      'In table "t" the index "by_missing" is invalid because it references the field "missing" that does not exist.',
    );
    expect(await refused(one({ t: T({ meta: v.object({ level: v.number() }) }).index("by_deep", ["meta.tag"]) }))).toBe(
      'In table "t" the index "by_deep" is invalid because it references the field "meta.tag" that does not exist.',
    );
    expect(await refused(one({ t: T().searchIndex("search_a", { searchField: "a", filterFields: ["nope"] }) }))).toBe(
      'In table "t" the index "search_a" is invalid because it references the field "nope" that does not exist.',
    );
  });

  test("fields any union member or v.any() can hold are fine; so is anything without schema validation", async () => {
    await accepted(one({ t: defineTable(v.union(v.object({ kind: v.literal("a"), x: v.number() }), v.object({ kind: v.literal("b") }))).index("by_x", ["x"]) }));
    await accepted(one({ t: T({ data: v.any() }).index("by_deep", ["data.any.path"]) }));
    await accepted(defineSchema({ t: T().index("by_missing", ["missing"]) }, { schemaValidation: false }));
  });

  test("at most 15 declared fields (_creationTime is appended to every index)", async () => {
    const fields = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, v.number()]));
    const names = Object.keys(fields);
    await accepted(one({ t: T(fields).index("wide", names.slice(0, 15) as any) }));
    expect(await refused(one({ t: T(fields).index("wide", names as any) }))).toBe("Indexes may have up to 16 fields.");
  });
});

describe("vector indexes", () => {
  const E = () => T({ text: v.string(), embedding: v.array(v.float64()), kind: v.optional(v.string()) });

  test("dimensions must be between 2 and 4096", async () => {
    for (const dimensions of [0, 1, 4097]) {
      expect(await refused(one({ t: E().vectorIndex("by_embedding", { vectorField: "embedding", dimensions }) }))).toBe(
        `In table "t": Dimensions ${dimensions} must be between 2 and 4096.`,
      );
    }
    await accepted(one({ t: E().vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 2 }) }));
    await accepted(one({ t: E().vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 4096 }) }));
  });

  test("the vector field must exist and may hold an array of float64", async () => {
    expect(await refused(one({ t: E().vectorIndex("by_text", { vectorField: "text", dimensions: 3 }) }))).toBe(
      'In table "t" the vector index "by_text" is invalid because it references the field "text" that is neither an array of float64 or optional array of float64.',
    );
    expect(await refused(one({ t: E().vectorIndex("by_nothing", { vectorField: "nothing", dimensions: 3 }) }))).toBe(
      'In table "t" the index "by_nothing" is invalid because it references the field "nothing" that does not exist.',
    );
    await accepted(one({ t: T({ e: v.optional(v.array(v.float64())) }).vectorIndex("by_e", { vectorField: "e", dimensions: 3 }) }));
  });

  test("two vector indexes on one field with the same dimensions are refused", async () => {
    const message = await refused(
      one({
        t: E()
          .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 3 })
          .vectorIndex("by_embedding_kind", { vectorField: "embedding", dimensions: 3, filterFields: ["kind"] }),
      }),
    );
    expect(message).toBe(
      'In table "t" vector index "by_embedding_kind" and vector index "by_embedding" have the same `vectorField`. Vector index fields must be unique within a table. You should combine the\n             indexes with the same `vectorField` into one index containing all `filterField`s and then use different subsets of the `filterField`s at query time.',
    );
  });

  test("at most 16 filter fields", async () => {
    const fields = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, v.string()]));
    const schema = one({ t: T({ ...fields, e: v.array(v.float64()) }).vectorIndex("by_e", { vectorField: "e", dimensions: 2, filterFields: Object.keys(fields) as any }) });
    expect(await refused(schema)).toBe('In table "t": Search indexes may have up to 16 filter fields.');
  });
});

describe("a refused push changes nothing", () => {
  test("documents, tables and indexes of the running schema stay as they were", async () => {
    const dir = dataDir();
    const good = defineSchema({ posts: defineTable({ title: v.string() }).index("by_title", ["title"]) });
    const backend = await LocalBackend.start({ dataDir: dir, schema: good as unknown as Schema, modules });
    try {
      await backend.runner.transactInline(async (ctx) => {
        await ctx.db.insert("posts", { title: "kept" });
      });
      const catalog = backend.catalog;
      const posts = catalog.tableNumber("posts")!;
      const indexesBefore = catalog.indexesOf(posts).map((i) => i.name).sort();
      const bad = defineSchema({
        posts: defineTable({ title: v.string() }).index("by_title", ["title"]).index("by_title2", ["title"]),
        comments: defineTable({ body: v.string() }).index("by_id", ["body"]),
      });
      expect(() => catalog.applySchema(JSON.parse((bad as unknown as Schema).export()) as SchemaJson)).toThrow(SchemaPushError);
      // No new table, no new or dropped index, validation unchanged, the document still there.
      expect(catalog.tableNumber("comments")).toBeUndefined();
      expect(catalog.indexesOf(posts).map((i) => i.name).sort()).toEqual(indexesBefore);
      const outcome = await backend.runner.transactInline(async (ctx) => {
        const doc = await ctx.db.query("posts").withIndex("by_title", (q: any) => q.eq("title", "kept")).unique();
        await expect(ctx.db.insert("posts", { title: 1 as any })).rejects.toThrow(/does not match the schema/);
        return doc.title;
      });
      expect(outcome).toMatchObject({ ok: true, valueJson: '"kept"' });
    } finally {
      await backend.close();
    }
  });
});
