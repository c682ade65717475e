#!/usr/bin/env node
// `npm test`: the whole suite in one command — the codegen check, ESLint, unit, local-backend conformance
// and integration tests (vitest), then browser tests (Playwright driving Debian's Chromium), then the
// bundle-size budget on that build (tools/bundle-budget.ts). Steps that do not depend on each other run
// side by side (lint, tsc and convex typecheck; the production build during Vitest), because much of
// each is waiting (processes starting, backends restarting) rather than CPU on this 2-core machine.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

/** Starts a step in the background; its output is printed in one piece when it ends. */
function start(cmd, args, opts = {}) {
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  const out = [];
  child.stdout.on("data", (d) => out.push(d));
  child.stderr.on("data", (d) => out.push(d));
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`\n$ ${cmd} ${args.join(" ")}  (${secs} s, side by side)\n${Buffer.concat(out).toString()}`);
      resolve({ ok: code === 0, label: `${cmd} ${args.join(" ")}`, status: code ?? signal });
    });
  });
}

/** Waits for background steps; exits with the first failure's status after printing all. */
async function all(steps) {
  const results = await Promise.all(steps);
  const failed = results.find((r) => !r.ok);
  if (failed) {
    console.error(`\n${failed.label} failed (exit ${failed.status}).`);
    process.exit(typeof failed.status === "number" ? failed.status : 1);
  }
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `Browser tests need Chromium at ${CHROMIUM}. Install it with:\n  sudo apt-get update && sudo apt-get install -y chromium\n` +
        "or set CHROMIUM_PATH to a Chromium binary.",
    );
    process.exit(1);
  }
  console.log(`Chromium is missing at ${CHROMIUM}; installing it with apt-get (running as root).`);
  run("apt-get", ["update"]);
  run("apt-get", ["install", "-y", "chromium"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

// convex/_generated as a real deploy generates it, checked against the committed files.
run("node", ["tests/codegen-check.mjs"]);
// ESLint (eslint.config.js): table names in ctx.db calls, no api.* inside convex/, no floating promises, env access.
// Type checks read convex/_generated, so they start once the codegen check has rewritten it.
await all([start("npm", ["run", "-s", "lint"]), start("npx", ["tsc", "--noEmit"]), start("npx", ["convex", "typecheck"])]);
// The browser tests' production build (tests/e2e/start-stack.mjs skips its own when E2E_PREBUILT=1)
// runs while Vitest does: no Vitest test reads build/.
const build = start("node", ["tools/build.mjs"]);
run("npx", ["vitest", "run"]);
await all([build]);
ensureChromium();
run("npx", ["playwright", "test", "--config", "tests/playwright.config.ts"], { env: { ...process.env, E2E_PREBUILT: "1" } });
// The bundle-size budget (issue #16) on the build the browser tests just made (tests/e2e/start-stack.mjs).
run("npx", ["tsx", "tools/bundle-budget.ts"]);
console.log("\nAll test suites passed.");
