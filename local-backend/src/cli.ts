#!/usr/bin/env node
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { jsonToConvex } from "convex/values";
import { EnvStore, LocalBackend } from "./backend.js";
import { SqliteStore } from "./storage/sqlite.js";
import { runOfficialCli } from "./officialCli.js";
import { onShutdown, serveBackend } from "./serve.js";

const USAGE = `local-backend: a Convex-compatible backend on SQLite

Usage:
  local-backend serve [--convex-dir convex] [--data-dir .data/local-backend] [--port 3210] [--watch] [--quiet]
                                       API on --port, HTTP actions on --port + 1; --quiet: no line per function call
  local-backend serve --pushed [...]   serve what \`npx convex dev|deploy\` last pushed (no --convex-dir)
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
    quiet: { type: "boolean", default: false },
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

async function serve(): Promise<LocalBackend> {
  // --pushed: no folder of our own; the functions are what the official CLI pushed (kept in the data dir).
  return serveBackend({
    convexDir: flags.pushed ? undefined : path.resolve(flags["convex-dir"]!),
    convexDirLabel: flags["convex-dir"],
    dataDir,
    port: Number(flags.port),
    appPort: flags["app-port"]!,
    watch: flags.watch!,
    logCalls: !flags.quiet,
  });
}

async function main() {
  const [command = "serve", ...rest] = positionals;
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case "serve": {
      const backend = await serve();
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
