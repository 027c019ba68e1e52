/**
 * skiff's own minimal definition of the CRI protocol (`runtime.v1`) as a protobufjs JSON
 * descriptor: the `RuntimeService` and `ImageService` RPCs the node agent calls and only the
 * messages and fields it uses, with the field numbers the CRI publishes. Fields a runtime sends
 * that are not listed here are skipped when decoding (proto3), so this talks to any CRI v1
 * runtime. Field names are camelCase; only the numbers go on the wire.
 *
 * It is plain data embedded in the code (no `.proto` file is read), so it works inside a
 * `deno compile` binary; {@linkcode ./_proto_codec.ts} encodes and decodes by it (protobufjs
 * only lends its typings). {@linkcode CRI_PACKAGE} is the protobuf package name.
 *
 * @module
 */
import type { IMethod, INamespace } from "protobufjs";

/** The protobuf package both CRI services live in. */
export const CRI_PACKAGE = "runtime.v1";

interface FieldDescriptor {
  readonly type: string;
  readonly id: number;
  readonly rule?: "repeated";
  readonly keyType?: string;
}

type Fields = Record<string, FieldDescriptor>;

function one(type: string, id: number): FieldDescriptor {
  return { type, id };
}

function many(type: string, id: number): FieldDescriptor {
  return { type, id, rule: "repeated" };
}

function stringMap(id: number): FieldDescriptor {
  return { keyType: "string", type: "string", id };
}

function message(fields: Fields): { fields: Fields } {
  return { fields };
}

function empty(): { fields: Fields } {
  return { fields: {} };
}

/** An RPC; `comment` is empty (protobufjs's typings require the field). */
function rpc(requestType: string, responseType: string): IMethod {
  return { requestType, responseType, comment: "" };
}

const runtimeService = {
  methods: {
    Version: rpc("VersionRequest", "VersionResponse"),
    RunPodSandbox: rpc("RunPodSandboxRequest", "RunPodSandboxResponse"),
    StopPodSandbox: rpc("StopPodSandboxRequest", "StopPodSandboxResponse"),
    RemovePodSandbox: rpc("RemovePodSandboxRequest", "RemovePodSandboxResponse"),
    PodSandboxStatus: rpc("PodSandboxStatusRequest", "PodSandboxStatusResponse"),
    ListPodSandbox: rpc("ListPodSandboxRequest", "ListPodSandboxResponse"),
    CreateContainer: rpc("CreateContainerRequest", "CreateContainerResponse"),
    StartContainer: rpc("StartContainerRequest", "StartContainerResponse"),
    StopContainer: rpc("StopContainerRequest", "StopContainerResponse"),
    RemoveContainer: rpc("RemoveContainerRequest", "RemoveContainerResponse"),
    ListContainers: rpc("ListContainersRequest", "ListContainersResponse"),
    ContainerStatus: rpc("ContainerStatusRequest", "ContainerStatusResponse"),
    UpdateContainerResources: rpc(
      "UpdateContainerResourcesRequest",
      "UpdateContainerResourcesResponse",
    ),
    ReopenContainerLog: rpc("ReopenContainerLogRequest", "ReopenContainerLogResponse"),
    ExecSync: rpc("ExecSyncRequest", "ExecSyncResponse"),
    Exec: rpc("ExecRequest", "ExecResponse"),
    Attach: rpc("AttachRequest", "AttachResponse"),
    PortForward: rpc("PortForwardRequest", "PortForwardResponse"),
    ContainerStats: rpc("ContainerStatsRequest", "ContainerStatsResponse"),
    ListContainerStats: rpc("ListContainerStatsRequest", "ListContainerStatsResponse"),
    Status: rpc("StatusRequest", "StatusResponse"),
  },
};

const imageService = {
  methods: {
    ListImages: rpc("ListImagesRequest", "ListImagesResponse"),
    ImageStatus: rpc("ImageStatusRequest", "ImageStatusResponse"),
    PullImage: rpc("PullImageRequest", "PullImageResponse"),
    RemoveImage: rpc("RemoveImageRequest", "RemoveImageResponse"),
    ImageFsInfo: rpc("ImageFsInfoRequest", "ImageFsInfoResponse"),
  },
};

