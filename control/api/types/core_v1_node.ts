/**
 * The `core/v1` Node kind: a machine pods run on, with its spec (pod CIDRs, taints,
 * schedulability) and the status its agent reports (capacity, conditions, addresses, system
 * info, images, volumes). Field numbers, list types and patch strategies from upstream
 * `k8s.io/api/core/v1` (`types.go` protobuf tags).
 *
 * @module
 */
import { Taint } from "./core_v1_common.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  map,
  object,
  quantity,
  requiredField,
  string,
  time,
} from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** Node phases (deprecated and never set). */
export const NODE_PHASES = ["Pending", "Running", "Terminated"] as const;

// --- spec ----------------------------------------------------------------------------------------

/** A ConfigMap holding a node's kubelet configuration (deprecated). */
export const ConfigMapNodeConfigSource = object(`${CORE}.ConfigMapNodeConfigSource`, {
  description:
    "A ConfigMap holding a node's kubelet configuration (dynamic kubelet configuration, removed).",
  fields: {
    namespace: requiredField(string(), {
      description: "Namespace of the ConfigMap.",
      proto: 1,
    }),
    name: requiredField(string(), { description: "Name of the ConfigMap.", proto: 2 }),
    uid: field(string(), {
      description: "UID of the ConfigMap; forbidden in the spec, required in the status.",
      proto: 3,
    }),
    resourceVersion: field(string(), {
      description:
        "resourceVersion of the ConfigMap; forbidden in the spec, required in the status.",
      proto: 4,
    }),
    kubeletConfigKey: requiredField(string(), {
      description: "The key of the ConfigMap holding the KubeletConfiguration.",
      proto: 5,
    }),
  },
});

/** Where a node's configuration comes from (deprecated). */
export const NodeConfigSource = object(`${CORE}.NodeConfigSource`, {
  description: "Where a node's configuration comes from; deprecated since 1.22.",
  fields: {
    configMap: field(ConfigMapNodeConfigSource, {
      description: "A ConfigMap holding the configuration.",
      proto: 2,
    }),
  },
});

/** The desired state of a node. */
export const NodeSpec = object(`${CORE}.NodeSpec`, {
  description: "The attributes a node is created with.",
  fields: {
    podCIDR: field(string(), {
      description: "The pod IP range of the node; equals podCIDRs[0].",
      proto: 1,
    }),
    podCIDRs: field(array(string(), { listType: "set" }), {
      description: "The pod IP ranges of the node, at most one per IP family.",
      proto: 7,
      patchStrategy: "merge",
    }),
    providerID: field(string(), {
      description:
        "The node's ID at the cloud provider: <ProviderName>://<ProviderSpecificNodeID>.",
      proto: 3,
    }),
    unschedulable: field(boolean(), {
      description: "When true, no new pods are scheduled to the node (cordoned).",
      proto: 4,
    }),
    taints: field(array(Taint, { listType: "atomic" }), {
      description: "The node's taints.",
      proto: 5,
    }),
    configSource: field(NodeConfigSource, {
      description: "Deprecated: dynamic kubelet configuration was removed.",
      proto: 6,
    }),
    externalID: field(string(), {
      description: "Deprecated and not set by all kubelets.",
      proto: 2,
    }),
  },
});

// --- status --------------------------------------------------------------------------------------

/** The port of one daemon on a node. */
export const DaemonEndpoint = object(`${CORE}.DaemonEndpoint`, {
  description: "The endpoint of one daemon running on the node.",
  fields: {
    Port: requiredField(int32(), { description: "The port number.", proto: 1 }),
  },
});

/** The ports of the daemons on a node. */
export const NodeDaemonEndpoints = object(`${CORE}.NodeDaemonEndpoints`, {
  description: "Ports opened by daemons running on the node.",
  fields: {
    kubeletEndpoint: field(DaemonEndpoint, {
      description: "Where the kubelet listens.",
      proto: 1,
    }),
  },
});

