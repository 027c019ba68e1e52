/**
 * TypeScript shapes of the CRI (`runtime.v1`) requests and responses that
 * {@linkcode ./descriptor.ts} defines, with the same camelCase field names.
 *
 * Requests: fields are optional unless a runtime needs them; an unset field is sent as its proto3
 * default. Responses: every scalar, list and map field is present (proto3 defaults filled in), an
 * unset message field is `null`, enums are their names (`"CONTAINER_RUNNING"`), and 64-bit
 * integers are decimal strings ({@linkcode Int64}), timestamps being nanoseconds since the epoch.
 *
 * @module
 */

/** A 64-bit integer sent to the runtime: a number, or a decimal string beyond 2^53. */
export type Int64Input = number | string;
/** A 64-bit integer received from the runtime, as a decimal string (timestamps are nanoseconds). */
export type Int64 = string;
/** A string-to-string map (labels, annotations, sysctls, verbose info). */
export type StringMap = Readonly<Record<string, string>>;

/** Protocol of a {@linkcode PortMapping}. */
export type Protocol = "TCP" | "UDP" | "SCTP";
/** Mount propagation of a {@linkcode Mount}: rprivate, rslave or rshared. */
export type MountPropagation =
  | "PROPAGATION_PRIVATE"
  | "PROPAGATION_HOST_TO_CONTAINER"
  | "PROPAGATION_BIDIRECTIONAL";
/** Whose namespace a pod or container uses; `NODE` is the host's. */
export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";
/** State of a pod sandbox. */
export type PodSandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";
/** State of a container. */
export type ContainerState =
  | "CONTAINER_CREATED"
  | "CONTAINER_RUNNING"
  | "CONTAINER_EXITED"
  | "CONTAINER_UNKNOWN";
/** Kind of a seccomp or AppArmor {@linkcode SecurityProfile}. */
export type SecurityProfileType = "RuntimeDefault" | "Unconfined" | "Localhost";

// ---- Shared messages -------------------------------------------------------------------------

/** An int64 that may be unset (`runAsUser`, `uid`). */
export interface Int64Value<T extends Int64Input = Int64Input> {
  readonly value: T;
}

/** A uint64 counter that may be unset (stats, filesystem usage). */
export interface UInt64Value {
  readonly value: Int64;
}

/** An environment variable. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** An image reference: a name, tag, digest or image id. */
export interface ImageSpec {
  readonly image: string;
  readonly annotations?: StringMap;
}

/** Identifies a sandbox: the pod it belongs to and its creation attempt. */
export interface PodSandboxMetadata {
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly attempt: number;
}

/** Identifies a container within its sandbox: (name, attempt) is unique there. */
export interface ContainerMetadata {
  readonly name: string;
  readonly attempt: number;
}

/** The resolv.conf of a sandbox. */
export interface DNSConfig {
  readonly servers?: readonly string[];
  readonly searches?: readonly string[];
  readonly options?: readonly string[];
}

/** A host port mapped to a container port of the sandbox. */
export interface PortMapping {
  readonly protocol?: Protocol;
  readonly containerPort?: number;
  readonly hostPort?: number;
  readonly hostIp?: string;
}

/** A host path mounted into a container. */
export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readonly?: boolean;
  readonly selinuxRelabel?: boolean;
  readonly propagation?: MountPropagation;
}

/** A host device made available in a container; `permissions` is some of `r`, `w`, `m`. */
export interface Device {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly permissions?: string;
}

/** The network, PID and IPC namespaces of a sandbox or container. */
export interface NamespaceOption {
  readonly network?: NamespaceMode;
  readonly pid?: NamespaceMode;
  readonly ipc?: NamespaceMode;
  /** The container whose namespaces a `TARGET` mode shares. */
  readonly targetId?: string;
}

/** A seccomp or AppArmor profile; `localhostRef` only for `Localhost`. */
export interface SecurityProfile {
  readonly profileType?: SecurityProfileType;
  readonly localhostRef?: string;
}

