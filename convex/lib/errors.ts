import { ConvexError, type Value } from "convex/values";
import type { AppErrorData, ErrorCode } from "../shared/errors";
import { checkField, type TextRule } from "../shared/fields";

/**
 * An expected failure, thrown as a ConvexError whose data carries a stable code (see
 * shared/errors.ts) and, for form errors, the field. Never put secrets or personal data in `extra`.
 */
export function appError(code: ErrorCode, extra: Omit<AppErrorData, "code"> = {}): ConvexError<Value> {
  return new ConvexError({ code, ...extra } as unknown as Value);
}

/**
 * `raw` normalised by its field rule (convex/shared/fields.ts), the rule the forms check too.
 * @throws ConvexError INVALID_ARGUMENT `{ field, message }` (the rule's copy, or `message`) when it breaks the rule.
 */
export function cleanField(rule: TextRule, raw: string, field: string, message?: string): string {
  const check = checkField(rule, raw);
  if (!check.ok) throw appError("INVALID_ARGUMENT", { field, message: message ?? check.message });
  return check.value;
}