const enums = {
  Protocol: { values: { TCP: 0, UDP: 1, SCTP: 2 } },
  MountPropagation: {
    values: {
      PROPAGATION_PRIVATE: 0,
      PROPAGATION_HOST_TO_CONTAINER: 1,
      PROPAGATION_BIDIRECTIONAL: 2,
    },
  },
  NamespaceMode: { values: { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } },
  PodSandboxState: { values: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } },
  ContainerState: {
    values: {
      CONTAINER_CREATED: 0,
      CONTAINER_RUNNING: 1,
      CONTAINER_EXITED: 2,
      CONTAINER_UNKNOWN: 3,
    },
  },
};

/** Shared building blocks: wrappers, metadata, images, mounts, security and resources. */
const commonMessages = {
  Int64Value: message({ value: one("int64", 1) }),
  UInt64Value: message({ value: one("uint64", 1) }),
  KeyValue: message({ key: one("string", 1), value: one("string", 2) }),
  ImageSpec: message({ image: one("string", 1), annotations: stringMap(2) }),
  PodSandboxMetadata: message({
    name: one("string", 1),
    uid: one("string", 2),
    namespace: one("string", 3),
    attempt: one("uint32", 4),
  }),
  ContainerMetadata: message({ name: one("string", 1), attempt: one("uint32", 2) }),
  DNSConfig: message({
    servers: many("string", 1),
    searches: many("string", 2),
    options: many("string", 3),
  }),
  PortMapping: message({
    protocol: one("Protocol", 1),
    containerPort: one("int32", 2),
    hostPort: one("int32", 3),
    hostIp: one("string", 4),
  }),
  Mount: message({
    containerPath: one("string", 1),
    hostPath: one("string", 2),
    readonly: one("bool", 3),
    selinuxRelabel: one("bool", 4),
    propagation: one("MountPropagation", 5),
  }),
  Device: message({
    containerPath: one("string", 1),
    hostPath: one("string", 2),
    permissions: one("string", 3),
  }),
  NamespaceOption: message({
    network: one("NamespaceMode", 1),
    pid: one("NamespaceMode", 2),
    ipc: one("NamespaceMode", 3),
    targetId: one("string", 4),
  }),
  SecurityProfile: {
    fields: { profileType: one("ProfileType", 1), localhostRef: one("string", 2) },
    nested: { ProfileType: { values: { RuntimeDefault: 0, Unconfined: 1, Localhost: 2 } } },
  },
  Capability: message({
    addCapabilities: many("string", 1),
    dropCapabilities: many("string", 2),
    addAmbientCapabilities: many("string", 3),
  }),
  HugepageLimit: message({ pageSize: one("string", 1), limit: one("uint64", 2) }),
  LinuxContainerResources: message({
    cpuPeriod: one("int64", 1),
    cpuQuota: one("int64", 2),
    cpuShares: one("int64", 3),
    memoryLimitInBytes: one("int64", 4),
    oomScoreAdj: one("int64", 5),
    cpusetCpus: one("string", 6),
    cpusetMems: one("string", 7),
    hugepageLimits: many("HugepageLimit", 8),
    unified: stringMap(9),
    memorySwapLimitInBytes: one("int64", 10),
  }),
};

/** What RunPodSandbox (and CreateContainer, PullImage) sends about the pod. */
const sandboxConfigMessages = {
  LinuxSandboxSecurityContext: message({
    namespaceOptions: one("NamespaceOption", 1),
    runAsUser: one("Int64Value", 3),
    readonlyRootfs: one("bool", 4),
    supplementalGroups: many("int64", 5),
    privileged: one("bool", 6),
    runAsGroup: one("Int64Value", 8),
    seccomp: one("SecurityProfile", 9),
    apparmor: one("SecurityProfile", 10),
  }),
  LinuxPodSandboxConfig: message({
    cgroupParent: one("string", 1),
    securityContext: one("LinuxSandboxSecurityContext", 2),
    sysctls: stringMap(3),
  }),
  PodSandboxConfig: message({
    metadata: one("PodSandboxMetadata", 1),
    hostname: one("string", 2),
    logDirectory: one("string", 3),
    dnsConfig: one("DNSConfig", 4),
    portMappings: many("PortMapping", 5),
    labels: stringMap(6),
    annotations: stringMap(7),
    linux: one("LinuxPodSandboxConfig", 8),
  }),
};

