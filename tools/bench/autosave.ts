// Autosave section of `npm run bench` (alone: BENCH_ONLY=autosave). The studio's editor autosaves
// through posts:saveDraft over the WebSocket sync protocol; this measures that round trip under
// load. The backend (the app's convex/ folder) runs in this process; the clients run in a child
// process (this same file, run as a script) so they do not share the backend's event loop:
// - seed one site with EDITORS editor members and one draft post each (posts row + postBodies
//   "draft" row at version 1, shaped as model/posts.ts createDraft leaves them);
// - EDITORS real ConvexClients (convex/browser), each authenticated as its editor (admin key acting
//   as the user), call posts:saveDraft on their own post back to back for BENCH_AUTOSAVE_SECONDS,
//   each save passing the version the previous one returned, with a ~2–5 KB TipTap doc that
//   changes every save;
// - report p50 / p99 of the call → resolved-promise time and saves/s, against p99 < 50 ms;
// - check every post's final draft version equals 1 + its acknowledged saves (none lost or doubled).
// Bounded (about 10 s; the child is killed after 60 s); removes its temp dir.
//
// Environment knobs: BENCH_AUTOSAVE_EDITORS (default 20), BENCH_AUTOSAVE_SECONDS (default 5).
import { mkdtempSync, rmSync } from "node:fs";
import { guardSection } from "./guard.js";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exitAfter, fmt, measure, printTable, reportResult, runChild, sampleCpu, REPO_ROOT, type Measurement } from "../../local-backend/bench/lib.js";

const EDITORS = Number(process.env.BENCH_AUTOSAVE_EDITORS ?? 20);
const SECONDS = Number(process.env.BENCH_AUTOSAVE_SECONDS ?? 5);
const TARGET_P99_MS = 50;

type Log = (msg: string) => void;

interface ChildConfig {
  url: string;
  adminKey: string;
  siteId: string;
  editors: Array<{ userId: string; postId: string }>;
  durationMs: number;
}

interface ChildResult {
  connectMs: number;
  measurement: Measurement;
  /** Each editor saving once a second (the studio's real cadence while typing). */
  paced: { ops: number; p50: number; p99: number; max: number };
  /** Acknowledged saves per post (warm-up included), and the last version each client was given. */
  acks: Record<string, number>;
  lastVersion: Record<string, number>;
  docBytes: { min: number; max: number };
}

// ---- The TipTap document an editor is typing. -----------------------------------------------------

const WORDS =
  "the local backend keeps drafts safe while editors type autosave sends the whole document every few seconds and the server checks the version so nothing is overwritten by a stale tab".split(
    " ",
  );

/** A realistic TipTap (ProseMirror JSON) doc of roughly 2–5 KB; `save` changes its text and length. */
export function tiptapDoc(editor: number, save: number): string {
  const text = (seed: number, words: number) => {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(WORDS[(seed * 31 + i * 7) % WORDS.length]);
    return out.join(" ");
  };
  const paragraphs = 5 + (save % 7); // grows and shrinks as the editor types and deletes
  const content: unknown[] = [
    { type: "heading", attrs: { level: 1 }, content: [{ type: "text", text: `Draft ${editor}, revision ${save}` }] },
  ];
  for (let p = 0; p < paragraphs; p++) {
    if (p === 2) {
      content.push({ type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: `Section ${save % 5}` }] });
    }
    if (p === 4) {
      content.push({
        type: "bulletList",
        content: [0, 1, 2].map((i) => ({
          type: "listItem",
          content: [{ type: "paragraph", content: [{ type: "text", text: text(save + i, 6) }] }],
        })),
      });
    }
    content.push({
      type: "paragraph",
      content: [
        { type: "text", text: `${text(editor + p + save, 30)} ` },
        { type: "text", marks: [{ type: "bold" }], text: text(p, 3) },
        { type: "text", text: ` ${text(save * 3 + p, 12)} (edit ${save}).` },
      ],
    });
  }
  return JSON.stringify({ type: "doc", content });
}

// ---- Child: the editors' clients. ---------------------------------------------------------------------