/** Capabilities added to or dropped from a container. */
export interface Capability {
  readonly addCapabilities?: readonly string[];
  readonly dropCapabilities?: readonly string[];
  readonly addAmbientCapabilities?: readonly string[];
}

/** A HugeTLB limit for one page size (`2MB`, `1GB`). */
export interface HugepageLimit {
  readonly pageSize: string;
  readonly limit: Int64Input;
}

/** cgroup settings of a container; 0 or unset means not specified. */
export interface LinuxContainerResources {
  readonly cpuPeriod?: Int64Input;
  readonly cpuQuota?: Int64Input;
  readonly cpuShares?: Int64Input;
  readonly memoryLimitInBytes?: Int64Input;
  readonly oomScoreAdj?: Int64Input;
  readonly cpusetCpus?: string;
  readonly cpusetMems?: string;
  readonly hugepageLimits?: readonly HugepageLimit[];
  /** cgroup v2 files and their values, e.g. `{"memory.max": "6937202688"}`. */
  readonly unified?: StringMap;
  readonly memorySwapLimitInBytes?: Int64Input;
}

// ---- Sandbox and container configuration -----------------------------------------------------

/** Security settings of the sandbox itself (not of its containers). */
export interface LinuxSandboxSecurityContext {
  readonly namespaceOptions?: NamespaceOption;
  readonly runAsUser?: Int64Value;
  readonly readonlyRootfs?: boolean;
  readonly supplementalGroups?: readonly Int64Input[];
  /** Must be true when any container of the pod is privileged. */
  readonly privileged?: boolean;
  readonly runAsGroup?: Int64Value;
  readonly seccomp?: SecurityProfile;
  readonly apparmor?: SecurityProfile;
}

/** Linux settings of a sandbox. */
export interface LinuxPodSandboxConfig {
  /** The pod's cgroup, cgroupfs syntax (`/kubepods/burstable/pod<uid>`). */
  readonly cgroupParent?: string;
  readonly securityContext?: LinuxSandboxSecurityContext;
  readonly sysctls?: StringMap;
}

/** What RunPodSandbox creates; sent again with CreateContainer and PullImage. */
export interface PodSandboxConfig {
  readonly metadata: PodSandboxMetadata;
  /** Must be empty for host-network pods (`namespaceOptions.network = "NODE"`). */
  readonly hostname?: string;
  /** Directory of the pod's container logs (`/var/log/pods/<ns>_<name>_<uid>`). */
  readonly logDirectory?: string;
  readonly dnsConfig?: DNSConfig;
  readonly portMappings?: readonly PortMapping[];
  readonly labels?: StringMap;
  readonly annotations?: StringMap;
  readonly linux?: LinuxPodSandboxConfig;
}

/** Security settings of one container. */
export interface LinuxContainerSecurityContext {
  readonly capabilities?: Capability;
  readonly privileged?: boolean;
  readonly namespaceOptions?: NamespaceOption;
  readonly runAsUser?: Int64Value;
  readonly runAsUsername?: string;
  readonly readonlyRootfs?: boolean;
  readonly supplementalGroups?: readonly Int64Input[];
  readonly noNewPrivs?: boolean;
  readonly runAsGroup?: Int64Value;
  readonly maskedPaths?: readonly string[];
  readonly readonlyPaths?: readonly string[];
  readonly seccomp?: SecurityProfile;
  readonly apparmor?: SecurityProfile;
}

/** Linux settings of a container. */
export interface LinuxContainerConfig {
  readonly resources?: LinuxContainerResources;
  readonly securityContext?: LinuxContainerSecurityContext;
}

/** What CreateContainer creates. */
export interface ContainerConfig {
  readonly metadata: ContainerMetadata;
  readonly image: ImageSpec;
  /** The entrypoint (the pod spec's `command`). */
  readonly command?: readonly string[];
  /** Arguments of the entrypoint (the pod spec's `args`). */
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly envs?: readonly KeyValue[];
  readonly mounts?: readonly Mount[];
  readonly devices?: readonly Device[];
  readonly labels?: StringMap;
  readonly annotations?: StringMap;
  /** Log file, relative to the sandbox's `logDirectory` (`<container>/<restartCount>.log`). */
  readonly logPath?: string;
  readonly stdin?: boolean;
  readonly stdinOnce?: boolean;
  readonly tty?: boolean;
  readonly linux?: LinuxContainerConfig;
}

