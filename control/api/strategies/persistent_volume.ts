/**
 * The PersistentVolume strategy (upstream `SetDefaults_PersistentVolume`,
 * `pkg/registry/core/persistentvolume/strategy.go` and `ValidatePersistentVolume*`): volumes are
 * cluster-scoped and start Pending; the spec needs access modes, a storage capacity and exactly
 * one valid source; the source and volume mode never change, node affinity only from beta to GA
 * labels.
 *
 * @module
 */
import { formatTime as rfc3339 } from "../../util/k8s_time.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import type { PersistentVolume, PersistentVolumeSpec } from "../types/core_v1_storage.ts";
import { PERSISTENT_VOLUME_SOURCE_NAMES } from "../types/core_v1_storage.ts";
import type { KubeObject } from "../types/meta_v1.ts";
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
import { FIELD_IMMUTABLE, validateImmutableField } from "../validation/immutable.ts";
import { isDns1123Subdomain } from "../validation/names.ts";
import { parseQuantity, validatePositiveQuantityValue } from "../validation/resource_names.ts";
import { validateNodeSelector } from "../validation/selector_validation.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import { describeChange } from "./_describe_change.ts";
import { validatePersistentVolumeSource } from "./_pv_sources.ts";
import type { Strategy } from "./strategy.ts";

/** The annotation older clients set mount options with. */
export const MOUNT_OPTIONS_ANNOTATION = "volume.beta.kubernetes.io/mount-options";

/** Sources whose plugins support mount options (upstream `checkMountOption`). */
const MOUNT_OPTION_SOURCES = [
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "glusterfs",
  "nfs",
  "rbd",
  "quobyte",
  "iscsi",
  "cinder",
  "cephfs",
  "azureFile",
  "vsphereVolume",
  "azureDisk",
  "photonPersistentDisk",
  "local",
  "csi",
] as const;

/** Beta topology labels and the GA labels node affinity may be updated to. */
const BETA_TO_GA_LABELS: Readonly<Record<string, string>> = {
  "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
  "beta.kubernetes.io/os": "kubernetes.io/os",
  "beta.kubernetes.io/arch": "kubernetes.io/arch",
  "beta.kubernetes.io/instance-type": "node.kubernetes.io/instance-type",
};

function validateCapacity(spec: PersistentVolumeSpec, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const capacity = spec.capacity ?? {};
  const names = Object.keys(capacity);
  const capPath = p.child("capacity");
  if (names.length === 0) errs.push(required(capPath));
  if (!("storage" in capacity) || names.length > 1) {
    errs.push(notSupported(capPath, { value: capacity, supported: ["storage"] }));
  }
  for (const [name, value] of Object.entries(capacity)) {
    const q = parseQuantity(value);
    if (q !== null && q.value() < 0n) {
      errs.push(invalid(capPath.index(name), {
        value: Number(q.value()),
        detail: "must be a valid resource quantity",
      }));
    }
    errs.push(...validatePositiveQuantityValue(value, capPath.index(name)));
  }
  return errs;
}

/** `ValidatePersistentVolumeSpec` (not inline), for the volume named `pvName`. */
export function validatePersistentVolumeSpec(
  spec: PersistentVolumeSpec,
  pvName: string,
): FieldError[] {
  const p = new FieldPath("spec");
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(required(p.child("accessModes")));
  if (modes.includes("ReadWriteOncePod") && modes.some((m) => m !== "ReadWriteOncePod")) {
    errs.push(
      forbidden(p.child("accessModes"), "may not use ReadWriteOncePod with other access modes"),
    );
  }
  errs.push(...validateCapacity(spec, p));
  let hasNodeAffinity = false;
  if (spec.nodeAffinity !== undefined) {
    hasNodeAffinity = true;
    const ap = p.child("nodeAffinity");
    if (spec.nodeAffinity.required !== undefined) {
      errs.push(
        ...validateNodeSelector(spec.nodeAffinity.required, { path: ap.child("required") }),
      );
    } else {
      errs.push(required(ap.child("required"), "must specify required node constraints"));
    }
  }
  errs.push(...validatePersistentVolumeSource(spec, { pvName, path: p, hasNodeAffinity }));
  const hostPath = spec.hostPath?.path;
  if (
    hostPath !== undefined && hostPath.replace(/\/+/g, "/").replace(/(.)\/$/, "$1") === "/" &&
    spec.persistentVolumeReclaimPolicy === "Recycle"
  ) {
    errs.push(forbidden(
      p.child("persistentVolumeReclaimPolicy"),
      "may not be 'recycle' for a hostPath mount of '/'",
    ));
  }
  if (spec.storageClassName) {
    errs.push(...invalidEach(p.child("storageClassName"), {
      value: spec.storageClassName,
      messages: isDns1123Subdomain(spec.storageClassName),
    }));
  }
  return errs;
}

function mountOptionErrors(pv: PersistentVolume): FieldError[] {
  const spec = pv.spec ?? {};
  if (MOUNT_OPTION_SOURCES.some((s) => spec[s] !== undefined)) return [];
  if (pv.metadata?.annotations?.[MOUNT_OPTIONS_ANNOTATION] === undefined) return [];
  return [forbidden(
    new FieldPath("metadata").child("annotations").child(MOUNT_OPTIONS_ANNOTATION),
    "may not specify mount options for this volume type",
  )];
}

function sourceOf(spec: PersistentVolumeSpec | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of PERSISTENT_VOLUME_SOURCE_NAMES) {
    if (spec?.[name] !== undefined) out[name] = spec[name];
  }
  return out;
}

