// The "New post" page's editor (issue #16): a title and a body, with no post behind them yet, so
// opening the page and leaving creates nothing. The first real change (a title or any content)
// creates the post with what was written (posts:create). The page moves to the post's own editor
// (history.replace) once the writer pauses, because that editor is a new instance and keys typed
// while it mounts would go nowhere. Until then every change is kept on the device (the autosave
// backup the post's editor offers back after a crash) and handed to the post's editor
// (peekHandoff), which saves it through autosave as an ordinary edit; leaving the page before the
// move saves it directly. Nothing written is lost.
import { useNavigate } from "@remix-run/react";
import { useConvex } from "convex/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { LocalStorageBackupStore } from "../../editor/autosave";
import { parseDocText, type JSONContent } from "../../editor/doc";
import { failureMessage } from "../errors";
import { useHydrated } from "../format";
import { RichTextEditor } from "./rich-text";
import { uploadImage } from "./upload";
import type { Draft } from "./use-autosave";
import { TitleInput } from "./title-input";

/** How long the writer pauses before the page moves to the post's editor. */
const SWITCH_AFTER_IDLE_MS = 800;
/** posts:create's first draft version (model/posts.ts createDraft). */
const CREATED_VERSION = 1;

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
  // The post once created, what it was created with, and whether the page already moved on.
  const created = useRef<{ postId: string | null; pending: boolean; first: Written | null; moved: boolean }>({ postId: null, pending: false, first: null, moved: false });
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const backup = useRef<LocalStorageBackupStore<Draft> | null>(null);

  const asDraft = (w: Written): Draft => ({ title: w.title, excerpt: "", seoTitle: "", seoDescription: "", doc: w.doc });

  /** Opens the post's editor with what was written (it saves the rest through autosave). */
  function moveOn() {
    const state = created.current;
    if (!state.postId || state.moved) return;
    state.moved = true;
    handoffs.set(state.postId, written.current);
    backup.current?.clear(state.postId); // the editor's autosave keeps its own from here
    navigate(`/studio/${siteId}/posts/${state.postId}`, { replace: true });
  }

  function scheduleMove() {
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(moveOn, SWITCH_AFTER_IDLE_MS);
  }

  // Leaving before the move (a link, Back): what was written after the create is saved now.
  useEffect(
    () => () => {
      if (idle.current) clearTimeout(idle.current);
      const state = created.current;
      const last = written.current;
      if (!state.postId || state.moved || !state.first) return;
      if (last.title === state.first.title && last.doc === state.first.doc) return;
      const postId = state.postId as Id<"posts">;
      convex
        .mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: CREATED_VERSION, title: last.title, ...(last.doc ? { doc: last.doc } : {}) })
        .then(() => backup.current?.clear(postId))
        .catch((e: unknown) => console.error("The new post's last words stay on this device (offered back when it is opened):", e));
    },
    [convex, siteId],
  );

  function change(patch: Partial<Written>) {
    written.current = { ...written.current, ...patch };
    const state = created.current;
    if (state.postId) {
      // Kept on the device at once, as autosave does, until the post's editor takes over.
      backup.current ??= new LocalStorageBackupStore<Draft>();
      backup.current.write(state.postId, { draft: asDraft(written.current), savedAt: Date.now(), baseVersion: CREATED_VERSION });
      scheduleMove();
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
        state.first = first;
        setCreating(false);
        if (written.current !== first) change({}); // typed while it was created: back it up
        else scheduleMove();
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
          {creating ? "Creating the draft…" : created.current.postId ? "Draft created." : "Not saved yet: the draft is created when you start writing."}
        </p>
      </div>
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="st-editor">
        <div className="st-editor__main">
          <TitleInput
            value={title}
            readOnly={!hydrated}
            onChange={(t) => {
              setTitle(t);
              change({ title: t });
            }}
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
