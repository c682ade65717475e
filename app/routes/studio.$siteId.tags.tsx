import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { useLive } from "../studio/live";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import { TaxonomyScreen } from "../studio/taxonomy";
import { taxonomyAction } from "../studio/taxonomy.server";

// /studio/:siteId/tags: the site's tags with post counts, a page at a time. Authors and above create
// tags; editors and above rename (the old slug redirects), merge and delete them (docs/roles.md).
// The screen and its form posts are shared with categories (app/studio/taxonomy*.ts[x]).

const PAGE_SIZE = 100;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor") || null;
  const args = { siteId, paginationOpts: { numItems: PAGE_SIZE, cursor } };
  const result = await loadOrThrow(convex.query(api.tags.list, args));
  return data({ args, result }, { headers: privateHeaders(headers) });
}

export const action = (args: ActionFunctionArgs) => taxonomyAction("tag", args);

export default function Tags() {
  const { args, result: initial } = useLoaderData<typeof loader>();
  const { data: result } = useLive(api.tags.list, { ...args, siteId: args.siteId as Id<"sites"> }, initial);
  const pager = { cursor: args.paginationOpts.cursor, nextCursor: result.isDone ? null : result.continueCursor };
  return <TaxonomyScreen kind="tag" rows={result.page} pager={pager} />;
}
