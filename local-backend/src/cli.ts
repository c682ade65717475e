#!/usr/bin/env node
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { jsonToConvex } from "convex/values";
import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { EnvStore, LocalBackend } from "./backend.js";
import { SqliteStore } from "./storage/sqlite.js";
import { startDevStripeFake } from "../stripe-fake/dev.js";
import { CONVEX_CLI, officialCliEnv } from "./officialCli.js";

const USAGE = `local-backend: a Convex-compatible backend on SQLite

Usage:
  local-backend serve [--convex-dir convex] [--data-dir .data/local-backend] [--port 3210] [--watch]
                                       API on --port, HTTP actions on --port + 1
  local-backend serve --pushed [...]   serve what \`npx convex dev|deploy\` last pushed (no --convex-dir)
  local-backend start [--dev]          backend on :3210, \`npx convex dev --once\` of convex/ (--dev: and
                                       \`npx convex dev\` watching it), then the Remix app on :3000
  local-backend codegen                \`npx convex codegen\` against a throwaway local backend
  local-backend env list | get NAME | set NAME VALUE | remove NAME
  local-backend data TABLE [--limit N] print a table's documents as JSON lines
  local-backend admin-key              print the admin key
`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "convex-dir": { type: "string", default: "convex" },
    "data-dir": { type: "string", default: process.env.LOCAL_BACKEND_DATA_DIR ?? ".data/local-backend" },
    port: { type: "string", default: process.env.LOCAL_BACKEND_PORT ?? "3210" },
    "app-port": { type: "string", default: process.env.PORT ?? "3000" },
    watch: { type: "boolean", default: false },
    pushed: { type: "boolean", default: false },
    dev: { type: "boolean", default: false },
    limit: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const dataDir = path.resolve(flags["data-dir"]!);
const sqliteFile = path.join(dataDir, "convex.sqlite3");

function openStore(): SqliteStore {
  if (!existsSync(sqliteFile)) {
    console.error(`No data at ${dataDir}: start the backend once (local-backend serve) to create it.`);
    process.exit(1);
  }
  return new SqliteStore(sqliteFile);
}

/**
 * @convex-dev/auth needs JWT_PRIVATE_KEY, JWKS and SITE_URL in the function environment. A fresh data
 * dir gets an RS256 key pair and SITE_URL = the app's address; values already set are kept (both
 * keys are replaced together when either is missing). Nothing secret is printed.
 */
