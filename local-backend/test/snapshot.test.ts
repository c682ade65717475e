import { afterAll, expect, test } from "vitest";
import { convexTest } from "../src/testing.js";
import { api } from "./fixture/convex/_generated/api.js";
import { modules } from "./conformance/modules.js";

const t = convexTest(undefined, modules);
afterAll(() => t.close());

test("queries read a consistent snapshot while transfers commit (no torn reads)", async () => {
  await t.mutation(api.snapshot.setup, { total: 1000 });
  const reads: Array<Promise<{ a: number; b: number }>> = [];
  // Interleave: each query yields between its reads, during which a transfer commits.
  for (let i = 0; i < 60; i++) {
    const write = t.mutation(api.snapshot.transfer, {});
    for (let j = 0; j < 3; j++) reads.push(t.query(api.snapshot.balances, {}));
    await write;
  }
  const seen = await Promise.all(reads);
  for (const { a, b } of seen) expect(a + b).toBe(1000);
  // The reads really ran between commits (otherwise this test could not catch a torn read).
  expect(new Set(seen.map((s) => s.a)).size).toBeGreaterThan(5);
  expect(await t.query(api.snapshot.balances, {})).toEqual({ a: 940, b: 60 });
});
