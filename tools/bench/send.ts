// Send section of `npm run bench` (issue #15 "Numbers"): a post emailed to 100,000 members through
// the Resend fake. The app's backend runs as its own process (`local-backend serve`, as npm start
// runs it) so its memory is its own; the fake runs here and answers its webhooks back to it, as
// Resend would. Measured:
//   - time from publish (api.posts.publish with email) until the send is "sent" (< 10 min), and
//     every member holds exactly one message at the fake;
//   - time from publish to the first message at the fake (< 5 s);
//   - the backend's resident memory, VmRSS sampled every 200 ms during the send (< 500 MB);
//   - messages per second (first to last message at the fake);
//   - post page p99 (the production app server, READER_CACHE=off so every request asks the backend)
//     during the send against the same measurement before it (≤ 1.5×), with the reader bench's
//     autocannon child at concurrency 10.
//
// Bounded: 15 minutes (then it stops its children, removes its temp dir and exits 1); Ctrl-C does
// the same cleanup. 127.0.0.1 only. Knobs: SEND_BENCH_MEMBERS (default 100000),
// SEND_BENCH_SECONDS (per page measurement, default 10), SEND_BENCH_CPU_PROF (below). `tsx tools/bench/send.ts` runs it alone.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { fmt, printTable, REPO_ROOT, runChild } from "../../local-backend/bench/lib.js";
import { seedAudience } from "../../tests/support/audience-seed.js";
import { backendProcess, compiledBackendCli, freePortPair, prepareDataDir, type BackendProcess } from "../../tests/support/backend-process.js";
import { startResendFake, type ResendFake } from "../resend-fake/index.js";
import { ensureBuild, freePort, startApp, stopApp, waitFor, type LoadResult } from "./reader-pages.js";
import { guardSection } from "./guard.js";

type Log = (msg: string) => void;

const MEMBERS = Number(process.env.SEND_BENCH_MEMBERS ?? 100_000);
// 10 s windows: at concurrency 10 a 5 s window's p99 rested on a dozen requests and moved ±40% run to run.
const SECONDS = Number(process.env.SEND_BENCH_SECONDS ?? 10);
/** SEND_BENCH_CPU_PROF=<folder>: the backend's main thread writes a CPU profile there (with LOCAL_BACKEND_ISOLATE_CPU_PROF, its isolates too). */
const PROF_DIR = process.env.SEND_BENCH_CPU_PROF;
/** The section's time budget (run.ts); the send itself must finish within TARGET.completeMs. */
export const SEND_BUDGET_MS = 12 * 60_000;
const BUDGET_MS = SEND_BUDGET_MS;
const PAGE_POSTS = 20;
const SLUG = "sendbench";
const READER_PAGES = path.join(REPO_ROOT, "tools", "bench", "reader-pages.ts");

const TARGET = { completeMs: 10 * 60_000, firstMs: 5_000, rssBytes: 500 * 2 ** 20, p99Ratio: 1.5 };


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const paragraph = (text: string) => ({ type: "paragraph", content: [{ type: "text", text }] });
const postDoc = (i: number) =>
  JSON.stringify({
    type: "doc",
    content: [
      paragraph(`Dispatch ${i}: the harbour board met on Tuesday and voted on the budget for the winter.`),
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "What changes" }] },
      paragraph("Ferries run every twenty minutes from March; the market moves to the river side in April."),
      paragraph("Readers asked about the compost scheme; the answer is in the minutes, linked below."),
    ],
  });

