// Over 400 lines: every rule of loading a convex/ folder (entries, bundling, built-ins, use node, reloads) on real folders.
// Loading a `convex/` folder the way `npx convex dev` would: entry discovery, module paths,
// Node built-in refusal, "use node" rules, and reloading on file changes.
// Reference: ../shared/reference/convex-backend-facts.md §3.17.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { LocalBackend } from "../src/backend.js";

// Apps live in a temp dir; a node_modules link lets their imports of `convex/server` resolve.
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE_ROOT = mkdtempSync(path.join(tmpdir(), "lb-loader-"));
symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(FILE_ROOT, "node_modules"), "dir");

const running: LocalBackend[] = [];

afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

afterAll(() => {
  // Remove the node_modules link first, so nothing could ever descend into the real one.
  unlinkSync(path.join(FILE_ROOT, "node_modules"));
  rmSync(FILE_ROOT, { recursive: true, force: true });
});

let appCounter = 0;

/** Writes `files` (paths relative to convex/) into a fresh app folder. */
function writeApp(files: Record<string, string>) {
  const dir = path.join(FILE_ROOT, `app${++appCounter}`);
  const convexDir = path.join(dir, "convex");
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(convexDir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  mkdirSync(convexDir, { recursive: true });
  return { convexDir, dataDir: path.join(dir, "data") };
}

async function startApp(files: Record<string, string>, opts: { watch?: boolean; dev?: boolean; limits?: false } = {}) {
  const app = writeApp(files);
  const backend = await LocalBackend.start({ ...app, port: 0, host: "127.0.0.1", ...opts });
  running.push(backend);
  return { backend, ...app, client: new ConvexHttpClient(backend.url, { logger: false }) };
}

/** `LocalBackend.start` on these files must fail; returns the error. */
async function startFails(files: Record<string, string>): Promise<Error> {
  const app = writeApp(files);
  let backend: LocalBackend | undefined;
  try {
    backend = await LocalBackend.start({ ...app, port: 0, host: "127.0.0.1" });
  } catch (e) {
    return e as Error;
  }
  running.push(backend);
  throw new Error(`LocalBackend.start succeeded; functions: ${[...backend.runner.app.functions.keys()].join(", ")}`);
}

const QUERY = (value: string) =>
  `import { queryGeneric } from "convex/server";\nexport default queryGeneric({ args: {}, handler: async () => ${JSON.stringify(value)} });\n`;

const named = (name: string, value: string, builder = "queryGeneric") =>
  `import { ${builder} } from "convex/server";\nexport const ${name} = ${builder}({ args: {}, handler: async () => ${JSON.stringify(value)} });\n`;

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      lastError = undefined;
      if (done(last)) return last;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}; last value ${JSON.stringify(last)}, last error ${String(lastError)}`);
}

describe("entry discovery and module paths", () => {
  test("skips _generated/, schema.ts, *.test.ts, auth.config.ts, dotfiles and other non-entries", async () => {
    const { backend, client } = await startApp({
      "_generated/server.ts": named("gen", "from _generated"),
      "_generated/api.js": named("genApi", "from _generated api"),
      "schema.ts":
        `import { defineSchema, defineTable, queryGeneric } from "convex/server";\nimport { v } from "convex/values";\n` +
        `export const fromSchema = queryGeneric({ args: {}, handler: async () => "schema" });\n` +
        `export default defineSchema({ notes: defineTable({ text: v.string() }) });\n`,
      "things.test.ts": named("fromTest", "test file") + `import "node:fs";\n`,
      "auth.config.ts":
        `import { queryGeneric } from "convex/server";\n` +
        `export const fromAuthConfig = queryGeneric({ args: {}, handler: async () => "auth" });\n` +
        `export default { providers: [] };\n`,
      ".hidden.ts": named("dot", "dotfile"),
      ".hiddenDir/inside.ts": named("dotDir", "dot dir"),
      "#scratch.ts": named("hash", "hash file"),
      "has space.ts": named("spaced", "space"),
      "notes.md": "# not code\n",
      "types.d.ts": "export type T = number;\n",
      "public.ts":
        `import { queryGeneric, internalQueryGeneric, mutationGeneric } from "convex/server";\n` +
        `export const hello = queryGeneric({ args: {}, handler: async () => "hello" });\n` +
        `export const secret = internalQueryGeneric({ args: {}, handler: async () => "secret" });\n` +
        `export const write = mutationGeneric({ args: {}, handler: async () => "written" });\n` +
        `export const notAFunction = 42;\n` +
        `export function helper() { return "plain helper"; }\n`,
      "plain.js": named("fromJs", "javascript module"),
      "folder/file.ts": named("fn", "folder/file"),
      "folder/deeper/mod.ts": QUERY("deep default"),
      "defaulty.ts": QUERY("the default export"),
    });
    expect([...backend.runner.app.functions.keys()].sort()).toEqual(
      [
        "defaulty:default",
        "folder/deeper/mod:default",
        "folder/file:fn",
        "plain:fromJs",
        "public:hello",
        "public:secret",
        "public:write",
      ].sort(),
    );

    await expect(client.query(anyApi.folder.file.fn, {})).resolves.toBe("folder/file");
    await expect(client.query(anyApi.public.hello, {})).resolves.toBe("hello");
    await expect(client.mutation(anyApi.public.write, {})).resolves.toBe("written");
    await expect(client.query(anyApi.plain.fromJs, {})).resolves.toBe("javascript module");
    for (const p of ["_generated/server:gen", "schema:fromSchema", "things.test:fromTest", "auth.config:fromAuthConfig", "public:helper", "public:notAFunction"]) {
      const res = await fetch(`${backend.url}/api/query`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: p, args: {}, format: "json" }),
      });
      const body = await res.json();
      expect(body.status, p).toBe("error");
      expect(body.errorMessage, p).toContain("Could not find public function");
    }
  });

  test("a default export is callable by the module path alone", async () => {
    const { backend, client } = await startApp({ "defaulty.ts": QUERY("the default export"), "folder/deeper/mod.ts": QUERY("deep") });
    await expect(client.query(anyApi.defaulty.default, {})).resolves.toBe("the default export");
    await expect(client.query(anyApi.folder.deeper.mod.default, {})).resolves.toBe("deep");
    for (const p of ["defaulty", "defaulty:default", "defaulty.js"]) {
      const res = await fetch(`${backend.url}/api/query`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: p, args: [{}], format: "json" }),
      });
      expect(await res.json(), p).toEqual({ status: "success", value: "the default export" });
    }
    const run = await fetch(`${backend.url}/api/run/folder/deeper/mod`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ args: {}, format: "json" }),
    });
    // `/api/run/folder/deeper/mod` is `folder/deeper:mod`, which does not exist.
    expect((await run.json()).status).toBe("error");
  });

  test("a hyphenated file name is refused with Convex's module path error", async () => {
    const err = await startFails({ "ok.ts": named("fine", "fine"), "my-module.ts": named("fn", "x") });
    expect(err.message).toContain("my-module");
    expect(err.message).toContain("can only contain alphanumeric characters, underscores, or periods");
  });

  test("a hyphenated folder name is refused too", async () => {
    const err = await startFails({ "my-folder/mod.ts": named("fn", "x") });
    expect(err.message).toContain("my-folder");
    expect(err.message).toContain("can only contain alphanumeric characters, underscores, or periods");
  });
});

describe("Node built-ins and \"use node\"", () => {
  test.each([
    ["node:fs", `import { readFileSync } from "node:fs";\nexport const x = typeof readFileSync;\n`],
    ["fs", `import fs from "fs";\nexport const x = typeof fs;\n`],
    ["crypto", `import { createHash } from "crypto";\nexport const x = typeof createHash;\n`],
    ["node:fs/promises", `import { readFile } from "node:fs/promises";\nexport const x = typeof readFile;\n`],
  ])("a default-runtime module importing %s is refused, naming the file and the import", async (spec, imp) => {
    const err = await startFails({
      "good.ts": named("fine", "fine"),
      "bad.ts": imp + named("q", "never"),
    });
    expect(err.message).toContain("bad.ts");
    expect(err.message).toContain(`"${spec}"`);
  });

  test("an indirect import of a Node built-in names the importing helper file", async () => {
    const err = await startFails({
      "lib/helper.ts": `import { tmpdir } from "node:os";\nexport const where = () => tmpdir();\n`,
      "uses.ts": `import { where } from "./lib/helper";\n` + named("q", "x") + `export const w = where;\n`,
    });
    expect(err.message).toContain("helper.ts");
    expect(err.message).toContain('"node:os"');
  });

  test("a built-in that the importing package's browser field maps to false is an empty module, as in Convex's bundler", async () => {
    // postcss (under sanitize-html) does this: `"browser": { "fs": false, "path": false }`.
    const { client } = await startApp({
      "../vendor/mapped/package.json": JSON.stringify({ name: "mapped", main: "index.js", browser: { fs: false } }),
      "../vendor/mapped/index.js": `const fs = require("fs");\nexports.kind = typeof fs.readFileSync;\n`,
      "uses.ts": `import { queryGeneric } from "convex/server";\nimport { kind } from "../vendor/mapped/index.js";\nexport const k = queryGeneric({ args: {}, handler: async () => kind });\n`,
    });
    expect(await client.query(anyApi.uses.k, {})).toBe("undefined");
    // Without the mapping the same import is refused.
    const err = await startFails({
      "../vendor/unmapped/package.json": JSON.stringify({ name: "unmapped", main: "index.js" }),
      "../vendor/unmapped/index.js": `const fs = require("fs");\nexports.kind = typeof fs.readFileSync;\n`,
      "uses.ts": `import { queryGeneric } from "convex/server";\nimport { kind } from "../vendor/unmapped/index.js";\nexport const k = queryGeneric({ args: {}, handler: async () => kind });\n`,
    });
    expect(err.message).toContain('"fs"');
  });

  test("a \"use node\" module may import node:crypto and export actions, which run", async () => {
    const { client } = await startApp({
      "nodeStuff.ts":
        `"use node";\n` +
        `import { createHash, randomUUID } from "node:crypto";\n` +
        `import { actionGeneric, internalActionGeneric } from "convex/server";\n` +
        `import { v } from "convex/values";\n` +
        `export const hash = actionGeneric({ args: { s: v.string() }, handler: async (_ctx, { s }) => createHash("sha256").update(s).digest("hex") });\n` +
        `export const uuid = internalActionGeneric({ args: {}, handler: async () => randomUUID().length });\n`,
      "caller.ts":
        `import { actionGeneric, makeFunctionReference } from "convex/server";\n` +
        `export const viaIsolate = actionGeneric({ args: {}, handler: async (ctx): Promise<number> => ctx.runAction(makeFunctionReference<"action">("nodeStuff:uuid"), {}) });\n`,
    });
    await expect(client.action(anyApi.nodeStuff.hash, { s: "abc" })).resolves.toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    await expect(client.action(anyApi.caller.viaIsolate, {})).resolves.toBe(36);
    await expect(client.action(anyApi.nodeStuff.uuid, {})).rejects.toThrow("Could not find public function for 'nodeStuff:uuid'");
  });

  test("\"use node\" modules are analyzed in a worker, never loaded in the backend's own thread; their top-level errors still refuse the app", async () => {
    const { client } = await startApp({
      "nodeSide.ts":
        `"use node";\n` +
        `import { actionGeneric } from "convex/server";\n` +
        `(globalThis as any).__loadedBy = ((globalThis as any).__loadedBy ?? 0) + 1;\n` +
        `export const seen = actionGeneric({ args: {}, handler: async () => [(globalThis as any).__loadedBy, "require" in globalThis, typeof module, typeof __dirname] });\n`,
    });
    // Loaded once, in the worker that runs it (its count is its own), and never here.
    expect((globalThis as any).__loadedBy).toBeUndefined();
    // No CommonJS globals, as in Convex's Node runtime (a worker started from source would have them;
    // `typeof require` itself is esbuild's __require shim, there as on Convex).
    await expect(client.action(anyApi.nodeSide.seen, {})).resolves.toEqual([1, false, "undefined", "undefined"]);
    // Without an isolate pool (`limits: false`) the function is loaded here when it first runs.
    const inProcess = await startApp({ "nodeSide.ts": `"use node";\nimport { actionGeneric } from "convex/server";\nexport const one = actionGeneric({ args: {}, handler: async () => 1 });\n` }, { limits: false });
    await expect(inProcess.client.action(anyApi.nodeSide.one, {})).resolves.toBe(1);
    const err = await startFails({
      "nodeBoom.ts": `"use node";\nimport { actionGeneric } from "convex/server";\nthrow new Error("boom at the top");\nexport const a = actionGeneric({ args: {}, handler: async () => 1 });\n`,
    });
    expect(err.message).toBe("Failed to analyze nodeBoom.js: boom at the top");
  });

  test("a \"use node\" directive after comments still counts", async () => {
    const { client } = await startApp({
      "commented.ts":
        `// Runs in Node.\n/* block\n comment */\n'use node';\n` +
        `import { hostname } from "node:os";\n` +
        `import { actionGeneric } from "convex/server";\n` +
        `export const host = actionGeneric({ args: {}, handler: async () => typeof hostname() });\n`,
    });
    await expect(client.action(anyApi.commented.host, {})).resolves.toBe("string");
  });

  test.each(["queryGeneric", "mutationGeneric", "internalMutationGeneric"])(
    "a \"use node\" module exporting %s is refused",
    async (builder) => {
      const err = await startFails({
        "nodeMixed.ts":
          `"use node";\n` +
          `import { actionGeneric, ${builder} } from "convex/server";\n` +
          `export const act = actionGeneric({ args: {}, handler: async () => 1 });\n` +
          `export const notAllowed = ${builder}({ args: {}, handler: async () => 2 });\n`,
      });
      expect(err.message).toContain("nodeMixed");
      expect(err.message).toContain("notAllowed");
      expect(err.message).toMatch(/use node/i);
    },
  );
});

