import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { PageHeader, Pager, PostList, ReaderError, plural } from "../reader/components";
import { cachedPage, notFound, readerHeaders } from "../reader/http.server";
import { listPage, requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/category/{categorySlug}: the category's description and post count, then its posts.
// A renamed category's old slug 301s to its current page.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site } = await requireSite(request, params);
  const found = await client.query(api.reader.categoryBySlug, { siteSlug: site.slug, slug: params.categorySlug ?? "" });
  if (!found) throw notFound("Category not found");
  if (found.kind === "redirect") throw redirect(readerPaths(site.base).category(found.slug), 301);
  const { name, slug, description, postCount } = found.category;
  const list = await listPage(request, client, api.reader.byCategory, { siteSlug: site.slug, categorySlug: slug });
  const payload = { category: { name, slug, description, postCount }, list };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function CategoryPage() {
  const { category, list } = useLoaderData<typeof loader>();
  const site = useSite()!;
  return (
    <>
      <PageHeader kicker="Category" title={category.name}>
        {category.description ? <p className="lede">{category.description}</p> : null}
        <p className="count">{plural(category.postCount, "post")}</p>
      </PageHeader>
      <PostList site={site} posts={list.posts} empty="No posts in this category yet." />
      <Pager path={readerPaths(site.base).category(category.slug)} page={list} />
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  const url = readerPaths(site.canonicalBase).category(data.category.slug);
  return pageMeta(site, {
    title: `${data.category.name} · ${site.name}`,
    description: data.category.description || `Posts in ${data.category.name} on ${site.name}.`,
    canonical: `${url}${location.search}`,
    feeds: { title: `${site.name}: ${data.category.name}`, scope: { kind: "category", slug: data.category.slug } },
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
