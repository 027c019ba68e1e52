/**
 * Label selectors as the workload kinds use them: apimachinery's `LabelSelectorAsSelector`
 * (matching, the errors of a selector that cannot be built, and the string form used in a
 * Scale's `status.selector`). Validation of selectors is in `validation/selector_validation.ts`.
 *
 * @module
 */
import type { LabelSelector } from "../types/meta_v1.ts";
import { isQualifiedName, isValidLabelValue } from "../validation/names.ts";

/** One requirement of a parsed selector. */
interface Requirement {
  readonly key: string;
  readonly op: "=" | "in" | "notin" | "exists" | "!";
  readonly values: readonly string[];
}

/**
 * A parsed label selector (`labels.Selector`): `null` requirements stand for "nothing" (a
 * missing selector matches no object), an empty list for "everything".
 */
export class Selector {
  readonly #requirements: readonly Requirement[] | null;

  constructor(requirements: readonly Requirement[] | null) {
    this.#requirements = requirements === null
      ? null
      : [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** True for the selector that matches everything (`{}`). */
  get empty(): boolean {
    return this.#requirements !== null && this.#requirements.length === 0;
  }

  /** Whether a set of labels satisfies every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    if (this.#requirements === null) return false;
    const set = labels ?? {};
    return this.#requirements.every((r) => {
      const has = Object.hasOwn(set, r.key);
      const value = set[r.key];
      switch (r.op) {
        case "=":
          return has && value === r.values[0];
        case "in":
          return has && r.values.includes(value!);
        case "notin":
          return !has || !r.values.includes(value!);
        case "exists":
          return has;
        case "!":
          return !has;
      }
    });
  }

  /** The query-parameter form: `app=web,tier in (a,b),!legacy`; `""` for everything/nothing. */
  toString(): string {
    if (this.#requirements === null) return "";
    return this.#requirements.map((r) => {
      switch (r.op) {
        case "=":
          return `${r.key}=${r.values[0]}`;
        case "in":
          return `${r.key} in (${r.values.join(",")})`;
        case "notin":
          return `${r.key} notin (${r.values.join(",")})`;
        case "exists":
          return r.key;
        case "!":
          return `!${r.key}`;
      }
    }).join(",");
  }
}

const OPERATORS: Readonly<Record<string, Requirement["op"]>> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/** Why a requirement cannot be built (`labels.NewRequirement`), or `null`. */
function checkRequirement(r: Requirement): string | null {
  const keyErrs = isQualifiedName(r.key);
  if (keyErrs.length) return `invalid label key ${JSON.stringify(r.key)}: ${keyErrs.join("; ")}`;
  if (r.op === "in" || r.op === "notin") {
    if (r.values.length === 0) return "for 'in', 'notin' operators, values set can't be empty";
  } else if (r.op === "exists" || r.op === "!") {
    if (r.values.length !== 0) return "values set must be empty for exists and does not exist";
  }
  for (const v of r.values) {
    const errs = isValidLabelValue(v);
    if (errs.length) return `invalid label value ${JSON.stringify(v)}: ${errs.join("; ")}`;
  }
  return null;
}

/** The result of {@linkcode parseLabelSelector}: a selector, or why it cannot be built. */
export type ParsedSelector =
  | { readonly selector: Selector; readonly error?: undefined }
  | { readonly selector?: undefined; readonly error: string };

/**
 * Turns a `metav1.LabelSelector` into a {@linkcode Selector} (`LabelSelectorAsSelector`):
 * `undefined` selects nothing, `{}` everything; a bad key, value or operator is an error.
 */
export function parseLabelSelector(selector: LabelSelector | undefined): ParsedSelector {
  if (selector === undefined) return { selector: new Selector(null) };
  const labels = selector.matchLabels ?? {};
  const exprs = selector.matchExpressions ?? [];
  const requirements: Requirement[] = [];
  for (const key of Object.keys(labels)) {
    requirements.push({ key, op: "=", values: [labels[key]!] });
  }
  for (const e of exprs) {
    const op = OPERATORS[e.operator];
    if (op === undefined) {
      return { error: `${JSON.stringify(e.operator)} is not a valid label selector operator` };
    }
    const values = op === "in" || op === "notin" ? [...(e.values ?? [])].sort() : e.values ?? [];
    requirements.push({ key: e.key, op, values });
  }
  for (const r of requirements) {
    const error = checkRequirement(r);
    if (error !== null) return { error };
  }
  return { selector: new Selector(requirements) };
}

/** The query-parameter form of a selector, `""` when it cannot be parsed (`selector.String()`). */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  return parseLabelSelector(selector).selector?.toString() ?? "";
}
