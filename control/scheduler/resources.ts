/**
 * Resource amounts as the scheduler counts them (upstream `framework.Resource`): CPU in
 * millicores, memory and ephemeral storage in bytes, a pod count, and scalar resources
 * (extended resources such as `example.com/gpu`, `hugepages-*`, `attachable-volumes-*` and
 * other `kubernetes.io/` names) as whole values. Also a pod's effective requests, computed as
 * Kubernetes' `resourcehelper.PodRequests` does: the sum of the containers, raised to each init
 * container's need (restartable "sidecar" init containers run alongside the rest, so they add
 * up), plus the pod overhead.
 *
 * @example A pod with an init container and a sidecar
 * ```ts
 * import assert from "node:assert/strict";
 * import { podRequests, toResources } from "./resources.ts";
 *
 * const requests = podRequests({
 *   spec: {
 *     initContainers: [
 *       { name: "setup", resources: { requests: { cpu: "2" } } },
 *       { name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "100m" } } },
 *     ],
 *     containers: [{ name: "app", resources: { requests: { cpu: "500m", memory: "1Gi" } } }],
 *   },
 * });
 * const r = toResources(requests);
 * assert.equal(r.milliCpu, 2000);
 * assert.equal(r.memoryBytes, 1024 ** 3);
 * ```
 *
 * @module
 */
import type { Container, ContainerStatus, Pod } from "../api/types/core_v1_pod.ts";
import { Quantity } from "../api/types/quantity.ts";

/** Amounts of each resource the scheduler tracks (upstream `framework.Resource`). */
export interface Resources {
  /** CPU in millicores. */
  readonly milliCpu: number;
  /** Memory in bytes. */
  readonly memoryBytes: number;
  /** Local ephemeral storage in bytes. */
  readonly ephemeralStorageBytes: number;
  /** The number of pods (the `pods` resource). */
  readonly allowedPodNumber: number;
  /** Scalar resources (extended, hugepages, attachable volumes, `kubernetes.io/…`) by name. */
  readonly scalarResources: ReadonlyMap<string, number>;
}

/** Resource lists as Kubernetes writes them: name → quantity text. */
export type ResourceList = Readonly<Record<string, string>>;

/** Upstream's `DefaultMilliCPURequest`: the CPU a container without a CPU request counts as. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Upstream's `DefaultMemoryRequest` (200 MiB): the memory a container without one counts as. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const EMPTY_SCALARS: ReadonlyMap<string, number> = new Map();

/** No resources at all. */
export const EMPTY_RESOURCES: Resources = Object.freeze({
  milliCpu: 0,
  memoryBytes: 0,
  ephemeralStorageBytes: 0,
  allowedPodNumber: 0,
  scalarResources: EMPTY_SCALARS,
});

const ZERO = new Quantity(0n);
const QUANTITY_CACHE = new Map<string, Quantity>();
const QUANTITY_CACHE_LIMIT = 4096;

/**
 * `text` parsed as a quantity, memoized (requests repeat: `100m`, `128Mi`). Text that does not
 * parse counts as zero: the API server validates quantities, so only a corrupt object has one.
 */
export function quantityOf(text: string): Quantity {
  let q = QUANTITY_CACHE.get(text);
  if (q !== undefined) return q;
  try {
    q = Quantity.parse(text);
  } catch {
    q = ZERO;
  }
  if (QUANTITY_CACHE.size >= QUANTITY_CACHE_LIMIT) QUANTITY_CACHE.clear();
  QUANTITY_CACHE.set(text, q);
  return q;
}

const NATIVE_PREFIX = "kubernetes.io/";
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isQualifiedName(name: string): boolean {
  const parts = name.split("/");
  if (parts.length > 2) return false;
  const local = parts.length === 2 ? parts[1]! : parts[0]!;
  if (local.length === 0 || local.length > 63 || !QUALIFIED_NAME_PART.test(local)) return false;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}

/**
 * Whether `name` is an extended resource: a domain-prefixed name outside `kubernetes.io/`
 * that is a valid quota name (upstream `IsExtendedResourceName`).
 */
