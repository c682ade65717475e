// The post's address: typed, checked live by posts:isSlugAvailable (the server's rule), changed by
// posts:changeSlug, which has the final word.
import { useConvex } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useEffect, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { ERROR_CODES } from "../../../convex/shared/errors";
import { failureMessage } from "../errors";
import { useDebounced } from "../hooks";
import { useLive } from "../live";
import { slugProblem } from "../slug";

export function SlugField({
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

type SlugCheck = FunctionReturnType<typeof api.posts.isSlugAvailable>;

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
