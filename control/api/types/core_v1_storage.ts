/**
 * The `core/v1` storage kinds: PersistentVolume (a piece of storage in the cluster, with the
 * sources that only volumes use) and PersistentVolumeClaim (a request for storage, whose spec
 * lives with the pod types). Field numbers, list types and patch strategies from upstream
 * `k8s.io/api/core/v1` (`types.go` protobuf tags).
 *
 * `PersistentVolumeSpec` inlines `PersistentVolumeSource` (`json:",inline"`): in JSON the
 * source fields sit directly in the spec, in protobuf they are the nested message of field 2
 * (`protoInline`).
 *
 * @module
 */
import { NodeSelector, ObjectReference, SecretReference } from "./core_v1_common.ts";
import {
  AWSElasticBlockStoreVolumeSource,
  AzureDiskVolumeSource,
  FCVolumeSource,
  FlockerVolumeSource,
  GCEPersistentDiskVolumeSource,
  HostPathVolumeSource,
  NFSVolumeSource,
  PersistentVolumeClaimSpec,
  PhotonPersistentDiskVolumeSource,
  PortworxVolumeSource,
  QuobyteVolumeSource,
  VsphereVirtualDiskVolumeSource,
} from "./core_v1_pod.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  map,
  object,
  quantity,
  requiredField,
  string,
  time,
} from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** Access modes, as upstream lists them. */
export const ACCESS_MODES = [
  "ReadOnlyMany",
  "ReadWriteMany",
  "ReadWriteOnce",
  "ReadWriteOncePod",
] as const;
/** Reclaim policies. */
export const PERSISTENT_VOLUME_RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"] as const;
/** Volume modes. */
export const VOLUME_MODES = ["Block", "Filesystem"] as const;
/** Phases of a PersistentVolume. */
export const PERSISTENT_VOLUME_PHASES = [
  "Available",
  "Bound",
  "Failed",
  "Pending",
  "Released",
] as const;
/** Phases of a PersistentVolumeClaim. */
export const PERSISTENT_VOLUME_CLAIM_PHASES = ["Bound", "Lost", "Pending"] as const;
/** Resize states of a claim's resources. */
export const CLAIM_RESOURCE_STATUSES = [
  "ControllerResizeInProgress",
  "ControllerResizeInfeasible",
  "NodeResizeInProgress",
  "NodeResizeInfeasible",
  "NodeResizePending",
] as const;
/** States of a ControllerModifyVolume operation. */
export const MODIFY_VOLUME_STATUSES = ["InProgress", "Infeasible", "Pending"] as const;

function readOnly(proto: number) {
  return field(boolean(), { description: "Mount read-only (default false).", proto });
}

function fsType(proto: number) {
  return field(string(), { description: 'Filesystem type to mount, e.g. "ext4" or "xfs".', proto });
}

// --- volume sources only PersistentVolumes use ---------------------------------------------------

