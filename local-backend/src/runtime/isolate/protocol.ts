import type { JSONValue } from "convex/values";

/**
 * Messages between the backend (main thread) and an isolate worker (worker.ts). The worker runs
 * user code only; every syscall goes back to the main thread, which owns transactions, storage
 * and the scheduler, as Convex's isolates call into the backend.
 */

/** What the worker needs to run one invocation; the rest of its context stays on the main thread. */
export interface InvocationContext {
  /** Names this invocation in syscalls, so the main thread finds its ExecContext. */
  ctxId: number;
  /** Nested `ctx.runQuery/runMutation`: the invocation it runs inside (shares its log and observations). */
  parentCtxId?: number;
  kind: "query" | "mutation" | "action" | "httpAction";
  path: string;
  componentPath: string;
  requestId: string;
  frozenNow: number | null;
  seed: number | null;
  /**
   * `process.env` as this invocation sees it (the component's, in a component). Absent: the same as
   * the last one this worker was sent (the app's environment is only sent when it changed).
   */
  env?: Record<string, string>;
}

export type MainToWorker =
  | {
      t: "invoke";
      id: number;
      ctx: InvocationContext;
      url: string;
      exportName: string;
      method: "query" | "mutation" | "action";
      argsJson: string;
    }
  | {
      t: "http";
      id: number;
      ctx: InvocationContext;
      url: string;
      routedPath: string;
      lookupMethod: string;
      request: SerializedRequest;
    }
  /** `spent`: the query this queryStreamNext read has used up its limit; its next call is done (query.ts limitSpent). */
  | { t: "reply"; callId: number; ok: true; value: unknown; spent?: true }
  | { t: "reply"; callId: number; ok: false; error: SyscallFailure };

export type WorkerToMain =
  | { t: "started"; id: number }
  /** The worker's Linux thread id, so the backend can read its CPU time in /proc. */
  | { t: "tid"; tid: number }
  | { t: "async"; callId: number; ctxId: number; op: string; args: unknown }
  | { t: "js"; callId: number; ctxId: number; op: string; args: unknown }
  | { t: "log"; ctxId: number; line: string }
  /**
   * `1.0/queryStream`, sent without waiting: the worker numbers the stream (as the backend does, in
   * the same order), and the stream's first queryStreamNext comes after it on this port. A start
   * that fails is answered at that next call.
   */
  | { t: "start"; ctxId: number; queryId: number; args: unknown }
  /** `1.0/queryCleanup`, sent without waiting: convex ignores its answer, and it is ordered before the run's "done". */
  | { t: "cleanup"; ctxId: number; queryId: number }
  /** The worker cannot go on (its sync channel is out of step): the backend stops it. */
  | { t: "fatal"; message: string }
  | {
      t: "done";
      id: number;
      ok: boolean;
      valueJson?: string;
      response?: SerializedResponse;
      message?: string;
      data?: JSONValue;
      observed: { time: boolean; env: boolean };
      heapBytes: number;
    };

/** A synchronous syscall (sent on the sync port; the worker blocks until the answer). */
export interface SyncRequest {
  /** The call's number (syncChannel.ts): its reply carries it, so no call takes another's answer. */
  seq: number;
  ctxId: number;
  op: string;
  args: unknown;
}
/** A sync syscall's answer; its reply on the port also carries the request's number. */
export type SyncAnswer = { ok: true; value: string } | { ok: false; error: SyscallFailure };
export type SyncReply = { seq: number } & SyncAnswer;

/** A syscall's error as user code must see it: its text, ConvexError data, and whether it is a UserError. */
export interface SyscallFailure {
  message: string;
  name: string;
  data?: JSONValue;
  user: boolean;
}

export interface SerializedRequest {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}

export interface SerializedResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer;
}

/** A Headers object as name/value pairs (each Set-Cookie its own pair), for a message. */
export function headerPairs(headers: Headers): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  // forEach rather than iteration: convex/'s tsconfig (which type-checks this through the tests) has no DOM iterables.
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}
