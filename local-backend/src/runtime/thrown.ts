import { convexToJson, type JSONValue, type Value } from "convex/values";

/**
 * What a function threw, as Convex reports it. Shared by the runner (in-process runs) and the
 * isolate workers (isolate/worker.ts), so an error reads the same wherever the function ran.
 */

/** An error caused by the function's own request (bad range, missing document, limits). */
export class UserError extends Error {
  /** Convex JSON data, when Convex reports this error as a ConvexError. */
  data?: JSONValue;
}

/** An error raised by a function: carries ConvexError data (as Convex JSON) when there is any. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly data?: JSONValue,
  ) {
    super(message);
  }
}

/** Turns whatever a handler threw into the text and data Convex reports for it. */
export function describeThrown(e: unknown): { message: string; data?: JSONValue } {
  if (e instanceof FunctionError) return { message: e.message, data: e.data };
  if (e && typeof e === "object" && Symbol.for("ConvexError") in e) {
    const ce = e as { message: string; data: unknown };
    const data = typeof ce.data === "string" ? (JSON.parse(ce.data) as JSONValue) : (convexToJson(ce.data as Value) as JSONValue);
    return { message: `Uncaught ConvexError: ${ce.message}`, data };
  }
  if (e instanceof UserError) return { message: `Uncaught Error: ${e.message}`, data: e.data };
  if (e instanceof Error) {
    const prefix = e.message.startsWith("Uncaught ") ? "" : `Uncaught ${e.name === "Error" ? "Error" : e.name}: `;
    return { message: `${prefix}${e.message}` };
  }
  return { message: `Uncaught ${String(e)}` };
}

/** Rejects a syscall so that `performAsyncSyscall` re-creates the error (with data) in user code. */
export function syscallError(outcome: { message: string; data?: JSONValue }): Error {
  const err = new Error(outcome.message.replace(/^Uncaught (ConvexError|Error): /, ""));
  if (outcome.data !== undefined) (err as any).data = outcome.data;
  return err;
}
