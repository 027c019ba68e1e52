/**
 * `batch/v1` kinds: Job (pods run to completion) and CronJob (Jobs on a schedule). Field
 * numbers, list types and patch strategies from upstream `k8s.io/api/batch/v1`.
 *
 * @module
 */
import { ObjectReference } from "./core_v1_common.ts";
import { PodTemplateSpec } from "./core_v1_pod.ts";
import { LabelSelector, objectFields, ObjectMeta } from "./meta_v1.ts";
import {
  array,
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  int64,
  object,
  requiredField,
  string,
  time,
} from "./schema.ts";

const BATCH = "io.k8s.api.batch.v1";

/** The `batch/v1` group and version. */
const GV = { group: "batch", version: "v1" } as const;

/** Label on a Job's pods naming the Job. */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
/** The unprefixed label with the same meaning, kept for older clients. */
export const LEGACY_JOB_NAME_LABEL = "job-name";
/** Label on a Job's pods holding the Job's UID; the generated selector matches on it. */
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
/** The unprefixed label with the same meaning, kept for older clients. */
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
/** Annotation with the completion index of a pod of an Indexed Job. */
export const JOB_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
/** Finalizer the Job controller puts on its pods until it has counted them. */
export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
/** The `managedBy` value of the built-in Job controller. */
export const JOB_MANAGED_BY_DEFAULT = "kubernetes.io/job-controller";
/** Annotation the CronJob controller puts on its Jobs: the scheduled time, RFC 3339. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION =
  "batch.kubernetes.io/cronjob-scheduled-timestamp";

/** A requirement on the exit codes of a failed pod's containers. */
export const PodFailurePolicyOnExitCodesRequirement = object(
  `${BATCH}.PodFailurePolicyOnExitCodesRequirement`,
  {
    description:
      "Matches a failed pod by the exit codes of its containers (successful exits, code 0, are ignored).",
    fields: {
      containerName: field(string(), {
        description:
          "Only look at this container (or init container); when unset, at all containers.",
        proto: 1,
        keepZero: true,
      }),
      operator: requiredField(enumOf(["In", "NotIn"]), {
        description: "In: some exit code is in values; NotIn: some exit code is not in values.",
        proto: 2,
      }),
      values: requiredField(array(int32(), { listType: "set" }), {
        description:
          "Exit codes, sorted and without duplicates; 1 to 255 values, and 0 is not allowed with In.",
        proto: 3,
      }),
    },
  },
);

/** A pattern on the conditions of a failed pod. */
export const PodFailurePolicyOnPodConditionsPattern = object(
  `${BATCH}.PodFailurePolicyOnPodConditionsPattern`,
  {
    description: "Matches a failed pod that has a condition of this type and status.",
    fields: {
      type: requiredField(string(), {
        description: "The pod condition type to match.",
        proto: 1,
      }),
      status: field(string(), {
        description: "The pod condition status to match. Defaults to True.",
        proto: 2,
        keepZero: true,
        default: "True",
      }),
    },
  },
);

/** One rule of a pod failure policy. */
export const PodFailurePolicyRule = object(`${BATCH}.PodFailurePolicyRule`, {
  description:
    "What to do with a failed pod that matches: exactly one of onExitCodes and onPodConditions is set.",
  fields: {
    action: requiredField(enumOf(["FailJob", "FailIndex", "Ignore", "Count"]), {
      description:
        "FailJob fails the Job; FailIndex fails the pod's index (needs backoffLimitPerIndex); Ignore does not count the failure; Count counts it towards backoffLimit.",
      proto: 1,
    }),
    onExitCodes: field(PodFailurePolicyOnExitCodesRequirement, {
      description: "Match on container exit codes.",
      proto: 2,
    }),
    onPodConditions: field(array(PodFailurePolicyOnPodConditionsPattern, { listType: "atomic" }), {
      description: "Match when any of these patterns matches a pod condition; at most 20.",
      proto: 3,
    }),
  },
});

/** How pod failures count. */
export const PodFailurePolicy = object(`${BATCH}.PodFailurePolicy`, {
  description: "How failed pods affect the Job. Needs restartPolicy Never in the pod template.",
  fields: {
    rules: requiredField(array(PodFailurePolicyRule, { listType: "atomic" }), {
      description:
        "Rules checked in order; the first match decides. Without a match the failure counts towards backoffLimit. At most 20.",
      proto: 1,
    }),
  },
});

