// Exactly-once email under crashes (issue #15 "Numbers"): the backend is SIGKILLed three times while
// it emails a post to 2,000 members, each time while messages are really going out, and every member
// still gets exactly one message.
//
// The app's convex/ runs in a separate process (`local-backend serve`, tests/support/backend-process.ts)
// on a temp data dir; the Resend fake runs in this process, so it outlives every kill and keeps every
// message it accepted. The site and its members are written with trusted code before the backend
// starts; the owner then publishes a post with email (api.posts.publish, the production path). The
// backend is killed once some messages reached the fake, restarted on the same data dir and port, and
// killed again as soon as the restarted backend has sent new messages (twice more). At the end the
// fake holds exactly one message per member (none missing, none twice, none to unsubscribed members),
// the send is "sent", and its counters (api.sends.get) equal a recount of its delivery rows.
//
// What this proves: a send survives process death three times with provider batches, their
// bookkeeping and webhooks in flight, without losing or doubling a recipient; after each restart it
// resumes by itself within a minute (the send's watchdog re-runs the batches the kill interrupted,
// with the same Idempotency-Key: ADR 013), and it finishes within two minutes of the last kill.
// What it cannot prove: every interleaving (it samples three kill points per run); Resend's own
// behaviour: the fake's Idempotency-Key memory (its whole lifetime) stands in for Resend's 24-hour
// window, so a retry of a key after 24 h is not covered; durability against power loss (SQLite
// synchronous=NORMAL survives process death, not an OS crash); provider-side duplicates; Convex
// cloud's own restart behaviour (there the watchdog's 30 s silence rule, not the local backend's
// "interrupted action = failed" marking, finds a lost attempt).
import { ConvexHttpClient } from "convex/browser";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { startResendFake, type ResendFake } from "../../tools/resend-fake/index";
import { seedAudience, type AudienceWorld } from "../support/audience-seed";
import { backendProcess, freePortPair, prepareDataDir, type BackendProcess } from "../support/backend-process";
import { doc } from "../support/factories";
import { runOn } from "../support/live-backend";
import { LocalBackend } from "../../local-backend/src/backend";

const MEMBERS = 2_000;
const UNSUBSCRIBED = 20;
/** Messages at the fake before the first SIGKILL. */
const FIRST_KILL_AT = Math.round(0.15 * MEMBERS);
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

const dataDir = mkdtempSync(path.join(tmpdir(), "pressroom-send-crash-"));
let fake: ResendFake | undefined;
let backend: BackendProcess | undefined;

