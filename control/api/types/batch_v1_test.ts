import assert from "node:assert/strict";
import {
  CronJob,
  CronJobSpec,
  CronJobStatus,
  Job,
  JobCondition,
  JobSpec,
  JobStatus,
  JobTemplateSpec,
  PodFailurePolicyOnExitCodesRequirement,
  PodFailurePolicyOnPodConditionsPattern,
  PodFailurePolicyRule,
  SuccessPolicyRule,
  UncountedTerminatedPods,
} from "./batch_v1.ts";
import { ObjectReference } from "./core_v1_common.ts";
import type { Field, ObjectSchema } from "./schema.ts";

type Fields = Record<string, Field>;

Deno.test("batch/v1 kinds carry their group, version and kind", async (t) => {
  for (const [schema, kind] of [[Job, "Job"], [CronJob, "CronJob"]] as const) {
    await t.step(kind, () => {
      assert.equal(schema.name, `io.k8s.api.batch.v1.${kind}`);
      assert.deepEqual(schema.gvk, [{ group: "batch", version: "v1", kind }]);
    });
  }
});

Deno.test("batch/v1 types carry upstream field numbers and required fields", async (t) => {
  const cases: { schema: ObjectSchema; protos: Record<string, number>; required: string[] }[] = [
    {
      schema: JobSpec,
      protos: {
        parallelism: 1,
        completions: 2,
        activeDeadlineSeconds: 3,
        podFailurePolicy: 11,
        successPolicy: 16,
        backoffLimit: 7,
        backoffLimitPerIndex: 12,
        maxFailedIndexes: 13,
        selector: 4,
        manualSelector: 5,
        template: 6,
        ttlSecondsAfterFinished: 8,
        completionMode: 9,
        suspend: 10,
        podReplacementPolicy: 14,
        managedBy: 15,
      },
      required: ["template"],
    },
    {
      schema: JobStatus,
      protos: {
        conditions: 1,
        startTime: 2,
        completionTime: 3,
        active: 4,
        succeeded: 5,
        failed: 6,
        terminating: 11,
        completedIndexes: 7,
        failedIndexes: 10,
        uncountedTerminatedPods: 8,
        ready: 9,
      },
      required: [],
    },
    {
      schema: JobCondition,
      protos: {
        type: 1,
        status: 2,
        lastProbeTime: 3,
        lastTransitionTime: 4,
        reason: 5,
        message: 6,
      },
      required: ["status", "type"],
    },
    {
      schema: PodFailurePolicyRule,
      protos: { action: 1, onExitCodes: 2, onPodConditions: 3 },
      required: ["action"],
    },
    {
      schema: PodFailurePolicyOnExitCodesRequirement,
      protos: { containerName: 1, operator: 2, values: 3 },
      required: ["operator", "values"],
    },
    {
      schema: SuccessPolicyRule,
      protos: { succeededIndexes: 1, succeededCount: 2 },
      required: [],
    },
    {
      schema: UncountedTerminatedPods,
      protos: { succeeded: 1, failed: 2 },
      required: [],
    },
    { schema: JobTemplateSpec, protos: { metadata: 1, spec: 2 }, required: [] },
    {
      schema: CronJobSpec,
      protos: {
        schedule: 1,
        timeZone: 8,
        startingDeadlineSeconds: 2,
        concurrencyPolicy: 3,
        suspend: 4,
        jobTemplate: 5,
        successfulJobsHistoryLimit: 6,
        failedJobsHistoryLimit: 7,
      },
      required: ["jobTemplate", "schedule"],
    },
    {
      schema: CronJobStatus,
      protos: { active: 1, lastScheduleTime: 4, lastSuccessfulTime: 5 },
      required: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.schema.name, () => {
      const fields = c.schema.fields as Fields;
      for (const [k, n] of Object.entries(c.protos)) assert.equal(fields[k]?.proto, n, k);
      assert.deepEqual(Object.keys(c.protos).sort(), Object.keys(fields).sort());
      const required = Object.entries(fields).filter(([, f]) => f.required).map(([k]) => k);
      assert.deepEqual(required.sort(), c.required);
    });
  }
});

Deno.test("JobStatus.conditions is an atomic list that merges by type", () => {
  const f = JobStatus.fields.conditions;
  assert.equal(f.schema.listType, "atomic");
  assert.equal(f.patchStrategy, "merge");
  assert.equal(f.patchMergeKey, "type");
});

Deno.test("batch/v1 enums match upstream's values", () => {
  assert.deepEqual(JobSpec.fields.completionMode.schema.enum, ["NonIndexed", "Indexed"]);
  assert.deepEqual(JobSpec.fields.podReplacementPolicy.schema.enum, [
    "TerminatingOrFailed",
    "Failed",
  ]);
  assert.deepEqual(PodFailurePolicyRule.fields.action.schema.enum, [
    "FailJob",
    "FailIndex",
    "Ignore",
    "Count",
  ]);
  assert.deepEqual(CronJobSpec.fields.concurrencyPolicy.schema.enum, [
    "Allow",
    "Forbid",
    "Replace",
  ]);
});

Deno.test("PodFailurePolicyOnPodConditionsPattern.status defaults to True", () => {
  assert.equal(PodFailurePolicyOnPodConditionsPattern.fields.status.default, "True");
});

Deno.test("CronJobStatus.active is an atomic list of object references", () => {
  assert.equal(CronJobStatus.fields.active.schema.items, ObjectReference);
  assert.equal(CronJobStatus.fields.active.schema.listType, "atomic");
  assert.deepEqual(PodFailurePolicyOnExitCodesRequirement.fields.values.schema.listType, "set");
});
