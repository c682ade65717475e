// Revision history: every publish, explicit save and restore, with author and time (live). A
// revision can be read, compared with the current draft (line diff of the Markdown), and restored
// into the draft as a new version — the live post is never touched; publishing stays a separate step.
import { useConvex } from "convex/react";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { ConfirmButton } from "../components";
import { lineDiff } from "../diff";
import { failureMessage } from "../errors";
import { Time } from "../format";
import { useLive } from "../live";
import { DiffView } from "./diff-view";
import { docToMarkdownText } from "./markdown-client";
import type { Draft } from "./use-autosave";

const REASONS = { publish: "Published", save: "Saved", restore: "Restored" } as const;

type Opened = { id: string; number: number; title: string; markdown: string; currentMarkdown: string; currentTitle: string };

export function Revisions({
  siteId,
  postId,
  current,
  onRestore,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  current: () => Draft;
  onRestore: (revisionId: Id<"postRevisions">, number: number) => Promise<void>;
}) {
  const convex = useConvex();
  const [open, setOpen] = useState(false);
  const { data: revisions } = useLive(api.posts.listRevisions, open ? { siteId, postId } : "skip", null);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function view(id: Id<"postRevisions">) {
    setError(null);
    try {
      const r = await convex.query(api.posts.getRevision, { siteId, postId, revisionId: id });
      const now = current();
      const [markdown, currentMarkdown] = await Promise.all([docToMarkdownText(r.doc), docToMarkdownText(now.doc)]);
      setOpened({ id, number: r.number, title: r.title, markdown, currentMarkdown, currentTitle: now.title });
    } catch (e) {
      setError(failureMessage(e));
    }
  }

  return (
    <details className="st-panel" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} data-testid="revisions">
      <summary>Revision history</summary>
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
      {!open ? null : revisions === null ? (
        <p className="st-muted">Loading…</p>
      ) : revisions.length === 0 ? (
        <p className="st-muted">No revisions yet. Publishing, saving with Ctrl+S and restoring keep one.</p>
      ) : (
        <ol className="st-revisions">
          {revisions.map((r) => (
            <li key={r._id} data-testid="revision">
              <div>
                <strong>
                  #{r.number} {REASONS[r.reason]}
                </strong>{" "}
                by {r.authorName}, <Time ms={r.createdAt} />
                <div className="st-muted">{r.title || "Untitled"}</div>
              </div>
              <div className="st-inline-buttons">
                <button type="button" className="st-button" onClick={() => void view(r._id)}>
                  View
                </button>
                <ConfirmButton
                  label="Restore"
                  confirmLabel={`Restore #${r.number}`}
                  question="Replace the draft with this revision? The current draft is kept in the history first; the live post doesn't change."
                  className="st-button"
                  disabled={busy}
                  onConfirm={() => {
                    setBusy(true);
                    setError(null);
                    onRestore(r._id, r.number)
                      .catch((e) => setError(failureMessage(e)))
                      .finally(() => setBusy(false));
                  }}
                />
              </div>
            </li>
          ))}
        </ol>
      )}
      {opened ? (
        <section className="st-revision-view" aria-labelledby="revision-view-heading" data-testid="revision-view">
          <h3 id="revision-view-heading">
            Revision #{opened.number}: {opened.title || "Untitled"}
          </h3>
          <details>
            <summary>Full text</summary>
            <pre className="st-conflict__text">{opened.markdown}</pre>
          </details>
          <h4>Compared with the current draft</h4>
          <DiffView
            diff={lineDiff(`${opened.title}\n\n${opened.markdown}`, `${opened.currentTitle}\n\n${opened.currentMarkdown}`)}
            beforeLabel={`revision #${opened.number}`}
            afterLabel="the current draft"
          />
          <button type="button" className="st-button" onClick={() => setOpened(null)}>
            Close
          </button>
        </section>
      ) : null}
    </details>
  );
}
