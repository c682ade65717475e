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
  INVALID_LINK: "This link is not valid. Use the latest link from one of our emails.",
  DOMAIN_CHECK_FAILED: "We couldn't check the domain's DNS right now. Please try again in a few minutes.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The data every ConvexError thrown by Pressroom carries. */
export type AppErrorData = { code: ErrorCode; message?: string; field?: string; [extra: string]: unknown };

/** What people see for anything we cannot read: never the error's own text (it may hold internals). */
export const UNEXPECTED_MESSAGE = "An unexpected error occurred, please try again.";

/**
 * THE rule for what is safe to show: the codes whose `message` is copy written for the case (the
 * model's field messages, the account flows' copy). Every other code shows the catalogue's line,
 * and anything without a catalogue code shows UNEXPECTED_MESSAGE.
 */
const MESSAGE_IS_COPY: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["INVALID_ARGUMENT", "INVALID_STATE", "REAUTH_REQUIRED"]);

/** Whether `code` is in the catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The `data` object of a ConvexError (read by shape, so it works across bundles and the wire), or null. */
export function errorData(error: unknown): Record<string, unknown> | null {
  const data = (error as { data?: unknown } | null)?.data;
  return data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
}

/** The catalogue code a thrown value carries, or null (plain errors, network failures, unknown codes). */
export function errorCodeOf(error: unknown): ErrorCode | null {
  const code = errorData(error)?.code;
  return isErrorCode(code) ? code : null;
}

/**
 * An error thrown by app code with copy written for people (a client-side check such as "Use a PNG,
 * JPEG, WebP or GIF image."); toUserError shows its message. Anything else a plain Error carries
 * may be internal and is never shown.
 */
export class UserFacingError extends Error {
  /** Read by shape in toUserError, so it survives bundling twice. */
  readonly userFacing = true;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "UserFacingError";
  }
}

/** A thrown value as people should read it: `field` makes it a form field error. */
export interface UserError {
  /** The catalogue code, or null for anything else (shown as UNEXPECTED_MESSAGE). */
  code: ErrorCode | null;
  field?: string;
  message: string;
  /** The ConvexError's data, for callers that act on extra fields (CONFLICT's draft, retryAfterMs). */
  data?: Record<string, unknown>;
}

/** THE one way to turn any thrown value (ConvexError with a code, a UserFacingError, anything else) into user text. */
export function toUserError(error: unknown): UserError {
  const own = error as { userFacing?: unknown; message?: unknown; field?: unknown } | null;
  if (own?.userFacing === true && typeof own.message === "string" && own.message) {
    return { code: "INVALID_ARGUMENT", field: typeof own.field === "string" && own.field ? own.field : undefined, message: own.message };
  }
  const data = errorData(error);
  const code = isErrorCode(data?.code) ? data.code : null;
  if (!code) return { code: null, message: UNEXPECTED_MESSAGE };
  const copy = MESSAGE_IS_COPY.has(code) && typeof data?.message === "string" && data.message ? data.message : undefined;
  return {
    code,
    field: typeof data?.field === "string" && data.field ? data.field : undefined,
    message: copy ?? ERROR_CODES[code],
    data: data ?? undefined,
  };
}

/** Copy for an error code, for codes we know; a generic line otherwise. */
export function errorMessage(code: string | undefined): string {
  return isErrorCode(code) ? ERROR_CODES[code] : UNEXPECTED_MESSAGE;
}