/** A Glusterfs volume. */
export const GlusterfsPersistentVolumeSource = object(`${CORE}.GlusterfsPersistentVolumeSource`, {
  description: "A Glusterfs volume (deprecated, no longer supported in-tree).",
  fields: {
    endpoints: requiredField(string(), {
      description: "The Endpoints object with the Glusterfs topology.",
      proto: 1,
    }),
    path: requiredField(string(), { description: "The Glusterfs volume path.", proto: 2 }),
    readOnly: readOnly(3),
    endpointsNamespace: field(string(), {
      description: "The namespace of the endpoints; the bound claim's namespace if empty.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A Ceph RBD volume. */
export const RBDPersistentVolumeSource = object(`${CORE}.RBDPersistentVolumeSource`, {
  description: "A Rados Block Device (deprecated, no longer supported in-tree).",
  fields: {
    monitors: requiredField(array(string(), { listType: "atomic" }), {
      description: "The Ceph monitors.",
      proto: 1,
    }),
    image: requiredField(string(), { description: "The rados image name.", proto: 2 }),
    fsType: fsType(3),
    pool: field(string(), { description: "The rados pool (default rbd).", proto: 4 }),
    user: field(string(), { description: "The rados user (default admin).", proto: 5 }),
    keyring: field(string(), {
      description: "Path to the keyring of the user (default /etc/ceph/keyring).",
      proto: 6,
    }),
    secretRef: field(SecretReference, {
      description: "Secret with the user's key; overrides keyring.",
      proto: 7,
    }),
    readOnly: readOnly(8),
  },
});

/** An iSCSI disk. */
export const ISCSIPersistentVolumeSource = object(`${CORE}.ISCSIPersistentVolumeSource`, {
  description: "An iSCSI disk; mounted read-write by one node at a time.",
  fields: {
    targetPortal: requiredField(string(), {
      description: "The target portal: an IP or ip:port (default ports 860 and 3260).",
      proto: 1,
    }),
    iqn: requiredField(string(), { description: "The target iSCSI Qualified Name.", proto: 2 }),
    lun: requiredField(int32(), { description: "The target LUN number.", proto: 3 }),
    iscsiInterface: field(string(), {
      description: "The iSCSI transport interface (default 'default', tcp).",
      proto: 4,
    }),
    fsType: fsType(5),
    readOnly: readOnly(6),
    portals: field(array(string(), { listType: "atomic" }), {
      description: "More target portals.",
      proto: 7,
    }),
    chapAuthDiscovery: field(boolean(), {
      description: "Whether iSCSI discovery CHAP authentication is used.",
      proto: 8,
    }),
    chapAuthSession: field(boolean(), {
      description: "Whether iSCSI session CHAP authentication is used.",
      proto: 11,
    }),
    secretRef: field(SecretReference, {
      description: "The CHAP secret for target and initiator authentication.",
      proto: 10,
    }),
    initiatorName: field(string(), {
      description: "A custom iSCSI initiator name.",
      proto: 12,
      keepZero: true,
    }),
  },
});

/** An OpenStack Cinder volume. */
export const CinderPersistentVolumeSource = object(`${CORE}.CinderPersistentVolumeSource`, {
  description: "An OpenStack Cinder volume (deprecated; redirected to the Cinder CSI driver).",
  fields: {
    volumeID: requiredField(string(), { description: "The Cinder volume ID.", proto: 1 }),
    fsType: fsType(2),
    readOnly: readOnly(3),
    secretRef: field(SecretReference, {
      description: "Secret with the OpenStack connection parameters.",
      proto: 4,
    }),
  },
});

/** A CephFS mount. */
export const CephFSPersistentVolumeSource = object(`${CORE}.CephFSPersistentVolumeSource`, {
  description: "A Ceph filesystem mount (deprecated, no longer supported in-tree).",
  fields: {
    monitors: requiredField(array(string(), { listType: "atomic" }), {
      description: "The Ceph monitors.",
      proto: 1,
    }),
    path: field(string(), { description: "The mounted root (default /).", proto: 2 }),
    user: field(string(), { description: "The rados user (default admin).", proto: 3 }),
    secretFile: field(string(), {
      description: "Path to the user's key ring (default /etc/ceph/user.secret).",
      proto: 4,
    }),
    secretRef: field(SecretReference, {
      description: "Secret with the user's key.",
      proto: 5,
    }),
    readOnly: readOnly(6),
  },
});

/** A FlexVolume driver's volume. */
export const FlexPersistentVolumeSource = object(`${CORE}.FlexPersistentVolumeSource`, {
  description: "A volume provisioned by an exec-based FlexVolume plugin (deprecated).",
  fields: {
    driver: requiredField(string(), { description: "The driver to use.", proto: 1 }),
    fsType: fsType(2),
    secretRef: field(SecretReference, {
      description: "Secret passed to the plugin scripts.",
      proto: 3,
    }),
    readOnly: readOnly(4),
    options: field(map(string()), { description: "Extra command options.", proto: 5 }),
  },
});

/** An Azure File share. */
export const AzureFilePersistentVolumeSource = object(`${CORE}.AzureFilePersistentVolumeSource`, {
  description: "An Azure File share (deprecated; redirected to the Azure File CSI driver).",
  fields: {
    secretName: requiredField(string(), {
      description: "Secret with the storage account name and key.",
      proto: 1,
    }),
    shareName: requiredField(string(), { description: "The share name.", proto: 2 }),
    readOnly: readOnly(3),
    secretNamespace: field(string(), {
      description: "Namespace of the secret; the pod's by default.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A ScaleIO volume. */
export const ScaleIOPersistentVolumeSource = object(`${CORE}.ScaleIOPersistentVolumeSource`, {
  description: "A ScaleIO volume (deprecated, no longer supported in-tree).",
  fields: {
    gateway: requiredField(string(), {
      description: "Host address of the ScaleIO API gateway.",
      proto: 1,
    }),
    system: requiredField(string(), {
      description: "Name of the storage system.",
      proto: 2,
    }),
    secretRef: requiredField(SecretReference, {
      description: "Secret with the ScaleIO user and credentials.",
      proto: 3,
    }),
    sslEnabled: field(boolean(), {
      description: "Use SSL with the gateway (default false).",
      proto: 4,
    }),
    protectionDomain: field(string(), {
      description: "The ScaleIO protection domain.",
      proto: 5,
    }),
    storagePool: field(string(), { description: "The ScaleIO storage pool.", proto: 6 }),
    storageMode: field(string(), {
      description: "ThickProvisioned or ThinProvisioned (default).",
      proto: 7,
    }),
    volumeName: field(string(), {
      description: "Name of an existing ScaleIO volume.",
      proto: 8,
    }),
    fsType: fsType(9),
    readOnly: readOnly(10),
  },
});

/** Storage directly attached to a node. */
export const LocalVolumeSource = object(`${CORE}.LocalVolumeSource`, {
  description: "Directly-attached storage of one node; the volume needs node affinity.",
  fields: {
    path: requiredField(string(), {
      description: "Full path of the volume on the node: a directory or a block device.",
      proto: 1,
    }),
    fsType: field(string(), {
      description: "Filesystem type, for block devices only; auto-selected if unspecified.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** A StorageOS volume. */
export const StorageOSPersistentVolumeSource = object(
  `${CORE}.StorageOSPersistentVolumeSource`,
  {
    description: "A StorageOS volume (deprecated, no longer supported in-tree).",
    fields: {
      volumeName: field(string(), { description: "The StorageOS volume name.", proto: 1 }),
      volumeNamespace: field(string(), {
        description: "The StorageOS namespace; the pod's namespace by default.",
        proto: 2,
      }),
      fsType: fsType(3),
      readOnly: readOnly(4),
      secretRef: field(ObjectReference, {
        description: "Secret with the StorageOS API credentials.",
        proto: 5,
      }),
    },
  },
);

/** A volume of an external CSI driver. */
export const CSIPersistentVolumeSource = object(`${CORE}.CSIPersistentVolumeSource`, {
  description: "Storage managed by an external CSI driver.",
  fields: {
    driver: requiredField(string(), { description: "The CSI driver's name.", proto: 1 }),
    volumeHandle: requiredField(string(), {
      description: "The volume name the driver's CreateVolume returned.",
      proto: 2,
    }),
    readOnly: field(boolean(), {
      description: "Passed to ControllerPublishVolume (default false).",
      proto: 3,
    }),
    fsType: fsType(4),
    volumeAttributes: field(map(string()), {
      description: "Attributes of the volume to publish.",
      proto: 5,
    }),
    controllerPublishSecretRef: field(SecretReference, {
      description: "Secret passed to ControllerPublishVolume and ControllerUnpublishVolume.",
      proto: 6,
    }),
    nodeStageSecretRef: field(SecretReference, {
      description: "Secret passed to NodeStageVolume and NodeUnstageVolume.",
      proto: 7,
    }),
    nodePublishSecretRef: field(SecretReference, {
      description: "Secret passed to NodePublishVolume and NodeUnpublishVolume.",
      proto: 8,
    }),
    controllerExpandSecretRef: field(SecretReference, {
      description: "Secret passed to ControllerExpandVolume.",
      proto: 9,
    }),
    nodeExpandSecretRef: field(SecretReference, {
      description: "Secret passed to NodeExpandVolume.",
      proto: 10,
    }),
  },
});

// --- PersistentVolume ----------------------------------------------------------------------------

/** The members of upstream's `PersistentVolumeSource`, numbered as in its protobuf message. */
const persistentVolumeSourceFields = {
  gcePersistentDisk: field(GCEPersistentDiskVolumeSource, {
    description: "A GCE persistent disk (deprecated; redirected to the GCE PD CSI driver).",
    proto: 1,
  }),
  awsElasticBlockStore: field(AWSElasticBlockStoreVolumeSource, {
    description: "An AWS EBS disk (deprecated; redirected to the EBS CSI driver).",
    proto: 2,
  }),
  hostPath: field(HostPathVolumeSource, {
    description: "A directory on the host; for single-node development and testing only.",
    proto: 3,
  }),
  glusterfs: field(GlusterfsPersistentVolumeSource, {
    description: "A Glusterfs volume (deprecated).",
    proto: 4,
  }),
  nfs: field(NFSVolumeSource, { description: "An NFS mount.", proto: 5 }),
  rbd: field(RBDPersistentVolumeSource, {
    description: "A Rados Block Device (deprecated).",
    proto: 6,
  }),
  iscsi: field(ISCSIPersistentVolumeSource, { description: "An iSCSI disk.", proto: 7 }),
  cinder: field(CinderPersistentVolumeSource, {
    description: "An OpenStack Cinder volume (deprecated).",
    proto: 8,
  }),
  cephfs: field(CephFSPersistentVolumeSource, {
    description: "A Ceph filesystem (deprecated).",
    proto: 9,
  }),
  fc: field(FCVolumeSource, { description: "A Fibre Channel volume.", proto: 10 }),
  flocker: field(FlockerVolumeSource, {
    description: "A Flocker volume (deprecated).",
    proto: 11,
  }),
  flexVolume: field(FlexPersistentVolumeSource, {
    description: "A FlexVolume plugin's volume (deprecated).",
    proto: 12,
  }),
  azureFile: field(AzureFilePersistentVolumeSource, {
    description: "An Azure File share (deprecated).",
    proto: 13,
  }),
  vsphereVolume: field(VsphereVirtualDiskVolumeSource, {
    description: "A vSphere volume (deprecated).",
    proto: 14,
  }),
  quobyte: field(QuobyteVolumeSource, {
    description: "A Quobyte mount (deprecated).",
    proto: 15,
  }),
  azureDisk: field(AzureDiskVolumeSource, {
    description: "An Azure data disk (deprecated).",
    proto: 16,
  }),
  photonPersistentDisk: field(PhotonPersistentDiskVolumeSource, {
    description: "A Photon Controller disk (deprecated).",
    proto: 17,
  }),
  portworxVolume: field(PortworxVolumeSource, {
    description: "A Portworx volume (deprecated).",
    proto: 18,
  }),
  scaleIO: field(ScaleIOPersistentVolumeSource, {
    description: "A ScaleIO volume (deprecated).",
    proto: 19,
  }),
  local: field(LocalVolumeSource, {
    description: "Storage directly attached to a node.",
    proto: 20,
  }),
  storageos: field(StorageOSPersistentVolumeSource, {
    description: "A StorageOS volume (deprecated).",
    proto: 21,
  }),
  csi: field(CSIPersistentVolumeSource, {
    description: "Storage handled by an external CSI driver.",
    proto: 22,
  }),
} as const;

/** The names of the volume source members of a PersistentVolumeSpec (exactly one is set). */
export const PERSISTENT_VOLUME_SOURCE_NAMES = Object.keys(
  persistentVolumeSourceFields,
) as readonly (keyof typeof persistentVolumeSourceFields)[];

/**
 * The source of a PersistentVolume. Not an OpenAPI definition upstream (it is inlined into
 * PersistentVolumeSpec); kept as a schema for the protobuf nesting.
 */
export const PersistentVolumeSource = object(`${CORE}.PersistentVolumeSource`, {
  description: "Where a persistent volume's storage comes from; exactly one member is set.",
  fields: persistentVolumeSourceFields,
});

/** Nodes a volume can be reached from. */
export const VolumeNodeAffinity = object(`${CORE}.VolumeNodeAffinity`, {
  description: "Constraints on the nodes a volume can be accessed from.",
  fields: {
    required: field(NodeSelector, {
      description: "Hard node constraints that must be met.",
      proto: 1,
    }),
  },
});

/** The desired state of a persistent volume. */
export const PersistentVolumeSpec = object(`${CORE}.PersistentVolumeSpec`, {
  description: "The storage a persistent volume provides, and how it may be used.",
  protoInline: [{ proto: 2, schema: PersistentVolumeSource }],
  fields: {
    capacity: field(map(quantity()), {
      description: "The volume's capacity; only storage.",
      proto: 1,
    }),
    accessModes: field(array(enumOf(ACCESS_MODES), { listType: "atomic" }), {
      description:
        "How the volume can be mounted: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.",
      proto: 3,
    }),
    claimRef: field(ObjectReference, {
      description:
        "The claim this volume is bound (or reserved) to; the claim's volumeName is authoritative.",
      proto: 4,
    }),
    persistentVolumeReclaimPolicy: field(enumOf(PERSISTENT_VOLUME_RECLAIM_POLICIES), {
      description:
        "What happens when the claim is released: Retain (default for manual volumes), Delete (default for provisioned ones) or Recycle (deprecated).",
      proto: 5,
      default: "Retain",
    }),
    storageClassName: field(string(), {
      description: "The StorageClass of the volume; empty for none.",
      proto: 6,
    }),
    mountOptions: field(array(string(), { listType: "atomic" }), {
      description: 'Mount options, e.g. ["ro", "soft"]; not validated.',
      proto: 7,
    }),
    volumeMode: field(enumOf(VOLUME_MODES), {
      description: "Filesystem (the default) or Block (a raw device).",
      proto: 8,
      keepZero: true,
      default: "Filesystem",
    }),
    nodeAffinity: field(VolumeNodeAffinity, {
      description: "The nodes the volume can be accessed from; guides scheduling.",
      proto: 9,
    }),
    volumeAttributesClassName: field(string(), {
      description: "The VolumeAttributesClass of the volume; not empty when set.",
      proto: 10,
      keepZero: true,
    }),
  },
});

/** The observed state of a persistent volume. */
export const PersistentVolumeStatus = object(`${CORE}.PersistentVolumeStatus`, {
  description: "The observed state of a persistent volume.",
  fields: {
    phase: field(enumOf(PERSISTENT_VOLUME_PHASES), {
      description: "Pending, Available, Bound, Released or Failed.",
      proto: 1,
      default: "Pending",
    }),
    message: field(string(), {
      description: "Why the volume is in this state.",
      proto: 2,
    }),
    reason: field(string(), {
      description: "A brief CamelCase reason for a failure.",
      proto: 3,
    }),
    lastPhaseTransitionTime: field(time(), {
      description: "When the phase last changed.",
      proto: 4,
    }),
  },
});

/** A piece of storage in the cluster. */
export const PersistentVolume = object(`${CORE}.PersistentVolume`, {
  description: "A storage resource provisioned by an administrator or a provisioner.",
  gvk: [{ group: "", version: "v1", kind: "PersistentVolume" }],
  fields: {
    ...objectFields,
    spec: field(PersistentVolumeSpec, {
      description: "The storage the volume provides.",
      proto: 2,
    }),
    status: field(PersistentVolumeStatus, {
      description: "The observed state of the volume.",
      proto: 3,
    }),
  },
});

// --- PersistentVolumeClaim -----------------------------------------------------------------------

/** The state of a ControllerModifyVolume operation. */
export const ModifyVolumeStatus = object(`${CORE}.ModifyVolumeStatus`, {
  description: "The state of the ControllerModifyVolume operation of a claim.",
  fields: {
    targetVolumeAttributesClassName: field(string(), {
      description: "The VolumeAttributesClass being reconciled.",
      proto: 1,
    }),
    status: requiredField(enumOf(MODIFY_VOLUME_STATUSES), {
      description: "Pending, InProgress or Infeasible.",
      proto: 2,
    }),
  },
});

/** One aspect of a claim's state. */
export const PersistentVolumeClaimCondition = object(`${CORE}.PersistentVolumeClaimCondition`, {
  description: "One aspect of the state of a claim, e.g. Resizing.",
  fields: {
    type: requiredField(string(), { description: "Type of the condition.", proto: 1 }),
    status: requiredField(string(), {
      description: "Status of the condition: True, False or Unknown.",
      proto: 2,
    }),
    lastProbeTime: field(time(), {
      description: "When the condition was last probed.",
      proto: 3,
    }),
    lastTransitionTime: field(time(), {
      description: "When the condition last changed from one status to another.",
      proto: 4,
    }),
    reason: field(string(), {
      description: "A short, machine-readable reason for the last transition.",
      proto: 5,
    }),
    message: field(string(), {
      description: "A human-readable message about the last transition.",
      proto: 6,
    }),
  },
});

/** The observed state of a claim. */
export const PersistentVolumeClaimStatus = object(`${CORE}.PersistentVolumeClaimStatus`, {
  description: "The observed state of a persistent volume claim.",
  fields: {
    phase: field(enumOf(PERSISTENT_VOLUME_CLAIM_PHASES), {
      description: "Pending, Bound or Lost.",
      proto: 1,
      default: "Pending",
    }),
    accessModes: field(array(enumOf(ACCESS_MODES), { listType: "atomic" }), {
      description: "The access modes of the bound volume.",
      proto: 2,
    }),
    capacity: field(map(quantity()), {
      description: "The resources of the bound volume.",
      proto: 3,
    }),
    conditions: field(
      array(PersistentVolumeClaimCondition, { listType: "map", listMapKeys: ["type"] }),
      {
        description: "The current conditions of the claim.",
        proto: 4,
        patchStrategy: "merge",
        patchMergeKey: "type",
      },
    ),
    allocatedResources: field(map(quantity()), {
      description: "The resources allocated to the claim, including pending expansions.",
      proto: 5,
    }),
    allocatedResourceStatuses: field(
      map(enumOf(CLAIM_RESOURCE_STATUSES), { mapType: "granular" }),
      {
        description: "The resize state of each resource of the claim.",
        proto: 7,
      },
    ),
    currentVolumeAttributesClassName: field(string(), {
      description: "The VolumeAttributesClass the claim uses.",
      proto: 8,
      keepZero: true,
    }),
    modifyVolumeStatus: field(ModifyVolumeStatus, {
      description: "The ControllerModifyVolume operation in progress, if any.",
      proto: 9,
    }),
  },
});

/** A request for storage. */
export const PersistentVolumeClaim = object(`${CORE}.PersistentVolumeClaim`, {
  description: "A user's request for, and claim to, a persistent volume.",
  gvk: [{ group: "", version: "v1", kind: "PersistentVolumeClaim" }],
  fields: {
    ...objectFields,
    spec: field(PersistentVolumeClaimSpec, {
      description: "The storage requested.",
      proto: 2,
    }),
    status: field(PersistentVolumeClaimStatus, {
      description: "The observed state of the claim.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode PersistentVolume}. */
export type PersistentVolume = Infer<typeof PersistentVolume>;
/** TypeScript type of {@linkcode PersistentVolumeSpec}. */
export type PersistentVolumeSpec = Infer<typeof PersistentVolumeSpec>;
/** TypeScript type of {@linkcode PersistentVolumeStatus}. */
export type PersistentVolumeStatus = Infer<typeof PersistentVolumeStatus>;
/** TypeScript type of {@linkcode VolumeNodeAffinity}. */
export type VolumeNodeAffinity = Infer<typeof VolumeNodeAffinity>;
/** TypeScript type of {@linkcode PersistentVolumeClaim}. */
export type PersistentVolumeClaim = Infer<typeof PersistentVolumeClaim>;
/** TypeScript type of {@linkcode PersistentVolumeClaimStatus}. */
export type PersistentVolumeClaimStatus = Infer<typeof PersistentVolumeClaimStatus>;
/** TypeScript type of {@linkcode PersistentVolumeClaimCondition}. */
export type PersistentVolumeClaimCondition = Infer<typeof PersistentVolumeClaimCondition>;
/** TypeScript type of {@linkcode ModifyVolumeStatus}. */
export type ModifyVolumeStatus = Infer<typeof ModifyVolumeStatus>;
/** TypeScript type of {@linkcode CSIPersistentVolumeSource}. */
export type CSIPersistentVolumeSource = Infer<typeof CSIPersistentVolumeSource>;
/** TypeScript type of {@linkcode LocalVolumeSource}. */
export type LocalVolumeSource = Infer<typeof LocalVolumeSource>;
/** TypeScript type of {@linkcode ISCSIPersistentVolumeSource}. */
export type ISCSIPersistentVolumeSource = Infer<typeof ISCSIPersistentVolumeSource>;
