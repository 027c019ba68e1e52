/**
 * The Pod Security Standards as checks (upstream `k8s.io/pod-security-admission/policy`,
 * v1.33): every baseline and restricted control, each in the revisions the policy versions
 * name, with upstream's reasons and details. A level and version pick the checks: privileged
 * has none; baseline has the baseline checks; restricted has the baseline checks its own
 * checks do not replace (restricted volumes replace hostPath volumes, restricted capabilities
 * and seccomp replace their baseline forms), then its own. Within each level checks run in the
 * order of their IDs, which is the order of the parts of a violation message.
 *
 * @module
 */
import type {
  Container,
  PodSecurityContext,
  PodSpec,
  SecurityContext,
  Volume,
} from "../types/core_v1_pod.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";

/** The three levels. */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** A policy version: `latest` or `v1.<minor>`. */
export interface PolicyVersion {
  readonly latest: boolean;
  readonly minor: number;
}

/** A level at a version (`restricted:latest`). */
export interface LevelVersion {
  readonly level: PodSecurityLevel;
  readonly version: PolicyVersion;
}

/** What one check says of a pod. */
export interface CheckResult {
  readonly allowed: boolean;
  readonly forbiddenReason?: string;
  readonly forbiddenDetail?: string;
}

type CheckFn = (meta: ObjectMeta, spec: PodSpec) => CheckResult;

interface VersionedCheck {
  readonly minimumVersion: number;
  readonly check: CheckFn;
  /** Baseline check IDs this (restricted) check replaces. */
  readonly overrides?: readonly string[];
}

interface Check {
  readonly id: string;
  readonly level: "baseline" | "restricted";
  readonly versions: readonly VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };

function forbidden(reason: string, detail: string): CheckResult {
  return { allowed: false, forbiddenReason: reason, forbiddenDetail: detail };
}

function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? "" : `"${items.join('", "')}"`;
}

function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

function sorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's `%q` for the values these messages quote. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Init containers, containers, then ephemeral containers, as upstream visits them. */
function containersOf(spec: PodSpec): Container[] {
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...((spec.ephemeralContainers ?? []) as unknown as Container[]),
  ];
}

function sc(c: Container): SecurityContext | undefined {
  return c.securityContext ?? undefined;
}

function podSc(spec: PodSpec): PodSecurityContext | undefined {
  return spec.securityContext ?? undefined;
}

