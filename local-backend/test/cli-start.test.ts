/**
 * `local-backend codegen` (npm run codegen, npm test's first step) and `local-backend start`
 * (npm start) go through the official CLI's push path, run in a temp copy of the CLI fixture app.
 * The happy path of `start` (build, app on :3000) is too slow for the suite; it is checked by hand
 * (README: npm start). Here: codegen writes what a deploy's analysis gives, and a push the backend
 * refuses stops `start` with exit 1 and the CLI's own error, before any app is started.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const CLI_TS = path.join(ROOT, "local-backend/src/cli.ts");

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A temp copy of the fixture app that resolves `convex` (and the CLI) from this repository. */
function fixtureApp(): string {
  const dir = tempDir("cli-start-app-");
  cpSync(path.join(__dirname, "fixtures-cli"), dir, { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Runs local-backend's cli.ts in `cwd`; resolves with its exit code and output, never throws. */
function localBackend(cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CONVEX_DEPLOYMENT;
  delete env.LOCAL_BACKEND_DATA_DIR;
  return new Promise((resolve) => {
    const child = execFile(TSX, [CLI_TS, ...args], { cwd, env, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end();
  });
}

describe("npm run codegen and npm start deploy through the official CLI", () => {
  test("codegen regenerates convex/_generated from a throwaway backend's push analysis", async () => {
    const app = fixtureApp();
    const r = await localBackend(app, ["codegen"]);
    expect(r.code, r.output).toBe(0);
    const apiDts = readFileSync(path.join(app, "convex/_generated/api.d.ts"), "utf8");
    expect(apiDts).toContain("messages: typeof messages;");
    // Only a deployment's analysis gives these (`--system-udfs` codegen writes neither).
    expect(apiDts).toContain("export declare const components: {};");
    expect(readFileSync(path.join(app, "convex/_generated/server.d.ts"), "utf8")).toContain("readonly CONVEX_SITE_URL: string;");
  }, 120_000);

  test("start stops with exit 1 and the CLI's error when the push is refused; no app is started", async () => {
    const app = fixtureApp();
    writeFileSync(
      path.join(app, "convex/broken.ts"),
      'import { query } from "./_generated/server";\nexport const never = query({ args: {}, handler: async () => 1 });\nthrow new Error("boom at import");\n',
    );
    const dataDir = tempDir("cli-start-data-");
    const r = await localBackend(app, ["start", "--data-dir", dataDir, "--port", "0"]);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain("Failed to analyze broken.js");
    expect(r.output).toContain("boom at import");
    expect(r.output).toContain("[pressroom] deploying convex/ failed: npx convex dev --once --typecheck disable failed (exit 1)");
    expect(r.output).not.toContain("[pressroom] app on");
  }, 120_000);
});
