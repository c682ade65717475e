// The draft as readers will see it: the reader's renderer made the HTML (on the server, see
// routes/studio.$siteId.preview.tsx), and it is shown with the reader's components and styles
// (reader.css, scoped to .reader), so what the writer checks here is what goes out.
import { useEffect, useRef, type CSSProperties } from "react";
import { Avatar, Byline, PremiumBadge, TagList } from "../../reader/components";
import { PAYWALLED_CLASS } from "../../reader/seo";
import type { PostCard, SiteData } from "../../reader/types";

export type PreviewData = { html: string; card: PostCard; site: SiteData; updatedAt: number };

/** Asks the preview route to render the draft as it is in the editor now (it may be unsaved). */
export async function fetchPreview(
  siteId: string,
  postId: string,
  draft: { title: string; excerpt: string; doc: string },
): Promise<PreviewData> {
  const response = await fetch(`/studio/${siteId}/preview`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ postId, title: draft.title, excerpt: draft.excerpt, doc: draft.doc }),
  });
  if (!response.ok) throw new Error(`Preview failed (${response.status})`);
  return (await response.json()) as PreviewData;
}

export function Preview({ preview, onClose }: { preview: PreviewData; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const { card: post, site } = preview;
  const style = { "--accent-light": site.accent.light, "--accent-dark": site.accent.dark } as CSSProperties;
  return (
    <div className="st-preview" role="dialog" aria-modal="true" aria-labelledby="preview-label" data-testid="preview">
      <div className="st-preview__frame">
        <div className="st-preview__bar">
          <span id="preview-label">Preview: how readers will see this draft</span>
          <button type="button" className="st-button" onClick={onClose} ref={close}>
            Close preview
          </button>
        </div>
        <div className="reader" style={style}>
          <main id="main" className="wrap main">
            <article className="post" aria-labelledby="preview-title">
              <header className="post__header">
                {post.featured ? <PremiumBadge /> : null}
                <h1 id="preview-title">{post.title}</h1>
                {post.excerpt ? <p className="lede">{post.excerpt}</p> : null}
                <div className="post__byline">
                  <Avatar name={post.authorName} image={post.authorImage} size={44} />
                  <Byline site={site} post={post} />
                </div>
              </header>
              <div
                className={`prose post__body${post.featured ? ` ${PAYWALLED_CLASS}` : ""}`}
                data-testid="preview-body"
                dangerouslySetInnerHTML={{ __html: preview.html }}
              />
              <footer className="post__footer">
                <TagList site={site} tags={post.tags} />
              </footer>
            </article>
          </main>
        </div>
      </div>
    </div>
  );
}
