/**
 * `npm start` (tools/launch.mjs, which compiles tools/start.ts and runs it with plain node) deploys convex/ through the official CLI's push path, here in a temp
 * copy of the local backend's CLI fixture app. Its happy path (build, app on :3000) is too slow for
 * the suite and is checked by hand (README: npm start). Here: a push the backend refuses stops it
 * with exit 1 and the CLI's own error, before any app is started (the Resend fake, started first,
 * stops with it; its wiring is tested in tools/resend-fake/dev.test.ts).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { cliFixtureApp, removeTempDirs, runNode, runTsx, tempDir } from "../local-backend/test/cli-app.js";

const LAUNCH = path.resolve(__dirname, "launch.mjs");

afterEach(removeTempDirs);

describe("npm start deploys through the official CLI", () => {
  test("start stops with exit 1 and the CLI's error when the push is refused; no app is started", async () => {
    const app = cliFixtureApp();
    writeFileSync(
      path.join(app, "convex/broken.ts"),
      'import { query } from "./_generated/server";\nexport const never = query({ args: {}, handler: async () => 1 });\nthrow new Error("boom at import");\n',
    );
    const dataDir = tempDir("cli-start-data-");
    const r = await runNode(LAUNCH, app, ["--data-dir", dataDir, "--port", "0"]);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain("Failed to analyze broken.js");
    expect(r.output).toContain("boom at import");
    expect(r.output).toContain("[pressroom] deploying convex/ failed: npx convex dev --once --typecheck disable failed (exit 1)");
    expect(r.output).not.toContain("[pressroom] app on");
    // Secret in logs: the backend started and generated its admin key, and never printed it.
    const key = await runTsx(path.resolve(__dirname, "../local-backend/src/cli.ts"), app, ["admin-key", "--data-dir", dataDir]);
    const adminKey = key.output.trim();
    expect(adminKey, key.output).toMatch(/^local-admin\|[0-9a-f]{48}$/);
    expect(r.output).not.toContain(adminKey.split("|")[1]);
    expect(r.output).toContain("admin key: `npm run -s local-backend -- admin-key");
    // Without RESEND_API_KEY the Resend fake starts before the deploy, says where in one line, and
    // stops with the stack.
    const fakeLines = r.output.split("\n").filter((l) => l.includes("Resend fake"));
    expect(fakeLines).toHaveLength(1);
    const fakeUrl = /Resend fake at (http:\/\/127\.0\.0\.1:\d+) /.exec(fakeLines[0]!)?.[1];
    expect(fakeUrl, fakeLines[0]).toBeTruthy();
    await expect(fetch(`${fakeUrl}/_fake/events`)).rejects.toThrow();
  }, 120_000);
});