describe("watch mode", () => {
  test("reloads after an edit, keeps serving through a broken edit, and recovers", async () => {
    const { convexDir, client } = await startApp({ "live.ts": QUERY("v1"), "stable.ts": named("same", "stable") }, { watch: true });
    const live = () => client.query(anyApi.live.default, {});
    await expect(live()).resolves.toBe("v1");

    writeFileSync(path.join(convexDir, "live.ts"), QUERY("v2"));
    await waitFor(live, (v) => v === "v2", "the edit to be served");

    // A syntax error: the reload fails and the previous functions keep serving.
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      writeFileSync(path.join(convexDir, "live.ts"), `export default {{{ not typescript`);
      await waitFor(
        async () => errors.mock.calls.map((c) => c.join(" ")).join("\n"),
        (text) => text.includes("reload failed"),
        "the failed reload to be reported",
      );
      await expect(live()).resolves.toBe("v2");
      await expect(client.query(anyApi.stable.same, {})).resolves.toBe("stable");

      // A Node built-in in a default-runtime module is a broken edit as well.
      errors.mockClear();
      writeFileSync(path.join(convexDir, "live.ts"), `import "node:fs";\n` + QUERY("v-with-fs"));
      await waitFor(
        async () => errors.mock.calls.map((c) => c.join(" ")).join("\n"),
        (text) => text.includes("reload failed"),
        "the refused reload to be reported",
      );
      await expect(live()).resolves.toBe("v2");
    } finally {
      errors.mockRestore();
    }

    // Fixing the file brings the app back.
    writeFileSync(path.join(convexDir, "live.ts"), QUERY("v3"));
    await waitFor(live, (v) => v === "v3", "the fixed edit to be served");
  });

  test("added modules become callable and removed modules disappear", async () => {
    const { convexDir, client } = await startApp({ "base.ts": named("x", "base") }, { watch: true });
    writeFileSync(path.join(convexDir, "added.ts"), named("y", "added later"));
    await waitFor(
      () => client.query(anyApi.added.y, {}),
      (v) => v === "added later",
      "the new module to be served",
    );
    unlinkSync(path.join(convexDir, "added.ts"));
    await waitFor(
      () => client.query(anyApi.added.y, {}).then(() => "still there", (e: Error) => e.message),
      (v) => v.includes("Could not find public function for 'added:y'"),
      "the removed module to disappear",
    );
    await expect(client.query(anyApi.base.x, {})).resolves.toBe("base");
  });
});

