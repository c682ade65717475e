import { ConvexHttpClient } from "convex/browser";
import { serverEnv } from "../env.server";

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
  return new ConvexHttpClient(convexUrl());
}
