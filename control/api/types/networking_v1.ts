/**
 * `networking.k8s.io/v1`: NetworkPolicy, Ingress and IngressClass. Field numbers from upstream
 * `k8s.io/api/networking/v1/generated.proto`.
 *
 * `IngressRule` inlines `IngressRuleValue` (`json:",inline"`): in JSON `http` sits directly in
 * the rule, while in protobuf it is field 1 of the nested message at field 2
 * (`ingressRuleValue`), declared with `protoInline`.
 *
 * @module
 */
import { TypedLocalObjectReference } from "./core_v1_common.ts";
import { LabelSelector, objectFields } from "./meta_v1.ts";
import {
  array,
  enumOf,
  field,
  type Infer,
  int32,
  intOrString,
  object,
  requiredField,
  string,
} from "./schema.ts";

const NETWORKING = "io.k8s.api.networking.v1";

/** Network policy port protocols, in the order upstream lists them in its messages. */
export const NETWORK_POLICY_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** The types of traffic a NetworkPolicy can govern. */
export const POLICY_TYPES = ["Ingress", "Egress"] as const;

/** The path types of an Ingress path, in the order upstream lists them in its messages. */
export const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"] as const;

/** The annotation that marks an IngressClass as the default. */
export const ANNOTATION_IS_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class";

/** The deprecated annotation naming an Ingress's class. */
export const ANNOTATION_INGRESS_CLASS = "kubernetes.io/ingress.class";

// --- NetworkPolicy -------------------------------------------------------------------------------

