import type { ServerBuild } from "@remix-run/node";
import cluster from "node:cluster";
import { readdirSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { getHeapStatistics, writeHeapSnapshot } from "node:v8";
import { serverEnv } from "../env.server";
import { workerExecArgv } from "./heap";
import { startPrimary, warnDevMailbox, workerCount } from "./primary";

// The production HTTP server (`npm run serve`, and what `npm start` runs): the Remix build behind
// plain node:http, in place of remix-serve, because a publication's own host needs its paths
// rewritten before Remix routes them and public pages want a response cache in front of Remix
// (both live in the build, app/reader/front.server.ts, exported by app/entry.server.tsx).
//
// - Static files: build/client's files are listed once at start, so a page request costs no stat;
//   /assets/* (content-hashed) are immutable for a year.
// - One worker per core (node:cluster, primary.ts; WEB_CONCURRENCY overrides, 1 = no cluster). Each
//   worker keeps its own subscription and response caches, all kept fresh by Convex. Under
//   `npm start` the launch process is the primary and runs this file in its workers only.
// - gzip for responses that are not already compressed (the response cache stores its own).
// - SIGTERM/SIGINT: stop accepting, finish in-flight requests (at most 10 s), exit.
//
// Environment: PORT (3000), HOST (127.0.0.1; 0.0.0.0 to listen on every interface), BUILD_PATH
// (build/server/index.js), TRUST_PROXY=1 (take the scheme and host from X-Forwarded-Proto/-Host),
// WEB_CONCURRENCY, WORKER_HEAP_MB (each worker's V8 heap limit, default 512: heap.ts says why),
// LOG_REQUESTS=1 (one line per page request: method, path without the query, status,
// ms; =all adds static files; errors are always logged),
// PRESSROOM_DEV_MAILBOX=1 (development only: serves /dev/mailbox, every email the backend sent;
// `npm start`/`npm run dev` set it, `npm run serve` does not), HEAP_SNAPSHOT_DIR (see below).
//
// SIGUSR2 (to the primary, which passes it on): every process prints one `[pressroom] memory {...}`
// line: its RSS and heap, and in the workers each cache's entries and bytes; with HEAP_SNAPSHOT_DIR
// set, each worker also writes a V8 heap snapshot there (it pauses that worker while it writes).

// The cluster primary only forks and passes signals on: Remix, compression and serve-static load in
// the workers (dynamic imports in startWorker), ~15 MB of resident memory the primary never uses.
const workerModules = () => Promise.all([import("@remix-run/node"), import("compression"), import("serve-static")]);
type RemixNode = Awaited<ReturnType<typeof workerModules>>[0];

// As remix-serve does: a production server unless told otherwise (React's production build, the caches).
// eslint-disable-next-line no-restricted-properties -- a write: React and Remix read NODE_ENV themselves
process.env.NODE_ENV ??= "production";

type Front = (request: Request, next: (request: Request) => Promise<Response>) => Promise<Response>;
/** What the server uses of the build's entry module (app/entry.server.tsx), each optional. */
interface Entry {
  front?: Front;
  sharedViewBatcher?: () => { flush(): void; idle(): Promise<void>; stats: Record<string, number> };
  memoryReport?: () => unknown;
  wholeBody?: (response: Response) => string | Uint8Array | undefined;
}

const env = serverEnv;
const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? "127.0.0.1";
const buildPath = path.resolve(env.BUILD_PATH ?? "build/server/index.js");
const clientDir = path.resolve(path.dirname(buildPath), "../client");
const trustProxy = env.TRUST_PROXY === "1";
const logRequests = env.LOG_REQUESTS === "1" || env.LOG_REQUESTS === "all";
const logStatic = env.LOG_REQUESTS === "all";
const workers = workerCount(env.WEB_CONCURRENCY);

/** Every file under build/client, as URL paths. */
function listStatic(dir: string, prefix = ""): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) for (const p of listStatic(full, `${prefix}/${name}`)) out.add(p);
    else out.add(`${prefix}/${name}`);
  }
  return out;
}

