/**
 * Small `core/v1` types shared by many kinds: object references, node selectors, taints and
 * tolerations, key selectors and resource requirements. Field numbers from upstream
 * `k8s.io/api/core/v1/generated.proto`.
 *
 * Several upstream structs embed `LocalObjectReference` (`json:",inline"`): in JSON its `name`
 * sits directly in the outer object, while in protobuf it is the nested message of field 1
 * (`localObjectReference`); those structs declare it with
 * {@linkcode EMBEDDED_LOCAL_OBJECT_REFERENCE}.
 *
 * @module
 */
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  map,
  object,
  quantity,
  requiredField,
  string,
  time,
} from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** A full reference to an object, of any kind, in any namespace. */
export const ObjectReference = object(`${CORE}.ObjectReference`, {
  description: "A reference to an object, with enough information to inspect or modify it.",
  mapType: "atomic",
  fields: {
    kind: field(string(), { description: "Kind of the referent.", proto: 1 }),
    namespace: field(string(), { description: "Namespace of the referent.", proto: 2 }),
    name: field(string(), { description: "Name of the referent.", proto: 3 }),
    uid: field(string(), { description: "UID of the referent.", proto: 4 }),
    apiVersion: field(string(), { description: "API version of the referent.", proto: 5 }),
    resourceVersion: field(string(), {
      description: "The resourceVersion of the referent this reference was made for, if any.",
      proto: 6,
    }),
    fieldPath: field(string(), {
      description:
        'A field within the referent instead of the whole object, e.g. "spec.containers{web}".',
      proto: 7,
    }),
  },
});

/** A reference to an object by name, in the same namespace. */
export const LocalObjectReference = object(`${CORE}.LocalObjectReference`, {
  description: "A reference to an object by name, in the same namespace as the referrer.",
  mapType: "atomic",
  fields: {
    name: field(string(), { description: "Name of the referent.", proto: 1 }),
  },
});

/**
 * The `protoInline` entry of the structs that embed `LocalObjectReference` (ConfigMap and Secret
 * key selectors, env sources, projections, ConfigMap volumes): `name` in JSON, protobuf field 1.
 */
export const EMBEDDED_LOCAL_OBJECT_REFERENCE = [{
  proto: 1,
  schema: LocalObjectReference,
}] as const;

/** A reference to an object of a given kind and group, in the same namespace. */
export const TypedLocalObjectReference = object(`${CORE}.TypedLocalObjectReference`, {
  description: "A reference to an object of a given type, in the same namespace.",
  mapType: "atomic",
  fields: {
    apiGroup: field(string(), {
      description: "API group of the referent; empty for the core group.",
      proto: 1,
      keepZero: true,
    }),
    kind: requiredField(string(), { description: "Kind of the referent.", proto: 2 }),
    name: requiredField(string(), { description: "Name of the referent.", proto: 3 }),
  },
});

