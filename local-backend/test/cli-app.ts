// A temp copy of the CLI fixture app (fixtures-cli/) and a way to run a TypeScript entry point in it:
// for the codegen test here and the app launcher's test (tools/start.test.ts).
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

/** Temp dirs made here; call `removeTempDirs` after each test. */
const temps: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A temp copy of the fixture app that resolves `convex` (and the CLI) from this repository. */
export function cliFixtureApp(): string {
  const dir = tempDir("cli-start-app-");
  cpSync(path.join(__dirname, "fixtures-cli"), dir, { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Runs `tsx <script> ...args` in `cwd`; resolves with its exit code and output, never throws. */
export function runTsx(script: string, cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return runWith(TSX, script, cwd, args);
}

/** As runTsx, with plain `node` (a script that is already JavaScript, as `npm start`'s tools/launch.mjs). */
export function runNode(script: string, cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return runWith(process.execPath, script, cwd, args);
}

function runWith(bin: string, script: string, cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CONVEX_DEPLOYMENT;
  delete env.LOCAL_BACKEND_DATA_DIR;
  return new Promise((resolve) => {
    const child = execFile(bin, [script, ...args], { cwd, env, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end();
  });
}
