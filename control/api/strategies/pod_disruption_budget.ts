/**
 * The PodDisruptionBudget strategy (`policy/v1`): `ValidatePodDisruptionBudget` (minAvailable
 * or maxUnavailable, not both; each a non-negative integer or a percentage up to 100%; a valid
 * selector) and `ValidatePodDisruptionBudgetStatusUpdate`. The spec may change after creation.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetSpec } from "../types/policy_v1.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  invalid,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { goPointer, goStruct, invalidGo } from "../validation/go_format.ts";
import { validateLabelName } from "../validation/label_validation.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import { isNotMoreThan100Percent, SPEC, validatePositiveIntOrPercent } from "./_workload.ts";
import type { Strategy } from "./strategy.ts";

/** The spec struct as Go prints it (pointers as stand-in addresses). */
function goSpec(spec: PodDisruptionBudgetSpec): string {
  return goStruct("policy.PodDisruptionBudgetSpec", [
    ["MinAvailable", goPointer("intstr.IntOrString", spec.minAvailable !== undefined)],
    ["Selector", goPointer("v1.LabelSelector", spec.selector !== undefined)],
    ["MaxUnavailable", goPointer("intstr.IntOrString", spec.maxUnavailable !== undefined)],
    [
      "UnhealthyPodEvictionPolicy",
      goPointer(
        "policy.UnhealthyPodEvictionPolicyType",
        spec.unhealthyPodEvictionPolicy !== undefined,
      ),
    ],
  ]);
}

/** Options of {@linkcode validatePodDisruptionBudgetSpec}. */
export interface PodDisruptionBudgetOptions {
  /** Accept invalid label values in the selector (an update of a budget that has them). */
  readonly allowInvalidLabelValue?: boolean;
}

/** Errors in a budget's spec (`ValidatePodDisruptionBudgetSpec`), beyond the schema's. */
export function validatePodDisruptionBudgetSpec(
  pdb: Pick<PodDisruptionBudget, "spec">,
  options: PodDisruptionBudgetOptions = {},
): FieldError[] {
  const spec = pdb.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalidGo(SPEC, {
      value: spec,
      text: goSpec(spec),
      detail: "minAvailable and maxUnavailable cannot be both set",
    }));
  }
  for (const key of ["minAvailable", "maxUnavailable"] as const) {
    const value = spec[key];
    if (value === undefined) continue;
    errs.push(...validatePositiveIntOrPercent(value, SPEC.child(key)));
    errs.push(...isNotMoreThan100Percent(value, SPEC.child(key)));
  }
  errs.push(...validateLabelSelector(spec.selector, {
    path: SPEC.child("selector"),
    allowInvalidLabelValue: options.allowInvalidLabelValue ?? false,
  }));
  return errs;
}

const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const CONDITION_REASON_ERROR =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";
const MAX_REASON_LENGTH = 1024;
const MAX_MESSAGE_LENGTH = 32 * 1024;

const STATUS = new FieldPath("status");

/** Errors in `status.conditions` (metav1 `ValidateConditions`), beyond the schema's. */
function validateConditions(pdb: PodDisruptionBudget): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (pdb.status?.conditions ?? []).forEach((c, i) => {
    const path = STATUS.child("conditions").index(i);
    if (seen.has(c.type)) errs.push(duplicate(path.child("type"), c.type));
    else seen.add(c.type);
    errs.push(...validateLabelName(c.type, path.child("type")));
    if ((c.observedGeneration ?? 0) < 0) {
      errs.push(invalid(path.child("observedGeneration"), {
        value: c.observedGeneration,
        detail: "must be greater than or equal to zero",
      }));
    }
    if (c.reason === "") {
      errs.push(required(path.child("reason"), "must be set"));
    } else {
      if (!CONDITION_REASON.test(c.reason)) {
        errs.push(
          invalid(path.child("reason"), { value: c.reason, detail: CONDITION_REASON_ERROR }),
        );
      }
      if (c.reason.length > MAX_REASON_LENGTH) {
        errs.push(tooLong(path.child("reason"), MAX_REASON_LENGTH));
      }
    }
    if (c.message.length > MAX_MESSAGE_LENGTH) {
      errs.push(tooLong(path.child("message"), MAX_MESSAGE_LENGTH));
    }
  });
  return errs;
}

/** Errors in a write of a budget's status (`ValidatePodDisruptionBudgetStatusUpdate`). */
export function validatePodDisruptionBudgetStatus(pdb: PodDisruptionBudget): FieldError[] {
  const status = pdb.status;
  const errs = validateConditions(pdb);
  for (
    const key of ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"] as const
  ) {
    errs.push(...validateNonnegativeField(status?.[key], STATUS.child(key)));
  }
  return errs;
}

/** The PodDisruptionBudget strategy. */
export const podDisruptionBudgetStrategy: Strategy = {
  prepareForCreate(obj: KubeObject): void {
    // The zero PodDisruptionBudgetStatus: these four counts have no omitempty.
    (obj as PodDisruptionBudget).status = {
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
    };
  },
  validate(obj: KubeObject): FieldError[] {
    return validatePodDisruptionBudgetSpec(obj as Pick<PodDisruptionBudget, "spec">);
  },
  validateStatusUpdate(obj: KubeObject): FieldError[] {
    return validatePodDisruptionBudgetStatus(obj as PodDisruptionBudget);
  },
};
