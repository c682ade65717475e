// Over 500 lines: one bench section end to end: build, seed, serve and measure every reader page.
// Reader-pages section of `npm run bench`: the production Remix build served by app/server/index.ts
// (one worker per core, host routing, the response cache) against
// a local backend seeded with 10,000 published posts over 100 tags, driven by autocannon at
// concurrency 50 (issue #18's table; READER_BENCH_CONCURRENCY=10,50 adds rows) on the home, post, tag, RSS and search pages, and on post pages opened by
// a browser that has not seen them (each one counts a view: a mutation and a cookie, so never a
// cached response), and by signed-in subscribers reading featured posts: one over 1,000 posts, and
// 100 (each signed in as themselves) over the newest 20, a newsletter's day. It runs the app twice, with READER_CACHE=off (every page asks Convex over HTTP
// and renders) and READER_CACHE=on (anonymous query results from app/reader/cache.server.ts, kept
// fresh by Convex subscriptions; whole responses from app/reader/front.server.ts, valid while the
// query results they were built from are), and prints both.
//
// Bounded (about 4.5 minutes on 2 cores; its own budget PAGES_BUDGET_MS, guard.ts), 127.0.0.1 only,
// removes its temp dir and stops its children, also when aborted. Knobs: READER_BENCH_SECONDS (per measurement, default 4),
// READER_BENCH_POSTS (default 10000), READER_BENCH_DISTINCT_POSTS (post pages rotated through,
// default 1000).
//
// `tsx tools/bench/reader-pages.ts` runs it on its own; run.ts calls runReaderPagesBench.
// Given a JSON argument this file is the load-generating child (autocannon in its own process, so
// it does not share an event loop with the backend), as lib.ts's runChild starts it.
import autocannon from "autocannon";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { bodyKeyFields, pageHtmlFields } from "../../convex/model/postProjection.js";
import { LocalBackend } from "../../local-backend/src/backend.js";
import { exitAfter, fmt, printTable, prng, REPO_ROOT, reportResult, runChild } from "../../local-backend/bench/lib.js";
import { printStackMemory, stackMemory, type StackMemory } from "./app-memory.js";
import { freshnessRows, publishUnderLoad } from "./freshness.js";
import { guardSection } from "./guard.js";

type Log = (msg: string) => void;

/** The section's time budget (run.ts): measured 4.5 min on 2 cores (two app runs of 7 pages × 2 concurrencies). */
export const PAGES_BUDGET_MS = 6 * 60_000;

const SECONDS = Number(process.env.READER_BENCH_SECONDS ?? 4);
const POSTS = Number(process.env.READER_BENCH_POSTS ?? 10_000);
const DISTINCT_POSTS = Math.min(POSTS, Number(process.env.READER_BENCH_DISTINCT_POSTS ?? 1000));
const TAGS = 100;
const TAGS_PER_POST = 3;
const BATCH = 1_000; // posts per seeding transaction (about 6 documents each)
const SITE = "bench";
const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const SEARCH_WORDS = ["harbor", "budget", "river", "signal", "garden", "ledger", "winter", "index", "market", "compost"];

/** Subscribers of the many-subscribers row, and the newest featured posts they read. */
const SUBSCRIBERS = 100;
const NEWEST_FEATURED = 20;
const MANY_SUBSCRIBERS = `featured post, ${SUBSCRIBERS} subscribers, newest ${NEWEST_FEATURED}`;
const CONCURRENCY = (process.env.READER_BENCH_CONCURRENCY ?? "50").split(",").map(Number);
if (!CONCURRENCY.every((c) => Number.isInteger(c) && c > 0)) throw new Error(`READER_BENCH_CONCURRENCY: whole numbers separated by commas (got "${process.env.READER_BENCH_CONCURRENCY}")`);

/** Targets at concurrency 50 (req/s and p99 ms), issue #18's table. */
const TARGETS: Record<string, { rps: number; p99?: number }> = {
  post: { rps: 1000, p99: 100 },
  "featured post, signed-in subscriber": { rps: 800, p99: 100 },
  [MANY_SUBSCRIBERS]: { rps: 800, p99: 100 },
  home: { rps: 800, p99: 100 },
  tag: { rps: 800, p99: 100 },
  rss: { rps: 400, p99: 100 },
};