/** A port (or port range) a rule allows. */
export const NetworkPolicyPort = object(`${NETWORKING}.NetworkPolicyPort`, {
  description: "A port, or a range of ports, on which traffic is allowed.",
  fields: {
    protocol: field(enumOf(NETWORK_POLICY_PROTOCOLS), {
      description: "TCP (the default), UDP or SCTP.",
      proto: 1,
      keepZero: true,
      default: "TCP",
    }),
    port: field(intOrString(), {
      description:
        "A port number or a named port on the pod; unset matches all ports of the protocol.",
      proto: 2,
    }),
    endPort: field(int32(), {
      description:
        "With a numeric port: the last port of the allowed range (inclusive), at least port.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** An IP range a rule allows. */
export const IPBlock = object(`${NETWORKING}.IPBlock`, {
  description: "A CIDR range, minus some sub-ranges, that traffic may come from or go to.",
  fields: {
    cidr: requiredField(string(), {
      description: 'The range, e.g. "192.168.1.0/24" or "2001:db8::/64".',
      proto: 1,
    }),
    except: field(array(string(), { listType: "atomic" }), {
      description: "CIDRs inside cidr to leave out.",
      proto: 2,
    }),
  },
});

/** A peer of a rule: pods, namespaces or an IP block. */
export const NetworkPolicyPeer = object(`${NETWORKING}.NetworkPolicyPeer`, {
  description:
    "Where traffic may come from or go to: pods (optionally in selected namespaces), or an IP block alone.",
  fields: {
    podSelector: field(LabelSelector, {
      description:
        "Selects pods, in the policy's namespace or in those namespaceSelector selects; empty selects all.",
      proto: 1,
    }),
    namespaceSelector: field(LabelSelector, {
      description: "Selects namespaces by their labels; empty selects all.",
      proto: 2,
    }),
    ipBlock: field(IPBlock, {
      description: "An IP range; may not be combined with the selectors.",
      proto: 3,
    }),
  },
});

/** Traffic allowed into the selected pods. */
export const NetworkPolicyIngressRule = object(`${NETWORKING}.NetworkPolicyIngressRule`, {
  description: "Traffic allowed to the selected pods: it must match both ports and from.",
  fields: {
    ports: field(array(NetworkPolicyPort, { listType: "atomic" }), {
      description: "Ports allowed, ORed; empty or unset allows all ports.",
      proto: 1,
    }),
    from: field(array(NetworkPolicyPeer, { listType: "atomic" }), {
      description: "Sources allowed, ORed; empty or unset allows all sources.",
      proto: 2,
    }),
  },
});

/** Traffic allowed out of the selected pods. */
export const NetworkPolicyEgressRule = object(`${NETWORKING}.NetworkPolicyEgressRule`, {
  description: "Traffic allowed from the selected pods: it must match both ports and to.",
  fields: {
    ports: field(array(NetworkPolicyPort, { listType: "atomic" }), {
      description: "Destination ports allowed, ORed; empty or unset allows all ports.",
      proto: 1,
    }),
    to: field(array(NetworkPolicyPeer, { listType: "atomic" }), {
      description: "Destinations allowed, ORed; empty or unset allows all destinations.",
      proto: 2,
    }),
  },
});

/** What a NetworkPolicy selects and allows. */
export const NetworkPolicySpec = object(`${NETWORKING}.NetworkPolicySpec`, {
  description: "The pods a policy applies to and the traffic it allows them.",
  fields: {
    podSelector: field(LabelSelector, {
      description: "The pods in the policy's namespace it applies to; empty selects all.",
      proto: 1,
    }),
    ingress: field(array(NetworkPolicyIngressRule, { listType: "atomic" }), {
      description: "Allowed incoming traffic; empty isolates the pods from all ingress.",
      proto: 2,
    }),
    egress: field(array(NetworkPolicyEgressRule, { listType: "atomic" }), {
      description: "Allowed outgoing traffic; empty (with Egress in policyTypes) allows none.",
      proto: 3,
    }),
    policyTypes: field(array(enumOf(POLICY_TYPES), { listType: "atomic" }), {
      description:
        'Ingress and/or Egress; defaults to ["Ingress"], plus "Egress" when egress rules are given.',
      proto: 4,
    }),
  },
});

/** A NetworkPolicy: which traffic a set of pods may receive and send. */
export const NetworkPolicy = object(`${NETWORKING}.NetworkPolicy`, {
  description: "The network traffic allowed for a set of pods.",
  gvk: [{ group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy" }],
  fields: {
    ...objectFields,
    // Field 3 is reserved: it held a status that was removed.
    spec: field(NetworkPolicySpec, { description: "The policy.", proto: 2 }),
  },
});

// --- Ingress -------------------------------------------------------------------------------------

/** TLS settings of an Ingress. */
export const IngressTLS = object(`${NETWORKING}.IngressTLS`, {
  description: "TLS termination for some hosts of an Ingress.",
  fields: {
    hosts: field(array(string(), { listType: "atomic" }), {
      description: "Hosts in the certificate; defaults to the load balancer's wildcard host.",
      proto: 1,
    }),
    secretName: field(string(), {
      description:
        "The Secret holding the certificate and key; optional to allow routing on SNI alone.",
      proto: 2,
    }),
  },
});

/** A port of a Service backend, by name or number. */
export const ServiceBackendPort = object(`${NETWORKING}.ServiceBackendPort`, {
  description: "A port of the Service, by name or by number (not both).",
  mapType: "atomic",
  fields: {
    name: field(string(), { description: "Name of the Service port.", proto: 1 }),
    number: field(int32(), { description: "Number of the Service port.", proto: 2 }),
  },
});

/** A Service as a backend. */
export const IngressServiceBackend = object(`${NETWORKING}.IngressServiceBackend`, {
  description: "A Service, in the Ingress's namespace, as a backend.",
  fields: {
    name: requiredField(string(), { description: "Name of the Service.", proto: 1 }),
    port: field(ServiceBackendPort, {
      description: "The Service port; a name or a number is required.",
      proto: 2,
    }),
  },
});

/** Where matching requests go. */
export const IngressBackend = object(`${NETWORKING}.IngressBackend`, {
  description: "A backend: a Service, or another resource (exactly one).",
  fields: {
    service: field(IngressServiceBackend, {
      description: "A Service backend; excludes resource.",
      proto: 4,
    }),
    resource: field(TypedLocalObjectReference, {
      description: "Another resource in the Ingress's namespace as backend; excludes service.",
      proto: 3,
    }),
  },
});

/** A path and its backend. */
export const HTTPIngressPath = object(`${NETWORKING}.HTTPIngressPath`, {
  description: "Sends requests whose path matches to a backend.",
  fields: {
    path: field(string(), {
      description: "The path to match; must start with '/' for Exact and Prefix.",
      proto: 1,
    }),
    pathType: requiredField(enumOf(PATH_TYPES), {
      description:
        "How path matches: Exact, Prefix (by '/'-separated elements) or ImplementationSpecific.",
      proto: 3,
    }),
    backend: requiredField(IngressBackend, {
      description: "Where matching requests go.",
      proto: 2,
    }),
  },
});

/** The HTTP paths of a rule. */
export const HTTPIngressRuleValue = object(`${NETWORKING}.HTTPIngressRuleValue`, {
  description: "HTTP paths mapped to backends.",
  fields: {
    paths: requiredField(array(HTTPIngressPath, { listType: "atomic" }), {
      description: "The paths and their backends.",
      proto: 1,
    }),
  },
});

/**
 * How a rule routes (inlined into IngressRule). Not an OpenAPI definition upstream; kept as a
 * schema for the protobuf nesting.
 */
export const IngressRuleValue = object(`${NETWORKING}.IngressRuleValue`, {
  description: "The routing of an Ingress rule; only HTTP exists.",
  fields: {
    http: field(HTTPIngressRuleValue, { description: "HTTP routing of the host.", proto: 1 }),
  },
});

/** A host and the routing of its requests. */
export const IngressRule = object(`${NETWORKING}.IngressRule`, {
  description: "Routes requests for a host (or every host) to backends.",
  protoInline: [{ proto: 2, schema: IngressRuleValue }],
  fields: {
    host: field(string(), {
      description:
        'A DNS name ("foo.bar.com") or a wildcard one label deep ("*.foo.com"); empty matches all hosts.',
      proto: 1,
    }),
  },
});

/** The desired state of an Ingress. */
export const IngressSpec = object(`${NETWORKING}.IngressSpec`, {
  description: "How an Ingress routes traffic.",
  fields: {
    ingressClassName: field(string(), {
      description: "The IngressClass whose controller implements this Ingress.",
      proto: 4,
      keepZero: true,
    }),
    defaultBackend: field(IngressBackend, {
      description: "Where requests matching no rule go; required without rules.",
      proto: 1,
    }),
    tls: field(array(IngressTLS, { listType: "atomic" }), {
      description: "TLS termination, on port 443.",
      proto: 2,
    }),
    rules: field(array(IngressRule, { listType: "atomic" }), {
      description: "Host rules; unmatched traffic goes to the default backend.",
      proto: 3,
    }),
  },
});

/** The error state of a load balancer port. */
export const IngressPortStatus = object(`${NETWORKING}.IngressPortStatus`, {
  description: "The state of one port of a load balancer.",
  fields: {
    port: requiredField(int32(), { description: "The port number.", proto: 1 }),
    protocol: requiredField(enumOf(NETWORK_POLICY_PROTOCOLS), {
      description: "TCP, UDP or SCTP.",
      proto: 2,
    }),
    error: field(string(), {
      description: "The problem with the port, as a CamelCase or domain-prefixed reason.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** An ingress point of a load balancer. */
export const IngressLoadBalancerIngress = object(`${NETWORKING}.IngressLoadBalancerIngress`, {
  description: "One ingress point of the load balancer.",
  fields: {
    ip: field(string(), { description: "The IP, for IP-based ingress points.", proto: 1 }),
    hostname: field(string(), {
      description: "The DNS name, for DNS-based ingress points.",
      proto: 2,
    }),
    ports: field(array(IngressPortStatus, { listType: "atomic" }), {
      description: "The ports the load balancer exposes.",
      proto: 4,
    }),
  },
});

/** The state of an Ingress's load balancer. */
export const IngressLoadBalancerStatus = object(`${NETWORKING}.IngressLoadBalancerStatus`, {
  description: "The state of the load balancer.",
  fields: {
    ingress: field(array(IngressLoadBalancerIngress, { listType: "atomic" }), {
      description: "The load balancer's ingress points.",
      proto: 1,
    }),
  },
});

/** The observed state of an Ingress. */
export const IngressStatus = object(`${NETWORKING}.IngressStatus`, {
  description: "The current state of an Ingress.",
  fields: {
    loadBalancer: field(IngressLoadBalancerStatus, {
      description: "The state of the load balancer.",
      proto: 1,
    }),
  },
});

/** An Ingress: HTTP(S) routing from outside the cluster to Services. */
export const Ingress = object(`${NETWORKING}.Ingress`, {
  description:
    "Rules routing inbound HTTP(S) to backends: externally reachable URLs, TLS termination, name-based virtual hosting.",
  gvk: [{ group: "networking.k8s.io", version: "v1", kind: "Ingress" }],
  fields: {
    ...objectFields,
    spec: field(IngressSpec, { description: "The desired routing.", proto: 2 }),
    status: field(IngressStatus, { description: "The observed state.", proto: 3 }),
  },
});

// --- IngressClass --------------------------------------------------------------------------------

/** A reference to the parameters of an IngressClass. */
export const IngressClassParametersReference = object(
  `${NETWORKING}.IngressClassParametersReference`,
  {
    description: "A cluster- or namespace-scoped object holding a controller's configuration.",
    fields: {
      apiGroup: field(string(), {
        description: "API group of the object; the core group when unset.",
        proto: 1,
        keepZero: true,
      }),
      kind: requiredField(string(), { description: "Kind of the object.", proto: 2 }),
      name: requiredField(string(), { description: "Name of the object.", proto: 3 }),
      scope: field(string(), {
        description: "Cluster (the default) or Namespace: the scope of the object.",
        proto: 4,
        keepZero: true,
        default: "Cluster",
      }),
      namespace: field(string(), {
        description: "Namespace of the object: required with scope Namespace, unset otherwise.",
        proto: 5,
        keepZero: true,
      }),
    },
  },
);

/** What an IngressClass names. */
export const IngressClassSpec = object(`${NETWORKING}.IngressClassSpec`, {
  description: "The controller of a class of Ingresses, and its parameters.",
  fields: {
    controller: field(string(), {
      description:
        'The controller that implements the class, as a domain-prefixed path of at most 250 characters ("acme.io/ingress-controller"). Immutable.',
      proto: 1,
    }),
    parameters: field(IngressClassParametersReference, {
      description: "An object with further configuration for the controller.",
      proto: 2,
    }),
  },
});

/** An IngressClass: a kind of Ingress and the controller that implements it. */
export const IngressClass = object(`${NETWORKING}.IngressClass`, {
  description:
    "A class of Ingresses, named by spec.ingressClassName; the ingressclass.kubernetes.io/is-default-class annotation marks the default.",
  gvk: [{ group: "networking.k8s.io", version: "v1", kind: "IngressClass" }],
  fields: {
    ...objectFields,
    spec: field(IngressClassSpec, { description: "The class's controller.", proto: 2 }),
  },
});

/** TypeScript type of {@linkcode NetworkPolicyPort}. */
export type NetworkPolicyPort = Infer<typeof NetworkPolicyPort>;
/** TypeScript type of {@linkcode IPBlock}. */
export type IPBlock = Infer<typeof IPBlock>;
/** TypeScript type of {@linkcode NetworkPolicyPeer}. */
export type NetworkPolicyPeer = Infer<typeof NetworkPolicyPeer>;
/** TypeScript type of {@linkcode NetworkPolicyIngressRule}. */
export type NetworkPolicyIngressRule = Infer<typeof NetworkPolicyIngressRule>;
/** TypeScript type of {@linkcode NetworkPolicyEgressRule}. */
export type NetworkPolicyEgressRule = Infer<typeof NetworkPolicyEgressRule>;
/** TypeScript type of {@linkcode NetworkPolicySpec}. */
export type NetworkPolicySpec = Infer<typeof NetworkPolicySpec>;
/** TypeScript type of {@linkcode NetworkPolicy}. */
export type NetworkPolicy = Infer<typeof NetworkPolicy>;
/** TypeScript type of {@linkcode IngressTLS}. */
export type IngressTLS = Infer<typeof IngressTLS>;
/** TypeScript type of {@linkcode ServiceBackendPort}. */
export type ServiceBackendPort = Infer<typeof ServiceBackendPort>;
/** TypeScript type of {@linkcode IngressServiceBackend}. */
export type IngressServiceBackend = Infer<typeof IngressServiceBackend>;
/** TypeScript type of {@linkcode IngressBackend}. */
export type IngressBackend = Infer<typeof IngressBackend>;
/** TypeScript type of {@linkcode HTTPIngressPath}. */
export type HTTPIngressPath = Infer<typeof HTTPIngressPath>;
/** TypeScript type of {@linkcode HTTPIngressRuleValue}. */
export type HTTPIngressRuleValue = Infer<typeof HTTPIngressRuleValue>;
/** TypeScript type of {@linkcode IngressRule}. */
export type IngressRule = Infer<typeof IngressRule>;
/** TypeScript type of {@linkcode IngressSpec}. */
export type IngressSpec = Infer<typeof IngressSpec>;
/** TypeScript type of {@linkcode IngressPortStatus}. */
export type IngressPortStatus = Infer<typeof IngressPortStatus>;
/** TypeScript type of {@linkcode IngressLoadBalancerIngress}. */
export type IngressLoadBalancerIngress = Infer<typeof IngressLoadBalancerIngress>;
/** TypeScript type of {@linkcode IngressLoadBalancerStatus}. */
export type IngressLoadBalancerStatus = Infer<typeof IngressLoadBalancerStatus>;
/** TypeScript type of {@linkcode IngressStatus}. */
export type IngressStatus = Infer<typeof IngressStatus>;
/** TypeScript type of {@linkcode Ingress}. */
export type Ingress = Infer<typeof Ingress>;
/** TypeScript type of {@linkcode IngressClassParametersReference}. */
export type IngressClassParametersReference = Infer<typeof IngressClassParametersReference>;
/** TypeScript type of {@linkcode IngressClassSpec}. */
export type IngressClassSpec = Infer<typeof IngressClassSpec>;
/** TypeScript type of {@linkcode IngressClass}. */
export type IngressClass = Infer<typeof IngressClass>;
