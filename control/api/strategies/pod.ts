/**
 * The Pod strategy (upstream `pkg/registry/core/pod/strategy.go` with `ValidatePodCreate`,
 * `ValidatePodUpdate` and `ValidatePodStatusUpdate`), plus the checks of `pods/binding`.
 *
 * - defaults: {@linkcode defaultPodSpec} with the Pod-only defaults;
 * - create: status reset to `{ phase: "Pending", qosClass }`, fields of features off in 1.33
 *   dropped, a `PodScheduled=False/SchedulingGated` condition for gated pods, and
 *   `matchLabelKeys`/`mismatchLabelKeys` of pod (anti-)affinity merged into their selectors;
 * - update: only images, `activeDeadlineSeconds` (set or lowered), added tolerations, removed
 *   scheduling gates, a negative grace period set to 1, and for gated pods added nodeSelector
 *   entries may change; anything else is `pod updates may not change fields other than …`;
 * - status writes: the QoS class and observedGeneration are kept, podIP/podIPs and
 *   hostIP/hostIPs are kept in step, and container state transitions are checked.
 *
 * @module
 */
import { formatTime as rfc3339Seconds } from "../../util/k8s_time.ts";
import type {
  Binding,
  Container,
  Pod,
  PodAffinityTerm,
  PodCondition,
  PodSpec,
  PodStatus,
} from "../types/core_v1_pod.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { qosClassOf } from "../types/pod_qos.ts";
import { jsonEqual } from "../util/json_value.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { isIPv4, parseIPSloppy, validateIP } from "../validation/ip.ts";
import {
  isDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
} from "../validation/names.ts";
import { inclusiveRangeError } from "../validation/numbers.ts";
import { dropDisabledPodSpecFields, dropDisabledPodStatusFields } from "./_pod_fields.ts";
import { podSpecDiff, validateTolerationsForUpdate } from "./_pod_update.ts";
import { defaultPodSpec, validatePodSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

/** The fields a pod update may change, as upstream lists them in its error (1.33). */
export const UPDATABLE_POD_SPEC_FIELDS = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
] as const;

/** Options of {@linkcode newPodStrategy}. */
export interface PodStrategyOptions {
  /** The clock for condition timestamps, in ms since the epoch. @default {Date.now} */
  readonly now?: () => number;
}

function specOf(obj: KubeObject): PodSpec {
  return (obj.spec ??= { containers: [] }) as PodSpec;
}

/** `applyLabelKeysToLabelSelector` for the (mis)matchLabelKeys of one affinity term. */
function applyMatchLabelKeys(term: PodAffinityTerm, labels: Readonly<Record<string, string>>) {
  if (!term.labelSelector) return;
  const add = (keys: readonly string[] | undefined, operator: "In" | "NotIn") => {
    for (const key of keys ?? []) {
      const value = labels[key];
      if (value === undefined) continue;
      (term.labelSelector!.matchExpressions ??= []).push({ key, operator, values: [value] });
    }
  };
  add(term.matchLabelKeys, "In");
  add(term.mismatchLabelKeys, "NotIn");
}

function mutatePodAffinity(pod: Pod): void {
  const affinity = pod.spec?.affinity;
  if (!affinity) return;
  const labels = pod.metadata?.labels ?? {};
  for (const a of [affinity.podAffinity, affinity.podAntiAffinity]) {
    if (!a) continue;
    for (const t of a.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      applyMatchLabelKeys(t.podAffinityTerm, labels);
    }
    for (const t of a.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      applyMatchLabelKeys(t, labels);
    }
  }
}

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  const specPath = new FieldPath("spec");
  const errs = validatePodSpec(spec, {
    path: specPath,
    ...(pod.metadata?.name ? { podName: pod.metadata.name } : {}),
  });
  if (!spec.serviceAccountName) {
    (spec.volumes ?? []).forEach((v, i) => {
      (v.projected?.sources ?? []).forEach((s, j) => {
        if (s.serviceAccountToken) {
          errs.push(forbidden(
            specPath.child("volumes").index(i).child("projected").child("sources").index(j)
              .child("serviceAccountToken"),
            "must not be specified when serviceAccountName is not set",
          ));
        }
      });
    });
  }
  for (const key of ["containers", "initContainers"] as const) {
    (spec[key] ?? []).forEach((c: Container, i) => {
      if (c.image !== undefined && c.image !== c.image.trim()) {
        errs.push(invalid(specPath.child(key).index(i).child("image"), {
          value: c.image,
          detail: "must not have leading or trailing whitespace",
        }));
      }
    });
  }
  return errs;
}