/** A reference to an object of a given kind and group, possibly in another namespace. */
export const TypedObjectReference = object(`${CORE}.TypedObjectReference`, {
  description: "A reference to an object of a given type, possibly in another namespace.",
  fields: {
    apiGroup: field(string(), {
      description: "API group of the referent; empty for the core group.",
      proto: 1,
      keepZero: true,
    }),
    kind: requiredField(string(), { description: "Kind of the referent.", proto: 2 }),
    name: requiredField(string(), { description: "Name of the referent.", proto: 3 }),
    namespace: field(string(), {
      description: "Namespace of the referent; the referrer's namespace when empty.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** A reference to a Secret, possibly in another namespace. */
export const SecretReference = object(`${CORE}.SecretReference`, {
  description: "A reference to a Secret by name and namespace.",
  mapType: "atomic",
  fields: {
    name: field(string(), { description: "Name of the Secret.", proto: 1 }),
    namespace: field(string(), {
      description: "Namespace of the Secret; the referrer's namespace when empty.",
      proto: 2,
    }),
  },
});

/** One requirement of a node selector term. */
export const NodeSelectorRequirement = object(`${CORE}.NodeSelectorRequirement`, {
  description: "A requirement relating a node label (or field) key to a set of values.",
  fields: {
    key: requiredField(string(), { description: "The label key.", proto: 1 }),
    // Upstream reports a bad operator as Invalid ("not a valid selector operator"), so this is
    // a plain string checked by the pod strategy.
    operator: requiredField(string(), {
      description: "In, NotIn, Exists, DoesNotExist, Gt or Lt.",
      proto: 2,
    }),
    values: field(array(string(), { listType: "atomic" }), {
      description:
        "Values: non-empty for In and NotIn, empty for Exists and DoesNotExist, one integer for Gt and Lt.",
      proto: 3,
    }),
  },
});

/** A node selector term: its requirements are ANDed. */
export const NodeSelectorTerm = object(`${CORE}.NodeSelectorTerm`, {
  description: "Requirements that must all hold; a null or empty term matches no nodes.",
  mapType: "atomic",
  fields: {
    matchExpressions: field(array(NodeSelectorRequirement, { listType: "atomic" }), {
      description: "Requirements on node labels.",
      proto: 1,
    }),
    matchFields: field(array(NodeSelectorRequirement, { listType: "atomic" }), {
      description: "Requirements on node fields (only metadata.name).",
      proto: 2,
    }),
  },
});

/** A node selector: its terms are ORed. */
export const NodeSelector = object(`${CORE}.NodeSelector`, {
  description: "Selects nodes matching any of its terms.",
  mapType: "atomic",
  fields: {
    nodeSelectorTerms: requiredField(array(NodeSelectorTerm, { listType: "atomic" }), {
      description: "The terms, ORed.",
      proto: 1,
    }),
  },
});

/** A requirement of a topology selector term. */
export const TopologySelectorLabelRequirement = object(
  `${CORE}.TopologySelectorLabelRequirement`,
  {
    description: "A requirement that a label has one of the given values.",
    fields: {
      key: requiredField(string(), { description: "The label key.", proto: 1 }),
      values: requiredField(array(string(), { listType: "atomic" }), {
        description: "Accepted values, ORed.",
        proto: 2,
      }),
    },
  },
);

/** A topology selector term (a subset of NodeSelectorTerm). */
export const TopologySelectorTerm = object(`${CORE}.TopologySelectorTerm`, {
  description: "Label requirements that must all hold; a null or empty term matches nothing.",
  mapType: "atomic",
  fields: {
    matchLabelExpressions: field(
      array(TopologySelectorLabelRequirement, { listType: "atomic" }),
      { description: "The label requirements.", proto: 1 },
    ),
  },
});

/** Taint effects, in the order upstream lists them in its messages. */
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** A taint on a node: pods that do not tolerate it are kept away (or evicted). */
export const Taint = object(`${CORE}.Taint`, {
  description: "A taint on a node repels pods that do not tolerate it.",
  fields: {
    key: requiredField(string(), { description: "The taint key.", proto: 1 }),
    value: field(string(), { description: "The taint value.", proto: 2 }),
    effect: requiredField(enumOf(TAINT_EFFECTS), {
      description: "NoSchedule, PreferNoSchedule or NoExecute.",
      proto: 3,
    }),
    timeAdded: field(time(), {
      description: "When the taint was added; only set for NoExecute taints.",
      proto: 4,
    }),
  },
});

/** A pod's toleration of matching taints. */
export const Toleration = object(`${CORE}.Toleration`, {
  description: "Lets a pod tolerate taints matching key, value and effect under the operator.",
  fields: {
    key: field(string(), {
      description: "The taint key; empty matches all keys (then operator must be Exists).",
      proto: 1,
    }),
    // Plain strings: "" is valid (Equal / all effects), so the pod strategy checks the values.
    operator: field(string(), {
      description: "Equal (the default) or Exists (any value).",
      proto: 2,
    }),
    value: field(string(), {
      description: "The taint value; empty with operator Exists.",
      proto: 3,
    }),
    effect: field(string(), {
      description: "The taint effect to match; empty matches all effects.",
      proto: 4,
    }),
    tolerationSeconds: field(int64(), {
      description:
        "With effect NoExecute: how long the pod stays bound after the taint appears; unset means forever.",
      proto: 5,
      keepZero: true,
    }),
  },
});

/** A key mapped to a file path in a volume. */
export const KeyToPath = object(`${CORE}.KeyToPath`, {
  description: "Maps a key of a ConfigMap or Secret to a relative file path in a volume.",
  fields: {
    key: requiredField(string(), { description: "The key to project.", proto: 1 }),
    path: requiredField(string(), {
      description: "Relative path of the file; may not contain '..' or start with it.",
      proto: 2,
    }),
    mode: field(int32(), {
      description: "Permission bits of the file (0 to 0777); the volume's defaultMode if unset.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** One entry of pod.spec.resourceClaims used by a container. */
export const ResourceClaim = object(`${CORE}.ResourceClaim`, {
  description: "Names one entry of pod.spec.resourceClaims to make available to a container.",
  fields: {
    name: requiredField(string(), {
      description: "Name of an entry in pod.spec.resourceClaims.",
      proto: 1,
    }),
    request: field(string(), {
      description: "A request of that claim; empty makes the whole claim available.",
      proto: 2,
    }),
  },
});

/** Compute resource requests and limits. */
export const ResourceRequirements = object(`${CORE}.ResourceRequirements`, {
  description: "Compute resources a container (or pod) requests and may use at most.",
  fields: {
    limits: field(map(quantity()), {
      description: "The most of each resource that may be used.",
      proto: 1,
    }),
    requests: field(map(quantity()), {
      description: "The least of each resource required; defaults to the limits when unset.",
      proto: 2,
    }),
    claims: field(array(ResourceClaim, { listType: "map", listMapKeys: ["name"] }), {
      description: "Resource claims of the pod this container uses (dynamic resource allocation).",
      proto: 3,
    }),
  },
});

/** Storage resource requests and limits of a volume. */
export const VolumeResourceRequirements = object(`${CORE}.VolumeResourceRequirements`, {
  description: "Storage a volume requests and may use at most.",
  fields: {
    limits: field(map(quantity()), {
      description: "The most storage that may be used.",
      proto: 1,
    }),
    requests: field(map(quantity()), {
      description: "The least storage required.",
      proto: 2,
    }),
  },
});

/** A field of the pod, for env vars and downward API files. */
export const ObjectFieldSelector = object(`${CORE}.ObjectFieldSelector`, {
  description: "Selects a field of the pod (downward API).",
  mapType: "atomic",
  fields: {
    apiVersion: field(string(), {
      description: 'Version of the schema fieldPath is written in; defaults to "v1".',
      proto: 1,
    }),
    fieldPath: requiredField(string(), {
      description: "Path of the field, e.g. metadata.name.",
      proto: 2,
    }),
  },
});

/** A container resource, for env vars and downward API files. */
export const ResourceFieldSelector = object(`${CORE}.ResourceFieldSelector`, {
  description: "Selects a resource request or limit of a container (downward API).",
  mapType: "atomic",
  fields: {
    containerName: field(string(), {
      description: "The container; required in volumes, optional for env vars.",
      proto: 1,
    }),
    resource: requiredField(string(), {
      description: "The resource, e.g. limits.cpu or requests.memory.",
      proto: 2,
    }),
    divisor: field(quantity(), {
      description: 'Unit the value is expressed in; defaults to "1".',
      proto: 3,
    }),
  },
});

/** A key of a ConfigMap. */
export const ConfigMapKeySelector = object(`${CORE}.ConfigMapKeySelector`, {
  description: "Selects a key of a ConfigMap.",
  mapType: "atomic",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    key: requiredField(string(), { description: "The key to select.", proto: 2 }),
    optional: field(boolean(), {
      description: "Whether the ConfigMap or its key may be missing.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** A key of a Secret. */
export const SecretKeySelector = object(`${CORE}.SecretKeySelector`, {
  description: "Selects a key of a Secret in the pod's namespace.",
  mapType: "atomic",
  protoInline: EMBEDDED_LOCAL_OBJECT_REFERENCE,
  fields: {
    key: requiredField(string(), { description: "The key to select.", proto: 2 }),
    optional: field(boolean(), {
      description: "Whether the Secret or its key may be missing.",
      proto: 3,
      keepZero: true,
    }),
  },
});

/** TypeScript type of {@linkcode ObjectReference}. */
export type ObjectReference = Infer<typeof ObjectReference>;
/** TypeScript type of {@linkcode LocalObjectReference}. */
export type LocalObjectReference = Infer<typeof LocalObjectReference>;
/** TypeScript type of {@linkcode TypedLocalObjectReference}. */
export type TypedLocalObjectReference = Infer<typeof TypedLocalObjectReference>;
/** TypeScript type of {@linkcode TypedObjectReference}. */
export type TypedObjectReference = Infer<typeof TypedObjectReference>;
/** TypeScript type of {@linkcode SecretReference}. */
export type SecretReference = Infer<typeof SecretReference>;
/** TypeScript type of {@linkcode NodeSelector}. */
export type NodeSelector = Infer<typeof NodeSelector>;
/** TypeScript type of {@linkcode NodeSelectorTerm}. */
export type NodeSelectorTerm = Infer<typeof NodeSelectorTerm>;
/** TypeScript type of {@linkcode NodeSelectorRequirement}. */
export type NodeSelectorRequirement = Infer<typeof NodeSelectorRequirement>;
/** TypeScript type of {@linkcode TopologySelectorTerm}. */
export type TopologySelectorTerm = Infer<typeof TopologySelectorTerm>;
/** TypeScript type of {@linkcode TopologySelectorLabelRequirement}. */
export type TopologySelectorLabelRequirement = Infer<typeof TopologySelectorLabelRequirement>;
/** TypeScript type of {@linkcode Taint}. */
export type Taint = Infer<typeof Taint>;
/** TypeScript type of {@linkcode Toleration}. */
export type Toleration = Infer<typeof Toleration>;
/** TypeScript type of {@linkcode KeyToPath}. */
export type KeyToPath = Infer<typeof KeyToPath>;
/** TypeScript type of {@linkcode ResourceClaim}. */
export type ResourceClaim = Infer<typeof ResourceClaim>;
/** TypeScript type of {@linkcode ResourceRequirements}. */
export type ResourceRequirements = Infer<typeof ResourceRequirements>;
/** TypeScript type of {@linkcode VolumeResourceRequirements}. */
export type VolumeResourceRequirements = Infer<typeof VolumeResourceRequirements>;
/** TypeScript type of {@linkcode ObjectFieldSelector}. */
export type ObjectFieldSelector = Infer<typeof ObjectFieldSelector>;
/** TypeScript type of {@linkcode ResourceFieldSelector}. */
export type ResourceFieldSelector = Infer<typeof ResourceFieldSelector>;
/** TypeScript type of {@linkcode ConfigMapKeySelector}. */
export type ConfigMapKeySelector = Infer<typeof ConfigMapKeySelector>;
/** TypeScript type of {@linkcode SecretKeySelector}. */
export type SecretKeySelector = Infer<typeof SecretKeySelector>;
