// The slug rule, once, for Convex (model/slugs.ts, sites.ts) and the app (studio inputs, reader
// routing): what a slug made from free text looks like, and whether a typed slug may be used.
// Convex has the final word (INVALID_SLUG, RESERVED_SLUG, SLUG_TAKEN); the app calls these only to
// suggest a slug and to say at once what the server would answer about its form.
import { MAX_SLUG_LENGTH, RESERVED_POST_SLUGS, RESERVED_SITE_SLUGS, SLUG_PATTERN } from "./constants";

export type SlugKind = "site" | "post" | "tag" | "category";

/** Free text → lowercase ASCII letters and digits joined by single hyphens ("" for none). */
export function toSlug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, "");
}

/** Words reserved per kind (routes of the platform or of a publication); tags and categories have none. */
function reservedFor(kind: SlugKind): readonly string[] {
  return kind === "site" ? RESERVED_SITE_SLUGS : kind === "post" ? RESERVED_POST_SLUGS : [];
}

/** Why a slug cannot be used as typed (its error code), or null when its form is fine. */
export function slugProblem(slug: string, kind: SlugKind): "INVALID_SLUG" | "RESERVED_SLUG" | null {
  if (!slug || slug.length > MAX_SLUG_LENGTH || !SLUG_PATTERN.test(slug)) return "INVALID_SLUG";
  if (reservedFor(kind).includes(slug)) return "RESERVED_SLUG";
  return null;
}
