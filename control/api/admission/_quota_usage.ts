/**
 * What each object costs in quota, as upstream's evaluators measure it
 * (`pkg/quota/v1/evaluator/core` and the generic object-count evaluator of
 * `k8s.io/apiserver/pkg/quota/v1/generic`, v1.33):
 *
 * - Pods: `pods`, `count/pods`, `cpu`/`memory`/`ephemeral-storage` (= their requests),
 *   `requests.*`, `limits.*`, `hugepages-*`, `requests.hugepages-*` and `requests.<extended>`;
 *   terminal pods and pods past their deletion grace period are charged only `count/pods`.
 *   Requests and limits aggregate as the kubelet does (sidecar init containers add up, regular
 *   init containers take the maximum, pod overhead is added). Pods honour the quota scopes
 *   Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass and
 *   CrossNamespacePodAffinity; and a quota on cpu or memory makes every container name them.
 * - Services: `services`, `count/services`, `services.loadbalancers`, `services.nodeports`.
 * - PersistentVolumeClaims: `persistentvolumeclaims`, `count/persistentvolumeclaims`,
 *   `requests.storage` and both per storage class
 *   (`<class>.storageclass.storage.k8s.io/requests.storage`).
 * - Everything else: `count/<resource>[.<group>]`, plus the legacy names `configmaps`,
 *   `secrets`, `replicationcontrollers` and `resourcequotas`. Only pods have scopes: a scoped
 *   quota counts no other kind.
 *
 * @module
 */
