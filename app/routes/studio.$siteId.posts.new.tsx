import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { FormMessage } from "../studio/components";
import { NewPostEditor } from "../studio/editor/new-post";
import { useStudioSite } from "../studio/site";
import { attempt, privateHeaders, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/posts/new: an empty editor with no post behind it (new-post.tsx). The post is
// created on the first real change, so "New post" and leaving leaves no empty "Untitled" draft
// behind; a GET never creates anything (prefetches and crawlers would litter the site). Without
// JavaScript the editor cannot run: a POST here creates a draft and opens it (the form in
// <noscript>).

export const meta: MetaFunction = () => [{ title: "New post · Editor" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { headers } = await requireStudio(request, params);
  return data(null, { headers: privateHeaders(headers) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  let postId: string | null = null;
  const failed = await attempt("create", headers, async () => {
    postId = await convex.mutation(api.posts.create, { siteId });
  });
  if (postId) return redirect(`/studio/${siteId}/posts/${postId}`, { headers });
  return failed;
}

export default function NewPost() {
  const result = useActionData<typeof action>();
  const site = useStudioSite();
  return (
    <main id="main" className="st-page">
      <h1 className="st-visually-hidden">New post</h1>
      <FormMessage errors={result && "errors" in result ? result.errors : undefined} />
      <noscript>
        <Form method="post">
          <p>The editor needs JavaScript. You can still start a draft and come back to it.</p>
          <button type="submit" className="st-button st-button--primary">
            Start a draft
          </button>
        </Form>
      </noscript>
      <NewPostEditor siteId={site._id as Id<"sites">} />
    </main>
  );
}
