// Starts the stack for browser tests: a local backend on a fresh temporary data dir and the
// production Remix build, both on 127.0.0.1. Playwright stops it when the run ends.
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { e2eDataDir } from "./stack.mjs";

const appPort = process.env.E2E_APP_PORT ?? "3100";
const backendPort = process.env.E2E_BACKEND_PORT ?? "3310";
// A fresh data dir every run; its path is derived from the port so tests can find the admin key.
const dataDir = e2eDataDir(backendPort);
rmSync(dataDir, { recursive: true, force: true });
const bin = (n) => path.resolve("node_modules/.bin", n);

const build = spawnSync(bin("remix"), ["vite:build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

const backend = spawn(bin("tsx"), ["local-backend/src/cli.ts", "serve", "--data-dir", dataDir, "--port", backendPort], {
  stdio: "inherit",
});
const app = spawn(bin("remix-serve"), ["build/server/index.js"], {
  stdio: "inherit",
  env: { ...process.env, PORT: appPort, HOST: "127.0.0.1", CONVEX_URL: `http://127.0.0.1:${backendPort}` },
});

let stopped = false;
function stop() {
  if (stopped) return;
  stopped = true;
  app.kill("SIGTERM");
  backend.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => (stop(), process.exit(0)));
process.on("exit", stop);
for (const child of [app, backend]) child.on("exit", (code) => { if (!stopped) { console.error("e2e stack process exited", code); stop(); process.exit(1); } });
