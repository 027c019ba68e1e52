/**
 * Checks of numeric fields and their messages, as upstream words them (`IsNegativeErrorMsg`,
 * `InclusiveRangeError`, `ValidateNonnegativeField`, …).
 *
 * @example Reject a negative count
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateNonnegativeField } from "./numbers.ts";
 *
 * assert.equal(
 *   validateNonnegativeField(-1, "spec.replicas")[0]!.toString(),
 *   "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
 * );
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalid } from "./field_errors.ts";

/** `must be greater than or equal to 0` (upstream `isNegativeErrorMsg`). */
export const IS_NEGATIVE_ERROR = "must be greater than or equal to 0";
/** `must be greater than zero` (upstream `isNotPositiveErrorMsg`). */
export const IS_NOT_POSITIVE_ERROR = "must be greater than zero";
/** `must be an integer` (upstream `isNotIntegerErrorMsg`). */
export const IS_NOT_INTEGER_ERROR = "must be an integer";

/** `must be between lo and hi, inclusive` (upstream `InclusiveRangeError`). */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/**
 * `ValidateNonnegativeField`: `path: Invalid value: -1: must be greater than or equal to 0` for
 * a negative number; nothing for an absent one.
 */
export function validateNonnegativeField(
  value: number | undefined,
  path: FieldPath | string,
): FieldError[] {
  return value !== undefined && value < 0
    ? [invalid(path, { value, detail: IS_NEGATIVE_ERROR })]
    : [];
}