// ---- Version and Status ----------------------------------------------------------------------

/** Request of Version: the kubelet's runtime API version. */
export interface VersionRequest {
  readonly version?: string;
}

/** Name and version of the runtime and of the CRI it speaks. */
export interface VersionResponse {
  readonly version: string;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
  readonly runtimeApiVersion: string;
}

/** Request of Status. */
export interface StatusRequest {
  /** Also return `info` (runtime configuration as JSON values). */
  readonly verbose?: boolean;
}

/** A runtime condition: `RuntimeReady` or `NetworkReady`, or an informative one. */
export interface RuntimeCondition {
  readonly type: string;
  readonly status: boolean;
  readonly reason: string;
  readonly message: string;
}

/** Conditions of the runtime. */
export interface RuntimeStatus {
  readonly conditions: readonly RuntimeCondition[];
}

/** Answer of Status. */
export interface StatusResponse {
  readonly status: RuntimeStatus | null;
  readonly info: StringMap;
}

// ---- Sandboxes -------------------------------------------------------------------------------

/** Request of RunPodSandbox. */
export interface RunPodSandboxRequest {
  readonly config: PodSandboxConfig;
  /** A runtime class handler; empty for the default. */
  readonly runtimeHandler?: string;
}

/** Answer of RunPodSandbox. */
export interface RunPodSandboxResponse {
  readonly podSandboxId: string;
}

/** Request of StopPodSandbox and RemovePodSandbox. */
export interface PodSandboxIdRequest {
  readonly podSandboxId: string;
}

/** Request of PodSandboxStatus. */
export interface PodSandboxStatusRequest {
  readonly podSandboxId: string;
  readonly verbose?: boolean;
}

/** One IP of a pod. */
export interface PodIP {
  readonly ip: string;
}

/** IPs of a sandbox (empty for host-network pods). */
export interface PodSandboxNetworkStatus {
  readonly ip: string;
  readonly additionalIps: readonly PodIP[];
}

/** Namespaces of a sandbox. */
export interface NamespaceStatus {
  readonly options: Required<NamespaceOption> | null;
}

/** Linux part of a sandbox's status. */
export interface LinuxPodSandboxStatus {
  readonly namespaces: NamespaceStatus | null;
}

/** Status of a sandbox. */
export interface PodSandboxStatus {
  readonly id: string;
  readonly metadata: PodSandboxMetadata | null;
  readonly state: PodSandboxState;
  readonly createdAt: Int64;
  readonly network: PodSandboxNetworkStatus | null;
  readonly linux: LinuxPodSandboxStatus | null;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly runtimeHandler: string;
}

/** Answer of PodSandboxStatus. */
export interface PodSandboxStatusResponse {
  readonly status: PodSandboxStatus | null;
  readonly info: StringMap;
}

/** Sandbox filter of ListPodSandbox; all given parts must match. */
export interface PodSandboxFilter {
  readonly id?: string;
  readonly state?: { readonly state: PodSandboxState };
  readonly labelSelector?: StringMap;
}

/** Request of ListPodSandbox. */
export interface ListPodSandboxRequest {
  readonly filter?: PodSandboxFilter;
}

/** A sandbox in ListPodSandbox's answer. */
export interface PodSandbox {
  readonly id: string;
  readonly metadata: PodSandboxMetadata | null;
  readonly state: PodSandboxState;
  readonly createdAt: Int64;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly runtimeHandler: string;
}

/** Answer of ListPodSandbox. */
export interface ListPodSandboxResponse {
  readonly items: readonly PodSandbox[];
}

// ---- Containers ------------------------------------------------------------------------------