interface Endpoint {
  name: string;
  /** Paths requests rotate through. */
  paths: string[];
  headers?: Record<string, string>;
  /**
   * Readers the requests rotate through (each their own headers), in place of `headers`: every path
   * once as the first reader, then every path as the next, and so on.
   */
  readers?: Array<Record<string, string>>;
  /**
   * Warm-up requests (default: every path twice per worker, so caches hold them). Pages that are
   * never cached (first views, signed-in readers) only warm the JIT: a few hundred.
   */
  warmup?: number;
}

interface LoadConfig {
  url: string;
  /** The app's worker processes (app/server: one per core). */
  workers: number;
  endpoints: Endpoint[];
  concurrency: number[];
  seconds: number;
}

/** What the load child reports per measurement (send.ts reads it too). */
export interface LoadResult {
  endpoint: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  sent: number;
}

// ---------------------------------------------------------------------------------------------
// Child: autocannon over the endpoints.

async function loadChild(config: LoadConfig): Promise<void> {
  exitAfter(5 * 60_000);
  const results: LoadResult[] = [];
  for (const endpoint of config.endpoints) {
    let i = 0;
    const next = () => {
      const k = i++;
      const headers = endpoint.readers ? endpoint.readers[Math.floor(k / endpoint.paths.length) % endpoint.readers.length] : endpoint.headers;
      return { path: endpoint.paths[k % endpoint.paths.length], headers };
    };
    const run = (connections: number, limit: { duration: number } | { amount: number }) =>
      autocannon({
        url: config.url,
        connections,
        ...limit,
        // Anonymous readers; without a User-Agent no view is counted (the "post, first view"
        // endpoint sends a browser's, and no cookie, so every request counts one).
        requests: [
          {
            method: "GET",
            setupRequest: (req: any) => {
              const { path, headers } = next();
              return { ...req, path, headers: { ...req.headers, ...headers } };
            },
          },
        ],
      });
    // Warm-up: every distinct path a few times over (with the cache on, this is when subscriptions
    // are made, in every worker: each keeps its own caches, and connections are spread over the
    // workers; the measurement is the steady state of a site whose pages have been read before).
    await run(Math.min(10, endpoint.paths.length), { amount: endpoint.warmup ?? Math.max(endpoint.paths.length * 2 * config.workers, 10) });
    for (const connections of config.concurrency) {
      await run(connections, { duration: 1 });
      const r = await run(connections, { duration: config.seconds });
      results.push({
        endpoint: endpoint.name,
        concurrency: connections,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        // Requests started on this endpoint so far, warm-ups included (a few cut off at the end).
        sent: i,
      });
    }
  }
  reportResult(results);
}

// ---------------------------------------------------------------------------------------------
// Parent.

