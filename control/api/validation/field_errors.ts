/**
 * Field errors, as Kubernetes' `field.ErrorList`: each names a field path, a type, the bad value
 * and a detail, and prints exactly as the real API server's do, because kubectl shows them to
 * users (`spec.replicas: Invalid value: -1: must be greater than or equal to 0`).
 *
 * @example Report an invalid value
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldPath, invalid } from "./field_errors.ts";
 *
 * const err = invalid(new FieldPath("spec").child("replicas"), {
 *   value: -1,
 *   detail: "must be greater than or equal to 0",
 * });
 * assert.equal(err.toString(), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
 * ```
 *
 * @module
 */

/** The kinds of field error, with the text and the `StatusCause` reason of each. */
export const FIELD_ERROR_TYPES = {
  notFound: { text: "Not found", reason: "FieldValueNotFound" },
  required: { text: "Required value", reason: "FieldValueRequired" },
  duplicate: { text: "Duplicate value", reason: "FieldValueDuplicate" },
  invalid: { text: "Invalid value", reason: "FieldValueInvalid" },
  notSupported: { text: "Unsupported value", reason: "FieldValueNotSupported" },
  forbidden: { text: "Forbidden", reason: "FieldValueForbidden" },
  tooLong: { text: "Too long", reason: "FieldValueTooLong" },
  tooMany: { text: "Too many", reason: "FieldValueTooMany" },
  internal: { text: "Internal error", reason: "InternalError" },
  typeInvalid: { text: "Invalid value", reason: "FieldValueTypeInvalid" },
} as const;

/** One of {@linkcode FIELD_ERROR_TYPES}' keys. */
export type FieldErrorType = keyof typeof FIELD_ERROR_TYPES;

/** Marks an error that prints no value. */
const OMIT = Symbol("omit");

/**
 * A path to a field: `spec.containers[0].ports[1].containerPort`, `metadata.labels[app]`.
 * Validation makes one for every field it visits and prints only those of errors, so a path
 * holds its parent and last step and builds its text when first printed.
 */
export class FieldPath {
  #parent: FieldPath | null = null;
  /** The last step: a field name, or a list index or map key when `#indexed`. */
  #step: string | number;
  #indexed = false;
  #text: string | undefined;

  /** A path starting at `root` (e.g. `"metadata"`, `"spec"`); `""` is the object itself. */
  constructor(root: string) {
    this.#step = root;
    this.#text = root;
  }

  static #under(parent: FieldPath, step: string | number, indexed: boolean): FieldPath {
    const path = new FieldPath("");
    path.#parent = parent;
    path.#step = step;
    path.#indexed = indexed;
    path.#text = undefined;
    return path;
  }

  /** The path of field `name` under this one. */
  child(name: string): FieldPath {
    return FieldPath.#under(this, name, false);
  }

  /** The path of list item `i` (`[i]`) or map entry `key` (`[key]`). */
  index(i: number | string): FieldPath {
    return FieldPath.#under(this, i, true);
  }

  /** The path as Kubernetes prints it. */
  toString(): string {
    if (this.#text !== undefined) return this.#text;
    const parent = this.#parent!.toString();
    this.#text = this.#indexed
      ? `${parent}[${this.#step}]`
      : parent === ""
      ? String(this.#step)
      : `${parent}.${this.#step}`;
    return this.#text;
  }
}

function goQuote(s: string): string {
  // Go's %q: a double-quoted string with Go escapes; JSON's are the same for what names hold.
  return JSON.stringify(s);
}

/** Prints a bad value as Go's `%v`/`%q`/`%#v` does for the values the API reports. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) {
      return `[]string{${value.map((v) => goQuote(v as string)).join(", ")}}`;
    }
    return JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** One field error. */
export class FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value: unknown;
  readonly detail: string;

  constructor(type: FieldErrorType, options: {
    readonly field: FieldPath | string;
    readonly value?: unknown;
    readonly detail?: string;
  }) {
    this.type = type;
    this.field = String(options.field);
    this.value = "value" in options ? options.value : OMIT;
    this.detail = options.detail ?? "";
  }

  /** The `StatusCause` reason (`FieldValueInvalid`, …). */
  get reason(): string {
    return FIELD_ERROR_TYPES[this.type].reason;
  }

  /** The text after the field path: `Invalid value: -1: must be …`. */
  body(): string {
    const text = FIELD_ERROR_TYPES[this.type].text;
    let s: string;
    if (
      this.type === "required" || this.type === "forbidden" || this.type === "tooLong" ||
      this.type === "internal" || this.value === OMIT
    ) {
      s = text;
    } else {
      s = `${text}: ${formatValue(this.value)}`;
    }
    return this.detail ? `${s}: ${this.detail}` : s;
  }

  /** `field: body`, as Kubernetes prints the error. */
  toString(): string {
    return this.field ? `${this.field}: ${this.body()}` : this.body();
  }
}

