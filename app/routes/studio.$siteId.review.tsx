import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useFetcher, useLoaderData, useSearchParams } from "@remix-run/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { EmptyState, FormMessage, Pager, TextArea, TextField } from "../studio/components";
import { readField } from "../utils/fields.server";
import { fromLocalInput, Time } from "../studio/format";
import { useLive } from "../studio/live";
import { useStudioSite } from "../studio/site";
import { attempt, field, idParam, loadIfAllowed, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/review: posts contributors submitted (review:queue, editors and above). Approve
// publishes now or at a time; "Return" sends the post back to its author with a comment.

const PAGE_SIZE = 25;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor") || null;
  const args = { siteId, paginationOpts: { numItems: PAGE_SIZE, cursor } };
  const result = await loadIfAllowed(convex.query(api.review.queue, args));
  return data({ args, result }, { headers: privateHeaders(headers) });
}

type Intent = "approve" | "return";

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as Intent;
  const postId = idParam<"posts">({ id: field(form, "postId") }, "id");
  switch (intent) {
    case "approve": {
      // The browser sends the chosen local time as ms ("scheduledAtMs"); without JavaScript the
      // datetime-local value is read in the server's time zone.
      const ms = Number(field(form, "scheduledAtMs")) || fromLocalInput(field(form, "scheduledAt"));
      return attempt(intent, headers, async () => {
        await convex.mutation(api.review.approve, { siteId, postId, scheduledAt: ms || undefined });
        return ms ? "Approved and scheduled." : "Approved and published.";
      }, { fieldMap: { scheduledAt: "scheduledAt" }, fields: ["scheduledAt"] });
    }
    case "return": {
      const { value: comment, error } = readField(form, "comment", FIELDS.reviewComment);
      if (error) return reply({ intent, errors: { fields: { comment: comment ? error : "Tell the author what to change." } } }, headers, 400);
      return attempt(intent, headers, async () => {
        await convex.mutation(api.review.returnWithComment, { siteId, postId, comment });
        return "Returned to the author.";
      }, { fields: ["comment"] });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

export default function ReviewQueue() {
  const { args, result: initial } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const [searchParams] = useSearchParams();
  const { data: result } = useLive(api.review.queue, initial ? { ...args, siteId: args.siteId as Id<"sites"> } : "skip", initial);
  if (!result) {
    return (
      <main id="main" className="st-page">
        <h1>Review queue</h1>
        <p>Editors, admins and owners review submitted posts.</p>
      </main>
    );
  }
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Review queue</h1>
      </header>
      {result.page.length === 0 ? (
        <EmptyState>Nothing waiting for review.</EmptyState>
      ) : (
        <ul className="st-list" data-testid="review-queue">
          {result.page.map((p) => (
            <li key={p._id} className="st-card" data-testid="review-item">
              <h2 className="st-card__title">
                <Link to={`/studio/${site._id}/posts/${p._id}`}>{p.title || "Untitled"}</Link>
              </h2>
              <p className="st-muted">
                by {p.authorName} · last change <Time ms={p.updatedAt} />
              </p>
              <ReviewActions postId={p._id} />
            </li>
          ))}
        </ul>
      )}
      <Pager base={`/studio/${site._id}/review`} params={searchParams} cursor={args.paginationOpts.cursor} nextCursor={result.isDone ? null : result.continueCursor} />
    </main>
  );
}

function ReviewActions({ postId }: { postId: string }) {
  const fetcher = useFetcher<typeof action>();
  const [when, setWhen] = useState("");
  const result = fetcher.data;
  return (
    <div className="st-review-actions">
      <FormMessage errors={result?.errors?.form ? result.errors : undefined} notice={result?.notice} />
      <fetcher.Form method="post" className="st-form st-form--inline">
        <input type="hidden" name="postId" value={postId} />
        <input type="hidden" name="scheduledAtMs" value={fromLocalInput(when) ?? ""} />
        <TextField
          label="Publish at (optional)"
          name="scheduledAt"
          id={`when-${postId}`}
          type="datetime-local"
          value={when}
          onChange={(e) => setWhen(e.target.value)}
          error={result?.intent === "approve" ? result.errors?.fields?.scheduledAt : undefined}
        />
        <button type="submit" name="intent" value="approve" className="st-button st-button--primary">
          {when ? "Approve and schedule" : "Approve and publish"}
        </button>
      </fetcher.Form>
      <fetcher.Form method="post" className="st-form st-form--inline">
        <input type="hidden" name="postId" value={postId} />
        <TextArea label="Comment for the author" name="comment" id={`comment-${postId}`} rows={2} {...fieldProps(FIELDS.reviewComment)} error={result?.intent === "return" ? result.errors?.fields?.comment : undefined} />
        <button type="submit" name="intent" value="return" className="st-button">
          Return with comment
        </button>
      </fetcher.Form>
    </div>
  );
}
