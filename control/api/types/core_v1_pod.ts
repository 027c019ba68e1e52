/**
 * The `core/v1` Pod family: Pod, PodSpec, PodStatus, PodTemplateSpec, PodTemplate, Binding and
 * every type they contain (containers, probes, security contexts, all volume sources of 1.33,
 * affinity, topology spread, container statuses). JSON names, patch strategies and list types as
 * upstream `k8s.io/api/core/v1/types.go` (v1.33); field numbers from its `generated.proto`.
 *
 * Upstream inlines some structs (`json:",inline"`): a Volume's source, a Probe's handler, an
 * EphemeralContainer's common fields and the LocalObjectReference of selectors. In JSON their
 * fields sit in the outer object; in protobuf they are one nested message: `protoInline`.
 *
 * @module
 */
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  intOrString,
  map,
  object,
  quantity,
  requiredField,
  string,
  time,
} from "./schema.ts";
import { LabelSelector, objectFields, ObjectMeta } from "./meta_v1.ts";
import {
  ConfigMapKeySelector,
  EMBEDDED_LOCAL_OBJECT_REFERENCE,
  KeyToPath,
  LocalObjectReference,
  NodeSelector,
  NodeSelectorTerm,
  ObjectFieldSelector,
  ObjectReference,
  ResourceFieldSelector,
  ResourceRequirements,
  SecretKeySelector,
  Toleration,
  TypedLocalObjectReference,
  TypedObjectReference,
  VolumeResourceRequirements,
} from "./core_v1_common.ts";

const CORE = "io.k8s.api.core.v1";

// --- small field helpers ------------------------------------------------------------------------

function readOnlyField(proto: number, description = "Mount read-only when true.") {
  return field(boolean(), { description, proto });
}

function fsTypeField(proto: number) {
  return field(string(), {
    description: 'Filesystem type to mount, e.g. "ext4" or "xfs".',
    proto,
  });
}

function secretRefField(proto: number) {
  return field(LocalObjectReference, {
    description: "The Secret holding credentials for the volume plugin.",
    proto,
  });
}

/** File permission bits: a `*int32` upstream, so an explicit 0 is kept. */
function modeField(proto: number, description: string) {
  return field(int32(), { description, proto, keepZero: true });
}

// --- volume sources -----------------------------------------------------------------------------

export { isMirrorPod, MIRROR_POD_ANNOTATION } from "./mirror_pod.ts";

/** A file or directory of the node, mounted into the pod. */
export const HostPathVolumeSource = object(`${CORE}.HostPathVolumeSource`, {
  description: "A file or directory on the node, mapped into the pod.",
  fields: {
    path: requiredField(string(), { description: "Path on the node.", proto: 1 }),
    type: field(string(), {
      description:
        'What must exist at path: "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice.',
      proto: 2,
      keepZero: true,
    }),
  },
});

/** A scratch directory that lives as long as the pod. */
export const EmptyDirVolumeSource = object(`${CORE}.EmptyDirVolumeSource`, {
  description: "An empty directory that shares the pod's lifetime.",
  fields: {
    medium: field(string(), {
      description: 'Storage medium: "" (the node default), Memory or HugePages.',
      proto: 1,
    }),
    sizeLimit: field(quantity(), {
      description: "The most local storage the directory may use.",
      proto: 2,
    }),
  },
});

/** A GCE persistent disk (deprecated in-tree plugin). */
export const GCEPersistentDiskVolumeSource = object(`${CORE}.GCEPersistentDiskVolumeSource`, {
  description: "A Google Compute Engine persistent disk (deprecated in-tree plugin).",
  fields: {
    pdName: requiredField(string(), { description: "Name of the disk in GCE.", proto: 1 }),
    fsType: fsTypeField(2),
    partition: field(int32(), {
      description: "Partition to mount; 0 for the whole disk.",
      proto: 3,
    }),
    readOnly: readOnlyField(4),
  },
});

/** An AWS EBS volume (deprecated in-tree plugin). */
export const AWSElasticBlockStoreVolumeSource = object(
  `${CORE}.AWSElasticBlockStoreVolumeSource`,
  {
    description: "An AWS Elastic Block Store volume (deprecated in-tree plugin).",
    fields: {
      volumeID: requiredField(string(), { description: "ID of the EBS volume.", proto: 1 }),
      fsType: fsTypeField(2),
      partition: field(int32(), {
        description: "Partition to mount; 0 for the whole volume.",
        proto: 3,
      }),
      readOnly: readOnlyField(4),
    },
  },
);

/** A git repository cloned into the volume (deprecated). */
export const GitRepoVolumeSource = object(`${CORE}.GitRepoVolumeSource`, {
  description: "A directory populated with a git repository (deprecated).",
  fields: {
    repository: requiredField(string(), { description: "Repository URL.", proto: 1 }),
    revision: field(string(), { description: "Commit hash to check out.", proto: 2 }),
    directory: field(string(), {
      description: "Target directory inside the volume; '.' for the volume root.",
      proto: 3,
    }),
  },
});

