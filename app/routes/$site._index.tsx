import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { readerMembership } from "../reader/audience.server";
import { PageHeader, Pager, PostCardView, PostList, ReaderError } from "../reader/components";
import { JoinForm } from "../reader/join-form";
import { cachedPage, readerHeaders } from "../reader/http.server";
import { listPage, requireSite, toCard } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/: the publication's home. Featured (subscriber) posts first, on the first page only,
// then the latest posts, newest first, with ?cursor= pagination.

const FEATURED_ON_HOME = 3;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site, resolved } = await requireSite(request, params);
  const [featured, latest, membership] = await Promise.all([
    new URL(request.url).searchParams.has("cursor")
      ? null
      : client.query(api.reader.featured, { siteSlug: site.slug, paginationOpts: { numItems: FEATURED_ON_HOME, cursor: null } }),
    listPage(request, client, api.reader.latest, { siteSlug: site.slug }),
    readerMembership(client, resolved.site._id),
  ]);
  const payload = { featured: featured ? featured.page.map(toCard) : [], latest, membership };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function SiteHome() {
  const { featured, latest, membership } = useLoaderData<typeof loader>();
  const site = useSite()!;
  const p = readerPaths(site.base);
  return (
    <>
      <PageHeader title={site.name}>{site.description ? <p className="lede">{site.description}</p> : null}</PageHeader>
      {latest.first ? <JoinForm site={site} membership={membership} idPrefix="home" /> : null}
      {featured.length ? (
        <section aria-labelledby="featured-heading" className="featured">
          <h2 id="featured-heading" className="section-title">
            Featured for subscribers
          </h2>
          <ul className="featured__list">
            {featured.map((post) => (
              <li key={post.slug}>
                <PostCardView site={site} post={post} headingLevel={3} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="latest-heading">
        <h2 id="latest-heading" className="section-title">
          {latest.first ? "Latest posts" : "Older posts"}
        </h2>
        <PostList site={site} posts={latest.posts} empty="Nothing published yet." headingLevel={3} />
        <Pager path={p.home} page={latest} />
      </section>
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  const abs = readerPaths(site.canonicalBase);
  const paged = new URLSearchParams(location.search).has("cursor");
  return pageMeta(site, {
    title: paged ? `Older posts · ${site.name}` : site.name,
    description: site.description,
    canonical: paged ? `${abs.home}${location.search}` : abs.home,
    feeds: { title: site.name },
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
