import type { QueryCtx } from "../_generated/server";

/** Per query run (its `db`): what readOnce has read, by key. */
const readsOfRun = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Issue #18: a record the cards of one answer share (the category, the author's membership, a
 * tag), read once per query run instead of once per card. A home page of 11 cards made 11 author
 * lookups and 44 gets, each a round trip between the function and the backend's store; a query
 * reads one snapshot, so the first read answers the others. A mutation's ctx (its db can write)
 * reads every time: a record may change between two cards there. Callers never modify the record.
 */
export function readOnce<T>(ctx: Pick<QueryCtx, "db">, key: string, read: () => Promise<T>): Promise<T> {
  if ("insert" in ctx.db) return read();
  let reads = readsOfRun.get(ctx.db);
  if (!reads) readsOfRun.set(ctx.db, (reads = new Map()));
  let pending = reads.get(key) as Promise<T> | undefined;
  if (!pending) reads.set(key, (pending = read()));
  return pending;
}
