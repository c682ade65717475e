// How Convex failures reach studio users (style guide §5): ConvexError `data.code` picks the copy
// from convex/shared/errors.ts; `data.field` turns it into a field error; `data.message` is shown
// only for codes whose message is written as user copy. Isomorphic: loaders, actions and the
// browser's Convex client all go through here.
import { ERROR_CODES } from "../../convex/shared/errors";

export type FormErrors = { form?: string; fields?: Record<string, string> };

export const UNEXPECTED = "An unexpected error occurred, please try again.";

/** Codes whose `message` is copy written for the case (the model functions' field messages). */
const MESSAGE_IS_COPY = new Set(["INVALID_ARGUMENT", "INVALID_STATE"]);

export interface AppFailure {
  /** The ConvexError code, or null for anything else (network, redacted server errors). */
  code: string | null;
  field?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** The `data` of a ConvexError (by shape, so it works across bundles), or null. */
export function convexErrorData(error: unknown): Record<string, unknown> | null {
  const data = (error as { data?: unknown } | null)?.data;
  return data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
}

/** The error's code, or null. */
export function errorCode(error: unknown): string | null {
  const code = convexErrorData(error)?.code;
  return typeof code === "string" ? code : null;
}

/** A failure as people should read it. */
export function describeFailure(error: unknown): AppFailure {
  const data = convexErrorData(error);
  const code = typeof data?.code === "string" ? data.code : null;
  if (!code) return { code: null, message: UNEXPECTED };
  const copy = MESSAGE_IS_COPY.has(code) && typeof data?.message === "string" && data.message ? data.message : undefined;
  return {
    code,
    field: typeof data?.field === "string" ? data.field : undefined,
    message: copy ?? (ERROR_CODES as Record<string, string>)[code] ?? UNEXPECTED,
    data: data ?? undefined,
  };
}

/**
 * Form errors for a failed call: a field error when the server named a field the form has
 * (`fieldMap` renames server fields to form field names), otherwise a form-level error.
 */
export function formErrorsFrom(error: unknown, fieldMap: Record<string, string> = {}, formFields?: readonly string[]): FormErrors {
  const failure = describeFailure(error);
  if (failure.code === null) {
    console.error("Unexpected studio error:", error instanceof Error ? error.message : error);
  }
  const field = failure.field ? (fieldMap[failure.field] ?? failure.field) : undefined;
  if (field && (!formFields || formFields.includes(field))) return { fields: { [field]: failure.message } };
  return { form: failure.message };
}

/** A one-line message for a failed client-side call (toasts, inline notices). */
export function failureMessage(error: unknown): string {
  return describeFailure(error).message;
}
