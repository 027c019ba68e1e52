/**
 * `meta.k8s.io/v1` types every object uses: ObjectMeta, ListMeta, LabelSelector, OwnerReference,
 * ManagedFieldsEntry, Condition, Status, DeleteOptions. Field numbers from upstream
 * `apimachinery/pkg/apis/meta/v1/generated.proto`.
 *
 * @module
 */
import {
  any,
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  map,
  object,
  requiredField,
  string,
  time,
} from "./schema.ts";

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";

/** A reference from a dependent to its owner, which the garbage collector follows. */
export const OwnerReference = object(`${META}.OwnerReference`, {
  description:
    "Identifies an owning object. The owner must be in the same namespace as the dependent, or be cluster-scoped.",
  mapType: "atomic",
  fields: {
    apiVersion: requiredField(string(), { description: "API version of the owner.", proto: 5 }),
    kind: requiredField(string(), { description: "Kind of the owner.", proto: 1 }),
    name: requiredField(string(), { description: "Name of the owner.", proto: 3 }),
    uid: requiredField(string(), { description: "UID of the owner.", proto: 4 }),
    controller: field(boolean(), {
      description: "True when the owner is the managing controller (at most one owner is).",
      proto: 6,
      keepZero: true,
    }),
    blockOwnerDeletion: field(boolean(), {
      description:
        "With foreground deletion, the owner is not removed from storage until this dependent is gone.",
      proto: 7,
      keepZero: true,
    }),
  },
});

/** Which fields a manager set, and how. */
export const ManagedFieldsEntry = object(`${META}.ManagedFieldsEntry`, {
  description: "The fields one workflow (a manager) owns, and the operation that set them.",
  fields: {
    manager: field(string(), { description: "Who manages these fields.", proto: 1 }),
    operation: field(enumOf(["Apply", "Update"]), {
      description: "The kind of write that set the fields: Apply or Update.",
      proto: 2,
    }),
    apiVersion: field(string(), {
      description: "API version the fields are expressed in.",
      proto: 3,
    }),
    time: field(time(), { description: "When the entry last changed.", proto: 4 }),
    fieldsType: field(string(), {
      description: 'Format of fieldsV1; only "FieldsV1".',
      proto: 6,
    }),
    fieldsV1: field(any({ shape: "object", name: `${META}.FieldsV1` }), {
      description: "The set of fields, as a trie of f:, k:, v: and i: keys.",
      proto: 7,
    }),
    subresource: field(string(), {
      description: "The subresource written through, empty for the main resource.",
      proto: 8,
    }),
  },
});

/** The metadata every persisted object has. */
export const ObjectMeta = object(`${META}.ObjectMeta`, {
  description: "Metadata every persisted resource has, including those users create.",
  fields: {
    name: field(string(), {
      description: "Unique within a namespace; cannot be changed after creation.",
      proto: 1,
    }),
    generateName: field(string(), {
      description: "A prefix the server completes into a unique name when name is empty.",
      proto: 2,
    }),
    namespace: field(string(), {
      description: "The namespace the object lives in; empty for cluster-scoped objects.",
      proto: 3,
    }),
    selfLink: field(string(), { description: "Deprecated and unset.", proto: 4, readOnly: true }),
    uid: field(string(), {
      description: "Unique in time and space; set by the server on creation.",
      proto: 5,
      readOnly: true,
    }),
    resourceVersion: field(string(), {
      description: "Opaque version of this object, for optimistic concurrency and watches.",
      proto: 6,
      readOnly: true,
    }),
    generation: field(int64(), {
      description: "A sequence number for changes to the desired state.",
      proto: 7,
      readOnly: true,
    }),
    creationTimestamp: field(time(), {
      description: "When the server created the object.",
      proto: 8,
      readOnly: true,
    }),
    deletionTimestamp: field(time(), {
      description: "When the object will be (or began to be) deleted; set by the server.",
      proto: 9,
      readOnly: true,
    }),
    deletionGracePeriodSeconds: field(int64(), {
      description: "Seconds allowed for graceful termination once deletion was requested.",
      proto: 10,
      keepZero: true,
      readOnly: true,
    }),
    labels: field(map(string()), {
      description: "Key/value pairs for organizing and selecting objects.",
      proto: 11,
    }),
    annotations: field(map(string()), {
      description: "Key/value pairs for arbitrary non-identifying metadata.",
      proto: 12,
    }),
    ownerReferences: field(
      array(OwnerReference, { listType: "map", listMapKeys: ["uid"] }),
      {
        description: "Objects this object depends on; the garbage collector deletes orphans.",
        proto: 13,
        patchStrategy: "merge",
        patchMergeKey: "uid",
      },
    ),
    finalizers: field(array(string(), { listType: "set" }), {
      description: "Conditions that must be cleared before the object is removed from storage.",
      proto: 14,
      patchStrategy: "merge",
    }),
    managedFields: field(array(ManagedFieldsEntry), {
      description: "Which manager owns which fields; maintained by the server.",
      proto: 17,
    }),
  },
});

