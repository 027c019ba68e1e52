/**
 * The `core/v1` Service and Endpoints kinds: a stable virtual address (or DNS name) in front of
 * a set of pods, and the legacy list of the addresses behind it. Field numbers, list types and
 * patch strategies from upstream `k8s.io/api/core/v1` (`types.go` protobuf tags).
 *
 * Enumerations list their values in the order upstream's validation prints them (sorted).
 *
 * @module
 */
import { ObjectReference } from "./core_v1_common.ts";
import { Condition, objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  intOrString,
  map,
  object,
  requiredField,
  string,
} from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** Port protocols, as upstream lists them. */
export const PROTOCOLS = ["SCTP", "TCP", "UDP"] as const;
/** Service types, as upstream lists them. */
export const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"] as const;
/** Session affinities. */
export const SESSION_AFFINITIES = ["ClientIP", "None"] as const;
/** IP families of services. */
export const IP_FAMILIES = ["IPv4", "IPv6"] as const;
/** IP family policies. */
export const IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"] as const;
/** Traffic policies (external and internal). */
export const TRAFFIC_POLICIES = ["Cluster", "Local"] as const;
/** Load-balancer IP modes. */
export const LOAD_BALANCER_IP_MODES = ["Proxy", "VIP"] as const;
/** The longest ClientIP session affinity, in seconds (a day). */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
/** The default ClientIP session affinity timeout, in seconds (three hours). */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

// --- Service -------------------------------------------------------------------------------------

/** Client-IP session affinity settings. */
export const ClientIPConfig = object(`${CORE}.ClientIPConfig`, {
  description: "Settings of client-IP based session affinity.",
  fields: {
    timeoutSeconds: field(int32(), {
      description:
        "How long a client sticks to one endpoint, in seconds: more than 0 and at most 86400. Defaults to 10800 (3 hours).",
      proto: 1,
      keepZero: true,
    }),
  },
});

/** Session affinity settings. */
export const SessionAffinityConfig = object(`${CORE}.SessionAffinityConfig`, {
  description: "Settings of session affinity.",
  fields: {
    clientIP: field(ClientIPConfig, {
      description: "Settings of client-IP based session affinity.",
      proto: 1,
    }),
  },
});

