// The post editor page: TipTap (app/editor) with autosave through posts:saveDraft, a status line
// that tells the truth, a local backup offered back after a crash, the two-versions chooser on a
// CONFLICT, live updates from other tabs and editors, the side panel (address, excerpt, category,
// tags, featured, SEO, schedule), the lifecycle actions, preview, Markdown export/import and the
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
import { docToText, publicExcerpt, type DocNode } from "../../../convex/model/content";
import { ERROR_CODES, UserFacingError } from "../../../convex/shared/errors";
import { FIELDS, fieldProps } from "../../../convex/shared/fields";
import { parseDocText } from "../../editor/doc";
import type { AutosaveStatus } from "../../editor/autosave";
import { ConfirmButton, StatusBadge } from "../components";
import { errorCode, failureMessage } from "../errors";
import { clockTime, fromLocalInput, Time, toLocalInput, useHydrated } from "../format";
import { useDebounced } from "../hooks";
import { useLive } from "../live";
import { can, type SiteRole } from "../../../convex/shared/roles";
import { slugProblem } from "../slug";
import { toSlug } from "../../../convex/shared/slugs";
import { ConflictChooser } from "./conflict-chooser";
import { download, draftToMarkdownFile, markdownFileToDraft } from "./markdown-client";
import { Preview, type PreviewData } from "./preview";
import { Revisions } from "./revisions";
import { RichTextEditor, type EditorHandle } from "./rich-text";
import { StatusLine, statusView } from "./status-line";
import { CategoryField, TagsField } from "./taxonomy-fields";
import { draftFromTheirs, draftOf, useAutosave, useConnection, type Draft, type ServerDraft } from "./use-autosave";

type EditData = {
  post: {
    _id: string;
    siteId: string;
    authorId: string;
    authorName: string;
    title: string;
    slug: string;
    status: "draft" | "scheduled" | "published" | "archived";
    featured: boolean;
    categoryId?: string;
    tagIds: string[];
    publishedAt?: number;
    scheduledAt?: number;
    hasUnpublishedChanges?: boolean;
    reviewState?: "pending" | "returned";
    reviewComment?: string;
    updatedAt: number;
  };
  draft: ServerDraft & { postId: string };
  canPublish: boolean;
  canFeature: boolean;
  coverImageUrl: string | null;
};

export type PostEditorProps = {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  site: { slug: string; role: SiteRole };
  viewerId: string;
  initial: EditData;
  initialTags: Array<{ _id: string; name: string; slug: string }>;
  initialCategories: Array<{ _id: string; name: string }>;
  members: Array<{ userId: string; name: string }>;
};

class NotSavedError extends Error {}

/**
 * "Keep both": their document, then a rule and the blocks of mine that theirs doesn't have (the
 * paragraphs both versions share appear once). Nothing either side wrote is dropped.
 */
function concatDocs(theirs: string, mine: string): string {
  const a = parseDocText(theirs)?.content ?? [];
  const b = parseDocText(mine)?.content ?? [];
  const have = new Set(a.map((block) => JSON.stringify(block)));
  const extra = b.filter((block) => !have.has(JSON.stringify(block)) && JSON.stringify(block) !== '{"type":"paragraph"}');
  return JSON.stringify({ type: "doc", content: extra.length ? [...a, { type: "horizontalRule" }, ...extra] : a });
}

function plainText(doc: string): string {
  try {
    return docToText(JSON.parse(doc) as DocNode);
  } catch {
    return "";
  }
}

function fileName(title: string, slug: string): string {
  return `${slug || toSlug(title) || "post"}.md`;
}

