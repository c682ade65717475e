// Over 400 lines: the WebSocket sync protocol is one state machine (sessions, subscriptions, transitions, invalidation).
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { JSONValue } from "convex/values";
import { WebSocketServer, type WebSocket } from "ws";
import type { BackendHost } from "./host.js";
import { realTimers } from "../runtime/globals.js";
import type { CallOptions, CommitEvent } from "../runtime/runner.js";
import { ReadSetIndex, type ReadSet } from "../runtime/readSetIndex.js";
import {
  MAX_PENDING_PER_SOCKET,
  MAX_SUBSCRIPTIONS_PER_SOCKET,
  MAX_WS_PAYLOAD,
  parseClientMessage,
  ProtocolError,
  type ClientMessage,
} from "./protocol.js";

/**
 * Convex's WebSocket sync protocol (`/api/<client version>/sync`), so the real `ConvexClient` and
 * `ConvexReactClient` work unmodified. The rules that matter (facts §2.4–2.7):
 * - each Transition starts at the version the previous one ended at;
 * - a MutationResponse is sent before the Transition that includes its writes, and every mutation
 *   is followed by a Transition, even an empty one;
 * - Authenticate bumps the identity version; a bad token gets AuthError and the socket closes;
 * - replayed mutations are answered from the (session, request id) record stored with their commit;
 * - a commit re-runs only the subscriptions whose read set (index ranges, document ids) it touched,
 *   and a query whose result did not change is not sent again;
 * - paginated queries keep their end cursor (journal) so pages never shift.
 */

const PING_AFTER_MS = 15_000;
/** A socket's message handling and subscription re-runs give the event loop a turn this often (see yieldIfBusy). */
const YIELD_AFTER_MS = 4;

/** Encodes a u64 (ns timestamp) as base64 of 8 little-endian bytes, as the client expects. */
export function encodeTs(ts: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ts);
  return b.toString("base64");
}

interface Subscription {
  udfPath: string;
  args: JSONValue;
  journal: string | null;
  hash: string | null;
  dirty: boolean;
  /** What the last run read; null when unknown (not run yet, or it failed): any commit re-runs it. */
  readSet: ReadSet | null;
  /** A component's query (admin only, as Convex: the CLI's `data --component`). */
  componentPath?: string;
}

type ServerMessage = Record<string, unknown> & { type: string };

class SyncSession {
  private sessionId = "";
  /** Client clock minus server clock at Connect (ms), for the client's transit-time and token-refresh estimates. */
  private clockSkew: number | null = null;
  private querySetVersion = 0;
  private identityVersion = 0;
  private sent = { querySet: 0, identity: 0, ts: 0n };
  private auth: CallOptions = {};
  private tokenExpiresAt: number | null = null;
  private subs = new Map<number, Subscription>();
  /** The subscriptions by what they read, so a commit finds the ones it touched without a scan. */
  private readSets = new ReadSetIndex<Subscription>();
  private removed: number[] = [];
  private updating = false;
  private again = false;
  /** A Transition must go out with at least this ts (after a mutation response). */
  private owedTs = -1n;
  /** Messages are handled in arrival order: a query sent after Authenticate runs as the new user. */
  private inbox: Promise<void> = Promise.resolve();
  private lastSendAt = Date.now();
  private ping: ReturnType<typeof setInterval>;
  private closed = false;
  /** Messages received and not yet handled, plus actions still running (bounded per socket). */
  private pending = 0;
  private lastYield = performance.now();

  constructor(
    private readonly server: SyncServer,
    private readonly ws: WebSocket,
  ) {
    this.ping = setInterval(() => {
      if (Date.now() - this.lastSendAt >= PING_AFTER_MS) this.send({ type: "Ping" });
    }, 5_000);
    this.ping.unref();
    ws.on("message", (data) => {
      if (this.closed) return;
      if (this.pending >= MAX_PENDING_PER_SOCKET) {
        // Convex closes a socket past its per-socket queue with "try again" (1013), as here.
        this.fail(1013, `TooManyPendingRequests: at most ${MAX_PENDING_PER_SOCKET} requests in flight per socket`);
        return;
      }
      this.pending++;
      this.inbox = this.inbox
        .then(() => this.yieldIfBusy())
        .then(() => this.onMessage(String(data)))
        .catch((e) => this.onError(e, "sync message failed"))
        .finally(() => this.pending--);
    });
    ws.on("close", () => this.close());
    ws.on("error", () => this.close());
  }

