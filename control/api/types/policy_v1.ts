/**
 * `policy/v1` kinds: PodDisruptionBudget, which limits voluntary disruptions of a set of pods,
 * and Eviction, the body of a pod's `/eviction` subresource (what `kubectl drain` posts). Field
 * numbers from upstream `k8s.io/api/policy/v1`.
 *
 * @module
 */
import { Condition, DeleteOptions, LabelSelector, objectFields } from "./meta_v1.ts";
import {
  array,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  intOrString,
  map,
  object,
  requiredField,
  time,
} from "./schema.ts";

const POLICY = "io.k8s.api.policy.v1";

/** The group and version of this file's kinds. */
const GV = { group: "policy", version: "v1" } as const;

/** The desired budget. */
export const PodDisruptionBudgetSpec = object(`${POLICY}.PodDisruptionBudgetSpec`, {
  description:
    "How many of the selected pods must stay available; set minAvailable or maxUnavailable, not both.",
  fields: {
    minAvailable: field(intOrString(), {
      description:
        'An eviction is allowed only if at least this many (or this percentage) of the selected pods stay available; "100%" blocks all evictions.',
      proto: 1,
    }),
    selector: field(LabelSelector, {
      description:
        "The pods the budget covers; a null selector matches none, an empty one all pods in the namespace.",
      proto: 2,
      patchStrategy: "replace",
    }),
    maxUnavailable: field(intOrString(), {
      description:
        "An eviction is allowed only if at most this many (or this percentage) of the selected pods are unavailable afterwards; 0 blocks all evictions.",
      proto: 3,
    }),
    unhealthyPodEvictionPolicy: field(enumOf(["IfHealthyBudget", "AlwaysAllow"]), {
      description:
        "When running but not ready pods may be evicted: IfHealthyBudget (default) only while the application is not disrupted; AlwaysAllow always.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** The observed state of a budget. */
export const PodDisruptionBudgetStatus = object(`${POLICY}.PodDisruptionBudgetStatus`, {
  description: "The observed state of a PodDisruptionBudget; may lag behind the pods.",
  fields: {
    observedGeneration: field(int64(), {
      description:
        "The generation this status was computed for; the other fields are valid only when it matches.",
      proto: 1,
    }),
    disruptedPods: field(map(time()), {
      description:
        "Pods whose eviction the API server allowed but the controller has not yet seen deleted, with the time of the eviction.",
      proto: 2,
    }),
    disruptionsAllowed: requiredField(int32(), {
      description: "How many pod disruptions are allowed now.",
      proto: 3,
    }),
    currentHealthy: requiredField(int32(), {
      description: "Healthy pods now.",
      proto: 4,
    }),
    desiredHealthy: requiredField(int32(), {
      description: "The fewest healthy pods wanted.",
      proto: 5,
    }),
    expectedPods: requiredField(int32(), {
      description: "Pods counted by this budget.",
      proto: 6,
    }),
    conditions: field(array(Condition, { listType: "map", listMapKeys: ["type"] }), {
      description:
        "Conditions of the budget; the controller sets DisruptionAllowed (reasons SyncFailed, InsufficientPods, SufficientPods).",
      proto: 7,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
  },
});

/** A limit on voluntary disruptions of a set of pods. */
export const PodDisruptionBudget = object(`${POLICY}.PodDisruptionBudget`, {
  description:
    "Limits how many of a set of pods voluntary disruptions (evictions, drains) may take down at once.",
  gvk: [{ ...GV, kind: "PodDisruptionBudget" }],
  fields: {
    ...objectFields,
    spec: field(PodDisruptionBudgetSpec, { description: "The desired budget.", proto: 2 }),
    status: field(PodDisruptionBudgetStatus, {
      description: "The observed state of the budget.",
      proto: 3,
    }),
  },
});

/** A request to evict a pod. */
export const Eviction = object(`${POLICY}.Eviction`, {
  description:
    "Evicts a pod from its node, subject to PodDisruptionBudgets: POST it to the pod's eviction subresource.",
  gvk: [{ ...GV, kind: "Eviction" }],
  fields: {
    ...objectFields,
    deleteOptions: field(DeleteOptions, {
      description: "Options for deleting the pod.",
      proto: 2,
    }),
  },
});

/** TypeScript type of {@linkcode PodDisruptionBudget}. */
export type PodDisruptionBudget = Infer<typeof PodDisruptionBudget>;
/** TypeScript type of {@linkcode PodDisruptionBudgetSpec}. */
export type PodDisruptionBudgetSpec = Infer<typeof PodDisruptionBudgetSpec>;
/** TypeScript type of {@linkcode PodDisruptionBudgetStatus}. */
export type PodDisruptionBudgetStatus = Infer<typeof PodDisruptionBudgetStatus>;
/** TypeScript type of {@linkcode Eviction}. */
export type Eviction = Infer<typeof Eviction>;
