import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { isRouteErrorResponse, Link, useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { UNEXPECTED_MESSAGE } from "../../convex/shared/errors";
import { PostEditor, type PostEditorProps } from "../studio/editor/post-editor";
import { useStudioSite } from "../studio/site";
import { idParam, loadIfAllowed, loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import readerStyles from "../styles/reader.css?url";

// /studio/:siteId/posts/:postId: the editor (app/studio/editor/post-editor.tsx). The loader reads
// the post, its draft and what the side panel lists; everything stays live in the browser through
// Convex subscriptions, and every write goes through the browser's Convex client (autosave
// included), so the server render is only the first frame. Members who may not edit the post get
// the same 404 as for a missing one (posts:getForEdit). reader.css is for the preview, which shows
// the draft with the reader's own components. Editors and up also get the email panel's newsletters
// and this post's sends (issue #15).

export const links: LinksFunction = () => [{ rel: "stylesheet", href: readerStyles }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const postId = idParam<"posts">(params, "postId");
  const [edit, tags, categories, members, newsletters, sends] = await Promise.all([
    loadOrThrow(convex.query(api.posts.getForEdit, { siteId, postId })),
    loadOrThrow(convex.query(api.tags.list, { siteId, paginationOpts: { numItems: 200, cursor: null } })),
    loadOrThrow(convex.query(api.categories.list, { siteId })),
    loadOrThrow(convex.query(api.members.list, { siteId })),
    // The email panel's: null below editor (audience.manage), and then the panel is not shown.
    loadIfAllowed(convex.query(api.newsletters.list, { siteId })),
    loadIfAllowed(convex.query(api.sends.forPost, { siteId, postId })),
  ]);
  return data(
    {
      siteId,
      postId,
      edit,
      tags: tags.page.map((t) => ({ _id: t._id, name: t.name, slug: t.slug })),
      categories: categories.map((c) => ({ _id: c._id, name: c.name })),
      members: members.map((m) => ({ userId: m.userId, name: m.name })),
      email: newsletters && sends ? { newsletters: newsletters.map((n) => ({ _id: n._id, name: n.name, archived: n.archived, defaultOn: n.defaultOn })), sends } : null,
    },
    { headers: privateHeaders(headers) },
  );
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.edit.draft.title || "Untitled"} · Editor` : "Editor · Pressroom" },
];

export default function EditPost() {
  const loaded = useLoaderData<typeof loader>();
  const site = useStudioSite();
  return (
    <PostEditor
      // A different post is a different editor (fresh autosave, fresh backup offer).
      key={loaded.postId}
      siteId={loaded.siteId as Id<"sites">}
      postId={loaded.postId as Id<"posts">}
      site={{ slug: site.slug, role: site.role }}
      viewerId={site.viewerId}
      initial={loaded.edit}
      initialTags={loaded.tags}
      initialCategories={loaded.categories}
      members={loaded.members}
      email={loaded.email as PostEditorProps["email"]}
    />
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  return (
    <main id="main" className="st-page" data-testid="studio-error" data-status={status}>
      <h1>{status === 404 ? "Post not found" : "Something went wrong"}</h1>
      <p>{status === 404 ? "This post doesn't exist, or it isn't yours to edit." : UNEXPECTED_MESSAGE}</p>
      <p>
        <Link to="..">Back to posts</Link>
      </p>
    </main>
  );
}
