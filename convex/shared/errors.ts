// Error codes that Convex functions throw (as ConvexError data `{ code, ... }`) and the copy the
// app shows for each. Codes are stable API; messages may change.

export const ERROR_CODES = {
  UNAUTHENTICATED: "Please sign in to continue.",
  FORBIDDEN: "You don't have permission to do that.",
  NOT_FOUND: "That doesn't exist, or you can't see it.",
  INVALID_ARGUMENT: "Some of the information you entered isn't valid.",
  INVALID_SLUG: "Use lowercase letters, numbers and single hyphens.",
  RESERVED_SLUG: "That address is reserved. Please choose another.",
  SLUG_TAKEN: "That address is already in use.",
  CONFLICT: "This post was changed somewhere else. Review both versions before saving.",
  INVALID_STATE: "That action isn't possible right now.",
  NO_ACTIVE_PLAN: "Create an active plan before marking posts as featured.",
  USER_INACTIVE: "This account has been deactivated.",
  LAST_OWNER: "A site must keep at least one owner.",
  DOCUMENT_TOO_LARGE: "This post is too long to save.",
  INVALID_CREDENTIALS: "Wrong email or password.",
  INVALID_CODE: "That code is wrong or has expired. Request a new one.",
  RATE_LIMITED: "Too many attempts. Please try again later.",
  REAUTH_REQUIRED: "Please sign in again to confirm it's you.",
  DOMAIN_CHECK_FAILED: "We couldn't check the domain's DNS right now. Please try again in a few minutes.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The data every ConvexError thrown by Pressroom carries. */
export type AppErrorData = { code: ErrorCode; message?: string; field?: string; [extra: string]: unknown };

/** Copy for an error code, for codes we know; a generic line otherwise. */
export function errorMessage(code: string | undefined): string {
  return (code && (ERROR_CODES as Record<string, string>)[code]) ?? "An unexpected error occurred, please try again.";
}
