// A content import survives process death (issue #17): a Ghost export of 300 posts is uploaded to a
// real local backend (a separate `local-backend serve` process, tests/support/backend-process.ts),
// dry-run to `ready`, confirmed, and the backend is SIGKILLed while the import is writing posts,
// then restarted on the same data dir. The import finishes by itself (the write steps are durable
// scheduled mutations; the watchdog re-runs a step the kill lost), every source post exists exactly
// once (importedItems, slugs), and the tag counters equal a recount of the posts.
//
// What this proves: the write chain resumes from its stored cursor after a kill, without doubling or
// losing a post, and counters stay exact; the dry run and the import run on the real backend with
// its isolate limits (1 s CPU per mutation). What it cannot prove: every kill point (one sample per
// run, somewhere in the middle of the posts); a kill during the dry run (an action: the watchdog
// restarts it after SILENT_MS, covered by convex/contentImport.test.ts's watchdog test only on the
// mock scheduler); Convex cloud's restart behaviour; power loss (SQLite synchronous=NORMAL).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import type { FunctionReturnType } from "convex/server";
import { afterAll, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { LocalBackend } from "../../local-backend/src/backend";
import { ghostFixtureBytes } from "../../tools/bench/ghost-fixture";
import { backendProcess, freePortPair, prepareDataDir, type BackendProcess } from "../support/backend-process";
import { runOn } from "../support/live-backend";

const POSTS = 300;
type Job = NonNullable<FunctionReturnType<typeof api.contentImport.get>>;

const dataDir = mkdtempSync(path.join(tmpdir(), "pressroom-content-import-"));
let backend: BackendProcess | undefined;

afterAll(async () => {
  await backend?.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<R>(what: string, ms: number, probe: () => R | Promise<R>, everyMs = 50): Promise<NonNullable<R>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await Promise.resolve().then(probe).catch(() => null); // the backend may be restarting
    if (r) return r as NonNullable<R>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\nbackend output:\n${backend?.output().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

test(
  "SIGKILL during a 300-post Ghost import: it finishes after the restart, every post exactly once, counters equal a recount",
  async () => {
    const port = await freePortPair();
    const prepared = await prepareDataDir(dataDir, {}, async (b) => {
      const outcome = await b.runner.transactInline(async (ctx: any) => {
        const now = Date.now();
        const ownerId = await ctx.db.insert("users", { name: "Import Owner", email: "owner@import.example.com", role: "user", isActive: true, createdAt: now, updatedAt: now });
        const siteId = await ctx.db.insert("sites", { name: "The import", slug: "import", ownerId, createdAt: now, updatedAt: now });
        await ctx.db.insert("siteMembers", { siteId, userId: ownerId, role: "owner", authorSlug: "owner", createdAt: now });
        return { ownerId, siteId };
      });
      if (!outcome.ok) throw new Error(outcome.message);
      return JSON.parse(outcome.valueJson) as { ownerId: string; siteId: string };
    });
    const siteId = prepared.value.siteId as Id<"sites">;
    backend = backendProcess({ dataDir, port });
    await backend.start();
    const owner = new ConvexHttpClient(backend.url, { logger: false });
    (owner as any).setAdminAuth(prepared.adminKey, { subject: `${prepared.value.ownerId}|content-import`, issuer: "https://convex.test" });

    // Upload and dry run, as the studio does.
    const bytes = ghostFixtureBytes({ posts: POSTS, words: 300, tags: 12, authors: 3 });
    const uploadUrl = await owner.mutation(api.contentImport.generateUploadUrl, { siteId });
    const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: bytes });
    expect(res.ok).toBe(true);
    const { storageId } = (await res.json()) as { storageId: Id<"_storage"> };
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const importId = await owner.mutation(api.contentImport.start, { siteId, storageId, sha256, fileName: "ghost-export.json" });
    const dryStart = Date.now();
    const get = () => owner.query(api.contentImport.get, { siteId, importId }) as Promise<Job>;
    const dry = await until("the dry run", 120_000, async () => {
      const j = await get();
      return j.status !== "analyzing" ? j : null;
    });
    const dryMs = Date.now() - dryStart;
    expect(dry.error).toBeNull();
    expect(dry.status).toBe("ready");
    expect(dry.source).toBe("ghost");
    expect(dry.plan).toMatchObject({ posts: POSTS, badItems: 0, alreadyImported: 0 });
    // Nothing of the site is written by the dry run.
    expect((await owner.query(api.contentImport.recent, { siteId })).length).toBe(1);

    // Confirm, and kill the backend while posts are being written.
    await owner.mutation(api.contentImport.confirm, { siteId, importId });
    const atKill = await until("posts being written", 120_000, async () => {
      const j = await get();
      return j.processed >= POSTS / 5 ? j.processed : null;
    }, 20);
    await backend.stop("SIGKILL");
    const killedAt = Date.now();
    await backend.start();
    const restartedAt = Date.now();
    const done = await until("the import to finish after the restart", 180_000, async () => {
      const j = await get();
      return j.status === "done" || j.status === "failed" || j.status === "canceled" ? j : null;
    }, 500);
    const resumedInMs = Date.now() - killedAt;
    const writeRate = ((POSTS - atKill) * 1000) / (Date.now() - restartedAt);
    expect(atKill).toBeLessThan(POSTS);
    expect(done).toMatchObject({ status: "done", total: POSTS, processed: POSTS, created: POSTS, skipped: 0, failed: 0 });

    // The staging and the upload are deleted after the end (a chain of cleanup mutations).
    await until("the staging and upload to be deleted", 60_000, async () => {
      const left = await owner.query(internal.contentImport.leftovers as any, { importId });
      return left.staged === 0 && !left.upload;
    }, 200);

    // Recount with the backend stopped.
    await backend.stop("SIGTERM");
    const inspector = await LocalBackend.start({ dataDir, convexDir: "convex", port: 0, host: "127.0.0.1", scheduler: false, crons: false });
    try {
      const facts = await runOn(inspector, async (ctx) => {
        const posts: Array<{ id: string; slug: string; status: string; tagIds: string[] }> = [];
        for await (const p of ctx.db.query("posts")) if (p.siteId === siteId) posts.push({ id: p._id, slug: p.slug, status: p.status, tagIds: p.tagIds });
        const items: Array<{ kind: string; sourceKey: string; targetId: string }> = [];
        for await (const i of ctx.db.query("importedItems")) if (i.siteId === siteId) items.push({ kind: i.kind, sourceKey: i.sourceKey, targetId: i.targetId });
        const tags: Array<{ id: string; count: number }> = [];
        for await (const t of ctx.db.query("tags")) if (t.siteId === siteId) tags.push({ id: t._id, count: t.postCount ?? t.usageCount ?? 0 });
        const postTags: Array<{ postId: string; tagId: string; published: boolean }> = [];
        for await (const r of ctx.db.query("postTags")) if (r.siteId === siteId) postTags.push({ postId: r.postId, tagId: r.tagId, published: r.published });
        let staged = 0;
        for await (const s of ctx.db.query("contentImportItems")) if (s.siteId === siteId) staged++;
        return { posts, items, tags, postTags, staged };
      });
      // Every source post exactly once.
      const postItems = facts.items.filter((i) => i.kind === "post");
      expect(facts.posts.length).toBe(POSTS);
      expect(postItems.length).toBe(POSTS);
      expect(new Set(postItems.map((i) => i.sourceKey)).size).toBe(POSTS);
      expect(new Set(postItems.map((i) => i.targetId))).toEqual(new Set(facts.posts.map((p) => p.id)));
      expect(new Set(facts.posts.map((p) => p.slug)).size).toBe(POSTS);
      // Counters equal a recount of the posts; postTags mirror the posts' tags.
      const live = facts.posts.filter((p) => p.status === "published");
      expect(live.length).toBeGreaterThan(0);
      for (const t of facts.tags) expect(t.count).toBe(live.filter((p) => p.tagIds.includes(t.id)).length);
      const expected = facts.posts.flatMap((p) => p.tagIds.map((t) => `${p.id}:${t}:${p.status === "published"}`)).sort();
      expect(facts.postTags.map((r) => `${r.postId}:${r.tagId}:${r.published}`).sort()).toEqual(expected);
      expect(facts.staged).toBe(0);
    } finally {
      await inspector.close();
    }
    console.log(`[content-import] dry run ${dryMs} ms; killed at ${atKill} of ${POSTS} posts written; done ${resumedInMs} ms after the kill; ${writeRate.toFixed(1)} posts/s written after the restart (steps of STEP_BUDGET, scheduler hops included)`);
  },
  6 * 60_000,
);
