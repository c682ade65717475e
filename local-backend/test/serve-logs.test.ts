// `serveBackend` (what `local-backend serve` and `npm start` run): function calls are logged only
// when asked (`npm start -- --verbose`), and the admin key is never printed.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { LocalBackend } from "../src/backend.js";
import { serveBackend } from "../src/serve.js";

const FIXTURE = path.resolve("local-backend/test/fixture/convex");
const open: Array<{ backend: LocalBackend; dir: string }> = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const { backend, dir } of open.splice(0)) {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Serves the fixture, makes one query and one mutation, and returns everything printed. */
async function serveAndCall(logCalls: boolean | undefined): Promise<{ printed: string; adminKey: string }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  const dir = mkdtempSync(path.join(tmpdir(), "lb-serve-logs-"));
  const backend = await serveBackend({ convexDir: FIXTURE, dataDir: dir, port: 0, appPort: "3000", watch: false, logCalls });
  open.push({ backend, dir });
  const client = new ConvexHttpClient(backend.url);
  await client.mutation(anyApi.misc.insertScratch, { doc: { value: "x" } });
  await client.query(anyApi.misc.listScratch, {});
  return { printed: lines.join("\n"), adminKey: backend.adminKey };
}

describe("serveBackend logs", () => {
  test("logCalls: false prints no line per function call; the default (the backend's own CLI) does", async () => {
    const quiet = await serveAndCall(false);
    expect(quiet.printed).toContain("[local-backend] serving");
    expect(quiet.printed).not.toMatch(/\[local-backend\] (query|mutation|action) /);
    const verbose = await serveAndCall(undefined);
    expect(verbose.printed).toMatch(/\[local-backend\] mutation misc:insertScratch [\d.]+ms ok/);
    expect(verbose.printed).toMatch(/\[local-backend\] query misc:listScratch [\d.]+ms ok/);
  });

  test("secret in logs: the admin key is never printed, only the command that prints it", async () => {
    for (const logCalls of [false, true]) {
      const { printed, adminKey } = await serveAndCall(logCalls);
      expect(adminKey.length).toBeGreaterThan(20);
      expect(printed).not.toContain(adminKey);
      expect(printed).not.toContain(adminKey.split("|")[1]);
      expect(printed).toContain("admin key: `npm run -s local-backend -- admin-key --data-dir");
    }
  });
});
