import { defaultPoolBounds } from "./isolate/pool.js";
import { readSetOverlap, type CommitWrites, type Reads } from "./readSetIndex.js";
import { FunctionError } from "./thrown.js";

/**
 * Optimistic concurrency control for mutations, as Convex runs them (docs/database/advanced/occ.mdx;
 * crates/database/src/transaction.rs, crates/isolate/src/client.rs): mutations run concurrently, each
 * on the snapshot it began at; at commit, a mutation whose read set a commit since that snapshot
 * touched is thrown away and run again on a new snapshot, up to UDF_EXECUTOR_OCC_MAX_RETRIES times;
 * then it fails with Convex's message. Commits themselves are synchronous (one SQLite transaction on
 * this thread), so checking and committing are one step. How retries are scheduled differs from
 * Convex's backoff: MutationGate.
 */

/** Convex's UDF_EXECUTOR_OCC_MAX_RETRIES: retries after the first run. */
export const OCC_MAX_RETRIES = 4;
/** What a conflicting commit wrote that the mutation had read. */
export interface Conflict {
  tableName: string;
  id: string;
  /** The path of the function whose commit it was, when a function's (null: the runtime's own). */
  writer: string | null;
}

/** The error a mutation fails with once every retry conflicted (Convex's text). */
export function occError(conflict: Conflict, path: string): FunctionError {
  const who = conflict.writer === null ? "" : conflict.writer === path ? " Another call to this mutation" : ` A call to "${conflict.writer}"`;
  const changedBy = who ? `${who} changed the document with ID "${conflict.id}".` : "";
  return new FunctionError(
    `Documents read from or written to the "${conflict.tableName}" table changed while this mutation was being run and on every subsequent retry.${changedBy}`,
  );
}

/**
 * The commits a running mutation may have to be checked against: those after the oldest running
 * mutation's snapshot. Nothing is kept while no mutation runs.
 */
export class ConflictLog {
  private commits: Array<CommitWrites & { writer: string | null }> = [];
  /** Snapshot ts of each running mutation attempt. */
  private running = new Map<object, bigint>();

  /** A mutation attempt began on the snapshot at `ts`. */
  begin(attempt: object, ts: bigint): void {
    this.running.set(attempt, ts);
  }

  /** The attempt committed or was thrown away. */
  end(attempt: object): void {
    this.running.delete(attempt);
    if (this.running.size === 0) {
      this.commits.length = 0;
      return;
    }
    let oldest: bigint | null = null;
    for (const ts of this.running.values()) if (oldest === null || ts < oldest) oldest = ts;
    let drop = 0;
    while (drop < this.commits.length && this.commits[drop].ts <= oldest!) drop++;
    if (drop > 0) this.commits.splice(0, drop);
  }

  /** Called by every commit (runner.ts commit), with the path of the mutation that made it. */
  record(commit: CommitWrites, writer: string | null): void {
    if (this.running.size > 0) this.commits.push({ ts: commit.ts, writes: commit.writes, writer });
  }

  /** The first write since `sinceTs` that touched what the read set read, or null. */
  conflict(readSet: Reads, sinceTs: bigint): Conflict | null {
    for (const c of this.commits) {
      if (c.ts <= sinceTs) continue;
      const w = readSetOverlap(readSet, c);
      if (w) return { tableName: w.tableName, id: w.id, writer: c.writer };
    }
    return null;
  }
}

/** Above this share of conflicting first runs a path runs alone (ContentionHistory). */
export const CONTENDED_SHARE = 0.25;

/**
 * Which mutations conflict often, by function path: their first runs then run alone too.
 *
 * Running at once pays only when runs seldom conflict (one-document inserts: +60% over HTTP). Where
 * a document every run reads and writes is hot (the send pipeline's coordinating `emailSends` row:
 * planPage, claimBatch and recordBatch conflicted on about half their runs), each conflict throws
 * away a whole run: a send of 100,000 emails took 133–143 s, against 95 s with every mutation run
 * one at a time, and 106–110 s with this. So a path whose recent first runs conflicted more than
 * CONTENDED_SHARE of the time runs alone, as under a lock; running alone it cannot conflict, its
 * share decays, and it is tried at once again. The outcome is the same either way (serializable);
 * only the waiting differs.
 */
export class ContentionHistory {
  /**
   * Per path: an exponentially weighted share of first runs that conflicted, 1/8 per run at once.
   * A run alone counts 1/32: it says nothing about whether running at once would conflict, so the
   * share decays slowly and a hot path is tried at once again only every ten runs or so.
   */
  private share = new Map<string, number>();

  /** Whether this path's next first run should run alone. */
  contended(path: string): boolean {
    return (this.share.get(path) ?? 0) > CONTENDED_SHARE;
  }

  /** A first run ended: it conflicted or not; it ran alone or not. */
  record(path: string, conflicted: boolean, alone: boolean): void {
    const before = this.share.get(path) ?? 0;
    const after = before + ((conflicted ? 1 : 0) - before) / (alone ? 32 : 8);
    if (after < 0.001 && !conflicted) this.share.delete(path);
    else this.share.set(path, after);
  }
}

/**
 * Who may run a mutation now. Up to `size` first runs at once (one per core, two at least: as many
 * as the isolate pool runs side by side); a retry runs alone, once the runs in flight are done, so
 * it cannot conflict with another mutation and a hot document cannot starve it. Convex instead
 * retries with backoff and may give up under sustained contention; here only the runtime's own
 * writes (scheduler bookkeeping, which never waits for a slot) can make a retry conflict again.
 * Requests are served in order, a retry first (a first run that runs alone, ContentionHistory, waits
 * its turn like any other); a run waiting here has not taken its snapshot yet.
 */
export class MutationGate {
  private running = 0;
  private alone = false;
  private queue: Array<{ alone: boolean; grant: () => void }> = [];
  constructor(private readonly size = defaultPoolBounds().maxTxWorkers) {}

  /**
   * Waits for a slot: "shared" beside other runs, "alone" as the only one, "retry" alone and ahead
   * of every run waiting. Resolves with its release.
   */
  async acquire(how: "shared" | "alone" | "retry"): Promise<() => void> {
    await new Promise<void>((grant) => {
      const request = { alone: how !== "shared", grant };
      if (how === "retry") this.queue.unshift(request);
      else this.queue.push(request);
      this.grant();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.alone = false;
      this.grant();
    };
  }

  private grant(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (this.alone || (next.alone ? this.running > 0 : this.running >= this.size)) return;
      this.queue.shift();
      this.running++;
      this.alone = next.alone;
      next.grant();
    }
  }
}
