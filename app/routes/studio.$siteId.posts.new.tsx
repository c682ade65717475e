import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { FormMessage } from "../studio/components";
import { attempt, privateHeaders, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/posts/new: POST creates an empty draft (posts:create) and opens it in the
// editor. A GET only shows the button: creating things on GET would let prefetches and crawlers
// litter the site with drafts.

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
  return (
    <main id="main" className="st-page">
      <h1>New post</h1>
      <FormMessage errors={result && "errors" in result ? result.errors : undefined} />
      <Form method="post">
        <button type="submit" className="st-button st-button--primary">
          Start a draft
        </button>
      </Form>
    </main>
  );
}