/** Newest modification time under a directory (build staleness check). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

export function ensureBuild(log: Log) {
  const serverBuild = path.join(REPO_ROOT, "build", "server", "serve.js");
  const stale =
    !existsSync(serverBuild) ||
    statSync(serverBuild).mtimeMs < Math.max(newestMtime(path.join(REPO_ROOT, "app")), newestMtime(path.join(REPO_ROOT, "convex", "_generated")));
  if (!stale) return log("reader bench: build/ is up to date");
  log("reader bench: build/ is stale, running tools/build.mjs");
  const r = spawnSync(process.execPath, ["tools/build.mjs"], { cwd: REPO_ROOT, stdio: "ignore" });
  if (r.status !== 0) throw new Error("tools/build.mjs failed");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const words = (random: () => number, n: number) =>
  Array.from({ length: n }, () => SEARCH_WORDS[Math.floor(random() * SEARCH_WORDS.length)]).join(" ");

/** Seeds the bench site: 100 tags, POSTS published posts with bodies, shaped as posts.publish leaves them. */
export async function seed(backend: LocalBackend, log: Log) {
  const setup = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const authorId = await ctx.db.insert("users", { name: "Bench Author", createdAt: now, updatedAt: now });
    const siteId = await ctx.db.insert("sites", {
      name: "Bench Gazette",
      slug: SITE,
      description: "Ten thousand posts for the reader bench.",
      ownerId: authorId,
      createdAt: now,
      updatedAt: now,
    });
    await ctx.db.insert("siteMembers", { siteId, userId: authorId, role: "owner", authorSlug: "bench-author", createdAt: now });
    const categoryId = await ctx.db.insert("categories", { siteId, name: "News", slug: "news", sortOrder: 0, postCount: POSTS, createdAt: now, updatedAt: now });
    const tagIds: string[] = [];
    for (let i = 0; i < TAGS; i++) {
      tagIds.push(await ctx.db.insert("tags", { siteId, name: `Tag ${i}`, slug: `tag-${i}`, usageCount: 0, createdAt: now, updatedAt: now }));
    }
    return { siteId, authorId, categoryId, tagIds };
  });
  if (!setup.ok) throw new Error(setup.message);
  const ids = JSON.parse(setup.valueJson);
  const random = prng(42);
  const usage = new Array<number>(TAGS).fill(0);
  const t0 = performance.now();
  for (let start = 0; start < POSTS; start += BATCH) {
    const batch: Array<{ i: number; tags: number[]; text: string[] }> = [];
    for (let i = start; i < Math.min(POSTS, start + BATCH); i++) {
      const tags = new Set<number>();
      while (tags.size < TAGS_PER_POST) tags.add(Math.floor(random() * TAGS));
      for (const t of tags) usage[t]++;
      batch.push({ i, tags: [...tags], text: [0, 1, 2, 3, 4].map(() => `Post ${i} on ${words(random, 6)}; ${words(random, 20)}.`) });
    }
    const out = await backend.runner.transactInline(async (ctx: any) => {
      const now = Date.now();
      for (const { i, tags, text } of batch) {
        const publishedAt = 1_700_000_000_000 + i * 60_000;
        const title = `Bench post ${i}: ${text[0].split(";")[0].split(" on ")[1]}`;
        const tagIds = tags.map((t) => ids.tagIds[t]);
        const doc = {
          type: "doc",
          content: [
            ...text.slice(0, 2).map((t) => ({ type: "paragraph", content: [{ type: "text", text: t }] })),
            { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Details" }] },
            ...text.slice(2).map((t) => ({ type: "paragraph", content: [{ type: "text", text: t, marks: i % 3 ? [] : [{ type: "bold" }] }] })),
          ],
        };
        const body = text.join("\n\n");
        const docJson = JSON.stringify(doc);
        const postId = await ctx.db.insert("posts", {
          siteId: ids.siteId,
          authorId: ids.authorId,
          authorName: "Bench Author",
          title,
          slug: `post-${i}`,
          excerpt: text[0],
          status: "published",
          featured: i % 10 === 0,
          categoryId: ids.categoryId,
          tagIds,
          publishedAt,
          readingTimeMinutes: 2,
          // As publishing stores it (issue #18): the live body's content key.
          ...(await bodyKeyFields(docJson)),
          createdAt: now,
          updatedAt: now,
        });
        await ctx.db.insert("postBodies", {
          siteId: ids.siteId,
          postId,
          kind: "published",
          version: 1,
          title,
          doc: docJson,
          // As publishing stores it (issue #18): the page's HTML, rendered once.
          ...pageHtmlFields(docJson),
          text: body,
          searchText: `${title}\n${body}`,
          wordCount: 140,
          updatedAt: now,
          updatedBy: ids.authorId,
        });
        for (const tagId of tagIds) await ctx.db.insert("postTags", { siteId: ids.siteId, postId, tagId, published: true, publishedAt });
      }
      return null;
    });
    if (!out.ok) throw new Error(`seeding failed: ${out.message}`);
  }
  const counts = await backend.runner.transactInline(async (ctx: any) => {
    for (let t = 0; t < TAGS; t++) await ctx.db.patch(ids.tagIds[t], { usageCount: usage[t] });
    return null;
  });
  if (!counts.ok) throw new Error(counts.message);
  log(`reader bench: seeded ${POSTS.toLocaleString("en-US")} posts over ${TAGS} tags in ${fmt.s(performance.now() - t0)}`);
}

/**
 * A paying subscriber of the bench site with a session: the backend's signing keys set in its
 * environment (as `npx @convex-dev/auth` sets them), a user, a session and an active subscription.
 * `cookie(issuer)` is the Cookie header of their signed-in requests (the issuer is the backend's
 * HTTP actions origin, CONVEX_SITE_URL, where Convex Auth serves its keys). `cookies(issuer)` gives
 * the first subscriber's and `count - 1` more, each a user of their own with an active subscription.
 */
