/**
 * Paths inside a volume or a container (`validatePathNoBacksteps`, `validateLocalDescendingPath`,
 * `validateLocalNonReservedPath` of core validation): relative, and never stepping out with
 * `..`. Only `/` separates path elements, as on the Linux API server upstream runs on.
 *
 * @example Reject a path that steps out
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateLocalDescendingPath } from "./local_paths.ts";
 *
 * assert.deepEqual(validateLocalDescendingPath("data/config", "subPath"), []);
 * assert.equal(
 *   validateLocalDescendingPath("../etc", "subPath")[0]!.toString(),
 *   `subPath: Invalid value: "../etc": must not contain '..'`,
 * );
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalid } from "./field_errors.ts";

/** `validatePathNoBacksteps`: no `..` element (one error, however many there are). */
export function validatePathNoBacksteps(value: string, path: FieldPath | string): FieldError[] {
  return value.split("/").includes("..")
    ? [invalid(path, { value, detail: "must not contain '..'" })]
    : [];
}

/** `validateLocalDescendingPath`: a relative path without `..` elements. */
export function validateLocalDescendingPath(value: string, path: FieldPath | string): FieldError[] {
  const errs: FieldError[] = [];
  if (value.startsWith("/")) {
    errs.push(invalid(path, { value, detail: "must be a relative path" }));
  }
  errs.push(...validatePathNoBacksteps(value, path));
  return errs;
}

/** `validateLocalNonReservedPath`: a descending path that does not start with `..` either. */
export function validateLocalNonReservedPath(
  value: string,
  path: FieldPath | string,
): FieldError[] {
  const errs = validateLocalDescendingPath(value, path);
  if (value.startsWith("..") && !value.startsWith("../")) {
    errs.push(invalid(path, { value, detail: "must not start with '..'" }));
  }
  return errs;
}