function containersPhrase(names: readonly string[]): string {
  return `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
}

function isWindows(spec: PodSpec): boolean {
  return spec.os?.name === "windows";
}

// --- baseline ------------------------------------------------------------------------------

function hostNamespaces(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const set: string[] = [];
  if (spec.hostNetwork) set.push("hostNetwork=true");
  if (spec.hostPID) set.push("hostPID=true");
  if (spec.hostIPC) set.push("hostIPC=true");
  return set.length > 0 ? forbidden("host namespaces", set.join(", ")) : ALLOWED;
}

function privileged(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = containersOf(spec).filter((c) => sc(c)?.privileged === true).map((c) => c.name);
  return bad.length > 0
    ? forbidden(
      "privileged",
      `${containersPhrase(bad)} must not set securityContext.privileged=true`,
    )
    : ALLOWED;
}

const DEFAULT_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

function capabilitiesBaseline(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of containersOf(spec)) {
    const extra = (sc(c)?.capabilities?.add ?? []).filter((cap) => !DEFAULT_CAPABILITIES.has(cap));
    if (extra.length === 0) continue;
    bad.push(c.name);
    caps.push(...extra);
  }
  return bad.length > 0
    ? forbidden(
      "non-default capabilities",
      `${containersPhrase(bad)} must not include ${
        joinQuote(sorted(caps))
      } in securityContext.capabilities.add`,
    )
    : ALLOWED;
}

function hostPathVolumes(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = (spec.volumes ?? []).filter((v) => present(v.hostPath)).map((v) => v.name);
  return bad.length > 0
    ? forbidden(
      "hostPath volumes",
      `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)}`,
    )
    : ALLOWED;
}

function hostPorts(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of containersOf(spec)) {
    const own = (c.ports ?? []).filter((p) => (p.hostPort ?? 0) !== 0).map((p) =>
      String(p.hostPort)
    );
    if (own.length === 0) continue;
    bad.push(c.name);
    ports.push(...own);
  }
  if (bad.length === 0) return ALLOWED;
  const list = sorted(ports);
  return forbidden(
    "hostPort",
    `${containersPhrase(bad)} ${pluralize("uses", "use", bad.length)} ${
      pluralize("hostPort", "hostPorts", list.length)
    } ${list.join(", ")}`,
  );
}

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function allowedAppArmorAnnotation(v: string): boolean {
  return v === "" || v === "runtime/default" || v.startsWith("localhost/");
}

function allowedAppArmorType(t: string | undefined): boolean {
  return t === "RuntimeDefault" || t === "Localhost";
}

function appArmorProfile(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = podSc(spec)?.appArmorProfile;
  if (podProfile && !allowedAppArmorType(podProfile.type)) {
    setters.push("pod");
    values.push(podProfile.type ?? "");
  }
  const bad: string[] = [];
  for (const c of containersOf(spec)) {
    const p = sc(c)?.appArmorProfile;
    if (p && !allowedAppArmorType(p.type)) {
      bad.push(c.name);
      values.push(p.type ?? "");
    }
  }
  if (bad.length > 0) setters.push(containersPhrase(bad));
  const valueList = sorted(values);
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    if (k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(v)) {
      annotations.push(`${k}=${goQuote(v)}`);
    }
  }
  if (annotations.length > 0) {
    valueList.push(...sorted(annotations));
    setters.push(pluralize("annotation", "annotations", annotations.length));
  }
  if (setters.length === 0) return ALLOWED;
  return forbidden(
    pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.length),
    `${setters.join(" and ")} must not set AppArmor profile type to ${joinQuote(valueList)}`,
  );
}

const SELINUX_TYPES_1_0 = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, "container_engine_t"]);

function seLinuxOptions(allowed: ReadonlySet<string>): CheckFn {
  return (_meta, spec) => {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: { type?: string; user?: string; role?: string }): boolean => {
      let ok = true;
      if (!allowed.has(o.type ?? "")) {
        ok = false;
        badTypes.push(o.type ?? "");
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const setters: string[] = [];
    const podOpts = podSc(spec)?.seLinuxOptions;
    if (podOpts && !valid(podOpts)) setters.push("pod");
    const bad: string[] = [];
    for (const c of containersOf(spec)) {
      const o = sc(c)?.seLinuxOptions;
      if (o && !valid(o)) bad.push(c.name);
    }
    if (bad.length > 0) setters.push(containersPhrase(bad));
    if (setters.length === 0) return ALLOWED;
    const data: string[] = [];
    const types = sorted(badTypes);
    if (types.length > 0) {
      data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
    }
    if (setUser) data.push("user may not be set");
    if (setRole) data.push("role may not be set");
    return forbidden(
      "seLinuxOptions",
      `${setters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`,
    );
  };
}

function procMount(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  for (const c of containersOf(spec)) {
    const pm = sc(c)?.procMount;
    if (pm === undefined || pm === null || pm === "Default") continue;
    bad.push(c.name);
    types.push(pm);
  }
  return bad.length > 0
    ? forbidden(
      "procMount",
      `${containersPhrase(bad)} must not set securityContext.procMount to ${
        joinQuote(sorted(types))
      }`,
    )
    : ALLOWED;
}

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

function validSeccompAnnotation(v: string): boolean {
  return v === "runtime/default" || v === "docker/default" || v.startsWith("localhost/");
}

function validSeccompType(t: string | undefined): boolean {
  return t === "Localhost" || t === "RuntimeDefault";
}

/** Before v1.19 the seccomp profile was set by annotations. */
function seccompAnnotationsBaseline(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const annotations = meta.annotations ?? {};
  const bad = new Set<string>();
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) {
    bad.add(`${SECCOMP_POD_ANNOTATION}=${goQuote(podValue)}`);
  }
  for (const c of containersOf(spec)) {
    const key = `${SECCOMP_CONTAINER_ANNOTATION_PREFIX}${c.name}`;
    const v = annotations[key];
    if (v !== undefined && !validSeccompAnnotation(v)) bad.add(`${key}=${goQuote(v)}`);
  }
  if (bad.size === 0) return ALLOWED;
  return forbidden(
    "seccompProfile",
    `forbidden ${pluralize("annotation", "annotations", bad.size)} ${sorted(bad).join(", ")}`,
  );
}

/** Setters of a bad seccomp type, and the containers that set none. */
function seccompFindings(spec: PodSpec): {
  setters: string[];
  values: string[];
  podValid: boolean;
  unset: string[];
} {
  const setters: string[] = [];
  const values: string[] = [];
  let podValid = false;
  const podProfile = podSc(spec)?.seccompProfile;
  if (podProfile) {
    if (!validSeccompType(podProfile.type)) {
      setters.push("pod");
      values.push(podProfile.type ?? "");
    } else {
      podValid = true;
    }
  }
  const bad: string[] = [];
  const unset: string[] = [];
  for (const c of containersOf(spec)) {
    const p = sc(c)?.seccompProfile;
    if (p) {
      if (!validSeccompType(p.type)) {
        bad.push(c.name);
        values.push(p.type ?? "");
      }
    } else {
      unset.push(c.name);
    }
  }
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return { setters, values: sorted(values), podValid, unset };
}

function seccompBaseline(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const f = seccompFindings(spec);
  return f.setters.length > 0
    ? forbidden(
      "seccompProfile",
      `${f.setters.join(" and ")} must not set securityContext.seccompProfile.type to ${
        joinQuote(f.values)
      }`,
    )
    : ALLOWED;
}

const SYSCTLS_1_0 = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

function sysctls(allowed: readonly string[]): CheckFn {
  const set = new Set(allowed);
  return (_meta, spec) => {
    const bad = (podSc(spec)?.sysctls ?? []).map((s) => s.name).filter((n) => !set.has(n));
    return bad.length > 0 ? forbidden("forbidden sysctls", bad.join(", ")) : ALLOWED;
  };
}

function windowsHostProcess(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = containersOf(spec)
    .filter((c) => sc(c)?.windowsOptions?.hostProcess === true)
    .map((c) => c.name);
  const setters: string[] = [];
  if (podSc(spec)?.windowsOptions?.hostProcess === true) setters.push("pod");
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return setters.length > 0
    ? forbidden(
      "hostProcess",
      `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
    )
    : ALLOWED;
}

