/**
 * Label selectors (`metav1.LabelSelector`, apimachinery's `ValidateLabelSelector`) and node
 * selectors (`core.NodeSelector`, `ValidateNodeSelector` and its term and requirement checks),
 * with upstream's messages.
 *
 * @example Reject values with the Exists operator
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldPath } from "./field_errors.ts";
 * import { validateLabelSelector } from "./selector_validation.ts";
 *
 * const errs = validateLabelSelector(
 *   { matchExpressions: [{ key: "tier", operator: "Exists", values: ["web"] }] },
 *   { path: new FieldPath("spec").child("selector") },
 * );
 * assert.equal(
 *   errs[0]!.toString(),
 *   "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
 * );
 * ```
 *
 * @module
 */
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  invalidEach,
  required,
} from "./field_errors.ts";
import { validateLabelName, validateLabels } from "./label_validation.ts";
import { isValidLabelValue, validateDns1123Subdomain } from "./names.ts";

/** A selector requirement as decoded (label or node selector). */
export interface SelectorRequirementLike {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** A `metav1.LabelSelector` as decoded. */
export interface LabelSelectorLike {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly SelectorRequirementLike[];
}

/** A `core.NodeSelectorTerm` as decoded. */
export interface NodeSelectorTermLike {
  readonly matchExpressions?: readonly SelectorRequirementLike[];
  readonly matchFields?: readonly SelectorRequirementLike[];
}

/** A `core.NodeSelector` as decoded. */
export interface NodeSelectorLike {
  readonly nodeSelectorTerms?: readonly NodeSelectorTermLike[];
}

/** Options of the selector validators. */
export interface SelectorValidationOptions {
  /** Where the selector (or term, or requirement) sits. */
  readonly path: FieldPath;
  /**
   * Accept invalid label values in expressions (upstream allows them on update when the stored
   * object had them, and always in preferred node affinity terms).
   *
   * @default {false}
   */
  readonly allowInvalidLabelValue?: boolean;
}

function valueErrors(
  values: readonly string[],
  options: SelectorValidationOptions,
): FieldError[] {
  if (options.allowInvalidLabelValue === true) return [];
  const p = options.path.child("values");
  return values.flatMap((v, i) =>
    invalidEach(p.index(i), { value: v, messages: isValidLabelValue(v) })
  );
}

/**
 * The operator and value-count checks of a requirement, then its key and values: shared by
 * label selectors and node selectors, which also allow `Gt` and `Lt` with a single value.
 */
function requirementErrors(
  requirement: SelectorRequirementLike,
  options: SelectorValidationOptions & { readonly gtLt: boolean },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  const values = requirement.values ?? [];
  const operator = requirement.operator;
  if (operator === "In" || operator === "NotIn") {
    if (values.length === 0) {
      errs.push(
        required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
      );
    }
  } else if (operator === "Exists" || operator === "DoesNotExist") {
    if (values.length > 0) {
      errs.push(forbidden(
        path.child("values"),
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ));
    }
  } else if (options.gtLt && (operator === "Gt" || operator === "Lt")) {
    if (values.length !== 1) {
      errs.push(required(
        path.child("values"),
        "must be specified single value when `operator` is 'Lt' or 'Gt'",
      ));
    }
  } else {
    errs.push(invalid(path.child("operator"), {
      value: operator,
      detail: "not a valid selector operator",
    }));
  }
  errs.push(...validateLabelName(requirement.key, path.child("key")));
  errs.push(...valueErrors(values, options));
  return errs;
}

/** `ValidateLabelSelectorRequirement`: the operator, its values and the key. */
export function validateLabelSelectorRequirement(
  requirement: SelectorRequirementLike,
  options: SelectorValidationOptions,
): FieldError[] {
  return requirementErrors(requirement, { ...options, gtLt: false });
}

/** `ValidateLabelSelector`: matchLabels and every matchExpressions entry; nothing if absent. */
export function validateLabelSelector(
  selector: LabelSelectorLike | null | undefined,
  options: SelectorValidationOptions,
): FieldError[] {
  if (selector === undefined || selector === null) return [];
  const { path } = options;
  const errs = validateLabels(selector.matchLabels, path.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((r, i) => {
    errs.push(...validateLabelSelectorRequirement(r, {
      ...options,
      path: path.child("matchExpressions").index(i),
    }));
  });
  return errs;
}

/** `ValidateNodeSelectorRequirement`: a matchExpressions entry of a node selector term. */
export function validateNodeSelectorRequirement(
  requirement: SelectorRequirementLike,
  options: SelectorValidationOptions,
): FieldError[] {
  return requirementErrors(requirement, { ...options, gtLt: true });
}

/**
 * `ValidateNodeFieldSelectorRequirement`: a matchFields entry, which may only select
 * `metadata.name` with In or NotIn and exactly one node name.
 */
export function validateNodeFieldSelectorRequirement(
  requirement: SelectorRequirementLike,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const values = requirement.values ?? [];
  if (requirement.operator === "In" || requirement.operator === "NotIn") {
    if (values.length !== 1) {
      errs.push(required(
        path.child("values"),
        "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
      ));
    }
  } else {
    errs.push(invalid(path.child("operator"), {
      value: requirement.operator,
      detail: "not a valid selector operator",
    }));
  }
  if (requirement.key !== "metadata.name") {
    errs.push(invalid(path.child("key"), {
      value: requirement.key,
      detail: "not a valid field selector key",
    }));
  } else {
    values.forEach((v, i) => {
      errs.push(...validateDns1123Subdomain(v, path.child("values").index(i)));
    });
  }
  return errs;
}

/** `ValidateNodeSelectorTerm`: its matchExpressions and matchFields. */
export function validateNodeSelectorTerm(
  term: NodeSelectorTermLike,
  options: SelectorValidationOptions,
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((r, j) => {
    errs.push(...validateNodeSelectorRequirement(r, {
      ...options,
      path: path.child("matchExpressions").index(j),
    }));
  });
  (term.matchFields ?? []).forEach((r, j) => {
    errs.push(...validateNodeFieldSelectorRequirement(r, path.child("matchFields").index(j)));
  });
  return errs;
}

/** `ValidateNodeSelector`: at least one term, each valid. */
export function validateNodeSelector(
  selector: NodeSelectorLike,
  options: SelectorValidationOptions,
): FieldError[] {
  const termsPath = options.path.child("nodeSelectorTerms");
  const terms = selector.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [required(termsPath, "must have at least one node selector term")];
  return terms.flatMap((term, i) =>
    validateNodeSelectorTerm(term, { ...options, path: termsPath.index(i) })
  );
}
