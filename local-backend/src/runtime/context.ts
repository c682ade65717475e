import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import type { QueryStream } from "./query.js";
import type { Transaction } from "./transaction.js";

export type FunctionKind = "query" | "mutation" | "action" | "httpAction";

/** The identity a function runs as: a user's JWT claims (Convex's UserIdentity shape), or none. */
export type UserIdentity = Record<string, unknown> & { tokenIdentifier: string; subject: string; issuer: string };

/** Dispatches syscalls for one backend; each execution context points at the backend running it. */
/** `1.0/queryStreamNext`'s answer once a stream is done: the backend's, and an isolate worker's for a spent limit. */
export const QUERY_STREAM_DONE = '{"value":null,"done":true}';

export interface SyscallHost {
  syscall(ctx: ExecContext, op: string, args: any): string;
  asyncSyscall(ctx: ExecContext, op: string, args: any): Promise<string>;
  jsSyscall(ctx: ExecContext, op: string, args: any): unknown;
  /** The function environment (`process.env` inside functions). */
  functionEnv(): Record<string, string>;
  /** `process.env` inside a component (components.ts `componentEnv`). */
  componentEnv?(componentPath: string): Record<string, string>;
  /** Takes a console line (isolate workers send theirs to the backend); default: `pushLogLine`. */
  log?(ctx: ExecContext, line: string): void;
}

/** Per-invocation state, carried by AsyncLocalStorage so concurrent invocations never mix. */
export interface ExecContext {
  host: SyscallHost;
  kind: FunctionKind;
  path: string;
  /** The component the function belongs to ("" for the app): scopes tables, calls and jobs (components.ts). */
  componentPath?: string;
  requestId: string;
  tx: Transaction | null;
  /** Reads ignore the enclosing mutation's pending writes (`runQuery(..., {useStaleSnapshot})`). */
  staleReads: boolean;
  readOnly: boolean;
  identity: UserIdentity | null;
  authToken: string | null;
  logLines: string[];
  /** `Date.now()` inside queries and mutations; null in actions. */
  frozenNow: number | null;
  /**
   * Whether the run looked at the time or at `process.env` (queryCache.ts ages or re-checks such
   * results). Shared with nested runQuery contexts, which copy the object reference.
   */
  observed?: { time: boolean; env: boolean };
  random: (() => number) | null;
  /** The seed of `random`, so an isolate worker can draw the same sequence. */
  seed?: number;
  /** Set while the invocation runs in an isolate worker (isolate/pool.ts); nested calls inherit it. */
  isolate?: unknown;
  streams: Map<number, QueryStream>;
  nextQueryId: number;
  paginated: boolean;
  /** The journal (end cursor of the single paginate call), for reactive pagination. */
  journal: string | null;
  /** The journal passed in by a re-running subscription. */
  journalIn: string | null;
  scheduledJobId: string | null;
  /** Run when the top-level mutation run, action or HTTP action ends (files.ts unpins what `storage.get` opened and `storage.store` wrote). */
  onEnd?: Array<() => void>;
}

export const als = new AsyncLocalStorage<ExecContext>();

export function currentContext(): ExecContext | undefined {
  return als.getStore();
}

const MAX_LOG_LINES = 256;
const MAX_LOG_LINE_BYTES = 4096;

/** Formats console arguments the way Convex log lines look: `[LOG] 'text' 1`. */
export function formatLogLine(level: string, args: unknown[]): string {
  const body = args.map((a) => inspect(a, { depth: 4, breakLength: Infinity })).join(" ");
  const line = `[${level}] ${body}`;
  return line.length > MAX_LOG_LINE_BYTES ? `${line.slice(0, MAX_LOG_LINE_BYTES)} (truncated)` : line;
}

export function pushLogLine(ctx: ExecContext, line: string) {
  if (ctx.logLines.length < MAX_LOG_LINES) ctx.logLines.push(line);
  else if (ctx.logLines.length === MAX_LOG_LINES) {
    ctx.logLines.push(`[WARN] Log overflow (maximum ${MAX_LOG_LINES}). Remaining log lines omitted.`);
  }
}

/** A small seeded PRNG (mulberry32): Convex seeds Math.random per query/mutation execution. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
