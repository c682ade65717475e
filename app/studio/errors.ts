// How Convex failures reach studio users (style guide §5): convex/shared/errors.ts toUserError is
// the one rule (catalogue copy per code, `data.message` only where it is written as copy, a generic
// line for anything else); this module only shapes its answer into form errors. Isomorphic: loaders,
// actions and the browser's Convex client all go through here.
import { errorCodeOf, errorData, toUserError, UNEXPECTED_MESSAGE, type UserError } from "../../convex/shared/errors";

export type FormErrors = { form?: string; fields?: Record<string, string> };

export const UNEXPECTED = UNEXPECTED_MESSAGE;

export type AppFailure = UserError;

/** The `data` of a ConvexError (by shape, so it works across bundles), or null. */
export const convexErrorData = errorData;

/** The error's catalogue code, or null. */
export const errorCode = errorCodeOf;

/** A failure as people should read it (convex/shared/errors.ts toUserError). */
export const describeFailure = toUserError;

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
