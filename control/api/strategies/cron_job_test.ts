import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { cronJobStrategy, validateCronJobSpec } from "./cron_job.ts";

function cronJob(spec: Record<string, unknown> = {}, name = "backup"): KubeObject {
  const c: KubeObject = {
    metadata: { name, namespace: "default" },
    spec: {
      schedule: "*/10 * * * *",
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: "OnFailure", containers: [{ name: "b", image: "busybox" }] },
          },
        },
      },
      ...spec,
    },
  };
  cronJobStrategy.default!(c);
  return c;
}

function errors(obj: KubeObject): string[] {
  return cronJobStrategy.validate!(obj).map(String);
}

Deno.test("cronJobStrategy.default() applies the batch/v1 CronJob defaults only", () => {
  const spec = cronJob().spec as Record<string, unknown>;
  assert.equal(spec.concurrencyPolicy, "Allow");
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  const jobSpec = (spec.jobTemplate as { spec: Record<string, unknown> }).spec;
  // Job defaults are not applied to the template; pod defaults are.
  assert.equal(jobSpec.backoffLimit, undefined);
  assert.equal(
    (jobSpec.template as { spec: { dnsPolicy: string } }).spec.dnsPolicy,
    "ClusterFirst",
  );
});

Deno.test("cronJobStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: cronJob(), want: [] },
    { name: "@every", obj: cronJob({ schedule: "@every 2h" }), want: [] },
    { name: "time zone", obj: cronJob({ timeZone: "Europe/Berlin" }), want: [] },
    {
      name: "bad schedule",
      obj: cronJob({ schedule: "* * *" }),
      want: ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'],
    },
    {
      name: "empty schedule",
      obj: cronJob({ schedule: "" }),
      want: ["spec.schedule: Required value"],
    },
    {
      name: "TZ in the schedule",
      obj: cronJob({ schedule: "TZ=UTC 0 * * * *" }),
      want: [
        'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    },
    {
      name: "unknown time zone",
      obj: cronJob({ timeZone: "Mars/Base" }),
      want: ['spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base'],
    },
    {
      name: "empty time zone",
      obj: cronJob({ timeZone: "" }),
      want: ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'],
    },
    {
      name: "Local",
      obj: cronJob({ timeZone: "Local" }),
      want: [
        'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ],
    },
    {
      name: "zone with digits only in a legal part but unknown",
      obj: cronJob({ timeZone: "America/../Berlin" }),
      want: [
        'spec.timeZone: Invalid value: "America/../Berlin": unknown time zone America/../Berlin',
      ],
    },
    {
      name: "negative limits and deadline",
      obj: cronJob({
        startingDeadlineSeconds: -1,
        successfulJobsHistoryLimit: -1,
        failedJobsHistoryLimit: -2,
      }),
      want: [
        "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
        "spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
      ],
    },
    {
      name: "selector and manualSelector in the job template",
      obj: cronJob({
        jobTemplate: {
          spec: {
            manualSelector: true,
            selector: { matchLabels: { a: "b" } },
            template: {
              metadata: { labels: { a: "b" } },
              spec: { restartPolicy: "Never", containers: [{ name: "b", image: "busybox" }] },
            },
          },
        },
      }),
      want: [
        'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
      ],
    },
    {
      name: "template restartPolicy Always",
      obj: cronJob({
        jobTemplate: { spec: { template: { spec: { containers: [{ name: "b", image: "b" }] } } } },
      }),
      want: [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      ],
    },
    {
      name: "name longer than 52 characters",
      obj: cronJob({}, "a".repeat(53)),
      want: [
        `metadata.name: Invalid value: "${"a".repeat(53)}": must be no more than 52 characters`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("validateCronJobSpec() allows a TZ schedule and skips unchanged zones on update", () => {
  const obj = cronJob({ schedule: "TZ=UTC 0 * * * *" });
  const old = { schedule: "TZ=UTC 5 * * * *", jobTemplate: {} };
  assert.deepEqual(validateCronJobSpec(obj as never, { old }), []);
  const both = cronJob({ schedule: "TZ=UTC 0 * * * *", timeZone: "UTC" });
  assert.deepEqual(validateCronJobSpec(both as never, { old }).map(String), [
    'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
  ]);
});

Deno.test("cronJobStrategy.warnings() warns about dotted names on create only", () => {
  const dotted = cronJob({}, "nightly.backup");
  assert.equal(cronJobStrategy.warnings!(dotted).length, 1);
  const onUpdate = cronJobStrategy.warnings as (o: KubeObject, old?: KubeObject) => string[];
  assert.deepEqual(onUpdate(dotted, dotted), []);
});
