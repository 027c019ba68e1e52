/**
 * Defaults and validation of a PodSpec, shared by Pods and by every kind with a pod template
 * (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, PodTemplate).
 *
 * {@linkcode defaultPodSpec} applies upstream's `SetDefaults_PodSpec`, `SetDefaults_Container`,
 * the probe, handler, volume and resource-list defaults, and the conversion-time alias of
 * `serviceAccount`; with `{ pod: true }` also the Pod-only `SetDefaults_Pod` (requests from
 * limits, `enableServiceLinks`, host ports with hostNetwork). {@linkcode validatePodSpec} is
 * upstream's `ValidatePodSpec`, with its messages, minus what the schema checks generically
 * (required fields, enum values).
 *
 * @example Default and validate a template's spec
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultPodSpec, validatePodSpec } from "./pod_spec.ts";
 * import type { PodSpec } from "../types/core_v1_pod.ts";
 *
 * const spec: PodSpec = { containers: [{ name: "web", image: "nginx" }] };
 * defaultPodSpec(spec);
 * assert.equal(spec.containers[0]?.imagePullPolicy, "Always");
 * assert.equal(spec.restartPolicy, "Always");
 * assert.deepEqual(validatePodSpec(spec, { path: "spec.template.spec", isTemplate: true }), []);
 * ```
 *
 * @module
 */
import { TAINT_EFFECTS } from "../types/core_v1_common.ts";
import type { ObjectFieldSelector, Toleration } from "../types/core_v1_common.ts";
import type {
  Container,
  EphemeralContainer,
  HTTPGetAction,
  PodSecurityContext,
  PodSpec,
  PodTemplateSpec,
  Probe,
  Volume,
} from "../types/core_v1_pod.ts";
import { VOLUME_SOURCE_FIELDS } from "../types/core_v1_pod.ts";
import { Quantity } from "../types/quantity.ts";
import {
  duplicate,
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { goPointer, goQuote, goStruct, invalidGo } from "../validation/go_format.ts";
import { validateIP } from "../validation/ip.ts";
import { validateAnnotations, validateLabels } from "../validation/label_validation.ts";
import {
  isValidLabelValue,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
} from "../validation/names.ts";
import { inclusiveRangeError, IS_NOT_POSITIVE_ERROR } from "../validation/numbers.ts";
import {
  parseQuantity,
  validateResourceName,
  validateResourceQuantityValue,
} from "../validation/resource_names.ts";
import {
  validateLabelSelector,
  validateNodeSelector,
  validateNodeSelectorTerm,
} from "../validation/selector_validation.ts";
import {
  validateAppArmorProfile,
  validateContainers,
  validateEphemeralContainers,
  validateInitContainers,
  validateSeccompProfile,
} from "./_container_validation.ts";
import { type PathLike, toPath, validateId } from "./_validation_util.ts";
import { validateVolumes } from "./_volume_validation.ts";

// --- defaults -----------------------------------------------------------------------------------

/** Options of {@linkcode defaultPodSpec}. */
export interface DefaultPodSpecOptions {
  /**
   * The spec belongs to a Pod (not a template): also apply `SetDefaults_Pod` — requests default
   * to limits, `enableServiceLinks: true`, and with hostNetwork, hostPort to containerPort.
   */
  readonly pod?: boolean;
}

/** The default `terminationMessagePath`. */
export const TERMINATION_MESSAGE_PATH = "/dev/termination-log";
/** The default scheduler. */
export const DEFAULT_SCHEDULER_NAME = "default-scheduler";
/** The default `terminationGracePeriodSeconds`. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** The default mode of Secret, ConfigMap, downward API and projected volumes (0644). */
export const DEFAULT_VOLUME_MODE = 0o644;

const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

/**
 * The tag of an image reference as upstream's `ParseImageName` reports it: `"latest"` when the
 * reference has neither tag nor digest, `""` with a digest only, `null` for a reference that
 * does not parse (which upstream treats as not latest).
 */
export function imageTag(image: string | undefined): string | null {
  if (!image) return null;
  let rest = image;
  let digest = false;
  const at = rest.indexOf("@");
  if (at >= 0) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/.test(rest.slice(at + 1))) return null;
    digest = true;
    rest = rest.slice(0, at);
  }
  let tag = "";
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return null;
  }
  const parts = rest.split("/");
  const first = parts[0]!;
  const hasDomain = parts.length > 1 &&
    (first.includes(".") || first.includes(":") || first === "localhost" ||
      first !== first.toLowerCase());
  if (hasDomain) {
    if (
      !/^[a-zA-Z0-9.-]+(?::[0-9]+)?$/.test(first) && !/^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/.test(first)
    ) {
      return null;
    }
    parts.shift();
  }
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p))) return null;
  if (tag === "" && !digest) return "latest";
  return tag;
}

