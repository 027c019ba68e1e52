import assert from "node:assert/strict";
import { parseCronSchedule } from "./cron_schedule.ts";

/** `2012-07-09T14:45` (no offset: UTC) or `2012-03-11T00:00:00-0500` as milliseconds. */
function at(text: string): number {
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  assert.ok(!Number.isNaN(ms), `bad test time ${text}`);
  return ms;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

interface NextCase {
  readonly from: string;
  readonly spec: string;
  /** `null`: nothing within five years. */
  readonly want: string | null;
  /** The zone of schedules without TZ= (Go's Local). @default {"UTC"} */
  readonly local?: string;
}

// robfig/cron v3 spec_test.go TestNext, with the always-zero seconds field dropped (the
// cases with other seconds have no five-field form); its local-time cases run in UTC.
const UPSTREAM_NEXT: readonly NextCase[] = [
  // simple cases
  { from: "2012-07-09T14:45", spec: "0/15 * * * *", want: "2012-07-09T15:00" },
  { from: "2012-07-09T14:59", spec: "0/15 * * * *", want: "2012-07-09T15:00" },
  { from: "2012-07-09T14:59:59", spec: "0/15 * * * *", want: "2012-07-09T15:00" },
  // wrap around hours, days, months, years
  { from: "2012-07-09T15:45", spec: "20-35/15 * * * *", want: "2012-07-09T16:20" },
  { from: "2012-07-09T23:46", spec: "*/15 * * * *", want: "2012-07-10T00:00" },
  { from: "2012-07-09T23:45", spec: "20-35/15 * * * *", want: "2012-07-10T00:20" },
  { from: "2012-07-09T23:35", spec: "0 0 9 Apr-Oct ?", want: "2012-08-09T00:00" },
  { from: "2012-07-09T23:35", spec: "0 0 */5 Apr,Aug,Oct Mon", want: "2012-08-01T00:00" },
  { from: "2012-07-09T23:35", spec: "0 0 */5 Oct Mon", want: "2012-10-01T00:00" },
  { from: "2012-07-09T23:35", spec: "0 0 * Feb Mon", want: "2013-02-04T00:00" },
  { from: "2012-07-09T23:35", spec: "0 0 * Feb Mon/2", want: "2013-02-01T00:00" },
  { from: "2012-12-31T23:59:45", spec: "* * * * *", want: "2013-01-01T00:00" },
  // leap year
  { from: "2012-07-09T23:35", spec: "0 0 29 Feb ?", want: "2016-02-29T00:00" },
  // America/New_York, 2012-03-11: 02:00 EST becomes 03:00 EDT
  {
    from: "2012-03-11T00:00:00-0500",
    spec: "TZ=America/New_York 30 2 11 Mar ?",
    want: "2013-03-11T02:30:00-0400",
  },
  ...["TZ", "CRON_TZ"].flatMap((prefix) => [
    {
      from: "2012-03-11T00:00:00-0500",
      spec: `${prefix}=America/New_York 0 * * * ?`,
      want: "2012-03-11T01:00:00-0500",
    },
    {
      from: "2012-03-11T01:00:00-0500",
      spec: `${prefix}=America/New_York 0 * * * ?`,
      want: "2012-03-11T03:00:00-0400",
    },
    {
      from: "2012-03-11T03:00:00-0400",
      spec: `${prefix}=America/New_York 0 * * * ?`,
      want: "2012-03-11T04:00:00-0400",
    },
    {
      from: "2012-03-11T04:00:00-0400",
      spec: `${prefix}=America/New_York 0 * * * ?`,
      want: "2012-03-11T05:00:00-0400",
    },
  ]),
  {
    from: "2012-03-11T00:00:00-0500",
    spec: "TZ=America/New_York 0 1 * * ?",
    want: "2012-03-11T01:00:00-0500",
  },
  {
    from: "2012-03-11T01:00:00-0500",
    spec: "TZ=America/New_York 0 1 * * ?",
    want: "2012-03-12T01:00:00-0400",
  },
  // the 2am job is skipped that night
  {
    from: "2012-03-11T00:00:00-0500",
    spec: "TZ=America/New_York 0 2 * * ?",
    want: "2012-03-12T02:00:00-0400",
  },
  // America/New_York, 2012-11-04: 02:00 EDT becomes 01:00 EST
  {
    from: "2012-11-04T00:00:00-0400",
    spec: "TZ=America/New_York 30 2 04 Nov ?",
    want: "2012-11-04T02:30:00-0500",
  },
  {
    from: "2012-11-04T01:45:00-0400",
    spec: "TZ=America/New_York 30 1 04 Nov ?",
    want: "2012-11-04T01:30:00-0500",
  },
  // the same with the zone as the local one (a schedule without TZ=)
  ...["TZ=America/New_York ", ""].flatMap((prefix) => {
    const local = prefix === "" ? "America/New_York" : "UTC";
    return [
      ["2012-11-04T00:00:00-0400", "0 * * * ?", "2012-11-04T01:00:00-0400"],
      ["2012-11-04T01:00:00-0400", "0 * * * ?", "2012-11-04T01:00:00-0500"],
      ["2012-11-04T01:00:00-0500", "0 * * * ?", "2012-11-04T02:00:00-0500"],
      // the 1am job runs twice
      ["2012-11-04T00:00:00-0400", "0 1 * * ?", "2012-11-04T01:00:00-0400"],
      ["2012-11-04T01:00:00-0400", "0 1 * * ?", "2012-11-04T01:00:00-0500"],
      ["2012-11-04T01:00:00-0500", "0 1 * * ?", "2012-11-05T01:00:00-0500"],
      ["2012-11-04T00:00:00-0400", "0 2 * * ?", "2012-11-04T02:00:00-0500"],
      ["2012-11-04T02:00:00-0500", "0 2 * * ?", "2012-11-05T02:00:00-0500"],
      ["2012-11-04T00:00:00-0400", "0 3 * * ?", "2012-11-04T03:00:00-0500"],
      ["2012-11-04T03:00:00-0500", "0 3 * * ?", "2012-11-05T03:00:00-0500"],
    ].map(([from, spec, want]) => ({ from: from!, spec: prefix + spec!, want: want!, local }));
  }),
  // unsatisfiable
  { from: "2012-07-09T23:35", spec: "0 0 30 Feb ?", want: null },
  { from: "2012-07-09T23:35", spec: "0 0 31 Apr ?", want: null },
  // monthly job
  {
    from: "2012-11-04T00:00:00-0400",
    spec: "0 3 3 * ?",
    want: "2012-12-03T03:00:00-0500",
    local: "America/New_York",
  },
  // America/Sao_Paulo, 2018-11-04: midnight does not exist (robfig/cron#157)
  {
    from: "2018-10-17T05:00:00-0400",
    spec: "TZ=America/Sao_Paulo 0 9 10 * ?",
    want: "2018-11-10T06:00:00-0500",
  },
  {
    from: "2018-02-14T05:00:00-0500",
    spec: "TZ=America/Sao_Paulo 0 9 22 * ?",
    want: "2018-02-22T07:00:00-0500",
  },
  // TestNextWithTz: a zone a constant +05:30 from UTC
  {
    from: "2016-01-03T13:09:03+0530",
    spec: "14 14 * * *",
    want: "2016-01-03T14:14:00+0530",
    local: "Asia/Kolkata",
  },
  {
    from: "2016-01-03T04:09:03+0530",
    spec: "14 14 * * ?",
    want: "2016-01-03T14:14:00+0530",
    local: "Asia/Kolkata",
  },
  {
    from: "2016-01-03T14:09:03+0530",
    spec: "14 14 * * *",
    want: "2016-01-03T14:14:00+0530",
    local: "Asia/Kolkata",
  },
  {
    from: "2016-01-03T14:00:00+0530",
    spec: "14 14 * * ?",
    want: "2016-01-03T14:14:00+0530",
    local: "Asia/Kolkata",
  },
];

// Europe/Berlin: 2024-03-31 02:00 CET becomes 03:00 CEST, 2024-10-27 03:00 CEST becomes
// 02:00 CET. The same walk as New York's, worked out by robfig's algorithm.
const BERLIN_NEXT: readonly NextCase[] = [
  {
    from: "2024-03-31T00:00:00+0100",
    spec: "TZ=Europe/Berlin 0 * * * *",
    want: "2024-03-31T01:00:00+0100",
  },
  {
    from: "2024-03-31T01:00:00+0100",
    spec: "TZ=Europe/Berlin 0 * * * *",
    want: "2024-03-31T03:00:00+0200",
  },
  // 02:30 does not exist that night: the job skips to the next day
  {
    from: "2024-03-31T00:00:00+0100",
    spec: "TZ=Europe/Berlin 30 2 * * *",
    want: "2024-04-01T02:30:00+0200",
  },
  {
    from: "2024-03-30T12:00:00+0100",
    spec: "TZ=Europe/Berlin 15 3 * * *",
    want: "2024-03-31T03:15:00+0200",
  },
  // 02:30 happens twice in October: the job runs at both
  {
    from: "2024-10-27T00:00:00+0200",
    spec: "TZ=Europe/Berlin 30 2 * * *",
    want: "2024-10-27T02:30:00+0200",
  },
  {
    from: "2024-10-27T02:30:00+0200",
    spec: "TZ=Europe/Berlin 30 2 * * *",
    want: "2024-10-27T02:30:00+0100",
  },
  {
    from: "2024-10-27T02:30:00+0100",
    spec: "TZ=Europe/Berlin 30 2 * * *",
    want: "2024-10-28T02:30:00+0100",
  },
  {
    from: "2024-10-27T02:59:00+0200",
    spec: "TZ=Europe/Berlin */20 * * * *",
    want: "2024-10-27T02:00:00+0100",
  },
  // a daily job after the change keeps its wall time
  {
    from: "2024-10-26T09:00:00+0200",
    spec: "0 9 * * *",
    want: "2024-10-27T09:00:00+0100",
    local: "Europe/Berlin",
  },
  // @daily and @weekly in Berlin
  {
    from: "2024-03-30T23:00:00+0100",
    spec: "TZ=Europe/Berlin @daily",
    want: "2024-03-31T00:00:00+0100",
  },
  {
    from: "2024-03-31T00:00:00+0100",
    spec: "TZ=Europe/Berlin @weekly",
    want: "2024-04-07T00:00:00+0200",
  },
];

const MORE_NEXT: readonly NextCase[] = [
  { from: "2024-05-01T10:00", spec: "@hourly", want: "2024-05-01T11:00" },
  { from: "2024-05-01T10:00", spec: "@daily", want: "2024-05-02T00:00" },
  { from: "2024-05-01T10:00", spec: "@midnight", want: "2024-05-02T00:00" },
  { from: "2024-05-01T10:00", spec: "@weekly", want: "2024-05-05T00:00" },
  { from: "2024-05-01T10:00", spec: "@monthly", want: "2024-06-01T00:00" },
  { from: "2024-05-01T10:00", spec: "@yearly", want: "2025-01-01T00:00" },
  { from: "2024-05-01T10:00", spec: "@annually", want: "2025-01-01T00:00" },
  { from: "2024-05-01T10:00:00.250", spec: "@every 90s", want: "2024-05-01T10:01:30" },
  { from: "2024-05-01T10:00:07", spec: "@every 1h30m", want: "2024-05-01T11:30:07" },
  { from: "2024-05-01T10:00:07", spec: "@every 1500ms", want: "2024-05-01T10:00:08" },
  { from: "2024-05-01T10:00:07", spec: "@every 10ms", want: "2024-05-01T10:00:08" },
  { from: "2024-05-01T10:00:07", spec: "TZ=Europe/Berlin @every 1m", want: "2024-05-01T10:01:07" },
  // names in any case, lists and ranges
  { from: "2024-05-01T10:00", spec: "0 12 * JAN,jun *", want: "2024-06-01T12:00" },
  { from: "2024-05-01T10:00", spec: "0 12 * * sun,SAT", want: "2024-05-04T12:00" },
  { from: "2024-05-01T10:00", spec: "5,10 */6 * * *", want: "2024-05-01T12:05" },
  { from: "2024-05-01T10:00", spec: "0 0 1,15 * MON", want: "2024-05-06T00:00" },
  { from: "2024-05-01T10:00", spec: "0 0 1,15 * *", want: "2024-05-15T00:00" },
  // */1 keeps the star: both day fields must match; */2 drops it: either may
  { from: "2024-05-01T10:00", spec: "0 0 */1 * MON", want: "2024-05-06T00:00" },
  { from: "2024-05-01T10:00", spec: "0 0 */2 * MON", want: "2024-05-03T00:00" },
  { from: "2024-05-01T10:00", spec: "0 0 ? * 3", want: "2024-05-08T00:00" },
  { from: "2024-05-01T10:00", spec: "  0   0  *  *  *  ", want: "2024-05-02T00:00" },
];

Deno.test("CronSchedule.next() matches robfig/cron's Next", async (t) => {
  for (const c of [...UPSTREAM_NEXT, ...BERLIN_NEXT, ...MORE_NEXT]) {
    const local = c.local ?? "UTC";
    await t.step(`"${c.spec}" from ${c.from} (local ${local})`, () => {
      const schedule = parseCronSchedule(c.spec, { localTimeZone: local });
      assert.equal(iso(schedule.next(at(c.from))), c.want === null ? null : iso(at(c.want)));
    });
  }
});

Deno.test("CronSchedule.next() fires exactly at matching times (robfig TestActivation)", async (t) => {
  const cases: readonly [string, string, boolean][] = [
    ["2012-07-09T15:00", "0/15 * * * *", true],
    ["2012-07-09T15:45", "0/15 * * * *", true],
    ["2012-07-09T15:40", "0/15 * * * *", false],
    ["2012-07-09T15:05", "5/15 * * * *", true],
    ["2012-07-09T15:20", "5/15 * * * *", true],
    ["2012-07-09T15:50", "5/15 * * * *", true],
    ["2012-07-15T15:00", "0/15 * * Jul *", true],
    ["2012-07-15T15:00", "0/15 * * Jun *", false],
    ["2012-07-15T08:30", "30 08 ? Jul Sun", true],
    ["2012-07-15T08:30", "30 08 15 Jul ?", true],
    ["2012-07-16T08:30", "30 08 ? Jul Sun", false],
    ["2012-07-16T08:30", "30 08 15 Jul ?", false],
    ["2012-07-09T15:00", "@hourly", true],
    ["2012-07-09T15:04", "@hourly", false],
    ["2012-07-09T15:00", "@daily", false],
    ["2012-07-09T00:00", "@daily", true],
    ["2012-07-09T00:00", "@weekly", false],
    ["2012-07-08T00:00", "@weekly", true],
    ["2012-07-08T01:00", "@weekly", false],
    ["2012-07-08T00:00", "@monthly", false],
    ["2012-07-01T00:00", "@monthly", true],
    // both day fields restricted: either may match
    ["2012-07-15T00:00", "* * 1,15 * Sun", true],
    ["2012-06-15T00:00", "* * 1,15 * Sun", true],
    ["2012-08-01T00:00", "* * 1,15 * Sun", true],
    ["2012-07-15T00:00", "* * */10 * Sun", true],
    // one of them a star: both must
    ["2012-07-15T00:00", "* * * * Mon", false],
    ["2012-07-09T00:00", "* * 1,15 * *", false],
    ["2012-07-15T00:00", "* * 1,15 * *", true],
    ["2012-07-15T00:00", "* * */2 * Sun", true],
  ];
  for (const [time, spec, fires] of cases) {
    await t.step(`"${spec}" ${fires ? "fires" : "does not fire"} at ${time}`, () => {
      const ms = at(time);
      const next = parseCronSchedule(spec, { localTimeZone: "UTC" }).next(ms - 1000);
      assert.equal(next === ms, fires);
    });
  }
});

Deno.test("parseCronSchedule() accepts what cron.ParseStandard accepts", async (t) => {
  const ok = [
    "* * * * *",
    "*/5 * * * *",
    "0 0 * * 0",
    "15 3 1-15/2 jan-jun MON-FRI",
    "0,30 9-17 * * ?",
    "5/15 * * * *",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@every 1h30m",
    "@every 0",
    "TZ=UTC 0 * * * *",
    "CRON_TZ=Europe/Berlin @daily",
  ];
  for (const spec of ok) {
    await t.step(spec, () => {
      const next = parseCronSchedule(spec, { localTimeZone: "UTC" }).next(at("2024-01-01T00:00"));
      assert.ok(next !== null && next > at("2024-01-01T00:00"));
    });
  }
});

Deno.test("parseCronSchedule() refuses bad schedules with robfig/cron's messages", async (t) => {
  const cases: readonly [string, string, typeof SyntaxError | typeof RangeError][] = [
    ["", "empty spec string", SyntaxError],
    ["xyz", "expected exactly 5 fields, found 1: [xyz]", SyntaxError],
    ["* * * *", "expected exactly 5 fields, found 4: [* * * *]", SyntaxError],
    ["0 0 * * * *", "expected exactly 5 fields, found 6: [0 0 * * * *]", SyntaxError],
    ["60 * * * *", "end of range (60) above maximum (59): 60", SyntaxError],
    ["* 24 * * *", "end of range (24) above maximum (23): 24", SyntaxError],
    ["* * 0 * *", "beginning of range (0) below minimum (1): 0", SyntaxError],
    ["* * * 13 *", "end of range (13) above maximum (12): 13", SyntaxError],
    ["* * * * 7", "end of range (7) above maximum (6): 7", SyntaxError],
    ["5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1", SyntaxError],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3", SyntaxError],
    ["*/2/3 * * * *", "too many slashes: */2/3", SyntaxError],
    ["*/0 * * * *", "step of range should be a positive number: */0", SyntaxError],
    ["15/0 * * * *", "step of range should be a positive number: 15/0", SyntaxError],
    [
      "0 0 * * XYZ",
      'failed to parse int from XYZ: strconv.Atoi: parsing "XYZ": invalid syntax',
      SyntaxError,
    ],
    [
      "-1 * * * *",
      'failed to parse int from : strconv.Atoi: parsing "": invalid syntax',
      SyntaxError,
    ],
    ["*/-1 * * * *", "negative number (-1) not allowed: -1", SyntaxError],
    [
      "99999999999999999999 * * * *",
      'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
      SyntaxError,
    ],
    ["@weekdays", "unrecognized descriptor: @weekdays", SyntaxError],
    ["@reboot", "unrecognized descriptor: @reboot", SyntaxError],
    [
      "@every 5",
      'failed to parse duration @every 5: time: missing unit in duration "5"',
      SyntaxError,
    ],
    [
      "@every 1d",
      'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"',
      SyntaxError,
    ],
    [
      "@every x",
      'failed to parse duration @every x: time: invalid duration "x"',
      SyntaxError,
    ],
    [
      "TZ=Mars/Olympus * * * * *",
      "provided bad location Mars/Olympus: unknown time zone Mars/Olympus",
      RangeError,
    ],
    [
      "CRON_TZ=america/new_york * * * * *",
      "provided bad location america/new_york: unknown time zone america/new_york",
      RangeError,
    ],
  ];
  for (const [spec, message, type] of cases) {
    await t.step(`"${spec}"`, () => {
      assert.throws(() => parseCronSchedule(spec, { localTimeZone: "UTC" }), (err: unknown) => {
        assert.ok(err instanceof type, `${err} is not a ${type.name}`);
        assert.equal(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("parseCronSchedule() reads TZ=Local and schedules without TZ in the local zone", () => {
  const from = at("2024-05-31T20:00"); // 05:00 in Tokyo
  const local = parseCronSchedule("0 9 * * *", { localTimeZone: "Asia/Tokyo" });
  assert.equal(iso(local.next(from)), iso(at("2024-06-01T09:00:00+0900")));
  const tzLocal = parseCronSchedule("TZ=Local 0 9 * * *", { localTimeZone: "Asia/Tokyo" });
  assert.equal(iso(tzLocal.next(from)), iso(at("2024-06-01T09:00:00+0900")));
  const utc = parseCronSchedule("TZ=UTC 0 9 * * *", { localTimeZone: "Asia/Tokyo" });
  assert.equal(iso(utc.next(from)), iso(at("2024-06-01T09:00")));
});
