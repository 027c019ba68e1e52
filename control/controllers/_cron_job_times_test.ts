import assert from "node:assert/strict";
import type { CronJob } from "../api/types/batch_v1.ts";
import { parseCronSchedule } from "../util/cron_schedule.ts";
import {
  mostRecentScheduleTime,
  nextScheduleDelayMs,
  nextScheduleTime,
  type ScheduleTimes,
} from "./_cron_job_times.ts";

function ms(time: string): number {
  return Date.parse(`2025-04-01T${time}Z`);
}

function cronJob(
  options: { created: string; last?: string; deadline?: number },
): CronJob {
  return {
    metadata: {
      name: "x",
      namespace: "default",
      creationTimestamp: `2025-04-01T${options.created}Z`,
    },
    spec: {
      schedule: "unused",
      jobTemplate: {},
      ...(options.deadline !== undefined ? { startingDeadlineSeconds: options.deadline } : {}),
    },
    ...(options.last ? { status: { lastScheduleTime: `2025-04-01T${options.last}Z` } } : {}),
  };
}

interface Case {
  readonly name: string;
  readonly schedule: string;
  readonly cj: CronJob;
  readonly now: string;
  readonly includeStartingDeadline?: boolean;
  readonly want: { readonly mostRecent: string | null; readonly missed: ScheduleTimes["missed"] };
  readonly error?: string;
}

const CASES: readonly Case[] = [
  {
    name: "before the first activation after creation",
    schedule: "*/1 * * * *",
    cj: cronJob({ created: "10:00:30" }),
    now: "10:00:59",
    want: { mostRecent: null, missed: "none" },
  },
  {
    name: "the first activation is due",
    schedule: "*/1 * * * *",
    cj: cronJob({ created: "10:00:30" }),
    now: "10:01:05",
    want: { mostRecent: "10:01:00", missed: "none" },
  },
  {
    name: "after a downtime only the most recent activation",
    schedule: "*/1 * * * *",
    cj: cronJob({ created: "09:00:00", last: "10:01:00" }),
    now: "10:05:30",
    want: { mostRecent: "10:05:00", missed: "few" },
  },
  {
    name: "more than 100 missed activations",
    schedule: "* * * * *",
    cj: cronJob({ created: "07:00:00", last: "08:00:00" }),
    now: "10:00:30",
    want: { mostRecent: "10:00:00", missed: "many" },
  },
  {
    name: "exactly 100 missed activations are still few",
    schedule: "* * * * *",
    cj: cronJob({ created: "07:00:00", last: "08:00:00" }),
    now: "09:40:00",
    want: { mostRecent: "09:40:00", missed: "few" },
  },
  {
    name: "the starting deadline moves the earliest time up",
    schedule: "*/5 * * * *",
    cj: cronJob({ created: "09:00:00", last: "10:00:00", deadline: 30 }),
    now: "10:05:45",
    includeStartingDeadline: true,
    want: { mostRecent: null, missed: "none" },
  },
  {
    name: "an activation within the starting deadline",
    schedule: "*/5 * * * *",
    cj: cronJob({ created: "09:00:00", last: "10:00:00", deadline: 60 }),
    now: "10:05:45",
    includeStartingDeadline: true,
    want: { mostRecent: "10:05:00", missed: "none" },
  },
  {
    name: "the starting deadline is ignored unless asked for",
    schedule: "*/5 * * * *",
    cj: cronJob({ created: "09:00:00", last: "10:00:00", deadline: 30 }),
    now: "10:05:45",
    want: { mostRecent: "10:05:00", missed: "none" },
  },
  {
    name: "@every counts from the creation",
    schedule: "@every 1h",
    cj: cronJob({ created: "08:17:00" }),
    now: "11:30:00",
    want: { mostRecent: "11:17:00", missed: "few" },
  },
  {
    name: "an irregular schedule",
    schedule: "30 6-16/4 * * 1-5",
    cj: cronJob({ created: "00:00:00" }),
    now: "17:00:00",
    want: { mostRecent: "14:30:00", missed: "few" },
  },
  {
    name: "a schedule that never fires",
    schedule: "59 23 31 2 *",
    cj: cronJob({ created: "00:00:00" }),
    now: "17:00:00",
    want: { mostRecent: null, missed: "none" },
    error: "time difference between two schedules is less than 1 second",
  },
];

Deno.test("mostRecentScheduleTime() finds the activation to start as upstream", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const times = mostRecentScheduleTime(c.cj, {
        nowMs: ms(c.now),
        schedule: parseCronSchedule(c.schedule, { localTimeZone: "UTC" }),
        includeStartingDeadline: c.includeStartingDeadline ?? false,
      });
      assert.deepEqual(
        {
          mostRecent: times.mostRecentMs === null
            ? null
            : new Date(times.mostRecentMs).toISOString().slice(11, 19),
          missed: times.missed,
        },
        c.want,
      );
      assert.equal(times.error, c.error);
    });
  }
});

Deno.test("nextScheduleTime() reports many missed runs and honours the starting deadline", () => {
  const schedule = parseCronSchedule("* * * * *", { localTimeZone: "UTC" });
  const many = nextScheduleTime(cronJob({ created: "07:00:00", last: "08:00:00" }), {
    nowMs: ms("10:00:30"),
    schedule,
  });
  assert.deepEqual(many, { scheduledMs: ms("10:00:00"), tooManyMissed: true });
  // With a deadline the missed runs before it do not count.
  const bounded = nextScheduleTime(
    cronJob({ created: "07:00:00", last: "08:00:00", deadline: 200 }),
    { nowMs: ms("10:00:30"), schedule },
  );
  assert.deepEqual(bounded, { scheduledMs: ms("10:00:00"), tooManyMissed: false });
  const none = nextScheduleTime(cronJob({ created: "10:00:00" }), {
    nowMs: ms("10:00:30"),
    schedule,
  });
  assert.deepEqual(none, { scheduledMs: null, tooManyMissed: false });
});

Deno.test("nextScheduleDelayMs() aims 100 ms after the next activation", async (t) => {
  const every5 = parseCronSchedule("*/5 * * * *", { localTimeZone: "UTC" });
  const cases: readonly [string, CronJob, string, number | null][] = [
    ["before the first run", cronJob({ created: "10:00:30" }), "10:02:00", 3 * 60_000 + 100],
    ["after a run", cronJob({ created: "09:00:00", last: "10:05:00" }), "10:05:00.500", 299_600],
    [
      "runs missed: after the most recent",
      cronJob({ created: "09:00:00", last: "10:00:00" }),
      "10:12:00",
      180_100,
    ],
  ];
  for (const [name, cj, now, want] of cases) {
    await t.step(name, () => {
      assert.equal(nextScheduleDelayMs(cj, { nowMs: ms(now), schedule: every5 }), want);
    });
  }
  await t.step("a schedule that never fires has no next run", () => {
    const never = parseCronSchedule("0 0 30 2 *", { localTimeZone: "UTC" });
    assert.equal(
      nextScheduleDelayMs(cronJob({ created: "10:00:00" }), {
        nowMs: ms("11:00:00"),
        schedule: never,
      }),
      null,
    );
  });
});
