import assert from "node:assert/strict";
import { BATCH_PRINTERS } from "./batch_printers.ts";
import type { Printer } from "./table.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const MIN = 60_000;

function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

function printer(kind: string): Printer {
  const p = BATCH_PRINTERS.get(`batch/${kind}`);
  assert.ok(p, kind);
  return p;
}

function row(kind: string, o: Record<string, unknown>): unknown[] {
  return printer(kind).row(o, NOW);
}

const POD_TEMPLATE = {
  spec: { containers: [{ name: "pi", image: "perl:5.34" }], restartPolicy: "Never" },
};

Deno.test("BATCH_PRINTERS have upstream's columns", () => {
  const show = (p: Printer) =>
    p.columns.map((c) => `${c.name}${c.priority > 0 ? "*" : ""}:${c.type}`).join(" ");
  assert.equal(
    show(printer("Job")),
    "Name:string Status:string Completions:string Duration:string Age:string Containers*:string Images*:string Selector*:string",
  );
  assert.equal(
    show(printer("CronJob")),
    "Name:string Schedule:string Timezone:string Suspend:boolean Active:integer Last Schedule:string Age:string Containers*:string Images*:string Selector*:string",
  );
});

function job(spec: Record<string, unknown>, status: Record<string, unknown>, extra = {}) {
  return {
    metadata: { name: "pi", namespace: "default", creationTimestamp: ago(10 * MIN), ...extra },
    spec: {
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "8c1f" } },
      template: POD_TEMPLATE,
      ...spec,
    },
    status,
  };
}

Deno.test("Job printer prints a completed job as kubectl get jobs", () => {
  const completed = job({ completions: 1, parallelism: 1 }, {
    startTime: ago(10 * MIN),
    completionTime: ago(10 * MIN - 42_000),
    succeeded: 1,
    conditions: [
      { type: "SuccessCriteriaMet", status: "True" },
      { type: "Complete", status: "True" },
    ],
  });
  assert.deepEqual(row("Job", completed), [
    "pi",
    "Complete",
    "1/1",
    "42s",
    "10m",
    "pi",
    "perl:5.34",
    "batch.kubernetes.io/controller-uid=8c1f",
  ]);
});

Deno.test("Job printer prints STATUS, COMPLETIONS and DURATION", async (t) => {
  const cases: [string, Record<string, unknown>, [string, string, string]][] = [
    [
      "running",
      job({ completions: 5, parallelism: 2 }, { startTime: ago(3 * MIN), active: 2, succeeded: 1 }),
      [
        "Running",
        "1/5",
        "3m",
      ],
    ],
    ["not started", job({ completions: 1 }, {}), ["Running", "0/1", ""]],
    [
      "work queue with parallelism",
      job({ parallelism: 3 }, { startTime: ago(90_000), succeeded: 2 }),
      [
        "Running",
        "2/1 of 3",
        "90s",
      ],
    ],
    ["work queue without parallelism", job({}, {}), ["Running", "0/1", ""]],
    [
      "failed",
      job({ completions: 1 }, {
        startTime: ago(5 * MIN),
        failed: 7,
        conditions: [{ type: "FailureTarget", status: "True" }, { type: "Failed", status: "True" }],
      }),
      ["Failed", "0/1", "5m"],
    ],
    [
      "failure target",
      job({ completions: 1 }, {
        startTime: ago(5 * MIN),
        conditions: [{ type: "FailureTarget", status: "True" }],
      }),
      ["FailureTarget", "0/1", "5m"],
    ],
    [
      "success criteria met",
      job({ completions: 1 }, {
        startTime: ago(5 * MIN),
        succeeded: 1,
        conditions: [{ type: "SuccessCriteriaMet", status: "True" }],
      }),
      ["SuccessCriteriaMet", "1/1", "5m"],
    ],
    [
      "suspended",
      job({ completions: 1, suspend: true }, {
        conditions: [{ type: "Suspended", status: "True" }],
      }),
      ["Suspended", "0/1", ""],
    ],
    [
      "was suspended",
      job({ completions: 1 }, {
        startTime: ago(MIN),
        conditions: [{ type: "Suspended", status: "False" }],
      }),
      ["Running", "0/1", "60s"],
    ],
    [
      "terminating",
      job({ completions: 1 }, { startTime: ago(MIN) }, { deletionTimestamp: ago(1000) }),
      [
        "Terminating",
        "0/1",
        "60s",
      ],
    ],
    [
      "complete while terminating",
      job({ completions: 1 }, {
        startTime: ago(MIN),
        completionTime: ago(30_000),
        succeeded: 1,
        conditions: [{ type: "Complete", status: "True" }],
      }, { deletionTimestamp: ago(1000) }),
      ["Complete", "1/1", "30s"],
    ],
  ];
  for (const [name, j, want] of cases) {
    await t.step(name, () => {
      const cells = row("Job", j);
      assert.deepEqual([cells[1], cells[2], cells[3]], want);
    });
  }
  await t.step("empty", () => {
    assert.deepEqual(row("Job", {}), ["", "Running", "0/1", "", "<unknown>", "", "", "<none>"]);
  });
});

Deno.test("CronJob printer prints a cron job with a last schedule", () => {
  const cronJob = {
    metadata: { name: "backup", namespace: "default", creationTimestamp: ago(5 * 24 * 60 * MIN) },
    spec: {
      schedule: "*/5 * * * *",
      suspend: false,
      concurrencyPolicy: "Forbid",
      jobTemplate: { spec: { template: POD_TEMPLATE } },
    },
    status: { active: [{ kind: "Job", name: "backup-28621440" }], lastScheduleTime: ago(2 * MIN) },
  };
  assert.deepEqual(row("CronJob", cronJob), [
    "backup",
    "*/5 * * * *",
    "<none>",
    "False",
    1,
    "2m",
    "5d",
    "pi",
    "perl:5.34",
    "<none>",
  ]);
  const suspended = {
    ...cronJob,
    spec: { ...cronJob.spec, suspend: true, timeZone: "Europe/Berlin" },
    status: {},
  };
  assert.deepEqual(row("CronJob", suspended).slice(1, 6), [
    "*/5 * * * *",
    "Europe/Berlin",
    "True",
    0,
    "<none>",
  ]);
  assert.deepEqual(row("CronJob", {}), [
    "",
    "",
    "<none>",
    "<unset>",
    0,
    "<none>",
    "<unknown>",
    "",
    "",
    "<none>",
  ]);
});
