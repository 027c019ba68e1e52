/**
 * What the EndpointSlice and Endpoints controllers share (upstream `k8s.io/endpointslice/util`):
 * which pods back a Service and how (readiness, ports resolved per pod), which Services a pod
 * change concerns, and the `endpoints.kubernetes.io/last-change-trigger-time` tracker.
 *
 * @module
 */
import type { ContainerPort, Pod } from "../api/types/core_v1_pod.ts";
import type { Service, ServicePort } from "../api/types/core_v1_service.ts";
import type { Informer } from "../client/informer.ts";
import { metaNamespaceKey, NAMESPACE_INDEX } from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import { parseTime } from "./_rfc3339.ts";

/** The annotation with the time of the change that led to an Endpoints or slice update. */
export const ENDPOINTS_LAST_CHANGE_TRIGGER_TIME =
  "endpoints.kubernetes.io/last-change-trigger-time";

/** The label marking the endpoints of a headless Service (`clusterIP: None`). */
export const IS_HEADLESS_SERVICE_LABEL = "service.kubernetes.io/headless";

/** The node label naming its zone. */
export const LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone";

/** Whether the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * Whether the pod belongs in a Service's endpoints at all: not terminal (Succeeded or Failed),
 * has an IP, and is not terminating unless `includeTerminating`.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** Whether the endpoint carries the pod's hostname: it has one and its subdomain is the Service. */
export function shouldSetHostname(pod: Pod, service: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === service.metadata?.name &&
    pod.metadata?.namespace === service.metadata?.namespace;
}

/** Whether the Service has a cluster IP (is not headless). */
export function isServiceIpSet(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return !!ip && ip !== "None";
}

function namedPort(ports: readonly ContainerPort[] | undefined, port: ServicePort): number | null {
  for (const p of ports ?? []) {
    if (p.name === port.targetPort && (p.protocol ?? "TCP") === (port.protocol ?? "TCP")) {
      return p.containerPort;
    }
  }
  return null;
}

/**
 * The port on `pod` a Service port targets: a number as is; a name looked up among the
 * containers' named ports of the same protocol (then the sidecars': init containers with
 * `restartPolicy: Always`); `null` when the pod has no such port. An unset target port is the
 * Service port.
 */
export function findPort(pod: Pod, port: ServicePort): number | null {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target;
  for (const c of pod.spec?.containers ?? []) {
    const found = namedPort(c.ports, port);
    if (found !== null) return found;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== "Always") continue;
    const found = namedPort(c.ports, port);
    if (found !== null) return found;
  }
  return null;
}

/** Whether a Service selector (a label map; none matches nothing) selects `labels`. */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector)) {
    if (labels?.[key] !== value) return false;
  }
  return true;
}

/** The keys of the Services among `services` whose selector selects a pod with `labels`. */
export function serviceKeysFor(
  services: readonly Service[],
  labels: Readonly<Record<string, string>> | undefined,
): Set<string> {
  const keys = new Set<string>();
  for (const service of services) {
    if (selectorMatches(service.spec?.selector, labels)) keys.add(metaNamespaceKey(service));
  }
  return keys;
}

function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a![k] === b?.[k]);
}

/**
 * How a pod update may change endpoints: `podChanged` (deletion, readiness or IPs changed) and
 * `labelsChanged` (labels, hostname or subdomain changed: which Services match may differ).
 */
export function podEndpointsChanged(
  oldPod: Pod,
  newPod: Pod,
): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged = !sameLabels(oldPod.metadata?.labels, newPod.metadata?.labels) ||
    oldPod.spec?.hostname !== newPod.spec?.hostname ||
    oldPod.spec?.subdomain !== newPod.spec?.subdomain;
  const oldIps = (oldPod.status?.podIPs ?? []).map((p) => p.ip);
  const newIps = (newPod.status?.podIPs ?? []).map((p) => p.ip);
  const podChanged = oldPod.metadata?.deletionTimestamp !== newPod.metadata?.deletionTimestamp ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    oldIps.length !== newIps.length || oldIps.some((ip, i) => ip !== newIps[i]);
  return { podChanged, labelsChanged };
}

/**
 * The Services to resync after a pod update (upstream `GetServicesToUpdateOnPodChange`): none
 * for a resync or an irrelevant change; the pod's Services when it changed; with new labels,
 * every Service of either label set if the pod changed too, else only the Services it joined
 * or left. `services` are the Services of the pod's namespace.
 */
