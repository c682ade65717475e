import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";

// guardSection in a child process: past its budget it runs the section's stop and exits 1; once
// released it leaves the process alone.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runChild(release: boolean) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "guard-test-"));
  dirs.push(dir);
  const marker = path.join(dir, "stopped");
  const script = `
    import { writeFileSync } from "node:fs";
    import { guardSection } from ${JSON.stringify(path.resolve("tools/bench/guard.ts"))};
    const guard = guardSection("test", 100, () => writeFileSync(${JSON.stringify(marker)}, "x"));
    ${release ? "guard.release();" : ""}
    setTimeout(() => process.exit(0), 400);
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stopped: existsSync(marker) };
}

describe("guardSection", () => {
  test("past the budget it stops what the section started and exits 1", () => {
    const r = runChild(false);
    expect(r.status).toBe(1);
    expect(r.stopped).toBe(true);
    expect(r.stderr).toContain("[test bench] exceeded");
  });

  test("released, it never fires", () => {
    const r = runChild(true);
    expect(r.status).toBe(0);
    expect(r.stopped).toBe(false);
  });
});