afterAll(async () => {
  await backend?.stop("SIGKILL");
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<R>(what: string, ms: number, probe: () => R | Promise<R>, everyMs = 5): Promise<NonNullable<R>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await probe();
    if (r) return r as NonNullable<R>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\nbackend output:\n${backend?.output().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** Messages per recipient address at the fake. */
function perAddress(f: ResendFake): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of f.messages()) for (const to of m.to) counts.set(to.toLowerCase(), (counts.get(to.toLowerCase()) ?? 0) + 1);
  return counts;
}

test(
  "SIGKILL three times during a send: every member is emailed exactly once, counters equal a recount, status sent",
  async () => {
    const port = await freePortPair();
    fake = await startResendFake({ webhookUrl: `http://127.0.0.1:${port + 1}/resend/webhook`, webhookSecret: SECRET });
    const prepared = await prepareDataDir(
      dataDir,
      {
        RESEND_API_KEY: "re_test_send_crash",
        RESEND_API_URL: fake.url,
        RESEND_WEBHOOK_SECRET: SECRET,
        MEMBER_TOKEN_SECRET: randomBytes(32).toString("hex"),
        SITE_URL: "http://127.0.0.1:3000",
      },
      (b) => seedAudience(b, { slug: "crash", members: MEMBERS, unsubscribed: UNSUBSCRIBED }),
    );
    const world: AudienceWorld = prepared.value;
    const siteId = world.siteId as Id<"sites">;
    backend = backendProcess({ dataDir, port });
    await backend.start();

    const owner = new ConvexHttpClient(backend.url, { logger: false });
    (owner as any).setAdminAuth(prepared.adminKey, { subject: `${world.ownerId}|send-crash`, issuer: "https://convex.test" });
    const postId = await owner.mutation(api.posts.create, { siteId, title: "Crash-proof dispatch", doc: doc("Every reader gets this once.", "Exactly once.") });
    await owner.mutation(api.posts.publish, { siteId, postId, email: { newsletterId: world.newsletterId as Id<"newsletters">, segment: "all" } });

    // First kill once some messages reached the fake; the next two as soon as the restarted backend
    // sent new ones (so each kill lands while batches are going out, not during the restart's catch-up).
    // Waiting at most a minute for them is the "resumes within a minute" claim.
    const atKill: number[] = [];
    const resumedAfterMs: number[] = [];
    await until(`${FIRST_KILL_AT} messages at the fake`, 60_000, () => fake!.messages().length >= FIRST_KILL_AT);
    for (let kill = 0; kill < 3; kill++) {
      if (kill > 0) {
        const [seen, since] = [fake.messages().length, Date.now()];
        await until("the restarted backend to send new messages (resume within a minute)", 60_000, () => fake!.messages().length > seen);
        resumedAfterMs.push(Date.now() - since);
      }
      await backend.stop("SIGKILL");
      atKill.push(fake.messages().length);
      await backend.start();
    }
    // Each kill came during the send, after new messages: the counts grow and some members were still waiting.
    for (const n of atKill) expect(n).toBeLessThan(MEMBERS);
    expect(atKill[1]).toBeGreaterThan(atKill[0]);
    expect(atKill[2]).toBeGreaterThan(atKill[1]);

    // After the last restart the watchdog resumes the send too, and it finishes.
    const lastStart = Date.now();
    const [send] = await until("the send to finish", 2 * 60_000, async () => {
      const sends = await owner.query(api.sends.forPost, { siteId, postId });
      return sends.length > 0 && ["sent", "failed", "cancelled"].includes(sends[0].status) ? sends : null;
    }, 1_000);
    const finishedAfterMs = Date.now() - lastStart;
    expect(send.status).toBe("sent");
    // Every webhook the fake owes has been answered (those sent while the backend was down failed).
    await fake.flush();

    const counts = perAddress(fake);
    const missing = world.emails.filter((e) => !counts.has(e));
    const twice = [...counts].filter(([, n]) => n > 1).map(([e, n]) => `${e} ×${n}`);
    const expected = new Set(world.emails);
    const strangers = [...counts.keys()].filter((e) => !expected.has(e));
    expect({ missing: missing.slice(0, 10), missingCount: missing.length }).toEqual({ missing: [], missingCount: 0 });
    expect({ twice: twice.slice(0, 10), twiceCount: twice.length }).toEqual({ twice: [], twiceCount: 0 });
    expect(strangers).toEqual([]); // unsubscribed members included
    expect(fake.messages().length).toBe(MEMBERS);

    // Counters against a recount of the send's delivery rows (read with the backend stopped).
    const view = (await owner.query(api.sends.get, { siteId, sendId: send._id }))!;
    await backend.stop("SIGTERM");
    const inspector = await LocalBackend.start({ dataDir, convexDir: "convex", port: 0, host: "127.0.0.1", scheduler: false, crons: false });
    try {
      const rows = await runOn(inspector, async (ctx) => {
        const out: Array<{ memberId: string; email: string; status: string }> = [];
        for await (const d of ctx.db.query("emailDeliveries")) if (d.sendId === send._id) out.push({ memberId: d.memberId, email: d.email, status: d.status });
        return out;
      });
      const recount = { queued: 0, sent: 0, delivered: 0, bounced: 0, complained: 0, failed: 0, skipped: 0, cancelled: 0 } as Record<string, number>;
      for (const r of rows) recount[r.status]++;
      expect(view.counts).toEqual(recount);
      expect(view.total).toBe(MEMBERS);
      // One delivery row per member (the idempotency key is per (post, member)), none left queued.
      expect(rows.length).toBe(MEMBERS);
      expect(new Set(rows.map((r) => r.memberId)).size).toBe(MEMBERS);
      expect(new Set(rows.map((r) => r.email))).toEqual(new Set(world.emails));
      expect(recount.queued + recount.failed + recount.skipped + recount.cancelled).toBe(0);
    } finally {
      await inspector.close();
    }
    console.log(
      `[send-crash] killed at ${atKill.join(", ")} messages of ${MEMBERS}; new messages ${resumedAfterMs.join(", ")} ms after restarts 1-2 served; finished ${finishedAfterMs} ms after the last restart; counts ${JSON.stringify(view.counts)}`,
    );
  },
  4 * 60_000,
);