/** The rules of upstream's `ValidatePodCreate` that only a new pod is held to. */
export function validatePodCreateOnly(pod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pod.spec;
  if ((spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(forbidden("spec.ephemeralContainers", "cannot be set on create"));
  }
  if (spec?.nodeName && (spec.schedulingGates ?? []).length > 0) {
    errs.push(
      forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"),
    );
  }
  return errs;
}

/** Upstream's `ValidatePodCreate` beyond object metadata. */
export function validatePodCreate(pod: Pod): FieldError[] {
  return [...validatePodMetadataAndSpec(pod), ...validatePodCreateOnly(pod)];
}

function validateContainerUpdates(
  next: readonly Container[] | undefined,
  options: { readonly old: readonly Container[] | undefined; readonly path: FieldPath },
): { errors: FieldError[]; stop: boolean } {
  const a = next ?? [];
  const b = options.old ?? [];
  if (a.length !== b.length) {
    return {
      errors: [forbidden(options.path, "pod updates may not add or remove containers")],
      stop: true,
    };
  }
  const errors: FieldError[] = [];
  a.forEach((c, i) => {
    const p = options.path.index(i).child("image");
    if (!c.image) errors.push(required(p));
    if ((c.image ?? "").trim() !== (c.image ?? "")) {
      errors.push(
        invalid(p, { value: c.image, detail: "must not have leading or trailing whitespace" }),
      );
    }
  });
  return { errors, stop: false };
}

/**
 * Upstream's `ValidatePodUpdate` beyond object metadata and beyond what {@linkcode
 * podStrategy}'s `validate` reports for the new pod (the handler runs both).
 */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  const oldSpec = old.spec ?? ({ containers: [] } as PodSpec);
  const specPath = new FieldPath("spec");
  for (const key of ["containers", "initContainers"] as const) {
    const r = validateContainerUpdates(spec[key], { old: oldSpec[key], path: specPath.child(key) });
    errs.push(...r.errors);
    if (r.stop) return errs;
  }
  const adsPath = specPath.child("activeDeadlineSeconds");
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (v < 0 || v > 2147483647) {
      errs.push(invalid(adsPath, { value: v, detail: inclusiveRangeError(0, 2147483647) }));
      return errs;
    }
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds < v) {
      errs.push(
        invalid(adsPath, { value: v, detail: "must be less than or equal to previous value" }),
      );
      return errs;
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(adsPath, {
        value: null,
        detail: "must not update from a positive integer to nil value",
      }),
    );
  }
  errs.push(...validateTolerationsForUpdate(spec.tolerations, {
    old: oldSpec.tolerations,
    path: specPath.child("tolerations"),
  }));
  const newGates = spec.schedulingGates ?? [];
  if (newGates.length > 0) {
    const oldNames = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
    newGates.forEach((g, i) => {
      if (!oldNames.has(g.name)) {
        errs.push(forbidden(
          specPath.child("schedulingGates").index(i).child("name"),
          `only deletion is allowed, but found new scheduling gate '${g.name}'`,
        ));
      }
    });
  }
  if (jsonEqual(spec, oldSpec)) return errs;

  // Munge what may change, then any remaining difference is forbidden.
  const munged = structuredClone(spec);
  munged.containers = (munged.containers ?? []).map((c, i) =>
    withImage(c, oldSpec.containers?.[i])
  );
  if (munged.initContainers !== undefined) {
    munged.initContainers = munged.initContainers.map((c, i) =>
      withImage(c, oldSpec.initContainers?.[i])
    );
  }
  setOrDelete(munged, "activeDeadlineSeconds", oldSpec.activeDeadlineSeconds);
  setOrDelete(munged, "schedulingGates", oldSpec.schedulingGates);
  setOrDelete(munged, "tolerations", oldSpec.tolerations);
  if (
    oldSpec.terminationGracePeriodSeconds !== undefined &&
    oldSpec.terminationGracePeriodSeconds < 0 &&
    munged.terminationGracePeriodSeconds === 1
  ) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (
    (oldSpec.schedulingGates ?? []).length > 0 &&
    !jsonEqual(munged.nodeSelector, oldSpec.nodeSelector)
  ) {
    const next = munged.nodeSelector ?? {};
    for (const [k, v] of Object.entries(oldSpec.nodeSelector ?? {})) {
      if (next[k] !== v) {
        errs.push(invalid(specPath.child("nodeSelector"), {
          value: next,
          detail: "only additions to spec.nodeSelector are allowed (no mutations or deletions)",
        }));
        break;
      }
    }
    setOrDelete(munged, "nodeSelector", oldSpec.nodeSelector);
  }
  if (!jsonEqual(munged, oldSpec)) {
    errs.push(forbidden(
      specPath,
      `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(",")}\n${
        podSpecDiff(oldSpec, munged)
      }`,
    ));
  }
  return errs;
}

