// The editor's side panel: publishing (schedule, unpublish, archive, delete), details (address,
// excerpt and public teaser, category, tags, featured, cover), SEO, Markdown and revisions.
import type { ReactNode } from "react";
import type { Id } from "../../../convex/_generated/dataModel";
import { excerptSourceOf, publicExcerpt } from "../../../convex/model/content";
import { FIELDS, fieldProps } from "../../../convex/shared/fields";
import { can } from "../../../convex/shared/roles";
import { ConfirmButton } from "../components";
import { Time } from "../format";
import { CoverField } from "./cover-field";
import { type CategoryOption, type EditData, type PostEditorProps, type TagOption } from "./editor-model";
import { FeaturedField } from "./featured-field";
import { Revisions } from "./revisions";
import { ScheduleForm } from "./schedule-form";
import { SlugField } from "./slug-field";
import { CategoryField, TagsField } from "./taxonomy-fields";
import type { Draft } from "./use-autosave";

/** The lifecycle actions and file/revision work the panel starts; PostEditor runs them. */
export type SettingsActions = {
  schedule: (at: number) => void;
  unschedule: () => void;
  unpublish: () => void;
  archive: () => void;
  remove: () => void;
  exportMarkdown: () => void;
  importMarkdown: (file: File) => void;
  restoreRevision: (revisionId: Id<"postRevisions">, number: number) => Promise<void>;
};

export function PostSettings({
  siteId,
  postId,
  site,
  edit,
  draft,
  current,
  editable,
  busy,
  categories,
  tags,
  update,
  actions,
  email,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  site: PostEditorProps["site"];
  edit: EditData;
  draft: Draft;
  /** This tab's latest draft (for comparing revisions). */
  current: () => Draft;
  editable: boolean;
  busy: boolean;
  categories: CategoryOption[];
  tags: TagOption[];
  update: (patch: Partial<Draft>) => void;
  actions: SettingsActions;
  /** The email panel (email-panel.tsx), below publishing, when the viewer may send this post. */
  email?: ReactNode;
}) {
  const post = edit.post;
  const canPublish = edit.canPublish;
  const readerUrl = `/${site.slug}/${post.slug}`;
  return (
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
          <ScheduleForm scheduledAt={post.scheduledAt ?? null} busy={busy} onSchedule={actions.schedule} onUnschedule={post.status === "scheduled" ? actions.unschedule : undefined} />
        ) : null}
        {canPublish ? (
          <div className="st-inline-buttons">
            {post.status === "published" || post.status === "scheduled" ? (
              <button type="button" className="st-button" onClick={actions.unpublish} disabled={busy}>
                Unpublish
              </button>
            ) : null}
            {post.status !== "archived" ? (
              <ConfirmButton label="Archive" confirmLabel="Archive post" question="Take this post off the site and archive it?" className="st-button" disabled={busy} onConfirm={actions.archive} />
            ) : null}
            <ConfirmButton
              label="Delete"
              confirmLabel="Delete post"
              question="Delete this post, its drafts and its history for good?"
              disabled={busy}
              onConfirm={actions.remove}
            />
          </div>
        ) : (
          <p className="st-muted">{post.status === "draft" ? "An editor publishes your post after review." : "Editors handle this post now that it left the drafts."}</p>
        )}
      </section>
      {email}

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
            placeholder={publicExcerpt(post.featured, undefined, excerptSourceOf(draft.doc)) || "A short summary for lists and feeds (written for you from the text if left empty)."}
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
            Public teaser{post.status === "published" ? " (after you update)" : ""}: {publicExcerpt(post.featured, draft.excerpt, excerptSourceOf(draft.doc)) || <em>none</em>}
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
        <TagsField siteId={siteId} postId={postId} tagIds={post.tagIds} tags={tags} canCreate={can(site.role, "tag.create")} disabled={!editable} />
        {edit.canFeature ? (
          <FeaturedField siteId={siteId} postId={postId} featured={post.featured} />
        ) : post.featured ? (
          <p>Featured for subscribers.</p>
        ) : can(site.role, "post.review") ? (
          <p className="st-muted">Featured posts need an active plan (Plans &amp; revenue).</p>
        ) : null}
        <CoverField siteId={siteId} postId={postId} url={edit.coverImageUrl} storageId={post.coverImageId ?? null} alt={post.coverImageAlt ?? ""} caption={post.coverImageCaption ?? ""} disabled={!editable} />
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
          <button type="button" className="st-button" onClick={actions.exportMarkdown}>
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
                if (file) actions.importMarkdown(file);
              }}
              data-testid="import-markdown"
            />
          </label>
        </div>
        <small className="st-hint">Importing replaces the text (and the title, if the file starts with “# ”); the current text stays in the history.</small>
      </section>

      <Revisions siteId={siteId} postId={postId} current={current} onRestore={actions.restoreRevision} />
    </aside>
  );
}
