import type { JSONValue } from "convex/values";

/**
 * Shapes and limits of what clients send: the sync protocol's messages (facts §2.2) and the HTTP
 * API's function calls. Anything that does not fit is a client error (`ProtocolError`), answered as
 * such by the caller; it never reaches the function runner as a half-formed value.
 */

/**
 * Largest WebSocket message accepted: Convex's sync socket runs tungstenite with its default
 * `max_frame_size` of 16 MiB (crates/common/src/http/websocket.rs at 94a42c3db8d7), which is also
 * Convex's function-argument limit. `ws` applies one cap to frames and whole messages; a larger
 * one closes the socket with 1009 before its payload is buffered.
 */
export const MAX_WS_PAYLOAD = 16 * 2 ** 20;

/**
 * Live subscriptions per sync socket. Convex's sync worker has no such limit, and a server-side
 * subscription cache legitimately holds thousands on one socket (the app's reader cache: up to
 * READER_CACHE_MAX, default 5,000), so the cap is twice that: it bounds one connection's memory
 * and re-run work, while fairness to other clients comes from yielding (sync.ts).
 */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 10_000;

/**
 * Messages received but not yet handled, and actions running, per sync socket: Convex's sync worker
 * allows 1,000 pending mutations and 1,000 in-flight actions per socket (`OPERATION_QUEUE_BUFFER_SIZE`
 * in crates/sync/src/worker.rs) and closes the socket past that.
 */
export const MAX_PENDING_PER_SOCKET = 1_000;

/** Bad client input, with a stable short code (e.g. `InvalidMessage`) and a readable message. */
export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_PATH_LENGTH = 1024;
/** Module path components: letters, digits, `_` and `.` (Convex's `check_valid_path_component`); an optional `:export`. */
const FUNCTION_PATH = /^[A-Za-z0-9_.]+(\/[A-Za-z0-9_.]+)*(:[A-Za-z_$][A-Za-z0-9_$]*)?$/;

/** Checks a function path such as `dir/module:export`; returns it. */
export function functionPath(value: unknown, field = "path"): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ProtocolError("BadRequest", `\`${field}\` must be a function path such as "module:function".`);
  }
  if (value.length > MAX_PATH_LENGTH || !FUNCTION_PATH.test(value)) {
    throw new ProtocolError(
      "BadRequest",
      `\`${field}\` is not a valid function path: use "dir/module:function" (letters, digits, _ and .).`,
    );
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * A call's arguments: one object, given as is or positionally (`[obj]`, the npm client's form).
 * Missing arguments are `{}`.
 */
export function functionArgs(raw: unknown): JSONValue {
  if (raw === undefined || raw === null) return {};
  const value = Array.isArray(raw) ? (raw.length === 0 ? {} : raw.length === 1 ? raw[0] : undefined) : raw;
  if (!isPlainObject(value)) {
    throw new ProtocolError("BadRequest", "Function arguments must be one object (or `[object]`).");
  }
  return value as JSONValue;
}

function integer(msg: Record<string, unknown>, field: string): number {
  const v = msg[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError("InvalidMessage", `${String(msg.type)}.${field} must be a non-negative integer.`);
  }
  return v;
}

function optional(msg: Record<string, unknown>, field: string, type: "string" | "number" | "object", nullable = true) {
  const v = msg[field];
  if (v === undefined || (nullable && v === null)) return;
  if (type === "object" ? !isPlainObject(v) : typeof v !== type) {
    throw new ProtocolError("InvalidMessage", `${String(msg.type)}.${field} must be a ${type}.`);
  }
}

export type QuerySetModification =
  | { type: "Add"; queryId: number; udfPath: string; args: JSONValue; journal: string | null; componentPath?: string }
  | { type: "Remove"; queryId: number };

