/**
 * The ReplicaSet strategy (`apps/v1`): `SetDefaults_ReplicaSet`, `ValidateReplicaSet`, the
 * apps/v1 selector immutability, and `ValidateReplicaSetStatusUpdate`.
 *
 * @module
 */
import type { ReplicaSet, ReplicaSetSpec } from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError } from "../validation/field_errors.ts";
import { goLabelSelector, invalidGo } from "../validation/go_format.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { dnsLabelNameWarning, SPEC, validateReplicaTemplate } from "./_workload.ts";
import {
  emptyTemplate,
  REPLICA_SET_STATUS_RULES,
  replicaStatusErrors,
  specForValidation,
  validateSelectorUnchanged,
  validateWorkloadSelector,
} from "./_workload_replicas.ts";
import { parseLabelSelector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

function defaultReplicaSetSpec(spec: ReplicaSetSpec): void {
  spec.replicas ??= 1;
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
}

/** Applies the apps/v1 ReplicaSet defaults (`SetDefaults_ReplicaSet`) and the pod template's. */
export function defaultReplicaSet(replicaSet: Pick<ReplicaSet, "spec">): void {
  if (replicaSet.spec !== undefined) defaultReplicaSetSpec(replicaSet.spec);
}

/** Errors in a ReplicaSet's spec (`ValidateReplicaSetSpec`), beyond what the schema checks. */
export function validateReplicaSetSpec(replicaSet: Pick<ReplicaSet, "spec">): FieldError[] {
  const { spec, absent } = specForValidation(replicaSet.spec, defaultReplicaSetSpec);
  const errs = validateNonnegativeField(spec.replicas, SPEC.child("replicas"));
  errs.push(...validateNonnegativeField(spec.minReadySeconds, SPEC.child("minReadySeconds")));
  const selectorPath = SPEC.child("selector");
  errs.push(...validateWorkloadSelector(spec.selector, { absent, kind: "deployment" }));
  const parsed = parseLabelSelector(spec.selector);
  if (parsed.selector === undefined) {
    errs.push(invalidGo(selectorPath, {
      value: spec.selector,
      text: goLabelSelector(spec.selector),
      detail: "invalid label selector",
    }));
  } else {
    // The template is optional in the schema; Kubernetes validates its zero value.
    errs.push(...validateReplicaTemplate(spec.template ?? emptyTemplate(), {
      selector: parsed.selector,
      path: SPEC.child("template"),
      kind: "ReplicaSet",
    }));
  }
  return errs;
}

/** The ReplicaSet strategy. */
export const replicaSetStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultReplicaSet(obj as Pick<ReplicaSet, "spec">);
  },
  prepareForCreate(obj: KubeObject): void {
    // The zero ReplicaSetStatus: `replicas` has no omitempty.
    (obj as ReplicaSet).status = { replicas: 0 };
  },
  validate(obj: KubeObject): FieldError[] {
    return validateReplicaSetSpec(obj as Pick<ReplicaSet, "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateSelectorUnchanged(obj, old);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return replicaStatusErrors((obj as ReplicaSet).status ?? {}, {
      old: (old as ReplicaSet).status ?? {},
      ...REPLICA_SET_STATUS_RULES,
    });
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