// --- restricted ----------------------------------------------------------------------------

function allowPrivilegeEscalation(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = containersOf(spec)
    .filter((c) => sc(c)?.allowPrivilegeEscalation !== false)
    .map((c) => c.name);
  return bad.length > 0
    ? forbidden(
      "allowPrivilegeEscalation != false",
      `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
    )
    : ALLOWED;
}

/** From v1.25 Windows pods skip the Linux-only restricted checks. */
function exceptWindows(check: CheckFn): CheckFn {
  return (meta, spec) => isWindows(spec) ? ALLOWED : check(meta, spec);
}

function capabilitiesRestricted(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const missingDrop: string[] = [];
  const adding: string[] = [];
  const caps: string[] = [];
  for (const c of containersOf(spec)) {
    const capabilities = sc(c)?.capabilities;
    if (!capabilities) {
      missingDrop.push(c.name);
      continue;
    }
    if (!(capabilities.drop ?? []).includes("ALL")) missingDrop.push(c.name);
    const extra = (capabilities.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (extra.length > 0) {
      adding.push(c.name);
      caps.push(...extra);
    }
  }
  const details: string[] = [];
  if (missingDrop.length > 0) {
    details.push(
      `${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`,
    );
  }
  if (adding.length > 0) {
    details.push(
      `${containersPhrase(adding)} must not include ${
        joinQuote(sorted(caps))
      } in securityContext.capabilities.add`,
    );
  }
  return details.length > 0 ? forbidden("unrestricted capabilities", details.join("; ")) : ALLOWED;
}

/** Volume sources restricted pods may use. */
const RESTRICTED_ALLOWED_VOLUMES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
/** The sources upstream names when it refuses one, in its order. */
const RESTRICTED_VOLUME_TYPES = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
];

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function restrictedVolumes(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of spec.volumes ?? []) {
    const source = v as Volume & Record<string, unknown>;
    if (RESTRICTED_ALLOWED_VOLUMES.some((k) => present(source[k]))) continue;
    bad.push(v.name);
    types.push(RESTRICTED_VOLUME_TYPES.find((k) => present(source[k])) ?? "unknown");
  }
  if (bad.length === 0) return ALLOWED;
  const list = sorted(types);
  return forbidden(
    "restricted volume types",
    `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)} ${
      pluralize("uses", "use", bad.length)
    } ${pluralize("restricted volume type", "restricted volume types", list.length)} ${
      joinQuote(list)
    }`,
  );
}

function runAsNonRoot(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  let podNonRoot = false;
  const podValue = podSc(spec)?.runAsNonRoot;
  if (podValue !== undefined && podValue !== null) {
    if (!podValue) setters.push("pod");
    else podNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containersOf(spec)) {
    const v = sc(c)?.runAsNonRoot;
    if (v !== undefined && v !== null) {
      if (!v) explicit.push(c.name);
    } else if (!podNonRoot) {
      implicit.push(c.name);
    }
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  if (setters.length > 0) {
    return forbidden(
      "runAsNonRoot != true",
      `${setters.join(" and ")} must not set securityContext.runAsNonRoot=false`,
    );
  }
  if (implicit.length > 0) {
    return forbidden(
      "runAsNonRoot != true",
      `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`,
    );
  }
  return ALLOWED;
}

function runAsUser(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (podSc(spec)?.runAsUser === 0) setters.push("pod");
  const bad = containersOf(spec).filter((c) => sc(c)?.runAsUser === 0).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return setters.length > 0
    ? forbidden("runAsUser=0", `${setters.join(" and ")} must not set runAsUser=0`)
    : ALLOWED;
}

function seccompRestricted(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const f = seccompFindings(spec);
  if (f.setters.length > 0) {
    return forbidden(
      "seccompProfile",
      `${f.setters.join(" and ")} must not set securityContext.seccompProfile.type to ${
        joinQuote(f.values)
      }`,
    );
  }
  const implicit = f.podValid ? [] : f.unset;
  return implicit.length > 0
    ? forbidden(
      "seccompProfile",
      `pod or ${
        containersPhrase(implicit)
      } must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    )
    : ALLOWED;
}

