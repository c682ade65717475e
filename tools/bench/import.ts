// Import section of `npm run bench` (issue #15 "Numbers"; BENCH_ONLY=import): a members CSV of
// 50,000 rows imported as the studio does it (upload to file storage, api.audienceImport.start, the
// background job in batches of 100 rows per mutation), on the app's backend as its own process
// (`local-backend serve`, isolate workers with Convex's limits), so its memory is its own. Measured:
//   - time from start to the job "done" (< 5 min), and rows per second;
//   - no row lost: the job's created count = 50,000, and the member list read back page by page
//     holds 50,000 distinct addresses;
//   - the backend's resident memory, VmRSS sampled every 200 ms during the import.
// This was the integration suite's "50,000 rows" test (~2.5 min); it lives here to keep `npm test`
// inside its budget (the suite keeps a multi-slice, multi-batch import through the route).
//
// Bounded: 10 minutes (then it stops the backend, removes its temp dir and exits 1); Ctrl-C does
// the same cleanup. 127.0.0.1 only. Knobs: IMPORT_BENCH_ROWS (default 50000), IMPORT_BENCH_CPU_PROF=<folder>
// (the backend's main thread writes a CPU profile there; with LOCAL_BACKEND_ISOLATE_CPU_PROF, its isolates too).
// `tsx tools/bench/import.ts` runs it alone.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { fmt, printTable } from "../../local-backend/bench/lib.js";
import { seedAudience } from "../../tests/support/audience-seed.js";
import { backendProcess, compiledBackendCli, freePortPair, prepareDataDir, type BackendProcess } from "../../tests/support/backend-process.js";
import { guardSection } from "./guard.js";

type Log = (msg: string) => void;

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 50_000);
const PROF_DIR = process.env.IMPORT_BENCH_CPU_PROF;
/** The section's own budget (run.ts adds it to the run's cap). */
export const IMPORT_BUDGET_MS = 10 * 60_000;
const TARGET = { completeMs: 5 * 60_000 };
const SLUG = "importbench";

const mb1 = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plain "email,name" CSV, as a small publication's own spreadsheet would be. */
function membersCsv(rows: number): Uint8Array<ArrayBuffer> {
  const lines = ["email,name"];
  for (let i = 0; i < rows; i++) lines.push(`member${i}@big.example,Member ${i}`);
  return new TextEncoder().encode(lines.join("\n"));
}

export async function runImportBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "import-bench-"));
  let backend: BackendProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  // Kills what this section started and removes its temp dir (on abort, nothing is awaited).
  const guard = guardSection("import", IMPORT_BUDGET_MS, () => {
    if (backend?.alive()) process.kill(backend.pid(), "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  try {
    const t0 = performance.now();
    // A site and its owner only (no members): the import creates every one of them.
    const prepared = await prepareDataDir(dataDir, {}, (b) => seedAudience(b, { slug: SLUG, members: 0 }));
    const world = prepared.value;
    const siteId = world.siteId as Id<"sites">;
    const port = await freePortPair();
    // As `npm start` runs it: no log line per function call (--quiet; start.ts logs calls only with --verbose).
    // Compiled, as npm start runs it.
    backend = backendProcess({ dataDir, port, quiet: true, compiledCli: await compiledBackendCli(), nodeArgs: PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`] : [] });
    await backend.start();
    log(`import bench: backend process ${backend.pid()} serving, RSS ${fmt.mb(backend.rss())}`);

    const owner = new ConvexHttpClient(backend.url, { logger: false });
    (owner as any).setAdminAuth(prepared.adminKey, { subject: `${world.ownerId}|import-bench`, issuer: "https://convex.test" });
    const bytes = membersCsv(ROWS);
    log(`import bench: ${fmt.int(ROWS)} rows, ${mb1(bytes.byteLength)} (${fmt.int(bytes.byteLength)} bytes) ready in ${fmt.s(performance.now() - t0)}`);

    let rssPeak = 0;
    sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, backend!.rss());
    }, 200);
    // As the studio's import route does it: upload, then start with the bytes' SHA-256.
    const tStart = Date.now();
    const uploadUrl = await owner.mutation(api.audienceImport.generateUploadUrl, { siteId });
    const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": "text/csv" }, body: bytes });
    if (!res.ok) throw new Error(`import bench: upload answered ${res.status}: ${await res.text()}`);
    const { storageId } = (await res.json()) as { storageId: Id<"_storage"> };
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const importId = await owner.mutation(api.audienceImport.start, { siteId, storageId, sha256, fileName: "members.csv" });

    // Until the job ends (or the section's budget is nearly spent).
    const deadline = tStart + IMPORT_BUDGET_MS - 90_000;
    let job: FunctionReturnType<typeof api.audienceImport.get> = null;
    let lastLog = Date.now();
    for (;;) {
      job = await owner.query(api.audienceImport.get, { siteId, importId });
      if (job && (job.status === "done" || job.status === "failed")) break;
      if (Date.now() > deadline) break;
      if (Date.now() - lastLog >= 15_000) {
        lastLog = Date.now();
        log(`import bench: ${job?.status ?? "gone"}, ${fmt.int(job?.processed ?? 0)} of ${fmt.int(job?.total ?? 0)} rows, backend RSS ${fmt.mb(backend.rss())}`);
      }
      await sleep(250);
    }
    clearInterval(sampler);
    const done = job !== null && job.status === "done";
    const completeMs = done && job!.finishedAt !== null ? job!.finishedAt - tStart : NaN;

    // No row lost: the members themselves, read back page by page (not only the job's counters).
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (;;) {
      const page: FunctionReturnType<typeof api.audience.list> = await owner.query(api.audience.list, { siteId, paginationOpts: { numItems: 1_000, cursor } });
      for (const m of page.page) seen.add(m.email);
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    const expected = Array.from({ length: ROWS }, (_, i) => `member${i}@big.example`);
    const missing = expected.filter((e) => !seen.has(e)).length;
    const met = (ok: boolean) => (ok ? "met" : "MISSED");

    printTable(
      `Import: a members CSV of ${fmt.int(ROWS)} rows (email,name; ${mb1(bytes.byteLength)}) through file storage and the background job, ` +
        `backend as its own process (${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`,
      [
        {
          measure: "start → job done",
          value: Number.isFinite(completeMs) ? fmt.s(completeMs) : `not done (${job?.status ?? "gone"}${job?.error ? `: ${job.error}` : ""})`,
          target: "< 300 s",
          status: met(completeMs < TARGET.completeMs),
        },
        { measure: "rows per second", value: fmt.int(ROWS / (completeMs / 1000)), target: "", status: "" },
        {
          measure: "job counts (created / processed / failed)",
          value: `${fmt.int(job?.created ?? 0)} / ${fmt.int(job?.processed ?? 0)} / ${fmt.int(job?.failed ?? 0)}`,
          target: `created = ${fmt.int(ROWS)}`,
          status: met(job?.created === ROWS && job?.processed === ROWS && job?.failed === 0),
        },
        {
          measure: "members read back (distinct addresses)",
          value: `${fmt.int(seen.size)} (${fmt.int(missing)} missing)`,
          target: `${fmt.int(ROWS)}, none missing`,
          status: met(seen.size === ROWS && missing === 0),
        },
        { measure: "backend RSS peak during the import", value: fmt.mb(rssPeak), target: "", status: "" },
      ],
    );
  } finally {
    guard.release();
    if (sampler) clearInterval(sampler);
    await backend?.stop("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const t0 = performance.now();
  runImportBench((m) => console.log(`[bench ${fmt.s(performance.now() - t0)}] ${m}`)).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