/** The metadata of a list. */
export const ListMeta = object(`${META}.ListMeta`, {
  description: "Metadata of a list response.",
  fields: {
    selfLink: field(string(), { description: "Deprecated and unset.", proto: 1 }),
    resourceVersion: field(string(), {
      description: "The version the list was read at; watch from it to follow changes.",
      proto: 2,
    }),
    continue: field(string(), {
      description: "Set when more items remain: pass it back to read the next page.",
      proto: 3,
    }),
    remainingItemCount: field(int64(), {
      description: "How many items follow this page, when known.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** One set-based requirement of a label selector. */
export const LabelSelectorRequirement = object(`${META}.LabelSelectorRequirement`, {
  description: "A requirement on one label key.",
  fields: {
    key: requiredField(string(), { description: "The label key.", proto: 1 }),
    operator: requiredField(string(), {
      description: "In, NotIn, Exists or DoesNotExist.",
      proto: 2,
    }),
    values: field(array(string(), { listType: "atomic" }), {
      description: "Values for In and NotIn; empty for Exists and DoesNotExist.",
      proto: 3,
    }),
  },
});

/** A label selector: matchLabels and matchExpressions, ANDed. */
export const LabelSelector = object(`${META}.LabelSelector`, {
  description:
    "Selects objects by labels; all requirements must hold. An empty selector matches everything.",
  mapType: "atomic",
  fields: {
    matchLabels: field(map(string()), {
      description: "Exact key/value pairs; each is an In requirement with one value.",
      proto: 1,
    }),
    matchExpressions: field(array(LabelSelectorRequirement, { listType: "atomic" }), {
      description: "Set-based requirements.",
      proto: 2,
    }),
  },
});

/** The standard condition (metav1.Condition). */
export const Condition = object(`${META}.Condition`, {
  description: "One aspect of the current state of an object.",
  fields: {
    type: requiredField(string(), { description: "Type of condition, in CamelCase.", proto: 1 }),
    status: requiredField(enumOf(["True", "False", "Unknown"]), {
      description: "True, False or Unknown.",
      proto: 2,
    }),
    observedGeneration: field(int64(), {
      description: "The generation the condition was set for.",
      proto: 3,
    }),
    lastTransitionTime: requiredField(time(), {
      description: "When the status last changed.",
      proto: 4,
    }),
    reason: requiredField(string(), {
      description: "A CamelCase reason for the last transition.",
      proto: 5,
    }),
    // Upstream checks only its length: "" is a valid message (the disruption controller
    // writes it).
    message: requiredField(string(), {
      description: "Human-readable details.",
      proto: 6,
      zeroValid: true,
    }),
  },
});

/** One cause of an error. */
export const StatusCause = object(`${META}.StatusCause`, {
  description: "One cause of an error, for example one invalid field.",
  fields: {
    reason: field(string(), { description: "A machine-readable cause.", proto: 1 }),
    message: field(string(), { description: "Human-readable description.", proto: 2 }),
    field: field(string(), {
      description: "The field that caused the error, as a JSON path (spec.containers[0].name).",
      proto: 3,
    }),
  },
});

/** Details of a Status. */
export const StatusDetails = object(`${META}.StatusDetails`, {
  description: "Extra data about an error.",
  fields: {
    name: field(string(), { description: "Name of the object concerned.", proto: 1 }),
    group: field(string(), { description: "API group of the object.", proto: 2 }),
    kind: field(string(), { description: "Kind or resource of the object.", proto: 3 }),
    uid: field(string(), { description: "UID of the object.", proto: 6 }),
    causes: field(array(StatusCause, { listType: "atomic" }), {
      description: "The individual causes.",
      proto: 4,
    }),
    retryAfterSeconds: field(int32(), {
      description: "Seconds to wait before retrying.",
      proto: 5,
    }),
  },
});

/** The result of an operation that returns no object: errors, and some deletes. */
export const Status = object(`${META}.Status`, {
  description: "The result of an operation that does not return an object.",
  gvk: [{ group: "", version: "v1", kind: "Status" }],
  fields: {
    apiVersion: field(string(), { description: "Versioned schema of this object." }),
    kind: field(string(), { description: "Kind of this object." }),
    metadata: field(ListMeta, { description: "Standard list metadata.", proto: 1 }),
    status: field(string(), { description: "Success or Failure.", proto: 2 }),
    message: field(string(), { description: "Human-readable description.", proto: 3 }),
    reason: field(string(), { description: "Machine-readable reason (CamelCase).", proto: 4 }),
    details: field(StatusDetails, { description: "Extra data about the error.", proto: 5 }),
    code: field(int32(), { description: "The HTTP status code.", proto: 6 }),
  },
});

/** Preconditions of a delete. */
export const Preconditions = object(`${META}.Preconditions`, {
  description: "Must hold for a delete to go ahead.",
  fields: {
    uid: field(string(), { description: "The object's UID.", proto: 1, keepZero: true }),
    resourceVersion: field(string(), {
      description: "The object's resourceVersion.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** The body of a delete. */
export const DeleteOptions = object(`${META}.DeleteOptions`, {
  description: "Options of a delete.",
  gvk: [{ group: "", version: "v1", kind: "DeleteOptions" }],
  fields: {
    apiVersion: field(string(), { description: "Versioned schema of this object." }),
    kind: field(string(), { description: "Kind of this object." }),
    gracePeriodSeconds: field(int64(), {
      description: "Seconds before the object is removed; 0 means at once.",
      proto: 1,
      keepZero: true,
    }),
    preconditions: field(Preconditions, {
      description: "Must hold, or the delete fails with a conflict.",
      proto: 2,
    }),
    orphanDependents: field(boolean(), {
      description: "Deprecated: use propagationPolicy.",
      proto: 3,
      keepZero: true,
    }),
    propagationPolicy: field(enumOf(["Orphan", "Background", "Foreground"]), {
      description: "Whether and how dependents are deleted: Orphan, Background or Foreground.",
      proto: 4,
      keepZero: true,
    }),
    dryRun: field(array(string(), { listType: "atomic" }), {
      description: 'When ["All"], nothing is persisted.',
      proto: 5,
    }),
    ignoreStoreReadErrorWithClusterBreakingPotential: field(boolean(), {
      description:
        "Deletes an object that cannot be read back from storage (corrupt); may break the cluster.",
      proto: 6,
      keepZero: true,
    }),
  },
});

/** TypeScript type of {@linkcode ObjectMeta}. */
export type ObjectMeta = Infer<typeof ObjectMeta>;
/** TypeScript type of {@linkcode ListMeta}. */
export type ListMeta = Infer<typeof ListMeta>;
/** TypeScript type of {@linkcode OwnerReference}. */
export type OwnerReference = Infer<typeof OwnerReference>;
/** TypeScript type of {@linkcode LabelSelector}. */
export type LabelSelector = Infer<typeof LabelSelector>;
/** TypeScript type of {@linkcode LabelSelectorRequirement}. */
export type LabelSelectorRequirement = Infer<typeof LabelSelectorRequirement>;
/** TypeScript type of {@linkcode ManagedFieldsEntry}. */
export type ManagedFieldsEntry = Infer<typeof ManagedFieldsEntry>;
/** TypeScript type of {@linkcode Condition}. */
export type Condition = Infer<typeof Condition>;
/** TypeScript type of {@linkcode Status}. */
export type Status = Infer<typeof Status>;
/** TypeScript type of {@linkcode StatusDetails}. */
export type StatusDetails = Infer<typeof StatusDetails>;
/** TypeScript type of {@linkcode StatusCause}. */
export type StatusCause = Infer<typeof StatusCause>;
/** TypeScript type of {@linkcode DeleteOptions}. */
export type DeleteOptions = Infer<typeof DeleteOptions>;

/** The fields every object has: apiVersion, kind, metadata (used by the generic code). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/**
 * The fields every top-level kind starts with: `apiVersion`, `kind` and `metadata`. Spread them
 * into a kind's fields: `fields: { ...objectFields, spec: …, status: … }`.
 */
export const objectFields = {
  apiVersion: field(string(), {
    description:
      "The versioned schema of this representation of an object; the server converts recognized schemas to the latest internal value.",
  }),
  kind: field(string(), {
    description:
      "The REST resource this object represents, in CamelCase; inferred from the endpoint the client submits requests to.",
  }),
  metadata: field(ObjectMeta, { description: "Standard object metadata.", proto: 1 }),
} as const;
