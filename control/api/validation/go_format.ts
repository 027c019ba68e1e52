/**
 * Bad values printed as the real API server prints them. Kubernetes validates its internal Go
 * types, and `field.Error` formats a non-scalar bad value with Go's `%#v` (or `String()` for
 * times), so users see `map[string]string{"app":"web"}`, `v1.LabelSelector{MatchLabels:…}`,
 * `[]core.IPFamily{"IPv4"}` or `2024-01-02 03:04:05 +0000 UTC` in `kubectl` output. The
 * formatters here build that text from decoded JSON; {@linkcode printedError},
 * {@linkcode invalidGo} and {@linkcode duplicateGo} wrap it in a {@linkcode FieldError} that
 * prints it verbatim.
 *
 * Pointers inside structs print as `(*T)(nil)` or `(*T)(0xc000000000)`, with a fixed stand-in
 * address (the real one differs on every request).
 *
 * @example Report a selector the way upstream does
 * ```ts
 * import assert from "node:assert/strict";
 * import { goLabelSelector, invalidGo } from "./go_format.ts";
 *
 * const err = invalidGo("spec.selector", {
 *   text: goLabelSelector({}),
 *   detail: "empty selector is invalid for deployment",
 * });
 * assert.equal(
 *   err.toString(),
 *   "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
 * );
 * ```
 *
 * @module
 */
import {
  FIELD_ERROR_TYPES,
  FieldError,
  type FieldErrorType,
  type FieldPath,
} from "./field_errors.ts";

/** The stand-in address of a non-nil pointer inside a struct. */
const ADDRESS = "0xc000000000";

/** Go's `%q` of a string. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `%#v` of a struct, `pkg.Type{A:"x", B:1}`, from already printed field values. */
export function goStruct(type: string, fields: readonly (readonly [string, string])[]): string {
  return `${type}{${fields.map(([k, v]) => `${k}:${v}`).join(", ")}}`;
}

/**
 * Go's `%#v` of a slice of a (named) string type: `[]core.IPFamily{"IPv4", "IPv6"}`, or
 * `[]string(nil)` when absent.
 */
export function goStringSlice(type: string, values: readonly string[] | undefined): string {
  if (values === undefined) return `[]${type}(nil)`;
  return `[]${type}{${values.map(goQuote).join(", ")}}`;
}

/** Go's `%#v` of a `map[string]string`: keys sorted, as Go prints maps; `(nil)` when absent. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (m === undefined) return "map[string]string(nil)";
  const entries = Object.keys(m).sort().map((k) => `${goQuote(k)}:${goQuote(m[k]!)}`);
  return `map[string]string{${entries.join(", ")}}`;
}

/**
 * Go's `%#v` of a slice of structs, printing only whether it is nil or empty: `[]T(nil)`,
 * `[]T{}`, else `[]T{…}` (callers only reach this with nil or empty slices).
 */
export function goStructSlice(type: string, values: readonly unknown[] | undefined): string {
  if (values === undefined) return `[]${type}(nil)`;
  if (values.length === 0) return `[]${type}{}`;
  return `[]${type}{…}`;
}

/** A pointer inside a struct: `(*T)(nil)`, or `(*T)(0xc000000000)` when `present`. */
export function goPointer(type: string, present: boolean): string {
  return `(*${type})(${present ? ADDRESS : "nil"})`;
}

/** An `intstr.IntOrString`: `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`. */
export function goIntOrString(value: number | string): string {
  return typeof value === "number"
    ? goStruct("intstr.IntOrString", [["Type", "0"], ["IntVal", String(value)], ["StrVal", '""']])
    : goStruct("intstr.IntOrString", [["Type", "1"], ["IntVal", "0"], ["StrVal", goQuote(value)]]);
}

/** The JSON shape of a `metav1.LabelSelector`, as far as printing needs it. */
export interface GoLabelSelectorLike {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** A `*metav1.LabelSelector`: `v1.LabelSelector{MatchLabels:…, MatchExpressions:…}`; `null` if unset. */
export function goLabelSelector(selector: GoLabelSelectorLike | undefined): string {
  if (selector === undefined) return "null";
  const exprs = selector.matchExpressions;
  const exprText = exprs === undefined
    ? "[]v1.LabelSelectorRequirement(nil)"
    : `[]v1.LabelSelectorRequirement{${
      exprs.map((e) =>
        goStruct("v1.LabelSelectorRequirement", [
          ["Key", goQuote(e.key)],
          ["Operator", goQuote(e.operator)],
          ["Values", goStringSlice("string", e.values)],
        ])
      ).join(", ")
    }}`;
  return goStruct("v1.LabelSelector", [
    ["MatchLabels", goStringMap(selector.matchLabels)],
    ["MatchExpressions", exprText],
  ]);
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

/** A field error that prints its bad value from Go-formatted text, verbatim. */
class PrintedValueError extends FieldError {
  readonly #text: string;

  constructor(
    type: FieldErrorType,
    options: {
      readonly field: FieldPath | string;
      readonly value: unknown;
      readonly text: string;
      readonly detail: string;
    },
  ) {
    super(type, { field: options.field, value: options.value, detail: options.detail });
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
  /** The bad value as Kubernetes prints it (see the formatters in this module). */
  readonly text: string;
  /**
   * The bad value as decoded JSON, kept on {@linkcode FieldError.value} for programmatic use.
   *
   * @default {the text}
   */
  readonly value?: unknown;
  readonly detail?: string;
}

/** A field error of any type whose value prints as `text`: `field: <Type>: <text>: detail`. */
export function printedError(path: FieldPath | string, options: PrintedErrorOptions): FieldError {
  return new PrintedValueError(options.type, {
    field: path,
    value: "value" in options ? options.value : options.text,
    text: options.text,
    detail: options.detail ?? "",
  });
}

/** Options of {@linkcode invalidGo}. */
export type InvalidGoOptions = Omit<PrintedErrorOptions, "type">;

/** `field: Invalid value: <text>: detail`, with `text` printed as is. */
export function invalidGo(path: FieldPath | string, options: InvalidGoOptions): FieldError {
  return printedError(path, { ...options, type: "invalid" });
}

/** `field: Duplicate value: <text>`, with `text` printed as is. */
export function duplicateGo(path: FieldPath | string, text: string): FieldError {
  return printedError(path, { type: "duplicate", text });
}
