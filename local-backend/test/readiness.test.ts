// Readiness (issue #12, item 19): on a fresh data dir, `local-backend serve` (which `start` also
// runs) must not answer `/version` until it can serve a sign-in, i.e. until the sign-in keys
// (JWT_PRIVATE_KEY, JWKS) and SITE_URL are in the function environment. The test starts the real
// CLI, polls `/version` as a supervisor would, and signs up the moment it first answers 200.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, expect, test } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const signIn = makeFunctionReference<"action">("auth:signIn");
const dataDir = mkdtempSync(path.join(tmpdir(), "lb-ready-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A free port whose successor (the HTTP-actions port) is free too. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error("no free port pair");
}

test("sign-in before ready: on a fresh data dir, the first sign-in after /version answers succeeds (keys and SITE_URL are written before the backend reports ready)", async () => {
  const port = await freePortPair();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "local-backend/src/cli.ts", "serve", "--convex-dir", "local-backend/test/fixture-auth/convex", "--data-dir", dataDir, "--port", String(port), "--app-port", "39999"],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  try {
    const url = `http://127.0.0.1:${port}`;
    // Poll as a supervisor does; before ready the answer is a refused connection or a 503.
    const early = new Set<number | string>();
    const deadline = Date.now() + 60_000;
    for (;;) {
      expect(child.exitCode, `the backend exited:\n${output}`).toBeNull();
      expect(Date.now() < deadline, `not ready in 60 s:\n${output}`).toBe(true);
      const status = await fetch(`${url}/version`).then(
        (r) => r.status,
        () => "refused",
      );
      if (status === 200) break;
      early.add(status);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect([...early].filter((s) => s !== "refused" && s !== 503)).toEqual([]);
    // The very first request after "ready" is a sign-up through @convex-dev/auth, which signs its
    // tokens with JWT_PRIVATE_KEY and checks SITE_URL.
    const client = new ConvexHttpClient(url);
    const result = (await client.action(signIn, {
      provider: "password",
      params: { email: "first@example.com", password: "correct horse battery", flow: "signUp" },
    })) as { tokens?: { token: string } };
    expect(result.tokens?.token).toEqual(expect.any(String));
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
  }
}, 90_000);
