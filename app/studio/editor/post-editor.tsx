// Over 400 lines: the editor page is one state machine (autosave, conflicts, live updates, the
// lifecycle actions); its panels are in sibling files (post-settings, email-panel, revisions).
// The post editor page: TipTap (app/editor) with autosave through posts:saveDraft, a status line
// that tells the truth, a local backup offered back after a crash, the two-versions chooser on a
// CONFLICT, live updates from other tabs and editors, the side panel (post-settings.tsx: address,
// excerpt, category, tags, featured, SEO, schedule), the lifecycle actions, preview, Markdown export/import and the
// revision history.
//
// How the pieces meet:
// - `draft` (React state, mirrored in draftRef) is this tab's version of the saved fields; every
//   edit goes to autosave.change(), which backs it up synchronously and saves it soon.
// - `edit` is posts:getForEdit, live. When its draft version moves past the version this tab
//   saved, either this tab has nothing unsaved (it quietly loads the newer version: nothing is
//   lost) or it has (a notice says so, and the next save meets a CONFLICT that opens the chooser).
import { useNavigate } from "@remix-run/react";
import { useConvex } from "convex/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import type { AutosaveStatus } from "../../editor/autosave";
import { StatusBadge } from "../components";
import { errorCode, failureMessage } from "../errors";
import { clockTime, useHydrated } from "../format";
import { useLive } from "../live";
import { ConflictChooser } from "./conflict-chooser";
import { EmailPanel, useEmailChoice } from "./email-panel";
import { EditorNotices } from "./editor-notices";
import { concatDocs, fileName, NotSavedError, type PostEditorProps } from "./editor-model";
import { download, draftToMarkdownFile, markdownFileToDraft } from "./markdown-client";
import { clearHandoff, peekHandoff } from "./new-post";
import { PostSettings } from "./post-settings";
import { fetchPreview, Preview, type PreviewData } from "./preview";
import { RichTextEditor, type EditorHandle } from "./rich-text";
import { StatusLine, statusView } from "./status-line";
import { uploadImage } from "./upload";
import { draftFromTheirs, draftOf, useAutosave, useConnection, type Draft } from "./use-autosave";
import { TitleInput } from "./title-input";

export type { PostEditorProps } from "./editor-model";

