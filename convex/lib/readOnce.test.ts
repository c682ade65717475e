import { describe, expect, test } from "vitest";
import { readOnce } from "./readOnce";

// The rule is about which ctx may share a read: a query's (one snapshot per run) and not a
// mutation's (its own writes may change a record between two reads). Fakes stand in for the two:
// Convex gives a query a db without `insert` and a mutation one with it.
const queryCtx = () => ({ db: { get: () => null, query: () => null } }) as never;
const mutationCtx = () => ({ db: { get: () => null, query: () => null, insert: () => null } }) as never;

describe("readOnce", () => {
  test("a query run reads each key once, and every caller gets that read's value", async () => {
    const ctx = queryCtx();
    let reads = 0;
    const read = async () => ({ n: ++reads });
    const [a, b] = await Promise.all([readOnce(ctx, "k", read), readOnce(ctx, "k", read)]);
    const c = await readOnce(ctx, "k", read);
    expect(reads).toBe(1);
    expect(a).toEqual({ n: 1 });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(await readOnce(ctx, "other", read)).toEqual({ n: 2 });
  });

  test("two query runs do not share reads", async () => {
    let reads = 0;
    const read = async () => ++reads;
    expect(await readOnce(queryCtx(), "k", read)).toBe(1);
    expect(await readOnce(queryCtx(), "k", read)).toBe(2);
  });

  test("a mutation reads every time (a record may change between two reads)", async () => {
    const ctx = mutationCtx();
    let reads = 0;
    const read = async () => ++reads;
    await readOnce(ctx, "k", read);
    await readOnce(ctx, "k", read);
    expect(reads).toBe(2);
  });
});
