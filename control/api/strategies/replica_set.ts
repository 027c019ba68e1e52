/**
 * The ReplicaSet strategy (`apps/v1`): `SetDefaults_ReplicaSet`, `ValidateReplicaSet`, the
 * apps/v1 selector immutability, and `ValidateReplicaSetStatusUpdate`.
 *
 * @module
 */
import type { ReplicaSet, ReplicaSetSpec } from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, required } from "../validation/field_errors.ts";
import { goLabelSelector, invalidGo } from "./_workload_go.ts";
import { parseLabelSelector, validateLabelSelector } from "./_workload_selector.ts";
import {
  emptyTemplate,
  isEmptySelector,
  replicaStatusErrors,
  specForValidation,
} from "./_workload_replicas.ts";
import {
  dnsLabelNameWarning,
  immutable,
  nonNegative,
  SPEC,
  validateReplicaTemplate,
} from "./_workload.ts";
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
  const errs = nonNegative(spec.replicas, SPEC.child("replicas"));
  errs.push(...nonNegative(spec.minReadySeconds, SPEC.child("minReadySeconds")));
  const selectorPath = SPEC.child("selector");
  if (spec.selector === undefined) {
    if (absent) errs.push(required(selectorPath));
  } else {
    errs.push(...validateLabelSelector(spec.selector, { path: selectorPath }));
    if (isEmptySelector(spec.selector)) {
      errs.push(invalidGo(selectorPath, {
        value: spec.selector,
        text: goLabelSelector(spec.selector),
        // Upstream's wording, copied from Deployments.
        detail: "empty selector is invalid for deployment",
      }));
    }
  }
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
  validate(obj: KubeObject): FieldError[] {
    return validateReplicaSetSpec(obj as Pick<ReplicaSet, "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const selector = (obj as ReplicaSet).spec?.selector;
    return immutable(selector, {
      old: (old as ReplicaSet).spec?.selector,
      path: SPEC.child("selector"),
      text: goLabelSelector(selector),
    });
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return replicaStatusErrors((obj as ReplicaSet).status ?? {}, {
      old: (old as ReplicaSet).status ?? {},
      nonNegative: [
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
      ],
      notAboveReplicas: ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
      readyMessage: "cannot be greater than readyReplicas",
      collisionCount: false,
    });
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
