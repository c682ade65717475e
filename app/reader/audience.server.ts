import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { errorMessage, isErrorCode, toUserError, type ErrorCode } from "../../convex/shared/errors";
import type { ReaderClient } from "./client.server";
import type { MembershipView } from "./join-form";
import { viewerPage } from "./viewer.server";

// Members (issue #15) for reader pages: the join form's state and its errors. Convex decides
// everything (convex/audience.ts); this only asks the right question for the request's identity.

/**
 * The signed-in viewer's membership, for the join form's button. Anonymous requests never ask, so
 * their HTML stays the same for everyone (and cacheable); signed-in pages are private already.
 * The header's call (viewer.server.ts viewerPage, with the route's `postSlug` as the layout names
 * it): the request asks Convex once.
 */
export async function readerMembership(client: ReaderClient, siteSlug: string, postSlug?: string): Promise<MembershipView> {
  if (!client.signedIn) return null;
  const { standing } = await viewerPage(client, siteSlug, postSlug ? [postSlug] : []);
  return { following: standing?.emailState === "subscribed" };
}

/** Join errors travel in the confirm page's URL as a catalogue code only (never text). */
const JOIN_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["INVALID_ARGUMENT", "RATE_LIMITED", "NOT_FOUND", "INVALID_STATE"]);

/** The code to put in the URL for a failed join (`api.audience.join`), or UNEXPECTED's stand-in. */
export function joinErrorCode(error: unknown): string {
  const { code } = toUserError(error);
  return code && JOIN_ERRORS.has(code) ? code : "UNEXPECTED";
}

/** Readable text for a join error code from the URL; null for none. Unknown values read as generic. */
export function joinErrorText(code: string | null): string | null {
  if (!code) return null;
  if (code === "INVALID_ARGUMENT") return "Enter a valid email address.";
  return isErrorCode(code) && JOIN_ERRORS.has(code) ? errorMessage(code) : errorMessage(undefined);
}

/**
 * Pages opened from a signed email link: the token is a bearer credential, so no caching and no
 * Referer carrying it to other sites. Not "no-referrer": browsers then send `Origin: null` on the
 * page's own form posts, which the cross-site check (csrf.server.ts) rightly refuses.
 */
export const LINK_PAGE_HEADERS = { "Cache-Control": "private, no-store", "Referrer-Policy": "same-origin" };
