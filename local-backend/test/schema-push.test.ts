// Schema pushes on start and on reload, as `npx convex dev` does them: existing documents are
// validated against the new schema (a mismatch refuses the push and changes nothing), and new
// indexes are backfilled. Reference: ../shared/reference/convex-backend-facts.md §3.10.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { LocalBackend, SchemaPushError } from "../src/backend.js";

// Apps live in a temp dir; a node_modules link lets their imports of `convex/server` resolve.
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE_ROOT = mkdtempSync(path.join(tmpdir(), "lb-schema-push-"));
symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(FILE_ROOT, "node_modules"), "dir");

const running = new Set<LocalBackend>();
afterEach(async () => {
  for (const b of running) await b.close();
  running.clear();
});
afterAll(() => {
  // Remove the node_modules link first, so nothing could ever descend into the real one.
  unlinkSync(path.join(FILE_ROOT, "node_modules"));
  rmSync(FILE_ROOT, { recursive: true, force: true });
});

const POSTS = `
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const insert = mutationGeneric({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => await ctx.db.insert("posts", doc),
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) => await ctx.db.query("posts").collect(),
});

// Any index by name, so tests can use indexes that only a later schema declares.
export const byIndex = queryGeneric({
  args: { index: v.string(), eq: v.optional(v.object({ field: v.string(), value: v.any() })) },
  handler: async (ctx, { index, eq }) => {
    const docs = await ctx.db
      .query("posts")
      .withIndex(index, (q: any) => (eq ? q.eq(eq.field, eq.value) : q))
      .collect();
    return docs.map((d: any) => d.title);
  },
});
`;

const schema = (postsValidator: string, indexes: string, options = "") => `
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  posts: defineTable(${postsValidator})${indexes},
}${options ? `, ${options}` : ""});
`;

const SCHEMA_A = schema(`{ title: v.string(), views: v.optional(v.number()) }`, `.index("by_title", ["title"])`);

let appCounter = 0;
function newApp() {
  const dir = path.join(FILE_ROOT, `app${++appCounter}`);
  const convexDir = path.join(dir, "convex");
  mkdirSync(convexDir, { recursive: true });
  writeFileSync(path.join(convexDir, "posts.ts"), POSTS);
  return {
    convexDir,
    dataDir: path.join(dir, "data"),
    setSchema(text: string) {
      writeFileSync(path.join(convexDir, "schema.ts"), text);
    },
  };
}

async function start(app: { convexDir: string; dataDir: string }) {
  const backend = await LocalBackend.start({ convexDir: app.convexDir, dataDir: app.dataDir, port: 0, host: "127.0.0.1" });
  running.add(backend);
  return { backend, client: new ConvexHttpClient(backend.url, { logger: false }) };
}

/** `LocalBackend.start` must refuse this app; returns the error. */
async function startRejects(app: { convexDir: string; dataDir: string }): Promise<Error> {
  let backend: LocalBackend;
  try {
    backend = await LocalBackend.start({ convexDir: app.convexDir, dataDir: app.dataDir, port: 0, host: "127.0.0.1" });
  } catch (e) {
    return e as Error;
  }
  running.add(backend);
  throw new Error("LocalBackend.start succeeded with a schema the existing documents violate");
}

async function stop(backend: LocalBackend) {
  running.delete(backend);
  await backend.close();
}

/** Seeds an app under schema A: "a" (views 1), "b" (no views), "c" (views 3). */
async function seeded() {
  const app = newApp();
  app.setSchema(SCHEMA_A);
  const { backend, client } = await start(app);
  const ids: Record<string, string> = {};
  ids.a = await client.mutation(anyApi.posts.insert, { doc: { title: "a", views: 1 } });
  ids.b = await client.mutation(anyApi.posts.insert, { doc: { title: "b" } });
  ids.c = await client.mutation(anyApi.posts.insert, { doc: { title: "c", views: 3 } });
  const before = await client.query(anyApi.posts.list, {});
  await stop(backend);
  return { app, ids, before };
}

