// Issue #18: esbuild must not stay resident in production. The backend bundles with esbuild (a
// convex/ folder, components, the isolate workers' script, each pushed module's analysis), and
// esbuild's JS API keeps its `esbuild --service` child for the life of the process unless told to
// stop. esbuildService.ts stops it once no call has been in flight for ESBUILD_IDLE_MS. Vitest runs
// each file in its own process, so the children counted here are this file's.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { esbuildBusy, transform } from "../src/runtime/esbuildService.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-streams/convex", import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), "lb-esbuild-resident-"));
let backend: LocalBackend | undefined;

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** This process's child processes that are esbuild services (from /proc: parent pid and command line). */
function esbuildChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "latin1");
      if (cmd.includes("esbuild") && cmd.includes("--service")) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function untilIdle(ms = 5_000) {
  const until = Date.now() + ms;
  while (esbuildBusy() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(esbuildBusy()).toBe(false);
  // stop() kills the child; give the kernel a moment to reap it.
  for (let i = 0; i < 20 && esbuildChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
}

test.skipIf(process.platform !== "linux")("esbuild's service does not stay resident after the backend bundles a folder, and starts again when needed", async () => {
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, scheduler: false });
  await untilIdle();
  expect(esbuildChildren()).toEqual([]);
  // Functions run without it (the workers' script was built while it ran).
  const first = await backend.runner.runQuery("items:firstFrom", { min: 0 } as never, {});
  expect(first.ok).toBe(true);
  // A later call starts a new service, which is there right after the call (kept for a push's
  // next call: the check here can see a child), and goes once idle.
  expect((await transform("let answer = 42", { loader: "js" })).code).toContain("42");
  expect(esbuildChildren().length).toBeGreaterThan(0);
  await untilIdle();
  expect(esbuildChildren()).toEqual([]);
  // A second bundle (a restart on the same folder bundles it again) works after a stop, and leaves nothing either.
  await backend.close();
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, scheduler: false });
  const again = await backend.runner.runQuery("items:firstFrom", { min: 0 } as never, {});
  expect(again.ok).toBe(true);
  await untilIdle();
  expect(esbuildChildren()).toEqual([]);
}, 60_000);