type AffinityTerms = { matchExpressions?: { key: string }[] }[];

function termsOf(affinity: unknown): AffinityTerms {
  const a = affinity as { required?: { nodeSelectorTerms?: AffinityTerms } } | undefined;
  return a?.required?.nodeSelectorTerms ?? [];
}

/** `old` with the keys the new affinity moved from a beta label to its GA label updated. */
function maskBetaLabels(affinity: unknown, old: unknown): unknown {
  const newTerms = termsOf(affinity);
  const copy: unknown = structuredClone(old);
  termsOf(copy).forEach((term, i) => {
    term.matchExpressions?.forEach((req, j) => {
      const newKey = newTerms[i]?.matchExpressions?.[j]?.key;
      if (newKey !== undefined && BETA_TO_GA_LABELS[req.key] === newKey) req.key = newKey;
    });
  });
  return copy;
}

/** `ValidatePersistentVolumeUpdate`, beyond the checks of a new volume. */
export function validatePersistentVolumeUpdate(
  pv: PersistentVolume,
  old: PersistentVolume,
): FieldError[] {
  const errs: FieldError[] = [];
  const newSource = sourceOf(pv.spec);
  const oldSource = sourceOf(old.spec);
  // A CSI volume may gain a controllerExpandSecretRef.
  if (old.spec?.csi?.controllerExpandSecretRef === undefined && pv.spec?.csi !== undefined) {
    const { controllerExpandSecretRef: _drop, ...csi } = pv.spec.csi;
    newSource.csi = csi;
  }
  if (!semanticEqual(newSource, oldSource)) {
    errs.push(forbidden(
      new FieldPath("spec").child("persistentvolumesource"),
      `spec.persistentvolumesource is immutable after creation\n${
        describeChange(oldSource, newSource)
      }`,
    ));
  }
  errs.push(
    ...validateImmutableField(pv.spec?.volumeMode, {
      old: old.spec?.volumeMode,
      path: "volumeMode",
    }),
  );
  if (old.spec?.nodeAffinity !== undefined) {
    const masked = maskBetaLabels(pv.spec?.nodeAffinity, old.spec.nodeAffinity);
    if (!semanticEqual(pv.spec?.nodeAffinity, masked)) {
      errs.push(printedError("nodeAffinity", {
        type: "invalid",
        text: JSON.stringify(pv.spec?.nodeAffinity ?? null),
        detail: `${FIELD_IMMUTABLE}, except for updating from beta label to GA`,
      }));
    }
  }
  return errs;
}

/**
 * Prepares a write through `persistentvolumes/status` (the strategy's `prepareForStatusUpdate`):
 * the stored spec is kept (by the handler) and a phase change stamps
 * `status.lastPhaseTransitionTime`.
 */
export function preparePersistentVolumeStatusUpdate(
  pv: PersistentVolume,
  options: { readonly old: PersistentVolume; readonly now: number },
): void {
  if (pv.status?.phase !== options.old.status?.phase) {
    pv.status = { ...pv.status, lastPhaseTransitionTime: rfc3339(options.now) };
  }
}

/** Options of {@linkcode createPersistentVolumeStrategy}. */
export interface PersistentVolumeStrategyOptions {
  /** The clock stamping `status.lastPhaseTransitionTime`. @default {systemClock} */
  readonly clock?: Clock;
}

/** The PersistentVolume strategy, with an injectable clock. */
export function createPersistentVolumeStrategy(
  options: PersistentVolumeStrategyOptions = {},
): Strategy {
  const clock = options.clock ?? systemClock;
  return {
    default(obj: KubeObject): void {
      const pv = obj as PersistentVolume;
      const spec = pv.spec ?? (pv.spec = {});
      spec.persistentVolumeReclaimPolicy ??= "Retain";
      spec.volumeMode ??= "Filesystem";
      if (pv.status !== undefined) pv.status.phase ??= "Pending";
    },
    prepareForCreate(obj: KubeObject): void {
      const pv = obj as PersistentVolume;
      pv.status = { phase: "Pending", lastPhaseTransitionTime: rfc3339(clock.now()) };
      // VolumeAttributesClass is off by default in v1.33.
      if (pv.spec) delete pv.spec.volumeAttributesClassName;
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject): void {
      const pv = obj as PersistentVolume;
      const before = old as PersistentVolume;
      if (before.status === undefined) delete pv.status;
      else pv.status = before.status;
      if (pv.spec && before.spec?.volumeAttributesClassName === undefined) {
        delete pv.spec.volumeAttributesClassName;
      }
    },
    validate(obj: KubeObject): FieldError[] {
      const pv = obj as PersistentVolume;
      return [
        ...validatePersistentVolumeSpec(pv.spec ?? {}, pv.metadata?.name ?? ""),
        ...mountOptionErrors(pv),
      ];
    },
    validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
      return validatePersistentVolumeUpdate(obj as PersistentVolume, old as PersistentVolume);
    },
    prepareForStatusUpdate(obj: KubeObject, old: KubeObject): void {
      preparePersistentVolumeStatusUpdate(obj as PersistentVolume, {
        old: old as PersistentVolume,
        now: clock.now(),
      });
    },
    validateStatusUpdate(obj: KubeObject): FieldError[] {
      return (obj as PersistentVolume).metadata?.resourceVersion
        ? []
        : [required("resourceVersion")];
    },
  };
}

/** The PersistentVolume strategy on the system clock. */
export const persistentVolumeStrategy: Strategy = createPersistentVolumeStrategy();
