/**
 * Components through the official CLI (issue #13 items 1, 2 and 7): `npx convex dev --once` pushes
 * an app with two local components (`counter`, installed twice, itself installing `ledger`) to a
 * local backend on 127.0.0.1; the app's functions call into them through the real
 * ConvexHttpClient, the CLI's codegen writes the typed `components` object from the backend's
 * `start_push` analysis, and a push with a broken component changes nothing.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../../local-backend/src/backend";
import { officialCliEnv } from "../../local-backend/src/officialCli";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "node_modules/convex/bin/main.js");
const api = anyApi as any;

/** Runs the CLI in `cwd` against the backend; resolves with its exit code and output, never throws. */
async function cli(cwd: string, backend: LocalBackend, args: string[]): Promise<{ code: number; output: string }> {
  const env = officialCliEnv(backend);
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd, env, timeout: 90_000 });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (e: any) {
    return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.message}` };
  }
}

describe("components through the official CLI", () => {
  let backend: LocalBackend;
  let dataDir: string;
  let app: string;
  let client: ConvexHttpClient;
  const dev = () => cli(app, backend, ["dev", "--once", "--typecheck", "disable"]);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "cli-components-data-"));
    app = mkdtempSync(path.join(os.tmpdir(), "cli-components-app-"));
    cpSync(path.join(__dirname, "fixtures/cli-components"), app, { recursive: true });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(app, "node_modules"));
    backend = await LocalBackend.start({ dataDir, port: 0, scheduler: false, crons: false });
    client = new ConvexHttpClient(backend.url);
  });

  afterAll(async () => {
    await backend?.close();
    rmSync(app, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("dev --once installs the tree; app functions call the components and their nested one", async () => {
    const r = await dev();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("Installed component counter.");
    expect(r.output).toContain("Installed component counter/ledger.");
    expect(r.output).toContain("Installed component second/ledger.");
    expect(await client.mutation(api.app.bump, { name: "a" })).toBe(1);
    expect(await client.mutation(api.app.bump, { name: "a" })).toBe(2);
    // A failing app mutation rolls back the component writes it made.
    await expect(client.mutation(api.app.bump, { name: "a", fail: true })).rejects.toThrow("bump failed after the component's write");
    // `second` is another instance of the same definition: its own tables, untouched.
    expect(await client.query(api.app.read, { name: "a" })).toEqual({ counter: 2, second: 0, ledger: ["a+1", "a+1"], notes: 2 });
    // Component functions are not callable by clients; only the app's public functions are.
    await expect(client.query("counter/lib:get" as any, { name: "a" })).rejects.toThrow(/Could not find public function/);
  });

  test("codegen writes the typed components object from the push's analysis", async () => {
    rmSync(path.join(app, "convex/_generated"), { recursive: true, force: true });
    rmSync(path.join(app, "components/counter/_generated"), { recursive: true, force: true });
    const r = await cli(app, backend, ["codegen", "--typecheck", "disable"]);
    expect(r.code, r.output).toBe(0);
    const rootApi = readFileSync(path.join(app, "convex/_generated/api.d.ts"), "utf8");
    expect(rootApi).toContain("export declare const components: {");
    expect(rootApi).toMatch(/counter: import\("\.\.\/\.\.\/components\/counter\/_generated\/component\.js"\)\.ComponentApi<"counter">/);
    expect(rootApi).toMatch(/second: import\("\.\.\/\.\.\/components\/counter\/_generated\/component\.js"\)\.ComponentApi<"second">/);
    // The component's API: its public functions with their argument and return types; internal ones left out.
    const counterApi = readFileSync(path.join(app, "components/counter/_generated/component.ts"), "utf8").replace(/\s+/g, " ");
    expect(counterApi).toMatch(/increment: FunctionReference< "mutation", "internal", \{ by: number; name: string \}, number, Name >/);
    expect(counterApi).toMatch(/get: FunctionReference< "query", "internal", \{ name: string \}, number, Name >/);
    expect(counterApi).not.toContain("reset");
    // counter's own components object names its nested ledger.
    const counterComponents = readFileSync(path.join(app, "components/counter/_generated/api.ts"), "utf8");
    expect(counterComponents).toMatch(/ledger: import\("\.\.\/\.\.\/components\/ledger\/_generated\/component\.js"\)\.ComponentApi<"ledger">/);
    // codegen deploys nothing: the functions and data are as before.
    expect(await client.query(api.app.read, { name: "a" })).toMatchObject({ counter: 2, ledger: ["a+1", "a+1"] });
  });

  test("a component module that throws while loading refuses the whole push; the old tree keeps serving", async () => {
    const broken = path.join(app, "components/ledger/broken.ts");
    writeFileSync(broken, 'throw new Error("ledger module broken on purpose");\nexport {};\n');
    // The app's own change in the same push must not be installed either.
    writeFileSync(path.join(app, "convex/extra.ts"), 'import { queryGeneric } from "convex/server";\nexport const ping = queryGeneric({ args: {}, handler: async () => "pong" });\n');
    try {
      const r = await dev();
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("ledger module broken on purpose");
      await expect(client.query(api.extra.ping, {})).rejects.toThrow(/Could not find public function/);
      expect(await client.mutation(api.app.bump, { name: "b" })).toBe(1);
      expect(await client.query(api.app.read, { name: "b" })).toMatchObject({ counter: 1, ledger: ["a+1", "a+1", "b+1"] });
    } finally {
      rmSync(broken, { force: true });
      rmSync(path.join(app, "convex/extra.ts"), { force: true });
    }
  });

  test("a component schema that breaks Convex's index rules refuses the whole push", async () => {
    const schema = path.join(app, "components/counter/schema.ts");
    const original = readFileSync(schema, "utf8");
    writeFileSync(schema, original.replace('.index("by_name", ["name"])', '.index("by_id", ["name"])'));
    try {
      const r = await dev();
      expect(r.code).not.toBe(0);
      expect(r.output).toContain('cannot name an index "by_id" because the name is reserved');
      expect(await client.query(api.app.read, { name: "b" })).toMatchObject({ counter: 1 });
    } finally {
      writeFileSync(schema, original);
    }
  });

  test("after a restart the pushed components are loaded again with their data", async () => {
    await backend.close();
    backend = await LocalBackend.start({ dataDir, port: 0, scheduler: false, crons: false });
    client = new ConvexHttpClient(backend.url);
    expect(await client.query(api.app.read, { name: "a" })).toEqual({ counter: 2, second: 0, ledger: ["a+1", "a+1", "b+1"], notes: 3 });
    expect(await client.mutation(api.app.bump, { name: "a" })).toBe(3);
  });
});
