/**
 * `apps/v1` workload kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet and
 * ControllerRevision, with their specs, statuses and conditions. Field numbers, list types and
 * patch strategies from upstream `k8s.io/api/apps/v1` (`types.go` protobuf tags).
 *
 * @module
 */
import { PodTemplateSpec } from "./core_v1_pod.ts";
import { PersistentVolumeClaim } from "./core_v1_storage.ts";
import { LabelSelector, objectFields } from "./meta_v1.ts";
import {
  any,
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  intOrString,
  object,
  requiredField,
  string,
  time,
} from "./schema.ts";

const APPS = "io.k8s.api.apps.v1";

/** The `apps/v1` group and version. */
const GV = { group: "apps", version: "v1" } as const;

/** The fields every apps/v1 condition has (StatefulSet, DaemonSet, ReplicaSet). */
function conditionFields(what: string) {
  return {
    type: requiredField(string(), { description: `Type of ${what} condition.`, proto: 1 }),
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
  } as const;
}

function conditionsField<S extends ReturnType<typeof object>>(item: S, proto: number) {
  return field(array(item, { listType: "map", listMapKeys: ["type"] }), {
    description: "The latest observations of the object's state.",
    proto,
    patchStrategy: "merge",
    patchMergeKey: "type",
  });
}

// --- StatefulSet ---------------------------------------------------------------------------------

/** Parameters of a StatefulSet rolling update. */
export const RollingUpdateStatefulSetStrategy = object(
  `${APPS}.RollingUpdateStatefulSetStrategy`,
  {
    description: "Parameters of the RollingUpdate StatefulSet update strategy.",
    fields: {
      partition: field(int32(), {
        description:
          "Only pods with an ordinal at or above the partition are updated; lower ones keep their revision (canaries). Defaults to 0.",
        proto: 1,
        keepZero: true,
      }),
      maxUnavailable: field(intOrString(), {
        description:
          "How many pods (or what percentage, rounded up) may be unavailable during the update; not 0. Alpha: honoured only with the MaxUnavailableStatefulSet feature.",
        proto: 2,
      }),
    },
  },
);

/** How a StatefulSet replaces its pods. */
export const StatefulSetUpdateStrategy = object(`${APPS}.StatefulSetUpdateStrategy`, {
  description: "How the StatefulSet controller replaces pods when the template changes.",
  fields: {
    type: field(enumOf(["RollingUpdate", "OnDelete"]), {
      description:
        "RollingUpdate (default) replaces pods in order; OnDelete replaces a pod only when it is deleted.",
      proto: 1,
    }),
    rollingUpdate: field(RollingUpdateStatefulSetStrategy, {
      description: "Parameters for type RollingUpdate.",
      proto: 2,
    }),
  },
});

/** What happens to the claims of a StatefulSet's volume claim templates. */
export const StatefulSetPersistentVolumeClaimRetentionPolicy = object(
  `${APPS}.StatefulSetPersistentVolumeClaimRetentionPolicy`,
  {
    description:
      "Whether the PersistentVolumeClaims created from volumeClaimTemplates are kept or deleted.",
    fields: {
      whenDeleted: field(string(), {
        description:
          "Retain (default) keeps the claims when the StatefulSet is deleted; Delete removes them.",
        proto: 1,
      }),
      whenScaled: field(string(), {
        description:
          "Retain (default) keeps the claims of pods removed by a scale-down; Delete removes them.",
        proto: 2,
      }),
    },
  },
);

/** How a StatefulSet numbers its replicas. */
export const StatefulSetOrdinals = object(`${APPS}.StatefulSetOrdinals`, {
  description: "The numbering of a StatefulSet's replicas.",
  fields: {
    start: field(int32(), {
      description:
        "The index of the first replica; replicas are numbered start to start+replicas-1. Defaults to 0.",
      proto: 1,
      keepZero: true,
    }),
  },
});

