/**
 * Field errors whose bad value is printed the way Go's `field.Error` prints structs, slices of
 * named types and times (`%#v`, or `String()` for times): `rbac.RoleRef{APIGroup:"…", …}`,
 * `[]networking.IngressRule(nil)`, `2024-01-02 03:04:05 +0000 UTC`. Upstream's messages embed
 * these texts, so skiff builds them here and prints them verbatim.
 *
 * @module
 */
import {
  FIELD_ERROR_TYPES,
  FieldError,
  type FieldErrorType,
  type FieldPath,
} from "../validation/field_errors.ts";

/** A field error that prints `text` as its value, verbatim. */
class GoValueFieldError extends FieldError {
  readonly #text: string;

  constructor(
    type: FieldErrorType,
    options: { field: FieldPath | string; text: string; detail?: string },
  ) {
    super(type, { field: options.field, value: options.text, detail: options.detail ?? "" });
    this.#text = options.text;
  }

  override body(): string {
    const s = `${FIELD_ERROR_TYPES[this.type].text}: ${this.#text}`;
    return this.detail ? `${s}: ${this.detail}` : s;
  }
}

/** `field: Invalid value: <text>: detail`, with `text` printed as is. */
export function invalidGo(
  path: FieldPath | string,
  options: { readonly text: string; readonly detail: string },
): FieldError {
  return new GoValueFieldError("invalid", {
    field: path,
    text: options.text,
    detail: options.detail,
  });
}

/** `field: Duplicate value: <text>`, with `text` printed as is. */
export function duplicateGo(path: FieldPath | string, text: string): FieldError {
  return new GoValueFieldError("duplicate", { field: path, text });
}

/** Go's `%q` of a string. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `%#v` of a struct: `pkg.Type{A:"x", B:1}`; `fields` hold already printed values. */
export function goStruct(type: string, fields: readonly (readonly [string, string])[]): string {
  return `${type}{${fields.map(([k, v]) => `${k}:${v}`).join(", ")}}`;
}

/**
 * Go's `%#v` of a slice of (named) strings: `[]string(nil)` when absent, else
 * `[]pkg.T{"a", "b"}`.
 */
export function goStringSlice(type: string, values: readonly string[] | undefined): string {
  if (values === undefined) return `[]${type}(nil)`;
  return `[]${type}{${values.map(goQuote).join(", ")}}`;
}

/** Go's `%#v` of a slice of structs, printing only whether it is nil or how long it is. */
export function goStructSlice(type: string, values: readonly unknown[] | undefined): string {
  if (values === undefined) return `[]${type}(nil)`;
  if (values.length === 0) return `[]${type}{}`;
  // Upstream prints every struct; skiff's callers only reach here with nil or empty slices.
  return `[]${type}{…}`;
}

/** Go's `%#v` of a pointer to a scalar: `(*int64)(nil)` when absent. */
export function goPointer(type: string, value: unknown): string {
  return value === undefined || value === null ? `(*${type})(nil)` : `(*${type})(0xc000000000)`;
}

/**
 * Go's `time.Time.String()` of an RFC 3339 timestamp, in UTC (as a server running in UTC
 * prints it): `2024-01-02 03:04:05.5 +0000 UTC`; absent is Go's zero time.
 */
export function goTime(rfc3339: string | undefined): string {
  if (rfc3339 === undefined || rfc3339 === "") return "0001-01-01 00:00:00 +0000 UTC";
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/
    .exec(rfc3339);
  if (m === null) return rfc3339;
  const frac = (m[7] ?? "").padEnd(9, "0").slice(0, 9);
  let ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  const zone = m[8]!;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone[0] === "-" ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const fraction = frac.replace(/0+$/, "");
  return `${date} ${clock}${fraction ? `.${fraction}` : ""} +0000 UTC`;
}
