/**
 * The StatefulSet strategy (`apps/v1`): `SetDefaults_StatefulSet` (with the defaults of the
 * volume claim templates), `ValidateStatefulSet`, `ValidateStatefulSetUpdate` (only some spec
 * fields may change) and `ValidateStatefulSetStatusUpdate`. StatefulSet names must be DNS labels,
 * since they become pod hostnames.
 *
 * As upstream, the pod template is checked only for the selector match, its labels and
 * annotations, restartPolicy and activeDeadlineSeconds, not as a full pod spec. The alpha
 * `rollingUpdate.maxUnavailable` (feature MaxUnavailableStatefulSet, off in Kubernetes 1.33) is
 * dropped unless the stored object already has it.
 *
 * @module
 */
import type {
  RollingUpdateStatefulSetStrategy,
  StatefulSet,
  StatefulSetSpec,
} from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, forbidden, notSupported, required } from "../validation/field_errors.ts";
import {
  goIntOrString,
  goLabelSelector,
  goPointer,
  goStruct,
  invalidGo,
} from "../validation/go_format.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { zeroValueEqual } from "../validation/semantic_equal.ts";
import {
  clone,
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
  validateWorkloadSelector,
} from "./_workload_replicas.ts";
import { parseLabelSelector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

const RETENTION_POLICIES = ["Retain", "Delete"];

function defaultStatefulSetSpec(spec: StatefulSetSpec): void {
  spec.podManagementPolicy ||= "OrderedReady";
  const strategy = spec.updateStrategy ??= {};
  if (!strategy.type) {
    strategy.type = "RollingUpdate";
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === "RollingUpdate" && strategy.rollingUpdate !== undefined) {
    strategy.rollingUpdate.partition ??= 0;
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy ??= {};
  retention.whenDeleted ||= "Retain";
  retention.whenScaled ||= "Retain";
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
  for (const claim of spec.volumeClaimTemplates ?? []) {
    claim.apiVersion ??= "v1";
    claim.kind ??= "PersistentVolumeClaim";
    const claimSpec = claim.spec ??= {};
    claimSpec.volumeMode ??= "Filesystem";
    const status = claim.status ??= {};
    status.phase ||= "Pending";
  }
}

/**
 * Applies the apps/v1 StatefulSet defaults (`SetDefaults_StatefulSet`), the pod template's and
 * those of each volume claim template (`apiVersion`, `kind`, `volumeMode: Filesystem`,
 * `status.phase: Pending`).
 */
export function defaultStatefulSet(statefulSet: Pick<StatefulSet, "spec">): void {
  if (statefulSet.spec !== undefined) defaultStatefulSetSpec(statefulSet.spec);
}

function goRollingUpdate(ru: RollingUpdateStatefulSetStrategy): string {
  return goStruct("apps.RollingUpdateStatefulSetStrategy", [
    ["Partition", String(ru.partition ?? 0)],
    ["MaxUnavailable", goPointer("intstr.IntOrString", ru.maxUnavailable !== undefined)],
  ]);
}

function validateUpdateStrategy(spec: StatefulSetSpec): FieldError[] {
  const path = SPEC.child("updateStrategy");
  const strategy = spec.updateStrategy ?? {};
  const ru = strategy.rollingUpdate;
  const ruPath = path.child("rollingUpdate");
  const errs: FieldError[] = [];
  if (!strategy.type) {
    errs.push(required(path));
  } else if (strategy.type === "OnDelete") {
    if (ru !== undefined) {
      errs.push(invalidGo(ruPath, {
        value: ru,
        text: goRollingUpdate(ru),
        detail: "only allowed for updateStrategy 'RollingUpdate'",
      }));
    }
  } else if (ru !== undefined) {
    errs.push(...validateNonnegativeField(ru.partition, ruPath.child("partition")));
    if (ru.maxUnavailable !== undefined) {
      const maxPath = ruPath.child("maxUnavailable");
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, maxPath));
      if (intOrPercentValue(ru.maxUnavailable) === 0) {
        errs.push(invalidGo(maxPath, {
          value: ru.maxUnavailable,
          text: goIntOrString(ru.maxUnavailable),
          detail: "cannot be 0",
        }));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, maxPath));
    }
  }
  return errs;
}