describe("incompatible schema on start", () => {
  test("a field becoming required: start fails naming table, document and field; data untouched", async () => {
    const { app, ids, before } = await seeded();
    app.setSchema(schema(`{ title: v.string(), views: v.number() }`, `.index("by_title", ["title"]).index("by_views", ["views"])`));
    const err = await startRejects(app);
    expect(err).toBeInstanceOf(SchemaPushError);
    expect(err.message).toContain("posts");
    expect(err.message).toContain(ids.b);
    expect(err.message).toContain("views");
    for (const other of [ids.a, ids.c]) expect(err.message).not.toContain(other);

    // Back to schema A: every document is still there, unchanged, and indexes still work.
    app.setSchema(SCHEMA_A);
    const { client } = await start(app);
    expect(await client.query(anyApi.posts.list, {})).toEqual(before);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_title", eq: { field: "title", value: "b" } })).resolves.toEqual(["b"]);
    // The failed push did not leave the new index behind.
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views" })).rejects.toThrow(/by_views/);
  });

  test("a field changing type: start fails naming table, a document and the field", async () => {
    const { app, ids, before } = await seeded();
    app.setSchema(schema(`{ title: v.number(), views: v.optional(v.number()) }`, `.index("by_title", ["title"])`));
    const err = await startRejects(app);
    expect(err.message).toContain("posts");
    expect(Object.values(ids).some((id) => err.message.includes(id))).toBe(true);
    expect(err.message).toContain("title");

    app.setSchema(SCHEMA_A);
    const { client } = await start(app);
    expect(await client.query(anyApi.posts.list, {})).toEqual(before);
  });

  test("an extra field the new schema does not allow is reported", async () => {
    const { app, ids } = await seeded();
    app.setSchema(schema(`{ title: v.string() }`, ""));
    const err = await startRejects(app);
    expect(err.message).toContain("posts");
    expect([ids.a, ids.c].some((id) => err.message.includes(id))).toBe(true);
    expect(err.message).toContain("views");
  });

  test("schemaValidation: false pushes a schema the data violates", async () => {
    const { app, before } = await seeded();
    app.setSchema(schema(`{ title: v.number() }`, `.index("by_title", ["title"])`, `{ schemaValidation: false }`));
    const { client } = await start(app);
    expect(await client.query(anyApi.posts.list, {})).toEqual(before);
  });
});

describe("compatible schema changes", () => {
  test("a new optional field and new indexes push, and the indexes are backfilled", async () => {
    const { app, before } = await seeded();
    app.setSchema(
      schema(
        `{ title: v.string(), views: v.optional(v.number()), author: v.optional(v.string()) }`,
        `.index("by_title", ["title"]).index("by_views", ["views"]).index("by_author_views", ["author", "views"])`,
      ),
    );
    const { client } = await start(app);
    expect(await client.query(anyApi.posts.list, {})).toEqual(before);
    // Existing documents are in the new index at once, in index order (missing < numbers).
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views" })).resolves.toEqual(["b", "a", "c"]);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views", eq: { field: "views", value: 3 } })).resolves.toEqual(["c"]);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_author_views" })).resolves.toEqual(["b", "a", "c"]);

    // New writes are validated against the new schema and land in the new indexes.
    await client.mutation(anyApi.posts.insert, { doc: { title: "d", views: 2, author: "ann" } });
    await expect(client.mutation(anyApi.posts.insert, { doc: { title: "e", author: 5 } })).rejects.toThrow(/author/);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views" })).resolves.toEqual(["b", "a", "d", "c"]);
    await expect(
      client.query(anyApi.posts.byIndex, { index: "by_author_views", eq: { field: "author", value: "ann" } }),
    ).resolves.toEqual(["d"]);
  });

  test("an index whose fields change is rebuilt over existing documents", async () => {
    const { app } = await seeded();
    app.setSchema(schema(`{ title: v.string(), views: v.optional(v.number()) }`, `.index("by_title", ["views", "title"])`));
    const { client } = await start(app);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_title" })).resolves.toEqual(["b", "a", "c"]);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_title", eq: { field: "views", value: 1 } })).resolves.toEqual(["a"]);
  });

  test("a dropped index is no longer queryable; the data stays", async () => {
    const { app, before } = await seeded();
    app.setSchema(schema(`{ title: v.string(), views: v.optional(v.number()) }`, ""));
    const { client } = await start(app);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_title" })).rejects.toThrow(/by_title/);
    expect(await client.query(anyApi.posts.list, {})).toEqual(before);
  });
});

describe("schema pushes on reload", () => {
  test("an incompatible schema on reload is refused and the running app keeps its old schema", async () => {
    const app = newApp();
    app.setSchema(SCHEMA_A);
    const { backend, client } = await start(app);
    const id = await client.mutation(anyApi.posts.insert, { doc: { title: "no views" } });

    app.setSchema(schema(`{ title: v.string(), views: v.number() }`, `.index("by_title", ["title"]).index("by_views", ["views"])`));
    const err = await backend.reload().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain("posts");
    expect(err!.message).toContain(id);
    expect(err!.message).toContain("views");

    // Still schema A: a document without views is valid, and the refused index does not exist.
    await expect(client.mutation(anyApi.posts.insert, { doc: { title: "still optional" } })).resolves.toBeTypeOf("string");
    await expect(client.mutation(anyApi.posts.insert, { doc: { title: 7 } })).rejects.toThrow(/title/);
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views" })).rejects.toThrow(/by_views/);

    // A compatible schema then reloads fine, with its index backfilled.
    app.setSchema(schema(`{ title: v.string(), views: v.optional(v.number()) }`, `.index("by_views", ["views"])`));
    await backend.reload();
    await expect(client.query(anyApi.posts.byIndex, { index: "by_views" })).resolves.toEqual(["no views", "still optional"]);
  });
});
