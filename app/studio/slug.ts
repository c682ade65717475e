// Slugs as the studio suggests and pre-checks them (Convex has the final word: INVALID_SLUG,
// RESERVED_SLUG, SLUG_TAKEN).
import { MAX_SLUG_LENGTH, RESERVED_POST_SLUGS, RESERVED_SITE_SLUGS, SLUG_PATTERN } from "../../convex/shared/constants";
import { ERROR_CODES } from "../../convex/shared/errors";

/** Free text → lowercase ASCII letters and digits joined by single hyphens ("" for none). */
export function suggestSlug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, "");
}

/** The copy for a slug that cannot be used as typed, or null when its form is fine. */
export function slugProblem(slug: string, kind: "site" | "post"): string | null {
  if (!slug || slug.length > MAX_SLUG_LENGTH || !SLUG_PATTERN.test(slug)) return ERROR_CODES.INVALID_SLUG;
  const reserved: readonly string[] = kind === "site" ? RESERVED_SITE_SLUGS : RESERVED_POST_SLUGS;
  if (reserved.includes(slug)) return ERROR_CODES.RESERVED_SLUG;
  return null;
}
