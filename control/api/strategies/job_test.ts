import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { defaultJob, generateJobSelector, jobStrategy } from "./job.ts";

const UID = "0b7c6f5e-1111-4222-8333-944455556666";

/** A Job as the handler has it before validation: defaulted, uid set, selector generated. */
function job(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  const j: KubeObject = {
    metadata: { name: "pi", namespace: "default", uid: UID, ...meta },
    spec: {
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl" }] },
      },
      ...spec,
    },
  };
  jobStrategy.default!(j);
  jobStrategy.prepareForCreate!(j);
  return j;
}

function errors(obj: KubeObject): string[] {
  return jobStrategy.validate!(obj).map(String);
}

function specOf(obj: KubeObject): Record<string, unknown> {
  return obj.spec as Record<string, unknown>;
}

Deno.test("defaultJob() applies the batch/v1 defaults", async (t) => {
  await t.step("non-parallel job", () => {
    const spec = specOf(job());
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, "NonIndexed");
    assert.equal(spec.suspend, false);
    assert.equal(spec.podReplacementPolicy, "TerminatingOrFailed");
    assert.equal(spec.manualSelector, false);
  });
  await t.step("parallelism only leaves completions unset", () => {
    const spec = specOf(job({ parallelism: 3 }));
    assert.equal(spec.completions, undefined);
    assert.equal(spec.parallelism, 3);
  });
  await t.step("completions only defaults parallelism to 1", () => {
    const spec = specOf(job({ completions: 5 }));
    assert.equal(spec.parallelism, 1);
  });
  await t.step("backoffLimitPerIndex makes backoffLimit unlimited", () => {
    const spec = specOf(
      job({ completionMode: "Indexed", completions: 2, backoffLimitPerIndex: 1 }),
    );
    assert.equal(spec.backoffLimit, 2147483647);
  });
  await t.step("a pod failure policy makes replacement wait for Failed", () => {
    const spec = specOf(job({
      podFailurePolicy: {
        rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }],
      },
    }));
    assert.equal(spec.podReplacementPolicy, "Failed");
  });
  await t.step("a Job without labels takes its template's", () => {
    const j = {
      metadata: { name: "pi" },
      spec: { template: { metadata: { labels: { app: "pi" } }, spec: { containers: [] } } },
    };
    defaultJob(j);
    assert.deepEqual(j.metadata, { name: "pi", labels: { app: "pi" } });
  });
});

Deno.test("generateJobSelector() selects the Job's pods by UID and labels them", () => {
  const spec = specOf(job());
  assert.deepEqual(spec.selector, {
    matchLabels: { "batch.kubernetes.io/controller-uid": UID },
  });
  const labels = (spec.template as { metadata: { labels: Record<string, string> } }).metadata
    .labels;
  assert.deepEqual(labels, {
    "batch.kubernetes.io/controller-uid": UID,
    "batch.kubernetes.io/job-name": "pi",
    "controller-uid": UID,
    "job-name": "pi",
  });
  const manual = {
    metadata: { name: "m", uid: UID },
    spec: { manualSelector: true, template: { spec: { containers: [] } } },
  };
  generateJobSelector(manual);
  assert.equal((manual.spec as Record<string, unknown>).selector, undefined);
});

