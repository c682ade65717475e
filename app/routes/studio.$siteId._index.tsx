import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { POST_STATUSES, type PostStatus } from "../../convex/shared/constants";
import { EmptyState, Pager, StatusBadge } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { roleAtLeast } from "../studio/roles";
import { useStudioSite } from "../studio/site";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";

// /studio/:siteId: the site's posts, newest change first, one status at a time or all, in pages
// of PAGE_SIZE with cursor links (posts:list). Contributors see their own posts only (Convex).
// The list is live: a post another member publishes moves here without a reload.

const PAGE_SIZE = 20;

function statusParam(value: string | null): PostStatus | undefined {
  return (POST_STATUSES as readonly string[]).includes(value ?? "") ? (value as PostStatus) : undefined;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const url = new URL(request.url);
  const status = statusParam(url.searchParams.get("status"));
  const cursor = url.searchParams.get("cursor") || null;
  const args = { siteId, status, paginationOpts: { numItems: PAGE_SIZE, cursor } };
  let result;
  try {
    result = await loadOrThrow(convex.query(api.posts.list, args));
  } catch (error) {
    // A cursor from an older deployment or a hand-edited URL: start over rather than fail.
    if (!cursor || (error instanceof Response && error.status === 404)) throw error;
    result = await loadOrThrow(convex.query(api.posts.list, { ...args, paginationOpts: { numItems: PAGE_SIZE, cursor: null } }));
  }
  return data({ args, result }, { headers: privateHeaders(headers) });
}

const FILTERS: Array<{ label: string; status?: PostStatus }> = [
  { label: "All" },
  { label: "Drafts", status: "draft" },
  { label: "Scheduled", status: "scheduled" },
  { label: "Published", status: "published" },
  { label: "Archived", status: "archived" },
];

export default function PostsList() {
  const { args, result: initial } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const [searchParams] = useSearchParams();
  const { data: result } = useLive(api.posts.list, { ...args, siteId: args.siteId as Id<"sites"> }, initial);
  const base = `/studio/${site._id}`;
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Posts</h1>
        {!roleAtLeast(site.role, "author") ? <p className="st-muted">As a contributor you see your own posts.</p> : null}
      </header>
      <nav aria-label="Filter by status" className="st-tabs">
        {FILTERS.map((f) => {
          const current = (args.status ?? undefined) === f.status;
          return (
            <Link key={f.label} to={f.status ? `${base}?status=${f.status}` : base} aria-current={current ? "page" : undefined} className={current ? "is-current" : undefined}>
              {f.label}
            </Link>
          );
        })}
      </nav>
      {result.page.length === 0 ? (
        <EmptyState>{args.paginationOpts.cursor ? "No more posts." : args.status ? "No posts with this status." : "No posts yet. Start one with “New post”."}</EmptyState>
      ) : (
        <table className="st-table" data-testid="posts-table">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Author</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {result.page.map((p) => (
              <tr key={p._id} data-testid="post-row">
                <td>
                  <Link to={`${base}/posts/${p._id}`}>{p.title || "Untitled"}</Link>
                  {p.featured ? <span className="st-badge st-badge--featured">Featured</span> : null}
                  {p.hasUnpublishedChanges ? <span className="st-muted"> · unpublished changes</span> : null}
                </td>
                <td>
                  <StatusBadge
                    status={p.status}
                    extra={p.reviewState === "pending" ? "in review" : p.reviewState === "returned" ? "returned" : undefined}
                  />
                  {p.status === "scheduled" && p.scheduledAt ? (
                    <div className="st-muted">
                      <Time ms={p.scheduledAt} />
                    </div>
                  ) : null}
                </td>
                <td>{p.authorName}</td>
                <td>
                  <Time ms={p.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base={base} params={searchParams} cursor={args.paginationOpts.cursor} nextCursor={result.isDone ? null : result.continueCursor} />
    </main>
  );
}
