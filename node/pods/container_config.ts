/**
 * The CRI `ContainerConfig` the agent sends with CreateContainer, built as the kubelet's
 * `generateContainerConfig` does: the environment (envFrom, env with `$(VAR)` expansion and
 * valueFrom sources), command and args expanded against it, mounts of the pod's set-up volumes
 * (subPath, read-only, propagation) plus the managed /etc/hosts and the termination-message
 * file, the `runAsNonRoot` check, the Linux security context and cgroup resources, and the labels
 * and annotations the kubelet puts on containers.
 *
 * Failures reject with a {@linkcode CreateContainerConfigError} whose message is upstream's
 * (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`…): the container's waiting
 * reason and message.
 *
 * @example Build the config of a container
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateContainerConfig } from "./container_config.ts";
 *
 * const pod = {
 *   metadata: { name: "web", namespace: "default", uid: "u1" },
 *   spec: { containers: [{ name: "app", image: "busybox", command: ["echo", "$(GREETING)"],
 *     env: [{ name: "GREETING", value: "hi" }] }] },
 * };
 * const none = { getConfigMap: () => Promise.resolve(undefined), getSecret: () => Promise.resolve(undefined) };
 * const config = await generateContainerConfig({
 *   pod, container: pod.spec.containers[0]!, restartCount: 0, imageRef: "sha256:abc",
 *   volumes: [], configMaps: none, secrets: none, nodeAllocatable: {},
 *   memoryCapacityBytes: 1n << 30n, podIps: ["10.42.0.5"], hostIps: ["192.168.1.2"],
 * });
 * assert.deepEqual(config.command, ["echo", "hi"]);
 * assert.equal(config.logPath, "app/0.log");
 * ```
 *
 * @module
 */
import type { Container, Pod, VolumeMount } from "../../control/api/types/core_v1_pod.ts";
import type * as cri from "../cri/types.ts";
import type { ConfigMapGetter, MountedVolume, SecretGetter } from "../volumes/volume_manager.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import { expand, mappingFor } from "./_env_expansion.ts";
import { type EnvEvent, makeEnvironment } from "./_container_env.ts";
import { type ImageUser, linuxSecurityContext, verifyRunAsNonRoot } from "./_container_security.ts";
import { linuxResources } from "./_container_resources.ts";
import { containerHash } from "./_container_hash.ts";

export type { EnvEvent } from "./_container_env.ts";
export type { ImageUser } from "./_container_security.ts";
export { containerHash } from "./_container_hash.ts";
export {
  createTerminationMessageFile,
  type TerminationMessageFileOptions,
} from "./_termination_message.ts";

/** The waiting reason of a container whose config could not be built. */
export const CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError";

/** The config of a container could not be built; `message` is upstream's text. */
export class CreateContainerConfigError extends Error {
  /** The container's waiting reason. */
  readonly reason = CREATE_CONTAINER_CONFIG_ERROR;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CreateContainerConfigError";
  }
}

/** Labels and annotations the kubelet sets on containers. */
export const CONTAINER_LABELS = {
  containerName: "io.kubernetes.container.name",
  podName: "io.kubernetes.pod.name",
  podNamespace: "io.kubernetes.pod.namespace",
  podUid: "io.kubernetes.pod.uid",
  containerHash: "io.kubernetes.container.hash",
  restartCount: "io.kubernetes.container.restartCount",
  terminationMessagePath: "io.kubernetes.container.terminationMessagePath",
  terminationMessagePolicy: "io.kubernetes.container.terminationMessagePolicy",
  deletionGracePeriod: "io.kubernetes.pod.deletionGracePeriod",
  terminationGracePeriod: "io.kubernetes.pod.terminationGracePeriod",
  preStopHandler: "io.kubernetes.container.preStopHandler",
  ports: "io.kubernetes.container.ports",
} as const;

