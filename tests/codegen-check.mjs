#!/usr/bin/env node
// `npm test`'s first step: regenerate convex/_generated through the official CLI's push path, as a
// real deploy does (`npm run codegen`: a throwaway local backend, offline), and fail if the
// committed files differ from what it generates.
import { spawnSync } from "node:child_process";

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

run("npm", ["run", "codegen"]);
run("git", ["diff", "--exit-code", "--stat", "--", "convex/_generated"]);