  private get backend() {
    return this.server.backend;
  }

  private send(msg: ServerMessage) {
    if (this.closed) return;
    this.lastSendAt = Date.now();
    this.ws.send(JSON.stringify(msg));
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ping);
    this.server.sessions.delete(this);
    try {
      this.ws.close();
    } catch {
      // already closed
    }
  }

  /**
   * Gives the event loop a turn once this socket has had it for YIELD_AFTER_MS, so a socket's burst
   * of messages or subscription re-runs cannot starve other clients (work otherwise chains on
   * microtasks and never lets I/O in).
   */
  private async yieldIfBusy() {
    if (performance.now() - this.lastYield < YIELD_AFTER_MS) return;
    await yieldToEventLoop();
    this.lastYield = performance.now();
  }

  /** Bad client input is the client's error (FatalError, as Convex sends, then close 4000); anything else is ours. */
  private onError(e: unknown, what: string) {
    if (e instanceof ProtocolError) {
      this.send({ type: "FatalError", error: `${e.code}: ${e.message}` });
      this.fail(4000, `${e.code}: ${e.message}`);
    } else {
      console.error(`[local-backend] ${what}`, e);
      this.fail(1011, "InternalServerError");
    }
  }

  private fail(code: number, reason: string) {
    try {
      this.ws.close(code, reason.slice(0, 120));
    } finally {
      this.close();
    }
  }

  private async onMessage(text: string): Promise<void> {
    if (this.closed) return;
    const msg: ClientMessage = parseClientMessage(text);
    if (this.tokenExpiresAt !== null && Date.now() >= this.tokenExpiresAt && msg.type !== "Authenticate") {
      this.send({ type: "AuthError", error: "Token expired", baseVersion: this.identityVersion, authUpdateAttempted: false });
      this.fail(4001, "AuthError: token expired");
      return;
    }
    switch (msg.type) {
      case "Connect":
        this.sessionId = msg.sessionId;
        this.clockSkew = msg.clientTs === null ? null : msg.clientTs - Date.now();
        return;
      case "ModifyQuerySet":
        return this.modifyQuerySet(msg);
      case "Mutation":
        // One at a time per socket, in order (as Convex's sync worker does).
        return this.mutation(msg);
      case "Action":
        // Actions run concurrently (each counts as pending until it answers).
        this.pending++;
        void this.action(msg)
          .catch((e) => this.onError(e, "sync action failed"))
          .finally(() => this.pending--);
        return;
      case "Authenticate":
        return this.authenticate(msg);
      case "Event":
        return;
    }
  }

  private modifyQuerySet(msg: Extract<ClientMessage, { type: "ModifyQuerySet" }>) {
    if (msg.baseVersion !== this.querySetVersion) {
      throw new ProtocolError("BaseVersionMismatch", `expected ${this.querySetVersion}, got ${msg.baseVersion}`);
    }
    for (const m of msg.modifications) {
      if (m.type === "Add") {
        const replaced = this.subs.get(m.queryId);
        if (replaced) this.readSets.delete(replaced);
        const sub: Subscription = {
          udfPath: m.udfPath,
          componentPath: m.componentPath,
          args: (Array.isArray(m.args) ? m.args[0] : m.args) ?? {},
          journal: m.journal ?? null,
          hash: null,
          dirty: true,
          readSet: null,
        };
        this.subs.set(m.queryId, sub);
        this.readSets.set(sub, null);
      } else if (m.type === "Remove") {
        const sub = this.subs.get(m.queryId);
        if (sub && this.subs.delete(m.queryId)) {
          this.readSets.delete(sub);
          this.removed.push(m.queryId);
        }
      }
    }
    if (this.subs.size > MAX_SUBSCRIPTIONS_PER_SOCKET) {
      throw new ProtocolError("TooManySubscriptions", `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} queries per connection`);
    }
    this.querySetVersion = msg.newVersion;
    this.scheduleUpdate();
  }

  private async mutation(msg: any) {
    const args = (Array.isArray(msg.args) ? msg.args[0] : msg.args) ?? {};
    // The runner records a committed mutation under (session, request id) in its commit, and answers a
    // replay (after a reconnect, even to a restarted process) with the original result and ts.
    // A failed mutation wrote nothing, so its replay simply runs again.
    const request = this.sessionId ? { sessionId: this.sessionId, requestId: String(msg.requestId) } : undefined;
    const outcome = await this.backend.runner.runMutation(msg.udfPath, args, { ...this.auth, request });
    this.backend.logCall("mutation", msg.udfPath, outcome);
    const response: ServerMessage = outcome.ok
      ? {
          type: "MutationResponse",
          requestId: msg.requestId,
          success: true,
          result: JSON.parse(outcome.valueJson),
          ts: encodeTs(outcome.ts ?? this.backend.runner.lastTs),
          logLines: outcome.logLines,
        }
      : {
          type: "MutationResponse",
          requestId: msg.requestId,
          success: false,
          result: this.backend.errorText(outcome.message),
          ts: null,
          logLines: outcome.logLines,
          ...(outcome.data !== undefined ? { errorData: outcome.data } : {}),
        };
    this.send(response);
    // The Transition that reflects this mutation must come after its response.
    const ts = this.backend.runner.lastTs;
    if (ts > this.owedTs) this.owedTs = ts;
    this.scheduleUpdate(true);
  }

  private async action(msg: any) {
    const args = (Array.isArray(msg.args) ? msg.args[0] : msg.args) ?? {};
    const outcome = await this.backend.runner.runAction(msg.udfPath, args, this.auth);
    this.backend.logCall("action", msg.udfPath, outcome);
    this.send(
      outcome.ok
        ? { type: "ActionResponse", requestId: msg.requestId, success: true, result: JSON.parse(outcome.valueJson), logLines: outcome.logLines }
        : {
            type: "ActionResponse",
            requestId: msg.requestId,
            success: false,
            result: this.backend.errorText(outcome.message),
            logLines: outcome.logLines,
            ...(outcome.data !== undefined ? { errorData: outcome.data } : {}),
          },
    );
  }

  private async authenticate(msg: any) {
    const base = this.identityVersion;
    try {
      if (msg.tokenType === "User") {
        const identity = await this.backend.verifier.verify(String(msg.value));
        this.auth = { identity, authToken: String(msg.value) };
        const exp = (identity as { exp?: number }).exp;
        this.tokenExpiresAt = typeof exp === "number" ? exp * 1000 : this.expiryOf(String(msg.value));
      } else if (msg.tokenType === "Admin") {
        if (msg.value !== this.backend.adminKey) throw new Error("The provided admin key was invalid for this instance.");
        this.auth = msg.impersonating ? { allowInternal: true, identity: msg.impersonating } : { allowInternal: true };
        this.tokenExpiresAt = null;
      } else {
        this.auth = {};
        this.tokenExpiresAt = null;
      }
    } catch (e) {
      this.send({ type: "AuthError", error: (e as Error).message, baseVersion: base, authUpdateAttempted: true });
      this.fail(4001, "AuthError");
      return;
    }
    this.identityVersion = base + 1;
    for (const sub of this.subs.values()) {
      sub.dirty = true;
      sub.hash = null;
    }
    this.scheduleUpdate();
  }

  private expiryOf(token: string): number | null {
    try {
      const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
      return typeof payload.exp === "number" ? payload.exp * 1000 : null;
    } catch {
      return null;
    }
  }

  /** Marks the subscriptions whose read set a commit touched. */
  onCommit(e: CommitEvent) {
    const touched = this.readSets.touched(e);
    for (const sub of touched) sub.dirty = true;
    if (touched.length > 0) this.scheduleUpdate();
  }

  /**
   * Queues a Transition. Commits wait a timer tick so a burst is answered by one Transition; a
   * writer's own Transition (`urgent`) goes first, so its mutation resolves without waiting behind
   * every other subscriber's update.
   */
  scheduleUpdate(urgent = false) {
    if (this.closed) return;
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = true;
    const run = () => {
      this.update().catch((e) => {
        console.error("[local-backend] sync update failed", e);
        this.fail(1011, "InternalServerError");
      });
    };
    if (urgent) setImmediate(run);
    else realTimers.setTimeout(run, 0);
  }

  private async update() {
    try {
      do {
        this.again = false;
        // Clear the flags before taking the snapshot: a commit after this point marks the
        // subscription dirty again, so no write can fall between a run and its flag.
        const toRun = [...this.subs].filter(([, sub]) => sub.dirty);
        for (const [, sub] of toRun) sub.dirty = false;
        // The round yields to the event loop, so messages can change these meanwhile: the
        // Transition reports the versions the round ran at, and later changes get the next round.
        const auth = this.auth;
        const version = { querySet: this.querySetVersion, identity: this.identityVersion };
        const removed = this.removed.splice(0);
        const snapshot = this.backend.store.snapshot();
        const modifications: ServerMessage[] = [];
        try {
          for (const [queryId, sub] of toRun) {
            await this.yieldIfBusy();
            if (this.closed) return;
            this.server.queryRuns++;
            const outcome =
              sub.componentPath && !auth.allowInternal
                ? { ok: false as const, message: "The provided admin key was invalid for this instance.", logLines: [] }
                : await this.backend.runner.runQuery(sub.udfPath, sub.args, {
                    ...auth,
                    journal: sub.journal,
                    snapshot,
                    componentPath: sub.componentPath,
                  });
            // Removed (or replaced under the same id) while it ran: its result is nobody's.
            if (this.subs.get(queryId) !== sub) continue;
            const hash = createHash("sha1")
              .update(outcome.ok ? `ok${outcome.valueJson}` : `err${outcome.message}${JSON.stringify(outcome.data ?? null)}`)
              .update(JSON.stringify(outcome.logLines))
              .digest("base64");
            if (outcome.ok) {
              sub.readSet = outcome.readSet ?? null;
              sub.journal = outcome.journal;
            } else {
              // A failed query is re-run on any commit (read set unknown).
              sub.readSet = null;
            }
            this.readSets.set(sub, sub.readSet);
            if (hash === sub.hash) continue;
            sub.hash = hash;
            modifications.push(
              outcome.ok
                ? { type: "QueryUpdated", queryId, value: JSON.parse(outcome.valueJson), logLines: outcome.logLines, journal: sub.journal }
                : {
                    type: "QueryFailed",
                    queryId,
                    errorMessage: this.backend.errorText(outcome.message),
                    logLines: outcome.logLines,
                    journal: sub.journal,
                    ...(outcome.data !== undefined ? { errorData: outcome.data } : {}),
                  },
            );
          }
          for (const queryId of removed) modifications.push({ type: "QueryRemoved", queryId });
          const ts = snapshot.ts > this.sent.ts ? snapshot.ts : this.sent.ts;
          const versionMoved = this.sent.querySet !== version.querySet || this.sent.identity !== version.identity;
          if (modifications.length > 0 || versionMoved || this.owedTs >= 0n) {
            const end = { querySet: version.querySet, identity: version.identity, ts };
            this.send({
              type: "Transition",
              startVersion: { querySet: this.sent.querySet, identity: this.sent.identity, ts: encodeTs(this.sent.ts) },
              endVersion: { querySet: end.querySet, identity: end.identity, ts: encodeTs(end.ts) },
              modifications,
              // The client measures transit time as now - clientClockSkew - serverTs/1e6: serverTs is
              // the send time in nanoseconds (not the snapshot's ts, which can be old).
              clientClockSkew: this.clockSkew,
              serverTs: Date.now() * 1e6,
            });
            this.sent = end;
            if (this.owedTs <= ts) this.owedTs = -1n;
          }
        } finally {
          snapshot.release();
        }
        if (this.owedTs >= 0n) this.again = true;
        if ([...this.subs.values()].some((s) => s.dirty)) this.again = true;
        if (this.removed.length > 0 || this.querySetVersion !== version.querySet || this.identityVersion !== version.identity) this.again = true;
      } while (this.again && !this.closed);
    } finally {
      this.updating = false;
    }
  }
}

/** Accepts sync sockets and fans commits out to the sessions. */
export class SyncServer {
  readonly sessions = new Set<SyncSession>();
  /** Subscription query executions so far (tests and benchmarks check that only touched ones re-run). */
  queryRuns = 0;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD });
  private unsubscribe: () => void;

  constructor(readonly backend: BackendHost) {
    this.unsubscribe = backend.runner.onCommit((e) => {
      for (const s of this.sessions) s.onCommit(e);
    });
  }

  /** Handles an HTTP upgrade; returns false if the path is not the sync endpoint. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean {
    if (!/^\/api\/([^/]+\/)?sync$/.test(path)) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sessions.add(new SyncSession(this, ws));
    });
    return true;
  }

  /** Number of live subscriptions across sessions (benchmarks, tests). */
  subscriptionCount(): number {
    let n = 0;
    for (const s of this.sessions) n += (s as unknown as { subs: Map<number, unknown> }).subs.size;
    return n;
  }

  close() {
    this.unsubscribe();
    for (const s of this.sessions) s.close();
    this.wss.close();
  }
}