Deno.test("jobStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: job(), want: [] },
    {
      name: "restartPolicy Always",
      obj: job({ template: { spec: { containers: [{ name: "pi", image: "perl" }] } } }),
      want: [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      ],
    },
    {
      name: "user label conflicting with the generated one",
      obj: job({
        template: {
          metadata: { labels: { "job-name": "other" } },
          spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl" }] },
        },
      }),
      want: [
        `spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"${UID}", "batch.kubernetes.io/job-name":"pi", "controller-uid":"${UID}", "job-name":"other"}: must be 'pi'`,
      ],
    },
    {
      name: "manual selector that does not match",
      obj: job({
        manualSelector: true,
        selector: { matchLabels: { app: "a" } },
        template: {
          metadata: { labels: { app: "b" } },
          spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl" }] },
        },
      }),
      want: [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
      ],
    },
    {
      name: "manual selector missing",
      obj: job({ manualSelector: true }),
      want: [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
      ],
    },
    {
      name: "negative counts",
      obj: job({ parallelism: -1, backoffLimit: -1, activeDeadlineSeconds: -5 }),
      want: [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.activeDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
      ],
    },
    {
      name: "Indexed without completions",
      obj: job({ completionMode: "Indexed", parallelism: 2 }),
      want: ["spec.completions: Required value: when completion mode is Indexed"],
    },
    {
      name: "per-index limits on a NonIndexed Job",
      obj: job({ backoffLimitPerIndex: 1, maxFailedIndexes: 1 }),
      want: [
        "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
        "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode",
      ],
    },
    {
      name: "maxFailedIndexes without backoffLimitPerIndex",
      obj: job({ completionMode: "Indexed", completions: 3, maxFailedIndexes: 1 }),
      want: ["spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"],
    },
    {
      name: "Indexed pod hostname that is not a DNS label",
      obj: job({ completionMode: "Indexed", completions: 10 }, { name: "a".repeat(62) }),
      want: [
        `metadata.name: Invalid value: "${
          "a".repeat(62)
        }": will not able to create pod with invalid DNS label: ${"a".repeat(62)}-9`,
      ],
    },
    {
      name: "pod failure policy rules",
      obj: job({
        podFailurePolicy: {
          rules: [
            { action: "FailJob", onExitCodes: { operator: "In", values: [3, 0, 1, 1] } },
            {
              action: "FailIndex",
              onPodConditions: [{ type: "DisruptionTarget", status: "Maybe" }],
            },
            { action: "Ignore" },
            {
              action: "Count",
              onExitCodes: { containerName: "nope", operator: "NotIn", values: [1] },
              onPodConditions: [{ type: "Ready" }],
            },
          ],
        },
      }),
      want: [
        "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator",
        "spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Duplicate value: 1",
        "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 0, 1, 1}: must be ordered",
        'spec.podFailurePolicy.rules[1].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
        'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
        "spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
        'spec.podFailurePolicy.rules[3].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
        "spec.podFailurePolicy.rules[3]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported",
      ],
    },
    {
      name: "pod failure policy with OnFailure and the wrong replacement policy",
      obj: job({
        podReplacementPolicy: "TerminatingOrFailed",
        podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "X" }] }] },
        template: {
          spec: { restartPolicy: "OnFailure", containers: [{ name: "pi", image: "perl" }] },
        },
      }),
      want: [
        'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"',
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
    },
    {
      name: "success policy on a NonIndexed Job",
      obj: job({ successPolicy: { rules: [{ succeededCount: 1 }] } }),
      want: [
        "spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{batch.SuccessPolicyRule{SucceededIndexes:(*string)(nil), SucceededCount:(*int32)(0xc000000000)}}}: requires indexed completion mode",
      ],
    },
    {
      name: "success policy rules",
      obj: job({
        completionMode: "Indexed",
        completions: 5,
        successPolicy: {
          rules: [{}, { succeededIndexes: "0-2,1", succeededCount: 6 }, {
            succeededIndexes: "0,2",
            succeededCount: 3,
          }],
        },
      }),
      want: [
        "spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified",
        'spec.successPolicy.rules[1].succeededIndexes: Invalid value: "0-2,1": error parsing succeededIndexes: non-increasing order, previous: 2, current: 1',
        "spec.successPolicy.rules[1].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)",
        "spec.successPolicy.rules[1].succeededCount: Invalid value: 6: must be less than or equal to 0 (the number of indexes in the specified succeededIndexes field)",
        "spec.successPolicy.rules[2].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)",
      ],
    },
    {
      name: "managedBy",
      obj: job({ managedBy: "not a path" }),
      want: [
        'spec.managedBy: Invalid value: "not a path": must be a domain-prefixed path (such as "acme.io/foo")',
      ],
    },
    { name: "managedBy ok", obj: job({ managedBy: "kueue.x-k8s.io/multikueue" }), want: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("jobStrategy.validateUpdate() enforces upstream's immutable fields", async (t) => {
  const old = job({ completions: 3 });
  const cases: { name: string; obj: KubeObject; old?: KubeObject; want: string[] }[] = [
    {
      name: "suspend and parallelism may change",
      obj: job({ completions: 3, parallelism: 2, suspend: true }),
      want: [],
    },
    {
      name: "completions of a NonIndexed Job",
      obj: job({ completions: 4 }),
      want: ["spec.completions: Invalid value: 4: field is immutable"],
    },
    {
      name: "elastic Indexed Job scales completions with parallelism",
      obj: job({ completionMode: "Indexed", completions: 4, parallelism: 4 }),
      old: job({ completionMode: "Indexed", completions: 2, parallelism: 2 }),
      want: [],
    },
    {
      name: "Indexed completions without parallelism",
      obj: job({ completionMode: "Indexed", completions: 4, parallelism: 2 }),
      old: job({ completionMode: "Indexed", completions: 2, parallelism: 2 }),
      want: [
        "spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism",
      ],
    },
    {
      name: "the template",
      obj: job({
        completions: 3,
        template: {
          spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl:6" }] },
        },
      }),
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = jobStrategy.validateUpdate!(c.obj, c.old ?? old).map(String);
      if (c.name === "the template") {
        assert.equal(got.length, 1);
        assert.match(got[0]!, /^spec\.template: Invalid value: .*: field is immutable$/);
      } else {
        assert.deepEqual(got, c.want);
      }
    });
  }
});