/** Features of one runtime handler. */
export const NodeRuntimeHandlerFeatures = object(`${CORE}.NodeRuntimeHandlerFeatures`, {
  description: "Features a runtime handler implements.",
  fields: {
    recursiveReadOnlyMounts: field(boolean(), {
      description: "Whether recursive read-only mounts are supported.",
      proto: 1,
      keepZero: true,
    }),
    userNamespaces: field(boolean(), {
      description: "Whether user namespaces are supported, including for volumes.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** One runtime handler of a node. */
export const NodeRuntimeHandler = object(`${CORE}.NodeRuntimeHandler`, {
  description: "A runtime handler of the node's container runtime.",
  fields: {
    name: field(string(), {
      description: "Name of the handler; empty for the default one.",
      proto: 1,
      keepZero: true,
    }),
    features: field(NodeRuntimeHandlerFeatures, {
      description: "Features the handler supports.",
      proto: 2,
    }),
  },
});

/** Features of the node's container runtime. */
export const NodeFeatures = object(`${CORE}.NodeFeatures`, {
  description: "Features the CRI implementation supports, independently of runtime handlers.",
  fields: {
    supplementalGroupsPolicy: field(boolean(), {
      description: "Whether SupplementalGroupsPolicy and ContainerUser are supported.",
      proto: 1,
      keepZero: true,
    }),
  },
});

/** Swap memory of a node. */
export const NodeSwapStatus = object(`${CORE}.NodeSwapStatus`, {
  description: "Swap memory information of the node.",
  fields: {
    capacity: field(int64(), {
      description: "Total swap memory in bytes.",
      proto: 1,
      keepZero: true,
    }),
  },
});

/** Identifiers and versions of a node. */
export const NodeSystemInfo = object(`${CORE}.NodeSystemInfo`, {
  description: "IDs and versions that identify the node and its software.",
  fields: {
    // Required in OpenAPI only: upstream does not validate nodeInfo (a kubelet reports an empty
    // kubeProxyVersion, a board without DMI an empty systemUUID).
    machineID: requiredField(string(), {
      description: "The machine-id of the node; preferred for unique identification.",
      proto: 1,
      zeroValid: true,
    }),
    systemUUID: requiredField(string(), {
      description: "The system UUID reported by the node.",
      proto: 2,
      zeroValid: true,
    }),
    bootID: requiredField(string(), {
      description: "The boot ID of the node.",
      proto: 3,
      zeroValid: true,
    }),
    kernelVersion: requiredField(string(), {
      description: "The kernel version ('uname -r').",
      proto: 4,
      zeroValid: true,
    }),
    osImage: requiredField(string(), {
      description: "The OS image, from /etc/os-release.",
      proto: 5,
      zeroValid: true,
    }),
    containerRuntimeVersion: requiredField(string(), {
      description: "The container runtime version, e.g. containerd://1.6.20.",
      proto: 6,
      zeroValid: true,
    }),
    kubeletVersion: requiredField(string(), {
      description: "The kubelet version.",
      proto: 7,
      zeroValid: true,
    }),
    kubeProxyVersion: requiredField(string(), {
      description: "Deprecated: the kube-proxy version.",
      proto: 8,
      zeroValid: true,
    }),
    operatingSystem: requiredField(string(), {
      description: "The operating system, e.g. linux.",
      proto: 9,
      zeroValid: true,
    }),
    architecture: requiredField(string(), {
      description: "The architecture, e.g. arm64.",
      proto: 10,
      zeroValid: true,
    }),
    swap: field(NodeSwapStatus, { description: "Swap memory of the node.", proto: 11 }),
  },
});

/** The state of the dynamic kubelet configuration (deprecated). */
export const NodeConfigStatus = object(`${CORE}.NodeConfigStatus`, {
  description: "The state of the configuration assigned through spec.configSource (deprecated).",
  fields: {
    assigned: field(NodeConfigSource, {
      description: "The configuration the node will try to use.",
      proto: 1,
    }),
    active: field(NodeConfigSource, {
      description: "The configuration the node uses.",
      proto: 2,
    }),
    lastKnownGood: field(NodeConfigSource, {
      description: "The configuration the node falls back to.",
      proto: 3,
    }),
    error: field(string(), {
      description: "Problems reconciling spec.configSource with the active configuration.",
      proto: 4,
    }),
  },
});

/** One aspect of a node's state. */
export const NodeCondition = object(`${CORE}.NodeCondition`, {
  description: "One aspect of the state of a node (Ready, MemoryPressure, DiskPressure, …).",
  fields: {
    type: requiredField(string(), { description: "Type of the node condition.", proto: 1 }),
    status: requiredField(string(), {
      description: "Status of the condition: True, False or Unknown.",
      proto: 2,
    }),
    lastHeartbeatTime: field(time(), {
      description: "When the condition was last updated.",
      proto: 3,
    }),
    lastTransitionTime: field(time(), {
      description: "When the condition last changed from one status to another.",
      proto: 4,
    }),
    reason: field(string(), {
      description: "A brief reason for the last transition.",
      proto: 5,
    }),
    message: field(string(), {
      description: "A human-readable message about the last transition.",
      proto: 6,
    }),
  },
});

/** One address of a node. */
export const NodeAddress = object(`${CORE}.NodeAddress`, {
  description: "An address of the node.",
  fields: {
    type: requiredField(string(), {
      description: "Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.",
      proto: 1,
    }),
    address: requiredField(string(), { description: "The address.", proto: 2 }),
  },
});

/** A volume attached to a node. */
export const AttachedVolume = object(`${CORE}.AttachedVolume`, {
  description: "A volume attached to the node.",
  fields: {
    name: requiredField(string(), { description: "Name of the attached volume.", proto: 1 }),
    devicePath: requiredField(string(), {
      description: "Where the device should be available.",
      proto: 2,
    }),
  },
});

/** A container image present on a node. */
export const ContainerImage = object(`${CORE}.ContainerImage`, {
  description: "A container image present on the node.",
  fields: {
    names: field(array(string(), { listType: "atomic" }), {
      description: "The names the image is known by.",
      proto: 1,
    }),
    sizeBytes: field(int64(), { description: "The size of the image in bytes.", proto: 2 }),
  },
});

/** The observed state of a node. */
export const NodeStatus = object(`${CORE}.NodeStatus`, {
  description: "The observed state of a node, reported by its agent.",
  fields: {
    capacity: field(map(quantity()), {
      description: "The total resources of the node.",
      proto: 1,
    }),
    allocatable: field(map(quantity()), {
      description: "The resources available for scheduling; defaults to capacity.",
      proto: 2,
    }),
    phase: field(enumOf(NODE_PHASES), {
      description: "Deprecated and never set.",
      proto: 3,
    }),
    conditions: field(array(NodeCondition, { listType: "map", listMapKeys: ["type"] }), {
      description: "The current conditions of the node.",
      proto: 4,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
    addresses: field(array(NodeAddress, { listType: "map", listMapKeys: ["type"] }), {
      description:
        "Addresses of the node. Declared mergeable by type although types repeat: prefer replacing the whole list.",
      proto: 5,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
    daemonEndpoints: field(NodeDaemonEndpoints, {
      description: "Ports of the daemons running on the node.",
      proto: 6,
    }),
    nodeInfo: field(NodeSystemInfo, {
      description: "IDs and versions identifying the node.",
      proto: 7,
    }),
    images: field(array(ContainerImage, { listType: "atomic" }), {
      description: "Container images on the node.",
      proto: 8,
    }),
    volumesInUse: field(array(string(), { listType: "atomic" }), {
      description: "Attachable volumes mounted on the node.",
      proto: 9,
    }),
    volumesAttached: field(array(AttachedVolume, { listType: "atomic" }), {
      description: "Volumes attached to the node.",
      proto: 10,
    }),
    config: field(NodeConfigStatus, {
      description: "Deprecated: the state of the dynamic kubelet configuration.",
      proto: 11,
    }),
    runtimeHandlers: field(array(NodeRuntimeHandler, { listType: "atomic" }), {
      description: "The runtime handlers available.",
      proto: 12,
    }),
    features: field(NodeFeatures, {
      description: "Features the CRI implementation supports.",
      proto: 13,
    }),
  },
});

/** A machine that runs pods. */
export const Node = object(`${CORE}.Node`, {
  description: "A worker node: a machine that runs pods.",
  gvk: [{ group: "", version: "v1", kind: "Node" }],
  fields: {
    ...objectFields,
    spec: field(NodeSpec, { description: "The desired state of the node.", proto: 2 }),
    status: field(NodeStatus, {
      description: "The observed state of the node.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode Node}. */
export type Node = Infer<typeof Node>;
/** TypeScript type of {@linkcode NodeSpec}. */
export type NodeSpec = Infer<typeof NodeSpec>;
/** TypeScript type of {@linkcode NodeStatus}. */
export type NodeStatus = Infer<typeof NodeStatus>;
/** TypeScript type of {@linkcode NodeCondition}. */
export type NodeCondition = Infer<typeof NodeCondition>;
/** TypeScript type of {@linkcode NodeAddress}. */
export type NodeAddress = Infer<typeof NodeAddress>;
/** TypeScript type of {@linkcode NodeSystemInfo}. */
export type NodeSystemInfo = Infer<typeof NodeSystemInfo>;
/** TypeScript type of {@linkcode NodeDaemonEndpoints}. */
export type NodeDaemonEndpoints = Infer<typeof NodeDaemonEndpoints>;
/** TypeScript type of {@linkcode DaemonEndpoint}. */
export type DaemonEndpoint = Infer<typeof DaemonEndpoint>;
/** TypeScript type of {@linkcode ContainerImage}. */
export type ContainerImage = Infer<typeof ContainerImage>;
/** TypeScript type of {@linkcode AttachedVolume}. */
export type AttachedVolume = Infer<typeof AttachedVolume>;
/** TypeScript type of {@linkcode NodeConfigSource}. */
export type NodeConfigSource = Infer<typeof NodeConfigSource>;
/** TypeScript type of {@linkcode NodeRuntimeHandler}. */
export type NodeRuntimeHandler = Infer<typeof NodeRuntimeHandler>;