import type { AdmissionOperation } from "./admission.ts";
import type { ResourceQuota, ScopedResourceSelectorRequirement } from "../types/core_v1_policy.ts";
import type { Container, Pod, PodAffinityTerm } from "../types/core_v1_pod.ts";
import type { Service } from "../types/core_v1_service.ts";
import type { PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { qosClassOf } from "../types/pod_qos.ts";
import { Quantity } from "../types/quantity.ts";
import { isExtendedResourceName, isNativeResource } from "../validation/resource_names.ts";
import {
  addResourceLists,
  goCompare,
  maxInto,
  parseQuantity,
  parseResourceList,
  type ResourceList,
} from "./_resource_list.ts";

/** One scope requirement of a quota (its `scopes` become `Exists` requirements). */
export type ScopeRequirement = Pick<
  ScopedResourceSelectorRequirement,
  "scopeName" | "operator" | "values"
>;

/** How quota measures one kind of object. */
export interface QuotaEvaluator {
  readonly group: string;
  readonly resource: string;
  /** Whether a write of this kind can change usage (upstream `Handles`). */
  handles(operation: AdmissionOperation, subresource: string): boolean;
  /** The names of `names` this evaluator measures. */
  matchingResources(names: Iterable<string>): string[];
  /** Whether `obj` is in the scope `requirement` selects. */
  matchesScope(requirement: ScopeRequirement, obj: KubeObject): boolean;
  /** Upstream `Constraints`: a message when `obj` lacks what a quota on `required` demands. */
  constraints(required: readonly string[], obj: KubeObject): string | null;
  /** What `obj` costs at `nowMs`. */
  usage(obj: KubeObject, nowMs: number): ResourceList;
  /** A string that changes whenever the object's scope membership may change. */
  scopeKey(obj: KubeObject): string;
  /** When a charge ends on its own (a deleted pod's grace period), in ms since the epoch. */
  chargeEndsAt(obj: KubeObject): number | null;
}

const ONE = new Quantity(1n);

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** The group and resource a `count/…` name counts, or `null` for other names. */
export function parseObjectCountName(name: string): { group: string; resource: string } | null {
  if (!name.startsWith("count/")) return null;
  const rest = name.slice("count/".length);
  const dot = rest.indexOf(".");
  if (rest === "" || dot === 0) return null;
  return dot < 0
    ? { group: "", resource: rest }
    : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

/** The scope requirements of a quota: its `scopes` (as `Exists`) then its `scopeSelector`. */
export function quotaScopeRequirements(quota: ResourceQuota): ScopeRequirement[] {
  const out: ScopeRequirement[] = (quota.spec?.scopes ?? []).map((scopeName) => ({
    scopeName,
    operator: "Exists",
  }));
  for (const e of quota.spec?.scopeSelector?.matchExpressions ?? []) out.push(e);
  return out;
}

/**
 * Upstream `generic.Matches`: the quota's *enforced* limits (`status.hard`) name something the
 * evaluator measures, and the object is in every scope of the quota.
 */
export function quotaMatches(
  quota: ResourceQuota,
  options: { readonly evaluator: QuotaEvaluator; readonly object: KubeObject },
): boolean {
  const { evaluator, object } = options;
  if (evaluator.matchingResources(Object.keys(quota.status?.hard ?? {})).length === 0) {
    return false;
  }
  return quotaScopeRequirements(quota).every((r) => evaluator.matchesScope(r, object));
}

// --- object counts -------------------------------------------------------------------------

/** Core kinds whose count also goes by its pre-`count/` name. */
const LEGACY_COUNT_NAMES: Readonly<Record<string, string>> = {
  configmaps: "configmaps",
  secrets: "secrets",
  replicationcontrollers: "replicationcontrollers",
  resourcequotas: "resourcequotas",
};

function objectCountEvaluator(group: string, resource: string): QuotaEvaluator {
  const names = [objectCountName(group, resource)];
  const legacy = group === "" ? LEGACY_COUNT_NAMES[resource] : undefined;
  if (legacy) names.push(legacy);
  const known = new Set(names);
  return {
    group,
    resource,
    handles: (operation) => operation === "CREATE",
    matchingResources: (input) => [...input].filter((n) => known.has(n)),
    matchesScope: () => false,
    constraints: () => null,
    usage: () => new Map(names.map((n) => [n, ONE])),
    scopeKey: () => "",
    chargeEndsAt: () => null,
  };
}

// --- services ------------------------------------------------------------------------------

const SERVICE_RESOURCES = new Set([
  "count/services",
  "services",
  "services.loadbalancers",
  "services.nodeports",
]);

const serviceEvaluator: QuotaEvaluator = {
  group: "",
  resource: "services",
  handles: (operation) => operation === "CREATE" || operation === "UPDATE",
  matchingResources: (input) => [...input].filter((n) => SERVICE_RESOURCES.has(n)),
  matchesScope: () => false,
  constraints: () => null,
  usage(obj) {
    const spec = (obj as Service).spec ?? {};
    const ports = spec.ports ?? [];
    let nodePorts = 0;
    let loadBalancers = 0;
    if (spec.type === "NodePort") {
      nodePorts = ports.length;
    } else if (spec.type === "LoadBalancer") {
      loadBalancers = 1;
      // Without node port allocation only the ports that name one count.
      nodePorts = spec.allocateLoadBalancerNodePorts === false
        ? ports.filter((p) => (p.nodePort ?? 0) !== 0).length
        : ports.length;
    }
    return new Map([
      ["count/services", ONE],
      ["services", ONE],
      ["services.loadbalancers", new Quantity(BigInt(loadBalancers))],
      ["services.nodeports", new Quantity(BigInt(nodePorts))],
    ]);
  },
  scopeKey: () => "",
  chargeEndsAt: () => null,
};

// --- persistent volume claims --------------------------------------------------------------

const STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";
const PVC_RESOURCES = ["persistentvolumeclaims", "requests.storage"];
const BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

/** Storage is charged in whole bytes (upstream rounds fractions up). */
function roundUpToBytes(q: Quantity): Quantity {
  const whole = q.value();
  return new Quantity(whole).cmp(q) === 0 ? q : new Quantity(whole, { format: q.format });
}

function pvcStorage(pvc: PersistentVolumeClaim): Quantity | null {
  const requested = parseQuantity(pvc.spec?.resources?.requests?.storage);
  if (requested === null) return null;
  let result = roundUpToBytes(requested);
  // RecoverVolumeExpansionFailure (on in 1.33): a larger allocation is what is held.
  const allocated = parseQuantity(pvc.status?.allocatedResources?.storage);
  if (allocated !== null && allocated.cmp(result) > 0) result = roundUpToBytes(allocated);
  return result;
}

function pvcClass(pvc: PersistentVolumeClaim): string {
  const annotated = pvc.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return pvc.spec?.storageClassName ?? "";
}

const pvcEvaluator: QuotaEvaluator = {
  group: "",
  resource: "persistentvolumeclaims",
  handles: (operation) => operation === "CREATE" || operation === "UPDATE",
  matchingResources(input) {
    return [...input].filter((n) =>
      n === "count/persistentvolumeclaims" || PVC_RESOURCES.includes(n) ||
      PVC_RESOURCES.some((r) => n.endsWith(`${STORAGE_CLASS_SUFFIX}${r}`))
    );
  },
  matchesScope: () => false,
  constraints: () => null,
  usage(obj) {
    const pvc = obj as PersistentVolumeClaim;
    const out: ResourceList = new Map([
      ["persistentvolumeclaims", ONE],
      ["count/persistentvolumeclaims", ONE],
    ]);
    const cls = pvcClass(pvc);
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, ONE);
    const storage = pvcStorage(pvc);
    if (storage !== null) {
      out.set("requests.storage", storage);
      if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
  scopeKey: () => "",
  chargeEndsAt: () => null,
};

// --- pods ----------------------------------------------------------------------------------

const POD_RESOURCES = new Set([
  "count/pods",
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
]);
const POD_RESOURCE_PREFIXES = ["hugepages-", "requests.hugepages-"];
/** The resources a quota may demand each container names (upstream's admitted mistake). */
const VALIDATION_SET = new Set([
  "cpu",
  "memory",
  "requests.cpu",
  "requests.memory",
  "limits.cpu",
  "limits.memory",
]);

function isExtendedNameForQuota(name: string): boolean {
  return !isNativeResource(name) && name.startsWith("requests.");
}

/** Upstream `podComputeUsageHelper`: the quota names of a set of requests and limits. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([["pods", ONE]]);
  for (const r of ["cpu", "memory", "ephemeral-storage"]) {
    const req = requests.get(r);
    if (req !== undefined) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim !== undefined) out.set(`limits.${r}`, lim);
  }
  for (const [name, req] of requests) {
    if (name.startsWith("hugepages-")) {
      out.set(name, req);
      out.set(`requests.${name}`, req);
    }
    if (isExtendedResourceName(name)) out.set(`requests.${name}`, req);
  }
  return out;
}

interface StatusResources {
  readonly requests: ResourceList;
  readonly limits: ResourceList;
  readonly allocated: ResourceList;
}

function statusResources(pod: Pod): Map<string, StatusResources> {
  const out = new Map<string, StatusResources>();
  const all = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ];
  for (const cs of all) {
    const res = cs.resources as
      | { requests?: Record<string, string>; limits?: Record<string, string> }
      | undefined;
    if (!res) continue;
    out.set(cs.name, {
      requests: parseResourceList(res.requests),
      limits: parseResourceList(res.limits),
      allocated: parseResourceList(cs.allocatedResources as Record<string, string> | undefined),
    });
  }
  return out;
}

/**
 * A container's requests (or limits): its spec, raised to what its status reports it holds
 * when an in-place resize is in flight (InPlacePodVerticalScaling, on in 1.33).
 */
function containerList(
  c: Container,
  options: { readonly kind: "requests" | "limits"; readonly status: Map<string, StatusResources> },
): ResourceList {
  const list = parseResourceList(c.resources?.[options.kind]);
  const st = options.status.get(c.name);
  if (st) {
    maxInto(list, options.kind === "requests" ? st.requests : st.limits);
    if (options.kind === "requests") maxInto(list, st.allocated);
  }
  return list;
}

/** Upstream `PodRequests` / `PodLimits` (without pod-level resources, alpha in 1.33). */
function podList(pod: Pod, kind: "requests" | "limits"): ResourceList {
  const status = statusResources(pod);
  let total: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) {
    total = addResourceLists(total, containerList(c, { kind, status }));
  }
  let sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerList(c, { kind, status });
    if (c.restartPolicy === "Always") {
      total = addResourceLists(total, own);
      sidecars = addResourceLists(sidecars, own);
      maxInto(initMax, sidecars);
    } else {
      maxInto(initMax, addResourceLists(own, sidecars));
    }
  }
  maxInto(total, initMax);
  const overhead = parseResourceList(pod.spec?.overhead);
  if (kind === "requests") return addResourceLists(total, overhead);
  for (const [name, q] of overhead) {
    const lim = total.get(name);
    if (lim !== undefined) total.set(name, lim.add(q));
  }
  return total;
}

function deletionDeadline(pod: Pod): number | null {
  const ts = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (!ts || grace === undefined || grace === null) return null;
  const at = Date.parse(ts);
  return Number.isNaN(at) ? null : at + grace * 1000;
}

/** Upstream `QuotaV1Pod`: not terminal and not stuck past its deletion grace period. */
export function podIsCharged(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") return false;
  const deadline = deletionDeadline(pod);
  return deadline === null || nowMs <= deadline;
}

function isTerminating(pod: Pod): boolean {
  const d = pod.spec?.activeDeadlineSeconds;
  return d !== undefined && d !== null && d >= 0;
}

function isBestEffort(pod: Pod): boolean {
  return (pod.status?.qosClass || qosClassOf(pod)) === "BestEffort";
}

function crossNamespaceTerm(t: PodAffinityTerm): boolean {
  return (t.namespaces ?? []).length > 0 || (t.namespaceSelector !== undefined &&
    t.namespaceSelector !== null);
}

function usesCrossNamespaceAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  for (const aff of [a?.podAffinity, a?.podAntiAffinity]) {
    if (!aff) continue;
    if ((aff.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespaceTerm)) {
      return true;
    }
    const preferred = aff.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.some((w) => crossNamespaceTerm(w.podAffinityTerm))) return true;
  }
  return false;
}

