// The post's cover image: uploaded to Convex file storage, then set on the post.
import { useConvex } from "convex/react";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { failureMessage } from "../errors";
import { uploadToStorage } from "./upload";

/** Cover image: uploaded straight to Convex file storage, then set on the post (live URL comes back). */
export function CoverField({ siteId, postId, url, disabled }: { siteId: Id<"sites">; postId: Id<"posts">; url: string | null; disabled: boolean }) {
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