/** `SetDefaults_ResourceList`: round values up to milli precision. */
function roundResourceList(list: Record<string, string> | undefined): void {
  if (!list) return;
  for (const [name, raw] of Object.entries(list)) {
    const q = parseQuantity(raw);
    if (q === null) continue;
    const milli = new Quantity(q.milliValue(), { exponent: -3, format: q.format });
    if (milli.cmp(q) !== 0) list[name] = milli.toString();
  }
}

function defaultFieldRef(ref: ObjectFieldSelector | undefined): void {
  if (ref && !ref.apiVersion) ref.apiVersion = "v1";
}

function defaultHttpGet(g: HTTPGetAction | undefined): void {
  if (!g) return;
  if (!g.path) g.path = "/";
  if (!g.scheme) g.scheme = "HTTP";
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHttpGet(p.httpGet);
  if (p.grpc && p.grpc.service === undefined) p.grpc.service = "";
}

function defaultContainer(c: Container | EphemeralContainer): void {
  if (!c.imagePullPolicy) {
    c.imagePullPolicy = imageTag(c.image) === "latest" ? "Always" : "IfNotPresent";
  }
  if (!c.terminationMessagePath) c.terminationMessagePath = TERMINATION_MESSAGE_PATH;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = "File";
  for (const port of c.ports ?? []) port.protocol ??= "TCP";
  for (const env of c.env ?? []) defaultFieldRef(env.valueFrom?.fieldRef);
  roundResourceList(c.resources?.limits);
  roundResourceList(c.resources?.requests);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHttpGet(c.lifecycle?.postStart?.httpGet);
  defaultHttpGet(c.lifecycle?.preStop?.httpGet);
}

function defaultVolume(v: Volume): void {
  if (VOLUME_SOURCE_FIELDS.every((k) => v[k] === undefined || v[k] === null)) v.emptyDir = {};
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = "";
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item.fieldRef);
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const s of v.projected.sources ?? []) {
      for (const item of s.downwardAPI?.items ?? []) defaultFieldRef(item.fieldRef);
      if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
    }
  }
  if (v.iscsi) v.iscsi.iscsiInterface ||= "default";
  if (v.rbd) {
    v.rbd.pool ||= "rbd";
    v.rbd.user ||= "admin";
    v.rbd.keyring ||= "/etc/ceph/keyring";
  }
  if (v.azureDisk) {
    v.azureDisk.cachingMode ??= "ReadWrite";
    v.azureDisk.fsType ??= "ext4";
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ??= "Shared";
  }
  if (v.scaleIO) {
    v.scaleIO.storageMode ||= "ThinProvisioned";
    v.scaleIO.fsType ||= "xfs";
  }
  if (v.image && !v.image.pullPolicy) {
    v.image.pullPolicy = imageTag(v.image.reference) === "latest" ? "Always" : "IfNotPresent";
  }
  const claim = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claim) {
    claim.volumeMode ??= "Filesystem";
    roundResourceList(claim.resources?.limits);
    roundResourceList(claim.resources?.requests);
  }
}

function defaultPodOnly(spec: PodSpec): void {
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (limits === undefined) continue;
    const requests = (c.resources!.requests ??= {});
    for (const [name, value] of Object.entries(limits)) {
      if (!(name in requests)) requests[name] = value;
    }
  }
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const port of c.ports ?? []) {
        if (!port.hostPort) port.hostPort = port.containerPort;
      }
    }
  }
}

