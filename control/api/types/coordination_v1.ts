/**
 * `coordination.k8s.io/v1`: Lease, the object leader election and node heartbeats are built on.
 * Field numbers from upstream `k8s.io/api/coordination/v1/generated.proto`.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import { field, type Infer, int32, microTime, object, string } from "./schema.ts";

const COORDINATION = "io.k8s.api.coordination.v1";

/** The strategies of coordinated leader election that Kubernetes defines. */
/** The namespace of node heartbeat Leases (`kube-node-lease/<node>`). */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

export const COORDINATED_LEASE_STRATEGIES = ["OldestEmulationVersion"] as const;

/** The desired and observed holder of a lease. */
export const LeaseSpec = object(`${COORDINATION}.LeaseSpec`, {
  description: "Who holds a lease, since when, and for how long.",
  fields: {
    holderIdentity: field(string(), {
      description: "Identity of the current holder of the lease.",
      proto: 1,
      keepZero: true,
    }),
    leaseDurationSeconds: field(int32(), {
      description:
        "How long candidates must wait, after the last renewTime, before they may take the lease.",
      proto: 2,
      keepZero: true,
    }),
    acquireTime: field(microTime(), {
      description: "When the current holder acquired the lease.",
      proto: 3,
    }),
    renewTime: field(microTime(), {
      description: "When the current holder last renewed the lease.",
      proto: 4,
    }),
    leaseTransitions: field(int32(), {
      description: "How many times the lease has changed holders.",
      proto: 5,
      keepZero: true,
    }),
    // Not an enum: besides the Kubernetes-defined names, domain-prefixed names are allowed.
    strategy: field(string(), {
      description:
        'How the leader is picked under coordinated leader election: "OldestEmulationVersion" or a domain-prefixed name.',
      proto: 6,
      keepZero: true,
    }),
    preferredHolder: field(string(), {
      description: "A better holder the current one should hand the lease to; needs strategy.",
      proto: 7,
      keepZero: true,
    }),
  },
});

/** A lease: a named lock with a holder and a duration. */
export const Lease = object(`${COORDINATION}.Lease`, {
  description: "A lease, used for leader election and node heartbeats.",
  gvk: [{ group: "coordination.k8s.io", version: "v1", kind: "Lease" }],
  fields: {
    ...objectFields,
    spec: field(LeaseSpec, { description: "The lease's holder and timing.", proto: 2 }),
  },
});

/** TypeScript type of {@linkcode LeaseSpec}. */
export type LeaseSpec = Infer<typeof LeaseSpec>;
/** TypeScript type of {@linkcode Lease}. */
export type Lease = Infer<typeof Lease>;
