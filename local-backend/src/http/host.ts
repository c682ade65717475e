import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { JwtVerifier } from "../runtime/auth.js";
import type { FileStorage } from "../runtime/files.js";
import type { PushTarget } from "../runtime/push.js";
import type { CallOptions, FunctionOutcome, FunctionRunner } from "../runtime/runner.js";
import type { DocumentStore } from "../storage/interface.js";

/**
 * What the HTTP layer needs of a running backend. `LocalBackend` (backend.ts) satisfies it
 * structurally, so http/ never imports backend.ts: the upper layer wires the lower one, not the
 * reverse (docs/decisions/011-repository-layout.md; test/import-graph.test.ts fails on a cycle).
 */
export interface BackendHost extends PushTarget {
  readonly options: { readonly dataDir: string; readonly redactErrors?: boolean; readonly logCalls?: boolean };
  readonly store: DocumentStore;
  readonly runner: FunctionRunner;
  readonly files: FileStorage;
  readonly env: { all(): Record<string, string>; set(name: string, value: string | null): void };
  readonly adminKey: string;
  /** Convex API origin (CONVEX_CLOUD_URL). */
  readonly url: string;
  /** HTTP actions origin (CONVEX_SITE_URL). */
  readonly siteUrl: string;
  readonly verifier: JwtVerifier;
  /** The WebSocket sync protocol (http/sync.ts), typed by shape so this file imports nothing of http/. */
  readonly sync: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean };
  /** The message clients see for a function error. */
  errorText(message: string): string;
  /** Prints one line per call when the backend logs calls. */
  logCall(kind: string, path: string, outcome: FunctionOutcome, ms?: number): void;
  identityForHttpAction(authorization: string | null): Promise<CallOptions>;
}
