/**
 * The `core/v1` Namespace kind: a scope for names, with the finalizers that keep it until its
 * content is gone and its lifecycle phase. Field numbers from upstream
 * `k8s.io/api/core/v1/generated.proto`.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import { array, enumOf, field, type Infer, object, requiredField, string, time } from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** The finalizer the namespace controller removes once a namespace is empty. */
export const FINALIZER_KUBERNETES = "kubernetes";

/** The phases of a namespace. */
export const NAMESPACE_PHASES = ["Active", "Terminating"] as const;

/** The desired state of a namespace. */
export const NamespaceSpec = object(`${CORE}.NamespaceSpec`, {
  description: "The desired state of a namespace.",
  fields: {
    finalizers: field(array(string(), { listType: "atomic" }), {
      description:
        "Values that must all be removed (through the finalize subresource) before the namespace is deleted from storage.",
      proto: 1,
    }),
  },
});

/** One aspect of a namespace's state, set by the namespace controller while deleting. */
export const NamespaceCondition = object(`${CORE}.NamespaceCondition`, {
  description: "One aspect of the state of a namespace, reported while its content is deleted.",
  fields: {
    type: requiredField(string(), {
      description: "Type of the condition, e.g. NamespaceContentRemaining.",
      proto: 1,
    }),
    status: requiredField(string(), {
      description: "Status of the condition: True, False or Unknown.",
      proto: 2,
    }),
    lastTransitionTime: field(time(), {
      description: "When the condition last changed from one status to another.",
      proto: 4,
    }),
    reason: field(string(), {
      description: "A CamelCase reason for the last transition.",
      proto: 5,
    }),
    message: field(string(), {
      description: "A human-readable message about the last transition.",
      proto: 6,
    }),
  },
});

/** The observed state of a namespace. */
export const NamespaceStatus = object(`${CORE}.NamespaceStatus`, {
  description: "The observed state of a namespace.",
  fields: {
    phase: field(enumOf(NAMESPACE_PHASES), {
      description: "Active, or Terminating once deletion was requested.",
      proto: 1,
      default: "Active",
    }),
    conditions: field(array(NamespaceCondition, { listType: "map", listMapKeys: ["type"] }), {
      description: "The latest observations of the namespace's state.",
      proto: 2,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
  },
});

/** A scope for the names of namespaced objects. */
export const Namespace = object(`${CORE}.Namespace`, {
  description: "A scope for names: namespaced objects are unique by name within one namespace.",
  gvk: [{ group: "", version: "v1", kind: "Namespace" }],
  fields: {
    ...objectFields,
    spec: field(NamespaceSpec, { description: "The desired state of the namespace.", proto: 2 }),
    status: field(NamespaceStatus, {
      description: "The observed state of the namespace.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode Namespace}. */
export type Namespace = Infer<typeof Namespace>;
/** TypeScript type of {@linkcode NamespaceSpec}. */
export type NamespaceSpec = Infer<typeof NamespaceSpec>;
/** TypeScript type of {@linkcode NamespaceStatus}. */
export type NamespaceStatus = Infer<typeof NamespaceStatus>;
/** TypeScript type of {@linkcode NamespaceCondition}. */
export type NamespaceCondition = Infer<typeof NamespaceCondition>;
