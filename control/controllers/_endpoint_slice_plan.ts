/**
 * The EndpointSlice reconciler's arithmetic (upstream `k8s.io/endpointslice` `Reconciler`), as a
 * pure function from a Service, its pods and its current slices to the slices to create, update
 * and delete:
 *
 * - one address type per IP family of the Service; slices of other types are deleted;
 * - pods are grouped by the ports their named target ports resolve to, one group of slices per
 *   distinct port list;
 * - existing slices keep the endpoints still wanted (updated in place where conditions,
 *   node or zone changed) and lose the rest; a slice left empty is deleted;
 * - new endpoints first fill slices already being updated (fullest first), then the one
 *   unchanged slice they fit best, then new slices of at most `maxEndpointsPerSlice`;
 * - a Service without endpoints keeps exactly one empty placeholder slice;
 * - creates that would replace deletes become updates of the deleted slices (fewer writes).
 *
 * Only slices whose content changed are written.
 *
 * @module
 */
import type { ObjectReference } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import {
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
} from "../api/types/discovery_v1.ts";
import {
  findPort,
  IS_HEADLESS_SERVICE_LABEL,
  isIpv6,
  isPodReady,
  isServiceIpSet,
  LABEL_TOPOLOGY_ZONE,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from "./_service_endpoints.ts";

/** The address types slices are made for. */
export type SliceAddressType = "IPv4" | "IPv6";

/** What {@linkcode planEndpointSlices} works from. */
export interface SlicePlanInput {
  readonly service: Service;
  /** The pods the Service's selector selects. */
  readonly pods: readonly Pod[];
  /** The slices of the Service this controller manages (none pending deletion). */
  readonly slices: readonly EndpointSlice[];
  /** Looks up a node by name (its zone label goes on the endpoints). */
  readonly nodeOf: (name: string) => Node | undefined;
  readonly maxEndpointsPerSlice: number;
  /** The `endpointslice.kubernetes.io/managed-by` value. */
  readonly controllerName: string;
}

/** The writes that bring a Service's slices to the desired state. */
export interface SlicePlan {
  /** New slices (with `generateName`). */
  readonly create: EndpointSlice[];
  /** Existing slices with new content (with their `name` and `resourceVersion`). */
  readonly update: EndpointSlice[];
  readonly delete: EndpointSlice[];
  /** Pods skipped for a reason worth a retry (their node is unknown). */
  readonly errors: Error[];
}

/** The address types of a Service: its IP families, else guessed from its cluster IP. */
export function addressTypesOf(service: Service): Set<SliceAddressType> {
  const types = new Set<SliceAddressType>();
  for (const family of service.spec?.ipFamilies ?? []) {
    if (family === "IPv4") types.add("IPv4");
    if (family === "IPv6") types.add("IPv6");
  }
  if (types.size > 0) return types;
  if (isServiceIpSet(service)) {
    types.add(isIpv6(service.spec!.clusterIP!) ? "IPv6" : "IPv4");
    return types;
  }
  return new Set(["IPv4", "IPv6"]);
}

function endpointPortsOf(service: Service, pod: Pod): EndpointPort[] {
  const ports: EndpointPort[] = [];
  const servicePorts = service.spec?.ports ?? [];
  if (servicePorts.length === 0 && service.spec?.clusterIP === "None") return ports;
  for (const sp of servicePorts) {
    const port = findPort(pod, sp);
    if (port === null) continue;
    ports.push({
      name: sp.name ?? "",
      port,
      protocol: sp.protocol ?? "TCP",
      ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}),
    });
  }
  return ports;
}

function normalizedPort(p: EndpointPort): string {
  return JSON.stringify([p.name ?? "", p.port ?? null, p.protocol ?? "TCP", p.appProtocol ?? null]);
}

/** A key equal for the same set of ports in any order. */
export function portMapKey(ports: readonly EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map(normalizedPort).sort());
}

/** Endpoints are the same backend when addresses, hostname and target name match. */
export function endpointKey(endpoint: Endpoint): string {
  return JSON.stringify([
    [...endpoint.addresses].sort(),
    endpoint.hostname ?? "",
    endpoint.targetRef?.namespace ?? "",
    endpoint.targetRef?.name ?? "",
  ]);
}

function sameTargetRef(a: ObjectReference | undefined, b: ObjectReference | undefined): boolean {
  if (!a || !b) return a === b;
  const fields = ["kind", "namespace", "name", "uid", "apiVersion", "fieldPath"] as const;
  return fields.every((f) => (a[f] ?? "") === (b[f] ?? ""));
}

/** Whether two endpoints of the same key differ where it matters (upstream's "beyond hash"). */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  return a.nodeName === b.nodeName && a.zone === b.zone &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    sameTargetRef(a.targetRef, b.targetRef);
}

function addressesOf(pod: Pod, addressType: SliceAddressType): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => isIpv6(ip) === (addressType === "IPv6"));
}