/** Request of CreateContainer. */
export interface CreateContainerRequest {
  readonly podSandboxId: string;
  readonly config: ContainerConfig;
  /**
   * The sandbox's config, as given to RunPodSandbox: containerd takes the container's cgroup
   * parent and log directory from it.
   */
  readonly sandboxConfig: PodSandboxConfig;
}

/** Answer of CreateContainer. */
export interface CreateContainerResponse {
  readonly containerId: string;
}

/** Request of StartContainer, RemoveContainer, ReopenContainerLog and ContainerStats. */
export interface ContainerIdRequest {
  readonly containerId: string;
}

/** Request of StopContainer. */
export interface StopContainerRequest {
  readonly containerId: string;
  /** Seconds between SIGTERM (or the image's stop signal) and SIGKILL; 0 kills at once. */
  readonly timeout?: Int64Input;
}

/** Container filter of ListContainers; all given parts must match. */
export interface ContainerFilter {
  readonly id?: string;
  readonly state?: { readonly state: ContainerState };
  readonly podSandboxId?: string;
  readonly labelSelector?: StringMap;
}

/** Request of ListContainers. */
export interface ListContainersRequest {
  readonly filter?: ContainerFilter;
}

/** An image reference as the runtime reports it. */
export interface ImageSpecStatus {
  readonly image: string;
  readonly annotations: StringMap;
}

/** A container in ListContainers' answer. */
export interface Container {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: ContainerMetadata | null;
  readonly image: ImageSpecStatus | null;
  readonly imageRef: string;
  readonly state: ContainerState;
  readonly createdAt: Int64;
  readonly labels: StringMap;
  readonly annotations: StringMap;
}

/** Answer of ListContainers. */
export interface ListContainersResponse {
  readonly containers: readonly Container[];
}

/** Request of ContainerStatus. */
export interface ContainerStatusRequest {
  readonly containerId: string;
  readonly verbose?: boolean;
}

/** Status of a container. Times are nanoseconds since the epoch, `"0"` when not yet. */
export interface ContainerStatus {
  readonly id: string;
  readonly metadata: ContainerMetadata | null;
  readonly state: ContainerState;
  readonly createdAt: Int64;
  readonly startedAt: Int64;
  readonly finishedAt: Int64;
  readonly exitCode: number;
  readonly image: ImageSpecStatus | null;
  readonly imageRef: string;
  /** Why the container is in its state, e.g. `Completed`, `Error`, `OOMKilled`. */
  readonly reason: string;
  readonly message: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly mounts: readonly Required<Mount>[];
  /** Absolute path of the container's log file. */
  readonly logPath: string;
}

/** Answer of ContainerStatus. */
export interface ContainerStatusResponse {
  readonly status: ContainerStatus | null;
  readonly info: StringMap;
}

/** Request of UpdateContainerResources. */
export interface UpdateContainerResourcesRequest {
  readonly containerId: string;
  readonly linux?: LinuxContainerResources;
  readonly annotations?: StringMap;
}

// ---- Exec, attach, port-forward --------------------------------------------------------------

/** Request of ExecSync. */
export interface ExecSyncRequest {
  readonly containerId: string;
  readonly cmd: readonly string[];
  /** Seconds before the command is stopped; 0 runs it until it ends. */
  readonly timeout?: Int64Input;
}

/** Answer of ExecSync: the command's output (each capped at 16 MiB) and exit code. */
export interface ExecSyncResponse {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly exitCode: number;
}

/** Request of Exec. */
export interface ExecRequest {
  readonly containerId: string;
  readonly cmd: readonly string[];
  readonly tty?: boolean;
  readonly stdin?: boolean;
  readonly stdout?: boolean;
  /** Must be false with `tty`. */
  readonly stderr?: boolean;
}

