/**
 * Error type for the user-caused ("bad request") failures this folder
 * raises. The Rust backend tags these with `ErrorMetadata::bad_request(code,
 * message)`; we keep the same short code so callers can classify errors,
 * while `message` carries the user-facing text unchanged.
 */
export class ConvexBadRequestError extends Error {
  /** Short machine-readable code, e.g. `EvalError`, `ValueTooLargeError`. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
