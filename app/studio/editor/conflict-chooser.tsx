// Two versions of one draft: this tab's and the one saved elsewhere (another tab, another editor).
// Nothing is overwritten until the writer chooses; both versions are shown in full, each can be
// downloaded, and "Keep both" puts them one after the other. Typing goes on meanwhile.
import { useEffect, useState } from "react";
import { Time } from "../format";
import { lineDiff } from "../diff";
import { DiffView } from "./diff-view";
import { docToMarkdownText, download, draftToMarkdownFile } from "./markdown-client";
import type { Draft, Theirs } from "./use-autosave";

export function ConflictChooser({
  mine,
  theirs,
  theirsByName,
  onKeepMine,
  onTakeTheirs,
  onKeepBoth,
}: {
  mine: Draft;
  theirs: Theirs;
  theirsByName: string | null;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
  onKeepBoth: () => void;
}) {
  const [text, setText] = useState<{ mine: string; theirs: string } | null>(null);
  const [showDiff, setShowDiff] = useState(false);
  useEffect(() => {
    let live = true;
    void Promise.all([docToMarkdownText(mine.doc), docToMarkdownText(theirs.doc ?? "")]).then(([m, t]) => {
      if (live) setText({ mine: m, theirs: t });
    });
    return () => {
      live = false;
    };
  }, [mine.doc, theirs.doc]);
  const theirTitle = theirs.title ?? "";
  return (
    <section className="st-conflict" aria-labelledby="conflict-heading" aria-describedby="conflict-help" data-testid="conflict-chooser">
      <h2 id="conflict-heading">This draft was changed somewhere else</h2>
      <p id="conflict-help">
        {theirsByName ? `${theirsByName} saved` : "Another tab or editor saved"} a different version
        {typeof theirs.updatedAt === "number" ? (
          <>
            {" "}
            at <Time ms={theirs.updatedAt} />
          </>
        ) : null}
        . Nothing has been overwritten. Choose what to keep; you can keep typing meanwhile.
      </p>
      <div className="st-conflict__versions">
        <article className="st-conflict__version" aria-labelledby="conflict-mine" data-testid="conflict-mine">
          <h3 id="conflict-mine">Your version</h3>
          <p className="st-conflict__title">{mine.title || "Untitled"}</p>
          <pre className="st-conflict__text">{text?.mine ?? "…"}</pre>
          <button type="button" className="st-link-button" onClick={() => void draftToMarkdownFile(mine).then((md) => download("my-version.md", md))}>
            Download your version
          </button>
        </article>
        <article className="st-conflict__version" aria-labelledby="conflict-theirs" data-testid="conflict-theirs">
          <h3 id="conflict-theirs">Their version</h3>
          <p className="st-conflict__title">{theirTitle || "Untitled"}</p>
          <pre className="st-conflict__text">{text?.theirs ?? "…"}</pre>
          <button
            type="button"
            className="st-link-button"
            onClick={() => void draftToMarkdownFile({ title: theirTitle, doc: theirs.doc ?? "" }).then((md) => download("their-version.md", md))}
          >
            Download their version
          </button>
        </article>
      </div>
      {text ? (
        <details open={showDiff} onToggle={(e) => setShowDiff((e.target as HTMLDetailsElement).open)}>
          <summary>Show the differences</summary>
          {showDiff ? <DiffView diff={lineDiff(`${theirTitle}\n\n${text.theirs}`, `${mine.title}\n\n${text.mine}`)} beforeLabel="theirs" afterLabel="yours" /> : null}
        </details>
      ) : null}
      <div className="st-inline-buttons">
        <button type="button" className="st-button st-button--primary" onClick={onKeepMine}>
          Keep mine
        </button>
        <button type="button" className="st-button" onClick={onTakeTheirs}>
          Take theirs
        </button>
        <button type="button" className="st-button" onClick={onKeepBoth}>
          Keep both
        </button>
      </div>
    </section>
  );
}