/** Request of Attach. */
export interface AttachRequest {
  readonly containerId: string;
  readonly stdin?: boolean;
  /** Must match the container's `tty`. */
  readonly tty?: boolean;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

/** Request of PortForward. */
export interface PortForwardRequest {
  readonly podSandboxId: string;
  readonly port?: readonly number[];
}

/** Answer of Exec, Attach and PortForward: the streaming server's single-use URL. */
export interface StreamingUrlResponse {
  readonly url: string;
}

// ---- Stats -----------------------------------------------------------------------------------

/** A filesystem's identity. */
export interface FilesystemIdentifier {
  readonly mountpoint: string;
}

/** Usage of a filesystem (the image store, or a container's writable layer). */
export interface FilesystemUsage {
  readonly timestamp: Int64;
  readonly fsId: FilesystemIdentifier | null;
  readonly usedBytes: UInt64Value | null;
  readonly inodesUsed: UInt64Value | null;
}

/** CPU usage of a container. */
export interface CpuUsage {
  readonly timestamp: Int64;
  readonly usageCoreNanoSeconds: UInt64Value | null;
  readonly usageNanoCores: UInt64Value | null;
}

/** Memory usage of a container. */
export interface MemoryUsage {
  readonly timestamp: Int64;
  readonly workingSetBytes: UInt64Value | null;
  readonly availableBytes: UInt64Value | null;
  readonly usageBytes: UInt64Value | null;
  readonly rssBytes: UInt64Value | null;
  readonly pageFaults: UInt64Value | null;
  readonly majorPageFaults: UInt64Value | null;
}

/** Which container a {@linkcode ContainerStats} is about. */
export interface ContainerAttributes {
  readonly id: string;
  readonly metadata: ContainerMetadata | null;
  readonly labels: StringMap;
  readonly annotations: StringMap;
}

/** Resource usage of one container. */
export interface ContainerStats {
  readonly attributes: ContainerAttributes | null;
  readonly cpu: CpuUsage | null;
  readonly memory: MemoryUsage | null;
  readonly writableLayer: FilesystemUsage | null;
}

/** Answer of ContainerStats. */
export interface ContainerStatsResponse {
  readonly stats: ContainerStats | null;
}

/** Request of ListContainerStats; all given parts of the filter must match. */
export interface ListContainerStatsRequest {
  readonly filter?: {
    readonly id?: string;
    readonly podSandboxId?: string;
    readonly labelSelector?: StringMap;
  };
}

/** Answer of ListContainerStats. */
export interface ListContainerStatsResponse {
  readonly stats: readonly ContainerStats[];
}

// ---- Images ----------------------------------------------------------------------------------

/** Request of ListImages. */
export interface ListImagesRequest {
  readonly filter?: { readonly image?: ImageSpec };
}

/** An image known to the runtime. */
export interface Image {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  /** Size in bytes. */
  readonly size: Int64;
  /** The image's user as a UID, unless it is a name ({@linkcode Image.username}). */
  readonly uid: Int64Value<Int64> | null;
  readonly username: string;
  readonly spec: ImageSpecStatus | null;
  readonly pinned: boolean;
}

/** Answer of ListImages. */
export interface ListImagesResponse {
  readonly images: readonly Image[];
}

/** Request of ImageStatus. */
export interface ImageStatusRequest {
  readonly image: ImageSpec;
  readonly verbose?: boolean;
}

/** Answer of ImageStatus: `image` is `null` when the runtime does not have it. */
export interface ImageStatusResponse {
  readonly image: Image | null;
  readonly info: StringMap;
}

/** Registry credentials for PullImage. */
export interface AuthConfig {
  readonly username?: string;
  readonly password?: string;
  /** base64 of `username:password`. */
  readonly auth?: string;
  readonly serverAddress?: string;
  readonly identityToken?: string;
  readonly registryToken?: string;
}

/** Request of PullImage. */
export interface PullImageRequest {
  readonly image: ImageSpec;
  readonly auth?: AuthConfig;
  readonly sandboxConfig?: PodSandboxConfig;
}

/** Answer of PullImage: the pulled image's reference (its id on containerd). */
export interface PullImageResponse {
  readonly imageRef: string;
}

/** Request of RemoveImage. */
export interface RemoveImageRequest {
  readonly image: ImageSpec;
}

/** Answer of ImageFsInfo. */
export interface ImageFsInfoResponse {
  readonly imageFilesystems: readonly FilesystemUsage[];
}
