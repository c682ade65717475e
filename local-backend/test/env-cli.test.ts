// The local-backend CLI (`env`, `data`, `admin-key`) against the data dir of a running backend,
// and what functions see as `process.env`: the deployment's variables only, as in Convex.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { jsonToConvex } from "convex/values";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX = path.join(PROJECT_ROOT, "node_modules/.bin/tsx");
const CLI = path.join(PROJECT_ROOT, "local-backend/src/cli.ts");

const HOST_ONLY = "LB_ENV_CLI_TEST_HOST_SECRET";

let dataDir: string;
let backend: LocalBackend;
let client: ConvexHttpClient;

beforeAll(async () => {
  process.env[HOST_ONLY] = "visible only to the host process";
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-env-cli-"));
  backend = await LocalBackend.start({
    dataDir,
    convexDir: path.join(PROJECT_ROOT, "local-backend/test/fixtures-extra/env/convex"),
    port: 0,
    host: "127.0.0.1",
  });
  client = new ConvexHttpClient(backend.url, { logger: false });
});

afterAll(async () => {
  delete process.env[HOST_ONLY];
  await backend?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tsx local-backend/src/cli.ts ...args --data-dir <dataDir>` in a child process. */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args, "--data-dir", dataDir],
      { cwd: PROJECT_ROOT, timeout: 30_000, env: { ...process.env, LOCAL_BACKEND_DATA_DIR: "" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("env CLI against a running backend", () => {
  test("env set is visible to functions without a restart", async () => {
    await expect(client.query(anyApi.env.greeting, {})).resolves.toBeNull();
    const set = await cli("env", "set", "GREETING", "hello");
    expect(set.code, set.stderr).toBe(0);
    await expect(client.query(anyApi.env.greeting, {})).resolves.toBe("hello");
    await expect(client.mutation(anyApi.env.getInMutation, { name: "GREETING" })).resolves.toBe("hello");
    await expect(client.action(anyApi.env.getInAction, { name: "GREETING" })).resolves.toBe("hello");

    // Overwriting takes effect too.
    expect((await cli("env", "set", "GREETING", "hello again")).code).toBe(0);
    await expect(client.query(anyApi.env.greeting, {})).resolves.toBe("hello again");
  });

  test("env get, env list and env remove", async () => {
    expect((await cli("env", "set", "LIST_A", "value with spaces = and equals")).code).toBe(0);
    expect((await cli("env", "set", "LIST_B", "b")).code).toBe(0);

    const get = await cli("env", "get", "LIST_A");
    expect(get.code).toBe(0);
    expect(get.stdout.trim()).toBe("value with spaces = and equals");

    const list = await cli("env", "list");
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toContain("LIST_A=value with spaces = and equals");
    expect(lines).toContain("LIST_B=b");
    // Only stored variables are listed, not the system ones or the host's.
    expect(lines.some((l) => l.startsWith("PATH="))).toBe(false);

    const missing = await cli("env", "get", "NOT_SET_ANYWHERE");
    expect(missing.code).not.toBe(0);
    expect(missing.stdout.trim()).toBe("");

    const remove = await cli("env", "remove", "LIST_A");
    expect(remove.code).toBe(0);
    await expect(client.query(anyApi.env.get, { name: "LIST_A" })).resolves.toBeNull();
    await expect(client.query(anyApi.env.get, { name: "LIST_B" })).resolves.toBe("b");
    expect((await cli("env", "get", "LIST_A")).code).not.toBe(0);
    expect((await cli("env", "list")).stdout).not.toContain("LIST_A=");
  });

  test("variables set through backend.env are visible to the CLI", async () => {
    backend.env.set("FROM_BACKEND", "set in process");
    const get = await cli("env", "get", "FROM_BACKEND");
    expect(get.stdout.trim()).toBe("set in process");
    await expect(client.query(anyApi.env.get, { name: "FROM_BACKEND" })).resolves.toBe("set in process");
  });

  test.each(["1STARTS_WITH_DIGIT", "HAS-DASH", "HAS SPACE", "A".repeat(41)])(
    "env set refuses the invalid name %s with a clear message and a non-zero exit",
    async (name) => {
      const r = await cli("env", "set", name, "x");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(name);
      expect(r.stderr.toLowerCase()).toMatch(/invalid|name/);
      expect((await cli("env", "list")).stdout).not.toContain(`${name}=`);
    },
  );

  test("a value over 8 KiB is refused", async () => {
    const r = await cli("env", "set", "TOO_BIG", "x".repeat(8193));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("TOO_BIG");
    await expect(client.query(anyApi.env.get, { name: "TOO_BIG" })).resolves.toBeNull();
  });

  test("env with a missing argument prints usage and fails", async () => {
    const r = await cli("env", "set", "ONLY_NAME");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Usage");
  });
});

describe("process.env inside functions", () => {
  test("the host's environment variables are not visible", async () => {
    expect(process.env.PATH).toBeTruthy();
    for (const name of ["PATH", "HOME", HOST_ONLY]) {
      await expect(client.query(anyApi.env.get, { name }), name).resolves.toBeNull();
      await expect(client.mutation(anyApi.env.getInMutation, { name }), name).resolves.toBeNull();
      await expect(client.action(anyApi.env.getInAction, { name }), name).resolves.toBeNull();
      await expect(client.query(anyApi.env.has, { name }), name).resolves.toBe(false);
    }
    const keys: string[] = await client.query(anyApi.env.keys, {});
    expect(keys).not.toContain("PATH");
    expect(keys).not.toContain(HOST_ONLY);
    expect(keys).toContain("CONVEX_CLOUD_URL");
  });

  test("nor through the process object itself", async () => {
    for (const name of ["PATH", HOST_ONLY]) {
      await expect(client.query(anyApi.env.indirect, { name }), name).resolves.toEqual({
        destructured: null,
        viaGlobal: null,
      });
    }
    backend.env.set("INDIRECT_OK", "yes");
    await expect(client.query(anyApi.env.indirect, { name: "INDIRECT_OK" })).resolves.toEqual({
      destructured: "yes",
      viaGlobal: "yes",
    });
  });

  test("CONVEX_CLOUD_URL is the backend's URL and CONVEX_SITE_URL is set", async () => {
    await expect(client.query(anyApi.env.get, { name: "CONVEX_CLOUD_URL" })).resolves.toBe(backend.url);
    await expect(client.action(anyApi.env.getInAction, { name: "CONVEX_CLOUD_URL" })).resolves.toBe(backend.url);
    const site: string | null = await client.query(anyApi.env.get, { name: "CONVEX_SITE_URL" });
    expect(site).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("data and admin-key commands", () => {
  test("data TABLE prints one JSON document per line, oldest first", async () => {
    const docs = [
      { label: "first", n: 1, big: 10n },
      { label: "second", n: 2, nested: { ok: true } },
      { label: "third", n: 3, list: ["x", null] },
    ];
    const ids: string[] = [];
    for (const doc of docs) ids.push(await client.mutation(anyApi.env.insertThing, { doc }));

    const r = await cli("data", "things");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.length > 0);
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => jsonToConvex(JSON.parse(l)) as Record<string, unknown>);
    expect(parsed.map((d) => d._id)).toEqual(ids);
    expect(parsed.map((d) => d.label)).toEqual(["first", "second", "third"]);
    expect(parsed[0].big).toBe(10n);
    expect(parsed[1].nested).toEqual({ ok: true });
    for (const d of parsed) expect(typeof d._creationTime).toBe("number");

    const limited = await cli("data", "things", "--limit", "2");
    expect(limited.stdout.split("\n").filter((l) => l.length > 0)).toHaveLength(2);
  });

  test("data on an unknown table fails with a message", async () => {
    const r = await cli("data", "no_such_table");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no_such_table");
  });

  test("admin-key prints the running backend's admin key", async () => {
    const r = await cli("admin-key");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(backend.adminKey);
  });
});
