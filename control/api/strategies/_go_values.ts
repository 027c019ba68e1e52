/**
 * Field errors whose bad value upstream prints with Go's `%#v` (structs, typed slices), which
 * {@linkcode FieldError} cannot render from a JSON value: the error carries the printed text.
 *
 * @module
 */
import { FIELD_ERROR_TYPES, FieldError, type FieldErrorType } from "../validation/field_errors.ts";
import type { FieldPath } from "../validation/field_errors.ts";

/** A field error printing `text` verbatim as its value. */
class PrintedValueError extends FieldError {
  readonly #text: string;

  constructor(
    type: FieldErrorType,
    options: { readonly field: FieldPath | string; readonly text: string; readonly detail: string },
  ) {
    super(type, { field: options.field, value: options.text, detail: options.detail });
    this.#text = options.text;
  }

  override body(): string {
    const s = `${FIELD_ERROR_TYPES[this.type].text}: ${this.#text}`;
    return this.detail ? `${s}: ${this.detail}` : s;
  }
}

/** Options of {@linkcode printedError}. */
export interface PrintedErrorOptions {
  readonly type: FieldErrorType;
  /** The value as Go prints it. */
  readonly text: string;
  readonly detail?: string;
}

/** A field error whose value prints as `text`. */
export function printedError(path: FieldPath | string, options: PrintedErrorOptions): FieldError {
  return new PrintedValueError(options.type, {
    field: path,
    text: options.text,
    detail: options.detail ?? "",
  });
}

/** Go's `%q` of a string. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `%#v` of a slice of a named string type: `[]core.IPFamily{"IPv4"}`. */
export function goStringSlice(type: string, values: readonly string[]): string {
  return `[]${type}{${values.map(goQuote).join(", ")}}`;
}

/** Go's `%#v` of an optional string field: `"x"` or `(*string)(nil)`. */
export function goOptionalString(value: string | undefined): string {
  return value === undefined ? "(*string)(nil)" : goQuote(value);
}