export function isExtendedResource(name: string): boolean {
  if (!name.includes("/") || name.includes(NATIVE_PREFIX)) return false;
  if (name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`);
}

/**
 * Whether `name` is counted in {@linkcode Resources.scalarResources}: extended resources,
 * `hugepages-*`, `attachable-volumes-*` and `kubernetes.io/`-prefixed names (upstream
 * `IsScalarResourceName`).
 */
export function isScalarResource(name: string): boolean {
  return isExtendedResource(name) || name.startsWith("hugepages-") ||
    name.includes(NATIVE_PREFIX) || name.startsWith("attachable-volumes-");
}

/** Resource totals by name, exact (quantities). */
export type ResourceTotals = Map<string, Quantity>;

function addInto(into: ResourceTotals, list: ResourceTotals | ResourceList | undefined): void {
  if (list === undefined) return;
  const entries = list instanceof Map ? list.entries() : Object.entries(list);
  for (const [name, value] of entries) {
    const q = typeof value === "string" ? quantityOf(value) : value;
    const current = into.get(name);
    into.set(name, current === undefined ? q : current.add(q));
  }
}

function maxInto(into: ResourceTotals, list: ResourceTotals): void {
  for (const [name, q] of list) {
    const current = into.get(name);
    if (current === undefined || q.cmp(current) > 0) into.set(name, q);
  }
}

/** Options of {@linkcode podRequests}. */
export interface PodRequestsOptions {
  /**
   * Values for requests a container leaves out (upstream `NonMissingContainerRequests`); the
   * scheduler's scoring counts a container without a CPU or memory request as 100m / 200Mi.
   */
  readonly nonMissingContainerRequests?: ResourceList;
  /**
   * Count what a resize has allocated, as the cache does for running pods (upstream
   * `UseStatusResources`): the larger of the spec and the container status, or only the status
   * while the resize is infeasible.
   */
  readonly useStatusResources?: boolean;
  /** Leave out `spec.overhead` (upstream `ExcludeOverhead`). */
  readonly excludeOverhead?: boolean;
}

function isRestartable(container: Container): boolean {
  return container.restartPolicy === "Always";
}

function isResizeInfeasible(pod: Pod): boolean {
  if (pod.status?.resize === "Infeasible") return true;
  return (pod.status?.conditions ?? []).some((c) =>
    c.type === "PodResizePending" && c.reason === "Infeasible"
  );
}

function containerRequests(
  pod: Pod,
  container: Container,
  context: {
    readonly options: PodRequestsOptions;
    readonly statuses: ReadonlyMap<string, ContainerStatus> | undefined;
  },
): ResourceTotals {
  const reqs: ResourceTotals = new Map();
  addInto(reqs, container.resources?.requests);
  const status = context.statuses?.get(container.name);
  if (status?.resources !== undefined) {
    const fromStatus: ResourceTotals = new Map();
    addInto(fromStatus, status.resources.requests);
    const allocated: ResourceTotals = new Map();
    addInto(allocated, status.allocatedResources);
    if (isResizeInfeasible(pod)) reqs.clear();
    maxInto(reqs, fromStatus);
    maxInto(reqs, allocated);
  }
  const defaults = context.options.nonMissingContainerRequests;
  if (defaults !== undefined) {
    for (const [name, text] of Object.entries(defaults)) {
      if (!reqs.has(name)) reqs.set(name, quantityOf(text));
    }
  }
  return reqs;
}

/**
 * The effective requests of `pod` by resource name, as Kubernetes computes them
 * (`resourcehelper.PodRequests`): containers summed; each init container needs its own request
 * plus the sidecars started before it, and the pod needs the largest of those; sidecars also
 * add to the total; the overhead is added last.
 */
export function podRequests(pod: Pod, options: PodRequestsOptions = {}): ResourceTotals {
  const spec = pod.spec;
  const total: ResourceTotals = new Map();
  if (spec === undefined) return total;
  let statuses: Map<string, ContainerStatus> | undefined;
  if (options.useStatusResources) {
    statuses = new Map();
    for (const s of pod.status?.containerStatuses ?? []) statuses.set(s.name, s);
    for (const s of pod.status?.initContainerStatuses ?? []) statuses.set(s.name, s);
  }
  for (const c of spec.containers ?? []) {
    addInto(total, containerRequests(pod, c, { options, statuses }));
  }
  const sidecars: ResourceTotals = new Map();
  const initNeed: ResourceTotals = new Map();
  for (const c of spec.initContainers ?? []) {
    const restartable = isRestartable(c);
    const reqs = containerRequests(pod, c, {
      options,
      statuses: restartable ? statuses : undefined,
    });
    if (restartable) {
      addInto(total, reqs);
      addInto(sidecars, reqs);
      maxInto(initNeed, sidecars);
    } else {
      const need: ResourceTotals = new Map();
      addInto(need, reqs);
      addInto(need, sidecars);
      maxInto(initNeed, need);
    }
  }
  maxInto(total, initNeed);
  if (!options.excludeOverhead) addInto(total, spec.overhead);
  return total;
}

/** `q` in the unit the scheduler counts `name` in: millicores for `cpu`, whole values else. */
export function resourceValue(name: string, q: Quantity | undefined): number {
  if (q === undefined) return 0;
  return Number(name === "cpu" ? q.milliValue() : q.value());
}

/**
 * Resource totals (or a resource list such as a node's allocatable) as {@linkcode Resources}
 * (upstream `Resource.Add`): names the scheduler does not track are dropped.
 */
export function toResources(list: ResourceTotals | ResourceList | undefined): Resources {
  if (list === undefined) return EMPTY_RESOURCES;
  let milliCpu = 0;
  let memoryBytes = 0;
  let ephemeralStorageBytes = 0;
  let allowedPodNumber = 0;
  let scalars: Map<string, number> | undefined;
  const entries = list instanceof Map ? list.entries() : Object.entries(list);
  for (const [name, value] of entries) {
    const q = typeof value === "string" ? quantityOf(value) : value;
    switch (name) {
      case "cpu":
        milliCpu += Number(q.milliValue());
        break;
      case "memory":
        memoryBytes += Number(q.value());
        break;
      case "ephemeral-storage":
        ephemeralStorageBytes += Number(q.value());
        break;
      case "pods":
        allowedPodNumber += Number(q.value());
        break;
      default:
        if (isScalarResource(name)) {
          scalars ??= new Map();
          scalars.set(name, (scalars.get(name) ?? 0) + Number(q.value()));
        }
    }
  }
  return {
    milliCpu,
    memoryBytes,
    ephemeralStorageBytes,
    allowedPodNumber,
    scalarResources: scalars ?? EMPTY_SCALARS,
  };
}

function mergeScalars(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
  sign: 1 | -1,
): ReadonlyMap<string, number> {
  if (b.size === 0) return a;
  const out = new Map(a);
  for (const [name, v] of b) out.set(name, (out.get(name) ?? 0) + sign * v);
  return out;
}

/** `a + b`, resource by resource. */
export function addResources(a: Resources, b: Resources): Resources {
  return {
    milliCpu: a.milliCpu + b.milliCpu,
    memoryBytes: a.memoryBytes + b.memoryBytes,
    ephemeralStorageBytes: a.ephemeralStorageBytes + b.ephemeralStorageBytes,
    allowedPodNumber: a.allowedPodNumber + b.allowedPodNumber,
    scalarResources: mergeScalars(a.scalarResources, b.scalarResources, 1),
  };
}

/** `a - b`, resource by resource. */
export function subtractResources(a: Resources, b: Resources): Resources {
  return {
    milliCpu: a.milliCpu - b.milliCpu,
    memoryBytes: a.memoryBytes - b.memoryBytes,
    ephemeralStorageBytes: a.ephemeralStorageBytes - b.ephemeralStorageBytes,
    allowedPodNumber: a.allowedPodNumber - b.allowedPodNumber,
    scalarResources: mergeScalars(a.scalarResources, b.scalarResources, -1),
  };
}

/** The non-zero requests used for scoring: 100m CPU / 200Mi memory per container without one. */
export const NON_ZERO_DEFAULTS: ResourceList = Object.freeze({
  cpu: `${DEFAULT_MILLI_CPU_REQUEST}m`,
  memory: `${DEFAULT_MEMORY_REQUEST}`,
});