/**
 * Applies the defaults upstream applies to a PodSpec, in place: scalar and structural ones
 * (`dnsPolicy`, `restartPolicy`, `securityContext: {}`, grace period, scheduler, container pull
 * policy and termination message, probe timings, volume modes, an emptyDir for a volume
 * without source…). With `{ pod: true }`, also the Pod-only defaults.
 */
export function defaultPodSpec(spec: PodSpec, options: DefaultPodSpecOptions = {}): void {
  // Conversion: the deprecated alias follows serviceAccountName (which wins when both are set).
  if (!spec.serviceAccountName && spec.serviceAccount) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
  if (options.pod) defaultPodOnly(spec);
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  roundResourceList(spec.overhead);
}

/** Defaults of a pod template: its spec, as {@linkcode defaultPodSpec} (not Pod-only ones). */
export function defaultPodTemplateSpec(template: PodTemplateSpec): void {
  template.spec ??= { containers: [] };
  template.spec.containers ??= [];
  defaultPodSpec(template.spec);
}

// --- validation ---------------------------------------------------------------------------------

/** Options of {@linkcode validatePodSpec}. */
export interface PodSpecValidationOptions {
  /** Path of the spec in the object. @default {"spec"} */
  readonly path?: PathLike;
  /** The spec is embedded in another kind's template, not a Pod's own (`!ResourceIsPod`). */
  readonly isTemplate?: boolean;
  /** Name of the pod (Pods only), to check generated ephemeral volume claim names. */
  readonly podName?: string;
}

/** A toleration as upstream prints a `core.Toleration` in field errors (Go's `%#v`). */
export function goToleration(t: Toleration): string {
  return goStruct("core.Toleration", [
    ["Key", goQuote(t.key ?? "")],
    ["Operator", goQuote(t.operator ?? "")],
    ["Value", goQuote(t.value ?? "")],
    ["Effect", goQuote(t.effect ?? "")],
    ["TolerationSeconds", goPointer("int64", t.tolerationSeconds !== undefined)],
  ]);
}

/** Upstream's `ValidateTolerations`. */
export function validateTolerations(
  tolerations: readonly Toleration[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    if (t.key) errs.push(...validateQualifiedName(t.key, p.child("key")));
    if (!t.key && t.operator !== "Exists") {
      errs.push(invalid(p.child("operator"), {
        value: t.operator ?? "",
        detail:
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      }));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(invalid(p.child("effect"), {
        value: t.effect ?? "",
        detail: "effect must be 'NoExecute' when `tolerationSeconds` is set",
      }));
    }
    if (t.operator === "Exists") {
      if (t.value) {
        errs.push(invalidGo(p.child("operator"), {
          value: t,
          text: goToleration(t),
          detail: "value must be empty when `operator` is 'Exists'",
        }));
      }
    } else if (t.operator === undefined || t.operator === "" || t.operator === "Equal") {
      const msgs = isValidLabelValue(t.value ?? "");
      if (msgs.length > 0) {
        errs.push(invalid(p.child("operator"), { value: t.value ?? "", detail: msgs.join(";") }));
      }
    } else {
      errs.push(
        notSupported(p.child("operator"), { value: t.operator, supported: ["Equal", "Exists"] }),
      );
    }
    if (t.effect && !(TAINT_EFFECTS as readonly string[]).includes(t.effect)) {
      errs.push(notSupported(p.child("effect"), { value: t.effect, supported: TAINT_EFFECTS }));
    }
  });
  return errs;
}

type PodAffinityTerm = NonNullable<
  NonNullable<
    NonNullable<PodSpec["affinity"]>["podAffinity"]
  >["requiredDuringSchedulingIgnoredDuringExecution"]
>[number];

