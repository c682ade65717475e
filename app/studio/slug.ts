// The studio's words for the one slug rule (convex/shared/slugs.ts); Convex has the final word
// (INVALID_SLUG, RESERVED_SLUG, SLUG_TAKEN). No rule is written here.
import { errorMessage } from "../../convex/shared/errors";
import { slugProblem as problemOf, toSlug, type SlugKind } from "../../convex/shared/slugs";

/** Free text → the slug the server would make of it ("" for none). */
export const suggestSlug = toSlug;

/** The copy for a slug that cannot be used as typed, or null when its form is fine. */
export function slugProblem(slug: string, kind: SlugKind): string | null {
  const problem = problemOf(slug, kind);
  return problem ? errorMessage(problem) : null;
}
