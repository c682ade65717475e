import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";

export const backendPort = process.env.E2E_BACKEND_PORT ?? "3310";
export const backendUrl = `http://127.0.0.1:${backendPort}`;

/** The data dir of the e2e local backend (fresh for every run, see start-stack.mjs). */
export function e2eDataDir(port = backendPort) {
  return path.join(tmpdir(), `pressroom-e2e-${port}`);
}

/** The e2e backend's admin key, read through the local-backend CLI. */
export function adminKey() {
  const r = spawnSync(path.resolve("node_modules/.bin/tsx"), ["local-backend/src/cli.ts", "admin-key", "--data-dir", e2eDataDir()], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`could not read the admin key: ${r.stderr}`);
  return r.stdout.trim();
}
