// Pagination cursors under attack (issue #12 item 1): a cursor is authenticated (HMAC under the
// deployment's secret, bound to the function and the query) and can never widen the query's
// index range. Fixture: local-backend/test/fixtures-extra/cursors/convex (notes of three owners
// in one index, "aaron" < "bob" < "carol"; every attack runs as "bob").
import { ConvexError } from "convex/values";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/cursors/convex", import.meta.url));
const OWNERS = ["aaron", "bob", "carol"];
const PER_OWNER = 6;

type Page = { rows: string[]; isDone: boolean; continueCursor: string; splitCursor: string | null };
type Order = "asc" | "desc";

const dirs: string[] = [];
let backend: LocalBackend;
let other: LocalBackend; // another deployment, for foreign cursors
let client: ConvexHttpClient;

async function start(): Promise<LocalBackend> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lb-cursors-"));
  dirs.push(dataDir);
  const b = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, crons: false });
  for (const owner of OWNERS) {
    const r = await b.runner.runMutation("notes:seed", { owner, count: PER_OWNER });
    if (!r.ok) throw new Error(r.message);
  }
  return b;
}

beforeAll(async () => {
  backend = await start();
  other = await start();
  client = new ConvexHttpClient(backend.url, { logger: false });
}, 60_000);

afterAll(async () => {
  await backend?.close();
  await other?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const opts = (cursor: string | null, endCursor?: string | null, numItems = 2) =>
  endCursor === undefined ? { numItems, cursor } : { numItems, cursor, endCursor };

function mine(c: ConvexHttpClient, order: Order, cursor: string | null, endCursor?: string | null, numItems = 2): Promise<Page> {
  return c.query(anyApi.notes.mine, { owner: "bob", order, paginationOpts: opts(cursor, endCursor, numItems) });
}

/** The error a call failed with, or null when it succeeded (its page is then checked). */
async function attempt(call: Promise<Page>): Promise<{ page: Page | null; error: unknown }> {
  try {
    return { page: await call, error: null };
  } catch (error) {
    return { page: null, error };
  }
}

/** Why an error is not Convex's InvalidCursor, or null when it is. */
function notInvalidCursor(error: unknown): string | null {
  const data = (error as { data?: { paginationError?: unknown } } | null)?.data;
  return error instanceof ConvexError && data?.paginationError === "InvalidCursor" ? null : String(error).slice(0, 160);
}

function expectInvalidCursor(error: unknown, message: RegExp = /Failed to parse cursor/) {
  expect(error).toBeInstanceOf(ConvexError);
  const e = error as ConvexError<{ isConvexSystemError: boolean; paginationError: string }>;
  expect(e.data).toEqual({ isConvexSystemError: true, paginationError: "InvalidCursor" });
  expect(e.message).toMatch(message);
}

/** A genuine cursor of `notes:mine` for bob (first page of two). */
async function genuine(order: Order): Promise<string> {
  const first = await mine(client, order, null);
  expect(first.rows).toHaveLength(2);
  return first.continueCursor;
}

const b64 = (bytes: number[]) => Buffer.from(bytes).toString("base64url");
const ff96 = b64(new Array(96).fill(0xff));

describe("forged cursor", () => {
  test("forged cursor: positions past either end of the range read nothing of another owner", async () => {
    const leaks: string[] = [];
    const otherErrors: string[] = [];
    for (const order of ["asc", "desc"] as const) {
      const real = await genuine(order);
      const fp = real.split(".")[0];
      // The published attack (`<fp>.` + 0xFF×96, `endCursor: "<fp>.AA"`) and its neighbours.
      const forged = [`${fp}.${ff96}`, `${fp}.AA`, `${fp}.${b64([0])}`, `${fp}.${ff96}.${ff96}`, `${fp}.end`, `${fp}.AA.AA`];
      for (const f of forged) {
        for (const [cursor, endCursor] of [
          [f, undefined],
          [null, f],
          [real, f],
        ] as const) {
          const { page, error } = await attempt(mine(client, order, cursor, endCursor));
          if (page) leaks.push(...page.rows.filter((r) => !r.startsWith("bob:")).map((r) => `${order} ${f}: ${r}`));
          else if (notInvalidCursor(error)) otherErrors.push(notInvalidCursor(error)!);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(otherErrors).toEqual([]);
  });

  test("forged cursor: truncated, extended and bit-flipped cursors and endCursors get InvalidCursor", async () => {
    for (const order of ["asc", "desc"] as const) {
      const real = await genuine(order);
      const variants = new Set<string>([real.slice(0, -1), real.slice(0, -4), real.slice(1), `${real}A`, real.replace(/\.[^.]*$/, "")]);
      for (let i = 0; i < real.length; i++) {
        if (real[i] === ".") continue;
        const flipped = real[i] === "A" ? "B" : "A";
        variants.add(real.slice(0, i) + flipped + real.slice(i + 1));
      }
      for (const v of variants) {
        expectInvalidCursor((await attempt(mine(client, order, v))).error);
        expectInvalidCursor((await attempt(mine(client, order, null, v))).error);
      }
    }
  });

  test("forged cursor: the genuine cursors still page through exactly the owner's notes", async () => {
    for (const order of ["asc", "desc"] as const) {
      const rows: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const p: Page = await mine(client, order, cursor);
        rows.push(...p.rows);
        if (p.isDone) break;
        cursor = p.continueCursor;
      }
      const expected = Array.from({ length: PER_OWNER }, (_, n) => `bob:${n}`);
      expect(rows).toEqual(order === "asc" ? expected : expected.reverse());
      // An endCursor from a previous page bounds the page (what a re-run subscription does).
      const first = await mine(client, order, null, undefined, 3);
      const again = await mine(client, order, null, first.continueCursor, 1);
      expect(again.rows).toEqual(first.rows);
    }
  });
});

describe("foreign cursor", () => {
  test("foreign cursor: another owner's cursor of the same function is from a different query", async () => {
    const carol = await client.query(anyApi.notes.mine, { owner: "carol", order: "asc", paginationOpts: opts(null) });
    expectInvalidCursor((await attempt(mine(client, "asc", carol.continueCursor))).error, /different query/);
    expectInvalidCursor((await attempt(mine(client, "asc", null, carol.continueCursor))).error, /different query/);
  });

  test("foreign cursor: a cursor of the same query in another function is from a different query", async () => {
    const again = await client.query(anyApi.notes.mineAgain, { owner: "bob", order: "asc", paginationOpts: opts(null) });
    expectInvalidCursor((await attempt(mine(client, "asc", again.continueCursor))).error, /different query/);
  });

  test("foreign cursor: another deployment's cursor of the same query fails to parse", async () => {
    const otherClient = new ConvexHttpClient(other.url, { logger: false });
    for (const order of ["asc", "desc"] as const) {
      const theirs = await mine(otherClient, order, null);
      expectInvalidCursor((await attempt(mine(client, order, theirs.continueCursor))).error);
      expectInvalidCursor((await attempt(mine(client, order, null, theirs.continueCursor))).error);
    }
  });

  test("foreign cursor: cursors stay valid across a restart of the same deployment (the secret is in the data dir)", async () => {
    const first = await mine(client, "asc", null);
    const dataDir = backend.options.dataDir;
    await backend.close();
    backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, crons: false });
    client = new ConvexHttpClient(backend.url, { logger: false });
    const next = await mine(client, "asc", first.continueCursor);
    expect(next.rows).toEqual(["bob:2", "bob:3"]);
  });
});

describe("extreme cursor", () => {
  // White-box: signs positions outside the query's range with the deployment's own secret, to
  // show that the range clamp holds even for a cursor that passes authentication.
  function signed(real: string, key: Buffer): string {
    const secret = Buffer.from(backend.store.getMeta("cursorSecret")!, "hex");
    const fp = real.split(".")[0];
    const position = key.toString("base64url");
    const mac = createHmac("sha256", secret).update(`cursor\0${fp}\0${position}`).digest("base64url");
    return `${fp}.${position}.${mac}`;
  }

  test("extreme cursor: validly signed positions outside the range are clamped to it", async () => {
    const leaks: string[] = [];
    for (const order of ["asc", "desc"] as const) {
      const real = await genuine(order);
      for (const key of [Buffer.alloc(96, 0xff), Buffer.from([0x00]), Buffer.alloc(4096, 0x7f)]) {
        const extreme = signed(real, key);
        for (const [cursor, endCursor] of [
          [extreme, undefined],
          [null, extreme],
          [extreme, extreme],
        ] as const) {
          const { page, error } = await attempt(mine(client, order, cursor, endCursor, 20));
          if (error) throw error;
          leaks.push(...page!.rows.filter((r) => !r.startsWith("bob:")).map((r) => `${order} ${key.length}B: ${r}`));
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  test("extreme cursor: a range query (gte/lt) never returns rows outside its bounds", async () => {
    const call = (cursor: string | null, endCursor?: string | null, order: Order = "asc") =>
      client.query(anyApi.notes.window, { owner: "bob", min: 2, max: 4, order, paginationOpts: opts(cursor, endCursor, 10) });
    for (const order of ["asc", "desc"] as const) {
      const first: Page = await client.query(anyApi.notes.window, { owner: "bob", min: 2, max: 4, order, paginationOpts: opts(null, undefined, 1) });
      for (const key of [Buffer.alloc(96, 0xff), Buffer.from([0x00])]) {
        const extreme = signed(first.continueCursor, key);
        for (const [cursor, endCursor] of [
          [extreme, undefined],
          [null, extreme],
        ] as const) {
          const page: Page = await call(cursor, endCursor, order);
          for (const r of page.rows) expect(["bob:2", "bob:3"]).toContain(r);
        }
      }
    }
  });
});

describe("forged journal", () => {
  /** Subscribes to bob's first page over the sync protocol with `journal`; returns the query's result message. */
  async function subscribe(journal: string): Promise<{ type: string; value?: Page; errorMessage?: string; errorData?: unknown }> {
    const ws = new WebSocket(`${backend.url.replace(/^http/, "ws")}/api/1.48.0/sync`);
    try {
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      const result = new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no answer to the subscription")), 5000);
        ws.on("message", (raw) => {
          const msg = JSON.parse(String(raw));
          const mod = msg.type === "Transition" ? msg.modifications.find((m: { queryId: number }) => m.queryId === 0) : undefined;
          if (mod) {
            clearTimeout(timer);
            resolve(mod);
          }
        });
      });
      ws.send(JSON.stringify({ type: "Connect", sessionId: crypto.randomUUID(), connectionCount: 0, lastCloseReason: null, clientTs: Date.now() }));
      const args = [{ owner: "bob", order: "asc", paginationOpts: { numItems: 2, cursor: null } }];
      ws.send(
        JSON.stringify({
          type: "ModifyQuerySet",
          baseVersion: 0,
          newVersion: 1,
          modifications: [{ type: "Add", queryId: 0, udfPath: "notes:mine", args, journal }],
        }),
      );
      return await result;
    } finally {
      ws.close();
    }
  }

  test("forged cursor: a forged sync journal (the subscription's end cursor) gets InvalidCursor, not other owners' notes", async () => {
    const fp = (await genuine("asc")).split(".")[0];
    for (const journal of [`${fp}.${ff96}`, `${fp}.${ff96}.${ff96}`]) {
      const mod = await subscribe(journal);
      if (mod.type === "QueryUpdated") expect(mod.value!.rows.filter((r) => !r.startsWith("bob:"))).toEqual([]);
      expect(mod.type).toBe("QueryFailed");
      expect(mod.errorData).toEqual({ isConvexSystemError: true, paginationError: "InvalidCursor" });
    }
    // A genuine journal still pins the page's end.
    const first = await mine(client, "asc", null, undefined, 3);
    const pinned = await subscribe(first.continueCursor);
    expect(pinned.type).toBe("QueryUpdated");
    expect(pinned.value!.rows).toEqual(first.rows);
  });
});
