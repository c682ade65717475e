// "Email this post" in the editor's side panel (issue #15): which newsletter and which members
// (all, free only, paid only), whether Publish/Schedule also email it, "Email only" for a draft
// or "Email now" for a published post, a preview of each version (paid = the whole post, free = the
// teaser of a featured post) in a sandboxed frame, a test send to oneself, and the post's sends with
// their live progress. Shown to editors and up who may publish the post (sends need audience.manage
// and the publish right: Convex checks both).
import { Link } from "@remix-run/react";
import { useConvex } from "convex/react";
import { useEffect, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { ConfirmButton } from "../components";
import { useLive } from "../live";
import type { EditPost } from "./editor-model";
import { PostSends, SEGMENT_LABEL, type SendView } from "./send-progress";

export type Segment = "all" | "free" | "paid";
export type Newsletter = { _id: Id<"newsletters">; name: string; archived: boolean; defaultOn: boolean };

/** What Publish and Schedule do about email: nothing, or send to a newsletter's segment. */
export type EmailChoice = { withEmail: boolean; newsletterId: Id<"newsletters"> | null; segment: Segment };

/** The `email` argument of posts:publish / posts:schedule for a choice (undefined: no email). */
export function emailArg(choice: EmailChoice): { newsletterId: Id<"newsletters">; segment: Segment } | undefined {
  return choice.withEmail && choice.newsletterId ? { newsletterId: choice.newsletterId, segment: choice.segment } : undefined;
}

/**
 * The editor's email choice (a scheduled post starts from the one stored with it) and `emailFor()`,
 * the `email` argument for publishing or scheduling: never for updating a published post.
 */
export function useEmailChoice(initialPost: EditPost, status: EditPost["status"], mayEmail: boolean) {
  const [choice, setChoice] = useState<EmailChoice>(() => ({
    withEmail: Boolean(initialPost.scheduledEmail),
    newsletterId: initialPost.scheduledEmail?.newsletterId ?? null,
    segment: initialPost.scheduledEmail?.segment ?? "all",
  }));
  const emailFor = () => (mayEmail && status !== "published" ? emailArg(choice) : undefined);
  return { choice, setChoice, emailFor };
}

type Preview = { access: "full" | "teaser"; subject: string; html: string };

export function EmailPanel({
  siteId,
  postId,
  post,
  initialNewsletters,
  initialSends,
  choice,
  onChoice,
  busy,
  act,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  post: EditPost;
  initialNewsletters: Newsletter[];
  initialSends: SendView[];
  choice: EmailChoice;
  onChoice: (choice: EmailChoice) => void;
  busy: boolean;
  /** PostEditor's runner: saves unsaved edits first, shows the notice or the error. */
  act: (label: string, work: () => Promise<string | void>) => Promise<void>;
}) {
  const convex = useConvex();
  const { data: all } = useLive(api.newsletters.list, { siteId }, initialNewsletters);
  const newsletters = all.filter((n) => !n.archived);
  const [preview, setPreview] = useState<Preview | null>(null);
  // A newsletter to start with (the first on by default), and a chosen one that got archived is dropped.
  useEffect(() => {
    if (choice.newsletterId && newsletters.some((n) => n._id === choice.newsletterId)) return;
    const first = newsletters.find((n) => n.defaultOn) ?? newsletters[0];
    onChoice({ ...choice, newsletterId: first?._id ?? null, withEmail: first ? choice.withEmail : false });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- when the list or the choice changes
  }, [newsletters.map((n) => n._id).join(","), choice.newsletterId]);

  const chosen = newsletters.find((n) => n._id === choice.newsletterId) ?? null;
  const audience = chosen ? `${SEGMENT_LABEL[choice.segment]} of “${chosen.name}”` : "";
  const unpublished = post.status === "draft" || post.status === "scheduled";

  const showPreview = (access: "full" | "teaser") =>
    act("Email preview", async () => {
      const p = await convex.query(api.sends.preview, { siteId, postId, access });
      setPreview({ access, subject: p.subject, html: p.html });
    });

  return (
    <section className="st-panel st-email-panel" aria-labelledby="email-heading" data-testid="email-panel">
      <h2 id="email-heading">Email</h2>
      {newsletters.length === 0 ? (
        <p className="st-muted">
          No newsletter to send to yet. <Link to={`/studio/${siteId}/newsletters`}>Create one</Link>.
        </p>
      ) : (
        <>
          <div className="st-field">
            <label htmlFor="email-newsletter">Newsletter</label>
            <select
              id="email-newsletter"
              value={choice.newsletterId ?? ""}
              onChange={(e) => onChoice({ ...choice, newsletterId: e.target.value as Id<"newsletters"> })}
              data-testid="email-newsletter"
            >
              {newsletters.map((n) => (
                <option key={n._id} value={n._id}>
                  {n.name}
                </option>
              ))}
            </select>
          </div>
          <div className="st-field">
            <label htmlFor="email-segment">Send to</label>
            <select id="email-segment" value={choice.segment} onChange={(e) => onChoice({ ...choice, segment: e.target.value as Segment })} data-testid="email-segment">
              <option value="all">All members</option>
              <option value="free">Free members only</option>
              <option value="paid">Paid members only</option>
            </select>
            {post.featured && choice.segment !== "paid" ? (
              <small className="st-hint">Free members get the teaser and an upgrade button; the whole post goes to paid members only.</small>
            ) : null}
          </div>
          {unpublished ? (
            <fieldset className="st-field st-email-mode">
              <legend>When you publish{post.status === "scheduled" ? " or it goes out on schedule" : " or schedule"}</legend>
              <label className="st-check">
                <input type="radio" name="email-mode" checked={!choice.withEmail} onChange={() => onChoice({ ...choice, withEmail: false })} data-testid="email-mode-none" />
                Publish only (no email)
              </label>
              <label className="st-check">
                <input type="radio" name="email-mode" checked={choice.withEmail} onChange={() => onChoice({ ...choice, withEmail: true })} data-testid="email-mode-email" />
                Publish and email
              </label>
              {post.status === "scheduled" ? (
                <small className="st-hint">To change the email of a scheduled post, choose here and press Reschedule.</small>
              ) : null}
            </fieldset>
          ) : null}
          <div className="st-inline-buttons">
            {unpublished ? (
              <ConfirmButton
                label="Email only"
                confirmLabel="Send email"
                question={`Email the current draft to ${audience} without publishing it?`}
                className="st-button"
                disabled={busy || !chosen}
                onConfirm={() =>
                  void act("Email only", async () => {
                    await convex.mutation(api.sends.emailOnly, { siteId, postId, newsletterId: chosen!._id, segment: choice.segment });
                    return `Sending to ${audience}. The post stays unpublished.`;
                  })
                }
              />
            ) : post.status === "published" ? (
              <ConfirmButton
                label="Email now"
                confirmLabel="Send email"
                question={`Email the published post to ${audience}? Members who already got it are skipped.`}
                className="st-button"
                disabled={busy || !chosen}
                onConfirm={() =>
                  void act("Email now", async () => {
                    await convex.mutation(api.sends.sendPublished, { siteId, postId, newsletterId: chosen!._id, segment: choice.segment });
                    return `Sending to ${audience}.`;
                  })
                }
              />
            ) : null}
          </div>
        </>
      )}
      <div className="st-inline-buttons">
        <button type="button" className="st-button" disabled={busy} onClick={() => void showPreview("full")} data-testid="email-preview-full">
          Preview {post.featured ? "paid " : ""}email
        </button>
        {post.featured ? (
          <button type="button" className="st-button" disabled={busy} onClick={() => void showPreview("teaser")} data-testid="email-preview-teaser">
            Preview free email
          </button>
        ) : null}
        <button
          type="button"
          className="st-button"
          disabled={busy}
          data-testid="email-test-send"
          onClick={() =>
            void act("Test send", async () => {
              await convex.mutation(api.sends.testSend, { siteId, postId });
              return post.featured ? "Test emails sent to you: the paid and the free version." : "Test email sent to you.";
            })
          }
        >
          Send a test to me
        </button>
      </div>
      {preview ? (
        <div className="st-email-preview" data-testid="email-preview" data-access={preview.access}>
          <p className="st-inline-buttons">
            <span>
              {preview.access === "teaser" ? "Free members" : "Paid members"} get: <strong data-testid="email-preview-subject">{preview.subject}</strong>
            </span>
            <button type="button" className="st-button" onClick={() => setPreview(null)}>
              Close
            </button>
          </p>
          {/* sandbox="": no scripts, no same-origin, no forms, no navigation — the email is only looked at. */}
          <iframe title={`Email preview (${preview.access === "teaser" ? "free" : "paid"})`} sandbox="" srcDoc={preview.html} />
        </div>
      ) : null}
      <PostSends siteId={siteId} postId={postId} initial={initialSends} />
    </section>
  );
}