// --- registry ------------------------------------------------------------------------------

const CHECKS: readonly Check[] = [
  {
    id: "allowPrivilegeEscalation",
    level: "restricted",
    versions: [
      { minimumVersion: 8, check: allowPrivilegeEscalation },
      { minimumVersion: 25, check: exceptWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: "appArmorProfile",
    level: "baseline",
    versions: [{ minimumVersion: 0, check: appArmorProfile }],
  },
  {
    id: "capabilities_baseline",
    level: "baseline",
    versions: [{ minimumVersion: 0, check: capabilitiesBaseline }],
  },
  {
    id: "capabilities_restricted",
    level: "restricted",
    versions: [
      {
        minimumVersion: 22,
        check: capabilitiesRestricted,
        overrides: ["capabilities_baseline"],
      },
      {
        minimumVersion: 25,
        check: exceptWindows(capabilitiesRestricted),
        overrides: ["capabilities_baseline"],
      },
    ],
  },
  {
    id: "hostNamespaces",
    level: "baseline",
    versions: [{ minimumVersion: 0, check: hostNamespaces }],
  },
  {
    id: "hostPathVolumes",
    level: "baseline",
    versions: [{ minimumVersion: 0, check: hostPathVolumes }],
  },
  { id: "hostPorts", level: "baseline", versions: [{ minimumVersion: 0, check: hostPorts }] },
  { id: "privileged", level: "baseline", versions: [{ minimumVersion: 0, check: privileged }] },
  { id: "procMount", level: "baseline", versions: [{ minimumVersion: 0, check: procMount }] },
  {
    id: "restrictedVolumes",
    level: "restricted",
    versions: [{ minimumVersion: 0, check: restrictedVolumes, overrides: ["hostPathVolumes"] }],
  },
  {
    id: "runAsNonRoot",
    level: "restricted",
    versions: [{ minimumVersion: 0, check: runAsNonRoot }],
  },
  { id: "runAsUser", level: "restricted", versions: [{ minimumVersion: 23, check: runAsUser }] },
  {
    id: "seLinuxOptions",
    level: "baseline",
    versions: [
      { minimumVersion: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimumVersion: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: "seccompProfile_baseline",
    level: "baseline",
    versions: [
      { minimumVersion: 0, check: seccompAnnotationsBaseline },
      { minimumVersion: 19, check: seccompBaseline },
    ],
  },
  {
    id: "seccompProfile_restricted",
    level: "restricted",
    versions: [
      {
        minimumVersion: 19,
        check: seccompRestricted,
        overrides: ["seccompProfile_baseline"],
      },
      {
        minimumVersion: 25,
        check: exceptWindows(seccompRestricted),
        overrides: ["seccompProfile_baseline"],
      },
    ],
  },
  {
    id: "sysctls",
    level: "baseline",
    versions: [
      { minimumVersion: 0, check: sysctls(SYSCTLS_1_0) },
      { minimumVersion: 27, check: sysctls(SYSCTLS_1_27) },
      { minimumVersion: 29, check: sysctls(SYSCTLS_1_29) },
      { minimumVersion: 32, check: sysctls(SYSCTLS_1_32) },
    ],
  },
  {
    id: "windowsHostProcess",
    level: "baseline",
    versions: [{ minimumVersion: 0, check: windowsHostProcess }],
  },
];

/** The newest policy version any check has a revision for (`latest` evaluates as this). */
export const MAX_POLICY_MINOR: number = Math.max(
  ...CHECKS.flatMap((c) => c.versions.map((v) => v.minimumVersion)),
);

function byId(a: Check, b: Check): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const BASELINE = CHECKS.filter((c) => c.level === "baseline").sort(byId);
const RESTRICTED = CHECKS.filter((c) => c.level === "restricted").sort(byId);

function revisionAt(check: Check, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const v of check.versions) if (v.minimumVersion <= minor) found = v;
  return found;
}

const cache = new Map<string, readonly CheckFn[]>();

/** The checks of `lv`, in message order. */
export function checksFor(lv: LevelVersion): readonly CheckFn[] {
  if (lv.level === "privileged") return [];
  const minor = lv.version.latest ? MAX_POLICY_MINOR : Math.min(lv.version.minor, MAX_POLICY_MINOR);
  const key = `${lv.level}:${minor}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const restricted = lv.level === "restricted"
    ? RESTRICTED.map((c) => revisionAt(c, minor)).filter((v) => v !== undefined)
    : [];
  const overridden = new Set(restricted.flatMap((v) => v.overrides ?? []));
  const out: CheckFn[] = [];
  for (const c of BASELINE) {
    if (overridden.has(c.id)) continue;
    const v = revisionAt(c, minor);
    if (v) out.push(v.check);
  }
  for (const v of restricted) out.push(v.check);
  cache.set(key, out);
  return out;
}

/** The failed checks of a pod (or pod template) under `lv`, aggregated as upstream. */
export interface AggregateResult {
  readonly allowed: boolean;
  readonly reasons: readonly string[];
  readonly details: readonly string[];
}

/** Runs every check of `lv` on the pod. */
export function evaluatePodSecurity(
  lv: LevelVersion,
  pod: { readonly metadata: ObjectMeta; readonly spec: PodSpec },
): AggregateResult {
  const reasons: string[] = [];
  const details: string[] = [];
  for (const check of checksFor(lv)) {
    const r = check(pod.metadata, pod.spec);
    if (r.allowed) continue;
    reasons.push(r.forbiddenReason || "unknown forbidden reason");
    details.push(r.forbiddenDetail ?? "");
  }
  return { allowed: reasons.length === 0, reasons, details };
}

/** `host namespaces, privileged`: the reasons only (the namespace-wide warnings). */
export function forbiddenReason(r: AggregateResult): string {
  return r.reasons.join(", ");
}

/** `host namespaces (hostNetwork=true), privileged (container "a" must …)`. */
export function forbiddenDetail(r: AggregateResult): string {
  return r.reasons.map((reason, i) => r.details[i] ? `${reason} (${r.details[i]})` : reason)
    .join(", ");
}