async function childMain(config: ChildConfig): Promise<void> {
  exitAfter(50_000);
  const { ConvexClient } = await import("convex/browser");
  const { makeFunctionReference } = await import("convex/server");
  const saveDraft = makeFunctionReference<
    "mutation",
    { siteId: string; postId: string; expectedVersion: number; doc: string },
    { version: number; updatedAt: number }
  >("posts:saveDraft");
  const acks: Record<string, number> = {};
  const lastVersion: Record<string, number> = {};
  const docBytes = { min: Infinity, max: 0 };
  const clients = config.editors.map(({ userId }) => {
    const client = new ConvexClient(config.url, { skipConvexDeploymentUrlCheck: true, logger: false });
    (client as unknown as { setAdminAuth(token: string, identity: unknown): void }).setAdminAuth(config.adminKey, {
      subject: `${userId}|bench`,
      issuer: "https://bench",
      tokenIdentifier: `https://bench|${userId}|bench`,
    });
    return client;
  });
  try {
    const workers = config.editors.map(({ postId }, i) => {
      const client = clients[i];
      let version = 1;
      let save = 0;
      acks[postId] = 0;
      return async () => {
        const doc = tiptapDoc(i, ++save);
        docBytes.min = Math.min(docBytes.min, doc.length);
        docBytes.max = Math.max(docBytes.max, doc.length);
        const r = await client.mutation(saveDraft, { siteId: config.siteId, postId, expectedVersion: version, doc });
        if (r.version !== version + 1) throw new Error(`saveDraft on ${postId} at ${version} returned version ${r.version}`);
        version = r.version;
        acks[postId]++;
        lastVersion[postId] = version;
      };
    });
    // Connect and authenticate every client with one save each (not measured, but acknowledged).
    const c0 = performance.now();
    await Promise.all(workers.map((w) => w()));
    const connectMs = performance.now() - c0;
    const measurement = await measure(workers, { durationMs: config.durationMs, warmupMs: 500 });
    // Paced: how editors really autosave (the studio saves at most about once a second while typing).
    const pacedLatencies: number[] = [];
    await new Promise((r) => setTimeout(r, 500)); // let the saturation run's backlog drain
    const until = performance.now() + 2 * config.durationMs;
    await Promise.all(
      workers.map(async (save, i) => {
        await new Promise((r) => setTimeout(r, (i * 1000) / workers.length)); // spread the editors over a second
        while (performance.now() < until) {
          const t0 = performance.now();
          await save();
          const took = performance.now() - t0;
          pacedLatencies.push(took);
          await new Promise((r) => setTimeout(r, Math.max(0, 1000 - took)));
        }
      }),
    );
    pacedLatencies.sort((a, b) => a - b);
    const pct = (p: number) => pacedLatencies[Math.min(pacedLatencies.length - 1, Math.floor(p * pacedLatencies.length))] ?? NaN;
    const paced = { ops: pacedLatencies.length, p50: pct(0.5), p99: pct(0.99), max: pacedLatencies[pacedLatencies.length - 1] ?? NaN };
    const result: ChildResult = { connectMs, measurement, paced, acks, lastVersion, docBytes };
    reportResult(result);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

// ---- Parent: the backend, the seed, the report. -------------------------------------------------------

/** The section's time budget (run.ts). */
export const AUTOSAVE_BUDGET_MS = 2 * 60_000;

export async function runAutosaveBench(log: Log): Promise<void> {
  const { LocalBackend } = await import("../../local-backend/src/backend.js");
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lb-bench-autosave-"));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once("exit", removeDataDir);
  // Past its budget (or on Ctrl-C): the clients' child is killed on exit (lib.ts), the data dir removed.
  const guard = guardSection("autosave", AUTOSAVE_BUDGET_MS, removeDataDir);
  const backend = await LocalBackend.start({
    dataDir,
    convexDir: path.join(REPO_ROOT, "convex"),
    port: 0,
    host: "127.0.0.1",
    crons: false,
  });
  try {
    const setup = await backend.runner.transactInline(async (ctx: any) => {
      const now = Date.now();
      const ownerId = await ctx.db.insert("users", { name: "Bench Owner", isActive: true, createdAt: now, updatedAt: now });
      const siteId = await ctx.db.insert("sites", { name: "Autosave bench", slug: "autosave-bench", ownerId, createdAt: now, updatedAt: now });
      await ctx.db.insert("siteMembers", { siteId, userId: ownerId, role: "owner", authorSlug: "bench-owner", createdAt: now });
      const editors: Array<{ userId: string; postId: string }> = [];
      for (let i = 0; i < EDITORS; i++) {
        const name = `Bench Editor ${i}`;
        const userId = await ctx.db.insert("users", {
          name,
          email: `editor${i}@bench.test`,
          isActive: true,
          createdAt: now,
          updatedAt: now,
        });
        await ctx.db.insert("siteMembers", { siteId, userId, role: "editor", authorSlug: `bench-editor-${i}`, createdAt: now });
        const title = `Autosave draft ${i}`;
        const postId = await ctx.db.insert("posts", {
          siteId,
          authorId: userId,
          authorName: name,
          title,
          slug: `autosave-draft-${i}`,
          status: "draft",
          featured: false,
          tagIds: [],
          createdAt: now,
          updatedAt: now,
        });
        const doc = tiptapDoc(i, 0);
        const text = `Draft ${i}, revision 0`;
        await ctx.db.insert("postBodies", {
          siteId,
          postId,
          kind: "draft",
          version: 1,
          title,
          doc,
          text,
          searchText: `${title}\n${text}`,
          wordCount: 4,
          updatedAt: now,
          updatedBy: userId,
        });
        editors.push({ userId, postId });
      }
      return { siteId, editors };
    });
    if (!setup.ok) throw new Error(`autosave seeding failed: ${setup.message}`);
    const { siteId, editors } = JSON.parse(setup.valueJson) as { siteId: string; editors: Array<{ userId: string; postId: string }> };

    log(`autosave: ${EDITORS} ConvexClients (child process) calling posts:saveDraft on their own drafts for ${SECONDS} s`);
    const serverCpu = sampleCpu(20);
    const config: ChildConfig = { url: backend.url, adminKey: backend.adminKey, siteId, editors, durationMs: SECONDS * 1000 };
    const r = await runChild<ChildResult>(fileURLToPath(import.meta.url), config, 60_000);
    serverCpu.stop();
    const m = r.measurement;
    const serverCpuUsPerSave = serverCpu.between(m.startEpochMs, m.endEpochMs) / m.ops;

    // Sanity: the stored draft versions against the acknowledged saves.
    const check = await backend.runner.transactInline(async (ctx: any) => {
      const out: Record<string, number | null> = {};
      for (const { postId } of editors) {
        const draft = await ctx.db
          .query("postBodies")
          .withIndex("by_siteId_and_postId_and_kind", (q: any) => q.eq("siteId", siteId).eq("postId", postId).eq("kind", "draft"))
          .unique();
        out[postId] = draft?.version ?? null;
      }
      return out;
    });
    if (!check.ok) throw new Error(`autosave check failed: ${check.message}`);
    const stored = JSON.parse(check.valueJson) as Record<string, number | null>;
    const mismatches = editors.filter(({ postId }) => stored[postId] !== 1 + (r.acks[postId] ?? 0));
    const totalAcks = Object.values(r.acks).reduce((s, n) => s + n, 0);
    const acksPerPost = Object.values(r.acks);

    printTable(
      `Autosave: posts:saveDraft over the WebSocket sync protocol (${EDITORS} ConvexClients in a child process, each on its own draft; ` +
        `doc ${fmt.int(r.docBytes.min)}–${fmt.int(r.docBytes.max)} bytes, changed every save)`,
      [
        {
          operation: "saveDraft, each editor once a second (real autosave cadence)",
          clients: String(m.concurrency),
          "saves/s": fmt.int(r.paced.ops / (2 * SECONDS)),
          "p50 ms": fmt.ms(r.paced.p50),
          "p99 ms": fmt.ms(r.paced.p99),
          "max ms": fmt.ms(r.paced.max),
          samples: fmt.int(r.paced.ops),
          "backend CPU µs/save": "-",
          "client CPU µs/save": "-",
        },
        {
          operation: "saveDraft back to back (saturation: every editor saving nonstop)",
          clients: String(m.concurrency),
          "saves/s": fmt.int(m.opsPerSec),
          "p50 ms": fmt.ms(m.p50),
          "p99 ms": fmt.ms(m.p99),
          "max ms": fmt.ms(m.max),
          samples: fmt.int(m.ops),
          "backend CPU µs/save": fmt.int(serverCpuUsPerSave),
          "client CPU µs/save": fmt.int(m.cpuUsPerOp),
        },
      ],
    );
    const status = (ok: boolean) => (ok ? "met" : "MISSED");
    printTable("Autosave targets and checks", [
      {
        metric: `saveDraft p99, ${EDITORS} concurrent editors autosaving once a second`,
        measured: `${fmt.ms(r.paced.p99)} ms`,
        target: `< ${TARGET_P99_MS} ms`,
        status: status(r.paced.p99 < TARGET_P99_MS),
      },
      {
        metric: `saveDraft p99, ${EDITORS} editors saving nonstop (saturation, informational)`,
        measured: `${fmt.ms(m.p99)} ms`,
        target: `< ${TARGET_P99_MS} ms`,
        status: status(m.p99 < TARGET_P99_MS),
      },
      {
        metric: "final draft version = 1 + acknowledged saves, every post",
        measured:
          `${EDITORS - mismatches.length}/${EDITORS} posts match (${fmt.int(totalAcks)} acked saves, ` +
          `${fmt.int(Math.min(...acksPerPost))}–${fmt.int(Math.max(...acksPerPost))} per post)`,
        target: "all",
        status: mismatches.length === 0 ? "ok" : "FAILED",
      },
    ]);
    if (mismatches.length) {
      for (const { postId } of mismatches.slice(0, 5)) {
        console.log(`  ${postId}: stored version ${stored[postId]}, acknowledged saves ${r.acks[postId]} (expected ${1 + (r.acks[postId] ?? 0)})`);
      }
    }
    log(`autosave: clients connected and made a first save in ${fmt.s(r.connectMs)}`);
  } finally {
    await backend.close();
    removeDataDir();
    guard.release();
  }
}

// Run as a script (by runChild): the clients.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  childMain(JSON.parse(process.argv[2]) as ChildConfig).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