export async function seedSubscriber(backend: LocalBackend, count = 1): Promise<{ cookie(issuer: string): Promise<string>; cookies(issuer: string): Promise<string[]> }> {
  const keys = await generateKeyPair("RS256", { extractable: true });
  backend.env.set("JWT_PRIVATE_KEY", (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "));
  backend.env.set("JWKS", JSON.stringify({ keys: [{ use: "sig", ...(await exportJWK(keys.publicKey)) }] }));
  const out = await backend.runner.transactInline(async (ctx: any) => {
    const now = Date.now();
    const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", SITE)).unique();
    const made: Array<{ userId: string; sessionId: string }> = [];
    for (let i = 0; i < count; i++) {
      const userId = await ctx.db.insert("users", { name: "Paying Reader", email: i ? `reader${i}@example.com` : "reader@example.com", createdAt: now, updatedAt: now });
      const sessionId = await ctx.db.insert("authSessions", { userId, expirationTime: now + 86_400_000 });
      await ctx.db.insert("subscriptions", {
        siteId: site._id,
        userId,
        status: "active",
        currentPeriodStart: now,
        currentPeriodEnd: now + 30 * 86_400_000,
        cancelAtPeriodEnd: false,
        createdAt: now,
        updatedAt: now,
      });
      made.push({ userId, sessionId });
    }
    return made;
  });
  if (!out.ok) throw new Error(out.message);
  const made = JSON.parse(out.valueJson) as Array<{ userId: string; sessionId: string }>;
  const cookieOf = async ({ userId, sessionId }: { userId: string; sessionId: string }, issuer: string) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ sub: `${userId}|${sessionId}`, iss: issuer, aud: "convex", iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(keys.privateKey);
    return `__convexAuthJWT=${jwt}; __convexAuthRefreshToken=unused-during-the-bench`;
  };
  return {
    cookie: (issuer) => cookieOf(made[0], issuer),
    cookies: (issuer) => Promise.all(made.map((m) => cookieOf(m, issuer))),
  };
}

/** The sum of every post's view counter. */
async function totalViews(backend: LocalBackend): Promise<number> {
  const r = await backend.runner.transactInline(async (ctx: any) => {
    let n = 0;
    for await (const shard of ctx.db.query("postViewShards")) n += shard.count;
    return n;
  });
  if (!r.ok) throw new Error(r.message);
  return JSON.parse(r.valueJson) as number;
}

/** The view total once it stops moving (views are written in batches behind the pages). */
async function settledViews(backend: LocalBackend): Promise<number> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await totalViews(backend);
    if (now === last) break;
    last = now;
  }
  return last;
}

export async function waitFor(url: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/** `adminKey`: the app server sends views with it (reader:recordViews is internal); `nodeArgs`: e.g. --cpu-prof (profile.ts). */
export function startApp(port: number, convexUrl: string, cache: "on" | "off", adminKey?: string, nodeArgs: string[] = []): ChildProcess {
  const app = spawn(process.execPath, [...nodeArgs, "build/server/serve.js"], {
    cwd: REPO_ROOT,
    // stdout is read for the memory report (app-memory.ts); flowing, so it never fills.
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      CONVEX_URL: convexUrl,
      READER_CACHE: cache,
      ...(adminKey ? { CONVEX_ADMIN_KEY: adminKey } : {}),
    },
  });
  app.stdout!.resume();
  return app;
}

export async function stopApp(app: ChildProcess) {
  if (app.exitCode !== null) return;
  const exited = new Promise((r) => app.once("exit", r));
  app.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (app.exitCode === null) app.kill("SIGKILL");
}

/** Checks every endpoint answers 200 before measuring (a bench of 404s would look fast). */
async function sanityCheck(base: string, endpoints: Endpoint[]) {
  for (const e of endpoints) {
    for (const p of e.paths.slice(0, 3)) {
      const headers = e.readers?.[e.readers.length - 1] ?? e.headers;
      const r = await fetch(`${base}${p}`, { headers });
      const body = await r.text();
      if (r.status !== 200) throw new Error(`reader bench: ${p} answered ${r.status}: ${body.slice(0, 200)}`);
      // The subscriber must really be signed in and entitled (else it measures a paywall).
      if (headers?.cookie && !body.includes('data-testid="post-body"')) throw new Error(`reader bench: the subscriber was not shown ${p}'s body`);
      // The first-view endpoint must really count views (else it measures the cached path).
      if (headers?.["user-agent"] && !r.headers.get("set-cookie")?.includes("pr_viewed=")) {
        throw new Error(`reader bench: ${p} with a browser's User-Agent did not count a view`);
      }
    }
  }
}

