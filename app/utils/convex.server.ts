import type { ConvexClient } from "convex/browser";
import { ConvexHttpClient } from "convex/browser";
import { serverEnv } from "../env.server";
import { convexFetchOption } from "./convex-fetch.server";
import type { DefaultFunctionArgs, FunctionReference } from "convex/server";

/**
 * The Convex deployment the app talks to: the local backend by default (`npm start` sets it), or a
 * Convex cloud deployment in production. There is no other code path.
 */
export function convexUrl(): string {
  const url = serverEnv.CONVEX_URL;
  if (!url) {
    throw new Error("CONVEX_URL is not set: start the app with `npm start`, or point it at a Convex deployment.");
  }
  return url;
}

/**
 * A Convex client for one request. ConvexHttpClient is stateful (auth, mutation queue), so it is
 * never shared between requests.
 */
export function convexClient(): ConvexHttpClient {
  return new ConvexHttpClient(convexUrl(), { fetch: convexFetchOption });
}

/**
 * A generated `internal.*` reference, typed as the clients take it: their types accept public
 * references only. The backend runs an internal function only for a caller holding the admin key
 * (see withAdminKey); the reference itself is the generated one, never a name typed by hand.
 */
export function adminCallable<Type extends "query" | "mutation" | "action", Args extends DefaultFunctionArgs, Return>(
  ref: FunctionReference<Type, "internal", Args, Return>,
): FunctionReference<Type, "public", Args, Return> {
  return ref as unknown as FunctionReference<Type, "public", Args, Return>;
}

/** The client, acting with an admin or deploy key (setAdminAuth is @internal in the clients' types). */
export function withAdminKey<C extends ConvexClient | ConvexHttpClient>(client: C, key: string): C {
  (client as unknown as { setAdminAuth(key: string): void }).setAdminAuth(key);
  return client;
}
