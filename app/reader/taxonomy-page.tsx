import type { MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { PageHeader, Pager, PostList, ReaderError, plural } from "./components";
import { readerPaths } from "./paths";
import { errorMeta, siteFromMatches, useSite } from "./route-helpers";
import { pageMeta } from "./seo";
import type { ListPage } from "./types";

// The reader's tag and category page, meta and error boundary, one for both kinds; the routes
// ($site.tag.$tagSlug.tsx, $site.category.$categorySlug.tsx) pass their kind.

export type TaxonomyKind = "tag" | "category";

export interface TaxonomyHeader {
  name: string;
  slug: string;
  description: string | null;
  postCount: number;
}

type Data = { tag?: TaxonomyHeader; category?: TaxonomyHeader; list: ListPage };

/** What the page says differently per kind. */
const COPY = {
  tag: {
    kicker: "Tag",
    title: (name: string) => `#${name}`,
    empty: "No posts with this tag yet.",
    description: (name: string, site: string) => `Posts tagged ${name} on ${site}.`,
  },
  category: {
    kicker: "Category",
    title: (name: string) => name,
    empty: "No posts in this category yet.",
    description: (name: string, site: string) => `Posts in ${name} on ${site}.`,
  },
} as const;

export function TaxonomyPage({ kind }: { kind: TaxonomyKind }) {
  const data = useLoaderData() as unknown as Data;
  const term = data[kind]!;
  const site = useSite()!;
  const copy = COPY[kind];
  return (
    <>
      <PageHeader kicker={copy.kicker} title={copy.title(term.name)}>
        {term.description ? <p className="lede">{term.description}</p> : null}
        <p className="count">{plural(term.postCount, "post")}</p>
      </PageHeader>
      <PostList site={site} posts={data.list.posts} empty={copy.empty} />
      <Pager path={readerPaths(site.base)[kind](term.slug)} page={data.list} />
    </>
  );
}

export function taxonomyMeta(kind: TaxonomyKind): MetaFunction {
  return ({ data, matches, location }) => {
    const site = siteFromMatches(matches);
    const term = (data as Data | undefined)?.[kind];
    if (!site || !term) return errorMeta(site);
    const url = readerPaths(site.canonicalBase)[kind](term.slug);
    const title = COPY[kind].title(term.name);
    return pageMeta(site, {
      title: `${title} · ${site.name}`,
      description: term.description || COPY[kind].description(term.name, site.name),
      canonical: `${url}${location.search}`,
      feeds: { title: `${site.name}: ${title}`, scope: { kind, slug: term.slug } },
    });
  };
}

export function TaxonomyErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
