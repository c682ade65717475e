/**
 * The official CLI (node_modules/convex, unmodified) deploying to a local backend through the
 * self-hosted deploy API: `dev --once`, `deploy`, `codegen`, and pushes that must change nothing.
 * The CLI talks to the backend through a recording proxy, so every route it uses is checked.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend";
import { officialCliEnv } from "../src/officialCli";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "node_modules/convex/bin/main.js");
const api = anyApi as any;

/** Forwards to the backend and records `METHOD /path status` for each request. */
async function recordingProxy(target: string) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      hits.push(`${req.method} ${req.url?.split("?")[0]} ${r.statusCode}`);
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

interface CliResult {
  code: number | null;
  output: string;
  ms: number;
}

function runCli(cwd: string, url: string, adminKey: string, args: string[]): Promise<CliResult> {
  const started = Date.now();
  const env = officialCliEnv({ url, adminKey });
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    }),
  );
}

/** A temp copy of the fixture app that resolves `convex` from this repository. */
function fixtureApp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cli-push-app-"));
  cpSync(path.join(__dirname, "fixtures-cli"), dir, { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

describe("the official CLI pushes to the local backend", () => {
  let backend: LocalBackend;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let app: string;
  let dataDir: string;
  let client: ConvexHttpClient;
  const dev = (...extra: string[]) => runCli(app, proxy.url, backend.adminKey, ["dev", "--once", "--typecheck", "disable", ...extra]);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "cli-push-data-"));
    backend = await LocalBackend.start({ dataDir, port: 0, scheduler: false, crons: false });
    backend.env.set("GREETING", "hello from the deployment");
    proxy = await recordingProxy(backend.url);
    app = fixtureApp();
    client = new ConvexHttpClient(backend.url);
  });

  afterAll(async () => {
    await proxy?.close();
    await backend?.close();
    rmSync(app, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("dev --once deploys the functions, the schema and its indexes; ConvexHttpClient calls them", async () => {
    const r = await dev();
    expect(r.output).toContain("Convex functions ready!");
    expect(r.output).toContain("[+] messages.by_author");
    expect(r.code).toBe(0);
    await client.mutation(api.messages.send, { body: "hi", author: "ada" });
    expect(await client.query(api.messages.list, {})).toEqual(["ada: hi"]);
    // process.env in a pushed module is the deployment's environment.
    expect(await client.query(api.messages.env, {})).toBe("hello from the deployment");
    // Internal functions stay internal; the schema is enforced.
    await expect(client.query(api.messages.byAuthor, { author: "ada" })).rejects.toThrow(/Could not find public function/);
    await expect(client.mutation(api.messages.send, { body: 1 as any, author: "x" })).rejects.toThrow(/ArgumentValidationError/);
    // Every deploy route the CLI used answered (evaluate_schema is optional: the CLI skips its
    // advisory checks on a 404). Other routes it tried that are missing are printed, not failed:
    // `dev` also tails logs (`/api/stream_function_logs`), which is not part of pushing.
    const pushRoute = /^\S+ \/api\/(deploy2\/|get_config_hashes|v1\/get_canonical_urls)/;
    const failed = proxy.hits.filter((h) => pushRoute.test(h) && !/ 200$/.test(h));
    expect(failed, proxy.hits.join("\n")).toEqual(["POST /api/deploy2/evaluate_schema 404"]);
    const missing = proxy.hits.filter((h) => !pushRoute.test(h) && / 40[45]$/.test(h));
    if (missing.length) console.warn(`[cli-push] routes the CLI hit that this backend lacks:\n${missing.join("\n")}`);
    for (const step of ["start_push", "wait_for_schema", "finish_push"]) {
      expect(proxy.hits).toContain(`POST /api/deploy2/${step} 200`);
    }
  });

  test("a second push sends unchanged modules by hash and adds new ones", async () => {
    const hashes = await fetch(`${backend.url}/api/get_config_hashes`, {
      method: "POST",
      body: JSON.stringify({ adminKey: backend.adminKey, version: "1.48.0" }),
    }).then((r) => r.json());
    expect(hashes.moduleHashes.map((m: { path: string }) => m.path)).toContain("messages.js");
    writeFileSync(
      path.join(app, "convex/extra.ts"),
      'import { query } from "./_generated/server";\nexport const ping = query({ args: {}, handler: async () => "pong" });\n',
    );
    const r = await dev();
    expect(r.code, r.output).toBe(0);
    expect(await client.query(api.extra.ping, {})).toBe("pong");
    expect(await client.query(api.messages.list, {})).toEqual(["ada: hi"]);
  });

  test("a module that throws while loading refuses the whole push; the old functions keep serving", async () => {
    writeFileSync(
      path.join(app, "convex/broken.ts"),
      'import { query } from "./_generated/server";\nexport const never = query({ args: {}, handler: async () => 1 });\nthrow new Error("boom at import");\n',
    );
    writeFileSync(
      path.join(app, "convex/extra.ts"),
      'import { query } from "./_generated/server";\nexport const ping = query({ args: {}, handler: async () => "pong v2" });\n',
    );
    const r = await dev();
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("Failed to analyze broken.js");
    expect(r.output).toContain("boom at import");
    expect(await client.query(api.extra.ping, {})).toBe("pong");
    await expect(client.query(api.broken.never, {})).rejects.toThrow(/Could not find public function/);
    rmSync(path.join(app, "convex/broken.ts"));
  });

  test("a schema that existing documents violate is refused with the document named; nothing changes", async () => {
    const schemaFile = path.join(app, "convex/schema.ts");
    const original = readFileSync(schemaFile, "utf8");
    writeFileSync(schemaFile, original.replace("body: v.string()", "body: v.number()").replace('.index("by_author", ["author"])', ""));
    try {
      const r = await dev();
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("Schema validation failed");
      expect(r.output).toMatch(/in table "messages" does not match the schema/);
      // The old schema still holds: strings are accepted, the index still serves.
      await client.mutation(api.messages.send, { body: "still a string", author: "ada" });
      expect(await client.query(api.messages.list, {})).toEqual(["ada: hi", "ada: still a string"]);
      expect(await client.query(api.extra.ping, {})).toBe("pong");
      const admin = new ConvexHttpClient(backend.url);
      (admin as any).setAdminAuth(backend.adminKey);
      expect(await admin.query(api.messages.byAuthor, { author: "ada" })).toBe(2);
    } finally {
      writeFileSync(schemaFile, original);
    }
  });

  test("a schema that breaks Convex's index naming rules is refused with Convex's text; nothing changes", async () => {
    const schemaFile = path.join(app, "convex/schema.ts");
    const original = readFileSync(schemaFile, "utf8");
    writeFileSync(schemaFile, original.replace('.index("by_author", ["author"])', '.index("by_id", ["author"])'));
    try {
      const r = await dev();
      expect(r.code).not.toBe(0);
      expect(r.output).toContain(
        'In table "messages" cannot name an index "by_id" because the name is reserved. Indexes may not start with an underscore or be named "by_id" or "by_creation_time".',
      );
      // The installed schema and its index still serve.
      const admin = new ConvexHttpClient(backend.url);
      (admin as any).setAdminAuth(backend.adminKey);
      expect(await admin.query(api.messages.byAuthor, { author: "ada" })).toBe(2);
      expect(await client.query(api.extra.ping, {})).toBe("pong");
    } finally {
      writeFileSync(schemaFile, original);
    }
  });

  test("codegen writes _generated/api.d.ts for the functions and deploys nothing", async () => {
    rmSync(path.join(app, "convex/_generated"), { recursive: true, force: true });
    writeFileSync(
      path.join(app, "convex/later.ts"),
      'import { query } from "./_generated/server";\nexport const notYet = query({ args: {}, handler: async () => 1 });\n',
    );
    const r = await runCli(app, proxy.url, backend.adminKey, ["codegen", "--typecheck", "disable"]);
    expect(r.code, r.output).toBe(0);
    const apiDts = path.join(app, "convex/_generated/api.d.ts");
    expect(existsSync(apiDts)).toBe(true);
    const text = readFileSync(apiDts, "utf8");
    for (const mod of ["messages", "extra", "later"]) expect(text).toContain(`${mod}: typeof ${mod}`);
    expect(existsSync(path.join(app, "convex/_generated/server.d.ts"))).toBe(true);
    await expect(client.query(api.later.notYet, {})).rejects.toThrow(/Could not find public function/);
    rmSync(path.join(app, "convex/later.ts"));
  });

  test("deploy pushes the current code; a restarted backend serves what was pushed", async () => {
    writeFileSync(
      path.join(app, "convex/extra.ts"),
      'import { query } from "./_generated/server";\nexport const ping = query({ args: {}, handler: async () => "pong v3" });\n',
    );
    const r = await runCli(app, proxy.url, backend.adminKey, ["deploy", "--typecheck", "disable", "-y"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("Deployed Convex functions");
    expect(await client.query(api.extra.ping, {})).toBe("pong v3");

    await proxy.close();
    await backend.close();
    backend = await LocalBackend.start({ dataDir, port: 0, scheduler: false, crons: false });
    proxy = await recordingProxy(backend.url);
    client = new ConvexHttpClient(backend.url);
    expect(await client.query(api.extra.ping, {})).toBe("pong v3");
    expect(await client.query(api.messages.list, {})).toEqual(["ada: hi", "ada: still a string"]);
  });

  test("deploy requests with a wrong admin key are refused", async () => {
    const r = await fetch(`${backend.url}/api/deploy2/start_push`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ adminKey: "nope", appDefinition: {} }),
    });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ code: "BadAdminKey" });
  });
});