/** A Secret's keys as files. */
export const SecretVolumeSource = object(`${CORE}.SecretVolumeSource`, {
  description: "Presents the keys of a Secret as files.",
  fields: {
    secretName: field(string(), {
      description: "Name of the Secret in the pod's namespace.",
      proto: 1,
    }),
    items: field(array(KeyToPath, { listType: "atomic" }), {
      description: "Keys to project and their paths; all keys when empty.",
      proto: 2,
    }),
    defaultMode: modeField(3, "Permission bits of the files; defaults to 0644."),
    optional: field(boolean(), {
      description: "Whether the Secret or its keys may be missing.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** An NFS export. */
export const NFSVolumeSource = object(`${CORE}.NFSVolumeSource`, {
  description: "An NFS export mounted into the pod.",
  fields: {
    server: requiredField(string(), {
      description: "Hostname or IP address of the NFS server.",
      proto: 1,
    }),
    path: requiredField(string(), { description: "Exported path.", proto: 2 }),
    readOnly: readOnlyField(3),
  },
});

/** An iSCSI disk. */
export const ISCSIVolumeSource = object(`${CORE}.ISCSIVolumeSource`, {
  description: "An iSCSI disk attached to the node and mounted into the pod.",
  fields: {
    targetPortal: requiredField(string(), {
      description: "Target portal, an IP or ip:port.",
      proto: 1,
    }),
    iqn: requiredField(string(), { description: "Target iSCSI qualified name.", proto: 2 }),
    lun: requiredField(int32(), { description: "Target LUN number.", proto: 3 }),
    iscsiInterface: field(string(), {
      description: "iSCSI interface name; defaults to 'default' (tcp).",
      proto: 4,
      default: "default",
    }),
    fsType: fsTypeField(5),
    readOnly: readOnlyField(6),
    portals: field(array(string(), { listType: "atomic" }), {
      description: "Additional target portals.",
      proto: 7,
    }),
    chapAuthDiscovery: field(boolean(), {
      description: "Use CHAP authentication for discovery.",
      proto: 8,
    }),
    chapAuthSession: field(boolean(), {
      description: "Use CHAP authentication for the session.",
      proto: 11,
    }),
    secretRef: field(LocalObjectReference, { description: "The CHAP secret.", proto: 10 }),
    initiatorName: field(string(), {
      description: "Custom initiator name.",
      proto: 12,
      keepZero: true,
    }),
  },
});

/** A GlusterFS volume (deprecated). */
export const GlusterfsVolumeSource = object(`${CORE}.GlusterfsVolumeSource`, {
  description: "A GlusterFS volume (deprecated in-tree plugin).",
  fields: {
    endpoints: requiredField(string(), {
      description: "Name of the Endpoints describing the Glusterfs topology.",
      proto: 1,
    }),
    path: requiredField(string(), { description: "Glusterfs volume path.", proto: 2 }),
    readOnly: readOnlyField(3),
  },
});

/** A reference to a PersistentVolumeClaim. */
export const PersistentVolumeClaimVolumeSource = object(
  `${CORE}.PersistentVolumeClaimVolumeSource`,
  {
    description: "Mounts the volume bound to a PersistentVolumeClaim in the pod's namespace.",
    fields: {
      claimName: requiredField(string(), {
        description: "Name of the PersistentVolumeClaim.",
        proto: 1,
      }),
      readOnly: readOnlyField(2),
    },
  },
);

/** A Ceph RBD image (deprecated). */
export const RBDVolumeSource = object(`${CORE}.RBDVolumeSource`, {
  description: "A Rados block device (deprecated in-tree plugin).",
  fields: {
    monitors: requiredField(array(string(), { listType: "atomic" }), {
      description: "Ceph monitors.",
      proto: 1,
    }),
    image: requiredField(string(), { description: "Rados image name.", proto: 2 }),
    fsType: fsTypeField(3),
    pool: field(string(), {
      description: "Rados pool; defaults to rbd.",
      proto: 4,
      default: "rbd",
    }),
    user: field(string(), {
      description: "Rados user; defaults to admin.",
      proto: 5,
      default: "admin",
    }),
    keyring: field(string(), {
      description: "Path of the keyring; defaults to /etc/ceph/keyring.",
      proto: 6,
      default: "/etc/ceph/keyring",
    }),
    secretRef: secretRefField(7),
    readOnly: readOnlyField(8),
  },
});

/** A volume driven by an exec-based FlexVolume plugin (deprecated). */
export const FlexVolumeSource = object(`${CORE}.FlexVolumeSource`, {
  description: "A volume provisioned by an exec-based FlexVolume driver (deprecated).",
  fields: {
    driver: requiredField(string(), { description: "Name of the driver.", proto: 1 }),
    fsType: fsTypeField(2),
    secretRef: secretRefField(3),
    readOnly: readOnlyField(4),
    options: field(map(string()), { description: "Extra driver options.", proto: 5 }),
  },
});

/** An OpenStack Cinder volume (deprecated in-tree plugin). */
export const CinderVolumeSource = object(`${CORE}.CinderVolumeSource`, {
  description: "An OpenStack Cinder volume (deprecated in-tree plugin).",
  fields: {
    volumeID: requiredField(string(), { description: "ID of the Cinder volume.", proto: 1 }),
    fsType: fsTypeField(2),
    readOnly: readOnlyField(3),
    secretRef: secretRefField(4),
  },
});

/** A CephFS mount (deprecated). */
export const CephFSVolumeSource = object(`${CORE}.CephFSVolumeSource`, {
  description: "A Ceph filesystem (deprecated in-tree plugin).",
  fields: {
    monitors: requiredField(array(string(), { listType: "atomic" }), {
      description: "Ceph monitors.",
      proto: 1,
    }),
    path: field(string(), { description: "Mounted root within the Ceph tree.", proto: 2 }),
    user: field(string(), { description: "Rados user; defaults to admin.", proto: 3 }),
    secretFile: field(string(), { description: "Path of the user's keyring.", proto: 4 }),
    secretRef: secretRefField(5),
    readOnly: readOnlyField(6),
  },
});

/** A Flocker dataset (deprecated). */
export const FlockerVolumeSource = object(`${CORE}.FlockerVolumeSource`, {
  description: "A Flocker dataset (deprecated in-tree plugin).",
  fields: {
    datasetName: field(string(), { description: "Name of the dataset.", proto: 1 }),
    datasetUUID: field(string(), { description: "UUID of the dataset.", proto: 2 }),
  },
});

/** One file of a downward API volume. */
export const DownwardAPIVolumeFile = object(`${CORE}.DownwardAPIVolumeFile`, {
  description: "A file holding a pod field or a container resource.",
  fields: {
    path: requiredField(string(), {
      description: "Relative path of the file; may not contain '..'.",
      proto: 1,
    }),
    fieldRef: field(ObjectFieldSelector, {
      description: "A pod field: annotations, labels, name, namespace or uid.",
      proto: 2,
    }),
    resourceFieldRef: field(ResourceFieldSelector, {
      description: "A container resource limit or request.",
      proto: 3,
    }),
    mode: modeField(4, "Permission bits of the file; the volume's defaultMode if unset."),
  },
});

/** Pod metadata and resources as files. */
export const DownwardAPIVolumeSource = object(`${CORE}.DownwardAPIVolumeSource`, {
  description: "Presents pod fields and container resources as files.",
  fields: {
    items: field(array(DownwardAPIVolumeFile, { listType: "atomic" }), {
      description: "The files.",
      proto: 1,
    }),
    defaultMode: modeField(2, "Permission bits of the files; defaults to 0644."),
  },
});

/** A Fibre Channel disk. */
export const FCVolumeSource = object(`${CORE}.FCVolumeSource`, {
  description: "A Fibre Channel disk.",
  fields: {
    targetWWNs: field(array(string(), { listType: "atomic" }), {
      description: "Target worldwide names.",
      proto: 1,
    }),
    lun: field(int32(), { description: "Target LUN number.", proto: 2, keepZero: true }),
    fsType: fsTypeField(3),
    readOnly: readOnlyField(4),
    wwids: field(array(string(), { listType: "atomic" }), {
      description: "World wide identifiers; exclusive with targetWWNs and lun.",
      proto: 5,
    }),
  },
});

/** An Azure file share (deprecated in-tree plugin). */
export const AzureFileVolumeSource = object(`${CORE}.AzureFileVolumeSource`, {
  description: "An Azure File share (deprecated in-tree plugin).",
  fields: {
    secretName: requiredField(string(), {
      description: "Secret holding the storage account name and key.",
      proto: 1,
    }),
    shareName: requiredField(string(), { description: "Name of the share.", proto: 2 }),
    readOnly: readOnlyField(3),
  },
});

/** A ConfigMap's keys as files. */
export const ConfigMapVolumeSource = object(`${CORE}.ConfigMapVolumeSource`, {
  description: "Presents the keys of a ConfigMap as files.",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    items: field(array(KeyToPath, { listType: "atomic" }), {
      description: "Keys to project and their paths; all keys when empty.",
      proto: 2,
    }),
    defaultMode: modeField(3, "Permission bits of the files; defaults to 0644."),
    optional: field(boolean(), {
      description: "Whether the ConfigMap or its keys may be missing.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A vSphere VMDK volume (deprecated in-tree plugin). */
export const VsphereVirtualDiskVolumeSource = object(`${CORE}.VsphereVirtualDiskVolumeSource`, {
  description: "A vSphere virtual disk (deprecated in-tree plugin).",
  fields: {
    volumePath: requiredField(string(), { description: "Path of the VMDK.", proto: 1 }),
    fsType: fsTypeField(2),
    storagePolicyName: field(string(), { description: "SPBM profile name.", proto: 3 }),
    storagePolicyID: field(string(), { description: "SPBM profile ID.", proto: 4 }),
  },
});

/** A Quobyte volume (deprecated). */
export const QuobyteVolumeSource = object(`${CORE}.QuobyteVolumeSource`, {
  description: "A Quobyte volume (deprecated in-tree plugin).",
  fields: {
    registry: requiredField(string(), {
      description: "Quobyte registries as host:port pairs, comma separated.",
      proto: 1,
    }),
    volume: requiredField(string(), { description: "Name of the Quobyte volume.", proto: 2 }),
    readOnly: readOnlyField(3),
    user: field(string(), { description: "User to map access to.", proto: 4 }),
    group: field(string(), { description: "Group to map access to.", proto: 5 }),
    tenant: field(string(), { description: "Tenant owning the volume.", proto: 6 }),
  },
});

/** An Azure data disk (deprecated in-tree plugin). */
export const AzureDiskVolumeSource = object(`${CORE}.AzureDiskVolumeSource`, {
  description: "An Azure data disk (deprecated in-tree plugin).",
  fields: {
    diskName: requiredField(string(), { description: "Name of the data disk.", proto: 1 }),
    diskURI: requiredField(string(), { description: "URI of the data disk.", proto: 2 }),
    cachingMode: field(enumOf(["None", "ReadOnly", "ReadWrite"]), {
      description: "Host caching: None, ReadOnly or ReadWrite.",
      proto: 3,
      keepZero: true,
      default: "ReadWrite",
    }),
    fsType: field(string(), {
      description: 'Filesystem type; defaults to "ext4".',
      proto: 4,
      keepZero: true,
      default: "ext4",
    }),
    readOnly: field(boolean(), {
      description: "Mount read-only when true.",
      proto: 5,
      keepZero: true,
      default: false,
    }),
    kind: field(enumOf(["Dedicated", "Managed", "Shared"]), {
      description: "Shared, Dedicated or Managed; defaults to Shared.",
      proto: 6,
      keepZero: true,
      default: "Shared",
    }),
  },
});

/** A Photon Controller disk (deprecated). */
export const PhotonPersistentDiskVolumeSource = object(
  `${CORE}.PhotonPersistentDiskVolumeSource`,
  {
    description: "A Photon Controller persistent disk (deprecated in-tree plugin).",
    fields: {
      pdID: requiredField(string(), { description: "ID of the disk.", proto: 1 }),
      fsType: fsTypeField(2),
    },
  },
);

/** A Secret projected into a projected volume. */
export const SecretProjection = object(`${CORE}.SecretProjection`, {
  description: "Projects the keys of a Secret into a projected volume.",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    items: field(array(KeyToPath, { listType: "atomic" }), {
      description: "Keys to project and their paths; all keys when empty.",
      proto: 2,
    }),
    optional: field(boolean(), {
      description: "Whether the Secret or its keys may be missing.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A ConfigMap projected into a projected volume. */
export const ConfigMapProjection = object(`${CORE}.ConfigMapProjection`, {
  description: "Projects the keys of a ConfigMap into a projected volume.",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    items: field(array(KeyToPath, { listType: "atomic" }), {
      description: "Keys to project and their paths; all keys when empty.",
      proto: 2,
    }),
    optional: field(boolean(), {
      description: "Whether the ConfigMap or its keys may be missing.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** Downward API files projected into a projected volume. */
export const DownwardAPIProjection = object(`${CORE}.DownwardAPIProjection`, {
  description: "Projects downward API files into a projected volume.",
  fields: {
    items: field(array(DownwardAPIVolumeFile, { listType: "atomic" }), {
      description: "The files.",
      proto: 1,
    }),
  },
});

/** A service account token projected into a projected volume. */
export const ServiceAccountTokenProjection = object(`${CORE}.ServiceAccountTokenProjection`, {
  description: "Projects a bound, auto-rotated service account token.",
  fields: {
    audience: field(string(), {
      description: "Intended audience of the token; defaults to the API server.",
      proto: 1,
    }),
    expirationSeconds: field(int64(), {
      description: "Requested validity; defaults to 3600, at least 600.",
      proto: 2,
      keepZero: true,
    }),
    path: requiredField(string(), {
      description: "Path of the token file relative to the mount point.",
      proto: 3,
    }),
  },
});

/** ClusterTrustBundle certificates projected into a projected volume. */
export const ClusterTrustBundleProjection = object(`${CORE}.ClusterTrustBundleProjection`, {
  description: "Projects the certificates of ClusterTrustBundles into a file.",
  fields: {
    name: field(string(), { description: "A single bundle by name.", proto: 1, keepZero: true }),
    signerName: field(string(), {
      description: "All bundles of this signer.",
      proto: 2,
      keepZero: true,
    }),
    labelSelector: field(LabelSelector, {
      description: "With signerName: the bundles matching this selector.",
      proto: 3,
    }),
    optional: field(boolean(), {
      description: "Do not block pod startup when no bundle matches.",
      proto: 5,
      keepZero: true,
    }),
    path: requiredField(string(), {
      description: "Relative path of the bundle file.",
      proto: 4,
    }),
  },
});

/** One source of a projected volume. */
export const VolumeProjection = object(`${CORE}.VolumeProjection`, {
  description: "One source of a projected volume; exactly one member is set.",
  fields: {
    secret: field(SecretProjection, { description: "A Secret's keys.", proto: 1 }),
    downwardAPI: field(DownwardAPIProjection, {
      description: "Downward API files.",
      proto: 2,
    }),
    configMap: field(ConfigMapProjection, { description: "A ConfigMap's keys.", proto: 3 }),
    serviceAccountToken: field(ServiceAccountTokenProjection, {
      description: "A service account token.",
      proto: 4,
    }),
    clusterTrustBundle: field(ClusterTrustBundleProjection, {
      description: "ClusterTrustBundle certificates.",
      proto: 5,
    }),
  },
});

/** Several sources projected into one directory. */
export const ProjectedVolumeSource = object(`${CORE}.ProjectedVolumeSource`, {
  description: "Projects Secrets, ConfigMaps, downward API files and tokens into one directory.",
  fields: {
    sources: field(array(VolumeProjection, { listType: "atomic" }), {
      description: "The projections.",
      proto: 1,
    }),
    defaultMode: modeField(2, "Permission bits of the files; defaults to 0644."),
  },
});

/** A Portworx volume (deprecated in-tree plugin). */
export const PortworxVolumeSource = object(`${CORE}.PortworxVolumeSource`, {
  description: "A Portworx volume (deprecated in-tree plugin).",
  fields: {
    volumeID: requiredField(string(), { description: "ID of the volume.", proto: 1 }),
    fsType: fsTypeField(2),
    readOnly: readOnlyField(3),
  },
});

/** A ScaleIO volume (deprecated). */
export const ScaleIOVolumeSource = object(`${CORE}.ScaleIOVolumeSource`, {
  description: "A ScaleIO volume (deprecated in-tree plugin).",
  fields: {
    gateway: requiredField(string(), { description: "Address of the API gateway.", proto: 1 }),
    system: requiredField(string(), { description: "Name of the storage system.", proto: 2 }),
    secretRef: requiredField(LocalObjectReference, {
      description: "Secret with the ScaleIO credentials.",
      proto: 3,
    }),
    sslEnabled: field(boolean(), { description: "Talk to the gateway over SSL.", proto: 4 }),
    protectionDomain: field(string(), { description: "Protection domain.", proto: 5 }),
    storagePool: field(string(), { description: "Storage pool.", proto: 6 }),
    storageMode: field(string(), {
      description: "ThickProvisioned or ThinProvisioned (the default).",
      proto: 7,
      default: "ThinProvisioned",
    }),
    volumeName: field(string(), { description: "Name of an existing volume.", proto: 8 }),
    fsType: field(string(), {
      description: 'Filesystem type; defaults to "xfs".',
      proto: 9,
      default: "xfs",
    }),
    readOnly: readOnlyField(10),
  },
});

/** A StorageOS volume (deprecated). */
export const StorageOSVolumeSource = object(`${CORE}.StorageOSVolumeSource`, {
  description: "A StorageOS volume (deprecated in-tree plugin).",
  fields: {
    volumeName: field(string(), { description: "Name of the volume.", proto: 1 }),
    volumeNamespace: field(string(), {
      description: "StorageOS namespace; the pod's namespace when unset.",
      proto: 2,
    }),
    fsType: fsTypeField(3),
    readOnly: readOnlyField(4),
    secretRef: secretRefField(5),
  },
});

/** An ephemeral volume served by a CSI driver. */
export const CSIVolumeSource = object(`${CORE}.CSIVolumeSource`, {
  description: "An inline volume provided by a CSI driver.",
  fields: {
    driver: requiredField(string(), { description: "Name of the CSI driver.", proto: 1 }),
    readOnly: field(boolean(), {
      description: "Mount read-only when true.",
      proto: 2,
      keepZero: true,
    }),
    fsType: field(string(), {
      description: 'Filesystem type to mount, e.g. "ext4" or "xfs".',
      proto: 3,
      keepZero: true,
    }),
    volumeAttributes: field(map(string()), {
      description: "Driver-specific properties.",
      proto: 4,
    }),
    nodePublishSecretRef: field(LocalObjectReference, {
      description: "Secret passed to NodePublishVolume.",
      proto: 5,
    }),
  },
});

/** What a PersistentVolumeClaim asks for. */
export const PersistentVolumeClaimSpec = object(`${CORE}.PersistentVolumeClaimSpec`, {
  description: "The storage a claim requests: access modes, size, class and source.",
  fields: {
    accessModes: field(array(string(), { listType: "atomic" }), {
      description: "ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.",
      proto: 1,
    }),
    selector: field(LabelSelector, {
      description: "Selects the volumes the claim may bind to.",
      proto: 4,
    }),
    resources: field(VolumeResourceRequirements, {
      description: "The storage requested (requests.storage).",
      proto: 2,
    }),
    volumeName: field(string(), {
      description: "The PersistentVolume bound to this claim.",
      proto: 3,
    }),
    storageClassName: field(string(), {
      description: "Name of the StorageClass required.",
      proto: 5,
      keepZero: true,
    }),
    volumeMode: field(enumOf(["Block", "Filesystem"]), {
      description: "Filesystem (the default) or Block.",
      proto: 6,
      keepZero: true,
    }),
    dataSource: field(TypedLocalObjectReference, {
      description: "A VolumeSnapshot or PVC to populate the volume from.",
      proto: 7,
    }),
    dataSourceRef: field(TypedObjectReference, {
      description: "Any populator object to fill the volume from.",
      proto: 8,
    }),
    volumeAttributesClassName: field(string(), {
      description: "The VolumeAttributesClass of the claim.",
      proto: 9,
      keepZero: true,
    }),
  },
});

/** The PVC an ephemeral volume creates. */
export const PersistentVolumeClaimTemplate = object(`${CORE}.PersistentVolumeClaimTemplate`, {
  description: "The claim created for a generic ephemeral volume, owned by the pod.",
  fields: {
    metadata: field(ObjectMeta, {
      description: "Labels and annotations copied into the claim.",
      proto: 1,
    }),
    spec: requiredField(PersistentVolumeClaimSpec, {
      description: "Spec of the claim, copied unchanged.",
      proto: 2,
    }),
  },
});

/** A volume provisioned through a PVC that lives as long as the pod. */
export const EphemeralVolumeSource = object(`${CORE}.EphemeralVolumeSource`, {
  description: "A volume backed by a PVC created for, and deleted with, the pod.",
  fields: {
    volumeClaimTemplate: field(PersistentVolumeClaimTemplate, {
      description: "Template of the claim, named <pod name>-<volume name>.",
      proto: 1,
    }),
  },
});

/** An OCI image or artifact mounted read-only. */
export const ImageVolumeSource = object(`${CORE}.ImageVolumeSource`, {
  description: "An OCI image or artifact, mounted read-only and noexec.",
  fields: {
    reference: field(string(), {
      description: "Image or artifact reference, as a container image.",
      proto: 1,
    }),
    pullPolicy: field(enumOf(["Always", "IfNotPresent", "Never"]), {
      description: "Always, Never or IfNotPresent; from the tag when unset.",
      proto: 2,
    }),
  },
});

/** The fields of a VolumeSource, by JSON name, with their numbers in the VolumeSource message. */
const volumeSourceFields = {
  hostPath: field(HostPathVolumeSource, { description: "A path on the node.", proto: 1 }),
  emptyDir: field(EmptyDirVolumeSource, {
    description: "A scratch directory for the pod's lifetime.",
    proto: 2,
  }),
  gcePersistentDisk: field(GCEPersistentDiskVolumeSource, {
    description: "A GCE persistent disk (deprecated).",
    proto: 3,
  }),
  awsElasticBlockStore: field(AWSElasticBlockStoreVolumeSource, {
    description: "An AWS EBS volume (deprecated).",
    proto: 4,
  }),
  gitRepo: field(GitRepoVolumeSource, {
    description: "A git repository (deprecated).",
    proto: 5,
  }),
  secret: field(SecretVolumeSource, { description: "A Secret's keys as files.", proto: 6 }),
  nfs: field(NFSVolumeSource, { description: "An NFS export.", proto: 7 }),
  iscsi: field(ISCSIVolumeSource, { description: "An iSCSI disk.", proto: 8 }),
  glusterfs: field(GlusterfsVolumeSource, {
    description: "A GlusterFS volume (deprecated).",
    proto: 9,
  }),
  persistentVolumeClaim: field(PersistentVolumeClaimVolumeSource, {
    description: "A PersistentVolumeClaim in the pod's namespace.",
    proto: 10,
  }),
  rbd: field(RBDVolumeSource, { description: "A Ceph RBD image (deprecated).", proto: 11 }),
  flexVolume: field(FlexVolumeSource, {
    description: "A FlexVolume driver volume (deprecated).",
    proto: 12,
  }),
  cinder: field(CinderVolumeSource, {
    description: "An OpenStack Cinder volume (deprecated).",
    proto: 13,
  }),
  cephfs: field(CephFSVolumeSource, { description: "A CephFS mount (deprecated).", proto: 14 }),
  flocker: field(FlockerVolumeSource, {
    description: "A Flocker dataset (deprecated).",
    proto: 15,
  }),
  downwardAPI: field(DownwardAPIVolumeSource, {
    description: "Pod fields as files.",
    proto: 16,
  }),
  fc: field(FCVolumeSource, { description: "A Fibre Channel disk.", proto: 17 }),
  azureFile: field(AzureFileVolumeSource, {
    description: "An Azure File share (deprecated).",
    proto: 18,
  }),
  configMap: field(ConfigMapVolumeSource, {
    description: "A ConfigMap's keys as files.",
    proto: 19,
  }),
  vsphereVolume: field(VsphereVirtualDiskVolumeSource, {
    description: "A vSphere disk (deprecated).",
    proto: 20,
  }),
  quobyte: field(QuobyteVolumeSource, {
    description: "A Quobyte volume (deprecated).",
    proto: 21,
  }),
  azureDisk: field(AzureDiskVolumeSource, {
    description: "An Azure data disk (deprecated).",
    proto: 22,
  }),
  photonPersistentDisk: field(PhotonPersistentDiskVolumeSource, {
    description: "A Photon Controller disk (deprecated).",
    proto: 23,
  }),
  projected: field(ProjectedVolumeSource, {
    description: "Several sources in one directory.",
    proto: 26,
  }),
  portworxVolume: field(PortworxVolumeSource, {
    description: "A Portworx volume (deprecated).",
    proto: 24,
  }),
  scaleIO: field(ScaleIOVolumeSource, {
    description: "A ScaleIO volume (deprecated).",
    proto: 25,
  }),
  storageos: field(StorageOSVolumeSource, {
    description: "A StorageOS volume (deprecated).",
    proto: 27,
  }),
  csi: field(CSIVolumeSource, { description: "An inline CSI volume.", proto: 28 }),
  ephemeral: field(EphemeralVolumeSource, {
    description: "A PVC created for the pod and deleted with it.",
    proto: 29,
  }),
  image: field(ImageVolumeSource, {
    description: "An OCI image or artifact, read-only.",
    proto: 30,
  }),
} as const;

/** The names of all volume source fields, in upstream order. */
export const VOLUME_SOURCE_FIELDS = Object.keys(volumeSourceFields) as readonly (
  keyof typeof volumeSourceFields
)[];

/**
 * A volume source (exactly one member set). Not an OpenAPI definition of its own: Volume inlines
 * it; kept as a schema for protobuf decoding (Volume field 2).
 */
export const VolumeSource = object(`${CORE}.VolumeSource`, {
  description: "Where a volume comes from; exactly one member is set.",
  fields: volumeSourceFields,
});

/** A named volume that containers of the pod may mount. */
export const Volume = object(`${CORE}.Volume`, {
  description: "A named volume that the pod's containers may mount.",
  fields: {
    name: requiredField(string(), {
      description: "Name of the volume, a DNS label unique within the pod.",
      proto: 1,
    }),
  },
  protoInline: [{ proto: 2, schema: VolumeSource }],
});

// --- containers ---------------------------------------------------------------------------------

/** A port a container listens on. */
export const ContainerPort = object(`${CORE}.ContainerPort`, {
  description: "A network port of a container.",
  fields: {
    name: field(string(), {
      description: "An IANA service name, unique within the pod, that Services can refer to.",
      proto: 1,
    }),
    hostPort: field(int32(), {
      description: "Port to expose on the node; must equal containerPort with hostNetwork.",
      proto: 2,
    }),
    containerPort: requiredField(int32(), {
      description: "Port number on the pod's IP address (1-65535).",
      proto: 3,
    }),
    protocol: field(enumOf(["SCTP", "TCP", "UDP"]), {
      description: "TCP (the default), UDP or SCTP.",
      proto: 4,
      default: "TCP",
    }),
    hostIP: field(string(), { description: "Host IP to bind the host port to.", proto: 5 }),
  },
});

/** Where an environment variable's value comes from. */
export const EnvVarSource = object(`${CORE}.EnvVarSource`, {
  description: "The source of an environment variable's value; exactly one member is set.",
  fields: {
    fieldRef: field(ObjectFieldSelector, {
      description: "A pod field (metadata.name, status.podIP, …).",
      proto: 1,
    }),
    resourceFieldRef: field(ResourceFieldSelector, {
      description: "A resource limit or request of the container.",
      proto: 2,
    }),
    configMapKeyRef: field(ConfigMapKeySelector, {
      description: "A key of a ConfigMap.",
      proto: 3,
    }),
    secretKeyRef: field(SecretKeySelector, { description: "A key of a Secret.", proto: 4 }),
  },
});

/** An environment variable of a container. */
export const EnvVar = object(`${CORE}.EnvVar`, {
  description: "An environment variable of a container.",
  fields: {
    name: requiredField(string(), {
      description: "Name of the variable: printable ASCII characters other than '='.",
      proto: 1,
    }),
    value: field(string(), {
      description: "The value; $(VAR) references to earlier variables are expanded.",
      proto: 2,
    }),
    valueFrom: field(EnvVarSource, {
      description: "Where the value comes from; not with value.",
      proto: 3,
    }),
  },
});

/** A ConfigMap whose keys become environment variables. */
export const ConfigMapEnvSource = object(`${CORE}.ConfigMapEnvSource`, {
  description: "A ConfigMap whose keys become environment variables.",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    optional: field(boolean(), {
      description: "Whether the ConfigMap may be missing.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** A Secret whose keys become environment variables. */
export const SecretEnvSource = object(`${CORE}.SecretEnvSource`, {
  description: "A Secret whose keys become environment variables.",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    optional: field(boolean(), {
      description: "Whether the Secret may be missing.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** A set of environment variables from a ConfigMap or Secret. */
export const EnvFromSource = object(`${CORE}.EnvFromSource`, {
  description: "Environment variables from all keys of a ConfigMap or Secret.",
  fields: {
    prefix: field(string(), { description: "Prefix added to every variable name.", proto: 1 }),
    configMapRef: field(ConfigMapEnvSource, { description: "The ConfigMap.", proto: 2 }),
    secretRef: field(SecretEnvSource, { description: "The Secret.", proto: 3 }),
  },
});

/** A volume mounted into a container. */
export const VolumeMount = object(`${CORE}.VolumeMount`, {
  description: "Mounts one of the pod's volumes into a container.",
  fields: {
    name: requiredField(string(), { description: "Name of the pod volume.", proto: 1 }),
    readOnly: readOnlyField(2),
    recursiveReadOnly: field(enumOf(["Disabled", "IfPossible", "Enabled"]), {
      description: "With readOnly: Disabled, IfPossible or Enabled recursive read-only mounting.",
      proto: 7,
      keepZero: true,
    }),
    mountPath: requiredField(string(), {
      description: "Path inside the container; may not contain ':'.",
      proto: 3,
    }),
    subPath: field(string(), {
      description: "Path within the volume to mount instead of its root.",
      proto: 4,
    }),
    mountPropagation: field(enumOf(["Bidirectional", "HostToContainer", "None"]), {
      description: "None (the default), HostToContainer or Bidirectional.",
      proto: 5,
      keepZero: true,
    }),
    subPathExpr: field(string(), {
      description: "Like subPath, with $(VAR) expansion; exclusive with subPath.",
      proto: 6,
    }),
  },
});

/** A raw block device mapped into a container. */
export const VolumeDevice = object(`${CORE}.VolumeDevice`, {
  description: "Maps a block-mode volume to a device path in the container.",
  fields: {
    name: requiredField(string(), {
      description: "Name of a persistentVolumeClaim or ephemeral volume of the pod.",
      proto: 1,
    }),
    devicePath: requiredField(string(), {
      description: "Device path inside the container.",
      proto: 2,
    }),
  },
});

/** A command run in the container. */
export const ExecAction = object(`${CORE}.ExecAction`, {
  description: "Runs a command in the container; exit status 0 means success.",
  fields: {
    command: field(array(string(), { listType: "atomic" }), {
      description: "Command line, run without a shell.",
      proto: 1,
    }),
  },
});

/** A header of an HTTP probe. */
export const HTTPHeader = object(`${CORE}.HTTPHeader`, {
  description: "A custom header of an HTTP probe.",
  fields: {
    name: requiredField(string(), { description: "Header name.", proto: 1 }),
    value: requiredField(string(), { description: "Header value.", proto: 2 }),
  },
});

/** An HTTP GET request. */
export const HTTPGetAction = object(`${CORE}.HTTPGetAction`, {
  description: "An HTTP GET request; a 2xx or 3xx status means success.",
  fields: {
    path: field(string(), { description: "Request path; defaults to /.", proto: 1 }),
    port: requiredField(intOrString(), {
      description: "Port number (1-65535) or name of the container port.",
      proto: 2,
    }),
    host: field(string(), { description: "Host to connect to; the pod IP when unset.", proto: 3 }),
    scheme: field(enumOf(["HTTP", "HTTPS"]), {
      description: "HTTP (the default) or HTTPS.",
      proto: 4,
    }),
    httpHeaders: field(array(HTTPHeader, { listType: "atomic" }), {
      description: "Custom request headers.",
      proto: 5,
    }),
  },
});

/** A TCP connection attempt. */
export const TCPSocketAction = object(`${CORE}.TCPSocketAction`, {
  description: "Opens a TCP connection; success when it connects.",
  fields: {
    port: requiredField(intOrString(), {
      description: "Port number (1-65535) or name of the container port.",
      proto: 1,
    }),
    host: field(string(), { description: "Host to connect to; the pod IP when unset.", proto: 2 }),
  },
});

/** A gRPC health check. */
export const GRPCAction = object(`${CORE}.GRPCAction`, {
  description: "A gRPC health check request.",
  fields: {
    port: requiredField(int32(), { description: "Port of the gRPC service (1-65535).", proto: 1 }),
    service: field(string(), {
      description: "Service name put in the HealthCheckRequest.",
      proto: 2,
      keepZero: true,
      default: "",
    }),
  },
});

/** A pause, for preStop hooks. */
export const SleepAction = object(`${CORE}.SleepAction`, {
  description: "Sleeps for a number of seconds.",
  fields: {
    seconds: requiredField(int64(), { description: "Seconds to sleep.", proto: 1 }),
  },
});

const probeHandlerFields = {
  exec: field(ExecAction, { description: "Run a command.", proto: 1 }),
  httpGet: field(HTTPGetAction, { description: "Send an HTTP GET request.", proto: 2 }),
  tcpSocket: field(TCPSocketAction, { description: "Open a TCP connection.", proto: 3 }),
  grpc: field(GRPCAction, { description: "Send a gRPC health check.", proto: 4 }),
} as const;

/** A probe's action (inlined into Probe). */
export const ProbeHandler = object(`${CORE}.ProbeHandler`, {
  description: "The action of a probe; exactly one member is set.",
  fields: probeHandlerFields,
});

/** A health check of a container. */
export const Probe = object(`${CORE}.Probe`, {
  description: "A periodic health check of a container.",
  protoInline: [{ proto: 1, schema: ProbeHandler }],
  fields: {
    initialDelaySeconds: field(int32(), {
      description: "Seconds after container start before the first probe.",
      proto: 2,
    }),
    timeoutSeconds: field(int32(), {
      description: "Seconds after which the probe times out; defaults to 1.",
      proto: 3,
    }),
    periodSeconds: field(int32(), {
      description: "Seconds between probes; defaults to 10.",
      proto: 4,
    }),
    successThreshold: field(int32(), {
      description: "Consecutive successes to count as passing; defaults to 1.",
      proto: 5,
    }),
    failureThreshold: field(int32(), {
      description: "Consecutive failures to count as failing; defaults to 3.",
      proto: 6,
    }),
    terminationGracePeriodSeconds: field(int64(), {
      description: "Grace period when the probe fails; overrides the pod's.",
      proto: 7,
      keepZero: true,
    }),
  },
});

/** The action of a lifecycle hook. */
export const LifecycleHandler = object(`${CORE}.LifecycleHandler`, {
  description: "The action of a lifecycle hook; exactly one member is set.",
  fields: {
    exec: field(ExecAction, { description: "Run a command.", proto: 1 }),
    httpGet: field(HTTPGetAction, { description: "Send an HTTP GET request.", proto: 2 }),
    tcpSocket: field(TCPSocketAction, {
      description: "Deprecated and not supported as a hook.",
      proto: 3,
    }),
    sleep: field(SleepAction, { description: "Sleep.", proto: 4 }),
  },
});

/** Hooks run after start and before stop of a container. */
export const Lifecycle = object(`${CORE}.Lifecycle`, {
  description: "Actions run in response to container lifecycle events.",
  fields: {
    postStart: field(LifecycleHandler, {
      description: "Runs right after the container is created.",
      proto: 1,
    }),
    preStop: field(LifecycleHandler, {
      description: "Runs before the container is terminated.",
      proto: 2,
    }),
    stopSignal: field(string(), {
      description: "Signal sent to stop the container (alpha ContainerStopSignals; off in 1.33).",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** POSIX capabilities to add or drop. */
export const Capabilities = object(`${CORE}.Capabilities`, {
  description: "POSIX capabilities added to or dropped from the container.",
  fields: {
    add: field(array(string(), { listType: "atomic" }), {
      description: "Capabilities to add.",
      proto: 1,
    }),
    drop: field(array(string(), { listType: "atomic" }), {
      description: "Capabilities to drop.",
      proto: 2,
    }),
  },
});

/** SELinux labels. */
export const SELinuxOptions = object(`${CORE}.SELinuxOptions`, {
  description: "SELinux labels applied to the container.",
  fields: {
    user: field(string(), { description: "SELinux user label.", proto: 1 }),
    role: field(string(), { description: "SELinux role label.", proto: 2 }),
    type: field(string(), { description: "SELinux type label.", proto: 3 }),
    level: field(string(), { description: "SELinux level label.", proto: 4 }),
  },
});

/** Windows-specific security options. */
export const WindowsSecurityContextOptions = object(`${CORE}.WindowsSecurityContextOptions`, {
  description: "Windows-specific options and credentials.",
  fields: {
    gmsaCredentialSpecName: field(string(), {
      description: "Name of the GMSA credential spec.",
      proto: 1,
      keepZero: true,
    }),
    gmsaCredentialSpec: field(string(), {
      description: "Contents of the GMSA credential spec.",
      proto: 2,
      keepZero: true,
    }),
    runAsUserName: field(string(), {
      description: "Windows user name to run the entrypoint as.",
      proto: 3,
      keepZero: true,
    }),
    hostProcess: field(boolean(), {
      description: "Run as a host process container.",
      proto: 4,
      keepZero: true,
    }),
  },
});

const PROFILE_TYPES = ["Localhost", "RuntimeDefault", "Unconfined"] as const;

/** A seccomp profile. */
export const SeccompProfile = object(`${CORE}.SeccompProfile`, {
  description: "The seccomp profile of a pod or container.",
  fields: {
    type: requiredField(enumOf(PROFILE_TYPES), {
      description: "Localhost, RuntimeDefault or Unconfined.",
      proto: 1,
    }),
    localhostProfile: field(string(), {
      description: "With Localhost: path of the profile relative to the kubelet's seccomp root.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** An AppArmor profile. */
export const AppArmorProfile = object(`${CORE}.AppArmorProfile`, {
  description: "The AppArmor profile of a pod or container.",
  fields: {
    type: requiredField(enumOf(PROFILE_TYPES), {
      description: "Localhost, RuntimeDefault or Unconfined.",
      proto: 1,
    }),
    localhostProfile: field(string(), {
      description: "With Localhost: name of a profile loaded on the node.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** Security settings of one container. */
export const SecurityContext = object(`${CORE}.SecurityContext`, {
  description: "Security settings of a container; they override the pod's.",
  fields: {
    capabilities: field(Capabilities, { description: "Capabilities to add or drop.", proto: 1 }),
    privileged: field(boolean(), {
      description: "Run privileged, essentially root on the node.",
      proto: 2,
      keepZero: true,
    }),
    seLinuxOptions: field(SELinuxOptions, { description: "SELinux labels.", proto: 3 }),
    windowsOptions: field(WindowsSecurityContextOptions, {
      description: "Windows-specific settings.",
      proto: 10,
    }),
    runAsUser: field(int64(), { description: "UID of the entrypoint.", proto: 4, keepZero: true }),
    runAsGroup: field(int64(), { description: "GID of the entrypoint.", proto: 8, keepZero: true }),
    runAsNonRoot: field(boolean(), {
      description: "Refuse to start when the image runs as UID 0.",
      proto: 5,
      keepZero: true,
    }),
    readOnlyRootFilesystem: field(boolean(), {
      description: "Mount the root filesystem read-only.",
      proto: 6,
      keepZero: true,
    }),
    allowPrivilegeEscalation: field(boolean(), {
      description: "Whether processes may gain more privileges than their parent (no_new_privs).",
      proto: 7,
      keepZero: true,
    }),
    procMount: field(enumOf(["Default", "Unmasked"]), {
      description: "Default or Unmasked /proc.",
      proto: 9,
      keepZero: true,
    }),
    seccompProfile: field(SeccompProfile, { description: "Seccomp profile.", proto: 11 }),
    appArmorProfile: field(AppArmorProfile, { description: "AppArmor profile.", proto: 12 }),
  },
});

/** How a resource resize is applied. */
export const ContainerResizePolicy = object(`${CORE}.ContainerResizePolicy`, {
  description: "Whether resizing a resource restarts the container.",
  fields: {
    resourceName: requiredField(string(), { description: "cpu or memory.", proto: 1 }),
    restartPolicy: requiredField(enumOf(["NotRequired", "RestartContainer"]), {
      description: "NotRequired or RestartContainer.",
      proto: 2,
    }),
  },
});

const containerFields = {
  name: requiredField(string(), {
    description: "Name of the container, a DNS label unique within the pod.",
    proto: 1,
  }),
  image: field(string(), { description: "Container image reference.", proto: 2 }),
  command: field(array(string(), { listType: "atomic" }), {
    description: "Entrypoint, replacing the image's ENTRYPOINT; not run in a shell.",
    proto: 3,
  }),
  args: field(array(string(), { listType: "atomic" }), {
    description: "Arguments, replacing the image's CMD.",
    proto: 4,
  }),
  workingDir: field(string(), { description: "Working directory.", proto: 5 }),
  ports: field(
    array(ContainerPort, { listType: "map", listMapKeys: ["containerPort", "protocol"] }),
    {
      description: "Ports the container exposes (informational).",
      proto: 6,
      patchStrategy: "merge",
      patchMergeKey: "containerPort",
    },
  ),
  envFrom: field(array(EnvFromSource, { listType: "atomic" }), {
    description: "Environment variables from ConfigMaps and Secrets.",
    proto: 19,
  }),
  env: field(array(EnvVar, { listType: "map", listMapKeys: ["name"] }), {
    description: "Environment variables.",
    proto: 7,
    patchStrategy: "merge",
    patchMergeKey: "name",
  }),
  resources: field(ResourceRequirements, {
    description: "Compute resources requested and allowed.",
    proto: 8,
  }),
  resizePolicy: field(array(ContainerResizePolicy, { listType: "atomic" }), {
    description: "How in-place resizes are applied, per resource.",
    proto: 23,
  }),
  restartPolicy: field(string(), {
    description: "Always, for an init container that runs alongside the pod (a sidecar).",
    proto: 24,
    keepZero: true,
  }),
  volumeMounts: field(array(VolumeMount, { listType: "map", listMapKeys: ["mountPath"] }), {
    description: "Pod volumes mounted into the container.",
    proto: 9,
    patchStrategy: "merge",
    patchMergeKey: "mountPath",
  }),
  volumeDevices: field(array(VolumeDevice, { listType: "map", listMapKeys: ["devicePath"] }), {
    description: "Block devices mapped into the container.",
    proto: 21,
    patchStrategy: "merge",
    patchMergeKey: "devicePath",
  }),
  livenessProbe: field(Probe, {
    description: "Restarts the container when it fails.",
    proto: 10,
  }),
  readinessProbe: field(Probe, {
    description: "Removes the pod from Service endpoints when it fails.",
    proto: 11,
  }),
  startupProbe: field(Probe, {
    description: "Holds the other probes until the container has started.",
    proto: 22,
  }),
  lifecycle: field(Lifecycle, { description: "Lifecycle hooks.", proto: 12 }),
  terminationMessagePath: field(string(), {
    description: "File the termination message is read from; defaults to /dev/termination-log.",
    proto: 13,
  }),
  terminationMessagePolicy: field(enumOf(["File", "FallbackToLogsOnError"]), {
    description: "File (the default) or FallbackToLogsOnError.",
    proto: 20,
  }),
  imagePullPolicy: field(enumOf(["Always", "IfNotPresent", "Never"]), {
    description: "Always, Never or IfNotPresent; Always for :latest or no tag, else IfNotPresent.",
    proto: 14,
  }),
  securityContext: field(SecurityContext, { description: "Security settings.", proto: 15 }),
  stdin: field(boolean(), { description: "Allocate a stdin buffer.", proto: 16 }),
  stdinOnce: field(boolean(), {
    description: "Close stdin after the first attach disconnects.",
    proto: 17,
  }),
  tty: field(boolean(), { description: "Allocate a TTY (needs stdin).", proto: 18 }),
} as const;

/** One container of a pod. */
export const Container = object(`${CORE}.Container`, {
  description: "A container run in a pod.",
  fields: containerFields,
});

/** The Container fields of an ephemeral container (inlined into EphemeralContainer). */
export const EphemeralContainerCommon = object(`${CORE}.EphemeralContainerCommon`, {
  description: "The fields an ephemeral container shares with Container.",
  fields: containerFields,
});

/** A debugging container added to a running pod. */
export const EphemeralContainer = object(`${CORE}.EphemeralContainer`, {
  description:
    "A temporary container added to a running pod for debugging, through the ephemeralcontainers subresource.",
  protoInline: [{ proto: 1, schema: EphemeralContainerCommon }],
  fields: {
    targetContainerName: field(string(), {
      description: "Container whose namespaces (PID, IPC…) this one joins.",
      proto: 2,
    }),
  },
});

// --- scheduling ---------------------------------------------------------------------------------

/** A weighted node selector term. */
export const PreferredSchedulingTerm = object(`${CORE}.PreferredSchedulingTerm`, {
  description: "A node selector term with a weight, for soft node affinity.",
  fields: {
    weight: requiredField(int32(), { description: "Weight, 1-100.", proto: 1 }),
    preference: requiredField(NodeSelectorTerm, { description: "The term.", proto: 2 }),
  },
});

/** Node affinity rules. */
export const NodeAffinity = object(`${CORE}.NodeAffinity`, {
  description: "Rules choosing the nodes a pod may or prefers to run on.",
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: field(NodeSelector, {
      description: "Nodes the pod must be scheduled on.",
      proto: 1,
    }),
    preferredDuringSchedulingIgnoredDuringExecution: field(
      array(PreferredSchedulingTerm, { listType: "atomic" }),
      { description: "Nodes the pod prefers, by weight.", proto: 2 },
    ),
  },
});

/** A set of pods, in some namespaces, and a topology key. */
export const PodAffinityTerm = object(`${CORE}.PodAffinityTerm`, {
  description:
    "Pods (selected by labels in some namespaces) that this pod should, or should not, share a topology domain with.",
  fields: {
    labelSelector: field(LabelSelector, {
      description: "The pods; null matches none.",
      proto: 1,
    }),
    namespaces: field(array(string(), { listType: "atomic" }), {
      description: "Namespaces of the pods; with namespaceSelector, the union.",
      proto: 2,
    }),
    topologyKey: requiredField(string(), {
      description: "Node label defining the topology domain.",
      proto: 3,
    }),
    namespaceSelector: field(LabelSelector, {
      description: "Namespaces of the pods, by label.",
      proto: 4,
    }),
    matchLabelKeys: field(array(string(), { listType: "atomic" }), {
      description: "Label keys whose values on this pod are added to labelSelector as In.",
      proto: 5,
    }),
    mismatchLabelKeys: field(array(string(), { listType: "atomic" }), {
      description: "Label keys whose values on this pod are added to labelSelector as NotIn.",
      proto: 6,
    }),
  },
});

/** A weighted pod affinity term. */
export const WeightedPodAffinityTerm = object(`${CORE}.WeightedPodAffinityTerm`, {
  description: "A pod affinity term with a weight, for soft (anti-)affinity.",
  fields: {
    weight: requiredField(int32(), { description: "Weight, 1-100.", proto: 1 }),
    podAffinityTerm: requiredField(PodAffinityTerm, { description: "The term.", proto: 2 }),
  },
});

/** Inter-pod affinity. */
export const PodAffinity = object(`${CORE}.PodAffinity`, {
  description: "Pods this pod should be co-located with.",
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: field(
      array(PodAffinityTerm, { listType: "atomic" }),
      { description: "Terms that must all hold.", proto: 1 },
    ),
    preferredDuringSchedulingIgnoredDuringExecution: field(
      array(WeightedPodAffinityTerm, { listType: "atomic" }),
      { description: "Terms preferred, by weight.", proto: 2 },
    ),
  },
});

/** Inter-pod anti-affinity. */
export const PodAntiAffinity = object(`${CORE}.PodAntiAffinity`, {
  description: "Pods this pod should not be co-located with.",
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: field(
      array(PodAffinityTerm, { listType: "atomic" }),
      { description: "Terms that must all hold.", proto: 1 },
    ),
    preferredDuringSchedulingIgnoredDuringExecution: field(
      array(WeightedPodAffinityTerm, { listType: "atomic" }),
      { description: "Terms preferred, by weight.", proto: 2 },
    ),
  },
});

/** All affinity rules of a pod. */
export const Affinity = object(`${CORE}.Affinity`, {
  description: "Scheduling affinity rules of a pod.",
  fields: {
    nodeAffinity: field(NodeAffinity, { description: "Node affinity.", proto: 1 }),
    podAffinity: field(PodAffinity, { description: "Pod affinity.", proto: 2 }),
    podAntiAffinity: field(PodAntiAffinity, { description: "Pod anti-affinity.", proto: 3 }),
  },
});

/** How matching pods are spread over a topology. */
export const TopologySpreadConstraint = object(`${CORE}.TopologySpreadConstraint`, {
  description: "How matching pods are spread across the domains of a topology.",
  fields: {
    maxSkew: requiredField(int32(), {
      description: "Largest allowed difference of matching pods between domains; at least 1.",
      proto: 1,
    }),
    topologyKey: requiredField(string(), {
      description: "Node label defining the domains.",
      proto: 2,
    }),
    whenUnsatisfiable: requiredField(enumOf(["DoNotSchedule", "ScheduleAnyway"]), {
      description: "DoNotSchedule or ScheduleAnyway.",
      proto: 3,
    }),
    labelSelector: field(LabelSelector, {
      description: "The pods counted in each domain.",
      proto: 4,
    }),
    minDomains: field(int32(), {
      description: "Minimum number of eligible domains (with DoNotSchedule).",
      proto: 5,
      keepZero: true,
    }),
    nodeAffinityPolicy: field(enumOf(["Honor", "Ignore"]), {
      description: "Whether node affinity limits the domains: Honor (default) or Ignore.",
      proto: 6,
      keepZero: true,
    }),
    nodeTaintsPolicy: field(enumOf(["Honor", "Ignore"]), {
      description: "Whether taints limit the domains: Honor or Ignore (default).",
      proto: 7,
      keepZero: true,
    }),
    matchLabelKeys: field(array(string(), { listType: "atomic" }), {
      description: "Label keys whose values on this pod are ANDed with labelSelector.",
      proto: 8,
    }),
  },
});

/** An /etc/hosts entry. */
export const HostAlias = object(`${CORE}.HostAlias`, {
  description: "An entry added to the pod's /etc/hosts.",
  fields: {
    ip: requiredField(string(), { description: "IP address of the entry.", proto: 1 }),
    hostnames: field(array(string(), { listType: "atomic" }), {
      description: "Hostnames for the IP.",
      proto: 2,
    }),
  },
});

/** One resolver option. */
export const PodDNSConfigOption = object(`${CORE}.PodDNSConfigOption`, {
  description: "A resolver option (resolv.conf options).",
  fields: {
    name: field(string(), { description: "Option name; required.", proto: 1 }),
    value: field(string(), { description: "Option value.", proto: 2, keepZero: true }),
  },
});

/** DNS settings merged into those of the DNS policy. */
export const PodDNSConfig = object(`${CORE}.PodDNSConfig`, {
  description: "DNS parameters merged with those the DNS policy generates.",
  fields: {
    nameservers: field(array(string(), { listType: "atomic" }), {
      description: "Name server IPs (at most 3 in total).",
      proto: 1,
    }),
    searches: field(array(string(), { listType: "atomic" }), {
      description: "Search domains.",
      proto: 2,
    }),
    options: field(array(PodDNSConfigOption, { listType: "atomic" }), {
      description: "Resolver options.",
      proto: 3,
    }),
  },
});

/** A condition a pod's readiness also waits for. */
export const PodReadinessGate = object(`${CORE}.PodReadinessGate`, {
  description: "A pod condition that must be True for the pod to be ready.",
  fields: {
    conditionType: requiredField(string(), {
      description: "Type of the condition in status.conditions.",
      proto: 1,
    }),
  },
});

/** A gate that holds scheduling. */
export const PodSchedulingGate = object(`${CORE}.PodSchedulingGate`, {
  description: "Blocks scheduling of the pod while present.",
  fields: {
    name: requiredField(string(), { description: "Name of the gate, unique.", proto: 1 }),
  },
});

/** The operating system of a pod. */
export const PodOS = object(`${CORE}.PodOS`, {
  description: "The operating system the pod's containers need.",
  fields: {
    name: requiredField(enumOf(["linux", "windows"]), {
      description: "linux or windows.",
      proto: 1,
    }),
  },
});

/** A ResourceClaim the pod uses. */
export const PodResourceClaim = object(`${CORE}.PodResourceClaim`, {
  description: "A ResourceClaim, or a template for one, that the pod needs (DRA).",
  fields: {
    name: requiredField(string(), {
      description: "Name of the claim within the pod, a DNS label.",
      proto: 1,
    }),
    resourceClaimName: field(string(), {
      description: "An existing ResourceClaim in the pod's namespace.",
      proto: 3,
      keepZero: true,
    }),
    resourceClaimTemplateName: field(string(), {
      description: "A ResourceClaimTemplate to create a claim from.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A sysctl. */
export const Sysctl = object(`${CORE}.Sysctl`, {
  description: "A namespaced kernel parameter set for the pod.",
  fields: {
    name: requiredField(string(), { description: "Name of the sysctl.", proto: 1 }),
    value: requiredField(string(), { description: "Value of the sysctl.", proto: 2 }),
  },
});

/** Pod-level security settings. */
export const PodSecurityContext = object(`${CORE}.PodSecurityContext`, {
  description: "Security settings of the pod and defaults for its containers.",
  fields: {
    seLinuxOptions: field(SELinuxOptions, { description: "SELinux labels.", proto: 1 }),
    windowsOptions: field(WindowsSecurityContextOptions, {
      description: "Windows-specific settings.",
      proto: 8,
    }),
    runAsUser: field(int64(), { description: "UID of the entrypoints.", proto: 2, keepZero: true }),
    runAsGroup: field(int64(), {
      description: "GID of the entrypoints.",
      proto: 6,
      keepZero: true,
    }),
    runAsNonRoot: field(boolean(), {
      description: "Refuse to start containers whose image runs as UID 0.",
      proto: 3,
      keepZero: true,
    }),
    supplementalGroups: field(array(int64(), { listType: "atomic" }), {
      description: "Extra groups of the first process of each container.",
      proto: 4,
    }),
    supplementalGroupsPolicy: field(enumOf(["Merge", "Strict"]), {
      description: "Merge (the default) or Strict.",
      proto: 12,
      keepZero: true,
    }),
    fsGroup: field(int64(), {
      description: "Group owning the pod's volumes, where the volume type supports it.",
      proto: 5,
      keepZero: true,
    }),
    sysctls: field(array(Sysctl, { listType: "atomic" }), {
      description: "Namespaced sysctls.",
      proto: 7,
    }),
    fsGroupChangePolicy: field(enumOf(["Always", "OnRootMismatch"]), {
      description: "When volume ownership is changed: Always (default) or OnRootMismatch.",
      proto: 9,
      keepZero: true,
    }),
    seccompProfile: field(SeccompProfile, { description: "Seccomp profile.", proto: 10 }),
    appArmorProfile: field(AppArmorProfile, { description: "AppArmor profile.", proto: 11 }),
    seLinuxChangePolicy: field(string(), {
      description: "How SELinux labels are applied to volumes: Recursive or MountOption.",
      proto: 13,
      keepZero: true,
    }),
  },
});

/** The desired state of a pod. */
export const PodSpec = object(`${CORE}.PodSpec`, {
  description: "The desired state of a pod.",
  fields: {
    volumes: field(array(Volume, { listType: "map", listMapKeys: ["name"] }), {
      description: "Volumes the containers may mount.",
      proto: 1,
      patchStrategy: "merge,retainKeys",
      patchMergeKey: "name",
    }),
    initContainers: field(array(Container, { listType: "map", listMapKeys: ["name"] }), {
      description: "Containers run to completion, in order, before the others start.",
      proto: 20,
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    containers: requiredField(array(Container, { listType: "map", listMapKeys: ["name"] }), {
      description: "The containers; at least one.",
      proto: 2,
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    ephemeralContainers: field(
      array(EphemeralContainer, { listType: "map", listMapKeys: ["name"] }),
      {
        description: "Debugging containers added through the ephemeralcontainers subresource.",
        proto: 34,
        patchStrategy: "merge",
        patchMergeKey: "name",
      },
    ),
    restartPolicy: field(enumOf(["Always", "OnFailure", "Never"]), {
      description: "Always (the default), OnFailure or Never.",
      proto: 3,
    }),
    terminationGracePeriodSeconds: field(int64(), {
      description: "Seconds between the termination signal and the kill; defaults to 30.",
      proto: 4,
      keepZero: true,
    }),
    activeDeadlineSeconds: field(int64(), {
      description: "Seconds the pod may run before it is failed.",
      proto: 5,
      keepZero: true,
    }),
    dnsPolicy: field(enumOf(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]), {
      description: "ClusterFirst (the default), ClusterFirstWithHostNet, Default or None.",
      proto: 6,
    }),
    nodeSelector: field(map(string(), { mapType: "atomic" }), {
      description: "Labels a node must have for the pod to run on it.",
      proto: 7,
    }),
    serviceAccountName: field(string(), {
      description: "ServiceAccount the pod runs as.",
      proto: 8,
    }),
    serviceAccount: field(string(), {
      description: "Deprecated alias of serviceAccountName.",
      proto: 9,
    }),
    automountServiceAccountToken: field(boolean(), {
      description: "Whether a service account token is mounted.",
      proto: 21,
      keepZero: true,
    }),
    nodeName: field(string(), {
      description: "The node the pod is bound to; set by the scheduler.",
      proto: 10,
    }),
    hostNetwork: field(boolean(), { description: "Use the node's network namespace.", proto: 11 }),
    hostPID: field(boolean(), { description: "Use the node's PID namespace.", proto: 12 }),
    hostIPC: field(boolean(), { description: "Use the node's IPC namespace.", proto: 13 }),
    shareProcessNamespace: field(boolean(), {
      description: "Share one PID namespace between the pod's containers.",
      proto: 27,
      keepZero: true,
    }),
    securityContext: field(PodSecurityContext, {
      description: "Pod-level security settings.",
      proto: 14,
    }),
    imagePullSecrets: field(
      array(LocalObjectReference, { listType: "map", listMapKeys: ["name"] }),
      {
        description: "Secrets used to pull the images.",
        proto: 15,
        patchStrategy: "merge",
        patchMergeKey: "name",
      },
    ),
    hostname: field(string(), { description: "Hostname of the pod.", proto: 16 }),
    subdomain: field(string(), {
      description: "With hostname: the FQDN is <hostname>.<subdomain>.<namespace>.svc.<domain>.",
      proto: 17,
    }),
    affinity: field(Affinity, { description: "Scheduling affinity rules.", proto: 18 }),
    schedulerName: field(string(), {
      description: "Scheduler to dispatch the pod; defaults to default-scheduler.",
      proto: 19,
    }),
    tolerations: field(array(Toleration, { listType: "atomic" }), {
      description: "Taints the pod tolerates.",
      proto: 22,
    }),
    hostAliases: field(array(HostAlias, { listType: "map", listMapKeys: ["ip"] }), {
      description: "Entries added to /etc/hosts.",
      proto: 23,
      patchStrategy: "merge",
      patchMergeKey: "ip",
    }),
    priorityClassName: field(string(), {
      description: "PriorityClass giving the pod its priority.",
      proto: 24,
    }),
    priority: field(int32(), {
      description: "Priority value, set from priorityClassName by admission.",
      proto: 25,
      keepZero: true,
    }),
    dnsConfig: field(PodDNSConfig, { description: "Extra DNS settings.", proto: 26 }),
    readinessGates: field(array(PodReadinessGate, { listType: "atomic" }), {
      description: "Extra conditions readiness waits for.",
      proto: 28,
    }),
    runtimeClassName: field(string(), {
      description: "RuntimeClass to run the pod with.",
      proto: 29,
      keepZero: true,
    }),
    enableServiceLinks: field(boolean(), {
      description: "Inject Service environment variables; defaults to true.",
      proto: 30,
      keepZero: true,
    }),
    preemptionPolicy: field(enumOf(["PreemptLowerPriority", "Never"]), {
      description: "PreemptLowerPriority (the default) or Never.",
      proto: 31,
      keepZero: true,
    }),
    overhead: field(map(quantity()), {
      description: "Resource overhead of the RuntimeClass, set by admission.",
      proto: 32,
    }),
    topologySpreadConstraints: field(
      array(TopologySpreadConstraint, {
        listType: "map",
        listMapKeys: ["topologyKey", "whenUnsatisfiable"],
      }),
      {
        description: "How the pod spreads with its peers.",
        proto: 33,
        patchStrategy: "merge",
        patchMergeKey: "topologyKey",
      },
    ),
    setHostnameAsFQDN: field(boolean(), {
      description: "Set the pod's hostname to its FQDN.",
      proto: 35,
      keepZero: true,
    }),
    os: field(PodOS, { description: "Operating system of the pod.", proto: 36 }),
    hostUsers: field(boolean(), {
      description: "Use the node's user namespace; false creates a new one.",
      proto: 37,
      keepZero: true,
    }),
    schedulingGates: field(
      array(PodSchedulingGate, { listType: "map", listMapKeys: ["name"] }),
      {
        description: "Gates that block scheduling; may only be removed.",
        proto: 38,
        patchStrategy: "merge",
        patchMergeKey: "name",
      },
    ),
    resourceClaims: field(array(PodResourceClaim, { listType: "map", listMapKeys: ["name"] }), {
      description: "ResourceClaims the pod needs (DRA).",
      proto: 39,
      patchStrategy: "merge,retainKeys",
      patchMergeKey: "name",
    }),
    resources: field(ResourceRequirements, {
      description: "Pod-level resources (alpha PodLevelResources; off in 1.33).",
      proto: 40,
    }),
  },
});

// --- status -------------------------------------------------------------------------------------

/** One condition of a pod. */
export const PodCondition = object(`${CORE}.PodCondition`, {
  description: "One aspect of a pod's state (PodScheduled, Initialized, Ready…).",
  fields: {
    type: requiredField(string(), { description: "Type of the condition.", proto: 1 }),
    observedGeneration: field(int64(), {
      description: "Generation of the pod the condition was set for.",
      proto: 7,
    }),
    status: requiredField(string(), { description: "True, False or Unknown.", proto: 2 }),
    lastProbeTime: field(time(), { description: "When the condition was probed.", proto: 3 }),
    lastTransitionTime: field(time(), {
      description: "When the status last changed.",
      proto: 4,
    }),
    reason: field(string(), { description: "CamelCase reason for the last change.", proto: 5 }),
    message: field(string(), { description: "Human-readable details.", proto: 6 }),
  },
});

/** An IP address of a pod. */
export const PodIP = object(`${CORE}.PodIP`, {
  description: "An IP address allocated to the pod.",
  fields: { ip: requiredField(string(), { description: "The IP address.", proto: 1 }) },
});

/** An IP address of the pod's node. */
export const HostIP = object(`${CORE}.HostIP`, {
  description: "An IP address of the node the pod runs on.",
  fields: { ip: requiredField(string(), { description: "The IP address.", proto: 1 }) },
});

/** A container waiting to run. */
export const ContainerStateWaiting = object(`${CORE}.ContainerStateWaiting`, {
  description: "A container that is not running yet.",
  fields: {
    reason: field(string(), { description: "Why it is waiting.", proto: 1 }),
    message: field(string(), { description: "Details.", proto: 2 }),
  },
});

/** A running container. */
export const ContainerStateRunning = object(`${CORE}.ContainerStateRunning`, {
  description: "A running container.",
  fields: {
    startedAt: field(time(), { description: "When it last (re)started.", proto: 1 }),
  },
});

/** A terminated container. */
export const ContainerStateTerminated = object(`${CORE}.ContainerStateTerminated`, {
  description: "A container that has exited.",
  fields: {
    exitCode: requiredField(int32(), { description: "Exit status.", proto: 1 }),
    signal: field(int32(), { description: "Signal that ended it.", proto: 2 }),
    reason: field(string(), { description: "Why it ended.", proto: 3 }),
    message: field(string(), { description: "Details.", proto: 4 }),
    startedAt: field(time(), { description: "When that run started.", proto: 5 }),
    finishedAt: field(time(), { description: "When it ended.", proto: 6 }),
    containerID: field(string(), {
      description: "ID of the container, '<runtime>://<id>'.",
      proto: 7,
    }),
  },
});

/** The state of a container: one member is set. */
export const ContainerState = object(`${CORE}.ContainerState`, {
  description: "The state of a container; at most one member is set (waiting when none).",
  fields: {
    waiting: field(ContainerStateWaiting, { description: "Waiting.", proto: 1 }),
    running: field(ContainerStateRunning, { description: "Running.", proto: 2 }),
    terminated: field(ContainerStateTerminated, { description: "Terminated.", proto: 3 }),
  },
});

/** The status of a volume mount. */
export const VolumeMountStatus = object(`${CORE}.VolumeMountStatus`, {
  description: "How a volume mount was actually made.",
  fields: {
    name: requiredField(string(), { description: "Name of the VolumeMount.", proto: 1 }),
    mountPath: requiredField(string(), { description: "Its mountPath.", proto: 2 }),
    readOnly: readOnlyField(3, "Whether it is read-only."),
    recursiveReadOnly: field(string(), {
      description: "Disabled or Enabled, as resolved from the VolumeMount.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** The Linux identity of a container's first process. */
export const LinuxContainerUser = object(`${CORE}.LinuxContainerUser`, {
  description: "The Linux user identity of a container's first process.",
  fields: {
    uid: requiredField(int64(), { description: "Primary UID.", proto: 1 }),
    gid: requiredField(int64(), { description: "Primary GID.", proto: 2 }),
    supplementalGroups: field(array(int64(), { listType: "atomic" }), {
      description: "Supplemental groups.",
      proto: 3,
    }),
  },
});

/** The identity of a container's first process. */
export const ContainerUser = object(`${CORE}.ContainerUser`, {
  description: "The user identity of a container's first process.",
  fields: {
    linux: field(LinuxContainerUser, { description: "On Linux.", proto: 1 }),
  },
});

/** The health of one allocated device. */
export const ResourceHealth = object(`${CORE}.ResourceHealth`, {
  description: "The health of one device allocated to a container.",
  fields: {
    resourceID: requiredField(string(), { description: "ID of the device.", proto: 1 }),
    health: field(string(), { description: "Healthy, Unhealthy or Unknown.", proto: 2 }),
  },
});

/** The health of the devices of one resource. */
export const ResourceStatus = object(`${CORE}.ResourceStatus`, {
  description: "The health of the devices allocated for one resource.",
  fields: {
    name: requiredField(string(), {
      description: "The resource name, or claim:<claim>/<request> for DRA.",
      proto: 1,
    }),
    resources: field(array(ResourceHealth, { listType: "map", listMapKeys: ["resourceID"] }), {
      description: "Health per device.",
      proto: 2,
    }),
  },
});

/** The status of one container. */
export const ContainerStatus = object(`${CORE}.ContainerStatus`, {
  description: "The current status of a container.",
  fields: {
    name: requiredField(string(), { description: "Name of the container.", proto: 1 }),
    state: field(ContainerState, { description: "Current state.", proto: 2 }),
    lastState: field(ContainerState, {
      description: "State of the previous run, after a restart.",
      proto: 3,
    }),
    ready: requiredField(boolean(), {
      description: "Whether it passes its readiness check.",
      proto: 4,
    }),
    restartCount: requiredField(int32(), { description: "Number of restarts.", proto: 5 }),
    image: requiredField(string(), { description: "Image it runs.", proto: 6 }),
    imageID: requiredField(string(), {
      description: "ID of that image.",
      proto: 7,
      zeroValid: true,
    }),
    containerID: field(string(), {
      description: "ID of the container, '<runtime>://<id>'.",
      proto: 8,
    }),
    started: field(boolean(), {
      description: "Whether it passed postStart and its startup probe.",
      proto: 9,
      keepZero: true,
    }),
    allocatedResources: field(map(quantity()), {
      description: "Resources the node allocated to it.",
      proto: 10,
    }),
    resources: field(ResourceRequirements, {
      description: "Resources actually applied to it.",
      proto: 11,
    }),
    volumeMounts: field(
      array(VolumeMountStatus, { listType: "map", listMapKeys: ["mountPath"] }),
      {
        description: "Status of its volume mounts.",
        proto: 12,
        patchStrategy: "merge",
        patchMergeKey: "mountPath",
      },
    ),
    user: field(ContainerUser, { description: "Identity of its first process.", proto: 13 }),
    allocatedResourcesStatus: field(
      array(ResourceStatus, { listType: "map", listMapKeys: ["name"] }),
      {
        description: "Health of the devices allocated to it.",
        proto: 14,
        patchStrategy: "merge",
        patchMergeKey: "name",
      },
    ),
    stopSignal: field(string(), {
      description: "Effective stop signal (alpha ContainerStopSignals).",
      proto: 15,
      keepZero: true,
    }),
  },
});

/** The generated claim of a pod resource claim. */
export const PodResourceClaimStatus = object(`${CORE}.PodResourceClaimStatus`, {
  description: "The ResourceClaim generated for a pod resource claim.",
  fields: {
    name: requiredField(string(), {
      description: "Name of the entry in spec.resourceClaims.",
      proto: 1,
    }),
    resourceClaimName: field(string(), {
      description: "Name of the generated ResourceClaim.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** Pod phases. */
export const POD_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;

/** The observed state of a pod. */
export const PodStatus = object(`${CORE}.PodStatus`, {
  description: "The observed state of a pod; may lag behind reality.",
  fields: {
    observedGeneration: field(int64(), {
      description: "The pod generation this status was computed for.",
      proto: 17,
    }),
    phase: field(enumOf(POD_PHASES), {
      description: "Pending, Running, Succeeded, Failed or Unknown.",
      proto: 1,
    }),
    conditions: field(array(PodCondition, { listType: "map", listMapKeys: ["type"] }), {
      description: "Current conditions.",
      proto: 2,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
    message: field(string(), { description: "Why the pod is in this state.", proto: 3 }),
    reason: field(string(), { description: "CamelCase reason, e.g. Evicted.", proto: 4 }),
    nominatedNodeName: field(string(), {
      description: "Node the pod is expected to run on after preemption.",
      proto: 11,
    }),
    hostIP: field(string(), { description: "Primary IP of the node.", proto: 5 }),
    hostIPs: field(array(HostIP, { listType: "atomic" }), {
      description: "IPs of the node; the first equals hostIP.",
      proto: 16,
      patchStrategy: "merge",
      patchMergeKey: "ip",
    }),
    podIP: field(string(), { description: "Primary IP of the pod.", proto: 6 }),
    podIPs: field(array(PodIP, { listType: "map", listMapKeys: ["ip"] }), {
      description: "IPs of the pod, at most one per family; the first equals podIP.",
      proto: 12,
      patchStrategy: "merge",
      patchMergeKey: "ip",
    }),
    startTime: field(time(), { description: "When the kubelet accepted the pod.", proto: 7 }),
    initContainerStatuses: field(array(ContainerStatus, { listType: "atomic" }), {
      description: "One entry per init container.",
      proto: 10,
    }),
    containerStatuses: field(array(ContainerStatus, { listType: "atomic" }), {
      description: "One entry per container.",
      proto: 8,
    }),
    qosClass: field(enumOf(["Guaranteed", "Burstable", "BestEffort"]), {
      description: "Quality of service class, from the resource requirements.",
      proto: 9,
    }),
    ephemeralContainerStatuses: field(array(ContainerStatus, { listType: "atomic" }), {
      description: "One entry per ephemeral container.",
      proto: 13,
    }),
    resize: field(string(), {
      description: "Deprecated resize status (Proposed, InProgress, Deferred, Infeasible).",
      proto: 14,
    }),
    resourceClaimStatuses: field(
      array(PodResourceClaimStatus, { listType: "map", listMapKeys: ["name"] }),
      {
        description: "Generated ResourceClaims.",
        proto: 15,
        patchStrategy: "merge,retainKeys",
        patchMergeKey: "name",
      },
    ),
  },
});

// --- kinds --------------------------------------------------------------------------------------

/** A pod: containers scheduled together onto one node. */
export const Pod = object(`${CORE}.Pod`, {
  description: "A group of containers that run together on one node.",
  gvk: [{ group: "", version: "v1", kind: "Pod" }],
  fields: {
    ...objectFields,
    spec: field(PodSpec, { description: "Desired state of the pod.", proto: 2 }),
    status: field(PodStatus, {
      description: "Observed state of the pod; set by the system.",
      proto: 3,
    }),
  },
});

/** The pod a controller creates. */
export const PodTemplateSpec = object(`${CORE}.PodTemplateSpec`, {
  description: "Metadata and spec of the pods created from a template.",
  fields: {
    metadata: field(ObjectMeta, { description: "Metadata of the pods.", proto: 1 }),
    spec: field(PodSpec, { description: "Spec of the pods.", proto: 2 }),
  },
});

/** A stored pod template. */
export const PodTemplate = object(`${CORE}.PodTemplate`, {
  description: "A stored template for creating pods.",
  gvk: [{ group: "", version: "v1", kind: "PodTemplate" }],
  fields: {
    ...objectFields,
    template: field(PodTemplateSpec, { description: "The pods to create.", proto: 2 }),
  },
});

/** Binds a pod to a node (pods/binding). */
export const Binding = object(`${CORE}.Binding`, {
  description: "Binds an object to another, e.g. a pod to a node (the pods/binding subresource).",
  gvk: [{ group: "", version: "v1", kind: "Binding" }],
  fields: {
    ...objectFields,
    target: requiredField(ObjectReference, {
      description: "The object to bind to.",
      proto: 2,
    }),
  },
});

/** TypeScript type of {@linkcode Pod}. */
export type Pod = Infer<typeof Pod>;
/** TypeScript type of {@linkcode PodSpec}. */
export type PodSpec = Infer<typeof PodSpec>;
/** TypeScript type of {@linkcode PodStatus}. */
export type PodStatus = Infer<typeof PodStatus>;
/** TypeScript type of {@linkcode PodTemplateSpec}. */
export type PodTemplateSpec = Infer<typeof PodTemplateSpec>;
/** TypeScript type of {@linkcode PodTemplate}. */
export type PodTemplate = Infer<typeof PodTemplate>;
/** TypeScript type of {@linkcode Binding}. */
export type Binding = Infer<typeof Binding>;
/** TypeScript type of {@linkcode Container}. */
export type Container = Infer<typeof Container>;
/** TypeScript type of {@linkcode EphemeralContainer}. */
export type EphemeralContainer = Infer<typeof EphemeralContainer>;
/** TypeScript type of {@linkcode ContainerPort}. */
export type ContainerPort = Infer<typeof ContainerPort>;
/** TypeScript type of {@linkcode EnvVar}. */
export type EnvVar = Infer<typeof EnvVar>;
/** TypeScript type of {@linkcode EnvVarSource}. */
export type EnvVarSource = Infer<typeof EnvVarSource>;
/** TypeScript type of {@linkcode EnvFromSource}. */
export type EnvFromSource = Infer<typeof EnvFromSource>;
/** TypeScript type of {@linkcode VolumeMount}. */
export type VolumeMount = Infer<typeof VolumeMount>;
/** TypeScript type of {@linkcode VolumeDevice}. */
export type VolumeDevice = Infer<typeof VolumeDevice>;
/** TypeScript type of {@linkcode Volume}. */
export type Volume = Infer<typeof Volume>;
/** TypeScript type of {@linkcode VolumeSource}. */
export type VolumeSource = Infer<typeof VolumeSource>;
/** TypeScript type of {@linkcode Probe}. */
export type Probe = Infer<typeof Probe>;
/** TypeScript type of {@linkcode Lifecycle}. */
export type Lifecycle = Infer<typeof Lifecycle>;
/** TypeScript type of {@linkcode LifecycleHandler}. */
export type LifecycleHandler = Infer<typeof LifecycleHandler>;
/** TypeScript type of {@linkcode HTTPGetAction}. */
export type HTTPGetAction = Infer<typeof HTTPGetAction>;
/** TypeScript type of {@linkcode SecurityContext}. */
export type SecurityContext = Infer<typeof SecurityContext>;
/** TypeScript type of {@linkcode PodSecurityContext}. */
export type PodSecurityContext = Infer<typeof PodSecurityContext>;
/** TypeScript type of {@linkcode SeccompProfile}. */
export type SeccompProfile = Infer<typeof SeccompProfile>;
/** TypeScript type of {@linkcode AppArmorProfile}. */
export type AppArmorProfile = Infer<typeof AppArmorProfile>;
/** TypeScript type of {@linkcode Affinity}. */
export type Affinity = Infer<typeof Affinity>;
/** TypeScript type of {@linkcode PodAffinityTerm}. */
export type PodAffinityTerm = Infer<typeof PodAffinityTerm>;
/** TypeScript type of {@linkcode TopologySpreadConstraint}. */
export type TopologySpreadConstraint = Infer<typeof TopologySpreadConstraint>;
/** TypeScript type of {@linkcode HostAlias}. */
export type HostAlias = Infer<typeof HostAlias>;
/** TypeScript type of {@linkcode PodDNSConfig}. */
export type PodDNSConfig = Infer<typeof PodDNSConfig>;
/** TypeScript type of {@linkcode PodCondition}. */
export type PodCondition = Infer<typeof PodCondition>;
/** TypeScript type of {@linkcode ContainerStatus}. */
export type ContainerStatus = Infer<typeof ContainerStatus>;
/** TypeScript type of {@linkcode ContainerState}. */
export type ContainerState = Infer<typeof ContainerState>;
/** TypeScript type of {@linkcode PersistentVolumeClaimSpec}. */
export type PersistentVolumeClaimSpec = Infer<typeof PersistentVolumeClaimSpec>;
/** TypeScript type of {@linkcode PersistentVolumeClaimTemplate}. */
export type PersistentVolumeClaimTemplate = Infer<typeof PersistentVolumeClaimTemplate>;
/** TypeScript type of {@linkcode PodResourceClaim}. */
export type PodResourceClaim = Infer<typeof PodResourceClaim>;
/** TypeScript type of {@linkcode DownwardAPIVolumeFile}. */
export type DownwardAPIVolumeFile = Infer<typeof DownwardAPIVolumeFile>;
/** TypeScript type of {@linkcode ProjectedVolumeSource}. */
export type ProjectedVolumeSource = Infer<typeof ProjectedVolumeSource>;
/** TypeScript type of {@linkcode NodeAffinity}. */
export type NodeAffinity = Infer<typeof NodeAffinity>;
/** TypeScript type of {@linkcode PodSchedulingGate}. */
export type PodSchedulingGate = Infer<typeof PodSchedulingGate>;
/** TypeScript type of {@linkcode ContainerResizePolicy}. */
export type ContainerResizePolicy = Infer<typeof ContainerResizePolicy>;
