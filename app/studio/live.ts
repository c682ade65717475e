// Live data for studio pages: what the loader read renders first (and is all there is on the
// server and without JavaScript), then a Convex subscription keeps it current in the browser.
// Unlike useQuery, a failing subscription (a post deleted meanwhile, a role taken away) does not
// throw into the error boundary: the page keeps what it has and can say what happened.
import { useConvex, useQueries } from "convex/react";
import { getFunctionName, type FunctionArgs, type FunctionReference, type FunctionReturnType } from "convex/server";
import { useMemo, useRef } from "react";

export type LiveResult<T> = {
  data: T;
  /** True once the subscription answered (the data is current, not the loader's). */
  live: boolean;
  /** The subscription's error, if it failed (data is then the last good value). */
  error: Error | null;
};

/**
 * `initial` until the subscription answers, then the live value. Pass "skip" to not subscribe.
 * (Whether a Convex client exists is fixed for a page's life: none on the server, one in the browser.)
 */
export function useLive<Q extends FunctionReference<"query">, I = FunctionReturnType<Q>>(
  query: Q,
  args: FunctionArgs<Q> | "skip",
  initial: I,
): LiveResult<FunctionReturnType<Q> | I> {
  const client = useConvex();
  if (!client) return { data: initial, live: false, error: null };
  // eslint-disable-next-line react-hooks/rules-of-hooks -- constant per environment, see above
  return useLiveSubscription(query, args, initial);
}

function useLiveSubscription<Q extends FunctionReference<"query">, I>(
  query: Q,
  args: FunctionArgs<Q> | "skip",
  initial: I,
): LiveResult<FunctionReturnType<Q> | I> {
  const key = args === "skip" ? "skip" : JSON.stringify(args);
  const queries = useMemo(
    () => (args === "skip" ? {} : { q: { query, args: args as Record<string, unknown> } }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- args by value
    [getFunctionName(query), key],
  );
  const result = useQueries(queries as Parameters<typeof useQueries>[0]).q as FunctionReturnType<Q> | Error | undefined;
  const lastGood = useRef<{ key: string; value: FunctionReturnType<Q> | I } | null>(null);
  const fallback = lastGood.current?.key === key ? lastGood.current.value : initial;
  if (result === undefined) return { data: fallback, live: false, error: null };
  if (result instanceof Error) return { data: fallback, live: false, error: result };
  lastGood.current = { key, value: result };
  return { data: result, live: true, error: null };
}
