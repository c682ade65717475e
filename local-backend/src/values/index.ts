/**
 * Value-level building blocks of the local backend: document IDs, sort keys,
 * value ordering, validators, limits and filter evaluation.
 */
export {
  decodeDocumentId,
  encodeDocumentId,
  isDocumentId,
  newInternalId,
  type DecodedDocumentId,
} from "./ids.js";
export { decodeSortKey, encodeSortKey, encodeSortKeyValue } from "./sortKey.js";
export { compareConvexValues, compareFloat64, compareUtf8 } from "./compare.js";
export {
  displayLiteral,
  displayValidator,
  displayValue,
  formatBinarySize,
  formatJsonFloat,
  formatRustChar,
  formatRustFloat,
  formatRustString,
  sortedKeys,
  typeName,
} from "./display.js";
export { ConvexBadRequestError } from "./errors.js";
export {
  formatArgumentValidationError,
  formatReturnValidationError,
  formatSchemaValidationError,
  validateArgs,
  validateDocumentAgainstSchema,
  validateReturns,
  validateValue,
  type ValidateOptions,
} from "./validate.js";
export {
  LIMITS,
  checkDocumentForWrite,
  checkValueForTransport,
  fieldNameError,
  identifierError,
} from "./limits.js";
export {
  FilterExpression,
  evaluateExpression,
  evaluateFilter,
  parseFilterExpression,
  type FilterNode,
} from "./filter.js";