function validatePodAffinityTerm(term: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, { path: path.child("labelSelector") });
  errs.push(...validateLabelSelector(term.namespaceSelector, {
    path: path.child("namespaceSelector"),
  }));
  for (const ns of term.namespaces ?? []) {
    errs.push(...validateDns1123Label(ns, path.child("namespace")));
  }
  // matchLabelKeys and mismatchLabelKeys.
  for (
    const [name, keys] of [["matchLabelKeys", term.matchLabelKeys], [
      "mismatchLabelKeys",
      term.mismatchLabelKeys,
    ]] as const
  ) {
    if (!keys || keys.length === 0) continue;
    if (!term.labelSelector) {
      errs.push(forbidden(path.child(name), "must not be specified when labelSelector is not set"));
      continue;
    }
    keys.forEach((k, i) => errs.push(...validateQualifiedName(k, path.child(name).index(i))));
  }
  if (term.labelSelector) {
    const index = new Map((term.matchLabelKeys ?? []).map((k, i) => [k, i]));
    const seen = new Set(Object.keys(term.labelSelector.matchLabels ?? {}));
    for (const expr of term.labelSelector.matchExpressions ?? []) {
      const i = index.get(expr.key);
      if (i !== undefined && seen.has(expr.key)) {
        errs.push(invalid(path.index(i), {
          value: expr.key,
          detail: "exists in both matchLabelKeys and labelSelector",
        }));
      }
      seen.add(expr.key);
    }
  }
  const mismatch = new Set(term.mismatchLabelKeys ?? []);
  (term.matchLabelKeys ?? []).forEach((k, i) => {
    if (mismatch.has(k)) {
      errs.push(invalid(path.child("matchLabelKeys").index(i), {
        value: k,
        detail: "exists in both matchLabelKeys and mismatchLabelKeys",
      }));
    }
  });
  errs.push(...validateQualifiedName(term.topologyKey ?? "", path.child("topologyKey")));
  return errs;
}

function validateWeight(weight: number, path: FieldPath): FieldError[] {
  return weight <= 0 || weight > 100
    ? [invalid(path, { value: weight, detail: "must be in the range 1-100" })]
    : [];
}

function validateAffinity(affinity: PodSpec["affinity"], path: FieldPath): FieldError[] {
  if (!affinity) return [];
  const errs: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (na) {
    const np = path.child("nodeAffinity");
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      errs.push(...validateNodeSelector(req, {
        path: np.child("requiredDuringSchedulingIgnoredDuringExecution"),
      }));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = np.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
      errs.push(...validateWeight(t.weight, p.child("weight")));
      errs.push(...validateNodeSelectorTerm(t.preference, {
        path: p.child("preference"),
        // Upstream accepts any label value in preferred terms.
        allowInvalidLabelValue: true,
      }));
    });
  }
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    const pa = affinity[kind];
    if (!pa) continue;
    const pp = path.child(kind);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      errs.push(
        ...validatePodAffinityTerm(
          t,
          pp.child("requiredDuringSchedulingIgnoredDuringExecution").index(i),
        ),
      );
    });
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = pp.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
      errs.push(...validateWeight(t.weight, p.child("weight")));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm, p.child("podAffinityTerm")));
    });
  }
  return errs;
}

