// Over 400 lines: every admin command of the official CLI against one running backend (starting one is slow).
// The official CLI (`node_modules/convex/bin/main.js`, unmodified) against a running local backend,
// through CONVEX_SELF_HOSTED_URL / CONVEX_SELF_HOSTED_ADMIN_KEY: run, env, data, export, import, logs.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { strToU8, unzipSync, zipSync } from "fflate";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { officialCliEnv } from "../src/officialCli.js";
import { parseExportJson, toExportJson } from "../src/runtime/exportJson.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = path.join(ROOT, "local-backend/test/fixtures-extra/cli-admin");
const CONVEX_BIN = path.join(ROOT, "node_modules/convex/bin/main.js");

let dataDir: string;
let tmp: string;
let backend: LocalBackend;
let admin: ConvexHttpClient;

const fn = (name: string) => makeFunctionReference<any, any, any>(name);
type Note = { _id: string; _creationTime: number; title: string; n: number; big: bigint; raw?: ArrayBuffer; ref?: string };
const notes = () => admin.query(fn("notes:list"), {}) as Promise<Note[]>;
const tags = () => admin.query(fn("notes:tags"), {}) as Promise<Array<{ name: string }>>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-cli-admin-"));
  tmp = mkdtempSync(path.join(tmpdir(), "lb-cli-admin-files-"));
  backend = await LocalBackend.start({ dataDir, convexDir: path.join(FIXTURE, "convex"), port: 0, host: "127.0.0.1", crons: false });
  admin = new ConvexHttpClient(backend.url, { logger: false });
  (admin as any).setAdminAuth(backend.adminKey);
});

afterAll(async () => {
  await backend?.close();
  for (const d of [dataDir, tmp]) if (d) rmSync(d, { recursive: true, force: true });
});

/** The CLI's environment: only the self-hosted deployment, nothing from a developer's shell. */
function cliEnv(target: LocalBackend = backend): NodeJS.ProcessEnv {
  return officialCliEnv(target);
}

function convex(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return convexAt(backend, FIXTURE, args);
}

