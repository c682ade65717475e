import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import schema from "./schema";
import { sourceFiles as filesUnder } from "../tests/support/sources";

// Architecture rules that reviews would otherwise have to catch by eye.

const root = path.dirname(new URL(import.meta.url).pathname);

function sourceFiles(dir = root): string[] {
  return filesUnder(dir);
}

/** Functions @convex-dev/auth builds for us (convex/auth.ts re-exports them); they have no returns validator. */
const LIBRARY_FUNCTIONS = new Set(["auth.ts:signIn", "auth.ts:signOut", "auth.ts:isAuthenticated"]);

describe("architecture", () => {
  test("Convex's raw function builders are imported only by convex/lib/functions.ts", () => {
    const offenders = sourceFiles().filter((file) => {
      if (file.endsWith(path.join("lib", "functions.ts"))) return false;
      const src = readFileSync(file, "utf8");
      // Type-only imports (QueryCtx, MutationCtx) are fine; value imports of builders are not.
      return /import\s+\{[^}]*\}\s+from\s+["'](\.\.?\/)+_generated\/server["']/.test(src.replace(/import\s+type\s+\{[^}]*\}\s+from\s+["'][^"']+["'];?/g, ""));
    });
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });

  test("every public function declares args and returns validators", async () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of sourceFiles()) {
      const rel = path.relative(root, file);
      const skip = /^(lib|model|shared)\//.test(rel) || ["schema.ts", "validators.ts"].includes(rel);
      if (skip || path.basename(rel).split(".").length > 2) continue; // auth.config.ts is no module
      const mod = await import(/* @vite-ignore */ file);
      for (const [name, fn] of Object.entries(mod as Record<string, any>)) {
        if (!fn || !fn.isPublic || !(fn.isQuery || fn.isMutation || fn.isAction)) continue;
        checked++;
        if (fn.exportArgs() === JSON.stringify({ type: "any" })) missing.push(`${rel}:${name} (args)`);
        // exportReturns() is the JSON text "null" when no returns validator was declared.
        if (JSON.parse(fn.exportReturns()) === null && !LIBRARY_FUNCTIONS.has(`${rel}:${name}`)) {
          missing.push(`${rel}:${name} (returns)`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  test("a public function calls api.*: no module under convex/ references public functions", () => {
    // Functions reach each other through internal.* only: a call through api.* runs a public
    // function's checks as the wrong caller, and makes that function a public entry point for work
    // meant to stay internal (account deletion without the password check, #12 item 4).
    const offenders: string[] = [];
    for (const file of sourceFiles()) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/import\s+\{([^}]*)\}\s+from\s+["'](?:\.\.?\/)+_generated\/api["']/g)) {
        const names = m[1].split(",").map((n) => n.trim().split(/\s+as\s+/)[0]);
        if (names.includes("api")) offenders.push(`${path.relative(root, file)} imports api`);
      }
      if (/\b(anyApi|makeFunctionReference)\b/.test(src)) offenders.push(`${path.relative(root, file)} builds function references by name`);
    }
    expect(offenders).toEqual([]);
  });

  test("a public function takes a test-only argument: none does", async () => {
    // Knobs for tests and tooling (batch sizes, clocks, debug switches) belong on internal
    // functions; on a public one any script holding a user's JWT can turn them.
    const TEST_ONLY = /batch|(^|_)limit$|^now$|clock|fortests?|testonly|^debug|^skip|^force/i;
    /** Arguments that match the pattern but are legitimate, with why. None so far. */
    const allowed = new Set<string>([]);
    const bad: string[] = [];
    let checked = 0;
    for (const file of sourceFiles()) {
      const rel = path.relative(root, file);
      const skip = /^(lib|model|shared)\//.test(rel) || ["schema.ts", "validators.ts"].includes(rel);
      if (skip || path.basename(rel).split(".").length > 2) continue;
      const mod = await import(/* @vite-ignore */ file);
      for (const [name, fn] of Object.entries(mod as Record<string, any>)) {
        if (!fn || !fn.isPublic || !(fn.isQuery || fn.isMutation || fn.isAction)) continue;
        if (LIBRARY_FUNCTIONS.has(`${rel}:${name}`)) continue;
        const args = JSON.parse(fn.exportArgs());
        if (args.type !== "object") continue;
        checked++;
        for (const arg of Object.keys(args.value)) {
          const id = `${rel}:${name}(${arg})`;
          if (TEST_ONLY.test(arg) && !allowed.has(id)) bad.push(id);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });

  test("every index of a tenant-owned table starts with siteId", () => {
    const exempt = new Set([
      "siteMembers.by_userId",
      "subscriptions.by_userId",
      "notifications.by_userId_and_read",
      "notifications.by_userId_and_createdAt",
      // A user's posts in every site, including sites they left: renaming and account deletion must reach them.
      "posts.by_authorId",
      // A hard bounce or spam complaint stops the address on every site (ADR 012/013): the webhook marks each site's member.
      "audienceMembers.by_email",
    ]);
    const bad: string[] = [];
    // export() is internal in the types but public at run time (the deploy uses it).
    for (const table of JSON.parse((schema as unknown as { export(): string }).export()).tables) {
      const fields = table.documentType?.value ?? {};
      if (!("siteId" in fields)) continue;
      for (const idx of table.indexes) {
        const name = `${table.tableName}.${idx.indexDescriptor}`;
        if (idx.fields[0] !== "siteId" && !exempt.has(name)) bad.push(name);
      }
    }
    expect(bad).toEqual([]);
  });
});
