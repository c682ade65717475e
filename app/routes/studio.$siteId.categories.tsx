import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { useLive } from "../studio/live";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import { TaxonomyScreen } from "../studio/taxonomy";
import { taxonomyAction } from "../studio/taxonomy.server";

// /studio/:siteId/categories: the site's categories in display order, with post counts. Editors and
// above create, rename (the old slug redirects), reorder and delete them. The screen and its form
// posts are shared with tags (app/studio/taxonomy*.ts[x]).

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const categories = await loadOrThrow(convex.query(api.categories.list, { siteId }));
  return data({ siteId, categories }, { headers: privateHeaders(headers) });
}

export const action = (args: ActionFunctionArgs) => taxonomyAction("category", args);

export default function Categories() {
  const { siteId, categories: initial } = useLoaderData<typeof loader>();
  const { data: categories } = useLive(api.categories.list, { siteId: siteId as Id<"sites"> }, initial);
  return <TaxonomyScreen kind="category" rows={categories} />;
}
