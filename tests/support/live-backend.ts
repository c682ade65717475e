// Helpers for integration tests against a running local backend (LocalBackend.start): trusted setup
// code, clients acting as a user, and the ConvexError a call fails with.
import { ConvexHttpClient } from "convex/browser";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
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
export function clientAs(backend: LocalBackend, userId: Id<"users">): ConvexHttpClient {
  const client = new ConvexHttpClient(backend.url);
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
