/**
 * The `core/v1` ReplicationController: the original replicated-pods kind, with a plain
 * `map[string]string` selector where its `apps/v1` successor ReplicaSet has a LabelSelector.
 * Field numbers, list types and patch strategies from upstream `k8s.io/api/core/v1`
 * (`generated.proto`, `types.go`).
 *
 * @example Type a ReplicationController
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReplicationController } from "./core_v1_replication_controller.ts";
 *
 * const rc: ReplicationController = {
 *   apiVersion: "v1",
 *   kind: "ReplicationController",
 *   metadata: { name: "web" },
 *   spec: { replicas: 2, selector: { app: "web" } },
 * };
 * assert.equal(rc.spec?.selector?.app, "web");
 * ```
 *
 * @module
 */
import { PodTemplateSpec } from "./core_v1_pod.ts";
import { objectFields } from "./meta_v1.ts";
import {
  array,
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

const CORE = "io.k8s.api.core.v1";

/** The desired state of a ReplicationController. */
export const ReplicationControllerSpec = object(`${CORE}.ReplicationControllerSpec`, {
  description: "How many copies of a pod template a replication controller keeps running.",
  fields: {
    replicas: field(int32(), {
      description: "Desired number of pods. Defaults to 1.",
      proto: 1,
      keepZero: true,
    }),
    minReadySeconds: field(int32(), {
      description: "Seconds a new pod must be ready, without crashing, to count as available.",
      proto: 4,
    }),
    selector: field(map(string(), { mapType: "atomic" }), {
      description:
        "Labels a pod must carry to count as a replica; defaults to the template's labels, and must match them.",
      proto: 2,
    }),
    template: field(PodTemplateSpec, {
      description: "The pod created when replicas are missing.",
      proto: 3,
    }),
  },
});

/** One condition of a ReplicationController. */
export const ReplicationControllerCondition = object(
  `${CORE}.ReplicationControllerCondition`,
  {
    description: "One aspect of a replication controller's state, such as ReplicaFailure.",
    fields: {
      type: requiredField(string(), {
        description: "Type of replication controller condition.",
        proto: 1,
      }),
      status: requiredField(string(), {
        description: "Status of the condition: True, False or Unknown.",
        proto: 2,
      }),
      lastTransitionTime: field(time(), {
        description: "When the condition last changed from one status to another.",
        proto: 3,
      }),
      reason: field(string(), {
        description: "A CamelCase reason for the last transition.",
        proto: 4,
      }),
      message: field(string(), {
        description: "A human-readable message about the last transition.",
        proto: 5,
      }),
    },
  },
);

/** The observed state of a ReplicationController. */
export const ReplicationControllerStatus = object(`${CORE}.ReplicationControllerStatus`, {
  description: "The observed state of a replication controller, as reported by its controller.",
  fields: {
    replicas: requiredField(int32(), {
      description: "Non-terminating pods selected by this replication controller.",
      proto: 1,
    }),
    fullyLabeledReplicas: field(int32(), {
      description: "Non-terminating pods that carry all labels of the template.",
      proto: 2,
    }),
    readyReplicas: field(int32(), {
      description: "Non-terminating pods with a Ready condition.",
      proto: 4,
    }),
    availableReplicas: field(int32(), {
      description: "Non-terminating pods ready for at least minReadySeconds.",
      proto: 5,
    }),
    observedGeneration: field(int64(), {
      description: "The generation of the replication controller this status was computed for.",
      proto: 3,
    }),
    conditions: field(
      array(ReplicationControllerCondition, { listType: "map", listMapKeys: ["type"] }),
      {
        description: "The latest observations of the replication controller's state.",
        proto: 6,
        patchStrategy: "merge",
        patchMergeKey: "type",
      },
    ),
  },
});

/** A number of identical pods, selected by equality of labels. */
export const ReplicationController = object(`${CORE}.ReplicationController`, {
  description:
    "Keeps a given number of identical pods running. Its labels default to the pod template's.",
  gvk: [{ group: "", version: "v1", kind: "ReplicationController" }],
  fields: {
    ...objectFields,
    spec: field(ReplicationControllerSpec, { description: "The desired pods.", proto: 2 }),
    status: field(ReplicationControllerStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode ReplicationController}. */
export type ReplicationController = Infer<typeof ReplicationController>;
/** TypeScript type of {@linkcode ReplicationControllerSpec}. */
export type ReplicationControllerSpec = Infer<typeof ReplicationControllerSpec>;
/** TypeScript type of {@linkcode ReplicationControllerStatus}. */
export type ReplicationControllerStatus = Infer<typeof ReplicationControllerStatus>;
/** TypeScript type of {@linkcode ReplicationControllerCondition}. */
export type ReplicationControllerCondition = Infer<typeof ReplicationControllerCondition>;