function withImage(c: Container, old: Container | undefined): Container {
  const out = { ...c };
  if (old?.image !== undefined) out.image = old.image;
  else delete out.image;
  return out;
}

function setOrDelete<K extends keyof PodSpec>(
  spec: PodSpec,
  key: K,
  value: PodSpec[K] | undefined,
) {
  if (value === undefined) delete spec[key];
  else spec[key] = value;
}

/**
 * The status-write preparation of upstream's `podStatusStrategy.PrepareForUpdate` and of the
 * v1 conversion: keep the QoS class and observedGeneration values the write omits, keep podIP
 * and podIPs (hostIP and hostIPs) consistent, and drop fields of features off in 1.33.
 * Idempotent; {@linkcode podStrategy}'s `prepareForStatusUpdate` runs it.
 */
export function preparePodStatusUpdate(obj: KubeObject, old: KubeObject): void {
  const pod = obj as Pod;
  const prev = old as Pod;
  const status: PodStatus = (pod.status ??= {});
  const oldStatus = prev.status ?? {};
  if (!status.qosClass && oldStatus.qosClass) status.qosClass = oldStatus.qosClass;
  if (status.observedGeneration === undefined && oldStatus.observedGeneration !== undefined) {
    status.observedGeneration = oldStatus.observedGeneration;
  }
  const oldByType = new Map<string, (number | undefined)[]>();
  for (const c of oldStatus.conditions ?? []) {
    const list = oldByType.get(c.type) ?? [];
    list.push(c.observedGeneration);
    oldByType.set(c.type, list);
  }
  for (const c of status.conditions ?? []) {
    const gen = oldByType.get(c.type)?.shift();
    if (c.observedGeneration === undefined && gen !== undefined) c.observedGeneration = gen;
  }
  syncIps(status, "podIP", "podIPs");
  syncIps(status, "hostIP", "hostIPs");
  dropDisabledPodStatusFields(status, { old: prev.status, oldSpec: prev.spec });
}

function syncIps(
  status: PodStatus,
  single: "podIP" | "hostIP",
  plural: "podIPs" | "hostIPs",
): void {
  const one = status[single];
  const list = status[plural];
  if (one && (!list || list.length === 0 || list[0]?.ip !== one)) status[plural] = [{ ip: one }];
  else if (!one && list && list.length > 0 && list[0]) status[single] = list[0].ip;
}

function validateStateTransitions(
  next: PodStatus["containerStatuses"],
  options: {
    readonly old: PodStatus["containerStatuses"];
    readonly path: FieldPath;
    readonly restartPolicy: string | undefined;
    readonly sidecars?: ReadonlySet<string>;
  },
): FieldError[] {
  if (options.restartPolicy === "Always") return [];
  const errs: FieldError[] = [];
  (options.old ?? []).forEach((o, i) => {
    const term = o.state?.terminated;
    if (!term) return;
    if (term.exitCode !== 0 && options.restartPolicy === "OnFailure") return;
    if (options.sidecars?.has(o.name)) return;
    for (const n of next ?? []) {
      if (n.name === o.name && !n.state?.terminated) {
        errs.push(
          forbidden(
            options.path.index(i).child("state"),
            "may not be transitioned to non-terminated state",
          ),
        );
      }
    }
  });
  return errs;
}