function validateTopologySpreadConstraints(
  constraints: PodSpec["topologySpreadConstraints"],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = constraints ?? [];
  list.forEach((c, i) => {
    const p = path.index(i);
    if (c.maxSkew <= 0) {
      errs.push(invalid(p.child("maxSkew"), { value: c.maxSkew, detail: IS_NOT_POSITIVE_ERROR }));
    }
    if (
      list.slice(i + 1).some((o) =>
        o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable
      )
    ) {
      errs.push(duplicate(
        p.child("{topologyKey, whenUnsatisfiable}"),
        `{${c.topologyKey}, ${c.whenUnsatisfiable}}`,
      ));
    }
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) {
        errs.push(
          invalid(p.child("minDomains"), { value: c.minDomains, detail: IS_NOT_POSITIVE_ERROR }),
        );
      }
      if (c.whenUnsatisfiable !== "DoNotSchedule") {
        errs.push(invalid(p.child("minDomains"), {
          value: c.minDomains,
          detail:
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`,
        }));
      }
    }
    const keys = c.matchLabelKeys ?? [];
    if (keys.length > 0) {
      const kp = p.child("matchLabelKeys");
      const selectorKeys = new Set([
        ...Object.keys(c.labelSelector?.matchLabels ?? {}),
        ...(c.labelSelector?.matchExpressions ?? []).map((e) => e.key),
      ]);
      if (!c.labelSelector) {
        errs.push(forbidden(kp, "must not be specified when labelSelector is not set"));
      }
      keys.forEach((k, j) => {
        errs.push(...validateQualifiedName(k, kp.index(j)));
        if (selectorKeys.has(k)) {
          errs.push(
            invalid(kp.index(j), {
              value: k,
              detail: "exists in both matchLabelKeys and labelSelector",
            }),
          );
        }
      });
    }
    errs.push(...validateLabelSelector(c.labelSelector, { path: p.child("labelSelector") }));
  });
  return errs;
}

function validateDnsConfig(spec: PodSpec, path: FieldPath): FieldError[] {
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === "None") {
    if (!config) return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
    if ((config.nameservers ?? []).length === 0) {
      return [
        required(
          path.child("nameservers"),
          "must provide at least one DNS nameserver when `dnsPolicy` is None",
        ),
      ];
    }
  }
  if (!config) return [];
  const errs: FieldError[] = [];
  const ns = config.nameservers ?? [];
  if (ns.length > 3) {
    errs.push(
      invalid(path.child("nameservers"), {
        value: ns,
        detail: "must not have more than 3 nameservers",
      }),
    );
  }
  ns.forEach((n, i) => errs.push(...validateIP(n, path.child("nameservers").index(i))));
  const searches = config.searches ?? [];
  if (searches.length > 32) {
    errs.push(
      invalid(path.child("searches"), {
        value: searches,
        detail: "must not have more than 32 search paths",
      }),
    );
  }
  if (searches.join(" ").length > 2048) {
    errs.push(invalid(path.child("searches"), {
      value: searches,
      detail: "must not have more than 2048 characters (including spaces) in the search list",
    }));
  }
  searches.forEach((s, i) => {
    errs.push(
      ...validateDns1123Subdomain(
        s.endsWith(".") ? s.slice(0, -1) : s,
        path.child("searches").index(i),
      ),
    );
  });
  (config.options ?? []).forEach((o, i) => {
    if (!o.name) errs.push(required(path.child("options").index(i), "must not be empty"));
  });
  return errs;
}

const SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?";
const SYSCTL_PATTERN = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;
const SYSCTL_REGEX = new RegExp(SYSCTL_PATTERN);

function sysctlNamespace(name: string): "net" | "ipc" | null {
  const n = name.replaceAll("/", ".");
  if (n.startsWith("net.")) return "net";
  if (
    n.startsWith("kernel.shm") || n.startsWith("kernel.msg") || n === "kernel.sem" ||
    n.startsWith("fs.mqueue.")
  ) {
    return "ipc";
  }
  return null;
}

function validatePodSecurityContext(
  spec: PodSpec,
  path: FieldPath,
): FieldError[] {
  const sc: PodSecurityContext | undefined = spec.securityContext;
  if (!sc) return [];
  const errs: FieldError[] = [];
  if (sc.fsGroup !== undefined) errs.push(...validateId(sc.fsGroup, path.child("fsGroup")));
  if (sc.runAsUser !== undefined) errs.push(...validateId(sc.runAsUser, path.child("runAsUser")));
  if (sc.runAsGroup !== undefined) {
    errs.push(...validateId(sc.runAsGroup, path.child("runAsGroup")));
  }
  (sc.supplementalGroups ?? []).forEach((g, i) => {
    errs.push(...validateId(g, path.child("supplementalGroups").index(i)));
  });
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(path.child("shareProcessNamespace"), {
      value: true,
      detail: "ShareProcessNamespace and HostPID cannot both be enabled",
    }));
  }
  const names = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const p = path.child("sysctls").index(i).child("name");
    if (!s.name) errs.push(required(p));
    else if (s.name.length > 253 || !SYSCTL_REGEX.test(s.name)) {
      errs.push(invalid(p, {
        value: s.name,
        detail: `must have at most 253 characters and match regex ${SYSCTL_PATTERN}`,
      }));
    } else if (names.has(s.name)) errs.push(duplicate(p, s.name));
    const ns = sysctlNamespace(s.name);
    if (spec.hostNetwork && ns === "net") {
      errs.push(
        invalid(p, { value: s.name, detail: "may not be specified when 'hostNetwork' is true" }),
      );
    } else if (spec.hostIPC && ns === "ipc") {
      errs.push(
        invalid(p, { value: s.name, detail: "may not be specified when 'hostIPC' is true" }),
      );
    }
    names.add(s.name);
  });
  errs.push(...validateSeccompProfile(sc.seccompProfile, path.child("seccompProfile")));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, path.child("appArmorProfile")));
  return errs;
}

function validateResourceClaims(claims: PodSpec["resourceClaims"], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (claims ?? []).forEach((c, i) => {
    const p = path.index(i);
    if (!c.name) {
      // the schema reports it
    } else if (names.has(c.name)) errs.push(duplicate(p.child("name"), c.name));
    else {
      errs.push(...validateDns1123Label(c.name, p.child("name")));
      names.add(c.name);
    }
    if (c.resourceClaimName !== undefined && c.resourceClaimTemplateName !== undefined) {
      errs.push(invalid(p, {
        value: c,
        detail:
          "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
      }));
    }
    if (c.resourceClaimName === undefined && c.resourceClaimTemplateName === undefined) {
      errs.push(invalid(p, {
        value: c,
        detail: "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
      }));
    }
    if (c.resourceClaimName !== undefined) {
      errs.push(...validateDns1123Subdomain(c.resourceClaimName, p.child("resourceClaimName")));
    }
    if (c.resourceClaimTemplateName !== undefined) {
      errs.push(
        ...validateDns1123Subdomain(
          c.resourceClaimTemplateName,
          p.child("resourceClaimTemplateName"),
        ),
      );
    }
  });
  return errs;
}

/** Every container of the spec with its path, as upstream's `VisitContainersWithPath`. */
function visitContainers(spec: PodSpec, path: FieldPath): [Container, FieldPath][] {
  const out: [Container, FieldPath][] = [];
  for (const key of ["initContainers", "containers", "ephemeralContainers"] as const) {
    (spec[key] ?? []).forEach((c, i) => out.push([c, path.child(key).index(i)]));
  }
  return out;
}

function validateOs(spec: PodSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const sc = spec.securityContext;
  if (spec.os?.name === "linux") {
    if (sc?.windowsOptions) {
      errs.push(
        forbidden(
          path.child("securityContext").child("windowsOptions"),
          "windows options cannot be set for a linux pod",
        ),
      );
    }
    for (const [c, cp] of visitContainers(spec, path)) {
      if (c.securityContext?.windowsOptions) {
        errs.push(
          forbidden(
            cp.child("securityContext").child("windowsOptions"),
            "windows options cannot be set for a linux pod",
          ),
        );
      }
    }
  } else if (spec.os?.name === "windows") {
    const detail = "cannot be set for a windows pod";
    const scp = path.child("securityContext");
    if (sc) {
      if (sc.appArmorProfile) errs.push(forbidden(scp.child("appArmorProfile"), detail));
      if (sc.seLinuxOptions) errs.push(forbidden(scp.child("seLinuxOptions"), detail));
    }
    if (spec.hostUsers !== undefined) errs.push(forbidden(path.child("hostUsers"), detail));
    if (spec.hostPID) errs.push(forbidden(path.child("hostPID"), detail));
    if (spec.hostIPC) errs.push(forbidden(path.child("hostIPC"), detail));
    if (sc) {
      if (sc.seccompProfile) errs.push(forbidden(scp.child("seccompProfile"), detail));
      if (sc.fsGroup !== undefined) errs.push(forbidden(scp.child("fsGroup"), detail));
      if (sc.fsGroupChangePolicy) errs.push(forbidden(scp.child("fsGroupChangePolicy"), detail));
      if ((sc.sysctls ?? []).length > 0) errs.push(forbidden(scp.child("sysctls"), detail));
    }
    if (spec.shareProcessNamespace !== undefined) {
      errs.push(forbidden(path.child("shareProcessNamespace"), detail));
    }
    if (sc) {
      if (sc.runAsUser !== undefined) errs.push(forbidden(scp.child("runAsUser"), detail));
      if (sc.runAsGroup !== undefined) errs.push(forbidden(scp.child("runAsGroup"), detail));
      if (sc.supplementalGroups !== undefined) {
        errs.push(forbidden(scp.child("supplementalGroups"), detail));
      }
      if (sc.supplementalGroupsPolicy) {
        errs.push(forbidden(scp.child("supplementalGroupsPolicy"), detail));
      }
    }
    for (const [c, cp] of visitContainers(spec, path)) {
      const csc = c.securityContext;
      if (!csc) continue;
      const p = cp.child("securityContext");
      const keys = [
        "appArmorProfile",
        "seLinuxOptions",
        "seccompProfile",
        "capabilities",
        "readOnlyRootFilesystem",
        "privileged",
        "allowPrivilegeEscalation",
        "procMount",
        "runAsUser",
        "runAsGroup",
      ] as const;
      for (const k of keys) if (csc[k] !== undefined) errs.push(forbidden(p.child(k), detail));
    }
  }
  return errs;
}

function validateHostNetworkPorts(
  spec: PodSpec,
  path: FieldPath,
  resourceIsPod: boolean,
): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    (c.ports ?? []).forEach((port, j) => {
      const hp = port.hostPort ?? 0;
      if ((resourceIsPod || hp !== 0) && hp !== port.containerPort) {
        errs.push(
          invalid(path.child("containers").index(i).child("ports").index(j).child("hostPort"), {
            value: hp,
            detail: "must match `containerPort` when `hostNetwork` is true",
          }),
        );
      }
    });
  });
  return errs;
}

/**
 * Upstream's `ValidatePodSpec`: errors in a (defaulted) PodSpec, with Kubernetes' messages.
 * Required fields and enum values are the schema's job and are not re-checked.
 */
export function validatePodSpec(
  spec: PodSpec,
  options: PodSpecValidationOptions = {},
): FieldError[] {
  const path = toPath(options.path ?? "spec");
  const resourceIsPod = !options.isTemplate;
  const errs: FieldError[] = [];
  if (spec.terminationGracePeriodSeconds === undefined) {
    errs.push(required(path.child("terminationGracePeriodSeconds")));
  }
  const hostUsers = spec.hostUsers !== false;
  const vols = validateVolumes(spec.volumes, {
    path: path.child("volumes"),
    context: { resourceIsPod, ...(options.podName ? { podName: options.podName } : {}) },
  });
  errs.push(...vols.errors);
  const claimNames = new Set((spec.resourceClaims ?? []).map((c) => c.name).filter((n) => n));
  errs.push(...validateResourceClaims(spec.resourceClaims, path.child("resourceClaims")));
  const context = {
    volumes: vols.volumes,
    claimNames,
    gracePeriod: spec.terminationGracePeriodSeconds,
    restartPolicy: spec.restartPolicy,
    hostUsers,
  };
  errs.push(...validateContainers(spec.containers, { path: path.child("containers"), context }));
  errs.push(...validateInitContainers(spec.initContainers, {
    path: path.child("initContainers"),
    context,
    regular: spec.containers,
  }));
  errs.push(...validateEphemeralContainers(spec.ephemeralContainers, {
    path: path.child("ephemeralContainers"),
    context,
    regular: spec.containers,
    init: spec.initContainers,
  }));
  errs.push(...validateHostNetworkPorts(spec, path, resourceIsPod));
  if (!spec.restartPolicy) errs.push(required(path.child("restartPolicy")));
  if (!spec.dnsPolicy) errs.push(required(path.child("dnsPolicy")));
  errs.push(...validateLabels(spec.nodeSelector, path.child("nodeSelector")));
  errs.push(...validatePodSecurityContext(spec, path.child("securityContext")));
  errs.push(...validateAffinity(spec.affinity, path.child("affinity")));
  errs.push(...validateDnsConfig(spec, path.child("dnsConfig")));
  (spec.readinessGates ?? []).forEach((g, i) => {
    errs.push(
      ...validateQualifiedName(
        g.conditionType,
        path.child("readinessGates").index(i).child("conditionType"),
      ),
    );
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = path.child("schedulingGates").index(i);
    errs.push(...validateQualifiedName(g.name, p));
    if (gates.has(g.name)) errs.push(duplicate(p, g.name));
    gates.add(g.name);
  });
  errs.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      path.child("topologySpreadConstraints"),
    ),
  );
  if (!hostUsers) {
    const detail = "when `pod.Spec.HostUsers` is false";
    if (spec.hostNetwork) errs.push(forbidden(path.child("hostNetwork"), detail));
    if (spec.hostPID) errs.push(forbidden(path.child("HostPID"), detail));
    if (spec.hostIPC) errs.push(forbidden(path.child("HostIPC"), detail));
  }
  if (spec.serviceAccountName) {
    errs.push(
      ...validateDns1123Subdomain(spec.serviceAccountName, path.child("serviceAccountName")),
    );
  }
  if (spec.nodeName) errs.push(...validateDns1123Subdomain(spec.nodeName, path.child("nodeName")));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && (ads < 1 || ads > 2147483647)) {
    errs.push(invalid(path.child("activeDeadlineSeconds"), {
      value: ads,
      detail: inclusiveRangeError(1, 2147483647),
    }));
  }
  if (spec.hostname) errs.push(...validateDns1123Label(spec.hostname, path.child("hostname")));
  if (spec.subdomain) errs.push(...validateDns1123Label(spec.subdomain, path.child("subdomain")));
  errs.push(...validateTolerations(spec.tolerations, path.child("tolerations")));
  (spec.hostAliases ?? []).forEach((a, i) => {
    const p = path.child("hostAliases").index(i);
    errs.push(...validateIP(a.ip, p.child("ip")));
    (a.hostnames ?? []).forEach((h, j) =>
      errs.push(...validateDns1123Subdomain(h, p.child("hostnames").index(j)))
    );
  });
  if (spec.priorityClassName) {
    errs.push(...validateDns1123Subdomain(spec.priorityClassName, path.child("priorityClassName")));
  }
  if (spec.runtimeClassName !== undefined) {
    errs.push(...validateDns1123Subdomain(spec.runtimeClassName, path.child("runtimeClassName")));
  }
  for (const [name, raw] of Object.entries(spec.overhead ?? {})) {
    const p = path.child("overhead").index(name);
    errs.push(...validateResourceName(name, p));
    const q = parseQuantity(raw);
    if (q !== null) errs.push(...validateResourceQuantityValue(q, { name, path: p }));
  }
  errs.push(...validateOs(spec, path));
  return errs;
}

/** Options of {@linkcode validatePodTemplateSpec}. */
export interface PodTemplateValidationOptions {
  /** Path of the template in the object (`spec.template`, or `template` for PodTemplate). */
  readonly path: PathLike;
}

/**
 * Upstream's `ValidatePodTemplateSpec`: the template's labels and annotations, its spec (as a
 * template: `isTemplate`), and no ephemeral containers.
 */
export function validatePodTemplateSpec(
  template: PodTemplateSpec,
  options: PodTemplateValidationOptions,
): FieldError[] {
  const path = toPath(options.path);
  const errs = validateLabels(template.metadata?.labels, path.child("labels"));
  errs.push(...validateAnnotations(template.metadata?.annotations, path.child("annotations")));
  const spec = template.spec ?? ({ containers: [] } as PodSpec);
  errs.push(...validatePodSpec(spec, { path: path.child("spec"), isTemplate: true }));
  if ((spec.ephemeralContainers ?? []).length > 0) {
    errs.push(
      forbidden(
        path.child("spec").child("ephemeralContainers"),
        "ephemeral containers not allowed in pod template",
      ),
    );
  }
  return errs;
}
