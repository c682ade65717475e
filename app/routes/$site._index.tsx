import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { readerMembership } from "../reader/audience.server";
import { ReaderError } from "../reader/components";
import { HomeView } from "../reader/home-view";
import { JoinForm } from "../reader/join-form";
import { cachedPage, readerHeaders } from "../reader/http.server";
import { legacyRedirect } from "../reader/legacy.server";
import { atCursor, requireSite, toCard, toListPage } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/: the publication's home. Featured (subscriber) posts first, on the first page only,
// then the latest posts, newest first, with ?cursor= pagination. The theme's home layout decides the
// shapes (components.tsx HomePosts): a list, a grid of covers, or a magazine hero then a grid.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, shared, site, resolved } = await requireSite(request, params);
  // WordPress's "/?p=123" of an imported post 301s to it (issue #17); an unknown id shows the home.
  const oldId = new URL(request.url).searchParams.get("p");
  if (oldId !== null) {
    const moved = await legacyRedirect(client, site, `?p=${oldId}`);
    if (moved) throw moved;
  }
  // One query for both lists (reader:home): featured on the first page only, then the latest.
  const [posts, membership] = await Promise.all([atCursor(request, shared, api.reader.home, { siteSlug: site.slug }), readerMembership(client, site.slug)]);
  const payload = { featured: posts.featured.map(toCard), latest: toListPage(request, posts.latest), membership };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function SiteHome() {
  const { featured, latest, membership } = useLoaderData<typeof loader>();
  const site = useSite()!;
  return <HomeView site={site} featured={featured} latest={latest} join={<JoinForm site={site} membership={membership} idPrefix="home" />} />;
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
