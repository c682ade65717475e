import { jsonToConvex, type Value } from "convex/values";
import { realTimers } from "./globals.js";
import type { CommitEvent, FunctionRunner } from "./runner.js";

export const SCHEDULED_TABLE = "_scheduled_functions";

interface JobDoc {
  _id: string;
  name: string;
  args: Value[];
  scheduledTime: number;
  /** Set for a component's job (runner.ts scheduleInTx): the component it runs in. */
  component?: string;
  state: { kind: "pending" | "inProgress" | "success" | "failed" | "canceled"; error?: string };
}

/** `mod:fn` → `mod.js:fn`, the form Convex stores in `_scheduled_functions.name`. */
export function scheduledName(path: string): string {
  const [mod, fn] = path.split(":");
  return `${mod}.js:${fn}`;
}

/** `mod.js:fn` → `mod:fn`. */
function pathFromName(name: string): string {
  const [mod, fn] = name.split(":");
  return `${mod.replace(/\.js$/, "")}:${fn}`;
}

type Clock = "real" | "fake";
interface Armed {
  handle: ReturnType<typeof setTimeout>;
  clear: (h: ReturnType<typeof setTimeout>) => void;
}

/**
 * Runs jobs from `_scheduled_functions` at their time. The table is the source of truth, so jobs
 * survive restarts: on start every pending job is armed (past-due ones run at once). Mutations run
 * exactly once (their state change commits with their writes); actions at most once.
 */