/** Errors in a StatefulSet's spec (`ValidateStatefulSetSpec`), beyond what the schema checks. */
export function validateStatefulSetSpec(statefulSet: Pick<StatefulSet, "spec">): FieldError[] {
  const { spec, absent } = specForValidation(statefulSet.spec, defaultStatefulSetSpec);
  const errs: FieldError[] = [];
  if (!spec.podManagementPolicy) errs.push(required(SPEC.child("podManagementPolicy")));
  errs.push(...validateUpdateStrategy(spec));
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (retention !== undefined) {
    const path = SPEC.child("persistentVolumeClaimRetentionPolicy");
    for (const key of ["whenDeleted", "whenScaled"] as const) {
      const value = retention[key] ?? "";
      if (!RETENTION_POLICIES.includes(value)) {
        errs.push(notSupported(path.child(key), { value, supported: RETENTION_POLICIES }));
      }
    }
  }
  errs.push(...validateNonnegativeField(spec.replicas, SPEC.child("replicas")));
  errs.push(...validateNonnegativeField(spec.minReadySeconds, SPEC.child("minReadySeconds")));
  if (spec.ordinals !== undefined) {
    errs.push(
      ...validateNonnegativeField(spec.ordinals.start, SPEC.child("ordinals").child("start")),
    );
  }
  const selectorPath = SPEC.child("selector");
  errs.push(...validateWorkloadSelector(spec.selector, { absent, kind: "statefulset" }));
  const parsed = parseLabelSelector(spec.selector);
  const template = templateForValidation(spec.template, absent);
  if (parsed.selector === undefined) {
    errs.push(invalidGo(selectorPath, {
      value: spec.selector,
      text: goLabelSelector(spec.selector),
    }));
  } else if (template !== undefined) {
    errs.push(...validateReplicaTemplate(template, {
      selector: parsed.selector,
      path: SPEC.child("template"),
      kind: "StatefulSet",
      validatePod: false,
    }));
  }
  return errs;
}

/** The spec fields an update may change (`ValidateStatefulSetUpdate`). */
const MUTABLE_SPEC_FIELDS = [
  "replicas",
  "template",
  "updateStrategy",
  "minReadySeconds",
  "ordinals",
  "persistentVolumeClaimRetentionPolicy",
] as const;

/** Errors in an update of a StatefulSet's spec: only some fields may change. */
export function validateStatefulSetUpdate(
  statefulSet: Pick<StatefulSet, "spec">,
  old: Pick<StatefulSet, "spec">,
): FieldError[] {
  const spec: Record<string, unknown> = clone(statefulSet.spec ?? {});
  const oldSpec: Record<string, unknown> = old.spec ?? {};
  for (const key of MUTABLE_SPEC_FIELDS) {
    if (oldSpec[key] === undefined) delete spec[key];
    else spec[key] = oldSpec[key];
  }
  if (zeroValueEqual(spec, oldSpec)) return [];
  return [
    forbidden(
      SPEC,
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

function dropMaxUnavailable(obj: StatefulSet): void {
  const ru = obj.spec?.updateStrategy?.rollingUpdate;
  if (ru !== undefined) delete ru.maxUnavailable;
}

/** The StatefulSet strategy. */
export const statefulSetStrategy: Strategy = {
  nameRule: "label",
  default(obj: KubeObject): void {
    defaultStatefulSet(obj as Pick<StatefulSet, "spec">);
  },
  prepareForCreate(obj: KubeObject): void {
    // The zero StatefulSetStatus: `replicas` and `availableReplicas` have no omitempty.
    (obj as StatefulSet).status = { replicas: 0, availableReplicas: 0 };
    dropMaxUnavailable(obj as StatefulSet);
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const before = (old as StatefulSet).spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
    if (before === undefined) dropMaxUnavailable(obj as StatefulSet);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateStatefulSetSpec(obj as Pick<StatefulSet, "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateStatefulSetUpdate(obj as StatefulSet, old as StatefulSet);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const status = (obj as StatefulSet).status ?? { replicas: 0 };
    const oldStatus = (old as StatefulSet).status ?? { replicas: 0 };
    return replicaStatusErrors(status, {
      old: oldStatus,
      nonNegative: [
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
        "observedGeneration",
        "collisionCount",
      ],
      notAboveReplicas: [
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
      ],
      readyMessage: "cannot be greater than status.readyReplicas",
      collisionCount: true,
    });
  },
};
