// `npm run profile` (issue #18, "profile first"): where the CPU time of an uncached reader page goes.
// The production build is served by app/server (its workers, READER_CACHE=off: every page asks
// Convex over HTTP and renders) against a local backend as its own process, seeded as the reader
// bench seeds (10,000 posts, 100 tags) plus one paying subscriber. For each page (post, featured post
// read by the signed-in subscriber, home, tag, RSS, and the floor: the search form, one call) the app is started with V8's `--cpu-prof`, loaded
// by autocannon (c=50, PROFILE_SECONDS, default 5; post pages over PROFILE_DISTINCT_POSTS, default 200) and stopped; the backend is profiled over the
// whole run. The printout is the flame graph's self time summed by where the code lives (a package,
// the app's server build, a Node subsystem, GC), and the heaviest functions, per page, with the
// req/s measured under the profiler (which costs a few percent). The .cpuprofile files stay in
// PROFILE_DIR (default: a temp dir, printed) for Chrome DevTools or speedscope. PROFILE_PAGES (comma-separated
// starts of page names, e.g. "post,featured") profiles only those pages.
//
// 127.0.0.1 only; every child is stopped and the data dir removed, also on failure.
import { type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, printTable, runChild } from "../../local-backend/bench/lib.js";
import { backendProcess, compiledBackendCli, freePortPair, prepareDataDir } from "../../tests/support/backend-process.js";
import { ensureBuild, freePort, seed, seedSubscriber, startApp, stopApp, waitFor, type LoadResult } from "./reader-pages.js";

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);
/** Distinct posts the post pages cycle through (the reader bench reads 1,000: nearly every read is a first read). */
const DISTINCT_POSTS = Math.min(10_000, Number(process.env.PROFILE_DISTINCT_POSTS ?? 200));
/**
 * Warm-up requests per page (default: every path twice per worker). The warm-up and the measurement
 * walk the same rotation of paths, so PROFILE_WARMUP=200 with PROFILE_DISTINCT_POSTS=5000 measures
 * first reads (nothing cached anywhere), as the reader bench's uncached post row does.
 */
const WARMUP = process.env.PROFILE_WARMUP ? Number(process.env.PROFILE_WARMUP) : undefined;
const READER_PAGES = fileURLToPath(new URL("./reader-pages.ts", import.meta.url));
const log = (m: string) => console.log(`[profile] ${m}`);

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, the app's server build, a Node subsystem, or V8 itself. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith("node:internal/deps/undici")) return "node: undici (fetch)";
  if (url.startsWith("node:")) return `node: ${url.slice(5).replace(/^internal\//, "").split("/")[0]}`;
  if (url.includes("/build/server/")) return "app server build";
  if (url.includes("/local-backend/")) return "local-backend";
  if (url.includes("/app/")) return "app (source)";
  return "other";
}