/** One rule for declaring an Indexed Job successful early. */
export const SuccessPolicyRule = object(`${BATCH}.SuccessPolicyRule`, {
  description:
    "A Job succeeds when this rule holds; at least one of succeededIndexes and succeededCount is set.",
  fields: {
    succeededIndexes: field(string(), {
      description:
        'Indexes that must all succeed, as sorted intervals ("1,3-5,7"), each below completions.',
      proto: 1,
      keepZero: true,
    }),
    succeededCount: field(int32(), {
      description:
        "How many indexes (of succeededIndexes, when set) must succeed; at most completions.",
      proto: 2,
      keepZero: true,
    }),
  },
});

/** When an Indexed Job may be declared successful. */
export const SuccessPolicy = object(`${BATCH}.SuccessPolicy`, {
  description:
    "Lets an Indexed Job succeed before all indexes do; the remaining pods are then removed.",
  fields: {
    rules: requiredField(array(SuccessPolicyRule, { listType: "atomic" }), {
      description:
        "Alternative rules, checked in order; meeting one adds SuccessCriteriaMet. 1 to 20 rules.",
      proto: 1,
    }),
  },
});

/** The desired behaviour of a Job. */
export const JobSpec = object(`${BATCH}.JobSpec`, {
  description: "What a Job runs and when it counts as complete or failed.",
  fields: {
    parallelism: field(int32(), {
      description: "Most pods running at once. Defaults to 1.",
      proto: 1,
      keepZero: true,
    }),
    completions: field(int32(), {
      description:
        "Successful pods needed for the Job to complete; unset means any success completes it and parallelism may be any positive value.",
      proto: 2,
      keepZero: true,
    }),
    activeDeadlineSeconds: field(int64(), {
      description:
        "Seconds after startTime the Job may be active before it is terminated; the timer stops while suspended.",
      proto: 3,
      keepZero: true,
    }),
    podFailurePolicy: field(PodFailurePolicy, {
      description: "How failed pods count; cannot be used with restartPolicy OnFailure.",
      proto: 11,
    }),
    successPolicy: field(SuccessPolicy, {
      description: "When an Indexed Job may succeed early; immutable.",
      proto: 16,
    }),
    backoffLimit: field(int32(), {
      description: "Retries before the Job is marked failed. Defaults to 6.",
      proto: 7,
      keepZero: true,
    }),
    backoffLimitPerIndex: field(int32(), {
      description:
        "Retries per index before the index is marked failed (Indexed Jobs with restartPolicy Never); immutable.",
      proto: 12,
      keepZero: true,
    }),
    maxFailedIndexes: field(int32(), {
      description:
        "Failed indexes tolerated before the whole Job fails; needs backoffLimitPerIndex.",
      proto: 13,
      keepZero: true,
    }),
    selector: field(LabelSelector, {
      description: "Selects the Job's pods; normally generated by the server.",
      proto: 4,
    }),
    manualSelector: field(boolean(), {
      description:
        "When true, the user picks the selector and pod labels instead of the server; rarely needed.",
      proto: 5,
      keepZero: true,
    }),
    template: requiredField(PodTemplateSpec, {
      description: 'The pods to run. restartPolicy must be "Never" or "OnFailure".',
      proto: 6,
    }),
    ttlSecondsAfterFinished: field(int32(), {
      description:
        "Seconds after the Job finishes (Complete or Failed) after which it may be deleted; unset keeps it.",
      proto: 8,
      keepZero: true,
    }),
    completionMode: field(enumOf(["NonIndexed", "Indexed"]), {
      description:
        "NonIndexed (default): completions successes complete the Job. Indexed: each index 0..completions-1 must succeed once.",
      proto: 9,
      keepZero: true,
    }),
    suspend: field(boolean(), {
      description:
        "While true, the controller creates no pods and removes running ones. Defaults to false.",
      proto: 10,
      keepZero: true,
    }),
    podReplacementPolicy: field(enumOf(["TerminatingOrFailed", "Failed"]), {
      description:
        "When replacement pods are created: TerminatingOrFailed (as soon as a pod terminates or fails) or Failed (once it has fully terminated). Must be Failed with a podFailurePolicy.",
      proto: 14,
      keepZero: true,
    }),
    managedBy: field(string(), {
      description:
        'The controller that reconciles this Job; unset or "kubernetes.io/job-controller" for the built-in one. A domain-prefixed path of at most 63 characters; immutable.',
      proto: 15,
      keepZero: true,
    }),
  },
});