export async function runSendBench(log: Log): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "send-bench-"));
  let backend: BackendProcess | undefined;
  let fake: ResendFake | undefined;
  let app: ChildProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  // Kills what this section started and removes its temp dir (on abort, nothing is awaited).
  const guard = guardSection("send", BUDGET_MS, () => {
    if (backend?.alive()) process.kill(backend.pid(), "SIGKILL");
    app?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  try {
    ensureBuild(log);
    const port = await freePortPair();
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    fake = await startResendFake({ webhookUrl: `http://127.0.0.1:${port + 1}/resend/webhook`, webhookSecret: secret });
    const t0 = performance.now();
    const prepared = await prepareDataDir(
      dataDir,
      {
        RESEND_API_KEY: "re_bench_send",
        RESEND_API_URL: fake.url,
        RESEND_WEBHOOK_SECRET: secret,
        MEMBER_TOKEN_SECRET: randomBytes(32).toString("hex"),
        SITE_URL: "http://127.0.0.1:3000",
      },
      (b) => seedAudience(b, { slug: SLUG, members: MEMBERS }),
    );
    const world = prepared.value;
    const siteId = world.siteId as Id<"sites">;
    log(`send bench: seeded ${fmt.int(MEMBERS)} members (1,000 per transaction) in ${fmt.s(performance.now() - t0)}`);
    // As `npm start` runs it: no log line per function call (--quiet; start.ts logs calls only with --verbose).
    // Compiled, as npm start runs it.
    backend = backendProcess({ dataDir, port, quiet: true, compiledCli: await compiledBackendCli(), nodeArgs: PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`] : [] });
    await backend.start();
    log(`send bench: backend process ${backend.pid()} serving, RSS ${fmt.mb(backend.rss())}, ${backend.threads()} threads`);

    const owner = new ConvexHttpClient(backend.url, { logger: false });
    (owner as any).setAdminAuth(prepared.adminKey, { subject: `${world.ownerId}|send-bench`, issuer: "https://convex.test" });
    // Published posts (no email) for the post page measurements.
    const paths: string[] = [];
    for (let i = 0; i < PAGE_POSTS; i++) {
      const postId = await owner.mutation(api.posts.create, { siteId, title: `Harbour dispatch ${i}`, doc: postDoc(i) });
      await owner.mutation(api.posts.publish, { siteId, postId });
      const { post } = await owner.query(api.posts.getForEdit, { siteId, postId });
      paths.push(`/${SLUG}/${post.slug}`);
    }

    const appPort = await freePort();
    const base = `http://127.0.0.1:${appPort}`;
    app = startApp(appPort, backend.url, "off", prepared.adminKey);
    await waitFor(`${base}${paths[0]}`, 30_000);
    const check = await fetch(`${base}${paths[0]}`);
    if (check.status !== 200) throw new Error(`send bench: ${paths[0]} answered ${check.status}`);
    await check.arrayBuffer();
    const load = (seconds = SECONDS) =>
      runChild<LoadResult[]>(
        READER_PAGES,
        { url: base, endpoints: [{ name: "post", paths }], concurrency: [10], seconds, workers: os.availableParallelism() },
        3 * 60_000,
      ).then((r) => r[0]);
    // Warm the app's JIT first, so the baseline is not a cold server's (which flattered the ratio).
    await load(3);
    log(`send bench: post page p99 without a send (${SECONDS} s, concurrency 10, READER_CACHE=off)`);
    const quiet = await load();

    // The send: publish with email, then watch the fake and the backend's memory.
    let rssPeak = 0;
    let threadsPeak = 0;
    sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, backend!.rss());
      threadsPeak = Math.max(threadsPeak, backend!.threads());
    }, 200);
    const sendPostId = await owner.mutation(api.posts.create, { siteId, title: "The winter budget, in full", doc: postDoc(999) });
    const tPublish = Date.now();
    await owner.mutation(api.posts.publish, { siteId, postId: sendPostId, email: { newsletterId: world.newsletterId as Id<"newsletters">, segment: "all" } });
    const publishCallMs = Date.now() - tPublish;
    while (fake.messages().length === 0 && Date.now() - tPublish < 60_000) await sleep(20);
    const tFirst = fake.messages().length > 0 ? Date.now() : NaN;
    log(`send bench: first message ${fmt.s(tFirst - tPublish)} after publish; measuring the post page during the send`);
    const sentBeforeLoad = fake.messages().length;
    const busy = await load();
    const sentAfterLoad = fake.messages().length;

    // Until the send is done (or the section's budget is nearly spent).
    const deadline = Date.now() + Math.max(0, BUDGET_MS - (performance.now() - t0) - 60_000);
    let view: FunctionReturnType<typeof api.sends.get> = null;
    for (;;) {
      const sends = await owner.query(api.sends.forPost, { siteId, postId: sendPostId });
      view = sends[0] ?? null;
      if (view && ["sent", "failed", "cancelled"].includes(view.status)) break;
      if (Date.now() > deadline) break;
      log(`send bench: ${view?.status ?? "no send"}, ${fmt.int(fake.messages().length)} messages at the fake, backend RSS ${fmt.mb(backend.rss())}, ${backend.threads()} threads`);
      await sleep(5_000);
    }
    clearInterval(sampler);
    const messages = fake.messages();
    const done = view !== null && view.status === "sent";
    const completeMs = done && view!.finishedAt !== null ? view!.finishedAt - tPublish : NaN;
    const perAddress = new Map<string, number>();
    for (const m of messages) for (const to of m.to) perAddress.set(to.toLowerCase(), (perAddress.get(to.toLowerCase()) ?? 0) + 1);
    const exactlyOnce = world.emails.every((e) => perAddress.get(e) === 1) && perAddress.size === world.emails.length;
    const spanMs = messages.length > 1 ? Date.parse(messages[messages.length - 1].created_at) - Date.parse(messages[0].created_at) : NaN;
    const ratio = busy.p99 / quiet.p99;
    const met = (ok: boolean) => (ok ? "met" : "MISSED");

    printTable(
      `Send: a post emailed to ${fmt.int(MEMBERS)} members (segment all) through the Resend fake, backend as its own process ` +
        `(${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`,
      [
        {
          measure: "publish → send sent",
          value: Number.isFinite(completeMs) ? fmt.s(completeMs) : `not done (${view?.status ?? "no send"})`,
          target: "< 600 s",
          status: met(completeMs < TARGET.completeMs),
        },
        {
          measure: "members with exactly one message",
          value: `${fmt.int(world.emails.filter((e) => perAddress.get(e) === 1).length)} of ${fmt.int(MEMBERS)} (${fmt.int(messages.length)} messages)`,
          target: "all",
          status: met(exactlyOnce),
        },
        { measure: "publish → first message at the fake", value: fmt.s(tFirst - tPublish), target: "< 5 s", status: met(tFirst - tPublish < TARGET.firstMs) },
        { measure: "posts.publish call (with email)", value: `${fmt.int(publishCallMs)} ms`, target: "", status: "" },
        { measure: "backend RSS peak during the send", value: fmt.mb(rssPeak), target: "< 500 MB", status: met(rssPeak > 0 && rssPeak < TARGET.rssBytes) },
        { measure: "backend threads peak (isolate workers are threads)", value: fmt.int(threadsPeak), target: "", status: "" },
        { measure: "messages per second (first → last)", value: fmt.int(messages.length / (spanMs / 1000)), target: "", status: "" },
        {
          measure: "post page p99, no send / during send",
          value: `${fmt.ms(quiet.p99)} / ${fmt.ms(busy.p99)} ms (${fmt.ratio(ratio)})`,
          target: "≤ 1.5×",
          status: met(ratio <= TARGET.p99Ratio),
        },
        {
          measure: "post page req/s, no send / during send",
          value: `${fmt.int(quiet.rps)} / ${fmt.int(busy.rps)} (non-2xx ${fmt.int(quiet.non2xx + quiet.errors)} / ${fmt.int(busy.non2xx + busy.errors)})`,
          target: "",
          status: "",
        },
        {
          measure: "messages sent while the page was measured",
          value: `${fmt.int(sentAfterLoad - sentBeforeLoad)} (${fmt.int(sentBeforeLoad)} → ${fmt.int(sentAfterLoad)})`,
          target: "> 0",
          status: met(sentAfterLoad > sentBeforeLoad && sentAfterLoad < MEMBERS),
        },
      ],
    );
    if (view) log(`send bench: counts ${JSON.stringify(view.counts)}, total ${fmt.int(view.total)}`);
  } finally {
    guard.release();
    if (sampler) clearInterval(sampler);
    if (app) await stopApp(app);
    await backend?.stop("SIGTERM");
    // With the backend gone, the webhooks still queued fail fast instead of being awaited one by one.
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const t0 = performance.now();
  runSendBench((m) => console.log(`[bench ${fmt.s(performance.now() - t0)}] ${m}`)).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
