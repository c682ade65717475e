// Pushed "use node" modules (the official CLI's ESM bundles) can require() Node built-ins, as their
// CommonJS dependencies do (esbuild's __require shim throws "Dynamic require of … is not supported"
// without one); isolate modules get no require.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writeModules } from "../src/runtime/pushTree";

// The name keeps Vitest from transforming the written modules (vite.config.ts deps.external).
const dir = mkdtempSync(path.join(os.tmpdir(), "local-backend-build-push-require-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What esbuild writes for `require("path")` in a CommonJS dependency of an ESM bundle.
const SOURCE = `var __require = (x) => { if (typeof require !== "undefined") return require(x); throw Error('Dynamic require of "' + x + '" is not supported'); };
export const sep = () => __require("path").sep;`;

describe("pushed modules and require()", () => {
  it("a node module's CommonJS require of a built-in works", async () => {
    await writeModules(dir, [{ path: "nodeMod.js", source: SOURCE, environment: "node" }]);
    const mod = (await import(/* @vite-ignore */ pathToFileURL(path.join(dir, "nodeMod.js")).href)) as { sep: () => string };
    expect(mod.sep()).toBe(path.sep);
  });

  it("an isolate module still has no require", async () => {
    await writeModules(dir, [{ path: "isoMod.js", source: SOURCE, environment: "isolate" }]);
    const mod = (await import(/* @vite-ignore */ pathToFileURL(path.join(dir, "isoMod.js")).href)) as { sep: () => string };
    expect(() => mod.sep()).toThrow(/Dynamic require of "path"/);
  });
});
