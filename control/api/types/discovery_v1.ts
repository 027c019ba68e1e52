/**
 * `discovery.k8s.io/v1`: EndpointSlice, the scalable list of a Service's backends that
 * kube-proxy (and skiff's node proxy) programs. Field numbers from upstream
 * `k8s.io/api/discovery/v1/generated.proto`.
 *
 * @module
 */
import { ObjectReference } from "./core_v1_common.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  map,
  object,
  requiredField,
  string,
} from "./schema.ts";

const DISCOVERY = "io.k8s.api.discovery.v1";

/** The address types, in the order upstream lists them in its messages. */
export const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"] as const;

/** The port protocols, in the order upstream lists them in its messages. */
export const ENDPOINT_PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"] as const;

/** The label naming the Service an EndpointSlice belongs to. */
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";

/** The label naming the controller or user that manages an EndpointSlice. */
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";

/** The state of one endpoint. */
export const EndpointConditions = object(`${DISCOVERY}.EndpointConditions`, {
  description: "The current condition of an endpoint.",
  fields: {
    ready: field(boolean(), {
      description:
        "The endpoint should receive traffic; unset means true. Usually serving and not terminating.",
      proto: 1,
      keepZero: true,
    }),
    serving: field(boolean(), {
      description:
        "The endpoint can receive traffic (a pod's Ready condition), even while terminating; unset means true.",
      proto: 2,
      keepZero: true,
    }),
    terminating: field(boolean(), {
      description: "The endpoint is terminating; unset means false.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** A zone that should consume an endpoint. */
export const ForZone = object(`${DISCOVERY}.ForZone`, {
  description: "A zone whose clients should use this endpoint.",
  fields: {
    name: requiredField(string(), { description: "Name of the zone.", proto: 1 }),
  },
});

/** A node that should consume an endpoint. */
export const ForNode = object(`${DISCOVERY}.ForNode`, {
  description: "A node whose clients should use this endpoint.",
  fields: {
    name: requiredField(string(), { description: "Name of the node.", proto: 1 }),
  },
});

/** Topology hints of an endpoint. */
export const EndpointHints = object(`${DISCOVERY}.EndpointHints`, {
  description: "Hints for topology-aware routing: who should consume this endpoint.",
  fields: {
    forZones: field(array(ForZone, { listType: "atomic" }), {
      description: "Zones that should consume this endpoint (at most 8).",
      proto: 1,
    }),
    forNodes: field(array(ForNode, { listType: "atomic" }), {
      description: "Nodes that should consume this endpoint (at most 8).",
      proto: 2,
    }),
  },
});

/** One backend of a Service. */
export const Endpoint = object(`${DISCOVERY}.Endpoint`, {
  description: "One logical backend of a Service, usually a pod.",
  fields: {
    addresses: requiredField(array(string(), { listType: "set" }), {
      description:
        "The endpoint's addresses (1 to 100), of the slice's addressType; consumers use the first.",
      proto: 1,
    }),
    conditions: field(EndpointConditions, {
      description: "Whether the endpoint is ready, serving or terminating.",
      proto: 2,
    }),
    hostname: field(string(), {
      description: "A DNS label naming this endpoint, e.g. for DNS records.",
      proto: 3,
      keepZero: true,
    }),
    targetRef: field(ObjectReference, {
      description: "The object (usually a Pod) this endpoint stands for.",
      proto: 4,
    }),
    deprecatedTopology: field(map(string()), {
      description:
        "Topology labels of the v1beta1 API; not writable through v1 (writes are ignored).",
      proto: 5,
    }),
    nodeName: field(string(), {
      description: "The node hosting this endpoint.",
      proto: 6,
      keepZero: true,
    }),
    zone: field(string(), {
      description: "The zone this endpoint is in.",
      proto: 7,
      keepZero: true,
    }),
    hints: field(EndpointHints, {
      description: "How this endpoint should be consumed under topology-aware routing.",
      proto: 8,
    }),
  },
});

/** One port of the endpoints of a slice. */
export const EndpointPort = object(`${DISCOVERY}.EndpointPort`, {
  description: "A port every endpoint of the slice exposes.",
  mapType: "atomic",
  fields: {
    name: field(string(), {
      description:
        "Name of the port (a DNS label or empty), unique in the slice; the Service port's name.",
      proto: 1,
      keepZero: true,
      default: "",
    }),
    protocol: field(enumOf(ENDPOINT_PORT_PROTOCOLS), {
      description: "TCP (the default), UDP or SCTP.",
      proto: 2,
      keepZero: true,
      default: "TCP",
    }),
    port: field(int32(), {
      description: "The port number on the endpoints; unset means all ports.",
      proto: 3,
      keepZero: true,
    }),
    appProtocol: field(string(), {
      description:
        "The application protocol, as an IANA service name or a domain-prefixed name (kubernetes.io/h2c).",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A set of endpoints of a Service. */
export const EndpointSlice = object(`${DISCOVERY}.EndpointSlice`, {
  description:
    "A subset of the endpoints of a Service; all slices labelled kubernetes.io/service-name=<service> together list its backends.",
  gvk: [{ group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice" }],
  fields: {
    ...objectFields,
    addressType: requiredField(enumOf(ADDRESS_TYPES), {
      description: "The type of every address in the slice: IPv4, IPv6 or FQDN. Immutable.",
      proto: 4,
    }),
    // Upstream's OpenAPI lists endpoints as required, but the server accepts a slice without
    // endpoints (and upstream has since marked the field optional).
    endpoints: field(array(Endpoint, { listType: "atomic" }), {
      description: "The endpoints of this slice, at most 1000.",
      proto: 2,
    }),
    ports: field(array(EndpointPort, { listType: "atomic" }), {
      description: "The ports every endpoint exposes, uniquely named; empty means none defined.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode EndpointConditions}. */
export type EndpointConditions = Infer<typeof EndpointConditions>;
/** TypeScript type of {@linkcode EndpointHints}. */
export type EndpointHints = Infer<typeof EndpointHints>;
/** TypeScript type of {@linkcode Endpoint}. */
export type Endpoint = Infer<typeof Endpoint>;
/** TypeScript type of {@linkcode EndpointPort}. */
export type EndpointPort = Infer<typeof EndpointPort>;
/** TypeScript type of {@linkcode EndpointSlice}. */
export type EndpointSlice = Infer<typeof EndpointSlice>;