export async function runReaderPagesBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "reader-bench-"));
  const apps: ChildProcess[] = [];
  // Past its budget (or on Ctrl-C) the section stops its app servers and removes its data dir.
  const guard = guardSection("reader pages", PAGES_BUDGET_MS, () => {
    for (const a of apps) a.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });
  let backend: LocalBackend | null = null;
  try {
    ensureBuild(log);
    // The backend runs in this process: its share of the RSS is what the process gained from here on.
    const benchRss = process.memoryUsage().rss;
    backend = await LocalBackend.start({
      dataDir,
      convexDir: path.join(REPO_ROOT, "convex"),
      port: 0,
      host: "127.0.0.1",
      crons: false,
      scheduler: false,
    });
    await seed(backend, log);
    const subscribers = await seedSubscriber(backend, SUBSCRIBERS);
    const subscriber = { cookie: await subscribers.cookie(backend.siteUrl) };
    const readers = (await subscribers.cookies(backend.siteUrl)).map((cookie) => ({ cookie }));

    const random = prng(7);
    const postPaths = Array.from({ length: DISTINCT_POSTS }, () => `/${SITE}/post-${POSTS - 1 - Math.floor(random() * POSTS)}`);
    const endpoints: Endpoint[] = [
      { name: "home", paths: [`/${SITE}/`] },
      { name: "post", paths: postPaths },
      { name: "tag", paths: Array.from({ length: TAGS }, (_, t) => `/${SITE}/tag/tag-${t}`) },
      { name: "rss", paths: [`/${SITE}/rss.xml`] },
      { name: "search", paths: SEARCH_WORDS.map((w) => `/${SITE}/search?q=${w}`) },
      { name: "post, first view", paths: postPaths, headers: { "user-agent": BROWSER_UA }, warmup: 400 },
      // Featured posts are every tenth (seed); a signed-in reader is never served from the caches.
      { name: "featured post, signed-in subscriber", paths: postPaths.map((p) => p.replace(/\d+$/, (n) => String(Number(n) - (Number(n) % 10)))), headers: subscriber, warmup: 400 },
      // A newsletter's day: many subscribers, each signed in as themselves, reading the newest
      // featured posts (every tenth post is featured; the highest numbers are the newest).
      { name: MANY_SUBSCRIBERS, paths: Array.from({ length: NEWEST_FEATURED }, (_, i) => `/${SITE}/post-${POSTS - 10 - i * 10}`), readers, warmup: 400 },
    ];

    const rows: Array<Record<string, string>> = [];
    const byMode: Record<string, LoadResult[]> = {};
    const viewRows: Array<Record<string, string>> = [];
    let memory: StackMemory | null = null;
    let freshness: { rows: Array<Record<string, string>>; during: LoadResult | undefined } | null = null;
    for (const cache of ["off", "on"] as const) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const app = startApp(port, backend.url, cache, backend.adminKey);
      apps.push(app);
      try {
        await waitFor(`${base}/${SITE}/`, 30_000);
        await sanityCheck(base, endpoints);
        log(`reader bench: measuring with the subscription cache ${cache} (${SECONDS} s per run)`);
        const viewsBefore = await settledViews(backend); // after the sanity check's own views land
        const results = await runChild<LoadResult[]>(
          fileURLToPath(import.meta.url),
          {
            url: base,
            // Without the caches there is nothing to fill: a warm-up only warms the JIT.
            endpoints: cache === "off" ? endpoints.map((e) => ({ ...e, warmup: Math.min(e.warmup ?? Infinity, 400) })) : endpoints,
            // c=50 only by default: the c=10 rows cost ~1 minute of a run that must fit 15 minutes.
            concurrency: CONCURRENCY,
            seconds: SECONDS,
            workers: os.availableParallelism(),
          } satisfies LoadConfig,
          4 * 60_000,
        ).catch((e) => {
          throw new Error(`load child failed: ${e.message}`);
        });
        byMode[cache] = results;
        // Every first view (warm-ups included) should be written once: batched behind the pages,
        // so allow a moment; more views than requests would be double counting.
        const firstViews = Math.max(0, ...results.filter((r) => r.endpoint === "post, first view").map((r) => r.sent));
        const recorded = (await settledViews(backend)) - viewsBefore;
        viewRows.push({
          cache,
          "first-view requests": fmt.int(firstViews),
          "views recorded": fmt.int(recorded),
          "not recorded": `${fmt.int(firstViews - recorded)} (${((100 * (firstViews - recorded)) / Math.max(1, firstViews)).toFixed(1)}%)`,
        });
        if (recorded > firstViews) throw new Error(`reader bench: views counted twice (${recorded} recorded, ${firstViews} requests)`);
        for (const r of results) {
          const target = r.concurrency === 50 ? TARGETS[r.endpoint] : undefined;
          const met = target ? r.rps >= target.rps && (target.p99 === undefined || r.p99 < target.p99) : undefined;
          rows.push({
            page: r.endpoint,
            cache,
            conc: String(r.concurrency),
            "req/s": fmt.int(r.rps),
            "p50 ms": fmt.ms(r.p50),
            "p99 ms": fmt.ms(r.p99),
            requests: fmt.int(r.requests),
            "non-2xx": fmt.int(r.non2xx + r.errors),
            target: target ? `≥ ${target.rps}${target.p99 ? `, p99 < ${target.p99}` : ""}` : "",
            status: met === undefined ? "" : met ? "met" : "MISSED",
          });
        }
        if (cache === "on") {
          // Last, since it adds posts: publishes while the cached home page is under load.
          log("reader bench: publishing while the cached home page is under load (freshness)");
          // The same publishes on an idle machine first, for comparison.
          const idle = await publishUnderLoad(backend, base, SITE, async () => null, { samples: 4, warmupMs: 0 });
          const { load, fresh } = await publishUnderLoad(backend, base, SITE, () =>
            runChild<LoadResult[]>(
              fileURLToPath(import.meta.url),
              { url: base, endpoints: [{ name: "home", paths: [`/${SITE}/`] }], concurrency: [50], seconds: 8, workers: os.availableParallelism() } satisfies LoadConfig,
              60_000,
            ),
          );
          freshness = { rows: freshnessRows(fresh, idle.fresh), during: load[0] };
          memory = await stackMemory(app, os.availableParallelism(), {
            label: `local backend, estimate (in the bench process: its RSS ${fmt.mb(process.memoryUsage().rss)} less the ${fmt.mb(benchRss)} it had before the backend started)`,
            rss: process.memoryUsage().rss - benchRss,
            // The estimate moves with what the bench process held before (108–342 MB in past runs);
            // the whole process bounds it. The stack section measures a real deployment's tree.
            bound: { label: "the whole bench process (backend, seeding, the bench's own code)", rss: process.memoryUsage().rss },
          });
        }
      } finally {
        await stopApp(app);
      }
    }
    printTable(
      `Reader pages: app/server (production build, ${os.availableParallelism()} workers) + local backend, ${POSTS.toLocaleString("en-US")} posts / ${TAGS} tags, ` +
        `post pages over ${DISTINCT_POSTS} distinct posts; autocannon in a child process (${os.cpus().length} CPUs, ` +
        `load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`,
      rows,
    );
    printTable(
      "First views: every request from a browser without the view cookie counts one view, written in batches " +
        "(reader:recordViews); views past the app's backlog bound are shed (and so are requests cut off when a run ends)",
      viewRows,
    );
    if (freshness) {
      const d = freshness.during;
      printTable(
        `Freshness under load: posts published (posts:create + posts:publish as the owner) while autocannon loads the cached home page at concurrency 50 ` +
          `(${d ? `${fmt.int(d.rps)} req/s, p99 ${fmt.ms(d.p99)} ms, ${fmt.int(d.non2xx + d.errors)} non-2xx` : "no load result"}); an anonymous reader polls every 5 ms`,
        freshness.rows,
      );
    }
    if (memory) printStackMemory("Memory after the reader bench's load, cache on (SIGUSR2 report of app/server)", memory);
    const on = byMode.on ?? [];
    const off = byMode.off ?? [];
    printTable(
      "Subscription cache: throughput with / without (same endpoint and concurrency)",
      on.map((r) => {
        const o = off.find((x) => x.endpoint === r.endpoint && x.concurrency === r.concurrency);
        return { page: r.endpoint, conc: String(r.concurrency), "on / off": fmt.ratio(o ? r.rps / o.rps : NaN) };
      }),
    );
  } finally {
    for (const a of apps) await stopApp(a);
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
    guard.release();
  }
}

// Entry points: `--load <json>` (the load child) or no arguments (the bench on its own).
const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const arg = process.argv[2];
  if (arg && arg.startsWith("{")) {
    loadChild(JSON.parse(arg) as LoadConfig).then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  } else {
    const t0 = performance.now();
    runReaderPagesBench((m) => console.log(`[bench ${fmt.s(performance.now() - t0)}] ${m}`)).then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  }
}