/** What CreateContainer sends about one container. */
const containerConfigMessages = {
  LinuxContainerSecurityContext: message({
    capabilities: one("Capability", 1),
    privileged: one("bool", 2),
    namespaceOptions: one("NamespaceOption", 3),
    runAsUser: one("Int64Value", 5),
    runAsUsername: one("string", 6),
    readonlyRootfs: one("bool", 7),
    supplementalGroups: many("int64", 8),
    noNewPrivs: one("bool", 11),
    runAsGroup: one("Int64Value", 12),
    maskedPaths: many("string", 13),
    readonlyPaths: many("string", 14),
    seccomp: one("SecurityProfile", 15),
    apparmor: one("SecurityProfile", 16),
  }),
  LinuxContainerConfig: message({
    resources: one("LinuxContainerResources", 1),
    securityContext: one("LinuxContainerSecurityContext", 2),
  }),
  ContainerConfig: message({
    metadata: one("ContainerMetadata", 1),
    image: one("ImageSpec", 2),
    command: many("string", 3),
    args: many("string", 4),
    workingDir: one("string", 5),
    envs: many("KeyValue", 6),
    mounts: many("Mount", 7),
    devices: many("Device", 8),
    labels: stringMap(9),
    annotations: stringMap(10),
    logPath: one("string", 11),
    stdin: one("bool", 12),
    stdinOnce: one("bool", 13),
    tty: one("bool", 14),
    linux: one("LinuxContainerConfig", 15),
  }),
};

const versionAndStatusMessages = {
  VersionRequest: message({ version: one("string", 1) }),
  VersionResponse: message({
    version: one("string", 1),
    runtimeName: one("string", 2),
    runtimeVersion: one("string", 3),
    runtimeApiVersion: one("string", 4),
  }),
  StatusRequest: message({ verbose: one("bool", 1) }),
  RuntimeCondition: message({
    type: one("string", 1),
    status: one("bool", 2),
    reason: one("string", 3),
    message: one("string", 4),
  }),
  RuntimeStatus: message({ conditions: many("RuntimeCondition", 1) }),
  StatusResponse: message({ status: one("RuntimeStatus", 1), info: stringMap(2) }),
};

const sandboxMessages = {
  RunPodSandboxRequest: message({
    config: one("PodSandboxConfig", 1),
    runtimeHandler: one("string", 2),
  }),
  RunPodSandboxResponse: message({ podSandboxId: one("string", 1) }),
  StopPodSandboxRequest: message({ podSandboxId: one("string", 1) }),
  StopPodSandboxResponse: empty(),
  RemovePodSandboxRequest: message({ podSandboxId: one("string", 1) }),
  RemovePodSandboxResponse: empty(),
  PodSandboxStatusRequest: message({ podSandboxId: one("string", 1), verbose: one("bool", 2) }),
  PodIP: message({ ip: one("string", 1) }),
  PodSandboxNetworkStatus: message({ ip: one("string", 1), additionalIps: many("PodIP", 2) }),
  Namespace: message({ options: one("NamespaceOption", 2) }),
  LinuxPodSandboxStatus: message({ namespaces: one("Namespace", 1) }),
  PodSandboxStatus: message({
    id: one("string", 1),
    metadata: one("PodSandboxMetadata", 2),
    state: one("PodSandboxState", 3),
    createdAt: one("int64", 4),
    network: one("PodSandboxNetworkStatus", 5),
    linux: one("LinuxPodSandboxStatus", 6),
    labels: stringMap(7),
    annotations: stringMap(8),
    runtimeHandler: one("string", 9),
  }),
  PodSandboxStatusResponse: message({ status: one("PodSandboxStatus", 1), info: stringMap(2) }),
  PodSandboxStateValue: message({ state: one("PodSandboxState", 1) }),
  PodSandboxFilter: message({
    id: one("string", 1),
    state: one("PodSandboxStateValue", 2),
    labelSelector: stringMap(3),
  }),
  ListPodSandboxRequest: message({ filter: one("PodSandboxFilter", 1) }),
  PodSandbox: message({
    id: one("string", 1),
    metadata: one("PodSandboxMetadata", 2),
    state: one("PodSandboxState", 3),
    createdAt: one("int64", 4),
    labels: stringMap(5),
    annotations: stringMap(6),
    runtimeHandler: one("string", 7),
  }),
  ListPodSandboxResponse: message({ items: many("PodSandbox", 1) }),
};