/** A PriorityClass requirement as a label selector over `{PriorityClass: <name>}`. */
function matchesPriorityClass(pod: Pod, r: ScopeRequirement): boolean {
  const name = pod.spec?.priorityClassName ?? "";
  const values = r.values ?? [];
  switch (r.operator) {
    case "Exists":
      return name !== "";
    case "DoesNotExist":
      return name === "";
    case "In":
      return name !== "" && values.includes(name);
    case "NotIn":
      return name === "" || !values.includes(name);
    default:
      return false;
  }
}

const podEvaluator: QuotaEvaluator = {
  group: "",
  resource: "pods",
  handles(operation, subresource) {
    if (subresource !== "" && subresource !== "resize") return false;
    return operation === "CREATE" || (subresource === "resize" && operation === "UPDATE");
  },
  matchingResources(input) {
    const out: string[] = [];
    for (const n of input) {
      if (
        POD_RESOURCES.has(n) || POD_RESOURCE_PREFIXES.some((p) => n.startsWith(p)) ||
        isExtendedNameForQuota(n)
      ) out.push(n);
    }
    return out;
  },
  matchesScope(r, obj) {
    const pod = obj as Pod;
    switch (r.scopeName) {
      case "Terminating":
        return isTerminating(pod);
      case "NotTerminating":
        return !isTerminating(pod);
      case "BestEffort":
        return isBestEffort(pod);
      case "NotBestEffort":
        return !isBestEffort(pod);
      case "PriorityClass":
        return matchesPriorityClass(pod, r);
      case "CrossNamespacePodAffinity":
        return usesCrossNamespaceAffinity(pod);
      default:
        return false;
    }
  },
  constraints(required, obj) {
    const pod = obj as Pod;
    const needed = required.filter((r) => VALIDATION_SET.has(r));
    if (needed.length === 0) return null;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      const has = computeUsage(
        parseResourceList(c.resources?.requests),
        parseResourceList(c.resources?.limits),
      );
      for (const r of needed) {
        if (has.has(r)) continue;
        let names = missing.get(r);
        if (!names) missing.set(r, names = new Set());
        names.add(c.name);
      }
    }
    if (missing.size === 0) return null;
    const parts = [...missing.keys()].sort(goCompare).map((r) =>
      `${r} for: ${[...missing.get(r)!].sort(goCompare).join(",")}`
    );
    return `must specify ${parts.join("; ")}`;
  },
  usage(obj, nowMs) {
    const pod = obj as Pod;
    // count/pods follows every stored pod; the rest only pods that still run or may run.
    const out: ResourceList = new Map([["count/pods", ONE]]);
    if (!podIsCharged(pod, nowMs)) return out;
    return addResourceLists(out, computeUsage(podList(pod, "requests"), podList(pod, "limits")));
  },
  scopeKey(obj) {
    const pod = obj as Pod;
    return [
      isTerminating(pod),
      isBestEffort(pod),
      pod.spec?.priorityClassName ?? "",
      usesCrossNamespaceAffinity(pod),
    ].join("|");
  },
  chargeEndsAt(obj) {
    const pod = obj as Pod;
    const phase = pod.status?.phase;
    if (phase === "Failed" || phase === "Succeeded") return null;
    return deletionDeadline(pod);
  },
};

