import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { PageHeader, Pager, PostList, ReaderError } from "../reader/components";
import { cachedPage, readerHeaders } from "../reader/http.server";
import { listPage, requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/search?q=: full-text search of the site's published posts (titles and bodies, through
// reader:search), shown as cards with excerpts only. An empty or punctuation-only query is not an
// error: it shows the form and no results. Result pages are not indexed.

const MAX_QUERY = 200;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, shared, site } = await requireSite(request, params);
  const q = (new URL(request.url).searchParams.get("q") ?? "").trim().slice(0, MAX_QUERY);
  const searchable = /[\p{L}\p{N}]/u.test(q);
  const results = searchable ? await listPage(request, shared, api.reader.search, { siteSlug: site.slug, query: q }, { peek: true }) : null;
  const payload = { q, results };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function SearchPage() {
  const { q, results } = useLoaderData<typeof loader>();
  const site = useSite()!;
  const path = readerPaths(site.base).search();
  return (
    <>
      <PageHeader title={q ? `Search: ${q}` : `Search ${site.name}`} />
      <Form method="get" action={path} role="search" className="search-form">
        <label htmlFor="search-q">Search posts</label>
        <div className="search-form__row">
          <input id="search-q" type="search" name="q" defaultValue={q} maxLength={MAX_QUERY} autoComplete="off" />
          <button type="submit" className="button">
            Search
          </button>
        </div>
      </Form>
      <section aria-labelledby="results-heading" aria-live="polite">
        <h2 id="results-heading" className="section-title">
          {results === null ? (q ? "No results" : "Results") : results.posts.length ? "Results" : "No results"}
        </h2>
        {results === null ? (
          <p className="empty" data-testid="search-empty">
            {q ? "Try searching for words or names." : "Type a word or phrase to search this publication."}
          </p>
        ) : (
          <>
            <PostList site={site} posts={results.posts} empty={`No posts match “${q}”.`} headingLevel={3} />
            <Pager path={path} page={results} extra={{ q }} />
          </>
        )}
      </section>
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  return pageMeta(site, {
    title: data.q ? `Search: ${data.q} · ${site.name}` : `Search · ${site.name}`,
    canonical: readerPaths(site.canonicalBase).search(),
    noindex: true,
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