/** Inputs of {@linkcode generateContainerConfig}. */
export interface ContainerConfigInput {
  readonly pod: Pod;
  readonly container: Container;
  /** The container's attempt: how many times it was started before. */
  readonly restartCount: number;
  /** The image as pulled (its id or resolved reference). */
  readonly imageRef: string;
  /** The user the image runs as (from ImageStatus), for `runAsNonRoot` and `runAsUser`. */
  readonly imageUser?: ImageUser;
  /** The pod's volumes as the VolumeManager set them up. */
  readonly volumes: readonly MountedVolume[];
  readonly configMaps: ConfigMapGetter;
  readonly secrets: SecretGetter;
  /** The node's allocatable resources: `resourceFieldRef` limits of containers setting none. */
  readonly nodeAllocatable: Readonly<NodeResourceList>;
  /** The machine's memory, for the Burstable OOM score adjustment. */
  readonly memoryCapacityBytes: bigint;
  /** The pod's IPs, the node's primary family first. */
  readonly podIps: readonly string[];
  /** The node's IPs, primary family first. */
  readonly hostIps: readonly string[];
  /** Service link variables; added after the container's own (a later issue builds them). */
  readonly serviceEnv?: ReadonlyMap<string, string>;
  /** Receives warnings (`InvalidEnvironmentVariableNames`) to record as pod events. */
  readonly recordEvent?: (event: EnvEvent) => void;
  /** Skip envFrom keys that are not C-style variable names, with a warning. @default {false} */
  readonly skipInvalidEnvFromKeys?: boolean;
  /** Host path of the pod's managed hosts file; mounted at /etc/hosts when the pod has IPs. */
  readonly etcHostsPath?: string;
  /**
   * Host file for the termination message ({@linkcode createTerminationMessageFile} makes it
   * under `<pod-dir>/containers/<name>/`); mounted at the container's `terminationMessagePath`.
   */
  readonly terminationMessageHostPath?: string;
  /** Where `Localhost` seccomp profiles live. @default {"/var/lib/kubelet/seccomp"} */
  readonly seccompProfileRoot?: string;
  /** `RuntimeDefault` seccomp for pods that set no profile. @default {false} */
  readonly seccompDefault?: boolean;
  /** Enforce CPU limits with a CFS quota. @default {true} */
  readonly cpuCfsQuota?: boolean;
  /** The node runs cgroup v2. @default {false} */
  readonly cgroupV2?: boolean;
  /** The host's huge page sizes (`2MB`, `1GB`): each gets a limit. @default {[]} */
  readonly hugePageSizes?: readonly string[];
}

/** Labels identifying the container's pod and name. */
export function containerLabels(pod: Pod, container: Container): Record<string, string> {
  const m = pod.metadata ?? {};
  return {
    [CONTAINER_LABELS.podName]: m.name ?? "",
    [CONTAINER_LABELS.podNamespace]: m.namespace ?? "",
    [CONTAINER_LABELS.podUid]: m.uid ?? "",
    [CONTAINER_LABELS.containerName]: container.name,
  };
}

function portsJson(ports: NonNullable<Container["ports"]>): string {
  // Go's field order and omitempty: name, hostPort, containerPort, protocol, hostIP.
  return JSON.stringify(ports.map((p) => {
    const o: Record<string, unknown> = {};
    if (p.name) o.name = p.name;
    if (p.hostPort) o.hostPort = p.hostPort;
    o.containerPort = p.containerPort;
    if (p.protocol) o.protocol = p.protocol;
    if (p.hostIP) o.hostIP = p.hostIP;
    return o;
  }));
}

/** Go's struct field order of a lifecycle handler and its parts, for its JSON. */
const GO_FIELD_ORDER: readonly string[] = [
  "exec",
  "httpGet",
  "tcpSocket",
  "sleep",
  "command",
  "path",
  "port",
  "host",
  "scheme",
  "httpHeaders",
  "name",
  "value",
  "seconds",
];