export function PostEditor({ siteId, postId, site, viewerId, initial, initialTags, initialCategories, members, email }: PostEditorProps) {
  const convex = useConvex();
  const navigate = useNavigate();
  const hydrated = useHydrated();
  const { data: edit, error: liveError } = useLive(api.posts.getForEdit, { siteId, postId }, initial);
  const { data: tags } = useLive(api.tags.list, { siteId, paginationOpts: { numItems: 200, cursor: null } }, { page: initialTags });
  const { data: categories } = useLive(api.categories.list, { siteId }, initialCategories);
  const post = edit.post;
  const connection = useConnection();
  const autosave = useAutosave({ siteId, postId, server: initial.draft });
  // Opened from the new-post page, which created this post: what was typed meanwhile (new-post.tsx).
  const [handoff] = useState(() => peekHandoff(postId));
  const [draft, setDraft] = useState<Draft>(() => {
    const server = draftOf(initial.draft);
    return handoff ? { ...server, title: handoff.title, doc: handoff.doc === "" ? server.doc : handoff.doc } : server;
  });
  const draftRef = useRef(draft);
  const editorRef = useRef<EditorHandle | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [remote, setRemote] = useState<{ version: number; updatedAt: number } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [preview, setPreview] = useState<PreviewData | null>(null);
  // Below 70rem the side panel is a drawer (studio/layout.css): opened by this state, or by
  // #post-settings (:target) before the page is hydrated.
  const [settingsOpen, setSettingsOpen] = useState(false);
  const names = new Map(members.map((m) => [m.userId, m.name]));
  const canPublish = edit.canPublish;
  // Publish/Schedule also email the post when chosen in the email panel.
  const mayEmail = Boolean(email) && canPublish;
  const { choice: emailChoice, setChoice: setEmailChoice, emailFor } = useEmailChoice(initial.post, post.status, mayEmail);

  /** An edit by the writer: shown, backed up, saved soon. */
  const update = useCallback(
    (patch: Partial<Draft>) => {
      const next = { ...draftRef.current, ...patch };
      draftRef.current = next;
      setDraft(next);
      autosave.change(next);
    },
    [autosave],
  );

  // ...and is saved as an ordinary edit (autosave's controller exists by now: its effect ran first).
  useEffect(() => {
    if (!handoff) return;
    clearHandoff(postId);
    const server = draftOf(initial.draft);
    if (draftRef.current.title !== server.title || draftRef.current.doc !== server.doc) autosave.change(draftRef.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** Puts a version in the editor without counting it as an edit. */
  const load = useCallback((next: Draft) => {
    draftRef.current = next;
    setDraft(next);
    editorRef.current?.setDoc(next.doc);
  }, []);

  // Someone else (another tab, another editor) saved a newer draft.
  const status = autosave.status;
  const serverVersion = edit.draft.version;
  useEffect(() => {
    if (serverVersion <= autosave.version()) {
      setRemote(null);
      return;
    }
    // Our own save may still be on its way (its answer bumps our version): decide afterwards.
    if (status.kind === "saving" || status.kind === "conflict" || (status.kind === "offline" && status.retryAt === null)) return;
    if (autosave.offer) return;
    if (!autosave.hasUnsavedChanges()) {
      load(draftOf(edit.draft));
      autosave.rebase(edit.draft);
      setRemote(null);
      setInfo(`Updated with a version saved elsewhere at ${clockTime(edit.draft.updatedAt)}.`);
    } else {
      setRemote({ version: serverVersion, updatedAt: edit.draft.updatedAt });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [serverVersion, status, autosave.offer]);

  // Status changes made elsewhere (published, scheduled, archived…) are announced.
  const lastStatus = useRef(post.status);
  const ownAction = useRef(false);
  useEffect(() => {
    if (lastStatus.current === post.status) return;
    const before = lastStatus.current;
    lastStatus.current = post.status;
    if (ownAction.current) return;
    setInfo(
      before === "scheduled" && post.status === "published"
        ? "The scheduled time came: this post is now published."
        : `This post is now ${post.status} (it was ${before}); the change was made elsewhere.`,
    );
  }, [post.status]);

  // Ctrl/Cmd+S: an explicit save (keeps a revision).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void autosave.flush();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [autosave]);

  /**
   * Saves what is unsaved first (so the action acts on what the writer sees), then runs `work`.
   * That save is an ordinary one, not an explicit save: publishing keeps its own revision, and the
   * other actions change no text, so a "Saved" revision here would only repeat the same text (an
   * image just uploaded, or the last words typed, still waiting for autosave when Publish is pressed).
   */
  async function act(label: string, work: () => Promise<string | void>, options: { save?: boolean } = {}) {
    setBusy(label);
    setActionError(null);
    setInfo(null);
    ownAction.current = true;
    try {
      if (options.save !== false && autosave.hasUnsavedChanges()) {
        const saved = await autosave.settle();
        if (saved.kind !== "saved") throw new NotSavedError(statusView(saved as AutosaveStatus<Draft>, connection, true).text);
      }
      const done = await work();
      if (done) setInfo(done);
    } catch (error) {
      setActionError(
        error instanceof NotSavedError
          ? `Your latest changes aren't saved yet, so nothing was done. ${error.message}`
          : failureMessage(error),
      );
    } finally {
      setBusy(null);
      // Let the live status arrive before counting changes as someone else's again.
      setTimeout(() => (ownAction.current = false), 1500);
    }
  }

  /** A new post's address comes from its title once, when it first goes out (the server decides). */
  async function settleSlug() {
    await convex.mutation(api.posts.settleSlug, { siteId, postId });
  }

  const mutate = {
    publish: () =>
      act(post.status === "published" ? "Update" : "Publish", async () => {
        await settleSlug();
        const withEmail = emailFor();
        await convex.mutation(api.posts.publish, { siteId, postId, ...(withEmail ? { email: withEmail } : {}) });
        if (withEmail) setEmailChoice((c) => ({ ...c, withEmail: false }));
        return post.status === "published" ? "Updated: readers see the new version." : withEmail ? "Published, and the email is on its way." : "Published.";
      }),
    unpublish: () =>
      act("Unpublish", async () => {
        await convex.mutation(api.posts.unpublish, { siteId, postId });
        return "Unpublished: the post is a draft again.";
      }, { save: false }),
    archive: () =>
      act("Archive", async () => {
        await convex.mutation(api.posts.archive, { siteId, postId });
        return "Archived.";
      }),
    restore: () =>
      act("Restore", async () => {
        await convex.mutation(api.posts.restore, { siteId, postId });
        return "Restored as a draft.";
      }),
    schedule: (at: number) =>
      act("Schedule", async () => {
        await settleSlug();
        const withEmail = emailFor();
        await convex.mutation(api.posts.schedule, { siteId, postId, scheduledAt: at, ...(withEmail ? { email: withEmail } : {}) });
        return `Scheduled for ${new Date(at).toLocaleString()}${withEmail ? ", with the email" : ""}.`;
      }),
    unschedule: () =>
      act("Unschedule", async () => {
        await convex.mutation(api.posts.unschedule, { siteId, postId });
        return "No longer scheduled: the post is a draft.";
      }, { save: false }),
    submit: () =>
      act("Submit", async () => {
        await settleSlug();
        await convex.mutation(api.review.submitForReview, { siteId, postId });
        return "Submitted for review. Editors have been notified.";
      }),
    remove: () =>
      act("Delete", async () => {
        await convex.mutation(api.posts.remove, { siteId, postId });
        autosave.discardOffer();
        navigate(`/studio/${siteId}`);
      }, { save: false }),
  };

  async function showPreview() {
    setBusy("Preview");
    setActionError(null);
    try {
      setPreview(await fetchPreview(siteId, postId, draftRef.current));
    } catch (error) {
      console.error(error);
      setActionError("The preview could not be made. Check your connection and try again.");
    } finally {
      setBusy(null);
    }
  }

  async function exportMarkdown() {
    const current = draftRef.current;
    download(fileName(current.title, post.slug), await draftToMarkdownFile(current));
  }

  async function importMarkdown(file: File) {
    await act("Import", async () => {
      // The current text goes into the history first (an explicit save keeps a revision).
      const saved = await autosave.flush();
      if (saved.kind !== "saved") throw new NotSavedError(statusView(saved, connection, true).text);
      const { title, doc } = await markdownFileToDraft(await file.text());
      const next = { ...draftRef.current, doc, ...(title ? { title } : {}) };
      load(next);
      autosave.change(next);
      return `Imported ${file.name}. The previous text is in the revision history.`;
    }, { save: false });
  }

  async function restoreRevision(revisionId: Id<"postRevisions">, number: number) {
    await act(
      "Restore revision",
      async () => {
        const saved = await autosave.flush(); // keeps the current draft as a revision first
        if (saved.kind !== "saved") throw new NotSavedError(statusView(saved, connection, true).text);
        await convex.mutation(api.posts.restoreRevision, { siteId, postId, revisionId });
        const fresh = await convex.query(api.posts.getForEdit, { siteId, postId });
        load(draftOf(fresh.draft));
        autosave.rebase(fresh.draft);
        return `Revision #${number} restored into the draft.${post.status === "published" ? " Readers still see the published version until you update." : ""}`;
      },
      { save: false },
    );
  }

  const conflict = status.kind === "conflict" ? status : null;
  const reviewPending = post.reviewState === "pending";
  const deleted = liveError !== null && errorCode(liveError) === "NOT_FOUND";
  const editable = hydrated && !autosave.offer && !deleted;
  const readerUrl = `/${site.slug}/${post.slug}`;

  return (
    <div className="st-editor-page" data-testid="post-editor">
      <div className="st-editor__bar">
        <div className="st-inline-buttons">
          <StatusBadge
            status={post.status}
            extra={post.status === "published" && post.hasUnpublishedChanges ? "unpublished changes" : reviewPending ? "in review" : undefined}
          />
          <StatusLine status={status} connection={connection} onRetry={autosave.retry} />
        </div>
        <div className="st-actions" aria-label="Post actions" role="group">
          <a
            href="#post-settings"
            className="st-button st-drawer-toggle"
            aria-controls="post-settings"
            {...(hydrated ? { role: "button", "aria-expanded": settingsOpen } : {})}
            onClick={(e) => {
              e.preventDefault();
              setSettingsOpen((open) => !open);
            }}
            data-testid="post-settings-toggle"
          >
            Post settings
          </a>
          <button type="button" className="st-button" onClick={() => void showPreview()} disabled={busy !== null}>
            Preview
          </button>
          {canPublish ? (
            post.status === "archived" ? (
              <button type="button" className="st-button st-button--primary" onClick={() => void mutate.restore()} disabled={busy !== null}>
                Restore to drafts
              </button>
            ) : (
              <button
                type="button"
                className="st-button st-button--primary"
                onClick={() => void mutate.publish()}
                disabled={busy !== null || (post.status === "published" && !post.hasUnpublishedChanges && !autosave.hasUnsavedChanges() && status.kind === "saved")}
              >
                {post.status === "published" ? "Update" : post.status === "scheduled" ? "Publish now" : "Publish"}
                {emailFor() ? " and email" : ""}
              </button>
            )
          ) : post.status === "draft" ? (
            <button type="button" className="st-button st-button--primary" onClick={() => void mutate.submit()} disabled={busy !== null || reviewPending}>
              {reviewPending ? "Waiting for review" : "Submit for review"}
            </button>
          ) : null}
        </div>
      </div>

      <EditorNotices
        post={post}
        readerUrl={readerUrl}
        actionError={actionError}
        info={info}
        deleted={deleted}
        offer={autosave.offer}
        hydrated={hydrated}
        remote={remote}
        conflicted={conflict !== null}
        onDownload={() => void exportMarkdown()}
        onRestoreOffer={() => {
          const entry = autosave.restoreOffer();
          if (entry) load(entry.draft);
        }}
        onDiscardOffer={() => autosave.discardOffer()}
        onCompare={() => void autosave.flush()}
      />
      {conflict ? (
        <ConflictChooser
          mine={conflict.mine}
          theirs={conflict.theirs}
          theirsByName={conflict.theirs.updatedBy ? (conflict.theirs.updatedBy === viewerId ? "You (in another tab)" : names.get(conflict.theirs.updatedBy) ?? null) : null}
          onKeepMine={() => {
            autosave.resolveConflict("mine");
            setInfo("Kept your version.");
          }}
          onTakeTheirs={() => {
            load(draftFromTheirs(conflict.theirs, draftRef.current));
            autosave.resolveConflict("theirs");
            setInfo("Took their version.");
          }}
          onKeepBoth={() => {
            const merged = { ...conflict.mine, doc: concatDocs(conflict.theirs.doc ?? "", conflict.mine.doc) };
            load(merged);
            autosave.resolveConflict(merged);
            setInfo("Kept both: their text first, then the parts of yours that differ, below a line.");
          }}
        />
      ) : null}

      <div className="st-editor">
        <div className="st-editor__main">
          <TitleInput
            value={draft.title}
            readOnly={!editable}
            onChange={(title) => update({ title })}
          />
          <div className="st-editor__body">
            <RichTextEditor
              initialDoc={initial.draft.doc}
              editable={editable}
              onChange={(doc) => update({ doc })}
              onUploadImage={(file, onProgress) => uploadImage(convex, siteId, file, onProgress)}
              onReady={(handle) => {
                editorRef.current = handle;
                // Created after hydration: show what this tab has now (a restored backup, a newer version).
                if (handle && handle.getDoc() !== draftRef.current.doc) handle.setDoc(draftRef.current.doc);
              }}
            />
          </div>
        </div>

        <div
          id="post-settings"
          className={`st-drawer${settingsOpen ? " is-open" : ""}`}
          onKeyDown={(e) => {
            if (e.key === "Escape" && settingsOpen) setSettingsOpen(false);
          }}
          data-testid="post-settings-drawer"
        >
          <div className="st-drawer__head">
            <h2>Post settings</h2>
            {hydrated ? (
              <button type="button" className="st-button" onClick={() => setSettingsOpen(false)}>
                Close
              </button>
            ) : (
              <a href="#" className="st-button">
                Close
              </a>
            )}
          </div>
          <PostSettings
            siteId={siteId}
            postId={postId}
            site={site}
            edit={edit}
            draft={draft}
            current={() => draftRef.current}
            editable={editable}
            busy={busy !== null}
            categories={categories}
            tags={tags.page}
            update={update}
            email={
              mayEmail && email ? (
                <EmailPanel
                  siteId={siteId}
                  postId={postId}
                  post={post}
                  initialNewsletters={email.newsletters}
                  initialSends={email.sends}
                  choice={emailChoice}
                  onChoice={setEmailChoice}
                  busy={busy !== null}
                  act={(label, work) => act(label, work)}
                />
              ) : null
            }
            actions={{
              schedule: (at) => void mutate.schedule(at),
              unschedule: () => void mutate.unschedule(),
              unpublish: () => void mutate.unpublish(),
              archive: () => void mutate.archive(),
              remove: () => void mutate.remove(),
              exportMarkdown: () => void exportMarkdown(),
              importMarkdown: (file) => void importMarkdown(file),
              restoreRevision,
            }}
          />
        </div>
      </div>
      {preview ? <Preview preview={preview} onClose={() => setPreview(null)} /> : null}
    </div>
  );
}
