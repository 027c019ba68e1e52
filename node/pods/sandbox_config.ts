/**
 * The CRI `PodSandboxConfig` the agent sends with RunPodSandbox (and again with CreateContainer
 * and PullImage), built as the kubelet's `generatePodSandboxConfig` does: metadata, hostname, log
 * directory, DNS settings, port mappings of the containers' ports, labels and annotations, and the
 * Linux settings (cgroup parent by QoS class, namespaces, user, groups, sysctls).
 *
 * @example The sandbox of a plain pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatePodSandboxConfig } from "./sandbox_config.ts";
 *
 * const config = generatePodSandboxConfig(
 *   {
 *     metadata: { name: "web", namespace: "default", uid: "u1" },
 *     spec: { containers: [{ name: "app", image: "busybox" }] },
 *   },
 *   {
 *     nodeHostname: "edge-1",
 *     clusterDns: ["10.43.0.10"],
 *     clusterDomain: "cluster.local",
 *     resolvConf: "nameserver 1.1.1.1\n",
 *   },
 * );
 * assert.equal(config.hostname, "web");
 * assert.equal(config.logDirectory, "/var/log/pods/default_web_u1");
 * assert.deepEqual(config.dnsConfig?.servers, ["10.43.0.10"]);
 * assert.equal(config.linux?.cgroupParent, "/kubepods/besteffort/podu1");
 * ```
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type {
  PodSandboxConfig,
  PortMapping,
  Protocol,
  RunPodSandboxRequest,
} from "../cri/types.ts";
import { type DnsEvent, podDnsConfig } from "./_pod_dns.ts";
import { kernelHostname } from "./_pod_hostname.ts";
import { sandboxLinuxConfig } from "./_sandbox_linux.ts";

export type { DnsEvent } from "./_pod_dns.ts";
export { podCgroupParent } from "./_sandbox_linux.ts";

/** The default root of the pods' log directories. */
export const DEFAULT_POD_LOGS_ROOT = "/var/log/pods";

/** Labels the kubelet puts on every sandbox (and container) of a pod. */
export const POD_NAME_LABEL = "io.kubernetes.pod.name";
/** The pod's namespace label. */
export const POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
/** The pod's UID label. */
export const POD_UID_LABEL = "io.kubernetes.pod.uid";

/** What {@linkcode generatePodSandboxConfig} needs besides the pod. */
export interface SandboxConfigOptions {
  /** Which sandbox of the pod this is: 0 for the first, one more for each recreation. */
  readonly attempt?: number;
  /** The node's hostname, the hostname of host-network pods. */
  readonly nodeHostname: string;
  /** The cluster DNS service IPs; empty makes ClusterFirst pods fall back to Default. */
  readonly clusterDns?: readonly string[];
  /** The cluster domain, e.g. `cluster.local`. */
  readonly clusterDomain?: string;
  /** Text of the node's resolv.conf; `null` when none is configured (DNS on the local host). */
  readonly resolvConf: string | null;
  /** The node's IPs (the local nameservers when `resolvConf` is `null`). */
  readonly nodeIps?: readonly string[];
  /** Root of the pods' log directories; defaults to {@linkcode DEFAULT_POD_LOGS_ROOT}. */
  readonly podLogsRoot?: string;
  /** Receives the warning events the kubelet records (`DNSConfigForming`, `MissingClusterDNS`). */
  readonly recordEvent?: (event: DnsEvent) => void;
}

/** The pod's log directory: `<root>/<namespace>_<name>_<uid>`. */
export function podLogsDirectory(pod: Pod, root: string = DEFAULT_POD_LOGS_ROOT): string {
  const m = pod.metadata ?? {};
  const dir = `${m.namespace ?? ""}_${m.name ?? ""}_${m.uid ?? ""}`;
  if (root === "") return dir;
  return `${root.replace(/\/+$/, "")}/${dir}`;
}

