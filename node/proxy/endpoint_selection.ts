/**
 * Which endpoints of a Service port the proxy sends traffic to, as kube-proxy chooses them
 * (`pkg/proxy/topology.go`): the port's endpoints gathered from every IPv4 EndpointSlice of
 * the Service ({@linkcode endpointsForPort}), then split into the endpoints Cluster traffic
 * policy uses and those Local policy uses ({@linkcode categorizeEndpoints}).
 *
 * Usable means ready; when no endpoint is ready, serving-and-terminating ones are used instead
 * (separately for Cluster and Local). Cluster endpoints follow the slices' zone hints when every
 * ready endpoint has one and at least one names the node's zone.
 *
 * @module
 */
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { isIpv4 } from "../network/ipv4.ts";

/** One backend of a Service port. */
export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
  /** `conditions.ready` (unset means ready). */
  readonly ready: boolean;
  /** `conditions.serving` (unset means the same as ready). */
  readonly serving: boolean;
  /** `conditions.terminating` (unset means not terminating). */
  readonly terminating: boolean;
  /** `""` when the slice does not say. */
  readonly nodeName: string;
  /** The zones of `hints.forZones`; empty when the endpoint has no zone hint. */
  readonly zoneHints: readonly string[];
}

/** The Service port a slice port must match: same name (`""` for an unnamed port) and protocol. */
export interface PortSelector {
  readonly name: string;
  readonly protocol: string;
}

/**
 * The endpoints of `port` in `slices` (IPv4 slices only; the first address of each endpoint),
 * one per address and port, sorted by address then port so that the order does not depend on
 * how the endpoints are spread over slices.
 */
export function endpointsForPort(
  slices: readonly EndpointSlice[],
  port: PortSelector,
): ProxyEndpoint[] {
  const byKey = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    const slicePort = (slice.ports ?? []).find((p) =>
      (p.name ?? "") === port.name && (p.protocol ?? "TCP") === port.protocol
    );
    const portNumber = slicePort?.port ?? 0;
    if (portNumber <= 0 || portNumber > 65535) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ip = endpoint.addresses?.[0];
      if (ip === undefined || !isIpv4(ip)) continue;
      const key = `${ip}:${portNumber}`;
      if (byKey.has(key)) continue;
      const conditions = endpoint.conditions ?? {};
      const ready = conditions.ready ?? true;
      byKey.set(key, {
        ip,
        port: portNumber,
        ready,
        serving: conditions.serving ?? ready,
        terminating: conditions.terminating ?? false,
        nodeName: endpoint.nodeName ?? "",
        zoneHints: (endpoint.hints?.forZones ?? []).map((z) => z.name),
      });
    }
  }
  return [...byKey.values()].sort(compareEndpoints);
}

function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  if (a.ip !== b.ip) return ipOrder(a.ip) - ipOrder(b.ip);
  return a.port - b.port;
}

function ipOrder(ip: string): number {
  return ip.split(".").reduce((v, o) => v * 256 + Number(o), 0);
}

/** How a Service port's traffic policies use endpoints. */
export interface EndpointPolicy {
  /** `internalTrafficPolicy: Local`. */
  readonly internalLocal: boolean;
  /** `externalTrafficPolicy: Local` (only counts when the port is externally accessible). */
  readonly externalLocal: boolean;
  /** The port has a node port, an external IP or a load-balancer IP. */
  readonly externallyAccessible: boolean;
}

/** Where the proxy runs. */
export interface NodeTopology {
  readonly nodeName: string;
  /** The node's `topology.kubernetes.io/zone` label (`""` if unset). */
  readonly zone: string;
}

/** The endpoints each traffic policy uses. */
export interface CategorizedEndpoints {
  /** Cluster-policy endpoints; empty when no policy of the port is Cluster. */
  readonly cluster: readonly ProxyEndpoint[];
  /** Local-policy endpoints (on this node); empty when no policy of the port is Local. */
  readonly local: readonly ProxyEndpoint[];
  /** Some usable endpoint exists anywhere in the cluster. */
  readonly hasAny: boolean;
}

/** Whether traffic to the port ever uses Cluster endpoints (external Local needs them too). */
export function usesClusterEndpoints(policy: EndpointPolicy): boolean {
  return !policy.internalLocal || policy.externallyAccessible;
}

/** Whether traffic to the port ever uses Local endpoints. */
export function usesLocalEndpoints(policy: EndpointPolicy): boolean {
  return policy.internalLocal || (policy.externalLocal && policy.externallyAccessible);
}

function usableReady(ep: ProxyEndpoint): boolean {
  return ep.ready;
}

function usableTerminating(ep: ProxyEndpoint): boolean {
  return ep.serving && ep.terminating;
}

/** Splits `endpoints` by policy (see the module doc). */
export function categorizeEndpoints(
  endpoints: readonly ProxyEndpoint[],
  options: { readonly policy: EndpointPolicy; readonly node: NodeTopology },
): CategorizedEndpoints {
  const { policy, node } = options;
  let cluster: ProxyEndpoint[] = [];
  let local: ProxyEndpoint[] = [];
  let hasAny = false;
  if (usesClusterEndpoints(policy)) {
    const zone = zoneTopology(endpoints, node.zone);
    cluster = endpoints.filter((ep) =>
      usableReady(ep) && (zone === "" || ep.zoneHints.includes(zone))
    );
    if (cluster.length === 0) cluster = endpoints.filter(usableTerminating);
    hasAny = cluster.length > 0;
  }
  if (usesLocalEndpoints(policy)) {
    const isLocal = (ep: ProxyEndpoint) => ep.nodeName !== "" && ep.nodeName === node.nodeName;
    if (endpoints.some((ep) => usableReady(ep) || usableTerminating(ep))) hasAny = true;
    local = endpoints.filter((ep) => isLocal(ep) && usableReady(ep));
    if (local.length === 0) local = endpoints.filter((ep) => isLocal(ep) && usableTerminating(ep));
  }
  return { cluster, local, hasAny };
}

/**
 * The zone to filter Cluster endpoints by, or `""`: every ready endpoint must carry a zone
 * hint, and one of them must name `zone`.
 */
function zoneTopology(endpoints: readonly ProxyEndpoint[], zone: string): string {
  let anyReady = false;
  let forZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    anyReady = true;
    if (ep.zoneHints.length === 0) return "";
    if (ep.zoneHints.includes(zone)) forZone = true;
  }
  return anyReady && forZone && zone !== "" ? zone : "";
}
