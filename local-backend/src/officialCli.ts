// The official Convex CLI (node_modules/convex, unmodified) pointed at a local backend as a
// self-hosted deployment: what `npx convex …` does with CONVEX_SELF_HOSTED_URL/ADMIN_KEY. Used by
// `codegen` (cli.ts), the app's launcher (tools/start.ts), the CLI tests and the deploy bench.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The CLI's entry point in this repository's node_modules. */
export const CONVEX_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../node_modules/convex/bin/main.js");

/**
 * The CLI's environment for `target`: the self-hosted deployment and CI=1 (never prompt), without a
 * developer shell's CONVEX_DEPLOYMENT / CONVEX_DEPLOY_KEY (the CLI refuses them beside a self-hosted
 * URL, or would target the cloud) or CONVEX_URL.
 */
export function officialCliEnv(target: { url: string; adminKey: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CONVEX_SELF_HOSTED_URL: target.url, CONVEX_SELF_HOSTED_ADMIN_KEY: target.adminKey, CI: "1" };
  for (const name of ["CONVEX_DEPLOYMENT", "CONVEX_DEPLOY_KEY", "CONVEX_URL"]) delete env[name];
  return env;
}

/** The official CLI against `target`, its output on ours. */
export function officialCli(target: { url: string; adminKey: string }, args: string[]): ChildProcess {
  return spawn(process.execPath, [CONVEX_CLI, ...args], { env: officialCliEnv(target), stdio: "inherit" });
}

/** Resolves when a child exits 0; otherwise rejects (its own output, above, says why). */
export function succeeded(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code ?? signal}); its output is above.`)),
    );
  });
}

/** `npx convex <args>` against `target`; rejects when it fails. */
export function runOfficialCli(target: { url: string; adminKey: string }, args: string[]): Promise<void> {
  return succeeded(officialCli(target, args), `npx convex ${args.join(" ")}`);
}
