import { useConvex } from "convex/react";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import type { ReactNode } from "react";
import { useLive } from "../studio/live";

type Props<Q extends FunctionReference<"query">> = {
  query: Q;
  args: FunctionArgs<Q>;
  /** What the loader read on the server; shown until the live subscription answers. */
  initial: FunctionReturnType<Q>;
  children: (data: FunctionReturnType<Q>) => ReactNode;
};

/**
 * Server-rendered data that stays live in the browser: the loader's result renders first (and is
 * all there is without JavaScript), then a Convex subscription keeps it current. A component over
 * the one live-data hook (useLive, app/studio/live.ts); unlike the studio's pages, a failing
 * subscription here goes to the error boundary, as useQuery's did.
 */
export function Live<Q extends FunctionReference<"query">>({ query, args, initial, children }: Props<Q>) {
  const hasClient = Boolean(useConvex());
  const { data, live, error } = useLive(query, args, initial);
  if (error) throw error;
  // data-live tells tests (and curious readers of the DOM) when the subscription is answering.
  return (
    <div style={{ display: "contents" }} data-live={!hasClient ? "static" : live ? "live" : "pending"}>
      {children(data as FunctionReturnType<Q>)}
    </div>
  );
}