// --- registry ------------------------------------------------------------------------------

/** Kinds quota never counts (upstream's default ignored resources). */
const IGNORED = new Set(["/events"]);

const CORE_EVALUATORS: readonly QuotaEvaluator[] = [podEvaluator, serviceEvaluator, pvcEvaluator];
const countEvaluators = new Map<string, QuotaEvaluator>();

/** The evaluator of `group`/`resource`, or `null` for kinds quota ignores (core Events). */
export function quotaEvaluatorFor(group: string, resource: string): QuotaEvaluator | null {
  const key = `${group}/${resource}`;
  if (IGNORED.has(key)) return null;
  for (const e of CORE_EVALUATORS) if (e.group === group && e.resource === resource) return e;
  let e = countEvaluators.get(key);
  if (!e) countEvaluators.set(key, e = objectCountEvaluator(group, resource));
  return e;
}

/** The kinds (group, resource) whose usage the quota resources `names` need. */
export function kindsCounting(names: Iterable<string>): { group: string; resource: string }[] {
  const list = [...names];
  const out = new Map<string, { group: string; resource: string }>();
  for (const e of CORE_EVALUATORS) {
    if (e.matchingResources(list).length > 0) out.set(`/${e.resource}`, e);
  }
  for (const n of list) {
    const legacy = Object.entries(LEGACY_COUNT_NAMES).find(([, v]) => v === n);
    if (legacy) out.set(`/${legacy[0]}`, { group: "", resource: legacy[0] });
    const counted = parseObjectCountName(n);
    if (counted && !IGNORED.has(`${counted.group}/${counted.resource}`)) {
      out.set(`${counted.group}/${counted.resource}`, counted);
    }
  }
  return [...out.values()].map(({ group, resource }) => ({ group, resource }));
}
