// A post's email sends in the editor (issue #15): each send's live progress bar while it runs,
// then its counts by delivery status, and Cancel while recipients are still waiting. Live through
// sends:forPost (a Convex subscription): the bar moves as batches go out, without reloading.
import { useConvex } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { ConfirmButton } from "../components";
import { failureMessage } from "../errors";
import { Time } from "../format";
import { useLive } from "../live";

export type SendView = FunctionReturnType<typeof api.sends.forPost>[number];
type Status = SendView["status"];
type Counts = SendView["counts"];

const STATUS_LABEL: Record<Status, string> = {
  queued: "Starting",
  sending: "Sending",
  sent: "Sent",
  cancelled: "Cancelled",
  failed: "Failed",
};

export const SEGMENT_LABEL: Record<SendView["segment"], string> = { all: "all members", free: "free members", paid: "paid members" };

/** The delivery statuses, in the order the counts show them. */
const COUNT_LABELS: Array<[keyof Counts, string]> = [
  ["queued", "Waiting"],
  ["sent", "Sent"],
  ["delivered", "Delivered"],
  ["bounced", "Bounced"],
  ["complained", "Marked as spam"],
  ["failed", "Failed"],
  ["skipped", "Skipped"],
  ["cancelled", "Cancelled"],
];

/** Recipients whose delivery is settled one way or another (everyone but those still waiting). */
export function processed(send: Pick<SendView, "counts">): number {
  const c = send.counts;
  return c.sent + c.delivered + c.bounced + c.complained + c.failed + c.skipped + c.cancelled;
}

const inProgress = (status: Status) => status === "queued" || status === "sending";

export function PostSends({ siteId, postId, initial }: { siteId: Id<"sites">; postId: Id<"posts">; initial: SendView[] }) {
  const { data: sends } = useLive(api.sends.forPost, { siteId, postId }, initial);
  if (sends.length === 0) return null;
  return (
    <div data-testid="post-sends">
      <h3>Emails of this post</h3>
      <ul className="st-list">
        {sends.map((s) => (
          <li key={s._id}>
            <SendProgress siteId={siteId} send={s} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function SendProgress({ siteId, send }: { siteId: Id<"sites">; send: SendView }) {
  const convex = useConvex();
  const [error, setError] = useState<string | null>(null);
  const done = processed(send);
  const running = inProgress(send.status);
  return (
    <div className="st-send" data-testid="send" data-status={send.status}>
      <p>
        <strong data-testid="send-status">{STATUS_LABEL[send.status]}</strong> to {SEGMENT_LABEL[send.segment]} of “{send.newsletterName}”
        {send.finishedAt ? (
          <span className="st-muted">
            {" "}
            · finished <Time ms={send.finishedAt} />
          </span>
        ) : (
          <span className="st-muted">
            {" "}
            · started <Time ms={send.startedAt ?? send.createdAt} />
          </span>
        )}
      </p>
      <label className="st-hint" htmlFor={`send-${send._id}`} data-testid="send-progress-text">
        {done.toLocaleString("en-US")} of {send.total.toLocaleString("en-US")} recipients{running && send.status === "queued" ? " (finding recipients…)" : ""}
      </label>
      <progress
        id={`send-${send._id}`}
        className="st-progress"
        max={Math.max(send.total, 1)}
        value={send.total === 0 ? (running ? undefined : 1) : done}
        data-testid="send-progress"
        data-done={done}
        data-total={send.total}
      />
      <dl className="st-send__counts" data-testid="send-counts">
        {COUNT_LABELS.filter(([key]) => send.counts[key] > 0 || key === "sent" || key === "delivered").map(([key, label]) => (
          <div key={key} data-testid={`send-count-${key}`}>
            <dt>{label}</dt>
            <dd>{send.counts[key].toLocaleString("en-US")}</dd>
          </div>
        ))}
      </dl>
      {running ? (
        <ConfirmButton
          label="Cancel send"
          confirmLabel="Stop sending"
          question="Stop this send? Recipients not yet emailed won't get it."
          onConfirm={() => {
            setError(null);
            convex.mutation(api.sends.cancel, { siteId, sendId: send._id }).catch((e: unknown) => setError(failureMessage(e)));
          }}
        />
      ) : null}
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
