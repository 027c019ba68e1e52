/**
 * The Linux part of a pod's sandbox config, as the kubelet's `generatePodSandboxLinuxConfig`
 * builds it: the pod's cgroup by QoS class, the sandbox's namespaces, user, groups and sysctls.
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { qosClassOf } from "../../control/api/types/pod_qos.ts";
import type {
  Int64Input,
  LinuxPodSandboxConfig,
  LinuxSandboxSecurityContext,
  NamespaceOption,
} from "../cri/types.ts";

/**
 * The pod's cgroup in cgroupfs syntax: `/kubepods/pod<uid>` for Guaranteed pods,
 * `/kubepods/burstable/pod<uid>` and `/kubepods/besteffort/pod<uid>` for the others.
 */
export function podCgroupParent(pod: Pod): string {
  const uid = pod.metadata?.uid ?? "";
  switch (qosClassOf(pod)) {
    case "Guaranteed":
      return `/kubepods/pod${uid}`;
    case "Burstable":
      return `/kubepods/burstable/pod${uid}`;
    case "BestEffort":
      return `/kubepods/besteffort/pod${uid}`;
  }
}

/** The pod's network, PID and IPC namespaces. */
export function podNamespaces(pod: Pod): NamespaceOption {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork === true ? "NODE" : "POD",
    pid: spec?.hostPID === true
      ? "NODE"
      : spec?.shareProcessNamespace === true
      ? "POD"
      : "CONTAINER",
    ipc: spec?.hostIPC === true ? "NODE" : "POD",
  };
}

/** Whether any container, init container or ephemeral container of the pod is privileged. */
export function hasPrivilegedContainer(pod: Pod): boolean {
  const all = [
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.ephemeralContainers ?? []),
  ];
  return all.some((c) => c.securityContext?.privileged === true);
}

/**
 * The Linux settings of the pod's sandbox. The sandbox always runs with the runtime's default
 * seccomp profile, whatever the pod asks for its containers.
 */
export function sandboxLinuxConfig(pod: Pod): LinuxPodSandboxConfig {
  const sc = pod.spec?.securityContext;
  const sysctls: Record<string, string> = {};
  for (const s of sc?.sysctls ?? []) sysctls[s.name] = s.value;
  const groups: Int64Input[] = [];
  if (sc?.fsGroup !== undefined) groups.push(sc.fsGroup);
  for (const g of sc?.supplementalGroups ?? []) groups.push(g);
  const security: LinuxSandboxSecurityContext = {
    namespaceOptions: podNamespaces(pod),
    privileged: hasPrivilegedContainer(pod),
    seccomp: { profileType: "RuntimeDefault" },
    ...(sc?.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
    ...(sc?.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
    ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
  };
  return { cgroupParent: podCgroupParent(pod), securityContext: security, sysctls };
}
