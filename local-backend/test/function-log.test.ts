// The function log behind `/api/stream_function_logs` (http/admin.ts; `npx convex dev` tails it):
// every execution, cache hits included, and the last LOG_CAPACITY of them kept. It is trimmed in
// batches (trimming one entry per execution shifted the whole array each time); what a reader gets
// must not show it: at most LOG_CAPACITY entries, the newest, in order, with a cursor that resumes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { LOG_CAPACITY } from "../src/http/admin.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/isolate-streams/convex", import.meta.url));

let dataDir: string;
let backend: LocalBackend;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-function-log-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", crons: false, scheduler: false });
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function logsAfter(cursor: number): Promise<{ entries: Array<{ identifier: string; udfType: string }>; newCursor: number }> {
  const r = await fetch(`${backend.url}/api/stream_function_logs?cursor=${cursor}`, { headers: { Authorization: `Convex ${backend.adminKey}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as never;
}

/** `n` executions: the first runs, the rest are cache hits (each is logged). */
async function execute(n: number, min: number) {
  for (let i = 0; i < n; i++) {
    const o = await backend.runner.runQuery("items:firstFrom", { min } as never, {});
    expect(o.ok).toBe(true);
  }
}

test("the log answers with the newest LOG_CAPACITY executions, in order, and its cursor resumes after them", async () => {
  const start = (await logsAfter(0)).newCursor; // the log starts with the first admin call
  await execute(LOG_CAPACITY + 1_500, 1);
  await backend.runner.runMutation("items:add", { n: 7 } as never, {});
  const all = await logsAfter(0);
  expect(all.entries).toHaveLength(LOG_CAPACITY);
  expect(all.newCursor).toBe(start + LOG_CAPACITY + 1_501);
  expect(all.entries.at(-1)).toMatchObject({ identifier: "items:add", udfType: "Mutation" });
  expect(all.entries.slice(0, -1).every((e) => e.identifier === "items:firstFrom")).toBe(true);

  // Past twice the capacity (a batch trim on the way): still the newest, and a cursor from before
  // the trim gets exactly what came after it.
  await execute(LOG_CAPACITY, 2);
  const next = await logsAfter(all.newCursor);
  expect(next.entries).toHaveLength(LOG_CAPACITY);
  expect(next.newCursor).toBe(all.newCursor + LOG_CAPACITY);
  const recent = await logsAfter(next.newCursor - 3);
  expect(recent.entries).toHaveLength(3);
});
