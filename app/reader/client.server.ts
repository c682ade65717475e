import type { ConvexHttpClient } from "convex/browser";
import { getFunctionName, type FunctionArgs, type FunctionReference, type FunctionReturnType } from "convex/server";
import { convexAs, getAuthSession } from "../auth/session.server";
import { convexClient } from "../utils/convex.server";
import { sharedQueryCache } from "./cache.server";
import { recordUntracked } from "./request-deps.server";

// How reader pages talk to Convex. Remix loaders check nothing themselves (style guide §3): the
// reader queries decide what the viewer may see from the identity the client carries, so the only
// question here is WHICH identity a request carries, and whether its answers may be shared.

export interface ReaderClient {
  /**
   * The request carries a signed-in viewer. Their answers depend on their entitlement, so they are
   * never served from the shared cache and their responses are `private, no-store`.
   */
  readonly signedIn: boolean;
  /** Headers the response must carry for this client (a refreshed session's Set-Cookie). */
  readonly responseHeaders?: Headers;
  query<Q extends FunctionReference<"query">>(query: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>>;
  mutation<M extends FunctionReference<"mutation">>(mutation: M, args: FunctionArgs<M>): Promise<FunctionReturnType<M>>;
}

type Factory = (request: Request) => Promise<ReaderClient>;
let override: Factory | null = null;
const perRequest = new WeakMap<Request, Promise<ReaderClient>>();

/** The Convex client for one reader request (one per Request object, shared by its loaders). */
export function readerClient(request: Request): Promise<ReaderClient> {
  let client = perRequest.get(request);
  if (!client) {
    client = override ? override(request) : defaultClient(request);
    perRequest.set(request, client);
  }
  return client;
}

async function defaultClient(request: Request): Promise<ReaderClient> {
  // The auth adapter's session (memoised per request, shared with the root loader): a signed-in
  // reader queries with their JWT, so Convex's projection decides what they may read.
  const session = await getAuthSession(request);
  if (!session.token) return clientFor(convexClient(), false);
  return clientFor(convexAs(session.token), true, false, session.headers);
}

const perRequestPublic = new WeakMap<Request, ReaderClient>();

/**
 * For one request's reads of what is the same for every viewer (the site itself): anonymous
 * whoever asks, so a signed-in reader's page shares them with everyone through the subscription
 * cache and the backend's query cache instead of asking Convex as themselves (issue #18). One per
 * Request, shared by its loaders.
 */
export function publicReaderClient(request: Request): ReaderClient {
  let client = perRequestPublic.get(request);
  if (!client) {
    client = anonymousReaderClient();
    perRequestPublic.set(request, client);
  }
  return client;
}

/**
 * A client that never carries the viewer's identity, whoever is asking: for documents that are
 * public by nature and may be cached or forwarded anywhere (feeds, sitemaps, robots.txt).
 */
export function anonymousReaderClient(opts: { cache?: boolean } = {}): ReaderClient {
  return clientFor(convexClient(), false, opts.cache ?? true);
}

/** Wraps a Convex HTTP client: anonymous reads go through the subscription cache when it is on. */
export function clientFor(convex: ConvexHttpClient, signedIn: boolean, useCache = true, responseHeaders?: Headers): ReaderClient {
  const cache = signedIn || !useCache ? null : sharedQueryCache();
  // Within one request the layout and the page ask for the same site, and a signed-in reader's
  // standing (viewer.server.ts viewerPage): ask Convex once.
  const memo = new Map<string, Promise<unknown>>();
  const run = <Q extends FunctionReference<"query">>(q: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>> => {
    // Not through the subscription cache: nothing will tell the response cache when this changes.
    recordUntracked();
    return signedIn
      ? // A JWT Convex no longer accepts (ended session, rotated keys) reads as signed out, as the
        // root loader's getUser treats it; the page stays private all the same.
        convex.query(q, args).catch((e: unknown) => {
          if (!/Unauthenticated|InvalidAuthHeader/i.test(String((e as Error)?.message ?? e))) throw e;
          return convexClient().query(q, args);
        })
      : convex.query(q, args);
  };
  return {
    signedIn,
    responseHeaders,
    query: (q, args) => {
      if (cache) return cache.query(q, args);
      const key = `${getFunctionName(q)}:${JSON.stringify(args)}`;
      let p = memo.get(key);
      if (!p) {
        p = run(q, args);
        memo.set(key, p);
      }
      return p as Promise<FunctionReturnType<typeof q>>;
    },
    mutation: (m, args) => {
      recordUntracked();
      return convex.mutation(m, args);
    },
  };
}

/**
 * Test seam: replaces how a request gets its client (integration tests act as a subscriber through
 * the backend's admin key until the auth adapter exists). App code never calls it.
 */
export function setReaderClientFactory(factory: Factory | null): void {
  override = factory;
}
