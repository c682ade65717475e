import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { Avatar, PageHeader, Pager, PostList, ReaderError } from "../reader/components";
import { cachedPage, notFound, readerHeaders } from "../reader/http.server";
import { atCursor, requireSite, toListPage } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { safeUrl } from "../reader/render.server";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/author/{authorSlug}: the author's name, picture, bio and website, then their posts.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, shared, site } = await requireSite(request, params);
  // One query for the header and the page of posts (reader:authorPage).
  const found = await atCursor(request, shared, api.reader.authorPage, { siteSlug: site.slug, slug: params.authorSlug ?? "" });
  if (!found) throw notFound("Author not found");
  // A claimed placeholder author's page (issue #17) moved to the claimant's own.
  if (found.kind === "redirect") throw redirect(readerPaths(site.base).author(found.slug), 301);
  const { author } = found;
  const list = toListPage(request, found.list);
  const payload = {
    author: {
      name: author.name,
      slug: author.slug,
      image: author.image,
      bio: author.bio,
      // A profile field anyone could have typed: only http(s) links are shown.
      website: author.website && safeUrl(author.website, ["http:", "https:"]) ? author.website : null,
    },
    list,
  };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function AuthorPage() {
  const { author, list } = useLoaderData<typeof loader>();
  const site = useSite()!;
  return (
    <>
      <PageHeader kicker="Author" title={author.name}>
        <div className="author-card">
          <Avatar name={author.name} image={author.image} size={72} />
          <div>
            {author.bio ? <p className="lede">{author.bio}</p> : null}
            {author.website ? (
              <p>
                <a href={author.website} rel="me noopener noreferrer nofollow">
                  {author.website.replace(/^https?:\/\//, "").replace(/\/$/, "")}
                </a>
              </p>
            ) : null}
          </div>
        </div>
      </PageHeader>
      <PostList site={site} posts={list.posts} empty="No posts yet." />
      <Pager path={readerPaths(site.base).author(author.slug)} page={list} />
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  return pageMeta(site, {
    title: `${data.author.name} · ${site.name}`,
    description: data.author.bio || `Posts by ${data.author.name} on ${site.name}.`,
    canonical: `${readerPaths(site.canonicalBase).author(data.author.slug)}${location.search}`,
    type: "profile",
    image: data.author.image,
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