export function serviceKeysForPodUpdate(
  services: readonly Service[],
  pods: { readonly oldPod: Pod; readonly newPod: Pod },
): Set<string> {
  const { oldPod, newPod } = pods;
  if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(oldPod, newPod);
  if (!podChanged && !labelsChanged) return new Set();
  const current = serviceKeysFor(services, newPod.metadata?.labels);
  if (!labelsChanged) return current;
  const previous = serviceKeysFor(services, oldPod.metadata?.labels);
  if (podChanged) return new Set([...current, ...previous]);
  const joinedOrLeft = new Set<string>();
  for (const key of current) if (!previous.has(key)) joinedOrLeft.add(key);
  for (const key of previous) if (!current.has(key)) joinedOrLeft.add(key);
  return joinedOrLeft;
}

/** Whether `ip` is an IPv6 address (by its colons; inputs come from validated objects). */
export function isIpv6(ip: string): boolean {
  return ip.includes(":");
}

interface ServiceTriggerState {
  serviceTriggerMs: number | null;
  podTriggerMs: Map<string, number>;
}

/**
 * Computes the `endpoints.kubernetes.io/last-change-trigger-time` of a sync (upstream
 * `TriggerTimeTracker`): for a Service seen the first time, its creation time; later, the
 * earliest of the pods' Ready transition times (and the Service's creation time) that changed
 * since the previous sync; `null` when none did (the annotation is then removed).
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, ServiceTriggerState>();

  /** The trigger time for a sync of `service` over `pods`, in ms; records them for next time. */
  compute(service: Service, pods: readonly Pod[]): number | null {
    const key = metaNamespaceKey(service);
    const known = this.#states.get(key);
    let min: number | null = null;
    const podTriggerMs = new Map<string, number>();
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
      const ms = parseTime(ready?.lastTransitionTime);
      if (ms === null) continue;
      const name = pod.metadata?.name ?? "";
      podTriggerMs.set(name, ms);
      if (ms > (known?.podTriggerMs.get(name) ?? -Infinity)) {
        min = min === null ? ms : Math.min(min, ms);
      }
    }
    const serviceTriggerMs = parseTime(service.metadata?.creationTimestamp);
    if (serviceTriggerMs !== null && serviceTriggerMs > (known?.serviceTriggerMs ?? -Infinity)) {
      min = min === null ? serviceTriggerMs : Math.min(min, serviceTriggerMs);
    }
    this.#states.set(key, { serviceTriggerMs, podTriggerMs });
    if (!known) return serviceTriggerMs;
    return min;
  }

  /** Forgets a deleted Service. */
  delete(key: string): void {
    this.#states.delete(key);
  }
}

/** Where {@linkcode enqueueServicesOnChanges} puts the keys of Services to sync. */
export interface ServiceQueue {
  readonly queue: WorkQueue<string>;
  /** How long pod changes are batched before their Services sync. */
  readonly batchMs: number;
}

/**
 * The event handlers both endpoints controllers share: a Service's own change enqueues it; a
 * pod added or deleted enqueues the Services selecting it, and a pod updated those whose
 * endpoints the update changes, after `batchMs`.
 */
export function enqueueServicesOnChanges(
  informers: { readonly services: Informer<Service>; readonly pods: Informer<Pod> },
  target: ServiceQueue,
): void {
  const { queue, batchMs } = target;
  const servicesIn = (namespace: string | undefined) =>
    informers.services.store.byIndex(NAMESPACE_INDEX, namespace ?? "");
  const onPod = (pod: Pod) => {
    for (const key of serviceKeysFor(servicesIn(pod.metadata?.namespace), pod.metadata?.labels)) {
      queue.addAfter(key, batchMs);
    }
  };
  informers.services.addHandler({
    add: (svc) => queue.add(metaNamespaceKey(svc)),
    update: (_old, svc) => queue.add(metaNamespaceKey(svc)),
    delete: (svc) => queue.add(metaNamespaceKey(svc)),
  });
  informers.pods.addHandler({
    add: onPod,
    update: (oldPod, newPod) => {
      const services = servicesIn(newPod.metadata?.namespace);
      for (const key of serviceKeysForPodUpdate(services, { oldPod, newPod })) {
        queue.addAfter(key, batchMs);
      }
    },
    delete: onPod,
  });
}