function validateIpList(
  list: readonly { readonly ip: string }[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const ips = list ?? [];
  ips.forEach((p, i) => errs.push(...validateIP(p.ip, path.index(i))));
  if (ips.length > 1) {
    // `netutils.IsDualStackIPStrings`: all parse, and both families are present.
    const parsed = ips.map((p) => parseIPSloppy(p.ip));
    const v4 = parsed.some((ip) => ip !== null && isIPv4(ip));
    const v6 = parsed.some((ip) => ip !== null && !isIPv4(ip));
    const dual = v4 && v6 && ips.length === 2 && !parsed.includes(null);
    if (!dual) {
      errs.push(
        invalid(path, { value: ips, detail: "may specify no more than one IP for each IP family" }),
      );
    }
    const seen = new Set<string>();
    ips.forEach((p, i) => {
      if (seen.has(p.ip)) errs.push(duplicate(path.index(i), p));
      seen.add(p.ip);
    });
  }
  return errs;
}

/** Upstream's `ValidatePodStatusUpdate` beyond object metadata (after the preparation). */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const system = new Set(["PodScheduled", "Ready", "Initialized"]);
  (pod.status?.conditions ?? []).forEach((c: PodCondition, i) => {
    if (!system.has(c.type)) {
      errs.push(
        ...validateQualifiedName(
          c.type,
          new FieldPath("metadata").child("conditions").index(i).child("Type"),
        ),
      );
    }
  });
  const statusPath = new FieldPath("status");
  if ((pod.spec?.nodeName ?? "") !== (old.spec?.nodeName ?? "")) {
    errs.push(forbidden(statusPath.child("nodeName"), "may not be changed directly"));
  }
  const nominated = pod.status?.nominatedNodeName ?? "";
  if (nominated !== (old.status?.nominatedNodeName ?? "") && nominated) {
    errs.push(...validateDns1123Subdomain(nominated, statusPath.child("nominatedNodeName")));
  }
  const restartPolicy = old.spec?.restartPolicy;
  errs.push(...validateStateTransitions(pod.status?.containerStatuses, {
    old: old.status?.containerStatuses,
    path: statusPath.child("containerStatuses"),
    restartPolicy,
  }));
  const sidecars = new Set(
    (old.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name),
  );
  errs.push(...validateStateTransitions(pod.status?.initContainerStatuses, {
    old: old.status?.initContainerStatuses,
    path: statusPath.child("initContainerStatuses"),
    restartPolicy,
    sidecars,
  }));
  errs.push(...validateStateTransitions(pod.status?.ephemeralContainerStatuses, {
    old: old.status?.ephemeralContainerStatuses,
    path: statusPath.child("ephemeralContainerStatuses"),
    restartPolicy: "Never",
  }));
  const claims = new Set((pod.spec?.resourceClaims ?? []).map((c) => c.name));
  const seenClaims = new Set<string>();
  (pod.status?.resourceClaimStatuses ?? []).forEach((s, i) => {
    const p = statusPath.child("resourceClaimStatuses").index(i).child("name");
    if (!claims.has(s.name)) {
      errs.push(
        invalid(p, {
          value: s.name,
          detail: "must match the name of an entry in `spec.resourceClaims`",
        }),
      );
    }
    if (seenClaims.has(s.name)) errs.push(duplicate(p, s.name));
    seenClaims.add(s.name);
  });
  errs.push(...validateIpList(pod.status?.podIPs, statusPath.child("podIPs")));
  const hostIPs = pod.status?.hostIPs ?? [];
  if (hostIPs.length > 0) {
    if ((pod.status?.hostIP ?? "") !== hostIPs[0]!.ip) {
      errs.push(invalid(statusPath.child("hostIPs").index(0).child("ip"), {
        value: hostIPs[0]!.ip,
        detail: "must be equal to `hostIP`",
      }));
    }
    errs.push(...validateIpList(hostIPs, statusPath.child("hostIPs")));
  }
  const names = new Set([
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.ephemeralContainers ?? []),
  ].map((c) => c.name));
  for (
    const key of [
      "containerStatuses",
      "initContainerStatuses",
      "ephemeralContainerStatuses",
    ] as const
  ) {
    (pod.status?.[key] ?? []).forEach((s, i) => {
      if (!names.has(s.name)) {
        errs.push(invalid(statusPath.child(key).index(i).child("name"), {
          value: s.name,
          detail: "must match the name of a container in the pod spec",
        }));
      }
    });
  }
  return errs;
}

