// Migrate section of `npm run bench` (issue #17 "Numbers"; BENCH_ONLY=migrate): a Ghost 5 export of
// 1,000 posts of ~1,500 words (50 tags, 10 authors; tools/bench/ghost-fixture.ts) imported as the
// studio does it (upload to file storage, contentImport.start → the dry run, contentImport.confirm
// → the background job), then the site exported through the app's own routes (Ghost JSON and the
// Markdown zip, streamed). The backend runs as its own process (`local-backend serve`, isolate
// workers with Convex's limits) and the app as the production server, so their memory is their own.
// Measured, with targets:
//   - dry run (start → ready) and import (confirm → done); upload → done under 60 s;
//   - the posts really there: the job's created count, and the Ghost export holds 1,000 posts;
//   - the backend's resident memory (VmRSS, sampled every 250 ms) during the import and each export:
//     under 500 MB; the app's growth during each (its idle process tree is issue #18's);
//   - each export under 20 s.
// The owner signs in to the app with a session cookie: a JWT signed with the data dir's own key
// for a real authSessions row, as @convex-dev/auth would issue it.
//
// Bounded: 10 minutes (then it stops what it started, removes its temp dir and exits 1); Ctrl-C
// does the same. 127.0.0.1 only. Knobs: MIGRATE_BENCH_POSTS (1000), MIGRATE_BENCH_WORDS (1500).
// `tsx tools/bench/migrate.ts` runs it alone.
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import type { FunctionReturnType } from "convex/server";
import { unzipSync } from "fflate";
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { fmt, printTable } from "../../local-backend/bench/lib.js";
import { seedAudience } from "../../tests/support/audience-seed.js";
import { backendProcess, compiledBackendCli, freePortPair, prepareDataDir, type BackendProcess } from "../../tests/support/backend-process.js";
import { ghostFixtureBytes } from "./ghost-fixture.js";
import { ensureBuild, freePort, startApp, stopApp, waitFor } from "./reader-pages.js";
import { guardSection } from "./guard.js";
import { treeRss } from "./rss.js";

type Log = (msg: string) => void;

const POSTS = Number(process.env.MIGRATE_BENCH_POSTS ?? 1000);
const WORDS = Number(process.env.MIGRATE_BENCH_WORDS ?? 1500);
/** The section's own budget (run.ts adds it to the run's cap). */
export const MIGRATE_BUDGET_MS = 10 * 60_000;
const TARGET = { importMs: 60_000, exportMs: 20_000, rssBytes: 500 * 2 ** 20 };
const SLUG = "migratebench";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb1 = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * Peak backend and app RSS between start() and stop(), sampled every 250 ms, with each one's RSS at
 * start(): the backend's peak is held to the target; the app's idle process tree (a cluster primary
 * and a worker per CPU under tsx, ~600 MB: issue #18) is not this section's, so its growth is reported.
 */
function rssSampler(backend: BackendProcess, app: ChildProcess) {
  const peak = { backend: 0, app: 0, backendStart: 0, appStart: 0 };
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    peak.backend = Math.max(peak.backend, backend.rss());
    peak.app = Math.max(peak.app, treeRss(app.pid));
  };
  return {
    start() {
      peak.backend = peak.app = 0;
      sample();
      peak.backendStart = peak.backend;
      peak.appStart = peak.app;
      timer = setInterval(sample, 250);
    },
    stop() {
      if (timer) clearInterval(timer);
      sample();
      return { ...peak };
    },
  };
}
type RssPeak = ReturnType<ReturnType<typeof rssSampler>["stop"]>;

type Job = NonNullable<FunctionReturnType<typeof api.contentImport.get>>;

