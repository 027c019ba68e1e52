/**
 * Field errors of the workload strategies whose bad value prints as the real API server prints
 * it. Kubernetes validates its internal Go types and formats a non-scalar bad value with Go's
 * `%#v`, so users see `map[string]string{"app":"web"}`, `v1.LabelSelector{MatchLabels:…}` or
 * `intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}` in `kubectl` output. The helpers here
 * build that text from decoded JSON; {@linkcode invalidGo} wraps it in a {@linkcode FieldError}.
 *
 * Pointers inside structs print as Go prints them, `(*T)(nil)` or `(*T)(0xc000000000)`, with a
 * fixed stand-in address (the real one differs on every request).
 *
 * @module
 */
import { FieldError, type FieldPath } from "../validation/field_errors.ts";

/** The stand-in address of a non-nil pointer inside a struct. */
const ADDRESS = "0xc000000000";

/** A Go string literal (`%q`). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** `map[string]string{"a":"b", "c":"d"}` (keys sorted, as Go prints maps), or `(nil)`. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (m === undefined) return "map[string]string(nil)";
  const entries = Object.keys(m).sort().map((k) => `${goQuote(k)}:${goQuote(m[k]!)}`);
  return `map[string]string{${entries.join(", ")}}`;
}

/** `[]string{"a", "b"}`, or `[]string(nil)`. */
export function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return `[]string{${values.map(goQuote).join(", ")}}`;
}

/** A Go struct literal, `pkg.Type{A:1, B:"x"}`, from already formatted field texts. */
export function goStruct(type: string, fields: readonly (readonly [string, string])[]): string {
  return `${type}{${fields.map(([k, v]) => `${k}:${v}`).join(", ")}}`;
}

/** A pointer inside a struct: `(*T)(nil)` or `(*T)(0xc000000000)`. */
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
export interface SelectorLike {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** A `metav1.LabelSelector`: `v1.LabelSelector{MatchLabels:…, MatchExpressions:…}`; `null` if unset. */
export function goLabelSelector(selector: SelectorLike | undefined): string {
  if (selector === undefined) return "null";
  const exprs = selector.matchExpressions;
  const exprText = exprs === undefined
    ? "[]v1.LabelSelectorRequirement(nil)"
    : `[]v1.LabelSelectorRequirement{${
      exprs.map((e) =>
        goStruct("v1.LabelSelectorRequirement", [
          ["Key", goQuote(e.key)],
          ["Operator", goQuote(e.operator)],
          ["Values", goStringSlice(e.values)],
        ])
      ).join(", ")
    }}`;
  return goStruct("v1.LabelSelector", [
    ["MatchLabels", goStringMap(selector.matchLabels)],
    ["MatchExpressions", exprText],
  ]);
}

/** A {@linkcode FieldError} that prints its bad value from Go-formatted text. */
class GoValueFieldError extends FieldError {
  readonly #text: string;

  constructor(
    type: "invalid",
    options: { field: FieldPath | string; value: unknown; text: string; detail: string },
  ) {
    super(type, { field: options.field, value: options.value, detail: options.detail });
    this.#text = options.text;
  }

  override body(): string {
    const s = `Invalid value: ${this.#text}`;
    return this.detail ? `${s}: ${this.detail}` : s;
  }
}

/** Options of {@linkcode invalidGo}. */
export interface InvalidGoOptions {
  /** The bad value as decoded JSON (kept on the error for programmatic use). */
  readonly value: unknown;
  /** The bad value as Kubernetes prints it (see the formatters in this module). */
  readonly text: string;
  readonly detail?: string;
}

/** `field: Invalid value: <Go text>: detail`. */
export function invalidGo(path: FieldPath | string, options: InvalidGoOptions): FieldError {
  return new GoValueFieldError("invalid", {
    field: path,
    value: options.value,
    text: options.text,
    detail: options.detail ?? "",
  });
}