/** Self time (µs) per category and per function, summed over profiles; idle time left out. */
export function summarize(profiles: CpuProfile[]): { totalUs: number; byCategory: Map<string, number>; byFunction: Map<string, number> } {
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const n = nodes.get(id)!;
      const us = p.timeDeltas[i] ?? 0;
      if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") return;
      totalUs += us;
      const cat = categoryOf(n.callFrame.url, n.callFrame.functionName);
      byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
      const fn = `${n.callFrame.functionName || "(anonymous)"} ${cat}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    });
  }
  return { totalUs, byCategory, byFunction };
}

const readProfiles = (dir: string): CpuProfile[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as CpuProfile);

function table(title: string, requests: number, s: ReturnType<typeof summarize>, top = 12) {
  const perReq = (us: number) => (requests ? `${(us / requests / 1000).toFixed(2)} ms` : "");
  const rows = [...s.byCategory]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, "CPU %": `${((100 * us) / s.totalUs).toFixed(1)}`, "CPU per request": perReq(us) }));
  printTable(`${title}: ${fmt.int(s.totalUs / 1000)} ms of CPU sampled${requests ? `, ${perReq(s.totalUs)} a request` : ""}`, rows);
  const fns = [...s.byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ function: fn.slice(0, 90), "CPU %": `${((100 * us) / s.totalUs).toFixed(1)}` }));
  printTable(`${title}: heaviest functions (self time)`, fns);
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "profile-data-"));
  const outDir = process.env.PROFILE_DIR ?? mkdtempSync(path.join(os.tmpdir(), "profile-out-"));
  let app: ChildProcess | null = null;
  const backendProfiles = path.join(outDir, "backend");
  // The app's build first: a stale build is rebuilt, and the rebuild empties build/, where the
  // compiled backend goes. Compiled, as npm start runs it: under tsx, keepNames calls would show in
  // the backend's profile.
  ensureBuild(log);
  const compiledCli = await compiledBackendCli();
  const backend = backendProcess({ dataDir, port: await freePortPair(), crons: false, quiet: true, compiledCli, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${backendProfiles}`] });
  try {
    let subscriber!: Awaited<ReturnType<typeof seedSubscriber>>;
    await prepareDataDir(dataDir, {}, async (b) => {
      await seed(b, log);
      subscriber = await seedSubscriber(b);
    });
    await backend.start();
    const cookie = { cookie: await subscriber.cookie(backend.siteUrl) };
    // Featured posts are every tenth (reader-pages.ts seed); the subscriber may read them.
    const pages = [
      { name: "post", paths: Array.from({ length: DISTINCT_POSTS }, (_, i) => `/bench/post-${9999 - ((i * 7) % 10_000)}`), warmup: WARMUP },
      { name: "featured post, signed-in subscriber", paths: Array.from({ length: Math.min(DISTINCT_POSTS, 1000) }, (_, i) => `/bench/post-${9990 - i * 10}`), headers: cookie, warmup: WARMUP },
      { name: "home", paths: ["/bench/"] },
      { name: "tag", paths: Array.from({ length: 100 }, (_, t) => `/bench/tag/tag-${t}`) },
      { name: "rss", paths: ["/bench/rss.xml"] },
      // The floor: a whole reader document (the site's header, footer, meta) for one Convex call
      // (the site) and no list; every reader page pays at least this.
      { name: "floor, search form", paths: ["/bench/search"] },
    ];
    const only = process.env.PROFILE_PAGES?.split(",").map((s) => s.trim());
    const loads: Array<Record<string, string>> = [];
    for (const page of pages.filter((p) => !only || only.some((o) => p.name.startsWith(o)))) {
      const dir = path.join(outDir, page.name.replace(/[^a-z]+/g, "-"));
      const port = await freePort();
      app = startApp(port, backend.url, "off", undefined, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
      await waitFor(`http://127.0.0.1:${port}/bench/`, 30_000);
      const probe = await fetch(`http://127.0.0.1:${port}${page.paths[0]}`, { headers: page.headers });
      const html = await probe.text();
      if (probe.status !== 200) throw new Error(`${page.paths[0]} answered ${probe.status}`);
      if (page.headers && !html.includes('data-testid="post-body"')) throw new Error("the subscriber was not shown the featured post's body");
      const [r] = await runChild<LoadResult[]>(READER_PAGES, { url: `http://127.0.0.1:${port}`, endpoints: [page], concurrency: [50], seconds: SECONDS, workers: os.availableParallelism() }, 3 * 60_000);
      await stopApp(app);
      app = null;
      loads.push({ page: page.name, "req/s": fmt.int(r!.rps), "p99 ms": fmt.ms(r!.p99), requests: fmt.int(r!.requests), "non-2xx": fmt.int(r!.non2xx + r!.errors) });
      table(`app, ${page.name}`, r!.requests, summarize(readProfiles(dir)));
    }
    await backend.stop("SIGTERM");
    printTable(`Load under the profiler (c=50, ${SECONDS} s, READER_CACHE=off, ${os.availableParallelism()} app workers)`, loads);
    table("backend, the whole run", 0, summarize(readProfiles(backendProfiles)));
    log(`profiles: ${outDir}`);
  } finally {
    if (app) await stopApp(app);
    await backend.stop("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    if (!process.env.PROFILE_DIR) log(`(remove ${outDir} when done)`);
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