function convexAt(target: LocalBackend, cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CONVEX_BIN, ...args], { cwd, env: cliEnv(target), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const note = (title: string, n: number, big: bigint, extra: Record<string, Value> = {}) =>
  JSON.stringify(convexToJson({ title, n, big, ...extra }));

beforeEach(async () => {
  await admin.mutation(fn("notes:clear"), {});
});

describe("convex run", () => {
  test("runs public and internal functions as admin and prints the result", async () => {
    const pub = await convex("run", "notes:add", note("public", 1.5, 7n));
    expect(pub.code, pub.stderr).toBe(0);
    const internal = await convex("run", "notes:addInternal", note("internal", 2, 8n));
    expect(internal.code, internal.stderr).toBe(0);
    const stored = await notes();
    expect(stored.map((d) => d.title).sort()).toEqual(["internal", "public"]);
    // The printed value is the new document's id.
    expect(JSON.parse(pub.stdout)).toBe(stored.find((d) => d.title === "public")!._id);
    expect(JSON.parse(internal.stdout)).toBe(stored.find((d) => d.title === "internal")!._id);
  });

  test("an argument error fails with Convex's message and writes nothing", async () => {
    const r = await convex("run", "notes:add", JSON.stringify({ title: 5 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ArgumentValidationError");
    expect(await notes()).toEqual([]);
  });
});

describe("convex env", () => {
  test("set, get, list and remove go to the backend's env store and reach functions", async () => {
    expect((await convex("env", "set", "CLI_ADMIN_VAR", "hello world")).code).toBe(0);
    expect(backend.env.all().CLI_ADMIN_VAR).toBe("hello world");
    expect(await admin.query(fn("notes:processEnv"), { name: "CLI_ADMIN_VAR" })).toBe("hello world");
    expect((await convex("env", "get", "CLI_ADMIN_VAR")).stdout.trim()).toBe("hello world");
    expect((await convex("env", "list")).stdout).toContain("CLI_ADMIN_VAR=hello world");
    expect((await convex("env", "remove", "CLI_ADMIN_VAR")).code).toBe(0);
    expect(backend.env.all().CLI_ADMIN_VAR).toBeUndefined();
    expect((await convex("env", "list")).stdout).not.toContain("CLI_ADMIN_VAR");
  });

  test("an invalid name is refused with the reason and changes nothing", async () => {
    const r = await convex("env", "set", "1BAD", "x");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Invalid environment variable name");
    expect(backend.env.all()["1BAD"]).toBeUndefined();
  });
});

describe("convex data", () => {
  test("lists the tables, then a table's documents", async () => {
    const a = await admin.mutation(fn("notes:add"), { title: "first", n: 1, big: 1n });
    const b = await admin.mutation(fn("notes:add"), { title: "second", n: 2, big: 2n });
    const tables = await convex("data");
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stdout.trim().split("\n")).toEqual(["notes", "tags"]);
    const docs = await convex("data", "notes", "--format", "jsonl");
    expect(docs.code, docs.stderr).toBe(0);
    // One document per line, printed by the CLI's own stringify (int64 as `2n`), newest first.
    const lines = docs.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`"_id": "${b}"`);
    expect(lines[0]).toContain('"big": 2n');
    expect(lines[0]).toContain('"title": "second"');
    expect(lines[1]).toContain(`"_id": "${a}"`);
    const limited = await convex("data", "notes", "--limit", "1", "--format", "jsonl");
    expect(limited.stdout.trim().split("\n")).toHaveLength(1);
  });
});

describe("export JSON (the snapshot value format)", () => {
  test("int64 and float64 stay apart through a round trip, including the edge values", () => {
    const value = {
      int: 3n,
      intMin: -(2n ** 63n),
      float: 3,
      negZero: -0,
      big: 1e21,
      nan: NaN,
      inf: -Infinity,
      bytes: new Uint8Array([1, 2, 3]).buffer,
      nested: [{ a: 1.5, b: [null, true, "x\n\"y\""] }],
    };
    const text = toExportJson(value);
    expect(text).toContain('"int":3,');
    expect(text).toContain('"float":3.0,');
    expect(text).toContain('"negZero":-0.0,');
    expect(parseExportJson(text)).toEqual(value);
    expect(Object.is((parseExportJson(text) as any).negZero, -0)).toBe(true);
  });

  test("malformed text and out-of-range integers are refused", () => {
    expect(() => parseExportJson('{"a": 1,}')).toThrow(SyntaxError);
    expect(() => parseExportJson('{"a": 1} x')).toThrow(/after the value/);
    expect(() => parseExportJson("9223372036854775808")).toThrow(/int64/);
  });
});

describe("convex export and import", () => {
  async function seed() {
    const first = await admin.mutation(fn("notes:add"), {
      title: "first",
      n: 3,
      big: 9007199254740993n,
      raw: new Uint8Array([0, 1, 255]).buffer,
    });
    await admin.mutation(fn("notes:add"), { title: "second", n: 0.25, big: -5n, ref: first });
    return await notes();
  }

  async function exportTo(name: string): Promise<string> {
    const file = path.join(tmp, name);
    const r = await convex("export", "--path", file);
    expect(r.code, r.stderr).toBe(0);
    return file;
  }

  test("export writes Convex's ZIP format; wipe then import restores the same ids and creation times", async () => {
    const before = await seed();
    const file = await exportTo("roundtrip.zip");
    const zip = unzipSync(readFileSync(file));
    expect(Object.keys(zip).sort()).toEqual(
      ["README.md", "_tables/documents.jsonl", "notes/documents.jsonl", "notes/generated_schema.jsonl", "tags/documents.jsonl", "tags/generated_schema.jsonl"].sort(),
    );
    expect(new TextDecoder().decode(zip["notes/generated_schema.jsonl"])).toBe('"uniform"\n');
    const tablesJsonl = new TextDecoder().decode(zip["_tables/documents.jsonl"]).trim().split("\n").map((l) => JSON.parse(l));
    expect(tablesJsonl.map((t) => t.name).sort()).toEqual(["notes", "tags"]);
    const lines = new TextDecoder().decode(zip["notes/documents.jsonl"]).trim().split("\n");
    // Export JSON: int64 as a bare integer, floats always with a dot, bytes as $bytes.
    const firstLine = lines.find((l) => l.includes('"first"'))!;
    expect(firstLine).toContain('"big":9007199254740993');
    expect(firstLine).toContain('"n":3.0');
    expect(firstLine).toContain('"raw":{"$bytes":"AAH/"}');

    await admin.mutation(fn("notes:clear"), {});
    expect(await notes()).toEqual([]);
    const r = await convex("import", "--yes", file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Added 2 documents");
    expect(await notes()).toEqual(before);
    // Writes after the import still work and get fresh ids.
    await admin.mutation(fn("notes:add"), { title: "third", n: 1, big: 1n });
    expect((await notes()).map((d) => d.title)).toEqual(["first", "second", "third"]);
  });

  test("modes: the default refuses a non-empty table, --append refuses existing ids, --replace replaces", async () => {
    const before = await seed();
    const file = await exportTo("modes.zip");
    await admin.mutation(fn("notes:retitle"), { id: before[0]._id, title: "changed" });
    const changed = await notes();

    const plain = await convex("import", "--yes", file);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("Table notes already exists. Please choose a new table name or use replace/append modes.");
    expect(await notes()).toEqual(changed);

    const append = await convex("import", "--append", "--yes", file);
    expect(append.code).toBe(1);
    // The first imported id that exists already is named (documents.jsonl is in id order).
    const named = /a document with _id (\w+) already exists/.exec(append.stderr);
    expect(before.map((d) => d._id)).toContain(named?.[1]);
    expect(await notes()).toEqual(changed);

    const replace = await convex("import", "--replace", "--yes", file);
    expect(replace.code, replace.stderr).toBe(0);
    expect(replace.stderr).toContain("notes | 2 existing, +2 added, -2 deleted");
    expect(await notes()).toEqual(before);
  });

  test("--append adds documents without ids next to the existing ones", async () => {
    const before = await seed();
    const file = path.join(tmp, "append.zip");
    writeFileSync(file, zipSync({ "notes/documents.jsonl": strToU8('{"title":"appended","n":4,"big":{"$integer":"AQAAAAAAAAA="}}\n') }));
    const r = await convex("import", "--append", "--yes", file);
    expect(r.code, r.stderr).toBe(0);
    const after = await notes();
    expect(after.slice(0, 2)).toEqual(before);
    expect(after[2]).toMatchObject({ title: "appended", n: 4, big: 1n });
  });

  test("--include-file-storage exports the files; wipe then import restores them with the same ids", async () => {
    const id = (await admin.action(fn("notes:storeText"), { text: "hello file" })) as string;
    const before = await admin.query(fn("notes:files"), {});
    expect(before).toHaveLength(1);
    const file = path.join(tmp, "storage.zip");
    const r = await convex("export", "--include-file-storage", "--path", file);
    expect(r.code, r.stderr).toBe(0);
    const zip = unzipSync(readFileSync(file));
    expect(new TextDecoder().decode(zip[`_storage/${id}`])).toBe("hello file");
    const meta = JSON.parse(new TextDecoder().decode(zip["_storage/documents.jsonl"]).trim());
    expect(meta).toMatchObject({ _id: id, _creationTime: before[0]._creationTime, sha256: before[0].sha256, size: 10, contentType: "text/plain" });

    // Without the flag, no file storage in the ZIP (Convex's default).
    const plainFile = path.join(tmp, "no-storage.zip");
    expect((await convex("export", "--path", plainFile)).code).toBe(0);
    expect(Object.keys(unzipSync(readFileSync(plainFile))).filter((k) => k.startsWith("_storage/"))).toEqual([]);

    const refused = await convex("import", "--yes", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Table _storage already exists");

    await admin.mutation(fn("notes:clear"), {});
    expect(await admin.query(fn("notes:files"), {})).toEqual([]);
    const imported = await convex("import", "--yes", file);
    expect(imported.code, imported.stderr).toBe(0);
    expect(await admin.query(fn("notes:files"), {})).toEqual(before);
    expect(await admin.action(fn("notes:readText"), { id })).toBe("hello file");
  });

  test("a file whose bytes do not match its sha256 fails the import: nothing is written", async () => {
    const id = (await admin.action(fn("notes:storeText"), { text: "original" })) as string;
    const file = path.join(tmp, "storage-bad.zip");
    expect((await convex("export", "--include-file-storage", "--path", file)).code).toBe(0);
    const zip = unzipSync(readFileSync(file));
    zip[`_storage/${id}`] = strToU8("tampered");
    zip["tags/documents.jsonl"] = strToU8('{"name":"t"}\n');
    writeFileSync(file, zipSync(zip));
    await admin.mutation(fn("notes:clear"), {});
    const r = await convex("import", "--yes", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`_storage/${id}: sha256 mismatch`);
    expect(await admin.query(fn("notes:files"), {})).toEqual([]);
    expect(await tags()).toEqual([]);
  });

  test("a malformed ZIP gets a clear error and changes nothing", async () => {
    const before = await seed();
    const file = path.join(tmp, "garbage.zip");
    writeFileSync(file, "this is not a zip archive");
    const r = await convex("import", "--replace", "--yes", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The file is not a valid ZIP archive");
    expect(await notes()).toEqual(before);
  });

  test("a malformed JSONL row or a schema violation fails the whole import: nothing is written", async () => {
    const file = path.join(tmp, "badrow.zip");
    writeFileSync(
      file,
      zipSync({
        "tags/documents.jsonl": strToU8('{"name":"ok"}\n'),
        "notes/documents.jsonl": strToU8('{"title":"ok","n":1,"big":{"$integer":"AQAAAAAAAAA="}}\n{"title": oops}\n'),
      }),
    );
    const bad = await convex("import", "--yes", file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("notes/documents.jsonl: Row 2 wasn't valid JSON");
    expect(await notes()).toEqual([]);
    expect(await tags()).toEqual([]);

    // Valid JSON, but `n` must be a number: the schema refuses it inside the import's transaction.
    writeFileSync(
      file,
      zipSync({
        "tags/documents.jsonl": strToU8('{"name":"ok"}\n'),
        "notes/documents.jsonl": strToU8('{"title":"ok","n":"one","big":{"$integer":"AQAAAAAAAAA="}}\n'),
      }),
    );
    const invalid = await convex("import", "--yes", file);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("does not match the schema");
    expect(await notes()).toEqual([]);
    expect(await tags()).toEqual([]);
  });
});

describe("convex logs", () => {
  test("streams the log lines of function calls made after it started, scheduled runs included", async () => {
    const child = spawn(process.execPath, [CONVEX_BIN, "logs", "--success"], { cwd: FIXTURE, env: cliEnv() });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const until = async (text: string) => {
      for (let i = 0; i < 300 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(text);
    };
    try {
      await until("Watching logs");
      // Let the first poll (which only fetches the cursor) finish before the call.
      await new Promise((r) => setTimeout(r, 1500));
      await admin.mutation(fn("notes:add"), { title: "logged", n: 1, big: 1n });
      await until("[CONVEX M(notes:add)] [LOG] 'added' 'logged'");
      await until("[CONVEX M(notes:add)] Function executed in");
      // A scheduled run is an execution too, with its own log lines.
      await admin.mutation(fn("notes:addLater"), { title: "scheduled", n: 1, big: 1n });
      await until("[CONVEX M(notes:add)] [LOG] 'added' 'scheduled'");
    } finally {
      child.kill();
    }
  });
});

// The components fixture: `counter` (with its child `ledger`, so `counter/ledger`) installed twice.
describe("components through the CLI", () => {
  const COMPONENTS = path.join(ROOT, "local-backend/test/fixtures-components");
  let cdata: string;
  let project: string;
  let cb: LocalBackend;
  let c: ConvexHttpClient;
  const cli = (...args: string[]) => convexAt(cb, project, args);
  type Counter = { _id: string; _creationTime: number; name: string; value: number };
  const state = async () => ({ app: await c.query(fn("app:appTables"), {}), ledger: await c.query(fn("app:ledger"), {}) });
  const componentAll = async (componentPath: string): Promise<Counter[]> => {
    const r = await cb.runner.runQuery("lib:all", {}, { componentPath, allowInternal: true });
    if (!r.ok) throw new Error(r.message);
    return JSON.parse(r.valueJson);
  };

  beforeAll(async () => {
    cdata = mkdtempSync(path.join(tmpdir(), "lb-cli-components-"));
    // The CLI wants a project folder with a package.json; the fixture's convex/ is linked in.
    project = mkdtempSync(path.join(tmpdir(), "lb-cli-components-project-"));
    writeFileSync(path.join(project, "package.json"), readFileSync(path.join(FIXTURE, "package.json")));
    symlinkSync(path.join(COMPONENTS, "convex"), path.join(project, "convex"), "dir");
    cb = await LocalBackend.start({ dataDir: cdata, convexDir: path.join(COMPONENTS, "convex"), port: 0, host: "127.0.0.1", crons: false });
    c = new ConvexHttpClient(cb.url, { logger: false });
    (c as any).setAdminAuth(cb.adminKey);
  }, 60_000);
  afterAll(async () => {
    await cb?.close();
    for (const d of [cdata, project]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test("run --component calls a component's public and internal functions as admin; others may not", async () => {
    const inc = await cli("run", "--component", "counter", "lib:increment", JSON.stringify({ name: "run", by: 2 }));
    expect(inc.code, inc.stderr).toBe(0);
    expect(JSON.parse(inc.stdout)).toBe(2);
    expect(await c.query(fn("app:count"), { name: "run" })).toBe(2);
    // The other instance of the same component has its own data.
    const other = await cli("run", "--component", "counter2", "lib:get", JSON.stringify({ name: "run" }));
    expect(JSON.parse(other.stdout)).toBe(0);
    const secret = await cli("run", "--component", "counter", "lib:secret");
    expect(secret.code, secret.stderr).toBe(0);
    expect(JSON.parse(secret.stdout)).toBe("secret");
    const nested = await cli("run", "--component", "counter/ledger", "lib:list");
    expect(JSON.parse(nested.stdout)).toContain("run+2");
    const missing = await cli("run", "--component", "nope", "lib:get", JSON.stringify({ name: "run" }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Could not find");
    // Without the admin key a component's function is out of reach.
    const res = await fetch(`${cb.url}/api/function`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: "lib:get", componentPath: "counter", args: { name: "run" }, format: "json" }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "BadAdminKey" });
  });

  test("data lists the app's tables, data --component a component's, and its documents", async () => {
    await c.mutation(fn("app:addNote"), { text: "listed" });
    const app = await cli("data");
    expect(app.code, app.stderr).toBe(0);
    expect(app.stdout.trim().split("\n")).toEqual(["counters", "notes"]);
    const comp = await cli("data", "--component", "counter");
    expect(comp.code, comp.stderr).toBe(0);
    expect(comp.stdout.trim().split("\n")).toEqual(["counters"]);
    expect((await cli("data", "--component", "counter/ledger")).stdout.trim().split("\n")).toEqual(["entries"]);
    const docs = await cli("data", "--component", "counter", "counters", "--format", "jsonl");
    expect(docs.code, docs.stderr).toBe(0);
    const ids = (await componentAll("counter")).filter((d) => d.name === "listed").map((d) => d._id);
    expect(ids).toHaveLength(1);
    expect(docs.stdout).toContain(`"_id": "${ids[0]}"`);
    expect(docs.stdout).toContain('"name": "listed"');
    // The app's table of the same name is the app's.
    const appDocs = await cli("data", "counters", "--format", "jsonl");
    expect(appDocs.stdout).toContain('"label": "listed"');
    expect(appDocs.stdout).not.toContain(ids[0]);
  });

  test("export puts component tables under _components/; import --replace-all restores them with their ids", async () => {
    await c.mutation(fn("app:addNote"), { text: "exported" });
    const before = { ...(await state()), counter: await componentAll("counter"), counter2: await componentAll("counter2") };
    expect(before.counter.length).toBeGreaterThan(0);
    const file = path.join(tmp, "components.zip");
    const r = await cli("export", "--path", file);
    expect(r.code, r.stderr).toBe(0);
    const zip = unzipSync(readFileSync(file));
    const names = Object.keys(zip);
    for (const f of [
      "_tables/documents.jsonl",
      "notes/documents.jsonl",
      "_components/counter/_tables/documents.jsonl",
      "_components/counter/counters/documents.jsonl",
      "_components/counter/counters/generated_schema.jsonl",
      "_components/counter/_components/ledger/entries/documents.jsonl",
      "_components/counter2/_tables/documents.jsonl",
    ]) {
      expect(names).toContain(f);
    }
    expect(names.filter((n) => n.includes("counter/") && !n.startsWith("_components/"))).toEqual([]);
    const componentTables = new TextDecoder().decode(zip["_components/counter/_tables/documents.jsonl"]).trim().split("\n").map((l) => JSON.parse(l));
    expect(componentTables.map((t) => t.name)).toEqual(["counters"]);
    const rows = new TextDecoder().decode(zip["_components/counter/counters/documents.jsonl"]).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((d) => d._id).sort()).toEqual(before.counter.map((d) => d._id).sort());

    // Change the app and both levels of the component, then restore the export.
    await c.mutation(fn("app:addNote"), { text: "after export" });
    expect(await componentAll("counter")).not.toEqual(before.counter);
    const imported = await cli("import", "--replace-all", "--yes", file);
    expect(imported.code, imported.stderr).toBe(0);
    expect(await componentAll("counter")).toEqual(before.counter);
    expect(await componentAll("counter2")).toEqual(before.counter2);
    const after = await state();
    expect(after.app).toEqual(before.app);
    expect(after.ledger).toEqual(before.ledger);
    // The component keeps working on the restored data.
    expect(await c.mutation(fn("app:addNote"), { text: "exported" })).toBe(2);
  });

  test("a bad component row fails the whole import; an unknown component is refused by name", async () => {
    const before = { app: await c.query(fn("app:appTables"), {}), counter: await componentAll("counter") };
    const file = path.join(tmp, "components-bad.zip");
    writeFileSync(
      file,
      zipSync({
        "notes/documents.jsonl": strToU8('{"text":"should not land"}\n'),
        "_components/counter/counters/documents.jsonl": strToU8('{"name":"bad","value":"not a number"}\n'),
      }),
    );
    const bad = await cli("import", "--append", "--yes", file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("does not match the schema");
    expect(await c.query(fn("app:appTables"), {})).toEqual(before.app);
    expect(await componentAll("counter")).toEqual(before.counter);

    writeFileSync(file, zipSync({ "_components/nope/things/documents.jsonl": strToU8('{"a":1}\n') }));
    const unknown = await cli("import", "--append", "--yes", file);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('there is no component "nope"');

    // --component imports the ZIP's root into that component.
    writeFileSync(file, zipSync({ "counters/documents.jsonl": strToU8('{"name":"via flag","value":7}\n') }));
    const flagged = await cli("import", "--component", "counter2", "--append", "--yes", file);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect((await componentAll("counter2")).map((d) => [d.name, d.value])).toContainEqual(["via flag", 7]);
    expect(await c.query(fn("app:count"), { name: "via flag", component: "counter2" })).toBe(7);
    expect((await componentAll("counter")).map((d) => d.name)).not.toContain("via flag");
  });
});
