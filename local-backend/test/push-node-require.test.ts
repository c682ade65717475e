/**
 * "use node" modules and CommonJS packages that require() Node built-ins, as on Convex: the CLI's
 * ESM bundles have no require(), so such a package loads only when convex.json names it in
 * `node.externalPackages`; the CLI then pushes `nodeDependencies` and the backend "installs" them
 * from the project's node_modules (runtime/pushDeps.ts), with the exact version, across restarts.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend";
import { officialCliEnv } from "../src/officialCli";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "node_modules/convex/bin/main.js");
const api = anyApi as any;
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** A CommonJS package whose code requires the `events` built-in, installed at `version` under `dir`. */
function installFakePackage(dir: string, version: string) {
  const pkg = path.join(dir, "node_modules", "cjs-builtin-user");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "cjs-builtin-user", version, main: "index.js" }));
  writeFileSync(
    path.join(pkg, "index.js"),
    `const { EventEmitter } = require("events");
exports.echo = (v) => { const e = new EventEmitter(); let got = null; e.on("x", (x) => (got = x)); e.emit("x", v); return got + " @" + ${JSON.stringify(version)}; };`,
  );
}

/** A project with one "use node" action using the package; convex.json lists it if `external`. */
function project(external: boolean): string {
  const dir = temp("push-ext-app-");
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "ext-app", private: true, type: "module", dependencies: { convex: "*", "cjs-builtin-user": "1.0.0" } }));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(path.join(ROOT, "node_modules/convex"), path.join(dir, "node_modules/convex"));
  installFakePackage(dir, "1.0.0");
  mkdirSync(path.join(dir, "convex"));
  writeFileSync(
    path.join(dir, "convex/act.ts"),
    `"use node";
import { actionGeneric } from "convex/server";
import { v } from "convex/values";
import dep from "cjs-builtin-user";
export const echo = actionGeneric({ args: { v: v.string() }, handler: async (_ctx, { v }) => dep.echo(v) });
`,
  );
  if (external) writeFileSync(path.join(dir, "convex.json"), JSON.stringify({ node: { externalPackages: ["cjs-builtin-user"] } }));
  return dir;
}

