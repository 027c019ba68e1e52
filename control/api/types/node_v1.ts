/**
 * `node.k8s.io/v1`: RuntimeClass. Field numbers from upstream
 * `k8s.io/api/node/v1/generated.proto`.
 *
 * @module
 */
import { Toleration } from "./core_v1_common.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
  field,
  type Infer,
  map,
  object,
  quantity,
  requiredField,
  string,
} from "./schema.ts";

const NODE = "io.k8s.api.node.v1";

/** The resources a pod of the class uses beyond its containers. */
export const Overhead = object(`${NODE}.Overhead`, {
  description: "Resources running a pod with this runtime costs on top of its containers.",
  fields: {
    podFixed: field(map(quantity()), {
      description: "The fixed overhead of a pod, by resource name.",
      proto: 1,
    }),
  },
});

/** Where pods of the class can run. */
export const Scheduling = object(`${NODE}.Scheduling`, {
  description: "Constraints that put pods of this class on nodes that support the runtime.",
  fields: {
    nodeSelector: field(map(string(), { mapType: "atomic" }), {
      description: "Labels a node must have; merged into the pod's nodeSelector on admission.",
      proto: 1,
    }),
    tolerations: field(array(Toleration, { listType: "atomic" }), {
      description: "Tolerations appended to the pod's on admission.",
      proto: 2,
    }),
  },
});

/** A RuntimeClass: a container runtime configuration pods can select. */
export const RuntimeClass = object(`${NODE}.RuntimeClass`, {
  description: "A container runtime configuration; pods select one by name in runtimeClassName.",
  gvk: [{ group: "node.k8s.io", version: "v1", kind: "RuntimeClass" }],
  fields: {
    ...objectFields,
    handler: requiredField(string(), {
      description:
        "The CRI handler (a DNS label) the runtime uses for pods of this class. Immutable.",
      proto: 2,
    }),
    overhead: field(Overhead, {
      description: "Resources a pod of this class uses beyond its containers.",
      proto: 3,
    }),
    scheduling: field(Scheduling, {
      description: "Nodes that support this class; unset means all nodes do.",
      proto: 4,
    }),
  },
});

/** TypeScript type of {@linkcode Overhead}. */
export type Overhead = Infer<typeof Overhead>;
/** TypeScript type of {@linkcode Scheduling}. */
export type Scheduling = Infer<typeof Scheduling>;
/** TypeScript type of {@linkcode RuntimeClass}. */
export type RuntimeClass = Infer<typeof RuntimeClass>;