export type ClientMessage =
  | { type: "Connect"; sessionId: string; clientTs: number | null }
  | { type: "ModifyQuerySet"; baseVersion: number; newVersion: number; modifications: QuerySetModification[] }
  | { type: "Mutation" | "Action"; requestId: number; udfPath: string; args: JSONValue }
  | { type: "Authenticate"; tokenType: "User" | "Admin" | "None"; value: string | null; baseVersion: number; impersonating?: Record<string, unknown> }
  | { type: "Event" };

function modification(m: unknown, i: number): QuerySetModification {
  if (!isPlainObject(m)) throw new ProtocolError("InvalidMessage", `ModifyQuerySet.modifications[${i}] must be an object.`);
  if (m.type === "Remove") return { type: "Remove", queryId: integer(m, "queryId") };
  if (m.type !== "Add") throw new ProtocolError("InvalidMessage", `ModifyQuerySet.modifications[${i}].type must be "Add" or "Remove".`);
  optional(m, "journal", "string");
  optional(m, "componentPath", "string");
  return {
    type: "Add",
    queryId: integer(m, "queryId"),
    udfPath: functionPath(m.udfPath, "udfPath"),
    args: functionArgs(m.args),
    journal: (m.journal as string | null | undefined) ?? null,
    ...(typeof m.componentPath === "string" && m.componentPath !== "" ? { componentPath: m.componentPath } : {}),
  };
}

/** Parses and checks one sync message; throws `ProtocolError` for anything a client must not send. */
export function parseClientMessage(text: string): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new ProtocolError("InvalidMessage", "The message is not JSON.");
  }
  if (!isPlainObject(msg)) throw new ProtocolError("InvalidMessage", "A message must be a JSON object with a `type`.");
  switch (msg.type) {
    case "Connect":
      if (typeof msg.sessionId !== "string" || msg.sessionId.length > 100) {
        throw new ProtocolError("InvalidMessage", "Connect.sessionId must be a string (a UUID).");
      }
      optional(msg, "clientTs", "number");
      optional(msg, "connectionCount", "number");
      optional(msg, "lastCloseReason", "string");
      optional(msg, "maxObservedTimestamp", "string");
      return { type: "Connect", sessionId: msg.sessionId, clientTs: (msg.clientTs as number | null | undefined) ?? null };
    case "ModifyQuerySet": {
      const baseVersion = integer(msg, "baseVersion");
      const newVersion = integer(msg, "newVersion");
      if (newVersion <= baseVersion) throw new ProtocolError("InvalidMessage", "ModifyQuerySet.newVersion must be above baseVersion.");
      if (!Array.isArray(msg.modifications)) throw new ProtocolError("InvalidMessage", "ModifyQuerySet.modifications must be an array.");
      return { type: "ModifyQuerySet", baseVersion, newVersion, modifications: msg.modifications.map(modification) };
    }
    case "Mutation":
    case "Action":
      optional(msg, "componentPath", "string");
      return {
        type: msg.type,
        requestId: integer(msg, "requestId"),
        udfPath: functionPath(msg.udfPath, "udfPath"),
        args: functionArgs(msg.args),
      };
    case "Authenticate": {
      const baseVersion = integer(msg, "baseVersion");
      const tokenType = msg.tokenType;
      if (tokenType === "None") return { type: "Authenticate", tokenType, value: null, baseVersion };
      if (tokenType !== "User" && tokenType !== "Admin") {
        throw new ProtocolError("InvalidMessage", 'Authenticate.tokenType must be "User", "Admin" or "None".');
      }
      if (typeof msg.value !== "string") throw new ProtocolError("InvalidMessage", "Authenticate.value must be a string.");
      optional(msg, "impersonating", "object");
      const impersonating = (msg.impersonating ?? undefined) as Record<string, unknown> | undefined;
      return { type: "Authenticate", tokenType, value: msg.value, baseVersion, ...(impersonating ? { impersonating } : {}) };
    }
    case "Event":
      return { type: "Event" };
    default:
      throw new ProtocolError("InvalidMessage", `Unknown message type ${JSON.stringify(msg.type ?? null).slice(0, 40)}.`);
  }
}