export function PostEditor({ siteId, postId, site, viewerId, initial, initialTags, initialCategories, members }: PostEditorProps) {
  const convex = useConvex();
  const navigate = useNavigate();
  const hydrated = useHydrated();
  const { data: edit, error: liveError } = useLive(api.posts.getForEdit, { siteId, postId }, initial as never) as {
    data: EditData;
    error: Error | null;
  };
  const { data: tags } = useLive(api.tags.list, { siteId, paginationOpts: { numItems: 200, cursor: null } }, { page: initialTags } as never) as {
    data: { page: Array<{ _id: string; name: string; slug: string }> };
  };
  const { data: categories } = useLive(api.categories.list, { siteId }, initialCategories as never) as {
    data: Array<{ _id: string; name: string }>;
  };
  const post = edit.post;
  const connection = useConnection();
  const autosave = useAutosave({ siteId, postId, server: initial.draft });
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial.draft));
  const draftRef = useRef(draft);
  const editorRef = useRef<EditorHandle | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [remote, setRemote] = useState<{ version: number; updatedAt: number } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [preview, setPreview] = useState<PreviewData | null>(null);
  const names = new Map(members.map((m) => [m.userId, m.name]));
  const canPublish = edit.canPublish;

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
        await convex.mutation(api.posts.publish, { siteId, postId });
        return post.status === "published" ? "Updated: readers see the new version." : "Published.";
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
        await convex.mutation(api.posts.schedule, { siteId, postId, scheduledAt: at });
        return `Scheduled for ${new Date(at).toLocaleString()}.`;
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
      const current = draftRef.current;
      const response = await fetch(`/studio/${siteId}/preview`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ postId, title: current.title, excerpt: current.excerpt, doc: current.doc }),
      });
      if (!response.ok) throw new Error(`Preview failed (${response.status})`);
      setPreview((await response.json()) as PreviewData);
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
              </button>
            )
          ) : post.status === "draft" ? (
            <button type="button" className="st-button st-button--primary" onClick={() => void mutate.submit()} disabled={busy !== null || reviewPending}>
              {reviewPending ? "Waiting for review" : "Submit for review"}
            </button>
          ) : null}
        </div>
      </div>

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
          <button type="button" className="st-button" onClick={() => void exportMarkdown()}>
            Download it as Markdown
          </button>
        </div>
      ) : null}
      {autosave.offer ? (
        <div className="st-banner" role="alert" data-testid="restore-offer">
          <p>
            Changes you made on this device {hydrated ? `at ${clockTime(autosave.offer.savedAt)} ` : ""}were never saved to the server
            {autosave.offer.draft.title ? ` (“${autosave.offer.draft.title}”)` : ""}. Restore them to continue where you left off.
          </p>
          <div className="st-inline-buttons">
            <button
              type="button"
              className="st-button st-button--primary"
              onClick={() => {
                const entry = autosave.restoreOffer();
                if (entry) load(entry.draft);
              }}
            >
              Restore my changes
            </button>
            <ConfirmButton
              label="Discard them"
              confirmLabel="Discard unsaved changes"
              question="Throw away the changes kept on this device?"
              onConfirm={() => autosave.discardOffer()}
            />
          </div>
        </div>
      ) : null}
      {remote && !conflict ? (
        <div className="st-banner" role="status" data-testid="remote-change">
          <p>
            A newer version of this draft was saved elsewhere at {clockTime(remote.updatedAt)}. Your changes aren't lost: when they save, you'll
            choose which version to keep.
          </p>
          <button type="button" className="st-button" onClick={() => void autosave.flush()}>
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
          <label htmlFor="post-title" className="st-visually-hidden">
            Title
          </label>
          <input
            id="post-title"
            className="st-title-input"
            placeholder="Title"
            value={draft.title}
            readOnly={!editable}
            {...fieldProps(FIELDS.postTitle)}
            onChange={(e) => update({ title: e.target.value })}
            data-testid="post-title"
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

        <aside className="st-side" aria-label="Post settings">
          <section className="st-panel" aria-labelledby="publish-heading">
            <h2 id="publish-heading">Publishing</h2>
            {post.status === "published" && post.publishedAt ? (
              <p>
                Published <Time ms={post.publishedAt} />.{" "}
                <a href={readerUrl} target="_blank" rel="noreferrer" data-testid="reader-link">
                  View ↗
                </a>
                {post.hasUnpublishedChanges ? <span className="st-muted"> Edits stay in the draft until you update.</span> : null}
              </p>
            ) : null}
            {post.status === "scheduled" && post.scheduledAt ? (
              <p data-testid="scheduled-for">
                Scheduled for <Time ms={post.scheduledAt} />.
              </p>
            ) : null}
            {canPublish && (post.status === "draft" || post.status === "scheduled") ? (
              <ScheduleForm scheduledAt={post.scheduledAt ?? null} busy={busy !== null} onSchedule={(at) => void mutate.schedule(at)} onUnschedule={post.status === "scheduled" ? () => void mutate.unschedule() : undefined} />
            ) : null}
            {canPublish ? (
              <div className="st-inline-buttons">
                {post.status === "published" || post.status === "scheduled" ? (
                  <button type="button" className="st-button" onClick={() => void mutate.unpublish()} disabled={busy !== null}>
                    Unpublish
                  </button>
                ) : null}
                {post.status !== "archived" ? (
                  <ConfirmButton label="Archive" confirmLabel="Archive post" question="Take this post off the site and archive it?" className="st-button" disabled={busy !== null} onConfirm={() => void mutate.archive()} />
                ) : null}
                <ConfirmButton
                  label="Delete"
                  confirmLabel="Delete post"
                  question="Delete this post, its drafts and its history for good?"
                  disabled={busy !== null}
                  onConfirm={() => void mutate.remove()}
                />
              </div>
            ) : (
              <p className="st-muted">{post.status === "draft" ? "An editor publishes your post after review." : "Editors handle this post now that it left the drafts."}</p>
            )}
          </section>

          <section className="st-panel" aria-labelledby="details-heading">
            <h2 id="details-heading">Details</h2>
            <SlugField siteId={siteId} postId={postId} siteSlug={site.slug} slug={post.slug} everPublished={post.publishedAt !== undefined} disabled={!editable} />
            <div className="st-field">
              <label htmlFor="post-excerpt">Excerpt</label>
              <textarea
                id="post-excerpt"
                rows={3}
                {...fieldProps(FIELDS.postExcerpt)}
                value={draft.excerpt}
                readOnly={!editable}
                placeholder={publicExcerpt(post.featured, undefined, plainText(draft.doc)) || "A short summary for lists and feeds (written for you from the text if left empty)."}
                onChange={(e) => update({ excerpt: e.target.value })}
                aria-describedby="post-excerpt-hint public-teaser"
              />
              <small className="st-hint" id="post-excerpt-hint">
                {post.featured
                  ? "Left empty, a short teaser from the opening is used (at most a third of the text, never the last paragraph); the rest stays for subscribers."
                  : "Left empty, the start of the text is used."}
              </small>
              {/* The same function the server stores on publish, so this is exactly what cards, feeds and search show. */}
              <p className="st-hint" id="public-teaser" data-testid="public-teaser">
                Public teaser{post.status === "published" ? " (after you update)" : ""}: {publicExcerpt(post.featured, draft.excerpt, plainText(draft.doc)) || <em>none</em>}
              </p>
            </div>
            <CategoryField
              siteId={siteId}
              postId={postId}
              categoryId={post.categoryId ?? null}
              categories={categories}
              canCreate={can(site.role, "taxonomy.manage")}
              disabled={!editable}
            />
            <TagsField siteId={siteId} postId={postId} tagIds={post.tagIds} tags={tags.page} canCreate={can(site.role, "tag.create")} disabled={!editable} />
            {edit.canFeature ? (
              <FeaturedField siteId={siteId} postId={postId} featured={post.featured} />
            ) : post.featured ? (
              <p>Featured for subscribers.</p>
            ) : can(site.role, "post.review") ? (
              <p className="st-muted">Featured posts need an active plan (Plans &amp; revenue).</p>
            ) : null}
            <CoverField siteId={siteId} postId={postId} url={edit.coverImageUrl} disabled={!editable} />
          </section>

          <details className="st-panel">
            <summary>Search engines</summary>
            <div className="st-field">
              <label htmlFor="seo-title">SEO title</label>
              <input id="seo-title" value={draft.seoTitle} {...fieldProps(FIELDS.seoTitle)} readOnly={!editable} placeholder={draft.title} onChange={(e) => update({ seoTitle: e.target.value })} />
            </div>
            <div className="st-field">
              <label htmlFor="seo-description">SEO description</label>
              <textarea id="seo-description" rows={3} {...fieldProps(FIELDS.seoDescription)} value={draft.seoDescription} readOnly={!editable} onChange={(e) => update({ seoDescription: e.target.value })} />
            </div>
          </details>

          <section className="st-panel" aria-labelledby="markdown-heading">
            <h2 id="markdown-heading">Markdown</h2>
            <div className="st-inline-buttons">
              <button type="button" className="st-button" onClick={() => void exportMarkdown()}>
                Export .md
              </button>
              <label className="st-button">
                Import .md
                <input
                  type="file"
                  accept=".md,.markdown,text/markdown,text/plain"
                  className="st-visually-hidden"
                  disabled={!editable}
                  onChange={(e) => {
                    const file = e.target.files?.[0];
                    e.target.value = "";
                    if (file) void importMarkdown(file);
                  }}
                  data-testid="import-markdown"
                />
              </label>
            </div>
            <small className="st-hint">Importing replaces the text (and the title, if the file starts with “# ”); the current text stays in the history.</small>
          </section>

          <Revisions siteId={siteId} postId={postId} current={() => draftRef.current} onRestore={restoreRevision} />
        </aside>
      </div>
      {preview ? <Preview preview={preview} onClose={() => setPreview(null)} /> : null}
    </div>
  );
}

function ScheduleForm({
  scheduledAt,
  busy,
  onSchedule,
  onUnschedule,
}: {
  scheduledAt: number | null;
  busy: boolean;
  onSchedule: (at: number) => void;
  onUnschedule?: () => void;
}) {
  const hydrated = useHydrated();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (hydrated) setValue(toLocalInput(scheduledAt ?? Date.now() + 3600_000).slice(0, 16));
  }, [hydrated, scheduledAt]);
  return (
    <div className="st-field">
      <label htmlFor="schedule-at">Publish at</label>
      <input id="schedule-at" type="datetime-local" step={1} value={value} onChange={(e) => setValue(e.target.value)} data-testid="schedule-at" />
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="st-inline-buttons">
        <button
          type="button"
          className="st-button"
          disabled={busy}
          onClick={() => {
            const at = fromLocalInput(value);
            if (at === null || at <= Date.now()) {
              setError("Pick a time in the future.");
              return;
            }
            setError(null);
            onSchedule(at);
          }}
        >
          {scheduledAt ? "Reschedule" : "Schedule"}
        </button>
        {onUnschedule ? (
          <button type="button" className="st-button" disabled={busy} onClick={onUnschedule}>
            Unschedule
          </button>
        ) : null}
      </div>
    </div>
  );
}

