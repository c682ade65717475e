#!/usr/bin/env node
// `npm test`: the whole suite in one command — the codegen check, ESLint, unit, local-backend conformance
// and integration tests (vitest), then browser tests (Playwright driving Debian's Chromium), then the
// bundle-size budget on the build the browser tests made (tools/bundle-budget.ts).
import { spawnSync } from "node:child_process";
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
run("npm", ["run", "-s", "lint"]);
run("npx", ["tsc", "--noEmit"]);
run("npx", ["convex", "typecheck"]);
run("npx", ["vitest", "run"]);
ensureChromium();
run("npx", ["playwright", "test", "--config", "tests/playwright.config.ts"]);
// The bundle-size budget (issue #16) on the build the browser tests just made (tests/e2e/start-stack.mjs).
run("npx", ["tsx", "tools/bundle-budget.ts"]);
console.log("\nAll test suites passed.");
