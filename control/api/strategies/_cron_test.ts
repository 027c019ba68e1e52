import assert from "node:assert/strict";
import { cronScheduleError, durationError, isKnownTimeZone } from "./_cron.ts";

Deno.test("cronScheduleError() accepts what cron.ParseStandard accepts", async (t) => {
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
    await t.step(spec, () => assert.equal(cronScheduleError(spec), null));
  }
});

Deno.test("cronScheduleError() returns the parser's messages", async (t) => {
  const cases: [string, string][] = [
    ["* * * *", "expected exactly 5 fields, found 4: [* * * *]"],
    ["* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"],
    ["60 * * * *", "end of range (60) above maximum (59): 60"],
    ["* 24 * * *", "end of range (24) above maximum (23): 24"],
    ["* * 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["* * * 13 *", "end of range (13) above maximum (12): 13"],
    ["* * * * 7", "end of range (7) above maximum (6): 7"],
    ["5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["*/2/3 * * * *", "too many slashes: */2/3"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["* * * foo *", 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'],
    ["*/-1 * * * *", "negative number (-1) not allowed: -1"],
    ["@reboot", "unrecognized descriptor: @reboot"],
    ["@every 5x", 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"'],
    ["@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ["TZ=Mars/Base * * * * *", "provided bad location Mars/Base: unknown time zone Mars/Base"],
  ];
  for (const [spec, want] of cases) {
    await t.step(spec, () => assert.equal(cronScheduleError(spec), want));
  }
});

Deno.test("durationError() follows time.ParseDuration", () => {
  assert.equal(durationError("1.5h"), null);
  assert.equal(durationError("-3m10s"), null);
  assert.equal(durationError(""), 'time: invalid duration ""');
  assert.equal(durationError(".s"), 'time: invalid duration ".s"');
  assert.equal(durationError("h"), 'time: invalid duration "h"');
});

Deno.test("isKnownTimeZone() accepts IANA names, case-sensitively", () => {
  assert.equal(isKnownTimeZone("Europe/Berlin"), true);
  assert.equal(isKnownTimeZone("America/Argentina/Buenos_Aires"), true);
  assert.equal(isKnownTimeZone("UTC"), true);
  assert.equal(isKnownTimeZone("Etc/GMT+5"), true);
  assert.equal(isKnownTimeZone("europe/berlin"), false);
  assert.equal(isKnownTimeZone("Mars/Olympus_Mons"), false);
});