/** `field: Required value`. */
export function required(path: FieldPath | string, detail = ""): FieldError {
  return new FieldError("required", { field: path, detail });
}

/** `field: Invalid value: <value>: detail`. */
export function invalid(
  path: FieldPath | string,
  options: { readonly value: unknown; readonly detail?: string },
): FieldError {
  return new FieldError("invalid", {
    field: path,
    value: options.value,
    detail: options.detail ?? "",
  });
}

/**
 * One Invalid error at `path` per message, all with the same bad value: how upstream reports
 * the problems an `Is…` check returns (`for _, msg := range IsX(v) { field.Invalid(…) }`).
 */
export function invalidEach(
  path: FieldPath | string,
  options: { readonly value: unknown; readonly messages: readonly string[] },
): FieldError[] {
  return options.messages.map((detail) => invalid(path, { value: options.value, detail }));
}

/** `field: Unsupported value: <value>: supported values: "a", "b"`. */
export function notSupported(
  path: FieldPath | string,
  options: { readonly value: unknown; readonly supported: readonly string[] },
): FieldError {
  const detail = options.supported.length
    ? `supported values: ${options.supported.map(goQuote).join(", ")}`
    : "";
  return new FieldError("notSupported", { field: path, value: options.value, detail });
}

/** `field: Duplicate value: <value>`. */
export function duplicate(path: FieldPath | string, value: unknown): FieldError {
  return new FieldError("duplicate", { field: path, value });
}

/** `field: Forbidden: detail`. */
export function forbidden(path: FieldPath | string, detail: string): FieldError {
  return new FieldError("forbidden", { field: path, detail });
}

/** `field: Too long: may not be more than N bytes`. */
export function tooLong(path: FieldPath | string, maxLength: number): FieldError {
  return new FieldError("tooLong", {
    field: path,
    detail: `may not be more than ${maxLength} bytes`,
  });
}

/** `field: Too many: <count>: must have at most N items`. */
export function tooMany(
  path: FieldPath | string,
  options: { readonly actual: number; readonly max: number },
): FieldError {
  return new FieldError("tooMany", {
    field: path,
    value: options.actual,
    detail: `must have at most ${options.max} items`,
  });
}

/** `field: Not found: <value>`. */
export function notFound(path: FieldPath | string, value: unknown): FieldError {
  return new FieldError("notFound", { field: path, value });
}

/** The message of an Invalid Status: `Kind.group "name" is invalid: err` or `[err1, err2]`. */
export function invalidMessage(
  qualifiedKind: string,
  options: { readonly name: string; readonly errors: readonly FieldError[] },
): string {
  const errs = options.errors.map((e) => e.toString());
  const list = errs.length === 1 ? errs[0] : `[${errs.join(", ")}]`;
  return `${qualifiedKind} ${goQuote(options.name)} is invalid: ${list}`;
}
