// "Featured (subscribers only)": set at once, confirmed by the live post.
import { useConvex } from "convex/react";
import { useEffect, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { failureMessage } from "../errors";

export function FeaturedField({ siteId, postId, featured }: { siteId: Id<"sites">; postId: Id<"posts">; featured: boolean }) {
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
