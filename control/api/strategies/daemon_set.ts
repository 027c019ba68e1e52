/**
 * The DaemonSet strategy (`apps/v1`): `SetDefaults_DaemonSet`, `ValidateDaemonSet`, the apps/v1
 * selector immutability, `ValidateDaemonSetStatusUpdate`, and the template generation that
 * apps/v1 carries in the `deprecated.daemonset.template.generation` annotation: 1 on create,
 * +1 on every template change, never set by clients.
 *
 * @module
 */
import type {
  DaemonSet,
  DaemonSetSpec,
  DaemonSetUpdateStrategy,
  RollingUpdateDaemonSet,
} from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, required } from "../validation/field_errors.ts";
import { goIntOrString, goLabelSelector, invalidGo } from "../validation/go_format.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import { zeroValueEqual } from "../validation/semantic_equal.ts";
import {
  dnsLabelNameWarning,
  intOrPercentValue,
  isNotMoreThan100Percent,
  SPEC,
  validatePositiveIntOrPercent,
  validateReplicaTemplate,
} from "./_workload.ts";
import {
  collisionCountErrors,
  isEmptySelector,
  specForValidation,
  templateForValidation,
  validateSelectorUnchanged,
} from "./_workload_replicas.ts";
import { parseLabelSelector, Selector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

/** The annotation holding a DaemonSet's template generation in apps/v1. */
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

function defaultDaemonSetSpec(spec: DaemonSetSpec): void {
  const strategy = spec.updateStrategy ??= {};
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = strategy.rollingUpdate ??= {};
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
}

/** Applies the apps/v1 DaemonSet defaults (`SetDefaults_DaemonSet`) and the pod template's. */
export function defaultDaemonSet(daemonSet: Pick<DaemonSet, "spec">): void {
  if (daemonSet.spec !== undefined) defaultDaemonSetSpec(daemonSet.spec);
}

function validateRollingUpdate(ru: RollingUpdateDaemonSet, path: FieldPath): FieldError[] {
  const maxUnavailable = ru.maxUnavailable ?? 0;
  const maxSurge = ru.maxSurge ?? 0;
  const unavailablePath = path.child("maxUnavailable");
  const surgePath = path.child("maxSurge");
  const errs = [
    ...validatePositiveIntOrPercent(maxUnavailable, unavailablePath),
    ...validatePositiveIntOrPercent(maxSurge, surgePath),
    ...isNotMoreThan100Percent(maxUnavailable, unavailablePath),
    ...isNotMoreThan100Percent(maxSurge, surgePath),
  ];
  const hasUnavailable = intOrPercentValue(maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(maxSurge) !== 0;
  if (hasUnavailable && hasSurge) {
    errs.push(invalidGo(surgePath, {
      value: maxSurge,
      text: goIntOrString(maxSurge),
      detail: "may not be set when maxUnavailable is non-zero",
    }));
  } else if (!hasUnavailable && !hasSurge) {
    errs.push(required(unavailablePath, "cannot be 0 when maxSurge is 0"));
  }
  return errs;
}

function validateUpdateStrategy(strategy: DaemonSetUpdateStrategy | undefined): FieldError[] {
  const path = SPEC.child("updateStrategy");
  if (strategy?.type !== "RollingUpdate") return [];
  if (strategy.rollingUpdate === undefined) return [required(path.child("rollingUpdate"))];
  return validateRollingUpdate(strategy.rollingUpdate, path.child("rollingUpdate"));
}

/** Errors in a DaemonSet's spec (`ValidateDaemonSetSpec`), beyond what the schema checks. */
export function validateDaemonSetSpec(daemonSet: Pick<DaemonSet, "spec">): FieldError[] {
  const { spec, absent } = specForValidation(daemonSet.spec, defaultDaemonSetSpec);
  const selectorPath = SPEC.child("selector");
  const errs = validateLabelSelector(spec.selector, { path: selectorPath });
  if (spec.selector === undefined && absent) errs.unshift(required(selectorPath));
  const template = templateForValidation(spec.template, absent);
  const parsed = parseLabelSelector(spec.selector);
  const emptyErrs = spec.selector !== undefined && isEmptySelector(spec.selector)
    ? [invalidGo(selectorPath, {
      value: spec.selector,
      text: goLabelSelector(spec.selector),
      detail: "empty selector is invalid for daemonset",
    })]
    : [];
  if (template === undefined) {
    errs.push(...emptyErrs);
  } else {
    // A selector that cannot be parsed skips the label match but not the template checks.
    errs.push(...validateReplicaTemplate(template, {
      selector: parsed.selector ?? new Selector([]),
      path: SPEC.child("template"),
      kind: "DaemonSet",
      afterLabelMatch: emptyErrs,
    }));
  }
  errs.push(...validateNonnegativeField(spec.minReadySeconds, SPEC.child("minReadySeconds")));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  errs.push(
    ...validateNonnegativeField(spec.revisionHistoryLimit, SPEC.child("revisionHistoryLimit")),
  );
  return errs;
}

function templateGeneration(obj: KubeObject): number {
  const raw = obj.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return raw !== undefined && /^[0-9]+$/.test(raw) ? Number(raw) : 0;
}

function setTemplateGeneration(obj: KubeObject, generation: number): void {
  const metadata = obj.metadata ??= {};
  const annotations = metadata.annotations ??= {};
  annotations[TEMPLATE_GENERATION_ANNOTATION] = String(generation);
}

const STATUS = new FieldPath("status");

const STATUS_COUNTERS = [
  "currentNumberScheduled",
  "numberMisscheduled",
  "desiredNumberScheduled",
  "numberReady",
  "observedGeneration",
  "updatedNumberScheduled",
  "numberAvailable",
  "numberUnavailable",
  "collisionCount",
] as const;

/** The DaemonSet strategy. */
export const daemonSetStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultDaemonSet(obj as Pick<DaemonSet, "spec">);
  },
  prepareForCreate(obj: KubeObject): void {
    // The zero DaemonSetStatus: these four counts have no omitempty.
    (obj as DaemonSet).status = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    };
    setTemplateGeneration(obj, Math.max(1, templateGeneration(obj)));
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    let generation = templateGeneration(old);
    const changed = !zeroValueEqual(
      (obj as DaemonSet).spec?.template,
      (old as DaemonSet).spec?.template,
    );
    if (changed) generation++;
    setTemplateGeneration(obj, generation);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateDaemonSetSpec(obj as Pick<DaemonSet, "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateSelectorUnchanged(obj, old);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const status: Record<string, unknown> = (obj as DaemonSet).status ?? {};
    const errs: FieldError[] = [];
    for (const name of STATUS_COUNTERS) {
      const v = status[name];
      if (typeof v === "number") errs.push(...validateNonnegativeField(v, STATUS.child(name)));
    }
    errs.push(...collisionCountErrors(status, (old as DaemonSet).status ?? {}));
    return errs;
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