function push(cwd: string, backend: LocalBackend): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, "dev", "--once", "--typecheck", "disable"], {
    cwd,
    env: officialCliEnv({ url: backend.url, adminKey: backend.adminKey }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

const start = (dataDir: string, projectDir: string) => LocalBackend.start({ dataDir, projectDir, port: 0, host: "127.0.0.1", scheduler: false, crons: false });

describe("external packages of \"use node\" modules (convex.json node.externalPackages)", () => {
  test("without externalPackages, a CommonJS require of a built-in fails the push with Convex's error", async () => {
    const app = project(false);
    const backend = await start(temp("push-ext-data-"), app);
    try {
      const r = await push(app, backend);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("Failed to analyze act.js");
      expect(r.output).toContain('Dynamic require of "events" is not supported');
    } finally {
      await backend.close();
    }
  }, 120_000);

  test("with externalPackages the CLI pushes nodeDependencies, the action runs, and a restart keeps it working", async () => {
    const app = project(true);
    const dataDir = temp("push-ext-data-");
    let backend = await start(dataDir, app);
    try {
      const r = await push(app, backend);
      expect(r.code, r.output).toBe(0);
      expect(await new ConvexHttpClient(backend.url).action(api.act.echo, { v: "hi" })).toBe("hi @1.0.0");
      const hashes = await fetch(`${backend.url}/api/get_config_hashes`, { method: "POST", body: JSON.stringify({ adminKey: backend.adminKey, version: "1.48.0" }) }).then((x) => x.json());
      expect(hashes.nodeDependencies).toEqual([{ name: "cjs-builtin-user", version: "1.0.0" }]);
      // A second push with nothing changed still succeeds (the CLI diffs against the installed list).
      expect((await push(app, backend)).code).toBe(0);

      await backend.close();
      backend = await start(dataDir, app);
      expect(await new ConvexHttpClient(backend.url).action(api.act.echo, { v: "again" })).toBe("again @1.0.0");

      // A link lost from the data dir is made again on start, from the project.
      const links = path.join(dataDir, "modules");
      const pushFolder = readdirSync(links).find((n) => n.startsWith("local-backend-build-push-"))!;
      const link = path.join(links, pushFolder, "node_modules", "cjs-builtin-user");
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      await backend.close();
      rmSync(link);
      backend = await start(dataDir, app);
      expect(existsSync(link)).toBe(true);
      expect(await new ConvexHttpClient(backend.url).action(api.act.echo, { v: "relinked" })).toBe("relinked @1.0.0");
    } finally {
      await backend.close();
    }
  }, 180_000);

  test("a version the backend's project does not have fails the push with how to fix it", async () => {
    const app = project(true);
    const otherProject = temp("push-ext-other-");
    installFakePackage(otherProject, "0.9.0");
    const backend = await start(temp("push-ext-data-"), otherProject);
    try {
      const r = await push(app, backend);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("the project has version 0.9.0 but the push needs 1.0.0");
      expect(r.output).toContain("install cjs-builtin-user@1.0.0 in the project: the local backend installs external packages");
      expect(r.output).toContain("it has no network");
    } finally {
      await backend.close();
    }
  }, 120_000);

  test("path traversal: a nodeDependencies name that is not an npm package name is refused; a missing package says to install it", async () => {
    const projectDir = temp("push-ext-empty-");
    const backend = await start(temp("push-ext-data-"), projectDir);
    const startPush = (nodeDependencies: unknown) =>
      fetch(`${backend.url}/api/deploy2/start_push`, {
        method: "POST",
        body: JSON.stringify({
          adminKey: backend.adminKey,
          dryRun: true,
          functions: "convex/",
          appDefinition: { changedModules: [], unchangedModuleHashes: [], udfServerVersion: "1.48.0" },
          componentDefinitions: [],
          nodeDependencies,
        }),
      }).then(async (x) => ({ status: x.status, body: await x.json() }));
    try {
      for (const name of ["../../../etc", "a/../../b", "/abs", "@scope/../x"]) {
        const r = await startPush([{ name, version: "1.0.0" }]);
        expect(r.status).toBe(400);
        expect(r.body.message).toContain("expected { name, version } with an npm package name");
      }
      const missing = await startPush([{ name: "cjs-builtin-user", version: "1.0.0" }]);
      expect(missing.status).toBe(400);
      expect(missing.body.message).toContain("External package cjs-builtin-user@1.0.0 is not installed in");
      expect(missing.body.message).toContain("install cjs-builtin-user@1.0.0 in the project");
      const twice = await startPush([{ name: "cjs-builtin-user", version: "1.0.0" }, { name: "cjs-builtin-user", version: "1.0.0" }]);
      expect(twice.body.message).toContain("sent twice");
    } finally {
      await backend.close();
    }
  });

  test("the backend's own bundler (convexDir) honours convex.json the same way", async () => {
    const withConfig = project(true);
    const backend = await LocalBackend.start({ dataDir: temp("push-ext-data-"), convexDir: path.join(withConfig, "convex"), port: 0, host: "127.0.0.1", scheduler: false, crons: false });
    try {
      expect(await new ConvexHttpClient(backend.url).action(api.act.echo, { v: "bundled" })).toBe("bundled @1.0.0");
    } finally {
      await backend.close();
    }
    const without = project(false);
    await expect(
      LocalBackend.start({ dataDir: temp("push-ext-data-"), convexDir: path.join(without, "convex"), port: 0, host: "127.0.0.1", scheduler: false, crons: false }),
    ).rejects.toThrow(/Dynamic require of "events" is not supported/);
  });
});