/** Creates the Pod strategy, with an injectable clock. */
export function newPodStrategy(options: PodStrategyOptions = {}): Strategy {
  const now = options.now ?? Date.now;
  return {
    nameRule: "subdomain",
    default(obj) {
      defaultPodSpec(specOf(obj), { pod: true });
    },
    prepareForCreate(obj) {
      const pod = obj as Pod;
      const spec = specOf(obj);
      pod.status = { phase: "Pending", qosClass: qosClassOf(pod) };
      dropDisabledPodSpecFields(spec, undefined);
      if ((spec.schedulingGates ?? []).length > 0) {
        pod.status.conditions = [{
          type: "PodScheduled",
          status: "False",
          lastTransitionTime: rfc3339Seconds(now()),
          reason: "SchedulingGated",
          message: "Scheduling is blocked due to non-empty scheduling gates",
        }];
      }
      mutatePodAffinity(pod);
    },
    prepareForUpdate(obj, old) {
      dropDisabledPodSpecFields(specOf(obj), (old as Pod).spec);
    },
    prepareForStatusUpdate(obj, old) {
      // Old kubelets corrupt owner references: status writes keep the stored ones (upstream).
      const ownerReferences = old.metadata?.ownerReferences;
      const meta = obj.metadata ??= {};
      if (ownerReferences === undefined) delete meta.ownerReferences;
      else meta.ownerReferences = structuredClone(ownerReferences);
      preparePodStatusUpdate(obj, old);
    },
    validate(obj) {
      return validatePodMetadataAndSpec(obj as Pod);
    },
    validateCreate(obj) {
      return validatePodCreateOnly(obj as Pod);
    },
    validateUpdate(obj, old) {
      return validatePodUpdate(obj as Pod, old as Pod);
    },
    validateStatusUpdate(obj, old) {
      return validatePodStatusUpdate(obj as Pod, old as Pod);
    },
    warnings(obj, old) {
      // The hostname warning is upstream's WarningsOnCreate only: names do not change.
      if (old !== undefined) return [];
      const name = obj.metadata?.name ?? "";
      const msgs = name ? isDns1123Label(name) : [];
      return msgs.length === 0 ? [] : [
        `metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${
          msgs.join(" ")
        }]`,
      ];
    },
  };
}

/** The Pod strategy. */
export const podStrategy: Strategy = newPodStrategy();

// --- pods/binding -------------------------------------------------------------------------------

/** Upstream's `ValidatePodBinding`. */
export function validatePodBinding(binding: Binding): FieldError[] {
  const errs: FieldError[] = [];
  const kind = binding.target?.kind ?? "";
  if (kind !== "" && kind !== "Node") {
    errs.push(notSupported("target.kind", { value: kind, supported: ["Node", "<empty>"] }));
  }
  if (!binding.target?.name) errs.push(required("target.name"));
  return errs;
}

/** Options of {@linkcode bindPod}. */
export interface BindPodOptions {
  /** The clock for the PodScheduled condition, in ms since the epoch. @default {Date.now} */
  readonly now?: () => number;
}

/** Why a binding was refused; `conflict` is upstream's 409 case. */
export interface BindPodRefusal {
  readonly reason: "conflict" | "deleting" | "gated";
  readonly message: string;
}

/**
 * Applies a Binding to the stored pod, in place, as upstream's `assignPod`: sets
 * `spec.nodeName`, merges the binding's annotations and sets `PodScheduled=True`. Returns why it
 * was refused instead: already bound (409 Conflict), being deleted, or still gated.
 */
export function bindPod(
  pod: Pod,
  options: BindPodOptions & { readonly binding: Binding },
): BindPodRefusal | null {
  const name = pod.metadata?.name ?? "";
  const node = options.binding.target.name ?? "";
  if (pod.metadata?.deletionTimestamp) {
    return {
      reason: "deleting",
      message: `pod ${name} is being deleted, cannot be assigned to a host`,
    };
  }
  if (pod.spec?.nodeName) {
    return {
      reason: "conflict",
      message: `pod ${name} is already assigned to node "${pod.spec.nodeName}"`,
    };
  }
  if ((pod.spec?.schedulingGates ?? []).length > 0) {
    return { reason: "gated", message: `pod ${name} has non-empty .spec.schedulingGates` };
  }
  specOf(pod as KubeObject).nodeName = node;
  const annotations = options.binding.metadata?.annotations;
  if (annotations && Object.keys(annotations).length > 0) {
    pod.metadata = {
      ...pod.metadata,
      annotations: { ...pod.metadata?.annotations, ...annotations },
    };
  }
  const status: PodStatus = (pod.status ??= {});
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === "PodScheduled");
  const nowText = rfc3339Seconds((options.now ?? Date.now)());
  if (existing === undefined) {
    conditions.push({ type: "PodScheduled", status: "True", lastTransitionTime: nowText });
  } else {
    if (existing.status !== "True") existing.lastTransitionTime = nowText;
    existing.status = "True";
    delete existing.lastProbeTime;
    delete existing.reason;
    delete existing.message;
  }
  return null;
}