const containerMessages = {
  CreateContainerRequest: message({
    podSandboxId: one("string", 1),
    config: one("ContainerConfig", 2),
    sandboxConfig: one("PodSandboxConfig", 3),
  }),
  CreateContainerResponse: message({ containerId: one("string", 1) }),
  StartContainerRequest: message({ containerId: one("string", 1) }),
  StartContainerResponse: empty(),
  StopContainerRequest: message({ containerId: one("string", 1), timeout: one("int64", 2) }),
  StopContainerResponse: empty(),
  RemoveContainerRequest: message({ containerId: one("string", 1) }),
  RemoveContainerResponse: empty(),
  ContainerStateValue: message({ state: one("ContainerState", 1) }),
  ContainerFilter: message({
    id: one("string", 1),
    state: one("ContainerStateValue", 2),
    podSandboxId: one("string", 3),
    labelSelector: stringMap(4),
  }),
  ListContainersRequest: message({ filter: one("ContainerFilter", 1) }),
  Container: message({
    id: one("string", 1),
    podSandboxId: one("string", 2),
    metadata: one("ContainerMetadata", 3),
    image: one("ImageSpec", 4),
    imageRef: one("string", 5),
    state: one("ContainerState", 6),
    createdAt: one("int64", 7),
    labels: stringMap(8),
    annotations: stringMap(9),
  }),
  ListContainersResponse: message({ containers: many("Container", 1) }),
  ContainerStatusRequest: message({ containerId: one("string", 1), verbose: one("bool", 2) }),
  ContainerStatus: message({
    id: one("string", 1),
    metadata: one("ContainerMetadata", 2),
    state: one("ContainerState", 3),
    createdAt: one("int64", 4),
    startedAt: one("int64", 5),
    finishedAt: one("int64", 6),
    exitCode: one("int32", 7),
    image: one("ImageSpec", 8),
    imageRef: one("string", 9),
    reason: one("string", 10),
    message: one("string", 11),
    labels: stringMap(12),
    annotations: stringMap(13),
    mounts: many("Mount", 14),
    logPath: one("string", 15),
  }),
  ContainerStatusResponse: message({ status: one("ContainerStatus", 1), info: stringMap(2) }),
  UpdateContainerResourcesRequest: message({
    containerId: one("string", 1),
    linux: one("LinuxContainerResources", 2),
    annotations: stringMap(4),
  }),
  UpdateContainerResourcesResponse: empty(),
  ReopenContainerLogRequest: message({ containerId: one("string", 1) }),
  ReopenContainerLogResponse: empty(),
};

const streamingMessages = {
  ExecSyncRequest: message({
    containerId: one("string", 1),
    cmd: many("string", 2),
    timeout: one("int64", 3),
  }),
  ExecSyncResponse: message({
    stdout: one("bytes", 1),
    stderr: one("bytes", 2),
    exitCode: one("int32", 3),
  }),
  ExecRequest: message({
    containerId: one("string", 1),
    cmd: many("string", 2),
    tty: one("bool", 3),
    stdin: one("bool", 4),
    stdout: one("bool", 5),
    stderr: one("bool", 6),
  }),
  ExecResponse: message({ url: one("string", 1) }),
  // Attach numbers its flags differently from Exec.
  AttachRequest: message({
    containerId: one("string", 1),
    stdin: one("bool", 2),
    tty: one("bool", 3),
    stdout: one("bool", 4),
    stderr: one("bool", 5),
  }),
  AttachResponse: message({ url: one("string", 1) }),
  PortForwardRequest: message({ podSandboxId: one("string", 1), port: many("int32", 2) }),
  PortForwardResponse: message({ url: one("string", 1) }),
};