/** The desired state of a StatefulSet. */
export const StatefulSetSpec = object(`${APPS}.StatefulSetSpec`, {
  description: "The desired pods of a StatefulSet: how many, from which template, and how.",
  fields: {
    replicas: field(int32(), {
      description: "Desired number of pods. Defaults to 1.",
      proto: 1,
      keepZero: true,
    }),
    selector: requiredField(LabelSelector, {
      description: "Selects the pods counted as replicas; must match the template's labels.",
      proto: 2,
    }),
    template: requiredField(PodTemplateSpec, {
      description:
        'The pod each replica is created from, named <statefulset>-<ordinal>. Only restartPolicy "Always" is allowed.',
      proto: 3,
    }),
    volumeClaimTemplates: field(array(PersistentVolumeClaim, { listType: "atomic" }), {
      description:
        "Claims created per pod (named <claim>-<pod>) and mounted by volumeMounts of the same name.",
      proto: 4,
    }),
    // Optional, as newer upstream marks it: the API server never required it.
    serviceName: field(string(), {
      description:
        "The headless Service that gives the pods their network identity (<pod>.<serviceName>.<namespace>.svc).",
      proto: 5,
      keepZero: true,
    }),
    podManagementPolicy: field(enumOf(["OrderedReady", "Parallel"]), {
      description:
        "OrderedReady (default) creates and removes pods one at a time, in order; Parallel does not wait.",
      proto: 6,
    }),
    updateStrategy: field(StatefulSetUpdateStrategy, {
      description: "How pods are replaced when the template changes.",
      proto: 7,
    }),
    revisionHistoryLimit: field(int32(), {
      description: "How many old ControllerRevisions to keep. Defaults to 10.",
      proto: 8,
      keepZero: true,
    }),
    minReadySeconds: field(int32(), {
      description: "Seconds a new pod must be ready, without crashing, to count as available.",
      proto: 9,
    }),
    persistentVolumeClaimRetentionPolicy: field(
      StatefulSetPersistentVolumeClaimRetentionPolicy,
      {
        description:
          "Whether claims from volumeClaimTemplates are deleted with the StatefulSet or on scale-down.",
        proto: 10,
      },
    ),
    ordinals: field(StatefulSetOrdinals, {
      description: "How replicas are numbered; by default from 0.",
      proto: 11,
    }),
  },
});

/** One condition of a StatefulSet. */
export const StatefulSetCondition = object(`${APPS}.StatefulSetCondition`, {
  description: "One aspect of a StatefulSet's state.",
  fields: conditionFields("statefulset"),
});

/** The observed state of a StatefulSet. */
export const StatefulSetStatus = object(`${APPS}.StatefulSetStatus`, {
  description: "The observed state of a StatefulSet, as reported by its controller.",
  fields: {
    observedGeneration: field(int64(), {
      description: "The generation of the StatefulSet this status was computed for.",
      proto: 1,
    }),
    replicas: requiredField(int32(), {
      description: "Number of pods the controller created.",
      proto: 2,
    }),
    readyReplicas: field(int32(), {
      description: "Number of pods with a Ready condition.",
      proto: 3,
    }),
    currentReplicas: field(int32(), {
      description: "Number of pods created from the currentRevision.",
      proto: 4,
    }),
    updatedReplicas: field(int32(), {
      description: "Number of pods created from the updateRevision.",
      proto: 5,
    }),
    currentRevision: field(string(), {
      description: "The revision of the pods with ordinals below currentReplicas.",
      proto: 6,
    }),
    updateRevision: field(string(), {
      description: "The revision pods are being updated to.",
      proto: 7,
    }),
    collisionCount: field(int32(), {
      description: "Hash collisions seen when naming ControllerRevisions.",
      proto: 9,
      keepZero: true,
    }),
    conditions: conditionsField(StatefulSetCondition, 10),
    availableReplicas: field(int32(), {
      description: "Number of pods ready for at least minReadySeconds.",
      proto: 11,
      keepZero: true,
    }),
  },
});

