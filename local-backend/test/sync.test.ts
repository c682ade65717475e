import { ConvexClient } from "convex/browser";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { api } from "./fixture/convex/_generated/api.js";

// The real ConvexClient (WebSocket sync protocol) against the local backend.
let backend: LocalBackend;
let dataDir: string;
const clients: ConvexClient[] = [];

function client(): ConvexClient {
  const c = new ConvexClient(backend.url, { skipConvexDeploymentUrlCheck: true });
  clients.push(c);
  return c;
}

/** Resolves with the first value that satisfies `pred` (bounded wait). */
function waitFor<T>(subscribe: (cb: (v: T) => void) => () => void, pred: (v: T) => boolean, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsub: () => void = () => {};
    const timer = setTimeout(() => {
      unsub();
      reject(new Error("timed out waiting for a live update"));
    }, ms);
    unsub = subscribe((v) => {
      if (pred(v)) {
        clearTimeout(timer);
        queueMicrotask(() => unsub());
        resolve(v);
      }
    });
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-sync-"));
  backend = await LocalBackend.start({ dataDir, convexDir: "local-backend/test/fixture/convex", port: 0 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await backend.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("sync protocol with the real ConvexClient", () => {
  test("a subscription sees another client's mutation", async () => {
    const reader = client();
    const writer = client();
    const seen = waitFor<{ name: string; rank: number | null } | null>(
      (cb) => reader.onUpdate(api.live.byName, { name: "live-1" }, cb),
      (v) => v !== null && v.rank === 7,
    );
    await writer.mutation(api.items.insert, { name: "live-1", rank: 7 });
    expect(await seen).toEqual({ name: "live-1", rank: 7 });
  });

  test("Transitions carry the send time and the clock skew, so the client measures a short transit", async () => {
    // serverTs is nanoseconds and clientClockSkew milliseconds: the client logs "took more than
    // 20s to arrive" for every Transition whose computed transit time exceeds 20 s.
    const logged = vi.spyOn(console, "log");
    try {
      const reader = client();
      const writer = client();
      const seen = waitFor<{ name: string; rank: number | null } | null>(
        (cb) => reader.onUpdate(api.live.byName, { name: "skew-1" }, cb),
        (v) => v !== null && v.rank === 3,
      );
      await writer.mutation(api.items.insert, { name: "skew-1", rank: 3 });
      await seen;
      const warnings = logged.mock.calls.map((c) => c.join(" ")).filter((line) => /to arrive/.test(line));
      expect(warnings).toEqual([]);
    } finally {
      logged.mockRestore();
    }
  });

  test("a mutation resolves only once its writes are visible to the same client's queries", async () => {
    const c = client();
    let latest: unknown = undefined;
    const unsub = c.onUpdate(api.live.byName, { name: "live-2" }, (v) => (latest = v));
    await waitFor((cb) => c.onUpdate(api.live.byName, { name: "live-2" }, cb), (v) => v === null);
    await c.mutation(api.items.insert, { name: "live-2", rank: 1 });
    // The Transition carrying the write came with (or before) the mutation's completion.
    expect(latest).toEqual({ name: "live-2", rank: 1 });
    unsub();
  });

  test("a failed mutation rejects with the ConvexError data and still gets a Transition", async () => {
    const c = client();
    const error = await c.mutation(api.errors.mutationThrowsConvexError, {}).catch((e) => e);
    expect(error.data).toBeDefined();
    // The connection is still usable.
    await c.mutation(api.items.insert, { name: "live-3", rank: 3 });
    expect(await c.query(api.live.byName, { name: "live-3" })).toEqual({ name: "live-3", rank: 3 });
  });

  test("a write re-runs only the subscriptions whose read set it touched", async () => {
    const c = client();
    const names = Array.from({ length: 20 }, (_, i) => `rr-${i}`);
    await c.mutation(api.items.insertMany, { items: names.map((name, rank) => ({ name, rank: 1000 + rank })) });
    const unsubs = await Promise.all(
      names.map(
        (name) =>
          new Promise<() => void>((resolve) => {
            const u: () => void = c.onUpdate(api.live.byName, { name }, (v) => {
              if (v) resolve(u);
            });
          }),
      ),
    );
    const before = backend.sync.queryRuns;
    const changed = waitFor((cb) => c.onUpdate(api.live.byName, { name: "rr-5" }, cb), (v: any) => v?.rank === -5);
    const id = (await c.query(api.items.list, {})).find((d: any) => d.name === "rr-5")!._id;
    await c.mutation(api.items.patch, { id, fields: { rank: -5 } });
    await changed;
    // One subscription re-ran for the write (plus the new one added just above), not twenty.
    expect(backend.sync.queryRuns - before).toBeLessThanOrEqual(2);
    unsubs.forEach((u) => u());
  });

  test("a mutation replayed after a dropped socket is applied once", async () => {
    const c = client();
    await c.query(api.items.count, {});
    const countBefore = await c.query(api.items.count, {});
    // Drop every server-side socket right after the mutation is sent: the client reconnects and
    // replays it; the (session, request id) cache answers the replay.
    const pending = c.mutation(api.items.insert, { name: "replayed", rank: 1 });
    setTimeout(() => {
      for (const s of backend.sync.sessions) (s as any).ws.terminate();
    }, 0);
    await pending;
    await new Promise((r) => setTimeout(r, 50));
    expect(await c.query(api.items.count, {})).toBe(countBefore + 1);
  });

  test("paginated subscription keeps its page boundaries while others insert and delete", async () => {
    const writer = client();
    const reader = client();
    await writer.mutation(api.items.insertMany, {
      items: Array.from({ length: 10 }, (_, i) => ({ name: `p-${i}`, rank: 5000 + i * 10 })),
    });
    type Page = { results: Array<{ name: string }>; status: string; loadMore: (n: number) => boolean };
    let latest: Page | undefined;
    reader.onPaginatedUpdate_experimental(api.live.byRank as any, {}, { initialNumItems: 3 }, (r: any) => (latest = r));
    const until = async (pred: (p: Page) => boolean) => {
      for (let i = 0; i < 200 && !(latest && pred(latest)); i++) await new Promise((r) => setTimeout(r, 20));
      if (!latest || !pred(latest)) throw new Error(`page never satisfied predicate: ${JSON.stringify(latest?.results)}`);
      return latest;
    };
    const firstNames = (p: Page) => p.results.map((d) => d.name).filter((n) => n.startsWith("p-"));
    await until((p) => p.results.length > 0);
    // Everything else in the table sorts before rank 5000? No: other tests insert lower ranks, so
    // filter to this test's items and compare sets after churn.
    const deleted = (await writer.query(api.items.list, {})).find((d: any) => d.name === "p-0")!._id;
    await writer.mutation(api.items.remove, { id: deleted });
    await writer.mutation(api.items.insert, { name: "p-new", rank: 5005 });
    latest!.loadMore(100);
    const final = await until((p) => p.status === "Exhausted" && firstNames(p).includes("p-new"));
    const names = firstNames(final);
    expect(names).not.toContain("p-0");
    expect(new Set(names).size).toBe(names.length); // no duplicates across pages
    expect(names.sort()).toEqual(["p-1", "p-2", "p-3", "p-4", "p-5", "p-6", "p-7", "p-8", "p-9", "p-new"].sort());
  });
});
