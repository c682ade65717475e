import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { PageHeader, Pager, PostList, ReaderError, plural } from "../reader/components";
import { cachedPage, notFound, readerHeaders } from "../reader/http.server";
import { listPage, requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/tag/{tagSlug}: the tag's description and post count, then its posts, newest first.
// A renamed or merged tag's old slug 301s to the tag's current page.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site } = await requireSite(request, params);
  const found = await client.query(api.reader.tagBySlug, { siteSlug: site.slug, slug: params.tagSlug ?? "" });
  if (!found) throw notFound("Tag not found");
  if (found.kind === "redirect") throw redirect(readerPaths(site.base).tag(found.slug), 301);
  const { name, slug, description, postCount } = found.tag;
  const list = await listPage(request, client, api.reader.byTag, { siteSlug: site.slug, tagSlug: slug });
  const payload = { tag: { name, slug, description, postCount }, list };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function TagPage() {
  const { tag, list } = useLoaderData<typeof loader>();
  const site = useSite()!;
  return (
    <>
      <PageHeader kicker="Tag" title={`#${tag.name}`}>
        {tag.description ? <p className="lede">{tag.description}</p> : null}
        <p className="count">{plural(tag.postCount, "post")}</p>
      </PageHeader>
      <PostList site={site} posts={list.posts} empty="No posts with this tag yet." />
      <Pager path={readerPaths(site.base).tag(tag.slug)} page={list} />
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  const url = readerPaths(site.canonicalBase).tag(data.tag.slug);
  return pageMeta(site, {
    title: `#${data.tag.name} · ${site.name}`,
    description: data.tag.description || `Posts tagged ${data.tag.name} on ${site.name}.`,
    canonical: `${url}${location.search}`,
    feeds: { title: `${site.name}: #${data.tag.name}`, scope: { kind: "tag", slug: data.tag.slug } },
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