/** The error state of one service port on a load balancer. */
export const PortStatus = object(`${CORE}.PortStatus`, {
  description: "The state of one service port on a load balancer.",
  fields: {
    port: requiredField(int32(), { description: "The service port number.", proto: 1 }),
    protocol: requiredField(enumOf(PROTOCOLS), {
      description: "The service port protocol: TCP, UDP or SCTP.",
      proto: 2,
    }),
    error: field(string(), {
      description:
        "The problem with the port: a CamelCase built-in value, or a provider-specific foo.example.com/CamelCase one.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** One ingress point of a load balancer. */
export const LoadBalancerIngress = object(`${CORE}.LoadBalancerIngress`, {
  description: "An ingress point of a load balancer: traffic for the service is sent there.",
  fields: {
    ip: field(string(), { description: "The IP of an IP-based ingress point.", proto: 1 }),
    hostname: field(string(), {
      description: "The DNS name of a DNS-based ingress point.",
      proto: 2,
    }),
    ipMode: field(enumOf(LOAD_BALANCER_IP_MODES), {
      description:
        "How the IP behaves (only with ip): VIP delivers traffic to the node with the load-balancer IP as destination, Proxy with the node's or pod's IP.",
      proto: 3,
      keepZero: true,
    }),
    ports: field(array(PortStatus, { listType: "atomic" }), {
      description: "The state of each service port on this ingress point.",
      proto: 4,
    }),
  },
});

/** The state of a load balancer. */
export const LoadBalancerStatus = object(`${CORE}.LoadBalancerStatus`, {
  description: "The state of a load balancer.",
  fields: {
    ingress: field(array(LoadBalancerIngress, { listType: "atomic" }), {
      description: "The ingress points of the load balancer.",
      proto: 1,
    }),
  },
});

/** The observed state of a service. */
export const ServiceStatus = object(`${CORE}.ServiceStatus`, {
  description: "The observed state of a service.",
  fields: {
    loadBalancer: field(LoadBalancerStatus, {
      description: "The state of the load balancer, if there is one.",
      proto: 1,
    }),
    conditions: field(array(Condition, { listType: "map", listMapKeys: ["type"] }), {
      description: "The latest observations of the service's state.",
      proto: 2,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
  },
});

/** One port of a service. */
export const ServicePort = object(`${CORE}.ServicePort`, {
  description: "A port a service exposes and where it sends the traffic.",
  fields: {
    name: field(string(), {
      description:
        "A DNS label, unique in the service and matching the EndpointPort name; optional with a single port.",
      proto: 1,
    }),
    protocol: field(enumOf(PROTOCOLS), {
      description: "TCP (the default), UDP or SCTP.",
      proto: 2,
      default: "TCP",
    }),
    appProtocol: field(string(), {
      description:
        "The application protocol: an IANA service name, a kubernetes.io/ name (h2c, ws, wss) or a domain-prefixed one.",
      proto: 6,
      keepZero: true,
    }),
    port: requiredField(int32(), { description: "The port the service exposes.", proto: 3 }),
    targetPort: field(intOrString(), {
      description:
        "The number or name of the port on the pods; defaults to port. Ignored for headless services.",
      proto: 4,
    }),
    nodePort: field(int32(), {
      description:
        "The port on every node (NodePort and LoadBalancer services); allocated by the system unless given.",
      proto: 5,
    }),
  },
});

/** The desired state of a service. */
export const ServiceSpec = object(`${CORE}.ServiceSpec`, {
  description: "The desired state of a service: its ports, selector, addresses and type.",
  fields: {
    ports: field(array(ServicePort, { listType: "map", listMapKeys: ["port", "protocol"] }), {
      description: "The ports the service exposes.",
      proto: 1,
      patchStrategy: "merge",
      patchMergeKey: "port",
    }),
    selector: field(map(string(), { mapType: "atomic" }), {
      description:
        "Pods with these labels receive the traffic; without a selector, endpoints are managed by something else. Ignored for ExternalName.",
      proto: 2,
    }),
    clusterIP: field(string(), {
      description:
        'The virtual IP of the service, usually allocated; "None" makes a headless service. Cannot change, except to or from ExternalName.',
      proto: 3,
    }),
    clusterIPs: field(array(string(), { listType: "atomic" }), {
      description:
        "The virtual IPs of the service, at most one per IP family; the first equals clusterIP.",
      proto: 18,
    }),
    type: field(enumOf(SERVICE_TYPES), {
      description:
        "How the service is exposed: ClusterIP (the default), NodePort, LoadBalancer or ExternalName.",
      proto: 4,
      default: "ClusterIP",
    }),
    externalIPs: field(array(string(), { listType: "atomic" }), {
      description: "Extra IPs on which nodes accept traffic for the service; not managed.",
      proto: 5,
    }),
    sessionAffinity: field(enumOf(SESSION_AFFINITIES), {
      description: "ClientIP keeps each client on one endpoint; None (the default) does not.",
      proto: 7,
      default: "None",
    }),
    loadBalancerIP: field(string(), {
      description: "Deprecated: the IP a load balancer should use, where the provider supports it.",
      proto: 8,
    }),
    loadBalancerSourceRanges: field(array(string(), { listType: "atomic" }), {
      description: "CIDRs of the clients a load balancer admits, where the provider supports it.",
      proto: 9,
    }),
    externalName: field(string(), {
      description:
        "The DNS name returned as a CNAME for an ExternalName service: a lowercase RFC 1123 hostname.",
      proto: 10,
    }),
    externalTrafficPolicy: field(enumOf(TRAFFIC_POLICIES), {
      description:
        "For node ports, external IPs and load-balancer IPs: Cluster (the default) spreads traffic to all endpoints, Local only to endpoints on the receiving node, keeping the client IP.",
      proto: 11,
    }),
    healthCheckNodePort: field(int32(), {
      description:
        "The node port of the health check, for LoadBalancer services with externalTrafficPolicy Local; allocated unless given, then immutable.",
      proto: 12,
    }),
    publishNotReadyAddresses: field(boolean(), {
      description: "Publish endpoints that are not ready, e.g. for StatefulSet peer discovery.",
      proto: 13,
    }),
    sessionAffinityConfig: field(SessionAffinityConfig, {
      description: "Settings of session affinity.",
      proto: 14,
    }),
    ipFamilies: field(array(enumOf(IP_FAMILIES), { listType: "atomic" }), {
      description:
        "The IP families of the service (IPv4, IPv6), at most two, matching clusterIPs; usually set by the system.",
      proto: 19,
    }),
    ipFamilyPolicy: field(enumOf(IP_FAMILY_POLICIES), {
      description: "SingleStack (the default), PreferDualStack or RequireDualStack.",
      proto: 17,
      keepZero: true,
    }),
    allocateLoadBalancerNodePorts: field(boolean(), {
      description:
        "Whether node ports are allocated for a LoadBalancer service (default true); only for type LoadBalancer.",
      proto: 20,
      keepZero: true,
    }),
    loadBalancerClass: field(string(), {
      description:
        "The load-balancer implementation this service belongs to, as a label-style name; only for type LoadBalancer, then immutable.",
      proto: 21,
      keepZero: true,
    }),
    internalTrafficPolicy: field(enumOf(TRAFFIC_POLICIES), {
      description:
        "For the cluster IP: Cluster (the default) spreads traffic to all endpoints, Local only to endpoints on the client's node.",
      proto: 22,
      keepZero: true,
    }),
    trafficDistribution: field(string(), {
      description:
        'A hint on how traffic is spread over endpoints: "PreferClose" prefers endpoints in the same zone.',
      proto: 23,
      keepZero: true,
    }),
  },
});

/** A named, stable address for a set of pods. */
export const Service = object(`${CORE}.Service`, {
  description:
    "A named abstraction of a software service: ports the proxy listens on and a selector for the pods that answer.",
  gvk: [{ group: "", version: "v1", kind: "Service" }],
  fields: {
    ...objectFields,
    spec: field(ServiceSpec, { description: "The desired state of the service.", proto: 2 }),
    status: field(ServiceStatus, {
      description: "The observed state of the service.",
      proto: 3,
    }),
  },
});

// --- Endpoints -----------------------------------------------------------------------------------

/** One endpoint address. */
export const EndpointAddress = object(`${CORE}.EndpointAddress`, {
  description: "A single IP address of an endpoint.",
  mapType: "atomic",
  fields: {
    ip: requiredField(string(), {
      description: "The IP; not loopback, link-local or link-local multicast.",
      proto: 1,
    }),
    hostname: field(string(), { description: "The hostname of the endpoint.", proto: 3 }),
    nodeName: field(string(), {
      description: "The node hosting the endpoint.",
      proto: 4,
      keepZero: true,
    }),
    targetRef: field(ObjectReference, {
      description: "The object providing the endpoint.",
      proto: 2,
    }),
  },
});

/** One endpoint port. */
export const EndpointPort = object(`${CORE}.EndpointPort`, {
  description: "A single port of an endpoint.",
  mapType: "atomic",
  fields: {
    name: field(string(), {
      description: "Matches the name of the ServicePort; optional with a single port.",
      proto: 1,
    }),
    port: requiredField(int32(), { description: "The port number.", proto: 2 }),
    protocol: field(enumOf(PROTOCOLS), {
      description: "TCP (the default), UDP or SCTP.",
      proto: 3,
      default: "TCP",
    }),
    appProtocol: field(string(), {
      description: "The application protocol, as ServicePort.appProtocol.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** Addresses sharing one set of ports. */
export const EndpointSubset = object(`${CORE}.EndpointSubset`, {
  description:
    "A group of addresses with a common set of ports; its endpoints are addresses × ports.",
  fields: {
    addresses: field(array(EndpointAddress, { listType: "atomic" }), {
      description: "Addresses that are ready.",
      proto: 1,
    }),
    notReadyAddresses: field(array(EndpointAddress, { listType: "atomic" }), {
      description: "Addresses that are not ready yet or failed a check.",
      proto: 2,
    }),
    ports: field(array(EndpointPort, { listType: "atomic" }), {
      description: "The ports available on the addresses.",
      proto: 3,
    }),
  },
});

/** The legacy list of a service's endpoints. */
export const Endpoints = object(`${CORE}.Endpoints`, {
  description:
    "The endpoints of a service (legacy, deprecated in v1.33+ in favour of discovery.k8s.io/v1 EndpointSlice).",
  gvk: [{ group: "", version: "v1", kind: "Endpoints" }],
  fields: {
    ...objectFields,
    subsets: field(array(EndpointSubset, { listType: "atomic" }), {
      description: "The endpoints: the union of all subsets.",
      proto: 2,
    }),
  },
});

/** TypeScript type of {@linkcode Service}. */
export type Service = Infer<typeof Service>;
/** TypeScript type of {@linkcode ServiceSpec}. */
export type ServiceSpec = Infer<typeof ServiceSpec>;
/** TypeScript type of {@linkcode ServicePort}. */
export type ServicePort = Infer<typeof ServicePort>;
/** TypeScript type of {@linkcode ServiceStatus}. */
export type ServiceStatus = Infer<typeof ServiceStatus>;
/** TypeScript type of {@linkcode LoadBalancerStatus}. */
export type LoadBalancerStatus = Infer<typeof LoadBalancerStatus>;
/** TypeScript type of {@linkcode LoadBalancerIngress}. */
export type LoadBalancerIngress = Infer<typeof LoadBalancerIngress>;
/** TypeScript type of {@linkcode PortStatus}. */
export type PortStatus = Infer<typeof PortStatus>;
/** TypeScript type of {@linkcode SessionAffinityConfig}. */
export type SessionAffinityConfig = Infer<typeof SessionAffinityConfig>;
/** TypeScript type of {@linkcode ClientIPConfig}. */
export type ClientIPConfig = Infer<typeof ClientIPConfig>;
/** TypeScript type of {@linkcode Endpoints}. */
export type Endpoints = Infer<typeof Endpoints>;
/** TypeScript type of {@linkcode EndpointSubset}. */
export type EndpointSubset = Infer<typeof EndpointSubset>;
/** TypeScript type of {@linkcode EndpointAddress}. */
export type EndpointAddress = Infer<typeof EndpointAddress>;
/** TypeScript type of {@linkcode EndpointPort}. */
export type EndpointPort = Infer<typeof EndpointPort>;
