/**
 * `local-backend codegen` (npm run codegen, npm test's first step) goes through the official CLI's
 * push path, run in a temp copy of the CLI fixture app: codegen writes what a deploy's analysis gives.
 * (`npm start`, the app's launcher on the same path, is tested in tools/start.test.ts.)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { cliFixtureApp, removeTempDirs, runTsx } from "./cli-app.js";

const CLI_TS = path.resolve(__dirname, "../src/cli.ts");

afterEach(removeTempDirs);

describe("npm run codegen deploys through the official CLI", () => {
  test("codegen regenerates convex/_generated from a throwaway backend's push analysis", async () => {
    const app = cliFixtureApp();
    const r = await runTsx(CLI_TS, app, ["codegen"]);
    expect(r.code, r.output).toBe(0);
    const apiDts = readFileSync(path.join(app, "convex/_generated/api.d.ts"), "utf8");
    expect(apiDts).toContain("messages: typeof messages;");
    // Only a deployment's analysis gives these (`--system-udfs` codegen writes neither).
    expect(apiDts).toContain("export declare const components: {};");
    expect(readFileSync(path.join(app, "convex/_generated/server.d.ts"), "utf8")).toContain("readonly CONVEX_SITE_URL: string;");
  }, 120_000);
});
