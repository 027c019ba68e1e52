import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { cronJobStrategy, validateCronJobSpec, validateTimeZone } from "./cron_job.ts";
import { FieldPath } from "../validation/field_errors.ts";

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

/** The strategy's errors of a create (its validate and validateCreate, as the handler runs). */
function errors(obj: KubeObject): string[] {
  return [
    ...(cronJobStrategy.validate?.(obj) ?? []),
    ...cronJobStrategy.validateCreate!(obj),
  ].map(String);
}

/** The strategy's errors of an update of `old` to `obj`. */
function updateErrors(obj: KubeObject, old: KubeObject): string[] {
  return [
    ...(cronJobStrategy.validate?.(obj) ?? []),
    ...cronJobStrategy.validateUpdate!(obj, old),
  ].map(String);
}

const TZ_WARNING =
  "cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details";

const INDEXED_WARNING =
  "spec.jobTemplate.spec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail";

function withGeneration(obj: KubeObject, generation: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, generation } };
}

function indexedTemplate(completions: number, parallelism: number): Record<string, unknown> {
  return {
    spec: {
      completionMode: "Indexed",
      completions,
      parallelism,
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "b", image: "busybox" }] },
      },
    },
  };
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

Deno.test("cronJobStrategy.validateCreate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: cronJob(), want: [] },
    { name: "@every", obj: cronJob({ schedule: "@every 2h" }), want: [] },
    { name: "time zone", obj: cronJob({ timeZone: "Europe/Berlin" }), want: [] },
    {
      name: "bad schedule",
      obj: cronJob({ schedule: "* * *" }),
      want: ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'],
    },
    ...([
      ["* * * *", "expected exactly 5 fields, found 4: [* * * *]"],
      ["60 * * * *", "end of range (60) above maximum (59): 60"],
      ["* * 0 * *", "beginning of range (0) below minimum (1): 0"],
      ["5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"],
      ["*/0 * * * *", "step of range should be a positive number: */0"],
      ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
      ["*/2/3 * * * *", "too many slashes: */2/3"],
      ["* * * foo *", 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'],
      ["*/-1 * * * *", "negative number (-1) not allowed: -1"],
      ["@reboot", "unrecognized descriptor: @reboot"],
      [
        "@every 5x",
        'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"',
      ],
    ] as const).map(([schedule, detail]) => ({
      name: `schedule ${schedule}`,
      obj: cronJob({ schedule }),
      want: [`spec.schedule: Invalid value: ${JSON.stringify(schedule)}: ${detail}`],
    })),
    {
      name: "TZ with an unknown zone in the schedule",
      obj: cronJob({ schedule: "TZ=Mars/Base * * * * *" }),
      want: [
        'spec.schedule: Invalid value: "TZ=Mars/Base * * * * *": provided bad location Mars/Base: unknown time zone Mars/Base',
        'spec.schedule: Invalid value: "TZ=Mars/Base * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
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
      name: "time zone spelled in the wrong case",
      obj: cronJob({ timeZone: "europe/berlin" }),
      want: ['spec.timeZone: Invalid value: "europe/berlin": unknown time zone europe/berlin'],
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

Deno.test("cronJobStrategy.validateUpdate() judges the spec against the stored one", async (t) => {
  const tzOld = cronJob({ schedule: "TZ=UTC 5 * * * *" });
  const plainOld = cronJob();
  const cases: { name: string; obj: KubeObject; old: KubeObject; want: string[] }[] = [
    { name: "unchanged plain schedule", obj: cronJob(), old: plainOld, want: [] },
    {
      name: "a stored TZ schedule may stay while timeZone is unset",
      obj: cronJob({ schedule: "TZ=UTC 0 * * * *", suspend: true }),
      old: tzOld,
      want: [],
    },
    {
      name: "a stored TZ schedule may be replaced by timeZone",
      obj: cronJob({ schedule: "0 * * * *", timeZone: "UTC" }),
      old: tzOld,
      want: [],
    },
    {
      name: "a stored TZ schedule with timeZone set",
      obj: cronJob({ schedule: "TZ=UTC 0 * * * *", timeZone: "UTC" }),
      old: tzOld,
      want: [
        'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
      ],
    },
    {
      name: "TZ newly added to the schedule",
      obj: cronJob({ schedule: "CRON_TZ=UTC 0 * * * *" }),
      old: plainOld,
      want: [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    },
    {
      name: "a bad schedule is still refused",
      obj: cronJob({ schedule: "TZ=UTC 0 * *" }),
      old: tzOld,
      want: [
        'spec.schedule: Invalid value: "TZ=UTC 0 * *": expected exactly 5 fields, found 3: [0 * *]',
      ],
    },
    {
      name: "an unchanged time zone is not checked again",
      obj: cronJob({ timeZone: "Mars/Base", suspend: true }),
      old: cronJob({ timeZone: "Mars/Base" }),
      want: [],
    },
    {
      name: "a changed time zone is checked",
      obj: cronJob({ timeZone: "Mars/Base" }),
      old: cronJob({ timeZone: "Europe/Berlin" }),
      want: ['spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base'],
    },
    {
      name: "a long name is not refused on update",
      obj: cronJob({ suspend: true }, "a".repeat(60)),
      old: cronJob({}, "a".repeat(60)),
      want: [],
    },
    {
      name: "other spec errors are reported",
      obj: cronJob({ failedJobsHistoryLimit: -1 }),
      old: plainOld,
      want: ["spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(updateErrors(c.obj, c.old), c.want));
  }
});

Deno.test("validateCronJobSpec() without a stored spec refuses TZ as on create", () => {
  assert.deepEqual(
    validateCronJobSpec(cronJob({ schedule: "TZ=UTC 0 * * * *" }) as never).map(String),
    [
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ],
  );
});

Deno.test("validateTimeZone() reports what time.LoadLocation reports", async (t) => {
  const path = new FieldPath("spec").child("timeZone");
  const cases: [string | undefined, string[]][] = [
    [undefined, []],
    ["Europe/Berlin", []],
    ["Etc/GMT+5", []],
    ["America/Argentina/Buenos_Aires", []],
    ["local", [
      'spec.timeZone: Invalid value: "local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      'spec.timeZone: Invalid value: "local": unknown time zone local',
    ]],
    ["Mars/Olympus_Mons", [
      'spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons',
    ]],
    ["Europe/Averyverylongname", [
      'spec.timeZone: Invalid value: "Europe/Averyverylongname": unknown time zone Europe/Averyverylongname',
    ]],
  ];
  for (const [zone, want] of cases) {
    await t.step(
      String(zone),
      () => assert.deepEqual(validateTimeZone(zone, path).map(String), want),
    );
  }
});

Deno.test("cronJobStrategy.warnings() on create: DNS-label names and the job spec's warnings", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "none", obj: cronJob(), want: [] },
    {
      name: "dotted name",
      obj: cronJob({}, "nightly.backup"),
      want: [
        "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
      ],
    },
    {
      name: "Indexed job template above the soft limits",
      obj: cronJob({ jobTemplate: indexedTemplate(100001, 10001) }),
      want: [INDEXED_WARNING],
    },
    {
      name: "Indexed job template at the soft limits",
      obj: cronJob({ jobTemplate: indexedTemplate(100000, 10001) }),
      want: [],
    },
    {
      name: "TZ in the schedule gives no create warning (create refuses it)",
      obj: cronJob({ schedule: "TZ=UTC 0 * * * *" }),
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(cronJobStrategy.warnings!(c.obj), c.want));
  }
});

Deno.test("cronJobStrategy.warnings() on update: job spec warnings on a new generation, TZ always", async (t) => {
  const indexed = { jobTemplate: indexedTemplate(100001, 10001) };
  const cases: { name: string; obj: KubeObject; old: KubeObject; want: string[] }[] = [
    {
      name: "dotted name is not warned about again",
      obj: withGeneration(cronJob({}, "nightly.backup"), 2),
      old: withGeneration(cronJob({}, "nightly.backup"), 1),
      want: [],
    },
    {
      name: "job spec warnings when the generation changed",
      obj: withGeneration(cronJob(indexed), 2),
      old: withGeneration(cronJob(), 1),
      want: [INDEXED_WARNING],
    },
    {
      name: "no job spec warnings when the generation stayed",
      obj: withGeneration(cronJob(indexed), 3),
      old: withGeneration(cronJob(indexed), 3),
      want: [],
    },
    {
      name: "TZ in the schedule, generation unchanged",
      obj: withGeneration(cronJob({ schedule: "TZ=UTC 0 * * * *" }), 1),
      old: withGeneration(cronJob({ schedule: "TZ=UTC 0 * * * *" }), 1),
      want: [TZ_WARNING],
    },
    {
      name: "both, job spec warnings first",
      obj: withGeneration(cronJob({ ...indexed, schedule: "CRON_TZ=UTC 0 * * * *" }), 2),
      old: withGeneration(cronJob({ schedule: "CRON_TZ=UTC 0 * * * *" }), 1),
      want: [INDEXED_WARNING, TZ_WARNING],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(cronJobStrategy.warnings!(c.obj, c.old), c.want));
  }
});