/** UIDs of terminated pods not yet counted. */
export const UncountedTerminatedPods = object(`${BATCH}.UncountedTerminatedPods`, {
  description: "Pods that have terminated but are not yet counted in the Job's status counters.",
  fields: {
    succeeded: field(array(string(), { listType: "set" }), {
      description: "UIDs of succeeded pods.",
      proto: 1,
    }),
    failed: field(array(string(), { listType: "set" }), {
      description: "UIDs of failed pods.",
      proto: 2,
    }),
  },
});

/** One condition of a Job. */
export const JobCondition = object(`${BATCH}.JobCondition`, {
  description:
    "One aspect of a Job's state: Complete, Failed, Suspended, FailureTarget or SuccessCriteriaMet.",
  fields: {
    type: requiredField(string(), { description: "Type of job condition.", proto: 1 }),
    status: requiredField(string(), {
      description: "Status of the condition: True, False or Unknown.",
      proto: 2,
    }),
    lastProbeTime: field(time(), {
      description: "When the condition was last checked.",
      proto: 3,
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

/** The observed state of a Job. */
export const JobStatus = object(`${BATCH}.JobStatus`, {
  description: "The observed state of a Job, as reported by its controller.",
  fields: {
    conditions: field(array(JobCondition, { listType: "atomic" }), {
      description:
        "The latest observations; a finished Job has Complete or Failed with status True.",
      proto: 1,
      patchStrategy: "merge",
      patchMergeKey: "type",
    }),
    startTime: field(time(), {
      description:
        "When the controller started the Job; unset while suspended and reset on resume.",
      proto: 2,
    }),
    completionTime: field(time(), {
      description: "When the Job completed successfully; set only then.",
      proto: 3,
    }),
    active: field(int32(), {
      description: "Pending and running pods that are not terminating.",
      proto: 4,
    }),
    succeeded: field(int32(), { description: "Pods that reached phase Succeeded.", proto: 5 }),
    failed: field(int32(), { description: "Pods that reached phase Failed.", proto: 6 }),
    terminating: field(int32(), {
      description: "Pods that are terminating (pending or running, with a deletionTimestamp).",
      proto: 11,
      keepZero: true,
    }),
    completedIndexes: field(string(), {
      description: 'Completed indexes of an Indexed Job, as sorted intervals ("1,3-5,7").',
      proto: 7,
    }),
    failedIndexes: field(string(), {
      description: "Failed indexes, in the same format, when backoffLimitPerIndex is set.",
      proto: 10,
      keepZero: true,
    }),
    uncountedTerminatedPods: field(UncountedTerminatedPods, {
      description: "Terminated pods not yet counted in succeeded or failed.",
      proto: 8,
    }),
    ready: field(int32(), {
      description: "Pods with a Ready condition.",
      proto: 9,
      keepZero: true,
    }),
  },
});

/** Pods run to completion. */
export const Job = object(`${BATCH}.Job`, {
  description: "Runs pods until a number of them complete successfully.",
  gvk: [{ ...GV, kind: "Job" }],
  fields: {
    ...objectFields,
    spec: field(JobSpec, { description: "What the Job runs.", proto: 2 }),
    status: field(JobStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

/** The Job a CronJob creates. */
export const JobTemplateSpec = object(`${BATCH}.JobTemplateSpec`, {
  description: "The Job created from a template: its metadata and spec.",
  fields: {
    metadata: field(ObjectMeta, {
      description: "Metadata of the Jobs created from this template.",
      proto: 1,
    }),
    spec: field(JobSpec, {
      description: "Spec of the Jobs created; its selector is always generated.",
      proto: 2,
    }),
  },
});

/** The desired behaviour of a CronJob. */
export const CronJobSpec = object(`${BATCH}.CronJobSpec`, {
  description: "When a CronJob creates Jobs, and which.",
  fields: {
    schedule: requiredField(string(), {
      description:
        'The schedule in cron format: five fields ("*/5 * * * *") or a macro such as @hourly or "@every 1h".',
      proto: 1,
    }),
    timeZone: field(string(), {
      description:
        "IANA time zone of the schedule (Europe/Berlin); unset means the controller's local time zone.",
      proto: 8,
      keepZero: true,
    }),
    startingDeadlineSeconds: field(int64(), {
      description:
        "Seconds after a missed scheduled time within which the Job may still start; missed runs count as failed.",
      proto: 2,
      keepZero: true,
    }),
    concurrencyPolicy: field(enumOf(["Allow", "Forbid", "Replace"]), {
      description:
        "Allow (default) runs Jobs concurrently; Forbid skips a run while the previous one runs; Replace replaces the running Job.",
      proto: 3,
    }),
    suspend: field(boolean(), {
      description: "While true, no new runs start (running ones continue). Defaults to false.",
      proto: 4,
      keepZero: true,
    }),
    jobTemplate: requiredField(JobTemplateSpec, {
      description: "The Job created at each scheduled time.",
      proto: 5,
    }),
    successfulJobsHistoryLimit: field(int32(), {
      description: "How many successful finished Jobs to keep. Defaults to 3.",
      proto: 6,
      keepZero: true,
    }),
    failedJobsHistoryLimit: field(int32(), {
      description: "How many failed finished Jobs to keep. Defaults to 1.",
      proto: 7,
      keepZero: true,
    }),
  },
});

/** The observed state of a CronJob. */
export const CronJobStatus = object(`${BATCH}.CronJobStatus`, {
  description: "The observed state of a CronJob, as reported by its controller.",
  fields: {
    active: field(array(ObjectReference, { listType: "atomic" }), {
      description: "References to the Jobs currently running.",
      proto: 1,
    }),
    lastScheduleTime: field(time(), {
      description: "When a Job was last scheduled.",
      proto: 4,
    }),
    lastSuccessfulTime: field(time(), {
      description: "When a Job last completed successfully.",
      proto: 5,
    }),
  },
});

/** Jobs on a schedule. */
export const CronJob = object(`${BATCH}.CronJob`, {
  description: "Creates Jobs on a repeating schedule.",
  gvk: [{ ...GV, kind: "CronJob" }],
  fields: {
    ...objectFields,
    spec: field(CronJobSpec, {
      description: "The schedule and the Job to create.",
      proto: 2,
    }),
    status: field(CronJobStatus, {
      description: "The observed state; may lag behind.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode Job}. */
export type Job = Infer<typeof Job>;
/** TypeScript type of {@linkcode JobSpec}. */
export type JobSpec = Infer<typeof JobSpec>;
/** TypeScript type of {@linkcode JobStatus}. */
export type JobStatus = Infer<typeof JobStatus>;
/** TypeScript type of {@linkcode JobCondition}. */
export type JobCondition = Infer<typeof JobCondition>;
/** TypeScript type of {@linkcode PodFailurePolicy}. */
export type PodFailurePolicy = Infer<typeof PodFailurePolicy>;
/** TypeScript type of {@linkcode PodFailurePolicyRule}. */
export type PodFailurePolicyRule = Infer<typeof PodFailurePolicyRule>;
/** TypeScript type of {@linkcode PodFailurePolicyOnExitCodesRequirement}. */
export type PodFailurePolicyOnExitCodesRequirement = Infer<
  typeof PodFailurePolicyOnExitCodesRequirement
>;
/** TypeScript type of {@linkcode PodFailurePolicyOnPodConditionsPattern}. */
export type PodFailurePolicyOnPodConditionsPattern = Infer<
  typeof PodFailurePolicyOnPodConditionsPattern
>;
/** TypeScript type of {@linkcode SuccessPolicy}. */
export type SuccessPolicy = Infer<typeof SuccessPolicy>;
/** TypeScript type of {@linkcode SuccessPolicyRule}. */
export type SuccessPolicyRule = Infer<typeof SuccessPolicyRule>;
/** TypeScript type of {@linkcode UncountedTerminatedPods}. */
export type UncountedTerminatedPods = Infer<typeof UncountedTerminatedPods>;
/** TypeScript type of {@linkcode JobTemplateSpec}. */
export type JobTemplateSpec = Infer<typeof JobTemplateSpec>;
/** TypeScript type of {@linkcode CronJob}. */
export type CronJob = Infer<typeof CronJob>;
/** TypeScript type of {@linkcode CronJobSpec}. */
export type CronJobSpec = Infer<typeof CronJobSpec>;
/** TypeScript type of {@linkcode CronJobStatus}. */
export type CronJobStatus = Infer<typeof CronJobStatus>;
