/**
 * Label selectors and metadata maps as the workload kinds validate them: apimachinery's
 * `ValidateLabelSelector`, `LabelSelectorAsSelector` (matching and the string form used in a
 * Scale's `status.selector`), `ValidateLabels` and `ValidateAnnotations`, with upstream's
 * messages.
 *
 * @module
 */
import type { LabelSelector, LabelSelectorRequirement } from "../types/meta_v1.ts";
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import {
  isQualifiedName,
  isValidLabelValue,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
} from "../validation/names.ts";

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

/** Errors in a label key (`ValidateLabelName`). */
export function validateLabelName(key: string, path: FieldPath | string): FieldError[] {
  return isQualifiedName(key).map((detail) => invalid(path, { value: key, detail }));
}

/** Errors in a label map (`ValidateLabels`); keys are checked in sorted order. */
export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(key, path));
    for (const detail of isValidLabelValue(labels![key]!)) {
      errs.push(invalid(path, { value: labels![key], detail }));
    }
  }
  return errs;
}

/** Errors in an annotation map (`ValidateAnnotations`): keys and the total size. */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  for (const key of Object.keys(annotations ?? {}).sort()) {
    for (const detail of isQualifiedName(key.toLowerCase())) {
      errs.push(invalid(path, { value: key, detail }));
    }
    size += encoder.encode(key).length + encoder.encode(annotations![key]!).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  }
  return errs;
}

function validateRequirement(
  r: LabelSelectorRequirement,
  options: { path: FieldPath; allowInvalidLabelValue: boolean },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        errs.push(
          required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) {
        errs.push(
          forbidden(
            path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
      break;
    default:
      errs.push(
        invalid(path.child("operator"), {
          value: r.operator,
          detail: "not a valid selector operator",
        }),
      );
  }
  errs.push(...validateLabelName(r.key, path.child("key")));
  if (!options.allowInvalidLabelValue) {
    values.forEach((v, i) => {
      for (const detail of isValidLabelValue(v)) {
        errs.push(invalid(path.child("values").index(i), { value: v, detail }));
      }
    });
  }
  return errs;
}

/** Options of {@linkcode validateLabelSelector}. */
export interface ValidateLabelSelectorOptions {
  /** Where the selector sits (`spec.selector`). */
  readonly path: FieldPath;
  /**
   * Accept invalid label values in matchExpressions (allowed on update when the old object had
   * them).
   *
   * @default {false}
   */
  readonly allowInvalidLabelValue?: boolean;
}

/** Errors in a label selector (`ValidateLabelSelector`); nothing for a missing one. */
export function validateLabelSelector(
  selector: LabelSelector | undefined,
  options: ValidateLabelSelectorOptions,
): FieldError[] {
  if (selector === undefined) return [];
  const { path } = options;
  const errs = validateLabels(selector.matchLabels, path.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((r, i) => {
    errs.push(...validateRequirement(r, {
      path: path.child("matchExpressions").index(i),
      allowInvalidLabelValue: options.allowInvalidLabelValue ?? false,
    }));
  });
  return errs;
}