function SlugField({
  siteId,
  postId,
  siteSlug,
  slug,
  everPublished,
  disabled,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  siteSlug: string;
  slug: string;
  everPublished: boolean;
  disabled: boolean;
}) {
  const convex = useConvex();
  const [value, setValue] = useState(slug);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // The saved slug changed (here or elsewhere): show it unless the writer is mid-edit.
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!edited) setValue(slug);
  }, [slug, edited]);
  const problem = value && value !== slug ? slugProblem(value, "post") : null;
  // Live availability of the address being typed (debounced): posts:isSlugAvailable applies
  // changeSlug's rules, and changeSlug still has the final word.
  const settled = useDebounced(value, 300);
  const asking = value !== slug && !problem && settled === value ? value : null;
  const { data: check } = useLive(api.posts.isSlugAvailable, asking ? { siteId, postId, slug: asking } : "skip", null);
  const availability = value === slug || problem ? null : !asking || !check ? { state: "checking", text: "Checking…" } : slugVerdict(check);
  async function save() {
    if (problem || value === slug || (check && asking === value && !check.available)) return;
    setPending(true);
    setError(null);
    setNotice(null);
    try {
      await convex.mutation(api.posts.changeSlug, { siteId, postId, slug: value });
      setEdited(false);
      setNotice(everPublished ? `Address changed; /${siteSlug}/${slug} now redirects here.` : "Address changed.");
    } catch (e) {
      setError(failureMessage(e));
    } finally {
      setPending(false);
    }
  }
  return (
    <div className="st-field">
      <label htmlFor="post-slug">Address</label>
      <div className="st-inline-buttons">
        <span className="st-muted">/{siteSlug}/</span>
        <input
          id="post-slug"
          value={value}
          disabled={disabled}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={problem || error || availability?.state === "taken" || availability?.state === "reserved" ? true : undefined}
          aria-describedby="post-slug-help post-slug-check"
          onChange={(e) => {
            setEdited(true);
            setValue(e.target.value.toLowerCase());
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void save();
            }
          }}
          data-testid="post-slug"
        />
        {value !== slug ? (
          <>
            <button
              type="button"
              className="st-button"
              disabled={pending || Boolean(problem) || (availability !== null && availability.state !== "available")}
              onClick={() => void save()}
            >
              Change
            </button>
            <button
              type="button"
              className="st-button"
              onClick={() => {
                setEdited(false);
                setValue(slug);
              }}
            >
              Cancel
            </button>
          </>
        ) : null}
      </div>
      <small
        id="post-slug-check"
        className={availability && availability.state !== "available" && availability.state !== "checking" ? "st-error" : "st-hint"}
        aria-live="polite"
        data-testid="slug-availability"
        data-state={availability?.state}
      >
        {availability?.text}
        {availability && check?.suggestion && !check.available ? (
          <>
            {" "}
            <button
              type="button"
              className="st-link-button"
              onClick={() => {
                setEdited(true);
                setValue(check.suggestion!);
              }}
            >
              Use “{check.suggestion}”
            </button>
          </>
        ) : null}
      </small>
      <small id="post-slug-help" className={problem || error ? "st-error" : "st-hint"} role={problem || error ? "alert" : undefined}>
        {problem ?? error ?? notice ?? (everPublished ? "Changing it keeps the old address working (it redirects)." : "Checked for clashes while you type.")}
      </small>
    </div>
  );
}