/** The pod's labels plus the kubelet's name, namespace and UID labels. */
export function podSandboxLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata ?? {};
  return {
    ...(m.labels ?? {}),
    [POD_NAME_LABEL]: m.name ?? "",
    [POD_NAMESPACE_LABEL]: m.namespace ?? "",
    [POD_UID_LABEL]: m.uid ?? "",
  };
}

function runtimeProtocol(protocol: string | undefined): Protocol {
  return protocol === "UDP" || protocol === "SCTP" ? protocol : "TCP";
}

/**
 * A container's ports as port mappings; a port whose name (or, unnamed, whose address family,
 * protocol, host IP and ports) repeats an earlier one of the same container is left out.
 */
function containerPortMappings(container: Container): PortMapping[] {
  const seen = new Set<string>();
  const mappings: PortMapping[] = [];
  for (const p of container.ports ?? []) {
    const hostIp = p.hostIP ?? "";
    const family = hostIp === "" ? "any" : hostIp.includes(":") ? "v6" : "v4";
    const key = p.name !== undefined && p.name !== ""
      ? p.name
      : `${family}-${p.protocol ?? ""}-${hostIp}:${p.containerPort}:${p.hostPort ?? 0}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mappings.push({
      protocol: runtimeProtocol(p.protocol),
      containerPort: p.containerPort,
      hostPort: p.hostPort ?? 0,
      hostIp,
    });
  }
  return mappings;
}

/** Port mappings of the ports of the pod's (regular) containers. */
export function podPortMappings(pod: Pod): PortMapping[] {
  return (pod.spec?.containers ?? []).flatMap(containerPortMappings);
}

/**
 * The sandbox config of `pod`. Throws with the kubelet's message when the pod's hostname or
 * subdomain is not a DNS label (`TypeError`), its FQDN is too long (`RangeError`) or the node's
 * resolv.conf has an empty nameserver line (`SyntaxError`).
 */
export function generatePodSandboxConfig(
  pod: Pod,
  options: SandboxConfigOptions,
): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const clusterDomain = options.clusterDomain ?? "";
  const { dns, events } = podDnsConfig(pod, {
    resolvConf: options.resolvConf,
    clusterDomain,
    ...(options.clusterDns !== undefined ? { clusterDns: options.clusterDns } : {}),
    ...(options.nodeIps !== undefined ? { nodeIps: options.nodeIps } : {}),
  });
  const hostname = pod.spec?.hostNetwork === true
    ? options.nodeHostname
    : kernelHostname(pod, clusterDomain);
  const ports = podPortMappings(pod);
  const config: PodSandboxConfig = {
    metadata: {
      name: m.name ?? "",
      namespace: m.namespace ?? "",
      uid: m.uid ?? "",
      attempt: options.attempt ?? 0,
    },
    hostname,
    logDirectory: podLogsDirectory(pod, options.podLogsRoot),
    dnsConfig: dns,
    ...(ports.length > 0 ? { portMappings: ports } : {}),
    labels: podSandboxLabels(pod),
    annotations: { ...(m.annotations ?? {}) },
    linux: sandboxLinuxConfig(pod),
  };
  for (const event of events) options.recordEvent?.(event);
  return config;
}

/** What {@linkcode runPodSandboxRequest} needs: the sandbox options and the runtime handler. */
export interface RunPodSandboxOptions extends SandboxConfigOptions {
  /** The handler of the pod's RuntimeClass; empty or unset for the runtime's default. */
  readonly runtimeHandler?: string;
}

/** The RunPodSandbox request of `pod`: its sandbox config and its RuntimeClass's handler. */
export function runPodSandboxRequest(
  pod: Pod,
  options: RunPodSandboxOptions,
): RunPodSandboxRequest {
  const config = generatePodSandboxConfig(pod, options);
  const handler = options.runtimeHandler ?? "";
  return handler === "" ? { config } : { config, runtimeHandler: handler };
}
