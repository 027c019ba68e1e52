/**
 * Helpers of the replicated workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet): the spec
 * and template to validate when a client sent none (Kubernetes validates the zero value, after
 * defaulting), the selector checks they share, and the status counter checks.
 *
 * @module
 */
import type { PodTemplateSpec } from "../types/core_v1_pod.ts";
import type { KubeObject, LabelSelector } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid, required } from "../validation/field_errors.ts";
import { goLabelSelector, invalidGo } from "../validation/go_format.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";

/**
 * The spec to validate: the object's own, or, when it has none, a defaulted empty one (and
 * `absent`, so the caller reports the required fields the schema could not).
 */
export function specForValidation<S extends object>(
  spec: S | undefined,
  defaulter: (spec: S) => void,
): { spec: S; absent: boolean } {
  if (spec !== undefined) return { spec, absent: false };
  const empty = {} as S;
  defaulter(empty);
  return { spec: empty, absent: true };
}

/**
 * The template to validate: the spec's own; a defaulted empty one when the whole spec was
 * missing (as Kubernetes validates the zero value); none when only the template is missing (the
 * schema already reports it as required).
 */
export function templateForValidation(
  template: PodTemplateSpec | undefined,
  specAbsent: boolean,
): PodTemplateSpec | undefined {
  if (template !== undefined) return template;
  return specAbsent ? emptyTemplate() : undefined;
}

/** A defaulted template with nothing set, the value Kubernetes validates for a missing one. */
export function emptyTemplate(): PodTemplateSpec {
  const template: PodTemplateSpec = {};
  defaultPodTemplateSpec(template);
  return template;
}

/** True for a selector with neither matchLabels nor matchExpressions. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length +
      (selector.matchExpressions ?? []).length === 0;
}

const SELECTOR = new FieldPath("spec").child("selector");

/** Options of {@linkcode validateWorkloadSelector}. */
export interface WorkloadSelectorOptions {
  /** The whole spec was missing (the selector is then required). */
  readonly absent: boolean;
  /** The word in `empty selector is invalid for <kind>` (ReplicaSets say `deployment`, as upstream). */
  readonly kind: string;
}

/**
 * The `spec.selector` checks of `ValidateDeploymentSpec`, `ValidateReplicaSetSpec` and
 * `ValidateStatefulSetSpec`: required when the spec is missing, a valid label selector, and
 * not empty.
 */
export function validateWorkloadSelector(
  selector: LabelSelector | undefined,
  options: WorkloadSelectorOptions,
): FieldError[] {
  if (selector === undefined) return options.absent ? [required(SELECTOR)] : [];
  const errs = validateLabelSelector(selector, { path: SELECTOR });
  if (isEmptySelector(selector)) {
    errs.push(invalidGo(SELECTOR, {
      value: selector,
      text: goLabelSelector(selector),
      detail: `empty selector is invalid for ${options.kind}`,
    }));
  }
  return errs;
}

/** `spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable` on a changed selector. */
export function validateSelectorUnchanged(obj: KubeObject, old: KubeObject): FieldError[] {
  const selector = (obj.spec as { selector?: LabelSelector } | undefined)?.selector;
  return validateImmutableField(selector, {
    old: (old.spec as { selector?: LabelSelector } | undefined)?.selector,
    path: SELECTOR,
    text: goLabelSelector(selector),
  });
}

/** Options of {@linkcode replicaStatusErrors}. */
export interface ReplicaStatusOptions {
  /** The stored status. */
  readonly old: Readonly<Record<string, unknown>>;
  /** Fields that must not be negative, in upstream's order. */
  readonly nonNegative: readonly string[];
  /** Counters that must not exceed `replicas`. */
  readonly notAboveReplicas: readonly string[];
  /** The message when availableReplicas exceeds readyReplicas. */
  readonly readyMessage: string;
  /** Reject a decremented collisionCount. */
  readonly collisionCount: boolean;
}

const STATUS = new FieldPath("status");

/**
 * The status rules of a ReplicaSet, which upstream's ReplicationController validation shares
 * (`ValidateReplicaSetStatus` / `ValidateReplicationControllerStatus`).
 */
export const REPLICA_SET_STATUS_RULES: Omit<ReplicaStatusOptions, "old"> = Object.freeze({
  nonNegative: Object.freeze([
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "observedGeneration",
  ]),
  notAboveReplicas: Object.freeze(["fullyLabeledReplicas", "readyReplicas", "availableReplicas"]),
  readyMessage: "cannot be greater than readyReplicas",
  collisionCount: false,
});

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

/**
 * The status checks of the replicated workloads (`ValidateDeploymentStatus`,
 * `ValidateReplicaSetStatus`, `ValidateStatefulSetStatus`): counters are not negative, not above
 * `replicas`, `availableReplicas` is not above `readyReplicas`, and `collisionCount` never goes
 * down.
 */
export function replicaStatusErrors(
  status: Readonly<Record<string, unknown>>,
  options: ReplicaStatusOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const name of options.nonNegative) {
    const v = status[name];
    if (typeof v === "number") errs.push(...validateNonnegativeField(v, STATUS.child(name)));
  }
  const replicas = num(status.replicas);
  for (const name of options.notAboveReplicas) {
    const v = num(status[name]);
    if (v > replicas) {
      errs.push(invalid(STATUS.child(name), {
        value: v,
        detail: "cannot be greater than status.replicas",
      }));
    }
  }
  const available = num(status.availableReplicas);
  if (available > num(status.readyReplicas)) {
    errs.push(invalid(STATUS.child("availableReplicas"), {
      value: available,
      detail: options.readyMessage,
    }));
  }
  if (options.collisionCount) errs.push(...collisionCountErrors(status, options.old));
  return errs;
}

/** `status.collisionCount: Invalid value: N: cannot be decremented` (`IsDecremented`). */
export function collisionCountErrors(
  status: Readonly<Record<string, unknown>>,
  old: Readonly<Record<string, unknown>>,
): FieldError[] {
  const now = status.collisionCount;
  const before = old.collisionCount;
  if (typeof before !== "number") return [];
  if (typeof now === "number" && now >= before) return [];
  return [
    invalid(STATUS.child("collisionCount"), {
      value: typeof now === "number" ? now : 0,
      detail: "cannot be decremented",
    }),
  ];
}