const statsMessages = {
  FilesystemIdentifier: message({ mountpoint: one("string", 1) }),
  FilesystemUsage: message({
    timestamp: one("int64", 1),
    fsId: one("FilesystemIdentifier", 2),
    usedBytes: one("UInt64Value", 3),
    inodesUsed: one("UInt64Value", 4),
  }),
  CpuUsage: message({
    timestamp: one("int64", 1),
    usageCoreNanoSeconds: one("UInt64Value", 2),
    usageNanoCores: one("UInt64Value", 3),
  }),
  MemoryUsage: message({
    timestamp: one("int64", 1),
    workingSetBytes: one("UInt64Value", 2),
    availableBytes: one("UInt64Value", 3),
    usageBytes: one("UInt64Value", 4),
    rssBytes: one("UInt64Value", 5),
    pageFaults: one("UInt64Value", 6),
    majorPageFaults: one("UInt64Value", 7),
  }),
  ContainerAttributes: message({
    id: one("string", 1),
    metadata: one("ContainerMetadata", 2),
    labels: stringMap(3),
    annotations: stringMap(4),
  }),
  ContainerStats: message({
    attributes: one("ContainerAttributes", 1),
    cpu: one("CpuUsage", 2),
    memory: one("MemoryUsage", 3),
    writableLayer: one("FilesystemUsage", 4),
  }),
  ContainerStatsRequest: message({ containerId: one("string", 1) }),
  ContainerStatsResponse: message({ stats: one("ContainerStats", 1) }),
  ContainerStatsFilter: message({
    id: one("string", 1),
    podSandboxId: one("string", 2),
    labelSelector: stringMap(3),
  }),
  ListContainerStatsRequest: message({ filter: one("ContainerStatsFilter", 1) }),
  ListContainerStatsResponse: message({ stats: many("ContainerStats", 1) }),
};

const imageMessages = {
  ImageFilter: message({ image: one("ImageSpec", 1) }),
  ListImagesRequest: message({ filter: one("ImageFilter", 1) }),
  Image: message({
    id: one("string", 1),
    repoTags: many("string", 2),
    repoDigests: many("string", 3),
    size: one("uint64", 4),
    uid: one("Int64Value", 5),
    username: one("string", 6),
    spec: one("ImageSpec", 7),
    pinned: one("bool", 8),
  }),
  ListImagesResponse: message({ images: many("Image", 1) }),
  ImageStatusRequest: message({ image: one("ImageSpec", 1), verbose: one("bool", 2) }),
  ImageStatusResponse: message({ image: one("Image", 1), info: stringMap(2) }),
  AuthConfig: message({
    username: one("string", 1),
    password: one("string", 2),
    auth: one("string", 3),
    serverAddress: one("string", 4),
    identityToken: one("string", 5),
    registryToken: one("string", 6),
  }),
  PullImageRequest: message({
    image: one("ImageSpec", 1),
    auth: one("AuthConfig", 2),
    sandboxConfig: one("PodSandboxConfig", 3),
  }),
  PullImageResponse: message({ imageRef: one("string", 1) }),
  RemoveImageRequest: message({ image: one("ImageSpec", 1) }),
  RemoveImageResponse: empty(),
  ImageFsInfoRequest: empty(),
  ImageFsInfoResponse: message({ imageFilesystems: many("FilesystemUsage", 1) }),
};

/**
 * The CRI descriptor: `runtime.v1` with `RuntimeService`, `ImageService` and their messages, in
 * protobufjs's JSON form (`protobuf.Root.fromJSON` reads it too).
 */
export const CRI_DESCRIPTOR: INamespace = {
  nested: {
    runtime: {
      nested: {
        v1: {
          nested: {
            RuntimeService: runtimeService,
            ImageService: imageService,
            ...enums,
            ...commonMessages,
            ...sandboxConfigMessages,
            ...containerConfigMessages,
            ...versionAndStatusMessages,
            ...sandboxMessages,
            ...containerMessages,
            ...streamingMessages,
            ...statsMessages,
            ...imageMessages,
          },
        },
      },
    },
  },
};
