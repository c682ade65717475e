// Content-domain section of `npm run bench`: the app's own reader queries (convex/reader.ts) on the
// local backend, at 10,000 and then 100,000 published posts over 1,000 tags. The time per call
// must stay flat as posts grow (indexed ranges, never scans), so the table reports 100k/10k ratios.
import { mkdtempSync, rmSync } from "node:fs";
import { guardSection } from "./guard.js";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalBackend } from "../../local-backend/src/backend.js";
import { fmt, measure, printTable, prng, REPO_ROOT, type Measurement } from "../../local-backend/bench/lib.js";

const TAGS = 1000;
const TAGS_PER_POST = 3;
const STAGES = [10_000, 100_000];
const BATCH = 2_000; // posts per seeding transaction: 4 documents each, under the 16,000-write limit
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

type Log = (msg: string) => void;

/** The bench site's ids: what seeding posts needs. */
export type ContentSite = { siteId: string; authorId: string; tagIds: string[] };

/** Creates the bench site (slug "bench") with its author and TAGS tags; the query-cache section reuses it. */
export async function createContentSite(backend: LocalBackend): Promise<ContentSite> {
  const setup = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const authorId = await ctx.db.insert("users", { name: "Bench Author", createdAt: now, updatedAt: now });
    const siteId = await ctx.db.insert("sites", { name: "Bench", slug: "bench", ownerId: authorId, createdAt: now, updatedAt: now });
    await ctx.db.insert("siteMembers", { siteId, userId: authorId, role: "owner", authorSlug: "bench-author", createdAt: now });
    const tagIds = [];
    for (let i = 0; i < TAGS; i++) {
      tagIds.push(await ctx.db.insert("tags", { siteId, name: `Tag ${i}`, slug: `tag-${i}`, usageCount: 0, createdAt: now, updatedAt: now }));
    }
    return { siteId, authorId, tagIds };
  });
  if (!setup.ok) throw new Error(setup.message);
  return JSON.parse(setup.valueJson);
}

/** Seeds published posts directly (trusted setup), shaped exactly as posts.publish leaves them. */
export async function seedPosts(backend: LocalBackend, from: number, to: number, ids: ContentSite) {
  const random = prng(from + 1);
  for (let start = from; start < to; start += BATCH) {
    const end = Math.min(to, start + BATCH);
    const out = await backend.runner.transactInline(async (ctx: any) => {
      const now = Date.now();
      for (let i = start; i < end; i++) {
        const tagIds = new Set<string>();
        while (tagIds.size < TAGS_PER_POST) tagIds.add(ids.tagIds[Math.floor(random() * TAGS)]);
        const publishedAt = 1_600_000_000_000 + i * 60_000;
        const title = `Post number ${i}`;
        const postId = await ctx.db.insert("posts", {
          siteId: ids.siteId,
          authorId: ids.authorId,
          authorName: "Bench Author",
          title,
          slug: `post-${i}`,
          excerpt: `Excerpt of post ${i}.`,
          status: "published",
          featured: i % 10 === 0,
          tagIds: [...tagIds],
          publishedAt,
          readingTimeMinutes: 3,
          createdAt: now,
          updatedAt: now,
        });
        const text = `Body of post ${i} about topic ${i % 97}.`;
        await ctx.db.insert("postBodies", {
          siteId: ids.siteId,
          postId,
          kind: "published",
          version: 1,
          title,
          doc: JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text }] }] }),
          text,
          searchText: `${title}\n${text}`,
          wordCount: 8,
          updatedAt: now,
          updatedBy: ids.authorId,
        });
        for (const tagId of tagIds) {
          await ctx.db.insert("postTags", { siteId: ids.siteId, postId, tagId, published: true, publishedAt });
        }
      }
      return null;
    });
    if (!out.ok) throw new Error(`seeding failed: ${out.message}`);
  }
}

/**
 * The section's time budget (run.ts). Measured 2026-12-06: seeding 10,000 posts takes 5 s, the next
 * 90,000 273 s (the backend's inserts slow down as the tables grow: issue #18's insert rate), so
 * the section takes ~6.5 minutes.
 */
export const CONTENT_BUDGET_MS = 8 * 60_000;

export async function runContentBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lb-bench-content-"));
  // Past its budget (or on Ctrl-C): its data dir goes; the backend runs in this process and ends with it.
  const guard = guardSection("content", CONTENT_BUDGET_MS, () => rmSync(dataDir, { recursive: true, force: true }));
  const backend = await LocalBackend.start({ dataDir, convexDir: path.join(REPO_ROOT, "convex"), crons: false });
  try {
    const ids = await createContentSite(backend);
    const rows: Array<Record<string, string>> = [];
    const byStage = new Map<string, Measurement[]>();
    let seeded = 0;
    for (const total of STAGES) {
      const t0 = performance.now();
      await seedPosts(backend, seeded, total, ids);
      log(`content bench: seeded ${total.toLocaleString("en-US")} posts (${((performance.now() - t0) / 1000).toFixed(1)} s for this stage)`);
      seeded = total;
      const random = prng(total);
      const ops: Record<string, () => Promise<void>> = {
        "tag page (reader.byTag, 20 posts)": async () => {
          const out = await backend.runner.runQuery("reader:byTag", {
            siteSlug: "bench",
            tagSlug: `tag-${Math.floor(random() * TAGS)}`,
            paginationOpts: { numItems: 20, cursor: null },
          });
          if (!out.ok) throw new Error(out.message);
        },
        "post by slug (reader.postBySlug)": async () => {
          const out = await backend.runner.runQuery("reader:postBySlug", { siteSlug: "bench", slug: `post-${Math.floor(random() * total)}` });
          if (!out.ok) throw new Error(out.message);
        },
        "home page (reader.latest, 20 posts)": async () => {
          const out = await backend.runner.runQuery("reader:latest", { siteSlug: "bench", paginationOpts: { numItems: 20, cursor: null } });
          if (!out.ok) throw new Error(out.message);
        },
      };
      for (const [label, op] of Object.entries(ops)) {
        const m = await measure([op], { durationMs: SECONDS * 1000 });
        byStage.set(label, [...(byStage.get(label) ?? []), m]);
        rows.push({
          query: label,
          posts: total.toLocaleString("en-US"),
          "calls/s": fmt.int(m.opsPerSec),
          "p50 ms": fmt.ms(m.p50),
          "p99 ms": fmt.ms(m.p99),
          "CPU µs/call": fmt.int(m.cpuUsPerOp),
        });
      }
    }
    printTable(`Content reader queries in-process on the local backend (${TAGS} tags, ${TAGS_PER_POST} tags per post)`, rows);
    printTable(
      "Flatness: time per call at 100,000 posts relative to 10,000 (≈ 1× means indexed, not scanning)",
      [...byStage].map(([label, [small, large]]) => ({
        query: label,
        "p50 100k / 10k": fmt.ratio(large.p50 / small.p50),
        "CPU/call 100k / 10k": fmt.ratio(large.cpuUsPerOp / small.cpuUsPerOp),
        status: large.cpuUsPerOp / small.cpuUsPerOp < 1.5 ? "flat" : "GROWS",
      })),
    );
  } finally {
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
    guard.release();
  }
}
