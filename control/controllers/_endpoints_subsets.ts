/**
 * The legacy Endpoints object's content, as upstream's endpoints controller computes it: one
 * address per pod (ready or not ready), one port per Service port resolved on that pod, packed
 * into subsets of addresses sharing the same ports (`RepackSubsets`), sorted; and the
 * truncation to 1000 addresses with ready ones kept first.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Service,
} from "../api/types/core_v1_service.ts";
import {
  findPort,
  isIpv6,
  isPodReady,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from "./_service_endpoints.ts";

/** The most addresses one Endpoints object holds; beyond, it is truncated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/** The pod's address for the Service's (first) IP family, or `null` when it has none. */
export function podToEndpointAddress(service: Service, pod: Pod): EndpointAddress | null {
  let v6: boolean;
  const families = service.spec?.ipFamilies ?? [];
  const clusterIP = service.spec?.clusterIP;
  if (families.length > 0) v6 = families[0] === "IPv6";
  else if (clusterIP && clusterIP !== "None") v6 = isIpv6(clusterIP);
  else v6 = isIpv6(pod.status?.podIP ?? "");
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  const ip = ips.find((candidate) => isIpv6(candidate) === v6);
  if (ip === undefined) return null;
  const address: EndpointAddress = {
    ip,
    targetRef: {
      kind: "Pod",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
      uid: pod.metadata?.uid ?? "",
    },
  };
  if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, service)) address.hostname = pod.spec!.hostname!;
  return address;
}

/** The subsets of a Service over its selected pods, with the ready and not-ready counts. */
export function subsetsFor(
  service: Service,
  pods: readonly Pod[],
): { subsets: EndpointSubset[]; ready: number; notReady: number } {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const raw: EndpointSubset[] = [];
  let ready = 0;
  let notReady = 0;
  const add = (pod: Pod, address: EndpointAddress, port: EndpointPort | null): void => {
    const ports = port ? [port] : [];
    if (publishNotReady || isPodReady(pod)) {
      raw.push({ addresses: [address], ports });
      ready++;
    } else {
      raw.push({ notReadyAddresses: [address], ports });
      notReady++;
    }
  };
  const servicePorts = service.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address = podToEndpointAddress(service, pod);
    if (address === null) continue;
    if (servicePorts.length === 0) {
      // A headless Service may have no ports.
      if (service.spec?.clusterIP === "None") add(pod, address, null);
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === null) continue;
      add(pod, address, {
        ...(sp.name ? { name: sp.name } : {}),
        port,
        protocol: sp.protocol ?? "TCP",
        ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}),
      });
    }
  }
  return { subsets: repackSubsets(raw), ready, notReady };
}

function addressKey(address: EndpointAddress): string {
  return `${address.ip}\u0000${address.targetRef?.uid ?? ""}`;
}

function portKey(port: EndpointPort): string {
  return JSON.stringify([
    port.name ?? "",
    port.port,
    port.protocol ?? "TCP",
    port.appProtocol ?? "",
  ]);
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? "";
  const ub = b.targetRef?.uid ?? "";
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * Packs subsets so that each holds the addresses that offer exactly the same ports (upstream
 * `RepackSubsets`): addresses sorted by IP (then pod uid), ports and subsets in a stable order.
 * An address both ready and not ready for a port counts as ready.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  /** port key → address key → ready */
  const byPort = new Map<string, { port: EndpointPort | null; ready: Map<string, boolean> }>();
  const note = (port: EndpointPort | null, subset: EndpointSubset): void => {
    const key = port ? portKey(port) : "";
    let entry = byPort.get(key);
    if (!entry) byPort.set(key, entry = { port, ready: new Map() });
    for (const a of subset.addresses ?? []) {
      addresses.set(addressKey(a), a);
      entry.ready.set(addressKey(a), true);
    }
    for (const a of subset.notReadyAddresses ?? []) {
      const k = addressKey(a);
      if (!addresses.has(k)) addresses.set(k, a);
      if (!entry.ready.has(k)) entry.ready.set(k, false);
    }
  };
  for (const subset of subsets) {
    if ((subset.ports ?? []).length === 0) note(null, subset);
    else for (const port of subset.ports!) note(port, subset);
  }
  // Group the ports by the exact set of addresses (with readiness) offering them.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    if (ready.size === 0) continue;
    const key = JSON.stringify([...ready].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
    let group = groups.get(key);
    if (!group) groups.set(key, group = { ready, ports: [] });
    if (port) group.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const { ready, ports } of groups.values()) {
    const readyAddresses: EndpointAddress[] = [];
    const notReadyAddresses: EndpointAddress[] = [];
    for (const [key, isReady] of ready) {
      (isReady ? readyAddresses : notReadyAddresses).push(addresses.get(key)!);
    }
    readyAddresses.sort(compareAddresses);
    notReadyAddresses.sort(compareAddresses);
    ports.sort((a, b) => portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0);
    out.push({
      ...(readyAddresses.length > 0 ? { addresses: readyAddresses } : {}),
      ...(notReadyAddresses.length > 0 ? { notReadyAddresses } : {}),
      ...(ports.length > 0 ? { ports } : {}),
    });
  }
  return out.sort((a, b) => {
    const ka = subsetSortKey(a);
    const kb = subsetSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function subsetSortKey(subset: EndpointSubset): string {
  const first = subset.addresses?.[0] ?? subset.notReadyAddresses?.[0];
  return JSON.stringify([(subset.ports ?? []).map(portKey), first ? addressKey(first) : ""]);
}

/**
 * Cuts subsets down to {@linkcode MAX_ENDPOINTS_CAPACITY} addresses (upstream
 * `truncateEndpoints`): ready addresses are kept before not-ready ones, each subset keeping
 * its share (rounded up, the last taking what is left). Answers whether it cut anything.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += (s.addresses ?? []).length;
    totalNotReady += (s.notReadyAddresses ?? []).length;
  }
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_CAPACITY) return false;
  const truncateReady = totalReady > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const subset of subsets) {
    const inSubset = (truncateReady ? subset.addresses : subset.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((inSubset.length / total) * max), canBeAdded);
    if (truncateReady) {
      subset.addresses = inSubset.slice(0, share);
      delete subset.notReadyAddresses;
      canBeAdded -= subset.addresses.length;
    } else {
      subset.notReadyAddresses = inSubset.slice(0, share);
      canBeAdded -= subset.notReadyAddresses.length;
    }
    if (subset.addresses?.length === 0) delete subset.addresses;
    if (subset.notReadyAddresses?.length === 0) delete subset.notReadyAddresses;
  }
  return true;
}

function canonicalAddress(a: EndpointAddress): unknown[] {
  const ref = a.targetRef;
  return [
    a.ip,
    a.hostname ?? "",
    a.nodeName ?? "",
    ref
      ? [ref.kind ?? "", ref.namespace ?? "", ref.name ?? "", ref.uid ?? "", ref.apiVersion ?? ""]
      : null,
  ];
}

/**
 * Whether two subset lists say the same, ignoring the pods' resourceVersions in `targetRef`
 * and unset versus empty fields.
 */
export function subsetsEqual(
  a: readonly EndpointSubset[] | undefined,
  b: readonly EndpointSubset[] | undefined,
): boolean {
  const canonical = (subsets: readonly EndpointSubset[] | undefined) =>
    JSON.stringify((subsets ?? []).map((s) => [
      (s.addresses ?? []).map(canonicalAddress),
      (s.notReadyAddresses ?? []).map(canonicalAddress),
      (s.ports ?? []).map(portKey),
    ]));
  return canonical(a) === canonical(b);
}
