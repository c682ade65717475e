// The editor's banners: the last action's error or result, a deleted post, changes kept on this
// device, a newer version saved elsewhere, and an editor's review comment.
import type { BackupEntry } from "../../editor/autosave";
import { ConfirmButton } from "../components";
import { clockTime } from "../format";
import type { EditPost } from "./editor-model";
import type { Draft } from "./use-autosave";

export function EditorNotices({
  post,
  readerUrl,
  actionError,
  info,
  deleted,
  offer,
  hydrated,
  remote,
  conflicted,
  onDownload,
  onRestoreOffer,
  onDiscardOffer,
  onCompare,
}: {
  post: EditPost;
  readerUrl: string;
  actionError: string | null;
  info: string | null;
  deleted: boolean;
  /** Changes this device kept that the server never got. */
  offer: BackupEntry<Draft> | null;
  hydrated: boolean;
  remote: { version: number; updatedAt: number } | null;
  conflicted: boolean;
  onDownload: () => void;
  onRestoreOffer: () => void;
  onDiscardOffer: () => void;
  onCompare: () => void;
}) {
  return (
    <>
    {actionError ? (
      <p className="st-banner" role="alert" data-testid="action-error">
        {actionError}
      </p>
    ) : null}
    {info ? (
      <div className="st-banner st-banner--info" role="status" data-testid="editor-info">
        <p>{info}</p>
        {post.status === "published" ? (
          <p>
            <a href={readerUrl} target="_blank" rel="noreferrer">
              View on the site ↗
            </a>
          </p>
        ) : null}
      </div>
    ) : null}
    {deleted ? (
      <div className="st-banner" role="alert" data-testid="post-gone">
        <p>This post was deleted, or you no longer have access to it. Your text is still in this page and on this device.</p>
        <button type="button" className="st-button" onClick={onDownload}>
          Download it as Markdown
        </button>
      </div>
    ) : null}
    {offer ? (
      <div className="st-banner" role="alert" data-testid="restore-offer">
        <p>
          Changes you made on this device {hydrated ? `at ${clockTime(offer.savedAt)} ` : ""}were never saved to the server
          {offer.draft.title ? ` (“${offer.draft.title}”)` : ""}. Restore them to continue where you left off.
        </p>
        <div className="st-inline-buttons">
          <button
            type="button"
            className="st-button st-button--primary"
            onClick={() => {
              onRestoreOffer();
            }}
          >
            Restore my changes
          </button>
          <ConfirmButton
            label="Discard them"
            confirmLabel="Discard unsaved changes"
            question="Throw away the changes kept on this device?"
            onConfirm={onDiscardOffer}
          />
        </div>
      </div>
    ) : null}
    {remote && !conflicted ? (
      <div className="st-banner" role="status" data-testid="remote-change">
        <p>
          A newer version of this draft was saved elsewhere at {clockTime(remote.updatedAt)}. Your changes aren't lost: when they save, you'll
          choose which version to keep.
        </p>
        <button type="button" className="st-button" onClick={onCompare}>
          Compare now
        </button>
      </div>
    ) : null}
    {post.reviewState === "returned" && post.reviewComment ? (
      <div className="st-banner" role="status">
        <p>
          <strong>Returned by an editor:</strong> {post.reviewComment}
        </p>
      </div>
    ) : null}
    </>
  );
}
