/**
 * What the proxy programs for one Service: a {@linkcode ProxyServicePort} per port, with the
 * addresses traffic arrives on (cluster IPs, external IPs and load-balancer IPs, the node
 * port) and the endpoints each traffic policy uses. Pure: the proxy calls it with the Service
 * and its EndpointSlices as the informers hold them.
 *
 * Services get no ports (so no rules) when they are `ExternalName`, headless, without an IPv4
 * cluster IP yet, or served on the node itself (their cluster IP is one of `localServiceIPs`:
 * the cluster DNS).
 *
 * @module
 */
import {
  DEFAULT_CLIENT_IP_AFFINITY_SECONDS,
  type Service,
} from "../../control/api/types/core_v1_service.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { isIpv4 } from "../network/ipv4.ts";
import {
  categorizeEndpoints,
  endpointsForPort,
  type NodeTopology,
  type ProxyEndpoint,
} from "./endpoint_selection.ts";

/** The nft names of the protocols a Service port may use. */
export type ProxyProtocol = "tcp" | "udp" | "sctp";

/** One Service port as the proxy programs it. */
export interface ProxyServicePort {
  /** `<namespace>/<name>/<protocol>/<port>`: unique per port, used in chain and set names. */
  readonly id: string;
  readonly protocol: ProxyProtocol;
  readonly port: number;
  /** The Service's IPv4 cluster IPs (one in practice). */
  readonly clusterIPs: readonly string[];
  /** `spec.externalIPs` and the load-balancer ingress IPs (IPv4, `ipMode` VIP), deduplicated. */
  readonly externalIPs: readonly string[];
  /** `0`: none. */
  readonly nodePort: number;
  readonly internalLocal: boolean;
  /** `externalTrafficPolicy: Local` on an externally accessible port. */
  readonly externalLocal: boolean;
  /** ClientIP affinity timeout; `0`: no affinity. */
  readonly affinitySeconds: number;
  /** Endpoints for Cluster policy (empty if no policy is Cluster). */
  readonly cluster: readonly ProxyEndpoint[];
  /** Endpoints on this node for Local policy (empty if no policy is Local). */
  readonly local: readonly ProxyEndpoint[];
  /** Some usable endpoint exists in the cluster. */
  readonly hasAnyEndpoints: boolean;
}

/** Where the proxy runs and what it leaves alone. */
export interface ServicePortContext extends NodeTopology {
  /** Cluster IPs served on the node itself: such Services get no ports. */
  readonly localServiceIPs: ReadonlySet<string>;
}

const PROTOCOLS: Readonly<Record<string, ProxyProtocol>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** The Service's namespace and name as `ns/name` (the key its slices are indexed by). */
export function serviceKey(service: Service): string {
  return `${service.metadata?.namespace ?? "default"}/${service.metadata?.name ?? ""}`;
}

/** The ports of `service` with endpoints from `slices` (see the module doc). */
export function proxyServicePorts(
  service: Service,
  options: { readonly slices: readonly EndpointSlice[]; readonly context: ServicePortContext },
): ProxyServicePort[] {
  const spec = service.spec ?? {};
  const { context } = options;
  if (spec.type === "ExternalName") return [];
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? ""])
    .filter(isIpv4);
  if (clusterIPs.length === 0) return [];
  if (clusterIPs.some((ip) => context.localServiceIPs.has(ip))) return [];
  const externalIPs = [...(spec.externalIPs ?? [])];
  if (spec.type === "LoadBalancer") {
    for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
      if (ingress.ip && ingress.ipMode !== "Proxy") externalIPs.push(ingress.ip);
    }
  }
  const external = [...new Set(externalIPs.filter(isIpv4))];
  const withNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  const affinitySeconds = spec.sessionAffinity === "ClientIP"
    ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_CLIENT_IP_AFFINITY_SECONDS
    : 0;
  const out: ProxyServicePort[] = [];
  for (const port of spec.ports ?? []) {
    const protocol = PROTOCOLS[port.protocol ?? "TCP"];
    if (protocol === undefined || !(port.port > 0 && port.port <= 65535)) continue;
    const nodePort = withNodePorts ? port.nodePort ?? 0 : 0;
    const externallyAccessible = nodePort > 0 || external.length > 0;
    const internalLocal = spec.internalTrafficPolicy === "Local";
    const externalLocal = externallyAccessible && spec.externalTrafficPolicy === "Local";
    const endpoints = endpointsForPort(options.slices, {
      name: port.name ?? "",
      protocol: port.protocol ?? "TCP",
    });
    const sorted = categorizeEndpoints(endpoints, {
      policy: { internalLocal, externalLocal, externallyAccessible },
      node: context,
    });
    out.push({
      id: `${serviceKey(service)}/${protocol}/${port.port}`,
      protocol,
      port: port.port,
      clusterIPs,
      externalIPs: external,
      nodePort,
      internalLocal,
      externalLocal,
      affinitySeconds,
      cluster: sorted.cluster,
      local: sorted.local,
      hasAnyEndpoints: sorted.hasAny,
    });
  }
  return out;
}