Deno.test("jobStrategy.validateUpdate() lets a suspended, unstarted Job change scheduling directives", () => {
  const old = job({ suspend: true });
  const template = structuredClone((old.spec as { template: Record<string, unknown> }).template);
  const spec = template.spec as Record<string, unknown>;
  spec.nodeSelector = { zone: "a" };
  spec.tolerations = [{ key: "k", operator: "Exists" }];
  const updated = { ...old, spec: { ...specOf(old), template } };
  assert.deepEqual(jobStrategy.validateUpdate!(updated, old), []);
  const started = { ...old, status: { startTime: "2025-01-01T00:00:00Z" } };
  assert.equal(jobStrategy.validateUpdate!(updated, started).length, 1);
});

Deno.test("jobStrategy.validateStatusUpdate() enforces the status rules", async (t) => {
  const base = job();
  const done = [
    { type: "SuccessCriteriaMet", status: "True" },
    { type: "Complete", status: "True" },
  ];
  const cases: {
    name: string;
    status: Record<string, unknown>;
    old?: Record<string, unknown>;
    want: string[];
  }[] = [
    {
      name: "a normal completion",
      status: {
        conditions: done,
        startTime: "2025-01-01T00:00:00Z",
        completionTime: "2025-01-01T00:01:00Z",
        succeeded: 1,
      },
      old: { startTime: "2025-01-01T00:00:00Z", active: 1 },
      want: [],
    },
    {
      name: "finished with active pods and no times",
      status: { conditions: done, active: 1 },
      old: { active: 1 },
      want: [
        "status.completionTime: Required value: completionTime is required for Complete jobs",
        "status.active: Invalid value: 1: active>0 is invalid for finished job",
        "status.startTime: Required value: startTime is required for finished job",
      ],
    },
    {
      name: "completion before start",
      status: {
        conditions: done,
        startTime: "2025-01-01T00:05:00Z",
        completionTime: "2025-01-01T00:01:00Z",
      },
      old: { startTime: "2025-01-01T00:05:00Z" },
      want: [
        "status.completionTime: Invalid value: 2025-01-01 00:01:00 +0000 UTC: completionTime cannot be set before startTime",
      ],
    },
    {
      name: "counters going down and a terminal condition removed",
      status: { failed: 1, succeeded: 0 },
      old: { failed: 2, succeeded: 1, conditions: [{ type: "FailureTarget", status: "True" }] },
      want: [
        "status.conditions: Invalid value: cannot disable the terminal FailureTarget=True condition",
        "status.failed: Invalid value: 1: cannot decrease the failed counter",
        "status.succeeded: Invalid value: 0: cannot decrease the succeeded counter",
      ],
    },
    {
      name: "completed indexes on a NonIndexed Job",
      status: { completedIndexes: "0" },
      want: [
        'status.completedIndexes: Invalid value: "0": cannot set non-empty completedIndexes when non-indexed completion mode',
      ],
    },
    {
      name: "duplicate uncounted pods",
      status: { uncountedTerminatedPods: { succeeded: ["a"], failed: ["a", ""] } },
      want: [
        'status.uncountedTerminatedPods.failed[0]: Duplicate value: "a"',
        'status.uncountedTerminatedPods.failed[1]: Invalid value: "": must not be empty',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = jobStrategy.validateStatusUpdate!(
        { ...base, status: c.status },
        { ...base, status: c.old ?? {} },
      );
      assert.deepEqual(got.map(String), c.want);
    });
  }
});

Deno.test("jobStrategy.validateStatusUpdate() checks index lists of Indexed Jobs", () => {
  const indexed = job({ completionMode: "Indexed", completions: 4, backoffLimitPerIndex: 1 });
  const got = jobStrategy.validateStatusUpdate!(
    { ...indexed, status: { completedIndexes: "0-1,5", failedIndexes: "1" } },
    { ...indexed, status: {} },
  );
  assert.deepEqual(got.map(String), [
    'status.completedIndexes: Invalid value: "0-1,5": error parsing completedIndexes: too large index: "5"',
    'status.failedIndexes: Invalid value: "1": failedIndexes and completedIndexes overlap at index: 1',
  ]);
});

Deno.test("jobStrategy.warnings() gives upstream's WarningsForJobSpec", async (t) => {
  const indexed = { completionMode: "Indexed", completions: 100001, parallelism: 10001 };
  const warning =
    "spec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail";
  const warnings = jobStrategy.warnings as (obj: KubeObject, old?: KubeObject) => string[];
  await t.step("on create, with the dotted-name warning", () => {
    assert.deepEqual(warnings(job(indexed, { name: "p.i" })), [
      "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
      warning,
    ]);
  });
  await t.step("not below the soft limits or when not Indexed", () => {
    assert.deepEqual(warnings(job({ ...indexed, parallelism: 10000 })), []);
    assert.deepEqual(warnings(job({ ...indexed, completionMode: "NonIndexed" })), []);
  });
  await t.step("on update only when the generation changed", () => {
    assert.deepEqual(
      warnings(job(indexed, { generation: 2 }), job(indexed, { generation: 1 })),
      [warning],
    );
    assert.deepEqual(
      warnings(job(indexed, { generation: 2 }), job(indexed, { generation: 2 })),
      [],
    );
  });
});
