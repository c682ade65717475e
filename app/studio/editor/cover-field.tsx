// The post's cover image: uploaded to Convex file storage, then set on the post, with its alt text
// and caption (posts.setCoverImage; FIELDS.coverAlt / coverCaption).
import { useConvex } from "convex/react";
import { useEffect, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { FIELDS, fieldProps } from "../../../convex/shared/fields";
import { failureMessage } from "../errors";
import { uploadToStorage } from "./upload";

/** The studio's warning colours (studio.css variables), for the missing-alt-text hint. */
const WARNING = { color: "var(--st-warn-fg)", background: "var(--st-warn-bg)", padding: "0.15rem 0.5rem", borderRadius: 6 } as const;

interface CoverFieldProps {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  url: string | null;
  storageId: Id<"_storage"> | null;
  alt: string;
  caption: string;
  disabled: boolean;
}

/**
 * Cover image: uploaded straight to Convex file storage, then set on the post (live URL comes back).
 * Alt text and caption save when their input loses focus. A cover without alt text gets a warning,
 * not a block: publishing stays possible, readers' screen readers then skip the image.
 */
export function CoverField({ siteId, postId, url, storageId, alt, caption, disabled }: CoverFieldProps) {
  const convex = useConvex();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [altText, setAltText] = useState(alt);
  const [captionText, setCaptionText] = useState(caption);
  // Follow the saved values (another tab, a new upload) unless the author is typing.
  useEffect(() => setAltText(alt), [alt]);
  useEffect(() => setCaptionText(caption), [caption]);
  const run = async (work: () => Promise<unknown>) => {
    setPending(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(failureMessage(err));
    } finally {
      setPending(false);
    }
  };
  const upload = (file: File) =>
    run(async () => {
      const next = await uploadToStorage(convex, siteId, file, () => {});
      // A new image starts without the old one's alt text and caption (they described the old image).
      await convex.mutation(api.posts.setCoverImage, { siteId, postId, storageId: next, alt: "", caption: "" });
    });
  const saveText = (patch: { alt?: string; caption?: string }) => {
    if (!storageId) return;
    if ((patch.alt === undefined || patch.alt === alt) && (patch.caption === undefined || patch.caption === caption)) return;
    void run(() => convex.mutation(api.posts.setCoverImage, { siteId, postId, storageId, ...patch }));
  };
  return (
    <div className="st-field">
      <label htmlFor="cover-image">Cover image</label>
      {url ? <img src={url} alt={altText} data-testid="cover-preview" style={{ maxWidth: "100%", borderRadius: 4 }} /> : null}
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
        <>
          <label htmlFor="cover-alt">Alt text</label>
          <input
            id="cover-alt"
            value={altText}
            {...fieldProps(FIELDS.coverAlt)}
            readOnly={disabled}
            aria-describedby="cover-alt-hint"
            onChange={(e) => setAltText(e.target.value)}
            onBlur={() => saveText({ alt: altText })}
          />
          <small id="cover-alt-hint" className="st-hint" style={altText.trim() ? undefined : WARNING} data-testid="cover-alt-hint">
            {altText.trim() ? "Read aloud to people who can't see the image." : "Add alt text: describe the image for people who can't see it."}
          </small>
          <label htmlFor="cover-caption">Caption (optional)</label>
          <input
            id="cover-caption"
            value={captionText}
            {...fieldProps(FIELDS.coverCaption)}
            readOnly={disabled}
            placeholder="Photo: …"
            onChange={(e) => setCaptionText(e.target.value)}
            onBlur={() => saveText({ caption: captionText })}
          />
          <button type="button" className="st-button" disabled={disabled || pending} onClick={() => void run(() => convex.mutation(api.posts.setCoverImage, { siteId, postId, storageId: null }))}>
            Remove cover
          </button>
        </>
      ) : null}
      {pending ? <p className="st-muted">Saving…</p> : null}
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
