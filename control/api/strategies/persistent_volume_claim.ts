/**
 * The PersistentVolumeClaim strategy (upstream `SetDefaults_PersistentVolumeClaim*`,
 * `pkg/registry/core/persistentvolumeclaim/strategy.go` and `ValidatePersistentVolumeClaim*`):
 * claims start Pending; the spec needs access modes and a positive storage request; after
 * creation the spec is immutable except `volumeName` (once), the storage request of a bound claim
 * (never below the status capacity) and the storage class upgrades upstream allows.
 *
 * @module
 */
import type { PersistentVolumeClaimSpec } from "../types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { Quantity } from "../types/quantity.ts";
import {
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { printedError } from "../validation/go_format.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { isDns1123Label, validateQualifiedName } from "../validation/names.ts";
import {
  isNativeResource,
  parseQuantity,
  validateResourceQuantityValue,
} from "../validation/resource_names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import { describeChange } from "./_describe_change.ts";
import { validatePersistentVolumeClaimSpec } from "./_volume_validation.ts";
import type { Strategy } from "./strategy.ts";

/** The annotation older clients name a claim's storage class with. */
export const BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

const IMMUTABLE_SPEC =
  "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

/** Copies dataSource to dataSourceRef and back when only one is set (`NormalizeDataSources`). */
export function normalizeDataSources(spec: PersistentVolumeClaimSpec): void {
  if (spec.dataSource !== undefined && spec.dataSourceRef === undefined) {
    const { apiGroup, kind, name } = spec.dataSource;
    spec.dataSourceRef = apiGroup === undefined ? { kind, name } : { apiGroup, kind, name };
  }
  if (spec.dataSourceRef !== undefined && spec.dataSource === undefined) {
    const { apiGroup, kind, name, namespace } = spec.dataSourceRef;
    if (!namespace) {
      spec.dataSource = apiGroup === undefined ? { kind, name } : { apiGroup, kind, name };
    }
  }
}

function validateSpecExtras(spec: PersistentVolumeClaimSpec): FieldError[] {
  const errs: FieldError[] = [];
  const p = new FieldPath("spec");
  const ref = spec.dataSourceRef;
  if (ref?.namespace) {
    errs.push(...invalidEach(p.child("dataSourceRef").child("namespace"), {
      value: ref.namespace,
      messages: isDns1123Label(ref.namespace),
    }));
    if (spec.dataSource !== undefined) {
      errs.push(printedError(p, {
        type: "invalid",
        text: "spec.dataSource",
        detail: "may not be specified when dataSourceRef.namespace is specified",
      }));
    }
  } else if (spec.dataSource !== undefined && ref !== undefined) {
    const same = spec.dataSource.apiGroup === ref.apiGroup &&
      spec.dataSource.kind === ref.kind && spec.dataSource.name === ref.name;
    if (!same) {
      errs.push(printedError(p, {
        type: "invalid",
        text: "spec.dataSource",
        detail: "must match dataSourceRef",
      }));
    }
  }
  return errs;
}

/** The storage-class changes upstream lets a claim make after creation. */
function storageClassUpgrade(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim) {
  const oldAnnotations = old.metadata?.annotations ?? {};
  const newAnnotations = pvc.metadata?.annotations ?? {};
  const oldClass = old.spec?.storageClassName;
  const newClass = pvc.spec?.storageClassName;
  const oldSc = oldAnnotations[BETA_STORAGE_CLASS_ANNOTATION];
  const newSc = newAnnotations[BETA_STORAGE_CLASS_ANNOTATION];
  const fromAnnotation = oldSc !== undefined && oldClass === undefined &&
    newClass !== undefined && newClass === oldSc && (newSc === undefined || newSc === oldSc);
  const fromNil = newClass !== undefined && oldClass === undefined &&
    (oldSc === undefined || newClass === oldSc);
  return { fromAnnotation, fromNil, oldSc, newSc };
}

function storageOf(list: Readonly<Record<string, string>> | undefined): Quantity {
  return parseQuantity(list?.["storage"]) ?? new Quantity(0n);
}

/** `ValidatePersistentVolumeClaimUpdate`, beyond the checks of a new claim. */
export function validatePersistentVolumeClaimUpdate(
  pvc: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs: FieldError[] = [];
  const newSpec: Record<string, unknown> = structuredClone(pvc.spec ?? {});
  const oldSpec: Record<string, unknown> = structuredClone(old.spec ?? {});
  if (!old.spec?.volumeName) oldSpec.volumeName = newSpec.volumeName;
  const upgrade = storageClassUpgrade(pvc, old);
  if (upgrade.fromAnnotation) {
    delete newSpec.storageClassName;
  } else {
    if ((upgrade.newSc ?? "") !== (upgrade.oldSc ?? "")) {
      errs.push(invalid(
        new FieldPath("metadata").child("annotations").child(BETA_STORAGE_CLASS_ANNOTATION),
        { value: upgrade.newSc ?? "", detail: "field is immutable" },
      ));
    }
    if (upgrade.fromNil) newSpec.storageClassName = oldSpec.storageClassName;
  }
  const bound = pvc.status?.phase === "Bound";
  const resources = newSpec.resources as { requests?: Record<string, string> } | undefined;
  if (bound && resources?.requests !== undefined) {
    const oldStorage = old.spec?.resources?.requests?.["storage"];
    if (oldStorage === undefined) delete resources.requests["storage"];
    else resources.requests["storage"] = oldStorage;
  }
  if (bound && newSpec.volumeAttributesClassName !== undefined) {
    newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!semanticEqual(newSpec, oldSpec)) {
    errs.push(forbidden("spec", `${IMMUTABLE_SPEC}\n${describeChange(oldSpec, newSpec)}`));
  }
  const newSize = storageOf(pvc.spec?.resources?.requests);
  const oldSize = storageOf(old.spec?.resources?.requests);
  const statusSize = storageOf(old.status?.capacity);
  // RecoverVolumeExpansionFailure is on by default in v1.33: shrinking is allowed down to
  // (but not to or below) the capacity recorded in the status.
  if (newSize.cmp(oldSize) < 0 && newSize.cmp(statusSize) <= 0) {
    errs.push(forbidden(
      new FieldPath("spec").child("resources").child("requests").child("storage"),
      "field can not be less than status.capacity",
    ));
  }
  errs.push(
    ...validateImmutableField(pvc.spec?.volumeMode, {
      old: old.spec?.volumeMode,
      path: "volumeMode",
    }),
  );
  return errs;
}

function validateClaimResourceKey(key: string, path: FieldPath): FieldError[] {
  const errs = validateQualifiedName(key, path);
  if (errs.length) return errs;
  if (isNativeResource(key) && key !== "storage") {
    return [notSupported(path, { value: key, supported: ["storage"] })];
  }
  return [];
}

/** `ValidatePersistentVolumeClaimStatusUpdate`. */
export function validatePersistentVolumeClaimStatus(pvc: PersistentVolumeClaim): FieldError[] {
  const errs: FieldError[] = [];
  if (!pvc.metadata?.resourceVersion) errs.push(required("resourceVersion"));
  // Upstream spells this path with a capital S.
  if ((pvc.spec?.accessModes ?? []).length === 0) errs.push(required("Spec.accessModes"));
  const status = new FieldPath("status");
  for (const [name, value] of Object.entries(pvc.status?.capacity ?? {})) {
    const q = parseQuantity(value);
    if (q !== null && q.value() < 0n) {
      errs.push(invalid(status.child("capacity").index(name), {
        value: Number(q.value()),
        detail: "must be a valid resource quantity",
      }));
    }
  }
  const resizePath = status.child("allocatedResourceStatus");
  for (const key of Object.keys(pvc.status?.allocatedResourceStatuses ?? {})) {
    errs.push(...validateClaimResourceKey(key, resizePath));
  }
  const allocPath = status.child("allocatedResources");
  for (const [name, value] of Object.entries(pvc.status?.allocatedResources ?? {})) {
    const keyErrs = validateClaimResourceKey(name, allocPath);
    if (keyErrs.length) {
      errs.push(...keyErrs);
      continue;
    }
    const q = parseQuantity(value);
    if (q !== null && q.value() < 0n) {
      errs.push(invalid(allocPath.index(name), {
        value: Number(q.value()),
        detail: "must be a valid resource quantity",
      }));
    } else {
      errs.push(...validateResourceQuantityValue(value, {
        name: "storage",
        path: allocPath.index(name),
      }));
    }
  }
  return errs;
}

/** The strategy of `persistentvolumeclaims`. */
export const persistentVolumeClaimStrategy: Strategy = {
  default(obj: KubeObject): void {
    const pvc = obj as PersistentVolumeClaim;
    const spec = pvc.spec ?? (pvc.spec = {});
    spec.volumeMode ??= "Filesystem";
    if (pvc.status !== undefined) pvc.status.phase ??= "Pending";
  },
  prepareForCreate(obj: KubeObject): void {
    const pvc = obj as PersistentVolumeClaim;
    pvc.status = { phase: "Pending" };
    const spec = pvc.spec ?? (pvc.spec = {});
    // VolumeAttributesClass is off by default in v1.33.
    delete spec.volumeAttributesClassName;
    normalizeDataSources(spec);
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const pvc = obj as PersistentVolumeClaim;
    const before = old as PersistentVolumeClaim;
    if (before.status === undefined) delete pvc.status;
    else pvc.status = before.status;
    const spec = pvc.spec ?? (pvc.spec = {});
    if (before.spec?.volumeAttributesClassName === undefined) {
      delete spec.volumeAttributesClassName;
    }
    normalizeDataSources(spec);
  },
  validate(obj: KubeObject): FieldError[] {
    const pvc = obj as PersistentVolumeClaim;
    const spec = pvc.spec ?? {};
    return [
      ...validatePersistentVolumeClaimSpec(spec, new FieldPath("spec")),
      ...validateSpecExtras(spec),
    ];
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validatePersistentVolumeClaimUpdate(
      obj as PersistentVolumeClaim,
      old as PersistentVolumeClaim,
    );
  },
  validateStatusUpdate(obj: KubeObject): FieldError[] {
    return validatePersistentVolumeClaimStatus(obj as PersistentVolumeClaim);
  },
};
