/**
 * Immutable fields (`ValidateImmutableField`): a change is reported as
 * `path: Invalid value: <new>: field is immutable`, where "change" means not
 * {@linkcode semanticEqual} (nil and empty lists and maps alike).
 *
 * @example Refuse a changed selector
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateImmutableField } from "./immutable.ts";
 *
 * assert.deepEqual(validateImmutableField("b", { old: "b", path: "spec.x" }), []);
 * assert.equal(
 *   validateImmutableField("c", { old: "b", path: "spec.x" })[0]!.toString(),
 *   'spec.x: Invalid value: "c": field is immutable',
 * );
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalid } from "./field_errors.ts";
import { invalidGo } from "./go_format.ts";
import { semanticEqual } from "./semantic_equal.ts";

/** `field is immutable` (upstream `FieldImmutableErrorMsg`). */
export const FIELD_IMMUTABLE = "field is immutable";

/** Options of {@linkcode validateImmutableField}. */
export interface ImmutableFieldOptions {
  /** The stored value. */
  readonly old: unknown;
  readonly path: FieldPath | string;
  /**
   * The new value as Kubernetes prints it (see `go_format.ts`), when it is not a scalar that
   * prints as itself.
   */
  readonly text?: string;
}

/** `path: Invalid value: <value>: field is immutable` when `value` differs from `old`. */
export function validateImmutableField(
  value: unknown,
  options: ImmutableFieldOptions,
): FieldError[] {
  if (semanticEqual(value, options.old)) return [];
  return options.text === undefined
    ? [invalid(options.path, { value, detail: FIELD_IMMUTABLE })]
    : [invalidGo(options.path, { value, text: options.text, detail: FIELD_IMMUTABLE })];
}