/** JSON with object keys in Go's field order (as encoding/json writes upstream's structs). */
function goOrderedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>);
    const rank = (k: string) => {
      const i = GO_FIELD_ORDER.indexOf(k);
      return i < 0 ? GO_FIELD_ORDER.length : i;
    };
    entries.sort(([a], [b]) => rank(a) - rank(b));
    return Object.fromEntries(entries);
  });
}

/** Annotations recording what the agent needs to know about a running container. */
export function containerAnnotations(
  pod: Pod,
  options: { readonly container: Container; readonly restartCount: number },
): Record<string, string> {
  const { container } = options;
  const out: Record<string, string> = {
    [CONTAINER_LABELS.containerHash]: containerHash(container),
    [CONTAINER_LABELS.restartCount]: String(options.restartCount),
    [CONTAINER_LABELS.terminationMessagePath]: container.terminationMessagePath ?? "",
    [CONTAINER_LABELS.terminationMessagePolicy]: container.terminationMessagePolicy ?? "",
  };
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion !== undefined) out[CONTAINER_LABELS.deletionGracePeriod] = String(deletion);
  const termination = pod.spec?.terminationGracePeriodSeconds;
  if (termination !== undefined) out[CONTAINER_LABELS.terminationGracePeriod] = String(termination);
  const preStop = container.lifecycle?.preStop;
  if (preStop) out[CONTAINER_LABELS.preStopHandler] = goOrderedJson(preStop);
  if (container.ports && container.ports.length > 0) {
    out[CONTAINER_LABELS.ports] = portsJson(container.ports);
  }
  return out;
}

/** The log file of an attempt, relative to the sandbox's log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

function propagationOf(mount: VolumeMount): cri.MountPropagation {
  switch (mount.mountPropagation) {
    case undefined:
    case "None":
      return "PROPAGATION_PRIVATE";
    case "HostToContainer":
      return "PROPAGATION_HOST_TO_CONTAINER";
    case "Bidirectional":
      return "PROPAGATION_BIDIRECTIONAL";
  }
  throw new Error(`invalid MountPropagation mode: ${JSON.stringify(mount.mountPropagation)}`);
}

function expandSubPath(expr: string, env: ReadonlyMap<string, string>): string {
  const missing = new Set<string>();
  const out = expand(expr, (key) => {
    const v = env.get(key);
    if (!v) missing.add(key);
    return v ?? "";
  });
  if (missing.size > 0) throw new Error(`missing value for ${[...missing].sort().join(", ")}`);
  return out;
}

function joinPath(base: string, sub: string): string {
  const parts = `${base}/${sub}`.split("/").filter((p) => p !== "" && p !== ".");
  return "/" + parts.join("/");
}

/** What {@linkcode containerMounts} reads besides the container. */
export interface MountOptions {
  readonly pod: Pod;
  readonly volumes: readonly MountedVolume[];
  readonly env: ReadonlyMap<string, string>;
  readonly podIps: readonly string[];
  readonly etcHostsPath?: string;
  readonly terminationMessageHostPath?: string;
}