/** The endpoint for `pod`: ready, serving and terminating as upstream's `podToEndpoint`. */
export function podToEndpoint(
  pod: Pod,
  context: {
    readonly service: Service;
    readonly node: Node | undefined;
    addressType: SliceAddressType;
  },
): Endpoint {
  const { service, node, addressType } = context;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never "ready", unless the Service publishes not-ready addresses.
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const endpoint: Endpoint = {
    addresses: addressesOf(pod, addressType),
    conditions: { ready, serving, terminating },
    targetRef: {
      kind: "Pod",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
      uid: pod.metadata?.uid ?? "",
    },
  };
  if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) endpoint.zone = zone;
  if (shouldSetHostname(pod, service)) endpoint.hostname = pod.spec!.hostname!;
  return endpoint;
}

/** Whether `slice` is owned by `service` (by uid). */
export function ownedBy(slice: EndpointSlice, service: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) =>
    o.uid === service.metadata?.uid && o.kind === "Service" && o.apiVersion === "v1"
  );
}

function isReservedLabel(key: string): boolean {
  return key === LABEL_SERVICE_NAME || key === LABEL_MANAGED_BY ||
    key === IS_HEADLESS_SERVICE_LABEL;
}

/**
 * A slice's labels: the Service's (less the reserved ones), the headless label when the
 * Service has no cluster IP, and the service-name and managed-by labels. `changed` is whether
 * the copied Service labels differ from the slice's (reserved labels never count).
 */
export function sliceLabelsFor(
  slice: EndpointSlice | null,
  context: { readonly service: Service; readonly controllerName: string },
): { labels: Record<string, string>; changed: boolean } {
  const { service, controllerName } = context;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata?.labels ?? {})) {
    if (!isReservedLabel(k)) labels[k] = v;
  }
  const current: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata?.labels ?? {})) {
    if (!isReservedLabel(k)) current[k] = v;
  }
  const keys = Object.keys(labels);
  const changed = keys.length !== Object.keys(current).length ||
    keys.some((k) => current[k] !== labels[k]);
  if (!isServiceIpSet(service)) labels[IS_HEADLESS_SERVICE_LABEL] = "";
  labels[LABEL_SERVICE_NAME] = service.metadata?.name ?? "";
  labels[LABEL_MANAGED_BY] = controllerName;
  return { labels, changed };
}

function newSlice(
  context: { readonly service: Service; readonly controllerName: string },
  meta: { readonly ports: EndpointPort[]; readonly addressType: SliceAddressType },
): EndpointSlice {
  const { service } = context;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      generateName: `${service.metadata?.name ?? ""}-`,
      namespace: service.metadata?.namespace ?? "",
      labels: sliceLabelsFor(null, context).labels,
      ownerReferences: [{
        apiVersion: "v1",
        kind: "Service",
        name: service.metadata?.name ?? "",
        uid: service.metadata?.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    addressType: meta.addressType,
    endpoints: [],
    ports: meta.ports,
  };
}

function sameLabelMap(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b ?? {}).length && ak.every((k) => a![k] === b?.[k]);
}

/** Whether `slice` is already the placeholder `placeholder` would be. */
function isSamePlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  const refs = (s: EndpointSlice) => JSON.stringify(s.metadata?.ownerReferences ?? []);
  return slice.metadata?.namespace === placeholder.metadata?.namespace &&
    sameLabelMap(slice.metadata?.labels, placeholder.metadata?.labels) &&
    refs(slice) === refs(placeholder) &&
    slice.addressType === placeholder.addressType &&
    (slice.endpoints ?? []).length === 0 && (slice.ports ?? []).length === 0;
}

function cloneSlice(slice: EndpointSlice): EndpointSlice {
  return structuredClone(slice) as EndpointSlice;
}

interface PortGroupPlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function planPortGroup(
  existing: readonly EndpointSlice[],
  group: {
    readonly desired: Map<string, Endpoint>;
    readonly ports: EndpointPort[];
    readonly addressType: SliceAddressType;
  },
  input: SlicePlanInput,
): PortGroupPlan {
  const max = input.maxEndpointsPerSlice;
  const desired = group.desired;
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Keep the endpoints still wanted, refreshed; drop the others.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? "";
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let endpointChanged = false;
    for (const endpoint of slice.endpoints ?? []) {
      const key = endpointKey(endpoint);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, endpoint)) endpointChanged = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabelsFor(slice, input);
    if (endpointChanged || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) {
        toDelete.add(name);
      } else {
        const next = cloneSlice(slice);
        next.endpoints = kept;
        next.metadata = { ...next.metadata, labels };
        byName.set(name, next);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const next = cloneSlice(slice);
      next.metadata = { ...next.metadata, labels };
      byName.set(name, next);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const take = (): Endpoint => {
    const [key, endpoint] = desired.entries().next().value as [string, Endpoint];
    desired.delete(key);
    return endpoint;
  };

  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!)
      .sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const slice of slices) {
      const endpoints = slice.endpoints ??= [];
      while (desired.size > 0 && endpoints.length < max) endpoints.push(take());
    }
  }

  // 3. What is left goes into the unchanged slice it fits best, else into new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let fill: EndpointSlice | null = null;
    if (desired.size < max && unchanged.size > 0) {
      let closest = max;
      for (const name of unchanged) {
        const slice = byName.get(name)!;
        const diff = max - (desired.size + (slice.endpoints ?? []).length);
        if (diff >= 0 && diff < closest) {
          closest = diff;
          fill = slice;
          if (diff === 0) break;
        }
      }
    }
    if (fill === null) {
      fill = newSlice(input, { ports: group.ports, addressType: group.addressType });
    } else {
      fill = cloneSlice(fill);
      byName.set(fill.metadata!.name!, fill);
    }
    const endpoints = fill.endpoints ??= [];
    while (desired.size > 0 && endpoints.length < max) endpoints.push(take());
    const name = fill.metadata?.name;
    if (name) {
      toUpdate.add(name);
      unchanged.delete(name);
    } else {
      create.push(fill);
    }
  }
  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
  };
}