function toRequest(remixNode: RemixNode, req: http.IncomingMessage, res: http.ServerResponse): Request {
  const forwarded = (name: string) => (trustProxy ? String(req.headers[name] ?? "").split(",")[0].trim() : "");
  const scheme = forwarded("x-forwarded-proto") || "http";
  const authority = forwarded("x-forwarded-host") || req.headers.host || `${host}:${port}`;
  const url = new URL(req.url ?? "/", `${scheme}://${authority}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  if (trustProxy && forwarded("x-forwarded-host")) headers.set("host", forwarded("x-forwarded-host"));
  const controller = new AbortController();
  // Abort only a request whose client went away before its response was written: "close" also
  // follows every finished response, and an abort builds a DOMException and runs the signal's
  // listeners (~3% of the floor page's samples in `npm run profile`).
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = remixNode.createReadableStreamFromReadable(req);
    init.duplex = "half";
  }
  return new Request(url, init);
}

async function send(remixNode: RemixNode, entry: Entry, req: http.IncomingMessage, res: http.ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) if (name !== "set-cookie") res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("Set-Cookie", cookies);
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  // A body already whole in memory (a rendered page, a stored response) goes to the socket at once.
  const whole = entry.wholeBody?.(response);
  if (whole !== undefined) {
    res.end(whole);
    return;
  }
  await remixNode.writeReadableStreamToWritable(response.body, res);
}

async function startWorker(): Promise<void> {
  const [remixNode, { default: compression }, { default: serveStatic }] = await workerModules();
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
  const remix = remixNode.createRequestHandler(build, env.NODE_ENV === "development" ? "development" : "production");
  const entry = build.entry.module as Entry;
  process.on("SIGUSR2", () => reportMemory("worker", entry.memoryReport?.()));
  const front: Front = entry.front ?? ((request, next) => next(request));
  const staticFiles = listStatic(clientDir);
  const assets = serveStatic(clientDir, { index: false, immutable: true, maxAge: "1y" });
  const otherStatic = serveStatic(clientDir, { index: false, maxAge: "1h" });
  const gzip = compression();

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const pathname = (req.url ?? "/").split("?")[0];
    const done = (error?: unknown, isStatic = false) => {
      if (error) {
        console.error(`${req.method} ${pathname}:`, error);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader("Content-Type", "text/plain; charset=utf-8");
          res.end("Internal Server Error");
        } else res.destroy();
      }
      // The path only: query strings carry sign-in codes and signed links, which do not belong in logs.
      if ((logRequests && (logStatic || !isStatic)) || res.statusCode >= 500) {
        console.log(`${req.method} ${pathname} ${res.statusCode} ${(performance.now() - started).toFixed(1)} ms`);
      }
    };
    gzip(req as never, res as never, () => {
      if (staticFiles.has(pathname)) {
        const serve = pathname.startsWith("/assets/") ? assets : otherStatic;
        serve(req, res, () => {
          res.statusCode = 404;
          res.end();
        });
        res.once("finish", () => done(undefined, true));
        return;
      }
      let request: Request;
      try {
        request = toRequest(remixNode, req, res);
      } catch {
        res.statusCode = 400;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end("Bad Request: malformed URL or Host header");
        return done();
      }
      front(request, (r) => remix(r))
        .then((response) => send(remixNode, entry, req, res, response))
        .then(() => done(), done);
    });
  });
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Views collected for the next batch go out before the process ends (a few seconds at most);
    // say if any were shed or failed.
    const views = entry.sharedViewBatcher?.();
    views?.flush();
    server.close(() => {
      void Promise.race([views?.idle(), new Promise((r) => setTimeout(r, 5_000))]).then(() => {
        if (views && (views.stats.dropped || views.stats.failed)) console.error(`[pressroom] views: ${JSON.stringify(views.stats)}`);
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // A worker whose primary went away must not linger.
  if (cluster.isWorker) process.once("disconnect", stop);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  if (!cluster.isWorker) console.log(`[pressroom] http://${host}:${port} (1 process)`);
  if (!cluster.isWorker) warnDevMailbox(env.PRESSROOM_DEV_MAILBOX);
}

/** Garbage collections since start: how many and their pause time, minor (scavenges) and the rest (mark-compact and its incremental steps). */
const gc = { minor: { count: 0, ms: 0 }, major: { count: 0, ms: 0 } };

/** Counts this process's GC pauses for the memory report: what a heap bound costs (heap.ts). */
function watchGc(): void {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.major;
      kind.count++;
      kind.ms += e.duration;
    }
  }).observe({ entryTypes: ["gc"] });
}

/** One `[pressroom] memory` line for this process (SIGUSR2); a heap snapshot too in a worker, if asked. */
function reportMemory(role: "primary" | "worker", caches?: unknown): void {
  const m = process.memoryUsage();
  let heapSnapshot: string | undefined;
  if (role === "worker" && env.HEAP_SNAPSHOT_DIR) {
    heapSnapshot = writeHeapSnapshot(path.join(path.resolve(env.HEAP_SNAPSHOT_DIR), `worker-${process.pid}-${Date.now()}.heapsnapshot`));
  }
  const line = { role, pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, heapLimit: getHeapStatistics().heap_size_limit, external: m.external, arrayBuffers: m.arrayBuffers, gc, caches, heapSnapshot };
  console.log(`[pressroom] memory ${JSON.stringify(line)}`);
}

function runPrimary(): void {
  let execArgv: string[];
  try {
    execArgv = workerExecArgv(process.execArgv, env.NODE_OPTIONS, env.WORKER_HEAP_MB);
  } catch (e) {
    console.error(`[pressroom] could not start: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
  const primary = startPrimary({
    workers,
    execArgv,
    onListening: () => {
      console.log(`[pressroom] http://${host}:${port} (${workers} workers)`);
      warnDevMailbox(env.PRESSROOM_DEV_MAILBOX);
    },
  });
  process.on("SIGUSR2", () => {
    reportMemory("primary");
    primary.signal("SIGUSR2");
  });
  void primary.done.then((code) => process.exit(code));
  const stop = () => void primary.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// Every process counts its own pauses (the primary's report showed zeros when only workers did).
watchGc();
if (cluster.isPrimary && workers > 1) runPrimary();
else {
  // The bound is a cluster worker's start flag (heap.ts); one process sets its own with node's flag.
  if (!cluster.isWorker && env.WORKER_HEAP_MB !== undefined) {
    console.warn("[pressroom] WORKER_HEAP_MB has no effect with WEB_CONCURRENCY=1: start node with --max-old-space-size=<MB> instead");
  }
  startWorker().catch((error) => {
    console.error("[pressroom] could not start:", error);
    process.exit(1);
  });
}
