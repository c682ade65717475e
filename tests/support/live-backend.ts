// Helpers for integration tests against a running local backend (LocalBackend.start): starting and
// stopping the app's backend, trusted setup code, clients acting as a user, the ConvexError a call
// fails with, and process.env kept across a file.
import { ConvexHttpClient } from "convex/browser";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Id } from "../../convex/_generated/dataModel";
import { LocalBackend, type LocalBackendOptions } from "../../local-backend/src/backend";
import type { T } from "./factories";

/** Runs trusted code in one mutation on the backend (setup and inspection). */
export async function runOn<R>(backend: LocalBackend, fn: (ctx: any) => Promise<R>): Promise<R> {
  const outcome = await backend.runner.transactInline(fn);
  if (!outcome.ok) throw new Error(outcome.message);
  return JSON.parse(outcome.valueJson) as R;
}

/** What the factories (factories.ts) need of a test backend: only `run`. */
export function factoryBackend(backend: () => LocalBackend): T {
  return { run: (fn: (ctx: any) => Promise<unknown>) => runOn(backend(), fn) } as unknown as T;
}

/** An HTTP client acting as `userId`, with the identity shape @convex-dev/auth produces. */
export function clientAs(backend: LocalBackend, userId: Id<"users">, options?: { logger?: boolean }): ConvexHttpClient {
  const client = new ConvexHttpClient(backend.url, options);
  (client as any).setAdminAuth(backend.adminKey, { subject: `${userId}|integration`, issuer: "https://convex.test" });
  return client;
}

/** The ConvexError data a call fails with (fails the test if it succeeds or fails otherwise). */
export async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e: any) {
    if (e?.data === undefined) throw e;
    return e.data;
  }
  throw new Error("expected the call to fail");
}

/**
 * The app's convex/ on a fresh local backend for one test file: a temp data dir named after
 * `prefix`, a free port on 127.0.0.1, crons off (tests drive time themselves). Stop it with
 * `stopAppBackend` in afterAll.
 */
export async function startAppBackend(prefix: string, options: Partial<LocalBackendOptions> = {}): Promise<LocalBackend> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    return await LocalBackend.start({ dataDir, convexDir: "convex", port: 0, crons: false, ...options });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Closes a backend from `startAppBackend` and removes its data dir (nothing when it never started). */
export async function stopAppBackend(backend: LocalBackend | undefined): Promise<void> {
  if (!backend) return;
  await backend.close();
  rmSync(backend.options.dataDir, { recursive: true, force: true });
}

/** Remembers process.env `names` now; the returned function puts them back (unset stays unset). */
export function keepProcessEnv(...names: string[]): () => void {
  const saved = names.map((name) => [name, process.env[name]] as const);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** An HTTP client with the backend's admin key (internal functions, as the app server calls them). */
export function adminClient(backend: LocalBackend): ConvexHttpClient {
  const client = new ConvexHttpClient(backend.url);
  (client as any).setAdminAuth(backend.adminKey);
  return client;
}