function planAddressType(
  input: SlicePlanInput,
  context: { readonly addressType: SliceAddressType; readonly existing: EndpointSlice[] },
): SlicePlan {
  const { service, pods } = input;
  const { addressType, existing } = context;
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const toDelete: EndpointSlice[] = [];
  const errors: Error[] = [];

  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, service)) {
      toDelete.push(slice);
      continue;
    }
    const key = portMapKey(slice.ports);
    let list = existingByPorts.get(key);
    if (!list) existingByPorts.set(key, list = []);
    list.push(slice);
  }

  const groups = new Map<string, { desired: Map<string, Endpoint>; ports: EndpointPort[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPortsOf(service, pod);
    const key = portMapKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, group = { desired: new Map(), ports });
    const nodeName = pod.spec?.nodeName ?? "";
    const node = input.nodeOf(nodeName);
    if (!node && service.spec?.publishNotReadyAddresses !== true) {
      errors.push(
        new Error(
          `skipping Pod ${pod.metadata?.name} for Service ${service.metadata?.namespace}/${service.metadata?.name}: Node ${nodeName} Not Found`,
        ),
      );
      continue;
    }
    const endpoint = podToEndpoint(pod, { service, node, addressType });
    if (endpoint.addresses.length > 0) group.desired.set(endpointKey(endpoint), endpoint);
  }

  for (const [key, group] of groups) {
    const plan = planPortGroup(
      existingByPorts.get(key) ?? [],
      { desired: group.desired, ports: group.ports, addressType },
      input,
    );
    create.push(...plan.create);
    update.push(...plan.update);
    toDelete.push(...plan.delete);
  }
  for (const [key, slices] of existingByPorts) {
    if (!groups.has(key)) toDelete.push(...slices);
  }

  // A Service without endpoints keeps one empty placeholder slice.
  if (existing.length === toDelete.length && create.length === 0) {
    const placeholder = newSlice(input, { ports: [], addressType });
    if (toDelete.length === 1 && isSamePlaceholder(toDelete[0]!, placeholder)) {
      toDelete.length = 0;
    } else {
      create.push(placeholder);
    }
  }
  return { create, update, delete: toDelete, errors };
}

/** The writes that bring `input.service`'s slices to the desired state (see the module doc). */
export function planEndpointSlices(input: SlicePlanInput): SlicePlan {
  const types = addressTypesOf(input.service);
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const toDelete: EndpointSlice[] = [];
  const errors: Error[] = [];
  const byType = new Map<SliceAddressType, EndpointSlice[]>();
  for (const slice of input.slices) {
    const type = slice.addressType;
    if (type !== "IPv4" && type !== "IPv6" || !types.has(type)) {
      toDelete.push(slice);
      continue;
    }
    let list = byType.get(type);
    if (!list) byType.set(type, list = []);
    list.push(slice);
  }
  for (const addressType of types) {
    const plan = planAddressType(input, { addressType, existing: byType.get(addressType) ?? [] });
    // Creates that would replace deletes of the same address type become updates of them.
    const deletes = [...plan.delete];
    for (let i = 0; i < deletes.length && plan.create.length > 0;) {
      const old = deletes[i]!;
      const slice = plan.create[plan.create.length - 1]!;
      if (old.addressType === slice.addressType && ownedBy(old, input.service)) {
        plan.create.pop();
        const { generateName: _g, ...meta } = slice.metadata ?? {};
        slice.metadata = {
          ...meta,
          name: old.metadata?.name ?? "",
          ...(old.metadata?.resourceVersion !== undefined
            ? { resourceVersion: old.metadata.resourceVersion }
            : {}),
        };
        plan.update.push(slice);
        deletes.splice(i, 1);
      } else {
        i++;
      }
    }
    create.push(...plan.create);
    update.push(...plan.update);
    toDelete.push(...deletes);
    errors.push(...plan.errors);
  }
  return { create, update, delete: toDelete, errors };
}
