/**
 * The Deployment strategy (`apps/v1`): upstream's `SetDefaults_Deployment`, `ValidateDeployment`,
 * the apps/v1 selector immutability of `ValidateUpdate`, and `ValidateDeploymentStatusUpdate`.
 * Annotation changes bump `metadata.generation` too, because the controller copies a
 * Deployment's annotations to its ReplicaSets.
 *
 * @example Default a Deployment
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Deployment } from "../types/apps_v1.ts";
 * import { defaultDeployment } from "./deployment.ts";
 *
 * const d: Deployment = {
 *   spec: {
 *     selector: { matchLabels: { app: "web" } },
 *     template: { metadata: { labels: { app: "web" } }, spec: { containers: [] } },
 *   },
 * };
 * defaultDeployment(d);
 * assert.equal(d.spec?.replicas, 1);
 * assert.equal(d.spec?.strategy?.rollingUpdate?.maxSurge, "25%");
 * ```
 *
 * @module
 */
import type { Deployment, DeploymentSpec, DeploymentStrategy } from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  required,
} from "../validation/field_errors.ts";
import { goIntOrString, goLabelSelector, invalidGo } from "../validation/go_format.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import {
  dnsLabelNameWarning,
  intOrPercentValue,
  isNotMoreThan100Percent,
  SPEC,
  validatePositiveIntOrPercent,
  validateReplicaTemplate,
} from "./_workload.ts";
import {
  replicaStatusErrors,
  specForValidation,
  templateForValidation,
  validateSelectorUnchanged,
  validateWorkloadSelector,
} from "./_workload_replicas.ts";
import { parseLabelSelector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

/** Applies the apps/v1 Deployment defaults (`SetDefaults_Deployment`) and the pod template's. */
export function defaultDeployment(deployment: Pick<Deployment, "spec">): void {
  const spec = deployment.spec;
  if (spec === undefined) return;
  defaultDeploymentSpec(spec);
}

function defaultDeploymentSpec(spec: DeploymentSpec): void {
  spec.replicas ??= 1;
  const strategy = spec.strategy ??= {};
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = strategy.rollingUpdate ??= {};
    ru.maxUnavailable ??= "25%";
    ru.maxSurge ??= "25%";
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
}

function validateStrategy(strategy: DeploymentStrategy | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const s = strategy ?? {};
  if (s.type === "Recreate") {
    if (s.rollingUpdate !== undefined) {
      errs.push(forbidden(
        path.child("rollingUpdate"),
        "may not be specified when strategy `type` is 'Recreate'",
      ));
    }
  } else if (s.type === "RollingUpdate") {
    const ru = s.rollingUpdate;
    const ruPath = path.child("rollingUpdate");
    if (ru === undefined) {
      errs.push(required(ruPath, "this should be defaulted and never be nil"));
    } else {
      const maxUnavailable = ru.maxUnavailable ?? 0;
      const maxSurge = ru.maxSurge ?? 0;
      errs.push(...validatePositiveIntOrPercent(maxUnavailable, ruPath.child("maxUnavailable")));
      errs.push(...validatePositiveIntOrPercent(maxSurge, ruPath.child("maxSurge")));
      if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
        errs.push(invalidGo(ruPath.child("maxUnavailable"), {
          value: maxUnavailable,
          text: goIntOrString(maxUnavailable),
          detail: "may not be 0 when `maxSurge` is 0",
        }));
      }
      errs.push(...isNotMoreThan100Percent(maxUnavailable, ruPath.child("maxUnavailable")));
    }
  }
  return errs;
}

/** Errors in a Deployment's spec (`ValidateDeploymentSpec`), beyond what the schema checks. */
export function validateDeploymentSpec(deployment: Pick<Deployment, "spec">): FieldError[] {
  const { spec, absent } = specForValidation(deployment.spec, defaultDeploymentSpec);
  const errs = validateNonnegativeField(spec.replicas, SPEC.child("replicas"));
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
    const template = templateForValidation(spec.template, absent);
    if (template !== undefined) {
      errs.push(...validateReplicaTemplate(template, {
        selector: parsed.selector,
        path: SPEC.child("template"),
        kind: "ReplicaSet",
      }));
    }
  }
  errs.push(...validateStrategy(spec.strategy, SPEC.child("strategy")));
  errs.push(...validateNonnegativeField(spec.minReadySeconds, SPEC.child("minReadySeconds")));
  errs.push(
    ...validateNonnegativeField(spec.revisionHistoryLimit, SPEC.child("revisionHistoryLimit")),
  );
  if (spec.progressDeadlineSeconds !== undefined) {
    const path = SPEC.child("progressDeadlineSeconds");
    errs.push(...validateNonnegativeField(spec.progressDeadlineSeconds, path));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid(path, {
        value: spec.progressDeadlineSeconds,
        detail: "must be greater than minReadySeconds",
      }));
    }
  }
  return errs;
}

/** The Deployment strategy. */
export const deploymentStrategy: Strategy = {
  generationIncludesAnnotations: true,
  default(obj: KubeObject): void {
    defaultDeployment(obj as Pick<Deployment, "spec">);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateDeploymentSpec(obj as Pick<Deployment, "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateSelectorUnchanged(obj, old);
  },
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject): void {
    // Upstream's deploymentStatusStrategy keeps the stored labels on status writes.
    const labels = old.metadata?.labels;
    const meta = obj.metadata ??= {};
    if (labels === undefined) delete meta.labels;
    else meta.labels = structuredClone(labels);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const status = (obj as Deployment).status ?? {};
    return replicaStatusErrors(status, {
      old: (old as Deployment).status ?? {},
      nonNegative: [
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "collisionCount",
      ],
      notAboveReplicas: ["updatedReplicas", "readyReplicas", "availableReplicas"],
      readyMessage: "cannot be greater than readyReplicas",
      collisionCount: true,
    });
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