type SlugCheck = { available: boolean; reason: "INVALID_SLUG" | "RESERVED_SLUG" | "SLUG_TAKEN" | null; redirectsToAnotherPost: boolean };

/** What the live slug check says, in words. */
function slugVerdict(check: SlugCheck): { state: "available" | "taken" | "reserved" | "invalid"; text: string } {
  if (check.available) {
    return {
      state: "available",
      text: check.redirectsToAnotherPost
        ? "Available. It is an old address of another post: once this post is published, links to that address lead here."
        : "Available",
    };
  }
  if (check.reason === "SLUG_TAKEN") return { state: "taken", text: "Taken by another post" };
  if (check.reason === "RESERVED_SLUG") return { state: "reserved", text: "Reserved for the site's own pages" };
  return { state: "invalid", text: ERROR_CODES.INVALID_SLUG };
}

function FeaturedField({ siteId, postId, featured }: { siteId: Id<"sites">; postId: Id<"posts">; featured: boolean }) {
  const convex = useConvex();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Shown at once; the live post confirms it (or the error puts it back).
  const [checked, setChecked] = useState(featured);
  useEffect(() => setChecked(featured), [featured]);
  return (
    <div className="st-field">
      <label className="st-check">
        <input
          type="checkbox"
          checked={checked}
          disabled={pending}
          onChange={async (e) => {
            const next = e.target.checked;
            setChecked(next);
            setPending(true);
            setError(null);
            try {
              await convex.mutation(api.posts.setFeatured, { siteId, postId, featured: next });
            } catch (err) {
              setChecked(!next);
              setError(failureMessage(err));
            } finally {
              setPending(false);
            }
          }}
        />
        Featured (subscribers only)
      </label>
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Cover image: uploaded straight to Convex file storage, then set on the post (live URL comes back). */
function CoverField({ siteId, postId, url, disabled }: { siteId: Id<"sites">; postId: Id<"posts">; url: string | null; disabled: boolean }) {
  const convex = useConvex();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const upload = async (file: File) => {
    setPending(true);
    setError(null);
    try {
      const storageId = await uploadToStorage(convex, siteId, file, () => {});
      await convex.mutation(api.posts.setCoverImage, { siteId, postId, storageId });
    } catch (err) {
      setError(failureMessage(err));
    } finally {
      setPending(false);
    }
  };
  return (
    <div className="st-field">
      <label htmlFor="cover-image">Cover image</label>
      {url ? <img src={url} alt="" data-testid="cover-preview" style={{ maxWidth: "100%", borderRadius: 4 }} /> : null}
      <input
        id="cover-image"
        type="file"
        accept="image/png,image/jpeg,image/webp,image/gif"
        disabled={disabled || pending}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) void upload(file);
          e.target.value = "";
        }}
      />
      {url ? (
        <button
          type="button"
          disabled={disabled || pending}
          onClick={async () => {
            setPending(true);
            try {
              await convex.mutation(api.posts.setCoverImage, { siteId, postId, storageId: null });
            } catch (err) {
              setError(failureMessage(err));
            } finally {
              setPending(false);
            }
          }}
        >
          Remove cover
        </button>
      ) : null}
      {pending ? <p className="st-muted">Uploading…</p> : null}
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Uploads an image into Convex file storage (with progress) and returns the URL the post will use. */
async function uploadImage(
  convex: ReturnType<typeof useConvex>,
  siteId: Id<"sites">,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<string> {
  const storageId = await uploadToStorage(convex, siteId, file, onProgress);
  const url = await convex.query(api.sites.getImageUrl, { siteId, storageId });
  if (!url) throw new UserFacingError("The upload failed. Please try again.");
  return url;
}

/** Uploads an image file to Convex file storage through a fresh upload URL; returns its storage id. */
async function uploadToStorage(
  convex: ReturnType<typeof useConvex>,
  siteId: Id<"sites">,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<Id<"_storage">> {
  if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) throw new UserFacingError("Use a PNG, JPEG, WebP or GIF image.");
  const uploadUrl = await convex.mutation(api.sites.generateUploadUrl, { siteId });
  return await new Promise<Id<"_storage">>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("Content-Type", file.type);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve((JSON.parse(xhr.responseText) as { storageId: Id<"_storage"> }).storageId)
        : reject(new UserFacingError("The upload failed. Please try again."));
    xhr.onerror = () => reject(new UserFacingError("The upload failed. Please check your connection."));
    xhr.send(file);
  });
}