// Issue #13 item 3: only exports the `convex` builders registered count as functions (Convex's
// analysis checks `isQuery`/`isMutation`/`isAction` with `in`, crates/isolate analyze.rs), and a
// module that fails is reported by path: dev leaves it out, a deploy refuses the app.
describe("which exports are functions", () => {
  test("proxies, plain objects, classes, helpers and HTTP actions are ignored; registered functions load", async () => {
    const { backend, client } = await startApp({
      "mixed.ts":
        `import { anyApi, componentsGeneric, httpActionGeneric, queryGeneric } from "convex/server";\n` +
        `export const real = queryGeneric({ args: {}, handler: async () => "real" });\n` +
        `export const components = componentsGeneric();\n` +
        `export const foo = componentsGeneric().foo;\n` +
        `export const apiRef = anyApi.mixed.real;\n` +
        `export const everything = new Proxy(function () {}, { has: () => true, get: () => () => "x" });\n` +
        `export const hostile = new Proxy({}, { has() { throw new Error("has trap"); }, get() { throw new Error("get trap"); } });\n` +
        `export const settings = { limit: 5, nested: { isQuery: true } };\n` +
        `export class Repo { static isPublic = true; find() { return 1; } }\n` +
        `export function helper() { return "helper"; }\n` +
        `export const webhook = httpActionGeneric(async () => new Response("ok"));\n`,
    });
    expect([...backend.runner.app.functions.keys()]).toEqual(["mixed:real"]);
    await expect(client.query(anyApi.mixed.real, {})).resolves.toBe("real");
    for (const name of ["components", "foo", "apiRef", "everything", "hostile", "settings", "Repo", "helper", "webhook"]) {
      await expect(client.query(anyApi.mixed[name], {}), name).rejects.toThrow(`Could not find public function for 'mixed:${name}'`);
    }
  });

  test("an export that claims to be a query but is no function refuses the deploy with Convex's text", async () => {
    const err = await startFails({
      "ok.ts": named("fine", "fine"),
      "fake.ts": `export const pretend = { isQuery: true, isPublic: true };\n`,
    });
    expect(err.message).toContain("fake.js:pretend is not a function.");
  });

  test("an exportArgs that is neither a function nor undefined refuses the deploy", async () => {
    const err = await startFails({
      "odd.ts":
        `import { queryGeneric } from "convex/server";\n` +
        `const q = queryGeneric({ args: {}, handler: async () => 1 });\n` +
        `(q as any).exportArgs = "nope";\n` +
        `export const broken = q;\n`,
    });
    expect(err.message).toContain("odd.js:broken.exportArgs is not a function or `undefined`.");
  });
});

