#!/usr/bin/env node
// `npm start` / `npm run dev`: the whole app on this machine. The local backend (local-backend/)
// on :3210, convex/ deployed to it by the official CLI (`npx convex dev --once`; --dev: and
// `npx convex dev` watching it), data migrations, the demo seed, the Stripe fake (tools/stripe-fake)
// and the Resend fake (tools/resend-fake, on the app port + 12) when no real keys are set, then the
// Remix app on :3000 (--dev: Vite's dev server).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { officialCli, runOfficialCli, succeeded } from "../local-backend/src/officialCli.js";
import { isStopping, onShutdown, serveBackend } from "../local-backend/src/serve.js";
import { workerExecArgv } from "../app/server/heap.js";
import { startPrimary, warnDevMailbox, workerCount } from "../app/server/primary.js";
import { runnerCall, seedDemoImages } from "./demo-covers/seed.js";
import { startDevResendFake } from "./resend-fake/dev.js";
import { startDevStripeFake } from "./stripe-fake/dev.js";

const USAGE = `tools/launch.mjs (compiles and runs tools/start.ts): Pressroom on this machine (npm start; npm run dev adds --dev)

Usage:
  node tools/launch.mjs [--dev] [--verbose] [--data-dir .data/local-backend] [--port 3210] [--app-port 3000]
      backend on --port (HTTP actions on --port + 1), \`npx convex dev --once\` of convex/ (--dev: and
      \`npx convex dev\` watching it), then the Remix app on --app-port

Logs: one line per page request (method, path, status, ms). --verbose adds one line per Convex
function call (with its console output) and per static file. The admin key is never printed:
\`npm run -s local-backend -- admin-key\` prints it.
`;