export async function runMigrateBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "migrate-bench-"));
  let backend: BackendProcess | undefined;
  let app: ChildProcess | undefined;
  // Kills what this section started and removes its temp dir (on abort, nothing is awaited).
  const guard = guardSection("migrate", MIGRATE_BUDGET_MS, () => {
    if (backend?.alive()) process.kill(backend.pid(), "SIGKILL");
    app?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  try {
    ensureBuild(log);
    const t0 = performance.now();
    const bytes = ghostFixtureBytes({ posts: POSTS, words: WORDS });
    log(`migrate bench: Ghost 5 export of ${fmt.int(POSTS)} posts (~${fmt.int(WORDS)} words), ${mb1(bytes.byteLength)}, generated in ${fmt.s(performance.now() - t0)}`);

    // The owner's session: the data dir's own signing key, and a session row the JWT names.
    const port = await freePortPair();
    const siteUrl = `http://127.0.0.1:${port + 1}`;
    const keys = await generateKeyPair("RS256", { extractable: true });
    const env = {
      JWT_PRIVATE_KEY: (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "),
      JWKS: JSON.stringify({ keys: [{ use: "sig", ...(await exportJWK(keys.publicKey)) }] }),
      SITE_URL: "http://127.0.0.1:3000",
    };
    const prepared = await prepareDataDir(dataDir, env, async (b) => {
      const world = await seedAudience(b, { slug: SLUG, members: 0 });
      const outcome = await b.runner.transactInline(async (ctx: any) =>
        ctx.db.insert("authSessions", { userId: world.ownerId, expirationTime: Date.now() + 86_400_000 }),
      );
      if (!outcome.ok) throw new Error(outcome.message);
      return { ...world, sessionId: JSON.parse(outcome.valueJson) as string };
    });
    const world = prepared.value;
    const siteId = world.siteId as Id<"sites">;
    // As `npm start` runs it: no log line per function call (--quiet; start.ts logs calls only with --verbose).
    // Compiled, as npm start runs it.
    backend = backendProcess({ dataDir, port, quiet: true, compiledCli: await compiledBackendCli() });
    await backend.start();
    if (backend.siteUrl !== siteUrl) throw new Error(`migrate bench: the backend's site URL is ${backend.siteUrl}, not ${siteUrl}`);
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ sub: `${world.ownerId}|${world.sessionId}`, iss: siteUrl, aud: "convex", iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(keys.privateKey);
    const cookie = `__convexAuthJWT=${jwt}; __convexAuthRefreshToken=unused-during-the-bench`;

    const appPort = await freePort();
    const base = `http://127.0.0.1:${appPort}`;
    app = startApp(appPort, backend.url, "off", prepared.adminKey);
    await waitFor(`${base}/`, 30_000);
    log(`migrate bench: backend ${backend.pid()} (RSS ${fmt.mb(backend.rss())}) and app ${app.pid} (RSS ${fmt.mb(treeRss(app.pid))}, with its workers) serving`);

    const owner = new ConvexHttpClient(backend.url, { logger: false });
    owner.setAuth(jwt);
    const rss = rssSampler(backend, app);

    // The export as Ghost writes it (one .json file), uploaded as the studio's migrate page does
    // (local-backend, like Convex, takes upload-URL bodies up to 1 GiB; the importer's limit is 100 MiB).
    const upload = async (body: Uint8Array<ArrayBuffer>, type: string) => {
      const url = await owner.mutation(api.contentImport.generateUploadUrl, { siteId });
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": type }, body });
      return { status: r.status, json: (await r.json().catch(() => null)) as { storageId?: Id<"_storage"> } | null };
    };

    // Import, as the studio's migrate page does it: upload, start (the dry run), confirm.
    rss.start();
    const tUpload = Date.now();
    const uploaded = await upload(bytes, "application/json");
    const storageId = uploaded.json?.storageId;
    if (!storageId) throw new Error(`migrate bench: the upload of the .json answered ${uploaded.status}`);
    const uploadMs = Date.now() - tUpload;
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const tStart = Date.now();
    const importId = await owner.mutation(api.contentImport.start, { siteId, storageId, sha256, fileName: "ghost-export.json" });
    const deadline = tUpload + MIGRATE_BUDGET_MS - 3 * 60_000;
    const waitUntil = async (done: (j: Job) => boolean, what: string): Promise<Job> => {
      let lastLog = Date.now();
      for (;;) {
        const job = await owner.query(api.contentImport.get, { siteId, importId });
        if (!job) throw new Error("migrate bench: the import job is gone");
        if (done(job) || job.status === "failed" || job.status === "canceled" || Date.now() > deadline) return job;
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          log(`migrate bench: ${what}: ${job.status}, ${fmt.int(job.processed)} of ${fmt.int(job.total)}, backend RSS ${fmt.mb(backend!.rss())}`);
        }
        await sleep(250);
      }
    };
    const analyzed = await waitUntil((j) => j.status === "ready", "dry run");
    const dryRunMs = Date.now() - tStart;
    // A dry run that fails is reported in the table (the exports still run, on what is there).
    if (analyzed.status !== "ready") log(`migrate bench: the dry run ended ${analyzed.status}: ${analyzed.error ?? ""}`);
    const planned = analyzed.plan;
    const tConfirm = Date.now();
    if (analyzed.status === "ready") await owner.mutation(api.contentImport.confirm, { siteId, importId });
    const job = analyzed.status === "ready" ? await waitUntil((j) => j.status === "done", "import") : analyzed;
    const importMs = Date.now() - tConfirm;
    const totalMs = Date.now() - tUpload;
    const importRss = rss.stop();
    const imported = job.status === "done";

    // Exports through the app's routes, as the owner's browser downloads them (read as they stream).
    const download = async (route: string) => {
      rss.start();
      const t = Date.now();
      const r = await fetch(`${base}/studio/${siteId}/export/${route}`, { headers: { Cookie: cookie } });
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (r.body) {
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
          chunks.push(chunk);
          size += chunk.byteLength;
        }
      }
      const ms = Date.now() - t;
      const peak = rss.stop();
      const body = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.byteLength;
      }
      return { status: r.status, ms, size, peak, body };
    };
    const ghost = await download("ghost.json");
    let ghostPosts = -1;
    try {
      ghostPosts = (JSON.parse(new TextDecoder().decode(ghost.body)) as { db: Array<{ data: { posts: unknown[] } }> }).db[0]!.data.posts.length;
    } catch {
      // Left at -1: the table says the export did not parse.
    }
    const markdown = await download("markdown.zip");
    let markdownFiles = -1;
    try {
      markdownFiles = Object.keys(unzipSync(markdown.body)).filter((name) => name.startsWith("posts/") && name.endsWith(".md")).length;
    } catch {
      // Left at -1: the table says the zip did not open.
    }

    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    const rssRows = (what: string, p: RssPeak) => [
      { measure: `backend RSS peak during ${what}`, value: `${fmt.mb(p.backend)} (${fmt.mb(p.backendStart)} at its start)`, target: "< 500 MB", status: met(p.backend < TARGET.rssBytes) },
      {
        measure: `app RSS growth during ${what}`,
        value: `+${fmt.mb(Math.max(0, p.app - p.appStart))} (process tree ${fmt.mb(p.appStart)} → peak ${fmt.mb(p.app)}; its idle size is issue #18's)`,
        target: "< 500 MB",
        status: met(p.app - p.appStart < TARGET.rssBytes),
      },
    ];
    printTable(
      `Migrate: a Ghost 5 export of ${fmt.int(POSTS)} posts of ~${fmt.int(WORDS)} words (50 tags, 10 authors; ${mb1(bytes.byteLength)}) imported and exported, ` +
        `backend and app as their own processes (${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`,
      [
        { measure: `upload of the .json (${mb1(bytes.byteLength)})`, value: fmt.s(uploadMs), target: "", status: "" },
        {
          measure: "dry run (start → ready)",
          value: planned
            ? `${fmt.s(dryRunMs)} (plan: ${planned.posts} posts, ${planned.paid} paid, ${planned.tagsNew} tags, ${planned.authorsPlaceholder} placeholder authors, ${planned.badItems} bad)`
            : `${fmt.s(dryRunMs)} (no plan)`,
          target: "",
          status: "",
        },
        {
          measure: "import (confirm → done)",
          value: imported ? fmt.s(importMs) : `not done (${job.status}${job.error ? `: ${job.error}` : ""}, ${job.processed}/${job.total})`,
          target: "",
          status: "",
        },
        { measure: "upload → done", value: imported ? fmt.s(totalMs) : "not done", target: "< 60 s", status: met(imported && totalMs < TARGET.importMs) },
        {
          measure: "job counts (created / skipped / failed)",
          value: `${fmt.int(job.created)} / ${fmt.int(job.skipped)} / ${fmt.int(job.failed)}`,
          target: `created = ${fmt.int(POSTS)}`,
          status: met(imported && job.created >= POSTS && job.failed === 0),
        },
        ...rssRows("the import", importRss),
        {
          measure: "export Ghost JSON (/export/ghost.json)",
          value: `${fmt.s(ghost.ms)}, ${mb1(ghost.size)}, HTTP ${ghost.status}, ${ghostPosts} posts`,
          target: `< 20 s, ${fmt.int(POSTS)} posts`,
          status: met(ghost.status === 200 && ghost.ms < TARGET.exportMs && ghostPosts === POSTS),
        },
        ...rssRows("the Ghost export", ghost.peak),
        {
          measure: "export Markdown zip (/export/markdown.zip)",
          value: `${fmt.s(markdown.ms)}, ${mb1(markdown.size)}, HTTP ${markdown.status}, ${markdownFiles} posts/*.md`,
          target: `< 20 s, ${fmt.int(POSTS)} files`,
          status: met(markdown.status === 200 && markdown.ms < TARGET.exportMs && markdownFiles === POSTS),
        },
        ...rssRows("the Markdown export", markdown.peak),
      ],
    );
  } finally {
    guard.release();
    if (app) await stopApp(app);
    await backend?.stop("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const t0 = performance.now();
  runMigrateBench((m) => console.log(`[bench ${fmt.s(performance.now() - t0)}] ${m}`)).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