async function ensureAuthEnv(backend: LocalBackend, appPort: string): Promise<void> {
  const env = backend.env.all();
  if (!env.JWT_PRIVATE_KEY || !env.JWKS) {
    const keys = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(keys.publicKey);
    backend.env.set("JWT_PRIVATE_KEY", (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "));
    backend.env.set("JWKS", JSON.stringify({ keys: [{ use: "sig", ...jwk }] }));
    console.log("[local-backend] generated an RS256 key pair for @convex-dev/auth (JWT_PRIVATE_KEY, JWKS)");
  }
  if (!env.SITE_URL) {
    const siteUrl = `http://127.0.0.1:${appPort}`;
    backend.env.set("SITE_URL", siteUrl);
    console.log(`[local-backend] SITE_URL=${siteUrl}`);
  }
}

async function serve(watch: boolean, pushed = flags.pushed!): Promise<LocalBackend> {
  // --pushed: no folder of our own; the functions are what the official CLI pushed (kept in the data dir).
  const convexDir = pushed ? undefined : path.resolve(flags["convex-dir"]!);
  const backend = await LocalBackend.start({
    convexDir,
    dataDir,
    port: Number(flags.port),
    host: "127.0.0.1",
    watch,
    logCalls: true,
    // Before the first request: on a fresh data dir, a sign-in must not arrive before the keys.
    prepare: (b) => ensureAuthEnv(b, flags["app-port"]!),
  });
  console.log(`[local-backend] serving ${convexDir ? flags["convex-dir"] : "the last CLI push"} at ${backend.url} (data: ${dataDir})`);
  console.log(`[local-backend] HTTP actions (CONVEX_SITE_URL) at ${backend.siteUrl}`);
  console.log(`[local-backend] admin key: ${backend.adminKey}`);
  return backend;
}

/** The official CLI against this backend (officialCli.ts), its output on ours. */
function officialCli(backend: LocalBackend, args: string[]): ChildProcess {
  return spawn(process.execPath, [CONVEX_CLI, ...args], { env: officialCliEnv(backend), stdio: "inherit" });
}

/** Resolves when a child exits 0; otherwise rejects (its own output, above, says why). */
function succeeded(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code ?? signal}); its output is above.`)),
    );
  });
}

function runOfficialCli(backend: LocalBackend, args: string[]): Promise<void> {
  return succeeded(officialCli(backend, args), `npx convex ${args.join(" ")}`);
}

/** Set on SIGINT/SIGTERM: children that exit from here on are being stopped, not failing. */
let stopping = false;

function onShutdown(fn: () => Promise<void>) {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      fn().then(
        () => process.exit(0),
        (e) => {
          console.error(e);
          process.exit(1);
        },
      );
    });
  }
}

async function main() {
  const [command = "serve", ...rest] = positionals;
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case "serve": {
      const backend = await serve(flags.watch!);
      onShutdown(() => backend.close());
      return;
    }
    case "codegen": {
      // convex/_generated as a real deployment generates it: the CLI pushes convex/ (a dry run) to a
      // throwaway backend with no functions of its own, on a fresh data dir and free ports.
      const tmp = mkdtempSync(path.join(os.tmpdir(), "pressroom-codegen-"));
      const backend = await LocalBackend.start({ dataDir: tmp, port: 0, host: "127.0.0.1", scheduler: false, crons: false });
      try {
        await runOfficialCli(backend, ["codegen", "--typecheck", "disable"]);
      } finally {
        await backend.close();
        rmSync(tmp, { recursive: true, force: true });
      }
      return;
    }
    case "start": {
      // No folder of our own: convex/ is deployed by the official CLI, as to a Convex deployment, so
      // what runs here is what a real deploy sends.
      const backend = await serve(false, true);
      const bin = (name: string) => path.resolve("node_modules/.bin", name);
      // CONVEX_ADMIN_KEY lets the app's dev-only pages (the /dev/mailbox outbox) read internal data;
      // PRESSROOM_DEV_MAILBOX=1 turns that page on (`npm run serve` never sets it).
      const env = {
        ...process.env,
        CONVEX_URL: backend.url,
        CONVEX_ADMIN_KEY: backend.adminKey,
        PRESSROOM_DEV_MAILBOX: "1",
        PORT: flags["app-port"],
        HOST: "127.0.0.1",
      };
      // The Remix build needs no backend: it runs while the CLI deploys, which keeps startup short.
      const buildChild = flags.dev ? undefined : spawn(bin("remix"), ["vite:build"], { env, stdio: "inherit" });
      const built = buildChild && succeeded(buildChild, "The Remix build");
      built?.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection first
      try {
        await runOfficialCli(backend, ["dev", "--once", "--typecheck", "disable"]);
      } catch (e) {
        console.error(`[pressroom] deploying convex/ failed: ${e instanceof Error ? e.message : e}`);
        buildChild?.kill("SIGTERM");
        await backend.close();
        process.exit(1);
      }
      // npm run dev: the CLI keeps watching convex/ and pushes each edit (its first push changes nothing).
      const watcher = flags.dev ? officialCli(backend, ["dev", "--typecheck", "disable"]) : undefined;
      watcher?.on("exit", (code, signal) => {
        if (!stopping) console.error(`[pressroom] npx convex dev stopped (exit ${code ?? signal}); edits to convex/ no longer deploy`);
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
      // Without real Stripe keys, payments go through the local test fake (clearly labelled pages).
      const stripeFake = await startDevStripeFake(backend);
      if (stripeFake) console.log(`[pressroom] Stripe test fake at ${stripeFake.url} (no real payments)`);
      let app: ChildProcess;
      if (flags.dev) {
        app = spawn(bin("remix"), ["vite:dev", "--host", "127.0.0.1", "--port", flags["app-port"]!], { env, stdio: "inherit" });
      } else {
        await built;
        // The production server (app/server/index.ts): host routing and the response cache in front of Remix.
        app = spawn(bin("tsx"), ["app/server/index.ts"], { env, stdio: "inherit" });
      }
      console.log(`[pressroom] app on http://127.0.0.1:${flags["app-port"]} (CONVEX_URL=${backend.url})`);
      app.on("exit", (code) => {
        watcher?.kill("SIGTERM");
        void Promise.all([backend.close(), stripeFake?.close()]).then(() => process.exit(code ?? 0));
      });
      onShutdown(async () => {
        app.kill("SIGTERM");
        watcher?.kill("SIGTERM");
        await stripeFake?.close();
        await backend.close();
      });
      return;
    }
    case "env": {
      const store = openStore();
      const env = new EnvStore(store);
      const [sub, name, value] = rest;
      if (sub === "list") for (const [k, v] of Object.entries(env.all())) console.log(`${k}=${v}`);
      else if (sub === "get" && name) {
        const v = env.all()[name];
        if (v === undefined) process.exitCode = 1;
        else console.log(v);
      } else if (sub === "set" && name && value !== undefined) env.set(name, value);
      else if (sub === "remove" && name) env.set(name, null);
      else {
        console.error(USAGE);
        process.exitCode = 2;
      }
      store.close();
      return;
    }
    case "data": {
      const table = rest[0];
      if (!table) {
        console.error(USAGE);
        process.exitCode = 2;
        return;
      }
      const store = openStore();
      const number = store.listTables().get(table);
      if (number === undefined) {
        console.error(`No table named "${table}".`);
        process.exitCode = 1;
      } else {
        const limit = flags.limit ? Number(flags.limit) : Infinity;
        // Convex-encoded JSON lines (lossless: int64 and bytes keep their $integer/$bytes form).
        const docs = [...store.iterateTable(number)]
          .map((d) => ({ json: d.json, t: (jsonToConvex(JSON.parse(d.json)) as { _creationTime: number })._creationTime }))
          .sort((a, b) => a.t - b.t)
          .slice(0, limit);
        for (const d of docs) console.log(d.json);
      }
      store.close();
      return;
    }
    case "admin-key": {
      const store = openStore();
      console.log(store.getMeta("adminKey"));
      store.close();
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
