/**
 * `storage.k8s.io/v1`: StorageClass. Field numbers from upstream
 * `k8s.io/api/storage/v1/generated.proto`.
 *
 * @module
 */
import { TopologySelectorTerm } from "./core_v1_common.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  map,
  object,
  requiredField,
  string,
} from "./schema.ts";

const STORAGE = "io.k8s.api.storage.v1";

/** The reclaim policies a PersistentVolume can have (core/v1 `PersistentVolumeReclaimPolicy`). */
export const RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"] as const;

/** The volume binding modes. */
export const VOLUME_BINDING_MODES = ["Immediate", "WaitForFirstConsumer"] as const;

/** The annotation that marks a StorageClass as the default. */
export const ANNOTATION_IS_DEFAULT_STORAGE_CLASS = "storageclass.kubernetes.io/is-default-class";

/** A StorageClass: a kind of storage volumes can be dynamically provisioned from. */
export const StorageClass = object(`${STORAGE}.StorageClass`, {
  description:
    "A class of storage, with the provisioner and parameters that dynamically provision its PersistentVolumes.",
  gvk: [{ group: "storage.k8s.io", version: "v1", kind: "StorageClass" }],
  fields: {
    ...objectFields,
    provisioner: requiredField(string(), {
      description: "The provisioner (volume plugin or CSI driver) of the class. Immutable.",
      proto: 2,
    }),
    parameters: field(map(string()), {
      description: "Parameters for the provisioner. Immutable.",
      proto: 3,
    }),
    reclaimPolicy: field(enumOf(RECLAIM_POLICIES), {
      description:
        "What happens to provisioned volumes when released: Delete (the default) or Retain. Immutable.",
      proto: 4,
      keepZero: true,
      default: "Delete",
    }),
    mountOptions: field(array(string(), { listType: "atomic" }), {
      description: 'Mount options of provisioned volumes, e.g. ["ro", "soft"]; not validated.',
      proto: 5,
    }),
    allowVolumeExpansion: field(boolean(), {
      description: "Whether claims of this class may be resized.",
      proto: 6,
      keepZero: true,
    }),
    volumeBindingMode: field(enumOf(VOLUME_BINDING_MODES), {
      description:
        "When claims are bound and provisioned: Immediate (the default) or WaitForFirstConsumer (at pod scheduling). Immutable.",
      proto: 7,
      keepZero: true,
      default: "Immediate",
    }),
    allowedTopologies: field(array(TopologySelectorTerm, { listType: "atomic" }), {
      description: "Topologies volumes may be provisioned in; empty means anywhere.",
      proto: 8,
    }),
  },
});

/** TypeScript type of {@linkcode StorageClass}. */
export type StorageClass = Infer<typeof StorageClass>;