/** A set of pods with stable identities and storage. */
export const StatefulSet = object(`${APPS}.StatefulSet`, {
  description:
    "Manages pods with stable identities: each keeps its name, DNS name and volume claims across restarts.",
  gvk: [{ ...GV, kind: "StatefulSet" }],
  fields: {
    ...objectFields,
    spec: field(StatefulSetSpec, { description: "The desired pods.", proto: 2 }),
    status: field(StatefulSetStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

// --- Deployment ----------------------------------------------------------------------------------

/** Parameters of a Deployment rolling update. */
export const RollingUpdateDeployment = object(`${APPS}.RollingUpdateDeployment`, {
  description: "Parameters of the RollingUpdate Deployment strategy.",
  fields: {
    maxUnavailable: field(intOrString(), {
      description:
        "How many pods (or what percentage, rounded down) may be unavailable during the update; not 0 when maxSurge is 0. Defaults to 25%.",
      proto: 1,
    }),
    maxSurge: field(intOrString(), {
      description:
        "How many pods (or what percentage, rounded up) may exist above the desired count; not 0 when maxUnavailable is 0. Defaults to 25%.",
      proto: 2,
    }),
  },
});

/** How a Deployment replaces its pods. */
export const DeploymentStrategy = object(`${APPS}.DeploymentStrategy`, {
  description: "How a Deployment replaces old pods with new ones.",
  fields: {
    type: field(enumOf(["Recreate", "RollingUpdate"]), {
      description:
        "RollingUpdate (default) replaces pods gradually; Recreate removes all old pods first.",
      proto: 1,
    }),
    rollingUpdate: field(RollingUpdateDeployment, {
      description: "Parameters for type RollingUpdate.",
      proto: 2,
    }),
  },
});

/** The desired state of a Deployment. */
export const DeploymentSpec = object(`${APPS}.DeploymentSpec`, {
  description: "The desired pods of a Deployment and how to roll out changes to them.",
  fields: {
    replicas: field(int32(), {
      description: "Desired number of pods. Defaults to 1.",
      proto: 1,
      keepZero: true,
    }),
    selector: requiredField(LabelSelector, {
      description:
        "Selects the pods (and ReplicaSets) this Deployment manages; must match the template's labels.",
      proto: 2,
    }),
    template: requiredField(PodTemplateSpec, {
      description: 'The pods to create. Only restartPolicy "Always" is allowed.',
      proto: 3,
    }),
    strategy: field(DeploymentStrategy, {
      description: "How old pods are replaced by new ones.",
      proto: 4,
      patchStrategy: "retainKeys",
    }),
    minReadySeconds: field(int32(), {
      description: "Seconds a new pod must be ready, without crashing, to count as available.",
      proto: 5,
    }),
    revisionHistoryLimit: field(int32(), {
      description: "How many old ReplicaSets to keep for rollback. Defaults to 10.",
      proto: 6,
      keepZero: true,
    }),
    paused: field(boolean(), {
      description: "While true, template changes are not rolled out.",
      proto: 7,
    }),
    progressDeadlineSeconds: field(int32(), {
      description:
        "Seconds a rollout may go without progress before it is reported as failed (ProgressDeadlineExceeded). Defaults to 600.",
      proto: 9,
      keepZero: true,
    }),
  },
});

/** One condition of a Deployment. */
export const DeploymentCondition = object(`${APPS}.DeploymentCondition`, {
  description: "One aspect of a Deployment's state: Available, Progressing or ReplicaFailure.",
  fields: {
    type: requiredField(string(), { description: "Type of deployment condition.", proto: 1 }),
    status: requiredField(string(), {
      description: "Status of the condition: True, False or Unknown.",
      proto: 2,
    }),
    lastUpdateTime: field(time(), {
      description: "When the condition was last updated.",
      proto: 6,
    }),
    lastTransitionTime: field(time(), {
      description: "When the condition last changed from one status to another.",
      proto: 7,
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
});

/** The observed state of a Deployment. */
export const DeploymentStatus = object(`${APPS}.DeploymentStatus`, {
  description: "The observed state of a Deployment, as reported by its controller.",
  fields: {
    observedGeneration: field(int64(), {
      description: "The generation of the Deployment this status was computed for.",
      proto: 1,
    }),
    replicas: field(int32(), {
      description: "Non-terminating pods selected by this Deployment.",
      proto: 2,
    }),
    updatedReplicas: field(int32(), {
      description: "Non-terminating pods that have the current template.",
      proto: 3,
    }),
    readyReplicas: field(int32(), {
      description: "Non-terminating pods with a Ready condition.",
      proto: 7,
    }),
    availableReplicas: field(int32(), {
      description: "Non-terminating pods ready for at least minReadySeconds.",
      proto: 4,
    }),
    unavailableReplicas: field(int32(), {
      description: "Pods still needed for full availability: not yet available or not created.",
      proto: 5,
    }),
    terminatingReplicas: field(int32(), {
      description:
        "Pods being deleted and not yet Failed or Succeeded (alpha: DeploymentPodReplacementPolicy).",
      proto: 9,
      keepZero: true,
    }),
    conditions: conditionsField(DeploymentCondition, 6),
    collisionCount: field(int32(), {
      description: "Hash collisions seen when naming ReplicaSets.",
      proto: 8,
      keepZero: true,
    }),
  },
});

/** Declarative updates for pods, through ReplicaSets. */
export const Deployment = object(`${APPS}.Deployment`, {
  description: "Runs a number of identical pods and rolls out changes to them through ReplicaSets.",
  gvk: [{ ...GV, kind: "Deployment" }],
  fields: {
    ...objectFields,
    spec: field(DeploymentSpec, { description: "The desired pods and rollout.", proto: 2 }),
    status: field(DeploymentStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

// --- DaemonSet -----------------------------------------------------------------------------------

/** Parameters of a DaemonSet rolling update. */
export const RollingUpdateDaemonSet = object(`${APPS}.RollingUpdateDaemonSet`, {
  description: "Parameters of the RollingUpdate DaemonSet update strategy.",
  fields: {
    maxUnavailable: field(intOrString(), {
      description:
        "How many nodes (or what percentage, rounded up) may have their pod down during the update; not 0 when maxSurge is 0. Defaults to 1.",
      proto: 1,
    }),
    maxSurge: field(intOrString(), {
      description:
        "How many nodes (or what percentage, rounded up) may run an updated pod next to the old one; not 0 when maxUnavailable is 0. Defaults to 0.",
      proto: 2,
    }),
  },
});

/** How a DaemonSet replaces its pods. */
export const DaemonSetUpdateStrategy = object(`${APPS}.DaemonSetUpdateStrategy`, {
  description: "How the DaemonSet controller replaces pods when the template changes.",
  fields: {
    type: field(enumOf(["RollingUpdate", "OnDelete"]), {
      description:
        "RollingUpdate (default) replaces pods node by node; OnDelete replaces a pod only when it is deleted.",
      proto: 1,
    }),
    rollingUpdate: field(RollingUpdateDaemonSet, {
      description: "Parameters for type RollingUpdate.",
      proto: 2,
    }),
  },
});

/** The desired state of a DaemonSet. */
export const DaemonSetSpec = object(`${APPS}.DaemonSetSpec`, {
  description: "The pod a DaemonSet runs on each eligible node, and how it is updated.",
  fields: {
    selector: requiredField(LabelSelector, {
      description: "Selects the pods this DaemonSet manages; must match the template's labels.",
      proto: 1,
    }),
    template: requiredField(PodTemplateSpec, {
      description:
        'The pod to run on every node matching its node selector. Only restartPolicy "Always" is allowed.',
      proto: 2,
    }),
    updateStrategy: field(DaemonSetUpdateStrategy, {
      description: "How pods are replaced when the template changes.",
      proto: 3,
    }),
    minReadySeconds: field(int32(), {
      description: "Seconds a new pod must be ready, without crashing, to count as available.",
      proto: 4,
    }),
    revisionHistoryLimit: field(int32(), {
      description: "How many old ControllerRevisions to keep for rollback. Defaults to 10.",
      proto: 6,
      keepZero: true,
    }),
  },
});

/** One condition of a DaemonSet. */
export const DaemonSetCondition = object(`${APPS}.DaemonSetCondition`, {
  description: "One aspect of a DaemonSet's state.",
  fields: conditionFields("DaemonSet"),
});

/** The observed state of a DaemonSet. */
export const DaemonSetStatus = object(`${APPS}.DaemonSetStatus`, {
  description: "The observed state of a DaemonSet, as reported by its controller.",
  fields: {
    currentNumberScheduled: requiredField(int32(), {
      description: "Nodes that run at least one daemon pod and should.",
      proto: 1,
    }),
    numberMisscheduled: requiredField(int32(), {
      description: "Nodes that run a daemon pod but should not.",
      proto: 2,
    }),
    desiredNumberScheduled: requiredField(int32(), {
      description: "Nodes that should run the daemon pod.",
      proto: 3,
    }),
    numberReady: requiredField(int32(), {
      description: "Nodes that should run the daemon pod and have one with a Ready condition.",
      proto: 4,
    }),
    observedGeneration: field(int64(), {
      description: "The generation of the DaemonSet this status was computed for.",
      proto: 5,
    }),
    updatedNumberScheduled: field(int32(), {
      description: "Nodes that run the updated daemon pod.",
      proto: 6,
    }),
    numberAvailable: field(int32(), {
      description: "Nodes whose daemon pod has been ready for at least minReadySeconds.",
      proto: 7,
    }),
    numberUnavailable: field(int32(), {
      description: "Nodes that should run the daemon pod and have none available.",
      proto: 8,
    }),
    collisionCount: field(int32(), {
      description: "Hash collisions seen when naming ControllerRevisions.",
      proto: 9,
      keepZero: true,
    }),
    conditions: conditionsField(DaemonSetCondition, 10),
  },
});

/** A pod on every (matching) node. */
export const DaemonSet = object(`${APPS}.DaemonSet`, {
  description: "Runs one copy of a pod on every node that matches its template.",
  gvk: [{ ...GV, kind: "DaemonSet" }],
  fields: {
    ...objectFields,
    spec: field(DaemonSetSpec, { description: "The desired pods.", proto: 2 }),
    status: field(DaemonSetStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

// --- ReplicaSet ----------------------------------------------------------------------------------

/** The desired state of a ReplicaSet. */
export const ReplicaSetSpec = object(`${APPS}.ReplicaSetSpec`, {
  description: "How many copies of a pod template a ReplicaSet keeps running.",
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
    selector: requiredField(LabelSelector, {
      description: "Selects the pods counted as replicas; must match the template's labels.",
      proto: 2,
    }),
    template: field(PodTemplateSpec, {
      description: "The pod created when replicas are missing.",
      proto: 3,
    }),
  },
});

/** One condition of a ReplicaSet. */
export const ReplicaSetCondition = object(`${APPS}.ReplicaSetCondition`, {
  description: "One aspect of a ReplicaSet's state, such as ReplicaFailure.",
  fields: conditionFields("replica set"),
});

/** The observed state of a ReplicaSet. */
export const ReplicaSetStatus = object(`${APPS}.ReplicaSetStatus`, {
  description: "The observed state of a ReplicaSet, as reported by its controller.",
  fields: {
    replicas: requiredField(int32(), {
      description: "Non-terminating pods selected by this ReplicaSet.",
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
    terminatingReplicas: field(int32(), {
      description:
        "Pods being deleted and not yet Failed or Succeeded (alpha: DeploymentPodReplacementPolicy).",
      proto: 7,
      keepZero: true,
    }),
    observedGeneration: field(int64(), {
      description: "The generation of the ReplicaSet this status was computed for.",
      proto: 3,
    }),
    conditions: conditionsField(ReplicaSetCondition, 6),
  },
});

/** A number of identical pods. */
export const ReplicaSet = object(`${APPS}.ReplicaSet`, {
  description: "Keeps a given number of identical pods running.",
  gvk: [{ ...GV, kind: "ReplicaSet" }],
  fields: {
    ...objectFields,
    spec: field(ReplicaSetSpec, { description: "The desired pods.", proto: 2 }),
    status: field(ReplicaSetStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

// --- ControllerRevision --------------------------------------------------------------------------

/** An immutable snapshot of a controller's state. */
export const ControllerRevision = object(`${APPS}.ControllerRevision`, {
  description:
    "An immutable snapshot of state, kept by the StatefulSet and DaemonSet controllers for updates and rollback. Its data cannot change once created.",
  gvk: [{ ...GV, kind: "ControllerRevision" }],
  fields: {
    ...objectFields,
    data: field(any({ name: "io.k8s.apimachinery.pkg.runtime.RawExtension" }), {
      description: "The serialized state (a patch of the owner's template).",
      proto: 2,
    }),
    revision: requiredField(int64(), {
      description: "The revision number of the state in data.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode StatefulSet}. */
export type StatefulSet = Infer<typeof StatefulSet>;
/** TypeScript type of {@linkcode StatefulSetSpec}. */
export type StatefulSetSpec = Infer<typeof StatefulSetSpec>;
/** TypeScript type of {@linkcode StatefulSetStatus}. */
export type StatefulSetStatus = Infer<typeof StatefulSetStatus>;
/** TypeScript type of {@linkcode StatefulSetCondition}. */
export type StatefulSetCondition = Infer<typeof StatefulSetCondition>;
/** TypeScript type of {@linkcode StatefulSetUpdateStrategy}. */
export type StatefulSetUpdateStrategy = Infer<typeof StatefulSetUpdateStrategy>;
/** TypeScript type of {@linkcode RollingUpdateStatefulSetStrategy}. */
export type RollingUpdateStatefulSetStrategy = Infer<typeof RollingUpdateStatefulSetStrategy>;
/** TypeScript type of {@linkcode StatefulSetPersistentVolumeClaimRetentionPolicy}. */
export type StatefulSetPersistentVolumeClaimRetentionPolicy = Infer<
  typeof StatefulSetPersistentVolumeClaimRetentionPolicy
>;
/** TypeScript type of {@linkcode StatefulSetOrdinals}. */
export type StatefulSetOrdinals = Infer<typeof StatefulSetOrdinals>;
/** TypeScript type of {@linkcode Deployment}. */
export type Deployment = Infer<typeof Deployment>;
/** TypeScript type of {@linkcode DeploymentSpec}. */
export type DeploymentSpec = Infer<typeof DeploymentSpec>;
/** TypeScript type of {@linkcode DeploymentStatus}. */
export type DeploymentStatus = Infer<typeof DeploymentStatus>;
/** TypeScript type of {@linkcode DeploymentCondition}. */
export type DeploymentCondition = Infer<typeof DeploymentCondition>;
/** TypeScript type of {@linkcode DeploymentStrategy}. */
export type DeploymentStrategy = Infer<typeof DeploymentStrategy>;
/** TypeScript type of {@linkcode RollingUpdateDeployment}. */
export type RollingUpdateDeployment = Infer<typeof RollingUpdateDeployment>;
/** TypeScript type of {@linkcode DaemonSet}. */
export type DaemonSet = Infer<typeof DaemonSet>;
/** TypeScript type of {@linkcode DaemonSetSpec}. */
export type DaemonSetSpec = Infer<typeof DaemonSetSpec>;
/** TypeScript type of {@linkcode DaemonSetStatus}. */
export type DaemonSetStatus = Infer<typeof DaemonSetStatus>;
/** TypeScript type of {@linkcode DaemonSetCondition}. */
export type DaemonSetCondition = Infer<typeof DaemonSetCondition>;
/** TypeScript type of {@linkcode DaemonSetUpdateStrategy}. */
export type DaemonSetUpdateStrategy = Infer<typeof DaemonSetUpdateStrategy>;
/** TypeScript type of {@linkcode RollingUpdateDaemonSet}. */
export type RollingUpdateDaemonSet = Infer<typeof RollingUpdateDaemonSet>;
/** TypeScript type of {@linkcode ReplicaSet}. */
export type ReplicaSet = Infer<typeof ReplicaSet>;
/** TypeScript type of {@linkcode ReplicaSetSpec}. */
export type ReplicaSetSpec = Infer<typeof ReplicaSetSpec>;
/** TypeScript type of {@linkcode ReplicaSetStatus}. */
export type ReplicaSetStatus = Infer<typeof ReplicaSetStatus>;
/** TypeScript type of {@linkcode ReplicaSetCondition}. */
export type ReplicaSetCondition = Infer<typeof ReplicaSetCondition>;
/** TypeScript type of {@linkcode ControllerRevision}. */
export type ControllerRevision = Infer<typeof ControllerRevision>;
