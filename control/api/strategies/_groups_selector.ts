/**
 * `metav1` label selector validation (`ValidateLabelSelector`), with upstream's messages.
 *
 * @module
 */
import type { LabelSelector } from "../types/meta_v1.ts";
import {
  FieldError,
  type FieldPath,
  forbidden,
  invalid,
  required,
} from "../validation/field_errors.ts";
import { isValidLabelValue } from "../validation/names.ts";
import { validateLabelName, validateLabels } from "./_groups_checks.ts";

/** Options of {@linkcode validateLabelSelector}. */
export interface LabelSelectorValidationOptions {
  /** Where the selector is. */
  readonly path: FieldPath;
}

/** Errors in a label selector; none for an absent one. */
export function validateLabelSelector(
  selector: LabelSelector | undefined,
  options: LabelSelectorValidationOptions,
): FieldError[] {
  const path = options.path;
  if (selector === undefined || selector === null) return [];
  const errs = validateLabels(selector.matchLabels, path.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const p = path.child("matchExpressions").index(i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(
            required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(
            forbidden(
              p.child("values"),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(
          invalid(p.child("operator"), {
            value: expr.operator,
            detail: "not a valid selector operator",
          }),
        );
    }
    errs.push(...validateLabelName(expr.key, p.child("key")));
    values.forEach((v, j) => {
      for (const detail of isValidLabelValue(v)) {
        errs.push(invalid(p.child("values").index(j), { value: v, detail }));
      }
    });
  });
  return errs;
}