describe("a module that fails to load", () => {
  const BROKEN = {
    "good.ts": named("ok", "still here"),
    "throws.ts": `throw new Error("boom at import");\n` + named("never", "never"),
    "syntax.ts": `export const {{{ not typescript`,
    "nodeish.ts": `import "node:fs";\n` + named("fs", "never"),
  };

  test("a deploy (no dev option) refuses the whole app, naming the module and its error", async () => {
    const err = await startFails({ "good.ts": BROKEN["good.ts"], "throws.ts": BROKEN["throws.ts"] });
    expect(err.message).toBe("Failed to analyze throws.js: boom at import");
    const bundleErr = await startFails({ "good.ts": BROKEN["good.ts"], "syntax.ts": BROKEN["syntax.ts"] });
    expect(bundleErr.message).toContain("syntax.ts");
  });

  test("in dev it is reported by path and left out, and the other modules serve", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { backend, client } = await startApp(BROKEN, { dev: true });
      await expect(client.query(anyApi.good.ok, {})).resolves.toBe("still here");
      const reported = backend.runner.app.moduleErrors ?? [];
      expect(reported.map((m) => m.file).sort()).toEqual(["nodeish.ts", "syntax.ts", "throws.ts"]);
      expect(reported.find((m) => m.file === "throws.ts")!.message).toBe("Failed to analyze throws.js: boom at import");
      expect(reported.find((m) => m.file === "nodeish.ts")!.message).toContain('"node:fs"');
      expect(reported.find((m) => m.file === "syntax.ts")!.message).toMatch(/syntax\.ts:1: /);
      const printed = errors.mock.calls.map((c) => c.join(" ")).join("\n");
      for (const file of ["throws.ts", "syntax.ts", "nodeish.ts"]) expect(printed).toContain(`${file} failed to load`);
      await expect(client.query(anyApi.throws.never, {})).rejects.toThrow("Could not find public function for 'throws:never'");
    } finally {
      errors.mockRestore();
    }
  });

  test("a watch reload keeps the previous version of a module that starts failing, and updates the others", async () => {
    const { convexDir, client } = await startApp({ "live.ts": QUERY("v1"), "other.ts": QUERY("o1") }, { watch: true });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      writeFileSync(path.join(convexDir, "live.ts"), `throw new Error("broken edit");\n` + QUERY("v2"));
      writeFileSync(path.join(convexDir, "other.ts"), QUERY("o2"));
      await waitFor(() => client.query(anyApi.other.default, {}), (v) => v === "o2", "the other module's edit to be served");
      await expect(client.query(anyApi.live.default, {})).resolves.toBe("v1");
      const printed = errors.mock.calls.map((c) => c.join(" ")).join("\n");
      expect(printed).toContain("live.ts failed to load; reload failed for it, still serving its previous functions");
      expect(printed).toContain("Failed to analyze live.js: broken edit");
    } finally {
      errors.mockRestore();
    }
  });
});

describe("convex-test style modules (import.meta.glob)", () => {
  test("a module whose top-level code throws is named in the error", async () => {
    const dataDir = path.join(FILE_ROOT, `glob${++appCounter}`);
    const modules = {
      "/app/convex/_generated/api.js": async () => ({}),
      "/app/convex/fine.ts": async () => ({}),
      "/app/convex/dir/broken.ts": async () => {
        throw new Error("boom in glob module");
      },
    };
    await expect(LocalBackend.start({ dataDir, modules })).rejects.toThrow("Failed to analyze dir/broken.js: boom in glob module");
  });
});