export class Scheduler {
  private pending = new Map<string, number>();
  private running = new Set<string>();
  /** One armed timer per clock: the soonest job on real timers, and on fake ones (tests). */
  private timers: Record<Clock, Armed | null> = { real: null, fake: null };
  /** Jobs scheduled while fake timers were installed: only advancing those timers runs them. */
  private onFakeClock = new Set<string>();
  /** Jobs started by the timers so far: lets runAllPending tell whether advancing timers made progress. */
  private startedByTimer = 0;
  /**
   * Test harness: a job scheduled while the test has fake timers installed (`vi.useFakeTimers()`)
   * waits on those timers, so advancing them runs it, and jobs scheduled before stay on real
   * timers, as with convex-test's per-job setTimeout. A served backend always uses real timers.
   */
  followFakeTimers = false;
  private stopped = false;
  private unsubscribe: () => void;
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly runner: FunctionRunner) {
    this.unsubscribe = runner.onCommit((e) => this.onCommit(e));
  }

  /** Loads pending jobs and fails actions that a previous run left in progress. */
  async start(): Promise<void> {
    const jobs = this.runner.readSystemTable(SCHEDULED_TABLE) as unknown as JobDoc[];
    const interrupted = jobs.filter((j) => j.state.kind === "inProgress").map((j) => j._id);
    if (interrupted.length > 0) {
      await this.runner.transact((tx) => {
        for (const id of interrupted) {
          tx.patchSystem(id, {
            state: { kind: "failed", error: "Transient error: the backend stopped while this action was running." },
            completedTime: Date.now(),
          });
        }
      });
    }
    for (const j of jobs) if (j.state.kind === "pending") this.pending.set(j._id, j.scheduledTime);
    this.arm();
  }

  private onCommit(e: CommitEvent) {
    for (const w of e.writes) {
      if (w.tableName !== SCHEDULED_TABLE) continue;
      const job = w.json === null ? null : (jsonToConvex(JSON.parse(w.json)) as unknown as JobDoc);
      if (job?.state.kind === "pending") {
        if (!this.pending.has(w.id) && this.fakeTimersInstalled()) this.onFakeClock.add(w.id);
        this.pending.set(w.id, job.scheduledTime);
      } else {
        this.pending.delete(w.id);
        this.onFakeClock.delete(w.id);
      }
    }
    this.arm();
  }

  /** Fake timers (sinon's, as vi.useFakeTimers installs them, carry `.clock`) are in place. */
  private fakeTimersInstalled(): boolean {
    return this.followFakeTimers && Boolean((globalThis as any).setTimeout?.clock);
  }

  /** Which timers a job waits on; once the fake ones are gone, every job is back on real time. */
  private clockOf(id: string): Clock {
    return this.onFakeClock.has(id) && this.fakeTimersInstalled() ? "fake" : "real";
  }

  private arm() {
    if (this.stopped) return;
    for (const clock of ["real", "fake"] as const) {
      const armed = this.timers[clock];
      if (armed) armed.clear(armed.handle);
      this.timers[clock] = null;
      let next = Infinity;
      for (const [id, t] of this.pending) if (!this.running.has(id) && t < next && this.clockOf(id) === clock) next = t;
      if (next === Infinity) continue;
      const delay = Math.max(0, Math.min(next - Date.now(), 2 ** 31 - 1));
      // Cleared later with the clearTimeout of the same timers, even if the test swapped them since.
      const { setTimeout: set, clearTimeout: clear } = clock === "fake" ? (globalThis as typeof realTimers) : realTimers;
      const handle = set.call(globalThis, () => this.runDue(clock), delay);
      handle.unref?.();
      this.timers[clock] = { handle, clear: (h) => clear.call(globalThis, h) };
    }
  }

  private runDue(clock: Clock) {
    this.timers[clock] = null;
    const now = Date.now();
    for (const [id, t] of this.pending) {
      if (t <= now && !this.running.has(id) && this.clockOf(id) === clock) {
        this.running.add(id);
        this.startedByTimer++;
        const p = this.runJob(id).finally(() => {
          this.running.delete(id);
          this.inFlight.delete(p);
          this.arm();
        });
        this.inFlight.add(p);
      }
    }
    this.arm();
  }

  /** Waits until no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Runs every pending job, soonest first, including jobs those jobs schedule, until none is
   * left (convex-test's finishAllScheduledFunctions). `beforeEach` lets a test advance fake timers:
   * while advancing them starts jobs (at their time on the fake clock), that is how jobs run;
   * otherwise the soonest pending job runs at once, without waiting for its time.
   */
  async runAllPending(beforeEach?: () => void, maxJobs = 10_000): Promise<void> {
    for (let n = 0; n < maxJobs; n++) {
      const started = this.startedByTimer;
      await this.idle();
      beforeEach?.();
      await this.idle();
      if (this.startedByTimer !== started) continue;
      const next = this.pendingJobs().find((j) => !this.running.has(j.id));
      if (!next) return;
      this.running.add(next.id);
      try {
        await this.runJob(next.id);
      } finally {
        this.running.delete(next.id);
      }
    }
    throw new Error(`finishAllScheduledFunctions: more than ${maxJobs} jobs ran; is a job rescheduling itself forever?`);
  }

  /** Ids and times of jobs still pending, soonest first. */
  pendingJobs(): Array<{ id: string; scheduledTime: number }> {
    return [...this.pending].map(([id, scheduledTime]) => ({ id, scheduledTime })).sort((a, b) => a.scheduledTime - b.scheduledTime);
  }

  private async runJob(id: string): Promise<void> {
    const job = this.runner.readSystemDocument(id) as unknown as JobDoc | null;
    if (!job || job.state.kind !== "pending") return;
    const path = pathFromName(job.name);
    const f = this.runner.resolveIn(job.component ?? "", path, true);
    const args = (job.args[0] ?? {}) as Record<string, Value>;
    const fail = (error: string) =>
      this.runner.transact((tx) => {
        const current = tx.get(id)?.value as unknown as JobDoc | undefined;
        if (current?.state.kind === "canceled") return;
        tx.patchSystem(id, { state: { kind: "failed", error }, completedTime: Date.now() });
      });
    if (!f) {
      await fail(`Could not find function for '${path}'.`);
      return;
    }
    if (f.kind === "mutation") {
      // The state change commits in the same transaction as the mutation's writes: exactly once.
      const t0 = Date.now();
      const outcome = this.runner.observed("mutation", f.path, t0, await this.runner.executeMutation(f, this.runner.encodeArgs(args), {
        allowInternal: true,
        scheduledJobId: id,
        hooks: {
          before: (tx) => (tx.get(id)?.value as unknown as JobDoc | undefined)?.state.kind === "pending",
          after: (tx) => tx.patchSystem(id, { state: { kind: "success" }, completedTime: Date.now() }),
        },
      }));
      if (!outcome.ok) await fail(outcome.message);
      return;
    }
    if (f.kind === "action") {
      let started = false;
      await this.runner.transact((tx) => {
        const current = tx.get(id)?.value as unknown as JobDoc | undefined;
        if (current?.state.kind !== "pending") return;
        tx.patchSystem(id, { state: { kind: "inProgress" } });
        started = true;
      });
      if (!started) return;
      const t0 = Date.now();
      const outcome = this.runner.observed("action", f.path, t0, await this.runner.executeAction(f, this.runner.encodeArgs(args), {
        allowInternal: true,
        scheduledJobId: id,
      }));
      await this.runner.transact((tx) => {
        const current = tx.get(id)?.value as unknown as JobDoc | undefined;
        if (current?.state.kind === "canceled") return;
        tx.patchSystem(id, {
          state: outcome.ok ? { kind: "success" } : { kind: "failed", error: outcome.message },
          completedTime: Date.now(),
        });
      });
      return;
    }
    await fail(`${path} is a ${f.kind}; only mutations and actions can be scheduled.`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const armed of Object.values(this.timers)) if (armed) armed.clear(armed.handle);
    this.unsubscribe();
    await this.idle();
  }
}
