// The "New post" page's editor (issue #16): a title and a body, with no post behind them yet, so
// opening the page and leaving creates nothing. The first real change (a title or any content)
// creates the post with what was written (posts:create), then the page moves to the post's own
// editor with history.replace. What is typed while that happens is handed to the post's editor
// (peekHandoff), which saves it through autosave as an ordinary edit: nothing written is lost.
import { useNavigate } from "@remix-run/react";
import { useConvex } from "convex/react";
import { useRef, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { FIELDS, fieldProps } from "../../../convex/shared/fields";
import { parseDocText, type JSONContent } from "../../editor/doc";
import { failureMessage } from "../errors";
import { useHydrated } from "../format";
import { RichTextEditor } from "./rich-text";
import { uploadImage } from "./upload";

type Written = { title: string; doc: string };

// What the new-post page wrote for a post it just created, until that post's editor takes it.
const handoffs = new Map<string, Written>();

/** The new-post page's latest writing for a post it created (PostEditor applies it, then clears it). */
export function peekHandoff(postId: string): Written | null {
  return handoffs.get(postId) ?? null;
}

export function clearHandoff(postId: string): void {
  handoffs.delete(postId);
}

/** Whether a document holds anything a writer put there (text, an image, a rule, a list…). */
export function isBlankDoc(doc: string): boolean {
  const parsed = parseDocText(doc);
  if (!parsed) return true;
  const blank = (node: JSONContent): boolean =>
    node.type === "text" ? !(node.text ?? "").trim() : (node.type === "doc" || node.type === "paragraph") && (node.content ?? []).every(blank);
  return blank(parsed);
}

/** A real change: a title with some non-space character, or content in the body. */
export function isRealChange(written: Written): boolean {
  return written.title.trim() !== "" || !isBlankDoc(written.doc);
}

export function NewPostEditor({ siteId }: { siteId: Id<"sites"> }) {
  const convex = useConvex();
  const navigate = useNavigate();
  const hydrated = useHydrated();
  const [title, setTitle] = useState("");
  const written = useRef<Written>({ title: "", doc: "" });
  const created = useRef<{ postId: string | null; pending: boolean }>({ postId: null, pending: false });
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  function change(patch: Partial<Written>) {
    written.current = { ...written.current, ...patch };
    const state = created.current;
    if (state.postId) {
      handoffs.set(state.postId, written.current);
      return;
    }
    if (state.pending || !isRealChange(written.current)) return;
    state.pending = true;
    setCreating(true);
    setError(null);
    const first = written.current;
    convex
      .mutation(api.posts.create, { siteId, title: first.title, ...(isBlankDoc(first.doc) ? {} : { doc: first.doc }) })
      .then((postId) => {
        state.postId = postId;
        // Anything typed since the create call left goes to the post's editor.
        handoffs.set(postId, written.current);
        navigate(`/studio/${siteId}/posts/${postId}`, { replace: true });
      })
      .catch((e: unknown) => {
        state.pending = false;
        setCreating(false);
        setError(`${failureMessage(e)} Your writing is still here; the next change tries again.`);
      });
  }

  return (
    <div className="st-editor-page" data-testid="new-post-editor">
      <div className="st-editor__bar">
        <p className="st-save-status st-save-status--dirty" role="status" data-testid="new-post-status">
          {creating ? "Creating the draft…" : "Not saved yet: the draft is created when you start writing."}
        </p>
      </div>
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="st-editor">
        <div className="st-editor__main">
          <label htmlFor="post-title" className="st-visually-hidden">
            Title
          </label>
          <input
            id="post-title"
            className="st-title-input"
            placeholder="Title"
            value={title}
            readOnly={!hydrated}
            {...fieldProps(FIELDS.postTitle)}
            onChange={(e) => {
              setTitle(e.target.value);
              change({ title: e.target.value });
            }}
            data-testid="post-title"
          />
          <div className="st-editor__body">
            <RichTextEditor
              initialDoc=""
              editable={hydrated}
              onChange={(doc) => change({ doc })}
              onUploadImage={(file, onProgress) => uploadImage(convex, siteId, file, onProgress)}
              onReady={() => {}}
            />
          </div>
        </div>
      </div>
    </div>
  );
}
