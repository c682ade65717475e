import { ConvexError, type Value } from "convex/values";
import type { AppErrorData, ErrorCode } from "../shared/errors";

/**
 * An expected failure, thrown as a ConvexError whose data carries a stable code (see
 * shared/errors.ts) and, for form errors, the field. Never put secrets or personal data in `extra`.
 */
export function appError(code: ErrorCode, extra: Omit<AppErrorData, "code"> = {}): ConvexError<Value> {
  return new ConvexError({ code, ...extra } as unknown as Value);
}
