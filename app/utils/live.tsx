import { useConvex, useQuery } from "convex/react";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import type { ReactNode } from "react";

type Props<Q extends FunctionReference<"query">> = {
  query: Q;
  args: FunctionArgs<Q>;
  /** What the loader read on the server; shown until the live subscription answers. */
  initial: FunctionReturnType<Q>;
  children: (data: FunctionReturnType<Q>) => ReactNode;
};

/**
 * Server-rendered data that stays live in the browser: the loader's result renders first (and is
 * all there is without JavaScript), then a Convex subscription keeps it current.
 */
export function Live<Q extends FunctionReference<"query">>({ query, args, initial, children }: Props<Q>) {
  const client = useConvex();
  if (!client) return <div style={{ display: "contents" }} data-live="static">{children(initial)}</div>;
  return (
    <LiveSubscription query={query} args={args} initial={initial}>
      {children}
    </LiveSubscription>
  );
}

function LiveSubscription<Q extends FunctionReference<"query">>({ query, args, initial, children }: Props<Q>) {
  const data = useQuery(query, args);
  // data-live tells tests (and curious readers of the DOM) when the subscription is answering.
  return (
    <div style={{ display: "contents" }} data-live={data === undefined ? "pending" : "live"}>
      {children(data === undefined ? initial : data)}
    </div>
  );
}
