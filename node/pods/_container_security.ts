/**
 * A container's CRI security context as the kubelet derives it: the pod's security context
 * merged under the container's, the image's user when none is set, namespaces from the pod's
 * host* and shareProcessNamespace fields, supplemental groups (fsGroup first), no_new_privs from
 * `allowPrivilegeEscalation: false`, seccomp and AppArmor profiles, and masked and read-only
 * /proc paths unless `procMount: Unmasked`. Also the `runAsNonRoot` check.
 *
 * @module
 */
import type { Container, Pod, SecurityContext } from "../../control/api/types/core_v1_pod.ts";
import type * as cri from "../cri/types.ts";

/** The user an image runs as: a numeric uid, or a user name the kubelet cannot check. */
export interface ImageUser {
  readonly uid?: number;
  readonly username?: string;
}

/** Settings of the seccomp profile choice. */
export interface SeccompOptions {
  /** Where `Localhost` profiles live (`<root-dir>/seccomp`). */
  readonly seccompProfileRoot: string;
  /** Use `RuntimeDefault` when the pod sets no profile (the kubelet's `--seccomp-default`). */
  readonly seccompDefault: boolean;
}

const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
] as const;

const READONLY_PATHS = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
] as const;

/** `name_namespace(uid)`, how the kubelet names a pod in messages. */
export function formatPod(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ""}_${m.namespace ?? ""}(${m.uid ?? ""})`;
}

/** The container's security context with the pod-level fields it does not set filled in. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const sc: SecurityContext = { ...container.securityContext };
  const out: Record<string, unknown> = { ...sc };
  for (
    const key of [
      "seLinuxOptions",
      "windowsOptions",
      "runAsUser",
      "runAsGroup",
      "runAsNonRoot",
      "seccompProfile",
      "appArmorProfile",
    ] as const
  ) {
    if (out[key] === undefined && podSc[key] !== undefined) out[key] = podSc[key];
  }
  return out as SecurityContext;
}

/**
 * Throws upstream's error when the container must not run as root and would (or might).
 */
export function verifyRunAsNonRoot(
  pod: Pod,
  options: { readonly container: Container; readonly imageUser: ImageUser },
): void {
  const { container, imageUser: image } = options;
  const sc = effectiveSecurityContext(pod, container);
  if (!sc.runAsNonRoot) return;
  const who = `(pod: ${JSON.stringify(formatPod(pod))}, container: ${container.name})`;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new Error(`container's runAsUser breaks non-root policy ${who}`);
    return;
  }
  if (image.uid !== undefined) {
    if (image.uid === 0) {
      throw new Error(`container has runAsNonRoot and image will run as root ${who}`);
    }
    return;
  }
  if (image.username) {
    throw new Error(
      `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root ${who}`,
    );
  }
}

function seccompFrom(
  profile: NonNullable<SecurityContext["seccompProfile"]>,
  options: SeccompOptions,
): cri.SecurityProfile {
  if (profile.type === "RuntimeDefault") return { profileType: "RuntimeDefault" };
  if (profile.type === "Localhost") {
    if (!profile.localhostProfile) {
      throw new Error("localhostProfile must be set if seccompProfile type is Localhost.");
    }
    const root = options.seccompProfileRoot.replace(/\/+$/, "");
    return { profileType: "Localhost", localhostRef: `${root}/${profile.localhostProfile}` };
  }
  return { profileType: "Unconfined" };
}

/** The seccomp profile: the container's, else the pod's, else the kubelet's default. */
export function seccompProfile(
  pod: Pod,
  options: SeccompOptions & { readonly container: Container },
): cri.SecurityProfile {
  const { container } = options;
  const own = container.securityContext?.seccompProfile ??
    pod.spec?.securityContext?.seccompProfile;
  if (own) return seccompFrom(own, options);
  return { profileType: options.seccompDefault ? "RuntimeDefault" : "Unconfined" };
}

function apparmorProfile(pod: Pod, container: Container): cri.SecurityProfile | undefined {
  const p = container.securityContext?.appArmorProfile ??
    pod.spec?.securityContext?.appArmorProfile;
  if (!p) return undefined;
  if (p.type === "Localhost") {
    return { profileType: "Localhost", localhostRef: p.localhostProfile ?? "" };
  }
  return { profileType: p.type === "Unconfined" ? "Unconfined" : "RuntimeDefault" };
}

/** The pod's namespaces: host ones with hostNetwork/hostPID/hostIPC, a shared PID one on request. */
export function namespacesForPod(pod: Pod): Required<Omit<cri.NamespaceOption, "targetId">> {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork ? "NODE" : "POD",
    pid: spec?.hostPID ? "NODE" : spec?.shareProcessNamespace ? "POD" : "CONTAINER",
    ipc: spec?.hostIPC ? "NODE" : "POD",
  };
}

/** What {@linkcode linuxSecurityContext} reads besides the pod and container. */
export interface SecurityContextOptions extends SeccompOptions {
  readonly container: Container;
  readonly imageUser: ImageUser;
}

/** The CRI security context of `container`. */
export function linuxSecurityContext(
  pod: Pod,
  options: SecurityContextOptions,
): cri.LinuxContainerSecurityContext {
  const { container } = options;
  const sc = effectiveSecurityContext(pod, container);
  const out: {
    -readonly [K in keyof cri.LinuxContainerSecurityContext]: cri.LinuxContainerSecurityContext[K];
  } = {};
  if (sc.capabilities) {
    out.capabilities = {
      addCapabilities: [...(sc.capabilities.add ?? [])],
      dropCapabilities: [...(sc.capabilities.drop ?? [])],
    };
  }
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  out.namespaceOptions = namespacesForPod(pod);
  if (sc.runAsUser !== undefined) out.runAsUser = { value: sc.runAsUser };
  else if (options.imageUser.uid !== undefined) out.runAsUser = { value: options.imageUser.uid };
  else if (options.imageUser.username) out.runAsUsername = options.imageUser.username;
  if (sc.runAsGroup !== undefined) out.runAsGroup = { value: sc.runAsGroup };
  if (sc.readOnlyRootFilesystem !== undefined) out.readonlyRootfs = sc.readOnlyRootFilesystem;
  const podSc = pod.spec?.securityContext;
  const groups: number[] = [];
  if (podSc?.fsGroup !== undefined) groups.push(podSc.fsGroup);
  groups.push(...(podSc?.supplementalGroups ?? []));
  if (groups.length > 0) out.supplementalGroups = groups;
  out.noNewPrivs = sc.allowPrivilegeEscalation === false;
  const unmasked = sc.procMount === "Unmasked";
  out.maskedPaths = unmasked ? [] : [...MASKED_PATHS];
  out.readonlyPaths = unmasked ? [] : [...READONLY_PATHS];
  out.seccomp = seccompProfile(pod, options);
  const apparmor = apparmorProfile(pod, container);
  if (apparmor) out.apparmor = apparmor;
  return out;
}