/** The CRI mounts of `container`; throws upstream's text for a missing volume or bad subPath. */
export function containerMounts(container: Container, options: MountOptions): cri.Mount[] {
  const byName = new Map(options.volumes.map((v) => [v.name, v]));
  const mounts: cri.Mount[] = [];
  let mountEtcHosts = options.podIps.length > 0 && options.etcHostsPath !== undefined;
  for (const mount of container.volumeMounts ?? []) {
    if (mount.mountPath === "/etc/hosts") mountEtcHosts = false;
    const vol = byName.get(mount.name);
    if (!vol) {
      throw new Error(
        `cannot find volume ${JSON.stringify(mount.name)} to mount into container ${
          JSON.stringify(container.name)
        }`,
      );
    }
    let hostPath = vol.hostPath;
    let subPath = mount.subPath ?? "";
    if (mount.subPathExpr) subPath = expandSubPath(mount.subPathExpr, options.env);
    if (subPath !== "") {
      if (subPath.startsWith("/")) {
        throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
      }
      if (subPath.split("/").includes("..")) {
        throw new Error(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
      }
      hostPath = joinPath(hostPath, subPath);
    }
    const containerPath = mount.mountPath.startsWith("/") ? mount.mountPath : `/${mount.mountPath}`;
    mounts.push({
      containerPath,
      hostPath,
      readonly: (mount.readOnly ?? false) || vol.readOnly,
      propagation: propagationOf(mount),
    });
  }
  if (mountEtcHosts && options.etcHostsPath !== undefined) {
    mounts.push({ containerPath: "/etc/hosts", hostPath: options.etcHostsPath, readonly: false });
  }
  if (options.terminationMessageHostPath !== undefined && container.terminationMessagePath) {
    mounts.push({
      containerPath: container.terminationMessagePath,
      hostPath: options.terminationMessageHostPath,
    });
  }
  return mounts;
}

function asConfigError(err: unknown): CreateContainerConfigError {
  if (err instanceof CreateContainerConfigError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CreateContainerConfigError(message, { cause: err });
}

/**
 * The CRI config of `input.container` for attempt `input.restartCount`. Rejects with a
 * {@linkcode CreateContainerConfigError} carrying upstream's message.
 */
export async function generateContainerConfig(
  input: ContainerConfigInput,
): Promise<cri.ContainerConfig> {
  const { pod, container } = input;
  try {
    const env = await makeEnvironment({
      pod,
      container,
      configMaps: input.configMaps,
      secrets: input.secrets,
      nodeAllocatable: input.nodeAllocatable,
      podIps: input.podIps,
      hostIps: input.hostIps,
      ...(input.serviceEnv ? { serviceEnv: input.serviceEnv } : {}),
      ...(input.recordEvent ? { recordEvent: input.recordEvent } : {}),
      ...(input.skipInvalidEnvFromKeys ? { skipInvalidEnvFromKeys: true } : {}),
    });
    const mounts = containerMounts(container, {
      pod,
      volumes: input.volumes,
      env,
      podIps: input.podIps,
      ...(input.etcHostsPath !== undefined ? { etcHostsPath: input.etcHostsPath } : {}),
      ...(input.terminationMessageHostPath !== undefined
        ? { terminationMessageHostPath: input.terminationMessageHostPath }
        : {}),
    });
    const imageUser = input.imageUser ?? {};
    verifyRunAsNonRoot(pod, { container, imageUser });
    const mapping = mappingFor(env);
    const securityContext = linuxSecurityContext(pod, {
      container,
      imageUser,
      seccompProfileRoot: input.seccompProfileRoot ?? "/var/lib/kubelet/seccomp",
      seccompDefault: input.seccompDefault ?? false,
    });
    const resources = linuxResources(pod, {
      container,
      memoryCapacityBytes: input.memoryCapacityBytes,
      ...(input.cpuCfsQuota !== undefined ? { cpuCfsQuota: input.cpuCfsQuota } : {}),
      ...(input.cgroupV2 !== undefined ? { cgroupV2: input.cgroupV2 } : {}),
      ...(input.hugePageSizes ? { hugePageSizes: input.hugePageSizes } : {}),
    });
    const config: cri.ContainerConfig = {
      metadata: { name: container.name, attempt: input.restartCount },
      image: { image: input.imageRef },
      ...(container.command?.length
        ? { command: container.command.map((c) => expand(c, mapping)) }
        : {}),
      ...(container.args?.length ? { args: container.args.map((a) => expand(a, mapping)) } : {}),
      workingDir: container.workingDir ?? "",
      envs: [...env].map(([key, value]) => ({ key, value })),
      mounts,
      labels: containerLabels(pod, container),
      annotations: containerAnnotations(pod, { container, restartCount: input.restartCount }),
      logPath: containerLogPath(container.name, input.restartCount),
      stdin: container.stdin ?? false,
      stdinOnce: container.stdinOnce ?? false,
      tty: container.tty ?? false,
      linux: { resources, securityContext },
    };
    return config;
  } catch (err) {
    throw asConfigError(err);
  }
}
