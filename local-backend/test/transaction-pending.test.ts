// A mutation's own writes overlaid on its scans (runtime/transaction.ts), measured where it used to
// cost: a mutation that inserted hundreds of rows made every later scan of that table fetch that many
// extra committed rows from SQLite and re-encode every pending row's index key. An import batch of
// 100 members or a send's page of 100 deliveries paid it on each of its reads (ADR 016, fifth round).
//
// These tests drive a real Transaction over the real store and catalog of an in-process backend and
// watch the limits its scans ask the snapshot for. They check results too: what a scan returns with
// pending inserts, replacements, deletes and a discarded nested layer must not change.
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { IndexDefinition, ReadSnapshot } from "../src/storage/interface.js";
import { Transaction } from "../src/runtime/transaction.js";
import type { LocalBackend } from "../src/backend.js";
import { convexTest, type TestConvex } from "../src/testing.js";

const ITEMS = fileURLToPath(new URL("./fixture/convex", import.meta.url));

describe("a transaction's pending writes in its scans", () => {
  let t: TestConvex;
  let backend: LocalBackend;
  let byRank: IndexDefinition;

  beforeAll(async () => {
    t = convexTest(undefined, ITEMS);
    // Ten committed items, ranks 0..9.
    await t.run(async (ctx) => {
      for (let rank = 0; rank < 10; rank++) await ctx.db.insert("items", { name: `committed-${rank}`, rank });
    });
    backend = await t.backend();
    const table = backend.catalog.tableNumber("items")!;
    byRank = backend.catalog.index(table, "by_rank")!;
  });
  afterAll(async () => {
    await t.close();
  });
  /** Snapshots opened by the test that ran: released after it, whatever it did. */
  const open: ReadSnapshot[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.release();
  });

  /** A transaction on the latest commit whose snapshot records the limit of every index scan, and every document it reads by id. */
  function watched(): { tx: Transaction; limits: number[]; reads: string[] } {
    const snapshot = backend.store.snapshot();
    open.push(snapshot);
    const limits: number[] = [];
    const reads: string[] = [];
    const spy = new Proxy(snapshot, {
      get(target, prop, receiver) {
        if (prop === "scan") {
          return (indexId: number, lower: Buffer, upper: Buffer | null, desc: boolean, limit: number) => {
            limits.push(limit);
            return target.scan(indexId, lower, upper, desc, limit);
          };
        }
        if (prop === "getDocument") {
          return (id: string) => {
            reads.push(id);
            return target.getDocument(id);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as ReadSnapshot;
    return { tx: new Transaction(backend.catalog, spy, true, Date.now()), limits, reads };
  }

  const names = (rows: Array<{ doc: { value: Record<string, unknown> } }>) => rows.map((r) => r.doc.value.name);
  const all = Buffer.alloc(0);

  test("rows inserted by the transaction do not widen a scan: 300 pending inserts, a first() reads one committed row", () => {
    const { tx, limits } = watched();
    for (let i = 0; i < 300; i++) tx.insert("items", { name: `pending-${i}`, rank: 100 + i });
    const first = tx.scan(byRank, all, null, false, 1);
    expect(names(first.rows)).toEqual(["committed-0"]);
    expect(limits).toEqual([1]); // was 301: one extra committed row per pending insert
    // A pending insert that sorts first is still seen.
    tx.insert("items", { name: "pending-lowest", rank: -1 });
    expect(names(tx.scan(byRank, all, null, false, 2).rows)).toEqual(["pending-lowest", "committed-0"]);
    expect(limits[1]).toBe(2);
  });

  test("replacements and deletes of committed rows still over-fetch by their number, so a page is never short", () => {
    const { tx, limits } = watched();
    const committed = tx.scan(byRank, all, null, false, 10).rows.map((r) => r.doc);
    limits.length = 0;
    // Move ranks 0 and 1 past the end, delete 2 and 3: the first three are now 4, 5, 6.
    tx.patch(committed[0].id, { rank: 50 });
    tx.patch(committed[1].id, { rank: 51 });
    tx.delete(committed[2].id);
    tx.delete(committed[3].id);
    for (let i = 0; i < 50; i++) tx.insert("items", { name: `pending-${i}`, rank: 200 + i });
    const page = tx.scan(byRank, all, null, false, 3);
    expect(names(page.rows)).toEqual(["committed-4", "committed-5", "committed-6"]);
    expect(page.more).toBe(true);
    expect(limits).toEqual([3 + 4]); // the 4 rows that can hide committed ones; the 50 inserts cannot
    // The moved rows sit at their new keys.
    expect(names(tx.scan(byRank, all, null, true, 2).rows)).toEqual(["pending-49", "pending-48"]);
    expect(names(tx.scan(byRank, Buffer.from(committed[9].keyIn(byRank)), null, false, 3).rows)).toEqual([
      "committed-9",
      "committed-0",
      "committed-1",
    ]);
  });

  test("a discarded nested layer (a nested mutation that threw) leaves the scans and their over-fetch as before it", () => {
    const { tx, limits } = watched();
    const committed = tx.scan(byRank, all, null, false, 10).rows.map((r) => r.doc);
    tx.insert("items", { name: "kept", rank: -5 });
    tx.pushLayer();
    tx.insert("items", { name: "discarded", rank: -10 });
    tx.patch(committed[0].id, { rank: 99 });
    tx.delete(committed[1].id);
    expect(names(tx.scan(byRank, all, null, false, 2).rows)).toEqual(["discarded", "kept"]);
    tx.popLayer(false);
    limits.length = 0;
    expect(names(tx.scan(byRank, all, null, false, 3).rows)).toEqual(["kept", "committed-0", "committed-1"]);
    expect(limits).toEqual([3]); // the nested patch and delete are gone, so nothing can hide a row
    // A kept nested layer stays, hiders and all.
    tx.pushLayer();
    tx.patch(committed[0].id, { rank: 99 });
    tx.popLayer(true);
    limits.length = 0;
    expect(names(tx.scan(byRank, all, null, false, 2).rows)).toEqual(["kept", "committed-1"]);
    expect(limits).toEqual([3]);
  });

  test("a pending version's index key is encoded once and equals the committed encoding", () => {
    const { tx } = watched();
    const committed = tx.scan(byRank, all, null, false, 1).rows[0];
    const id = tx.insert("items", { name: "keyed", rank: 0.5 });
    const pending = tx.pendingOfTable(byRank.tableNumber).get(id)!;
    expect(pending.keyIn(byRank)).toBe(pending.keyIn(byRank));
    expect(committed.doc.keyIn(byRank).equals(committed.key)).toBe(true);
    // The commit's index entries use the same keys.
    const write = tx.writes(0n).find((w) => w.id === id)!;
    expect(write.addKeys.find((k) => k.indexId === byRank.indexId)!.key.equals(pending.keyIn(byRank))).toBe(true);
  });

  test("the commit takes a patched document's old index keys from the version read before the patch, and reads nothing for an insert", () => {
    const { tx, reads } = watched();
    const committed = tx.scan(byRank, all, null, false, 1).rows[0];
    const inserted = tx.insert("items", { name: "new", rank: 77 });
    tx.patch(committed.doc.id, { rank: 78 });
    tx.patch(committed.doc.id, { rank: 79 }); // a second patch: the committed version is still the old one
    reads.length = 0;
    const writes = tx.writes(0n);
    expect(reads).toEqual([]); // before: one stored read per written document
    const patched = writes.find((w) => w.id === committed.doc.id)!;
    expect(patched.removeKeys.find((k) => k.indexId === byRank.indexId)!.key.equals(committed.key)).toBe(true);
    expect(JSON.parse(patched.json!).rank).toBe(79);
    const added = writes.find((w) => w.id === inserted)!;
    expect(added.removeKeys).toEqual([]);
  });
});