const { values: flags } = parseArgs({
  options: {
    "data-dir": { type: "string", default: process.env.LOCAL_BACKEND_DATA_DIR ?? ".data/local-backend" },
    port: { type: "string", default: process.env.LOCAL_BACKEND_PORT ?? "3210" },
    "app-port": { type: "string", default: process.env.PORT ?? "3000" },
    dev: { type: "boolean", default: false },
    verbose: { type: "boolean", short: "v", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

async function main() {
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  // No folder of our own: convex/ is deployed by the official CLI, as to a Convex deployment, so
  // what runs here is what a real deploy sends.
  const backend = await serveBackend({
    dataDir: path.resolve(flags["data-dir"]!),
    port: Number(flags.port),
    appPort: flags["app-port"]!,
    watch: false,
    // About 1,300 lines for a short session otherwise (issue #16): function calls only when asked.
    logCalls: flags.verbose,
    prepare: (b) => {
      // The app's key for signed unsubscribe/preferences links (convex/lib/memberTokens.ts).
      if (!b.env.all().MEMBER_TOKEN_SECRET) {
        b.env.set("MEMBER_TOKEN_SECRET", randomBytes(32).toString("hex"));
        console.log("[start] generated MEMBER_TOKEN_SECRET (signed member links)");
      }
    },
  });
  // Without RESEND_API_KEY, every email goes through the production sender to the local Resend fake
  // (before the deploy: nothing can send until the env points somewhere real or fake).
  const resendFake = await startDevResendFake(backend, {
    port: Number(flags["app-port"]) + 12,
    shellEnv: process.env,
    dataDir: backend.options.dataDir,
  });
  if (resendFake) console.log(`[pressroom] Resend fake at ${resendFake.url} (no real email; read it at /dev/mailbox)`);
  const bin = (name: string) => path.resolve("node_modules/.bin", name);
  // CONVEX_ADMIN_KEY lets the app's dev-only pages (the /dev/mailbox outbox) read internal data;
  // PRESSROOM_DEV_MAILBOX=1 turns that page on (`npm run serve` never sets it).
  const env = {
    ...process.env,
    CONVEX_URL: backend.url,
    CONVEX_ADMIN_KEY: backend.adminKey,
    PRESSROOM_DEV_MAILBOX: "1",
    // app/server/index.ts: one line per page request; --verbose: static files too.
    LOG_REQUESTS: flags.verbose ? "all" : "1",
    ...(resendFake ? { RESEND_FAKE_URL: resendFake.url } : {}),
    PORT: flags["app-port"],
    HOST: "127.0.0.1",
  };
  // The Remix build needs no backend: it runs while the CLI deploys, which keeps startup short.
  // Warnings and errors only (the build has none): not ~200 lines listing every chunk on each start.
  const buildArgs = ["tools/build.mjs", ...(flags.verbose ? [] : ["--logLevel", "warn"])];
  const buildChild = flags.dev ? undefined : spawn(process.execPath, buildArgs, { env, stdio: "inherit" });
  const built = buildChild && succeeded(buildChild, "The Remix build");
  built?.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection first
  try {
    await runOfficialCli(backend, ["dev", "--once", "--typecheck", "disable"]);
  } catch (e) {
    console.error(`[pressroom] deploying convex/ failed: ${e instanceof Error ? e.message : e}`);
    buildChild?.kill("SIGTERM");
    await resendFake?.close();
    await backend.close();
    process.exit(1);
  }
  // npm run dev: the CLI keeps watching convex/ and pushes each edit (its first push changes nothing).
  const watcher = flags.dev ? officialCli(backend, ["dev", "--typecheck", "disable"]) : undefined;
  watcher?.on("exit", (code, signal) => {
    if (!isStopping()) console.error(`[pressroom] npx convex dev stopped (exit ${code ?? signal}); edits to convex/ no longer deploy`);
  });
  // Data migrations of this version (each a no-op once done), as `npx convex run migrations:runAll`
  // after a deploy to Convex.
  if (backend.runner.resolve("migrations:runAll", true)) {
    const migrated = await backend.runner.runMutation("migrations:runAll", {}, { allowInternal: true });
    if (!migrated.ok) console.error(`[pressroom] starting data migrations failed: ${migrated.message}`);
  }
  // Demo content on first start, so a newcomer sees a living product; it never runs twice.
  if (backend.runner.resolve("demo:seedDemo", true)) {
    console.log("[pressroom] checking demo content…");
    const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
    if (!seeded.ok) console.error(`[pressroom] demo seeding failed: ${seeded.message}`);
    else {
      const r = JSON.parse(seeded.valueJson) as { created: boolean; sites: string[]; posts: number };
      console.log(
        r.created
          ? `[pressroom] seeded ${r.posts} posts in ${r.sites.length} publications: ${r.sites.join(", ")}`
          : `[pressroom] demo content already present (${r.sites.join(", ")})`,
      );
    }
  }
  // The demo's logos and covers (mutations cannot store files): uploads only images whose slot is
  // still empty, so after the first start this is one query.
  if (backend.runner.resolve("demoDesign:missingImages", true)) {
    try {
      const images = await seedDemoImages(runnerCall(backend.runner));
      if (images.uploaded) console.log(`[pressroom] demo images: ${images.uploaded} uploaded, ${images.filled} covers and logos attached`);
    } catch (e) {
      console.error(`[pressroom] demo images failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  // Without real Stripe keys, payments go through the local test fake (clearly labelled pages).
  const stripeFake = await startDevStripeFake(backend);
  if (stripeFake) console.log(`[pressroom] Stripe test fake at ${stripeFake.url} (no real payments)`);
  const appUrl = `http://127.0.0.1:${flags["app-port"]}`;
  let app: { stop(): Promise<void>; done: Promise<number> };
  if (flags.dev) {
    const vite = spawn(bin("remix"), ["vite:dev", "--host", "127.0.0.1", "--port", flags["app-port"]!], { env, stdio: "inherit" });
    app = {
      stop: async () => void vite.kill("SIGTERM"),
      done: new Promise((resolve) => vite.on("exit", (code) => resolve(code ?? 0))),
    };
  } else {
    await built;
    // The production server (app/server/index.ts, compiled by tools/build.mjs: host routing and the
    // response cache in front of Remix) in cluster workers of this process: this process is their
    // primary, so the stack keeps no process that only forks (app/server/primary.ts).
    const workers = workerCount(env.WEB_CONCURRENCY);
    const primary = startPrimary({
      workers,
      exec: path.resolve("build/server/serve.js"),
      // The workers' own flags: not this process's (the backend's).
      execArgv: workerExecArgv([], env.NODE_OPTIONS, env.WORKER_HEAP_MB),
      env,
      onListening: () => {
        console.log(`[pressroom] ${appUrl} (${workers} worker${workers === 1 ? "" : "s"})`);
        warnDevMailbox(env.PRESSROOM_DEV_MAILBOX);
      },
    });
    process.on("SIGUSR2", () => primary.signal("SIGUSR2"));
    app = primary;
  }
  console.log(`[pressroom] app on ${appUrl} (CONVEX_URL=${backend.url})`);
  void app.done.then((code) => {
    if (isStopping()) return;
    watcher?.kill("SIGTERM");
    void Promise.all([backend.close(), stripeFake?.close(), resendFake?.close()]).then(() => process.exit(code));
  });
  onShutdown(async () => {
    watcher?.kill("SIGTERM");
    // The app first: its workers finish the requests in flight, which may still call the backend.
    await app.stop();
    await stripeFake?.close();
    await resendFake?.close();
    await backend.close();
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
